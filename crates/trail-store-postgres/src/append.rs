//! The write path: a whole batch of append requests in one transaction.
//!
//! In order: lock the batch's accounts (their row lock serialises appends to an
//! account across servers, which keeps `seq` gap-free and makes the duplicate check
//! race-free), find the ids already stored, decide each request's fate in memory,
//! reserve the sequence numbers, resolve type, parameter, user and session ids, then
//! COPY the rows. Statements work on whole arrays so that the number of round trips
//! does not grow with the batch.
//!
//! The first attempt skips the lookup of stored ids (see `append`): it decides in
//! memory, then locks and reserves in one round trip, and relies on the primary keys
//! to reject an id that was stored after all.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::Transaction;
use futures::future::try_join_all;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use trail_core::encoding::event_hash;
use trail_core::input::truncate_micros;
use trail_core::rollup::{Delta, Fact};
use trail_core::{Actor, ActorKind, Catalogue, EventType, NewEvent, TypeInfo};
use trail_store::{AppendOutcome, AppendRequest, Appended, StoreError, StoreResult};
use uuid::Uuid;

use crate::error::db;
use crate::rollups;
use crate::rows::{copy_events, copy_values, get, EventRow, ValueRow};

/// A user's event without a session joins the user's latest open session if that
/// started at most this long before the event...
const SESSION_WINDOW: Duration = Duration::hours(12);
/// ...or at most this long after it (client and server clocks differ a little).
const SESSION_SKEW: Duration = Duration::minutes(5);

/// Ids the store has resolved. Types, parameters and users are never deleted, so
/// ids learnt in a committed transaction stay valid; the store keeps them here.
#[derive(Default)]
pub(crate) struct Ids {
    types: HashMap<(Uuid, String), i64>,
    params: HashMap<(Uuid, i64, String), Param>,
    users: HashMap<(Uuid, String), Uuid>,
}

#[derive(Clone)]
struct Param {
    id: i64,
    /// The declared data type (of the first value seen).
    data_type: String,
}

impl Ids {
    fn extend(&mut self, other: Ids) {
        self.types.extend(other.types);
        self.params.extend(other.params);
        self.users.extend(other.users);
    }
}

/// The constraints a COPY violates when one of its event ids is already stored (the
/// parameter values are written first).
const STORED_ID: [&str; 2] = ["events_pkey", "event_parameter_values_pkey"];

/// Appends the batch; see the module documentation.
///
/// Retries and ids sent twice are rare, so the first attempt does not look for
/// stored ids: it plans the batch as if none were stored and lets the events primary
/// key catch a stored one. Then that transaction rolls back whole (no sequence number,
/// session or id is kept) and the batch is redone with the lookup.
pub(crate) async fn append(
    client: &mut deadpool_postgres::Client,
    cache: &Mutex<Ids>,
    batch: &[AppendRequest],
) -> StoreResult<Vec<AppendOutcome>> {
    let tx = client.transaction().await.map_err(db)?;
    match append_new(tx, cache, batch).await {
        Err(StoreError::AlreadyExists(constraint)) if STORED_ID.contains(&constraint.as_str()) => {}
        result => return result,
    }
    let tx = client.transaction().await.map_err(db)?;
    append_checked(tx, cache, batch).await
}

/// Appends the batch assuming none of its ids is stored yet.
async fn append_new(
    tx: Transaction<'_>,
    cache: &Mutex<Ids>,
    batch: &[AppendRequest],
) -> StoreResult<Vec<AppendOutcome>> {
    let accounts: HashMap<Uuid, i64> = batch.iter().map(|r| (r.account, 0)).collect();
    // Numbered from 0 per account until the real numbers are reserved.
    let mut plan = plan(batch, HashMap::new(), accounts)?;
    let first = reserve(&tx, &plan.next_seq).await?;
    plan.shift(batch, &first);
    write(tx, cache, plan).await
}

