//! The audit event, as validated (`NewEvent`) and as stored (`Event`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::changes::ChangedField;
use crate::names::{Action, EventType, ResourceKind};

macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown {} {other:?}; expected one of: {}",
                        stringify!($name).to_lowercase(),
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

word_enum!(
    /// Who acted.
    ActorKind { User = "user", ApiKey = "api_key", ServiceAccount = "service_account", System = "system" }
);
word_enum!(
    /// Where the event was produced.
    Source { Client = "client", Server = "server" }
);
word_enum!(
    /// The outcome of the action.
    Status { Success = "success", Failed = "failed", InProgress = "in_progress", Pending = "pending" }
);
word_enum!(
    /// Severity or category, as in the seed's Logger.
    Level { Debug = "debug", Info = "info", Warning = "warning", Error = "error", Audit = "audit", Usage = "usage" }
);

/// The person, key or process that acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Actor {
    pub kind: ActorKind,
    /// Stable identifier: a login or email for users, the key id for API keys.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Where it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Resource {
    #[schema(value_type = String)]
    pub kind: ResourceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One parameter value. Strings that are UUIDs are entity ids (the seed's `value_uuid`).
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    String(String),
    Number(serde_json::Number),
    Bool(bool),
    EntityId(Uuid),
    /// Objects, arrays and null, kept as JSON.
    Json(serde_json::Value),
}

impl ParamValue {
    pub fn from_json(v: serde_json::Value) -> Self {
        use serde_json::Value;
        match v {
            Value::String(s) => match Uuid::parse_str(&s) {
                Ok(id) if s.len() == 36 => ParamValue::EntityId(id),
                _ => ParamValue::String(s),
            },
            Value::Number(n) => ParamValue::Number(n),
            Value::Bool(b) => ParamValue::Bool(b),
            other => ParamValue::Json(other),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            ParamValue::String(s) => Value::String(s.clone()),
            ParamValue::Number(n) => Value::Number(n.clone()),
            ParamValue::Bool(b) => Value::Bool(*b),
            ParamValue::EntityId(id) => Value::String(id.hyphenated().to_string()),
            ParamValue::Json(v) => v.clone(),
        }
    }

    /// Every value of `data_type`.
    pub const DATA_TYPES: &'static [&'static str] =
        &["string", "number", "bool", "entity_id", "json"];

    /// The declared data type stored in `event_parameters.type`.
    pub fn data_type(&self) -> &'static str {
        match self {
            ParamValue::String(_) => "string",
            ParamValue::Number(_) => "number",
            ParamValue::Bool(_) => "bool",
            ParamValue::EntityId(_) => "entity_id",
            ParamValue::Json(_) => "json",
        }
    }

    /// The text stored in `event_parameter_values.value`: strings as they are, JSON otherwise.
    pub fn to_text(&self) -> String {
        match self {
            ParamValue::String(s) => s.clone(),
            ParamValue::Number(n) => n.to_string(),
            ParamValue::Bool(b) => b.to_string(),
            ParamValue::EntityId(id) => id.hyphenated().to_string(),
            ParamValue::Json(v) => v.to_string(),
        }
    }

    pub fn entity_id(&self) -> Option<Uuid> {
        match self {
            ParamValue::EntityId(id) => Some(*id),
            _ => None,
        }
    }

    /// Inverse of (`data_type`, `to_text`), for reading rows back.
    pub fn from_stored(data_type: &str, text: &str) -> Result<Self, String> {
        let bad = |e: &dyn fmt::Display| format!("stored {data_type} value {text:?}: {e}");
        Ok(match data_type {
            "string" => ParamValue::String(text.to_string()),
            "number" => ParamValue::Number(serde_json::from_str(text).map_err(|e| bad(&e))?),
            "bool" => ParamValue::Bool(text.parse().map_err(|e| bad(&e))?),
            "entity_id" => ParamValue::EntityId(Uuid::parse_str(text).map_err(|e| bad(&e))?),
            "json" => ParamValue::Json(serde_json::from_str(text).map_err(|e| bad(&e))?),
            other => return Err(format!("unknown parameter type {other:?}")),
        })
    }
}

/// Before/after objects of a change, with the fields that differ (computed by the server).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Changes {
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub changed: Vec<ChangedField>,
}

/// An error carried by an event; the signature groups errors with the same stack shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorInfo {
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_trace: Option<String>,
    /// Hex SHA-256 of the stack (or message) with digits and addresses stripped.
    pub signature: String,
}

/// An event that passed validation and is ready to be stored. Ids, actor and session
/// are resolved; `seq`, `hash` and `received_at` are assigned at commit.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub id: Uuid,
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    pub actor: Actor,
    pub session_id: Option<Uuid>,
    pub source: Source,
    pub resource: Option<Resource>,
    pub package: Option<String>,
    pub action: Action,
    pub status: Status,
    pub level: Level,
    pub duration_ms: Option<u64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub operation_id: Option<String>,
    pub message: Option<String>,
    pub params: BTreeMap<String, ParamValue>,
    pub changes: Option<Changes>,
    pub error: Option<ErrorInfo>,
    /// SHA-256 of the item as the client sent it (canonical form); a retry with the same
    /// id must carry the same digest or it is a conflict.
    pub content_digest: [u8; 32],
}

/// A committed event as read back from the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub account_id: Uuid,
    pub seq: i64,
    pub received_at: DateTime<Utc>,
    /// SHA-256 of the canonical encoding (see `encoding`).
    pub hash: [u8; 32],
    pub body: NewEvent,
}
