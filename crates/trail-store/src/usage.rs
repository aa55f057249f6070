//! An entity's usage at a glance (seed 000's Usage pane): events per day,
//! distinct users, top users and actions, failures. One SQL text for both
//! backends; each runs the statements and hands back (label, events, failures) rows.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
pub use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::search::{Dialect, Sql, SqlArg};

/// Which entity, over which time, with days counted in whose time zone.
#[derive(Debug, Clone)]
pub struct UsageRequest {
    pub kind: String,
    pub id: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub tz: Tz,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityUsage {
    pub events: i64,
    pub failures: i64,
    /// Distinct people who acted on the entity.
    pub users: i64,
    /// Days (in the request's time zone) with events, oldest first.
    pub per_day: Vec<DayCount>,
    pub top_users: Vec<LabelCount>,
    pub top_actions: Vec<LabelCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    pub day: NaiveDate,
    pub events: i64,
    pub failures: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelCount {
    pub label: String,
    pub events: i64,
    pub failures: i64,
}

/// One result row of a usage statement.
pub type UsageRow = (String, i64, i64);

const TOP: i64 = 5;

/// Events are counted per quarter hour, then the quarters summed into the
/// caller's days: every time zone's offset is a whole number of quarter hours, so
/// each quarter lies within one local day, daylight saving included.
const QUARTER_HOUR: i64 = 900;

/// The statements, in the order [`assemble`] expects their rows.
pub fn usage_sql(d: &dyn Dialect, account: Uuid, req: &UsageRequest) -> Vec<Sql> {
    let args = vec![
        SqlArg::Uuid(account),
        SqlArg::Text(req.kind.clone()),
        SqlArg::Text(req.id.clone()),
        SqlArg::Time(req.from),
        SqlArg::Time(req.to),
    ];
    let p: Vec<String> = (1..=5).map(|n| d.placeholder(n)).collect();
    let scope = format!(
        "FROM events e WHERE e.account_id = {} AND e.resource_kind = {} AND e.resource_id = {} \
         AND e.event_time >= {} AND e.event_time < {}",
        p[0], p[1], p[2], p[3], p[4]
    );
    let failed = "COALESCE(SUM(CASE WHEN e.status = 'failed' THEN 1 ELSE 0 END), 0)";
    let quarter = d.bucket_number("e.event_time", QUARTER_HOUR);
    let texts = [
        format!("SELECT '' AS label, COUNT(*) AS n, {failed} AS f {scope}"),
        format!("SELECT '' AS label, COUNT(DISTINCT e.actor_id) AS n, CAST(0 AS BIGINT) AS f {scope} AND e.actor_kind = 'user'"),
        format!("SELECT CAST({quarter} AS TEXT) AS label, COUNT(*) AS n, {failed} AS f {scope} GROUP BY {quarter}"),
        format!(
            "SELECT COALESCE(e.actor_email, e.actor_id) AS label, COUNT(*) AS n, {failed} AS f {scope} \
             AND e.actor_kind = 'user' GROUP BY COALESCE(e.actor_email, e.actor_id) ORDER BY n DESC, label LIMIT {TOP}"
        ),
        format!("SELECT e.action AS label, COUNT(*) AS n, {failed} AS f {scope} GROUP BY e.action ORDER BY n DESC, label LIMIT {TOP}"),
    ];
    texts
        .into_iter()
        .map(|text| Sql {
            text,
            args: args.clone(),
        })
        .collect()
}

/// Builds the answer from the rows of each statement of [`usage_sql`].
pub fn assemble(results: Vec<Vec<UsageRow>>, tz: Tz) -> EntityUsage {
    let mut it = results.into_iter();
    let mut next = || it.next().unwrap_or_default();
    let (totals, users, days, top_users, top_actions) = (next(), next(), next(), next(), next());
    let first = |rows: &[UsageRow]| rows.first().map(|r| (r.1, r.2)).unwrap_or_default();
    let labelled = |rows: Vec<UsageRow>| {
        rows.into_iter()
            .map(|(label, events, failures)| LabelCount {
                label,
                events,
                failures,
            })
            .collect()
    };
    let (events, failures) = first(&totals);
    EntityUsage {
        events,
        failures,
        users: first(&users).0,
        per_day: local_days(days, tz),
        top_users: labelled(top_users),
        top_actions: labelled(top_actions),
    }
}
/// Sums quarter-hour rows into the days of `tz`, oldest first.
fn local_days(quarters: Vec<UsageRow>, tz: Tz) -> Vec<DayCount> {
    let mut days: BTreeMap<NaiveDate, (i64, i64)> = BTreeMap::new();
    for (n, events, failures) in quarters {
        let Some(start) = n
            .parse::<i64>()
            .ok()
            .and_then(|n| DateTime::from_timestamp(n * QUARTER_HOUR, 0))
        else {
            continue;
        };
        let day = days
            .entry(start.with_timezone(&tz).date_naive())
            .or_default();
        day.0 += events;
        day.1 += failures;
    }
    days.into_iter()
        .map(|(day, (events, failures))| DayCount {
            day,
            events,
            failures,
        })
        .collect()
}
