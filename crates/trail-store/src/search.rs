//! Searching events: the request and page types, the opaque cursor, and the
//! translation of a resolved [`Filter`] into one SQL `WHERE` clause that both
//! backends run (each supplies its [`Dialect`]). One translation means one meaning
//! of every query on both stores.

use base64::Engine;
use chrono::{DateTime, Utc};
use trail_core::query::{Bounds, Condition, Filter, Term, UserRef};
use trail_core::Event;
use uuid::Uuid;

/// A page of a search, newest first.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub filter: Filter,
    /// Continue after this position (the previous page's `next`).
    pub after: Option<Cursor>,
    pub limit: u32,
    /// Read each event's parameters too; questions that look only at the
    /// events' types and times (an error's preceding actions) go without.
    pub params: bool,
}

#[derive(Debug, Clone)]
pub struct SearchPage {
    pub events: Vec<Event>,
    /// Where the next (older) page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

/// A position in the newest-first order: (occurred_at, seq) of the last event shown.
/// Events are ordered by when they happened, ties by sequence number, so a
/// position stays valid while new events arrive. A cursor only ever moves within
/// the caller's own account: every search is scoped by account first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    pub time: DateTime<Utc>,
    pub seq: i64,
}

impl Cursor {
    pub fn of(event: &Event) -> Cursor {
        Cursor {
            time: event.body.occurred_at,
            seq: event.seq,
        }
    }

    /// `v1.<micros>.<seq>.<check>` in URL-safe base64: opaque to clients, and a
    /// changed or truncated cursor is refused instead of read as another position.
    pub fn encode(&self) -> String {
        let body = format!("v1.{}.{}", self.time.timestamp_micros(), self.seq);
        let text = format!("{body}.{}", check(&body));
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
    }

    pub fn decode(text: &str) -> Result<Cursor, String> {
        let invalid =
            || "the cursor is not one this server gave out; start again without it".to_string();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (body, sum) = text.rsplit_once('.').ok_or_else(invalid)?;
        if check(body) != sum {
            return Err(invalid());
        }
        let mut parts = body.split('.');
        let (Some("v1"), Some(micros), Some(seq), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let micros: i64 = micros.parse().map_err(|_| invalid())?;
        let time = DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?;
        Ok(Cursor {
            time,
            seq: seq.parse().map_err(|_| invalid())?,
        })
    }
}

/// A short checksum against accidental damage (the account scope, not secrecy,
/// is what keeps data apart).
fn check(body: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(body.as_bytes())[..6])
}

/// What differs between the backends' SQL.
pub trait Dialect {
    /// The placeholder of the n-th (1-based) argument: `?1` or `$1`.
    fn placeholder(&self, n: usize) -> String;
    /// Case-insensitive `LIKE`.
    fn ilike(&self) -> &'static str;
    /// Whole periods of `seconds` since 1970-01-01 (UTC) of a timestamp column,
    /// as an integer.
    fn bucket_number(&self, column: &str, seconds: i64) -> String;
    /// A column compared byte by byte, so that a prefix is one range of its index.
    fn bytewise(&self, column: &str) -> String;
    /// How this backend indexes the [`search_document`] of events.
    fn text_index(&self) -> TextIndex;
    /// The type of byte strings: `BLOB` or `bytea`.
    fn bytes_type(&self) -> &'static str;
    /// `column` is one of the values `subquery` returns. PostgreSQL evaluates it
    /// once, as an array: as a join its estimate would hide the cheap plan of
    /// reading the newest events first.
    fn in_subquery(&self, column: &str, subquery: &str) -> String {
        format!("{column} IN ({subquery})")
    }
}

/// The index behind free-text search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextIndex {
    /// SQLite: a contentless FTS5 table `events_text` with the trigram tokenizer
    /// and no positions, keyed by the events' rowid: it finds the events holding
    /// every trigram of a text, which are then checked for the text itself. Texts
    /// shorter than a trigram fall back to a scan.
    Fts5Trigram,
    /// PostgreSQL: the column `events.search_text` under a `pg_trgm` GIN index.
    TrigramColumn,
}

/// Where a search looks and how it evaluates free text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Strategy {
    /// Only events at or after this position (a window of the newest events).
    pub floor: Option<Cursor>,
    /// Evaluate free text row by row over the columns instead of through the text
    /// index: cheaper when matches are frequent and the window is small.
    pub scan_text: bool,
}

