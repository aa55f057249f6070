//! Who sees which events (seed 004, "Who Can See Logs"): owners everything,
//! admins everything but what owners keep to themselves, members their own
//! activity, auditors what they were granted. Every read of events (search,
//! one event, export, an entity's activity) goes through [`restrict`].

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use trail_core::query::{Condition, Filter, Query, Viewer};
use trail_store::Role;
use uuid::Uuid;

use crate::auth::{Caller, Via};
use crate::error::ApiError;
use crate::AppState;

/// The name of the settings document.
pub const VISIBILITY: &str = "visibility";

/// An account's visibility rules, as stored and edited through the API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisibilityRules {
    /// Searches whose events only owners see, e.g.
    /// `user:owner@company.com type:user-signed-in,user-sign-in-failed`.
    #[serde(default)]
    pub owner_only: Vec<String>,
    /// What each auditor (by login) may see: a search, and until when.
    #[serde(default)]
    pub grants: BTreeMap<String, Grant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// A search (docs/search.md); its events are what the auditor sees.
    pub query: String,
    /// The grant ends at this instant; none means until revoked.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
}

impl VisibilityRules {
    /// Every search must parse; names the one that does not.
    pub fn check(&self) -> Result<(), String> {
        let queries = self
            .owner_only
            .iter()
            .map(|q| ("owner_only", q))
            .chain(self.grants.values().map(|g| ("grants", &g.query)));
        for (field, q) in queries {
            resolve(q).map_err(|e| format!("{field}: {q:?}: {e}"))?;
        }
        Ok(())
    }
}

/// The people and groups the rules name (`user:`, `group:`, and words that are
/// group names), lowercased. Changing them changes what the rules cover, which
/// is the owners' to decide.
pub fn named(rules: &VisibilityRules) -> (Vec<String>, Vec<String>) {
    let (mut people, mut groups) = (Vec::new(), Vec::new());
    let queries = rules
        .owner_only
        .iter()
        .chain(rules.grants.values().map(|g| &g.query));
    for q in queries {
        let Ok(query) = Query::parse(q) else { continue };
        for term in query.terms {
            match term.condition {
                Condition::User(refs) => people.extend(refs.into_iter().filter_map(|r| match r {
                    trail_core::query::UserRef::Named(n) => Some(n.to_lowercase()),
                    trail_core::query::UserRef::Me => None,
                })),
                Condition::Group(names) => groups.extend(names.iter().map(|n| n.to_lowercase())),
                Condition::Text(word) => groups.push(word.to_lowercase()),
                _ => {}
            }
        }
    }
    (people, groups)
}

/// Whether a person is named by the rules: by login, its part before `@`, e-mail or name.
pub fn names_person(
    people: &[String],
    login: &str,
    email: Option<&str>,
    name: Option<&str>,
) -> bool {
    let local = login.split('@').next().unwrap_or(login);
    [Some(login), Some(local), email, name]
        .into_iter()
        .flatten()
        .any(|v| people.contains(&v.to_lowercase()))
}

/// A stored search as a filter; rules are read in UTC, with no `me`.
fn resolve(q: &str) -> Result<Filter, String> {
    let query = Query::parse(q).map_err(|e| e.to_string())?;
    query.resolve(&Viewer {
        now: Utc::now(),
        tz: &Utc,
        login: None,
    })
}

/// The account's rules, from this server's settings cache.
pub async fn rules(state: &AppState, account: Uuid) -> Result<Arc<VisibilityRules>, ApiError> {
    Ok(state
        .settings
        .visibility(state.store.as_ref(), account)
        .await?)
}

/// How much of the account's log a caller sees.
#[derive(Debug, Clone, PartialEq)]
pub enum Sight {
    Everything,
    AllButOwnerOnly,
    Own(Uuid),
    Granted(Filter),
    Nothing,
}

impl Sight {
    /// Sees every event but perhaps the owners' own: may see aggregates over everyone.
    pub fn sees_all(&self) -> bool {
        matches!(self, Sight::Everything | Sight::AllButOwnerOnly)
    }

    /// May see this person's sessions: those who see everything, and each member their own.
    pub fn sees_person(&self, user: Uuid) -> bool {
        match self {
            Sight::Own(me) => *me == user,
            s => s.sees_all(),
        }
    }
}

/// How much the caller sees now.
pub async fn sight_of(state: &AppState, caller: &Caller) -> Result<Sight, ApiError> {
    let rules = rules(state, caller.account()).await?;
    Ok(sight(caller, &rules, Utc::now()))
}

pub fn sight(caller: &Caller, rules: &VisibilityRules, now: DateTime<Utc>) -> Sight {
    let Some(person) = &caller.person else {
        // Account keys: an admin key stands for the owners, a read key for an admin.
        return match &caller.via {
            Via::Key(k) if k.scope.may_administer() => Sight::Everything,
            _ => Sight::AllButOwnerOnly,
        };
    };
    match person.role {
        Role::Owner => Sight::Everything,
        Role::Admin => Sight::AllButOwnerOnly,
        Role::Member => Sight::Own(person.id),
        Role::Auditor => match rules.grants.get(&person.login) {
            Some(g) if g.until.is_none_or(|u| u > now) => {
                resolve(&g.query).map_or(Sight::Nothing, Sight::Granted)
            }
            _ => Sight::Nothing,
        },
    }
}

/// `filter`, narrowed to what the caller may see.
pub async fn restrict(
    state: &AppState,
    caller: &Caller,
    filter: Filter,
) -> Result<Filter, ApiError> {
    let rules = rules(state, caller.account()).await?;
    let sight = sight(caller, &rules, Utc::now());
    let filter = match sight {
        Sight::Everything => return Ok(filter),
        Sight::AllButOwnerOnly => filter,
        Sight::Own(user) => filter.and(Condition::UserId(vec![user])),
        Sight::Granted(grant) => Filter {
            terms: filter.terms.into_iter().chain(grant.terms).collect(),
        },
        Sight::Nothing => return Ok(filter.and(Condition::NoneOf(vec![Filter::default()]))),
    };
    // A rule that no longer parses hides everything rather than nothing.
    let owner_only: Vec<Filter> = rules
        .owner_only
        .iter()
        .map(|q| resolve(q).unwrap_or_default())
        .collect();
    Ok(if owner_only.is_empty() {
        filter
    } else {
        filter.and(Condition::NoneOf(owner_only))
    })
}

/// Aggregates over everyone's events (an entity's usage) are for those who see all.
pub async fn require_sees_all(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    if sight_of(state, caller).await?.sees_all() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "usage summaries cover everyone's events; ask an admin".into(),
        ))
    }
}
