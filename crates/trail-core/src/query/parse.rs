//! From lexed terms to typed conditions.

use std::net::IpAddr;
use std::str::FromStr;

use uuid::Uuid;

use super::lexer::RawTerm;
use super::time::DateSpec;
use super::{Bounds, Condition, QueryError, Term, UserRef};
use crate::event::Status;
use crate::names::{Action, EventType, ResourceKind};

/// Every field the language knows, for errors and suggestions.
pub const FIELDS: &[&str] = &[
    "user",
    "actor",
    "group",
    "action",
    "resource",
    "resource.id",
    "kind",
    "type",
    "status",
    "level",
    "source",
    "session",
    "package",
    "ip",
    "date",
    "duration",
    "param.<name>",
    "id",
    "request",
    "operation",
    "signature",
];

pub fn term(raw: RawTerm) -> Result<Term, QueryError> {
    let condition = match &raw.field {
        None => Condition::Text(raw.values.concat()),
        Some(field) => {
            condition(field, &raw).map_err(|message| QueryError::at(raw.column, field, message))?
        }
    };
    Ok(Term {
        negated: raw.negated,
        condition,
    })
}

fn condition(field: &str, raw: &RawTerm) -> Result<Condition, String> {
    let values = &raw.values;
    Ok(match field {
        "user" => Condition::User(values.iter().map(|v| user(v)).collect()),
        "actor" => Condition::Actor(each(values, |v| v.parse())?),
        "group" => Condition::Group(values.clone()),
        "action" => Condition::Action(each(values, action)?),
        "resource" => Condition::Resource(values.clone()),
        "resource.id" => Condition::ResourceId(values.clone()),
        "kind" => Condition::Kind(each(values, |v| {
            ResourceKind::parse(&singular(v)).map_err(|e| e.to_string())
        })?),
        "type" => Condition::Type(each(values, |v| {
            EventType::parse(v).map_err(|e| e.to_string())
        })?),
        "status" => Condition::Status(each(values, status)?),
        "level" => Condition::Level(each(values, |v| v.parse())?),
        "source" => Condition::Source(each(values, |v| v.parse())?),
        "session" => Condition::Session(each(values, uuid)?),
        "id" => Condition::Id(each(values, uuid)?),
        "package" => Condition::Package(values.clone()),
        "request" => Condition::Request(values.clone()),
        "operation" => Condition::Operation(values.clone()),
        "signature" => Condition::Signature(values.clone()),
        "ip" => Condition::Ip(each(values, ip_prefix)?),
        "date" => Condition::Date(DateSpec::parse(single(field, values)?)?),
        "duration" => Condition::Duration(duration_bounds(single(field, values)?)?),
        other => match other
            .strip_prefix("param.")
            .or_else(|| other.strip_prefix("params."))
        {
            Some(name) if !name.is_empty() => Condition::Param {
                name: name.to_string(),
                values: values.clone(),
            },
            _ => return Err(unknown_field(other)),
        },
    })
}

fn each<T>(values: &[String], f: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    values.iter().map(|v| f(&v.to_ascii_lowercase())).collect()
}

fn single<'a>(field: &str, values: &'a [String]) -> Result<&'a str, String> {
    match values {
        [one] => Ok(one),
        _ => Err(format!("'{field}:' takes one value or range, not a list")),
    }
}

fn user(v: &str) -> UserRef {
    if v.eq_ignore_ascii_case("me") {
        UserRef::Me
    } else {
        UserRef::Named(v.to_string())
    }
}

/// The seed's filter words, with common variants.
fn action(v: &str) -> Result<Action, String> {
    let canonical = match v {
        "create" | "add" | "added" => "created",
        "update" | "edit" | "edited" | "modified" | "modify" | "changed" => "updated",
        "delete" | "remove" | "removed" => "deleted",
        "view" | "read" => "viewed",
        "execute" | "run" | "ran" | "started" => "executed",
        "cancel" | "canceled" => "cancelled",
        "share" => "shared",
        "revoke" => "revoked",
        "promote" | "promoted" | "publish" => "published",
        "open" => "opened",
        other => other,
    };
    Action::parse(canonical).map_err(|e| format!("'{v}' is not an action: {e}"))
}

