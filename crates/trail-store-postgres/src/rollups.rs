//! The usage rollups on PostgreSQL: adding a batch's [`Delta`] inside its
//! transaction, reading rollup rows, and rebuilding them from stored events.
//!
//! Each table takes the whole delta in one statement over `unnest`ed arrays, so
//! the round trips do not grow with the batch; the tables' statements are
//! pipelined.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, Transaction};
use futures::TryStreamExt;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use trail_core::rollup::{Cell, Delta, Fact, Grain, Measures, Outcome, Seen, Sketch};
use trail_store::rollups::{
    rollup_sql, whole_hours, Column, Gathered, RollupQuery, RollupRow, RollupTable, SeenRow,
    SeenTable,
};
use trail_store::{StoreError, StoreResult};
use uuid::Uuid;

use crate::append::query;
use crate::error::{corrupt, db};
use crate::events::{pg_args, refs, Dialect, Params};
use crate::rows::get;

/// Adds the delta to the rollup tables. The caller holds the row locks of the
/// delta's accounts, so no other transaction changes their rollups meanwhile.
pub(crate) async fn write(tx: &Transaction<'_>, delta: &Delta) -> StoreResult<()> {
    // Cells and errors store people by number, so they wait for the numbering.
    let tallied = async {
        let numbers = write_people(tx, delta).await?;
        futures::try_join!(
            write_cells(tx, delta, &numbers),
            write_errors(tx, delta, &numbers)
        )
    };
    futures::try_join!(
        tallied,
        write_durations(tx, delta),
        write_features(tx, delta),
        write_signatures(tx, delta),
        write_versions(tx, delta),
    )
    .map(drop)
}

/// Gives each bucket the delta changes a new version (see `usage_buckets`).
async fn write_versions(tx: &Transaction<'_>, delta: &Delta) -> StoreResult<()> {
    let buckets: Vec<_> = delta.buckets().into_iter().collect();
    let sql = "INSERT INTO usage_buckets (account_id, grain, bucket, version) \
        SELECT account_id, grain, bucket, nextval('usage_version') \
        FROM unnest($1::uuid[], $2::int2[], $3::timestamptz[]) AS b(account_id, grain, bucket) \
        ON CONFLICT (account_id, grain, bucket) DO UPDATE SET version = EXCLUDED.version";
    let params = vec![
        array(&buckets, |(account, ..)| *account),
        array(&buckets, |(_, grain, _)| grain.code()),
        array(&buckets, |(.., bucket)| *bucket),
    ];
    upsert(tx, buckets.len(), sql, params).await
}

/// The versions of the account's buckets of `grain` in `[from, to)`, by bucket.
pub(crate) async fn versions(
    client: &Client,
    account: Uuid,
    grain: Grain,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<(DateTime<Utc>, i64)>> {
    let sql = "SELECT bucket, version FROM usage_buckets \
        WHERE account_id = $1 AND grain = $2 AND bucket >= $3 AND bucket < $4 ORDER BY bucket";
    let statement = client.prepare_cached(sql).await.map_err(db)?;
    let rows = client
        .query(&statement, &[&account, &grain.code(), &from, &to])
        .await
        .map_err(db)?;
    rows.iter()
        .map(|r| Ok((get(r, "bucket")?, get(r, "version")?)))
        .collect()
}

/// One array parameter: `f` of each entry.
fn array<'a, E, T>(entries: &'a [E], f: impl Fn(&'a E) -> T) -> Box<dyn ToSql + Sync + Send + 'a>
where
    T: ToSql + Sync + Send + 'a,
{
    Box::new(entries.iter().map(f).collect::<Vec<T>>())
}

/// Runs a statement over array parameters, skipping it when they hold no rows.
async fn upsert(
    tx: &Transaction<'_>,
    rows: usize,
    sql: &str,
    params: Params<'_>,
) -> StoreResult<()> {
    if rows == 0 {
        return Ok(());
    }
    query(tx, sql, &refs(&params)).await.map(drop)
}

/// Columns, each with the type of its array parameter.
type Columns<'a> = &'a [(&'a str, &'a str)];

fn names(columns: Columns) -> String {
    let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
    names.join(", ")
}

/// `$1::type[], $2::type[], ...`: a parameter per column.
fn arrays(columns: Columns) -> String {
    let arrays: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, t))| format!("${}::{t}[]", i + 1))
        .collect();
    arrays.join(", ")
}

