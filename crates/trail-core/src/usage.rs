//! The answers of the Usage Analysis views (`GET /api/v1/usage/...`), shared by
//! the server, the Rust client and the CLI. docs/usage-analysis.md shows each.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The window an answer covers, cut into buckets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Span {
    /// Inclusive start, at the start of a bucket.
    pub from: DateTime<Utc>,
    /// Exclusive end, at the end of a bucket.
    pub to: DateTime<Utc>,
    /// `minute`, `hour` or `day` (UTC days).
    pub bucket: String,
}

/// A person as the views name them.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Person {
    pub id: Uuid,
    pub login: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One figure of this window next to the window of equal length before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Card {
    pub current: i64,
    pub previous: i64,
    /// `(current - previous) / previous`; none when the previous was 0.
    pub change: Option<f64>,
}

impl Card {
    pub fn new(current: i64, previous: i64) -> Card {
        Card {
            current,
            previous,
            change: (previous != 0).then(|| (current - previous) as f64 / previous as f64),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Cards {
    /// People with at least one event.
    pub active_users: Card,
    /// Active people whose first event ever falls in the window.
    pub new_users: Card,
    /// Sessions started.
    pub sessions: Card,
    pub events: Card,
    /// Events at level error or carrying an error.
    pub errors: Card,
}

/// A value per bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BucketCount {
    pub bucket: DateTime<Utc>,
    pub count: i64,
}

/// A named group of events and the people behind them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NameCount {
    pub name: String,
    pub events: i64,
    pub users: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PersonActivity {
    pub user: Person,
    pub events: i64,
    pub failures: i64,
}

/// The people after the top ones, together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rest {
    pub users: i64,
    pub events: i64,
}

/// Overview: who uses the product, and how much.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Overview {
    pub span: Span,
    /// The window of equal length just before, which the cards compare with.
    pub previous: Span,
    pub cards: Cards,
    pub users_per_bucket: Vec<BucketCount>,
    /// Packages by distinct people, most first.
    pub users_per_package: Vec<NameCount>,
    /// The most active people, most first.
    pub top_users: Vec<PersonActivity>,
    pub other_users: Rest,
}

/// A scatter plot shows at most this many dots, the largest.
pub const MAX_DOTS: usize = 20_000;

/// One dot of a scatter plot: a person's events in a bucket for one thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Dot {
    /// The package, function or source the dot belongs to.
    pub name: String,
    #[serde(serialize_with = "bucket_time")]
    pub bucket: DateTime<Utc>,
    pub user: Uuid,
    pub events: i64,
}

/// A bucket's time as chrono writes it (`2026-09-04T00:00:00Z`), without
/// chrono's formatting machinery when it is whole seconds of years 0–9999:
/// 20,000 dots' times were half of writing a scatter's answer.
fn bucket_time<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    use chrono::{Datelike, Timelike};
    if t.nanosecond() != 0 || !(0..=9999).contains(&t.year()) {
        return t.serialize(s);
    }
    let mut out = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, mut n: u32| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, t.year() as u32);
    put(5, 2, t.month());
    put(8, 2, t.day());
    put(11, 2, t.hour());
    put(14, 2, t.minute());
    put(17, 2, t.second());
    s.serialize_str(std::str::from_utf8(&out).expect("ASCII digits"))
}

/// When something was first and last used, ever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FirstLast {
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PackageSummary {
    pub package: String,
    pub events: i64,
    pub users: i64,
    pub failures: i64,
    /// Functions of the package run in the window.
    pub functions: Vec<NameCount>,
    /// Events per level (`info`, `audit`, `error`, ...).
    pub levels: BTreeMap<String, i64>,
    /// Events per action (`created`, `executed`, ...).
    pub actions: BTreeMap<String, i64>,
    pub used: Option<FirstLast>,
}

/// Packages: the scatter of package × bucket × person, and each package's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Packages {
    pub span: Span,
    pub people: Vec<Person>,
    /// The largest dots, at most [`MAX_DOTS`].
    pub dots: Vec<Dot>,
    /// How many dots there are in all.
    pub dots_total: i64,
    pub packages: Vec<PackageSummary>,
}

/// Duration quantiles in ms (within 2% of a recorded duration; max is exact).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Durations {
    pub count: i64,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<i64>,
}

/// A function: the executed resource of a package.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct FunctionRef {
    pub package: String,
    pub kind: String,
    /// The resource id (or name) that identifies the function.
    pub function: String,
    /// Its latest name.
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FunctionSummary {
    pub function: FunctionRef,
    pub runs: i64,
    pub users: i64,
    pub failures: i64,
    pub durations: Durations,
}

/// Functions: the scatter of function × bucket × person, and each function's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Functions {
    pub span: Span,
    pub people: Vec<Person>,
    /// The largest dots, at most [`MAX_DOTS`]; `name` is `package:label`.
    pub dots: Vec<Dot>,
    pub dots_total: i64,
    pub functions: Vec<FunctionSummary>,
}

/// One run of a function, from its event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Run {
    pub event_id: Uuid,
    pub at: DateTime<Utc>,
    pub user: String,
    pub duration_ms: Option<u64>,
    pub status: String,
    /// The run's parameters: its inputs and outputs.
    #[schema(value_type = Object)]
    pub params: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FunctionRuns {
    pub span: Span,
    pub function: FunctionRef,
    pub durations: Durations,
    /// Newest first.
    pub runs: Vec<Run>,
    /// Cursor of the next (older) page of runs.
    pub next: Option<String>,
}

/// A count per bucket and key (a source, level or type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Series {
    pub key: String,
    pub total: i64,
    pub points: Vec<BucketCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PersonSource {
    pub user: Person,
    /// Events per source (`client`, `server`).
    pub sources: BTreeMap<String, i64>,
}

