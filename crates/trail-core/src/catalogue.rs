//! The fixed record types of the seed system, each mapped to the resource kind it
//! concerns, the action it records and its default level. Custom types are not
//! in the catalogue; they get defaults derived from their name.

use crate::event::Level;
use crate::names::{Action, EventType, ResourceKind};

/// What Trail knows about an event type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeInfo {
    pub name: EventType,
    /// The resource kind events of this type concern, when the type implies one.
    pub resource_kind: Option<ResourceKind>,
    pub action: Action,
    pub level: Level,
    /// True for the seed's fixed types, false for types registered on first use.
    pub builtin: bool,
}

/// `(type, resource kind, action, level)` for every fixed type in the seeds, in seed order.
const FIXED: &[(&str, Option<&str>, &str, Level)] = &[
    ("query-created", Some("query"), "created", Level::Audit),
    ("query-edited", Some("query"), "updated", Level::Audit),
    ("query-deleted", Some("query"), "deleted", Level::Audit),
    ("query-start", Some("query"), "executed", Level::Usage),
    ("query-published", Some("query"), "published", Level::Audit),
    (
        "query-transformations-edited",
        Some("query"),
        "updated",
        Level::Audit,
    ),
    (
        "connection-created",
        Some("connection"),
        "created",
        Level::Audit,
    ),
    (
        "connection-edited",
        Some("connection"),
        "updated",
        Level::Audit,
    ),
    (
        "connection-deleted",
        Some("connection"),
        "deleted",
        Level::Audit,
    ),
    (
        "connection-published",
        Some("connection"),
        "published",
        Level::Audit,
    ),
    ("job-created", Some("job"), "created", Level::Audit),
    ("job-edited", Some("job"), "updated", Level::Audit),
    ("job-deleted", Some("job"), "deleted", Level::Audit),
    (
        "job-transformations-edited",
        Some("job"),
        "updated",
        Level::Audit,
    ),
    ("job-start", Some("job"), "executed", Level::Usage),
    ("script-created", Some("script"), "created", Level::Audit),
    ("script-edited", Some("script"), "updated", Level::Audit),
    ("script-deleted", Some("script"), "deleted", Level::Audit),
    ("script-start", Some("script"), "executed", Level::Usage),
    (
        "script-published",
        Some("script"),
        "published",
        Level::Audit,
    ),
    (
        "predictive-model-created",
        Some("model"),
        "created",
        Level::Audit,
    ),
    (
        "predictive-model-edited",
        Some("model"),
        "updated",
        Level::Audit,
    ),
    (
        "predictive-model-deleted",
        Some("model"),
        "deleted",
        Level::Audit,
    ),
    (
        "predictive-model-start",
        Some("model"),
        "executed",
        Level::Usage,
    ),
    (
        "predictive-model-published",
        Some("model"),
        "published",
        Level::Audit,
    ),
    ("action-start", Some("action"), "executed", Level::Usage),
    (
        "notebook-created",
        Some("notebook"),
        "created",
        Level::Audit,
    ),
    ("notebook-edited", Some("notebook"), "updated", Level::Audit),
    (
        "notebook-deleted",
        Some("notebook"),
        "deleted",
        Level::Audit,
    ),
    ("notebook-start", Some("notebook"), "executed", Level::Usage),
    (
        "notebook-published",
        Some("notebook"),
        "published",
        Level::Audit,
    ),
    ("project-created", Some("project"), "created", Level::Audit),
    ("project-edited", Some("project"), "updated", Level::Audit),
    ("project-deleted", Some("project"), "deleted", Level::Audit),
    ("project-opened", Some("project"), "opened", Level::Usage),
    ("entity-shared", Some("entity"), "shared", Level::Audit),
    (
        "entity-shared-silent",
        Some("entity"),
        "shared",
        Level::Audit,
    ),
    ("table-produced", Some("table"), "produced", Level::Usage),
    ("user-invited", Some("user"), "invited", Level::Audit),
    ("comment-posted", Some("comment"), "posted", Level::Usage),
    ("dialog-ok", Some("dialog"), "confirmed", Level::Usage),
    (
        "main-menu-item-click",
        Some("menu-item"),
        "clicked",
        Level::Usage,
    ),
    ("error", None, "failed", Level::Error),
    (
        "tutorial-completed",
        Some("tutorial"),
        "completed",
        Level::Usage,
    ),
    ("viewer-rendered", Some("viewer"), "rendered", Level::Debug),
    ("log", None, "logged", Level::Info),
    ("package-tested", Some("package"), "tested", Level::Info),
];

