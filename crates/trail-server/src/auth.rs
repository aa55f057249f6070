//! Who is calling: an API key (`Authorization: Bearer <key>`) or a person signed
//! in through the browser (the `trail_session` cookie, with a CSRF token on
//! every request that changes something). What each may do is decided here, in
//! one place; what each may *see* is decided in `access`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::Method;
use chrono::{DateTime, Duration, Utc};
use trail_core::credentials::{hash_api_key, Scope};
use trail_core::{Actor, ActorKind};
use trail_store::{ApiKey, Role, User, WebSession};
use uuid::Uuid;

use crate::error::ApiError;
use crate::AppState;

/// The cookie holding a browser session's token.
pub const SESSION_COOKIE: &str = "trail_session";
/// The header that must repeat the session's CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller proved who they are.
pub enum Via {
    Key(ApiKey),
    Browser(WebSession),
}

/// An authenticated request.
pub struct Caller {
    pub via: Via,
    /// The person acting: the signed-in user, or the owner of a personal key.
    pub person: Option<User>,
}

/// What a caller may do; see docs/security.md for the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    WriteEvents,
    Read,
    Administer,
    /// Change what only owners see.
    Own,
}

impl Caller {
    pub fn account(&self) -> Uuid {
        match &self.via {
            Via::Key(k) => k.account_id,
            Via::Browser(s) => s.account_id,
        }
    }

    /// The actor of events that name none, and of Trail's own audit events.
    pub fn actor(&self) -> Actor {
        match (&self.person, &self.via) {
            (Some(p), _) => Actor {
                kind: ActorKind::User,
                id: p.login.clone(),
                name: p.name.clone(),
                email: p.email.clone(),
            },
            (None, Via::Key(k)) => Actor {
                kind: ActorKind::ApiKey,
                id: k.id.to_string(),
                name: Some(k.name.clone()),
                email: None,
            },
            (None, Via::Browser(s)) => Actor {
                kind: ActorKind::User,
                id: s.user_id.to_string(),
                name: None,
                email: None,
            },
        }
    }

    /// The person's login, for `user:me`; account keys are nobody.
    pub fn login(&self) -> Option<&str> {
        self.person.as_ref().map(|p| p.login.as_str())
    }

    pub fn role(&self) -> Option<Role> {
        self.person.as_ref().map(|p| p.role)
    }

    /// The key's scope and the person's role must both allow it.
    pub fn may(&self, permission: Permission) -> bool {
        let by_key = match &self.via {
            Via::Key(k) => scope_allows(k.scope, permission),
            Via::Browser(_) => true,
        };
        let by_role = self.role().is_none_or(|r| role_allows(r, permission));
        by_key && by_role
    }

    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.may(permission) {
            return Ok(());
        }
        let what = match permission {
            Permission::WriteEvents => "write events or sessions",
            Permission::Read => "read events or sessions",
            Permission::Administer => "change settings, people or keys",
            Permission::Own => "change what only owners see",
        };
        let who = match (&self.via, self.role()) {
            (Via::Key(k), _) if !scope_allows(k.scope, permission) => {
                format!("this API key has scope '{}', which", k.scope)
            }
            (_, Some(role)) => format!("the role '{role}'"),
            (_, None) => "this caller".to_string(),
        };
        Err(ApiError::Forbidden(format!("{who} may not {what}")))
    }

    pub fn require_write(&self) -> Result<(), ApiError> {
        self.require(Permission::WriteEvents)
    }

    pub fn require_read(&self) -> Result<(), ApiError> {
        self.require(Permission::Read)
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        self.require(Permission::Administer)
    }
}

/// An account key (no person) with admin scope stands for the account's owners:
/// it is what installs and scripts use. A personal key is also held to its
/// person's role, so it never exceeds them.
fn scope_allows(scope: Scope, permission: Permission) -> bool {
    match permission {
        Permission::WriteEvents => scope.may_write_events(),
        Permission::Read => scope.may_read(),
        Permission::Administer | Permission::Own => scope.may_administer(),
    }
}