/// Events: where events come from and of which kind, over time and per person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Events {
    pub span: Span,
    pub by_source: Vec<Series>,
    pub by_level: Vec<Series>,
    /// The most frequent types, most first.
    pub by_type: Vec<Series>,
    /// People by events, most first.
    pub by_user: Vec<PersonSource>,
}

/// Errors of one signature (the same stack, numbers and addresses aside).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorGroup {
    pub signature: String,
    /// The latest message.
    pub message: String,
    /// Ever, not only in the window.
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub occurrences: i64,
    pub users: i64,
    pub sessions: i64,
    pub trend: Vec<BucketCount>,
    /// Seen in the window after a quiet period of at least `quiet_days` without it.
    pub regressed: bool,
    pub packages: Vec<NameCount>,
    /// `package:label` of the functions that failed with it.
    pub functions: Vec<NameCount>,
    pub types: Vec<NameCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Errors {
    pub span: Span,
    pub quiet_days: u32,
    /// Most occurrences first.
    pub groups: Vec<ErrorGroup>,
}

/// An event type that came before errors of a group in the same session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Preceding {
    #[serde(rename = "type")]
    pub event_type: String,
    /// Of the occurrences studied, how many had this type before them.
    pub occurrences: i64,
    /// That number over the occurrences studied.
    pub share: f64,
    /// How much more often the type comes before the error than among all
    /// events of the window (> 1: more than by chance).
    pub lift: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub group: ErrorGroup,
    /// How far before each occurrence actions count, in seconds.
    pub window_seconds: u32,
    /// The newest occurrences looked at for `preceding`.
    pub studied: i64,
    pub preceding: Vec<Preceding>,
    /// The newest occurrences.
    pub occurrences: Vec<crate::api::EventView>,
}

/// An operation: an event type on a kind of resource, or a function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Operation {
    #[serde(rename = "type")]
    pub event_type: String,
    pub package: String,
    pub kind: String,
    pub function: String,
    pub label: String,
    pub durations: Durations,
    pub per_bucket: Vec<BucketDurations>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BucketDurations {
    pub bucket: DateTime<Utc>,
    pub durations: Durations,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Performance {
    pub span: Span,
    /// Slowest (p90) first.
    pub operations: Vec<Operation>,
    /// The newest events that took at least the window's p99 of all durations.
    pub slowest: Vec<crate::api::EventView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TypeWeight {
    #[serde(rename = "type")]
    pub event_type: String,
    /// The type's share of the cluster's events.
    pub share: f64,
    /// That share over the type's share among everyone's events.
    pub lift: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Cluster {
    pub id: usize,
    pub users: Vec<Person>,
    /// The types that set the cluster apart, most distinctive first.
    pub defining: Vec<TypeWeight>,
}

/// How the clusters and the groups go together: people per (group, cluster).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contingency {
    pub groups: Vec<String>,
    /// `counts[g][c]`: people of group `g` in cluster `c`.
    pub counts: Vec<Vec<i64>>,
    pub chi_square: f64,
    pub degrees_of_freedom: i64,
    /// Cramér's V, from 0 (independent) to 1 (the group decides the cluster).
    pub cramers_v: f64,
}

/// User patterns: people clustered by what they do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Patterns {
    pub span: Span,
    /// People with too few events to say (fewer than `min_events`) are left out.
    pub min_events: i64,
    /// The number of clusters, chosen by silhouette.
    pub k: usize,
    pub silhouette: f64,
    pub clusters: Vec<Cluster>,
    pub by_group: Contingency,
    /// The caller's own cluster, when asked for and clustered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yours: Option<usize>,
}

/// A resource in a data history.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Node {
    pub kind: String,
    pub id: String,
    pub name: Option<String>,
}

/// `from` went into `to` through these events (e.g. a query produced a table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Edge {
    pub from: Node,
    pub to: Node,
    /// How many of the events read record it.
    pub count: i64,
    /// The newest of them, at most 20.
    pub events: Vec<EventRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventRef {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub event_type: String,
    pub at: DateTime<Utc>,
    pub user: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionSummary {
    pub action: String,
    pub events: i64,
    pub users: i64,
    pub last: DateTime<Utc>,
}

/// Data history of one resource: where it came from, how it changed, what was done with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct History {
    pub resource: Node,
    /// The chain of resources that produced it, as edges towards it.
    pub origin: Vec<Edge>,
    /// Events that changed it, newest first, with their before/after.
    pub modifications: Vec<crate::api::EventView>,
    pub actions: Vec<ActionSummary>,
    /// False when the history was cut at the limits (depth, events read).
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnusedItem {
    pub name: String,
    /// Last use ever, if ever.
    pub last_used: Option<DateTime<Utc>>,
}

/// What nobody used in the window: candidates for removal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Unused {
    pub span: Span,
    pub event_types: Vec<UnusedItem>,
    pub packages: Vec<UnusedItem>,
    /// `package:label`.
    pub functions: Vec<UnusedItem>,
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn bucket_times_are_written_as_chrono_writes_them() {
        let at = |y, mo, d, h, mi, s| Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap();
        for t in [
            at(2026, 9, 4, 0, 0, 0),
            at(987, 12, 31, 23, 59, 7),
            at(2026, 1, 2, 3, 4, 5) + Duration::milliseconds(6),
            at(12345, 1, 1, 0, 0, 0),
        ] {
            let dot = super::Dot {
                name: "p".into(),
                bucket: t,
                user: uuid::Uuid::nil(),
                events: 1,
            };
            let json = serde_json::to_value(&dot).unwrap();
            assert_eq!(json["bucket"], serde_json::to_value(t).unwrap(), "{t}");
        }
    }
}
