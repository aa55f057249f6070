//! Reading events and event types back.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension, Row};
use trail_core::query::{Condition, Filter};
use trail_core::{
    Actor, Changes, ErrorInfo, Event, EventType, NewEvent, ParamValue, Resource, ResourceKind,
};
use trail_store::search::{
    search_sql_with, window_first, Cursor, SearchPage, SearchRequest, SqlArg, Strategy, TextIndex,
};
use trail_store::usage::{assemble, usage_sql, EntityUsage, UsageRequest};
use trail_store::{EventTypeRecord, ParameterRecord, StoreError, StoreResult};
use uuid::Uuid;

use crate::codec::{db_error, from_micros, parse_col};

const COLUMNS: &str = "e.account_id, e.seq, e.received_at, e.hash, e.id, t.name, e.event_time, e.actor_kind,
    e.actor_id, e.actor_name, e.actor_email, e.session_id, e.source, e.resource_kind, e.resource_id, e.resource_name,
    e.package, e.action, e.status, e.level, e.duration_ms, e.ip, e.user_agent, e.request_id, e.operation_id,
    e.description, e.error_message, e.error_stack_trace, e.error_signature, e.changes_before, e.changes_after,
    e.changed_fields, e.content_digest";
const FROM: &str = "FROM events e JOIN event_types t ON t.id = e.event_type_id";
/// [`FROM`], reading the events of named resources by their own index
/// (account, kind, id, time). Without statistics SQLite reads a resource's
/// events through the time index instead, and a common one (40,600 of 10M
/// events) then costs a walk through 100,000 others per page: 90–135 ms
/// where its own index takes 3 ms.
const FROM_BY_RESOURCE: &str =
    "FROM events e INDEXED BY events_by_resource JOIN event_types t ON t.id = e.event_type_id";

/// Whether a search asks for resources by kind and id (the entity pages, a
/// resource's history), which [`FROM_BY_RESOURCE`] reads best.
fn names_resources(filter: &Filter) -> bool {
    let asks = |wanted: fn(&Condition) -> bool| {
        filter
            .terms
            .iter()
            .any(|t| !t.negated && wanted(&t.condition))
    };
    asks(|c| matches!(c, Condition::Kind(_))) && asks(|c| matches!(c, Condition::ResourceId(_)))
}

/// [`FROM`], reading events in time order only.
const FROM_BY_TIME: &str =
    "FROM events e INDEXED BY events_by_time JOIN event_types t ON t.id = e.event_type_id";

/// The columns of one event row, before the text columns are parsed.
struct RawEvent {
    event: Event,
    kinds: [String; 5],
    resource: (Option<String>, Option<String>, Option<String>),
    changes: [Option<String>; 3],
    error: [Option<String>; 3],
}

fn raw(r: &Row) -> rusqlite::Result<RawEvent> {
    let hash: Vec<u8> = r.get(3)?;
    let digest: Vec<u8> = r.get(32)?;
    let placeholder = Actor {
        kind: trail_core::ActorKind::System,
        id: r.get(8)?,
        name: r.get(9)?,
        email: r.get(10)?,
    };
    let body = NewEvent {
        id: r.get(4)?,
        event_type: EventType::parse("log").expect("valid"),
        occurred_at: from_micros(r.get(6)?),
        actor: placeholder,
        session_id: r.get(11)?,
        source: trail_core::Source::Server,
        resource: None,
        package: r.get(16)?,
        action: trail_core::Action::parse("logged").expect("valid"),
        status: trail_core::Status::Success,
        level: trail_core::Level::Info,
        duration_ms: r.get::<_, Option<i64>>(20)?.map(|d| d as u64),
        ip: r.get(21)?,
        user_agent: r.get(22)?,
        request_id: r.get(23)?,
        operation_id: r.get(24)?,
        message: r.get(25)?,
        params: BTreeMap::new(),
        changes: None,
        error: None,
        content_digest: digest.try_into().unwrap_or([0; 32]),
    };
    Ok(RawEvent {
        event: Event {
            account_id: r.get(0)?,
            seq: r.get(1)?,
            received_at: from_micros(r.get(2)?),
            hash: hash.try_into().unwrap_or([0; 32]),
            body,
        },
        kinds: [r.get(5)?, r.get(7)?, r.get(12)?, r.get(17)?, r.get(18)?],
        resource: (r.get(13)?, r.get(14)?, r.get(15)?),
        changes: [r.get(29)?, r.get(30)?, r.get(31)?],
        error: [r.get(26)?, r.get(27)?, r.get(28)?],
    })
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn json(text: &str) -> StoreResult<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| corrupt("changes", e))
}