fn status(v: &str) -> Result<Status, String> {
    match v {
        "ok" | "succeeded" | "successful" => Ok(Status::Success),
        "failure" | "fail" | "error" => Ok(Status::Failed),
        "in-progress" | "running" | "inprogress" => Ok(Status::InProgress),
        other => Status::from_str(other),
    }
}

/// `notebooks` → `notebook`, `queries` → `query`: filters read naturally in plural.
pub fn singular(v: &str) -> String {
    if let Some(stem) = v.strip_suffix("ies") {
        format!("{stem}y")
    } else if v.ends_with("ss") {
        v.to_string()
    } else {
        v.strip_suffix('s').unwrap_or(v).to_string()
    }
}

fn uuid(v: &str) -> Result<Uuid, String> {
    Uuid::parse_str(v).map_err(|_| format!("'{v}' is not a UUID"))
}

/// A full address or the leading part of one (`192.168.1`, `10.`, `2001:db8:`).
fn ip_prefix(v: &str) -> Result<String, String> {
    if v.parse::<IpAddr>().is_ok() {
        return Ok(v.to_string());
    }
    let looks_v4 = v
        .split('.')
        .all(|p| p.is_empty() || p.parse::<u8>().is_ok())
        && v.contains(|c: char| c.is_ascii_digit());
    let looks_v6 = v.contains(':') && v.chars().all(|c| c.is_ascii_hexdigit() || c == ':');
    if looks_v4 || looks_v6 {
        Ok(v.to_string())
    } else {
        Err(format!(
            "'{v}' is not an IP address or prefix such as 192.168.1"
        ))
    }
}

/// `>1s`, `>=500ms`, `<2m`, `100ms..2s`, `250` (milliseconds).
fn duration_bounds(v: &str) -> Result<Bounds, String> {
    let v = v.trim();
    if let Some((a, b)) = v.split_once("..") {
        let bounds = Bounds {
            min: opt_ms(a)?,
            max: opt_ms(b)?,
        };
        if let (Some(lo), Some(hi)) = (bounds.min, bounds.max) {
            if hi < lo {
                return Err(format!("the duration range {v} ends before it starts"));
            }
        }
        return Ok(bounds);
    }
    let parse = |s: &str| millis(s);
    Ok(if let Some(r) = v.strip_prefix(">=") {
        Bounds {
            min: Some(parse(r)?),
            max: None,
        }
    } else if let Some(r) = v.strip_prefix("<=") {
        Bounds {
            min: None,
            max: Some(parse(r)?),
        }
    } else if let Some(r) = v.strip_prefix('>') {
        Bounds {
            min: Some(parse(r)?.saturating_add(1)),
            max: None,
        }
    } else if let Some(r) = v.strip_prefix('<') {
        let ms = parse(r)?;
        if ms == 0 {
            return Err("no duration is below 0".into());
        }
        Bounds {
            min: None,
            max: Some(ms - 1),
        }
    } else {
        let ms = parse(v)?;
        Bounds {
            min: Some(ms),
            max: Some(ms),
        }
    })
}

fn opt_ms(s: &str) -> Result<Option<u64>, String> {
    if s.is_empty() {
        Ok(None)
    } else {
        millis(s).map(Some)
    }
}

fn millis(s: &str) -> Result<u64, String> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = number.parse().map_err(|_| bad_duration(s))?;
    let scale = match unit {
        "" | "ms" => 1.0,
        "s" => 1000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return Err(bad_duration(s)),
    };
    Ok((n * scale).round() as u64)
}

fn bad_duration(s: &str) -> String {
    format!("'{s}' is not a duration; write e.g. 250ms, 1.5s, 2m, 1h, >1s or 100ms..2s")
}

fn unknown_field(name: &str) -> String {
    let known: Vec<&str> = FIELDS
        .iter()
        .map(|f| f.trim_end_matches(".<name>"))
        .collect();
    let best = known
        .iter()
        .map(|f| (distance(name, f), *f))
        .min()
        .filter(|(d, _)| *d <= 2);
    let hint = match best {
        Some((_, f)) => format!("did you mean '{f}'?"),
        None => format!("fields are: {}", FIELDS.join(", ")),
    };
    format!("unknown field '{name}'; {hint}")
}

