//! Event rows: written with binary COPY (by `append` and by the benchmark baseline,
//! so both pay the same encoding cost) and read back into `Event`s.

use std::collections::{BTreeMap, HashMap};

use bytes::{BufMut, Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures::SinkExt;
use tokio_postgres::types::{IsNull, Json, ToSql, Type};
use tokio_postgres::{CopyInSink, Row, Transaction};
use trail_core::changes::ChangedField;
use trail_core::{Actor, Changes, ErrorInfo, Event, EventType, NewEvent, ParamValue, Resource};
use trail_store::search::search_document;
use trail_store::{StoreError, StoreResult};
use uuid::Uuid;

use crate::error::{corrupt, db};

/// One `events` row: the event and what the store decided about it.
pub(crate) struct EventRow<'a> {
    pub account: Uuid,
    pub seq: i64,
    pub type_id: i64,
    pub user_id: Option<Uuid>,
    pub received_at: DateTime<Utc>,
    /// Stored instead of the event's own: the one the store joined it to.
    pub session_id: Option<Uuid>,
    pub event: &'a NewEvent,
}

/// One `event_parameter_values` row.
pub(crate) struct ValueRow<'a> {
    pub account: Uuid,
    pub event_id: Uuid,
    pub parameter_id: i64,
    pub value: &'a ParamValue,
    /// The value's data type when the parameter was declared with another.
    pub value_type: Option<&'static str>,
}

const EVENT_COLUMNS: &str = "account_id, id, seq, event_type_id, event_time, received_at, \
    session_id, user_id, actor_kind, actor_id, actor_name, actor_email, source, resource_kind, \
    resource_id, resource_name, package, action, status, level, duration_ms, ip, user_agent, \
    request_id, operation_id, description, is_error, error_message, error_stack_trace, \
    error_signature, changes_before, changes_after, changed_fields, content_digest, hash, search_text";

const EVENT_TYPES: &[Type] = &[
    Type::UUID,
    Type::UUID,
    Type::INT8,
    Type::INT8,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMPTZ,
    Type::UUID,
    Type::UUID,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::BOOL,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::JSON,
    Type::JSON,
    Type::JSONB,
    Type::BYTEA,
    Type::BYTEA,
    Type::TEXT,
];

const VALUE_COLUMNS: &str = "account_id, event_id, parameter_id, value, value_uuid, value_type";
const VALUE_TYPES: &[Type] = &[
    Type::UUID,
    Type::UUID,
    Type::INT8,
    Type::TEXT,
    Type::UUID,
    Type::TEXT,
];

/// COPYs event rows into `table` (`events`, or the benchmark's scratch copy), with
/// their hashes from `hashes`, in row order.
pub(crate) async fn copy_events(
    tx: &Transaction<'_>,
    table: &str,
    rows: &[EventRow<'_>],
    mut hashes: impl Iterator<Item = [u8; 32]>,
) -> StoreResult<()> {
    let sql = format!("COPY {table} ({EVENT_COLUMNS}) FROM STDIN (FORMAT binary)");
    let mut writer = CopyWriter::new(tx.copy_in(&sql).await.map_err(db)?, EVENT_TYPES);
    for row in rows {
        let hash = hashes
            .next()
            .ok_or_else(|| StoreError::Database("an event's hash was not computed".into()))?;
        write_event(&mut writer, row, &hash).await?;
    }
    writer.finish().await
}

async fn write_event(
    writer: &mut CopyWriter,
    r: &EventRow<'_>,
    hash: &[u8; 32],
) -> StoreResult<()> {
    let e = r.event;
    let resource = e.resource.as_ref();
    let duration = duration_column(e.duration_ms)?;
    let changes = e.changes.as_ref();
    let error = e.error.as_ref();
    let document = search_document(e);
    let values: [&(dyn ToSql + Sync); 36] = [
        &r.account,
        &e.id,
        &r.seq,
        &r.type_id,
        &e.occurred_at,
        &r.received_at,
        &r.session_id,
        &r.user_id,
        &e.actor.kind.as_str(),
        &e.actor.id,
        &e.actor.name,
        &e.actor.email,
        &e.source.as_str(),
        &resource.map(|x| x.kind.as_str()),
        &resource.and_then(|x| x.id.as_deref()),
        &resource.and_then(|x| x.name.as_deref()),
        &e.package,
        &e.action.as_str(),
        &e.status.as_str(),
        &e.level.as_str(),
        &duration,
        &e.ip,
        &e.user_agent,
        &e.request_id,
        &e.operation_id,
        &e.message,
        &error.is_some(),
        &error.map(|x| x.message.as_str()),
        &error.and_then(|x| x.stack_trace.as_deref()),
        &error.map(|x| x.signature.as_str()),
        &changes.map(|c| Json(&c.before)),
        &changes.map(|c| Json(&c.after)),
        &changes.map(|c| Json(&c.changed)),
        &e.content_digest.as_slice(),
        &hash.as_slice(),
        &document,
    ];
    writer.write(&values).await
}

/// `duration_ms` is a u64 in the event and a bigint in the table.
fn duration_column(ms: Option<u64>) -> StoreResult<Option<i64>> {
    ms.map(i64::try_from)
        .transpose()
        .map_err(|_| StoreError::Database("duration_ms is too large for a bigint".into()))
}

/// COPYs parameter values into `table`.
pub(crate) async fn copy_values<'a>(
    tx: &Transaction<'_>,
    table: &str,
    rows: impl IntoIterator<Item = ValueRow<'a>>,
) -> StoreResult<()> {
    let sql = format!("COPY {table} ({VALUE_COLUMNS}) FROM STDIN (FORMAT binary)");
    let mut writer = CopyWriter::new(tx.copy_in(&sql).await.map_err(db)?, VALUE_TYPES);
    for r in rows {
        let text = r.value.to_text();
        let values: [&(dyn ToSql + Sync); 6] = [
            &r.account,
            &r.event_id,
            &r.parameter_id,
            &text,
            &r.value.entity_id(),
            &r.value_type,
        ];
        writer.write(&values).await?;
    }
    writer.finish().await
}

