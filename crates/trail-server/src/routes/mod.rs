//! The routes, one module per resource.

mod body;
mod entities;
mod events;
mod export;
mod people;
mod sessions;
mod settings;
mod signin;
mod system;
mod usage;
mod web;

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, patch, post, put};
use axum::Router;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;
use uuid::Uuid;

use crate::error::ApiError;
use crate::AppState;

pub(crate) use entities::__path_activity;
pub(crate) use entities::__path_usage;
pub(crate) use events::__path_get_event;
pub(crate) use events::__path_ingest;
pub(crate) use events::__path_list_event_types;
pub(crate) use events::__path_search_events;
pub(crate) use export::__path_export;
pub(crate) use people::{
    __path_add_member, __path_create_group, __path_create_key, __path_create_user,
    __path_list_groups, __path_list_keys, __path_list_users, __path_remove_member,
    __path_revoke_key, __path_update_user,
};
pub(crate) use sessions::__path_end_session;
pub(crate) use sessions::__path_get_session;
pub(crate) use sessions::__path_list_sessions;
pub(crate) use sessions::__path_start_session;
pub(crate) use settings::__path_get_redaction;
pub(crate) use settings::__path_preview_redaction;
pub(crate) use settings::__path_put_redaction;
pub(crate) use settings::{__path_effective_logging, __path_get_logging, __path_put_logging};
pub(crate) use settings::{__path_get_visibility, __path_put_visibility};
pub(crate) use signin::ATTEMPTS_PER_MINUTE;
pub(crate) use signin::{__path_me, __path_sign_in, __path_sign_out};
pub(crate) use system::__path_healthz;
pub(crate) use system::__path_metrics;
pub(crate) use system::__path_openapi;
pub(crate) use system::__path_readyz;
pub(crate) use usage::{
    __path_error_detail, __path_errors, __path_events as __path_usage_events, __path_functions,
    __path_history, __path_overview, __path_packages, __path_patterns, __path_performance,
    __path_runs, __path_unused,
};

pub(crate) fn router(state: Arc<AppState>) -> Router {
    let body_limit = state.config.max_body_bytes;
    Router::new()
        .route(
            "/api/v1/events",
            post(events::ingest).get(events::search_events),
        )
        .route("/api/v1/events/{id}", get(events::get_event))
        .route("/api/v1/event-types", get(events::list_event_types))
        .route("/api/v1/export", get(export::export))
        .route(
            "/api/v1/entities/{kind}/{id}/activity",
            get(entities::activity),
        )
        .route("/api/v1/entities/{kind}/{id}/usage", get(entities::usage))
        .route("/api/v1/usage/overview", get(usage::overview))
        .route("/api/v1/usage/packages", get(usage::packages))
        .route("/api/v1/usage/functions", get(usage::functions))
        .route("/api/v1/usage/runs", get(usage::runs))
        .route("/api/v1/usage/events", get(usage::events))
        .route("/api/v1/usage/errors", get(usage::errors))
        .route("/api/v1/usage/errors/{signature}", get(usage::error_detail))
        .route("/api/v1/usage/performance", get(usage::performance))
        .route("/api/v1/usage/patterns", get(usage::patterns))
        .route("/api/v1/usage/history/{kind}/{id}", get(usage::history))
        .route("/api/v1/usage/unused", get(usage::unused))
        .route(
            "/api/v1/sessions",
            post(sessions::start_session).get(sessions::list_sessions),
        )
        .route("/api/v1/sessions/{id}", get(sessions::get_session))
        .route("/api/v1/sessions/{id}/end", post(sessions::end_session))
        .route(
            "/api/v1/settings/redaction",
            get(settings::get_redaction).put(settings::put_redaction),
        )
        .route(
            "/api/v1/settings/redaction/preview",
            post(settings::preview_redaction),
        )
        .route(
            "/api/v1/settings/visibility",
            get(settings::get_visibility).put(settings::put_visibility),
        )
        .route(
            "/api/v1/users",
            get(people::list_users).post(people::create_user),
        )
        .route("/api/v1/users/{login}", patch(people::update_user))
        .route(
            "/api/v1/groups",
            get(people::list_groups).post(people::create_group),
        )
        .route(
            "/api/v1/groups/{group}/members/{login}",
            put(people::add_member).delete(people::remove_member),
        )
        .route(
            "/api/v1/keys",
            get(people::list_keys).post(people::create_key),
        )
        .route("/api/v1/keys/{id}", delete(people::revoke_key))
        .route(
            "/api/v1/settings/logging",
            get(settings::get_logging).put(settings::put_logging),
        )
        .route(
            "/api/v1/logging-settings/effective",
            get(settings::effective_logging),
        )
        .route("/api/v1/auth/sign-in", post(signin::sign_in))
        .route("/api/v1/auth/sign-out", post(signin::sign_out))
        .route("/api/v1/auth/me", get(signin::me))
        .route("/healthz", get(system::healthz))
        .route("/readyz", get(system::readyz))
        .route("/metrics", get(system::metrics))
        .route("/api/openapi.json", get(system::openapi))
        .fallback(web::fallback)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(cors())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Web pages on any origin may call the API with a key (an ingest key embedded
/// in a page is the browser SDK's case). Never with cookies: without
/// `Allow-Credentials` browsers do not send them cross-origin, so a signed-in
/// session cannot be used from another site.
fn cors() -> CorsLayer {
    use axum::http::{header, Method};
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        // Pages' SDKs honour Retry-After; browsers hide it unless exposed.
        .expose_headers([header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(3600))
}

/// Parses an id from the path, naming it in the error.
fn parse_id(what: &str, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw)
        .map_err(|_| ApiError::BadRequest(format!("{what} must be a UUID, got {raw:?}")))
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}
