//! The usage analytics engine: the Usage Analysis views (seeds 000 and 003)
//! computed from the rollups the store keeps at write time
//! (`trail_core::rollup`). Only drill-downs to single runs, errors and changes
//! read events, through the store's indexes. docs/usage-analysis.md describes
//! every view.
//!
//! Views are computed here, in Rust, from the rows the store hands back, so
//! both stores give the same answers by construction.

mod cache;
mod errors;
mod events;
mod functions;
mod history;
mod overview;
mod patterns;
mod performance;
mod scope;
mod source;
mod unused;
mod window;

use std::collections::HashMap;
use std::sync::Mutex;

use trail_core::query::Filter;
use trail_core::rollup::{Delta, Sketch};
use trail_core::usage::{Durations, Person};
use trail_store::search::{Cursor, SearchPage, SearchRequest};
use trail_store::{EventTypeRecord, Store, StoreError};
use uuid::Uuid;

pub use cache::RollupCache;
pub use scope::Scope;
pub use window::{parse_grain, Window, MAX_BUCKETS};

#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// The question cannot be answered as asked; the text says why.
    #[error("{0}")]
    BadRequest(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type UsageResult<T> = Result<T, UsageError>;

/// The engine for one account and caller.
pub struct Usage<'a> {
    store: &'a dyn Store,
    account: Uuid,
    /// ANDed into every search of events: what the caller may not see.
    guard: Filter,
    types: HashMap<i64, EventTypeRecord>,
    people: HashMap<Uuid, Person>,
    logins: HashMap<String, Uuid>,
    /// The people of the rollups' tallies: number to id and back, and first events.
    numbers: Vec<Uuid>,
    by_person: HashMap<Uuid, u32>,
    first_seen: HashMap<Uuid, chrono::DateTime<chrono::Utc>>,
    /// Minute buckets of a window, computed from its events once per request.
    minutes: Mutex<HashMap<Window, std::sync::Arc<Delta>>>,
    /// The packages and functions, once read.
    labels: Mutex<Option<std::sync::Arc<functions::Labels>>>,
    /// The server's kept rollup rows, if it keeps any.
    cache: Option<&'a RollupCache>,
}

