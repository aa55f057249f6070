//! Deterministic synthetic activity: a company of a few dozen people in nested
//! groups using several packages over the last 90 days. A few users and event
//! types dominate (Zipf-like), as in real logs. Used by `serve --demo`,
//! `trail demo` and the benchmarks.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use trail_core::api::SessionUser;
use trail_core::input::{ActorInput, ChangesInput, ErrorInput, ResourceInput};
use trail_core::{Catalogue, EventInput};
use uuid::Uuid;

pub const USERS: &[(&str, &str)] = &[
    ("alice", "data-team"),
    ("bob", "bi"),
    ("carol", "data-science"),
    ("dave", "platform"),
    ("erin", "bi"),
    ("frank", "frontend"),
    ("grace", "data-science"),
    ("heidi", "sales"),
    ("ivan", "platform"),
    ("judy", "bi"),
    ("mallory", "contractors"),
    ("niaj", "frontend"),
    ("olivia", "data-team"),
    ("peggy", "sales"),
    ("rupert", "data-science"),
    ("sybil", "bi"),
    ("trent", "platform"),
    ("victor", "sales"),
    ("walter", "contractors"),
    ("xena", "frontend"),
    ("yusuf", "data-science"),
    ("zoe", "bi"),
    ("aaron", "sales"),
    ("bianca", "data-team"),
    ("chen", "platform"),
    ("dmitri", "data-science"),
    ("esther", "frontend"),
    ("farid", "bi"),
    ("gita", "sales"),
    ("hugo", "contractors"),
    ("ines", "data-team"),
    ("jonas", "platform"),
    ("kiri", "bi"),
    ("lena", "data-science"),
    ("marco", "sales"),
    ("nora", "frontend"),
];

/// `(group, parent)`: groups nest, e.g. bi ⊂ data-team ⊂ all-staff.
pub const GROUPS: &[(&str, Option<&str>)] = &[
    ("all-staff", None),
    ("data-team", Some("all-staff")),
    ("bi", Some("data-team")),
    ("data-science", Some("data-team")),
    ("engineering", Some("all-staff")),
    ("platform", Some("engineering")),
    ("frontend", Some("engineering")),
    ("sales", Some("all-staff")),
    ("contractors", None),
];

const PACKAGES: &[&str] = &[
    "PowerPack",
    "Chem",
    "BioSignals",
    "DataExplorer",
    "Charts",
    "UsageAnalysis",
    "ApiTests",
];

/// `(kind, name, package)` of the things people work on.
const RESOURCES: &[(&str, &str, &str)] = &[
    ("query", "Top 10 Customers", "PowerPack"),
    ("query", "Sales by Region", "DataExplorer"),
    ("query", "Orders Last 30 Days", "DataExplorer"),
    ("query", "Churn Candidates", "PowerPack"),
    ("connection", "sales_db", "DataExplorer"),
    ("connection", "orders_db", "DataExplorer"),
    ("connection", "warehouse", "PowerPack"),
    ("job", "Daily ETL", "PowerPack"),
    ("job", "Weekly Report", "Charts"),
    ("script", "Normalize Compounds", "Chem"),
    ("script", "Detect Peaks", "BioSignals"),
    ("script", "Forecast Revenue", "PowerPack"),
    ("model", "Churn Predictor", "PowerPack"),
    ("model", "Solubility", "Chem"),
    ("action", "Open Table", "DataExplorer"),
    ("action", "Add Viewer", "Charts"),
    ("notebook", "Sales Analysis Q2", "DataExplorer"),
    ("notebook", "Compound Screening", "Chem"),
    ("project", "Q2 Sales Report", "Charts"),
    ("project", "Assay Results", "BioSignals"),
    ("entity", "Public Dashboard", "Charts"),
    ("table", "customers", "DataExplorer"),
    ("table", "peaks", "BioSignals"),
    ("user", "new.hire@company.com", "UsageAnalysis"),
    ("comment", "Looks good", "Charts"),
    ("dialog", "Export Table", "DataExplorer"),
    ("menu-item", "File | Open", "DataExplorer"),
    ("tutorial", "Getting Started", "UsageAnalysis"),
    ("viewer", "Scatter Plot", "Charts"),
    ("package", "ApiTests", "ApiTests"),
];

