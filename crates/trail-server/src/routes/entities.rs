//! One entity's activity and usage (seed 000's Activity and Usage panes).

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{Duration, Utc};
use trail_core::api::{ActivityParams, EntityUsageParams, ErrorBody, EventPage};
use trail_core::names::ResourceKind;
use trail_core::query::{Condition, Term, TimeRange};
use trail_store::usage::{EntityUsage, UsageRequest};

use super::events::{parse_filter, record_search, search_page};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::AppState;

/// Everything that happened to one entity, newest first; the last 7 days unless `days` says otherwise.
#[utoipa::path(get, path = "/api/v1/entities/{kind}/{id}/activity", tag = "entities", params(
        ("kind" = String, Path, description = "Resource kind, e.g. query"),
        ("id" = String, Path, description = "Resource id"), ActivityParams),
    responses((status = 200, body = EventPage), (status = 400, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn activity(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((kind, id)): Path<(String, String)>,
    params: Result<Query<ActivityParams>, QueryRejection>,
) -> Result<Json<EventPage>, ApiError> {
    caller.require_read()?;
    let Query(p) = params?;
    let kind = ResourceKind::parse(&kind)
        .map_err(|e| ApiError::BadRequest(format!("resource kind: {e}")))?;
    let range = last_days(p.days)?;
    let mut filter = parse_filter(p.q.as_deref().unwrap_or(""), p.tz.as_deref(), &caller)?;
    let described = format!(
        "kind:{} resource.id:{id} (last {} days) {}",
        kind.as_str(),
        p.days.unwrap_or(7),
        p.q.as_deref().unwrap_or("")
    );
    for condition in [
        Condition::Kind(vec![kind]),
        Condition::ResourceId(vec![id]),
        Condition::Between(range),
    ] {
        filter.terms.push(Term {
            negated: false,
            condition,
        });
    }
    let page = search_page(&state, &caller, filter, p.limit, p.cursor.as_deref()).await?;
    record_search(&state, &caller, described.trim(), page.events.len()).await;
    Ok(page)
}

/// A high-level overview of one entity's use: events per day (in the caller's
/// time zone), distinct users,
/// top users and actions, failures.
#[utoipa::path(get, path = "/api/v1/entities/{kind}/{id}/usage", tag = "entities", params(
        ("kind" = String, Path, description = "Resource kind, e.g. query"),
        ("id" = String, Path, description = "Resource id"), EntityUsageParams),
    responses((status = 200, description = "The entity's usage"), (status = 400, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn usage(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((kind, id)): Path<(String, String)>,
    params: Result<Query<EntityUsageParams>, QueryRejection>,
) -> Result<Json<EntityUsage>, ApiError> {
    caller.require_read()?;
    let Query(p) = params?;
    let kind = ResourceKind::parse(&kind)
        .map_err(|e| ApiError::BadRequest(format!("resource kind: {e}")))?;
    crate::access::require_sees_all(&state, &caller).await?;
    let range = last_days(p.days)?;
    let request = UsageRequest {
        kind: kind.as_str().to_string(),
        id,
        from: range.from.unwrap_or_default(),
        to: range.to.unwrap_or_else(Utc::now),
        tz: super::events::parse_tz(p.tz.as_deref())?,
    };
    Ok(Json(
        state.store.entity_usage(caller.account(), &request).await?,
    ))
}

fn last_days(days: Option<u32>) -> Result<TimeRange, ApiError> {
    let days = days.unwrap_or(7);
    if !(1..=3650).contains(&days) {
        return Err(ApiError::BadRequest(format!(
            "days must be between 1 and 3650, got {days}"
        )));
    }
    let now = Utc::now();
    Ok(TimeRange {
        from: Some(now - Duration::days(i64::from(days))),
        to: Some(now + Duration::seconds(1)),
    })
}
