//! Events: where events come from (client or server) and of which level and
//! type, over time, and each person's events per source.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use crate::source::{Groups, Rows};
use chrono::{DateTime, Utc};
use trail_core::rollup::Dims;
use trail_core::usage::{BucketCount, Events, PersonSource, Series};
use trail_store::rollups::RollupRow;

use crate::{top, PeopleSet, Scope, Usage, UsageResult, Window};

impl Usage<'_> {
    pub async fn events(&self, w: &Window, scope: &Scope, top_n: usize) -> UsageResult<Events> {
        let (sources, levels, types) = futures::try_join!(
            self.cells(w, Dims::SOURCE, false, scope),
            self.count_cells(w, Dims::LEVEL, false, scope),
            self.count_cells(w, Dims::TYPE, false, scope),
        )?;
        let people = self.people(&sources, scope);
        let (levels, types) = (self.counts(&levels, scope), self.counts(&types, scope));
        // Per source, each person's events: dense by person number.
        let mut groups = Groups::default();
        let mut per_source: Vec<Vec<i64>> = Vec::new();
        let mut active = PeopleSet::default();
        for c in people.cells() {
            let counts = groups.entry(c.cell, |c| c.source.as_ref(), &mut per_source);
            for (n, t) in c.people() {
                counts.resize(counts.len().max(n as usize + 1), 0);
                counts[n as usize] += t.events;
                active.insert(n);
            }
        }
        let sources: Vec<&str> = groups.into_keys().collect();
        let by_user = active
            .numbers()
            .map(|n| PersonSource {
                user: self.person(self.numbers[n as usize]),
                sources: sources
                    .iter()
                    .zip(&per_source)
                    .filter_map(|(s, counts)| {
                        let events = counts.get(n as usize).copied().unwrap_or(0);
                        (events != 0).then(|| (s.to_string(), events))
                    })
                    .collect(),
            })
            .collect();
        Ok(Events {
            span: w.span(),
            by_source: series(w, &people, |c| c.source.to_string(), usize::MAX),
            by_level: series(w, &levels, |c| c.level.to_string(), usize::MAX),
            by_type: series(w, &types, |c| self.type_name(c.type_id), top_n),
            by_user: top(by_user, top_n, |p: &PersonSource| {
                (
                    Reverse(p.sources.values().sum::<i64>()),
                    p.user.login.clone(),
                )
            }),
        })
    }
}

/// Events per key and bucket (every bucket of the window), the `limit` biggest keys.
pub(crate) fn series<'c>(
    w: &Window,
    rows: &Rows<'c>,
    key: impl Fn(&'c RollupRow) -> String,
    limit: usize,
) -> Vec<Series> {
    let mut groups = Groups::default();
    let mut per: Vec<BTreeMap<DateTime<Utc>, i64>> = Vec::new();
    for c in rows.cells() {
        let counts = groups.entry(c.cell, &key, &mut per);
        *counts.entry(c.cell.bucket).or_default() += c.measures.events;
    }
    let all = groups
        .into_keys()
        .zip(per)
        .map(|(key, counts)| Series {
            total: counts.values().sum(),
            points: points(w, &counts),
            key,
        })
        .collect();
    top(all, limit, |s: &Series| (Reverse(s.total), s.key.clone()))
}

/// Counts per bucket, every bucket of the window included.
pub(crate) fn points(w: &Window, counts: &BTreeMap<DateTime<Utc>, i64>) -> Vec<BucketCount> {
    w.buckets()
        .map(|bucket| BucketCount {
            bucket,
            count: counts.get(&bucket).copied().unwrap_or(0),
        })
        .collect()
}