const ERRORS: &[(&str, &str)] = &[
    ("Database connection timeout after 30s", "TimeoutError: connect ETIMEDOUT\n    at Connection.open (db/pool.js:{L}:{C})\n    at QueryRunner.run (query/runner.js:{L}:{C})"),
    ("Cannot read properties of undefined (reading 'columns')", "TypeError: Cannot read properties of undefined (reading 'columns')\n    at ScatterPlot.render (viewers/scatter.js:{L}:{C})\n    at Viewer.update (viewers/base.js:{L}:{C})"),
    ("Permission denied for table customers", "PermissionError: permission denied for table customers\n    at Executor.check (sql/executor.js:{L}:{C})"),
    ("Out of memory while joining tables", "RangeError: Array buffer allocation failed at 0x7ffd{L}\n    at Join.build (data/join.js:{L}:{C})"),
];

/// A Zipf-like pick: index i has weight 1 / (i + 1)^s.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Zipf {
        let mut acc = 0.0;
        let cumulative = (0..n)
            .map(|i| {
                acc += 1.0 / ((i + 1) as f64).powf(s);
                acc
            })
            .collect();
        Zipf { cumulative }
    }

    fn pick(&self, rng: &mut StdRng) -> usize {
        let x = rng.gen::<f64>() * self.cumulative.last().copied().unwrap_or(1.0);
        self.cumulative
            .partition_point(|c| *c < x)
            .min(self.cumulative.len() - 1)
    }
}

/// Who and what the activity is about.
#[derive(Debug, Clone)]
pub struct Shape {
    /// (login without the domain, group), busiest first.
    pub users: Vec<(String, String)>,
    pub packages: Vec<String>,
    /// (kind, name, package) of the things people work on; the executed ones
    /// (queries, scripts, models, jobs, actions) are the functions.
    pub resources: Vec<(String, String, String)>,
}

/// The kinds of resources `*-start` events run.
const FUNCTION_KINDS: &[&str] = &["query", "script", "model", "job", "action"];

impl Shape {
    /// The demo company: 36 people, 7 packages, 30 resources.
    pub fn demo() -> Shape {
        let own = |s: &&str| s.to_string();
        Shape {
            users: USERS
                .iter()
                .map(|(u, g)| (u.to_string(), g.to_string()))
                .collect(),
            packages: PACKAGES.iter().map(own).collect(),
            resources: RESOURCES
                .iter()
                .map(|(k, n, p)| (k.to_string(), n.to_string(), p.to_string()))
                .collect(),
        }
    }

    /// `users` people spread over the demo groups, `packages` packages and
    /// `functions` functions spread over the packages and the function kinds,
    /// with the demo's other resources moved into the packages.
    pub fn scaled(users: usize, packages: usize, functions: usize) -> Shape {
        let groups: Vec<&str> = USERS.iter().map(|(_, g)| *g).collect();
        let packages: Vec<String> = (1..=packages).map(|i| format!("Package{i:02}")).collect();
        let mut resources: Vec<(String, String, String)> = (0..functions)
            .map(|i| {
                let kind = FUNCTION_KINDS[i % FUNCTION_KINDS.len()];
                (
                    kind.to_string(),
                    format!("{kind} {i:03}"),
                    packages[i % packages.len()].clone(),
                )
            })
            .collect();
        resources.extend(
            RESOURCES
                .iter()
                .filter(|(k, _, _)| !FUNCTION_KINDS.contains(k))
                .enumerate()
                .map(|(i, (k, n, _))| {
                    (
                        k.to_string(),
                        n.to_string(),
                        packages[i % packages.len()].clone(),
                    )
                }),
        );
        Shape {
            users: (1..=users)
                .map(|i| (format!("user{i:04}"), groups[i % groups.len()].to_string()))
                .collect(),
            packages,
            resources,
        }
    }
}

/// Generates events in time order, spread evenly over `[start, end)`.
pub struct Generator {
    rng: StdRng,
    shape: Shape,
    types: Vec<String>,
    type_zipf: Zipf,
    /// Per group, its own order of the types: each team has its favourites, so
    /// usage patterns follow the groups (seed 003, "correlate usage patterns
    /// with the organizational groups").
    group_types: std::collections::HashMap<String, Vec<usize>>,
    user_zipf: Zipf,
    start: DateTime<Utc>,
    step_ms: f64,
    produced: u64,
}

