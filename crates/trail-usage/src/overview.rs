//! Overview: active and new people, sessions, events and errors against the
//! window before; people per bucket and per package; the most active people.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use crate::source::{Cells, Groups, Rows};
use chrono::{DateTime, Utc};
use futures::try_join;
use trail_core::rollup::Dims;
use trail_core::usage::{BucketCount, Card, Cards, NameCount, Overview, PersonActivity, Rest};
use trail_store::rollups::RollupRow;
use uuid::Uuid;

use crate::{top, PeopleSet, Scope, Usage, UsageResult, Window};

/// The totals behind the cards of one window.
struct Totals {
    active: PeopleSet,
    events: i64,
    errors: i64,
    sessions: i64,
}

impl Usage<'_> {
    pub async fn overview(&self, w: &Window, scope: &Scope, top_n: usize) -> UsageResult<Overview> {
        let before = w.previous();
        // Independent reads, asked for together: the store answers them in parallel.
        let (cells, earlier_cells, package_cells, sessions_now, sessions_then) = try_join!(
            self.cells(w, Dims::NONE, false, scope),
            self.cells(&before, Dims::NONE, false, scope),
            self.cells(w, Dims::PACKAGE, false, scope),
            self.sessions(w, scope),
            self.sessions(&before, scope),
        )?;
        let rows = self.people(&cells, scope);
        let earlier = self.people(&earlier_cells, scope);
        let (now, then) = (totals(&rows, sessions_now), totals(&earlier, sessions_then));
        let first_seen = &self.first_seen;
        let new_in = |t: &Totals, win: &Window| {
            t.active
                .numbers()
                .filter(|n| {
                    first_seen
                        .get(&self.numbers[*n as usize])
                        .is_some_and(|f| *f >= win.from && *f < win.to)
                })
                .count() as i64
        };
        let cards = Cards {
            active_users: Card::new(now.active.len(), then.active.len()),
            new_users: Card::new(new_in(&now, w), new_in(&then, &before)),
            sessions: Card::new(now.sessions, then.sessions),
            events: Card::new(now.events, then.events),
            errors: Card::new(now.errors, then.errors),
        };
        let (top_users, other_users) = self.top_people(&rows, top_n);
        Ok(Overview {
            span: w.span(),
            previous: before.span(),
            cards,
            users_per_bucket: people_per_bucket(w, &rows),
            users_per_package: self.people_per_package(&package_cells, scope),
            top_users,
            other_users,
        })
    }

    /// Sessions that started in the window (the scope's people's, when it names some).
    async fn sessions(&self, w: &Window, scope: &Scope) -> UsageResult<i64> {
        let users: Option<Vec<Uuid>> = scope.users.as_ref().map(|u| u.iter().copied().collect());
        Ok(self
            .store
            .count_sessions(self.account, w.from, w.to, users.as_deref())
            .await?)
    }

    fn people_per_package(&self, cells: &Cells, scope: &Scope) -> Vec<NameCount> {
        let rows = self.people(cells, scope);
        name_counts(&rows, named, package_of, |p| p.to_string())
    }

    /// The `n` people with most events, and the rest together.
    fn top_people(&self, rows: &Rows<'_>, n: usize) -> (Vec<PersonActivity>, Rest) {
        // By person number: a dense array, not a map, for millions of rows.
        let mut per: Vec<(i64, i64)> = vec![(0, 0); self.numbers.len()];
        let mut active = PeopleSet::default();
        for c in rows.cells() {
            for (n, t) in c.people() {
                let e = &mut per[n as usize];
                e.0 += t.events;
                e.1 += t.failures;
                active.insert(n);
            }
        }
        let all: Vec<PersonActivity> = active
            .numbers()
            .map(|n| PersonActivity {
                user: self.person(self.numbers[n as usize]),
                events: per[n as usize].0,
                failures: per[n as usize].1,
            })
            .collect();
        let total_users = all.len() as i64;
        let total_events: i64 = all.iter().map(|a| a.events).sum();
        let shown = top(all, n, |a| (Reverse(a.events), a.user.login.clone()));
        let shown_events: i64 = shown.iter().map(|a| a.events).sum();
        let rest = Rest {
            users: total_users - shown.len() as i64,
            events: total_events - shown_events,
        };
        (shown, rest)
    }
}