/// How much encoded data `CopyWriter` gathers before sending it.
const COPY_CHUNK: usize = 64 * 1024;

/// Writes rows in PostgreSQL's binary COPY format, like tokio-postgres's
/// `BinaryCopyInWriter`, but in larger chunks: that one sends every 4 kB, and each
/// send waits for the connection task to take it, a thread hand-off per 8 rows.
struct CopyWriter {
    sink: std::pin::Pin<Box<CopyInSink<Bytes>>>,
    types: &'static [Type],
    buf: BytesMut,
}

impl CopyWriter {
    fn new(sink: CopyInSink<Bytes>, types: &'static [Type]) -> CopyWriter {
        let mut buf = BytesMut::with_capacity(COPY_CHUNK * 2);
        buf.put_slice(b"PGCOPY\n\xff\r\n\0"); // signature
        buf.put_i32(0); // flags
        buf.put_i32(0); // header extension length
        CopyWriter {
            sink: Box::pin(sink),
            types,
            buf,
        }
    }

    /// Appends a row: its field count, then each field's length (-1 for NULL) and value.
    async fn write(&mut self, values: &[&(dyn ToSql + Sync)]) -> StoreResult<()> {
        let count = i16::try_from(values.len()).map_err(encode_error)?;
        self.buf.put_i16(count);
        for (value, ty) in values.iter().zip(self.types) {
            let at = self.buf.len();
            self.buf.put_i32(0);
            let len = match value
                .to_sql_checked(ty, &mut self.buf)
                .map_err(encode_error)?
            {
                IsNull::Yes => -1,
                IsNull::No => i32::try_from(self.buf.len() - at - 4).map_err(encode_error)?,
            };
            self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
        }
        if self.buf.len() >= COPY_CHUNK {
            let chunk = self.buf.split().freeze();
            self.sink.send(chunk).await.map_err(db)?;
        }
        Ok(())
    }

    /// Sends the rest and the trailer, and waits for the server to take the rows.
    async fn finish(mut self) -> StoreResult<()> {
        self.buf.put_i16(-1);
        let rest = self.buf.split().freeze();
        self.sink.send(rest).await.map_err(db)?;
        self.sink.as_mut().finish().await.map_err(db)?;
        Ok(())
    }
}

fn encode_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("encoding a COPY row: {e}"))
}

/// The select list `event_from_row` reads; `e` is `events`, `t` its `event_types` row.
/// The columns of an event row, over `events e` joined to `event_types t`.
macro_rules! event_columns {
    () => {
        "e.account_id, e.id, e.seq, t.name AS type_name, \
    e.event_time, e.received_at, e.session_id, e.actor_kind, e.actor_id, e.actor_name, \
    e.actor_email, e.source, e.resource_kind, e.resource_id, e.resource_name, e.package, \
    e.action, e.status, e.level, e.duration_ms, e.ip, e.user_agent, e.request_id, \
    e.operation_id, e.description, e.error_message, e.error_stack_trace, e.error_signature, \
    e.changes_before, e.changes_after, e.changed_fields, e.content_digest, e.hash"
    };
}
pub(crate) const EVENT_SELECT_LIST: &str = event_columns!();
pub(crate) const SELECT_EVENTS: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events e JOIN event_types t ON t.account_id = e.account_id AND t.id = e.event_type_id"
);

/// The parameters of some events of an account, by event, each value typed by its
/// own type when it has one, else by the parameter's.
const SELECT_VALUES: &str =
    "SELECT v.event_id, p.name, coalesce(v.value_type, p.type) AS type, v.value \
    FROM event_parameter_values v \
    JOIN event_parameters p ON p.account_id = v.account_id AND p.id = v.parameter_id \
    WHERE v.account_id = $1 AND v.event_id = ANY($2)";

