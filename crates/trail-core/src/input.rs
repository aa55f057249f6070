//! What clients send, and its parsing into a `NewEvent`. Every refusal names the
//! field and says what is wrong, so a client can fix its payload.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::catalogue::Catalogue;
use crate::changes;
use crate::error_signature::signature;
use crate::event::{
    Actor, ActorKind, Changes, ErrorInfo, Level, NewEvent, ParamValue, Resource, Source, Status,
};
use crate::names::{Action, EventType, ResourceKind};
use sha2::Digest;

/// One event as a client sends it. Unknown fields are refused.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// UUIDv7; generated when absent. Retrying with the same id is safe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A catalogue type (`query-created`, ...) or a custom one (`my_log`).
    #[serde(rename = "type")]
    pub event_type: String,
    /// RFC 3339; the server's clock when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<String>,
    /// Defaults to the API key that sent the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<ActorInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// `client` or `server`; defaults to what the key is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Defaults to the type's action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// `success` (default), `failed`, `in_progress`, `pending`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Defaults to the type's level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Ties the start and end events of a long operation together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub params: Option<serde_json::Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<ChangesInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInput>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActorInput {
    /// `user`, `api_key`, `service_account` or `system`.
    pub kind: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceInput {
    /// Defaults to the type's resource kind (`query` for `query-created`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangesInput {
    #[schema(value_type = Object)]
    pub before: Value,
    #[schema(value_type = Object)]
    pub after: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorInput {
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_trace: Option<String>,
}

/// A refused item: which one (its index in the batch), which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    pub index: usize,
    pub field: String,
    pub message: String,
}

/// Size limits on one event. The defaults are documented in docs/api.md.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_params: usize,
    pub max_param_name: usize,
    pub max_param_value_bytes: usize,
    pub max_short_text: usize,
    pub max_message_bytes: usize,
    pub max_stack_bytes: usize,
    pub max_changes_bytes: usize,
    /// How far in the future `occurred_at` may lie (clock skew).
    pub max_future: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_params: 100,
            max_param_name: 64,
            max_param_value_bytes: 8 * 1024,
            max_short_text: 256,
            max_message_bytes: 16 * 1024,
            max_stack_bytes: 64 * 1024,
            max_changes_bytes: 64 * 1024,
            max_future: Duration::hours(24),
        }
    }
}

/// What the server knows about the request an item arrived in.
#[derive(Debug, Clone)]
pub struct InputContext {
    pub now: DateTime<Utc>,
    /// The actor when an item names none (the API key).
    pub default_actor: Actor,
    pub default_source: Source,
    /// The connection's address and user agent, used for client-side events.
    pub peer_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub limits: Limits,
    /// The account's redaction rules, applied before anything else sees an item.
    pub redactor: std::sync::Arc<crate::redact::Redactor>,
}

/// Timestamps are kept to the microsecond, the precision both stores hold.
pub fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::microseconds(1)).unwrap_or(t)
}

impl InputContext {
    /// Parses one submitted JSON item. All problems of the item are reported, not just the first.
    pub fn parse(&self, index: usize, item: Value) -> Result<NewEvent, Vec<FieldError>> {
        let input: EventInput = serde_path_to_error::deserialize(item).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." {
                "(event)".to_string()
            } else {
                path
            };
            vec![FieldError {
                index,
                field,
                message: e.into_inner().to_string(),
            }]
        })?;
        self.validate(index, input)
    }

    /// Parses one item from its JSON text: straight into the typed input on the
    /// common path, through `parse` (which names the failing field) otherwise.
    pub fn parse_text(&self, index: usize, text: &str) -> Result<NewEvent, Vec<FieldError>> {
        match serde_json::from_str::<EventInput>(text) {
            Ok(input) => self.validate(index, input),
            Err(_) => match serde_json::from_str::<Value>(text) {
                Ok(value) => self.parse(index, value),
                Err(e) => Err(vec![FieldError {
                    index,
                    field: "(event)".into(),
                    message: format!("not valid JSON: {e}"),
                }]),
            },
        }
    }

    fn validate(&self, index: usize, mut input: EventInput) -> Result<NewEvent, Vec<FieldError>> {
        // Secrets go first: the digest (kept for retries) and everything after
        // see the redacted item only.
        self.redactor.input(&mut input);
        let digest = content_digest(&input);
        let mut p = ItemParser {
            index,
            ctx: self,
            errors: Vec::new(),
        };
        let event = p.event(input, digest);
        if p.errors.is_empty() {
            Ok(event.expect("an event is built when no field failed"))
        } else {
            Err(p.errors)
        }
    }
}

