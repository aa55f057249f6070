//! Wire types of the HTTP API shared by the server and the Rust client.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::encoding::timestamp;
use crate::event::{Actor, Changes, ErrorInfo, Event, Level, Resource, Source, Status};
use crate::input::FieldError;

mod admin;

pub use admin::*;

/// A stored event as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventView {
    pub id: Uuid,
    /// Position in the account's log: 1, 2, 3, ... without gaps.
    pub seq: i64,
    #[serde(rename = "type")]
    pub event_type: String,
    /// RFC 3339 with microseconds.
    pub occurred_at: String,
    pub received_at: String,
    pub actor: Actor,
    pub session_id: Option<Uuid>,
    pub source: Source,
    pub resource: Option<Resource>,
    pub package: Option<String>,
    pub action: String,
    pub status: Status,
    pub level: Level,
    pub duration_ms: Option<u64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub operation_id: Option<String>,
    pub message: Option<String>,
    #[schema(value_type = Object)]
    pub params: BTreeMap<String, serde_json::Value>,
    pub changes: Option<Changes>,
    pub error: Option<ErrorInfo>,
    /// Hex SHA-256 of the canonical record (docs/schema.md, "Hashes").
    pub hash: String,
    /// Where to look next; given when one event is fetched by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<EventLinks>,
}

/// API paths related to an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventLinks {
    /// The other events of the same session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The activity of the resource the event happened on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_activity: Option<String>,
}

impl EventView {
    /// Adds the links shown with a single event.
    pub fn with_links(mut self) -> Self {
        let session = self
            .session_id
            .map(|id| format!("/api/v1/events?q=session:{id}"));
        let resource_activity = self.resource.as_ref().and_then(|r| {
            Some(format!(
                "/api/v1/entities/{}/{}/activity",
                r.kind,
                path_segment(r.id.as_deref()?)
            ))
        });
        self.links = Some(EventLinks {
            session,
            resource_activity,
        });
        self
    }
}

/// `s` percent-encoded for use as one segment of a URL path: everything but
/// letters, digits and `-_.~` is escaped.
pub fn path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl From<&Event> for EventView {
    fn from(e: &Event) -> Self {
        let b = &e.body;
        EventView {
            id: b.id,
            seq: e.seq,
            event_type: b.event_type.to_string(),
            occurred_at: timestamp(&b.occurred_at),
            received_at: timestamp(&e.received_at),
            actor: b.actor.clone(),
            session_id: b.session_id,
            source: b.source,
            resource: b.resource.clone(),
            package: b.package.clone(),
            action: b.action.to_string(),
            status: b.status,
            level: b.level,
            duration_ms: b.duration_ms,
            ip: b.ip.clone(),
            user_agent: b.user_agent.clone(),
            request_id: b.request_id.clone(),
            operation_id: b.operation_id.clone(),
            message: b.message.clone(),
            params: b
                .params
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect(),
            changes: b.changes.clone(),
            error: b.error.clone(),
            hash: hex::encode(e.hash),
            links: None,
        }
    }
}

/// One event of an ingest request, as committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IngestedEvent {
    pub id: Uuid,
    pub seq: i64,
    /// True when this id was already stored with the same content (a retry).
    pub duplicate: bool,
}

/// The answer to `POST /api/v1/events`, sent once every event is committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IngestResponse {
    /// Events newly stored.
    pub accepted: usize,
    /// Events recognised as retries of stored ones.
    pub duplicates: usize,
    /// In the order they were sent, without the dropped ones.
    pub events: Vec<IngestedEvent>,
    /// Events the logging settings keep out (a type turned off for the person,
    /// or throttled); nothing of them is stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<DroppedEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DroppedEvent {
    pub id: Uuid,
    /// `disabled` or `throttled`.
    pub reason: String,
}

/// Every error the API returns has this shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_events`, `conflict`, `unauthorized`.
    pub code: String,
    /// What went wrong, in plain words.
    pub message: String,
    /// The refused items of a batch, by index, field and reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldError>,
    /// Ids involved (the conflicting ids of a 409).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<Uuid>,
}

/// `POST /api/v1/sessions`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartSession {
    /// The person; `kind` must be `user`.
    pub user: SessionUser,
    /// Defaults to the address the request came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Defaults to the request's User-Agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// What the person uses: `browser`, `cli`, an app name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// RFC 3339; now when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionUser {
    /// Login or email; the same id joins the same user.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub user: String,
    pub started: DateTime<Utc>,
    pub ended: Option<DateTime<Utc>>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub client: Option<String>,
}

/// A page of events, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventPage {
    pub events: Vec<EventView>,
    /// Pass as `cursor` to get the next (older) page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The query of `GET /api/v1/entities/{kind}/{id}/activity`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ActivityParams {
    /// How many days back (default 7, at most 3650).
    pub days: Option<u32>,
    /// A further search to narrow the list (docs/search.md).
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub tz: Option<String>,
}

/// The query of `GET /api/v1/entities/{kind}/{id}/usage`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EntityUsageParams {
    /// How many days back (default 7, at most 3650).
    pub days: Option<u32>,
    /// IANA time zone in which days are counted (default UTC).
    pub tz: Option<String>,
}
