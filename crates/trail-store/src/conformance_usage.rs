//! Conformance of the usage rollups: what `append` maintains must equal a
//! brute-force count over the events appended, survive retries, and be what a
//! rebuild from the stored events gives.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::json;
use trail_core::rollup::{Grain, Measures, Sessions, Tallies, Tally, CUBOIDS};
use trail_core::NewEvent;
use uuid::Uuid;

use crate::conformance::event;
use crate::rollups::{RollupQuery, RollupRow, RollupTable, SeenTable};
use crate::{AppendRequest, Store};

const PEOPLE: &[&str] = &["ann@co.com", "ben@co.com", "cat@co.com", "dan@co.com"];
const TYPES: &[&str] = &[
    "script-start",
    "query-start",
    "query-edited",
    "error",
    "log",
    "viewer-added",
];

/// 500 events over three days from four people and a service: functions with
/// durations, failures, errors of two signatures, several packages and kinds.
fn fixture(start: DateTime<Utc>) -> Vec<NewEvent> {
    (0..500)
        .map(|i: i64| {
            let ty = TYPES[(i % 6) as usize];
            let at = start + Duration::minutes(i * 9 + i % 7);
            let package = ["Chem", "PowerPack", "Charts"][(i % 3) as usize];
            let mut item = json!({"type": ty, "occurred_at": at.to_rfc3339(), "package": package});
            if i % 11 != 0 {
                let who = PEOPLE[(i % 4) as usize];
                item["actor"] = json!({"kind": "user", "id": who, "email": who});
            }
            if ty.ends_with("-start") {
                item["resource"] = json!({"id": format!("f{}", i % 5), "name": format!("Function {}", i % 5)});
                item["duration_ms"] = json!((i * 37) % 5000);
                item["params"] = json!({"rows": i});
                if i % 9 == 0 {
                    item["status"] = json!("failed");
                    item["error"] = json!({"message": "timeout", "stack_trace": format!("at run (a.js:{i}:1)")});
                }
            } else if ty == "error" {
                item["error"] = json!({"message": format!("boom {i}"), "stack_trace": format!("at draw (b.js:{i}:2)")});
            } else if ty == "query-edited" {
                item["resource"] = json!({"kind": "database", "id": "db1"});
            }
            event(item)
        })
        .collect()
}

/// A cell's counts and its people's tallies, by login.
type Expected = BTreeMap<Vec<String>, (Measures, BTreeMap<String, Tally>)>;

/// The cells one cuboid must hold, counted straight from the events.
fn expected_cells(
    events: &[NewEvent],
    cuboid: usize,
    grain: Grain,
    types: &HashMap<String, i64>,
) -> Expected {
    let c = &CUBOIDS[cuboid];
    let mut out = Expected::new();
    for e in events {
        let resource = e.resource.as_ref();
        let executed = e.action.as_str() == "executed";
        let function = if executed {
            resource
                .and_then(|r| r.id.clone().or(r.name.clone()))
                .unwrap_or_default()
        } else {
            String::new()
        };
        if c.runs_only && function.is_empty() {
            continue;
        }
        let keep = |d: trail_core::rollup::Dims, v: String, blank: &str| {
            if c.dims.contains(d) {
                v
            } else {
                blank.to_string()
            }
        };
        use trail_core::rollup::Dims as D;
        let key = vec![
            grain.floor(e.occurred_at).to_rfc3339(),
            keep(D::TYPE, types[e.event_type.as_str()].to_string(), "0"),
            keep(D::PACKAGE, e.package.clone().unwrap_or_default(), ""),
            keep(
                D::KIND,
                resource
                    .map(|r| r.kind.as_str().to_string())
                    .unwrap_or_default(),
                "",
            ),
            keep(D::FUNCTION, function, ""),
            keep(D::SOURCE, e.source.as_str().to_string(), ""),
            keep(D::LEVEL, e.level.as_str().to_string(), ""),
        ];
        let (m, people) = out.entry(key).or_default();
        let d = e.duration_ms.map(|d| d as i64);
        let (failed, error) = (
            (e.status.as_str() == "failed") as i64,
            (e.error.is_some() || e.level.as_str() == "error") as i64,
        );
        m.events += 1;
        m.failures += failed;
        m.errors += error;
        m.timed += d.is_some() as i64;
        m.duration_sum += d.unwrap_or(0);
        m.duration_max = m.duration_max.max(d.unwrap_or(0));
        if e.actor.kind.as_str() == "user" {
            people.entry(e.actor.id.clone()).or_default().add(&Tally {
                events: 1,
                failures: failed,
                errors: error,
            });
        }
    }
    out
}

