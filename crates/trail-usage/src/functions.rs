//! Packages and Functions: who used what when (the seed's scatter plots), each
//! package's and function's summary, and one function's runs with their inputs
//! and outputs.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use futures::try_join;
use trail_core::query::Condition;
use trail_core::rollup::{Dims, Sketch};
use trail_core::usage::{
    Dot, Durations, FirstLast, FunctionRef, FunctionRuns, FunctionSummary, Functions, NameCount,
    PackageSummary, Packages, Run, MAX_DOTS,
};
use trail_core::{Action, ResourceKind};
use trail_store::rollups::{Column, RollupRow, RollupTable, SeenRow, SeenTable, Values};
use trail_store::search::Cursor;
use uuid::Uuid;

use crate::overview::{by_reach, named, package_of};
use crate::source::{Cells, Ranked, Rows};
use crate::{durations, top, PeopleSet, Scope, Usage, UsageError, UsageResult, Window};

/// A function's identity in rollup rows: package, kind, function.
pub(crate) type FnKey = (String, String, String);

/// A function's runs, failures, people and longest run.
type RunTotals = (i64, i64, PeopleSet, i64);

/// What `usage_features` knows of packages and functions.
pub(crate) struct Labels {
    pub functions: HashMap<FnKey, SeenRow>,
    pub packages: HashMap<String, SeenRow>,
}

