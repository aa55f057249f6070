//! The behaviour every backend must show. Each backend's tests call
//! `conformance_tests!(<async expression giving a fresh Arc<dyn Store>>)`, which
//! makes one test per function below.

use std::sync::Arc;

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use trail_core::credentials::{hash_api_key, Scope};
use trail_core::input::truncate_micros;
use trail_core::{Actor, ActorKind, InputContext, Limits, NewEvent, Source};
use uuid::Uuid;

use crate::search::Cursor;
use crate::{
    AppendOutcome, AppendRequest, Membership, NewApiKey, NewSession, NewUser, NewWebSession, Role,
    Store, StoreError, User, UserChange,
};

#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            accounts_and_keys, append_round_trips_every_field, sequence_is_gap_free_per_account,
            retries_are_idempotent, conflicting_retry_stores_nothing_of_its_request,
            duplicate_ids_within_one_request, types_and_parameters_register_on_first_use,
            sessions_start_list_end, user_events_join_a_session, accounts_are_isolated,
            recent_events_page_newest_first, groups_nest, raw_bulk_load_writes_rows,
            sessions_join_within_the_window, search_answers_the_seeds_questions,
            search_pages_with_cursors, entity_activity_and_usage,
            free_text_finds_rare_and_common_text, users_list_update_and_sign_in,
            failed_sign_ins_at_once_all_count,
            memberships_walk_nested_groups, groups_list_and_remove_members,
            web_sessions_expire_and_end, api_keys_keep_person_and_addresses,
            people_stay_in_their_account);
        $crate::conformance_tests!(@each $make; conformance_usage;
            rollups_equal_a_count_of_the_events, rollups_rebuilt_from_events_are_the_same,
            errors_keep_their_sessions_and_sessions_are_counted,
            sessions_are_counted_per_hour_as_they_start);
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $crate::conformance_tests!(@each $make; conformance; $($name),*);
    };
    (@each $make:expr; $module:ident; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store: std::sync::Arc<dyn $crate::Store> = $make.await;
                $crate::$module::$name(store).await;
            }
        )*
    };
}

fn ctx() -> InputContext {
    InputContext {
        now: truncate_micros(Utc::now()),
        default_actor: Actor {
            kind: ActorKind::ApiKey,
            id: "test-key".into(),
            name: None,
            email: None,
        },
        default_source: Source::Server,
        peer_ip: None,
        user_agent: None,
        limits: Limits::default(),
        redactor: trail_core::redact::Redactor::defaults(),
    }
}

/// Parses a JSON item as the server would.
pub fn event(item: Value) -> NewEvent {
    ctx().parse(0, item).expect("test events are valid")
}

async fn append_one(store: &Arc<dyn Store>, account: Uuid, events: Vec<NewEvent>) -> AppendOutcome {
    let mut out = store
        .append(&[AppendRequest { account, events }])
        .await
        .expect("append");
    out.remove(0)
}

fn seqs(outcome: &AppendOutcome) -> Vec<i64> {
    match outcome {
        AppendOutcome::Stored(items) => items.iter().map(|a| a.seq).collect(),
        AppendOutcome::Conflict(ids) => panic!("unexpected conflict on {ids:?}"),
    }
}

pub async fn accounts_and_keys(store: Arc<dyn Store>) {
    let a = store.create_account("acme").await.unwrap();
    let b = store.create_account("globex").await.unwrap();
    let key = |name: &str, secret: &str| NewApiKey {
        name: name.into(),
        scope: Scope::Ingest,
        user_id: None,
        allowed_ips: Vec::new(),
        secret_hash: hash_api_key(secret),
        prefix: secret[..6].into(),
        expires_at: None,
    };
    let k = store
        .create_api_key(a.id, key("ci", "secret-a-0123456789abcdef"))
        .await
        .unwrap();
    store
        .create_api_key(b.id, key("other", "secret-b-0123456789abcdef"))
        .await
        .unwrap();
    let found = store
        .find_api_key(&hash_api_key("secret-a-0123456789abcdef"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.id, found.account_id, found.scope),
        (k.id, a.id, Scope::Ingest)
    );
    assert!(found.is_active(Utc::now()));
    assert!(store
        .find_api_key(&hash_api_key("nope"))
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.list_api_keys(a.id).await.unwrap().len(), 1);
    assert!(
        !store.revoke_api_key(b.id, k.id, Utc::now()).await.unwrap(),
        "another account's key"
    );
    store.touch_api_key(a.id, k.id, Utc::now()).await.unwrap();
    assert!(store.revoke_api_key(a.id, k.id, Utc::now()).await.unwrap());
    let found = store
        .find_api_key(&hash_api_key("secret-a-0123456789abcdef"))
        .await
        .unwrap()
        .unwrap();
    assert!(!found.is_active(Utc::now()));
    assert!(found.last_used_at.is_some());
    let names: Vec<String> = store
        .list_accounts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["acme", "globex"]);
    let owner = NewUser {
        login: "owner".into(),
        name: None,
        email: None,
        role: Role::Owner,
        password_hash: None,
    };
    store.create_user(a.id, owner.clone()).await.unwrap();
    assert!(matches!(
        store.create_user(a.id, owner.clone()).await,
        Err(crate::StoreError::AlreadyExists(_))
    ));
    store
        .create_user(b.id, owner)
        .await
        .expect("logins are unique per account only");
    assert_eq!(
        store.find_user(a.id, "owner").await.unwrap().unwrap().role,
        Role::Owner
    );
}

