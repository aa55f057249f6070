//! The usage rollups on SQLite: adding a batch's [`Delta`] inside its
//! transaction, reading rollup rows, and rebuilding them from stored events.

use chrono::{DateTime, Utc};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, ToSql, Transaction};
use std::collections::HashMap;
use std::sync::Arc;

use trail_core::rollup::{Cell, Delta, Fact, Grain, Measures, Outcome, Sketch};
use trail_store::rollups::{
    rollup_sql, whole_hours, Column, Gathered, RollupQuery, RollupRow, RollupTable, SeenRow,
    SeenTable,
};
use trail_store::{StoreError, StoreResult};
use uuid::Uuid;

use crate::codec::{db_error, from_micros, micros};
use crate::events::{sqlite_value, Dialect};

/// Adds the delta to the rollup tables.
pub fn write(tx: &Transaction, delta: &Delta) -> StoreResult<()> {
    let numbers = write_people(tx, delta)?;
    write_cells(tx, delta, &numbers)?;
    write_durations(tx, delta)?;
    write_errors(tx, delta, &numbers)?;
    write_seen(tx, delta)?;
    write_versions(tx, delta)
}

/// The next number of the version counter (see `usage_buckets`).
fn next_version(tx: &Transaction) -> StoreResult<i64> {
    tx.query_row(
        "UPDATE usage_clock SET version = version + 1 RETURNING version",
        [],
        |r| r.get(0),
    )
    .map_err(db_error)
}

/// Gives each bucket the delta changes a new version.
fn write_versions(tx: &Transaction, delta: &Delta) -> StoreResult<()> {
    let buckets = delta.buckets();
    if buckets.is_empty() {
        return Ok(());
    }
    let version = next_version(tx)?;
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO usage_buckets (account_id, grain, bucket, version) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO UPDATE SET version = excluded.version",
        )
        .map_err(db_error)?;
    for (account, grain, bucket) in buckets {
        stmt.execute(params![account, grain.code(), micros(&bucket), version])
            .map_err(db_error)?;
    }
    Ok(())
}

/// The versions of the account's buckets of `grain` in `[from, to)`, by bucket.
pub fn versions(
    conn: &Connection,
    account: Uuid,
    grain: Grain,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<(DateTime<Utc>, i64)>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT bucket, version FROM usage_buckets
             WHERE account_id = ?1 AND grain = ?2 AND bucket >= ?3 AND bucket < ?4 ORDER BY bucket",
        )
        .map_err(db_error)?;
    let rows = stmt
        .query_map(
            params![account, grain.code(), micros(&from), micros(&to)],
            |r| Ok((from_micros(r.get(0)?), r.get(1)?)),
        )
        .map_err(db_error)?;
    rows.collect::<Result<_, _>>().map_err(db_error)
}

/// Each person's number in the tallies, per (account, person).
type Numbers = HashMap<(Uuid, Uuid), u32>;

/// Records the people's first and last events, numbering the new ones.
fn write_people(tx: &Transaction, delta: &Delta) -> StoreResult<Numbers> {
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO usage_people (account_id, user_id, num, first_seen, last_seen)
             VALUES (?1, ?2, (SELECT COALESCE(MAX(num), 0) + 1 FROM usage_people WHERE account_id = ?1), ?3, ?4)
             ON CONFLICT DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
                last_seen = max(last_seen, excluded.last_seen)
             RETURNING num",
        )
        .map_err(db_error)?;
    let mut numbers = Numbers::new();
    for ((account, user), s) in &delta.people {
        let num: u32 = stmt
            .query_row(
                params![account, user, micros(&s.first), micros(&s.last)],
                |r| r.get(0),
            )
            .map_err(db_error)?;
        numbers.insert((*account, *user), num);
    }
    Ok(numbers)
}

const CELL_KEY: &str =
    "account_id = ?1 AND cuboid = ?2 AND grain = ?3 AND bucket = ?4 AND event_type_id = ?5
    AND package = ?6 AND resource_kind = ?7 AND function = ?8 AND source = ?9 AND level = ?10";

