//! User sessions: every event of a person belongs to one.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use trail_core::api::{ErrorBody, SessionView, StartSession};
use trail_core::input::truncate_micros;
use trail_core::{Actor, ActorKind};
use trail_store::{NewSession, Session};

use super::parse_id;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::AppState;

fn view(s: Session) -> SessionView {
    SessionView {
        id: s.id,
        user_id: s.user_id,
        user: s.user_login,
        started: s.started,
        ended: s.ended,
        ip: s.ip,
        user_agent: s.user_agent,
        client: s.client,
    }
}

/// Start a session for a user. IP and user agent default to the request's.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "sessions", request_body = StartSession,
    responses((status = 201, body = SessionView), (status = 400, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn start_session(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Json<StartSession>, JsonRejection>,
) -> Result<(StatusCode, Json<SessionView>), ApiError> {
    caller.require_write()?;
    let Json(req) = body?;
    let user_id = req.user.id.trim().to_string();
    if user_id.is_empty() || user_id.len() > 256 {
        return Err(ApiError::BadRequest(
            "user.id must be 1 to 256 characters".into(),
        ));
    }
    let ip = match req.ip {
        Some(ip) => ip
            .parse::<IpAddr>()
            .map_err(|_| ApiError::BadRequest(format!("ip: not an IP address: {ip:?}")))?,
        None => peer.ip(),
    };
    let started = match req.started {
        Some(t) => DateTime::parse_from_rfc3339(&t)
            .map(|t| truncate_micros(t.with_timezone(&Utc)))
            .map_err(|e| {
                ApiError::BadRequest(format!("started: not an RFC 3339 timestamp ({e}): {t:?}"))
            })?,
        None => truncate_micros(Utc::now()),
    };
    let user_agent = req.user_agent.or_else(|| {
        headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    let session = NewSession {
        user: Actor {
            kind: ActorKind::User,
            id: user_id,
            name: req.user.name,
            email: req.user.email,
        },
        started,
        ip: Some(ip.to_string()),
        user_agent,
        client: req.client,
    };
    let s = state.store.start_session(caller.account(), session).await?;
    Ok((StatusCode::CREATED, Json(view(s))))
}

/// End a session. Ending an ended session changes nothing.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/end", tag = "sessions",
    params(("id" = String, Path, description = "The session's UUID")),
    responses((status = 200, body = SessionView), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn end_session(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SessionView>, ApiError> {
    caller.require_write()?;
    let id = parse_id("the session id", &id)?;
    let s = state
        .store
        .end_session(caller.account(), id, Utc::now())
        .await?;
    s.map(|s| Json(view(s)))
        .ok_or_else(|| ApiError::NotFound(format!("no session {id} in this account")))
}

/// One session.
#[utoipa::path(get, path = "/api/v1/sessions/{id}", tag = "sessions",
    params(("id" = String, Path, description = "The session's UUID")),
    responses((status = 200, body = SessionView), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn get_session(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SessionView>, ApiError> {
    caller.require_read()?;
    let id = parse_id("the session id", &id)?;
    let missing = || ApiError::NotFound(format!("no session {id} in this account"));
    let s = state
        .store
        .get_session(caller.account(), id)
        .await?
        .ok_or_else(missing)?;
    if !crate::access::sight_of(&state, &caller)
        .await?
        .sees_person(s.user_id)
    {
        return Err(missing());
    }
    Ok(Json(view(s)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SessionsQuery {
    /// The user's login (the `id` their sessions were started with).
    user: String,
    /// At most this many, newest first (1 to 500, default 50).
    limit: Option<u32>,
}

/// A user's sessions, newest first.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "sessions", params(SessionsQuery),
    responses((status = 200, body = Vec<SessionView>), (status = 400, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn list_sessions(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    query: Result<Query<SessionsQuery>, QueryRejection>,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    caller.require_read()?;
    let Query(q) = query?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let sessions = state
        .store
        .list_sessions(caller.account(), &q.user, limit)
        .await?;
    let sight = crate::access::sight_of(&state, &caller).await?;
    Ok(Json(
        sessions
            .into_iter()
            .filter(|s| sight.sees_person(s.user_id))
            .map(view)
            .collect(),
    ))
}
