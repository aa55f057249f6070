//! Reading events back, the event-type catalogue, and the benchmark baseline.

use std::collections::HashMap;

use chrono::Utc;
use deadpool_postgres::Client;
use tokio_postgres::types::{ToSql, Type};
use trail_core::input::truncate_micros;
use trail_core::{Event, NewEvent};
use trail_store::search::{search_sql, Cursor, SearchPage, SearchRequest, SqlArg, TextIndex};
use trail_store::usage::{assemble, usage_sql, EntityUsage, UsageRequest};
use trail_store::{EventTypeRecord, ParameterRecord, StoreResult};
use uuid::Uuid;

use crate::error::{corrupt, db};
use crate::rows::{
    copy_events, copy_values, event_from_row, get, with_params, EventRow, ValueRow,
    EVENT_SELECT_LIST, SELECT_EVENTS,
};

pub(crate) async fn get_one(
    client: &Client,
    account: Uuid,
    id: Uuid,
) -> StoreResult<Option<Event>> {
    let sql = format!("{SELECT_EVENTS} WHERE e.account_id = $1 AND e.id = $2");
    let Some(row) = client.query_opt(&sql, &[&account, &id]).await.map_err(db)? else {
        return Ok(None);
    };
    let events = with_params(client, account, vec![event_from_row(&row)?]).await?;
    Ok(events.into_iter().next())
}

/// Newest first, older than `before_seq` when given.
pub(crate) async fn recent(
    client: &Client,
    account: Uuid,
    before_seq: Option<i64>,
    limit: u32,
) -> StoreResult<Vec<Event>> {
    let sql = format!(
        "{SELECT_EVENTS} WHERE e.account_id = $1 AND e.seq < $2 ORDER BY e.seq DESC LIMIT $3"
    );
    let before = before_seq.unwrap_or(i64::MAX);
    let rows = client
        .query(&sql, &[&account, &before, &i64::from(limit)])
        .await
        .map_err(db)?;
    let events = rows
        .iter()
        .map(event_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    with_params(client, account, events).await
}

pub(crate) struct Dialect;

impl trail_store::search::Dialect for Dialect {
    fn bytes_type(&self) -> &'static str {
        "bytea"
    }

    fn placeholder(&self, n: usize) -> String {
        format!("${n}")
    }

    fn ilike(&self) -> &'static str {
        "ILIKE"
    }

    fn bucket_number(&self, column: &str, seconds: i64) -> String {
        format!("CAST(floor(extract(epoch FROM {column}) / {seconds}) AS BIGINT)")
    }

    fn bytewise(&self, column: &str) -> String {
        format!("({column} COLLATE \"C\")")
    }

    fn text_index(&self) -> TextIndex {
        TextIndex::TrigramColumn
    }

    fn in_subquery(&self, column: &str, subquery: &str) -> String {
        format!("{column} = ANY(ARRAY({subquery}))")
    }
}

