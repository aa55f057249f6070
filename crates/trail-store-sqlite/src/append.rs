//! The write path: one transaction per group-commit batch.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, Statement, Transaction};
use trail_core::encoding::event_hash;
use trail_core::input::truncate_micros;
use trail_core::rollup::{Delta, Fact};
use trail_core::{ActorKind, Catalogue, NewEvent, ParamValue};
use trail_store::search::search_document;
use trail_store::{
    AppendOutcome, AppendRequest, Appended, NewSession, StoreResult, SESSION_JOIN_WINDOW_HOURS,
};
use uuid::Uuid;

use crate::codec::{db_error, micros};
use crate::{rollups, sessions};

/// Names within a scope (an account, or an account's event type) to what they
/// resolved to; looked up by `&str`, so a hit allocates nothing.
struct Scoped<K, V>(HashMap<K, HashMap<String, V>>);

impl<K, V> Default for Scoped<K, V> {
    fn default() -> Self {
        Scoped(HashMap::new())
    }
}

impl<K: std::hash::Hash + Eq, V> Scoped<K, V> {
    fn get(&self, scope: &K, name: &str) -> Option<&V> {
        self.0.get(scope)?.get(name)
    }

    fn insert(&mut self, scope: K, name: &str, value: V) {
        self.0
            .entry(scope)
            .or_default()
            .insert(name.to_string(), value);
    }

    fn merge(&mut self, other: Scoped<K, V>) {
        for (scope, names) in other.0 {
            self.0.entry(scope).or_default().extend(names);
        }
    }
}

/// Ids of event types, parameters and users, which never change once assigned.
#[derive(Default)]
pub struct IdCache {
    types: Scoped<Uuid, i64>,
    /// Parameter id and declared data type, per (account, event type).
    params: Scoped<(Uuid, i64), (i64, &'static str)>,
    users: Scoped<Uuid, Uuid>,
}

impl IdCache {
    fn merge(&mut self, other: IdCache) {
        self.types.merge(other.types);
        self.params.merge(other.params);
        self.users.merge(other.users);
    }
}

/// What the database already holds for an event id of a request.
enum Slot {
    New,
    Duplicate(i64),
    /// The same id appeared earlier in the request (index of that event).
    Repeat(usize),
}

pub fn append(
    conn: &mut Connection,
    cache: &Mutex<IdCache>,
    batch: &mut [AppendRequest],
) -> StoreResult<Vec<AppendOutcome>> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db_error)?;
    let mut cache = cache.lock().expect("id cache poisoned");
    let (outcomes, fresh) = {
        let mut w = BatchWriter {
            tx: &tx,
            insert_event: tx.prepare(&insert_event_sql("events")).map_err(db_error)?,
            insert_text: tx
                .prepare(&insert_text_sql("events_text"))
                .map_err(db_error)?,
            insert_value: tx
                .prepare(&insert_value_sql("event_parameter_values"))
                .map_err(db_error)?,
            known: &cache,
            fresh: IdCache::default(),
            sessions: HashMap::new(),
            delta: Delta::default(),
        };
        let outcomes = batch
            .iter_mut()
            .map(|r| w.request(r))
            .collect::<StoreResult<Vec<_>>>()?;
        rollups::write(&tx, &w.delta)?;

        (outcomes, w.fresh)
    };
    tx.commit().map_err(db_error)?;
    // Only ids of a committed transaction may be cached; a rolled-back one's are void.
    cache.merge(fresh);
    Ok(outcomes)
}

/// The INSERT of one event row into `table` (`events`, or the benchmark's copy).
fn insert_event_sql(table: &str) -> String {
    format!(
        "INSERT INTO {table} (account_id, id, seq, event_type_id, event_time, received_at, session_id, user_id,
        actor_kind, actor_id, actor_name, actor_email, source, resource_kind, resource_id, resource_name, package,
        action, status, level, duration_ms, ip, user_agent, request_id, operation_id, description, is_error,
        error_message, error_stack_trace, error_signature, changes_before, changes_after, changed_fields,
        content_digest, hash)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,
        ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35)"
    )
}

/// The INSERT of one event's search document into `table` (`events_text` or the benchmark's copy).
fn insert_text_sql(table: &str) -> String {
    format!("INSERT INTO {table} (rowid, document) VALUES (?1, ?2)")
}

