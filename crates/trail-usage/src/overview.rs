//! Overview: active and new people, sessions, events and errors against the
//! window before; people per bucket and per package; the most active people.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use crate::source::Row;
use chrono::{DateTime, Utc};
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
        let cells = self.cells(w, Dims::NONE, false, scope).await?;
        let rows = self.people(&cells, scope)?;
        let before = w.previous();
        let earlier_cells = self.cells(&before, Dims::NONE, false, scope).await?;
        let earlier = self.people(&earlier_cells, scope)?;
        let (now, then) = (
            self.totals(w, &rows, scope).await?,
            self.totals(&before, &earlier, scope).await?,
        );
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
            users_per_package: self.people_per_package(w, scope).await?,
            top_users,
            other_users,
        })
    }

    async fn totals(&self, w: &Window, rows: &[Row<'_>], scope: &Scope) -> UsageResult<Totals> {
        let users: Option<Vec<Uuid>> = scope.users.as_ref().map(|u| u.iter().copied().collect());
        let sessions = self
            .store
            .count_sessions(self.account, w.from, w.to, users.as_deref())
            .await?;
        Ok(Totals {
            active: people(rows),
            events: rows.iter().map(|r| r.measures.events).sum(),
            errors: rows.iter().map(|r| r.measures.errors).sum(),
            sessions,
        })
    }

    async fn people_per_package(&self, w: &Window, scope: &Scope) -> UsageResult<Vec<NameCount>> {
        let cells = self.cells(w, Dims::PACKAGE, false, scope).await?;
        let rows = self.people(&cells, scope)?;
        let named = rows.iter().filter(|r| !r.package.is_empty());
        Ok(name_counts(named, package_of, |p| p.to_string()))
    }

    /// The `n` people with most events, and the rest together.
    fn top_people(&self, rows: &[Row<'_>], n: usize) -> (Vec<PersonActivity>, Rest) {
        let mut per: HashMap<Uuid, (i64, i64)> = HashMap::new();
        for r in rows.iter().filter(|r| !r.user.is_nil()) {
            let e = per.entry(r.user).or_default();
            e.0 += r.measures.events;
            e.1 += r.measures.failures;
        }
        let all: Vec<PersonActivity> = per
            .into_iter()
            .map(|(id, (events, failures))| PersonActivity {
                user: self.person(id),
                events,
                failures,
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

/// Distinct people per bucket, every bucket of the window included.
fn people_per_bucket(w: &Window, rows: &[Row<'_>]) -> Vec<BucketCount> {
    let mut per: BTreeMap<DateTime<Utc>, PeopleSet> =
        w.buckets().map(|b| (b, PeopleSet::default())).collect();
    for r in rows.iter().filter(|r| r.person != 0) {
        per.entry(r.bucket).or_default().insert(r.person);
    }
    per.into_iter()
        .map(|(bucket, users)| BucketCount {
            bucket,
            count: users.len(),
        })
        .collect()
}

/// Events and distinct people per name, most people first.
/// Rows are grouped by `key` (cheap: borrowed from the cells), and each
/// group named once by `name`.
pub(crate) fn name_counts<'r, 'c: 'r, K: std::hash::Hash + Eq>(
    rows: impl Iterator<Item = &'r Row<'c>>,
    key: impl Fn(&Row<'c>) -> K,
    name: impl Fn(&K) -> String,
) -> Vec<NameCount> {
    let mut index: HashMap<K, usize> = HashMap::new();
    let mut totals: Vec<(i64, PeopleSet)> = Vec::new();
    // A cell's people come one after another: its key is looked up once.
    let mut current: Option<(*const RollupRow, usize)> = None;
    for r in rows {
        let cell: *const RollupRow = r.cell();
        let at = match current {
            Some((c, at)) if std::ptr::eq(c, cell) => at,
            _ => {
                let next = totals.len();
                let at = *index.entry(key(r)).or_insert(next);
                if at == next {
                    totals.push((0, PeopleSet::default()));
                }
                current = Some((cell, at));
                at
            }
        };
        let e = &mut totals[at];
        e.0 += r.measures.events;
        if r.person != 0 {
            e.1.insert(r.person);
        }
    }
    let per = index
        .into_iter()
        .map(|(k, at)| (k, std::mem::take(&mut totals[at])));
    let all: Vec<NameCount> = per
        .map(|(key, (events, users))| NameCount {
            name: name(&key),
            events,
            users: users.len(),
        })
        .collect();
    top(all, usize::MAX, |c| {
        (Reverse(c.users), Reverse(c.events), c.name.clone())
    })
}

/// The people of the rows.
pub(crate) fn people(rows: &[Row<'_>]) -> PeopleSet {
    let mut set = PeopleSet::default();
    rows.iter()
        .filter(|r| r.person != 0)
        .for_each(|r| set.insert(r.person));
    set
}

/// A row's package, borrowed from its cell.
pub(crate) fn package_of<'c>(r: &Row<'c>) -> &'c str {
    r.cell().package.as_str()
}