impl Generator {
    pub fn new(seed: u64, total: u64, end: DateTime<Utc>, span: Duration) -> Generator {
        Generator::with_shape(Shape::demo(), seed, total, end, span)
    }

    pub fn with_shape(
        shape: Shape,
        seed: u64,
        total: u64,
        end: DateTime<Utc>,
        span: Duration,
    ) -> Generator {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut types: Vec<String> = Catalogue::builtin().map(|t| t.name.to_string()).collect();
        // A fixed shuffle decides which types dominate.
        for i in (1..types.len()).rev() {
            types.swap(i, rng.gen_range(0..=i));
        }
        let mut group_types = std::collections::HashMap::new();
        for (_, group) in &shape.users {
            if !group_types.contains_key(group) {
                let mut order: Vec<usize> = (0..types.len()).collect();
                for i in (1..order.len()).rev() {
                    order.swap(i, rng.gen_range(0..=i));
                }
                group_types.insert(group.clone(), order);
            }
        }
        Generator {
            group_types,
            rng,
            type_zipf: Zipf::new(types.len(), 1.0),
            types,
            user_zipf: Zipf::new(shape.users.len(), 1.1),
            shape,
            start: end - span,
            step_ms: span.num_milliseconds() as f64 / total.max(1) as f64,
            produced: 0,
        }
    }

    /// The next event. The first 47 cover every catalogue type once.
    pub fn next_event(&mut self) -> EventInput {
        let n = self.produced;
        self.produced += 1;
        let user_index = self.user_zipf.pick(&mut self.rng);
        let type_name = if (n as usize) < self.types.len() {
            self.types[n as usize].clone()
        } else {
            // Half of what people do is what everyone does, half their team's own.
            let rank = self.type_zipf.pick(&mut self.rng);
            let group = &self.shape.users[user_index].1;
            let index = match self.group_types.get(group) {
                Some(order) if self.rng.gen_bool(0.5) => order[rank],
                _ => rank,
            };
            self.types[index].clone()
        };
        let jitter = self.rng.gen_range(0.0..self.step_ms.max(1.0));
        let at = self.start + Duration::milliseconds((n as f64 * self.step_ms + jitter) as i64);
        self.build(&type_name, at, user_index)
    }

