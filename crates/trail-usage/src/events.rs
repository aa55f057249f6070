//! Events: where events come from (client or server) and of which level and
//! type, over time, and each person's events per source.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use crate::source::Row;
use chrono::{DateTime, Utc};
use trail_core::rollup::Dims;
use trail_core::usage::{BucketCount, Events, PersonSource, Series};
use uuid::Uuid;

use crate::{top, Scope, Usage, UsageResult, Window};

impl Usage<'_> {
    pub async fn events(&self, w: &Window, scope: &Scope, top_n: usize) -> UsageResult<Events> {
        let sources = self.cells(w, Dims::SOURCE, false, scope).await?;
        let people = self.people(&sources, scope)?;
        let levels = self.count_cells(w, Dims::LEVEL, false, scope).await?;
        let levels = self.counts(&levels, scope)?;
        let types = self.count_cells(w, Dims::TYPE, false, scope).await?;
        let types = self.counts(&types, scope)?;
        let mut by_user: HashMap<Uuid, BTreeMap<String, i64>> = HashMap::new();
        for r in people.iter().filter(|r| !r.user.is_nil()) {
            *by_user
                .entry(r.user)
                .or_default()
                .entry(r.source.clone())
                .or_default() += r.measures.events;
        }
        let by_user = by_user
            .into_iter()
            .map(|(id, sources)| PersonSource {
                user: self.person(id),
                sources,
            })
            .collect();
        Ok(Events {
            span: w.span(),
            by_source: series(w, &people, |r| r.source.clone(), usize::MAX),
            by_level: series(w, &levels, |r| r.level.clone(), usize::MAX),
            by_type: series(w, &types, |r| self.type_name(r.type_id), top_n),
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
pub(crate) fn series(
    w: &Window,
    rows: &[Row<'_>],
    key: impl Fn(&Row<'_>) -> String,
    limit: usize,
) -> Vec<Series> {
    let mut per: HashMap<String, BTreeMap<DateTime<Utc>, i64>> = HashMap::new();
    for r in rows {
        *per.entry(key(r)).or_default().entry(r.bucket).or_default() += r.measures.events;
    }
    let all = per
        .into_iter()
        .map(|(key, counts)| Series {
            total: counts.values().sum(),
            points: w
                .buckets()
                .map(|bucket| BucketCount {
                    bucket,
                    count: counts.get(&bucket).copied().unwrap_or(0),
                })
                .collect(),
            key,
        })
        .collect();
    top(all, limit, |s: &Series| (Reverse(s.total), s.key.clone()))
}
