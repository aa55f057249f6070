//! Dates in queries: presets (`today`, `7d`), days, instants and ranges, resolved
//! to UTC instants in the caller's time zone.

use chrono::{DateTime, Duration, FixedOffset, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};

/// A point in a date expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePoint {
    /// A calendar day in the caller's time zone.
    Day(NaiveDate),
    /// An exact instant (RFC 3339).
    Instant(DateTime<FixedOffset>),
}

/// What `date:` asked for, before it is placed in a time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSpec {
    Today,
    Yesterday,
    /// The last N minutes/hours/days up to now (`15m`, `24h`, `7d`).
    Last(Duration),
    /// From the first point (inclusive) to the end of the second (a day counts whole).
    Between(Option<DatePoint>, Option<DatePoint>),
}

/// Half-open `[from, to)` in UTC; a missing end is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl DateSpec {
    /// Parses `today`, `yesterday`, `7d`, `2024-06-01`, `2024-06-01..2024-06-30`,
    /// `>2024-06-01`, `<=2024-06-01T12:00:00Z`, ...
    pub fn parse(text: &str) -> Result<DateSpec, String> {
        let t = text.trim();
        match t {
            "today" => return Ok(DateSpec::Today),
            "yesterday" => return Ok(DateSpec::Yesterday),
            _ => {}
        }
        if let Some(d) = relative(t) {
            return Ok(DateSpec::Last(d));
        }
        if let Some((a, b)) = t.split_once("..") {
            let from = if a.is_empty() { None } else { Some(point(a)?) };
            let to = if b.is_empty() { None } else { Some(point(b)?) };
            return Ok(DateSpec::Between(from, to));
        }
        let (op, rest) = split_operator(t);
        let p = point(rest)?;
        Ok(match op {
            ">" => DateSpec::Between(Some(after(p)), None),
            ">=" => DateSpec::Between(Some(p), None),
            "<" => DateSpec::Between(None, Some(before(p))),
            "<=" => DateSpec::Between(None, Some(p)),
            _ => DateSpec::Between(Some(p), Some(p)),
        })
    }

    /// The UTC range this means for a caller in `tz` at `now`. Fails when the end
    /// comes before the start.
    pub fn resolve<Tz: TimeZone>(&self, now: DateTime<Utc>, tz: &Tz) -> Result<TimeRange, String> {
        let today = now.with_timezone(tz).date_naive();
        let range = match *self {
            DateSpec::Today => day_range(today, tz),
            DateSpec::Yesterday => day_range(today.pred_opt().unwrap_or(today), tz),
            DateSpec::Last(d) => TimeRange {
                from: Some(now - d),
                to: None,
            },
            DateSpec::Between(a, b) => TimeRange {
                from: a.map(|p| start_of(p, tz)),
                to: b.map(|p| end_of(p, tz)),
            },
        };
        match (range.from, range.to) {
            (Some(f), Some(t)) if t <= f => Err("the range ends before it starts".into()),
            _ => Ok(range),
        }
    }
}

fn split_operator(t: &str) -> (&str, &str) {
    for op in [">=", "<=", ">", "<"] {
        if let Some(rest) = t.strip_prefix(op) {
            return (op, rest);
        }
    }
    ("", t)
}

/// `15m`, `24h`, `7d`, `2w`.
fn relative(t: &str) -> Option<Duration> {
    let (n, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok().filter(|n| *n > 0 && *n <= 100_000)?;
    match unit {
        "m" | "min" => Some(Duration::minutes(n)),
        "h" => Some(Duration::hours(n)),
        "d" => Some(Duration::days(n)),
        "w" => Some(Duration::weeks(n)),
        _ => None,
    }
}

fn point(t: &str) -> Result<DatePoint, String> {
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(DatePoint::Day(d));
    }
    DateTime::parse_from_rfc3339(t).map(DatePoint::Instant).map_err(|_| {
        format!("'{t}' is not a date; use today, yesterday, 7d, 24h, 2024-06-01, 2024-06-01..2024-06-30 or an RFC 3339 time")
    })
}

/// The first point after `p` for `>`: the next day, or the next microsecond.
fn after(p: DatePoint) -> DatePoint {
    match p {
        DatePoint::Day(d) => DatePoint::Day(d.succ_opt().unwrap_or(d)),
        DatePoint::Instant(t) => DatePoint::Instant(t + Duration::microseconds(1)),
    }
}

