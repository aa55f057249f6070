//! Behaviour of the PostgreSQL store beyond the conformance suite: several servers
//! on one database, values whose type differs from their parameter's, batches
//! that repeat ids across requests. Skipped like the conformance tests when there
//! is no server (see `common`).

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use trail_core::input::truncate_micros;
use trail_core::rollup::{Grain, Measures, Tally, CUBOIDS};
use trail_core::{Actor, ActorKind, NewEvent};
use trail_store::conformance::event;
use trail_store::rollups::{RollupQuery, RollupTable, SeenTable};
use trail_store::{AppendOutcome, AppendRequest, NewSession, Store};
use trail_store_postgres::PostgresStore;
use uuid::Uuid;

macro_rules! store_or_skip {
    () => {
        match common::fresh_postgres().await {
            Some(store) => store,
            None => return,
        }
    };
}

async fn append(store: &PostgresStore, account: Uuid, events: Vec<NewEvent>) -> AppendOutcome {
    store
        .append(&[AppendRequest { account, events }])
        .await
        .unwrap()
        .remove(0)
}

fn stored(outcome: &AppendOutcome) -> Vec<(i64, bool)> {
    match outcome {
        AppendOutcome::Stored(items) => items.iter().map(|a| (a.seq, a.duplicate)).collect(),
        AppendOutcome::Conflict(ids) => panic!("unexpected conflict on {ids:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_read_back_with_their_own_type() {
    let store = store_or_skip!();
    let account = store.create_account("acme").await.unwrap().id;
    let first = event(json!({"type": "my_log", "params": {"rows": 10, "flag": "x"}}));
    let second = event(json!({"type": "my_log", "params": {"rows": "10", "flag": true}}));
    append(&store, account, vec![first.clone(), second.clone()]).await;
    for sent in [first, second] {
        let got = store.get_event(account, sent.id).await.unwrap().unwrap();
        assert_eq!(got.body.params, sent.params);
        assert_eq!(got.hash, got.recompute_hash());
    }
    let types = store.event_types(account).await.unwrap();
    let mine = types.iter().find(|t| t.name == "my_log").unwrap();
    let declared: Vec<(&str, &str)> = mine
        .parameters
        .iter()
        .map(|p| (p.name.as_str(), p.data_type.as_str()))
        .collect();
    assert_eq!(declared, [("flag", "string"), ("rows", "number")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_repeated_across_requests_of_a_batch() {
    let store = store_or_skip!();
    let account = store.create_account("acme").await.unwrap().id;
    let id = Uuid::now_v7().to_string();
    let original = event(json!({"id": id, "type": "log", "message": "a"}));
    let altered = event(json!({"id": id, "type": "never_registered", "message": "b"}));
    let request = |events: Vec<NewEvent>| AppendRequest { account, events };
    let out = store
        .append(&[
            request(vec![original.clone()]),
            request(vec![original.clone()]),
            request(vec![altered.clone()]),
            request(vec![event(json!({"type": "log"}))]),
        ])
        .await
        .unwrap();
    assert_eq!(stored(&out[0]), [(1, false)]);
    assert_eq!(
        stored(&out[1]),
        [(1, true)],
        "a duplicate of an earlier request of the batch"
    );
    assert_eq!(out[2], AppendOutcome::Conflict(vec![altered.id]));
    assert_eq!(stored(&out[3]), [(2, false)]);
    let types = store.event_types(account).await.unwrap();
    assert!(
        types.iter().all(|t| t.name != "never_registered"),
        "a conflicting request registers nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_joined_only_within_their_window() {
    let store = store_or_skip!();
    let account = store.create_account("acme").await.unwrap().id;
    let alice = Actor {
        kind: ActorKind::User,
        id: "alice".into(),
        name: None,
        email: None,
    };
    let started = truncate_micros(Utc::now() - Duration::hours(13));
    let old = NewSession {
        user: alice,
        started,
        ip: None,
        user_agent: None,
        client: None,
    };
    let old = store.start_session(account, old).await.unwrap();
    let named = Uuid::now_v7();
    let late = event(json!({"type": "log", "actor": {"kind": "user", "id": "alice"}}));
    let given = event(
        json!({"type": "log", "actor": {"kind": "user", "id": "alice"}, "session_id": named.to_string()}),
    );
    append(&store, account, vec![late.clone(), given.clone()]).await;
    let store = &store;
    let session_of = |id| async move {
        store
            .get_event(account, id)
            .await
            .unwrap()
            .unwrap()
            .body
            .session_id
    };
    let joined = session_of(late.id).await.unwrap();
    assert_ne!(
        joined, old.id,
        "a session older than 12 hours is not joined"
    );
    assert_eq!(
        session_of(given.id).await,
        Some(named),
        "a session the event names is kept"
    );
}

/// Two stores on one database, as two servers: migrations run once, and appends to
/// one account from both interleave without gaps or repeats.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn servers_sharing_a_database() {
    let Some(url) = common::fresh_database().await else {
        return;
    };
    let (a, b) = tokio::join!(PostgresStore::connect(&url), PostgresStore::connect(&url));
    let (a, b) = (
        std::sync::Arc::new(a.unwrap()),
        std::sync::Arc::new(b.unwrap()),
    );
    let account = a.create_account("acme").await.unwrap().id;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let events = (0..10)
                .map(|_| event(json!({"type": "log", "actor": {"kind": "user", "id": "bob"}})))
                .collect();
            stored(&append(&store, account, events).await)
        }));
    }
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.extend(task.await.unwrap().into_iter().map(|(seq, _)| seq));
    }
    seqs.sort();
    assert_eq!(seqs, (1..=200).collect::<Vec<i64>>());
    assert_eq!(b.event_count(account).await.unwrap(), 200);
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn rollup_query(table: RollupTable, grain: Grain) -> RollupQuery {
    RollupQuery {
        table,
        grain,
        from: at("2024-01-01T00:00:00Z"),
        to: at("2025-01-01T00:00:00Z"),
        only: Vec::new(),
        not_blank: Vec::new(),
        people: true,
        totals: false,
    }
}

/// Every rollup row of the account, each table sorted (their order is unspecified).
async fn all_rollups(store: &PostgresStore, account: Uuid) -> Vec<Vec<String>> {
    let mut tables: Vec<RollupTable> = CUBOIDS.iter().map(|c| RollupTable::Cells(c.id)).collect();
    tables.extend([RollupTable::Durations, RollupTable::Errors]);
    let mut out = Vec::new();
    for table in tables {
        for grain in Grain::STORED {
            let rows = store
                .rollup_rows(account, &rollup_query(table, grain))
                .await;
            out.push(rows.unwrap().iter().map(|r| format!("{r:?}")).collect());
        }
    }
    for table in [
        SeenTable::People,
        SeenTable::Features,
        SeenTable::Signatures,
    ] {
        let rows = store.seen(account, table).await.unwrap();
        out.push(rows.iter().map(|r| format!("{r:?}")).collect());
    }
    out.iter_mut().for_each(|t: &mut Vec<String>| t.sort());
    out
}

/// Appends keep the rollups (two batches, so stored cells and sketches are added
/// to), a rebuild from the stored events gives the same rows, and so does the
/// backfill a store runs when it opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollups_of_appends_equal_a_rebuild() {
    let Some(url) = common::fresh_database().await else {
        return;
    };
    let store = PostgresStore::connect(&url).await.unwrap();
    let account = store.create_account("acme").await.unwrap().id;
    let user = |id: &str| json!({"kind": "user", "id": id});
    let query = |time: &str, name: &str, ms: u64| {
        json!({"type": "query-start", "occurred_at": time, "actor": user("alice"),
            "package": "PowerPack", "resource": {"id": "q1", "name": name}, "duration_ms": ms})
    };
    let mut failed = query("2024-06-10T10:15:00Z", "Sales v2", 480);
    failed["status"] = json!("failed");
    failed["error"] = json!({"message": "timeout"});
    let batches = [
        vec![
            json!({"type": "log", "occurred_at": "2024-06-10T09:15:00Z", "actor": user("alice")}),
            query("2024-06-10T09:20:00Z", "Sales", 120),
            json!({"type": "log", "occurred_at": "2024-06-10T23:15:00Z", "actor": user("bob"), "level": "error"}),
        ],
        vec![
            failed,
            json!({"type": "log", "occurred_at": "2024-06-11T08:15:00Z", "actor": user("bob")}),
            json!({"type": "log", "occurred_at": "2024-06-11T08:30:00Z"}),
        ],
    ];
    let batches: Vec<Vec<NewEvent>> = batches
        .into_iter()
        .map(|b| b.into_iter().map(event).collect())
        .collect();
    for batch in &batches {
        append(&store, account, batch.clone()).await;
    }
    // A retry stores nothing, so it adds nothing to the rollups.
    let retried = append(&store, account, batches[1].clone()).await;
    assert!(stored(&retried).iter().all(|(_, duplicate)| *duplicate));
    let person = |login: &'static str| {
        let store = &store;
        async move { store.find_user(account, login).await.unwrap().unwrap().id }
    };
    let (alice, bob) = (person("alice").await, person("bob").await);

    // Cuboid 1 keeps the source; each cell carries its people by number.
    let numbers: BTreeMap<u32, Uuid> = store
        .seen(account, SeenTable::People)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.number, p.user))
        .collect();
    assert_eq!(numbers.len(), 2, "alice and bob, numbered apart");
    let sources = rollup_query(RollupTable::Cells(1), Grain::Day);
    let got: BTreeMap<_, _> = store
        .rollup_rows(account, &sources)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let people: BTreeMap<Uuid, Tally> = trail_core::rollup::Tallies::decode(&r.people)
                .unwrap()
                .0
                .iter()
                .map(|(n, t)| (numbers[n], *t))
                .collect();
            ((r.bucket, r.source.to_string()), (r.measures, people))
        })
        .collect();
    let m = |events, failures, errors, timed, duration_sum, duration_max| Measures {
        events,
        failures,
        errors,
        timed,
        duration_sum,
        duration_max,
    };
    let t = |events, failures, errors| Tally {
        events,
        failures,
        errors,
    };
    let (day10, day11) = (at("2024-06-10T00:00:00Z"), at("2024-06-11T00:00:00Z"));
    let server = "server".to_string();
    let expected = BTreeMap::from([
        (
            (day10, server.clone()),
            (
                m(4, 1, 2, 2, 600, 480),
                BTreeMap::from([(alice, t(3, 1, 1)), (bob, t(1, 0, 1))]),
            ),
        ),
        (
            (day11, server),
            (m(2, 0, 0, 0, 0, 0), BTreeMap::from([(bob, t(1, 0, 0))])),
        ),
    ]);
    assert_eq!(got, expected);

    let features = store.seen(account, SeenTable::Features).await.unwrap();
    let function = features.iter().find(|f| f.function == "q1").unwrap();
    assert_eq!(function.label, "Sales v2", "the latest name");
    let sessions = |users: Option<Vec<Uuid>>| {
        let store = &store;
        async move {
            let (from, to) = (day10, at("2024-06-12T00:00:00Z"));
            store
                .count_sessions(account, from, to, users.as_deref())
                .await
                .unwrap()
        }
    };
    assert_eq!(sessions(None).await, 2);
    assert_eq!(sessions(Some(vec![alice])).await, 1);
    assert_eq!(sessions(Some(Vec::new())).await, 0);

    let kept = all_rollups(&store, account).await;
    assert!(kept.iter().all(|t| !t.is_empty()), "every table has rows");
    assert_eq!(store.rebuild_rollups(account).await.unwrap(), 6);
    assert_eq!(all_rollups(&store, account).await, kept);

    let (admin, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    admin
        .batch_execute(&format!(
            "DELETE FROM usage_cells; DELETE FROM usage_durations; \
             INSERT INTO usage_backfill VALUES ('{account}')"
        ))
        .await
        .unwrap();
    let reopened = PostgresStore::connect(&url).await.unwrap();
    assert_eq!(all_rollups(&reopened, account).await, kept);
}

