//! The usage rollups on PostgreSQL: adding a batch's [`Delta`] inside its
//! transaction, reading rollup rows, and rebuilding them from stored events.
//!
//! Each table takes the whole delta in one statement over `unnest`ed arrays, so
//! the round trips do not grow with the batch; the tables' statements are
//! pipelined.

use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, Transaction};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use trail_core::rollup::{Delta, Fact, Measures, OperationKey, Seen, Sketch};
use trail_core::{Level, Status};
use trail_store::rollups::{
    error_sessions_sql, rollup_sql, Column, RollupQuery, RollupRow, RollupTable, SeenRow, SeenTable,
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
    futures::try_join!(
        write_cells(tx, delta),
        write_durations(tx, delta),
        write_errors(tx, delta),
        write_people(tx, delta),
        write_features(tx, delta),
        write_signatures(tx, delta),
    )
    .map(drop)
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

const CELLS: &str = "INSERT INTO usage_cells (account_id, cuboid, grain, bucket, user_id, event_type_id,
        package, resource_kind, function, source, level,
        events, failures, errors, timed, duration_sum, duration_max)
    SELECT * FROM unnest($1::uuid[], $2::int2[], $3::int2[], $4::timestamptz[], $5::uuid[], $6::int8[],
        $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
        $12::int8[], $13::int8[], $14::int8[], $15::int8[], $16::int8[], $17::int8[])
    ON CONFLICT (account_id, cuboid, grain, bucket, user_id, event_type_id, package, resource_kind,
        function, source, level)
    DO UPDATE SET events = usage_cells.events + excluded.events,
        failures = usage_cells.failures + excluded.failures,
        errors = usage_cells.errors + excluded.errors,
        timed = usage_cells.timed + excluded.timed,
        duration_sum = usage_cells.duration_sum + excluded.duration_sum,
        duration_max = GREATEST(usage_cells.duration_max, excluded.duration_max)";

async fn write_cells(tx: &Transaction<'_>, delta: &Delta) -> StoreResult<()> {
    let e: Vec<_> = delta.cells.iter().collect();
    let measure = |f: fn(&Measures) -> i64| array(&e, move |(_, m)| f(m));
    let params = vec![
        array(&e, |(k, _)| k.account),
        array(&e, |(k, _)| k.cuboid),
        array(&e, |(k, _)| k.grain.code()),
        array(&e, |(k, _)| k.bucket),
        array(&e, |(k, _)| k.user),
        array(&e, |(k, _)| k.type_id),
        array(&e, |(k, _)| k.package.as_str()),
        array(&e, |(k, _)| k.kind.as_str()),
        array(&e, |(k, _)| k.function.as_str()),
        array(&e, |(k, _)| k.source.as_str()),
        array(&e, |(k, _)| k.level.as_str()),
        measure(|m| m.events),
        measure(|m| m.failures),
        measure(|m| m.errors),
        measure(|m| m.timed),
        measure(|m| m.duration_sum),
        measure(|m| m.duration_max),
    ];
    upsert(tx, e.len(), CELLS, params).await
}

/// The key columns of `usage_durations`, as arrays for `unnest`.
const OPERATION_ARRAYS: &str =
    "$1::uuid[], $2::int2[], $3::timestamptz[], $4::int8[], $5::text[], $6::text[], $7::text[]";

fn operation_params<'a>(e: &'a [(&OperationKey, Sketch)]) -> Params<'a> {
    vec![
        array(e, |(k, _)| k.account),
        array(e, |(k, _)| k.grain.code()),
        array(e, |(k, _)| k.bucket),
        array(e, |(k, _)| k.type_id),
        array(e, |(k, _)| k.package.as_str()),
        array(e, |(k, _)| k.kind.as_str()),
        array(e, |(k, _)| k.function.as_str()),
    ]
}

/// Sketches merge in Rust: read the stored ones, add the delta's, write back.
async fn write_durations(tx: &Transaction<'_>, delta: &Delta) -> StoreResult<()> {
    let mut e: Vec<(&OperationKey, Sketch)> = delta
        .durations
        .iter()
        .map(|(k, s)| (k, s.clone()))
        .collect();
    if e.is_empty() {
        return Ok(());
    }
    // The ordinality says which key each stored sketch belongs to.
    let read = format!(
        "SELECT k.n, d.sketch FROM unnest({OPERATION_ARRAYS}) \
            WITH ORDINALITY AS k(account_id, grain, bucket, event_type_id, package, resource_kind, function, n) \
         JOIN usage_durations d USING (account_id, grain, bucket, event_type_id, package, resource_kind, function)"
    );
    let stored = query(tx, &read, &refs(&operation_params(&e))).await?;
    for row in &stored {
        let n: i64 = get(row, "n")?;
        let entry = usize::try_from(n - 1)
            .ok()
            .and_then(|i| e.get_mut(i))
            .ok_or_else(|| corrupt(format!("no duration key {n}")))?;
        entry.1.merge(&decode(get(row, "sketch")?)?);
    }
    let write = format!(
        "INSERT INTO usage_durations (account_id, grain, bucket, event_type_id, package, resource_kind, \
            function, sketch) \
         SELECT * FROM unnest({OPERATION_ARRAYS}, $8::bytea[]) \
         ON CONFLICT (account_id, grain, bucket, event_type_id, package, resource_kind, function) \
         DO UPDATE SET sketch = excluded.sketch"
    );
    let mut params = operation_params(&e);
    params.push(array(&e, |(_, s)| s.encode()));
    upsert(tx, e.len(), &write, params).await
}