/// SHA-256 of the item in normal form: serialized from the typed input, so fields
/// come in one fixed order, absent and null are alike, and params and JSON values
/// have their keys sorted. Retries that reorder keys or whitespace match.
pub fn content_digest(input: &EventInput) -> [u8; 32] {
    let bytes = serde_json::to_vec(input).expect("inputs always serialize");
    sha2::Sha256::digest(&bytes).into()
}

struct ItemParser<'a> {
    index: usize,
    ctx: &'a InputContext,
    errors: Vec<FieldError>,
}

impl ItemParser<'_> {
    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            index: self.index,
            field: field.into(),
            message: message.into(),
        });
    }

    /// Runs `f` on a present value and records its error under `field`.
    fn opt<T, R>(
        &mut self,
        field: &str,
        v: Option<T>,
        f: impl FnOnce(T) -> Result<R, String>,
    ) -> Option<R> {
        match f(v?) {
            Ok(r) => Some(r),
            Err(m) => {
                self.fail(field, m);
                None
            }
        }
    }

    fn text(&mut self, field: &str, v: Option<String>, max: usize) -> Option<String> {
        self.opt(field, v, |s| {
            if s.len() > max {
                Err(format!("must be at most {max} bytes, got {}", s.len()))
            } else if s.contains('\0') {
                Err(NUL_MESSAGE.into())
            } else {
                Ok(s)
            }
        })
    }

    fn event(&mut self, i: EventInput, content_digest: [u8; 32]) -> Option<NewEvent> {
        let lim = self.ctx.limits;
        let id = self.opt("id", i.id, parse_id).unwrap_or_else(Uuid::now_v7);
        let event_type = self.opt("type", Some(i.event_type), |s| {
            EventType::parse(&s).map_err(|e| e.to_string())
        });
        let occurred_at = self
            .opt("occurred_at", i.occurred_at, |s| {
                parse_time(&s, self.ctx.now, lim.max_future)
            })
            .unwrap_or(self.ctx.now);
        let actor = match i.actor {
            Some(a) => self.actor(a),
            None => Some(self.ctx.default_actor.clone()),
        };
        let session_id = self.opt("session_id", i.session_id, |s| {
            Uuid::parse_str(&s).map_err(|_| format!("not a UUID: {s:?}"))
        });
        let source = self
            .opt("source", i.source, |s| s.parse())
            .unwrap_or(self.ctx.default_source);
        let resource_input = i.resource;
        let package = self.text("package", i.package, lim.max_short_text);
        let action = self.opt("action", i.action, |s| {
            Action::parse(&s).map_err(|e| e.to_string())
        });
        let status = self.opt("status", i.status, |s| s.parse());
        let level = self.opt("level", i.level, |s| s.parse());
        let ip = self.opt("ip", i.ip, |s| {
            s.parse::<IpAddr>()
                .map(|ip| ip.to_string())
                .map_err(|_| format!("not an IP address: {s:?}"))
        });
        let user_agent = self.text("user_agent", i.user_agent, 1024);
        let request_id = self.text("request_id", i.request_id, lim.max_short_text);
        let operation_id = self.text("operation_id", i.operation_id, lim.max_short_text);
        let message = self.text("message", i.message, lim.max_message_bytes);
        let params = self.params(i.params.unwrap_or_default());
        let changes = i.changes.and_then(|c| self.changes(c));
        let error = i.error.and_then(|e| self.error(e));

        let event_type = event_type?;
        let info = Catalogue::info(&event_type);
        let resource = resource_input.and_then(|r| self.resource(r, info.resource_kind.clone()));
        let failed = error.is_some() || info.level == crate::event::Level::Error;
        let client = source == Source::Client;
        Some(NewEvent {
            id,
            occurred_at,
            actor: actor?,
            session_id,
            source,
            resource,
            package,
            action: action.unwrap_or(info.action),
            status: status.unwrap_or(if failed {
                Status::Failed
            } else {
                Status::Success
            }),
            level: level.unwrap_or(if error.is_some() {
                Level::Error
            } else {
                info.level
            }),
            duration_ms: self.opt("duration_ms", i.duration_ms, |d| {
                if d <= MAX_DURATION_MS {
                    Ok(d)
                } else {
                    Err(format!(
                        "must be at most {MAX_DURATION_MS} (ten years), got {d}"
                    ))
                }
            }),
            ip: ip.or_else(|| self.ctx.peer_ip.filter(|_| client).map(|ip| ip.to_string())),
            user_agent: user_agent.or_else(|| self.ctx.user_agent.clone().filter(|_| client)),
            request_id,
            operation_id,
            message,
            params,
            changes,
            error,
            content_digest,
            event_type,
        })
    }

    fn actor(&mut self, a: ActorInput) -> Option<Actor> {
        let max = self.ctx.limits.max_short_text;
        let kind = self.opt("actor.kind", Some(a.kind), |s| s.parse::<ActorKind>());
        let id = self.opt("actor.id", Some(a.id), |s| match s.trim() {
            "" => Err("must not be empty".to_string()),
            t if t.len() > max => Err(format!("must be at most {max} bytes")),
            t if t.contains('\0') => Err(NUL_MESSAGE.into()),
            t => Ok(t.to_string()),
        });
        let name = self.text("actor.name", a.name, max);
        let email = self.text("actor.email", a.email, max);
        Some(Actor {
            kind: kind?,
            id: id?,
            name,
            email,
        })
    }

    fn resource(
        &mut self,
        r: ResourceInput,
        default_kind: Option<ResourceKind>,
    ) -> Option<Resource> {
        let max = self.ctx.limits.max_short_text;
        let kind = match r.kind {
            Some(k) => self.opt("resource.kind", Some(k), |s| {
                ResourceKind::parse(&s).map_err(|e| e.to_string())
            }),
            None if default_kind.is_some() => default_kind,
            None => {
                self.fail(
                    "resource.kind",
                    "required: this event type implies no resource kind",
                );
                None
            }
        };
        let id = self.text("resource.id", r.id, max);
        let name = self.text("resource.name", r.name, max);
        Some(Resource {
            kind: kind?,
            id,
            name,
        })
    }

    fn params(&mut self, raw: serde_json::Map<String, Value>) -> BTreeMap<String, ParamValue> {
        let lim = self.ctx.limits;
        if raw.len() > lim.max_params {
            self.fail(
                "params",
                format!("at most {} parameters, got {}", lim.max_params, raw.len()),
            );
            return BTreeMap::new();
        }
        let mut out = BTreeMap::new();
        for (name, value) in raw {
            let field = format!("params.{name}");
            if name.is_empty() || name.len() > lim.max_param_name {
                self.fail(
                    &field,
                    format!("parameter names must be 1 to {} bytes", lim.max_param_name),
                );
                continue;
            }
            if name.contains('\0') || has_nul(&value) {
                self.fail(&field, NUL_MESSAGE);
                continue;
            }
            let size = value.to_string().len();
            if size > lim.max_param_value_bytes {
                self.fail(
                    &field,
                    format!(
                        "value must be at most {} bytes, got {size}",
                        lim.max_param_value_bytes
                    ),
                );
                continue;
            }
            out.insert(name, ParamValue::from_json(value));
        }
        out
    }

    fn changes(&mut self, c: ChangesInput) -> Option<Changes> {
        let size = c.before.to_string().len() + c.after.to_string().len();
        let max = self.ctx.limits.max_changes_bytes;
        if size > max {
            self.fail(
                "changes",
                format!("before and after together must be at most {max} bytes, got {size}"),
            );
            return None;
        }
        if has_nul(&c.before) || has_nul(&c.after) {
            self.fail("changes", NUL_MESSAGE);
            return None;
        }
        let changed = changes::diff(&c.before, &c.after);
        Some(Changes {
            before: c.before,
            after: c.after,
            changed,
        })
    }

    fn error(&mut self, e: ErrorInput) -> Option<ErrorInfo> {
        let lim = self.ctx.limits;
        let message = self.text("error.message", Some(e.message), lim.max_message_bytes);
        let stack_trace = self.text("error.stack_trace", e.stack_trace, lim.max_stack_bytes);
        let message = message?;
        let signature = signature(&message, stack_trace.as_deref());
        Some(ErrorInfo {
            message,
            stack_trace,
            signature,
        })
    }
}