/// The group-commit path against the raw COPY baseline. Timing-dependent, so run by
/// hand: `cargo test -p trail-store-postgres --release --test postgres -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn append_speed_against_raw_copy() {
    let store = store_or_skip!();
    let account = store.create_account("acme").await.unwrap().id;
    let full = |i: usize| {
        event(json!({
            "type": "notebook-edited",
            "actor": {"kind": "user", "id": format!("user{}", i % 50), "name": "Someone"},
            "resource": {"id": format!("nb-{i}"), "name": "Sales Analysis Q2"},
            "duration_ms": 245, "ip": "192.168.1.100", "request_id": "req-1.2",
            "message": "Notebook created with 5 cells",
            "params": {"cells": 5, "title": "Q2", "public": false, "dataset": "0191b3a4-1c2d-7e3f-8a4b-5c6d7e8f9a0b"},
            "changes": {"before": {"title": "Report"}, "after": {"title": "Q2 Sales Report"}}
        }))
    };
    let (batches, per_batch) = (10, 10_000);
    let data: Vec<Vec<NewEvent>> = (0..batches)
        .map(|b| (0..per_batch).map(|i| full(b * per_batch + i)).collect())
        .collect();
    // Warm up: registers the type, parameters and users, prepares statements.
    append(&store, account, data[0][..10].to_vec()).await;
    store.raw_bulk_load(&data[0][..10]).await.unwrap();

    let mut raw = std::time::Duration::ZERO;
    let mut appended = std::time::Duration::ZERO;
    for batch in &data[1..] {
        let t = Instant::now();
        store.raw_bulk_load(batch).await.unwrap();
        raw += t.elapsed();
        // As the ingestor sends it: many small requests in one batch.
        let requests: Vec<AppendRequest> = batch
            .chunks(100)
            .map(|c| AppendRequest {
                account,
                events: c.to_vec(),
            })
            .collect();
        let t = Instant::now();
        store.append(&requests).await.unwrap();
        appended += t.elapsed();
    }
    let n = ((batches - 1) * per_batch) as f64;
    let (raw_rate, append_rate) = (n / raw.as_secs_f64(), n / appended.as_secs_f64());
    eprintln!(
        "raw COPY {raw_rate:.0} events/s, append {append_rate:.0} events/s ({:.0}%)",
        100.0 * append_rate / raw_rate
    );
}
