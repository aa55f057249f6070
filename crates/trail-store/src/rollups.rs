//! Reading the usage rollups (`trail_core::rollup`): which rows of which table,
//! as one SQL text both backends run, and the row shape they hand back.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use trail_core::rollup::{Grain, Measures, Sketch};
use uuid::Uuid;

use crate::search::{Dialect, Sql, SqlArg};

/// A table of rollup rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RollupTable {
    /// `usage_cells` of one cuboid (`trail_core::rollup::CUBOIDS`).
    Cells(i16),
    /// `usage_durations`: a duration sketch per operation and bucket.
    Durations,
    /// `usage_errors`: occurrences per signature, place, person and bucket.
    Errors,
}

/// A rollup column that a filter or a row may refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Type,
    Package,
    Kind,
    Function,
    Source,
    Level,
    Signature,
}

impl Column {
    fn name(self) -> &'static str {
        match self {
            Column::Type => "event_type_id",
            Column::Package => "package",
            Column::Kind => "resource_kind",
            Column::Function => "function",
            Column::Source => "source",
            Column::Level => "level",
            Column::Signature => "signature",
        }
    }
}

impl RollupTable {
    pub fn name(self) -> &'static str {
        match self {
            RollupTable::Cells(_) => "usage_cells",
            RollupTable::Durations => "usage_durations",
            RollupTable::Errors => "usage_errors",
        }
    }

    /// The dimension columns of the table, in the order of its key.
    pub fn columns(self) -> &'static [Column] {
        use Column::*;
        match self {
            RollupTable::Cells(_) => &[Type, Package, Kind, Function, Source, Level],
            RollupTable::Durations => &[Type, Package, Kind, Function],
            RollupTable::Errors => &[Signature, Type, Package, Kind, Function],
        }
    }

    pub fn has(self, c: Column) -> bool {
        self.columns().contains(&c)
    }

    /// The measure columns, in the order [`RollupRow`] reads them.
    pub fn measures(self) -> &'static [&'static str] {
        match self {
            RollupTable::Cells(_) => &[
                "events",
                "failures",
                "errors",
                "timed",
                "duration_sum",
                "duration_max",
                "people",
            ],
            RollupTable::Durations => &["sketch"],
            RollupTable::Errors => &["occurrences", "people", "sessions"],
        }
    }
}

/// Values a dimension must take (one of them).
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Ints(Vec<i64>),
    Texts(Vec<String>),
}

/// Rows of one table in `[from, to)` at one grain, whose dimensions take the given values.
#[derive(Debug, Clone)]
pub struct RollupQuery {
    pub table: RollupTable,
    pub grain: Grain,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub only: Vec<(Column, Values)>,
    /// Dimensions that must not be blank (e.g. only rows of a function).
    pub not_blank: Vec<Column>,
    /// Whether to read the rows' people; without them `people` is empty
    /// and the rows are much lighter.
    pub people: bool,
    /// One row per combination of dimensions, summed over the window's
    /// buckets (its bucket the earliest): for questions about the window as a
    /// whole, so the database adds up the buckets instead of sending each.
    /// Without people; not for durations.
    pub totals: bool,
}

/// One rollup row; dimensions the table lacks are blank.
/// Shared, not owned: rows kept between questions (`trail_usage`'s cache) are
/// handed to each question by the ten thousand, and a clone is a few counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RollupRow {
    pub bucket: DateTime<Utc>,
    pub type_id: i64,
    pub package: Arc<str>,
    pub kind: Arc<str>,
    pub function: Arc<str>,
    pub source: Arc<str>,
    pub level: Arc<str>,
    pub signature: Arc<str>,
    pub measures: Measures,
    /// The people of the row, by number (`usage_people.num`), as stored
    /// ([`trail_core::rollup::Tallies::encode`]): decoded only by the questions about people.
    pub people: Arc<[u8]>,
    /// For errors, the sessions hit ([`trail_core::rollup::Sessions::encode`]).
    pub sessions: Arc<[u8]>,
    pub sketch: Option<Arc<Sketch>>,
}

/// Rows that come one at a time, gathered in chunks and then moved once into a
/// vector of the exact size. Doubling one vector instead touched fresh pages
/// for tens of megabytes per 90-day question (a sixth of its time).
pub struct Gathered<T> {
    chunks: Vec<Vec<T>>,
}

impl<T> Default for Gathered<T> {
    fn default() -> Self {
        Gathered { chunks: Vec::new() }
    }
}

impl<T> Gathered<T> {
    const CHUNK: usize = 1024;

    pub fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < Self::CHUNK => last.push(item),
            _ => {
                let mut chunk = Vec::with_capacity(Self::CHUNK);
                chunk.push(item);
                self.chunks.push(chunk);
            }
        }
    }

    pub fn into_vec(self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.chunks.iter().map(Vec::len).sum());
        self.chunks.into_iter().for_each(|c| out.extend(c));
        out
    }
}