fn insert_value_sql(table: &str) -> String {
    format!(
        "INSERT INTO {table} (account_id, event_id, parameter_id, value, value_uuid, value_type)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    )
}

/// One `events` row: the event and what the write path resolved for it.
struct EventRow<'e> {
    account: Uuid,
    seq: i64,
    type_id: i64,
    received_at: i64,
    user_id: Option<Uuid>,
    hash: [u8; 32],
    event: &'e NewEvent,
}

/// Inserts the event's row and its search document.
fn insert_event_row(stmt: &mut Statement, text: &mut Statement, row: &EventRow) -> StoreResult<()> {
    let e = row.event;
    let resource = e.resource.as_ref();
    let changes = e.changes.as_ref();
    let error = e.error.as_ref();
    let rowid = stmt
        .insert(params![
            row.account,
            e.id,
            row.seq,
            row.type_id,
            micros(&e.occurred_at),
            row.received_at,
            e.session_id,
            row.user_id,
            e.actor.kind.as_str(),
            e.actor.id,
            e.actor.name,
            e.actor.email,
            e.source.as_str(),
            resource.map(|r| r.kind.as_str()),
            resource.and_then(|r| r.id.as_deref()),
            resource.and_then(|r| r.name.as_deref()),
            e.package,
            e.action.as_str(),
            e.status.as_str(),
            e.level.as_str(),
            e.duration_ms.map(|d| d as i64),
            e.ip,
            e.user_agent,
            e.request_id,
            e.operation_id,
            e.message,
            error.is_some(),
            error.map(|x| x.message.as_str()),
            error.and_then(|x| x.stack_trace.as_deref()),
            error.map(|x| x.signature.as_str()),
            changes.map(|c| c.before.to_string()),
            changes.map(|c| c.after.to_string()),
            changes.map(|c| serde_json::to_string(&c.changed).unwrap_or_default()),
            &e.content_digest[..],
            &row.hash[..],
        ])
        .map_err(db_error)?;
    text.execute(params![rowid, search_document(e)])
        .map_err(db_error)?;
    Ok(())
}

struct BatchWriter<'a> {
    tx: &'a Transaction<'a>,
    // Prepared once per batch: looking a statement up in the cache hashes its whole text.
    insert_event: Statement<'a>,
    insert_text: Statement<'a>,
    insert_value: Statement<'a>,
    known: &'a IdCache,
    fresh: IdCache,
    /// The session each user's events of this batch joined, with its start (µs).
    sessions: HashMap<(Uuid, Uuid), (Uuid, i64)>,
    /// What the batch adds to the usage rollups.
    delta: Delta,
}