/// The last point before `p` for `<`: the day before, or the microsecond before.
fn before(p: DatePoint) -> DatePoint {
    match p {
        DatePoint::Day(d) => DatePoint::Day(d.pred_opt().unwrap_or(d)),
        DatePoint::Instant(t) => DatePoint::Instant(t - Duration::microseconds(1)),
    }
}

fn midnight<Tz: TimeZone>(d: NaiveDate, tz: &Tz) -> DateTime<Utc> {
    let local = d.and_time(NaiveTime::MIN);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        // Midnight skipped by a clock change: the day starts an hour later.
        LocalResult::None => midnight_after_gap(local, tz),
    }
}

fn midnight_after_gap<Tz: TimeZone>(local: chrono::NaiveDateTime, tz: &Tz) -> DateTime<Utc> {
    tz.from_local_datetime(&(local + Duration::hours(1)))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

fn start_of<Tz: TimeZone>(p: DatePoint, tz: &Tz) -> DateTime<Utc> {
    match p {
        DatePoint::Day(d) => midnight(d, tz),
        DatePoint::Instant(t) => t.with_timezone(&Utc),
    }
}

/// Exclusive end: the next midnight for a day, just after the instant otherwise.
fn end_of<Tz: TimeZone>(p: DatePoint, tz: &Tz) -> DateTime<Utc> {
    match p {
        DatePoint::Day(d) => midnight(d.succ_opt().unwrap_or(d), tz),
        DatePoint::Instant(t) => t.with_timezone(&Utc) + Duration::microseconds(1),
    }
}

fn day_range<Tz: TimeZone>(d: NaiveDate, tz: &Tz) -> TimeRange {
    TimeRange {
        from: Some(start_of(DatePoint::Day(d), tz)),
        to: Some(end_of(DatePoint::Day(d), tz)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn presets_and_days_in_the_callers_zone() {
        let now = at("2024-06-12T01:30:00Z");
        let berlin = FixedOffset::east_opt(2 * 3600).unwrap();
        let r = DateSpec::parse("today")
            .unwrap()
            .resolve(now, &berlin)
            .unwrap();
        assert_eq!(
            (r.from.unwrap(), r.to.unwrap()),
            (at("2024-06-11T22:00:00Z"), at("2024-06-12T22:00:00Z"))
        );
        let r = DateSpec::parse("today")
            .unwrap()
            .resolve(now, &Utc)
            .unwrap();
        assert_eq!(r.from.unwrap(), at("2024-06-12T00:00:00Z"));
        let r = DateSpec::parse("7d").unwrap().resolve(now, &Utc).unwrap();
        assert_eq!((r.from.unwrap(), r.to), (at("2024-06-05T01:30:00Z"), None));
    }

    #[test]
    fn ranges_include_whole_days() {
        let now = at("2024-07-01T00:00:00Z");
        let r = DateSpec::parse("2024-06-01..2024-06-30")
            .unwrap()
            .resolve(now, &Utc)
            .unwrap();
        assert_eq!(
            (r.from.unwrap(), r.to.unwrap()),
            (at("2024-06-01T00:00:00Z"), at("2024-07-01T00:00:00Z"))
        );
        let r = DateSpec::parse(">2024-06-01")
            .unwrap()
            .resolve(now, &Utc)
            .unwrap();
        assert_eq!(r.from.unwrap(), at("2024-06-02T00:00:00Z"));
        let r = DateSpec::parse("<2024-06-01")
            .unwrap()
            .resolve(now, &Utc)
            .unwrap();
        assert_eq!((r.from, r.to.unwrap()), (None, at("2024-06-01T00:00:00Z")));
        let r = DateSpec::parse("2024-06-12")
            .unwrap()
            .resolve(now, &Utc)
            .unwrap();
        assert_eq!(r.to.unwrap() - r.from.unwrap(), Duration::days(1));
    }

    #[test]
    fn bad_dates_and_inverted_ranges_are_refused() {
        assert!(DateSpec::parse("last tuesday")
            .unwrap_err()
            .contains("not a date"));
        assert!(DateSpec::parse("2024-13-01").is_err());
        let inverted = DateSpec::parse("2024-06-30..2024-06-01").unwrap();
        assert!(inverted
            .resolve(Utc::now(), &Utc)
            .unwrap_err()
            .contains("ends before it starts"));
    }
}
