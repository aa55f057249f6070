//! Who is calling: the API key in `Authorization: Bearer <key>`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::{DateTime, Duration, Utc};
use trail_core::credentials::hash_api_key;
use trail_core::{Actor, ActorKind};
use trail_store::ApiKey;
use uuid::Uuid;

use crate::error::ApiError;
use crate::AppState;

/// An authenticated request: the key and the account it belongs to.
pub struct Caller {
    pub key: ApiKey,
}

impl Caller {
    pub fn account(&self) -> Uuid {
        self.key.account_id
    }

    /// The actor of events that name none: the key itself.
    pub fn actor(&self) -> Actor {
        Actor {
            kind: ActorKind::ApiKey,
            id: self.key.id.to_string(),
            name: Some(self.key.name.clone()),
            email: None,
        }
    }

    /// The signed-in person's login, for `user:me`; API keys are nobody.
    pub fn login(&self) -> Option<&str> {
        None
    }

    pub fn require_write(&self) -> Result<(), ApiError> {
        self.require(
            self.key.scope.may_write_events(),
            "write events or sessions",
        )
    }

    pub fn require_read(&self) -> Result<(), ApiError> {
        self.require(self.key.scope.may_read(), "read events or sessions")
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        self.require(
            self.key.scope.may_administer(),
            "change settings, people or keys",
        )
    }

    fn require(&self, allowed: bool, what: &str) -> Result<(), ApiError> {
        if allowed {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this API key has scope '{}', which may not {what}",
                self.key.scope
            )))
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            ApiError::Unauthorized("missing Authorization: Bearer <API key> header".into())
        })?;
        let secret = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be 'Bearer <API key>'".into())
            })?;
        let key = state
            .store
            .find_api_key(&hash_api_key(secret))
            .await?
            .ok_or_else(|| ApiError::Unauthorized("unknown API key".into()))?;
        let now = Utc::now();
        if key.revoked_at.is_some() {
            return Err(ApiError::Unauthorized("this API key was revoked".into()));
        }
        if !key.is_active(now) {
            return Err(ApiError::Unauthorized("this API key has expired".into()));
        }
        state.key_usage.record(state, &key, now);
        Ok(Caller { key })
    }
}

/// Records "last used" at most once a minute per key, off the request path.
#[derive(Default)]
pub struct KeyUsage {
    last_written: Mutex<HashMap<Uuid, DateTime<Utc>>>,
}

impl KeyUsage {
    fn record(&self, state: &Arc<AppState>, key: &ApiKey, now: DateTime<Utc>) {
        {
            let mut seen = self.last_written.lock().expect("key usage lock poisoned");
            if seen
                .get(&key.id)
                .is_some_and(|t| now - *t < Duration::minutes(1))
            {
                return;
            }
            seen.insert(key.id, now);
        }
        let store = state.store.clone();
        let (account, id) = (key.account_id, key.id);
        tokio::spawn(async move {
            if let Err(e) = store.touch_api_key(account, id, now).await {
                tracing::warn!(error = %e, "could not record API key use");
            }
        });
    }
}
