//! The server-side diff of a change's before and after objects.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One field that differs between before and after. Nested objects are walked and
/// named with dotted paths (`settings.visibility`); arrays compare as whole values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangedField {
    pub field: String,
    /// `null` when the field was added.
    pub before: Value,
    /// `null` when the field was removed.
    pub after: Value,
}

impl fmt::Display for ChangedField {
    /// `title: "Report" → "Q2 Sales Report"`, as seed 004 shows changes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} → {}", self.field, self.before, self.after)
    }
}

/// The fields that differ, in path order.
pub fn diff(before: &Value, after: &Value) -> Vec<ChangedField> {
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    out
}

fn walk(path: &str, before: &Value, after: &Value, out: &mut Vec<ChangedField>) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let null = Value::Null;
                walk(
                    &child,
                    b.get(key).unwrap_or(&null),
                    a.get(key).unwrap_or(&null),
                    out,
                );
            }
        }
        (b, a) if b != a => out.push(ChangedField {
            field: if path.is_empty() {
                "(value)".into()
            } else {
                path.to_string()
            },
            before: b.clone(),
            after: a.clone(),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_changed_added_and_removed_fields() {
        let before = json!({"title": "Report", "visibility": "private", "cells": 5, "old": 1});
        let after =
            json!({"title": "Q2 Sales Report", "visibility": "shared", "cells": 5, "new": true});
        let shown: Vec<String> = diff(&before, &after)
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            shown,
            [
                "new: null → true",
                "old: 1 → null",
                "title: \"Report\" → \"Q2 Sales Report\"",
                "visibility: \"private\" → \"shared\"",
            ]
        );
    }

    #[test]
    fn walks_nested_objects() {
        let c = diff(
            &json!({"a": {"b": 1, "c": 2}}),
            &json!({"a": {"b": 1, "c": 3}}),
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, "a.c");
    }

    #[test]
    fn scalar_before_and_after() {
        let c = diff(&json!("draft"), &json!("published"));
        assert_eq!(c[0].field, "(value)");
        assert!(diff(&json!({"x": [1, 2]}), &json!({"x": [1, 2]})).is_empty());
    }
}
