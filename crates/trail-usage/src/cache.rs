//! Rollup rows kept in memory per bucket, with the version the store gave the
//! bucket when they were read (`Store::rollup_versions`).
//!
//! A 90-day view reads ninety days of cells, nearly all of them unchanged
//! since the last view asked: reading them again from the store (and parsing
//! and checking them) was half of such a view's time. Each question asks the
//! store only for its buckets' versions, and reads again only the buckets
//! whose version moved on (under live traffic: the current hour and day).
//! Versions come from a number the store never gives twice, and are read
//! before the rows, so rows kept under a version are never older than it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use trail_store::rollups::{RollupRow, RollupTable};
use uuid::Uuid;

/// A bucket of one table of one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct BucketKey {
    pub account: Uuid,
    pub table: RollupTable,
    pub grain: i16,
    pub bucket: DateTime<Utc>,
}

struct Kept {
    version: i64,
    rows: Arc<Vec<RollupRow>>,
    bytes: usize,
    /// When it was last asked for, by the cache's own clock.
    used: u64,
}

#[derive(Default)]
struct Buckets {
    kept: HashMap<BucketKey, Kept>,
    bytes: usize,
    clock: u64,
}

/// The server's kept rollup rows, at most `budget` bytes of them; the least
/// recently asked for go first.
pub struct RollupCache {
    buckets: Mutex<Buckets>,
    budget: usize,
}

impl RollupCache {
    /// Keeps at most about `budget` bytes of rows (0 keeps none).
    pub fn new(budget: usize) -> RollupCache {
        RollupCache {
            buckets: Mutex::new(Buckets::default()),
            budget,
        }
    }

    /// The rows kept for `key` at exactly `version`.
    pub(crate) fn get(&self, key: &BucketKey, version: i64) -> Option<Arc<Vec<RollupRow>>> {
        let mut b = self.buckets.lock().expect("rollup cache");
        b.clock += 1;
        let now = b.clock;
        let kept = b.kept.get_mut(key).filter(|k| k.version == version)?;
        kept.used = now;
        Some(kept.rows.clone())
    }

    /// Keeps `rows` as `key`'s at `version`, replacing what was kept.
    pub(crate) fn put(&self, key: BucketKey, version: i64, rows: Arc<Vec<RollupRow>>) {
        let bytes = rows.iter().map(size_of_row).sum::<usize>();
        if bytes > self.budget / 4 {
            return;
        }
        let mut b = self.buckets.lock().expect("rollup cache");
        b.clock += 1;
        let kept = Kept {
            version,
            rows,
            bytes,
            used: b.clock,
        };
        b.bytes += bytes;
        if let Some(old) = b.kept.insert(key, kept) {
            b.bytes -= old.bytes;
        }
        if b.bytes > self.budget {
            b.shrink_to(self.budget / 4 * 3);
        }
    }

    /// Bytes of rows kept now.
    pub fn bytes(&self) -> usize {
        self.buckets.lock().expect("rollup cache").bytes
    }
}

impl Buckets {
    /// Drops the least recently asked for until at most `target` bytes remain.
    fn shrink_to(&mut self, target: usize) {
        let mut by_use: Vec<(u64, BucketKey)> =
            self.kept.iter().map(|(k, v)| (v.used, *k)).collect();
        by_use.sort_unstable_by_key(|(used, _)| *used);
        for (_, key) in by_use {
            if self.bytes <= target {
                break;
            }
            if let Some(old) = self.kept.remove(&key) {
                self.bytes -= old.bytes;
            }
        }
    }
}

/// About what a row takes in memory.
fn size_of_row(r: &RollupRow) -> usize {
    let sketch = r.sketch.as_ref().map_or(0, |_| 256);
    std::mem::size_of::<RollupRow>()
        + r.package.len()
        + r.kind.len()
        + r.function.len()
        + r.source.len()
        + r.level.len()
        + r.signature.len()
        + r.people.len()
        + r.sessions.len()
        + sketch
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(bucket: i64) -> BucketKey {
        BucketKey {
            account: Uuid::nil(),
            table: RollupTable::Cells(0),
            grain: 1,
            bucket: DateTime::from_timestamp(bucket * 86_400, 0).unwrap(),
        }
    }

    fn rows(people: usize) -> Arc<Vec<RollupRow>> {
        Arc::new(vec![RollupRow {
            people: vec![0; people].into(),
            ..RollupRow::default()
        }])
    }

    #[test]
    fn rows_are_given_back_only_at_their_version() {
        let cache = RollupCache::new(1 << 20);
        cache.put(key(1), 7, rows(10));
        assert!(cache.get(&key(1), 7).is_some());
        assert!(cache.get(&key(1), 8).is_none(), "a newer version");
        assert!(cache.get(&key(2), 7).is_none(), "another bucket");
        cache.put(key(1), 8, rows(20));
        assert_eq!(cache.get(&key(1), 8).unwrap()[0].people.len(), 20);
        assert!(cache.get(&key(1), 7).is_none());
    }

    #[test]
    fn the_least_recently_asked_for_go_first() {
        let row = size_of_row(&rows(1000)[0]);
        let cache = RollupCache::new(row * 4);
        for b in 0..4 {
            cache.put(key(b), 1, rows(1000));
        }
        assert!(cache.get(&key(0), 1).is_some());
        cache.put(key(4), 1, rows(1000));
        assert!(cache.bytes() <= row * 4);
        assert!(cache.get(&key(0), 1).is_some(), "asked for last");
        assert!(cache.get(&key(1), 1).is_none(), "the oldest");
        assert!(cache.get(&key(4), 1).is_some(), "the newest");
    }
}
