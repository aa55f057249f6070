//! Wire types of the administration endpoints: people, groups, API keys, the
//! settings documents and signing in.
//!
//! The doc comments on these types are the descriptions in the OpenAPI document.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::logging::{Dropping, Policy, PolicySource};
use crate::redact::RedactionRules;

/// A person as the API shows them (never their password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Person {
    pub id: Uuid,
    pub login: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: String,
    pub joined: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    pub login: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// owner, admin, member or auditor.
    pub role: String,
    /// Lets the person sign in to the web app; at least 12 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GroupView {
    pub id: Uuid,
    pub name: String,
    /// The group this one is nested in.
    pub parent: Option<String>,
    /// Logins of the direct members.
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    pub name: String,
    /// The name of the group to nest this one in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KeyView {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the secret, to tell keys apart.
    pub prefix: String,
    pub scope: String,
    /// The person a personal key acts as.
    pub user: Option<Uuid>,
    pub allowed_ips: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Only in the answer that created the key: it is not stored and never shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    pub name: String,
    /// ingest (safe to embed in a web page), read or admin.
    pub scope: String,
    /// Makes a personal key acting as this person (their login).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// CIDR ranges the key may be used from, e.g. `10.0.0.0/8`.
    #[serde(default)]
    pub allowed_ips: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// Sample input for a redaction preview.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// Free text, e.g. a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Parameters or any JSON document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
    /// Rules to try instead of the saved ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<RedactionRules>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PreviewResponse {
    pub text: Option<String>,
    pub params: Option<Value>,
}

/// The settings that apply to one person, for SDKs to drop disabled events
/// before sending them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Effective {
    pub user: String,
    /// The setting and where it comes from; left out for SDKs (ingest keys
    /// acting for no one), which must not learn people's groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<Policy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<PolicySource>,
    /// What to drop before sending: types never recorded, and which
    /// debug-level events are.
    #[serde(flatten)]
    pub dropping: Dropping,
    /// Seconds the server and SDKs may cache this answer.
    pub refresh_seconds: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// The account's name; may be left out when the server has only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub login: String,
    pub password: String,
}

/// Who is signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Me {
    pub account: Uuid,
    pub login: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    /// `browser` or `api_key`.
    pub via: String,
    /// After sign-in only: send it back in `X-CSRF-Token` with every request that
    /// changes something (it is also in the `trail_csrf` cookie).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}
