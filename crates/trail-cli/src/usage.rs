//! `trail usage <view>`: the Usage Analysis views of a running server as tables
//! (or JSON), with the same global filters as the API (docs/usage-analysis.md).

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use serde::de::DeserializeOwned;
use serde::Serialize;
use trail_core::usage::{
    Card, Durations, ErrorDetail, ErrorGroup, Errors, Events, FunctionRuns, Functions, History,
    Overview, Packages, Patterns, Performance, Series, Unused,
};

use crate::output::{line, say};
use crate::remote::{explain, Remote};

#[derive(Subcommand, Debug)]
pub enum View {
    /// Active and new people, sessions, events and errors against the window before.
    Overview(Ask),
    /// Each package: people, events, failures, functions, first and last use.
    Packages(Ask),
    /// Each function: runs, people, failures and duration percentiles.
    Functions(Ask),
    /// One function's runs with their inputs and outputs (--kind, --function, --package).
    Runs(Ask),
    /// Events per source, level and type, and per person.
    Events(Ask),
    /// Errors grouped by signature.
    Errors(Ask),
    /// One error group: occurrences and the actions that came before them.
    Error {
        /// The signature, or its start as `trail usage errors` shows it.
        signature: String,
        #[command(flatten)]
        ask: Ask,
    },
    /// Duration percentiles per operation, and the slowest recent events.
    Performance(Ask),
    /// People clustered by what they do, against their groups.
    Patterns(Ask),
    /// Where a resource came from, how it changed, what was done with it.
    History {
        /// Resource kind, e.g. table.
        kind: String,
        /// Resource id.
        id: String,
        #[command(flatten)]
        ask: Ask,
    },
    /// Event types, packages and functions nobody used in the window.
    Unused(Ask),
}

/// The global filters and view options, as in the API.
#[derive(Args, Debug)]
pub struct Ask {
    #[command(flatten)]
    remote: Remote,
    /// Dates as in search: today, 7d, 2026-11-01..2026-11-23 [default: 30d].
    #[arg(long)]
    range: Option<String>,
    /// minute, hour or day [default: adapts to the range].
    #[arg(long)]
    bucket: Option<String>,
    /// People by login or e-mail, comma-separated.
    #[arg(long)]
    users: Option<String>,
    /// Groups, comma-separated (with their subgroups).
    #[arg(long)]
    groups: Option<String>,
    #[arg(long)]
    packages: Option<String>,
    /// Resource kinds, comma-separated.
    #[arg(long)]
    kinds: Option<String>,
    /// Event types, comma-separated.
    #[arg(long)]
    types: Option<String>,
    /// How many rows a list shows.
    #[arg(long)]
    top: Option<u32>,
    /// Errors: days without an error after which it counts as regressed [default: 7].
    #[arg(long)]
    quiet_days: Option<u32>,
    /// Error: how far before an error actions count, in seconds [default: 600].
    #[arg(long)]
    window_seconds: Option<u32>,
    /// Patterns: people with fewer events are left out [default: 20].
    #[arg(long)]
    min_events: Option<u32>,
    /// Runs: the function's package, kind and id.
    #[arg(long)]
    package: Option<String>,
    #[arg(long)]
    kind: Option<String>,
    #[arg(long)]
    function: Option<String>,
    /// Runs: how many, and where to continue.
    #[arg(long)]
    limit: Option<u32>,
    #[arg(long)]
    cursor: Option<String>,
    /// Print the answer as JSON.
    #[arg(long)]
    json: bool,
}

impl Ask {
    fn params(&self) -> Vec<(String, String)> {
        let numbers = [
            ("top", self.top),
            ("quiet_days", self.quiet_days),
            ("window_seconds", self.window_seconds),
            ("min_events", self.min_events),
            ("limit", self.limit),
        ];
        let texts = [
            ("range", &self.range),
            ("bucket", &self.bucket),
            ("users", &self.users),
            ("groups", &self.groups),
            ("packages", &self.packages),
            ("kinds", &self.kinds),
            ("types", &self.types),
            ("package", &self.package),
            ("kind", &self.kind),
            ("function", &self.function),
            ("cursor", &self.cursor),
        ];
        let numbers = numbers
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v.to_string())));
        let texts = texts
            .into_iter()
            .filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v)));
        numbers.chain(texts).collect()
    }

    /// Fetches the view; prints it as JSON and returns `None` when asked to.
    async fn get<T: DeserializeOwned + Serialize>(&self, path: &str) -> anyhow::Result<Option<T>> {
        let answer: T = self
            .remote
            .client()
            .usage(path, &self.params())
            .await
            .map_err(explain)?;
        if self.json {
            say!("{}", serde_json::to_string_pretty(&answer)?);
            return Ok(None);
        }
        Ok(Some(answer))
    }
}