/// Ten years in milliseconds: anything longer is a unit mistake, and it keeps the value in an i64.
const MAX_DURATION_MS: u64 = 10 * 365 * 24 * 3600 * 1000;

/// PostgreSQL text cannot hold U+0000, so no store accepts it (the backends must agree).
const NUL_MESSAGE: &str = "must not contain the NUL character (\\u0000)";

fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(m) => m.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

fn parse_id(s: String) -> Result<Uuid, String> {
    let id = Uuid::parse_str(&s).map_err(|_| format!("not a UUID: {s:?}"))?;
    match id.get_version_num() {
        7 => Ok(id),
        v => Err(format!("must be a UUIDv7 (time-ordered), got version {v}")),
    }
}

fn parse_time(s: &str, now: DateTime<Utc>, max_future: Duration) -> Result<DateTime<Utc>, String> {
    let t = DateTime::parse_from_rfc3339(s)
        .map_err(|e| {
            format!("not an RFC 3339 timestamp such as 2024-06-12T14:30:22Z ({e}): {s:?}")
        })?
        .with_timezone(&Utc);
    if t > now + max_future {
        return Err(format!(
            "{s} is more than {} hours in the future",
            max_future.num_hours()
        ));
    }
    if t.timestamp() < 0 {
        return Err(format!("{s} is before 1970"));
    }
    Ok(truncate_micros(t))
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    pub fn context() -> InputContext {
        InputContext {
            now: truncate_micros(Utc::now()),
            default_actor: Actor {
                kind: ActorKind::ApiKey,
                id: "key1".into(),
                name: None,
                email: None,
            },
            default_source: Source::Server,
            peer_ip: Some("10.0.0.9".parse().unwrap()),
            user_agent: Some("curl/8".into()),
            limits: Limits::default(),
            redactor: crate::redact::Redactor::defaults(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> InputContext {
        tests_support::context()
    }

    fn errors(item: Value) -> Vec<(String, String)> {
        ctx()
            .parse(3, item)
            .unwrap_err()
            .into_iter()
            .map(|e| {
                assert_eq!(e.index, 3);
                (e.field, e.message)
            })
            .collect()
    }

    #[test]
    fn minimal_event_gets_catalogue_defaults() {
        let e = ctx()
            .parse(
                0,
                json!({"type": "query-start", "resource": {"id": "42", "name": "Top 10"}}),
            )
            .unwrap();
        assert_eq!(e.action.as_str(), "executed");
        assert_eq!(e.level, Level::Usage);
        assert_eq!(e.status, Status::Success);
        assert_eq!(e.resource.unwrap().kind.as_str(), "query");
        assert_eq!(e.actor.kind, ActorKind::ApiKey);
        assert_eq!(e.id.get_version_num(), 7);
        assert_eq!(
            e.ip, None,
            "server events do not take the connection's address"
        );
    }

    #[test]
    fn client_events_take_peer_address_and_agent() {
        let e = ctx()
            .parse(0, json!({"type": "log", "source": "client"}))
            .unwrap();
        assert_eq!(e.ip.as_deref(), Some("10.0.0.9"));
        assert_eq!(e.user_agent.as_deref(), Some("curl/8"));
    }

    #[test]
    fn resource_kind_sent_wins_over_the_type_default() {
        let e = ctx()
            .parse(
                0,
                json!({"type": "connection-edited", "resource": {"kind": "database", "id": "7"}}),
            )
            .unwrap();
        assert_eq!(e.resource.unwrap().kind.as_str(), "database");
    }

    #[test]
    fn an_error_makes_the_event_failed_with_a_signature() {
        let e = ctx().parse(0, json!({"type": "error", "error": {"message": "boom", "stack_trace": "at f (a.js:1:2)"}})).unwrap();
        assert_eq!((e.status, e.level), (Status::Failed, Level::Error));
        assert_eq!(e.error.unwrap().signature.len(), 32);
    }

    #[test]
    fn unknown_fields_are_named() {
        let errs = errors(json!({"type": "log", "usr": "alice"}));
        assert_eq!(errs[0].0, "usr");
        assert!(errs[0].1.contains("unknown field `usr`"), "{}", errs[0].1);
    }

    #[test]
    fn wrong_types_name_the_nested_field() {
        let errs = errors(json!({"type": "log", "actor": {"kind": "user", "id": 5}}));
        assert_eq!(errs[0].0, "actor.id");
        let errs = errors(json!({"type": "log", "duration_ms": -4}));
        assert_eq!(errs[0].0, "duration_ms");
    }

    #[test]
    fn every_bad_field_is_reported() {
        let errs = errors(json!({
            "type": "Bad Type", "occurred_at": "yesterday", "status": "ok", "ip": "999.1.1.1",
            "id": "6f1c1c1e-1111-4111-8111-111111111111", "params": {"x": "y".repeat(9000)}
        }));
        let fields: Vec<&str> = errs.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            ["id", "type", "occurred_at", "status", "ip", "params.x"]
        );
        assert!(errs[0].1.contains("UUIDv7"));
        assert!(errs[2].1.contains("RFC 3339"));
        assert!(errs[3].1.contains("success, failed, in_progress, pending"));
    }

    #[test]
    fn digest_ignores_key_order_whitespace_and_explicit_nulls() {
        let a = ctx()
            .parse_text(
                0,
                r#"{"type":"log","params":{"a":1,"b":{"y":1,"x":2}},"message":null}"#,
            )
            .unwrap();
        let b = ctx()
            .parse_text(
                0,
                r#"{ "params" : {"b":{"x":2,"y":1}, "a":1}, "type":"log" }"#,
            )
            .unwrap();
        assert_eq!(a.content_digest, b.content_digest);
        let c = ctx()
            .parse_text(0, r#"{"type":"log","params":{"a":2}}"#)
            .unwrap();
        assert_ne!(a.content_digest, c.content_digest);
    }

    #[test]
    fn text_and_value_paths_agree() {
        let text = r#"{"type":"query-start","resource":{"id":"1"},"params":{"rows":3}}"#;
        let mut a = ctx().parse_text(0, text).unwrap();
        let mut b = ctx().parse(0, serde_json::from_str(text).unwrap()).unwrap();
        b.id = a.id;
        a.occurred_at = b.occurred_at;
        assert_eq!(a, b);
        let errs = ctx()
            .parse_text(4, r#"{"type":"log","duration_ms":"slow"}"#)
            .unwrap_err();
        assert_eq!((errs[0].index, errs[0].field.as_str()), (4, "duration_ms"));
        let errs = ctx().parse_text(4, r#"{"type":"#).unwrap_err();
        assert!(errs[0].message.contains("not valid JSON"));
    }

    #[test]
    fn nul_characters_and_absurd_durations_are_refused() {
        let errs = errors(json!({
            "type": "log", "message": "a\u{0}b", "params": {"p": ["x\u{0}"]},
            "changes": {"before": {"k\u{0}": 1}, "after": {}}, "duration_ms": u64::MAX
        }));
        let fields: Vec<&str> = errs.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["message", "params.p", "changes", "duration_ms"]);
        assert!(errs[0].1.contains("NUL"));
    }

    #[test]
    fn future_timestamps_are_refused() {
        let errs = errors(json!({"type": "log", "occurred_at": "2999-01-01T00:00:00Z"}));
        assert!(errs[0].1.contains("future"));
    }

    #[test]
    fn params_keep_their_types() {
        let e = ctx().parse(0, json!({"type": "script-start", "resource": {"id": "s"}, "params": {
            "rows": 10, "name": "x", "ok": true, "ds": "0191b3a4-1c2d-7e3f-8a4b-5c6d7e8f9a0b", "cfg": {"a": 1}
        }})).unwrap();
        let types: Vec<&str> = e.params.values().map(|v| v.data_type()).collect();
        assert_eq!(types, ["json", "entity_id", "string", "bool", "number"]);
        for v in e.params.values() {
            assert_eq!(
                &ParamValue::from_stored(v.data_type(), &v.to_text()).unwrap(),
                v
            );
        }
    }
}