/// The text a free-text search looks in: what a person would type to find the
/// event (who, what, which resource and package, the message and error, the
/// address and the parameter values), lowercased, one field per line so that no
/// match spans two fields. Ids are left out: they are found by `id:`,
/// `resource.id:`, `session:` and `request:`, and their random trigrams would
/// bloat the index.
pub fn search_document(e: &trail_core::NewEvent) -> String {
    let resource = e.resource.as_ref();
    let fields = [
        Some(e.actor.id.as_str()),
        e.actor.name.as_deref(),
        Some(e.action.as_str()),
        Some(e.event_type.as_str()),
        resource.map(|r| r.kind.as_str()),
        resource.and_then(|r| r.name.as_deref()),
        e.package.as_deref(),
        e.message.as_deref(),
        e.error.as_ref().map(|x| x.message.as_str()),
        e.ip.as_deref(),
    ];
    let values = e
        .params
        .values()
        .filter(|v| v.entity_id().is_none())
        .map(|v| v.to_text());
    let mut doc = String::new();
    for field in fields
        .into_iter()
        .flatten()
        .map(str::to_string)
        .chain(values)
    {
        if !doc.is_empty() {
            doc.push('\n');
        }
        doc.push_str(&field.to_lowercase());
    }
    doc
}

/// Whether a search with this filter is better begun with a window of the newest
/// events on a store without planner statistics: it would otherwise collect all
/// its matches through an index and sort them (free text, address prefixes).
pub fn window_first(d: &dyn Dialect, filter: &Filter) -> bool {
    d.text_index() == TextIndex::Fts5Trigram
        && filter.terms.iter().any(|t| match &t.condition {
            Condition::Text(x) => indexable(x),
            Condition::Ip(prefixes) => prefixes
                .iter()
                .any(|p| p.parse::<std::net::IpAddr>().is_err()),
            _ => false,
        })
}

/// The trigram index can answer texts of at least three characters.
fn indexable(text: &str) -> bool {
    text.chars().count() >= 3
}

/// An argument of the generated SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlArg {
    Text(String),
    Int(i64),
    Uuid(Uuid),
    Time(DateTime<Utc>),
}

/// SQL text with its arguments, in placeholder order.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    pub text: String,
    pub args: Vec<SqlArg>,
}

/// The `WHERE ... ORDER BY ... LIMIT` tail of a search over `events e JOIN event_types t`.
pub fn search_sql(d: &dyn Dialect, account: Uuid, req: &SearchRequest) -> Sql {
    search_sql_with(d, account, req, Strategy::default())
}

/// [`search_sql`] under a [`Strategy`].
pub fn search_sql_with(
    d: &dyn Dialect,
    account: Uuid,
    req: &SearchRequest,
    strategy: Strategy,
) -> Sql {
    let mut b = Builder {
        d,
        sql: Sql::default(),
        scan_text: strategy.scan_text,
    };
    let acc = b.arg(SqlArg::Uuid(account));
    let mut clauses = vec![format!("e.account_id = {acc}")];
    for term in &req.filter.terms {
        clauses.push(b.term(term, &acc));
    }
    if let Some(c) = req.after {
        let (t, s) = (b.arg(SqlArg::Time(c.time)), b.arg(SqlArg::Int(c.seq)));
        // A row comparison, not `a < x OR (a = x AND b < y)`: both databases read it
        // as one range of the (event_time, seq) index.
        clauses.push(format!("(e.event_time, e.seq) < ({t}, {s})"));
    }
    if let Some(f) = strategy.floor {
        let (t, s) = (b.arg(SqlArg::Time(f.time)), b.arg(SqlArg::Int(f.seq)));
        clauses.push(format!("(e.event_time, e.seq) >= ({t}, {s})"));
    }
    let limit = b.arg(SqlArg::Int(i64::from(req.limit)));
    b.sql.text = format!(
        "WHERE {} ORDER BY e.event_time DESC, e.seq DESC LIMIT {limit}",
        clauses.join(" AND ")
    );
    b.sql
}

struct Builder<'d> {
    d: &'d dyn Dialect,
    sql: Sql,
    scan_text: bool,
}