fn as_cells(rows: Vec<RollupRow>, logins: &HashMap<u32, String>) -> Expected {
    rows.into_iter()
        .map(|r| {
            let people = Tallies::decode(&r.people).expect("stored tallies").0;
            let people = people
                .iter()
                .map(|(n, t)| (logins[n].clone(), *t))
                .collect();
            let key = vec![
                r.bucket.to_rfc3339(),
                r.type_id.to_string(),
                r.package.to_string(),
                r.kind.to_string(),
                r.function.to_string(),
                r.source.to_string(),
                r.level.to_string(),
            ];
            (key, (r.measures, people))
        })
        .collect()
}

async fn everything(
    store: &Arc<dyn Store>,
    account: Uuid,
    table: RollupTable,
    grain: Grain,
) -> Vec<RollupRow> {
    let mut rows = read_all(store, account, table, grain, false).await;
    rows.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    rows
}

/// Every row of the table at the grain; summed over buckets by the
/// database with `totals` (then without people).
async fn read_all(
    store: &Arc<dyn Store>,
    account: Uuid,
    table: RollupTable,
    grain: Grain,
    totals: bool,
) -> Vec<RollupRow> {
    let q = RollupQuery {
        table,
        grain,
        from: Utc::now() - Duration::days(400),
        to: Utc::now() + Duration::days(400),
        only: Vec::new(),
        not_blank: Vec::new(),
        people: !totals,
        totals,
    };
    store.rollup_rows(account, &q).await.expect("rollup rows")
}

/// Rows summed per combination of dimensions (the earliest bucket kept).
fn totals_of(rows: Vec<RollupRow>) -> BTreeMap<String, (DateTime<Utc>, [i64; 6])> {
    let mut out: BTreeMap<String, (DateTime<Utc>, [i64; 6])> = BTreeMap::new();
    for r in rows {
        let key = format!(
            "{} {} {} {} {} {} {}",
            r.type_id, r.package, r.kind, r.function, r.source, r.level, r.signature
        );
        let m = r.measures;
        let e = out.entry(key).or_insert((r.bucket, [0; 6]));
        e.0 = e.0.min(r.bucket);
        for (sum, v) in
            e.1.iter_mut()
                .zip([m.events, m.failures, m.errors, m.timed, m.duration_sum])
        {
            *sum += v;
        }
        e.1[5] = e.1[5].max(m.duration_max);
    }
    out
}

/// Appends the events in batches of `size`.
async fn append_in(store: &Arc<dyn Store>, account: Uuid, events: &[NewEvent], size: usize) {
    for chunk in events.chunks(size) {
        let request = AppendRequest {
            account,
            events: chunk.to_vec(),
        };
        store.append(&[request]).await.unwrap();
    }
}

struct Names {
    types: HashMap<String, i64>,
    users: HashMap<String, Uuid>,
    /// Login of each person number of the tallies.
    logins: HashMap<u32, String>,
}

async fn names(store: &Arc<dyn Store>, account: Uuid) -> Names {
    let all = store.list_users(account).await.unwrap();
    let users: HashMap<String, Uuid> = all.into_iter().map(|u| (u.login, u.id)).collect();
    let numbers = store.seen(account, SeenTable::People).await.unwrap();
    let login = |id: Uuid| users.iter().find(|(_, u)| **u == id).unwrap().0.clone();
    let logins = numbers.iter().map(|p| (p.number, login(p.user))).collect();
    let types = store.event_types(account).await.unwrap();
    Names {
        types: types.into_iter().map(|t| (t.name, t.id)).collect(),
        users,
        logins,
    }
}

