//! Where rollup rows come from: the store's tables for hour and day buckets,
//! the window's own events for minute buckets (a few hours of events at most);
//! and their people, one [`Row`] per person of a cell.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use trail_core::query::Filter;
use trail_core::rollup::{
    CheckedTallies, Cuboid, Delta, Dims, Fact, Grain, Measures, SessionReader, Sessions, Tallies,
    Tally,
};
use trail_core::Event;
use trail_store::rollups::{Column, RollupQuery, RollupRow, RollupTable};
use uuid::Uuid;

use crate::cache::{BucketKey, RollupCache};
use crate::{PeopleSet, Scope, Usage, UsageError, UsageResult, Window};

fn corrupt(e: String) -> UsageError {
    UsageError::Store(trail_store::StoreError::Corrupt(e))
}

/// Minute buckets read the window's events; beyond this many, ask for hours.
const MAX_MINUTE_EVENTS: usize = 300_000;
const PAGE: u32 = 2_000;
/// Windows of more buckets than this are read in two halves at once.
const SPLIT_BUCKETS: i32 = 24;

/// The cells a question reads, as its scope sees them: with their people
/// (only the scope's when it names some), or, for questions that need no one
/// person, without. Tallies are read in place, as 90 days of cells hold
/// millions of them.
pub(crate) struct Rows<'c> {
    cells: Vec<&'c RollupRow>,
    /// Each cell's people, checked once; none when read without people.
    tallies: Option<Vec<CheckedTallies<'c>>>,
    /// Person ids by number.
    numbers: &'c [Uuid],
    wanted: Option<PeopleSet>,
}

impl<'c> Rows<'c> {
    /// How many cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// The cells themselves, without their people.
    pub fn rows(&self) -> impl Iterator<Item = &'c RollupRow> + '_ {
        self.cells.iter().copied()
    }

    /// Each cell as the scope sees it, with its people: for totals and
    /// distinct people, which need no person's own counts, in one tight loop
    /// per cell.
    pub fn cells(&self) -> impl Iterator<Item = ScopedCell<'_, 'c>> + '_ {
        self.cells.iter().enumerate().map(move |(i, &cell)| {
            let tallies = self.tallies.as_ref().map(|t| t[i].clone());
            let mut scoped = ScopedCell {
                cell,
                measures: cell.measures,
                tallies,
                numbers: self.numbers,
                wanted: self.wanted.as_ref(),
            };
            if scoped.wanted.is_some() {
                // Only the scope's people's counts; durations are kept per cell.
                let mut narrowed = Measures::default();
                for (_, t) in scoped.people() {
                    narrowed.events += t.events;
                    narrowed.failures += t.failures;
                    narrowed.errors += t.errors;
                }
                scoped.measures = narrowed;
            }
            scoped
        })
    }
}

/// A cell as the scope sees it (see [`Rows::cells`]).
pub(crate) struct ScopedCell<'r, 'c> {
    pub cell: &'c RollupRow,
    /// The cell's measures; only the scope's people's counts when it names some.
    pub measures: Measures,
    tallies: Option<CheckedTallies<'c>>,
    numbers: &'c [Uuid],
    wanted: Option<&'r PeopleSet>,
}

impl ScopedCell<'_, '_> {
    /// The numbers and counts of the cell's people in scope (none when the
    /// rows were read without people).
    pub fn people(&self) -> impl Iterator<Item = (u32, Tally)> + '_ {
        let numbers = self.numbers;
        let wanted = self.wanted;
        self.tallies
            .clone()
            .unwrap_or_default()
            .filter(move |(n, _)| {
                numbers.get(*n as usize).is_some_and(|id| !id.is_nil())
                    && wanted.is_none_or(|w| w.contains(*n))
            })
    }

    /// The sessions an error cell hit, only the scope's people's when it
    /// names some (none when read without people).
    pub fn sessions(&self) -> impl Iterator<Item = Uuid> + '_ {
        let wanted = self.wanted;
        let sessions = Some(&self.cell.sessions).filter(|_| self.tallies.is_some());
        sessions
            .and_then(|bytes| SessionReader::new(bytes).ok())
            .into_iter()
            .flatten()
            .map_while(Result::ok)
            .filter(move |(_, n)| wanted.is_none_or(|w| w.contains(*n)))
            .map(|(session, _)| session)
    }
}

