//! Ingesting events and reading them back.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use chrono::Utc;
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;
use trail_core::api::{ErrorBody, EventPage, EventView, IngestResponse, IngestedEvent};
use trail_core::credentials::Scope;
use trail_core::input::truncate_micros;
use trail_core::query::{Condition, Filter, Query as TrailQuery, Viewer};
use trail_core::{EventInput, FieldError, InputContext, NewEvent, Source};
use trail_store::search::{Cursor, SearchRequest};
use trail_store::{AppendOutcome, AppendRequest, EventTypeRecord};

use super::body::read_limited;
use super::parse_id;
use crate::access;
use crate::auth::{Caller, Via};
use crate::error::ApiError;
use crate::AppState;

/// Store events: one JSON object, a JSON array, or NDJSON (one object per line).
///
/// The batch is validated as a whole first: if any item is invalid, nothing is
/// stored and every invalid item is listed with its index, field and reason. The
/// answer comes after the events are committed; they are then readable at once.
#[utoipa::path(post, path = "/api/v1/events", tag = "events",
    request_body(content = Vec<EventInput>, description = "An event, an array of events, or NDJSON (application/x-ndjson)"),
    responses(
        (status = 201, description = "Committed", body = IngestResponse),
        (status = 200, description = "Every event was already stored (retries)", body = IngestResponse),
        (status = 400, description = "Malformed body or invalid events; nothing stored", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "An id is already stored with other content; nothing stored", body = ErrorBody),
        (status = 413, description = "Body or batch too large", body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn ingest(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<IngestResponse>), ApiError> {
    caller.require_write()?;
    if let Via::Key(key) = &caller.via {
        if key.scope == Scope::Ingest {
            state.limits.ingest_key.check((key.id, peer.ip()))?;
        }
    }
    let body = read_limited(&headers, body, state.config.max_body_bytes).await?;
    let items = split_items(&headers, &body, state.config.max_batch_events)?;
    let redactor = state
        .settings
        .redactor(state.store.as_ref(), caller.account())
        .await?;
    let ctx = InputContext {
        now: truncate_micros(Utc::now()),
        default_actor: caller.actor(),
        default_source: Source::Server,
        peer_ip: Some(peer.ip()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        limits: state.config.limits,
        redactor,
    };
    let events = parse_all(&ctx, items)?;
    check_sessions(&state, &caller, &events).await?;
    let (events, dropped) = state
        .logging
        .admit(state.store.as_ref(), caller.account(), events)
        .await?;
    if events.is_empty() {
        let nothing = IngestResponse {
            accepted: 0,
            duplicates: 0,
            events: Vec::new(),
            dropped,
        };
        return Ok((StatusCode::OK, Json(nothing)));
    }
    let outcome = state
        .ingestor
        .submit(AppendRequest {
            account: caller.account(),
            events,
        })
        .await?;
    match outcome {
        AppendOutcome::Stored(items) => {
            let duplicates = items.iter().filter(|a| a.duplicate).count();
            let events: Vec<IngestedEvent> =
                items.iter().map(|a| IngestedEvent { id: a.id, seq: a.seq, duplicate: a.duplicate }).collect();
            let accepted = events.len() - duplicates;
            let status = if accepted == 0 { StatusCode::OK } else { StatusCode::CREATED };
            Ok((status, Json(IngestResponse { accepted, duplicates, events, dropped })))
        }
        AppendOutcome::Conflict(ids) => Err(ApiError::Conflict {
            message: format!(
                "{} event id(s) are already stored with different content; nothing of this request was stored",
                ids.len()
            ),
            ids,
        }),
    }
}

/// The body's items as JSON text, before they are parsed as events.
fn split_items<'a>(
    headers: &HeaderMap,
    body: &'a [u8],
    max_batch: usize,
) -> Result<Vec<&'a str>, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let text = std::str::from_utf8(body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not UTF-8: {e}")))?;
    let items = match media.as_str() {
        // curl sends form encoding unless told otherwise; the body is still JSON.
        "application/json" | "text/plain" | "application/x-www-form-urlencoded" | "" => {
            json_items(text)?
        }
        "application/x-ndjson" | "application/jsonl" | "application/ndjson" => {
            text.lines().filter(|l| !l.trim().is_empty()).collect()
        }
        other => {
            return Err(ApiError::UnsupportedMediaType(format!(
            "content type {other:?} is not accepted; send application/json or application/x-ndjson"
        )))
        }
    };
    if items.is_empty() {
        return Err(ApiError::BadRequest("the body holds no events".into()));
    }
    if items.len() > max_batch {
        return Err(ApiError::PayloadTooLarge(format!(
            "a request may hold at most {max_batch} events, this one holds {}",
            items.len()
        )));
    }
    Ok(items)
}

/// One object, or an array of items (each kept as text, parsed later on its own).
fn json_items(text: &str) -> Result<Vec<&str>, ApiError> {
    let not_json =
        |e: serde_json::Error| ApiError::BadRequest(format!("the body is not valid JSON: {e}"));
    match text.trim_start().as_bytes().first() {
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(not_json)?;
            Ok(items.into_iter().map(RawValue::get).collect())
        }
        Some(b'{') => {
            let item: &RawValue = serde_json::from_str(text).map_err(not_json)?;
            Ok(vec![item.get()])
        }
        Some(_) => match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => Err(ApiError::BadRequest(
                "the body must be a JSON object (one event) or an array of events".into(),
            )),
            Err(e) => Err(not_json(e)),
        },
        None => Err(ApiError::BadRequest("the body holds no events".into())),
    }
}