pub async fn rollups_equal_a_count_of_the_events(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let start = (Utc::now() - Duration::days(4))
        .duration_trunc(Duration::hours(1))
        .unwrap();
    let events = fixture(start);
    // In several batches, one of them sent twice: a retry must not count twice.
    append_in(&store, account, &events, 120).await;
    store
        .append(&[AppendRequest {
            account,
            events: events[..50].to_vec(),
        }])
        .await
        .unwrap();
    let n = names(&store, account).await;
    for grain in Grain::STORED {
        for (i, cuboid) in CUBOIDS.iter().enumerate() {
            let rows = everything(&store, account, RollupTable::Cells(cuboid.id), grain).await;
            assert_eq!(
                as_cells(rows, &n.logins),
                expected_cells(&events, i, grain, &n.types),
                "cuboid {} at {grain:?}",
                cuboid.name
            );
        }
        for table in CUBOIDS
            .iter()
            .map(|c| RollupTable::Cells(c.id))
            .chain([RollupTable::Errors])
        {
            assert_eq!(
                totals_of(everything(&store, account, table, grain).await),
                totals_of(read_all(&store, account, table, grain, true).await),
                "window totals of {table:?} at {grain:?}"
            );
        }
        let durations = everything(&store, account, RollupTable::Durations, grain).await;
        let timed = events.iter().filter(|e| e.duration_ms.is_some()).count() as u64;
        let counted: u64 = durations
            .iter()
            .map(|r| r.sketch.as_ref().unwrap().count())
            .sum();
        assert_eq!(counted, timed, "every duration is in a sketch at {grain:?}");
        let errors = everything(&store, account, RollupTable::Errors, grain).await;
        let with_error = events.iter().filter(|e| e.error.is_some()).count() as i64;
        assert_eq!(
            errors.iter().map(|r| r.measures.events).sum::<i64>(),
            with_error
        );
    }
    let people = store.seen(account, SeenTable::People).await.unwrap();
    assert_eq!(people.len(), PEOPLE.len());
    let numbers: BTreeSet<u32> = people.iter().map(|p| p.number).collect();
    assert_eq!(
        numbers.len(),
        PEOPLE.len(),
        "each person has their own number"
    );
    for p in &people {
        let login = n.users.iter().find(|(_, id)| **id == p.user).unwrap().0;
        let times: Vec<_> = events
            .iter()
            .filter(|e| &e.actor.id == login)
            .map(|e| e.occurred_at)
            .collect();
        assert_eq!(
            (p.first, p.last),
            (*times.iter().min().unwrap(), *times.iter().max().unwrap())
        );
    }
    let features = store.seen(account, SeenTable::Features).await.unwrap();
    let functions: BTreeSet<_> = features
        .iter()
        .filter(|f| !f.function.is_empty())
        .map(|f| {
            (
                f.package.as_str(),
                f.kind.as_str(),
                f.function.as_str(),
                f.label.as_str(),
            )
        })
        .collect();
    // Scripts run in Chem, queries in PowerPack (the fixture's rhythm), five of each.
    assert_eq!(functions.len(), 10, "{functions:?}");
    assert!(functions.contains(&("Chem", "script", "f1", "Function 1")));
    let signatures = store.seen(account, SeenTable::Signatures).await.unwrap();
    let distinct: BTreeSet<_> = events
        .iter()
        .filter_map(|e| e.error.as_ref().map(|x| x.signature.clone()))
        .collect();
    assert_eq!(signatures.len(), distinct.len());
}

pub async fn rollups_rebuilt_from_events_are_the_same(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let start = Utc::now() - Duration::days(4);
    let events = fixture(start);
    append_in(&store, account, &events, 97).await;
    let before = snapshot(&store, account).await;
    let read = store.rebuild_rollups(account).await.unwrap();
    assert_eq!(read, events.len() as u64);
    assert!(
        snapshot(&store, account).await == before,
        "a rebuild changed the rollups"
    );
}

/// Every rollup row and first-and-last-seen row of the account, in a fixed order.
async fn snapshot(store: &Arc<dyn Store>, account: Uuid) -> (Vec<Vec<RollupRow>>, Vec<String>) {
    let mut rows = Vec::new();
    for grain in Grain::STORED {
        let tables = CUBOIDS.iter().map(|c| RollupTable::Cells(c.id));
        for table in tables.chain([RollupTable::Durations, RollupTable::Errors]) {
            rows.push(everything(store, account, table, grain).await);
        }
    }
    let mut seen = Vec::new();
    for table in [
        SeenTable::People,
        SeenTable::Features,
        SeenTable::Signatures,
    ] {
        let all = store.seen(account, table).await.unwrap();
        seen.extend(all.iter().map(|r| format!("{r:?}")));
    }
    seen.sort();
    (rows, seen)
}

