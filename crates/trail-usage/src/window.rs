//! The time window of a usage question and its buckets.

use chrono::{DateTime, Duration, Utc};
use trail_core::rollup::Grain;
use trail_core::usage::Span;

use crate::UsageError;

/// `[from, to)` cut into whole buckets of one grain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub grain: Grain,
}

/// A chart wider than this many buckets says nothing more; ask for wider buckets.
pub const MAX_BUCKETS: i64 = 1_500;

impl Window {
    /// The window covering `[from, to)`, widened to whole buckets. Without a
    /// grain, buckets adapt to the range: minutes up to 3 hours, hours up to 4
    /// days, days beyond.
    pub fn new(
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        grain: Option<Grain>,
    ) -> Result<Window, UsageError> {
        if to <= from {
            return Err(UsageError::BadRequest(format!(
                "the range ends ({to}) before it starts ({from})"
            )));
        }
        let epoch = DateTime::<Utc>::UNIX_EPOCH;
        let last = epoch + Duration::days(365 * 8000);
        if from < epoch || to > last {
            return Err(UsageError::BadRequest(format!(
                "the range {from}..{to} is outside the years 1970 to 9999"
            )));
        }
        let grain = grain.unwrap_or_else(|| auto(to - from));
        let start = grain.floor(from);
        let mut end = grain.floor(to);
        if end < to {
            end += grain.length();
        }
        let window = Window {
            from: start,
            to: end,
            grain,
        };
        let n = window.bucket_count();
        if n > MAX_BUCKETS {
            return Err(UsageError::BadRequest(format!(
                "{n} {} buckets are too many (at most {MAX_BUCKETS}); ask for wider buckets or a shorter range",
                grain.name()
            )));
        }
        Ok(window)
    }

    pub fn bucket_count(&self) -> i64 {
        (self.to - self.from).num_seconds() / self.grain.length().num_seconds()
    }

    /// The window of equal length just before this one.
    pub fn previous(&self) -> Window {
        Window {
            from: self.from - (self.to - self.from),
            to: self.from,
            grain: self.grain,
        }
    }

    /// The start of every bucket, oldest first.
    pub fn buckets(&self) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        let step = self.grain.length();
        (0..self.bucket_count()).map(move |i| self.from + step * i as i32)
    }

    pub fn span(&self) -> Span {
        Span {
            from: self.from,
            to: self.to,
            bucket: self.grain.name().to_string(),
        }
    }

    pub fn length(&self) -> Duration {
        self.to - self.from
    }

    /// The window as a search condition.
    pub fn condition(&self) -> trail_core::query::Condition {
        between(self.from, self.to)
    }
}

/// `[from, to)` as a search condition.
pub(crate) fn between(from: DateTime<Utc>, to: DateTime<Utc>) -> trail_core::query::Condition {
    trail_core::query::Condition::Between(trail_core::query::TimeRange {
        from: Some(from),
        to: Some(to),
    })
}

fn auto(span: Duration) -> Grain {
    if span <= Duration::hours(3) {
        Grain::Minute
    } else if span <= Duration::days(4) {
        Grain::Hour
    } else {
        Grain::Day
    }
}

/// Parses `minute`, `hour` or `day`.
pub fn parse_grain(text: &str) -> Result<Grain, UsageError> {
    match text {
        "minute" => Ok(Grain::Minute),
        "hour" => Ok(Grain::Hour),
        "day" => Ok(Grain::Day),
        other => Err(UsageError::BadRequest(format!(
            "bucket {other:?}: expected minute, hour or day"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn buckets_adapt_to_the_range_and_the_window_covers_whole_buckets() {
        let w = Window::new(at("2026-11-23T10:17:00Z"), at("2026-11-23T11:17:00Z"), None).unwrap();
        assert_eq!((w.grain, w.bucket_count()), (Grain::Minute, 60));
        let w = Window::new(at("2026-11-20T10:17:00Z"), at("2026-11-23T10:17:00Z"), None).unwrap();
        assert_eq!(w.grain, Grain::Hour);
        assert_eq!(w.from, at("2026-11-20T10:00:00Z"));
        assert_eq!(w.to, at("2026-11-23T11:00:00Z"));
        let w = Window::new(at("2026-08-25T10:17:00Z"), at("2026-11-23T10:17:00Z"), None).unwrap();
        assert_eq!((w.grain, w.bucket_count()), (Grain::Day, 91));
        assert_eq!(w.previous().to, w.from);
        assert_eq!(w.previous().bucket_count(), 91);
    }

    #[test]
    fn backwards_ranges_and_too_many_buckets_are_refused() {
        let (a, b) = (at("2026-11-23T10:00:00Z"), at("2026-11-24T10:00:00Z"));
        assert!(Window::new(b, a, None).is_err());
        let err = Window::new(a - Duration::days(30), b, Some(Grain::Minute)).unwrap_err();
        assert!(err.to_string().contains("too many"), "{err}");
        assert!(parse_grain("week").is_err());
    }
}
