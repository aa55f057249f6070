//! Errors: every error grouped by signature, with whom and where it hit, its
//! trend, whether it came back after a quiet period, and, for one group, the
//! actions that came before it in the same session.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use chrono::{DateTime, Duration, Utc};
use futures::try_join;
use trail_core::api::EventView;
use trail_core::query::{Condition, Filter};
use trail_core::rollup::{Dims, Grain};
use trail_core::usage::{ErrorDetail, ErrorGroup, Errors, Preceding};
use trail_store::rollups::{Column, RollupQuery, RollupRow, RollupTable, SeenTable, Values};

use crate::events::points;
use crate::functions::{function_of, label, FnOf};
use crate::overview::{named, package_of, NameTally};
use crate::source::{Cells, Rows};
use crate::window::between;
use crate::{on_two_threads, top, PeopleSet, Scope, Usage, UsageError, UsageResult, Window};

/// How many of a group's newest occurrences the preceding actions are read for.
const STUDIED: u32 = 50;
/// Occurrences listed with one group.
const LISTED: usize = 20;
/// Events of a session read before each occurrence.
const BEFORE: u32 = 100;

impl Usage<'_> {
    pub async fn errors(
        &self,
        w: &Window,
        scope: &Scope,
        quiet_days: u32,
        limit: usize,
    ) -> UsageResult<Errors> {
        let groups = self.error_groups(w, scope, quiet_days, None).await?;
        Ok(Errors {
            span: w.span(),
            quiet_days,
            groups: groups.into_iter().take(limit).collect(),
        })
    }

    pub async fn error_detail(
        &self,
        w: &Window,
        scope: &Scope,
        signature: &str,
        window_seconds: u32,
        quiet_days: u32,
    ) -> UsageResult<ErrorDetail> {
        let signature = self.signature(signature).await?;
        let signature = signature.as_str();
        let filter = scope
            .search_filter()
            .and(Condition::Signature(vec![signature.to_string()]))
            .and(w.condition());
        // The occurrences and what came before them are read while the
        // group is tallied: neither needs the other.
        let studied = async {
            let (newest, baseline) = try_join!(
                self.search(filter, None, STUDIED),
                self.count_totals(w, Dims::TYPE, false, scope),
            )?;
            let span = Duration::seconds(window_seconds.into());
            let preceding = self.preceding(&newest.events, span, &baseline).await?;
            Ok::<_, UsageError>((newest.events, preceding))
        };
        let (groups, (newest, preceding)) = try_join!(
            self.error_groups(w, scope, quiet_days, Some(signature)),
            studied
        )?;
        let group = groups.into_iter().next().ok_or_else(|| {
            UsageError::NotFound(format!("errors of signature {signature} in the window"))
        })?;
        Ok(ErrorDetail {
            group,
            window_seconds,
            studied: newest.len() as i64,
            preceding,
            occurrences: newest.iter().take(LISTED).map(EventView::from).collect(),
        })
    }

    /// The signature that starts with `prefix` (as lists show them, shortened);
    /// refused when several do.
    async fn signature(&self, prefix: &str) -> UsageResult<String> {
        let prefix = prefix.to_ascii_lowercase();
        let known = self.store.seen(self.account, SeenTable::Signatures).await?;
        let mut matches = known
            .into_iter()
            .filter(|s| s.signature.starts_with(&prefix));
        match (matches.next(), matches.next()) {
            (Some(one), None) => Ok(one.signature),
            (Some(_), Some(_)) => Err(UsageError::BadRequest(format!(
                "several error signatures start with {prefix:?}; give more of it"
            ))),
            (None, _) => Err(UsageError::NotFound(format!("error signature {prefix}"))),
        }
    }

    /// The groups of the window, most occurrences first; only `signature`'s when given.
    async fn error_groups(
        &self,
        w: &Window,
        scope: &Scope,
        quiet_days: u32,
        signature: Option<&str>,
    ) -> UsageResult<Vec<ErrorGroup>> {
        let mut q = self.query(w, RollupTable::Errors, scope)?;
        if let Some(s) = signature {
            q.only
                .push((Column::Signature, Values::Texts(vec![s.to_string()])));
        }
        let (cells, seen, labels) = try_join!(
            self.rows(w, &q),
            async { Ok(self.store.seen(self.account, SeenTable::Signatures).await?) },
            self.labels(),
        )?;
        let cells = by_signature(&cells);
        let mut per: HashMap<&str, Rows> = HashMap::new();
        for group in &cells {
            let rows = self.people(group.iter().copied(), scope);
            if rows.cells().any(|c| c.measures.events > 0) {
                per.insert(&*group[0].signature, rows);
            }
        }
        let signatures: Vec<String> = per.keys().map(|s| s.to_string()).collect();
        let seen: HashMap<String, (String, DateTime<Utc>, DateTime<Utc>)> = seen
            .into_iter()
            .filter(|r| per.contains_key(&*r.signature))
            .map(|r| (r.signature, (r.label, r.first, r.last)))
            .collect();
        let unscoped = (scope.dims() == Dims::NONE).then_some(cells.as_slice());
        let days = self
            .error_days(&signatures, &seen, w, quiet_days, unscoped)
            .await?;
        // The biggest groups first, shared out between the two threads.
        let mut per: Vec<(&str, Rows)> = per.into_iter().collect();
        per.sort_by_key(|(signature, rows)| (Reverse(rows.len()), *signature));
        let groups = on_two_threads(per, |(signature, rows)| {
            let (message, first_seen, last_seen) = seen
                .get(signature)
                .cloned()
                .unwrap_or_else(|| (String::new(), w.from, w.to));
            let mut where_ = Where::default();
            where_.add(&rows);
            ErrorGroup {
                signature: signature.to_string(),
                message,
                first_seen,
                last_seen,
                occurrences: where_.occurrences,
                users: where_.people.len(),
                sessions: where_.sessions(),
                trend: points(w, &where_.trend),
                regressed: regressed(days.get(signature), w, quiet_days),
                packages: where_.packages.counts(|p| p.to_string()),
                functions: where_.functions.counts(|f| label(&labels, f)),
                types: where_.types.counts(|t| self.type_name(*t)),
            }
        });
        Ok(top(groups, usize::MAX, |g: &ErrorGroup| {
            (Reverse(g.occurrences), g.signature.clone())
        }))
    }

    /// The days each signature occurred on that tell whether it regressed:
    /// those of the window (from its own cells, when the scope narrows
    /// nothing), those of the quiet period before it, and, for a signature
    /// seen before that, its first day, which stands for all earlier ones.
    async fn error_days(
        &self,
        signatures: &[String],
        seen: &HashMap<String, (String, DateTime<Utc>, DateTime<Utc>)>,
        w: &Window,
        quiet_days: u32,
        window_cells: Option<&[Vec<&RollupRow>]>,
    ) -> UsageResult<HashMap<String, BTreeSet<DateTime<Utc>>>> {
        let day = |t: DateTime<Utc>| Grain::Day.floor(t);
        let start = day(w.from);
        let quiet_from = start - Duration::days(quiet_days.into());
        let q = RollupQuery {
            table: RollupTable::Errors,
            grain: Grain::Day,
            from: quiet_from,
            to: if window_cells.is_some() { start } else { w.to },
            only: vec![(Column::Signature, Values::Texts(signatures.to_vec()))],
            not_blank: Vec::new(),
            people: false,
            totals: false,
        };
        // Keyed by the rows' own texts: a window's error cells are thousands.
        let mut days: HashMap<&str, BTreeSet<DateTime<Utc>>> = HashMap::new();
        let read = self.store.rollup_rows(self.account, &q).await?;
        let cells = read
            .iter()
            .chain(window_cells.into_iter().flatten().flatten().copied());
        for r in cells {
            days.entry(&r.signature).or_default().insert(day(r.bucket));
        }
        for (signature, (_, first, _)) in seen {
            if *first < quiet_from {
                days.entry(signature).or_default().insert(day(*first));
            }
        }
        Ok(days
            .into_iter()
            .map(|(s, days)| (s.to_string(), days))
            .collect())
    }

    /// Event types that came before the occurrences in their sessions, within `span`.
    async fn preceding(
        &self,
        occurrences: &[trail_core::Event],
        span: Duration,
        baseline: &Cells,
    ) -> UsageResult<Vec<Preceding>> {
        let mut before: HashMap<String, (i64, i64)> = HashMap::new();
        let mut near_total = 0i64;
        // One search per occurrence, asked for together: each is a short
        // index read, and one after another they were most of the question.
        let searches = occurrences.iter().filter_map(|e| {
            let (session, at) = (e.body.session_id?, e.body.occurred_at);
            let filter = Filter::all([Condition::Session(vec![session]), between(at - span, at)]);
            Some(self.search_bare(filter, BEFORE))
        });
        for page in futures::future::try_join_all(searches).await? {
            let events = page.events;
            let mut types_here = BTreeSet::new();
            for p in &events {
                let name = p.body.event_type.as_str().to_string();
                before.entry(name.clone()).or_default().1 += 1;
                near_total += 1;
                types_here.insert(name);
            }
            for t in types_here {
                before.entry(t).or_default().0 += 1;
            }
        }
        let all_total: i64 = baseline.iter().map(|r| r.measures.events).sum();
        let mut overall: HashMap<String, i64> = HashMap::new();
        for r in baseline {
            *overall.entry(self.type_name(r.type_id)).or_default() += r.measures.events;
        }
        let studied = occurrences.len().max(1) as f64;
        let out = before
            .into_iter()
            .map(|(event_type, (occurrences, near))| {
                let share_near = near as f64 / near_total.max(1) as f64;
                let share_all =
                    overall.get(&event_type).copied().unwrap_or(0) as f64 / all_total.max(1) as f64;
                Preceding {
                    lift: (share_all > 0.0).then(|| share_near / share_all),
                    share: occurrences as f64 / studied,
                    occurrences,
                    event_type,
                }
            })
            .collect();
        Ok(top(out, 15, |p: &Preceding| {
            (Reverse(p.occurrences), p.event_type.clone())
        }))
    }
}

