//! The administration API through the typed client: people, groups, keys, the
//! settings documents and signing in, against a real server on both stores.

#[macro_use]
mod common;

use common::TestServer;
use reqwest::StatusCode;
use serde_json::json;
use trail_core::api::{NewGroup, NewKey, NewPerson, PersonChange, PreviewRequest, SignIn};
use trail_core::logging::{LoggingSettings, Policy, PolicySource, Preset};
use trail_core::redact::RedactionRules;

on_both_stores!(typed_client_walks_the_admin_api);

async fn typed_client_walks_the_admin_api(s: TestServer) {
    let admin = s.client();

    // A person and a group, and the person in it.
    let erin = admin
        .create_user(&NewPerson {
            login: "erin".into(),
            role: "member".into(),
            name: Some("Erin".into()),
            password: Some("correct horse battery".into()),
            ..NewPerson::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (erin.login.as_str(), erin.role.as_str()),
        ("erin", "member")
    );
    assert_eq!(erin.email, None);
    assert!(admin
        .list_users()
        .await
        .unwrap()
        .iter()
        .any(|p| p.id == erin.id && p.name.as_deref() == Some("Erin")));
    let reviewers = admin
        .create_group(&NewGroup {
            name: "reviewers".into(),
            parent: None,
        })
        .await
        .unwrap();
    assert!(reviewers.members.is_empty());
    let qa = NewGroup {
        name: "qa".into(),
        parent: Some("reviewers".into()),
    };
    assert_eq!(
        admin.create_group(&qa).await.unwrap().parent.as_deref(),
        Some("reviewers")
    );
    admin.add_member("reviewers", "erin").await.unwrap();
    admin.add_member("qa", "erin").await.unwrap();
    admin.remove_member("qa", "erin").await.unwrap();
    let groups = admin.list_groups().await.unwrap();
    let members = |name: &str| {
        let g = groups.iter().find(|g| g.name == name).unwrap();
        g.members.clone()
    };
    assert_eq!(members("reviewers"), ["erin"]);
    assert!(members("qa").is_empty());
    let again = admin.remove_member("qa", "erin").await.unwrap_err();
    assert_eq!(again.status(), Some(StatusCode::NOT_FOUND));

    // A personal key, shown once, that acts as erin.
    let key = admin
        .create_key(&NewKey {
            name: "erin's".into(),
            scope: "read".into(),
            user: Some("erin".into()),
            ..NewKey::default()
        })
        .await
        .unwrap();
    let secret = key.secret.clone().expect("the secret, this once");
    assert_eq!((key.user, key.scope.as_str()), (Some(erin.id), "read"));
    let listed = admin.list_keys().await.unwrap();
    let stored = listed.iter().find(|k| k.id == key.id).unwrap();
    assert_eq!((stored.secret.as_ref(), stored.revoked_at), (None, None));
    let as_erin = s.client_with(&secret);
    let me = as_erin.me().await.unwrap();
    assert_eq!(
        (me.login.as_deref(), me.role.as_deref(), me.via.as_str()),
        (Some("erin"), Some("member"), "api_key")
    );
    as_erin.search("", 10, None, None).await.unwrap();

    // Her role changes; her key acts with the new one.
    let promoted = admin
        .update_user(
            "erin",
            &PersonChange {
                role: Some("admin".into()),
                ..PersonChange::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (promoted.role.as_str(), promoted.name),
        ("admin", erin.name)
    );
    assert_eq!(as_erin.me().await.unwrap().role.as_deref(), Some("admin"));

    // Logging settings, and what they make of erin.
    let mut settings = LoggingSettings::default();
    settings.groups.insert(
        "reviewers".into(),
        Policy {
            level: Preset::Verbose,
            ..Policy::default()
        },
    );
    assert_eq!(
        admin.set_logging_settings(&settings).await.unwrap(),
        settings
    );
    assert_eq!(admin.logging_settings().await.unwrap(), settings);
    let effective = admin.effective_logging(Some("erin")).await.unwrap();
    assert_eq!(effective.user, "erin");
    assert_eq!(
        effective.source,
        Some(PolicySource::Group {
            name: "reviewers".into()
        })
    );
    assert_eq!(effective.policy.map(|p| p.level), Some(Preset::Verbose));
    assert!(effective.dropping.debug && effective.dropping.disabled_types.is_empty());
    assert!(effective.refresh_seconds > 0);
    let own = as_erin.effective_logging(None).await.unwrap();
    assert_eq!((own.user.as_str(), own.dropping.debug), ("erin", true));

    // Redaction: the saved rules, other rules, and a preview with each.
    let saved = admin.redaction_rules().await.unwrap();
    assert_eq!(saved, RedactionRules::default());
    let sample = PreviewRequest {
        text: Some("login with password=hunter2".into()),
        params: Some(json!({"token": "abc", "sql": "select 1"})),
        rules: None,
    };
    let preview = admin.preview_redaction(&sample).await.unwrap();
    assert_eq!(
        preview.text.as_deref(),
        Some("login with password=[REDACTED]")
    );
    assert_eq!(
        preview.params,
        Some(json!({"token": "[REDACTED]", "sql": "select 1"}))
    );
    let only_sql = RedactionRules {
        names: vec!["sql".into()],
        patterns: vec![],
    };
    let tried = PreviewRequest {
        rules: Some(only_sql.clone()),
        ..sample.clone()
    };
    let preview = admin.preview_redaction(&tried).await.unwrap();
    assert_eq!(
        preview.params,
        Some(json!({"token": "abc", "sql": "[REDACTED]"}))
    );
    assert_eq!(
        admin.set_redaction_rules(&only_sql).await.unwrap(),
        only_sql
    );
    assert_eq!(admin.redaction_rules().await.unwrap(), only_sql);

    // Visibility rules, as JSON.
    let rules = json!({"owner_only": ["type:owner-security"], "grants": {}});
    admin.set_visibility_rules(&rules).await.unwrap();
    let read = admin.visibility_rules().await.unwrap();
    assert_eq!(read["owner_only"], json!(["type:owner-security"]));

    // Signing in answers who, with the CSRF token; a key has no session to end.
    let signed_in = admin
        .sign_in(&SignIn {
            account: None,
            login: "erin".into(),
            password: "correct horse battery".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        (signed_in.login.as_deref(), signed_in.via.as_str()),
        (Some("erin"), "browser")
    );
    assert!(signed_in.csrf_token.is_some() && signed_in.expires_at.is_some());
    let wrong = SignIn {
        login: "erin".into(),
        password: "not her password".into(),
        ..SignIn::default()
    };
    let refused = admin.sign_in(&wrong).await.unwrap_err();
    assert_eq!(refused.status(), Some(StatusCode::UNAUTHORIZED));
    admin.sign_out().await.unwrap();
    assert_eq!(admin.me().await.unwrap().via, "api_key");

    // Event types, and the audit trail of all this.
    let types = admin.event_types().await.unwrap();
    assert!(types.as_array().unwrap().len() > 40);
    let audit = admin
        .search("type:user-role-changed", 10, None, None)
        .await
        .unwrap();
    assert_eq!(
        audit.events[0].message.as_deref(),
        Some("Changed \"erin\" role to admin")
    );

    // Revoked, the key is refused at once.
    admin.revoke_key(key.id).await.unwrap();
    let listed = admin.list_keys().await.unwrap();
    assert!(listed
        .iter()
        .any(|k| k.id == key.id && k.revoked_at.is_some()));
    let refused = as_erin.me().await.unwrap_err();
    assert_eq!(refused.status(), Some(StatusCode::UNAUTHORIZED));
    let refused = as_erin.search("", 10, None, None).await.unwrap_err();
    assert_eq!(refused.status(), Some(StatusCode::UNAUTHORIZED));
}