pub async fn run(view: View) -> anyhow::Result<()> {
    match view {
        View::Overview(a) => a.get("overview").await?.map(overview),
        View::Packages(a) => a.get("packages").await?.map(packages),
        View::Functions(a) => a.get("functions").await?.map(functions),
        View::Runs(a) => a.get("runs").await?.map(runs),
        View::Events(a) => a.get("events").await?.map(events),
        View::Errors(a) => a.get("errors").await?.map(errors),
        View::Error { signature, ask } => ask.get(&format!("errors/{signature}")).await?.map(error),
        View::Performance(a) => a.get("performance").await?.map(performance),
        View::Patterns(a) => a.get("patterns").await?.map(patterns),
        View::History { kind, id, ask } => {
            ask.get(&format!("history/{kind}/{id}")).await?.map(history)
        }
        View::Unused(a) => a.get("unused").await?.map(unused),
    };
    Ok(())
}

/// Prints rows under a header, each column as wide as its widest cell.
fn table(header: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let show = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        line(padded.join("  ").trim_end());
    };
    show(header.iter().map(|h| h.to_string()).collect());
    rows.into_iter().for_each(show);
}

fn day(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn instant(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.0}"))
}

fn span_line(title: &str, s: &trail_core::usage::Span) {
    say!(
        "{title}, {} .. {} ({} buckets)",
        bucket(s, &s.from),
        bucket(s, &s.to),
        s.bucket
    );
}

/// A bucket's start: the date alone for day buckets.
fn bucket(s: &trail_core::usage::Span, t: &DateTime<Utc>) -> String {
    if s.bucket == "day" {
        day(t)
    } else {
        instant(t)
    }
}

fn card_row(name: &str, c: &Card) -> Vec<String> {
    let change = c
        .change
        .map_or_else(String::new, |x| format!("{:+.0}%", x * 100.0));
    vec![
        name.into(),
        c.current.to_string(),
        c.previous.to_string(),
        change,
    ]
}

fn overview(o: Overview) {
    span_line("Overview", &o.span);
    line("");
    let cards = [
        ("active users", &o.cards.active_users),
        ("new users", &o.cards.new_users),
        ("sessions", &o.cards.sessions),
        ("events", &o.cards.events),
        ("errors", &o.cards.errors),
    ];
    table(
        &["", "now", "before", "change"],
        cards.iter().map(|(n, c)| card_row(n, c)).collect(),
    );
    line("");
    let peak = o
        .users_per_bucket
        .iter()
        .map(|b| b.count)
        .max()
        .unwrap_or(0)
        .max(1);
    table(
        &["bucket", "people", ""],
        o.users_per_bucket
            .iter()
            .map(|b| {
                vec![
                    bucket(&o.span, &b.bucket),
                    b.count.to_string(),
                    "#".repeat((b.count * 40 / peak) as usize),
                ]
            })
            .collect(),
    );
    line("");
    table(
        &["package", "people", "events"],
        o.users_per_package
            .iter()
            .map(|p| vec![p.name.clone(), p.users.to_string(), p.events.to_string()])
            .collect(),
    );
    line("");
    let mut rows: Vec<Vec<String>> = o
        .top_users
        .iter()
        .map(|u| {
            vec![
                u.user.login.clone(),
                u.events.to_string(),
                u.failures.to_string(),
            ]
        })
        .collect();
    if o.other_users.users > 0 {
        rows.push(vec![
            format!("({} others)", o.other_users.users),
            o.other_users.events.to_string(),
            String::new(),
        ]);
    }
    table(&["person", "events", "failures"], rows);
}

fn packages(p: Packages) {
    span_line("Packages", &p.span);
    table(
        &[
            "package",
            "people",
            "events",
            "failures",
            "top functions",
            "first used",
            "last used",
        ],
        p.packages
            .iter()
            .map(|s| {
                let top: Vec<String> = s
                    .functions
                    .iter()
                    .take(3)
                    .map(|f| format!("{} ({})", f.name, f.events))
                    .collect();
                let (first, last) = s.used.as_ref().map_or((String::new(), String::new()), |u| {
                    (day(&u.first), day(&u.last))
                });
                vec![
                    s.package.clone(),
                    s.users.to_string(),
                    s.events.to_string(),
                    s.failures.to_string(),
                    top.join(", "),
                    first,
                    last,
                ]
            })
            .collect(),
    );
    say!(
        "{} dots (package × bucket × person) in the scatter; --json has them.",
        p.dots_total
    );
}

