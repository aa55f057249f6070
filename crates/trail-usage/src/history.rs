//! Data history of one resource (seed 003, "Track data history"): the chain of
//! resources it was made from, the events that changed it, and every action on it.
//!
//! An event on a resource records where the resource came from when one of its
//! parameters names another resource: an entity id, or `kind:name` / `kind:id`
//! of a known kind (`source: "query:Top 10 Customers"` on a `table-produced`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};
use trail_core::api::EventView;
use trail_core::query::{Condition, Filter, TimeRange};
use trail_core::usage::{ActionSummary, Edge, EventRef, History, Node};
use trail_core::{Catalogue, Event, ParamValue, ResourceKind};

use crate::{Usage, UsageError, UsageResult, Window};

/// How far back the origin is followed, in resources.
const MAX_DEPTH: usize = 6;
/// Events read per resource.
const MAX_EVENTS: usize = 1_000;
/// Events read per resource to find where it came from: its newest ones, as
/// it is made again the same way.
const ORIGIN_EVENTS: usize = 500;
const PAGE: u32 = 500;
/// Events listed with each edge of the origin.
const EDGE_EVENTS: usize = 20;
/// Modifications listed.
const MODIFICATIONS: usize = 50;
const MODIFYING: &[&str] = &[
    "created",
    "updated",
    "deleted",
    "published",
    "shared",
    "revoked",
];

impl Usage<'_> {
    /// The history of resource (`kind`, `id`); actions and modifications within the window,
    /// the origin at any time.
    pub async fn history(&self, w: &Window, kind: &ResourceKind, id: &str) -> UsageResult<History> {
        let (mut newest, all) = self.resource_events(kind, id, None, MAX_EVENTS).await?;
        let first = newest
            .first()
            .ok_or_else(|| UsageError::NotFound(format!("events of {} {id}", kind.as_str())))?;
        let resource = node_of(first).expect("an event of the resource has it");
        // The newest events usually are the window's (it ends now): then they
        // are read once. They are when none is after the window, and they
        // reach back before it or are all there is.
        let inside = |e: &&Event| e.body.occurred_at >= w.from && e.body.occurred_at < w.to;
        let reaches_back = all || newest.last().is_some_and(|e| e.body.occurred_at < w.from);
        let none_after = first.body.occurred_at < w.to;
        let (events, mut complete) = if none_after {
            (
                newest.iter().filter(inside).cloned().collect(),
                reaches_back,
            )
        } else {
            self.resource_events(kind, id, Some(w), MAX_EVENTS).await?
        };
        let in_window: Vec<&Event> = events.iter().collect();
        newest.truncate(ORIGIN_EVENTS);
        let (origin, origin_complete) = self.origin(&resource, newest).await?;
        complete &= origin_complete;
        Ok(History {
            modifications: in_window
                .iter()
                .filter(|e| MODIFYING.contains(&e.body.action.as_str()))
                .take(MODIFICATIONS)
                .map(|e| EventView::from(*e))
                .collect(),
            actions: actions(&in_window),
            origin,
            resource,
            complete,
        })
    }

    /// Walks from the resource to what it was made from, breadth first.
    async fn origin(&self, start: &Node, events: Vec<Event>) -> UsageResult<(Vec<Edge>, bool)> {
        let kinds = known_kinds(self);
        let mut edges: BTreeMap<(Node, Node), Vec<EventRef>> = BTreeMap::new();
        let mut seen: HashSet<Node> = HashSet::from([start.clone()]);
        let mut queue = VecDeque::from([(start.clone(), events, 0usize)]);
        let mut complete = true;
        let mut known = HashMap::new();
        while let Some((node, events, depth)) = queue.pop_front() {
            for e in &events {
                for (source, traceable) in self.sources(e, &kinds, &mut known).await? {
                    edges
                        .entry((source.clone(), node.clone()))
                        .or_default()
                        .push(event_ref(e));
                    if !seen.insert(source.clone()) || !traceable {
                        continue;
                    }
                    if depth + 1 >= MAX_DEPTH {
                        complete = false;
                        continue;
                    }
                    let (more, all) = match ResourceKind::parse(&source.kind) {
                        Ok(k) => {
                            self.resource_events(&k, &source.id, None, ORIGIN_EVENTS)
                                .await?
                        }
                        Err(_) => (Vec::new(), true),
                    };
                    complete &= all;
                    queue.push_back((source, more, depth + 1));
                }
            }
        }
        Ok((
            edges
                .into_iter()
                .map(|((from, to), mut events)| {
                    let count = events.len() as i64;
                    events.truncate(EDGE_EVENTS);
                    Edge {
                        from,
                        to,
                        count,
                        events,
                    }
                })
                .collect(),
            complete,
        ))
    }

    /// The resources an event's parameters name, and whether each is known
    /// well enough to follow further; `known` remembers each reference looked up.
    async fn sources(
        &self,
        e: &Event,
        kinds: &BTreeSet<String>,
        known: &mut HashMap<String, (Node, bool)>,
    ) -> UsageResult<Vec<(Node, bool)>> {
        let mut out = Vec::new();
        for value in e.body.params.values() {
            let reference = match value {
                ParamValue::EntityId(id) => id.to_string(),
                ParamValue::String(s) => match s.split_once(':') {
                    Some((kind, name)) if kinds.contains(kind) && !name.trim().is_empty() => {
                        s.clone()
                    }
                    _ => continue,
                },
                _ => continue,
            };
            if !known.contains_key(&reference) {
                let (kind, name) = reference.split_once(':').unwrap_or(("entity", &reference));
                let found = self.find(kind, name.trim()).await?;
                known.insert(reference.clone(), found);
            }
            out.push(known[&reference].clone());
        }
        Ok(out)
    }

    /// The resource a reference names: a function by its latest name or id
    /// (followed further), else the reference as it is (a resource Trail has
    /// no record of, or not one it can look up by name without scanning).
    async fn find(&self, kind: &str, name: &str) -> UsageResult<(Node, bool)> {
        let labels = self.labels().await?;
        let function = labels.functions.values().find(|f| {
            (kind == "entity" || f.kind == kind) && (f.label == name || f.function == name)
        });
        Ok(match function {
            Some(f) => {
                let node = Node {
                    kind: f.kind.clone(),
                    id: f.function.clone(),
                    name: Some(f.label.clone()),
                };
                (node, true)
            }
            None => {
                let node = Node {
                    kind: kind.to_string(),
                    id: name.to_string(),
                    name: Some(name.to_string()),
                };
                (node, false)
            }
        })
    }

    /// The resource's newest events (in the window, when given), at most
    /// `cap`; false when cut there.
    async fn resource_events(
        &self,
        kind: &ResourceKind,
        id: &str,
        window: Option<&Window>,
        cap: usize,
    ) -> UsageResult<(Vec<Event>, bool)> {
        let mut conditions = vec![
            Condition::Kind(vec![kind.clone()]),
            Condition::ResourceId(vec![id.to_string()]),
        ];
        conditions.extend(window.map(|w| {
            Condition::Between(TimeRange {
                from: Some(w.from),
                to: Some(w.to),
            })
        }));
        let filter = filter_of(conditions);
        let (mut out, mut after) = (Vec::new(), None);
        loop {
            let page = self.search(filter.clone(), after, PAGE).await?;
            out.extend(page.events);
            match page.next {
                Some(next) if out.len() < cap => after = Some(next),
                Some(_) => return Ok((out, false)),
                None => return Ok((out, true)),
            }
        }
    }
}

