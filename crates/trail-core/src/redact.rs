//! Redaction: secrets in what clients send are replaced with `[REDACTED]` before
//! the event is hashed, stored, logged or streamed anywhere (seed 004, "Sensitive
//! Data"). Rules are per account: names of parameters and fields whose values are
//! always hidden (glob patterns), and kinds of values recognised wherever they
//! appear (card numbers, tokens, keys).

use std::borrow::Cow;
use std::sync::{Arc, LazyLock};

use regex::{Captures, Regex};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::input::EventInput;

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// An account's redaction rules, as stored and as edited through the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactionRules {
    /// Names of parameters, JSON fields and `name=value` pairs in text whose
    /// values are hidden; case-insensitive, `*` matches any run of characters.
    pub names: Vec<String>,
    /// Kinds of values hidden wherever they appear.
    pub patterns: Vec<ValuePattern>,
}

impl Default for RedactionRules {
    /// On unless an admin turns them off: the usual secret names, and every value
    /// pattern except e-mail addresses (often wanted in an audit log).
    fn default() -> Self {
        RedactionRules {
            names: [
                "password",
                "passwd",
                "pwd",
                "*password*",
                "*secret*",
                "*token*",
                "api_key",
                "apikey",
                "*api-key*",
                "*private_key*",
                "authorization",
                "cookie",
                "set-cookie",
                "*credential*",
                "ssn",
            ]
            .map(String::from)
            .to_vec(),
            patterns: vec![
                ValuePattern::CreditCard,
                ValuePattern::Jwt,
                ValuePattern::AwsAccessKey,
                ValuePattern::BearerToken,
                ValuePattern::PrivateKey,
                ValuePattern::TrailApiKey,
            ],
        }
    }
}

/// A kind of secret recognised by its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValuePattern {
    /// 13–19 digits, optionally grouped by spaces or dashes, passing the Luhn check.
    CreditCard,
    /// A JSON Web Token: `eyJ…`, three base64url parts.
    Jwt,
    /// An AWS access key id (`AKIA…`, `ASIA…`).
    AwsAccessKey,
    /// The credential after `Bearer ` (the word itself is kept).
    BearerToken,
    /// A PEM private key block.
    PrivateKey,
    /// A Trail API key (`trail_…`).
    TrailApiKey,
    /// An e-mail address.
    Email,
}

impl ValuePattern {
    fn regex(self) -> &'static str {
        match self {
            ValuePattern::CreditCard => r"\b\d(?:[ -]?\d){12,18}\b",
            ValuePattern::Jwt => r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
            ValuePattern::AwsAccessKey => r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",
            ValuePattern::BearerToken => r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}",
            ValuePattern::PrivateKey => {
                r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"
            }
            ValuePattern::TrailApiKey => r"\btrail_[A-Za-z0-9_-]{16,}",
            ValuePattern::Email => r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b",
        }
    }
}

/// The rules, compiled.
#[derive(Debug, Clone)]
pub struct Redactor {
    rules: RedactionRules,
    /// A whole field or parameter name that is secret.
    name: Option<Regex>,
    /// `name=value` or `name: value` in text, with a secret name.
    pair: Option<Regex>,
    values: Vec<(ValuePattern, Regex)>,
    /// Any of the above: most text has no secret, and one pass tells.
    any: Option<Regex>,
}

impl Default for Redactor {
    fn default() -> Self {
        Redactor::new(RedactionRules::default()).expect("the default rules compile")
    }
}

impl Redactor {
    /// The default rules, compiled once per process (compiling takes milliseconds).
    pub fn defaults() -> Arc<Redactor> {
        static DEFAULTS: LazyLock<Arc<Redactor>> = LazyLock::new(|| Arc::new(Redactor::default()));
        DEFAULTS.clone()
    }

