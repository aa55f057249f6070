//! Account settings: the redaction rules (seed 004, "Sensitive Data") and who
//! sees what ("Who Can See Logs").

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use trail_core::api::{Effective, ErrorBody, PreviewRequest, PreviewResponse};
use trail_core::logging::LoggingSettings;
use trail_core::redact::{RedactionRules, Redactor};

use crate::access::{self, VisibilityRules};
use crate::auth::{Caller, Permission};
use crate::error::ApiError;
use crate::logging;
use crate::settings::{redaction_rules, save, Document, REDACTION};

const REDACTION_DOC: Document = Document {
    name: REDACTION,
    label: "redaction rules",
    event_type: "settings-changed",
    resource_kind: "settings",
};
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
    save(&state, &caller, &REDACTION_DOC, &rules).await?;
    Ok(Json(rules))
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

/// Who sees what beyond the roles: searches whose events only owners see, and
/// each auditor's grant.
#[utoipa::path(get, path = "/api/v1/settings/visibility", tag = "settings",
    responses((status = 200, body = VisibilityRules), (status = 403, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn get_visibility(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<VisibilityRules>, ApiError> {
    caller.require_admin()?;
    Ok(Json(
        access::rules(&state, caller.account())
            .await?
            .as_ref()
            .clone(),
    ))
}

/// Replaces the visibility rules. Only owners (or the account's admin key) may:
/// admins must not lift what owners keep to themselves.
#[utoipa::path(put, path = "/api/v1/settings/visibility", tag = "settings",
    request_body = VisibilityRules,
    responses((status = 200, body = VisibilityRules), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn put_visibility(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Result<Json<VisibilityRules>, JsonRejection>,
) -> Result<Json<VisibilityRules>, ApiError> {
    caller.require(Permission::Own)?;
    let Json(rules) = body?;
    rules.check().map_err(ApiError::BadRequest)?;
    let doc = Document {
        name: access::VISIBILITY,
        label: "visibility rules",
        event_type: "permission-changed",
        resource_kind: "permission",
    };
    save(&state, &caller, &doc, &rules).await?;
    Ok(Json(rules))
}

/// What is recorded for whom: presets, per-type switches and throttles for the
/// account, for groups and for people.
#[utoipa::path(get, path = "/api/v1/settings/logging", tag = "settings",
    responses((status = 200, body = LoggingSettings), (status = 403, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn get_logging(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<LoggingSettings>, ApiError> {
    caller.require_admin()?;
    Ok(Json(
        logging::settings(state.store.as_ref(), caller.account()).await?,
    ))
}

/// Replaces the logging settings; they apply to new events within seconds.
#[utoipa::path(put, path = "/api/v1/settings/logging", tag = "settings",
    request_body = LoggingSettings,
    responses((status = 200, body = LoggingSettings), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn put_logging(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Result<Json<LoggingSettings>, JsonRejection>,
) -> Result<Json<LoggingSettings>, ApiError> {
    caller.require_admin()?;
    let Json(settings) = body?;
    settings.check().map_err(ApiError::BadRequest)?;
    let doc = Document {
        name: logging::LOGGING,
        label: "logging settings",
        ..REDACTION_DOC
    };
    save(&state, &caller, &doc, &settings).await?;
    Ok(Json(settings))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EffectiveParams {
    /// Whose settings (admins only); the caller's own when absent.
    user: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/logging-settings/effective", tag = "settings",
    params(EffectiveParams),
    responses((status = 200, body = Effective), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn effective_logging(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    params: Result<Query<EffectiveParams>, QueryRejection>,
) -> Result<Json<Effective>, ApiError> {
    let Query(p) = params?;
    // An SDK in a page holds an ingest key that acts for no one, and asks for
    // the person it logs for: it gets the dropped types only.
    let sdk = caller.person.is_none() && !caller.may(Permission::Administer);
    let user = match (p.user, caller.login()) {
        (Some(u), own) if Some(u.as_str()) != own => {
            if !sdk {
                caller.require_admin()?;
            }
            caller.require_write()?;
            u
        }
        (Some(u), _) => u,
        (None, Some(own)) => own.to_string(),
        (None, None) => {
            return Err(ApiError::BadRequest(
                "this key acts for no one: name the person with ?user=<login>".into(),
            ))
        }
    };
    let effective = state
        .logging
        .policy(state.store.as_ref(), caller.account(), &user)
        .await?;
    let (policy, source) = effective.as_ref().clone();
    let dropping = policy.dropping();
    Ok(Json(Effective {
        user,
        policy: (!sdk).then_some(policy),
        source: (!sdk).then_some(source),
        dropping,
        refresh_seconds: crate::settings::REFRESH.as_secs(),
    }))
}
