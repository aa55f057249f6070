//! Usage Analysis (seeds 000 and 003): `GET /api/v1/usage/...`, computed by
//! `trail-usage` from the rollups. Every view takes the global filters.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{Duration, Utc};
use serde::Deserialize;
use trail_core::api::ErrorBody;
use trail_core::query::{DateSpec, Filter};
use trail_core::usage::{
    ErrorDetail, Errors, Events, FunctionRuns, Functions, History, Overview, Packages, Patterns,
    Performance, Unused,
};
use trail_core::{Catalogue, EventType, ResourceKind};
use trail_store::search::Cursor;
use trail_usage::{parse_grain, Scope, Usage, UsageError, Window};
use uuid::Uuid;

use crate::access::{restrict, sight_of, Sight};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::AppState;

/// The global filters, and the options some views take.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UsageParams {
    /// Dates as in search (`today`, `7d`, `2026-11-01..2026-11-23`); the last 30 days by default.
    range: Option<String>,
    /// `minute`, `hour` or `day`; by default minutes up to 3 hours, hours up to 4 days, days beyond.
    bucket: Option<String>,
    /// People by login or e-mail, comma-separated.
    users: Option<String>,
    /// Groups by name, comma-separated; a group includes its subgroups. With `users`, either counts.
    groups: Option<String>,
    /// Packages, comma-separated.
    packages: Option<String>,
    /// Resource kinds, comma-separated.
    kinds: Option<String>,
    /// Event types, comma-separated.
    types: Option<String>,
    /// How many people, types or groups a list shows (overview, events, errors, performance).
    top: Option<u32>,
    /// Errors: days without an error after which it counts as regressed (default 7).
    quiet_days: Option<u32>,
    /// Error detail: how far before an error actions count, in seconds (default 600).
    window_seconds: Option<u32>,
    /// Patterns: people with fewer events are not clustered (default 20).
    min_events: Option<u32>,
    /// Runs: the function's package, kind and id (as the functions view names them).
    package: Option<String>,
    kind: Option<String>,
    function: Option<String>,
    /// Runs: page size (default 50) and the `next` cursor of the previous page.
    limit: Option<u32>,
    cursor: Option<String>,
}

impl From<UsageError> for ApiError {
    fn from(e: UsageError) -> Self {
        match e {
            UsageError::BadRequest(m) => ApiError::BadRequest(m),
            UsageError::NotFound(m) => ApiError::NotFound(format!("{m} not found")),
            UsageError::Store(e) => e.into(),
        }
    }
}

/// A question: the engine for the caller, the window and the scope.
struct Ask<'a> {
    usage: Usage<'a>,
    window: Window,
    scope: Scope,
    params: UsageParams,
}

async fn ask<'a>(
    state: &'a AppState,
    caller: &Caller,
    params: Result<Query<UsageParams>, QueryRejection>,
) -> Result<Ask<'a>, ApiError> {
    caller.require_read()?;
    let Query(params) = params?;
    let sight = sight_of(state, caller).await?;
    if matches!(sight, Sight::Granted(_) | Sight::Nothing) {
        return Err(ApiError::Forbidden(
            "usage views count whole groups of events; auditors see only the searches they were granted".into(),
        ));
    }
    // What the caller may not see, for the views that list events.
    let guard = restrict(state, caller, Filter::default()).await?;
    let usage = Usage::new(state.store.as_ref(), caller.account(), guard)
        .await?
        .with_cache(&state.rollups);
    let window = window(&params)?;
    let mut scope = scope(state, caller.account(), &usage, &params).await?;
    if let Sight::Own(me) = sight {
        scope.only_people(&BTreeSet::from([me]));
    }
    Ok(Ask {
        usage,
        window,
        scope,
        params,
    })
}

fn window(p: &UsageParams) -> Result<Window, ApiError> {
    let now = Utc::now();
    let spec = DateSpec::parse(p.range.as_deref().unwrap_or("30d"))
        .map_err(|e| ApiError::BadRequest(format!("range: {e}")))?;
    let range = spec
        .resolve(now, &Utc)
        .map_err(|e| ApiError::BadRequest(format!("range: {e}")))?;
    let to = range.to.unwrap_or(now);
    let from = range.from.unwrap_or(to - Duration::days(30));
    let grain = p.bucket.as_deref().map(parse_grain).transpose()?;
    Ok(Window::new(from, to, grain)?)
}

