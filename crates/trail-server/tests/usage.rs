//! Usage Analysis through the HTTP API on both stores: every view against
//! figures counted by hand from the events sent, the global filters, roles,
//! and bad questions.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use trail_core::api::{NewKey, NewPerson};
use trail_core::usage::{
    ErrorDetail, Errors, Events, FunctionRuns, Functions, History, Overview, Packages, Patterns,
    Performance, Unused,
};
use trail_core::EventInput;

use common::TestServer;

on_both_stores!(
    views_answer_from_the_rollups,
    filters_roles_and_bad_questions,
    minute_buckets_agree_with_hours,
    kept_rows_give_way_to_late_events
);

const ANALYSTS: &[&str] = &["ann@co.com", "ben@co.com"];
const CHEMISTS: &[&str] = &["cat@co.com", "dan@co.com"];

fn item(v: Value) -> EventInput {
    serde_json::from_value(v).unwrap()
}

fn actor(login: &str) -> Value {
    json!({"kind": "user", "id": login, "email": login})
}

/// Midday `days` ago, plus `minutes`: well inside a day, whatever the time now.
fn at(days: i64, minutes: i64) -> DateTime<Utc> {
    let today = Utc::now().duration_trunc(Duration::days(1)).unwrap();
    today - Duration::days(days) + Duration::hours(2) + Duration::minutes(minutes)
}

/// Five days of two teams: analysts run a query and add viewers, chemists run
/// a script and create notebooks; dan's script fails twice after opening a
/// notebook, as it did once 20 days ago; a table is produced from the query
/// and edited; a legacy function last ran 40 days ago.
fn fixture() -> Vec<EventInput> {
    let mut out = Vec::new();
    for day in 1..=5 {
        for (p, login) in ANALYSTS.iter().enumerate() {
            for k in 0..4 {
                out.push(item(json!({"type": "query-start", "actor": actor(login),
                    "occurred_at": at(day, (p * 60 + k * 5) as i64), "package": "PowerPack",
                    "resource": {"id": "q1", "name": "Top Customers"},
                    "duration_ms": 100 + 50 * k, "params": {"region": "EU", "rows": k}})));
            }
            for k in 0..2 {
                out.push(item(json!({"type": "viewer-added", "actor": actor(login),
                    "occurred_at": at(day, (p * 60 + 30 + k) as i64), "package": "Charts", "source": "client",
                    "resource": {"kind": "viewer", "id": "v1", "name": "Scatter Plot"}})));
            }
        }
        for (p, login) in CHEMISTS.iter().enumerate() {
            for k in 0..3 {
                out.push(item(json!({"type": "script-start", "actor": actor(login),
                    "occurred_at": at(day, (200 + p * 60 + k * 5) as i64), "package": "Chem",
                    "resource": {"id": "s1", "name": "Normalize"}, "duration_ms": 1000 + 500 * k})));
            }
            out.push(item(
                json!({"type": "notebook-created", "actor": actor(login),
                "occurred_at": at(day, (200 + p * 60 + 40) as i64), "package": "Chem",
                "resource": {"id": format!("nb{day}{p}"), "name": "Screening"}}),
            ));
        }
    }
    for (day, line) in [(20, 5), (2, 10), (1, 99)] {
        out.push(item(json!({"type": "script-start", "actor": actor("dan@co.com"),
            "occurred_at": at(day, 300), "package": "Chem", "status": "failed", "duration_ms": 20,
            "resource": {"id": "s1", "name": "Normalize"},
            "error": {"message": "Out of memory", "stack_trace": format!("RangeError\n    at join (chem.js:{line}:3)")}})));
        out.push(item(json!({"type": "notebook-created", "actor": actor("dan@co.com"),
            "occurred_at": at(day, 299), "package": "Chem", "resource": {"id": "nbx", "name": "Scratch"}})));
    }
    out.push(item(
        json!({"type": "table-produced", "actor": actor("ann@co.com"), "occurred_at": at(3, 10),
        "package": "PowerPack", "resource": {"id": "t1", "name": "customers"},
        "params": {"source": "query:Top Customers", "rows": 10}}),
    ));
    out.push(item(
        json!({"type": "table-edited", "action": "updated", "actor": actor("ben@co.com"),
        "occurred_at": at(2, 10), "resource": {"kind": "table", "id": "t1", "name": "customers"},
        "changes": {"before": {"rows": 10}, "after": {"rows": 12}}}),
    ));
    out.push(item(
        json!({"type": "script-start", "actor": actor("cat@co.com"), "occurred_at": at(40, 0),
        "package": "Chem", "resource": {"id": "s0", "name": "Legacy Import"}, "duration_ms": 5}),
    ));
    out
}

