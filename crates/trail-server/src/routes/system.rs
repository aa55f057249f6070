//! Health, readiness, metrics and the API description.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};
use utoipa::OpenApi;

use crate::openapi::ApiDoc;
use crate::AppState;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, description = "ok")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The store answers; load balancers send traffic only when this is 200.
#[utoipa::path(get, path = "/readyz", tag = "system",
    responses((status = 200, description = "ready"), (status = 503, description = "the store is unreachable")))]
pub async fn readyz(State(state): State<Arc<AppState>>) -> (StatusCode, Json<Value>) {
    let store = state.store.backend();
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"status": "ready", "store": store})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "store": store})),
            )
        }
    }
}

/// Prometheus metrics: events ingested, batch sizes, commit latency.
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, description = "Prometheus text format")))]
pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let mut out = String::new();
    state.ingestor.metrics().render(&mut out);
    state.logging.render_metrics(&mut out);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "system", responses((status = 200, description = "OpenAPI 3.1")))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