impl Usage<'_> {
    pub async fn packages(&self, w: &Window, scope: &Scope) -> UsageResult<Packages> {
        // Independent reads, asked for together: the store answers them in parallel.
        let (package_cells, kind_cells, run_cells, labels) = try_join!(
            self.cells(w, Dims::PACKAGE, false, scope),
            self.count_totals(w, Dims::PACKAGE | Dims::TYPE | Dims::LEVEL, false, scope),
            self.function_cells(w, scope),
            self.labels(),
        )?;
        let people = self.people(&package_cells, scope);
        let kinds = self.counts(&kind_cells, scope);
        let runs = self.people(&run_cells, scope);
        // The two passes over people are most of the view's time, and
        // independent: the functions' on a thread of their own.
        let ((per_package, dots), per_function) = std::thread::scope(|s| {
            let per_function = s.spawn(|| per_function(&runs));
            let packages = per_package(&people);
            (packages, per_function.join().expect("functions' pass"))
        });
        let mut summaries: BTreeMap<String, PackageSummary> = per_package
            .into_iter()
            .map(|(package, (events, failures, users))| {
                let summary = PackageSummary {
                    package: package.to_string(),
                    events,
                    users: users.len(),
                    failures,
                    functions: Vec::new(),
                    levels: BTreeMap::new(),
                    actions: BTreeMap::new(),
                    used: labels.packages.get(package).map(first_last),
                };
                (package.to_string(), summary)
            })
            .collect();
        // Summed under the rows' own texts first: 90 days are tens of
        // thousands of rows for a few hundred sums.
        let mut levels: HashMap<(&str, &str), i64> = HashMap::new();
        let mut types: HashMap<(&str, i64), i64> = HashMap::new();
        for c in kinds.cells().filter(|c| named(c.cell)) {
            let (cell, events) = (c.cell, c.measures.events);
            *levels.entry((&cell.package, &cell.level)).or_default() += events;
            *types.entry((&cell.package, cell.type_id)).or_default() += events;
        }
        for ((package, level), events) in levels {
            if let Some(s) = summaries.get_mut(package) {
                *s.levels.entry(level.to_string()).or_default() += events;
            }
        }
        for ((package, type_id), events) in types {
            if let Some(s) = summaries.get_mut(package) {
                *s.actions.entry(self.type_action(type_id)).or_default() += events;
            }
        }
        let mut functions: HashMap<&str, Vec<NameCount>> = HashMap::new();
        for ((package, kind, function), (events, users)) in per_function {
            functions.entry(package).or_default().push(NameCount {
                name: label(&labels, &(package, kind, function)),
                events,
                users: users.len(),
            });
        }
        for (package, s) in summaries.iter_mut() {
            s.functions = by_reach(functions.remove(package.as_str()).unwrap_or_default());
        }
        let (dots, dots_total) = dots.shown(&self.numbers, |p| p.to_string());
        Ok(Packages {
            span: w.span(),
            people: self.people_of(dots.iter().map(|d| d.user)),
            dots,
            dots_total,
            packages: top(summaries.into_values().collect(), usize::MAX, |s| {
                (Reverse(s.users), Reverse(s.events), s.package.clone())
            }),
        })
    }

    pub async fn functions(&self, w: &Window, scope: &Scope) -> UsageResult<Functions> {
        let (run_cells, labels, sketches) = try_join!(
            self.function_cells(w, scope),
            self.labels(),
            self.sketches(w, scope, Vec::new()),
        )?;
        let runs = self.people(&run_cells, scope);
        let ranked = Ranked::new(runs.rows().map(function_of));
        let mut per: Vec<RunTotals> = ranked.accumulators();
        let mut dots = Dots::new(ranked.keys.clone());
        for (c, &rank) in runs.cells().zip(&ranked.of) {
            let e = &mut per[rank as usize];
            e.0 += c.measures.events;
            e.1 += c.measures.failures;
            e.3 = e.3.max(c.measures.duration_max);
            for (n, t) in c.people() {
                e.2.insert(n);
                dots.add(c.cell, rank, n, t.events);
            }
        }
        let summaries = ranked
            .keys
            .into_iter()
            .zip(per)
            .map(|((p, k, f), (runs, failures, users, max))| {
                let key: FnKey = (p.to_string(), k.to_string(), f.to_string());
                FunctionSummary {
                    durations: fn_durations(sketches.as_ref().map(|s| s.get(&key)), max),
                    function: function_ref(&labels, key),
                    runs,
                    users: users.len(),
                    failures,
                }
            })
            .collect();
        let (dots, dots_total) = dots.shown(&self.numbers, |f| label(&labels, f));
        Ok(Functions {
            span: w.span(),
            people: self.people_of(dots.iter().map(|d| d.user)),
            dots,
            dots_total,
            functions: top(summaries, usize::MAX, |s: &FunctionSummary| {
                (Reverse(s.runs), s.function.clone())
            }),
        })
    }

    /// One function's runs, newest first, with their parameters.
    #[allow(clippy::too_many_arguments)]
    pub async fn function_runs(
        &self,
        w: &Window,
        scope: &Scope,
        package: &str,
        kind: &ResourceKind,
        function: &str,
        after: Option<Cursor>,
        limit: u32,
    ) -> UsageResult<FunctionRuns> {
        let key: FnKey = (package.into(), kind.as_str().into(), function.into());
        let labels = self.labels().await?;
        if !labels.functions.contains_key(&key) {
            return Err(UsageError::NotFound(format!(
                "function {package}:{function} ({})",
                kind.as_str()
            )));
        }
        let executed = Action::parse("executed").expect("catalogue action");
        let mut filter = scope
            .search_filter()
            .and(w.condition())
            .and(Condition::Kind(vec![kind.clone()]))
            .and(Condition::ResourceId(vec![function.to_string()]))
            .and(Condition::Action(vec![executed]));
        if !package.is_empty() {
            filter = filter.and(Condition::Package(vec![package.into()]));
        }
        let page = self.search(filter, after, limit).await?;
        let only = vec![
            (Column::Package, Values::Texts(vec![key.0.clone()])),
            (Column::Kind, Values::Texts(vec![key.1.clone()])),
            (Column::Function, Values::Texts(vec![key.2.clone()])),
        ];
        let sketches = self.sketches(w, scope, only).await?;
        let max = page.events.iter().filter_map(|e| e.body.duration_ms).max();
        Ok(FunctionRuns {
            span: w.span(),
            durations: fn_durations(
                sketches.as_ref().map(|s| s.get(&key)),
                max.map(|m| m as i64).unwrap_or(0),
            ),
            function: function_ref(&labels, key),
            runs: page
                .events
                .iter()
                .map(|e| Run {
                    event_id: e.body.id,
                    at: e.body.occurred_at,
                    user: e.body.actor.id.clone(),
                    duration_ms: e.body.duration_ms,
                    status: e.body.status.as_str().to_string(),
                    params: e
                        .body
                        .params
                        .iter()
                        .map(|(k, v)| (k.clone(), v.to_json()))
                        .collect(),
                })
                .collect(),
            next: page.next.map(|c| c.encode()),
        })
    }

    /// Cells of function runs only.
    async fn function_cells(&self, w: &Window, scope: &Scope) -> UsageResult<Cells> {
        let dims = Dims::PACKAGE | Dims::KIND | Dims::FUNCTION;
        self.cells(w, dims, true, scope).await
    }

    /// The account's packages and functions, read once per request.
    pub(crate) async fn labels(&self) -> UsageResult<std::sync::Arc<Labels>> {
        if let Some(known) = self.labels.lock().expect("labels cache").clone() {
            return Ok(known);
        }
        let mut labels = Labels {
            functions: HashMap::new(),
            packages: HashMap::new(),
        };
        for r in self.store.seen(self.account, SeenTable::Features).await? {
            if r.function.is_empty() {
                labels.packages.insert(r.package.clone(), r);
            } else {
                labels.functions.insert(
                    (
                        r.package.to_string(),
                        r.kind.to_string(),
                        r.function.to_string(),
                    ),
                    r,
                );
            }
        }
        let labels = std::sync::Arc::new(labels);
        *self.labels.lock().expect("labels cache") = Some(labels.clone());
        Ok(labels)
    }

    /// Merged duration sketches per function; `None` when the scope names
    /// people (sketches are kept per operation, not per person).
    async fn sketches(
        &self,
        w: &Window,
        scope: &Scope,
        only: Vec<(Column, Values)>,
    ) -> UsageResult<Option<HashMap<FnKey, Sketch>>> {
        if scope.users.is_some() {
            return Ok(None);
        }
        let mut q = self.query(w, RollupTable::Durations, scope)?;
        q.only.extend(only);
        q.not_blank.push(Column::Function);
        let rows = self.rows(w, &q).await?;
        // Keyed by the rows' own texts while merging: 90 days are 27,000 rows
        // for a few hundred functions.
        let mut merged: HashMap<FnOf, Sketch> = HashMap::new();
        for r in &rows {
            if let Some(s) = &r.sketch {
                merged.entry(function_of(r)).or_default().merge(s);
            }
        }
        Ok(Some(
            merged
                .into_iter()
                .map(|((p, k, f), s)| ((p.to_string(), k.to_string(), f.to_string()), s))
                .collect(),
        ))
    }
}

