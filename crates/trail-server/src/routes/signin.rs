//! Signing people in and out of the web app: a password checked against its
//! argon2id hash, then an HttpOnly session cookie and a CSRF token. Repeated
//! failures lock the login for a while; attempts are limited per address; every
//! outcome is recorded as an audit event.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Duration, Utc};
use serde_json::json;
use trail_core::api::{ErrorBody, Me, SignIn};
use trail_core::credentials::{
    generate_api_key, generate_password, hash_api_key, hash_password, verify_password,
};
use trail_core::{Actor, ActorKind};
use trail_store::{Account, NewWebSession, User};
use uuid::Uuid;

use crate::auth::{Caller, Via, SESSION_COOKIE};
use crate::error::ApiError;
use crate::AppState;

/// Failed sign-ins in a row that lock a login.
pub const LOCK_AFTER: u32 = 5;
/// How long a locked login stays locked.
pub const LOCK_MINUTES: i64 = 15;
/// How long a browser session lasts.
pub const SESSION_HOURS: i64 = 12;
/// Sign-in attempts allowed per address and minute.
pub const ATTEMPTS_PER_MINUTE: u32 = 20;
/// The cookie with the CSRF token, readable by the page so that it can send it back.
pub const CSRF_COOKIE: &str = "trail_csrf";

/// Sign in with a login and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/sign-in", tag = "auth", request_body = SignIn,
    responses((status = 200, body = Me), (status = 400, body = ErrorBody),
        (status = 401, description = "Wrong login or password, or the login is locked", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn sign_in(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<SignIn>, JsonRejection>,
) -> Result<Response, ApiError> {
    state.limits.sign_in.check(peer.ip())?;
    let Json(req) = body?;
    let account = match find_account(&state, req.account.as_deref()).await {
        Ok(a) => a,
        Err(e) => {
            // An unknown account answers no faster than a wrong password.
            let _ = verify(req.password.clone(), DUMMY_HASH.clone()).await;
            return Err(e);
        }
    };
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let attempt = Attempt {
        state: &state,
        account: account.id,
        login: &req.login,
        ip: peer.ip(),
        user_agent: user_agent.clone(),
    };
    let user = attempt.check_password(&req.password).await?;
    let (token, csrf) = (generate_api_key(), generate_api_key());
    let session = state
        .store
        .create_web_session(
            account.id,
            NewWebSession {
                user_id: user.id,
                token_hash: hash_api_key(&token),
                csrf_hash: hash_api_key(&csrf),
                expires_at: Utc::now() + Duration::hours(SESSION_HOURS),
                ip: Some(peer.ip().to_string()),
                user_agent,
            },
        )
        .await?;
    attempt
        .record(&user, "user-signed-in", "signed-in", "Signed in")
        .await;
    let secure = is_https(&headers);
    let me = Me {
        account: account.id,
        login: Some(user.login.clone()),
        name: user.name.clone(),
        role: Some(user.role.to_string()),
        via: "browser".into(),
        csrf_token: Some(csrf.clone()),
        expires_at: Some(session.expires_at),
    };
    let max_age = SESSION_HOURS * 3600;
    let cookies = [
        cookie(SESSION_COOKIE, &token, max_age, true, secure),
        cookie(CSRF_COOKIE, &csrf, max_age, false, secure),
    ];
    Ok(with_cookies(Json(me).into_response(), &cookies))
}

/// Ends the browser session and clears its cookies.
#[utoipa::path(post, path = "/api/v1/auth/sign-out", tag = "auth",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn sign_out(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Via::Browser(session) = &caller.via {
        state
            .store
            .end_web_session(session.account_id, session.id)
            .await?;
        let item = json!({"type": "user-signed-out", "action": "signed-out", "level": "audit",
            "resource": {"kind": "user", "id": caller.login(), "name": caller.login()},
            "message": "Signed out"});
        crate::audit::record(&state, caller.account(), caller.actor(), item).await;
    }
    let secure = is_https(&headers);
    let cookies = [
        cookie(SESSION_COOKIE, "", 0, true, secure),
        cookie(CSRF_COOKIE, "", 0, false, secure),
    ];
    Ok(with_cookies(
        StatusCode::NO_CONTENT.into_response(),
        &cookies,
    ))
}

/// The caller: the signed-in person or the API key's.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn me(caller: Caller) -> Json<Me> {
    Json(Me {
        account: caller.account(),
        login: caller.login().map(str::to_string),
        name: caller.person.as_ref().and_then(|p| p.name.clone()),
        role: caller.role().map(|r| r.to_string()),
        via: match caller.via {
            Via::Key(_) => "api_key",
            Via::Browser(_) => "browser",
        }
        .into(),
        csrf_token: None,
        expires_at: None,
    })
}