fn write_cells(tx: &Transaction, delta: &Delta, numbers: &Numbers) -> StoreResult<()> {
    let mut read = tx
        .prepare_cached(&format!("SELECT people FROM usage_cells WHERE {CELL_KEY}"))
        .map_err(db_error)?;
    let mut write = tx
        .prepare_cached(
            "INSERT INTO usage_cells (account_id, cuboid, grain, bucket, event_type_id, package,
                resource_kind, function, source, level, events, failures, errors, timed, duration_sum,
                duration_max, people)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
             ON CONFLICT DO UPDATE SET events = events + excluded.events,
                failures = failures + excluded.failures, errors = errors + excluded.errors,
                timed = timed + excluded.timed, duration_sum = duration_sum + excluded.duration_sum,
                duration_max = max(duration_max, excluded.duration_max), people = excluded.people",
        )
        .map_err(db_error)?;
    for (k, cell) in &delta.cells {
        let (grain, bucket, m) = (k.grain.code(), micros(&k.bucket), &cell.measures);
        let key: [&dyn ToSql; 10] = [
            &k.account,
            &k.cuboid,
            &grain,
            &bucket,
            &k.type_id,
            &k.package,
            &k.kind,
            &k.function,
            &k.source,
            &k.level,
        ];
        let counts: [&dyn ToSql; 6] = [
            &m.events,
            &m.failures,
            &m.errors,
            &m.timed,
            &m.duration_sum,
            &m.duration_max,
        ];
        let tallied = Tallied {
            account: k.account,
            cell,
            numbers,
            sessions: false,
        };
        tallied.upsert(&mut read, &mut write, &key, &counts)?;
    }
    Ok(())
}

/// A row of cells or errors: its stored people (and, for errors, sessions)
/// are read, the batch's added, and the row written with its counts (the
/// statements take the key, then the counts, then the people and sessions).
struct Tallied<'a> {
    account: Uuid,
    cell: &'a Cell,
    numbers: &'a Numbers,
    sessions: bool,
}

impl Tallied<'_> {
    fn upsert(
        &self,
        read: &mut rusqlite::CachedStatement,
        write: &mut rusqlite::CachedStatement,
        key: &[&dyn ToSql],
        counts: &[&dyn ToSql],
    ) -> StoreResult<()> {
        let stored: Option<(Vec<u8>, Option<Vec<u8>>)> = read
            .query_row(key, |r| {
                let sessions = if self.sessions { Some(r.get(1)?) } else { None };
                Ok((r.get(0)?, sessions))
            })
            .optional()
            .map_err(db_error)?;
        let (people, sessions) = stored.unzip();
        let number = |p: &Uuid| self.numbers.get(&(self.account, *p)).copied();
        let people = self
            .cell
            .add_people_to(people.as_deref(), number)
            .map_err(StoreError::Corrupt)?;
        // Only error rows keep sessions: cells skip the merge entirely.
        let sessions = if self.sessions {
            let stored = sessions.flatten();
            let merged = self.cell.add_sessions_to(stored.as_deref(), number);
            Some(merged.map_err(StoreError::Corrupt)?)
        } else {
            None
        };
        let mut args: Vec<&dyn ToSql> = key.to_vec();
        args.extend_from_slice(counts);
        args.push(&people);
        if let Some(sessions) = &sessions {
            args.push(sessions);
        }
        write.execute(&*args).map_err(db_error).map(drop)
    }
}

/// Sketches merge in Rust: read the stored one, add, write back.
fn write_durations(tx: &Transaction, delta: &Delta) -> StoreResult<()> {
    let mut read = tx
        .prepare_cached(
            "SELECT sketch FROM usage_durations WHERE account_id = ?1 AND grain = ?2 AND bucket = ?3
             AND event_type_id = ?4 AND package = ?5 AND resource_kind = ?6 AND function = ?7",
        )
        .map_err(db_error)?;
    let mut write = tx
        .prepare_cached(
            "INSERT OR REPLACE INTO usage_durations (account_id, grain, bucket, event_type_id, package,
                resource_kind, function, sketch) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(db_error)?;
    for (k, sketch) in &delta.durations {
        let (grain, bucket) = (k.grain.code(), micros(&k.bucket));
        let key: [&dyn ToSql; 7] = [
            &k.account,
            &grain,
            &bucket,
            &k.type_id,
            &k.package,
            &k.kind,
            &k.function,
        ];
        let stored: Option<Vec<u8>> = read
            .query_row(&key[..], |r| r.get(0))
            .optional()
            .map_err(db_error)?;
        let mut merged = match stored {
            Some(bytes) => Sketch::decode(&bytes).map_err(StoreError::Corrupt)?,
            None => Sketch::default(),
        };
        merged.merge(sketch);
        let bytes = merged.encode();
        let mut args = key.to_vec();
        args.push(&bytes);
        write.execute(&*args).map_err(db_error)?;
    }
    Ok(())
}

