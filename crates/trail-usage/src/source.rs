//! Where rollup rows come from: the store's tables for hour and day buckets,
//! the window's own events for minute buckets (a few hours of events at most);
//! and their people, one [`Row`] per person of a cell.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;

use trail_core::query::Filter;
use trail_core::rollup::{Cuboid, Delta, Dims, Fact, Grain, Measures, Tallies};
use trail_core::Event;
use trail_store::rollups::{Column, RollupQuery, RollupRow, RollupTable};
use uuid::Uuid;

use crate::{Scope, Usage, UsageError, UsageResult, Window};

/// Minute buckets read the window's events; beyond this many, ask for hours.
const MAX_MINUTE_EVENTS: usize = 300_000;
const PAGE: u32 = 2_000;

/// A person's part of a cell (or, with a nil `user`, the part no person did):
/// the cell's dimensions, with that part's counts.
#[derive(Clone, Copy)]
pub(crate) struct Row<'a> {
    pub user: Uuid,
    /// The person's number (0: nobody).
    pub person: u32,
    pub measures: Measures,
    cell: &'a RollupRow,
}

impl<'a> Row<'a> {
    /// The cell, for keys that live as long as it.
    pub fn cell(&self) -> &'a RollupRow {
        self.cell
    }
}

impl Deref for Row<'_> {
    type Target = RollupRow;
    fn deref(&self) -> &RollupRow {
        self.cell
    }
}

impl Usage<'_> {
    /// Each person's part of the cells, only the scope's people when it names
    /// some; else also the rest of each cell (events of no person, and the
    /// durations, which are kept per cell).
    pub(crate) fn people<'c>(
        &self,
        cells: &'c [RollupRow],
        scope: &Scope,
    ) -> UsageResult<Vec<Row<'c>>> {
        let wanted = scope.users.as_ref();
        // Each cell's tallies start with how many people they hold: one allocation.
        let people: usize = cells.iter().map(|c| Tallies::people_in(&c.people)).sum();
        let mut out = Vec::with_capacity(people + cells.len());
        for cell in cells {
            let mut rest = cell.measures;
            let tallies = Tallies::entries(&cell.people)
                .map_err(|e| UsageError::Store(trail_store::StoreError::Corrupt(e)))?;
            for (number, t) in &tallies {
                let Some(user) = self.numbers.get(*number as usize).copied() else {
                    continue;
                };
                (rest.events, rest.failures, rest.errors) = (
                    rest.events - t.events,
                    rest.failures - t.failures,
                    rest.errors - t.errors,
                );
                if wanted.is_none_or(|w| w.contains(&user)) {
                    let measures = Measures {
                        events: t.events,
                        failures: t.failures,
                        errors: t.errors,
                        ..Measures::default()
                    };
                    out.push(Row {
                        user,
                        person: *number,
                        measures,
                        cell,
                    });
                }
            }
            if wanted.is_none() {
                out.push(Row {
                    user: Uuid::nil(),
                    person: 0,
                    measures: rest,
                    cell,
                });
            }
        }
        Ok(out)
    }

    /// The cells' counts, narrowed to the scope's people when it names some:
    /// for the questions that need no one person, which then decode no people.
    pub(crate) fn counts<'c>(
        &self,
        cells: &'c [RollupRow],
        scope: &Scope,
    ) -> UsageResult<Vec<Row<'c>>> {
        if scope.users.is_some() {
            return self.people(cells, scope);
        }
        Ok(cells
            .iter()
            .map(|cell| Row {
                user: Uuid::nil(),
                person: 0,
                measures: cell.measures,
                cell,
            })
            .collect())
    }

    /// Cells of the smallest cuboid that has `group_by` and the scope's dimensions.
    pub(crate) async fn cells(
        &self,
        w: &Window,
        group_by: Dims,
        runs_only: bool,
        scope: &Scope,
    ) -> UsageResult<Vec<RollupRow>> {
        self.cells_with(w, group_by, runs_only, scope, true).await
    }

    /// [`Usage::cells`] for questions that need no one person (see
    /// [`Usage::counts`]): people are read only when the scope names some.
    pub(crate) async fn count_cells(
        &self,
        w: &Window,
        group_by: Dims,
        runs_only: bool,
        scope: &Scope,
    ) -> UsageResult<Vec<RollupRow>> {
        self.cells_with(w, group_by, runs_only, scope, scope.users.is_some())
            .await
    }

    async fn cells_with(
        &self,
        w: &Window,
        group_by: Dims,
        runs_only: bool,
        scope: &Scope,
        people: bool,
    ) -> UsageResult<Vec<RollupRow>> {
        let cuboid = Cuboid::covering(group_by | scope.dims(), runs_only);
        let mut q = self.query(w, RollupTable::Cells(cuboid.id), scope)?;
        q.people = people;
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
            people: true,
        })
    }

    pub(crate) async fn rows(&self, w: &Window, q: &RollupQuery) -> UsageResult<Vec<RollupRow>> {
        if w.grain != Grain::Minute {
            return Ok(self.store.rollup_rows(self.account, q).await?);
        }
        let delta = self.minute_delta(w).await?;
        Ok(self
            .delta_rows(&delta, q.table)
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
        let filter = Filter::all([w.condition()]);
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

    /// A delta's people as the store would number them.
    fn numbered(
        &self,
        people: &std::collections::BTreeMap<Uuid, trail_core::rollup::Tally>,
    ) -> Tallies {
        let mut out = Tallies::default();
        for (user, t) in people {
            if let Some(n) = self.by_person.get(user) {
                out.add(*n, t);
            }
        }
        out
    }
}

impl Usage<'_> {
    /// The rows a rollup table would hold for the delta.
    fn delta_rows(&self, delta: &Delta, table: RollupTable) -> Vec<RollupRow> {
        match table {
            RollupTable::Cells(cuboid) => delta
                .cells
                .iter()
                .filter(|(k, _)| k.cuboid == cuboid)
                .map(|(k, cell)| RollupRow {
                    source: k.source.clone(),
                    level: k.level.clone(),
                    measures: cell.measures,
                    people: self.numbered(&cell.people).encode(),
                    ..place(k.bucket, k.type_id, &k.package, &k.kind, &k.function)
                })
                .collect(),
            RollupTable::Durations => delta
                .durations
                .iter()
                .map(|(k, s)| RollupRow {
                    sketch: Some(s.clone()),
                    ..place(k.bucket, k.type_id, &k.package, &k.kind, &k.function)
                })
                .collect(),
            RollupTable::Errors => delta
                .errors
                .iter()
                .map(|(k, cell)| RollupRow {
                    signature: k.signature.clone(),
                    measures: cell.measures,
                    people: self.numbered(&cell.people).encode(),
                    ..place(k.bucket, k.type_id, &k.package, &k.kind, &k.function)
                })
                .collect(),
        }
    }
}

/// A row of a bucket and place (type, package, kind, function), the rest blank.
fn place(
    bucket: chrono::DateTime<chrono::Utc>,
    type_id: i64,
    package: &str,
    kind: &str,
    function: &str,
) -> RollupRow {
    RollupRow {
        bucket,
        type_id,
        package: package.to_string(),
        kind: kind.to_string(),
        function: function.to_string(),
        ..RollupRow::default()
    }
}