fn invalid(details: Vec<FieldError>, total: usize) -> ApiError {
    let mut bad: Vec<usize> = details.iter().map(|d| d.index).collect();
    bad.dedup();
    ApiError::InvalidEvents {
        message: format!(
            "{} of {total} events are invalid; nothing was stored",
            bad.len()
        ),
        details,
    }
}

fn parse_all(ctx: &InputContext, items: Vec<&str>) -> Result<Vec<NewEvent>, ApiError> {
    let total = items.len();
    let mut events = Vec::with_capacity(total);
    let mut errors = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match ctx.parse_text(index, item) {
            Ok(e) => events.push(e),
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    if errors.is_empty() {
        Ok(events)
    } else {
        Err(invalid(errors, total))
    }
}

/// Refuses events that name a session the account does not have.
async fn check_sessions(
    state: &AppState,
    caller: &Caller,
    events: &[NewEvent],
) -> Result<(), ApiError> {
    let mut ids: Vec<_> = events.iter().filter_map(|e| e.session_id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    ids.sort();
    ids.dedup();
    let missing = state.store.missing_sessions(caller.account(), &ids).await?;
    let details: Vec<FieldError> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.session_id.is_some_and(|s| missing.contains(&s)))
        .map(|(index, e)| FieldError {
            index,
            field: "session_id".into(),
            message: format!(
                "no session {} in this account; start one with POST /api/v1/sessions",
                e.session_id.unwrap_or_default()
            ),
        })
        .collect();
    if details.is_empty() {
        Ok(())
    } else {
        Err(invalid(details, events.len()))
    }
}

/// One event by id.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events",
    params(("id" = String, Path, description = "The event's UUID")),
    responses((status = 200, body = EventView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn get_event(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<EventView>, ApiError> {
    caller.require_read()?;
    let id = parse_id("the event id", &id)?;
    let missing = || ApiError::NotFound(format!("no event {id} in this account"));
    let event = state
        .store
        .get_event(caller.account(), id)
        .await?
        .ok_or_else(missing)?;
    // One the caller may not see is as absent as one that never was.
    let only_this = access::restrict(
        &state,
        &caller,
        Filter::default().and(Condition::Id(vec![id])),
    )
    .await?;
    let request = SearchRequest {
        filter: only_this,
        after: None,
        limit: 1,
        params: true,
    };
    if state
        .store
        .search(caller.account(), &request)
        .await?
        .events
        .is_empty()
    {
        return Err(missing());
    }
    let item = json!({"type": "log-viewed", "action": "viewed", "level": "audit",
        "resource": {"kind": "audit-log", "id": id.to_string(), "name": "an event"},
        "message": format!("Viewed event {id}")});
    state
        .reads
        .record(&state, &caller, format!("view {id}"), item)
        .await;
    Ok(Json(EventView::from(&event).with_links()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// A search in the query language (docs/search.md); empty or absent for everything.
    q: Option<String>,
    /// Events per page, 1 to 500 (default 50).
    limit: Option<u32>,
    /// The previous page's `next_cursor`.
    cursor: Option<String>,
    /// IANA time zone for dates such as `today` (default UTC), e.g. `Europe/Berlin`.
    tz: Option<String>,
}

/// Search events, newest first (by when they happened), a page at a time.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(SearchParams),
    responses((status = 200, body = EventPage), (status = 400, description = "A bad query, cursor, limit or time zone", body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn search_events(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    query: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<EventPage>, ApiError> {
    caller.require_read()?;
    let Query(p) = query?;
    let q = p.q.as_deref().unwrap_or("");
    let filter = parse_filter(q, p.tz.as_deref(), &caller)?;
    let page = search_page(&state, &caller, filter, p.limit, p.cursor.as_deref()).await?;
    record_search(&state, &caller, q, page.events.len()).await;
    Ok(page)
}

/// A search is a read of the log, and recorded as one: every page, so that a
/// made-up cursor does not read unseen; scrolling on within a minute is
/// recorded once, as the same read.
pub(super) async fn record_search(state: &AppState, caller: &Caller, query: &str, results: usize) {
    let item = json!({"type": "log-searched", "action": "searched", "level": "audit",
        "resource": {"kind": "audit-log", "name": "activity log"},
        "message": format!("Searched the log: {query}"),
        "params": {"query": query, "results": results}});
    state
        .reads
        .record(state, caller, format!("search {query}"), item)
        .await;
}

/// One page of a search: checks the limit and the cursor, runs it, shapes the answer.
pub(super) async fn search_page(
    state: &AppState,
    caller: &Caller,
    filter: Filter,
    limit: Option<u32>,
    cursor: Option<&str>,
) -> Result<Json<EventPage>, ApiError> {
    let limit = limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and 500, got {limit}"
        )));
    }
    let after = cursor
        .map(Cursor::decode)
        .transpose()
        .map_err(ApiError::BadRequest)?;
    let filter = group_words(state, caller.account(), filter).await?;
    let filter = access::restrict(state, caller, filter).await?;
    let page = state
        .store
        .search(
            caller.account(),
            &SearchRequest {
                filter,
                after,
                limit,
                params: true,
            },
        )
        .await?;
    Ok(Json(EventPage {
        events: page.events.iter().map(EventView::from).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// A word of free text that names a group means the activity of its members
/// and its subgroups' (seed 004: typing "data-team" in the search box).
pub(super) async fn group_words(
    state: &AppState,
    account: uuid::Uuid,
    mut filter: Filter,
) -> Result<Filter, ApiError> {
    if !filter
        .terms
        .iter()
        .any(|t| matches!(t.condition, Condition::Text(_)))
    {
        return Ok(filter);
    }
    let groups = state.store.list_groups(account).await?;
    for term in &mut filter.terms {
        let Condition::Text(text) = &term.condition else {
            continue;
        };
        if let Some(g) = groups
            .iter()
            .find(|g| g.group.name.eq_ignore_ascii_case(text))
        {
            term.condition = Condition::Group(vec![g.group.name.clone()]);
        }
    }
    Ok(filter)
}

/// The caller's time zone: an IANA name, UTC when absent.
pub(super) fn parse_tz(tz: Option<&str>) -> Result<Tz, ApiError> {
    match tz {
        None | Some("") => Ok(Tz::UTC),
        Some(name) => name.parse().map_err(|_| {
            ApiError::BadRequest(format!(
                "unknown time zone {name:?}; use an IANA name such as Europe/Berlin"
            ))
        }),
    }
}

/// The query made concrete for this caller, in their time zone.
pub(super) fn parse_filter(q: &str, tz: Option<&str>, caller: &Caller) -> Result<Filter, ApiError> {
    let tz = parse_tz(tz)?;
    let query = TrailQuery::parse(q).map_err(|e| ApiError::InvalidQuery(e.to_string()))?;
    let viewer = Viewer {
        now: Utc::now(),
        tz: &tz,
        login: caller.login(),
    };
    query.resolve(&viewer).map_err(ApiError::InvalidQuery)
}

/// The account's event types (the seed's catalogue and custom types) with their parameters.
#[utoipa::path(get, path = "/api/v1/event-types", tag = "events",
    responses((status = 200, description = "Event types with declared parameters")),
    security(("api_key" = [])))]
pub async fn list_event_types(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<EventTypeRecord>>, ApiError> {
    caller.require_read()?;
    Ok(Json(state.store.event_types(caller.account()).await?))
}