/// An upsert of rows given as arrays of the `key` columns, then of the
/// `values` ones; on a stored key it sets `update`, where `t` is the stored row.
fn upsert_sql(table: &str, key: Columns, values: Columns, update: &str) -> String {
    let columns: Vec<(&str, &str)> = key.iter().chain(values).copied().collect();
    format!(
        "INSERT INTO {table} AS t ({}) SELECT * FROM unnest({}) \
         ON CONFLICT ({}) DO UPDATE SET {update}",
        names(&columns),
        arrays(&columns),
        names(key)
    )
}

/// A rollup table whose rows the delta adds to.
struct Table {
    name: &'static str,
    key: Columns<'static>,
    /// The other columns, in the order of their parameters.
    values: Columns<'static>,
    /// How a stored row takes the delta's.
    update: &'static str,
}

impl Table {
    fn upsert_sql(&self) -> String {
        upsert_sql(self.name, self.key, self.values, self.update)
    }
}

const CELLS: Table = Table {
    name: "usage_cells",
    key: &[
        ("account_id", "uuid"),
        ("cuboid", "int2"),
        ("grain", "int2"),
        ("bucket", "timestamptz"),
        ("event_type_id", "int8"),
        ("package", "text"),
        ("resource_kind", "text"),
        ("function", "text"),
        ("source", "text"),
        ("level", "text"),
    ],
    values: &[
        ("events", "int8"),
        ("failures", "int8"),
        ("errors", "int8"),
        ("timed", "int8"),
        ("duration_sum", "int8"),
        ("duration_max", "int8"),
        ("people", "bytea"),
    ],
    update: "events = t.events + excluded.events, failures = t.failures + excluded.failures, \
        errors = t.errors + excluded.errors, timed = t.timed + excluded.timed, \
        duration_sum = t.duration_sum + excluded.duration_sum, \
        duration_max = GREATEST(t.duration_max, excluded.duration_max), people = excluded.people",
};

const DURATIONS: Table = Table {
    name: "usage_durations",
    key: &[
        ("account_id", "uuid"),
        ("grain", "int2"),
        ("bucket", "timestamptz"),
        ("event_type_id", "int8"),
        ("package", "text"),
        ("resource_kind", "text"),
        ("function", "text"),
    ],
    values: &[("sketch", "bytea")],
    update: "sketch = excluded.sketch",
};

const ERRORS: Table = Table {
    name: "usage_errors",
    key: &[
        ("account_id", "uuid"),
        ("grain", "int2"),
        ("bucket", "timestamptz"),
        ("signature", "text"),
        ("event_type_id", "int8"),
        ("package", "text"),
        ("resource_kind", "text"),
        ("function", "text"),
    ],
    values: &[
        ("occurrences", "int8"),
        ("people", "bytea"),
        ("sessions", "bytea"),
    ],
    update: "occurrences = t.occurrences + excluded.occurrences, people = excluded.people, \
        sessions = excluded.sessions",
};

/// The stored `column` of each of `len` keys, given as arrays of the table's
/// key columns (`params`); `None` for a key not stored yet.
async fn stored(
    tx: &Transaction<'_>,
    table: &Table,
    column: &str,
    params: &Params<'_>,
    len: usize,
) -> StoreResult<Vec<Option<Vec<u8>>>> {
    let mut out = vec![None; len];
    if len == 0 {
        return Ok(out);
    }
    // The ordinality says which key each stored value belongs to.
    let (name, key) = (table.name, names(table.key));
    let sql = format!(
        "SELECT k.n, t.{column} FROM unnest({}) WITH ORDINALITY AS k({key}, n) \
         JOIN {name} t USING ({key})",
        arrays(table.key)
    );
    for row in query(tx, &sql, &refs(params)).await? {
        let n: i64 = get(&row, "n")?;
        let slot = usize::try_from(n - 1)
            .ok()
            .and_then(|i| out.get_mut(i))
            .ok_or_else(|| corrupt(format!("no {name} key {n}")))?;
        *slot = Some(get(&row, column)?);
    }
    Ok(out)
}

/// Each person's number in the tallies, per (account, person).
type Numbers = HashMap<(Uuid, Uuid), u32>;