/// Comma-separated values, trimmed, empty ones dropped; `None` when absent.
fn list(v: &Option<String>) -> Option<Vec<String>> {
    v.as_ref().map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect()
    })
}

async fn scope(
    state: &AppState,
    account: Uuid,
    usage: &Usage<'_>,
    p: &UsageParams,
) -> Result<Scope, ApiError> {
    let mut scope = Scope {
        users: people(state, account, list(&p.users), list(&p.groups)).await?,
        packages: list(&p.packages),
        ..Scope::default()
    };
    if let Some(kinds) = list(&p.kinds) {
        let parsed = kinds.iter().map(|k| {
            ResourceKind::parse(k).map_err(|e| ApiError::BadRequest(format!("kinds: {e}")))
        });
        scope.kinds = Some(parsed.collect::<Result<_, _>>()?);
    }
    if let Some(types) = list(&p.types) {
        scope.types = Some(type_ids(usage, &types)?);
    }
    Ok(scope)
}

/// Types by name; a catalogue type the account never recorded matches nothing.
fn type_ids(usage: &Usage<'_>, names: &[String]) -> Result<Vec<(i64, EventType)>, ApiError> {
    let known: HashMap<&str, i64> = usage
        .types()
        .values()
        .map(|t| (t.name.as_str(), t.id))
        .collect();
    names
        .iter()
        .map(|name| {
            let t =
                EventType::parse(name).map_err(|e| ApiError::BadRequest(format!("types: {e}")))?;
            match known.get(name.as_str()) {
                Some(id) => Ok((*id, t)),
                None if Catalogue::fixed(&t).is_some() => Ok((-1, t)),
                None => Err(ApiError::BadRequest(format!(
                    "types: no event of type {name:?} was ever recorded"
                ))),
            }
        })
        .collect()
}

/// The people named, and the members of the groups named (with subgroups);
/// `None` when neither filter is given.
async fn people(
    state: &AppState,
    account: Uuid,
    users: Option<Vec<String>>,
    groups: Option<Vec<String>>,
) -> Result<Option<BTreeSet<Uuid>>, ApiError> {
    if users.is_none() && groups.is_none() {
        return Ok(None);
    }
    let mut out = BTreeSet::new();
    if let Some(names) = users {
        let all = state.store.list_users(account).await?;
        for name in names {
            let lower = name.to_lowercase();
            let found = all.iter().find(|u| {
                u.login.to_lowercase() == lower
                    || u.email
                        .as_deref()
                        .is_some_and(|e| e.to_lowercase() == lower)
                    || u.login.split('@').next() == Some(lower.as_str())
            });
            let user = found
                .ok_or_else(|| ApiError::BadRequest(format!("users: nobody is called {name:?}")))?;
            out.insert(user.id);
        }
    }
    if let Some(names) = groups {
        let all = state.store.list_groups(account).await?;
        let mut wanted: Vec<Uuid> = Vec::new();
        for name in &names {
            let g = all.iter().find(|g| g.group.name.eq_ignore_ascii_case(name));
            let g = g.ok_or_else(|| {
                ApiError::BadRequest(format!("groups: no group is called {name:?}"))
            })?;
            wanted.push(g.group.id);
        }
        // Subgroups: every group whose chain of parents reaches a wanted one.
        let parent: HashMap<Uuid, Option<Uuid>> =
            all.iter().map(|g| (g.group.id, g.group.parent)).collect();
        for g in &all {
            let mut at = Some(g.group.id);
            while let Some(id) = at {
                if wanted.contains(&id) {
                    out.extend(g.members.iter().copied());
                    break;
                }
                at = parent.get(&id).copied().flatten();
            }
        }
    }
    Ok(Some(out))
}

fn top(p: &UsageParams, default: u32) -> Result<usize, ApiError> {
    let n = p.top.unwrap_or(default);
    if !(1..=1000).contains(&n) {
        return Err(ApiError::BadRequest(format!(
            "top must be between 1 and 1000, got {n}"
        )));
    }
    Ok(n as usize)
}

/// Overview: active and new people, sessions, events and errors against the
/// previous window; people per bucket and per package; the most active people.
#[utoipa::path(get, path = "/api/v1/usage/overview", tag = "usage", params(UsageParams),
    responses((status = 200, body = Overview), (status = 400, body = ErrorBody)), security(("api_key" = [])))]