/// Appends the batch after looking up which of its ids are stored.
async fn append_checked(
    tx: Transaction<'_>,
    cache: &Mutex<Ids>,
    batch: &[AppendRequest],
) -> StoreResult<Vec<AppendOutcome>> {
    let next_seq = lock_accounts(&tx, batch).await?;
    let stored = stored_events(&tx, batch).await?;
    let plan = plan(batch, stored, next_seq.clone())?;
    if !plan.pending.is_empty() {
        save_next_seq(&tx, &plan.next_seq, &next_seq).await?;
    }
    write(tx, cache, plan).await
}

/// Writes the plan's pending events and commits.
async fn write(
    tx: Transaction<'_>,
    cache: &Mutex<Ids>,
    plan: Plan<'_>,
) -> StoreResult<Vec<AppendOutcome>> {
    let mut learnt = Ids::default();
    if !plan.pending.is_empty() {
        let mut resolver = Resolver {
            tx: &tx,
            cache,
            learnt: Ids::default(),
        };
        let rows = resolver.rows(&plan.pending).await?;
        learnt = resolver.learnt;
        let delta = delta(&rows.events);
        write_rows(&tx, rows).await?;
        rollups::write(&tx, &delta).await?;
    }
    tx.commit().await.map_err(db)?;
    // Only now: ids from a transaction that rolled back would not exist.
    lock(cache).extend(learnt);
    Ok(plan.outcomes)
}