/// Records the people's first and last events and returns everyone's number.
/// New people are numbered after their account's highest number; one statement
/// does not see its own inserts, so it ranks the batch's new people itself. The
/// account's row lock (held by appends and rebuilds) keeps the highest current.
const PEOPLE: &str = "WITH k AS (
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::timestamptz[])
            AS k(account_id, user_id, first_seen, last_seen)),
    numbered AS (
        SELECT k.*, COALESCE(p.num, highest.num + row_number() OVER (
            PARTITION BY k.account_id, p.num IS NULL ORDER BY k.first_seen, k.user_id)) AS num
        FROM k LEFT JOIN usage_people p USING (account_id, user_id)
        CROSS JOIN LATERAL (SELECT COALESCE(MAX(num), 0) AS num FROM usage_people
            WHERE account_id = k.account_id) highest)
    INSERT INTO usage_people AS t (account_id, user_id, num, first_seen, last_seen)
    SELECT account_id, user_id, num, first_seen, last_seen FROM numbered
    ON CONFLICT (account_id, user_id) DO UPDATE SET
        first_seen = LEAST(t.first_seen, excluded.first_seen),
        last_seen = GREATEST(t.last_seen, excluded.last_seen)
    RETURNING account_id, user_id, num";

async fn write_people(tx: &Transaction<'_>, delta: &Delta) -> StoreResult<Numbers> {
    let e: Vec<_> = delta.people.iter().collect();
    if e.is_empty() {
        return Ok(Numbers::new());
    }
    let params = with_seen(
        vec![
            array(&e, |((account, _), _)| *account),
            array(&e, |((_, user), _)| *user),
        ],
        &e,
        false,
    );
    let rows = query(tx, PEOPLE, &refs(&params)).await?;
    rows.iter()
        .map(|r| {
            let num = u32::try_from(get::<i32>(r, "num")?).map_err(corrupt)?;
            Ok(((get(r, "account_id")?, get(r, "user_id")?), num))
        })
        .collect()
}

/// Adds cells that carry people to `table`: reads the stored tallies of their
/// keys (`params`, the key columns), adds each cell's people by number, and
/// upserts the keys with `values` (the other columns but the people) and the
/// merged tallies; for errors, the same with their sessions.
async fn write_tallied<'a>(
    tx: &Transaction<'_>,
    table: &Table,
    cells: &[(Uuid, &Cell)],
    numbers: &Numbers,
    mut params: Params<'a>,
    values: Params<'a>,
) -> StoreResult<()> {
    let stored_people = stored(tx, table, "people", &params, cells.len()).await?;
    let merged = |stored: Vec<Option<Vec<u8>>>, add: AddTo| {
        cells
            .iter()
            .zip(stored)
            .map(|(&(account, cell), bytes)| {
                add(cell, bytes.as_deref(), &|p| {
                    numbers.get(&(account, *p)).copied()
                })
                .map_err(StoreError::Corrupt)
            })
            .collect::<StoreResult<Vec<Vec<u8>>>>()
    };
    let people = merged(stored_people, |c, b, n| c.add_people_to(b, n))?;
    let sessions = if table.values.iter().any(|(c, _)| *c == "sessions") {
        let stored_sessions = stored(tx, table, "sessions", &params, cells.len()).await?;
        Some(merged(stored_sessions, |c, b, n| c.add_sessions_to(b, n))?)
    } else {
        None
    };
    params.extend(values);
    params.push(Box::new(people));
    if let Some(sessions) = sessions {
        params.push(Box::new(sessions));
    }
    upsert(tx, cells.len(), &table.upsert_sql(), params).await
}

/// Merges a cell's people or sessions into stored bytes, numbering people.
type AddTo = fn(&Cell, Option<&[u8]>, &dyn Fn(&Uuid) -> Option<u32>) -> Result<Vec<u8>, String>;

async fn write_cells(tx: &Transaction<'_>, delta: &Delta, numbers: &Numbers) -> StoreResult<()> {
    let e: Vec<_> = delta.cells.iter().collect();
    let key = vec![
        array(&e, |(k, _)| k.account),
        array(&e, |(k, _)| k.cuboid),
        array(&e, |(k, _)| k.grain.code()),
        array(&e, |(k, _)| k.bucket),
        array(&e, |(k, _)| k.type_id),
        array(&e, |(k, _)| k.package.as_str()),
        array(&e, |(k, _)| k.kind.as_str()),
        array(&e, |(k, _)| k.function.as_str()),
        array(&e, |(k, _)| k.source.as_str()),
        array(&e, |(k, _)| k.level.as_str()),
    ];
    let measure = |f: fn(&Measures) -> i64| array(&e, move |(_, c)| f(&c.measures));
    let values = vec![
        measure(|m| m.events),
        measure(|m| m.failures),
        measure(|m| m.errors),
        measure(|m| m.timed),
        measure(|m| m.duration_sum),
        measure(|m| m.duration_max),
    ];
    let cells: Vec<_> = e.iter().map(|(k, c)| (k.account, *c)).collect();
    write_tallied(tx, &CELLS, &cells, numbers, key, values).await
}

