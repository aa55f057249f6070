//! Unused features: event types, packages and functions nobody used in the
//! window (seed 003: "remove unused menu items"), with their last use ever.

use std::collections::BTreeSet;

use trail_core::query::{Condition, Filter};
use trail_core::rollup::Dims;
use trail_core::usage::{Unused, UnusedItem};
use trail_core::{Catalogue, EventType};

use crate::{Scope, Usage, UsageResult, Window};

impl Usage<'_> {
    pub async fn unused(&self, w: &Window, scope: &Scope) -> UsageResult<Unused> {
        // Three small cuboids rather than one with every dimension: a
        // function is only ever a run's, so the runs' cuboid has them all.
        let function_dims = Dims::PACKAGE | Dims::KIND | Dims::FUNCTION;
        let (types, packages, runs, labels) = futures::try_join!(
            self.count_totals(w, Dims::TYPE, false, scope),
            self.count_totals(w, Dims::PACKAGE, false, scope),
            self.count_totals(w, function_dims, true, scope),
            self.labels(),
        )?;
        let used_types: BTreeSet<i64> = types.iter().map(|r| r.type_id).collect();
        let used_packages: BTreeSet<&str> = packages.iter().map(|r| r.package.as_ref()).collect();
        let used_functions: BTreeSet<(&str, &str, &str)> = runs
            .iter()
            .map(|r| (r.package.as_ref(), r.kind.as_ref(), r.function.as_ref()))
            .collect();
        let in_scope = |package: &str| {
            scope
                .packages
                .as_ref()
                .is_none_or(|p| p.iter().any(|x| x == package))
        };
        let mut packages: Vec<UnusedItem> = labels
            .packages
            .values()
            .filter(|r| in_scope(&r.package) && !used_packages.contains(&*r.package))
            .map(|r| UnusedItem {
                name: r.package.clone(),
                last_used: Some(r.last),
            })
            .collect();
        packages.sort_by(|a, b| a.name.cmp(&b.name));
        let mut functions: Vec<UnusedItem> = labels
            .functions
            .values()
            .filter(|r| {
                let key = (r.package.as_ref(), r.kind.as_ref(), r.function.as_ref());
                in_scope(&r.package) && !used_functions.contains(&key)
            })
            .map(|r| UnusedItem {
                name: format!("{}:{}", r.package, r.label),
                last_used: Some(r.last),
            })
            .collect();
        functions.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Unused {
            span: w.span(),
            event_types: self.unused_types(&used_types).await?,
            packages,
            functions,
        })
    }

    /// Catalogue and custom types without events, with their latest event ever.
    async fn unused_types(&self, used: &BTreeSet<i64>) -> UsageResult<Vec<UnusedItem>> {
        let mut names: BTreeSet<String> =
            Catalogue::builtin().map(|t| t.name.to_string()).collect();
        names.extend(self.types.values().map(|t| t.name.clone()));
        for id in used {
            names.remove(&self.type_name(*id));
        }
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let Ok(event_type) = EventType::parse(&name) else {
                continue;
            };
            let filter = Filter::all([Condition::Type(vec![event_type])]);
            let last = self
                .search(filter, None, 1)
                .await?
                .events
                .first()
                .map(|e| e.body.occurred_at);
            out.push(UnusedItem {
                name,
                last_used: last,
            });
        }
        Ok(out)
    }
}