fn full_event() -> Value {
    json!({
        "id": Uuid::now_v7().to_string(),
        "type": "notebook-edited",
        "occurred_at": "2024-06-12T14:30:22.123456Z",
        "actor": {"kind": "user", "id": "alice@company.com", "name": "Alice", "email": "alice@company.com"},
        "source": "client",
        "resource": {"id": "nb-7", "name": "Sales Analysis Q2"},
        "package": "PowerPack",
        "status": "success",
        "duration_ms": 245,
        "ip": "192.168.1.100",
        "user_agent": "Mozilla/5.0",
        "request_id": "req-1.2",
        "operation_id": "op-9",
        "message": "Notebook created with 5 cells",
        "params": {"cells": 5, "title": "Q2", "public": false, "dataset": "0191b3a4-1c2d-7e3f-8a4b-5c6d7e8f9a0b", "tags": ["a", "b"]},
        "changes": {"before": {"title": "Report", "visibility": "private"}, "after": {"title": "Q2 Sales Report", "visibility": "shared"}},
        "error": {"message": "cell 3 failed", "stack_trace": "at run (nb.js:10:2)"}
    })
}

pub async fn append_round_trips_every_field(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let mut item = full_event();
    // Numbers that a lossy JSON column would rewrite must come back as sent.
    let odd_numbers = json!([-0.0, 1e16, 12345678901234567890u64, 0.1]);
    item["changes"]["before"]["odd_numbers"] = odd_numbers.clone();
    item["changes"]["after"]["odd_numbers"] = odd_numbers;
    let sent = event(item);
    let outcome = append_one(&store, account, vec![sent.clone()]).await;
    assert_eq!(seqs(&outcome), [1]);
    let got = store
        .get_event(account, sent.id)
        .await
        .unwrap()
        .expect("stored event");
    assert_eq!(got.seq, 1);
    assert_eq!(got.account_id, account);
    assert!(
        got.body.session_id.is_some(),
        "a user's event is joined to a session"
    );
    let mut expected = sent.clone();
    expected.session_id = got.body.session_id;
    assert_eq!(got.body, expected);
    assert_eq!(
        got.hash,
        got.recompute_hash(),
        "hash covers the stored fields"
    );
    let changed: Vec<String> = got
        .body
        .changes
        .unwrap()
        .changed
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(changed[0], "title: \"Report\" → \"Q2 Sales Report\"");
    assert!((Utc::now() - got.received_at).num_seconds() < 60);
}

pub async fn sequence_is_gap_free_per_account(store: Arc<dyn Store>) {
    let a = store.create_account("a").await.unwrap().id;
    let b = store.create_account("b").await.unwrap().id;
    let batch = |n: usize| {
        (0..n)
            .map(|_| event(json!({"type": "log"})))
            .collect::<Vec<_>>()
    };
    let out = store
        .append(&[
            AppendRequest {
                account: a,
                events: batch(3),
            },
            AppendRequest {
                account: b,
                events: batch(2),
            },
            AppendRequest {
                account: a,
                events: batch(2),
            },
        ])
        .await
        .unwrap();
    assert_eq!(seqs(&out[0]), [1, 2, 3]);
    assert_eq!(seqs(&out[1]), [1, 2]);
    assert_eq!(seqs(&out[2]), [4, 5]);
    assert_eq!(seqs(&append_one(&store, a, batch(1)).await), [6]);
    assert_eq!(store.event_count(a).await.unwrap(), 6);
}