impl Builder<'_> {
    fn arg(&mut self, a: SqlArg) -> String {
        self.sql.args.push(a);
        self.d.placeholder(self.sql.args.len())
    }

    fn text(&mut self, s: &str) -> String {
        self.arg(SqlArg::Text(s.to_string()))
    }

    /// `column IN (…)` over text values.
    fn any_of<S: AsRef<str>>(&mut self, column: &str, values: &[S]) -> String {
        let ps: Vec<String> = values.iter().map(|v| self.text(v.as_ref())).collect();
        format!("{column} IN ({})", ps.join(", "))
    }

    /// `column LIKE %text%` (case-insensitive), with LIKE's wildcards escaped.
    fn contains(&mut self, column: &str, text: &str) -> String {
        let p = self.text(&format!("%{}%", like_escape(text)));
        format!("{column} {} {p} ESCAPE '\\'", self.d.ilike())
    }

    fn starts_with(&mut self, column: &str, text: &str) -> String {
        let p = self.text(&format!("{}%", like_escape(text)));
        format!("{column} {} {p} ESCAPE '\\'", self.d.ilike())
    }

    /// Every term of `filter` holds; an empty filter always does.
    fn all_of(&mut self, filter: &Filter, acc: &str) -> String {
        if filter.terms.is_empty() {
            return "(TRUE)".into();
        }
        let terms: Vec<String> = filter.terms.iter().map(|t| self.term(t, acc)).collect();
        format!("({})", terms.join(" AND "))
    }

    fn term(&mut self, term: &Term, acc: &str) -> String {
        let cond = self.condition(&term.condition, acc);
        if term.negated {
            // NULL columns (no package, no duration) count as "not matching".
            format!("NOT COALESCE(({cond}), FALSE)")
        } else {
            format!("({cond})")
        }
    }

    fn condition(&mut self, c: &Condition, acc: &str) -> String {
        match c {
            Condition::User(users) => self.users(users, acc),
            Condition::Actor(kinds) => self.any_of(
                "e.actor_kind",
                &kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            ),
            Condition::Group(groups) => self.groups(groups, acc),
            Condition::Action(actions) => self.any_of(
                "e.action",
                &actions.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
            ),
            Condition::Resource(values) => or(values.iter().map(|v| self.resource(v)).collect()),
            Condition::Kind(kinds) => self.any_of(
                "e.resource_kind",
                &kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            ),
            Condition::ResourceId(ids) => self.any_of("e.resource_id", ids),
            Condition::Type(types) => {
                let names = self.any_of(
                    "name",
                    &types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
                );
                let types =
                    format!("SELECT id FROM event_types WHERE account_id = {acc} AND {names}");
                self.d.in_subquery("e.event_type_id", &types)
            }
            Condition::Status(v) => self.any_of(
                "e.status",
                &v.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            ),
            Condition::Level(v) => {
                self.any_of("e.level", &v.iter().map(|s| s.as_str()).collect::<Vec<_>>())
            }
            Condition::Source(v) => self.any_of(
                "e.source",
                &v.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            ),
            Condition::Session(ids) => self.uuids("e.session_id", ids),
            Condition::Id(ids) => self.uuids("e.id", ids),
            Condition::Package(names) => or(names
                .iter()
                .map(|n| self.equals_ci("e.package", n))
                .collect()),
            Condition::Ip(prefixes) => or(prefixes.iter().map(|p| self.ip(p)).collect()),
            Condition::Between(range) => self.between(range.from, range.to),
            Condition::Date(_) => unreachable!("dates are resolved before a search"),
            Condition::Duration(b) => self.duration(b),
            Condition::Param { name, values } => self.param(name, values, acc),
            Condition::Request(ids) => or(ids.iter().map(|r| self.request(r)).collect()),
            Condition::Operation(ids) => self.any_of("e.operation_id", ids),
            Condition::Signature(sigs) => self.any_of("e.error_signature", sigs),
            Condition::Text(text) => self.free_text(text, acc),
            Condition::UserId(ids) => self.uuids("e.user_id", ids),
            Condition::NoneOf(filters) => {
                let each: Vec<String> = filters.iter().map(|f| self.all_of(f, acc)).collect();
                format!("NOT COALESCE(({}), FALSE)", each.join(" OR "))
            }
        }
    }

    fn equals_ci(&mut self, column: &str, value: &str) -> String {
        let p = self.text(value);
        format!("lower({column}) = lower({p})")
    }

    fn uuids(&mut self, column: &str, ids: &[Uuid]) -> String {
        if ids.is_empty() {
            return "FALSE".into();
        }
        let ps: Vec<String> = ids.iter().map(|id| self.arg(SqlArg::Uuid(*id))).collect();
        format!("{column} IN ({})", ps.join(", "))
    }

    /// A person by login, email or name, or the part of their login before `@`.
    fn users(&mut self, users: &[UserRef], acc: &str) -> String {
        let matches: Vec<String> = users
            .iter()
            .map(|u| {
                let UserRef::Named(name) = u else {
                    unreachable!("user:me is resolved before a search")
                };
                let (login, email, full) = (
                    self.equals_ci("u.login", name),
                    self.equals_ci("u.email", name),
                    self.equals_ci("u.friendly_name", name),
                );
                let local = self.starts_with("u.login", &format!("{name}@"));
                format!("{login} OR {email} OR {full} OR {local}")
            })
            .collect();
        let people = format!(
            "SELECT u.id FROM users u WHERE u.account_id = {acc} AND ({})",
            matches.join(" OR ")
        );
        self.d.in_subquery("e.user_id", &people)
    }

    /// Members of the groups or of any group nested in them.
    fn groups(&mut self, groups: &[String], acc: &str) -> String {
        let names: Vec<String> = groups.iter().map(|g| self.equals_ci("name", g)).collect();
        let members = format!(
            "SELECT m.user_id FROM group_members m WHERE m.account_id = {acc} AND m.group_id IN (\
             WITH RECURSIVE tree(id) AS (SELECT id FROM groups WHERE account_id = {acc} AND ({names}) \
             UNION SELECT r.child_id FROM groups_relations r JOIN tree ON r.parent_id = tree.id WHERE r.account_id = {acc}) \
             SELECT id FROM tree)",
            names = names.join(" OR ")
        );
        self.d.in_subquery("e.user_id", &members)
    }

    /// A kind (`databases` → `database`), or words of the resource's name, or its id.
    fn resource(&mut self, value: &str) -> String {
        let kind = self.text(&trail_core::query::singular(&value.to_lowercase()));
        let name = self.contains("e.resource_name", value);
        let id = self.text(value);
        format!("e.resource_kind = {kind} OR {name} OR e.resource_id = {id}")
    }

    /// `192.168.1` matches 192.168.1.x; a full address only itself. Both are
    /// read off the address index: one address in time order, a prefix as a range.
    fn ip(&mut self, prefix: &str) -> String {
        let prefix = prefix.to_lowercase();
        let column = self.d.bytewise("e.ip");
        if prefix.parse::<std::net::IpAddr>().is_ok() {
            let exact = self.text(&prefix);
            return format!("{column} = {exact}");
        }
        let exact = self.text(&prefix);
        let under = if prefix.ends_with('.') || prefix.ends_with(':') {
            prefix.clone()
        } else {
            let sep = if prefix.contains(':') { ':' } else { '.' };
            format!("{prefix}{sep}")
        };
        let range = self.prefix_range(&column, &under);
        format!("{column} = {exact} OR ({range})")
    }

    /// `column` starts with `prefix`, as a range; `prefix` is ASCII (an address).
    fn prefix_range(&mut self, column: &str, prefix: &str) -> String {
        let mut end = prefix.as_bytes().to_vec();
        if let Some(last) = end.last_mut() {
            *last += 1;
        }
        let lo = self.text(prefix);
        let hi = self.text(&String::from_utf8_lossy(&end));
        format!("{column} >= {lo} AND {column} < {hi}")
    }

    fn between(&mut self, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> String {
        let mut parts = Vec::new();
        if let Some(f) = from {
            parts.push(format!("e.event_time >= {}", self.arg(SqlArg::Time(f))));
        }
        if let Some(t) = to {
            parts.push(format!("e.event_time < {}", self.arg(SqlArg::Time(t))));
        }
        if parts.is_empty() {
            "TRUE".into()
        } else {
            parts.join(" AND ")
        }
    }

    fn duration(&mut self, b: &Bounds) -> String {
        let mut parts = vec!["e.duration_ms IS NOT NULL".to_string()];
        if let Some(min) = b.min {
            parts.push(format!(
                "e.duration_ms >= {}",
                self.arg(SqlArg::Int(min as i64))
            ));
        }
        if let Some(max) = b.max {
            parts.push(format!(
                "e.duration_ms <= {}",
                self.arg(SqlArg::Int(max as i64))
            ));
        }
        parts.join(" AND ")
    }

    fn param(&mut self, name: &str, values: &[String], acc: &str) -> String {
        let n = self.text(name);
        let vs = self.any_of("v.value", values);
        format!(
            "EXISTS (SELECT 1 FROM event_parameter_values v JOIN event_parameters p \
             ON p.account_id = v.account_id AND p.id = v.parameter_id \
             WHERE v.account_id = {acc} AND v.event_id = e.id AND p.name = {n} AND {vs})"
        )
    }

    /// A request id, or one of its follow-ups (`<id>.<n>`).
    fn request(&mut self, id: &str) -> String {
        let exact = self.text(id);
        let follow = self.starts_with("e.request_id", &format!("{id}."));
        format!("e.request_id = {exact} OR {follow}")
    }

    /// A word or phrase anywhere a person would look for it: a substring of the
    /// event's [`search_document`].
    fn free_text(&mut self, text: &str, acc: &str) -> String {
        let lowered = text.to_lowercase();
        if self.d.text_index() == TextIndex::TrigramColumn {
            // The stored document itself: its candidates are exactly the matches.
            return self.document_like(&lowered);
        }
        let scan = self.document_scan(&lowered, acc);
        match self.text_candidates(&lowered) {
            Some(candidates) => format!("{candidates} AND ({scan})"),
            None => scan,
        }
    }

    /// Through the text index, the events whose document holds `text` (lowercase),
    /// and perhaps a few more; `None` when the index cannot answer.
    fn text_candidates(&mut self, text: &str) -> Option<String> {
        match self.d.text_index() {
            TextIndex::TrigramColumn => Some(self.document_like(text)),
            TextIndex::Fts5Trigram if indexable(text) && !self.scan_text => {
                let p = self.text(&all_trigrams(text));
                Some(format!(
                    "e.rowid IN (SELECT rowid FROM events_text WHERE events_text MATCH {p})"
                ))
            }
            TextIndex::Fts5Trigram => None,
        }
    }

    /// The stored document contains `text` (lowercase).
    fn document_like(&mut self, text: &str) -> String {
        let p = self.text(&format!("%{}%", like_escape(text)));
        format!("e.search_text LIKE {p} ESCAPE '\\'")
    }

    /// [`search_document`] contains `text`, evaluated over the stored columns.
    fn document_scan(&mut self, text: &str, acc: &str) -> String {
        let mut parts: Vec<String> = [
            "e.actor_id",
            "e.actor_name",
            "e.action",
            "t.name",
            "e.resource_kind",
            "e.resource_name",
            "e.package",
            "e.description",
            "e.error_message",
            "e.ip",
        ]
        .iter()
        .map(|c| self.contains(c, text))
        .collect();
        let value = self.contains("v.value", text);
        parts.push(format!(
            "EXISTS (SELECT 1 FROM event_parameter_values v WHERE v.account_id = {acc} \
             AND v.event_id = e.id AND v.value_uuid IS NULL AND {value})"
        ));
        parts.join(" OR ")
    }
}