fn decode(bytes: &[u8]) -> StoreResult<Sketch> {
    Sketch::decode(bytes).map_err(StoreError::Corrupt)
}

const ERRORS: &str =
    "INSERT INTO usage_errors (account_id, grain, bucket, signature, event_type_id,
        package, resource_kind, function, user_id, occurrences)
    SELECT * FROM unnest($1::uuid[], $2::int2[], $3::timestamptz[], $4::text[], $5::int8[],
        $6::text[], $7::text[], $8::text[], $9::uuid[], $10::int8[])
    ON CONFLICT (account_id, grain, bucket, signature, event_type_id, package, resource_kind,
        function, user_id)
    DO UPDATE SET occurrences = usage_errors.occurrences + excluded.occurrences";

async fn write_errors(tx: &Transaction<'_>, delta: &Delta) -> StoreResult<()> {
    let e: Vec<_> = delta.errors.iter().collect();
    let params = vec![
        array(&e, |(k, _)| k.account),
        array(&e, |(k, _)| k.grain.code()),
        array(&e, |(k, _)| k.bucket),
        array(&e, |(k, _)| k.signature.as_str()),
        array(&e, |(k, _)| k.type_id),
        array(&e, |(k, _)| k.package.as_str()),
        array(&e, |(k, _)| k.kind.as_str()),
        array(&e, |(k, _)| k.function.as_str()),
        array(&e, |(k, _)| k.user),
        array(&e, |(_, n)| **n),
    ];
    upsert(tx, e.len(), ERRORS, params).await
}

/// An upsert into a first-and-last-seen table, from arrays of the `key` columns
/// (name, type), then of first_seen, last_seen and the `label` column, if any.
/// First seen keeps the earliest, last seen (and its label) the latest.
fn seen_sql(table: &str, key: &[(&str, &str)], label: Option<&str>) -> String {
    let mut columns: Vec<&str> = key.iter().map(|(c, _)| *c).collect();
    let mut types: Vec<&str> = key.iter().map(|(_, t)| *t).collect();
    columns.extend(["first_seen", "last_seen"]);
    types.extend(["timestamptz", "timestamptz"]);
    let mut update = format!(
        "first_seen = LEAST({table}.first_seen, excluded.first_seen), \
         last_seen = GREATEST({table}.last_seen, excluded.last_seen)"
    );
    if let Some(label) = label {
        columns.push(label);
        types.push("text");
        update += &format!(
            ", {label} = CASE WHEN excluded.last_seen >= {table}.last_seen \
             THEN excluded.{label} ELSE {table}.{label} END"
        );
    }
    let arrays: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, t)| format!("${}::{t}[]", i + 1))
        .collect();
    let key: Vec<&str> = key.iter().map(|(c, _)| *c).collect();
    format!(
        "INSERT INTO {table} ({}) SELECT * FROM unnest({}) ON CONFLICT ({}) DO UPDATE SET {update}",
        columns.join(", "),
        arrays.join(", "),
        key.join(", ")
    )
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

async fn write_people(tx: &Transaction<'_>, delta: &Delta) -> StoreResult<()> {
    let e: Vec<_> = delta.people.iter().collect();
    let sql = seen_sql(
        "usage_people",
        &[("account_id", "uuid"), ("user_id", "uuid")],
        None,
    );
    let key = vec![
        array(&e, |((account, _), _)| *account),
        array(&e, |((_, user), _)| *user),
    ];
    upsert(tx, e.len(), &sql, with_seen(key, &e, false)).await
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
    let rows = client.query(&sql.text, &refs(&args)).await.map_err(db)?;
    rows.iter().map(|r| row(r, q.table)).collect()
}

pub(crate) async fn error_sessions(
    client: &Client,
    account: Uuid,
    signatures: &[String],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    users: Option<&[Uuid]>,
) -> StoreResult<Vec<(String, i64)>> {
    let sql = error_sessions_sql(&Dialect, account, signatures, from, to, users);
    let args = pg_args(sql.args);
    let rows = client.query(&sql.text, &refs(&args)).await.map_err(db)?;
    rows.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
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
            Column::User => out.user = get(r, i)?,
            Column::Type => out.type_id = get(r, i)?,
            Column::Package => out.package = get(r, i)?,
            Column::Kind => out.kind = get(r, i)?,
            Column::Function => out.function = get(r, i)?,
            Column::Source => out.source = get(r, i)?,
            Column::Level => out.level = get(r, i)?,
            Column::Signature => out.signature = get(r, i)?,
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
            }
        }
        RollupTable::Durations => {
            let sketch = decode(get(r, i)?)?;
            out.measures.timed = sketch.count() as i64;
            out.sketch = Some(sketch);
        }
        RollupTable::Errors => out.measures.events = int(0)?,
    }
    Ok(out)
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
        user: Uuid::nil(),
        package: String::new(),
        kind: String::new(),
        function: String::new(),
        signature: String::new(),
        label: String::new(),
        first: get(r, "first_seen")?,
        last: get(r, "last_seen")?,
    };
    match table {
        SeenTable::People => out.user = get(r, "user_id")?,
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
const ROLLUP_TABLES: [&str; 7] = [
    "usage_cells",
    "usage_durations",
    "usage_errors",
    "usage_people",
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
            error_signature, error_message \
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
        executed: get::<&str>(r, "action")? == "executed",
        failed: get::<&str>(r, "status")? == Status::Failed.as_str(),
        // The column says whether the event carried an error; `Fact::of` also
        // counts every event at level error.
        is_error: get::<bool>(r, "is_error")? || level == Level::Error.as_str(),
        duration_ms: get(r, "duration_ms")?,
        error: signature.zip(message),
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