async fn write_errors(tx: &Transaction<'_>, delta: &Delta, numbers: &Numbers) -> StoreResult<()> {
    let e: Vec<_> = delta.errors.iter().collect();
    let key = vec![
        array(&e, |(k, _)| k.account),
        array(&e, |(k, _)| k.grain.code()),
        array(&e, |(k, _)| k.bucket),
        array(&e, |(k, _)| k.signature.as_str()),
        array(&e, |(k, _)| k.type_id),
        array(&e, |(k, _)| k.package.as_str()),
        array(&e, |(k, _)| k.kind.as_str()),
        array(&e, |(k, _)| k.function.as_str()),
    ];
    let occurrences = vec![array(&e, |(_, c)| c.measures.events)];
    let cells: Vec<_> = e.iter().map(|(k, c)| (k.account, *c)).collect();
    write_tallied(tx, &ERRORS, &cells, numbers, key, occurrences).await
}

/// Sketches merge in Rust: read the stored ones, add the delta's, write back.
async fn write_durations(tx: &Transaction<'_>, delta: &Delta) -> StoreResult<()> {
    let e: Vec<_> = delta.durations.iter().collect();
    let mut params = vec![
        array(&e, |(k, _)| k.account),
        array(&e, |(k, _)| k.grain.code()),
        array(&e, |(k, _)| k.bucket),
        array(&e, |(k, _)| k.type_id),
        array(&e, |(k, _)| k.package.as_str()),
        array(&e, |(k, _)| k.kind.as_str()),
        array(&e, |(k, _)| k.function.as_str()),
    ];
    let stored = stored(tx, &DURATIONS, "sketch", &params, e.len()).await?;
    let sketches = e
        .iter()
        .zip(stored)
        .map(|((_, sketch), bytes)| {
            let mut merged = match bytes {
                Some(bytes) => decode(&bytes)?,
                None => Sketch::default(),
            };
            merged.merge(sketch);
            Ok(merged.encode())
        })
        .collect::<StoreResult<Vec<Vec<u8>>>>()?;
    params.push(Box::new(sketches));
    upsert(tx, e.len(), &DURATIONS.upsert_sql(), params).await
}

fn decode(bytes: &[u8]) -> StoreResult<Sketch> {
    Sketch::decode(bytes).map_err(StoreError::Corrupt)
}

/// An upsert into a first-and-last-seen table, from arrays of the `key` columns
/// (name, type), then of first_seen, last_seen and the `label` column, if any.
/// First seen keeps the earliest, last seen (and its label) the latest.
fn seen_sql(table: &str, key: Columns, label: Option<&str>) -> String {
    let mut values = vec![("first_seen", "timestamptz"), ("last_seen", "timestamptz")];
    let mut update = "first_seen = LEAST(t.first_seen, excluded.first_seen), \
         last_seen = GREATEST(t.last_seen, excluded.last_seen)"
        .to_string();
    if let Some(label) = label {
        values.push((label, "text"));
        update += &format!(
            ", {label} = CASE WHEN excluded.last_seen >= t.last_seen \
             THEN excluded.{label} ELSE t.{label} END"
        );
    }
    upsert_sql(table, key, &values, &update)
}

/// `params` (the key columns) followed by first seen, last seen and, when
/// `labelled`, the label.
fn with_seen<'a, K>(mut params: Params<'a>, e: &'a [(&K, &Seen)], labelled: bool) -> Params<'a> {
    params.push(array(e, |(_, s)| s.first));
    params.push(array(e, |(_, s)| s.last));
    if labelled {
        params.push(array(e, |(_, s)| s.label.as_str()));
    }
    params
}

async fn write_features(tx: &Transaction<'_>, delta: &Delta) -> StoreResult<()> {
    let e: Vec<_> = delta.features.iter().collect();
    let sql = seen_sql(
        "usage_features",
        &[
            ("account_id", "uuid"),
            ("package", "text"),
            ("resource_kind", "text"),
            ("function", "text"),
        ],
        Some("label"),
    );
    let key = vec![
        array(&e, |((account, ..), _)| *account),
        array(&e, |((_, package, ..), _)| package.as_str()),
        array(&e, |((_, _, kind, _), _)| kind.as_str()),
        array(&e, |((.., function), _)| function.as_str()),
    ];
    upsert(tx, e.len(), &sql, with_seen(key, &e, true)).await
}