/// An FTS5 query for documents holding every trigram of `text`: `"abc" AND "bcd"`.
fn all_trigrams(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut seen = std::collections::BTreeSet::new();
    chars
        .windows(3)
        .map(|w| w.iter().collect::<String>())
        .filter(|t| seen.insert(t.clone()))
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

fn or(parts: Vec<String>) -> String {
    parts
        .into_iter()
        .map(|p| format!("({p})"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigram_queries_quote_and_deduplicate() {
        assert_eq!(all_trigrams("aaaa"), "\"aaa\"");
        assert_eq!(all_trigrams("a\"bc"), "\"a\"\"b\" AND \"\"\"bc\"");
        assert_eq!(all_trigrams("ab"), "");
    }

    #[test]
    fn cursors_round_trip_and_refuse_tampering() {
        let c = Cursor {
            time: DateTime::from_timestamp_micros(1_718_202_622_123_456).unwrap(),
            seq: 42,
        };
        let text = c.encode();
        assert_eq!(Cursor::decode(&text).unwrap(), c);
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode("v1.1718202622123456.41.000000000000");
        assert!(Cursor::decode(&forged).is_err());
        assert!(Cursor::decode("garbage!").is_err());
        assert!(Cursor::decode("").is_err());
    }

    #[test]
    fn like_wildcards_in_values_are_literal() {
        assert_eq!(like_escape("50%_off\\"), "50\\%\\_off\\\\");
    }
}