pub async fn errors_keep_their_sessions_and_sessions_are_counted(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let start = Utc::now() - Duration::days(4);
    let events = fixture(start);
    store
        .append(&[AppendRequest {
            account,
            events: events.clone(),
        }])
        .await
        .unwrap();
    let stored = store.recent_events(account, None, 1000).await.unwrap();
    let mut expected: BTreeMap<String, BTreeSet<Uuid>> = BTreeMap::new();
    for e in &stored {
        if let (Some(x), Some(s)) = (&e.body.error, e.body.session_id) {
            expected.entry(x.signature.clone()).or_default().insert(s);
        }
    }
    let (from, to) = (start - Duration::days(1), Utc::now() + Duration::days(1));
    // Each grain's error cells hold, between them, every session an error hit.
    for grain in Grain::STORED {
        let q = RollupQuery {
            table: RollupTable::Errors,
            grain,
            from: Grain::Day.floor(from),
            to,
            only: Vec::new(),
            not_blank: Vec::new(),
            people: true,
            totals: false,
        };
        let mut got: BTreeMap<String, BTreeSet<Uuid>> = BTreeMap::new();
        for r in store.rollup_rows(account, &q).await.unwrap() {
            let sessions = Sessions::decode(&r.sessions).unwrap();
            got.entry(r.signature.to_string())
                .or_default()
                .extend(sessions.0.keys());
        }
        assert_eq!(got, expected, "{grain:?}");
    }
    let ann = store
        .find_user(account, "ann@co.com")
        .await
        .unwrap()
        .unwrap()
        .id;
    let all = store.count_sessions(account, from, to, None).await.unwrap();
    let anns = store
        .count_sessions(account, from, to, Some(&[ann]))
        .await
        .unwrap();
    assert!(
        all >= PEOPLE.len() as i64 && anns >= 1 && anns < all,
        "{all} sessions, {anns} of ann"
    );
    assert_eq!(
        store
            .count_sessions(account, to, to + Duration::days(1), None)
            .await
            .unwrap(),
        0
    );
}

/// The sessions kept per hour add up, for whole hours, to what a count of the
/// sessions gives, whether events or the sessions API opened them; other
/// windows count the sessions themselves.
pub async fn sessions_are_counted_per_hour_as_they_start(store: Arc<dyn Store>) {
    let account = store.create_account("acme").await.unwrap().id;
    let start = Grain::Day.floor(Utc::now()) - Duration::days(3);
    append_in(&store, account, &fixture(start), 7).await;
    // Opened through the API: one on an hour's edge, one just before it.
    let hour = start + Duration::hours(5);
    for started in [hour, hour - Duration::microseconds(1), hour] {
        let new = crate::NewSession {
            user: crate::conformance::alice(),
            started,
            ip: None,
            user_agent: None,
            client: None,
        };
        store.start_session(account, new).await.unwrap();
    }
    let mut starts = Vec::new();
    for login in PEOPLE.iter().chain(&["alice"]) {
        let sessions = store.list_sessions(account, login, 10_000).await.unwrap();
        starts.extend(sessions.iter().map(|s| s.started));
    }
    assert!(starts.len() > 8, "{} sessions", starts.len());
    let counted = |from: DateTime<Utc>, to: DateTime<Utc>| {
        starts.iter().filter(|s| **s >= from && **s < to).count() as i64
    };
    let windows = [
        (start - Duration::days(1), start + Duration::days(5)),
        (hour, hour + Duration::hours(1)),
        (hour - Duration::hours(1), hour),
        (start + Duration::hours(1), start + Duration::hours(30)),
        (
            hour - Duration::microseconds(1),
            hour + Duration::minutes(1),
        ),
        (start + Duration::minutes(7), start + Duration::days(2)),
    ];
    for (from, to) in windows {
        let got = store.count_sessions(account, from, to, None).await.unwrap();
        assert_eq!(got, counted(from, to), "{from} – {to}");
    }
}