/// The rollup rows a question reads. Kept buckets are shared with the
/// server's cache, not copied: copying 90 days of rows for every question
/// touched tens of megabytes of fresh memory, a fifth of its time. Rows
/// read without people may still carry them; [`Usage::counts`] ignores them.
#[derive(Default)]
pub(crate) struct Cells {
    parts: Vec<Part>,
}

/// A bucket's rows, and which of them a question wants (all when `None`).
struct Part {
    rows: Arc<Vec<RollupRow>>,
    picked: Option<Vec<u32>>,
}

impl Part {
    fn matching(rows: Arc<Vec<RollupRow>>, q: &RollupQuery) -> Part {
        let wanted: Vec<u32> = (0..rows.len() as u32)
            .filter(|i| q.matches(&rows[*i as usize]))
            .collect();
        let picked = (wanted.len() < rows.len()).then_some(wanted);
        Part { rows, picked }
    }

    fn iter(&self) -> impl Iterator<Item = &RollupRow> {
        let all = self.picked.is_none().then(|| self.rows.iter());
        let some = self.picked.iter().flatten();
        all.into_iter()
            .flatten()
            .chain(some.map(|i| &self.rows[*i as usize]))
    }
}

impl Cells {
    pub fn iter(&self) -> impl Iterator<Item = &RollupRow> {
        self.parts.iter().flat_map(Part::iter)
    }
}

impl<'a> IntoIterator for &'a Cells {
    type Item = &'a RollupRow;
    type IntoIter = Box<dyn Iterator<Item = &'a RollupRow> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl From<Vec<RollupRow>> for Cells {
    fn from(rows: Vec<RollupRow>) -> Cells {
        Cells {
            parts: vec![Part {
                rows: Arc::new(rows),
                picked: None,
            }],
        }
    }
}

/// Each cell's key as its rank among the cells' distinct keys in order. A
/// key is hashed once per run of equal keys (a cell's neighbours mostly share
/// it), and only the distinct keys are sorted: sorting every cell's key was
/// an eighth of the functions view. Passes over the cells then index plain
/// vectors by rank.
pub(crate) struct Ranked<K> {
    /// The distinct keys, sorted; a key's rank is its place here.
    pub keys: Vec<K>,
    /// Each cell's rank, in the cells' order.
    pub of: Vec<u32>,
}

impl<K: Ord + std::hash::Hash + Clone> Ranked<K> {
    pub fn new(keys: impl Iterator<Item = K>) -> Self {
        let mut ids: HashMap<K, u32> = HashMap::new();
        let mut of: Vec<u32> = Vec::with_capacity(keys.size_hint().0);
        let mut last: Option<(K, u32)> = None;
        for key in keys {
            let id = match &last {
                Some((previous, id)) if *previous == key => *id,
                _ => {
                    let next = ids.len() as u32;
                    let id = *ids.entry(key.clone()).or_insert(next);
                    last = Some((key, id));
                    id
                }
            };
            of.push(id);
        }
        let mut sorted: Vec<(K, u32)> = ids.into_iter().collect();
        sorted.sort_unstable();
        let mut rank = vec![0; sorted.len()];
        for (r, (_, id)) in sorted.iter().enumerate() {
            rank[*id as usize] = r as u32;
        }
        of.iter_mut().for_each(|id| *id = rank[*id as usize]);
        Ranked {
            keys: sorted.into_iter().map(|(k, _)| k).collect(),
            of,
        }
    }

    /// One accumulator per key, in rank order.
    pub fn accumulators<A: Default>(&self) -> Vec<A> {
        std::iter::repeat_with(A::default)
            .take(self.keys.len())
            .collect()
    }
}