async fn write_signatures(tx: &Transaction<'_>, delta: &Delta) -> StoreResult<()> {
    let e: Vec<_> = delta.signatures.iter().collect();
    let sql = seen_sql(
        "usage_signatures",
        &[("account_id", "uuid"), ("signature", "text")],
        Some("message"),
    );
    let key = vec![
        array(&e, |((account, _), _)| *account),
        array(&e, |((_, signature), _)| signature.as_str()),
    ];
    upsert(tx, e.len(), &sql, with_seen(key, &e, true)).await
}

pub(crate) async fn rows(
    client: &Client,
    account: Uuid,
    q: &RollupQuery,
) -> StoreResult<Vec<RollupRow>> {
    let sql = rollup_sql(&Dialect, account, q).map_err(StoreError::Database)?;
    let args = pg_args(sql.args);
    // Streamed: each row is read as it arrives, not after all have.
    let stream = client.query_raw(&sql.text, refs(&args)).await.map_err(db)?;
    futures::pin_mut!(stream);
    let mut out = Gathered::default();
    while let Some(r) = stream.try_next().await.map_err(db)? {
        out.push(row(&r, q.table)?);
    }
    Ok(out.into_vec())
}

/// Reads a row of `rollup_sql`: bucket, the table's dimensions, its measures.
fn row(r: &Row, table: RollupTable) -> StoreResult<RollupRow> {
    let mut out = RollupRow {
        bucket: get(r, 0)?,
        ..RollupRow::default()
    };
    for (i, column) in table.columns().iter().enumerate() {
        let i = i + 1;
        match column {
            Column::Type => out.type_id = get(r, i)?,
            Column::Package => out.package = get::<&str>(r, i)?.into(),
            Column::Kind => out.kind = get::<&str>(r, i)?.into(),
            Column::Function => out.function = get::<&str>(r, i)?.into(),
            Column::Source => out.source = get::<&str>(r, i)?.into(),
            Column::Level => out.level = get::<&str>(r, i)?.into(),
            Column::Signature => out.signature = get::<&str>(r, i)?.into(),
        }
    }
    let i = table.columns().len() + 1;
    let int = |n: usize| get::<i64>(r, i + n);
    match table {
        RollupTable::Cells(_) => {
            out.measures = Measures {
                events: int(0)?,
                failures: int(1)?,
                errors: int(2)?,
                timed: int(3)?,
                duration_sum: int(4)?,
                duration_max: int(5)?,
            };
            out.people = tallies(r, i + 6)?;
        }
        RollupTable::Durations => {
            let sketch = decode(get(r, i)?)?;
            out.measures.timed = sketch.count() as i64;
            out.sketch = Some(Arc::new(sketch));
        }
        RollupTable::Errors => {
            out.measures.events = int(0)?;
            out.people = tallies(r, i + 1)?;
            out.sessions = tallies(r, i + 2)?;
        }
    }
    Ok(out)
}

/// The people's tallies as stored; none when the query left them out.
fn tallies(r: &Row, i: usize) -> StoreResult<Arc<[u8]>> {
    Ok(get::<Option<&[u8]>>(r, i)?
        .map(Arc::from)
        .unwrap_or_default())
}

pub(crate) async fn seen(
    client: &Client,
    account: Uuid,
    table: SeenTable,
) -> StoreResult<Vec<SeenRow>> {
    let sql = format!("{}$1", table.sql());
    let rows = client.query(&sql, &[&account]).await.map_err(db)?;
    rows.iter().map(|r| seen_row(r, table)).collect()
}

/// Reads a row of `SeenTable::sql`.
fn seen_row(r: &Row, table: SeenTable) -> StoreResult<SeenRow> {
    let mut out = SeenRow {
        first: get(r, "first_seen")?,
        last: get(r, "last_seen")?,
        ..SeenRow::default()
    };
    match table {
        SeenTable::People => {
            out.user = get(r, "user_id")?;
            out.number = u32::try_from(get::<i32>(r, "num")?).map_err(corrupt)?;
        }
        SeenTable::Features => {
            out.package = get(r, "package")?;
            out.kind = get(r, "resource_kind")?;
            out.function = get(r, "function")?;
            out.label = get(r, "label")?;
        }
        SeenTable::Signatures => {
            out.signature = get(r, "signature")?;
            out.label = get(r, "message")?;
        }
    }
    Ok(out)
}