/// The SELECT of a [`RollupQuery`]: bucket, the table's dimensions, its measures.
pub fn rollup_sql(d: &dyn Dialect, account: Uuid, q: &RollupQuery) -> Result<Sql, String> {
    let mut args = vec![
        SqlArg::Uuid(account),
        SqlArg::Int(q.grain.code().into()),
        SqlArg::Time(q.from),
        SqlArg::Time(q.to),
    ];
    if q.totals && (q.people || q.table == RollupTable::Durations) {
        return Err("window totals are of counts only".into());
    }
    let dims = q
        .table
        .columns()
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ");
    let measures = q
        .table
        .measures()
        .iter()
        .map(|m| measure(d, m, q))
        .collect::<Vec<_>>()
        .join(", ");
    let bucket = if q.totals { "MIN(bucket)" } else { "bucket" };
    let mut text = format!(
        "SELECT {bucket}, {dims}, {measures} FROM {} WHERE account_id = {} AND grain = CAST({} AS BIGINT) \
         AND bucket >= {} AND bucket < {}",
        q.table.name(),
        d.placeholder(1),
        d.placeholder(2),
        d.placeholder(3),
        d.placeholder(4),
    );
    if let RollupTable::Cells(cuboid) = q.table {
        args.push(SqlArg::Int(cuboid.into()));
        text += &format!(
            " AND cuboid = CAST({} AS BIGINT)",
            d.placeholder(args.len())
        );
    }
    for (column, values) in &q.only {
        if !q.table.has(*column) {
            return Err(format!("{} has no column {:?}", q.table.name(), column));
        }
        let list: Vec<SqlArg> = match values {
            Values::Ints(v) => v.iter().map(|i| SqlArg::Int(*i)).collect(),
            Values::Texts(v) => v.iter().map(|t| SqlArg::Text(t.clone())).collect(),
        };
        if list.is_empty() {
            text += " AND 1 = 0";
            continue;
        }
        let mut marks = Vec::with_capacity(list.len());
        for arg in list {
            args.push(arg);
            marks.push(d.placeholder(args.len()));
        }
        text += &format!(" AND {} IN ({})", column.name(), marks.join(", "));
    }
    for column in &q.not_blank {
        let blank = match column {
            Column::Type => "0",
            _ => "''",
        };
        text += &format!(" AND {} <> {blank}", column.name());
    }
    if q.totals {
        text += &format!(" GROUP BY {dims}");
    }
    Ok(Sql { text, args })
}

/// A measure column as selected: summed (or its maximum) for window totals;
/// people and sessions as NULL when not wanted (no blob is read).
fn measure(d: &dyn Dialect, m: &str, q: &RollupQuery) -> String {
    match m {
        "people" | "sessions" if !q.people => format!("CAST(NULL AS {}) AS {m}", d.bytes_type()),
        "duration_max" if q.totals => format!("MAX({m})"),
        // PostgreSQL sums BIGINTs as NUMERIC.
        _ if q.totals => format!("CAST(SUM({m}) AS BIGINT)"),
        _ => m.to_string(),
    }
}

/// Which first-and-last-seen table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeenTable {
    /// `usage_people`: each person's first and last event.
    People,
    /// `usage_features`: each package (function blank) and function.
    Features,
    /// `usage_signatures`: each error signature, with its latest message.
    Signatures,
}

impl SeenTable {
    pub fn sql(self) -> &'static str {
        match self {
            SeenTable::People => {
                "SELECT user_id, num, first_seen, last_seen FROM usage_people WHERE account_id = "
            }
            SeenTable::Features => {
                "SELECT package, resource_kind, function, label, first_seen, last_seen \
                 FROM usage_features WHERE account_id = "
            }
            SeenTable::Signatures => {
                "SELECT signature, message, first_seen, last_seen FROM usage_signatures WHERE account_id = "
            }
        }
    }
}

/// A row of a [`SeenTable`]; what the table lacks is blank.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeenRow {
    pub user: Uuid,
    /// The person's number in the rollups' tallies.
    pub number: u32,
    pub package: String,
    pub kind: String,
    pub function: String,
    pub signature: String,
    /// A function's latest name, or an error's latest message.
    pub label: String,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

impl RollupQuery {
    /// Whether a row belongs to the answer: what the SQL of [`rollup_sql`] selects,
    /// for rows computed in memory (minute buckets).
    pub fn matches(&self, row: &RollupRow) -> bool {
        let in_window = row.bucket >= self.from && row.bucket < self.to;
        in_window
            && self.only.iter().all(|(column, values)| match values {
                Values::Ints(v) => v.contains(&row.type_id),
                Values::Texts(v) => v.iter().any(|t| t == row.text(*column)),
            })
            && self.not_blank.iter().all(|c| match c {
                Column::Type => row.type_id != 0,
                c => !row.text(*c).is_empty(),
            })
    }
}

impl RollupRow {
    /// A text dimension's value; "" for the others.
    pub fn text(&self, column: Column) -> &str {
        match column {
            Column::Package => &self.package,
            Column::Kind => &self.kind,
            Column::Function => &self.function,
            Column::Source => &self.source,
            Column::Level => &self.level,
            Column::Signature => &self.signature,
            Column::Type => "",
        }
    }
}

/// Whether `[from, to)` is whole hours, so that the sessions kept per hour
/// (`usage_session_starts`) count exactly the sessions started in it.
pub fn whole_hours(from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    let hour = Grain::Hour;
    hour.floor(from) == from && hour.floor(to) == to
}