/// Parses the text columns into domain values.
fn finish(raw: RawEvent, level: String) -> StoreResult<Event> {
    let RawEvent {
        mut event,
        kinds,
        resource,
        changes,
        error,
    } = raw;
    let [type_name, actor_kind, source, action, status] = kinds;
    let b = &mut event.body;
    b.event_type = EventType::parse(&type_name).map_err(|e| corrupt("type", e))?;
    b.actor.kind = parse_col(&actor_kind)?;
    b.source = parse_col(&source)?;
    b.action = trail_core::Action::parse(&action).map_err(|e| corrupt("action", e))?;
    b.status = parse_col(&status)?;
    b.level = parse_col(&level)?;
    if let (Some(kind), id, name) = resource {
        b.resource = Some(Resource {
            kind: ResourceKind::parse(&kind).map_err(|e| corrupt("resource_kind", e))?,
            id,
            name,
        });
    }
    if let [Some(before), Some(after), Some(changed)] = changes {
        let changed = serde_json::from_str(&changed).map_err(|e| corrupt("changed_fields", e))?;
        b.changes = Some(Changes {
            before: json(&before)?,
            after: json(&after)?,
            changed,
        });
    }
    if let [Some(message), stack_trace, Some(signature)] = error {
        b.error = Some(ErrorInfo {
            message,
            stack_trace,
            signature,
        });
    }
    Ok(event)
}

fn load_params(conn: &Connection, event: &mut Event) -> StoreResult<()> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT p.name, coalesce(v.value_type, p.type), v.value FROM event_parameter_values v
             JOIN event_parameters p ON p.id = v.parameter_id
             WHERE v.account_id = ?1 AND v.event_id = ?2",
        )
        .map_err(db_error)?;
    let rows = stmt
        .query_map(params![event.account_id, event.body.id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(db_error)?;
    for row in rows {
        let (name, data_type, text) = row.map_err(db_error)?;
        let value = ParamValue::from_stored(&data_type, &text).map_err(StoreError::Corrupt)?;
        event.body.params.insert(name, value);
    }
    Ok(())
}

fn query(
    conn: &Connection,
    where_sql: &str,
    args: impl rusqlite::Params,
) -> StoreResult<Vec<Event>> {
    query_from(conn, FROM, where_sql, args, true)
}

fn query_from(
    conn: &Connection,
    from: &str,
    where_sql: &str,
    args: impl rusqlite::Params,
    params: bool,
) -> StoreResult<Vec<Event>> {
    let sql = format!("SELECT {COLUMNS} {from} {where_sql}");
    let mut stmt = conn.prepare_cached(&sql).map_err(db_error)?;
    let rows = stmt
        .query_map(args, |r| Ok((raw(r)?, r.get::<_, String>(19)?)))
        .map_err(db_error)?;
    let mut out = Vec::new();
    for row in rows {
        let (raw, level) = row.map_err(db_error)?;
        let mut event = finish(raw, level)?;
        if params {
            load_params(conn, &mut event)?;
        }
        out.push(event);
    }
    Ok(out)
}

pub fn get(conn: &Connection, account: Uuid, id: Uuid) -> StoreResult<Option<Event>> {
    Ok(query(
        conn,
        "WHERE e.account_id = ?1 AND e.id = ?2",
        params![account, id],
    )?
    .pop())
}

pub fn recent(
    conn: &Connection,
    account: Uuid,
    before_seq: Option<i64>,
    limit: u32,
) -> StoreResult<Vec<Event>> {
    query(
        conn,
        "WHERE e.account_id = ?1 AND e.seq < ?2 ORDER BY e.seq DESC LIMIT ?3",
        params![account, before_seq.unwrap_or(i64::MAX), limit],
    )
}

pub(crate) struct Dialect;

impl trail_store::search::Dialect for Dialect {
    fn bytes_type(&self) -> &'static str {
        "BLOB"
    }

    fn placeholder(&self, n: usize) -> String {
        format!("?{n}")
    }

    fn ilike(&self) -> &'static str {
        // SQLite's LIKE ignores ASCII case.
        "LIKE"
    }

    fn bucket_number(&self, column: &str, seconds: i64) -> String {
        format!("({column} / {})", seconds * 1_000_000)
    }

    fn bytewise(&self, column: &str) -> String {
        // SQLite's default collation is BINARY.
        column.to_string()
    }

    fn text_index(&self) -> TextIndex {
        TextIndex::Fts5Trigram
    }
}

fn entity_usage(
    conn: &Connection,
    statements: Vec<trail_store::search::Sql>,
    tz: trail_store::usage::Tz,
) -> StoreResult<EntityUsage> {
    let mut results = Vec::new();
    for sql in statements {
        let args: Vec<rusqlite::types::Value> = sql.args.into_iter().map(sqlite_value).collect();
        let mut stmt = conn.prepare_cached(&sql.text).map_err(db_error)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(db_error)?;
        results.push(rows.collect::<Result<Vec<_>, _>>().map_err(db_error)?);
    }
    Ok(assemble(results, tz))
}

pub fn usage(conn: &Connection, account: Uuid, req: &UsageRequest) -> StoreResult<EntityUsage> {
    entity_usage(conn, usage_sql(&Dialect, account, req), req.tz)
}