pub(crate) fn lock(cache: &Mutex<Ids>) -> std::sync::MutexGuard<'_, Ids> {
    // The cache holds plain maps that are never left half-updated; a panic elsewhere
    // while it was held does not make it wrong.
    cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) async fn query(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> StoreResult<Vec<Row>> {
    let statement = tx.prepare_cached(sql).await.map_err(db)?;
    tx.query(&statement, params).await.map_err(db)
}

const LOCK_ACCOUNTS: &str =
    "SELECT id, next_seq FROM accounts WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE";

/// Locks the batch's accounts, in id order so that concurrent batches cannot
/// deadlock, and returns their next sequence numbers. `FOR NO KEY UPDATE` still lets
/// other transactions insert rows that refer to the account.
async fn lock_accounts(
    tx: &Transaction<'_>,
    batch: &[AppendRequest],
) -> StoreResult<HashMap<Uuid, i64>> {
    let mut accounts: Vec<Uuid> = batch.iter().map(|r| r.account).collect();
    accounts.sort();
    accounts.dedup();
    let rows = query(tx, LOCK_ACCOUNTS, &[&accounts]).await?;
    let next: HashMap<Uuid, i64> = rows
        .iter()
        .map(|r| Ok((get(r, "id")?, get(r, "next_seq")?)))
        .collect::<StoreResult<_>>()?;
    match accounts.iter().find(|a| !next.contains_key(a)) {
        Some(missing) => Err(StoreError::NotFound(format!("account {missing}"))),
        None => Ok(next),
    }
}

/// Locks the accounts and takes `counts[account]` sequence numbers from each; returns
/// the first number of each account. Both statements go in one round trip and run in
/// order: the `lock_accounts` select takes the locks in id order (so that concurrent
/// batches cannot deadlock), then the update, which finds them held, bumps `next_seq`.
async fn reserve(
    tx: &Transaction<'_>,
    counts: &HashMap<Uuid, i64>,
) -> StoreResult<HashMap<Uuid, i64>> {
    let mut pairs: Vec<(Uuid, i64)> = counts.iter().map(|(a, n)| (*a, *n)).collect();
    pairs.sort();
    let (accounts, counts): (Vec<Uuid>, Vec<i64>) = pairs.into_iter().unzip();
    let lock = tx.prepare_cached(LOCK_ACCOUNTS).await.map_err(db)?;
    let update = "UPDATE accounts AS a SET next_seq = a.next_seq + v.n \
        FROM unnest($1::uuid[], $2::int8[]) AS v(id, n) WHERE a.id = v.id \
        RETURNING a.id, a.next_seq - v.n AS first";
    let update = tx.prepare_cached(update).await.map_err(db)?;
    let (lock_params, update_params): (&[&(dyn ToSql + Sync)], &[&(dyn ToSql + Sync)]) =
        (&[&accounts], &[&accounts, &counts]);
    let (_, rows) = futures::try_join!(
        tx.query(&lock, lock_params),
        tx.query(&update, update_params)
    )
    .map_err(db)?;
    let first: HashMap<Uuid, i64> = rows
        .iter()
        .map(|r| Ok((get(r, "id")?, get(r, "first")?)))
        .collect::<StoreResult<_>>()?;
    match accounts.iter().find(|a| !first.contains_key(a)) {
        Some(missing) => Err(StoreError::NotFound(format!("account {missing}"))),
        None => Ok(first),
    }
}

/// An event id already stored in an account.
#[derive(Clone, Copy)]
struct Stored {
    seq: i64,
    digest: [u8; 32],
}

/// The batch's ids that are already stored, one query per account, pipelined.
async fn stored_events(
    tx: &Transaction<'_>,
    batch: &[AppendRequest],
) -> StoreResult<HashMap<(Uuid, Uuid), Stored>> {
    let mut ids: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for r in batch {
        ids.entry(r.account)
            .or_default()
            .extend(r.events.iter().map(|e| e.id));
    }
    let sql = "SELECT id, seq, content_digest FROM events WHERE account_id = $1 AND id = ANY($2)";
    let statement = tx.prepare_cached(sql).await.map_err(db)?;
    let lookups = ids.iter().map(|(account, ids)| {
        let statement = &statement;
        async move {
            let rows = tx.query(statement, &[account, ids]).await.map_err(db)?;
            rows.iter()
                .map(|r| stored_row(*account, r))
                .collect::<StoreResult<Vec<_>>>()
        }
    });
    Ok(try_join_all(lookups).await?.into_iter().flatten().collect())
}

fn stored_row(account: Uuid, row: &Row) -> StoreResult<((Uuid, Uuid), Stored)> {
    let digest: Vec<u8> = get(row, "content_digest")?;
    let digest = digest
        .try_into()
        .map_err(|_| StoreError::Corrupt("content_digest is not 32 bytes".into()))?;
    Ok((
        (account, get(row, "id")?),
        Stored {
            seq: get(row, "seq")?,
            digest,
        },
    ))
}

async fn save_next_seq(
    tx: &Transaction<'_>,
    next: &HashMap<Uuid, i64>,
    before: &HashMap<Uuid, i64>,
) -> StoreResult<()> {
    let (accounts, seqs): (Vec<Uuid>, Vec<i64>) = next
        .iter()
        .filter(|(a, n)| before.get(a) != Some(n))
        .unzip();
    let sql = "UPDATE accounts AS a SET next_seq = v.next_seq \
        FROM unnest($1::uuid[], $2::int8[]) AS v(id, next_seq) WHERE a.id = v.id";
    query(tx, sql, &[&accounts, &seqs]).await.map(drop)
}

/// An event of the batch that will be written.
struct Pending<'a> {
    account: Uuid,
    seq: i64,
    event: &'a NewEvent,
}

/// What the batch will do, decided before anything is written.
struct Plan<'a> {
    outcomes: Vec<AppendOutcome>,
    pending: Vec<Pending<'a>>,
    next_seq: HashMap<Uuid, i64>,
}

impl Plan<'_> {
    /// Moves the sequence numbers of a plan numbered from 0 (one without stored ids)
    /// to start at each account's `first`.
    fn shift(&mut self, batch: &[AppendRequest], first: &HashMap<Uuid, i64>) {
        for p in &mut self.pending {
            p.seq += first[&p.account];
        }
        for (request, outcome) in batch.iter().zip(&mut self.outcomes) {
            if let AppendOutcome::Stored(answers) = outcome {
                let base = first[&request.account];
                answers.iter_mut().for_each(|a| a.seq += base);
            }
        }
    }
}

