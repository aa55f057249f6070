//! The canonical encoding of an event, which is what `hash` covers, and of a
//! client's submitted item, which is what idempotent retries are compared on.
//!
//! The encoding is JSON with object keys sorted by their UTF-8 bytes, no
//! whitespace, absent and null fields omitted at the top level, strings escaped as
//! `serde_json` escapes them, and timestamps as RFC 3339 UTC with exactly six
//! fractional digits. docs/schema.md documents it for third-party verifiers.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::event::{Event, NewEvent};

/// Writes `value` canonically (sorted keys, no whitespace), independent of how the
/// map type orders keys.
pub fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

pub fn canonical_string(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

/// SHA-256 of the canonical encoding of a submitted item (the client's JSON as sent).
pub fn content_digest(item: &Value) -> [u8; 32] {
    Sha256::digest(canonical_string(item).as_bytes()).into()
}

pub fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The canonical record of a committed event.
pub fn record(account_id: Uuid, seq: i64, received_at: &DateTime<Utc>, e: &NewEvent) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v.filter(|v| !v.is_null()) {
            m.insert(k.to_string(), v);
        }
    };
    let s = |x: &Option<String>| x.clone().map(Value::String);
    put("account", Some(account_id.to_string().into()));
    put("seq", Some(seq.into()));
    put("id", Some(e.id.to_string().into()));
    put("type", Some(e.event_type.as_str().into()));
    put("occurred_at", Some(timestamp(&e.occurred_at).into()));
    put("received_at", Some(timestamp(received_at).into()));
    put("actor", serde_json::to_value(&e.actor).ok());
    put("session_id", e.session_id.map(|id| id.to_string().into()));
    put("source", Some(e.source.as_str().into()));
    put(
        "resource",
        e.resource
            .as_ref()
            .and_then(|r| serde_json::to_value(r).ok()),
    );
    put("package", s(&e.package));
    put("action", Some(e.action.as_str().into()));
    put("status", Some(e.status.as_str().into()));
    put("level", Some(e.level.as_str().into()));
    put("duration_ms", e.duration_ms.map(Value::from));
    put("ip", s(&e.ip));
    put("user_agent", s(&e.user_agent));
    put("request_id", s(&e.request_id));
    put("operation_id", s(&e.operation_id));
    put("message", s(&e.message));
    if !e.params.is_empty() {
        let params = e
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        put("params", Some(Value::Object(params)));
    }
    if let Some(c) = &e.changes {
        put(
            "changes",
            Some(serde_json::json!({"before": c.before, "after": c.after})),
        );
    }
    if let Some(err) = &e.error {
        let mut o = Map::new();
        o.insert("message".into(), err.message.clone().into());
        if let Some(st) = &err.stack_trace {
            o.insert("stack_trace".into(), st.clone().into());
        }
        put("error", Some(Value::Object(o)));
    }
    Value::Object(m)
}

/// SHA-256 of the canonical record.
pub fn event_hash(
    account_id: Uuid,
    seq: i64,
    received_at: &DateTime<Utc>,
    e: &NewEvent,
) -> [u8; 32] {
    Sha256::digest(canonical_string(&record(account_id, seq, received_at, e)).as_bytes()).into()
}

impl Event {
    /// Recomputes the hash from the stored fields; equal to `hash` unless the row was altered.
    pub fn recompute_hash(&self) -> [u8; 32] {
        event_hash(self.account_id, self.seq, &self.received_at, &self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_sorts_keys_at_every_depth() {
        let v = json!({"b": 1, "a": {"z": [true, null], "y": "é\""}});
        assert_eq!(
            canonical_string(&v),
            r#"{"a":{"y":"é\"","z":[true,null]},"b":1}"#
        );
    }

    #[test]
    fn digest_ignores_key_order_and_whitespace() {
        let a: Value = serde_json::from_str(r#"{"type":"log", "id":"x"}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{ "id" : "x","type":"log"}"#).unwrap();
        assert_eq!(content_digest(&a), content_digest(&b));
        assert_ne!(
            content_digest(&a),
            content_digest(&json!({"id":"x","type":"log2"}))
        );
    }
}
