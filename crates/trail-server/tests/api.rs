//! The HTTP API end to end: a real server on a free port, talked to through
//! trail-client and raw HTTP, on the embedded store and on PostgreSQL.

#[macro_use]
mod common;

use std::collections::HashSet;

use common::{raw_get, raw_post, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use trail_client::ClientError;
use trail_core::api::{ActivityParams, EntityUsageParams, SessionUser, StartSession};
use trail_core::credentials::Scope;
use trail_core::EventInput;
use trail_store::usage::EntityUsage;
use uuid::Uuid;

fn event(v: Value) -> EventInput {
    serde_json::from_value(v).expect("valid test event")
}

fn api_error(e: ClientError) -> (StatusCode, trail_core::api::ErrorDetail) {
    match e {
        ClientError::Api { status, body, .. } => (status, body.error),
        other => panic!("expected an API error, got {other}"),
    }
}

on_both_stores!(
    sends_and_reads_back_events,
    ndjson_and_arrays_are_batches,
    invalid_batches_store_nothing,
    malformed_bodies_are_refused_clearly,
    limits_answer_413,
    retries_are_idempotent_and_conflicts_409,
    keys_are_checked_and_scoped,
    accounts_cannot_see_each_other,
    sessions_join_events,
    concurrent_requests_commit_gap_free,
    search_over_http,
    exports_stream_and_are_audited,
    entity_activity_and_usage,
    injection_attempts_are_just_data,
    shutdown_commits_what_was_acknowledged,
    secrets_are_redacted_before_storage,
);

async fn sends_and_reads_back_events(s: TestServer) {
    let c = s.client();
    let sent = event(json!({
        "type": "query-start", "actor": {"kind": "user", "id": "alice@company.com"},
        "resource": {"id": "42", "name": "Top 10 Customers"}, "duration_ms": 1200, "params": {"rows": 10},
        "changes": {"before": {"title": "Report"}, "after": {"title": "Q2 Sales Report"}}
    }));
    let resp = c.send_event(&sent).await.unwrap();
    assert_eq!((resp.accepted, resp.duplicates), (1, 0));
    let id = resp.events[0].id;
    let got = c
        .get_event(id)
        .await
        .expect("readable as soon as acknowledged");
    assert_eq!(got.seq, resp.events[0].seq);
    assert_eq!(
        (got.action.as_str(), got.resource.unwrap().kind.as_str()),
        ("executed", "query")
    );
    assert_eq!(got.params["rows"], 10);
    assert_eq!(
        got.changes.unwrap().changed[0].to_string(),
        "title: \"Report\" → \"Q2 Sales Report\""
    );
    assert!(got.session_id.is_some());
    assert_eq!(got.hash.len(), 64);
    let links = got.links.clone().expect("a single event comes with links");
    assert_eq!(
        links.session,
        Some(format!(
            "/api/v1/events?q=session:{}",
            got.session_id.unwrap()
        ))
    );
    assert_eq!(
        links.resource_activity.as_deref(),
        Some("/api/v1/entities/query/42/activity")
    );
    // Reading the event was itself recorded, and is now the newest event.
    let page = c.search("", 10, None, None).await.unwrap();
    assert_eq!(page.events[0].event_type, "log-viewed");
    assert_eq!(page.events[1].id, id);
    let again = c.search("", 10, None, None).await.unwrap();
    assert_eq!(
        again.events[0].event_type, "log-searched",
        "the first search is recorded; the same search a moment later is not"
    );
    assert_eq!(again.events[1].event_type, "log-viewed");
    let (status, err) = api_error(c.get_event(Uuid::now_v7()).await.unwrap_err());
    assert_eq!(
        (status, err.code.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
}

async fn ndjson_and_arrays_are_batches(s: TestServer) {
    let c = s.client();
    let batch: Vec<EventInput> = (0..3)
        .map(|i| event(json!({"type": "log", "message": format!("m{i}")})))
        .collect();
    let resp = c.send_events(&batch).await.unwrap();
    assert_eq!(
        resp.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let ndjson = "{\"type\":\"log\"}\n\n{\"type\":\"my_custom\",\"params\":{\"a\":1}}\n";
    let resp = c.send_raw("application/x-ndjson", ndjson).await.unwrap();
    assert_eq!(resp.accepted, 2);
    assert_eq!(s.count().await, 5);
}

async fn invalid_batches_store_nothing(s: TestServer) {
    let c = s.client();
    let items = json!([
        {"type": "log"},
        {"type": "log", "occurred_at": "12/06/2024"},
        {"type": "log", "usr": "alice"},
        {"type": "log", "actor": {"kind": "robot", "id": "r2"}, "duration_ms": "fast"},
    ]);
    let (status, err) = api_error(
        c.send_raw("application/json", items.to_string())
            .await
            .unwrap_err(),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err.code, "invalid_events");
    assert_eq!(err.message, "3 of 4 events are invalid; nothing was stored");
    let found: Vec<(usize, &str)> = err
        .details
        .iter()
        .map(|d| (d.index, d.field.as_str()))
        .collect();
    assert_eq!(found, [(1, "occurred_at"), (2, "usr"), (3, "duration_ms")]);
    assert!(err.details[0].message.contains("RFC 3339"));
    assert_eq!(s.count().await, 0, "the valid item was not stored either");
    // Each field is named even when the serde type check passes but the value is bad.
    let (_, err) = api_error(
        c.send_raw(
            "application/json",
            json!({"type": "log", "actor": {"kind": "robot", "id": "r2"}}).to_string(),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(err.details[0].field, "actor.kind");
    assert!(err.details[0]
        .message
        .contains("user, api_key, service_account, system"));
}

async fn malformed_bodies_are_refused_clearly(s: TestServer) {
    let cases: &[(&str, &str, StatusCode, &str)] = &[
        (
            "application/json",
            "{\"type\": ",
            StatusCode::BAD_REQUEST,
            "not valid JSON",
        ),
        (
            "application/json",
            "42",
            StatusCode::BAD_REQUEST,
            "JSON object (one event) or an array",
        ),
        (
            "application/json",
            "[]",
            StatusCode::BAD_REQUEST,
            "no events",
        ),
        (
            "application/x-ndjson",
            "{\"type\":\"log\"}\nnot json\n",
            StatusCode::BAD_REQUEST,
            "invalid",
        ),
        (
            "text/csv",
            "a,b",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "text/csv",
        ),
    ];
    for (content_type, body, status, needle) in cases {
        let (got, text) = raw_post(&s, "/api/v1/events", content_type, body.to_string()).await;
        assert_eq!(got, *status, "{body}");
        assert!(text.contains(needle), "{text} should mention {needle}");
    }
    assert_eq!(s.count().await, 0);
}

async fn limits_answer_413(s: TestServer) {
    let too_many: Vec<Value> = (0..1001).map(|_| json!({"type": "log"})).collect();
    let (status, text) = raw_post(
        &s,
        "/api/v1/events",
        "application/json",
        serde_json::to_string(&too_many).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(text.contains("at most 1000 events"), "{text}");
    let huge = format!(
        "{{\"type\":\"log\",\"message\":\"{}\"}}",
        "x".repeat(11 * 1024 * 1024)
    );
    let (status, text) = raw_post(&s, "/api/v1/events", "application/json", huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(text.contains("exceeds the limit"), "{text}");
    let big_param = json!({"type": "log", "params": {"blob": "y".repeat(10_000)}});
    let (status, text) = raw_post(
        &s,
        "/api/v1/events",
        "application/json",
        big_param.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("params.blob"), "{text}");
    assert_eq!(s.count().await, 0);
}

async fn retries_are_idempotent_and_conflicts_409(s: TestServer) {
    let c = s.client();
    let id = Uuid::now_v7();
    let e = event(json!({"id": id, "type": "notebook-created", "resource": {"id": "nb1"}}));
    let first = c.send_event(&e).await.unwrap();
    let again = c.send_event(&e).await.unwrap();
    assert_eq!((again.accepted, again.duplicates), (0, 1));
    assert_eq!(again.events[0].seq, first.events[0].seq);
    let changed = event(json!({"id": id, "type": "notebook-created", "resource": {"id": "nb2"}}));
    let other = event(json!({"type": "log"}));
    let (status, err) = api_error(c.send_events(&[other, changed]).await.unwrap_err());
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err.ids, [id]);
    assert_eq!(
        s.count().await,
        1,
        "nothing of the conflicting request was stored"
    );
    let v7 = json!({"id": Uuid::new_v4(), "type": "log"});
    let (status, text) = raw_post(&s, "/api/v1/events", "application/json", v7.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("UUIDv7"));
}

async fn keys_are_checked_and_scoped(s: TestServer) {
    let id = s
        .client()
        .send_event(&event(json!({"type": "log"})))
        .await
        .unwrap()
        .events[0]
        .id;
    let no_key = reqwest::Client::new()
        .get(format!("{}/api/v1/events/{id}", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(no_key.headers()["www-authenticate"], "Bearer");
    let bad = s.client_with("trail_not_a_real_key_0000000000000000");
    assert_eq!(
        api_error(bad.get_event(id).await.unwrap_err()).0,
        StatusCode::UNAUTHORIZED
    );

    let (ingest_key, ingest) = s.key(Scope::Ingest).await;
    let (status, err) = api_error(ingest.get_event(id).await.unwrap_err());
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(err.message.contains("scope 'ingest'"), "{}", err.message);
    ingest
        .send_event(&event(json!({"type": "log"})))
        .await
        .expect("ingest keys write");
    let (_, read) = s.key(Scope::Read).await;
    read.get_event(id).await.expect("read keys read");
    assert_eq!(
        api_error(
            read.send_event(&event(json!({"type": "log"})))
                .await
                .unwrap_err()
        )
        .0,
        StatusCode::FORBIDDEN
    );

    s.store
        .revoke_api_key(s.account, ingest_key, chrono::Utc::now())
        .await
        .unwrap();
    let (status, err) = api_error(
        ingest
            .send_event(&event(json!({"type": "log"})))
            .await
            .unwrap_err(),
    );
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Revoked, expired and unknown keys get one answer: which it was would help a guesser.
    let (_, unknown) = api_error(bad.get_event(id).await.unwrap_err());
    assert_eq!(err.message, unknown.message);
}

async fn accounts_cannot_see_each_other(s: TestServer) {
    let mine = s
        .client()
        .send_event(&event(
            json!({"type": "log", "actor": {"kind": "user", "id": "alice"}}),
        ))
        .await
        .unwrap();
    let other = s.other_account_client().await;
    let (status, err) = api_error(other.get_event(mine.events[0].id).await.unwrap_err());
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!err.message.contains("alice"));
    assert!(other
        .search("", 50, None, None)
        .await
        .unwrap()
        .events
        .is_empty());
    assert!(other.list_sessions("alice").await.unwrap().is_empty());
    let theirs = other
        .send_event(&event(json!({"type": "log"})))
        .await
        .unwrap();
    assert_eq!(
        theirs.events[0].seq, 2,
        "sequence numbers are per account: 1 records their search"
    );
}

async fn sessions_join_events(s: TestServer) {
    let c = s.client();
    let start = StartSession {
        user: SessionUser {
            id: "bob@company.com".into(),
            name: Some("Bob".into()),
            email: None,
        },
        ip: None,
        user_agent: Some("Firefox/131".into()),
        client: Some("browser".into()),
        started: None,
    };
    let session = c.start_session(&start).await.unwrap();
    assert_eq!(
        session.ip.as_deref(),
        Some("127.0.0.1"),
        "taken from the connection"
    );
    let e = event(
        json!({"type": "project-opened", "session_id": session.id, "actor": {"kind": "user", "id": "bob@company.com"}, "resource": {"id": "p1"}}),
    );
    let id = c.send_event(&e).await.unwrap().events[0].id;
    assert_eq!(c.get_event(id).await.unwrap().session_id, Some(session.id));
    let implicit =
        event(json!({"type": "log", "actor": {"kind": "user", "id": "bob@company.com"}}));
    let id = c.send_event(&implicit).await.unwrap().events[0].id;
    assert_eq!(
        c.get_event(id).await.unwrap().session_id,
        Some(session.id),
        "joined to the open session"
    );
    let ended = c.end_session(session.id).await.unwrap();
    assert!(ended.ended.is_some());
    let after = c.send_event(&implicit_again()).await.unwrap().events[0].id;
    let new_session = c.get_event(after).await.unwrap().session_id.unwrap();
    assert_ne!(
        new_session, session.id,
        "an ended session takes no more events"
    );
    assert_eq!(c.list_sessions("bob@company.com").await.unwrap().len(), 2);
    let unknown = event(json!({"type": "log", "session_id": Uuid::now_v7()}));
    let (status, err) = api_error(c.send_event(&unknown).await.unwrap_err());
    assert_eq!(
        (status, err.details[0].field.as_str()),
        (StatusCode::BAD_REQUEST, "session_id")
    );
    let (status, _) = raw_post(
        &s,
        "/api/v1/sessions",
        "application/json",
        json!({"user": {"id": "x"}, "ip": "nope"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, text) = raw_post(
        &s,
        "/api/v1/sessions",
        "application/json",
        json!({"usr": {}}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("usr"), "{text}");
}

fn implicit_again() -> EventInput {
    event(
        json!({"type": "log", "message": "after end", "actor": {"kind": "user", "id": "bob@company.com"}}),
    )
}

async fn search_over_http(s: TestServer) {
    let c = s.client();
    let batch: Vec<EventInput> = (0..5)
        .map(|i| event(json!({"type": "connection-edited", "actor": {"kind": "user", "id": "alice@company.com"},
            "resource": {"kind": "database", "name": format!("db{i}")}, "status": if i == 0 { "failed" } else { "success" }})))
        .collect();
    c.send_events(&batch).await.unwrap();
    let page = c
        .search(
            "user:alice action:updated resource:database status:success",
            3,
            None,
            Some("Europe/Berlin"),
        )
        .await
        .unwrap();
    assert_eq!(page.events.len(), 3);
    let rest = c
        .search(
            "user:alice action:updated resource:database status:success",
            3,
            page.next_cursor.as_deref(),
            None,
        )
        .await
        .unwrap();
    assert_eq!((rest.events.len(), rest.next_cursor), (1, None));
    // A word that names a group means its members' activity.
    let http = reqwest::Client::new();
    for (method, path) in [
        (reqwest::Method::POST, "/api/v1/groups"),
        (
            reqwest::Method::PUT,
            "/api/v1/groups/data-team/members/alice@company.com",
        ),
    ] {
        let resp = http
            .request(method, format!("{}{path}", s.url))
            .bearer_auth(&s.admin_key)
            .json(&json!({"name": "data-team"}))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
    }
    let team = c.search("Data-Team", 10, None, None).await.unwrap();
    assert_eq!(team.events.len(), 5);
    let cases = [
        (
            "q=usr:alice",
            "unknown field 'usr'; did you mean 'user'? (at column 1)",
        ),
        ("q=user:me", "needs a signed-in person"),
        ("q=date:2024-06-30..2024-06-01", "ends before it starts"),
        ("tz=Mars/Olympus", "unknown time zone"),
        ("limit=5000", "between 1 and 500"),
        ("cursor=forged", "not one this server gave out"),
        ("colour=red", "unknown field `colour`"),
    ];
    for (query, needle) in cases {
        let resp = reqwest::Client::new()
            .get(format!("{}/api/v1/events?{query}", s.url))
            .bearer_auth(&s.admin_key)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{query}");
        let text = resp.text().await.unwrap();
        assert!(text.contains(needle), "{query}: {text}");
    }
}

async fn exports_stream_and_are_audited(s: TestServer) {
    let c = s.client();
    let batch: Vec<EventInput> = (0..2500)
        .map(|i| event(json!({"type": "log", "actor": {"kind": "user", "id": "alice@company.com", "email": "alice@company.com"},
            "message": if i == 0 { "=HYPERLINK(\"evil\"), with \"quotes\"\nand a newline".to_string() } else { format!("m{i}") }})))
        .collect::<Vec<_>>();
    for chunk in batch.chunks(1000) {
        c.send_events(chunk).await.unwrap();
    }
    let get = |query: &str| raw_get(&s, format!("/api/v1/export?{query}"));
    let resp = get("format=csv&q=user:alice").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(".csv"));
    let csv = resp.text().await.unwrap();
    assert!(csv.starts_with("timestamp,user,action,resource,status,ip_address,"));
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"evil\"\"), with \"\"quotes\"\"\nand a newline\""),
        "formula defused, quoted"
    );
    assert_eq!(
        csv.matches(",alice@company.com,logged,").count(),
        2500,
        "one record per event"
    );
    let json: Vec<Value> = get("format=json").await.json().await.unwrap();
    assert!(
        json.len() >= 2500,
        "a JSON array of every event: {}",
        json.len()
    );
    let ndjson = get("format=ndjson&q=m1").await.text().await.unwrap();
    assert!(ndjson
        .lines()
        .all(|l| serde_json::from_str::<Value>(l).is_ok()));
    let resp = get("format=xml").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("format"));
    let started = c
        .search("type:log-exported status:in_progress", 10, None, None)
        .await
        .unwrap();
    assert_eq!(
        started.events.len(),
        3,
        "every export is recorded as it starts"
    );
    let audit = c
        .search("type:log-exported status:success", 10, None, None)
        .await
        .unwrap();
    assert_eq!(audit.events.len(), 3, "and with its row count when it ends");
    assert!(audit.events.iter().all(|e| started
        .events
        .iter()
        .any(|s| s.operation_id == e.operation_id)));
    let csv_export = audit
        .events
        .iter()
        .find(|e| e.params["format"] == "csv")
        .unwrap();
    assert_eq!(csv_export.params["rows"], 2500);
    assert_eq!(csv_export.params["query"], "user:alice");
}

async fn entity_activity_and_usage(s: TestServer) {
    let c = s.client();
    let batch: Vec<EventInput> = ["query-created", "query-start", "query-start", "query-edited"]
        .iter()
        .map(|t| event(json!({"type": t, "actor": {"kind": "user", "id": "dana@company.com"}, "resource": {"id": "42", "name": "Top 10"}})))
        .collect();
    c.send_events(&batch).await.unwrap();
    c.send_event(&event(
        json!({"type": "query-start", "resource": {"id": "43"}}),
    ))
    .await
    .unwrap();
    let page = c
        .entity_activity("query", "42", &ActivityParams::default())
        .await
        .unwrap();
    assert_eq!(page.events.len(), 4);
    let executed = ActivityParams {
        q: Some("action:executed".into()),
        days: Some(30),
        ..ActivityParams::default()
    };
    let narrowed = c.entity_activity("query", "42", &executed).await.unwrap();
    assert_eq!(narrowed.events.len(), 2);
    let usage: EntityUsage = c
        .entity_usage("query", "42", &EntityUsageParams::default())
        .await
        .unwrap();
    assert_eq!((usage.events, usage.users), (4, 1));
    assert_eq!(usage.top_actions[0].label, "executed");
    assert_eq!(usage.top_users[0].label, "dana@company.com");
    let no_days = EntityUsageParams {
        days: Some(0),
        ..EntityUsageParams::default()
    };
    let e = c.entity_usage::<Value>("query", "42", &no_days).await;
    assert_eq!(e.unwrap_err().status(), Some(StatusCode::BAD_REQUEST));
    let any = EntityUsageParams::default();
    let e = c.entity_usage::<Value>("Bad Kind", "1", &any).await;
    assert_eq!(e.unwrap_err().status(), Some(StatusCode::BAD_REQUEST));
}

async fn concurrent_requests_commit_gap_free(s: TestServer) {
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let c = s.client();
            tokio::spawn(async move {
                let batch: Vec<EventInput> = (0..25)
                    .map(|j| event(json!({"type": "log", "message": format!("{i}-{j}")})))
                    .collect();
                c.send_events(&batch).await.unwrap()
            })
        })
        .collect();
    let mut seqs = Vec::new();
    for t in tasks {
        let resp = t.await.unwrap();
        let mine: Vec<i64> = resp.events.iter().map(|e| e.seq).collect();
        assert!(
            mine.windows(2).all(|w| w[1] == w[0] + 1),
            "a request's events are consecutive"
        );
        seqs.extend(mine);
    }
    seqs.sort();
    assert_eq!(seqs, (1..=400).collect::<Vec<i64>>());
    let metrics = reqwest::get(format!("{}/metrics", s.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("trail_events_ingested_total 400"),
        "{metrics}"
    );
    assert!(metrics.contains("trail_commit_seconds_count"));
}

async fn injection_attempts_are_just_data(s: TestServer) {
    let c = s.client();
    let nasty = "'; DROP TABLE events; --";
    let e = event(
        json!({"type": "log", "message": nasty, "params": {"q": "1 OR 1=1", nasty: nasty}, "resource": {"kind": "query", "name": "<script>alert(1)</script>"}}),
    );
    let id = c.send_event(&e).await.unwrap().events[0].id;
    let got = c.get_event(id).await.unwrap();
    assert_eq!(got.message.as_deref(), Some(nasty));
    assert_eq!(got.params[nasty], nasty);
    assert_eq!(
        got.resource.unwrap().name.as_deref(),
        Some("<script>alert(1)</script>")
    );
    assert_eq!(
        s.count().await,
        2,
        "the event, and the record of reading it"
    );
}

async fn shutdown_commits_what_was_acknowledged(s: TestServer) {
    let c = s.client();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                c.send_event(&event(json!({"type": "log", "message": format!("{i}")})))
                    .await
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let store = s.store.clone();
    let account = s.account;
    s.stop().await;
    let mut acked = HashSet::new();
    for t in tasks {
        if let Ok(resp) = t.await.unwrap() {
            acked.insert(resp.events[0].id);
        }
    }
    for id in &acked {
        assert!(
            store.get_event(account, *id).await.unwrap().is_some(),
            "acknowledged {id} is stored"
        );
    }
    assert_eq!(
        store.event_count(account).await.unwrap(),
        acked.len() as u64,
        "nothing unacknowledged half-written"
    );
}

#[tokio::test]
async fn openapi_describes_every_endpoint() {
    let s = TestServer::sqlite().await;
    let doc: Value = reqwest::get(format!("{}/api/openapi.json", s.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/events", "post"),
        ("/api/v1/events", "get"),
        ("/api/v1/events/{id}", "get"),
        ("/api/v1/event-types", "get"),
        ("/api/v1/export", "get"),
        ("/api/v1/entities/{kind}/{id}/activity", "get"),
        ("/api/v1/entities/{kind}/{id}/usage", "get"),
        ("/api/v1/sessions", "post"),
        ("/api/v1/sessions", "get"),
        ("/api/v1/sessions/{id}", "get"),
        ("/api/v1/sessions/{id}/end", "post"),
        ("/api/v1/settings/redaction", "get"),
        ("/api/v1/settings/redaction", "put"),
        ("/api/v1/settings/redaction/preview", "post"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/api/openapi.json", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    assert!(doc["components"]["schemas"]["EventInput"].is_object());
    let ready: Value = reqwest::get(format!("{}/readyz", s.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["store"], "sqlite");
    let types = s.client().event_types().await.unwrap();
    assert_eq!(types.as_array().unwrap().len(), 47);
}

async fn secrets_are_redacted_before_storage(s: TestServer) {
    let c = s.client();
    let sent = c
        .send_events(&[event(json!({"type": "query-start", "resource": {"id": "q1", "name": "users"},
            "message": "query selected password_hash=5f4dcc3b5aa765d61d8327deb882cf99",
            "params": {"password": "hunter2", "sql": "select * from users", "card": "4111 1111 1111 1111"},
            "changes": {"before": {"api_key": "old"}, "after": {"api_key": "new"}}}))])
        .await
        .unwrap();
    let stored = c.get_event(sent.events[0].id).await.unwrap();
    assert_eq!(stored.params["password"], "[REDACTED]");
    assert_eq!(stored.params["card"], "[REDACTED]");
    assert_eq!(stored.params["sql"], "select * from users");
    assert_eq!(
        stored.message.as_deref(),
        Some("query selected password_hash=[REDACTED]")
    );
    assert_eq!(
        stored.changes.as_ref().unwrap().after["api_key"],
        "[REDACTED]"
    );
    for secret in ["hunter2", "5f4dcc3b", "4111"] {
        let found = c.search(secret, 10, None, None).await.unwrap();
        assert!(found.events.is_empty(), "{secret} was stored");
    }

    // Admins change the rules; the next events follow them, and the change is audited.
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/settings/redaction", s.url);
    let mut rules: Value = http
        .get(&url)
        .bearer_auth(&s.admin_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    rules["patterns"]
        .as_array_mut()
        .unwrap()
        .push(json!("email"));
    let (_, reader) = s.secret(Scope::Read).await;
    let put = |key: String, body: Value| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            http.put(url)
                .bearer_auth(key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let forbidden = put(reader, rules.clone()).await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let bad = put(s.admin_key.clone(), json!({"names": [""], "patterns": []})).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let unknown = put(
        s.admin_key.clone(),
        json!({"names": [], "patterns": ["tarot"]}),
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        put(s.admin_key.clone(), rules).await.status(),
        StatusCode::OK
    );
    let sent = c
        .send_events(&[event(
            json!({"type": "log", "message": "invite sent to bob@company.com"}),
        )])
        .await
        .unwrap();
    let stored = c.get_event(sent.events[0].id).await.unwrap();
    assert_eq!(stored.message.as_deref(), Some("invite sent to [REDACTED]"));
    let audit = c
        .search("type:settings-changed", 10, None, None)
        .await
        .unwrap();
    assert_eq!(audit.events.len(), 1);

    let preview: Value = http
        .post(format!("{url}/preview"))
        .bearer_auth(&s.admin_key)
        .json(
            &json!({"text": "token=abc mail bob@company.com", "params": {"secret": 1},
                      "rules": {"names": ["token"], "patterns": []}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        preview,
        json!({"text": "token=[REDACTED] mail bob@company.com", "params": {"secret": 1}})
    );
}
