//! The canonical encoding of an event, which is what `hash` covers.
//!
//! The encoding is JSON with object keys sorted by their UTF-8 bytes, no
//! whitespace, absent and null fields omitted at the top level, strings escaped as
//! `serde_json` escapes them, and timestamps as RFC 3339 UTC with exactly six
//! fractional digits. docs/schema.md documents it for third-party verifiers.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
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

pub fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Writes canonical JSON object members in the order given, which callers keep
/// sorted; absent values are skipped.
struct ObjectWriter<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    fn open(out: &'a mut String) -> Self {
        out.push('{');
        ObjectWriter { out, first: true }
    }

    fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
        self.out
    }

    fn str(&mut self, key: &str, value: Option<&str>) {
        if let Some(v) = value {
            let out = self.key(key);
            write_json_string(v, out);
        }
    }

    fn raw(&mut self, key: &str, value: Option<String>) {
        if let Some(v) = value {
            self.key(key).push_str(&v);
        }
    }

    fn value(&mut self, key: &str, value: &Value) {
        write_canonical(value, self.key(key));
    }

    fn close(self) {
        self.out.push('}');
    }
}

fn write_json_string(s: &str, out: &mut String) {
    // serde_json's escaping, without building a Value.
    out.push_str(&serde_json::to_string(s).expect("strings always serialize"));
}

/// The canonical record of a committed event: the members below, in this
/// (byte-sorted) order, absent ones left out.
pub fn write_record(
    account_id: Uuid,
    seq: i64,
    received_at: &DateTime<Utc>,
    e: &NewEvent,
    out: &mut String,
) {
    let mut w = ObjectWriter::open(out);
    w.str("account", Some(&account_id.to_string()));
    w.str("action", Some(e.action.as_str()));
    {
        let a = &e.actor;
        let mut actor = ObjectWriter::open(w.key("actor"));
        actor.str("email", a.email.as_deref());
        actor.str("id", Some(&a.id));
        actor.str("kind", Some(a.kind.as_str()));
        actor.str("name", a.name.as_deref());
        actor.close();
    }
    if let Some(c) = &e.changes {
        let mut changes = ObjectWriter::open(w.key("changes"));
        changes.value("after", &c.after);
        changes.value("before", &c.before);
        changes.close();
    }
    w.raw("duration_ms", e.duration_ms.map(|d| d.to_string()));
    if let Some(err) = &e.error {
        let mut error = ObjectWriter::open(w.key("error"));
        error.str("message", Some(&err.message));
        error.str("stack_trace", err.stack_trace.as_deref());
        error.close();
    }
    w.str("id", Some(&e.id.to_string()));
    w.str("ip", e.ip.as_deref());
    w.str("level", Some(e.level.as_str()));
    w.str("message", e.message.as_deref());
    w.str("occurred_at", Some(&timestamp(&e.occurred_at)));
    w.str("operation_id", e.operation_id.as_deref());
    w.str("package", e.package.as_deref());
    if !e.params.is_empty() {
        // BTreeMap iterates names in byte order, as canonical form wants.
        let mut params = ObjectWriter::open(w.key("params"));
        for (name, value) in &e.params {
            let key = serde_json::to_string(name).expect("strings always serialize");
            params.value(&key[1..key.len() - 1], &value.to_json());
        }
        params.close();
    }
    w.str("received_at", Some(&timestamp(received_at)));
    w.str("request_id", e.request_id.as_deref());
    if let Some(r) = &e.resource {
        let mut resource = ObjectWriter::open(w.key("resource"));
        resource.str("id", r.id.as_deref());
        resource.str("kind", Some(r.kind.as_str()));
        resource.str("name", r.name.as_deref());
        resource.close();
    }
    w.raw("seq", Some(seq.to_string()));
    w.str("session_id", e.session_id.map(|s| s.to_string()).as_deref());
    w.str("source", Some(e.source.as_str()));
    w.str("status", Some(e.status.as_str()));
    w.str("type", Some(e.event_type.as_str()));
    w.str("user_agent", e.user_agent.as_deref());
    w.close();
}

/// SHA-256 of the canonical record.
pub fn event_hash(
    account_id: Uuid,
    seq: i64,
    received_at: &DateTime<Utc>,
    e: &NewEvent,
) -> [u8; 32] {
    let mut out = String::with_capacity(1024);
    write_record(account_id, seq, received_at, e, &mut out);
    Sha256::digest(out.as_bytes()).into()
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
    fn record_is_canonical_json_of_the_event() {
        let ctx = crate::input::tests_support::context();
        let e = ctx
            .parse(
                0,
                json!({
                    "type": "notebook-edited", "actor": {"kind": "user", "id": "a\"b", "name": "Ä"},
                    "resource": {"id": "1", "name": "N"}, "duration_ms": 5, "message": "m\n",
                    "params": {"z": 1, "a": {"y": [1, 2], "b": null}, "Q": "x"},
                    "changes": {"before": {"t": 1}, "after": {"t": 2}},
                    "error": {"message": "boom"}
                }),
            )
            .unwrap();
        let mut streamed = String::new();
        let received = Utc::now();
        write_record(Uuid::nil(), 7, &received, &e, &mut streamed);
        let parsed: Value = serde_json::from_str(&streamed).expect("valid JSON");
        assert_eq!(
            canonical_string(&parsed),
            streamed,
            "members sorted, no whitespace"
        );
        assert_eq!(parsed["seq"], 7);
        assert_eq!(parsed["params"]["a"]["y"], json!([1, 2]));
        assert_eq!(parsed["actor"]["id"], "a\"b");
        assert!(
            parsed.get("session_id").is_none(),
            "absent members are left out"
        );
        assert_eq!(
            parsed["occurred_at"].as_str().unwrap().len(),
            "2024-06-12T14:30:22.123456Z".len()
        );
    }
}