/// Rows grouped by a key of their cell, each with an accumulator. A key is
/// looked up once per run of equal keys: a cell's people come one after
/// another, and neighbouring cells mostly share their key.
pub(crate) struct Groups<'c, K> {
    index: HashMap<K, usize>,
    keys: Vec<K>,
    current: Option<(K, usize)>,
    cells: std::marker::PhantomData<&'c RollupRow>,
}

impl<K> Default for Groups<'_, K> {
    fn default() -> Self {
        Groups {
            index: HashMap::new(),
            keys: Vec::new(),
            current: None,
            cells: std::marker::PhantomData,
        }
    }
}

impl<'c, K: std::hash::Hash + Eq + Clone> Groups<'c, K> {
    /// The accumulator of `r`'s group in `accs` (one per group, in the order
    /// groups were first seen), made with `Default` for a new group.
    pub fn entry<'a, A: Default>(
        &mut self,
        cell: &'c RollupRow,
        key: impl Fn(&'c RollupRow) -> K,
        accs: &'a mut Vec<A>,
    ) -> &'a mut A {
        let k = key(cell);
        let at = match &self.current {
            Some((current, at)) if *current == k => *at,
            _ => {
                let next = self.keys.len();
                let at = *self.index.entry(k.clone()).or_insert(next);
                if at == next {
                    self.keys.push(k.clone());
                    accs.push(A::default());
                }
                self.current = Some((k, at));
                at
            }
        };
        &mut accs[at]
    }

    /// The keys, in the order of the accumulators.
    pub fn into_keys(self) -> impl Iterator<Item = K> {
        self.keys.into_iter()
    }
}