fn durations_cells(d: &Durations) -> Vec<String> {
    vec![
        ms(d.p50),
        ms(d.p90),
        ms(d.p99),
        d.max.map_or_else(|| "-".into(), |m| m.to_string()),
    ]
}

fn functions(f: Functions) {
    span_line("Functions", &f.span);
    table(
        &[
            "function", "kind", "id", "runs", "people", "failures", "p50 ms", "p90 ms", "p99 ms",
            "max ms",
        ],
        f.functions
            .iter()
            .map(|s| {
                let name = if s.function.package.is_empty() {
                    s.function.label.clone()
                } else {
                    format!("{}:{}", s.function.package, s.function.label)
                };
                let mut row = vec![
                    name,
                    s.function.kind.clone(),
                    s.function.function.clone(),
                    s.runs.to_string(),
                    s.users.to_string(),
                    s.failures.to_string(),
                ];
                row.extend(durations_cells(&s.durations));
                row
            })
            .collect(),
    );
}

fn runs(r: FunctionRuns) {
    span_line(
        &format!("Runs of {}:{}", r.function.package, r.function.label),
        &r.span,
    );
    table(
        &["time", "person", "ms", "status", "inputs and outputs"],
        r.runs
            .iter()
            .map(|x| {
                vec![
                    instant(&x.at),
                    x.user.clone(),
                    x.duration_ms.map_or_else(String::new, |d| d.to_string()),
                    x.status.clone(),
                    serde_json::to_string(&x.params).unwrap_or_default(),
                ]
            })
            .collect(),
    );
    if let Some(next) = r.next {
        say!("More: --cursor {next}");
    }
}

fn series_table(title: &str, series: &[Series]) {
    table(
        &[title, "events"],
        series
            .iter()
            .map(|s| vec![s.key.clone(), s.total.to_string()])
            .collect(),
    );
}

fn events(e: Events) {
    span_line("Events", &e.span);
    series_table("source", &e.by_source);
    line("");
    series_table("level", &e.by_level);
    line("");
    series_table("type", &e.by_type);
    line("");
    table(
        &["person", "client", "server"],
        e.by_user
            .iter()
            .map(|p| {
                let n = |k: &str| p.sources.get(k).copied().unwrap_or(0).to_string();
                vec![p.user.login.clone(), n("client"), n("server")]
            })
            .collect(),
    );
}

fn group_row(g: &ErrorGroup) -> Vec<String> {
    let place = g
        .functions
        .first()
        .or(g.packages.first())
        .map_or_else(String::new, |p| p.name.clone());
    vec![
        g.signature.chars().take(12).collect(),
        g.occurrences.to_string(),
        g.users.to_string(),
        g.sessions.to_string(),
        day(&g.first_seen),
        day(&g.last_seen),
        if g.regressed {
            "yes".into()
        } else {
            String::new()
        },
        place,
        g.message.chars().take(60).collect(),
    ]
}

const GROUP_HEADER: [&str; 9] = [
    "signature",
    "count",
    "people",
    "sessions",
    "first seen",
    "last seen",
    "regressed",
    "where",
    "message",
];

fn errors(e: Errors) {
    span_line("Errors", &e.span);
    table(&GROUP_HEADER, e.groups.iter().map(group_row).collect());
    line("`trail usage error <signature>` shows one group.");
}

fn error(d: ErrorDetail) {
    table(&GROUP_HEADER, vec![group_row(&d.group)]);
    line("");
    say!(
        "Before {} of its newest occurrences, in the same session within {} s:",
        d.studied,
        d.window_seconds
    );
    table(
        &["type", "occurrences", "share", "lift"],
        d.preceding
            .iter()
            .map(|p| {
                vec![
                    p.event_type.clone(),
                    p.occurrences.to_string(),
                    format!("{:.0}%", p.share * 100.0),
                    p.lift.map_or_else(|| "-".into(), |l| format!("{l:.1}")),
                ]
            })
            .collect(),
    );
    line("");
    table(
        &["time", "person", "type", "message"],
        d.occurrences
            .iter()
            .map(|e| {
                let mut row = who_did_what(e);
                row.extend(e.error.as_ref().map(|x| x.message.clone()));
                row
            })
            .collect(),
    );
}