fn fn_durations(sketch: Option<Option<&Sketch>>, max: i64) -> Durations {
    match sketch {
        Some(s) => durations(s.unwrap_or(&Sketch::default())),
        // Only the exact maximum is known per person.
        None => Durations {
            max: Some(max),
            ..Durations::default()
        },
    }
}

fn first_last(r: &SeenRow) -> FirstLast {
    FirstLast {
        first: r.first,
        last: r.last,
    }
}

fn function_ref(labels: &Labels, key: FnKey) -> FunctionRef {
    let label = labels
        .functions
        .get(&key)
        .map_or_else(|| key.2.clone(), |r| r.label.clone());
    let (package, kind, function) = key;
    FunctionRef {
        package,
        kind,
        function,
        label,
    }
}

/// A cell's function (package, kind, function).
pub(crate) fn function_of(c: &RollupRow) -> FnOf<'_> {
    (c.package.as_ref(), c.kind.as_ref(), c.function.as_ref())
}

/// `package:label` of a function.
pub(crate) fn label(labels: &Labels, (package, kind, function): &(&str, &str, &str)) -> String {
    let f = function_ref(
        labels,
        (package.to_string(), kind.to_string(), function.to_string()),
    );
    if f.package.is_empty() {
        f.label
    } else {
        format!("{}:{}", f.package, f.label)
    }
}

/// A function as its cells name it: package, kind, function.
pub(crate) type FnOf<'c> = (&'c str, &'c str, &'c str);

/// Each package's events, failures and people, and the packages' dots.
type PerPackage<'c> = (Vec<(&'c str, (i64, i64, PeopleSet))>, Dots<&'c str>);

/// Events, failures and people per package, and the packages' dots.
fn per_package<'c>(people: &Rows<'c>) -> PerPackage<'c> {
    // Cells of no package are ranked too, to keep ranks aligned with cells.
    let ranked = Ranked::new(people.rows().map(package_of));
    let mut totals: Vec<(i64, i64, PeopleSet)> = ranked.accumulators();
    let mut dots = Dots::new(ranked.keys.clone());
    let cells = people.cells().zip(&ranked.of);
    for (c, &rank) in cells.filter(|(c, _)| named(c.cell)) {
        let e = &mut totals[rank as usize];
        e.0 += c.measures.events;
        e.1 += c.measures.failures;
        for (n, t) in c.people() {
            e.2.insert(n);
            dots.add(c.cell, rank, n, t.events);
        }
    }
    let packages = ranked.keys.into_iter().zip(totals);
    (packages.filter(|(p, _)| !p.is_empty()).collect(), dots)
}

/// Runs and people per function.
fn per_function<'c>(runs: &Rows<'c>) -> Vec<(FnOf<'c>, (i64, PeopleSet))> {
    let ranked = Ranked::new(runs.rows().map(function_of));
    let mut totals: Vec<(i64, PeopleSet)> = ranked.accumulators();
    for (c, &rank) in runs.cells().zip(&ranked.of) {
        let e = &mut totals[rank as usize];
        e.0 += c.measures.events;
        c.people().for_each(|(n, _)| e.1.insert(n));
    }
    ranked.keys.into_iter().zip(totals).collect()
}

/// A candidate dot, in the order dots are shown: most events first, then by
/// bucket, key (by its rank among the view's keys) and person. Plain numbers,
/// so that ordering hundreds of thousands of them compares no text.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Candidate {
    events: Reverse<i64>,
    bucket: i64,
    rank: u32,
    person: u32,
}