pub(crate) async fn count_sessions(
    client: &Client,
    account: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    users: Option<&[Uuid]>,
) -> StoreResult<i64> {
    if users.is_none() && whole_hours(from, to) {
        // Kept per hour by a trigger (migration 0013).
        let sql = "SELECT coalesce(sum(sessions), 0)::bigint AS count FROM usage_session_starts \
            WHERE account_id = $1 AND hour >= $2 AND hour < $3";
        let row = client
            .query_one(sql, &[&account, &from, &to])
            .await
            .map_err(db)?;
        return get(&row, "count");
    }
    let sql = "SELECT count(*) FROM users_sessions WHERE account_id = $1 AND started >= $2 \
        AND started < $3 AND ($4::uuid[] IS NULL OR user_id = ANY($4))";
    let row = client
        .query_one(sql, &[&account, &from, &to, &users])
        .await
        .map_err(db)?;
    get(&row, "count")
}

/// How many stored events a rebuild reads at a time.
const REBUILD_CHUNK: i64 = 20_000;

/// The tables a rebuild empties: the rollups, and the account's backfill mark.
/// Not `usage_people`: people keep their numbers, so stored tallies keep meaning
/// the same people.
const ROLLUP_TABLES: [&str; 6] = [
    "usage_cells",
    "usage_durations",
    "usage_errors",
    "usage_features",
    "usage_signatures",
    "usage_backfill",
];

/// Replaces the account's rollups with ones computed from its events.
pub(crate) async fn rebuild(client: &mut Client, account: Uuid) -> StoreResult<u64> {
    let tx = client.transaction().await.map_err(db)?;
    // The lock appends take: none adds to the rollups while they are rebuilt.
    let lock = "SELECT id FROM accounts WHERE id = $1 FOR NO KEY UPDATE";
    query(&tx, lock, &[&account]).await?;
    for table in ROLLUP_TABLES {
        let sql = format!("DELETE FROM {table} WHERE account_id = $1");
        query(&tx, &sql, &[&account]).await?;
    }
    let chunk = "SELECT seq, event_time, event_type_id, user_id, source, level, package, \
            resource_kind, resource_id, resource_name, action, status, is_error, duration_ms, \
            error_signature, error_message, session_id \
        FROM events WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
    let (mut read, mut after) = (0u64, 0i64);
    loop {
        let rows = query(&tx, chunk, &[&account, &after, &REBUILD_CHUNK]).await?;
        let Some(last) = rows.last() else { break };
        after = get(last, "seq")?;
        let mut delta = Delta::default();
        for r in &rows {
            delta.add(&fact(account, r)?);
        }
        write(&tx, &delta).await?;
        read += rows.len() as u64;
    }
    // Buckets left without rows changed too.
    let bump = "UPDATE usage_buckets SET version = nextval('usage_version') WHERE account_id = $1";
    query(&tx, bump, &[&account]).await?;
    tx.commit().await.map_err(db)?;
    Ok(read)
}

/// A stored event as the rollups see it, as `Fact::of` sees the event sent.
fn fact(account: Uuid, r: &Row) -> StoreResult<Fact<'_>> {
    let level: &str = get(r, "level")?;
    let signature: Option<&str> = get(r, "error_signature")?;
    let message: Option<&str> = get(r, "error_message")?;
    Ok(Fact {
        account,
        at: get(r, "event_time")?,
        type_id: get(r, "event_type_id")?,
        user: get(r, "user_id")?,
        source: get(r, "source")?,
        level,
        package: get(r, "package")?,
        kind: get(r, "resource_kind")?,
        resource_id: get(r, "resource_id")?,
        resource_name: get(r, "resource_name")?,
        outcome: Outcome::of(
            get(r, "action")?,
            get(r, "status")?,
            level,
            get(r, "is_error")?,
        ),
        duration_ms: get(r, "duration_ms")?,
        error: signature.zip(message),
        session: get(r, "session_id")?,
    })
}

/// Accounts whose events were stored before the rollups existed.
pub(crate) async fn pending_backfill(client: &Client) -> StoreResult<Vec<Uuid>> {
    let rows = client
        .query("SELECT account_id FROM usage_backfill", &[])
        .await
        .map_err(db)?;
    rows.iter().map(|r| get(r, "account_id")).collect()
}