    fn build(&mut self, type_name: &str, at: DateTime<Utc>, user_index: usize) -> EventInput {
        let info =
            Catalogue::info(&trail_core::EventType::parse(type_name).expect("catalogue name"));
        let kind = info
            .resource_kind
            .as_ref()
            .map(|k| k.as_str())
            .unwrap_or("");
        let candidates: Vec<usize> = (0..self.shape.resources.len())
            .filter(|i| self.shape.resources[*i].0 == kind)
            .collect();
        let resource = candidates
            .get(self.rng.gen_range(0..candidates.len().max(1)))
            .map(|i| self.shape.resources[*i].clone());
        let package = match &resource {
            Some(r) => r.2.clone(),
            None => self.shape.packages[self.rng.gen_range(0..self.shape.packages.len())].clone(),
        };
        let user = self.shape.users[user_index].0.clone();
        let mut e = EventInput {
            id: Some(Uuid::now_v7().to_string()),
            event_type: type_name.to_string(),
            occurred_at: Some(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            actor: Some(ActorInput {
                kind: "user".into(),
                id: format!("{user}@company.com"),
                name: Some(capitalize(&user)),
                email: Some(format!("{user}@company.com")),
            }),
            source: Some(
                if type_name.contains("click")
                    || type_name.contains("viewer")
                    || type_name == "dialog-ok"
                {
                    "client"
                } else {
                    "server"
                }
                .into(),
            ),
            resource: resource.map(|(_, name, _)| ResourceInput {
                // Connections to databases are filed as databases (seed 004's "Databases" filter).
                kind: (kind == "connection" && name.ends_with("_db"))
                    .then(|| "database".to_string()),
                id: Some(format!("{}", stable_id(&name))),
                name: Some(name),
            }),
            package: Some(package),
            ip: Some(format!(
                "192.168.{}.{}",
                1 + user_index / 200,
                10 + user_index % 200
            )),
            user_agent: Some(
                if user_index.is_multiple_of(3) {
                    "Mozilla/5.0 (Macintosh) Firefox/131.0"
                } else {
                    "Mozilla/5.0 (Windows NT 10.0) Chrome/130.0"
                }
                .into(),
            ),
            request_id: Some(format!("req-{:08x}", self.rng.gen::<u32>())),
            ..EventInput::default()
        };
        self.flesh_out(&mut e, type_name);
        e
    }

    /// Type-specific content: parameters, durations, changes and errors.
    fn flesh_out(&mut self, e: &mut EventInput, type_name: &str) {
        let rng = &mut self.rng;
        if type_name.ends_with("-start") {
            let ms = (rng.gen::<f64>().powi(3) * 8000.0) as u64 + 20;
            e.duration_ms = Some(ms);
            let region = ["EU", "US", "APAC"][rng.gen_range(0..3)];
            e.params = Some(obj(
                json!({"rows": rng.gen_range(1..5000), "region": region, "limit": 10}),
            ));
            e.message = Some(format!(
                "Executed {} in {ms} ms",
                e.resource
                    .as_ref()
                    .and_then(|r| r.name.clone())
                    .unwrap_or_default()
            ));
            if rng.gen_bool(0.04) {
                self.fail(e);
            }
        } else if type_name.ends_with("-edited") {
            let from = ["draft", "private", "Report"][self.rng.gen_range(0..3)];
            e.changes = Some(ChangesInput {
                before: json!({"title": "Report", "visibility": "private", "status": from}),
                after: json!({"title": "Q2 Sales Report", "visibility": "shared", "status": "published"}),
            });
            e.message = Some("Modified title and visibility".into());
        } else if type_name == "error" {
            self.fail(e);
        } else if type_name.starts_with("entity-shared") {
            e.params = Some(obj(json!({"shared_with": "team-data", "access": "read"})));
            e.message = Some("Granted \"team-data\" read access".into());
        } else if type_name == "table-produced" {
            e.params = Some(obj(
                json!({"rows": self.rng.gen_range(10..100000), "source": "query:Top 10 Customers"}),
            ));
        } else if type_name == "log" {
            e.message = Some("HELLO WORLD".into());
            e.params = Some(obj(json!({"test": "value", "foo": "bar"})));
        } else if type_name.ends_with("-created") {
            e.message = Some(format!(
                "Created {}",
                e.resource
                    .as_ref()
                    .and_then(|r| r.name.clone())
                    .unwrap_or_default()
            ));
        }
    }

    fn fail(&mut self, e: &mut EventInput) {
        let (message, stack) = ERRORS[self.rng.gen_range(0..ERRORS.len())];
        let line = self.rng.gen_range(10..900).to_string();
        let col = self.rng.gen_range(1..80).to_string();
        e.status = Some("failed".into());
        e.error = Some(ErrorInput {
            message: message.into(),
            stack_trace: Some(stack.replace("{L}", &line).replace("{C}", &col)),
        });
    }
}

fn obj(v: Value) -> serde_json::Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

pub fn stable_id(name: &str) -> u32 {
    name.bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32))
        % 100_000
}

/// The demo users as session users.
pub fn session_user(login: &str) -> SessionUser {
    SessionUser {
        id: format!("{login}@company.com"),
        name: Some(capitalize(login)),
        email: Some(format!("{login}@company.com")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_events_and_every_type_appears() {
        let end = Utc::now();
        let mut a = Generator::new(7, 2000, end, Duration::days(90));
        let mut b = Generator::new(7, 2000, end, Duration::days(90));
        let mut types = std::collections::HashSet::new();
        let mut users = std::collections::HashMap::<String, u32>::new();
        for _ in 0..2000 {
            let (x, y) = (a.next_event(), b.next_event());
            assert_eq!(
                (x.event_type.clone(), x.occurred_at.clone()),
                (y.event_type, y.occurred_at)
            );
            types.insert(x.event_type);
            *users.entry(x.actor.unwrap().id).or_default() += 1;
        }
        assert_eq!(types.len(), 47);
        let top = users.values().max().copied().unwrap();
        assert!(top > 2000 / 10, "the busiest user dominates: {top}");
    }
}
