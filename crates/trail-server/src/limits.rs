//! Request limits in fixed windows, kept in this server's memory: sign-in
//! attempts per address, and ingest-key requests per key and address (what
//! keeps a key embedded in a web page from being turned into a firehose).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::ApiError;

/// At most `limit` calls per `window` for each key.
pub struct FixedWindow<K> {
    window: Duration,
    limit: u32,
    what: &'static str,
    counts: Mutex<HashMap<K, (Instant, u32)>>,
}

impl<K: Eq + Hash> FixedWindow<K> {
    /// `what` names the limit in the refusal, e.g. "sign-in attempts from this address".
    pub fn new(limit: u32, window: Duration, what: &'static str) -> Self {
        FixedWindow {
            window,
            limit,
            what,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one call; refuses it once the window's allowance is spent.
    pub fn check(&self, key: K) -> Result<(), ApiError> {
        if let Some(wait) = self.count(key) {
            return Err(ApiError::TooManyRequests {
                message: format!(
                    "too many {}: at most {} per {} s; retry in {wait} s",
                    self.what,
                    self.limit,
                    self.window.as_secs()
                ),
                retry_after: wait,
            });
        }
        Ok(())
    }

    /// Counts one call; whether it is within the window's allowance.
    pub fn admits(&self, key: K) -> bool {
        self.count(key).is_none()
    }

    /// Counts one call; the seconds until the window resets when it is over the limit.
    fn count(&self, key: K) -> Option<u64> {
        let mut counts = self.counts.lock().expect("limiter lock poisoned");
        if counts.len() > 100_000 {
            let window = self.window;
            counts.retain(|_, (start, _)| start.elapsed() < window);
        }
        let entry = counts.entry(key).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= self.window {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
        (entry.1 > self.limit).then(|| self.window.saturating_sub(entry.0.elapsed()).as_secs() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_per_key() {
        let l = FixedWindow::new(2, Duration::from_secs(60), "calls");
        assert!(l.check("a").is_ok() && l.check("a").is_ok());
        assert!(matches!(
            l.check("a"),
            Err(ApiError::TooManyRequests {
                retry_after: 1..=61,
                ..
            })
        ));
        assert!(l.check("b").is_ok());
    }
}