impl BatchWriter<'_> {
    fn request(&mut self, req: &mut AppendRequest) -> StoreResult<AppendOutcome> {
        let slots = match self.classify(req)? {
            Ok(slots) => slots,
            Err(conflicts) => return Ok(AppendOutcome::Conflict(conflicts)),
        };
        let new = slots.iter().filter(|s| matches!(s, Slot::New)).count() as i64;
        let mut next_seq = self.reserve(req.account, new)?;
        let received_at = truncate_micros(Utc::now());
        let mut out: Vec<Appended> = Vec::with_capacity(req.events.len());
        let account = req.account;
        for (e, slot) in req.events.iter_mut().zip(&slots) {
            let (seq, duplicate) = match slot {
                Slot::New => {
                    self.insert(account, next_seq, received_at, e)?;
                    next_seq += 1;
                    (next_seq - 1, false)
                }
                Slot::Duplicate(seq) => (*seq, true),
                Slot::Repeat(i) => (out[*i].seq, true),
            };
            out.push(Appended {
                id: e.id,
                seq,
                duplicate,
            });
        }
        Ok(AppendOutcome::Stored(out))
    }

    /// Decides for each event whether it is new or a retry; Err lists conflicting ids.
    fn classify(&self, req: &AppendRequest) -> StoreResult<Result<Vec<Slot>, Vec<Uuid>>> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT seq, content_digest FROM events WHERE account_id = ?1 AND id = ?2",
            )
            .map_err(db_error)?;
        let mut first_index: HashMap<Uuid, usize> = HashMap::new();
        let mut slots = Vec::with_capacity(req.events.len());
        let mut conflicts = Vec::new();
        for (i, e) in req.events.iter().enumerate() {
            if let Some(&j) = first_index.get(&e.id) {
                if req.events[j].content_digest == e.content_digest {
                    slots.push(Slot::Repeat(j));
                } else {
                    conflicts.push(e.id);
                }
                continue;
            }
            first_index.insert(e.id, i);
            let stored: Option<(i64, Vec<u8>)> = stmt
                .query_row(params![req.account, e.id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(db_error)?;
            match stored {
                None => slots.push(Slot::New),
                Some((seq, digest)) if digest == e.content_digest => {
                    slots.push(Slot::Duplicate(seq))
                }
                Some(_) => conflicts.push(e.id),
            }
        }
        Ok(if conflicts.is_empty() {
            Ok(slots)
        } else {
            Err(conflicts)
        })
    }

    /// Takes `n` sequence numbers of the account; returns the first.
    ///
    /// A read, then an update, not `UPDATE … RETURNING`: SQLite runs RETURNING
    /// as a trigger, under a statement savepoint, and FTS5 writes its pending
    /// text index to disk at every savepoint, so each request of a batch cut
    /// the index into another segment to merge.
    fn reserve(&self, account: Uuid, n: i64) -> StoreResult<i64> {
        let first: i64 = self
            .tx
            .prepare_cached("SELECT next_seq FROM accounts WHERE id = ?1")
            .map_err(db_error)?
            .query_row(params![account], |r| r.get(0))
            .map_err(db_error)?;
        self.tx
            .prepare_cached("UPDATE accounts SET next_seq = ?2 WHERE id = ?1")
            .map_err(db_error)?
            .execute(params![account, first + n])
            .map_err(db_error)?;
        Ok(first)
    }

    fn insert(
        &mut self,
        account: Uuid,
        seq: i64,
        received_at: chrono::DateTime<Utc>,
        e: &mut NewEvent,
    ) -> StoreResult<()> {
        let type_id = self.type_id(account, e)?;
        let (user_id, session_id) = self.user_and_session(account, e)?;
        // The event as stored carries the session it joined, and so does its hash.
        e.session_id = session_id;
        let e = &*e;
        let hash = event_hash(account, seq, &received_at, e);
        let row = EventRow {
            account,
            seq,
            type_id,
            received_at: micros(&received_at),
            user_id,
            hash,
            event: e,
        };
        insert_event_row(&mut self.insert_event, &mut self.insert_text, &row)?;
        self.delta.add(&Fact::of(account, type_id, user_id, e));
        for (name, value) in &e.params {
            let (param_id, declared) = self.param_id(account, type_id, name, value)?;
            let value_type = Some(value.data_type()).filter(|t| *t != declared);
            self.insert_value
                .execute(params![
                    account,
                    e.id,
                    param_id,
                    value.to_text(),
                    value.entity_id(),
                    value_type
                ])
                .map_err(db_error)?;
        }
        Ok(())
    }

    fn type_id(&mut self, account: Uuid, e: &NewEvent) -> StoreResult<i64> {
        let name = e.event_type.as_str();
        if let Some(id) = self
            .known
            .types
            .get(&account, name)
            .or_else(|| self.fresh.types.get(&account, name))
        {
            return Ok(*id);
        }
        let found: Option<i64> = self
            .tx
            .prepare_cached("SELECT id FROM event_types WHERE account_id = ?1 AND name = ?2")
            .map_err(db_error)?
            .query_row(params![account, name], |r| r.get(0))
            .optional()
            .map_err(db_error)?;
        let id = match found {
            Some(id) => id,
            None => {
                let info = Catalogue::info(&e.event_type);
                self.tx
                    .prepare_cached(
                        "INSERT INTO event_types (account_id, name, resource_kind, action, level, builtin, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )
                    .map_err(db_error)?
                    .execute(params![
                        account,
                        name,
                        info.resource_kind.as_ref().map(|k| k.as_str()),
                        info.action.as_str(),
                        info.level.as_str(),
                        info.builtin,
                        micros(&Utc::now())
                    ])
                    .map_err(db_error)?;
                self.tx.last_insert_rowid()
            }
        };
        self.fresh.types.insert(account, name, id);
        Ok(id)
    }

    /// The parameter's id and declared type, declaring it with this value's type on first use.
    fn param_id(
        &mut self,
        account: Uuid,
        type_id: i64,
        name: &str,
        value: &ParamValue,
    ) -> StoreResult<(i64, &'static str)> {
        let scope = (account, type_id);
        if let Some(found) = self
            .known
            .params
            .get(&scope, name)
            .or_else(|| self.fresh.params.get(&scope, name))
        {
            return Ok(*found);
        }
        let found: Option<(i64, String)> = self
            .tx
            .prepare_cached("SELECT id, type FROM event_parameters WHERE account_id = ?1 AND event_type_id = ?2 AND name = ?3")
            .map_err(db_error)?
            .query_row(params![account, type_id, name], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(db_error)?;
        let param = match found {
            Some((id, declared)) => {
                let declared = ParamValue::DATA_TYPES
                    .iter()
                    .find(|t| **t == declared)
                    .ok_or_else(|| {
                        trail_store::StoreError::Corrupt(format!("parameter type {declared:?}"))
                    })?;
                (id, *declared)
            }
            None => {
                self.tx
                    .prepare_cached("INSERT INTO event_parameters (account_id, event_type_id, name, type) VALUES (?1, ?2, ?3, ?4)")
                    .map_err(db_error)?
                    .execute(params![account, type_id, name, value.data_type()])
                    .map_err(db_error)?;
                (self.tx.last_insert_rowid(), value.data_type())
            }
        };
        self.fresh.params.insert(scope, name, param);
        Ok(param)
    }

    /// The user row and session of a person's event; `(None, as sent)` for other actors.
    fn user_and_session(
        &mut self,
        account: Uuid,
        e: &NewEvent,
    ) -> StoreResult<(Option<Uuid>, Option<Uuid>)> {
        if e.actor.kind != ActorKind::User {
            return Ok((None, e.session_id));
        }
        let login = e.actor.id.as_str();
        let user_id = match self
            .known
            .users
            .get(&account, login)
            .or_else(|| self.fresh.users.get(&account, login))
        {
            Some(id) => *id,
            None => {
                let id = sessions::ensure_user(self.tx, account, &e.actor, Utc::now())?;
                self.fresh.users.insert(account, login, id);
                id
            }
        };
        if e.session_id.is_some() {
            return Ok((Some(user_id), e.session_id));
        }
        let since = e.occurred_at - Duration::hours(SESSION_JOIN_WINDOW_HOURS);
        let reusable = self
            .sessions
            .get(&(account, user_id))
            .filter(|(_, started)| *started >= micros(&since))
            .copied();
        let session = match reusable {
            Some(s) => s,
            None => match sessions::open_session(self.tx, account, user_id, since)? {
                Some(s) => s,
                None => {
                    let new = NewSession {
                        user: e.actor.clone(),
                        started: e.occurred_at,
                        ip: e.ip.clone(),
                        user_agent: e.user_agent.clone(),
                        client: Some(e.source.as_str().to_string()),
                    };
                    (
                        sessions::insert(self.tx, account, user_id, &new)?,
                        micros(&e.occurred_at),
                    )
                }
            },
        };
        self.sessions.insert((account, user_id), session);
        Ok((Some(user_id), Some(session.0)))
    }
}

/// Benchmark baseline: the same rows through the same statements in one
/// transaction, with nothing else done (no dedup, ids, sessions, sequence
/// numbers or hashing).
pub fn raw_bulk_load(conn: &mut Connection, events: &[NewEvent]) -> StoreResult<()> {
    let tx = conn.transaction().map_err(db_error)?;
    tx.execute_batch(
        "DELETE FROM bench_raw_events; DELETE FROM bench_raw_parameter_values;
         INSERT INTO bench_raw_text (bench_raw_text) VALUES ('delete-all');",
    )
    .map_err(db_error)?;
    {
        let mut insert_event = tx
            .prepare(&insert_event_sql("bench_raw_events"))
            .map_err(db_error)?;
        let mut insert_text = tx
            .prepare(&insert_text_sql("bench_raw_text"))
            .map_err(db_error)?;
        let mut insert_value = tx
            .prepare(&insert_value_sql("bench_raw_parameter_values"))
            .map_err(db_error)?;
        let mut names: HashMap<&str, i64> = HashMap::new();
        for (i, event) in events.iter().enumerate() {
            let row = EventRow {
                account: Uuid::nil(),
                seq: i as i64 + 1,
                type_id: 0,
                received_at: 0,
                user_id: None,
                hash: [0; 32],
                event,
            };
            insert_event_row(&mut insert_event, &mut insert_text, &row)?;
            for (name, value) in &event.params {
                let next = names.len() as i64;
                let id = *names.entry(name.as_str()).or_insert(next);
                let args = params![
                    Uuid::nil(),
                    event.id,
                    id,
                    value.to_text(),
                    value.entity_id(),
                    None::<&str>
                ];
                insert_value.execute(args).map_err(db_error)?;
            }
        }
    }
    tx.commit().map_err(db_error)
}