pub async fn retries_are_idempotent(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let item = full_event();
    let first = append_one(&store, account, vec![event(item.clone())]).await;
    let again = append_one(&store, account, vec![event(item)]).await;
    match (first, again) {
        (AppendOutcome::Stored(a), AppendOutcome::Stored(b)) => {
            assert_eq!((a[0].seq, a[0].duplicate), (1, false));
            assert_eq!((b[0].seq, b[0].duplicate, b[0].id), (1, true, a[0].id));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(store.event_count(account).await.unwrap(), 1);
}

pub async fn conflicting_retry_stores_nothing_of_its_request(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let mut item = full_event();
    append_one(&store, account, vec![event(item.clone())]).await;
    item["message"] = json!("something else");
    let conflicting = event(item);
    let innocent = event(json!({"type": "log"}));
    let other_request = event(json!({"type": "log"}));
    let out = store
        .append(&[
            AppendRequest {
                account,
                events: vec![innocent.clone(), conflicting.clone()],
            },
            AppendRequest {
                account,
                events: vec![other_request.clone()],
            },
        ])
        .await
        .unwrap();
    assert_eq!(out[0], AppendOutcome::Conflict(vec![conflicting.id]));
    assert_eq!(
        seqs(&out[1]),
        [2],
        "other requests in the batch commit, without a gap"
    );
    assert!(store
        .get_event(account, innocent.id)
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.event_count(account).await.unwrap(), 2);
}

pub async fn duplicate_ids_within_one_request(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let e = event(json!({"id": Uuid::now_v7().to_string(), "type": "log"}));
    let out = append_one(&store, account, vec![e.clone(), e.clone()]).await;
    match out {
        AppendOutcome::Stored(items) => {
            assert_eq!(
                items
                    .iter()
                    .map(|a| (a.seq, a.duplicate))
                    .collect::<Vec<_>>(),
                [(1, false), (1, true)]
            );
        }
        other => panic!("{other:?}"),
    }
}

pub async fn types_and_parameters_register_on_first_use(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let builtin = store.event_types(account).await.unwrap();
    assert_eq!(
        builtin.len(),
        47,
        "every account starts with the seed's catalogue"
    );
    let qs = builtin.iter().find(|t| t.name == "query-start").unwrap();
    assert_eq!(
        (qs.resource_kind.as_deref(), qs.action.as_str(), qs.builtin),
        (Some("query"), "executed", true)
    );
    let e = event(json!({"type": "my_log", "params": {"rows": 10, "who": "x"}}));
    append_one(&store, account, vec![e]).await;
    append_one(
        &store,
        account,
        vec![event(
            json!({"type": "my_log", "params": {"rows": "ten", "extra": true}}),
        )],
    )
    .await;
    let types = store.event_types(account).await.unwrap();
    let mine = types
        .iter()
        .find(|t| t.name == "my_log")
        .expect("custom type registered");
    assert!(!mine.builtin);
    assert_eq!(
        (mine.action.as_str(), mine.level.as_str()),
        ("logged", "info")
    );
    let params: Vec<(&str, &str)> = mine
        .parameters
        .iter()
        .map(|p| (p.name.as_str(), p.data_type.as_str()))
        .collect();
    assert_eq!(
        params,
        [("extra", "bool"), ("rows", "number"), ("who", "string")],
        "declared on first use"
    );
    let other = store.create_account("other").await.unwrap().id;
    assert!(store
        .event_types(other)
        .await
        .unwrap()
        .iter()
        .all(|t| t.name != "my_log"));
}

/// The session a stored event was joined to.
async fn session_of(store: &Arc<dyn Store>, account: Uuid, id: Uuid) -> Option<Uuid> {
    store
        .get_event(account, id)
        .await
        .unwrap()
        .unwrap()
        .body
        .session_id
}

pub(crate) fn alice() -> Actor {
    Actor {
        kind: ActorKind::User,
        id: "alice".into(),
        name: Some("Alice".into()),
        email: Some("alice@company.com".into()),
    }
}

pub async fn sessions_start_list_end(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let started = truncate_micros(Utc::now() - Duration::minutes(5));
    let new = |client: &str| NewSession {
        user: alice(),
        started,
        ip: Some("10.1.2.3".into()),
        user_agent: Some("Firefox".into()),
        client: Some(client.into()),
    };
    let s1 = store.start_session(account, new("browser")).await.unwrap();
    let s2 = store.start_session(account, new("cli")).await.unwrap();
    assert_eq!(s1.user_login, "alice");
    assert_eq!(s1.user_id, s2.user_id, "one user row per login");
    let user = store.find_user(account, "alice").await.unwrap().unwrap();
    assert_eq!(
        (user.role, user.email.as_deref()),
        (Role::Member, Some("alice@company.com"))
    );
    let ended = store
        .end_session(account, s1.id, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert!(ended.ended.is_some());
    assert_eq!(
        store
            .get_session(account, s1.id)
            .await
            .unwrap()
            .unwrap()
            .ended,
        ended.ended
    );
    let listed = store.list_sessions(account, "alice", 10).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(store
        .list_sessions(account, "bob", 10)
        .await
        .unwrap()
        .is_empty());
    let unknown = Uuid::now_v7();
    assert_eq!(
        store
            .missing_sessions(account, &[s1.id, unknown])
            .await
            .unwrap(),
        [unknown]
    );
}

pub async fn user_events_join_a_session(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let open = store
        .start_session(
            account,
            NewSession {
                user: alice(),
                started: truncate_micros(Utc::now()),
                ip: None,
                user_agent: None,
                client: None,
            },
        )
        .await
        .unwrap();
    let by_alice = event(json!({"type": "log", "actor": {"kind": "user", "id": "alice"}}));
    let by_bob =
        event(json!({"type": "log", "actor": {"kind": "user", "id": "bob"}, "ip": "10.0.0.1"}));
    let bob_again = event(json!({"type": "log", "actor": {"kind": "user", "id": "bob"}}));
    let by_key = event(json!({"type": "log"}));
    append_one(
        &store,
        account,
        vec![
            by_alice.clone(),
            by_bob.clone(),
            bob_again.clone(),
            by_key.clone(),
        ],
    )
    .await;
    let session_of = |id| session_of(&store, account, id);
    assert_eq!(
        session_of(by_alice.id).await,
        Some(open.id),
        "joined to the open session"
    );
    let bobs = session_of(by_bob.id)
        .await
        .expect("a session was started for bob");
    assert_eq!(session_of(bob_again.id).await, Some(bobs), "and reused");
    let s = store.get_session(account, bobs).await.unwrap().unwrap();
    assert_eq!(
        (s.user_login.as_str(), s.ip.as_deref()),
        ("bob", Some("10.0.0.1"))
    );
    assert_eq!(
        session_of(by_key.id).await,
        None,
        "API keys have no sessions"
    );
}

pub async fn accounts_are_isolated(store: Arc<dyn Store>) {
    let a = store.create_account("a").await.unwrap().id;
    let b = store.create_account("b").await.unwrap().id;
    let e = event(full_event());
    append_one(&store, a, vec![e.clone()]).await;
    assert!(store.get_event(b, e.id).await.unwrap().is_none());
    assert!(store.recent_events(b, None, 10).await.unwrap().is_empty());
    let session = store
        .get_event(a, e.id)
        .await
        .unwrap()
        .unwrap()
        .body
        .session_id
        .unwrap();
    assert!(store.get_session(b, session).await.unwrap().is_none());
    assert!(store
        .end_session(b, session, Utc::now())
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store.missing_sessions(b, &[session]).await.unwrap(),
        [session]
    );
    // The same id in another account is another event, not a conflict.
    let mut other = e.clone();
    other.message = Some("b's own".into());
    assert_eq!(seqs(&append_one(&store, b, vec![other]).await), [1]);
}

pub async fn recent_events_page_newest_first(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let events: Vec<NewEvent> = (0..5)
        .map(|i| event(json!({"type": "log", "message": format!("m{i}")})))
        .collect();
    append_one(&store, account, events).await;
    let page = store.recent_events(account, None, 2).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [5, 4]);
    let next = store.recent_events(account, Some(4), 10).await.unwrap();
    assert_eq!(next.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 2, 1]);
    assert!(next.iter().all(|e| e.hash == e.recompute_hash()));
}

pub async fn groups_nest(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let data = store
        .create_group(account, "data-team", None)
        .await
        .unwrap();
    let bi = store
        .create_group(account, "bi", Some(data.id))
        .await
        .unwrap();
    assert_eq!(bi.parent, Some(data.id));
    let u = store
        .create_user(
            account,
            NewUser {
                login: "carol".into(),
                name: None,
                email: None,
                role: Role::Member,
                password_hash: None,
            },
        )
        .await
        .unwrap();
    store.add_group_member(account, bi.id, u.id).await.unwrap();
    assert!(
        store
            .create_group(account, "data-team", None)
            .await
            .is_err(),
        "names are unique"
    );
    let other = store.create_account("other").await.unwrap().id;
    assert!(
        store.create_group(other, "x", Some(data.id)).await.is_err(),
        "parent from another account"
    );
}

pub async fn raw_bulk_load_writes_rows(store: Arc<dyn Store>) {
    let events: Vec<NewEvent> = (0..100).map(|_| event(full_event())).collect();
    store.raw_bulk_load(&events).await.unwrap();
    store.raw_bulk_load(&events).await.expect("repeatable");
}

pub async fn sessions_join_within_the_window(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let at = |hours_ago: i64| {
        let t = Utc::now() - Duration::hours(hours_ago);
        event(
            json!({"type": "log", "actor": {"kind": "user", "id": "dana"}, "occurred_at": t.to_rfc3339()}),
        )
    };
    let (first, soon_after, next_day) = (at(48), at(47), at(20));
    append_one(&store, account, vec![first.clone()]).await;
    append_one(&store, account, vec![soon_after.clone()]).await;
    append_one(&store, account, vec![next_day.clone()]).await;
    let store_ref = &store;
    let session = |id| async move { session_of(store_ref, account, id).await.unwrap() };
    let s1 = session(first.id).await;
    assert_eq!(
        session(soon_after.id).await,
        s1,
        "an hour later: the same session"
    );
    assert_ne!(
        session(next_day.id).await,
        s1,
        "more than 12 hours later: a new session"
    );
    let started = store
        .get_session(account, s1)
        .await
        .unwrap()
        .unwrap()
        .started;
    assert_eq!(
        started, first.occurred_at,
        "an implicit session starts with its first event"
    );
}

/// Seven events a reviewer can follow: who did what, when.
async fn search_fixture(store: &Arc<dyn Store>) -> (Uuid, Vec<NewEvent>) {
    let account = store.create_account("acme").await.unwrap().id;
    let ago = |h: i64| (Utc::now() - Duration::hours(h)).to_rfc3339();
    let person = |login: &str, name: &str| json!({"kind": "user", "id": login, "name": name, "email": login});
    let (alice, bob, carol) = (
        person("alice@company.com", "Alice"),
        person("bob@company.com", "Bob"),
        person("carol@company.com", "Carol"),
    );
    let items = vec![
        json!({"type": "notebook-created", "actor": alice, "occurred_at": ago(1), "resource": {"id": "nb1", "name": "Sales Analysis Q2"},
               "ip": "192.168.1.100", "duration_ms": 245, "package": "Charts"}),
        json!({"type": "connection-edited", "actor": bob, "occurred_at": ago(2), "resource": {"kind": "database", "id": "db1", "name": "sales database"},
               "ip": "192.168.1.101", "duration_ms": 1200, "params": {"rows": 10},
               "changes": {"before": {"title": "Report"}, "after": {"title": "Q2 Sales Report"}}}),
        json!({"type": "connection-edited", "actor": alice, "occurred_at": ago(72), "resource": {"kind": "database", "id": "db2", "name": "orders db"}}),
        json!({"type": "connection-edited", "actor": alice, "occurred_at": ago(48), "resource": {"kind": "database", "id": "db2", "name": "orders db"},
               "duration_ms": 30000, "error": {"message": "database connection timeout"}}),
        json!({"type": "log", "occurred_at": ago(240), "message": "nightly sync finished", "ip": "10.0.0.7"}),
        json!({"type": "query-start", "actor": carol, "occurred_at": ago(960), "resource": {"id": "q1", "name": "Top 10 Customers"},
               "duration_ms": 1200, "params": {"rows": 10, "region": "EU"}, "request_id": "req-1"}),
        json!({"type": "entity-shared", "actor": bob, "occurred_at": ago(5), "resource": {"id": "d1", "name": "Public Dashboard"},
               "request_id": "req-1.2"}),
    ];
    let events: Vec<NewEvent> = items.into_iter().map(event).collect();
    append_one(store, account, events.clone()).await;
    let team = store
        .create_group(account, "data-team", None)
        .await
        .unwrap();
    let bi = store
        .create_group(account, "bi", Some(team.id))
        .await
        .unwrap();
    for (group, login) in [(bi.id, "bob@company.com"), (team.id, "carol@company.com")] {
        let user = store.find_user(account, login).await.unwrap().unwrap();
        store
            .add_group_member(account, group, user.id)
            .await
            .unwrap();
    }
    (account, events)
}

async fn search_ids(store: &Arc<dyn Store>, account: Uuid, q: &str) -> Vec<Uuid> {
    let filter = trail_core::query::Query::parse(q)
        .unwrap()
        .resolve(&trail_core::query::Viewer {
            now: Utc::now(),
            tz: &Utc,
            login: Some("carol@company.com"),
        })
        .unwrap();
    let req = crate::search::SearchRequest {
        filter,
        after: None,
        limit: 100,
        params: true,
    };
    let page = store.search(account, &req).await.unwrap();
    // Without parameters: the same events, only without them.
    let bare = crate::search::SearchRequest {
        params: false,
        ..req
    };
    let mut stripped = page.events.clone();
    stripped.iter_mut().for_each(|e| e.body.params.clear());
    let bare = store.search(account, &bare).await.unwrap().events;
    assert_eq!(bare, stripped, "{q}");
    page.events.iter().map(|e| e.body.id).collect()
}

pub async fn search_answers_the_seeds_questions(store: Arc<dyn Store>) {
    let (account, e) = search_fixture(&store).await;
    let ids = |idx: &[usize]| idx.iter().map(|i| e[*i].id).collect::<Vec<_>>();
    let cases: &[(&str, &[usize])] = &[
        ("", &[0, 1, 6, 3, 2, 4, 5]),
        (
            "user:alice@company.com action:updated resource:database date:7d status:success",
            &[2],
        ),
        ("user:alice", &[0, 3, 2]),
        ("user:Alice", &[0, 3, 2]),
        ("user:me", &[5]),
        ("-user:alice", &[1, 6, 4, 5]),
        ("action:created,shared", &[0, 6]),
        ("action:promoted", &[]),
        ("resource:databases", &[1, 3, 2]),
        ("resource:sales", &[0, 1]),
        ("\"sales database\"", &[1]),
        ("kind:notebook", &[0]),
        ("type:query-start", &[5]),
        ("ip:192.168.1", &[0, 1]),
        ("ip:192.168.1.100", &[0]),
        ("ip:10.0", &[4]),
        ("192.168.1.10", &[0, 1]),
        ("duration:>1s", &[1, 3, 5]),
        ("duration:<=245", &[0]),
        ("param.rows:10", &[1, 5]),
        ("param.region:EU,US", &[5]),
        ("group:data-team", &[1, 6, 5]),
        ("group:bi", &[1, 6]),
        ("actor:api_key", &[4]),
        ("status:failed", &[3]),
        ("timeout", &[3]),
        ("nightly", &[4]),
        ("request:req-1", &[6, 5]),
        ("date:7d", &[0, 1, 6, 3, 2]),
        ("-package:Charts date:1d", &[1, 6]),
        ("%", &[]),
        ("Q2", &[0]),
        ("eu", &[5]),
        ("SALES ANALYSIS", &[0]),
        ("db1", &[]),
    ];
    for (q, expected) in cases {
        assert_eq!(
            search_ids(&store, account, q).await,
            ids(expected),
            "query {q:?}"
        );
    }
}

pub async fn search_pages_with_cursors(store: Arc<dyn Store>) {
    let (account, e) = search_fixture(&store).await;
    let everything = trail_core::query::Filter::default();
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let req = crate::search::SearchRequest {
            filter: everything.clone(),
            after,
            limit: 2,
            params: true,
        };
        let page = store.search(account, &req).await.unwrap();
        pages.push(page.events.iter().map(|x| x.body.id).collect::<Vec<_>>());
        if pages.len() == 1 {
            // A new event arriving while someone scrolls does not shift later pages.
            append_one(&store, account, vec![event(json!({"type": "log"}))]).await;
        }
        match page.next {
            Some(c) => after = Some(crate::search::Cursor::decode(&c.encode()).unwrap()),
            None => break,
        }
    }
    let order = [0, 1, 6, 3, 2, 4, 5].map(|i| e[i].id);
    assert_eq!(pages.concat(), order);
    assert_eq!(pages.len(), 4);
    let other = store.create_account("other").await.unwrap().id;
    let req = crate::search::SearchRequest {
        filter: everything,
        after,
        limit: 10,
        params: true,
    };
    assert!(
        store.search(other, &req).await.unwrap().events.is_empty(),
        "a cursor never reaches another account"
    );
}