pub async fn overview(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    params: Result<Query<UsageParams>, QueryRejection>,
) -> Result<Json<Overview>, ApiError> {
    let a = ask(&state, &caller, params).await?;
    let n = top(&a.params, 10)?;
    Ok(Json(a.usage.overview(&a.window, &a.scope, n).await?))
}

/// Packages: events per package, bucket and person (the scatter plot), and each
/// package's people, functions, levels, actions and first and last use.
#[utoipa::path(get, path = "/api/v1/usage/packages", tag = "usage", params(UsageParams),
    responses((status = 200, body = Packages), (status = 400, body = ErrorBody)), security(("api_key" = [])))]
pub async fn packages(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    params: Result<Query<UsageParams>, QueryRejection>,
) -> Result<Json<Packages>, ApiError> {
    let a = ask(&state, &caller, params).await?;
    Ok(Json(a.usage.packages(&a.window, &a.scope).await?))
}

/// Functions: runs per function, bucket and person (the scatter plot), and each
/// function's runs, people, failures and duration percentiles.
#[utoipa::path(get, path = "/api/v1/usage/functions", tag = "usage", params(UsageParams),
    responses((status = 200, body = Functions), (status = 400, body = ErrorBody)), security(("api_key" = [])))]
pub async fn functions(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    params: Result<Query<UsageParams>, QueryRejection>,
) -> Result<Json<Functions>, ApiError> {
    let a = ask(&state, &caller, params).await?;
    Ok(Json(a.usage.functions(&a.window, &a.scope).await?))
}

/// One function's runs, newest first: when, who, how long, the outcome, and the
/// inputs and outputs (its parameters). Needs `kind` and `function` (and
/// `package` when the function has one).
#[utoipa::path(get, path = "/api/v1/usage/runs", tag = "usage", params(UsageParams),
    responses((status = 200, body = FunctionRuns), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn runs(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    params: Result<Query<UsageParams>, QueryRejection>,
) -> Result<Json<FunctionRuns>, ApiError> {
    let a = ask(&state, &caller, params).await?;
    let p = &a.params;
    let (Some(kind), Some(function)) = (p.kind.as_deref(), p.function.as_deref()) else {
        return Err(ApiError::BadRequest(
            "runs need kind and function (as the functions view names them)".into(),
        ));
    };
    let kind = ResourceKind::parse(kind).map_err(|e| ApiError::BadRequest(format!("kind: {e}")))?;
    let limit = p.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and 500, got {limit}"
        )));
    }
    let after = p
        .cursor
        .as_deref()
        .map(Cursor::decode)
        .transpose()
        .map_err(ApiError::BadRequest)?;
    let package = p.package.as_deref().unwrap_or("");
    let runs = a
        .usage
        .function_runs(&a.window, &a.scope, package, &kind, function, after, limit)
        .await?;
    let described = format!(
        "runs of {package}:{} ({})",
        runs.function.label,
        kind.as_str()
    );
    super::events::record_search(&state, &caller, &described, runs.runs.len()).await;
    Ok(Json(runs))
}

/// Events: counts per source, level and type over time, and per person and source.
#[utoipa::path(get, path = "/api/v1/usage/events", tag = "usage", params(UsageParams),
    responses((status = 200, body = Events), (status = 400, body = ErrorBody)), security(("api_key" = [])))]
pub async fn events(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    params: Result<Query<UsageParams>, QueryRejection>,
) -> Result<Json<Events>, ApiError> {
    let a = ask(&state, &caller, params).await?;
    let n = top(&a.params, 10)?;
    Ok(Json(a.usage.events(&a.window, &a.scope, n).await?))
}

/// Errors grouped by signature: message, first and last seen, occurrences,
/// people and sessions hit, trend, regressions, and where they happen.
#[utoipa::path(get, path = "/api/v1/usage/errors", tag = "usage", params(UsageParams),
    responses((status = 200, body = Errors), (status = 400, body = ErrorBody)), security(("api_key" = [])))]
pub async fn errors(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    params: Result<Query<UsageParams>, QueryRejection>,
) -> Result<Json<Errors>, ApiError> {
    let a = ask(&state, &caller, params).await?;
    let n = top(&a.params, 50)?;
    let quiet = a.params.quiet_days.unwrap_or(7);
    Ok(Json(a.usage.errors(&a.window, &a.scope, quiet, n).await?))
}

