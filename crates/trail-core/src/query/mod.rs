//! The search language of the search box, the API and the CLI:
//! `user:alice action:updated resource:database date:7d status:success "sales db"`.
//! docs/search.md has the grammar; this module turns a string into a typed
//! [`Query`] or an error that points at the offending term.

mod lexer;
mod parse;
mod time;

use std::fmt;

use uuid::Uuid;

use crate::event::{ActorKind, Level, Source, Status};
use crate::names::{Action, EventType, ResourceKind};

pub use parse::{singular, FIELDS};
pub use time::{DatePoint, DateSpec, TimeRange};

/// A parsed search: every term must hold (AND); alternatives within a term are OR.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// `-field:value` keeps events that do not match.
    pub negated: bool,
    pub condition: Condition,
}

/// What one term asks for. Lists are alternatives (`action:created,deleted`).
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// A person by login, email or name (`alice`, `alice@company.com`), or the caller (`me`).
    User(Vec<UserRef>),
    /// The kind of actor: `user`, `api_key`, `service_account`, `system`.
    Actor(Vec<ActorKind>),
    /// Everyone in a group or its subgroups.
    Group(Vec<String>),
    Action(Vec<Action>),
    /// A resource kind (`database`, `notebooks`) or words of a resource's name or id.
    Resource(Vec<String>),
    Kind(Vec<ResourceKind>),
    /// A resource's id exactly (`resource.id:42`).
    ResourceId(Vec<String>),
    Type(Vec<EventType>),
    Status(Vec<Status>),
    Level(Vec<Level>),
    Source(Vec<Source>),
    Session(Vec<Uuid>),
    Package(Vec<String>),
    /// Address prefixes: `192.168.1` matches 192.168.1.x; a full address matches itself.
    Ip(Vec<String>),
    Date(DateSpec),
    Duration(Bounds),
    /// `param.rows:10` — a parameter's value.
    Param {
        name: String,
        values: Vec<String>,
    },
    Id(Vec<Uuid>),
    Request(Vec<String>),
    Operation(Vec<String>),
    /// Errors of these signatures (the error groups of Usage Analysis).
    Signature(Vec<String>),
    /// Free text: a word or a quoted phrase, matched against users, actions,
    /// resources, types, packages, messages, errors, addresses and parameter values.
    Text(String),
    /// A `Date` placed in the caller's time zone; made by [`Query::resolve`], never by parsing.
    Between(TimeRange),
    /// Events of these people (by user id). Added by access control, never by parsing.
    UserId(Vec<Uuid>),
    /// Events matching none of these filters. Added by access control, never by
    /// parsing; an empty filter matches everything, so `NoneOf([empty])` is nothing.
    NoneOf(Vec<Filter>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    Me,
    Named(String),
}

/// Inclusive bounds on a number (milliseconds for durations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bounds {
    pub min: Option<u64>,
    pub max: Option<u64>,
}

/// A query that cannot be parsed, with the column (1-based, in characters) of the
/// term at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub column: usize,
    pub token: String,
    pub message: String,
}

impl QueryError {
    pub(crate) fn at(column: usize, token: &str, message: String) -> QueryError {
        QueryError {
            column,
            token: token.to_string(),
            message,
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at column {})", self.message, self.column)
    }
}

impl std::error::Error for QueryError {}

/// What a query means for one caller: dates are instants, `me` is their login.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    pub terms: Vec<Term>,
}

impl Filter {
    /// The filter every one of `conditions` must meet.
    pub fn all(conditions: impl IntoIterator<Item = Condition>) -> Filter {
        conditions.into_iter().fold(Filter::default(), Filter::and)
    }

    /// Adds a condition every result must meet as well.
    pub fn and(mut self, condition: Condition) -> Filter {
        self.terms.push(Term {
            negated: false,
            condition,
        });
        self
    }
}

/// Who is asking, for `user:me` and `date:today`.
pub struct Viewer<'a, Tz: chrono::TimeZone> {
    pub now: chrono::DateTime<chrono::Utc>,
    pub tz: &'a Tz,
    /// The caller's login; `None` for API keys, which have no `me`.
    pub login: Option<&'a str>,
}

impl Query {
    /// Places dates in the viewer's time zone and replaces `me` with their login.
    pub fn resolve<Tz: chrono::TimeZone>(self, viewer: &Viewer<'_, Tz>) -> Result<Filter, String> {
        let terms = self
            .terms
            .into_iter()
            .map(|t| {
                let condition = match t.condition {
                    Condition::Date(spec) => {
                        Condition::Between(spec.resolve(viewer.now, viewer.tz)?)
                    }
                    Condition::User(users) => Condition::User(resolve_me(users, viewer.login)?),
                    other => other,
                };
                Ok(Term {
                    negated: t.negated,
                    condition,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Filter { terms })
    }

    /// Parses a search string. The empty string is the query that matches everything.
    pub fn parse(input: &str) -> Result<Query, QueryError> {
        const MAX_LEN: usize = 2000;
        if input.len() > MAX_LEN {
            return Err(QueryError::at(
                1,
                "",
                format!("a query may be at most {MAX_LEN} characters"),
            ));
        }
        let terms = lexer::terms(input)?
            .into_iter()
            .map(parse::term)
            .collect::<Result<_, _>>()?;
        Ok(Query { terms })
    }
}

fn resolve_me(users: Vec<UserRef>, login: Option<&str>) -> Result<Vec<UserRef>, String> {
    users
        .into_iter()
        .map(|u| match (u, login) {
            (UserRef::Me, Some(login)) => Ok(UserRef::Named(login.to_string())),
            (UserRef::Me, None) => {
                Err("'user:me' needs a signed-in person; this API key is nobody".to_string())
            }
            (named, _) => Ok(named),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn resolving_places_dates_and_me() {
        let now = Utc.with_ymd_and_hms(2024, 6, 12, 10, 0, 0).unwrap();
        let viewer = Viewer {
            now,
            tz: &Utc,
            login: Some("alice@company.com"),
        };
        let f = Query::parse("user:me,bob date:today")
            .unwrap()
            .resolve(&viewer)
            .unwrap();
        assert_eq!(
            f.terms[0].condition,
            Condition::User(vec![
                UserRef::Named("alice@company.com".into()),
                UserRef::Named("bob".into())
            ])
        );
        let Condition::Between(range) = f.terms[1].condition else {
            panic!()
        };
        assert_eq!(
            range.from,
            Some(Utc.with_ymd_and_hms(2024, 6, 12, 0, 0, 0).unwrap())
        );
        let keyless = Viewer {
            now,
            tz: &Utc,
            login: None,
        };
        assert!(Query::parse("user:me")
            .unwrap()
            .resolve(&keyless)
            .unwrap_err()
            .contains("needs a signed-in person"));
        assert!(Query::parse("date:2024-06-30..2024-06-01")
            .unwrap()
            .resolve(&viewer)
            .is_err());
    }
}