fn write_errors(tx: &Transaction, delta: &Delta, numbers: &Numbers) -> StoreResult<()> {
    let mut read = tx
        .prepare_cached(
            "SELECT people, sessions FROM usage_errors WHERE account_id = ?1 AND grain = ?2 AND bucket = ?3
             AND signature = ?4 AND event_type_id = ?5 AND package = ?6 AND resource_kind = ?7 AND function = ?8",
        )
        .map_err(db_error)?;
    let mut write = tx
        .prepare_cached(
            "INSERT INTO usage_errors (account_id, grain, bucket, signature, event_type_id, package,
                resource_kind, function, occurrences, people, sessions)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT DO UPDATE SET occurrences = occurrences + excluded.occurrences,
                people = excluded.people, sessions = excluded.sessions",
        )
        .map_err(db_error)?;
    for (k, cell) in &delta.errors {
        let (grain, bucket) = (k.grain.code(), micros(&k.bucket));
        let key: [&dyn ToSql; 8] = [
            &k.account,
            &grain,
            &bucket,
            &k.signature,
            &k.type_id,
            &k.package,
            &k.kind,
            &k.function,
        ];
        let tallied = Tallied {
            account: k.account,
            cell,
            numbers,
            sessions: true,
        };
        tallied.upsert(&mut read, &mut write, &key, &[&cell.measures.events])?;
    }
    Ok(())
}

/// First seen keeps the earliest, last seen (and its label) the latest.
const SEEN_UPDATE: &str =
    "ON CONFLICT DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
    {label} = CASE WHEN excluded.last_seen >= last_seen THEN excluded.{label} ELSE {label} END,
    last_seen = max(last_seen, excluded.last_seen)";

fn write_seen(tx: &Transaction, delta: &Delta) -> StoreResult<()> {
    let seen_update = |label: &str| SEEN_UPDATE.replace("{label}", label);
    let mut features = tx
        .prepare_cached(&format!(
            "INSERT INTO usage_features (account_id, package, resource_kind, function, label, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) {}",
            seen_update("label")
        ))
        .map_err(db_error)?;
    for ((account, package, kind, function), s) in &delta.features {
        features
            .execute(params![
                account,
                package,
                kind,
                function,
                s.label,
                micros(&s.first),
                micros(&s.last)
            ])
            .map_err(db_error)?;
    }
    let mut signatures = tx
        .prepare_cached(&format!(
            "INSERT INTO usage_signatures (account_id, signature, message, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5) {}",
            seen_update("message")
        ))
        .map_err(db_error)?;
    for ((account, signature), s) in &delta.signatures {
        signatures
            .execute(params![
                account,
                signature,
                s.label,
                micros(&s.first),
                micros(&s.last)
            ])
            .map_err(db_error)?;
    }
    Ok(())
}

pub fn rows(conn: &Connection, account: Uuid, q: &RollupQuery) -> StoreResult<Vec<RollupRow>> {
    let sql = rollup_sql(&Dialect, account, q).map_err(StoreError::Database)?;
    let mut stmt = conn.prepare(&sql.text).map_err(db_error)?;
    let rows = stmt
        .query_map(
            params_from_iter(sql.args.into_iter().map(sqlite_value)),
            |r| Ok(row(r, q.table)),
        )
        .map_err(db_error)?;
    let mut out = Gathered::default();
    for r in rows {
        out.push(r.map_err(db_error).and_then(|row| row)?);
    }
    Ok(out.into_vec())
}