impl Usage<'_> {
    /// Each person's part of the cells (see [`Rows`]).
    pub(crate) fn people<'c>(
        &'c self,
        cells: impl IntoIterator<Item = &'c RollupRow>,
        scope: &Scope,
    ) -> Rows<'c> {
        let cells: Vec<&RollupRow> = cells.into_iter().collect();
        // Checked when read (`Usage::read_rows`).
        let tallies = cells
            .iter()
            .map(|cell| CheckedTallies::checked_before(&cell.people))
            .collect();
        let wanted = scope.users.as_ref().map(|users| {
            let mut set = PeopleSet::default();
            users
                .iter()
                .filter_map(|u| self.by_person.get(u))
                .for_each(|n| set.insert(*n));
            set
        });
        Rows {
            cells,
            tallies: Some(tallies),
            numbers: &self.numbers,
            wanted,
        }
    }

    /// The cells' counts, narrowed to the scope's people when it names some:
    /// for the questions that need no one person, which then decode no people.
    pub(crate) fn counts<'c>(
        &'c self,
        cells: impl IntoIterator<Item = &'c RollupRow>,
        scope: &Scope,
    ) -> Rows<'c> {
        if scope.users.is_some() {
            return self.people(cells, scope);
        }
        Rows {
            cells: cells.into_iter().collect(),
            tallies: None,
            numbers: &self.numbers,
            wanted: None,
        }
    }

    /// Cells of the smallest cuboid that has `group_by` and the scope's dimensions.
    pub(crate) async fn cells(
        &self,
        w: &Window,
        group_by: Dims,
        runs_only: bool,
        scope: &Scope,
    ) -> UsageResult<Cells> {
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
    ) -> UsageResult<Cells> {
        self.cells_with(w, group_by, runs_only, scope, scope.users.is_some())
            .await
    }

    /// [`Usage::count_cells`] for questions about the window as a whole:
    /// one row per combination of dimensions, the buckets summed by the
    /// store (a row per bucket when the scope names people, whose counts
    /// only the buckets' tallies hold, and for minutes).
    pub(crate) async fn count_totals(
        &self,
        w: &Window,
        group_by: Dims,
        runs_only: bool,
        scope: &Scope,
    ) -> UsageResult<Cells> {
        if scope.users.is_some() {
            return self.cells(w, group_by, runs_only, scope).await;
        }
        let mut q = self.cells_query(w, group_by, runs_only, scope)?;
        (q.people, q.totals) = (false, true);
        self.rows(w, &q).await
    }

    /// The query of the smallest cuboid that has `group_by` and the scope's dimensions.
    fn cells_query(
        &self,
        w: &Window,
        group_by: Dims,
        runs_only: bool,
        scope: &Scope,
    ) -> UsageResult<RollupQuery> {
        let cuboid = Cuboid::covering(group_by | scope.dims(), runs_only);
        let mut q = self.query(w, RollupTable::Cells(cuboid.id), scope)?;
        if runs_only {
            q.not_blank.push(Column::Function);
        }
        Ok(q)
    }

    async fn cells_with(
        &self,
        w: &Window,
        group_by: Dims,
        runs_only: bool,
        scope: &Scope,
        people: bool,
    ) -> UsageResult<Cells> {
        let mut q = self.cells_query(w, group_by, runs_only, scope)?;
        q.people = people;
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
            totals: false,
        })
    }

    pub(crate) async fn rows(&self, w: &Window, q: &RollupQuery) -> UsageResult<Cells> {
        if w.grain != Grain::Minute {
            return self.stored_rows(q).await;
        }
        let delta = self.minute_delta(w).await?;
        let mut rows = self.delta_rows(&delta, q.table);
        rows.retain(|r| q.matches(r));
        Ok(rows.into())
    }

    /// Rows of the store's tables, through the server's kept rows when it
    /// keeps some. Window totals then come a row per bucket, as for minutes
    /// (their readers add them up): adding up kept rows in memory is cheaper
    /// than having the store add up its own.
    async fn stored_rows(&self, q: &RollupQuery) -> UsageResult<Cells> {
        let Some(cache) = self.cache else {
            return Ok(self.read_rows(q).await?.into());
        };
        if q.totals {
            let per_bucket = RollupQuery {
                totals: false,
                people: false,
                ..q.clone()
            };
            return self.kept_rows(cache, &per_bucket).await;
        }
        self.kept_rows(cache, q).await
    }

    /// The rows of the buckets kept at their current version, and the others
    /// read again and kept (see [`RollupCache`]).
    async fn kept_rows(&self, cache: &RollupCache, q: &RollupQuery) -> UsageResult<Cells> {
        let versions = (self.store)
            .rollup_versions(self.account, q.grain, q.from, q.to)
            .await?;
        let key = |bucket| BucketKey {
            account: self.account,
            table: q.table,
            grain: q.grain.code(),
            bucket,
        };
        let kept: Vec<_> = versions
            .iter()
            .map(|(bucket, version)| cache.get(&key(*bucket), *version))
            .collect();
        // Whole buckets: kept rows serve every later question about them.
        let spans: Vec<RollupQuery> = stale_spans(&versions, &kept, q.to)
            .into_iter()
            .map(|(from, to)| RollupQuery {
                from,
                to,
                only: Vec::new(),
                not_blank: Vec::new(),
                people: true,
                ..q.clone()
            })
            .collect();
        let reads = spans.iter().map(|span| self.read_rows(span));
        let mut read: HashMap<_, Vec<RollupRow>> = HashMap::new();
        for row in futures::future::try_join_all(reads)
            .await?
            .into_iter()
            .flatten()
        {
            read.entry(row.bucket).or_default().push(row);
        }
        let buckets: Vec<Arc<Vec<RollupRow>>> = versions
            .iter()
            .zip(kept)
            .map(|((bucket, version), kept)| {
                kept.unwrap_or_else(|| {
                    let rows = Arc::new(read.remove(bucket).unwrap_or_default());
                    cache.put(key(*bucket), *version, rows.clone());
                    rows
                })
            })
            .collect();
        Ok(Cells {
            parts: buckets
                .into_iter()
                .map(|rows| Part::matching(rows, q))
                .collect(),
        })
    }

    /// Rows read from the store, their people and sessions checked: rows
    /// are checked here, once, and read without checks by every question
    /// that is handed them later (kept rows by many).
    async fn read_rows(&self, q: &RollupQuery) -> UsageResult<Vec<RollupRow>> {
        let rows = self.read_halves(q).await?;
        for row in &rows {
            CheckedTallies::new(&row.people).map_err(corrupt)?;
            for entry in SessionReader::new(&row.sessions).map_err(corrupt)? {
                entry.map_err(corrupt)?;
            }
        }
        Ok(rows)
    }

    /// A long window's rows are read as two halves at once: the store
    /// answers them in parallel, and a long window is where the time goes.
    async fn read_halves(&self, q: &RollupQuery) -> UsageResult<Vec<RollupRow>> {
        let middle = q.grain.floor(q.from + (q.to - q.from) / 2);
        let long = q.to - q.from > q.grain.length() * SPLIT_BUCKETS;
        if q.totals || !long || middle <= q.from {
            return Ok(self.store.rollup_rows(self.account, q).await?);
        }
        let (earlier, later) = (
            RollupQuery {
                to: middle,
                ..q.clone()
            },
            RollupQuery {
                from: middle,
                ..q.clone()
            },
        );
        let (mut rows, more) = futures::try_join!(
            self.store.rollup_rows(self.account, &earlier),
            self.store.rollup_rows(self.account, &later),
        )?;
        rows.extend(more);
        Ok(rows)
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

    /// A delta's sessions, their people numbered as the store would.
    fn numbered_sessions(
        &self,
        sessions: &std::collections::BTreeMap<Uuid, Option<Uuid>>,
    ) -> Sessions {
        let number = |p: &Option<Uuid>| p.and_then(|p| self.by_person.get(&p).copied());
        Sessions(
            sessions
                .iter()
                .map(|(s, p)| (*s, number(p).unwrap_or(0)))
                .collect(),
        )
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
                    source: k.source.as_str().into(),
                    level: k.level.as_str().into(),
                    measures: cell.measures,
                    people: self.numbered(&cell.people).encode().into(),
                    ..place(k.bucket, k.type_id, &k.package, &k.kind, &k.function)
                })
                .collect(),
            RollupTable::Durations => delta
                .durations
                .iter()
                .map(|(k, s)| RollupRow {
                    sketch: Some(Arc::new(s.clone())),
                    ..place(k.bucket, k.type_id, &k.package, &k.kind, &k.function)
                })
                .collect(),
            RollupTable::Errors => delta
                .errors
                .iter()
                .map(|(k, cell)| RollupRow {
                    signature: k.signature.as_str().into(),
                    measures: cell.measures,
                    people: self.numbered(&cell.people).encode().into(),
                    sessions: self.numbered_sessions(&cell.sessions).encode().into(),
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
        package: package.into(),
        kind: kind.into(),
        function: function.into(),
        ..RollupRow::default()
    }
}

