//! Performance: how long each operation (event type on a kind of resource, or
//! function) takes, per bucket, from the rollups' duration sketches; and the
//! slowest recent events.

use std::cmp::Reverse;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use trail_core::api::EventView;
use trail_core::query::{Bounds, Condition};
use trail_core::rollup::Sketch;
use trail_core::usage::{BucketDurations, Operation, Performance};
use trail_store::rollups::{RollupRow, RollupTable};

use crate::{durations, Scope, Usage, UsageError, UsageResult, Window};

/// An operation in rollup rows: type, package, kind, function.
type OpKey<'r> = (i64, &'r str, &'r str, &'r str);

fn op_key(r: &RollupRow) -> OpKey<'_> {
    (r.type_id, &r.package, &r.kind, &r.function)
}

/// Slow events listed.
const SLOWEST: u32 = 20;

#[derive(Default)]
struct Op<'r> {
    all: Sketch,
    /// The table's key is the operation and the bucket: one sketch each.
    per_bucket: Vec<(DateTime<Utc>, &'r Sketch)>,
}

impl Usage<'_> {
    pub async fn performance(
        &self,
        w: &Window,
        scope: &Scope,
        limit: usize,
    ) -> UsageResult<Performance> {
        if scope.users.is_some() {
            return Err(UsageError::BadRequest(
                "performance is kept per operation, not per person: filter by package, kind or type, \
                 or search a person's events with duration:>1000"
                    .into(),
            ));
        }
        let q = self.query(w, RollupTable::Durations, scope)?;
        let (sketches, labels) = futures::try_join!(self.rows(w, &q), self.labels())?;
        let mut ops: HashMap<OpKey, Op> = HashMap::new();
        let mut everything = Sketch::default();
        for r in &sketches {
            let Some(s) = &r.sketch else { continue };
            let op = ops.entry(op_key(r)).or_default();
            op.all.merge(s);
            op.per_bucket.push((r.bucket, s));
            everything.merge(s);
        }
        // The slowest operations are chosen by their whole window first:
        // each bucket's quantiles are worked out only for those shown, as
        // 90 days of them for every operation were half of the view.
        let mut ranked: Vec<_> = ops
            .into_iter()
            .map(|((type_id, package, kind, function), op)| {
                let all = durations(&op.all);
                let p90 = all.p90.unwrap_or(0.0) as i64;
                let order = (
                    Reverse(p90),
                    self.type_name(type_id),
                    function,
                    package,
                    kind,
                );
                (order, all, op)
            })
            .collect();
        ranked.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        ranked.truncate(limit);
        let operations = ranked
            .into_iter()
            .map(|((_, event_type, function, package, kind), all, mut op)| {
                op.per_bucket.sort_unstable_by_key(|(bucket, _)| *bucket);
                let (package, kind, function) =
                    (package.to_string(), kind.to_string(), function.to_string());
                Operation {
                    event_type,
                    label: labels
                        .functions
                        .get(&(package.clone(), kind.clone(), function.clone()))
                        .map_or_else(|| function.clone(), |l| l.label.clone()),
                    durations: all,
                    per_bucket: op
                        .per_bucket
                        .into_iter()
                        .map(|(bucket, s)| BucketDurations {
                            bucket,
                            durations: durations(s),
                        })
                        .collect(),
                    package,
                    kind,
                    function,
                }
            })
            .collect();
        let slowest = self.slowest(w, scope, everything.quantile(0.99)).await?;
        Ok(Performance {
            span: w.span(),
            operations,
            slowest,
        })
    }

    /// The newest events of the window that took at least `threshold` ms.
    async fn slowest(
        &self,
        w: &Window,
        scope: &Scope,
        threshold: Option<f64>,
    ) -> UsageResult<Vec<EventView>> {
        let Some(threshold) = threshold else {
            return Ok(Vec::new());
        };
        let filter = scope
            .search_filter()
            .and(w.condition())
            .and(Condition::Duration(Bounds {
                // The sketch's value is within 2% of a real duration: start a little below it.
                min: Some((threshold * 0.98).floor() as u64),
                max: None,
            }));
        let page = self.search(filter, None, SLOWEST).await?;
        Ok(page.events.iter().map(EventView::from).collect())
    }
}