/// Lookup of the fixed types, with defaults for custom ones.
#[derive(Debug, Clone, Copy, Default)]
pub struct Catalogue;

impl Catalogue {
    /// Every fixed type, in the seed's order.
    pub fn builtin() -> impl Iterator<Item = TypeInfo> {
        FIXED.iter().map(|row| to_info(*row))
    }

    /// The fixed type of this name, if there is one.
    pub fn fixed(name: &EventType) -> Option<TypeInfo> {
        FIXED
            .iter()
            .find(|(n, ..)| *n == name.as_str())
            .map(|row| to_info(*row))
    }

    /// The catalogue entry, or defaults for a custom type: a name ending in one of the
    /// catalogue's verbs (`-created`, `-edited`, `-start`, ...) gets that verb's action and
    /// the prefix as resource kind; anything else is a `logged` info event.
    pub fn info(name: &EventType) -> TypeInfo {
        Self::fixed(name).unwrap_or_else(|| custom_info(name))
    }
}

fn to_info((name, kind, action, level): (&str, Option<&str>, &str, Level)) -> TypeInfo {
    TypeInfo {
        name: EventType::parse(name).expect("catalogue names are valid"),
        resource_kind: kind.map(|k| ResourceKind::parse(k).expect("catalogue kinds are valid")),
        action: Action::parse(action).expect("catalogue actions are valid"),
        level,
        builtin: true,
    }
}

const VERBS: &[(&str, &str, Level)] = &[
    ("-transformations-edited", "updated", Level::Audit),
    ("-created", "created", Level::Audit),
    ("-edited", "updated", Level::Audit),
    ("-updated", "updated", Level::Audit),
    ("-deleted", "deleted", Level::Audit),
    ("-published", "published", Level::Audit),
    ("-shared", "shared", Level::Audit),
    ("-revoked", "revoked", Level::Audit),
    ("-viewed", "viewed", Level::Usage),
    ("-opened", "opened", Level::Usage),
    ("-cancelled", "cancelled", Level::Audit),
    ("-start", "executed", Level::Usage),
    ("-executed", "executed", Level::Usage),
];

fn custom_info(name: &EventType) -> TypeInfo {
    let matched = VERBS.iter().find_map(|(suffix, action, level)| {
        let prefix = name.as_str().strip_suffix(suffix)?;
        Some((ResourceKind::parse(prefix).ok(), *action, *level))
    });
    let (resource_kind, action, level) = matched.unwrap_or((None, "logged", Level::Info));
    TypeInfo {
        name: name.clone(),
        resource_kind,
        action: Action::parse(action).expect("verb actions are valid"),
        level,
        builtin: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> EventType {
        EventType::parse(s).unwrap()
    }

    #[test]
    fn every_seed_type_is_in_the_catalogue() {
        let seed = include_str!("../tests/seed_types.txt");
        let names: Vec<_> = seed.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(names.len(), 47);
        for n in names {
            assert!(Catalogue::fixed(&ty(n)).is_some(), "{n} missing");
        }
        assert_eq!(Catalogue::builtin().count(), 47);
    }

    #[test]
    fn maps_types_to_kinds_and_actions() {
        let i = Catalogue::info(&ty("query-transformations-edited"));
        assert_eq!(
            (i.resource_kind.unwrap().as_str(), i.action.as_str()),
            ("query", "updated")
        );
        let i = Catalogue::info(&ty("entity-shared"));
        assert_eq!(
            (i.resource_kind.unwrap().as_str(), i.action.as_str()),
            ("entity", "shared")
        );
        assert_eq!(Catalogue::info(&ty("error")).level, Level::Error);
        assert_eq!(
            Catalogue::info(&ty("script-start")).action.as_str(),
            "executed"
        );
    }

    #[test]
    fn custom_types_get_defaults_from_their_name() {
        let i = Catalogue::info(&ty("pipeline-start"));
        assert!(!i.builtin);
        assert_eq!(
            (i.resource_kind.unwrap().as_str(), i.action.as_str()),
            ("pipeline", "executed")
        );
        let i = Catalogue::info(&ty("my_log"));
        assert_eq!((i.resource_kind, i.action.as_str()), (None, "logged"));
    }
}
