//! Where rollup rows come from: the store's tables for hour and day buckets,
//! the window's own events for minute buckets (a few hours of events at most).

use std::collections::HashMap;
use std::sync::Arc;

use trail_core::query::{Condition, Filter, Term, TimeRange};
use trail_core::rollup::{Cuboid, Delta, Dims, Fact, Grain};
use trail_core::Event;
use trail_store::rollups::{Column, RollupQuery, RollupRow, RollupTable};

use crate::{Scope, Usage, UsageError, UsageResult, Window};

/// Minute buckets read the window's events; beyond this many, ask for hours.
const MAX_MINUTE_EVENTS: usize = 300_000;
const PAGE: u32 = 2_000;

impl Usage<'_> {
    /// Cells of the smallest cuboid that has `group_by` and the scope's dimensions.
    pub(crate) async fn cells(
        &self,
        w: &Window,
        group_by: Dims,
        runs_only: bool,
        scope: &Scope,
    ) -> UsageResult<Vec<RollupRow>> {
        let cuboid = Cuboid::covering(group_by | scope.dims(), runs_only);
        let mut q = self.query(w, RollupTable::Cells(cuboid.id), scope)?;
        if runs_only {
            q.not_blank.push(Column::Function);
        }
        self.rows(w, &q).await
    }

    pub(crate) fn query(
        &self,
        w: &Window,
        table: RollupTable,
        scope: &Scope,
    ) -> UsageResult<RollupQuery> {
        Ok(RollupQuery {
            table,
            grain: w.grain,
            from: w.from,
            to: w.to,
            only: scope.conditions(table)?,
            not_blank: Vec::new(),
        })
    }

    pub(crate) async fn rows(&self, w: &Window, q: &RollupQuery) -> UsageResult<Vec<RollupRow>> {
        if w.grain != Grain::Minute {
            return Ok(self.store.rollup_rows(self.account, q).await?);
        }
        let delta = self.minute_delta(w).await?;
        Ok(delta_rows(&delta, q.table)
            .into_iter()
            .filter(|r| q.matches(r))
            .collect())
    }

    /// The window's events rolled up by the minute, computed once per window.
    async fn minute_delta(&self, w: &Window) -> UsageResult<Arc<Delta>> {
        if let Some(d) = self.minutes.lock().expect("minute cache").get(w) {
            return Ok(d.clone());
        }
        let type_ids: HashMap<&str, i64> = self
            .types
            .values()
            .map(|t| (t.name.as_str(), t.id))
            .collect();
        let filter = Filter {
            terms: vec![Term {
                negated: false,
                condition: Condition::Between(TimeRange {
                    from: Some(w.from),
                    to: Some(w.to),
                }),
            }],
        };
        let mut delta = Delta::default();
        let (mut after, mut read) = (None, 0usize);
        loop {
            let page = self.search(filter.clone(), after, PAGE).await?;
            read += page.events.len();
            if read > MAX_MINUTE_EVENTS {
                return Err(UsageError::BadRequest(format!(
                    "more than {MAX_MINUTE_EVENTS} events in the window; ask for hour buckets"
                )));
            }
            for e in &page.events {
                if let Some(type_id) = type_ids.get(e.body.event_type.as_str()) {
                    delta.add_at(&self.fact(e, *type_id), &[Grain::Minute]);
                }
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let delta = Arc::new(delta);
        self.minutes
            .lock()
            .expect("minute cache")
            .insert(*w, delta.clone());
        Ok(delta)
    }

    fn fact<'e>(&self, e: &'e Event, type_id: i64) -> Fact<'e> {
        let user = self.logins.get(&e.body.actor.id).copied();
        Fact::of(self.account, type_id, user, &e.body)
    }
}

/// The rows a rollup table would hold for the delta.
fn delta_rows(delta: &Delta, table: RollupTable) -> Vec<RollupRow> {
    match table {
        RollupTable::Cells(cuboid) => delta
            .cells
            .iter()
            .filter(|(k, _)| k.cuboid == cuboid)
            .map(|(k, m)| RollupRow {
                bucket: k.bucket,
                user: k.user,
                type_id: k.type_id,
                package: k.package.clone(),
                kind: k.kind.clone(),
                function: k.function.clone(),
                source: k.source.clone(),
                level: k.level.clone(),
                measures: *m,
                ..RollupRow::default()
            })
            .collect(),
        RollupTable::Durations => delta
            .durations
            .iter()
            .map(|(k, s)| RollupRow {
                bucket: k.bucket,
                type_id: k.type_id,
                package: k.package.clone(),
                kind: k.kind.clone(),
                function: k.function.clone(),
                sketch: Some(s.clone()),
                ..RollupRow::default()
            })
            .collect(),
        RollupTable::Errors => delta
            .errors
            .iter()
            .map(|(k, n)| {
                let mut row = RollupRow {
                    bucket: k.bucket,
                    user: k.user,
                    type_id: k.type_id,
                    package: k.package.clone(),
                    kind: k.kind.clone(),
                    function: k.function.clone(),
                    signature: k.signature.clone(),
                    ..RollupRow::default()
                };
                row.measures.events = *n;
                row
            })
            .collect(),
    }
}