impl<'a> Usage<'a> {
    pub async fn new(store: &'a dyn Store, account: Uuid, guard: Filter) -> UsageResult<Usage<'a>> {
        // Independent reads, asked for together.
        let (types, users, seen) = futures::try_join!(
            store.event_types(account),
            store.list_users(account),
            store.seen(account, trail_store::rollups::SeenTable::People),
        )?;
        let types = types.into_iter().map(|t| (t.id, t)).collect();
        let logins = users.iter().map(|u| (u.login.clone(), u.id)).collect();
        let people = users
            .into_iter()
            .map(|u| {
                let person = Person {
                    id: u.id,
                    login: u.login,
                    name: u.name,
                };
                (u.id, person)
            })
            .collect();
        Ok(Usage {
            store,
            account,
            guard,
            types,
            people,
            logins,
            numbers: numbered(&seen),
            by_person: seen.iter().map(|p| (p.user, p.number)).collect(),
            first_seen: seen.iter().map(|p| (p.user, p.first)).collect(),
            minutes: Mutex::new(HashMap::new()),
            labels: Mutex::new(None),
            cache: None,
        })
    }

    /// Reads rollup rows through `cache` (see [`RollupCache`]).
    pub fn with_cache(self, cache: &'a RollupCache) -> Usage<'a> {
        Usage {
            cache: Some(cache),
            ..self
        }
    }

    /// The account's event types, by id.
    pub fn types(&self) -> &HashMap<i64, EventTypeRecord> {
        &self.types
    }

    fn type_name(&self, id: i64) -> String {
        self.types
            .get(&id)
            .map_or_else(|| format!("type #{id}"), |t| t.name.clone())
    }

    fn type_action(&self, id: i64) -> String {
        self.types
            .get(&id)
            .map_or_else(String::new, |t| t.action.clone())
    }

    fn person(&self, id: Uuid) -> Person {
        self.people.get(&id).cloned().unwrap_or_else(|| Person {
            id,
            login: id.to_string(),
            name: None,
        })
    }

    /// The people among `ids`, by login.
    fn people_of(&self, ids: impl IntoIterator<Item = Uuid>) -> Vec<Person> {
        let mut people: Vec<Person> = ids
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|id| self.person(id))
            .collect();
        people.sort_by(|a, b| a.login.cmp(&b.login));
        people
    }

    /// A page of events matching `filter` and what the caller may see, newest first.
    async fn search(
        &self,
        filter: Filter,
        after: Option<Cursor>,
        limit: u32,
    ) -> UsageResult<SearchPage> {
        self.search_with(filter, after, limit, true).await
    }

    /// A search whose events come without their parameters.
    async fn search_bare(&self, filter: Filter, limit: u32) -> UsageResult<SearchPage> {
        self.search_with(filter, None, limit, false).await
    }

    /// A search of what the caller may see.
    async fn search_with(
        &self,
        filter: Filter,
        after: Option<Cursor>,
        limit: u32,
        params: bool,
    ) -> UsageResult<SearchPage> {
        let filter = Filter {
            terms: filter
                .terms
                .into_iter()
                .chain(self.guard.terms.iter().cloned())
                .collect(),
        };
        let request = SearchRequest {
            filter,
            after,
            limit,
            params,
        };
        Ok(self.store.search(self.account, &request).await?)
    }
}

/// `f` of each item, in order, the items shared out in turn between two
/// threads: this machine's two cores, for the views whose time is one pass
/// over many people per group.
pub(crate) fn on_two_threads<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let (mut mine, mut theirs) = (Vec::new(), Vec::new());
    for (i, item) in items.into_iter().enumerate() {
        if i % 2 == 0 {
            mine.push((i, item));
        } else {
            theirs.push((i, item));
        }
    }
    let f = &f;
    let mut out = std::thread::scope(|s| {
        let other = s.spawn(move || {
            theirs
                .into_iter()
                .map(|(i, t)| (i, f(t)))
                .collect::<Vec<_>>()
        });
        let mut out: Vec<(usize, R)> = mine.into_iter().map(|(i, t)| (i, f(t))).collect();
        out.extend(other.join().expect("a view's second thread"));
        out
    });
    out.sort_unstable_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// Person ids indexed by their number (nil where no one has it).
fn numbered(seen: &[trail_store::rollups::SeenRow]) -> Vec<Uuid> {
    let len = seen
        .iter()
        .map(|p| p.number as usize + 1)
        .max()
        .unwrap_or(0);
    let mut out = vec![Uuid::nil(); len];
    for p in seen {
        out[p.number as usize] = p.user;
    }
    out
}

/// A set of people by number: one bit each.
#[derive(Debug, Clone, Default)]
pub(crate) struct PeopleSet(Vec<u64>);

impl PeopleSet {
    pub fn insert(&mut self, person: u32) {
        let (word, bit) = ((person / 64) as usize, person % 64);
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << bit;
    }

    pub fn contains(&self, person: u32) -> bool {
        let (word, bit) = ((person / 64) as usize, person % 64);
        self.0.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    pub fn len(&self) -> i64 {
        self.0.iter().map(|w| i64::from(w.count_ones())).sum()
    }

    pub fn numbers(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().enumerate().flat_map(|(i, w)| {
            (0..64)
                .filter(move |b| w & (1 << b) != 0)
                .map(move |b| (i * 64) as u32 + b)
        })
    }
}

/// Quantiles of a sketch, and its exact maximum.
fn durations(sketch: &Sketch) -> Durations {
    let count = sketch.count() as i64;
    let max = sketch.max();
    // A sketch's value may be up to 2% above the real one: never above the exact maximum.
    let [p50, p90, p99] = sketch
        .quantiles([0.5, 0.9, 0.99])
        .map(|q| q.map(|v| max.map_or(v, |m| v.min(m as f64))));
    Durations {
        count,
        p50,
        p90,
        p99,
        max,
    }
}

/// Sorts by `key` (use `Reverse` for most first) and keeps `limit`.
fn top<T, K: Ord>(mut items: Vec<T>, limit: usize, key: impl Fn(&T) -> K) -> Vec<T> {
    items.sort_by_key(key);
    items.truncate(limit);
    items
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_threads_give_each_item_its_answer_in_order() {
        let squares = super::on_two_threads((0..101).collect(), |i: u64| i * i);
        assert_eq!(squares, (0..101).map(|i| i * i).collect::<Vec<_>>());
        assert!(super::on_two_threads(Vec::<u8>::new(), |i| i).is_empty());
    }
}