/// Reads a row of `rollup_sql`: bucket, the table's dimensions, its measures.
fn row(r: &Row, table: RollupTable) -> StoreResult<RollupRow> {
    let mut out = RollupRow {
        bucket: from_micros(r.get(0).map_err(db_error)?),
        ..RollupRow::default()
    };
    let mut i = 1;
    for column in table.columns() {
        let get_text = |i: usize| {
            let text = r.get_ref(i).and_then(|v| v.as_str().map_err(Into::into));
            text.map(Arc::from).map_err(db_error)
        };
        match column {
            Column::Type => out.type_id = r.get(i).map_err(db_error)?,
            Column::Package => out.package = get_text(i)?,
            Column::Kind => out.kind = get_text(i)?,
            Column::Function => out.function = get_text(i)?,
            Column::Source => out.source = get_text(i)?,
            Column::Level => out.level = get_text(i)?,
            Column::Signature => out.signature = get_text(i)?,
        }
        i += 1;
    }
    let int = |i: usize| r.get::<_, i64>(i).map_err(db_error);
    match table {
        RollupTable::Cells(_) => {
            out.measures = Measures {
                events: int(i)?,
                failures: int(i + 1)?,
                errors: int(i + 2)?,
                timed: int(i + 3)?,
                duration_sum: int(i + 4)?,
                duration_max: int(i + 5)?,
            };
            out.people = tallies(r, i + 6)?;
        }
        RollupTable::Durations => {
            let bytes: Vec<u8> = r.get(i).map_err(db_error)?;
            let sketch = Sketch::decode(&bytes).map_err(StoreError::Corrupt)?;
            out.measures.timed = sketch.count() as i64;
            out.sketch = Some(Arc::new(sketch));
        }
        RollupTable::Errors => {
            out.measures.events = int(i)?;
            out.people = tallies(r, i + 1)?;
            out.sessions = tallies(r, i + 2)?;
        }
    }
    Ok(out)
}

/// The people's tallies as stored; none when the query left them out.
fn tallies(r: &Row, i: usize) -> StoreResult<Arc<[u8]>> {
    let bytes = r
        .get_ref(i)
        .and_then(|v| v.as_blob_or_null().map_err(Into::into));
    Ok(bytes.map_err(db_error)?.map(Arc::from).unwrap_or_default())
}

pub fn seen(conn: &Connection, account: Uuid, table: SeenTable) -> StoreResult<Vec<SeenRow>> {
    let mut stmt = conn
        .prepare_cached(&format!("{}?1", table.sql()))
        .map_err(db_error)?;
    let rows = stmt
        .query_map([account], |r| {
            let time = |i: usize| r.get::<_, i64>(i).map(from_micros);
            let mut out = SeenRow::default();
            match table {
                SeenTable::People => {
                    (out.user, out.number) = (r.get(0)?, r.get(1)?);
                    (out.first, out.last) = (time(2)?, time(3)?);
                }
                SeenTable::Features => {
                    (out.package, out.kind, out.function) = (r.get(0)?, r.get(1)?, r.get(2)?);
                    out.label = r.get(3)?;
                    (out.first, out.last) = (time(4)?, time(5)?);
                }
                SeenTable::Signatures => {
                    (out.signature, out.label) = (r.get(0)?, r.get(1)?);
                    (out.first, out.last) = (time(2)?, time(3)?);
                }
            }
            Ok(out)
        })
        .map_err(db_error)?;
    rows.collect::<Result<_, _>>().map_err(db_error)
}

