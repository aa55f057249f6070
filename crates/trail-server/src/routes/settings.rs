//! Account settings: the redaction rules (seed 004, "Sensitive Data").

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use trail_core::api::ErrorBody;
use trail_core::redact::{RedactionRules, Redactor};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::settings::{redaction_rules, REDACTION};
use crate::AppState;

/// The account's redaction rules (the defaults until an admin saves others).
#[utoipa::path(get, path = "/api/v1/settings/redaction", tag = "settings",
    responses((status = 200, body = RedactionRules), (status = 403, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn get_redaction(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<RedactionRules>, ApiError> {
    caller.require_admin()?;
    Ok(Json(
        redaction_rules(state.store.as_ref(), caller.account()).await?,
    ))
}

/// Replaces the account's redaction rules; events sent from a few seconds later on
/// are redacted with them. The change is recorded as an audit event.
#[utoipa::path(put, path = "/api/v1/settings/redaction", tag = "settings",
    request_body = RedactionRules,
    responses((status = 200, body = RedactionRules), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn put_redaction(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Result<Json<RedactionRules>, JsonRejection>,
) -> Result<Json<RedactionRules>, ApiError> {
    caller.require_admin()?;
    let Json(rules) = body?;
    Redactor::new(rules.clone()).map_err(ApiError::BadRequest)?;
    let before = redaction_rules(state.store.as_ref(), caller.account()).await?;
    let value = serde_json::to_value(&rules).map_err(|e| ApiError::Internal(e.to_string()))?;
    state
        .store
        .put_setting(caller.account(), REDACTION, &value)
        .await?;
    state.settings.invalidate(caller.account());
    let item = json!({
        "type": "settings-changed", "action": "updated", "level": "audit",
        "resource": {"kind": "settings", "id": REDACTION, "name": "redaction rules"},
        "message": "Changed the redaction rules",
        "changes": {"before": before, "after": value}
    });
    crate::audit::record(&state, caller.account(), caller.actor(), item).await;
    Ok(Json(rules))
}

/// Sample input for a redaction preview.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// Free text, e.g. a message.
    #[serde(default)]
    text: Option<String>,
    /// Parameters or any JSON document.
    #[serde(default)]
    params: Option<Value>,
    /// Rules to try instead of the saved ones.
    #[serde(default)]
    rules: Option<RedactionRules>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PreviewResponse {
    text: Option<String>,
    params: Option<Value>,
}

/// What the saved (or the given) rules would make of sample input. Nothing is stored.
#[utoipa::path(post, path = "/api/v1/settings/redaction/preview", tag = "settings",
    request_body = PreviewRequest,
    responses((status = 200, body = PreviewResponse), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn preview_redaction(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Result<Json<PreviewRequest>, JsonRejection>,
) -> Result<Json<PreviewResponse>, ApiError> {
    caller.require_admin()?;
    let Json(req) = body?;
    let redactor = match req.rules {
        Some(rules) => Arc::new(Redactor::new(rules).map_err(ApiError::BadRequest)?),
        None => {
            state
                .settings
                .redactor(state.store.as_ref(), caller.account())
                .await?
        }
    };
    let params = req.params.map(|mut p| {
        redactor.json(&mut p);
        p
    });
    Ok(Json(PreviewResponse {
        text: req.text.map(|t| redactor.text(&t).into_owned()),
        params,
    }))
}