fn totals(rows: &Rows<'_>, sessions: i64) -> Totals {
    let mut totals = Totals {
        active: PeopleSet::default(),
        events: 0,
        errors: 0,
        sessions,
    };
    for c in rows.cells() {
        totals.events += c.measures.events;
        totals.errors += c.measures.errors;
        c.people().for_each(|(n, _)| totals.active.insert(n));
    }
    totals
}

/// Distinct people per bucket, every bucket of the window included.
fn people_per_bucket(w: &Window, rows: &Rows<'_>) -> Vec<BucketCount> {
    let mut per: BTreeMap<DateTime<Utc>, PeopleSet> =
        w.buckets().map(|b| (b, PeopleSet::default())).collect();
    for c in rows.cells() {
        let set = per.entry(c.cell.bucket).or_default();
        c.people().for_each(|(n, _)| set.insert(n));
    }
    per.into_iter()
        .map(|(bucket, users)| BucketCount {
            bucket,
            count: users.len(),
        })
        .collect()
}

/// Events and distinct people per name of the cells `keep` keeps, most
/// people first. Cells are grouped by `key` (cheap: borrowed from the cells),
/// and each group named once by `name`.
pub(crate) fn name_counts<'c, K: std::hash::Hash + Eq + Clone>(
    rows: &Rows<'c>,
    keep: impl Fn(&RollupRow) -> bool,
    key: impl Fn(&'c RollupRow) -> K,
    name: impl Fn(&K) -> String,
) -> Vec<NameCount> {
    let mut tally = NameTally::default();
    let mut people = Vec::new();
    for c in rows.cells().filter(|c| keep(c.cell)) {
        people.clear();
        people.extend(c.people().map(|(n, _)| n));
        tally.add(c.cell, &key, c.measures.events, &people);
    }
    tally.counts(name)
}

/// Events and distinct people per group of cells, for [`name_counts`] and
/// for views that tally several groupings in one pass over the cells.
pub(crate) struct NameTally<'c, K> {
    groups: Groups<'c, K>,
    totals: Vec<(i64, PeopleSet)>,
}

impl<K> Default for NameTally<'_, K> {
    fn default() -> Self {
        NameTally {
            groups: Groups::default(),
            totals: Vec::new(),
        }
    }
}

impl<'c, K: std::hash::Hash + Eq + Clone> NameTally<'c, K> {
    /// Adds a cell's events and people (by number) to its group.
    pub fn add(
        &mut self,
        cell: &'c RollupRow,
        key: impl Fn(&'c RollupRow) -> K,
        events: i64,
        people: &[u32],
    ) {
        let e = self.groups.entry(cell, key, &mut self.totals);
        e.0 += events;
        people.iter().for_each(|n| e.1.insert(*n));
    }

    /// Each group, named once, most people first.
    pub fn counts(self, name: impl Fn(&K) -> String) -> Vec<NameCount> {
        let all: Vec<NameCount> = self
            .groups
            .into_keys()
            .zip(self.totals)
            .map(|(key, (events, users))| NameCount {
                name: name(&key),
                events,
                users: users.len(),
            })
            .collect();
        by_reach(all)
    }
}

/// Most people first, then most events, then by name.
pub(crate) fn by_reach(counts: Vec<NameCount>) -> Vec<NameCount> {
    top(counts, usize::MAX, |c| {
        (Reverse(c.users), Reverse(c.events), c.name.clone())
    })
}

/// Cells of a package.
pub(crate) fn named(c: &RollupRow) -> bool {
    !c.package.is_empty()
}

/// A cell's package.
pub(crate) fn package_of(c: &RollupRow) -> &str {
    c.package.as_ref()
}