pub fn count_sessions(
    conn: &Connection,
    account: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    users: Option<&[Uuid]>,
) -> StoreResult<i64> {
    if users.is_none() && whole_hours(from, to) {
        // Kept per hour by a trigger (migration 0011).
        let sql = "SELECT coalesce(sum(sessions), 0) FROM usage_session_starts \
            WHERE account_id = ?1 AND hour >= ?2 AND hour < ?3";
        return conn
            .query_row(sql, params![account, micros(&from), micros(&to)], |r| {
                r.get(0)
            })
            .map_err(db_error);
    }
    let base = "SELECT count(*) FROM users_sessions WHERE account_id = ?1 AND started >= ?2 AND started < ?3";
    let Some(users) = users else {
        return conn
            .query_row(base, params![account, micros(&from), micros(&to)], |r| {
                r.get(0)
            })
            .map_err(db_error);
    };
    let mut stmt = conn
        .prepare_cached(&format!("{base} AND user_id = ?4"))
        .map_err(db_error)?;
    let mut total = 0;
    let users: std::collections::BTreeSet<&Uuid> = users.iter().collect();
    for user in users {
        total += stmt
            .query_row(params![account, micros(&from), micros(&to), user], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(db_error)?;
    }
    Ok(total)
}

/// How many stored events a rebuild reads at a time.
const REBUILD_CHUNK: i64 = 20_000;

/// Replaces the account's rollups with ones computed from its events. People
/// keep their numbers (`usage_people` stays), so tallies mean the same before and after.
pub fn rebuild(conn: &mut Connection, account: Uuid) -> StoreResult<u64> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db_error)?;
    for table in [
        "usage_cells",
        "usage_durations",
        "usage_errors",
        "usage_features",
        "usage_signatures",
        "usage_backfill",
    ] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE account_id = ?1"),
            [account],
        )
        .map_err(db_error)?;
    }
    let mut read = 0u64;
    let mut after = 0i64;
    loop {
        let (delta, last, n) = rebuild_chunk(&tx, account, after)?;
        if n == 0 {
            break;
        }
        write(&tx, &delta)?;
        read += n;
        after = last;
    }
    // Buckets left without rows changed too.
    let version = next_version(&tx)?;
    tx.execute(
        "UPDATE usage_buckets SET version = ?2 WHERE account_id = ?1",
        params![account, version],
    )
    .map_err(db_error)?;
    tx.commit().map_err(db_error)?;
    Ok(read)
}

/// The delta of the account's next events after sequence number `after`.
fn rebuild_chunk(tx: &Transaction, account: Uuid, after: i64) -> StoreResult<(Delta, i64, u64)> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT seq, event_time, event_type_id, user_id, source, level, package, resource_kind,
                resource_id, resource_name, action, status, is_error, duration_ms, error_signature, error_message,
                session_id
             FROM events WHERE account_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .map_err(db_error)?;
    let mut rows = stmt
        .query(params![account, after, REBUILD_CHUNK])
        .map_err(db_error)?;
    let (mut delta, mut last, mut n) = (Delta::default(), after, 0u64);
    while let Some(r) = rows.next().map_err(db_error)? {
        let text = |i: usize| r.get::<_, Option<String>>(i).map_err(db_error);
        let (package, kind, id, name) = (text(6)?, text(7)?, text(8)?, text(9)?);
        let (source, level, action, status): (String, String, String, String) = (
            r.get(4).map_err(db_error)?,
            r.get(5).map_err(db_error)?,
            r.get(10).map_err(db_error)?,
            r.get(11).map_err(db_error)?,
        );
        let (signature, message) = (text(14)?, text(15)?);
        last = r.get(0).map_err(db_error)?;
        let fact = Fact {
            account,
            at: from_micros(r.get(1).map_err(db_error)?),
            type_id: r.get(2).map_err(db_error)?,
            user: r.get(3).map_err(db_error)?,
            source: &source,
            level: &level,
            package: package.as_deref(),
            kind: kind.as_deref(),
            resource_id: id.as_deref(),
            resource_name: name.as_deref(),
            outcome: Outcome::of(&action, &status, &level, r.get(12).map_err(db_error)?),
            duration_ms: r.get(13).map_err(db_error)?,
            error: signature.as_deref().zip(message.as_deref()),
            session: r.get(16).map_err(db_error)?,
        };
        delta.add(&fact);
        n += 1;
    }
    Ok((delta, last, n))
}

/// Accounts whose events were stored before the rollups existed.
pub fn pending_backfill(conn: &Connection) -> StoreResult<Vec<Uuid>> {
    let mut stmt = conn
        .prepare("SELECT account_id FROM usage_backfill")
        .map_err(db_error)?;
    let rows = stmt.query_map([], |r| r.get(0)).map_err(db_error)?;
    rows.collect::<Result<_, _>>().map_err(db_error)
}
