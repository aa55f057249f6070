//! Records the store reads and writes besides events.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use trail_core::credentials::Scope;
use trail_core::{Actor, NewEvent};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// The seed's roles (seed 004, "Who Can See Logs").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Member,
    Auditor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Auditor => "auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            "auditor" => Ok(Role::Auditor),
            _ => Err(format!(
                "unknown role {s:?}; expected owner, admin, member or auditor"
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub login: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    /// argon2id PHC string; people who only appear in events have none.
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub login: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    pub joined: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: Uuid,
    pub name: String,
    pub parent: Option<Uuid>,
}

/// A change to a person; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub role: Option<Role>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// argon2id PHC string.
    pub password_hash: Option<String>,
}

/// What signing in needs to know of a person.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: Option<String>,
    /// Failed sign-ins since the last successful one.
    pub failed_sign_ins: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

/// A group the person belongs to, directly (`distance` 0) or through nesting
/// (1 for the parent of a direct group, and so on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub group: Uuid,
    pub name: String,
    pub distance: u32,
}

/// A group with its direct members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInfo {
    pub group: Group,
    pub members: Vec<Uuid>,
}

/// A signed-in browser session (not to be confused with the users' activity
/// sessions of `users_sessions`).
#[derive(Debug, Clone)]
pub struct NewWebSession {
    pub user_id: Uuid,
    /// SHA-256 (hex) of the cookie's token; the token itself is never stored.
    pub token_hash: String,
    /// SHA-256 (hex) of the CSRF token.
    pub csrf_hash: String,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub id: Uuid,
    pub account_id: Uuid,
    pub user_id: Uuid,
    pub csrf_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: String,
    pub scope: Scope,
    /// A personal key acts as this person, with their role (never more than the scope).
    pub user_id: Option<Uuid>,
    /// Source addresses allowed to use the key (CIDR, e.g. `10.0.0.0/8`); any when empty.
    pub allowed_ips: Vec<String>,
    /// `credentials::hash_api_key` of the secret; the secret itself is never stored.
    pub secret_hash: String,
    pub prefix: String,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub scope: Scope,
    pub user_id: Option<Uuid>,
    pub allowed_ips: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// Usable now: not revoked and not expired.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

#[derive(Debug, Clone)]
pub struct NewSession {
    /// The person; created in `users` on first sight.
    pub user: Actor,
    pub started: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// What the person uses: `browser`, `cli`, an app name.
    pub client: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    pub user_login: String,
    pub started: DateTime<Utc>,
    pub ended: Option<DateTime<Utc>>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub client: Option<String>,
}

/// One ingest request's events, committed together or not at all.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    pub account: Uuid,
    pub events: Vec<NewEvent>,
}

/// What became of one event of an append request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appended {
    pub id: Uuid,
    pub seq: i64,
    /// The id was already stored with the same content; nothing new was written.
    pub duplicate: bool,
}

/// What became of one append request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendOutcome {
    Stored(Vec<Appended>),
    /// These ids are already stored with other content; nothing of the request was written.
    Conflict(Vec<Uuid>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventTypeRecord {
    pub id: i64,
    pub name: String,
    pub resource_kind: Option<String>,
    pub action: String,
    pub level: String,
    pub builtin: bool,
    pub parameters: Vec<ParameterRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterRecord {
    pub id: i64,
    pub name: String,
    pub data_type: String,
}

/// A user's event without a session joins their latest open session if it started
/// at most this long before the event; otherwise a new session is started for it.
pub const SESSION_JOIN_WINDOW_HOURS: i64 = 12;