    /// Fails on a name pattern that is empty or too long to be a name.
    pub fn new(rules: RedactionRules) -> Result<Redactor, String> {
        for n in &rules.names {
            if n.trim().is_empty() || n.len() > 100 {
                return Err(format!("redaction name {n:?} must be 1 to 100 characters"));
            }
        }
        let names: Vec<String> = rules.names.iter().map(|n| glob_regex(n)).collect();
        let compile = |pattern: String| Regex::new(&pattern).map_err(|e| e.to_string());
        let (name, pair) = if names.is_empty() {
            (None, None)
        } else {
            let any = names.join("|");
            (
                Some(compile(format!("(?i)^(?:{any})$"))?),
                Some(compile(format!(
                    r#"(?i)\b((?:{any})\s*[=:]\s*)((?:bearer|basic|token)\s+[^\s,;&]+|"[^"]*"|'[^']*'|[^\s,;&]+)"#
                ))?),
            )
        };
        let mut values = Vec::new();
        for p in &rules.patterns {
            values.push((*p, compile(p.regex().to_string())?));
        }
        let alternatives: Vec<&str> = pair
            .iter()
            .map(Regex::as_str)
            .chain(values.iter().map(|(_, r)| r.as_str()))
            .collect();
        let any = if alternatives.is_empty() {
            None
        } else {
            Some(compile(
                alternatives
                    .iter()
                    .map(|a| format!("(?:{a})"))
                    .collect::<Vec<_>>()
                    .join("|"),
            )?)
        };
        Ok(Redactor {
            rules,
            name,
            pair,
            values,
            any,
        })
    }

    pub fn rules(&self) -> &RedactionRules {
        &self.rules
    }

    /// Whether values under this name are always hidden.
    pub fn is_secret_name(&self, name: &str) -> bool {
        self.name.as_ref().is_some_and(|r| r.is_match(name))
    }

    /// Hides secrets in free text: values after secret names and values of the
    /// recognised kinds.
    pub fn text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        if !self.any.as_ref().is_some_and(|a| a.is_match(text)) {
            return out;
        }
        if let Some(pair) = &self.pair {
            if let Cow::Owned(s) =
                pair.replace_all(&out, |c: &Captures| format!("{}{REDACTED}", &c[1]))
            {
                out = Cow::Owned(s);
            }
        }
        for (kind, re) in &self.values {
            let replaced = re.replace_all(&out, |c: &Captures| match kind {
                ValuePattern::CreditCard if !luhn(&c[0]) => c[0].to_string(),
                ValuePattern::BearerToken => format!("{}{REDACTED}", &c[1]),
                _ => REDACTED.to_string(),
            });
            if let Cow::Owned(s) = replaced {
                out = Cow::Owned(s);
            }
        }
        out
    }

    /// Hides secrets in a JSON value: whole values under secret keys, and secrets
    /// inside strings.
    pub fn json(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                if let Cow::Owned(r) = self.text(s) {
                    *s = r;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.json(v)),
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if self.is_secret_name(key) && !v.is_null() {
                        *v = Value::String(REDACTED.into());
                    } else {
                        self.json(v);
                    }
                }
            }
            Value::Number(_) => {
                // A card number sent as a JSON number.
                let digits = value.to_string();
                if self.text(&digits) != digits {
                    *value = Value::String(REDACTED.into());
                }
            }
            Value::Bool(_) | Value::Null => {}
        }
    }

    /// Hides secrets in everything an event carries that a client may have
    /// filled with one: parameters, changes, the message and the error.
    pub fn input(&self, input: &mut EventInput) {
        let text = |s: &mut Option<String>| {
            if let Some(Cow::Owned(r)) = s.as_deref().map(|t| self.text(t)) {
                *s = Some(r);
            }
        };
        text(&mut input.message);
        text(&mut input.user_agent);
        if let Some(resource) = &mut input.resource {
            text(&mut resource.name);
        }
        if let Some(params) = &mut input.params {
            let mut wrapped = Value::Object(std::mem::take(params));
            self.json(&mut wrapped);
            if let Value::Object(map) = wrapped {
                *params = map;
            }
        }
        if let Some(changes) = &mut input.changes {
            self.json(&mut changes.before);
            self.json(&mut changes.after);
        }
        if let Some(error) = &mut input.error {
            if let Cow::Owned(r) = self.text(&error.message) {
                error.message = r;
            }
            text(&mut error.stack_trace);
        }
    }
}