fn role_allows(role: Role, permission: Permission) -> bool {
    match permission {
        Permission::WriteEvents => role != Role::Auditor,
        Permission::Read => true,
        Permission::Administer => matches!(role, Role::Owner | Role::Admin),
        Permission::Own => role == Role::Owner,
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        if let Some(header) = parts.headers.get(AUTHORIZATION) {
            return key_caller(parts, state, header.to_str().unwrap_or_default()).await;
        }
        if let Some(token) = cookie(parts, SESSION_COOKIE) {
            return browser_caller(parts, state, &token).await;
        }
        Err(ApiError::Unauthorized(
            "sign in, or send an API key as 'Authorization: Bearer <key>'".into(),
        ))
    }
}

async fn key_caller(
    parts: &Parts,
    state: &Arc<AppState>,
    header: &str,
) -> Result<Caller, ApiError> {
    let secret = header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header must be 'Bearer <API key>'".into())
        })?;
    // One answer for unknown, revoked, expired and wrongly placed keys: which it
    // was would help someone guessing.
    let refused = || ApiError::Unauthorized("this API key is not valid here".into());
    let key = state
        .store
        .find_api_key(&hash_api_key(secret))
        .await?
        .ok_or_else(refused)?;
    let now = Utc::now();
    if !key.is_active(now) || !ip_allowed(&key.allowed_ips, peer_ip(parts)) {
        return Err(refused());
    }
    let person = match key.user_id {
        Some(id) => Some(
            state
                .store
                .get_user(key.account_id, id)
                .await?
                .ok_or_else(refused)?,
        ),
        None => None,
    };
    state.key_usage.record(state, &key, now);
    Ok(Caller {
        via: Via::Key(key),
        person,
    })
}

async fn browser_caller(
    parts: &Parts,
    state: &Arc<AppState>,
    token: &str,
) -> Result<Caller, ApiError> {
    let expired = || ApiError::Unauthorized("your session has ended; sign in again".into());
    let session = state
        .store
        .find_web_session(&hash_api_key(token), Utc::now())
        .await?
        .ok_or_else(expired)?;
    let changes_state = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if changes_state {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if hash_api_key(sent) != session.csrf_hash {
            return Err(ApiError::Forbidden(format!(
                "a request that changes something must repeat the session's CSRF token in the {CSRF_HEADER} header"
            )));
        }
    }
    let person = state
        .store
        .get_user(session.account_id, session.user_id)
        .await?
        .ok_or_else(expired)?;
    Ok(Caller {
        via: Via::Browser(session),
        person: Some(person),
    })
}

/// The value of one cookie of the request.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn peer_ip(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// Whether `ip` is in one of the CIDR ranges (any address when there are none).
fn ip_allowed(ranges: &[String], ip: Option<IpAddr>) -> bool {
    if ranges.is_empty() {
        return true;
    }
    let Some(ip) = ip else { return false };
    ranges
        .iter()
        .filter_map(|r| r.parse::<ipnet::IpNet>().ok())
        .any(|net| net.contains(&ip))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_ranges() {
        let lan = vec!["10.0.0.0/8".to_string()];
        assert!(ip_allowed(&[], None));
        assert!(ip_allowed(&lan, "10.1.2.3".parse().ok()));
        assert!(!ip_allowed(&lan, "192.168.1.1".parse().ok()));
        assert!(!ip_allowed(&lan, None));
    }

    #[test]
    fn roles_and_scopes() {
        assert!(role_allows(Role::Member, Permission::Read));
        assert!(!role_allows(Role::Member, Permission::Administer));
        assert!(!role_allows(Role::Auditor, Permission::WriteEvents));
        assert!(!role_allows(Role::Admin, Permission::Own));
        assert!(scope_allows(Scope::Admin, Permission::Own));
        assert!(!scope_allows(Scope::Read, Permission::Administer));
        assert!(!scope_allows(Scope::Ingest, Permission::Read));
    }
}
