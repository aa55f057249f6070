//! Who may see and change what, through the real HTTP API: roles and grants,
//! signing in, logging settings, and every endpoint against every role.

#[macro_use]
mod common;

use std::collections::BTreeSet;

use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use trail_core::EventInput;

on_both_stores!(
    roles_see_what_seed_004_says,
    people_sign_in_with_cookies_and_csrf,
    logging_settings_drop_and_throttle,
    every_endpoint_checks_every_role,
    bad_settings_and_people_are_refused_by_name,
);

/// A raw request with a bearer key; returns the status and the JSON body (or null).
async fn call(
    s: &TestServer,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", s.url))
        .bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Creates a person with a personal read key; returns the key's secret.
async fn person(s: &TestServer, login: &str, role: &str) -> String {
    let (status, _) = call(
        s,
        &s.admin_key,
        Method::POST,
        "/api/v1/users",
        Some(json!({"login": login, "role": role, "password": "correct horse battery"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "create {login}");
    // Admins' keys may administer; a key never exceeds its person's role anyway.
    let scope = if role == "admin" { "admin" } else { "read" };
    let (status, key) = call(
        s,
        &s.admin_key,
        Method::POST,
        "/api/v1/keys",
        Some(json!({"name": login, "scope": scope, "user": login})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "key for {login}");
    key["secret"].as_str().unwrap().to_string()
}

fn by(login: &str, event_type: &str, message: &str) -> EventInput {
    serde_json::from_value(json!({"type": event_type, "message": message,
        "actor": {"kind": "user", "id": login}}))
    .unwrap()
}

async fn messages(s: &TestServer, key: &str, q: &str) -> BTreeSet<String> {
    let (status, page) = call(
        s,
        key,
        Method::GET,
        &format!("/api/v1/events?limit=500&q={q}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["message"].as_str().map(str::to_string))
        .filter(|m| m.starts_with('m'))
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

async fn roles_see_what_seed_004_says(s: TestServer) {
    let member = person(&s, "alice", "member").await;
    let auditor = person(&s, "audrey", "auditor").await;
    let admin = person(&s, "adam", "admin").await;
    let (_, owner_key) = call(
        &s,
        &s.admin_key,
        Method::POST,
        "/api/v1/keys",
        Some(json!({"name": "owner", "scope": "read", "user": "owner"})),
    )
    .await;
    let owner = owner_key["secret"].as_str().unwrap().to_string();
    let sent = s
        .client()
        .send_events(&[
            by("alice", "query-created", "m-alice"),
            by("bob", "connection-edited", "m-bob"),
            by("owner", "owner-security", "m-owner-secret"),
            by("owner", "query-created", "m-owner-query"),
        ])
        .await
        .unwrap();
    let rules = json!({"owner_only": ["user:owner type:owner-security"],
                       "grants": {"audrey": {"query": "user:bob"}}});
    // Admins may not change what owners keep to themselves.
    let (status, _) = call(
        &s,
        &admin,
        Method::PUT,
        "/api/v1/settings/visibility",
        Some(rules.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &s,
        &s.admin_key,
        Method::PUT,
        "/api/v1/settings/visibility",
        Some(rules),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    assert_eq!(
        messages(&s, &owner, "").await,
        set(&["m-alice", "m-bob", "m-owner-secret", "m-owner-query"])
    );
    assert_eq!(
        messages(&s, &admin, "").await,
        set(&["m-alice", "m-bob", "m-owner-query"])
    );
    assert_eq!(messages(&s, &member, "").await, set(&["m-alice"]));
    assert_eq!(messages(&s, &auditor, "").await, set(&["m-bob"]));
    assert_eq!(
        messages(&s, &member, "bob").await,
        set(&[]),
        "a search cannot widen the view"
    );

    let bobs = sent.events[1].id;
    let (status, _) = call(
        &s,
        &member,
        Method::GET,
        &format!("/api/v1/events/{bobs}"),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another's event is as absent as a missing one"
    );
    let (status, _) = call(
        &s,
        &auditor,
        Method::GET,
        &format!("/api/v1/events/{bobs}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let csv = reqwest::Client::new()
        .get(format!("{}/api/v1/export?format=csv", s.url))
        .bearer_auth(&member)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("m-alice") && !csv.contains("m-bob"),
        "exports follow the view"
    );
    let (status, _) = call(
        &s,
        &member,
        Method::GET,
        "/api/v1/entities/query/q1/usage",
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "usage sums everyone's events"
    );

    // A grant that has ended shows nothing.
    let ended =
        json!({"grants": {"audrey": {"query": "user:bob", "until": "2020-01-01T00:00:00Z"}}});
    call(
        &s,
        &s.admin_key,
        Method::PUT,
        "/api/v1/settings/visibility",
        Some(ended),
    )
    .await;
    assert_eq!(messages(&s, &auditor, "").await, set(&[]));
    let audit = s
        .client()
        .search("type:permission-changed", 10, None, None)
        .await
        .unwrap();
    assert_eq!(audit.events.len(), 2, "visibility changes are audited");
    // Members and auditors change nothing.
    let (status, _) = call(
        &s,
        &member,
        Method::POST,
        "/api/v1/groups",
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &s,
        &admin,
        Method::PATCH,
        "/api/v1/users/owner",
        Some(json!({"role": "member"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins cannot demote owners");
    let (status, _) = call(
        &s,
        &admin,
        Method::POST,
        "/api/v1/keys",
        Some(json!({"name": "mine now", "scope": "admin", "user": "owner"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "admins cannot hold an owner's key"
    );
    let (status, _) = call(
        &s,
        &admin,
        Method::POST,
        "/api/v1/keys",
        Some(json!({"name": "alice's", "scope": "read", "user": "alice"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a key follows its person's future role: owners hand out keys for others"
    );
    let (status, _) = call(
        &s,
        &admin,
        Method::POST,
        "/api/v1/keys",
        Some(json!({"name": "my own", "scope": "admin", "user": "adam"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "anyone who manages keys may make their own"
    );
    let (_, keys) = call(&s, &admin, Method::GET, "/api/v1/keys", None).await;
    let account_key = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "bootstrap admin key")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = call(
        &s,
        &admin,
        Method::DELETE,
        &format!("/api/v1/keys/{account_key}"),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "admins cannot revoke the owners' keys"
    );
    let (status, _) = call(
        &s,
        &s.admin_key,
        Method::PATCH,
        "/api/v1/users/alice",
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let changed = s
        .client()
        .search("type:user-role-changed", 10, None, None)
        .await
        .unwrap();
    assert_eq!(
        changed.events[0].message.as_deref(),
        Some("Changed \"alice\" role to admin")
    );

    // What the rules name is the owners' to change: renaming bob would move
    // audrey's grant, emptying "execs" would lift an owner-only rule.
    let (status, _) = call(
        &s,
        &admin,
        Method::PATCH,
        "/api/v1/users/bob",
        Some(json!({"name": "Robert"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "bob is named by a grant");
    call(
        &s,
        &s.admin_key,
        Method::POST,
        "/api/v1/groups",
        Some(json!({"name": "execs"})),
    )
    .await;
    call(
        &s,
        &s.admin_key,
        Method::POST,
        "/api/v1/groups",
        Some(json!({"name": "board", "parent": "execs"})),
    )
    .await;
    let rules = json!({"owner_only": ["group:execs"]});
    call(
        &s,
        &s.admin_key,
        Method::PUT,
        "/api/v1/settings/visibility",
        Some(rules),
    )
    .await;
    let (status, _) = call(
        &s,
        &admin,
        Method::PUT,
        "/api/v1/groups/board/members/alice",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "board is inside execs");
    let (status, _) = call(
        &s,
        &s.admin_key,
        Method::PUT,
        "/api/v1/groups/board/members/alice",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(
        &s,
        &admin,
        Method::PATCH,
        "/api/v1/users/owner",
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn people_sign_in_with_cookies_and_csrf(s: TestServer) {
    person(&s, "carol", "member").await;
    let browser = reqwest::Client::new();
    let sign_in = |password: &str| {
        browser
            .post(format!("{}/api/v1/auth/sign-in", s.url))
            .json(&json!({"login": "carol", "password": password}))
            .send()
    };
    let resp = sign_in("correct horse battery").await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cookies: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("trail_session="))
        .unwrap();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    let token = session.split(';').next().unwrap().to_string();
    let me: Value = resp.json().await.unwrap();
    assert_eq!(
        (me["login"].as_str(), me["role"].as_str()),
        (Some("carol"), Some("member"))
    );
    let csrf = me["csrf_token"].as_str().unwrap().to_string();

    let with_cookie = |method: Method, path: &str| {
        browser
            .request(method, format!("{}{path}", s.url))
            .header("cookie", &token)
    };
    let me: Value = with_cookie(Method::GET, "/api/v1/auth/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["via"], "browser");
    let resp = with_cookie(Method::POST, "/api/v1/auth/sign-out")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::FORBIDDEN,
        "no CSRF token, no change"
    );
    let resp = with_cookie(Method::POST, "/api/v1/auth/sign-out")
        .header("x-csrf-token", "forged")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = with_cookie(Method::POST, "/api/v1/auth/sign-out")
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = with_cookie(Method::GET, "/api/v1/auth/me")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "signed out");

    // Five wrong passwords lock the login, even for the right one; all is recorded.
    for _ in 0..5 {
        assert_eq!(
            sign_in("wrong password!").await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = sign_in("correct horse battery").await.unwrap();
    assert_eq!(locked.status(), StatusCode::UNAUTHORIZED);
    let unknown = browser
        .post(format!("{}/api/v1/auth/sign-in", s.url))
        .json(&json!({"login": "nobody", "password": "x"}))
        .send()
        .await
        .unwrap();
    let (a, b) = (locked.text().await.unwrap(), unknown.text().await.unwrap());
    assert_eq!(
        a, b,
        "the answer does not tell a locked login from an unknown one"
    );
    let c = s.client();
    assert_eq!(
        c.search("type:user-sign-in-failed", 20, None, None)
            .await
            .unwrap()
            .events
            .len(),
        7
    );
    assert_eq!(
        c.search("type:user-locked-out", 20, None, None)
            .await
            .unwrap()
            .events
            .len(),
        1
    );
    assert_eq!(
        c.search("type:user-signed-in", 20, None, None)
            .await
            .unwrap()
            .events
            .len(),
        1
    );
    let users = s.store.list_users(s.account).await.unwrap();
    assert!(
        !users.iter().any(|u| u.login == "nobody"),
        "guesses create nobody"
    );
}

async fn logging_settings_drop_and_throttle(s: TestServer) {
    let c = s.client();
    call(
        &s,
        &s.admin_key,
        Method::POST,
        "/api/v1/groups",
        Some(json!({"name": "analysts"})),
    )
    .await;
    call(
        &s,
        &s.admin_key,
        Method::POST,
        "/api/v1/groups",
        Some(json!({"name": "bi", "parent": "analysts"})),
    )
    .await;
    c.send_events(&[
        by("bob", "log", "hello"),
        by("alice", "log", "hello"),
        by("alice", "my_log", "a type of the account's own"),
    ])
    .await
    .unwrap();
    let (status, _) = call(
        &s,
        &s.admin_key,
        Method::PUT,
        "/api/v1/groups/bi/members/bob",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Viewer events are debug-level: on for everyone under Verbose, but not for analysts.
    let settings = json!({"default": {"level": "verbose"},
                          "groups": {"analysts": {"level": "custom", "disable": ["viewer-rendered", "my_log"]}},
                          "users": {"alice": {"level": "verbose", "throttle": {"query-start": 60}}}});
    let (status, _) = call(
        &s,
        &s.admin_key,
        Method::PUT,
        "/api/v1/settings/logging",
        Some(settings),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let bad = json!({"users": {"x": {"level": "verbose", "disable": ["log"]}}});
    let (status, body) = call(
        &s,
        &s.admin_key,
        Method::PUT,
        "/api/v1/settings/logging",
        Some(bad),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("users.x"));

    // Within seconds (the settings are cached for three), bob's group stops his viewer events.
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    let sent = c
        .send_events(&[
            by("bob", "viewer-rendered", "b"),
            by("alice", "viewer-rendered", "a"),
        ])
        .await
        .unwrap();
    assert_eq!(sent.accepted, 1);
    assert_eq!(sent.dropped.len(), 1);
    assert_eq!(sent.dropped[0].reason, "disabled");
    let (_, effective) = call(
        &s,
        &s.admin_key,
        Method::GET,
        "/api/v1/logging-settings/effective?user=bob",
        None,
    )
    .await;
    assert_eq!(
        effective["source"],
        json!({"from": "group", "name": "analysts"})
    );
    assert!(effective["disabled_types"]
        .as_array()
        .unwrap()
        .contains(&json!("viewer-rendered")));
    // A page's SDK (an ingest key for no one) learns what to drop, not bob's group.
    let (_, ingest) = s.secret(trail_core::credentials::Scope::Ingest).await;
    let (status, sdk) = call(
        &s,
        &ingest,
        Method::GET,
        "/api/v1/logging-settings/effective?user=bob",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sdk["disabled_types"], effective["disabled_types"]);
    assert!(sdk["disabled_types"]
        .as_array()
        .unwrap()
        .contains(&json!("my_log")));
    assert!(
        sdk.get("source").is_none() && sdk.get("policy").is_none(),
        "{sdk}"
    );
    let (_, read) = s.secret(trail_core::credentials::Scope::Read).await;
    let (status, _) = call(
        &s,
        &read,
        Method::GET,
        "/api/v1/logging-settings/effective?user=bob",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let runs = c
        .send_events(&[
            by("alice", "query-start", "1"),
            by("alice", "query-start", "2"),
            by("alice", "query-start", "3"),
        ])
        .await
        .unwrap();
    assert_eq!((runs.accepted, runs.dropped.len()), (1, 2));
    assert!(runs.dropped.iter().all(|d| d.reason == "throttled"));
    let metrics = reqwest::get(format!("{}/metrics", s.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("trail_events_dropped_total{reason=\"throttled\"} 2"));
}

/// Who may call what. Every endpoint in the OpenAPI document must be listed
/// here, so a new one cannot slip in without a rule.
const RULES: &[(&str, &str, Rule)] = &[
    ("post", "/api/v1/events", Rule::Write),
    ("get", "/api/v1/events", Rule::Read),
    ("get", "/api/v1/events/{id}", Rule::Read),
    ("get", "/api/v1/event-types", Rule::Read),
    ("get", "/api/v1/export", Rule::Read),
    ("get", "/api/v1/entities/{kind}/{id}/activity", Rule::Read),
    ("get", "/api/v1/entities/{kind}/{id}/usage", Rule::SeesAll),
    ("get", "/api/v1/usage/overview", Rule::Usage),
    ("get", "/api/v1/usage/packages", Rule::Usage),
    ("get", "/api/v1/usage/functions", Rule::Usage),
    ("get", "/api/v1/usage/runs", Rule::Usage),
    ("get", "/api/v1/usage/events", Rule::Usage),
    ("get", "/api/v1/usage/errors", Rule::Usage),
    ("get", "/api/v1/usage/errors/{signature}", Rule::Usage),
    ("get", "/api/v1/usage/performance", Rule::Usage),
    ("get", "/api/v1/usage/patterns", Rule::Usage),
    ("get", "/api/v1/usage/history/{kind}/{id}", Rule::Usage),
    ("get", "/api/v1/usage/unused", Rule::Usage),
    ("post", "/api/v1/sessions", Rule::Write),
    ("get", "/api/v1/sessions", Rule::Read),
    ("get", "/api/v1/sessions/{id}", Rule::Read),
    ("post", "/api/v1/sessions/{id}/end", Rule::Write),
    ("get", "/api/v1/settings/redaction", Rule::Admin),
    ("put", "/api/v1/settings/redaction", Rule::Admin),
    ("post", "/api/v1/settings/redaction/preview", Rule::Admin),
    ("get", "/api/v1/settings/visibility", Rule::Admin),
    ("put", "/api/v1/settings/visibility", Rule::Owner),
    ("get", "/api/v1/settings/logging", Rule::Admin),
    ("put", "/api/v1/settings/logging", Rule::Admin),
    ("get", "/api/v1/logging-settings/effective", Rule::Person),
    ("get", "/api/v1/users", Rule::Admin),
    ("post", "/api/v1/users", Rule::Admin),
    ("patch", "/api/v1/users/{login}", Rule::Admin),
    ("get", "/api/v1/groups", Rule::Admin),
    ("post", "/api/v1/groups", Rule::Admin),
    ("put", "/api/v1/groups/{group}/members/{login}", Rule::Admin),
    (
        "delete",
        "/api/v1/groups/{group}/members/{login}",
        Rule::Admin,
    ),
    ("get", "/api/v1/keys", Rule::Admin),
    ("post", "/api/v1/keys", Rule::Admin),
    ("delete", "/api/v1/keys/{id}", Rule::Admin),
    ("post", "/api/v1/auth/sign-in", Rule::Public),
    ("post", "/api/v1/auth/sign-out", Rule::Anyone),
    ("get", "/api/v1/auth/me", Rule::Anyone),
    ("get", "/healthz", Rule::Public),
    ("get", "/readyz", Rule::Public),
    ("get", "/metrics", Rule::Public),
    ("get", "/api/openapi.json", Rule::Public),
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Rule {
    Public,
    /// Any valid credential.
    Anyone,
    /// A credential that acts for a person.
    Person,
    Write,
    Read,
    /// Read, and sees everyone's events.
    SeesAll,
    /// Read, over whole dimensions: members see their own, auditors (whose
    /// grants are searches) nothing.
    Usage,
    Admin,
    Owner,
}

/// The callers of the matrix: (name, may write, may read, sees all, admin, owner, is a person).
const CALLERS: &[(&str, bool, bool, bool, bool, bool, bool)] = &[
    ("ingest key", true, false, false, false, false, false),
    ("read key", false, true, true, false, false, false),
    ("admin key", true, true, true, true, true, false),
    ("member", false, true, false, false, false, true),
    ("auditor", false, true, false, false, false, true),
    ("admin", true, true, true, true, false, true),
    ("owner", true, true, true, true, true, true),
];

async fn every_endpoint_checks_every_role(s: TestServer) {
    let doc: Value = reqwest::get(format!("{}/api/openapi.json", s.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            assert!(
                RULES.iter().any(|(m, p, _)| m == method && p == path),
                "{method} {path} has no permission rule in tests/access.rs"
            );
        }
    }
    let (_, ingest) = s.secret(trail_core::credentials::Scope::Ingest).await;
    let (_, read) = s.secret(trail_core::credentials::Scope::Read).await;
    let mut keys = vec![ingest, read, s.admin_key.clone()];
    for (login, role) in [("m", "member"), ("a", "auditor"), ("ad", "admin")] {
        keys.push(person(&s, login, role).await);
    }
    let (_, owner) = call(
        &s,
        &s.admin_key,
        Method::POST,
        "/api/v1/keys",
        Some(json!({"name": "owner", "scope": "admin", "user": "owner"})),
    )
    .await;
    keys.push(owner["secret"].as_str().unwrap().to_string());
    let other = s.other_account_key().await;
    let event = s
        .client()
        .send_events(&[by("m", "log", "x")])
        .await
        .unwrap()
        .events[0]
        .id;
    let session = s.store.list_sessions(s.account, "m", 1).await.unwrap()[0].id;

    for (method, path, rule) in RULES {
        let id = if path.starts_with("/api/v1/events/") {
            event.to_string()
        } else if path.starts_with("/api/v1/sessions/") {
            session.to_string()
        } else {
            "01900000-0000-7000-8000-000000000000".to_string()
        };
        let path = path
            .replace("{id}", &id)
            .replace("{kind}", "query")
            .replace("{login}", "m")
            .replace("{group}", "nogroup")
            .replace("{signature}", "00ff");
        let method: Method = method.to_uppercase().parse().unwrap();
        for (key, caller) in keys.iter().zip(CALLERS) {
            let (name, write, read, sees_all, admin, owner_, is_person) = *caller;
            let allowed = match rule {
                Rule::Public | Rule::Anyone => true,
                Rule::Person => is_person,
                Rule::Write => write,
                Rule::Read => read,
                Rule::SeesAll => sees_all,
                Rule::Usage => read && name != "auditor",
                Rule::Admin => admin,
                Rule::Owner => owner_,
            };
            let (status, _) = call(&s, key, method.clone(), &path, Some(json!({}))).await;
            if allowed || *rule == Rule::Person {
                assert_ne!(status, StatusCode::FORBIDDEN, "{name}: {method} {path}");
                assert_ne!(status, StatusCode::UNAUTHORIZED, "{name}: {method} {path}");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{name}: {method} {path}");
            }
        }
        if !matches!(rule, Rule::Public) {
            let (status, _) = call(
                &s,
                "trail_not-a-key-at-all-0000000000",
                method.clone(),
                &path,
                None,
            )
            .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "no key: {method} {path}");
        }
        // Another account's admin finds nothing of this one by id.
        if path.contains(&event.to_string()) || path.contains(&session.to_string()) {
            let (status, _) = call(&s, &other, method.clone(), &path, None).await;
            assert!(
                matches!(status, StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST),
                "other account: {method} {path}: {status}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_keys_are_rate_limited_per_address() {
    let s = TestServer::sqlite_with(trail_server::ServerConfig {
        ingest_requests_per_second: 3,
        ..Default::default()
    })
    .await;
    let (_, ingest) = s.secret(trail_core::credentials::Scope::Ingest).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let resp = reqwest::Client::new()
            .post(format!("{}/api/v1/events", s.url))
            .bearer_auth(&ingest)
            .header("origin", "https://shop.example")
            .json(&json!({"type": "log"}))
            .send()
            .await
            .unwrap();
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(resp.headers().contains_key("retry-after"));
            // A page's SDK on another origin may read it.
            let exposed = &resp.headers()["access-control-expose-headers"];
            assert!(
                exposed.to_str().unwrap().contains("retry-after"),
                "{exposed:?}"
            );
        }
        statuses.push(resp.status());
    }
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!((1..=3).contains(&limited), "{statuses:?}");
    // Account admin keys (servers sending in bulk) are not limited.
    for _ in 0..6 {
        s.client().send_event(&by("a", "log", "x")).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_elsewhere_may_send_with_a_key_but_never_with_cookies() {
    let s = TestServer::sqlite().await;
    let preflight = reqwest::Client::new()
        .request(Method::OPTIONS, format!("{}/api/v1/events", s.url))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(!h.contains_key("access-control-allow-credentials"));
}

async fn bad_settings_and_people_are_refused_by_name(s: TestServer) {
    let cases = [
        (
            Method::PUT,
            "/api/v1/settings/visibility",
            json!({"owner_only": ["usr:owner"]}),
            "owner_only",
        ),
        (
            Method::PUT,
            "/api/v1/settings/visibility",
            json!({"grants": {"a": {"query": "x", "untill": 1}}}),
            "untill",
        ),
        (
            Method::POST,
            "/api/v1/keys",
            json!({"name": "k", "scope": "ingest", "allowed_ips": ["10.0.0.0/99"]}),
            "allowed_ips",
        ),
        (
            Method::POST,
            "/api/v1/keys",
            json!({"name": "k", "scope": "god"}),
            "scope",
        ),
        (
            Method::POST,
            "/api/v1/keys",
            json!({"name": "k", "scope": "read", "expires_at": "2001-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (
            Method::POST,
            "/api/v1/users",
            json!({"login": "zoe", "role": "member", "password": "short"}),
            "at least 12",
        ),
        (
            Method::POST,
            "/api/v1/users",
            json!({"login": "zoe", "role": "member", "shoe": 1}),
            "shoe",
        ),
        (
            Method::POST,
            "/api/v1/users",
            json!({"login": " ", "role": "member"}),
            "login",
        ),
        (
            Method::POST,
            "/api/v1/groups",
            json!({"name": "g", "parent": "nowhere"}),
            "nowhere",
        ),
        (
            Method::POST,
            "/api/v1/auth/sign-in",
            json!({"login": "x"}),
            "password",
        ),
    ];
    for (method, path, body, needle) in cases {
        let (status, answer) =
            call(&s, &s.admin_key, method.clone(), path, Some(body.clone())).await;
        assert!(status.is_client_error(), "{method} {path} {body}: {status}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(needle),
            "{method} {path} {body}: {message}"
        );
    }
    // Nothing of them was written.
    let (_, rules) = call(
        &s,
        &s.admin_key,
        Method::GET,
        "/api/v1/settings/visibility",
        None,
    )
    .await;
    assert_eq!(rules, json!({"owner_only": [], "grants": {}}));
    let (_, people) = call(&s, &s.admin_key, Method::GET, "/api/v1/users", None).await;
    assert!(!people
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["login"] == "zoe"));
    let (_, keys) = call(&s, &s.admin_key, Method::GET, "/api/v1/keys", None).await;
    assert_eq!(keys.as_array().unwrap().len(), 1, "only the bootstrap key");
    let (_, groups) = call(&s, &s.admin_key, Method::GET, "/api/v1/groups", None).await;
    assert_eq!(groups, json!([]));
}