/// Answers each request in order: ids stored before (in the database or earlier in
/// the batch) are duplicates or conflicts; a request with a conflict writes nothing
/// and takes no sequence numbers.
fn plan(
    batch: &[AppendRequest],
    mut stored: HashMap<(Uuid, Uuid), Stored>,
    mut next_seq: HashMap<Uuid, i64>,
) -> StoreResult<Plan<'_>> {
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut pending = Vec::new();
    for request in batch {
        let conflicts = conflicts(request, &stored);
        if !conflicts.is_empty() {
            outcomes.push(AppendOutcome::Conflict(conflicts));
            continue;
        }
        let next = next_seq
            .get_mut(&request.account)
            .ok_or_else(|| StoreError::NotFound(format!("account {}", request.account)))?;
        let mut answers = Vec::with_capacity(request.events.len());
        for event in &request.events {
            let key = (request.account, event.id);
            if let Some(earlier) = stored.get(&key) {
                answers.push(Appended {
                    id: event.id,
                    seq: earlier.seq,
                    duplicate: true,
                });
                continue;
            }
            let seq = *next;
            *next += 1;
            stored.insert(
                key,
                Stored {
                    seq,
                    digest: event.content_digest,
                },
            );
            pending.push(Pending {
                account: request.account,
                seq,
                event,
            });
            answers.push(Appended {
                id: event.id,
                seq,
                duplicate: false,
            });
        }
        outcomes.push(AppendOutcome::Stored(answers));
    }
    Ok(Plan {
        outcomes,
        pending,
        next_seq,
    })
}

/// The ids of a request that are stored, or repeated within it, with other content.
fn conflicts(request: &AppendRequest, stored: &HashMap<(Uuid, Uuid), Stored>) -> Vec<Uuid> {
    let mut first: HashMap<Uuid, &[u8; 32]> = HashMap::new();
    let mut out = Vec::new();
    for e in &request.events {
        let seen = stored
            .get(&(request.account, e.id))
            .map(|s| &s.digest)
            .or(first.get(&e.id).copied());
        match seen {
            Some(digest) if *digest != e.content_digest && !out.contains(&e.id) => out.push(e.id),
            Some(_) => {}
            None => {
                first.insert(e.id, &e.content_digest);
            }
        }
    }
    out
}

/// The rows to COPY.
struct Rows<'a> {
    events: Vec<EventRow<'a>>,
    values: Vec<ValueRow<'a>>,
}

/// Resolves the ids the pending events refer to, registering what is new.
struct Resolver<'t, 'c> {
    tx: &'t Transaction<'t>,
    cache: &'c Mutex<Ids>,
    /// Ids read or created in this transaction, for the cache after commit.
    learnt: Ids,
}

/// Per (account, user id): the sessions an event without one may join, as (id, started).
type OpenSessions = HashMap<(Uuid, Uuid), Vec<(Uuid, DateTime<Utc>)>>;

/// A session this batch creates.
struct NewSessionRow<'a> {
    account: Uuid,
    id: Uuid,
    user_id: Uuid,
    started: DateTime<Utc>,
    event: &'a NewEvent,
}