/// The buckets to read again, as `[from, to)` spans of neighbours (one read
/// each): those not kept, each up to the next bucket with a version.
fn stale_spans<T>(
    versions: &[(DateTime<Utc>, i64)],
    kept: &[Option<T>],
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for (i, (bucket, _)) in versions.iter().enumerate() {
        if kept[i].is_some() {
            continue;
        }
        let end = versions.get(i + 1).map_or(to, |(next, _)| *next);
        match spans.last_mut() {
            Some((_, until)) if until == bucket => *until = end,
            _ => spans.push((*bucket, end)),
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cell_is_given_its_keys_rank_in_order() {
        let ranked = Ranked::new(["b", "b", "a", "c", "b", "a", "a"].into_iter());
        assert_eq!(ranked.keys, vec!["a", "b", "c"]);
        assert_eq!(ranked.of, vec![1, 1, 0, 2, 1, 0, 0]);
        assert!(Ranked::<&str>::new(std::iter::empty()).keys.is_empty());
    }

    #[test]
    fn stale_buckets_are_read_in_spans_of_neighbours() {
        let day = |d: i64| DateTime::from_timestamp(d * 86_400, 0).unwrap();
        let versions: Vec<_> = [1, 2, 3, 5, 6, 8].iter().map(|d| (day(*d), 1)).collect();
        let kept = [None, None, Some(()), None, Some(()), None];
        assert_eq!(
            stale_spans(&versions, &kept, day(10)),
            vec![(day(1), day(3)), (day(5), day(6)), (day(8), day(10))]
        );
        assert!(stale_spans(&versions, &[Some(()); 6], day(10)).is_empty());
    }
}
