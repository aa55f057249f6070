//! Packages and Functions: who used what when (the seed's scatter plots), each
//! package's and function's summary, and one function's runs with their inputs
//! and outputs.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use trail_core::query::Condition;
use trail_core::rollup::{Dims, Sketch};
use trail_core::usage::{
    Dot, Durations, FirstLast, FunctionRef, FunctionRuns, FunctionSummary, Functions,
    PackageSummary, Packages, Run, MAX_DOTS,
};
use trail_core::{Action, ResourceKind};
use trail_store::rollups::{Column, RollupRow, RollupTable, SeenRow, SeenTable, Values};
use trail_store::search::Cursor;

use crate::overview::{name_counts, package_of};
use crate::source::Row;
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

fn fn_key(r: &RollupRow) -> FnKey {
    (r.package.clone(), r.kind.clone(), r.function.clone())
}

impl Usage<'_> {
    pub async fn packages(&self, w: &Window, scope: &Scope) -> UsageResult<Packages> {
        let package_cells = self.cells(w, Dims::PACKAGE, false, scope).await?;
        let people = self.people(&package_cells, scope)?;
        let kind_cells = self
            .count_cells(w, Dims::PACKAGE | Dims::TYPE | Dims::LEVEL, false, scope)
            .await?;
        let kinds = self.counts(&kind_cells, scope)?;
        let run_cells = self.function_cells(w, scope).await?;
        let runs = self.people(&run_cells, scope)?;
        let labels = self.labels().await?;
        let named = |r: &&Row| !r.package.is_empty();
        let mut failures: HashMap<&str, i64> = HashMap::new();
        for r in people.iter().filter(named) {
            *failures.entry(package_of(r)).or_default() += r.measures.failures;
        }
        let mut summaries: BTreeMap<String, PackageSummary> = BTreeMap::new();
        for c in name_counts(people.iter().filter(named), package_of, |p| p.to_string()) {
            let failures = failures.get(c.name.as_str()).copied().unwrap_or(0);
            summaries.insert(
                c.name.clone(),
                PackageSummary {
                    package: c.name.clone(),
                    events: c.events,
                    users: c.users,
                    failures,
                    functions: Vec::new(),
                    levels: BTreeMap::new(),
                    actions: BTreeMap::new(),
                    used: labels.packages.get(&c.name).map(first_last),
                },
            );
        }
        for r in kinds.iter().filter(named) {
            if let Some(s) = summaries.get_mut(&r.package) {
                *s.levels.entry(r.level.clone()).or_default() += r.measures.events;
                *s.actions.entry(self.type_action(r.type_id)).or_default() += r.measures.events;
            }
        }
        let mut runs_of: HashMap<&str, Vec<Row>> = HashMap::new();
        for r in &runs {
            runs_of.entry(package_of(r)).or_default().push(*r);
        }
        for (package, s) in summaries.iter_mut() {
            let of_package = runs_of.get(package.as_str()).into_iter().flatten();
            s.functions = name_counts(of_package, function_of, |f| label(&labels, f));
        }
        let (dots, dots_total) = dots(
            &people,
            |r| Some(package_of(r)).filter(|p| !p.is_empty()),
            |p| p.to_string(),
        );
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
        let run_cells = self.function_cells(w, scope).await?;
        let runs = self.people(&run_cells, scope)?;
        let labels = self.labels().await?;
        let sketches = self.sketches(w, scope, Vec::new()).await?;
        let mut per: HashMap<(&str, &str, &str), RunTotals> = HashMap::new();
        for r in &runs {
            let e = per.entry(function_of(r)).or_default();
            e.0 += r.measures.events;
            e.1 += r.measures.failures;
            if r.person != 0 {
                e.2.insert(r.person);
            }
            e.3 = e.3.max(r.measures.duration_max);
        }
        let summaries = per
            .into_iter()
            .map(|((p, k, f), (runs, failures, users, max))| {
                (
                    (p.to_string(), k.to_string(), f.to_string()),
                    (runs, failures, users, max),
                )
            })
            .map(|(key, (runs, failures, users, max))| FunctionSummary {
                durations: fn_durations(sketches.as_ref().map(|s| s.get(&key)), max),
                function: function_ref(&labels, key),
                runs,
                users: users.len(),
                failures,
            })
            .collect();
        let (dots, dots_total) = dots(&runs, |r| Some(function_of(r)), |f| label(&labels, f));
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
    async fn function_cells(&self, w: &Window, scope: &Scope) -> UsageResult<Vec<RollupRow>> {
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
                labels
                    .functions
                    .insert((r.package.clone(), r.kind.clone(), r.function.clone()), r);
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
        let mut out: HashMap<FnKey, Sketch> = HashMap::new();
        for r in self.rows(w, &q).await? {
            if let Some(s) = &r.sketch {
                out.entry(fn_key(&r)).or_default().merge(s);
            }
        }
        Ok(Some(out))
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

/// A row's function (package, kind, function), borrowed from its cell.
pub(crate) fn function_of<'c>(r: &Row<'c>) -> (&'c str, &'c str, &'c str) {
    let c = r.cell();
    (c.package.as_str(), c.kind.as_str(), c.function.as_str())
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

/// The scatter's dots (name, bucket, person), largest first, at most
/// [`MAX_DOTS`], and how many there are. A cell holds each person once, so a
/// person's part of a cell is a dot; only the shown ones are named.
fn dots<'c, K>(
    rows: &[Row<'c>],
    key: impl Fn(&Row<'c>) -> Option<K>,
    name: impl Fn(&K) -> String,
) -> (Vec<Dot>, i64) {
    let mut all: Vec<(&Row<'c>, K)> = rows
        .iter()
        .filter(|r| r.person != 0)
        .filter_map(|r| key(r).map(|k| (r, k)))
        .collect();
    let total = all.len() as i64;
    if all.len() > MAX_DOTS {
        all.select_nth_unstable_by_key(MAX_DOTS, |(r, _)| Reverse(r.measures.events));
        all.truncate(MAX_DOTS);
    }
    let shown = all
        .into_iter()
        .map(|(r, k)| Dot {
            name: name(&k),
            bucket: r.bucket,
            user: r.user,
            events: r.measures.events,
        })
        .collect();
    let shown = top(shown, MAX_DOTS, |d: &Dot| {
        (Reverse(d.events), d.bucket, d.name.clone(), d.user)
    });
    (shown, total)
}