/// Reads the parameters of `events` (all of `account`) and completes them.
pub(crate) async fn with_params(
    client: &tokio_postgres::Client,
    account: Uuid,
    mut events: Vec<Event>,
) -> StoreResult<Vec<Event>> {
    if events.is_empty() {
        return Ok(events);
    }
    let ids: Vec<Uuid> = events.iter().map(|e| e.body.id).collect();
    let args: [(&(dyn ToSql + Sync), Type); 2] = [(&account, Type::UUID), (&ids, Type::UUID_ARRAY)];
    let rows = client.query_typed(SELECT_VALUES, &args).await.map_err(db)?;
    let mut params: HashMap<Uuid, BTreeMap<String, ParamValue>> = HashMap::new();
    for row in rows {
        let (event, name, data_type, text): (Uuid, String, String, String) = (
            get(&row, "event_id")?,
            get(&row, "name")?,
            get(&row, "type")?,
            get(&row, "value")?,
        );
        let value = ParamValue::from_stored(&data_type, &text).map_err(corrupt)?;
        params.entry(event).or_default().insert(name, value);
    }
    for e in &mut events {
        e.body.params = params.remove(&e.body.id).unwrap_or_default();
    }
    Ok(events)
}

/// An event from a `SELECT_EVENTS` row, without its parameters.
pub(crate) fn event_from_row(row: &Row) -> StoreResult<Event> {
    let body = NewEvent {
        id: get(row, "id")?,
        event_type: name(row, "type_name", EventType::parse)?,
        occurred_at: get(row, "event_time")?,
        actor: Actor {
            kind: parsed(row, "actor_kind")?,
            id: get(row, "actor_id")?,
            name: get(row, "actor_name")?,
            email: get(row, "actor_email")?,
        },
        session_id: get(row, "session_id")?,
        source: parsed(row, "source")?,
        resource: resource(row)?,
        package: get(row, "package")?,
        action: name(row, "action", trail_core::Action::parse)?,
        status: parsed(row, "status")?,
        level: parsed(row, "level")?,
        duration_ms: get::<Option<i64>>(row, "duration_ms")?
            .map(u64::try_from)
            .transpose()
            .map_err(|_| corrupt("negative duration_ms"))?,
        ip: get(row, "ip")?,
        user_agent: get(row, "user_agent")?,
        request_id: get(row, "request_id")?,
        operation_id: get(row, "operation_id")?,
        message: get(row, "description")?,
        params: BTreeMap::new(),
        changes: changes(row)?,
        error: error(row)?,
        content_digest: digest(row, "content_digest")?,
    };
    Ok(Event {
        account_id: get(row, "account_id")?,
        seq: get(row, "seq")?,
        received_at: get(row, "received_at")?,
        hash: digest(row, "hash")?,
        body,
    })
}

fn resource(row: &Row) -> StoreResult<Option<Resource>> {
    let Some(kind) = get::<Option<String>>(row, "resource_kind")? else {
        return Ok(None);
    };
    Ok(Some(Resource {
        kind: trail_core::ResourceKind::parse(&kind)
            .map_err(|e| corrupt(format!("resource_kind {kind:?}: {e}")))?,
        id: get(row, "resource_id")?,
        name: get(row, "resource_name")?,
    }))
}

fn changes(row: &Row) -> StoreResult<Option<Changes>> {
    let Some(before) = get(row, "changes_before")? else {
        return Ok(None);
    };
    let changed: Option<Json<Vec<ChangedField>>> = get(row, "changed_fields")?;
    Ok(Some(Changes {
        before,
        after: get::<Option<serde_json::Value>>(row, "changes_after")?.unwrap_or_default(),
        changed: changed.map(|c| c.0).unwrap_or_default(),
    }))
}

fn error(row: &Row) -> StoreResult<Option<ErrorInfo>> {
    let Some(message) = get(row, "error_message")? else {
        return Ok(None);
    };
    Ok(Some(ErrorInfo {
        message,
        stack_trace: get(row, "error_stack_trace")?,
        signature: get::<Option<String>>(row, "error_signature")?.unwrap_or_default(),
    }))
}

fn digest(row: &Row, column: &str) -> StoreResult<[u8; 32]> {
    let bytes: Vec<u8> = get(row, column)?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| corrupt(format!("{column} has {} bytes, not 32", b.len())))
}

/// A column, by name or position, or `Corrupt` naming it.
pub(crate) fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    column: impl tokio_postgres::row::RowIndex + std::fmt::Display,
) -> StoreResult<T> {
    row.try_get(&column)
        .map_err(|e| corrupt(format!("column {column}: {}", crate::error::chain(&e))))
}

/// A text column holding one of the event's word enums.
fn parsed<T: std::str::FromStr<Err = String>>(row: &Row, column: &str) -> StoreResult<T> {
    let text: String = get(row, column)?;
    text.parse()
        .map_err(|e| corrupt(format!("column {column}: {e}")))
}

/// A text column holding a validated name.
fn name<T, E: std::fmt::Display>(
    row: &Row,
    column: &str,
    parse: fn(&str) -> Result<T, E>,
) -> StoreResult<T> {
    let text: String = get(row, column)?;
    parse(&text).map_err(|e| corrupt(format!("column {column} {text:?}: {e}")))
}