/// One sign-in attempt, and what it records.
struct Attempt<'a> {
    state: &'a AppState,
    account: Uuid,
    login: &'a str,
    ip: IpAddr,
    user_agent: Option<String>,
}

impl Attempt<'_> {
    /// The person, if the password is theirs and the login is not locked.
    async fn check_password(&self, password: &str) -> Result<User, ApiError> {
        // The same answer whatever went wrong: which it was would help a guesser.
        let refused = || {
            ApiError::Unauthorized(
                "wrong login or password, or too many failed attempts; try again later".into(),
            )
        };
        let store = &self.state.store;
        let Some(found) = store.credentials(self.account, self.login).await? else {
            // Spend the time a real check takes, so unknown logins do not answer faster.
            let _ = verify(password.to_string(), DUMMY_HASH.clone()).await;
            self.failed(None, "unknown login").await;
            return Err(refused());
        };
        let now = Utc::now();
        if found.locked_until.is_some_and(|t| t > now) {
            let _ = verify(password.to_string(), DUMMY_HASH.clone()).await;
            self.failed(Some(&found.user), "login locked").await;
            return Err(refused());
        }
        let Some(hash) = found.password_hash.clone() else {
            let _ = verify(password.to_string(), DUMMY_HASH.clone()).await;
            self.failed(Some(&found.user), "no password set").await;
            return Err(refused());
        };
        if verify(password.to_string(), hash).await {
            store
                .record_sign_in(self.account, found.user.id, 0, None)
                .await?;
            return Ok(found.user);
        }
        let lock_until = now + Duration::minutes(LOCK_MINUTES);
        let failures = store
            .count_failed_sign_in(self.account, found.user.id, LOCK_AFTER, lock_until)
            .await?;
        self.failed(Some(&found.user), "wrong password").await;
        if failures == LOCK_AFTER {
            let message = format!("Locked after {failures} failed sign-ins");
            self.record(&found.user, "user-locked-out", "locked-out", &message)
                .await;
        }
        Err(refused())
    }

    async fn failed(&self, user: Option<&User>, reason: &str) {
        let item = json!({"type": "user-sign-in-failed", "action": "sign-in-failed", "level": "audit",
            "status": "failed", "ip": self.ip.to_string(), "user_agent": self.user_agent,
            "resource": {"kind": "user", "id": self.login, "name": self.login},
            "message": format!("Sign-in failed: {reason}"),
            "params": {"login": self.login, "reason": reason}});
        // Attempts on unknown logins are the system's to record, so that guesses do
        // not create people.
        let actor = match user {
            Some(u) => person(u),
            None => Actor {
                kind: ActorKind::System,
                id: "trail".into(),
                name: Some("Trail".into()),
                email: None,
            },
        };
        crate::audit::record(self.state, self.account, actor, item).await;
    }

    async fn record(&self, user: &User, event_type: &str, action: &str, message: &str) {
        let item = json!({"type": event_type, "action": action, "level": "audit",
            "ip": self.ip.to_string(), "user_agent": self.user_agent,
            "resource": {"kind": "user", "id": user.login, "name": user.login},
            "message": message});
        crate::audit::record(self.state, self.account, person(user), item).await;
    }
}

fn person(u: &User) -> Actor {
    Actor {
        kind: ActorKind::User,
        id: u.login.clone(),
        name: u.name.clone(),
        email: u.email.clone(),
    }
}

/// argon2 is slow on purpose; off the async threads.
async fn verify(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// A hash of a random password, checked against when the login is unknown.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    hash_password(&generate_password()).expect("a random password hashes")
});

async fn find_account(state: &AppState, name: Option<&str>) -> Result<Account, ApiError> {
    let accounts = state.store.list_accounts().await?;
    match name {
        Some(n) => accounts.into_iter().find(|a| a.name == n).ok_or_else(|| {
            ApiError::Unauthorized(
                "wrong login or password, or too many failed attempts; try again later".into(),
            )
        }),
        None if accounts.len() == 1 => Ok(accounts.into_iter().next().expect("one account")),
        None => Err(ApiError::BadRequest(
            "this server has several accounts: name yours in \"account\"".into(),
        )),
    }
}

/// Behind a TLS-terminating proxy the cookie must be `Secure`.
fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

fn cookie(name: &str, value: &str, max_age: i64, http_only: bool, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; Max-Age={max_age}; SameSite=Strict");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}