fn performance(p: Performance) {
    span_line("Performance", &p.span);
    table(
        &[
            "type", "function", "package", "count", "p50 ms", "p90 ms", "p99 ms", "max ms",
        ],
        p.operations
            .iter()
            .map(|o| {
                let mut row = vec![
                    o.event_type.clone(),
                    o.label.clone(),
                    o.package.clone(),
                    o.durations.count.to_string(),
                ];
                row.extend(durations_cells(&o.durations));
                row
            })
            .collect(),
    );
    line("");
    line("Slowest recent events:");
    table(
        &["time", "person", "type", "resource", "ms"],
        p.slowest
            .iter()
            .map(|e| {
                let mut row = who_did_what(e);
                row.extend([
                    e.resource
                        .as_ref()
                        .and_then(|r| r.name.clone())
                        .unwrap_or_default(),
                    e.duration_ms.map_or_else(String::new, |d| d.to_string()),
                ]);
                row
            })
            .collect(),
    );
}

/// When, who and what of an event, for a table row.
fn who_did_what(e: &trail_core::api::EventView) -> Vec<String> {
    let time: String = e.occurred_at.chars().take(16).collect();
    vec![
        time.replace('T', " "),
        e.actor.id.clone(),
        e.event_type.clone(),
    ]
}

fn patterns(p: Patterns) {
    span_line("Patterns", &p.span);
    say!(
        "{} clusters (silhouette {:.2}) of people with at least {} events.",
        p.k,
        p.silhouette,
        p.min_events
    );
    if let Some(mine) = p.yours {
        say!("You are in cluster {mine}.");
    }
    table(
        &[
            "cluster",
            "people",
            "defining types (share, lift)",
            "members",
        ],
        p.clusters
            .iter()
            .map(|c| {
                let types: Vec<String> = c
                    .defining
                    .iter()
                    .map(|t| format!("{} ({:.0}%, ×{:.1})", t.event_type, t.share * 100.0, t.lift))
                    .collect();
                let members: Vec<&str> = c.users.iter().take(5).map(|u| u.login.as_str()).collect();
                vec![
                    c.id.to_string(),
                    c.users.len().to_string(),
                    types.join(", "),
                    members.join(", "),
                ]
            })
            .collect(),
    );
    line("");
    let mut header = vec!["group".to_string()];
    header.extend((0..p.k).map(|c| format!("cluster {c}")));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows = p
        .by_group
        .groups
        .iter()
        .zip(&p.by_group.counts)
        .map(|(g, counts)| {
            std::iter::once(g.clone())
                .chain(counts.iter().map(|n| n.to_string()))
                .collect()
        })
        .collect();
    table(&header, rows);
    say!("Cramér's V {:.2} (chi-square {:.1}, {} degrees of freedom): 0 means the group says nothing of the cluster, 1 that it decides it.",
        p.by_group.cramers_v, p.by_group.chi_square, p.by_group.degrees_of_freedom);
}

fn history(h: History) {
    let name = |n: &trail_core::usage::Node| {
        format!(
            "{} {} ({})",
            n.kind,
            n.name.clone().unwrap_or_default(),
            n.id
        )
    };
    say!("History of {}", name(&h.resource));
    line("");
    line("Made from:");
    for e in &h.origin {
        let by: Vec<String> = e
            .events
            .iter()
            .take(3)
            .map(|r| format!("{} {} {}", r.event_type, day(&r.at), r.user))
            .collect();
        say!(
            "  {}  ->  {}   [{}]",
            name(&e.from),
            name(&e.to),
            by.join("; ")
        );
    }
    if h.origin.is_empty() {
        line("  (no recorded source)");
    }
    line("");
    table(
        &["time", "person", "type", "changed"],
        h.modifications
            .iter()
            .map(|e| {
                let changed: Vec<String> = e
                    .changes
                    .as_ref()
                    .map(|c| c.changed.iter().map(|f| f.field.clone()).collect())
                    .unwrap_or_default();
                let mut row = who_did_what(e);
                row.push(changed.join(", "));
                row
            })
            .collect(),
    );
    line("");
    table(
        &["action", "events", "people", "last"],
        h.actions
            .iter()
            .map(|a| {
                vec![
                    a.action.clone(),
                    a.events.to_string(),
                    a.users.to_string(),
                    instant(&a.last),
                ]
            })
            .collect(),
    );
    if !h.complete {
        line("(cut short at the limits of depth or events read)");
    }
}

fn unused(u: Unused) {
    span_line("Unused", &u.span);
    for (title, items) in [
        ("event type", &u.event_types),
        ("package", &u.packages),
        ("function", &u.functions),
    ] {
        line("");
        table(
            &[title, "last used"],
            items
                .iter()
                .map(|i| {
                    vec![
                        i.name.clone(),
                        i.last_used.as_ref().map_or_else(|| "never".into(), day),
                    ]
                })
                .collect(),
        );
    }
}