/// Levenshtein distance, for suggestions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::super::{Condition, DateSpec, Query, UserRef};
    use super::*;
    use crate::event::{ActorKind, Level};

    fn conditions(q: &str) -> Vec<(bool, Condition)> {
        Query::parse(q)
            .unwrap()
            .terms
            .into_iter()
            .map(|t| (t.negated, t.condition))
            .collect()
    }

    #[test]
    fn the_seeds_advanced_search() {
        let got = conditions(
            "user:alice@company.com action:updated resource:database date:7d status:success",
        );
        assert_eq!(
            got[0].1,
            Condition::User(vec![UserRef::Named("alice@company.com".into())])
        );
        assert_eq!(
            got[1].1,
            Condition::Action(vec![Action::parse("updated").unwrap()])
        );
        assert_eq!(got[2].1, Condition::Resource(vec!["database".into()]));
        assert_eq!(
            got[3].1,
            Condition::Date(DateSpec::Last(chrono::Duration::days(7)))
        );
        assert_eq!(got[4].1, Condition::Status(vec![Status::Success]));
    }

    #[test]
    fn lists_negation_aliases_and_plurals() {
        let got = conditions("-action:created,Deleted,promoted kind:notebooks,queries status:in-progress actor:api_key level:error user:me");
        assert!(got[0].0);
        let actions: Vec<String> = match &got[0].1 {
            Condition::Action(a) => a.iter().map(|a| a.to_string()).collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(actions, ["created", "deleted", "published"]);
        assert_eq!(
            got[1].1,
            Condition::Kind(vec![
                ResourceKind::parse("notebook").unwrap(),
                ResourceKind::parse("query").unwrap()
            ])
        );
        assert_eq!(got[2].1, Condition::Status(vec![Status::InProgress]));
        assert_eq!(got[3].1, Condition::Actor(vec![ActorKind::ApiKey]));
        assert_eq!(got[4].1, Condition::Level(vec![Level::Error]));
        assert_eq!(got[5].1, Condition::User(vec![UserRef::Me]));
    }

    #[test]
    fn durations_ips_params_and_text() {
        let got = conditions(
            r#"duration:>1s duration:100ms..2.5s ip:192.168.1 param.rows:10 "sales db" -timeout"#,
        );
        assert_eq!(
            got[0].1,
            Condition::Duration(Bounds {
                min: Some(1001),
                max: None
            })
        );
        assert_eq!(
            got[1].1,
            Condition::Duration(Bounds {
                min: Some(100),
                max: Some(2500)
            })
        );
        assert_eq!(got[2].1, Condition::Ip(vec!["192.168.1".into()]));
        assert_eq!(
            got[3].1,
            Condition::Param {
                name: "rows".into(),
                values: vec!["10".into()]
            }
        );
        assert_eq!(got[4].1, Condition::Text("sales db".into()));
        assert_eq!(got[5], (true, Condition::Text("timeout".into())));
    }

    #[test]
    fn errors_point_at_the_term_and_suggest() {
        let err = Query::parse("usr:alice").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown field 'usr'; did you mean 'user'? (at column 1)"
        );
        let err = Query::parse("user:bob statsu:failed").unwrap_err();
        assert_eq!(err.column, 10);
        assert!(err.message.contains("did you mean 'status'?"));
        let err = Query::parse("status:done").unwrap_err();
        assert!(
            err.message
                .contains("success, failed, in_progress, pending"),
            "{}",
            err.message
        );
        assert!(Query::parse("duration:fast")
            .unwrap_err()
            .message
            .contains("not a duration"));
        assert!(Query::parse("duration:5s..1s")
            .unwrap_err()
            .message
            .contains("ends before it starts"));
        assert!(Query::parse("ip:hello")
            .unwrap_err()
            .message
            .contains("not an IP"));
        assert!(Query::parse("date:soon")
            .unwrap_err()
            .message
            .contains("not a date"));
        assert!(Query::parse("session:42")
            .unwrap_err()
            .message
            .contains("not a UUID"));
        assert!(Query::parse("zzzzzz:1")
            .unwrap_err()
            .message
            .contains("fields are: user, actor"));
        assert!(Query::parse(&"a ".repeat(1500)).is_err());
    }

    #[test]
    fn empty_query_matches_everything() {
        assert!(Query::parse("   ").unwrap().terms.is_empty());
    }
}