pub(crate) async fn usage(
    client: &Client,
    account: Uuid,
    req: &UsageRequest,
) -> StoreResult<EntityUsage> {
    let mut results = Vec::new();
    for sql in usage_sql(&Dialect, account, req) {
        let rows = client
            .query_typed(&sql.text, &typed(&sql.args))
            .await
            .map_err(db)?;
        let rows = rows
            .iter()
            .map(|r| {
                Ok((
                    get::<String>(r, "label")?,
                    get::<i64>(r, "n")?,
                    get::<i64>(r, "f")?,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        results.push(rows);
    }
    Ok(assemble(results, req.tz))
}

pub(crate) async fn search(
    client: &Client,
    account: Uuid,
    req: &SearchRequest,
) -> StoreResult<SearchPage> {
    let sql = search_sql(&Dialect, account, req);
    // The page is chosen from `events` alone and joined to its types afterwards:
    // with the join inside, the planner misjudges how many rows match (it takes
    // the two join keys as independent) and sorts all matches instead of reading
    // the newest first.
    let text = format!(
        "SELECT {EVENT_SELECT_LIST} FROM (SELECT * FROM events e {}) e \
         JOIN event_types t ON t.account_id = e.account_id AND t.id = e.event_type_id \
         ORDER BY e.event_time DESC, e.seq DESC",
        sql.text
    );
    let rows = client
        .query_typed(&text, &typed(&sql.args))
        .await
        .map_err(db)?;
    let events = rows
        .iter()
        .map(event_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let events = match req.params {
        true => with_params(client, account, events).await?,
        false => events,
    };
    let next = (events.len() == req.limit as usize)
        .then(|| events.last().map(Cursor::of))
        .flatten();
    Ok(SearchPage { events, next })
}

/// Statement parameters of any type, owned or borrowed.
pub(crate) type Params<'a> = Vec<Box<dyn ToSql + Sync + Send + 'a>>;

/// The arguments of a shared SQL text (`trail_store::search::Sql`) as parameters.
pub(crate) fn pg_args(args: Vec<SqlArg>) -> Params<'static> {
    args.into_iter()
        .map(|a| -> Box<dyn ToSql + Sync + Send> {
            match a {
                SqlArg::Text(s) => Box::new(s),
                SqlArg::Int(i) => Box::new(i),
                SqlArg::Uuid(u) => Box::new(u),
                SqlArg::Time(t) => Box::new(t),
            }
        })
        .collect()
}

/// The arguments of a shared SQL text with their types: the driver then
/// sends the statement, its arguments and the request for rows at once,
/// where an untyped statement costs a round trip more to learn the types.
/// (A search's text varies with its filter, so it is not kept prepared.)
pub(crate) fn typed(args: &[SqlArg]) -> Vec<(&(dyn ToSql + Sync), Type)> {
    args.iter()
        .map(|a| -> (&(dyn ToSql + Sync), Type) {
            match a {
                SqlArg::Text(s) => (s, Type::TEXT),
                SqlArg::Int(i) => (i, Type::INT8),
                SqlArg::Uuid(u) => (u, Type::UUID),
                SqlArg::Time(t) => (t, Type::TIMESTAMPTZ),
            }
        })
        .collect()
}

/// The parameters as the driver takes them.
pub(crate) fn refs<'r>(
    params: &'r [Box<dyn ToSql + Sync + Send + '_>],
) -> Vec<&'r (dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

pub(crate) async fn count(client: &Client, account: Uuid) -> StoreResult<u64> {
    let row = client
        .query_one(
            "SELECT count(*) FROM events WHERE account_id = $1",
            &[&account],
        )
        .await
        .map_err(db)?;
    let n: i64 = get(&row, "count")?;
    u64::try_from(n).map_err(|_| corrupt("negative count"))
}

/// Every type of the account by id, each with its parameters by name (byte order,
/// whatever the database's collation).
pub(crate) async fn types(client: &Client, account: Uuid) -> StoreResult<Vec<EventTypeRecord>> {
    let sql = "SELECT id, name, resource_kind, action, level, builtin FROM event_types WHERE account_id = $1 ORDER BY id";
    let type_rows = client.query(sql, &[&account]).await.map_err(db)?;
    let sql = "SELECT id, event_type_id, name, type FROM event_parameters WHERE account_id = $1 \
        ORDER BY event_type_id, name COLLATE \"C\"";
    let mut params: HashMap<i64, Vec<ParameterRecord>> = HashMap::new();
    for r in client.query(sql, &[&account]).await.map_err(db)? {
        let p = ParameterRecord {
            id: get(&r, "id")?,
            name: get(&r, "name")?,
            data_type: get(&r, "type")?,
        };
        params.entry(get(&r, "event_type_id")?).or_default().push(p);
    }
    type_rows
        .iter()
        .map(|r| {
            let id: i64 = get(r, "id")?;
            Ok(EventTypeRecord {
                id,
                name: get(r, "name")?,
                resource_kind: get(r, "resource_kind")?,
                action: get(r, "action")?,
                level: get(r, "level")?,
                builtin: get(r, "builtin")?,
                parameters: params.remove(&id).unwrap_or_default(),
            })
        })
        .collect()
}

/// The account the baseline's rows are written under.
const BENCH_ACCOUNT: Uuid = Uuid::from_u128(0x7472_6169_6c00_0000_0000_0000_0000_0001);

/// The benchmark baseline: the same event and value rows `append` writes, COPYed into
/// the scratch tables and nothing else (no dedup, ids, sessions or hashes).
pub(crate) async fn raw_bulk_load(client: &mut Client, events: &[NewEvent]) -> StoreResult<()> {
    let tx = client.transaction().await.map_err(db)?;
    tx.batch_execute("TRUNCATE bench_raw_events, bench_raw_parameter_values")
        .await
        .map_err(db)?;
    let received_at = truncate_micros(Utc::now());
    let rows: Vec<EventRow> = events
        .iter()
        .zip(1..)
        .map(|(event, seq)| EventRow {
            account: BENCH_ACCOUNT,
            seq,
            type_id: 0,
            user_id: None,
            received_at,
            session_id: None,
            event,
        })
        .collect();
    copy_events(&tx, "bench_raw_events", &rows, std::iter::repeat([0; 32])).await?;
    let mut parameter_ids: HashMap<&str, i64> = HashMap::new();
    let mut values = Vec::new();
    for event in events {
        for (name, value) in &event.params {
            let next = i64::try_from(parameter_ids.len()).unwrap_or(i64::MAX);
            let parameter_id = *parameter_ids.entry(name.as_str()).or_insert(next);
            values.push(ValueRow {
                account: BENCH_ACCOUNT,
                event_id: event.id,
                parameter_id,
                value,
                value_type: None,
            });
        }
    }
    copy_values(&tx, "bench_raw_parameter_values", values).await?;
    tx.commit().await.map_err(db)
}
