//! The global filters of every view, resolved to ids: which people, packages,
//! resource kinds and event types count.

use std::collections::BTreeSet;

use trail_core::query::{Condition, Filter};
use trail_core::rollup::Dims;
use trail_core::{EventType, ResourceKind};
use trail_store::rollups::{Column, RollupTable, Values};
use uuid::Uuid;

use crate::UsageError;

/// `None` means no restriction on that dimension.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    pub users: Option<BTreeSet<Uuid>>,
    pub packages: Option<Vec<String>>,
    pub kinds: Option<Vec<ResourceKind>>,
    /// Event types by id, with their names for searches.
    pub types: Option<Vec<(i64, EventType)>>,
}

impl Scope {
    /// The dimensions a rollup must keep to apply these filters (people are
    /// in every cell).
    pub fn dims(&self) -> Dims {
        let mut d = Dims::NONE;
        let pairs = [
            (self.packages.is_some(), Dims::PACKAGE),
            (self.kinds.is_some(), Dims::KIND),
            (self.types.is_some(), Dims::TYPE),
        ];
        for (on, dim) in pairs {
            if on {
                d |= dim;
            }
        }
        d
    }

    /// Narrows the people to `allowed` (what the caller may see).
    pub fn only_people(&mut self, allowed: &BTreeSet<Uuid>) {
        self.users = Some(match self.users.take() {
            Some(u) => u.intersection(allowed).copied().collect(),
            None => allowed.clone(),
        });
    }

    /// The filters as rollup conditions; a table without a filtered dimension
    /// cannot answer, which names the filter.
    pub fn conditions(&self, table: RollupTable) -> Result<Vec<(Column, Values)>, UsageError> {
        let mut out = Vec::new();
        let mut need = |column: Column, name: &str, values: Values| {
            if table.has(column) {
                out.push((column, values));
                Ok(())
            } else {
                Err(UsageError::BadRequest(format!(
                    "this view cannot be filtered by {name}"
                )))
            }
        };
        if let Some(p) = &self.packages {
            need(Column::Package, "package", Values::Texts(p.clone()))?;
        }
        if let Some(k) = &self.kinds {
            let kinds = k.iter().map(|k| k.as_str().to_string()).collect();
            need(Column::Kind, "resource kind", Values::Texts(kinds))?;
        }
        if let Some(t) = &self.types {
            need(
                Column::Type,
                "event type",
                Values::Ints(t.iter().map(|(id, _)| *id).collect()),
            )?;
        }
        Ok(out)
    }

    /// The filters as search conditions, for drill-downs that read events.
    pub fn search_filter(&self) -> Filter {
        let mut conditions = Vec::new();
        if let Some(users) = &self.users {
            conditions.push(Condition::UserId(users.iter().copied().collect()));
        }
        if let Some(p) = &self.packages {
            conditions.push(Condition::Package(p.clone()));
        }
        if let Some(k) = &self.kinds {
            conditions.push(Condition::Kind(k.clone()));
        }
        if let Some(t) = &self.types {
            conditions.push(Condition::Type(t.iter().map(|(_, n)| n.clone()).collect()));
        }
        Filter::all(conditions)
    }
}