/// The scatter's dots (name, bucket, person), largest first, at most
/// [`MAX_DOTS`], and how many there are. A cell holds each person once, so a
/// person's part of a cell is a dot; only the shown ones are named. Ties are
/// broken by bucket, key and person, so the same data always shows the same
/// dots on either store. Filled in the caller's pass over the cells.
struct Dots<K> {
    /// The view's keys in order; a key's rank is its place here.
    keys: Vec<K>,
    /// The largest dots so far, pruned to MAX_DOTS whenever twice that many
    /// gathered.
    kept: Vec<Candidate>,
    /// The last dot kept at the latest pruning: later dots that come after
    /// it are only counted. Comparing whole dots, not just their events,
    /// keeps the many ties of small counts out too.
    cut: Option<Candidate>,
    total: i64,
}

impl<K> Dots<K> {
    /// Dots of cells whose keys are `keys`, sorted (see [`Ranked`]).
    fn new(keys: Vec<K>) -> Self {
        Dots {
            keys,
            kept: Vec::new(),
            cut: None,
            total: 0,
        }
    }

    fn add(&mut self, cell: &RollupRow, rank: u32, person: u32, events: i64) {
        self.total += 1;
        if self.cut.is_some_and(|cut| events < cut.events.0) {
            return;
        }
        let candidate = Candidate {
            events: Reverse(events),
            bucket: cell.bucket.timestamp_micros(),
            rank,
            person,
        };
        if self.cut.is_some_and(|cut| candidate >= cut) {
            return;
        }
        self.kept.push(candidate);
        if self.kept.len() >= 2 * MAX_DOTS {
            self.prune();
        }
    }

    fn prune(&mut self) {
        if self.kept.len() > MAX_DOTS {
            self.kept.select_nth_unstable(MAX_DOTS - 1);
            self.kept.truncate(MAX_DOTS);
            // The last of the kept, where `select_nth_unstable` put it.
            self.cut = self.kept.last().copied();
        }
    }

    fn shown(mut self, numbers: &[Uuid], name: impl Fn(&K) -> String) -> (Vec<Dot>, i64) {
        self.prune();
        self.kept.sort_unstable();
        let mut names: Vec<Option<String>> = vec![None; self.keys.len()];
        let shown = self
            .kept
            .into_iter()
            .map(|c| Dot {
                name: names[c.rank as usize]
                    .get_or_insert_with(|| name(&self.keys[c.rank as usize]))
                    .clone(),
                bucket: chrono::DateTime::from_timestamp_micros(c.bucket)
                    .expect("a bucket's own time"),
                user: numbers[c.person as usize],
                events: c.events.0,
            })
            .collect();
        (shown, self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// More dots than are shown, most of them tied, added in no order: the
    /// shown ones are the first MAX_DOTS of all of them sorted.
    #[test]
    fn dots_shown_are_the_largest_with_ties_broken_alike() {
        let day = |d: i64| RollupRow {
            bucket: chrono::DateTime::from_timestamp(d * 86_400, 0).unwrap(),
            ..RollupRow::default()
        };
        // 29 days: the cut between shown and not falls inside a day.
        let cells: Vec<RollupRow> = (0..29).map(day).collect();
        let keys = ["b", "a", "c"];
        let ranked = Ranked::new(keys.iter().copied());
        let mut dots = Dots::new(ranked.keys);
        let mut all = Vec::new();
        const SENT: usize = 3 * MAX_DOTS;
        for i in 0..(SENT as u32) {
            let (cell, key) = (&cells[(i * 7 % 29) as usize], keys[(i % 3) as usize]);
            // Each person once (7919 is prime to the count): a cell holds a person once.
            // A fifth of 2 events, the rest 1: the cut falls among the ties
            // of 1 at every pruning, and later ties must still get in.
            let (person, events) = (i * 7_919 % (SENT as u32), i64::from(1 + i * 13 % 5 / 4));
            dots.add(cell, ranked.of[(i % 3) as usize], person, events);
            all.push((Reverse(events), cell.bucket, key, person));
        }
        all.sort();
        let numbers: Vec<Uuid> = (0..SENT).map(|_| Uuid::now_v7()).collect();
        let (shown, total) = dots.shown(&numbers, |k| k.to_string());
        assert_eq!(total, SENT as i64);
        let shown: Vec<_> = shown
            .iter()
            .map(|d| (Reverse(d.events), d.bucket, d.name.clone(), d.user))
            .collect();
        let expected: Vec<_> = all[..MAX_DOTS]
            .iter()
            .map(|(e, b, k, p)| (*e, *b, k.to_string(), numbers[*p as usize]))
            .collect();
        assert_eq!(shown, expected);
    }
}