/// Who an error group hit, where and when: tallied in one pass over its
/// cells, each cell's people decoded once.
#[derive(Default)]
struct Where<'c> {
    occurrences: i64,
    people: PeopleSet,
    sessions: HashSet<u128, BuildHasherDefault<RandomBits>>,
    trend: BTreeMap<DateTime<Utc>, i64>,
    packages: NameTally<'c, &'c str>,
    functions: NameTally<'c, FnOf<'c>>,
    types: NameTally<'c, i64>,
}

impl<'c> Where<'c> {
    fn add(&mut self, rows: &Rows<'c>) {
        let mut people = Vec::new();
        for c in rows.cells() {
            let (cell, events) = (c.cell, c.measures.events);
            people.clear();
            people.extend(c.people().map(|(n, _)| n));
            people.iter().for_each(|n| self.people.insert(*n));
            self.sessions.extend(c.sessions().map(|s| s.as_u128()));
            self.occurrences += events;
            *self.trend.entry(cell.bucket).or_default() += events;
            if named(cell) {
                self.packages.add(cell, package_of, events, &people);
            }
            if !cell.function.is_empty() {
                self.functions.add(cell, function_of, events, &people);
            }
            self.types.add(cell, |c| c.type_id, events, &people);
        }
    }

    /// Distinct sessions.
    fn sessions(&self) -> i64 {
        self.sessions.len() as i64
    }
}

