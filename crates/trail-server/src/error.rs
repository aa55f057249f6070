//! The API's one error type and its mapping to HTTP responses.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use trail_core::api::{ErrorBody, ErrorDetail};
use trail_core::FieldError;
use trail_store::ingest::IngestError;
use trail_store::StoreError;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    InvalidEvents {
        message: String,
        details: Vec<FieldError>,
    },
    #[error("{0}")]
    InvalidQuery(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    Conflict { message: String, ids: Vec<Uuid> },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::InvalidEvents { .. } => (StatusCode::BAD_REQUEST, "invalid_events"),
            ApiError::InvalidQuery(_) => (StatusCode::BAD_REQUEST, "invalid_query"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::TooManyRequests { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
            }
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(cause) = &self {
            // The cause may name tables or paths; it goes to the log, not to the client.
            tracing::error!(%cause, "internal error");
        }
        let message = self.to_string();
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            // A restart or a database failover takes seconds: SDKs wait this
            // long before their next try instead of guessing.
            ApiError::Unavailable(_) => Some(2),
            _ => None,
        };
        let (details, ids) = match self {
            ApiError::InvalidEvents { details, .. } => (details, Vec::new()),
            ApiError::Conflict { ids, .. } => (Vec::new(), ids),
            _ => (Vec::new(), Vec::new()),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message,
                details,
                ids,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            StoreError::AlreadyExists(what) => ApiError::Conflict {
                message: format!("{what} already exists"),
                ids: vec![],
            },
            StoreError::Database(cause) => {
                tracing::warn!(%cause, "database error");
                ApiError::Unavailable("the database is unavailable; retry later".into())
            }
            StoreError::Corrupt(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::ShuttingDown => ApiError::Unavailable(e.to_string()),
            IngestError::Store(e) => e.into(),
        }
    }
}