/// One error group: its figures, the newest occurrences, and the event types
/// that came before it in the same sessions, against how common they are.
#[utoipa::path(get, path = "/api/v1/usage/errors/{signature}", tag = "usage",
    params(("signature" = String, Path, description = "The error signature, or enough of its start to name one"), UsageParams),
    responses((status = 200, body = ErrorDetail), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn error_detail(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(signature): Path<String>,
    params: Result<Query<UsageParams>, QueryRejection>,
) -> Result<Json<ErrorDetail>, ApiError> {
    let a = ask(&state, &caller, params).await?;
    let seconds = a.params.window_seconds.unwrap_or(600);
    if !(1..=86_400).contains(&seconds) {
        return Err(ApiError::BadRequest(format!(
            "window_seconds must be between 1 and 86400, got {seconds}"
        )));
    }
    let quiet = a.params.quiet_days.unwrap_or(7);
    let detail = a
        .usage
        .error_detail(&a.window, &a.scope, &signature, seconds, quiet)
        .await?;
    let described = format!("signature:{signature}");
    super::events::record_search(&state, &caller, &described, detail.occurrences.len()).await;
    Ok(Json(detail))
}

/// Performance per operation (type, package, kind, function): count, p50, p90,
/// p99 and max duration, per bucket, and the slowest recent events.
#[utoipa::path(get, path = "/api/v1/usage/performance", tag = "usage", params(UsageParams),
    responses((status = 200, body = Performance), (status = 400, body = ErrorBody)), security(("api_key" = [])))]
pub async fn performance(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    params: Result<Query<UsageParams>, QueryRejection>,
) -> Result<Json<Performance>, ApiError> {
    let a = ask(&state, &caller, params).await?;
    let n = top(&a.params, 50)?;
    Ok(Json(a.usage.performance(&a.window, &a.scope, n).await?))
}

/// User patterns: people clustered by the event types they use, each cluster's
/// defining types, and the clusters against the groups (chi-square, Cramér's V).
/// `yours` is the caller's own cluster.
#[utoipa::path(get, path = "/api/v1/usage/patterns", tag = "usage", params(UsageParams),
    responses((status = 200, body = Patterns), (status = 400, body = ErrorBody)), security(("api_key" = [])))]
pub async fn patterns(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    params: Result<Query<UsageParams>, QueryRejection>,
) -> Result<Json<Patterns>, ApiError> {
    let a = ask(&state, &caller, params).await?;
    let min = i64::from(a.params.min_events.unwrap_or(20));
    let me = caller.person.as_ref().map(|p| p.id);
    Ok(Json(a.usage.patterns(&a.window, &a.scope, min, me).await?))
}

/// Data history of a resource: the chain of resources it was made from, its
/// modifications and every action on it in the window.
#[utoipa::path(get, path = "/api/v1/usage/history/{kind}/{id}", tag = "usage",
    params(("kind" = String, Path, description = "Resource kind, e.g. table"),
        ("id" = String, Path, description = "Resource id"), UsageParams),
    responses((status = 200, body = History), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn history(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((kind, id)): Path<(String, String)>,
    params: Result<Query<UsageParams>, QueryRejection>,
) -> Result<Json<History>, ApiError> {
    let a = ask(&state, &caller, params).await?;
    let kind = ResourceKind::parse(&kind)
        .map_err(|e| ApiError::BadRequest(format!("resource kind: {e}")))?;
    let history = a.usage.history(&a.window, &kind, &id).await?;
    let described = format!("kind:{} resource.id:{id} (history)", kind.as_str());
    super::events::record_search(&state, &caller, &described, history.modifications.len()).await;
    Ok(Json(history))
}

/// Unused features: event types, packages and functions nobody used in the
/// window, with their last use ever.
#[utoipa::path(get, path = "/api/v1/usage/unused", tag = "usage", params(UsageParams),
    responses((status = 200, body = Unused), (status = 400, body = ErrorBody)), security(("api_key" = [])))]
pub async fn unused(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    params: Result<Query<UsageParams>, QueryRejection>,
) -> Result<Json<Unused>, ApiError> {
    let a = ask(&state, &caller, params).await?;
    Ok(Json(a.usage.unused(&a.window, &a.scope).await?))
}