/// Hashes a session id by its last 64 bits, the random bits of the UUIDv7
/// ids Trail gives sessions, spread to the top bits by one multiplication.
/// Sorting (or SipHash over) a hundred thousand ids per group was the
/// errors view's biggest cost after decoding them.
#[derive(Default)]
struct RandomBits(u64);

impl Hasher for RandomBits {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u128(&mut self, id: u128) {
        self.0 = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The rows of each signature together, in one vector each, sized by a first
/// count so each row moves once (sorting would move them many times).
fn by_signature(cells: &Cells) -> Vec<Vec<&RollupRow>> {
    let mut at: HashMap<&str, (usize, usize)> = HashMap::new();
    for cell in cells {
        let next = at.len();
        at.entry(&cell.signature).or_insert((next, 0)).1 += 1;
    }
    let mut sizes = vec![0; at.len()];
    at.values().for_each(|(i, n)| sizes[*i] = *n);
    let index: HashMap<String, usize> = at
        .into_iter()
        .map(|(s, (i, _))| (s.to_string(), i))
        .collect();
    let mut groups: Vec<Vec<&RollupRow>> = sizes.into_iter().map(Vec::with_capacity).collect();
    for cell in cells {
        groups[index[&*cell.signature]].push(cell);
    }
    groups
}

/// Came back: a day of the window with the error, whose previous day with it
/// was at least `quiet_days` earlier.
fn regressed(days: Option<&BTreeSet<DateTime<Utc>>>, w: &Window, quiet_days: u32) -> bool {
    let Some(days) = days else { return false };
    let start = Grain::Day.floor(w.from);
    let mut previous: Option<DateTime<Utc>> = None;
    for day in days {
        if let Some(p) = previous {
            if *day >= start && (*day - p) >= Duration::days(quiet_days.into()) {
                return true;
            }
        }
        previous = Some(*day);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_regresses_when_it_comes_back_after_a_quiet_period() {
        let day = |d: u32| {
            format!("2026-11-{d:02}T00:00:00Z")
                .parse::<DateTime<Utc>>()
                .unwrap()
        };
        let w = Window::new(day(20), day(23), Some(Grain::Day)).unwrap();
        let days: BTreeSet<_> = [day(1), day(2), day(21)].into_iter().collect();
        assert!(regressed(Some(&days), &w, 7));
        assert!(!regressed(Some(&days), &w, 30));
        let steady: BTreeSet<_> = (1..23).map(day).collect();
        assert!(!regressed(Some(&steady), &w, 7));
        assert!(!regressed(None, &w, 7));
    }
}