pub async fn entity_activity_and_usage(store: Arc<dyn Store>) {
    let (account, e) = search_fixture(&store).await;
    assert_eq!(
        search_ids(&store, account, "kind:database resource.id:db2").await,
        [e[3].id, e[2].id]
    );
    let now = Utc::now();
    let usage_of = |account: Uuid, kind: &str, id: &str, since: Duration, tz: chrono_tz::Tz| {
        let (store, request) = (
            store.clone(),
            crate::usage::UsageRequest {
                kind: kind.into(),
                id: id.into(),
                from: now - since,
                to: now + Duration::seconds(1),
                tz,
            },
        );
        async move { store.entity_usage(account, &request).await.unwrap() }
    };
    let usage = usage_of(
        account,
        "database",
        "db2",
        Duration::days(7),
        chrono_tz::UTC,
    )
    .await;
    assert_eq!((usage.events, usage.failures, usage.users), (2, 1, 1));
    assert_eq!(usage.per_day.iter().map(|d| d.events).sum::<i64>(), 2);
    assert!(
        usage.per_day.windows(2).all(|w| w[0].day < w[1].day),
        "oldest day first"
    );
    assert_eq!(usage.top_users[0].label, "alice@company.com");
    assert_eq!(
        (
            usage.top_actions[0].label.as_str(),
            usage.top_actions[0].events
        ),
        ("updated", 2)
    );
    let nothing = usage_of(
        account,
        "database",
        "db2",
        Duration::hours(1),
        chrono_tz::UTC,
    )
    .await;
    assert_eq!(
        (nothing.events, nothing.users, nothing.per_day.len()),
        (0, 0, 0)
    );
    let other = store.create_account("other").await.unwrap().id;
    let theirs = usage_of(other, "database", "db2", Duration::days(7), chrono_tz::UTC).await;
    assert_eq!(theirs.events, 0);

    // 23:30 yesterday in UTC is already today in Tokyo.
    let today = now.date_naive();
    let late = today
        .pred_opt()
        .unwrap()
        .and_hms_opt(23, 30, 0)
        .unwrap()
        .and_utc();
    append_one(
        &store,
        account,
        vec![event(
            json!({"type": "job-edited", "occurred_at": late.to_rfc3339(),
        "resource": {"id": "etl", "name": "Daily ETL"}}),
        )],
    )
    .await;
    let days = |tz| async move {
        let usage = usage_of(account, "job", "etl", Duration::days(7), tz).await;
        usage.per_day.iter().map(|d| d.day).collect::<Vec<_>>()
    };
    assert_eq!(days(chrono_tz::UTC).await, [today.pred_opt().unwrap()]);
    assert_eq!(days(chrono_tz::Asia::Tokyo).await, [today]);
}