fn filter_of(conditions: Vec<Condition>) -> Filter {
    Filter::all(conditions)
}

/// Kinds a `kind:name` parameter may name: the catalogue's and the account's.
fn known_kinds(usage: &Usage) -> BTreeSet<String> {
    let mut kinds: BTreeSet<String> = Catalogue::builtin()
        .filter_map(|t| t.resource_kind.map(|k| k.as_str().to_string()))
        .collect();
    kinds.extend(
        usage
            .types()
            .values()
            .filter_map(|t| t.resource_kind.clone()),
    );
    kinds.extend(["table", "database", "file", "dataset"].map(String::from));
    kinds
}

fn node_of(e: &Event) -> Option<Node> {
    let r = e.body.resource.as_ref()?;
    Some(Node {
        kind: r.kind.as_str().to_string(),
        id: r.id.clone().or_else(|| r.name.clone())?,
        name: r.name.clone(),
    })
}

fn event_ref(e: &Event) -> EventRef {
    EventRef {
        id: e.body.id,
        event_type: e.body.event_type.as_str().to_string(),
        at: e.body.occurred_at,
        user: e.body.actor.id.clone(),
    }
}

/// Events, people and the latest time per action, most events first.
fn actions(events: &[&Event]) -> Vec<ActionSummary> {
    let mut per: HashMap<&str, (i64, BTreeSet<&str>, DateTime<Utc>)> = HashMap::new();
    for e in events {
        let b = &e.body;
        let entry = per
            .entry(b.action.as_str())
            .or_insert((0, BTreeSet::new(), b.occurred_at));
        entry.0 += 1;
        entry.1.insert(b.actor.id.as_str());
        entry.2 = entry.2.max(b.occurred_at);
    }
    let mut out: Vec<ActionSummary> = per
        .into_iter()
        .map(|(action, (events, users, last))| ActionSummary {
            action: action.to_string(),
            events,
            users: users.len() as i64,
            last,
        })
        .collect();
    out.sort_by(|a, b| b.events.cmp(&a.events).then(a.action.cmp(&b.action)));
    out
}