/// How many of the newest events a free-text search reads in order before it
/// turns to the text index.
const SCAN_WINDOW: i64 = 4000;

/// One page of a search. Free text found through the trigram index costs the same
/// however common the text is (every match is collected, then sorted), while
/// common text is found at once by reading the newest events in order. So such a
/// page first reads a window of the newest events, and asks the index only for
/// what it still lacks, older than the window: both steps are bounded, by the
/// window and by the number of matches.
pub fn search(conn: &Connection, account: Uuid, req: &SearchRequest) -> StoreResult<SearchPage> {
    let events = if !window_first(&Dialect, &req.filter) {
        run_search(conn, account, req, Strategy::default())?
    } else {
        match window_floor(conn, account, req.after)? {
            None => run_search(
                conn,
                account,
                req,
                Strategy {
                    floor: None,
                    scan_text: true,
                },
            )?,
            Some(floor) => {
                let window = Strategy {
                    floor: Some(floor),
                    scan_text: true,
                };
                let mut events = run_search(conn, account, req, window)?;
                let missing = req.limit.saturating_sub(events.len() as u32);
                if missing > 0 {
                    let older = SearchRequest {
                        filter: req.filter.clone(),
                        after: Some(floor),
                        limit: missing,
                        params: req.params,
                    };
                    events.extend(run_search(conn, account, &older, Strategy::default())?);
                }
                events
            }
        }
    };
    let next = (events.len() == req.limit as usize)
        .then(|| events.last().map(Cursor::of))
        .flatten();
    Ok(SearchPage { events, next })
}

fn run_search(
    conn: &Connection,
    account: Uuid,
    req: &SearchRequest,
    strategy: Strategy,
) -> StoreResult<Vec<Event>> {
    let sql = search_sql_with(&Dialect, account, req, strategy);
    let args: Vec<rusqlite::types::Value> = sql.args.into_iter().map(sqlite_value).collect();
    let from = if strategy.scan_text {
        FROM_BY_TIME
    } else if names_resources(&req.filter) {
        FROM_BY_RESOURCE
    } else {
        FROM
    };
    let args = rusqlite::params_from_iter(args);
    query_from(conn, from, &sql.text, args, req.params)
}

/// The oldest position of the window of [`SCAN_WINDOW`] events before `after`,
/// or `None` when fewer events remain.
fn window_floor(
    conn: &Connection,
    account: Uuid,
    after: Option<Cursor>,
) -> StoreResult<Option<Cursor>> {
    let (time, seq) = after.map_or((i64::MAX, i64::MAX), |c| (c.time.timestamp_micros(), c.seq));
    conn.prepare_cached(
        "SELECT event_time, seq FROM events INDEXED BY events_by_time
         WHERE account_id = ?1 AND (event_time, seq) < (?2, ?3)
         ORDER BY event_time DESC, seq DESC LIMIT 1 OFFSET ?4",
    )
    .map_err(db_error)?
    .query_row(params![account, time, seq, SCAN_WINDOW - 1], |r| {
        Ok(Cursor {
            time: crate::codec::from_micros(r.get(0)?),
            seq: r.get(1)?,
        })
    })
    .optional()
    .map_err(db_error)
}

pub(crate) fn sqlite_value(a: SqlArg) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match a {
        SqlArg::Text(s) => Value::Text(s),
        SqlArg::Int(i) => Value::Integer(i),
        SqlArg::Uuid(u) => Value::Blob(u.as_bytes().to_vec()),
        SqlArg::Time(t) => Value::Integer(t.timestamp_micros()),
    }
}

pub fn types(conn: &Connection, account: Uuid) -> StoreResult<Vec<EventTypeRecord>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, name, resource_kind, action, level, builtin FROM event_types WHERE account_id = ?1 ORDER BY id",
        )
        .map_err(db_error)?;
    let rows = stmt
        .query_map([account], |r| {
            Ok(EventTypeRecord {
                id: r.get(0)?,
                name: r.get(1)?,
                resource_kind: r.get(2)?,
                action: r.get(3)?,
                level: r.get(4)?,
                builtin: r.get(5)?,
                parameters: Vec::new(),
            })
        })
        .map_err(db_error)?;
    let mut types: Vec<EventTypeRecord> = rows.collect::<Result<_, _>>().map_err(db_error)?;
    let mut params = conn
        .prepare_cached("SELECT id, name, type FROM event_parameters WHERE account_id = ?1 AND event_type_id = ?2 ORDER BY name")
        .map_err(db_error)?;
    for t in &mut types {
        let rows = params
            .query_map(params![account, t.id], |r| {
                Ok(ParameterRecord {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    data_type: r.get(2)?,
                })
            })
            .map_err(db_error)?;
        t.parameters = rows.collect::<Result<_, _>>().map_err(db_error)?;
    }
    Ok(types)
}