/// Free text is found however rare or common it is, and however old: among
/// thousands of newer events, and on every page.
pub async fn free_text_finds_rare_and_common_text(store: Arc<dyn Store>) {
    let account = store.create_account("haystack").await.unwrap().id;
    let now = Utc::now();
    let at = |secs: i64| (now - Duration::seconds(secs)).to_rfc3339();
    let needle = |secs: i64| {
        event(
            json!({"type": "log", "occurred_at": at(secs), "message": "Needle found", "ip": "10.9.8.7"}),
        )
    };
    let needles = vec![needle(10), needle(6_000), needle(864_000)];
    append_one(&store, account, needles.clone()).await;
    for chunk in 0..6 {
        let hay = (0..1_000)
            .map(|i| event(json!({"type": "log", "occurred_at": at(chunk * 1_000 + i), "message": "heartbeat"})))
            .collect();
        append_one(&store, account, hay).await;
    }
    let page = |q: &str, after, limit| {
        let filter = trail_core::query::Query::parse(q)
            .unwrap()
            .resolve(&trail_core::query::Viewer {
                now,
                tz: &Utc,
                login: None,
            })
            .unwrap();
        let store = store.clone();
        async move {
            let req = crate::search::SearchRequest {
                filter,
                after,
                limit,
                params: true,
            };
            store.search(account, &req).await.unwrap()
        }
    };
    let first = page("needle", None, 2).await;
    let second = page("needle", first.next, 2).await;
    let found: Vec<Uuid> = first
        .events
        .iter()
        .chain(&second.events)
        .map(|e| e.body.id)
        .collect();
    assert_eq!(found, needles.iter().map(|e| e.id).collect::<Vec<_>>());
    assert!(second.next.is_none());
    let common = page("heartbeat", None, 50).await;
    assert_eq!(common.events.len(), 50);
    assert!(common
        .events
        .windows(2)
        .all(|w| Cursor::of(&w[0]) > Cursor::of(&w[1])));
    assert_eq!(page("-heartbeat", None, 10).await.events.len(), 3);
    assert_eq!(page("ip:10.9.8", None, 10).await.events.len(), 3);
    assert_eq!(page("ip:10.9.8.7", None, 10).await.events.len(), 3);
    assert_eq!(page("ip:10.9.8.70", None, 10).await.events.len(), 0);
}