/// A glob as a regex fragment: `*` is any run of characters, the rest literal.
fn glob_regex(glob: &str) -> String {
    glob.split('*')
        .map(regex::escape)
        .collect::<Vec<_>>()
        .join("[^\\s=:]*")
}

/// The Luhn checksum of the digits in `s`, as card numbers carry.
fn luhn(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 {
                    d2 - 9
                } else {
                    d2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_names_hide_whole_values_at_any_depth() {
        let r = Redactor::default();
        let mut v = json!({"user": "alice", "password": "hunter2", "db": {"connection_secret": 42, "host": "h"},
                           "headers": [{"Authorization": "Basic abc"}]});
        r.json(&mut v);
        assert_eq!(
            v,
            json!({"user": "alice", "password": REDACTED, "db": {"connection_secret": REDACTED, "host": "h"},
                   "headers": [{"Authorization": REDACTED}]})
        );
    }

    #[test]
    fn values_are_recognised_in_text() {
        let r = Redactor::default();
        let cases = [
            (
                "login with password=hunter2 ok",
                "login with password=[REDACTED] ok",
            ),
            ("api_key: 'abc def'", "api_key: [REDACTED]"),
            ("card 4111 1111 1111 1111 used", "card [REDACTED] used"),
            // Fails the Luhn check: an order number, not a card.
            ("order 4111 1111 1111 1112", "order 4111 1111 1111 1112"),
            (
                "Authorization: Bearer abcdefgh12345678",
                "Authorization: [REDACTED]",
            ),
            ("sent Bearer abcdefgh12345678", "sent Bearer [REDACTED]"),
            ("key AKIAABCDEFGHIJKLMNOP here", "key [REDACTED] here"),
            (
                "t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
                "t=[REDACTED]",
            ),
            ("the password was changed", "the password was changed"),
            ("mail alice@company.com", "mail alice@company.com"),
        ];
        for (input, expected) in cases {
            assert_eq!(r.text(input), expected, "{input:?}");
        }
    }

    #[test]
    fn emails_only_when_asked() {
        let mut rules = RedactionRules::default();
        rules.patterns.push(ValuePattern::Email);
        let r = Redactor::new(rules).unwrap();
        assert_eq!(r.text("mail alice@company.com"), "mail [REDACTED]");
    }

    #[test]
    fn events_are_redacted_before_anything_else_sees_them() {
        let r = Redactor::default();
        let mut input: EventInput = serde_json::from_value(json!({
            "type": "log",
            "message": "token=abc123",
            "params": {"password": "hunter2", "card": 4111111111111111u64, "rows": 10},
            "changes": {"before": {"secret": "a"}, "after": {"secret": "b"}},
            "error": {"message": "auth failed for Bearer abcdefgh12345678"}
        }))
        .unwrap();
        r.input(&mut input);
        let v = serde_json::to_value(&input).unwrap();
        assert_eq!(v["message"], "token=[REDACTED]");
        assert_eq!(v["params"]["password"], REDACTED);
        assert_eq!(v["params"]["card"], REDACTED);
        assert_eq!(v["params"]["rows"], 10);
        assert_eq!(v["changes"]["before"]["secret"], REDACTED);
        assert_eq!(v["error"]["message"], "auth failed for Bearer [REDACTED]");
    }

    #[test]
    fn empty_names_are_refused() {
        let rules = RedactionRules {
            names: vec![" ".into()],
            patterns: vec![],
        };
        assert!(Redactor::new(rules).is_err());
    }
}