impl<'a> Resolver<'_, '_> {
    async fn rows(&mut self, pending: &[Pending<'a>]) -> StoreResult<Rows<'a>> {
        let types = self.type_ids(pending).await?;
        let params = self.param_ids(pending, &types).await?;
        let users = self.user_ids(pending).await?;
        let sessions = self.sessions(pending, &users).await?;
        let received_at = truncate_micros(Utc::now());
        let mut rows = Rows {
            events: Vec::with_capacity(pending.len()),
            values: Vec::new(),
        };
        for (p, session) in pending.iter().zip(sessions) {
            let type_id = types[&(p.account, p.event.event_type.as_str())];
            for (name, value) in &p.event.params {
                let param = &params[&(p.account, type_id, name.as_str())];
                let value_type = Some(value.data_type()).filter(|t| *t != param.data_type);
                rows.values.push(ValueRow {
                    account: p.account,
                    event_id: p.event.id,
                    parameter_id: param.id,
                    value,
                    value_type,
                });
            }
            let user_id = user_key(p).map(|key| users[&key]);
            rows.events.push(EventRow {
                account: p.account,
                seq: p.seq,
                type_id,
                user_id,
                received_at,
                session_id: session,
                event: p.event,
            });
        }
        Ok(rows)
    }

    /// Type ids by (account, name); custom types are registered on first use.
    async fn type_ids(
        &mut self,
        pending: &[Pending<'a>],
    ) -> StoreResult<HashMap<(Uuid, &'a str), i64>> {
        let needed: HashMap<(Uuid, &'a str), &'a EventType> = pending
            .iter()
            .map(|p| {
                (
                    (p.account, p.event.event_type.as_str()),
                    &p.event.event_type,
                )
            })
            .collect();
        let (mut ids, missing) = partition(needed.keys().copied(), |(a, n)| {
            lock(self.cache).types.get(&(*a, n.to_string())).copied()
        });
        if missing.is_empty() {
            return Ok(ids);
        }
        let infos: Vec<(Uuid, TypeInfo)> = missing
            .iter()
            .map(|k| (k.0, Catalogue::info(needed[k])))
            .collect();
        insert_types(self.tx, &infos, false, truncate_micros(Utc::now())).await?;
        let (accounts, names): (Vec<Uuid>, Vec<&str>) = missing.iter().copied().unzip();
        let sql = "SELECT t.account_id, t.name, t.id FROM event_types t \
            JOIN unnest($1::uuid[], $2::text[]) AS k(account_id, name) \
            ON t.account_id = k.account_id AND t.name = k.name";
        let mut found = HashMap::new();
        for row in query(self.tx, sql, &[&accounts, &names]).await? {
            found.insert(
                (
                    get::<Uuid>(&row, "account_id")?,
                    get::<String>(&row, "name")?,
                ),
                get::<i64>(&row, "id")?,
            );
        }
        for (account, name) in missing {
            let id = *found
                .get(&(account, name.to_string()))
                .ok_or_else(|| not_registered("event type", name))?;
            ids.insert((account, name), id);
        }
        self.learnt.types.extend(found);
        Ok(ids)
    }

    /// Parameter ids by (account, type, name); new ones are declared with the data
    /// type of their first value in the batch.
    async fn param_ids(
        &mut self,
        pending: &[Pending<'a>],
        types: &HashMap<(Uuid, &'a str), i64>,
    ) -> StoreResult<HashMap<(Uuid, i64, &'a str), Param>> {
        let mut needed: HashMap<(Uuid, i64, &'a str), &'static str> = HashMap::new();
        for p in pending {
            let type_id = types[&(p.account, p.event.event_type.as_str())];
            for (name, value) in &p.event.params {
                needed
                    .entry((p.account, type_id, name.as_str()))
                    .or_insert(value.data_type());
            }
        }
        let (mut ids, missing) = partition(needed.keys().copied(), |(a, t, n)| {
            lock(self.cache)
                .params
                .get(&(*a, *t, n.to_string()))
                .cloned()
        });
        if missing.is_empty() {
            return Ok(ids);
        }
        let accounts: Vec<Uuid> = missing.iter().map(|k| k.0).collect();
        let type_ids: Vec<i64> = missing.iter().map(|k| k.1).collect();
        let names: Vec<&str> = missing.iter().map(|k| k.2).collect();
        let data_types: Vec<&str> = missing.iter().map(|k| needed[k]).collect();
        let insert = "INSERT INTO event_parameters (account_id, event_type_id, name, type) \
            SELECT * FROM unnest($1::uuid[], $2::int8[], $3::text[], $4::text[]) \
            ON CONFLICT (account_id, event_type_id, name) DO NOTHING";
        query(
            self.tx,
            insert,
            &[&accounts, &type_ids, &names, &data_types],
        )
        .await?;
        let select = "SELECT p.account_id, p.event_type_id, p.name, p.id, p.type FROM event_parameters p \
            JOIN unnest($1::uuid[], $2::int8[], $3::text[]) AS k(account_id, event_type_id, name) \
            ON p.account_id = k.account_id AND p.event_type_id = k.event_type_id AND p.name = k.name";
        let mut found = HashMap::new();
        for row in query(self.tx, select, &[&accounts, &type_ids, &names]).await? {
            let key: (Uuid, i64, String) = (
                get(&row, "account_id")?,
                get(&row, "event_type_id")?,
                get(&row, "name")?,
            );
            found.insert(
                key,
                Param {
                    id: get(&row, "id")?,
                    data_type: get(&row, "type")?,
                },
            );
        }
        for (account, type_id, name) in missing {
            let param = found
                .get(&(account, type_id, name.to_string()))
                .ok_or_else(|| not_registered("parameter", name))?;
            ids.insert((account, type_id, name), param.clone());
        }
        self.learnt.params.extend(found);
        Ok(ids)
    }

    /// User ids by (account, login) of the events whose actor is a user; people seen
    /// for the first time become members.
    async fn user_ids(
        &mut self,
        pending: &[Pending<'a>],
    ) -> StoreResult<HashMap<(Uuid, &'a str), Uuid>> {
        let mut needed: HashMap<(Uuid, &'a str), &'a Actor> = HashMap::new();
        for p in pending {
            if let Some(key) = user_key(p) {
                needed.entry(key).or_insert(&p.event.actor);
            }
        }
        let (mut ids, missing) = partition(needed.keys().copied(), |(a, l)| {
            lock(self.cache).users.get(&(*a, l.to_string())).copied()
        });
        if missing.is_empty() {
            return Ok(ids);
        }
        let people: Vec<(Uuid, &Actor)> = missing.iter().map(|k| (k.0, needed[k])).collect();
        let found: HashMap<(Uuid, String), Uuid> = ensure_users(self.tx, &people)
            .await?
            .into_iter()
            .map(|(a, l, id)| ((a, l), id))
            .collect();
        for (account, login) in missing {
            let id = *found
                .get(&(account, login.to_string()))
                .ok_or_else(|| not_registered("user", login))?;
            ids.insert((account, login), id);
        }
        self.learnt.users.extend(found);
        Ok(ids)
    }

    /// The session of each pending event: the one it names, else for a user's event
    /// the user's open session (see `SESSION_WINDOW`), else a new one, which later
    /// events of the batch may join.
    async fn sessions(
        &mut self,
        pending: &[Pending<'a>],
        users: &HashMap<(Uuid, &'a str), Uuid>,
    ) -> StoreResult<Vec<Option<Uuid>>> {
        let sessionless =
            |p: &Pending<'a>| p.event.session_id.is_none().then(|| user_key(p)).flatten();
        let wanted: HashSet<(Uuid, Uuid)> = pending
            .iter()
            .filter_map(sessionless)
            .map(|k| (k.0, users[&k]))
            .collect();
        if wanted.is_empty() {
            return Ok(pending.iter().map(|p| p.event.session_id).collect());
        }
        let mut open = open_sessions(self.tx, &wanted).await?;
        let mut created = Vec::new();
        let mut out = Vec::with_capacity(pending.len());
        for p in pending {
            let Some(key) = sessionless(p) else {
                out.push(p.event.session_id);
                continue;
            };
            let (account, user_id) = (p.account, users[&key]);
            let candidates = open.entry((account, user_id)).or_default();
            let at = p.event.occurred_at;
            let joinable = candidates.iter().filter(|(_, started)| {
                *started >= at - SESSION_WINDOW && *started <= at + SESSION_SKEW
            });
            let id = match joinable.max_by_key(|(_, started)| *started) {
                Some((id, _)) => *id,
                None => {
                    let id = Uuid::now_v7();
                    candidates.push((id, at));
                    created.push(NewSessionRow {
                        account,
                        id,
                        user_id,
                        started: at,
                        event: p.event,
                    });
                    id
                }
            };
            out.push(Some(id));
        }
        insert_sessions(self.tx, &created).await?;
        Ok(out)
    }
}

fn not_registered(what: &str, name: &str) -> StoreError {
    StoreError::Database(format!("{what} {name:?} was neither found nor registered"))
}

/// Splits keys into those `cached` knows (with their value) and the rest.
fn partition<K: Eq + std::hash::Hash, V>(
    keys: impl IntoIterator<Item = K>,
    cached: impl Fn(&K) -> Option<V>,
) -> (HashMap<K, V>, Vec<K>) {
    let mut hits = HashMap::new();
    let mut missing = Vec::new();
    for key in keys {
        match cached(&key) {
            Some(v) => {
                hits.insert(key, v);
            }
            None => missing.push(key),
        }
    }
    (hits, missing)
}

/// (account, login) when the event's actor is a user.
fn user_key<'a>(p: &Pending<'a>) -> Option<(Uuid, &'a str)> {
    (p.event.actor.kind == ActorKind::User).then_some((p.account, p.event.actor.id.as_str()))
}

/// The hash of the row's event as stored, with the session it was joined to.
fn hash(row: &EventRow<'_>) -> [u8; 32] {
    event_hash(
        row.account,
        row.seq,
        &row.received_at,
        &with_session(row.event, row.session_id),
    )
}

/// The event as it will be stored: its own session, or the one it was joined to.
fn with_session(event: &NewEvent, session: Option<Uuid>) -> Cow<'_, NewEvent> {
    if event.session_id == session {
        Cow::Borrowed(event)
    } else {
        Cow::Owned(NewEvent {
            session_id: session,
            ..event.clone()
        })
    }
}

/// What the rows add to the usage rollups, with the session each event joined.
fn delta(rows: &[EventRow<'_>]) -> Delta {
    let mut delta = Delta::default();
    for row in rows {
        let fact = Fact {
            session: row.session_id,
            ..Fact::of(row.account, row.type_id, row.user_id, row.event)
        };
        delta.add(&fact);
    }
    delta
}

/// COPYs the rows. Each hash is computed as its row is written, so that this side's
/// costliest work overlaps the server's processing of the rows already sent.
async fn write_rows(tx: &Transaction<'_>, rows: Rows<'_>) -> StoreResult<()> {
    copy_values(tx, "event_parameter_values", rows.values).await?;
    copy_events(tx, "events", &rows.events, rows.events.iter().map(hash)).await
}

/// Inserts event types that do not exist yet.
pub(crate) async fn insert_types(
    tx: &Transaction<'_>,
    types: &[(Uuid, TypeInfo)],
    builtin: bool,
    created_at: DateTime<Utc>,
) -> StoreResult<()> {
    let accounts: Vec<Uuid> = types.iter().map(|(a, _)| *a).collect();
    let names: Vec<&str> = types.iter().map(|(_, t)| t.name.as_str()).collect();
    let kinds: Vec<Option<&str>> = types
        .iter()
        .map(|(_, t)| t.resource_kind.as_ref().map(|k| k.as_str()))
        .collect();
    let actions: Vec<&str> = types.iter().map(|(_, t)| t.action.as_str()).collect();
    let levels: Vec<&str> = types.iter().map(|(_, t)| t.level.as_str()).collect();
    // WITH ORDINALITY keeps the catalogue's order in the generated ids.
    let sql = "INSERT INTO event_types (account_id, name, resource_kind, action, level, builtin, created_at) \
        SELECT account_id, name, resource_kind, action, level, $6, $7 \
        FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) \
            WITH ORDINALITY AS t(account_id, name, resource_kind, action, level, n) \
        ORDER BY n \
        ON CONFLICT (account_id, name) DO NOTHING";
    query(
        tx,
        sql,
        &[
            &accounts,
            &names,
            &kinds,
            &actions,
            &levels,
            &builtin,
            &created_at,
        ],
    )
    .await
    .map(drop)
}

/// Makes sure each person has a `users` row and returns (account, login, id) of each.
pub(crate) async fn ensure_users(
    tx: &Transaction<'_>,
    people: &[(Uuid, &Actor)],
) -> StoreResult<Vec<(Uuid, String, Uuid)>> {
    let accounts: Vec<Uuid> = people.iter().map(|(a, _)| *a).collect();
    let ids: Vec<Uuid> = people.iter().map(|_| Uuid::now_v7()).collect();
    let logins: Vec<&str> = people.iter().map(|(_, p)| p.id.as_str()).collect();
    let names: Vec<Option<&str>> = people.iter().map(|(_, p)| p.name.as_deref()).collect();
    let emails: Vec<Option<&str>> = people.iter().map(|(_, p)| p.email.as_deref()).collect();
    let joined = truncate_micros(Utc::now());
    let insert = "INSERT INTO users (account_id, id, login, friendly_name, email, role, joined) \
        SELECT account_id, id, login, friendly_name, email, 'member', $6 \
        FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[]) \
            AS u(account_id, id, login, friendly_name, email) \
        ON CONFLICT (account_id, login) DO NOTHING";
    query(
        tx,
        insert,
        &[&accounts, &ids, &logins, &names, &emails, &joined],
    )
    .await?;
    // A second statement, so that it also sees a row another transaction committed
    // while the insert waited on it.
    let select = "SELECT u.account_id, u.login, u.id FROM users u \
        JOIN unnest($1::uuid[], $2::text[]) AS k(account_id, login) \
        ON u.account_id = k.account_id AND u.login = k.login";
    query(tx, select, &[&accounts, &logins])
        .await?
        .iter()
        .map(|r| Ok((get(r, "account_id")?, get(r, "login")?, get(r, "id")?)))
        .collect()
}

/// Each user's latest open session, as (id, started).
async fn open_sessions(
    tx: &Transaction<'_>,
    users: &HashSet<(Uuid, Uuid)>,
) -> StoreResult<OpenSessions> {
    let (accounts, user_ids): (Vec<Uuid>, Vec<Uuid>) = users.iter().copied().unzip();
    // LATERAL ... LIMIT 1 reads one index entry per user, however many sessions they had.
    let sql = "SELECT k.account_id, k.user_id, s.id, s.started \
        FROM unnest($1::uuid[], $2::uuid[]) AS k(account_id, user_id) \
        CROSS JOIN LATERAL (SELECT id, started FROM users_sessions \
            WHERE account_id = k.account_id AND user_id = k.user_id AND ended IS NULL \
            ORDER BY started DESC LIMIT 1) s";
    let mut out: OpenSessions = HashMap::new();
    for row in query(tx, sql, &[&accounts, &user_ids]).await? {
        let key = (get(&row, "account_id")?, get(&row, "user_id")?);
        out.entry(key)
            .or_default()
            .push((get(&row, "id")?, get(&row, "started")?));
    }
    Ok(out)
}

/// Inserts sessions opened by events: started when the event occurred, with its
/// address and user agent, and its source as the client.
async fn insert_sessions(tx: &Transaction<'_>, sessions: &[NewSessionRow<'_>]) -> StoreResult<()> {
    if sessions.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&NewSessionRow<'_>) -> Uuid| sessions.iter().map(f).collect::<Vec<Uuid>>();
    let (accounts, ids, users) = (col(|s| s.account), col(|s| s.id), col(|s| s.user_id));
    let started: Vec<DateTime<Utc>> = sessions.iter().map(|s| s.started).collect();
    let ips: Vec<Option<&str>> = sessions.iter().map(|s| s.event.ip.as_deref()).collect();
    let agents: Vec<Option<&str>> = sessions
        .iter()
        .map(|s| s.event.user_agent.as_deref())
        .collect();
    let clients: Vec<&str> = sessions.iter().map(|s| s.event.source.as_str()).collect();
    let sql = "INSERT INTO users_sessions (account_id, id, user_id, started, ip, user_agent, client) \
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::text[], $6::text[], $7::text[])";
    query(
        tx,
        sql,
        &[&accounts, &ids, &users, &started, &ips, &agents, &clients],
    )
    .await
    .map(drop)
}