async fn load(s: &TestServer) -> Vec<EventInput> {
    let events = fixture();
    s.client().send_events(&events).await.unwrap();
    let team = s
        .store
        .create_group(s.account, "analysts", None)
        .await
        .unwrap();
    let bi = s
        .store
        .create_group(s.account, "bi", Some(team.id))
        .await
        .unwrap();
    let chem = s
        .store
        .create_group(s.account, "chemists", None)
        .await
        .unwrap();
    for (group, login) in [
        (team.id, "ann@co.com"),
        (bi.id, "ben@co.com"),
        (chem.id, "cat@co.com"),
        (chem.id, "dan@co.com"),
    ] {
        let user = s.store.find_user(s.account, login).await.unwrap().unwrap();
        s.store
            .add_group_member(s.account, group, user.id)
            .await
            .unwrap();
    }
    events
}

async fn view<T: serde::de::DeserializeOwned>(
    s: &TestServer,
    key: &str,
    path: &str,
    params: &[(&str, &str)],
) -> T {
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    s.client_with(key)
        .usage(path, &params)
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn refused(s: &TestServer, key: &str, path: &str, query: &str) -> (StatusCode, String) {
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/usage/{path}?{query}", s.url))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    (
        status,
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Events of the fixture in the last `days` whole days (today included).
fn within(events: &[EventInput], days: i64) -> Vec<&EventInput> {
    let from = Utc::now().duration_trunc(Duration::days(1)).unwrap() - Duration::days(days - 1);
    events
        .iter()
        .filter(|e| {
            e.occurred_at
                .as_deref()
                .unwrap()
                .parse::<DateTime<Utc>>()
                .unwrap()
                >= from
        })
        .collect()
}

async fn views_answer_from_the_rollups(s: TestServer) {
    let events = load(&s).await;
    let key = s.admin_key.clone();
    let week = within(&events, 7);
    let range = [("range", "7d")];

    let o: Overview = view(&s, &key, "overview", &range).await;
    assert_eq!(o.span.bucket, "day");
    assert_eq!(o.cards.events.current, week.len() as i64);
    assert_eq!(o.cards.active_users.current, 4);
    assert_eq!(o.cards.errors.current, 2, "dan's two failures this week");
    assert_eq!(o.cards.errors.previous, 0);
    assert_eq!(
        o.cards.new_users.current, 2,
        "ann and ben first appeared this week; cat and dan before"
    );
    assert!(o.cards.sessions.current >= 4);
    let busy: Vec<i64> = o
        .users_per_bucket
        .iter()
        .filter(|b| b.count > 0)
        .map(|b| b.count)
        .collect();
    assert_eq!(busy, vec![4; 5], "four people on each of five days");
    let per_package: BTreeMap<&str, (i64, i64)> = o
        .users_per_package
        .iter()
        .map(|p| (p.name.as_str(), (p.users, p.events)))
        .collect();
    let count = |pkg: &str| {
        week.iter()
            .filter(|e| e.package.as_deref() == Some(pkg))
            .count() as i64
    };
    assert_eq!(per_package["PowerPack"], (2, count("PowerPack")));
    assert_eq!(per_package["Chem"], (2, count("Chem")));
    assert_eq!(o.top_users.len(), 4);
    assert_eq!(
        o.top_users[0].events, 31,
        "ann: 30 queries and viewers and the table"
    );
    assert_eq!(o.other_users.users, 0);

    let p: Packages = view(&s, &key, "packages", &range).await;
    let chem = p.packages.iter().find(|x| x.package == "Chem").unwrap();
    assert_eq!((chem.users, chem.failures), (2, 2));
    assert_eq!(
        chem.actions.get("executed"),
        Some(&32),
        "30 runs and two failures"
    );
    assert_eq!(chem.functions[0].name, "Chem:Normalize");
    assert!(
        chem.used.as_ref().unwrap().first < Utc::now() - Duration::days(30),
        "first used 40 days ago"
    );
    assert_eq!(
        p.dots.iter().map(|d| d.events).sum::<i64>(),
        week.iter().filter(|e| e.package.is_some()).count() as i64
    );

    // Before any drill-down: those are reads of the log, recorded as events.
    let ev: Events = view(&s, &key, "events", &range).await;
    let source = |k: &str| {
        ev.by_source
            .iter()
            .find(|x| x.key == k)
            .map_or(0, |x| x.total)
    };
    assert_eq!(source("client"), 20);
    assert_eq!(source("client") + source("server"), week.len() as i64);
    assert_eq!(ev.by_user.len(), 4);

    let f: Functions = view(&s, &key, "functions", &range).await;
    let normalize = f
        .functions
        .iter()
        .find(|x| x.function.label == "Normalize")
        .unwrap();
    assert_eq!(
        (normalize.runs, normalize.users, normalize.failures),
        (32, 2, 2)
    );
    assert_eq!(normalize.durations.max, Some(2000));
    let p50 = normalize.durations.p50.unwrap();
    assert!((p50 - 1500.0).abs() <= 1500.0 * 0.02, "median run {p50} ms");
    let runs: FunctionRuns = view(
        &s,
        &key,
        "runs",
        &[
            ("range", "7d"),
            ("kind", "query"),
            ("function", "q1"),
            ("package", "PowerPack"),
            ("limit", "5"),
        ],
    )
    .await;
    assert_eq!(runs.runs.len(), 5);
    assert!(runs.next.is_some());
    assert_eq!(runs.runs[0].params["region"], json!("EU"));
    assert_eq!(runs.durations.count, 40);

    let errors: Errors = view(&s, &key, "errors", &[("range", "7d"), ("quiet_days", "7")]).await;
    assert_eq!(errors.groups.len(), 1, "line numbers aside, one stack");
    let g = &errors.groups[0];
    assert_eq!((g.occurrences, g.users), (2, 1));
    assert!(g.regressed, "back after 18 quiet days");
    assert!(g.first_seen < Utc::now() - Duration::days(19));
    assert_eq!(g.functions[0].name, "Chem:Normalize");
    let detail: ErrorDetail = view(
        &s,
        &key,
        &format!("errors/{}", g.signature),
        &[("range", "7d"), ("window_seconds", "120")],
    )
    .await;
    assert_eq!(detail.studied, 2);
    assert_eq!(detail.occurrences.len(), 2);
    let first = &detail.preceding[0];
    assert_eq!(
        (first.event_type.as_str(), first.occurrences),
        ("notebook-created", 2)
    );
    assert!(first.lift.unwrap() > 1.0);

    let perf: Performance = view(&s, &key, "performance", &range).await;
    let slowest = &perf.operations[0];
    assert_eq!(slowest.event_type, "script-start");
    assert_eq!(slowest.durations.count, 32);
    assert!(!perf.slowest.is_empty());
    assert!(perf.slowest.iter().all(|e| e.duration_ms.unwrap() >= 1900));
    // The slowest first by p90; a limit keeps the first of the same order.
    let p90s: Vec<_> = perf.operations.iter().map(|o| o.durations.p90).collect();
    assert!(p90s.windows(2).all(|w| w[0] >= w[1]), "{p90s:?}");
    let two: Performance = view(&s, &key, "performance", &[range[0], ("limit", "2")]).await;
    assert_eq!(two.operations, perf.operations[..2]);

    let patterns: Patterns = view(
        &s,
        &key,
        "patterns",
        &[("range", "7d"), ("min_events", "5")],
    )
    .await;
    assert_eq!(patterns.k, 2);
    assert!(
        patterns.by_group.cramers_v > 0.99,
        "the team decides the pattern: {:?}",
        patterns.by_group
    );
    let script_cluster = patterns
        .clusters
        .iter()
        .find(|c| c.defining.iter().any(|t| t.event_type == "script-start"))
        .unwrap();
    let members: Vec<&str> = script_cluster
        .users
        .iter()
        .map(|u| u.login.as_str())
        .collect();
    assert_eq!(members, CHEMISTS);

    let h: History = view(&s, &key, "history/table/t1", &range).await;
    assert_eq!(h.origin.len(), 1);
    assert_eq!(
        (h.origin[0].from.kind.as_str(), h.origin[0].from.id.as_str()),
        ("query", "q1")
    );
    assert_eq!(h.modifications.len(), 1);
    assert!(h.modifications[0].changes.is_some());
    assert_eq!(h.actions.iter().map(|a| a.events).sum::<i64>(), 2);

    let u: Unused = view(&s, &key, "unused", &[("range", "30d")]).await;
    assert_eq!(
        u.functions
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>(),
        ["Chem:Legacy Import"]
    );
    assert!(u
        .event_types
        .iter()
        .any(|t| t.name == "job-start" && t.last_used.is_none()));
    assert!(!u.event_types.iter().any(|t| t.name == "query-start"));
}

async fn filters_roles_and_bad_questions(s: TestServer) {
    let member = {
        // ann is a member with her own read key, made before her events arrive.
        let person = NewPerson {
            login: "ann@co.com".into(),
            role: "member".into(),
            password: Some("correct horse battery".into()),
            ..NewPerson::default()
        };
        s.client().create_user(&person).await.unwrap();
        let request = NewKey {
            name: "ann".into(),
            scope: "read".into(),
            user: Some("ann@co.com".into()),
            ..NewKey::default()
        };
        let key = s.client().create_key(&request).await.unwrap();
        key.secret.unwrap()
    };
    let events = load(&s).await;
    let week = within(&events, 7);
    let key = s.admin_key.clone();

    let chemists: Overview = view(
        &s,
        &key,
        "overview",
        &[("range", "7d"), ("groups", "chemists")],
    )
    .await;
    assert_eq!(chemists.cards.active_users.current, 2);
    let of = |logins: &[&str]| {
        week.iter()
            .filter(|e| logins.contains(&e.actor.as_ref().unwrap().id.as_str()))
            .count() as i64
    };
    assert_eq!(chemists.cards.events.current, of(CHEMISTS));
    let analysts: Overview = view(
        &s,
        &key,
        "overview",
        &[("range", "7d"), ("groups", "analysts")],
    )
    .await;
    assert_eq!(
        analysts.cards.active_users.current, 2,
        "bi is inside analysts"
    );
    let by_package: Overview = view(
        &s,
        &key,
        "overview",
        &[("range", "7d"), ("packages", "Charts"), ("users", "ben")],
    )
    .await;
    assert_eq!(by_package.cards.events.current, 10);
    let by_type: Events = view(
        &s,
        &key,
        "events",
        &[("range", "7d"), ("types", "notebook-created,viewer-added")],
    )
    .await;
    assert_eq!(
        by_type.by_type.iter().map(|t| t.total).sum::<i64>(),
        20 + 10 + 2
    );

    let mine: Overview = view(&s, &member, "overview", &[("range", "7d")]).await;
    assert_eq!(
        mine.cards.active_users.current, 1,
        "a member sees their own use"
    );
    assert_eq!(mine.cards.events.current, of(&["ann@co.com"]));
    let asked_for_others: Overview = view(
        &s,
        &member,
        "overview",
        &[("range", "7d"), ("groups", "chemists")],
    )
    .await;
    assert_eq!(asked_for_others.cards.events.current, 0);

    for (path, query, words) in [
        ("overview", "range=soon", "range"),
        ("overview", "range=2026-12-01..2026-11-01", "range"),
        ("overview", "range=90d&bucket=minute", "too many"),
        ("overview", "bucket=week", "week"),
        ("overview", "groups=nobody-here", "nobody-here"),
        ("overview", "users=zed", "zed"),
        ("overview", "types=no-such-type", "no-such-type"),
        ("overview", "kinds=Not%20A%20Kind", "kinds"),
        ("overview", "colour=red", "colour"),
        ("overview", "top=0", "top"),
        ("performance", "users=ann", "per person"),
        ("runs", "kind=query", "function"),
        ("errors/ffff", "", "not found"),
        ("history/table/nothing", "", "not found"),
    ] {
        let (status, message) = refused(&s, &key, path, query).await;
        assert!(status.is_client_error(), "{path}?{query}: {status}");
        assert!(
            message.to_lowercase().contains(words),
            "{path}?{query}: {message}"
        );
    }
}

async fn minute_buckets_agree_with_hours(s: TestServer) {
    load(&s).await;
    let key = s.admin_key.clone();
    let day = at(1, 0).duration_trunc(Duration::hours(1)).unwrap();
    let range = format!(
        "{}..{}",
        day.to_rfc3339(),
        (day + Duration::hours(3) - Duration::microseconds(1)).to_rfc3339()
    );
    let minutes: Events = view(
        &s,
        &key,
        "events",
        &[("range", &range), ("bucket", "minute")],
    )
    .await;
    let hours: Events = view(&s, &key, "events", &[("range", &range), ("bucket", "hour")]).await;
    assert_eq!(minutes.span.bucket, "minute");
    assert_eq!(
        minutes.by_source.iter().map(|x| x.points.len()).max(),
        Some(180)
    );
    let totals = |e: &Events| {
        e.by_type
            .iter()
            .map(|t| (t.key.clone(), t.total))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(totals(&minutes), totals(&hours));
    assert!(!totals(&hours).is_empty());

    // Errors by the minute come from the window's events, sessions included.
    let start = at(1, 180).duration_trunc(Duration::hours(1)).unwrap();
    let range = format!(
        "{}..{}",
        start.to_rfc3339(),
        (start + Duration::hours(3) - Duration::microseconds(1)).to_rfc3339()
    );
    let groups = |bucket: &'static str| {
        let range = range.clone();
        let s = &s;
        let key = key.clone();
        async move {
            let e: Errors = view(s, &key, "errors", &[("range", &range), ("bucket", bucket)]).await;
            e.groups
                .iter()
                .map(|g| {
                    (
                        g.signature.clone(),
                        g.occurrences,
                        g.users,
                        g.sessions,
                        g.regressed,
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let by_minute = groups("minute").await;
    assert_eq!(by_minute, groups("hour").await);
    assert_eq!(by_minute.len(), 1, "dan's failure of day 1: {by_minute:?}");
    assert_eq!(
        (by_minute[0].1, by_minute[0].2, by_minute[0].3),
        (1, 1, 1),
        "one occurrence, person and session"
    );
}

/// The server keeps past buckets' rows between questions; events that arrive
/// late, into those buckets, must still be counted by the next question.
async fn kept_rows_give_way_to_late_events(s: TestServer) {
    load(&s).await;
    let key = s.admin_key.clone();
    let range = [("range", "30d")];
    let before: Overview = view(&s, &key, "overview", &range).await;
    let packages: Packages = view(&s, &key, "packages", &range).await;
    let errors: Errors = view(&s, &key, "errors", &range).await;
    assert_eq!(
        view::<Packages>(&s, &key, "packages", &range).await,
        packages,
        "asked twice, answered the same"
    );
    let late = [
        item(json!({"type": "script-start", "actor": actor("eve@co.com"),
            "occurred_at": at(4, 500), "package": "Late", "status": "failed",
            "resource": {"id": "s9", "name": "Late Import"},
            "error": {"message": "Disk full", "stack_trace": "IOError\n    at write (late.js:1:1)"}})),
        item(json!({"type": "query-start", "actor": actor("ann@co.com"),
            "occurred_at": at(10, 0), "package": "PowerPack",
            "resource": {"id": "q1", "name": "Top Customers"}})),
    ];
    s.client().send_events(&late).await.unwrap();

    let after: Overview = view(&s, &key, "overview", &range).await;
    assert_eq!(after.cards.events.current, before.cards.events.current + 2);
    assert_eq!(
        after.cards.active_users.current,
        before.cards.active_users.current + 1
    );
    let now: Packages = view(&s, &key, "packages", &range).await;
    let package = |p: &Packages, name: &str| {
        p.packages
            .iter()
            .find(|s| s.package == name)
            .map(|s| (s.events, s.users))
    };
    assert_eq!(package(&now, "Late"), Some((1, 1)));
    let (events, users) = package(&packages, "PowerPack").unwrap();
    assert_eq!(package(&now, "PowerPack"), Some((events + 1, users)));
    let only: Packages = view(
        &s,
        &key,
        "packages",
        &[("range", "30d"), ("packages", "Late")],
    )
    .await;
    assert_eq!(only.packages.len(), 1, "a filter applies to kept rows too");
    let now: Errors = view(&s, &key, "errors", &range).await;
    assert_eq!(now.groups.len(), errors.groups.len() + 1);
    assert!(now.groups.iter().any(|g| g.message == "Disk full"));
}