fn person(login: &str, role: Role) -> NewUser {
    NewUser {
        login: login.into(),
        name: None,
        email: None,
        role,
        password_hash: None,
    }
}

async fn add_person(store: &Arc<dyn Store>, account: Uuid, login: &str) -> User {
    store
        .create_user(account, person(login, Role::Member))
        .await
        .unwrap()
}

pub async fn users_list_update_and_sign_in(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let other = store.create_account("globex").await.unwrap().id;
    let bob = add_person(&store, account, "bob").await;
    let alice = store
        .create_user(
            account,
            NewUser {
                login: "alice".into(),
                name: Some("Alice".into()),
                email: Some("alice@acme.test".into()),
                role: Role::Owner,
                password_hash: Some("$argon2id$first".into()),
            },
        )
        .await
        .unwrap();
    add_person(&store, other, "carol").await;

    let listed = store.list_users(account).await.unwrap();
    assert_eq!(listed, [alice.clone(), bob.clone()], "by login");
    assert_eq!(
        store.get_user(account, bob.id).await.unwrap(),
        Some(bob.clone())
    );
    assert_eq!(store.get_user(account, Uuid::now_v7()).await.unwrap(), None);

    // None leaves a field as it is.
    let changed = store
        .update_user(
            account,
            alice.id,
            UserChange {
                role: Some(Role::Admin),
                name: Some("Alice A.".into()),
                ..UserChange::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        changed,
        User {
            role: Role::Admin,
            name: Some("Alice A.".into()),
            ..alice.clone()
        }
    );
    assert_eq!(
        store.get_user(account, alice.id).await.unwrap(),
        Some(changed.clone())
    );
    let creds = store.credentials(account, "alice").await.unwrap().unwrap();
    assert_eq!(creds.user, changed);
    assert_eq!(creds.password_hash.as_deref(), Some("$argon2id$first"));
    assert_eq!((creds.failed_sign_ins, creds.locked_until), (0, None));

    let nothing = store
        .update_user(account, alice.id, UserChange::default())
        .await
        .unwrap();
    assert_eq!(nothing, changed, "an empty change changes nothing");
    store
        .update_user(
            account,
            alice.id,
            UserChange {
                email: Some("a@acme.test".into()),
                password_hash: Some("$argon2id$second".into()),
                ..UserChange::default()
            },
        )
        .await
        .unwrap();
    let creds = store.credentials(account, "alice").await.unwrap().unwrap();
    assert_eq!(
        (
            creds.user.role,
            creds.user.name.as_deref(),
            creds.user.email.as_deref(),
            creds.password_hash.as_deref()
        ),
        (
            Role::Admin,
            Some("Alice A."),
            Some("a@acme.test"),
            Some("$argon2id$second")
        )
    );

    let locked = truncate_micros(Utc::now() + Duration::minutes(15));
    store
        .record_sign_in(account, alice.id, 5, Some(locked))
        .await
        .unwrap();
    let creds = store.credentials(account, "alice").await.unwrap().unwrap();
    assert_eq!(
        (creds.failed_sign_ins, creds.locked_until),
        (5, Some(locked))
    );
    store
        .record_sign_in(account, alice.id, 0, None)
        .await
        .unwrap();
    let creds = store.credentials(account, "alice").await.unwrap().unwrap();
    assert_eq!((creds.failed_sign_ins, creds.locked_until), (0, None));
    let bob_creds = store.credentials(account, "bob").await.unwrap().unwrap();
    assert_eq!(
        (bob_creds.password_hash, bob_creds.failed_sign_ins),
        (None, 0)
    );
    assert!(store
        .credentials(account, "nobody")
        .await
        .unwrap()
        .is_none());

    let missing = Uuid::now_v7();
    assert!(matches!(
        store
            .update_user(account, missing, UserChange::default())
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.record_sign_in(account, missing, 1, None).await,
        Err(StoreError::NotFound(_))
    ));
}

/// all-staff ⊃ engineering ⊃ platform, and sales beside them.
pub async fn memberships_walk_nested_groups(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let staff = store
        .create_group(account, "all-staff", None)
        .await
        .unwrap();
    let eng = store
        .create_group(account, "engineering", Some(staff.id))
        .await
        .unwrap();
    let platform = store
        .create_group(account, "platform", Some(eng.id))
        .await
        .unwrap();
    let sales = store.create_group(account, "sales", None).await.unwrap();
    let dana = add_person(&store, account, "dana").await;
    let erin = add_person(&store, account, "erin").await;
    let frank = add_person(&store, account, "frank").await;
    store
        .add_group_member(account, platform.id, dana.id)
        .await
        .unwrap();
    // Directly in a group and in one of its subgroups: the direct one counts.
    for group in [platform.id, eng.id, sales.id] {
        store
            .add_group_member(account, group, erin.id)
            .await
            .unwrap();
    }
    let m = |group: &crate::Group, distance: u32| Membership {
        group: group.id,
        name: group.name.clone(),
        distance,
    };
    assert_eq!(
        store.memberships(account, dana.id).await.unwrap(),
        [m(&platform, 0), m(&eng, 1), m(&staff, 2)]
    );
    assert_eq!(
        store.memberships(account, erin.id).await.unwrap(),
        [m(&eng, 0), m(&platform, 0), m(&sales, 0), m(&staff, 1)],
        "each group once, at its smallest distance, nearest first"
    );
    assert!(store
        .memberships(account, frank.id)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .memberships(account, Uuid::now_v7())
        .await
        .unwrap()
        .is_empty());
}

pub async fn groups_list_and_remove_members(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let staff = store
        .create_group(account, "all-staff", None)
        .await
        .unwrap();
    let eng = store
        .create_group(account, "engineering", Some(staff.id))
        .await
        .unwrap();
    let design = store
        .create_group(account, "design", Some(staff.id))
        .await
        .unwrap();
    let (zoe, amy) = (
        add_person(&store, account, "zoe").await,
        add_person(&store, account, "amy").await,
    );
    for (group, user) in [(eng.id, zoe.id), (eng.id, amy.id), (staff.id, zoe.id)] {
        store.add_group_member(account, group, user).await.unwrap();
    }
    store
        .add_group_member(account, eng.id, amy.id)
        .await
        .expect("adding a member twice is harmless");
    let listed = store.list_groups(account).await.unwrap();
    let summary: Vec<(&str, Option<Uuid>, Vec<Uuid>)> = listed
        .iter()
        .map(|g| (g.group.name.as_str(), g.group.parent, g.members.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            ("all-staff", None, vec![zoe.id]),
            ("design", Some(staff.id), vec![]),
            ("engineering", Some(staff.id), vec![amy.id, zoe.id]),
        ],
        "by name, members by login"
    );
    assert_eq!(listed[2].group, eng);

    assert!(store
        .remove_group_member(account, eng.id, zoe.id)
        .await
        .unwrap());
    assert!(
        !store
            .remove_group_member(account, eng.id, zoe.id)
            .await
            .unwrap(),
        "no longer a member"
    );
    assert!(
        !store
            .remove_group_member(account, design.id, amy.id)
            .await
            .unwrap(),
        "never a member"
    );
    let listed = store.list_groups(account).await.unwrap();
    assert_eq!(listed[2].members, [amy.id]);
    assert_eq!(listed[0].members, [zoe.id], "other groups keep theirs");
    assert_eq!(
        store.memberships(account, zoe.id).await.unwrap(),
        [Membership {
            group: staff.id,
            name: "all-staff".into(),
            distance: 0
        }]
    );
    let other = store.create_account("globex").await.unwrap().id;
    assert!(store.list_groups(other).await.unwrap().is_empty());
}

fn web_session(user: Uuid, token: &str, expires_in: Duration) -> NewWebSession {
    NewWebSession {
        user_id: user,
        token_hash: hash_api_key(token),
        csrf_hash: hash_api_key(&format!("csrf-{token}")),
        expires_at: Utc::now() + expires_in,
        ip: Some("10.1.2.3".into()),
        user_agent: Some("Firefox".into()),
    }
}

pub async fn web_sessions_expire_and_end(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let other = store.create_account("globex").await.unwrap().id;
    let user = add_person(&store, account, "alice").await;
    let created = store
        .create_web_session(account, web_session(user.id, "token-1", Duration::hours(8)))
        .await
        .unwrap();
    assert_eq!((created.account_id, created.user_id), (account, user.id));
    assert_eq!(created.csrf_hash, hash_api_key("csrf-token-1"));
    let now = Utc::now();
    assert_eq!(
        store
            .find_web_session(&hash_api_key("token-1"), now)
            .await
            .unwrap(),
        Some(created.clone())
    );
    assert!(store
        .find_web_session(&hash_api_key("token-2"), now)
        .await
        .unwrap()
        .is_none());
    assert!(
        store
            .find_web_session(&hash_api_key("token-1"), created.expires_at)
            .await
            .unwrap()
            .is_none(),
        "expired at its expiry time"
    );
    store
        .create_web_session(account, web_session(user.id, "old", -Duration::minutes(1)))
        .await
        .unwrap();
    assert!(store
        .find_web_session(&hash_api_key("old"), Utc::now())
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        store
            .create_web_session(account, web_session(user.id, "token-1", Duration::hours(1)))
            .await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert!(
        matches!(
            store
                .create_web_session(other, web_session(user.id, "token-3", Duration::hours(1)))
                .await,
            Err(StoreError::NotFound(_))
        ),
        "a person of another account"
    );

    store.end_web_session(other, created.id).await.unwrap();
    assert!(
        store
            .find_web_session(&hash_api_key("token-1"), Utc::now())
            .await
            .unwrap()
            .is_some(),
        "another account cannot end it"
    );
    store.end_web_session(account, created.id).await.unwrap();
    assert!(store
        .find_web_session(&hash_api_key("token-1"), Utc::now())
        .await
        .unwrap()
        .is_none());
    store
        .end_web_session(account, created.id)
        .await
        .expect("ending twice is harmless");
}

pub async fn api_keys_keep_person_and_addresses(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let other = store.create_account("globex").await.unwrap().id;
    let alice = add_person(&store, account, "alice").await;
    let stranger = add_person(&store, other, "alice").await;
    let key = |secret: &str, user_id: Option<Uuid>, allowed_ips: &[&str]| NewApiKey {
        name: format!("key {secret}"),
        scope: Scope::Read,
        user_id,
        allowed_ips: allowed_ips.iter().map(|s| s.to_string()).collect(),
        secret_hash: hash_api_key(secret),
        prefix: secret[..6].into(),
        expires_at: Some(Utc::now() + Duration::days(30)),
    };
    let ips = ["10.0.0.0/8", "192.168.1.7/32", "2001:db8::/32"];
    let personal = store
        .create_api_key(account, key("personal-0123456789", Some(alice.id), &ips))
        .await
        .unwrap();
    assert_eq!(
        (personal.user_id, personal.allowed_ips.as_slice()),
        (Some(alice.id), ips.map(String::from).as_slice())
    );
    let shared = store
        .create_api_key(account, key("shared-0123456789", None, &[]))
        .await
        .unwrap();
    let found = store
        .find_api_key(&hash_api_key("personal-0123456789"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, personal);
    let listed = store.list_api_keys(account).await.unwrap();
    assert_eq!(listed, [personal.clone(), shared.clone()]);
    assert_eq!((listed[1].user_id, listed[1].allowed_ips.len()), (None, 0));
    assert!(
        matches!(
            store
                .create_api_key(account, key("foreign-0123456789", Some(stranger.id), &[]))
                .await,
            Err(StoreError::NotFound(_))
        ),
        "a key cannot act as a person of another account"
    );
    assert!(matches!(
        store
            .create_api_key(account, key("nobody-0123456789", Some(Uuid::now_v7()), &[]))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.list_api_keys(other).await.unwrap().is_empty());
}

/// Two accounts with the same logins and group names see only their own.
pub async fn people_stay_in_their_account(store: Arc<dyn Store>) {
    let a = store.create_account("acme").await.unwrap().id;
    let b = store.create_account("globex").await.unwrap().id;
    let a_alice = add_person(&store, a, "alice").await;
    let b_alice = add_person(&store, b, "alice").await;
    let a_team = store.create_group(a, "team", None).await.unwrap();
    let b_team = store.create_group(b, "team", None).await.unwrap();
    store
        .add_group_member(a, a_team.id, a_alice.id)
        .await
        .unwrap();

    assert_eq!(
        store.list_users(b).await.unwrap(),
        std::slice::from_ref(&b_alice)
    );
    assert!(store.get_user(b, a_alice.id).await.unwrap().is_none());
    assert_eq!(
        store.credentials(b, "alice").await.unwrap().unwrap().user,
        b_alice
    );
    assert!(matches!(
        store
            .update_user(
                b,
                a_alice.id,
                UserChange {
                    role: Some(Role::Owner),
                    ..UserChange::default()
                }
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .record_sign_in(b, a_alice.id, 9, Some(Utc::now()))
            .await,
        Err(StoreError::NotFound(_))
    ));
    let a_creds = store.credentials(a, "alice").await.unwrap().unwrap();
    assert_eq!(
        (
            a_creds.user.role,
            a_creds.failed_sign_ins,
            a_creds.locked_until
        ),
        (Role::Member, 0, None),
        "untouched by the other account"
    );

    assert!(
        store
            .add_group_member(b, a_team.id, b_alice.id)
            .await
            .is_err(),
        "a group of another account"
    );
    assert!(
        store
            .add_group_member(b, b_team.id, a_alice.id)
            .await
            .is_err(),
        "a person of another account"
    );
    assert!(store.memberships(b, a_alice.id).await.unwrap().is_empty());
    assert!(store.memberships(b, b_alice.id).await.unwrap().is_empty());
    let b_groups = store.list_groups(b).await.unwrap();
    assert_eq!(b_groups.len(), 1);
    assert_eq!(
        (b_groups[0].group.id, b_groups[0].members.len()),
        (b_team.id, 0)
    );
    assert!(!store
        .remove_group_member(b, a_team.id, a_alice.id)
        .await
        .unwrap());
    assert_eq!(
        store.memberships(a, a_alice.id).await.unwrap(),
        [Membership {
            group: a_team.id,
            name: "team".into(),
            distance: 0
        }]
    );

    let session = store
        .create_web_session(a, web_session(a_alice.id, "a-token", Duration::hours(1)))
        .await
        .unwrap();
    let found = store
        .find_web_session(&hash_api_key("a-token"), Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.account_id, found.user_id), (a, a_alice.id));
    assert_eq!(found, session);
}

/// Wrong passwords sent at the same moment all count, and the fifth locks.
pub async fn failed_sign_ins_at_once_all_count(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let carl = add_person(&store, account, "carl").await;
    let until = Utc::now() + Duration::minutes(15);
    let attempts = (0..12).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.count_failed_sign_in(account, carl.id, 5, until).await })
    });
    let mut counts = Vec::new();
    for a in attempts {
        counts.push(a.await.unwrap().unwrap());
    }
    counts.sort_unstable();
    assert_eq!(
        counts,
        (1..=12).collect::<Vec<u32>>(),
        "each attempt counted once"
    );
    let found = store.credentials(account, "carl").await.unwrap().unwrap();
    assert_eq!(found.failed_sign_ins, 12);
    assert!(found.locked_until.is_some());
}
