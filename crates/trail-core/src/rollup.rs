//! Usage rollups: what the write path adds up, in the transaction that stores
//! the events, so that usage views read thousands of rows instead of millions
//! of events (docs/usage-analysis.md).
//!
//! A *cell* counts the events of one time bucket (an hour or a day) that share
//! the values of a cuboid's dimensions; the dimensions a cuboid lacks are blank.
//! Several cuboids of the same events are kept, from narrow (per source) to
//! full (every dimension), and a question reads the smallest one that has every
//! dimension it groups or filters by ([`Cuboid::covering`]).
//!
//! People are not a dimension: each cell carries a [`Tallies`], the events,
//! failures and errors of every person in it, packed by the person's number.
//! So a question about people (who, how many, filtered to a group) reads as
//! few cells as one that is not, and distinct people over any range are the
//! union of the cells' people: exact.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::event::{ActorKind, NewEvent};

/// The dimensions a cell may keep, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dims(u8);

impl Dims {
    pub const NONE: Dims = Dims(0);
    pub const TYPE: Dims = Dims(1 << 1);
    pub const PACKAGE: Dims = Dims(1 << 2);
    pub const KIND: Dims = Dims(1 << 3);
    pub const FUNCTION: Dims = Dims(1 << 4);
    pub const SOURCE: Dims = Dims(1 << 5);
    pub const LEVEL: Dims = Dims(1 << 6);
    pub const ALL: Dims = Dims(0x7e);

    pub const fn with(self, other: Dims) -> Dims {
        Dims(self.0 | other.0)
    }

    pub fn contains(self, other: Dims) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Dims {
    type Output = Dims;
    fn bitor(self, rhs: Dims) -> Dims {
        self.with(rhs)
    }
}

impl std::ops::BitOrAssign for Dims {
    fn bitor_assign(&mut self, rhs: Dims) {
        *self = self.with(rhs);
    }
}

/// One projection of the events that the write path maintains.
#[derive(Debug, PartialEq, Eq)]
pub struct Cuboid {
    /// Stored in `usage_cells.cuboid`.
    pub id: i16,
    pub name: &'static str,
    pub dims: Dims,
    /// Keeps only function runs (events with a function), so it stays small.
    pub runs_only: bool,
}

/// From narrow to full: [`Cuboid::covering`] takes the first that fits.
pub const CUBOIDS: &[Cuboid] = &[
    Cuboid {
        id: 1,
        name: "sources",
        dims: Dims::SOURCE,
        runs_only: false,
    },
    Cuboid {
        id: 2,
        name: "packages",
        dims: Dims::PACKAGE,
        runs_only: false,
    },
    Cuboid {
        id: 3,
        name: "levels",
        dims: Dims::LEVEL.with(Dims::SOURCE),
        runs_only: false,
    },
    Cuboid {
        id: 4,
        name: "types",
        dims: Dims::TYPE,
        runs_only: false,
    },
    Cuboid {
        id: 6,
        name: "type-packages",
        dims: Dims::TYPE.with(Dims::PACKAGE).with(Dims::LEVEL),
        runs_only: false,
    },
    Cuboid {
        id: 5,
        name: "functions",
        dims: Dims::PACKAGE.with(Dims::KIND).with(Dims::FUNCTION),
        runs_only: true,
    },
    Cuboid {
        id: 0,
        name: "all",
        dims: Dims::ALL,
        runs_only: false,
    },
];

impl Cuboid {
    /// The smallest cuboid with every dimension of `dims`; one that keeps only
    /// function runs when the question is about runs only.
    pub fn covering(dims: Dims, runs_only: bool) -> &'static Cuboid {
        CUBOIDS
            .iter()
            .find(|c| c.dims.contains(dims) && (runs_only || !c.runs_only))
            .unwrap_or(&CUBOIDS[CUBOIDS.len() - 1])
    }
}

/// The width of a time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grain {
    /// Not stored: minute buckets are computed from the events themselves.
    Minute,
    Hour,
    Day,
}

impl Grain {
    /// The grains the write path maintains.
    pub const STORED: [Grain; 2] = [Grain::Hour, Grain::Day];

    /// Stored in the `grain` columns.
    pub fn code(self) -> i16 {
        match self {
            Grain::Minute => -1,
            Grain::Hour => 0,
            Grain::Day => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Grain::Minute => "minute",
            Grain::Hour => "hour",
            Grain::Day => "day",
        }
    }

    pub fn length(self) -> Duration {
        match self {
            Grain::Minute => Duration::minutes(1),
            Grain::Hour => Duration::hours(1),
            Grain::Day => Duration::days(1),
        }
    }

    /// The start of the bucket holding `t` (days are UTC days).
    /// The start of `t`'s bucket, as chrono's `duration_trunc` gives it, in
    /// plain arithmetic: views floor every row they read.
    pub fn floor(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let length = self.length().num_microseconds().expect("a bucket's length");
        let at = t.timestamp_micros();
        DateTime::from_timestamp_micros(at - at.rem_euclid(length)).unwrap_or(t)
    }
}

/// What a cell adds up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measures {
    pub events: i64,
    /// Events with status `failed`.
    pub failures: i64,
    /// Events at level `error` or carrying an error.
    pub errors: i64,
    /// Events that reported a duration, and the sum and maximum of those durations (ms).
    pub timed: i64,
    pub duration_sum: i64,
    pub duration_max: i64,
}

impl Measures {
    pub fn merge(&mut self, o: &Measures) {
        self.events += o.events;
        self.failures += o.failures;
        self.errors += o.errors;
        self.timed += o.timed;
        self.duration_sum += o.duration_sum;
        self.duration_max = self.duration_max.max(o.duration_max);
    }
}

/// One person's events, failures and errors in a cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub events: i64,
    pub failures: i64,
    pub errors: i64,
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        self.events += o.events;
        self.failures += o.failures;
        self.errors += o.errors;
    }
}

/// The people of a cell, each by their number in the account (`usage_people.num`),
/// with their tally.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tallies(pub BTreeMap<u32, Tally>);

impl Tallies {
    pub fn add(&mut self, person: u32, t: &Tally) {
        self.0.entry(person).or_default().add(t);
    }

    pub fn merge(&mut self, o: &Tallies) {
        for (p, t) in &o.0 {
            self.add(*p, t);
        }
    }

    /// Compact bytes: (number delta, events, failures, errors) as varints.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + self.0.len() * 4);
        put_varint(&mut out, self.0.len() as u64);
        let mut previous = 0u32;
        for (p, t) in &self.0 {
            put_varint(&mut out, u64::from(p - previous));
            previous = *p;
            for v in [t.events, t.failures, t.errors] {
                put_varint(&mut out, v.max(0) as u64);
            }
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Tallies, String> {
        Ok(Tallies(Tallies::entries(bytes)?.into_iter().collect()))
    }

    /// How many people encoded tallies hold (0 when the bytes are not tallies).
    pub fn people_in(mut bytes: &[u8]) -> usize {
        get_varint(&mut bytes).map_or(0, |n| n as usize)
    }

    /// Whether `bytes` are well-formed tallies, without decoding them: each
    /// entry is four varints, so the bytes after the count must end exactly
    /// four varints per person. A reader of checked bytes never fails.
    pub fn check(bytes: &[u8]) -> Result<(), String> {
        CheckedTallies::new(bytes).map(drop)
    }

    /// The (person, tally) pairs of encoded tallies, in person order.
    pub fn entries(bytes: &[u8]) -> Result<Vec<(u32, Tally)>, String> {
        TallyReader::new(bytes)?.collect()
    }
}

/// Reads a count, then that many entries, each as `F` reads them, and then
/// nothing more: encoded [`Tallies`] and [`Sessions`], in place, with nothing
/// allocated (the readers of millions of cells need that). Empty bytes hold
/// no entries.
#[derive(Clone)]
pub struct Entries<'a, F> {
    bytes: &'a [u8],
    left: u64,
    format: F,
}

/// How one entry of [`Entries`] is read.
pub trait EntryFormat {
    type Entry;
    const NAME: &'static str;
    fn read(&mut self, bytes: &mut &[u8]) -> Result<Self::Entry, String>;
}

impl<'a, F: EntryFormat + Default> Entries<'a, F> {
    pub fn new(mut bytes: &'a [u8]) -> Result<Entries<'a, F>, String> {
        let left = if bytes.is_empty() {
            0
        } else {
            get_varint(&mut bytes)?
        };
        Ok(Entries {
            bytes,
            left,
            format: F::default(),
        })
    }
}

impl<F: EntryFormat> Iterator for Entries<'_, F> {
    type Item = Result<F::Entry, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            if self.bytes.is_empty() {
                return None;
            }
            self.bytes = &[];
            return Some(Err(format!("{} have trailing bytes", F::NAME)));
        }
        self.left -= 1;
        let entry = self.format.read(&mut self.bytes);
        if entry.is_err() {
            // Nothing after a broken entry can be trusted.
            (self.left, self.bytes) = (0, &[]);
        }
        Some(entry)
    }
}

/// Tallies in person order: each person's number as the step from the one
/// before, then their events, failures and errors.
#[derive(Clone, Default)]
pub struct TallyFormat {
    person: u64,
}

impl EntryFormat for TallyFormat {
    type Entry = (u32, Tally);
    const NAME: &'static str = "tallies";

    fn read(&mut self, bytes: &mut &[u8]) -> Result<(u32, Tally), String> {
        self.person += get_varint(bytes)?;
        let mut next = || get_varint(bytes).map(|v| v as i64);
        let t = Tally {
            events: next()?,
            failures: next()?,
            errors: next()?,
        };
        // No person has a number this large: it matches no one.
        Ok((u32::try_from(self.person).unwrap_or(u32::MAX), t))
    }
}

pub type TallyReader<'a> = Entries<'a, TallyFormat>;

/// Encoded [`Tallies`] found well-formed, and so read with no error to
/// handle: the loop over 90 days of cells' millions of people is the
/// usage views' hottest, and a [`TallyReader`] spent half its time on what
/// a check done once already rules out.
#[derive(Clone, Default)]
pub struct CheckedTallies<'a> {
    bytes: &'a [u8],
    left: u64,
    person: u64,
}

impl<'a> CheckedTallies<'a> {
    /// Checks `bytes` in one pass without decoding them: after the count,
    /// exactly four numbers per person, none longer than ten bytes (64
    /// bits), and no number cut off at the end.
    pub fn new(mut bytes: &'a [u8]) -> Result<CheckedTallies<'a>, String> {
        if bytes.is_empty() {
            return Ok(CheckedTallies::default());
        }
        let people = get_varint(&mut bytes)?;
        let Numbers { ends, run, longest } = Numbers::scan(bytes);
        if Some(ends) != people.checked_mul(4) {
            return Err(format!(
                "tallies hold {ends} numbers where {people} people need four each"
            ));
        }
        if run > 0 {
            return Err("tallies end inside a number".into());
        }
        if longest > 9 {
            return Err("tallies hold a number too long".into());
        }
        Ok(CheckedTallies {
            bytes,
            left: people,
            person: 0,
        })
    }

    /// Tallies whose bytes passed [`CheckedTallies::new`] before (rows kept
    /// in memory are checked once, when read). Bytes that did not pass are
    /// read as wrong numbers, never past their end.
    pub fn checked_before(mut bytes: &'a [u8]) -> CheckedTallies<'a> {
        let left = if bytes.is_empty() {
            0
        } else {
            get_varint(&mut bytes).unwrap_or(0)
        };
        CheckedTallies {
            bytes,
            left,
            person: 0,
        }
    }

    /// The next number; checked bytes always hold one more while entries are left.
    #[inline(always)]
    fn number(&mut self) -> u64 {
        match self.bytes.split_first() {
            Some((&b, rest)) if b < 0x80 => {
                self.bytes = rest;
                u64::from(b)
            }
            _ => get_long_varint(&mut self.bytes).unwrap_or(0),
        }
    }
}

/// How a run of varints ends: how many numbers end in it, how many bytes of
/// an unfinished number trail it, and the longest run of continued bytes.
#[derive(Default)]
struct Numbers {
    ends: u64,
    run: u32,
    longest: u32,
}

impl Numbers {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

    /// Eight bytes at a time: most numbers fit one byte, so most words hold
    /// no continued byte and are counted with one mask.
    fn scan(bytes: &[u8]) -> Numbers {
        let mut out = Numbers::default();
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
            let continued = word & Self::HIGH_BITS;
            if continued == 0 {
                out.ends += 8;
                out.run = 0;
            } else {
                word.to_le_bytes().iter().for_each(|b| out.byte(*b));
            }
        }
        words.remainder().iter().for_each(|b| out.byte(*b));
        out
    }

    fn byte(&mut self, b: u8) {
        if b & 0x80 == 0 {
            self.ends += 1;
            self.run = 0;
        } else {
            self.run += 1;
            self.longest = self.longest.max(self.run);
        }
    }
}

impl Iterator for CheckedTallies<'_> {
    type Item = (u32, Tally);

    #[inline]
    fn next(&mut self) -> Option<(u32, Tally)> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // Most people's four numbers are one byte each: read them at once.
        if let Some((word, rest)) = self.bytes.split_first_chunk::<4>() {
            if u32::from_le_bytes(*word) & 0x8080_8080 == 0 {
                self.bytes = rest;
                self.person = self.person.saturating_add(u64::from(word[0]));
                let tally = Tally {
                    events: i64::from(word[1]),
                    failures: i64::from(word[2]),
                    errors: i64::from(word[3]),
                };
                return Some((u32::try_from(self.person).unwrap_or(u32::MAX), tally));
            }
        }
        self.person = self.person.saturating_add(self.number());
        let tally = Tally {
            events: self.number() as i64,
            failures: self.number() as i64,
            errors: self.number() as i64,
        };
        // No person has a number this large: it matches no one.
        Some((u32::try_from(self.person).unwrap_or(u32::MAX), tally))
    }
}

/// The sessions an error hit, each with the number of its person (0: none),
/// so that a person's view counts only their own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sessions(pub BTreeMap<Uuid, u32>);

impl Sessions {
    /// Compact bytes: the count, then each session's 16 bytes and its
    /// person's number as a varint, in session order.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + self.0.len() * 18);
        put_varint(&mut out, self.0.len() as u64);
        for (session, person) in &self.0 {
            out.extend_from_slice(session.as_bytes());
            put_varint(&mut out, u64::from(*person));
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Sessions, String> {
        SessionReader::new(bytes)?
            .collect::<Result<_, _>>()
            .map(Sessions)
    }
}

/// Sessions in session order: each one's 16 bytes, then its person's number.
#[derive(Clone, Default)]
pub struct SessionFormat;

impl EntryFormat for SessionFormat {
    type Entry = (Uuid, u32);
    const NAME: &'static str = "sessions";

    fn read(&mut self, bytes: &mut &[u8]) -> Result<(Uuid, u32), String> {
        let (id, mut rest) = bytes
            .split_first_chunk::<16>()
            .ok_or("sessions end inside an id")?;
        let person = get_varint(&mut rest)?;
        *bytes = rest;
        let person = u32::try_from(person).map_err(|_| "session's person out of range")?;
        Ok((Uuid::from_bytes(*id), person))
    }
}

pub type SessionReader<'a> = Entries<'a, SessionFormat>;

/// A cell's identity. Blank dimensions are the nil id, 0 and "".
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    pub account: Uuid,
    pub cuboid: i16,
    pub grain: Grain,
    pub bucket: DateTime<Utc>,
    pub type_id: i64,
    pub package: String,
    pub kind: String,
    pub function: String,
    pub source: String,
    pub level: String,
}

/// The duration sketch of one operation (type, package, kind, function) per bucket.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OperationKey {
    pub account: Uuid,
    pub grain: Grain,
    pub bucket: DateTime<Utc>,
    pub type_id: i64,
    pub package: String,
    pub kind: String,
    pub function: String,
}

/// Errors of one signature per bucket, with where they happened and to whom.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorKey {
    pub account: Uuid,
    pub grain: Grain,
    pub bucket: DateTime<Utc>,
    pub signature: String,
    pub type_id: i64,
    pub package: String,
    pub kind: String,
    pub function: String,
}

/// When something was first and last seen, and (for labels) what it was last called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    /// The value at `last` (a function's name, an error's message).
    pub label: String,
}

impl Seen {
    fn at(t: DateTime<Utc>, label: &str) -> Seen {
        Seen {
            first: t,
            last: t,
            label: label.to_string(),
        }
    }

    pub fn merge(&mut self, o: &Seen) {
        self.first = self.first.min(o.first);
        if o.last >= self.last {
            self.last = o.last;
            self.label.clone_from(&o.label);
        }
    }
}

/// A package (function "") or a function of one, by (account, package, kind, function).
pub type FeatureKey = (Uuid, String, String, String);

/// How an event counts: whether it ran a function, failed, and is an error.
/// One rule for events as sent and as stored (a rebuild reads the columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub executed: bool,
    pub failed: bool,
    pub is_error: bool,
}

impl Outcome {
    /// From the event's action, status and level, and whether it carries an
    /// error: level `error` counts as an error even without one.
    pub fn of(action: &str, status: &str, level: &str, has_error: bool) -> Outcome {
        Outcome {
            executed: action == "executed",
            failed: status == crate::event::Status::Failed.as_str(),
            is_error: has_error || level == crate::event::Level::Error.as_str(),
        }
    }
}

/// One event as the rollups see it: the columns they read, borrowed from a new
/// event or from a stored row.
#[derive(Debug, Clone)]
pub struct Fact<'a> {
    pub account: Uuid,
    pub at: DateTime<Utc>,
    pub type_id: i64,
    /// The person, when a person acted.
    pub user: Option<Uuid>,
    pub source: &'a str,
    pub level: &'a str,
    pub package: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub resource_id: Option<&'a str>,
    pub resource_name: Option<&'a str>,
    pub outcome: Outcome,
    pub duration_ms: Option<i64>,
    /// Signature and message of the event's error.
    pub error: Option<(&'a str, &'a str)>,
    /// The session the event joined (errors count the sessions they hit).
    pub session: Option<Uuid>,
}

impl<'a> Fact<'a> {
    pub fn of(account: Uuid, type_id: i64, user: Option<Uuid>, e: &'a NewEvent) -> Fact<'a> {
        let resource = e.resource.as_ref();
        Fact {
            account,
            at: e.occurred_at,
            type_id,
            user: user.filter(|_| e.actor.kind == ActorKind::User),
            source: e.source.as_str(),
            level: e.level.as_str(),
            package: e.package.as_deref(),
            kind: resource.map(|r| r.kind.as_str()),
            resource_id: resource.and_then(|r| r.id.as_deref()),
            resource_name: resource.and_then(|r| r.name.as_deref()),
            outcome: Outcome::of(
                e.action.as_str(),
                e.status.as_str(),
                e.level.as_str(),
                e.error.is_some(),
            ),
            duration_ms: e.duration_ms.map(|d| d.min(i64::MAX as u64) as i64),
            error: e
                .error
                .as_ref()
                .map(|x| (x.signature.as_str(), x.message.as_str())),
            session: e.session_id,
        }
    }

    /// The function run by this event: the executed resource, by id (or name).
    pub fn function(&self) -> &'a str {
        if !self.outcome.executed {
            return "";
        }
        self.resource_id.or(self.resource_name).unwrap_or("")
    }

    fn measures(&self) -> Measures {
        let d = self.duration_ms.unwrap_or(0);
        Measures {
            events: 1,
            failures: self.outcome.failed as i64,
            errors: self.outcome.is_error as i64,
            timed: self.duration_ms.is_some() as i64,
            duration_sum: d,
            duration_max: d,
        }
    }
}

/// What a batch adds to one cell: its counts and each person's tally, by
/// person id (the store numbers them); for errors, also the sessions hit,
/// with the person of each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    pub measures: Measures,
    pub people: BTreeMap<Uuid, Tally>,
    pub sessions: BTreeMap<Uuid, Option<Uuid>>,
}

impl Cell {
    /// Stored tallies (if any) with this cell's people added, numbered by
    /// `number`, as bytes; `Err` names what cannot be read or numbered.
    pub fn add_people_to(
        &self,
        stored: Option<&[u8]>,
        number: impl Fn(&Uuid) -> Option<u32>,
    ) -> Result<Vec<u8>, String> {
        let mut tallies = stored.map_or_else(|| Ok(Tallies::default()), Tallies::decode)?;
        for (person, t) in &self.people {
            let n = number(person).ok_or_else(|| format!("person {person} has no number"))?;
            tallies.add(n, t);
        }
        Ok(tallies.encode())
    }

    /// Stored sessions (if any) with this cell's added, people numbered by
    /// `number`, as bytes.
    pub fn add_sessions_to(
        &self,
        stored: Option<&[u8]>,
        number: impl Fn(&Uuid) -> Option<u32>,
    ) -> Result<Vec<u8>, String> {
        let mut sessions = stored.map_or_else(|| Ok(Sessions::default()), Sessions::decode)?;
        for (session, person) in &self.sessions {
            let n = match person {
                Some(p) => number(p).ok_or_else(|| format!("person {p} has no number"))?,
                None => 0,
            };
            sessions.0.insert(*session, n);
        }
        Ok(sessions.encode())
    }

    fn add(&mut self, m: &Measures, person: Option<Uuid>) {
        self.measures.merge(m);
        if let Some(p) = person {
            self.people.entry(p).or_default().add(&Tally {
                events: m.events,
                failures: m.failures,
                errors: m.errors,
            });
        }
    }
}

/// What one batch adds to the rollups, merged per key; the store adds it to its tables.
#[derive(Debug, Default)]
pub struct Delta {
    pub cells: HashMap<CellKey, Cell>,
    pub durations: HashMap<OperationKey, Sketch>,
    pub errors: HashMap<ErrorKey, Cell>,
    /// Per (account, person): first and last event.
    pub people: HashMap<(Uuid, Uuid), Seen>,
    /// Packages and functions, labelled with the function's latest name.
    pub features: HashMap<FeatureKey, Seen>,
    /// Per (account, error signature), labelled with the latest message.
    pub signatures: HashMap<(Uuid, String), Seen>,
}

impl Delta {
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The buckets whose rows the delta changes, per account and grain: every
    /// event adds to cells, so the cells' buckets cover the other tables'.
    pub fn buckets(&self) -> std::collections::BTreeSet<(Uuid, Grain, DateTime<Utc>)> {
        self.cells
            .keys()
            .map(|k| (k.account, k.grain, k.bucket))
            .collect()
    }

    /// Adds an event at the stored grains.
    pub fn add(&mut self, f: &Fact) {
        self.add_at(f, &Grain::STORED);
    }

    pub fn add_at(&mut self, f: &Fact, grains: &[Grain]) {
        let m = f.measures();
        let function = f.function();
        for &grain in grains {
            let bucket = grain.floor(f.at);
            for cuboid in CUBOIDS {
                if cuboid.runs_only && function.is_empty() {
                    continue;
                }
                let key = cell_key(f, cuboid, grain, bucket, function);
                self.cells.entry(key).or_default().add(&m, f.user);
            }
            if let Some(ms) = f.duration_ms {
                self.durations
                    .entry(OperationKey {
                        account: f.account,
                        grain,
                        bucket,
                        type_id: f.type_id,
                        package: f.package.unwrap_or("").to_string(),
                        kind: f.kind.unwrap_or("").to_string(),
                        function: function.to_string(),
                    })
                    .or_default()
                    .add(ms);
            }
            if let Some((signature, _)) = f.error {
                let cell = self
                    .errors
                    .entry(ErrorKey {
                        account: f.account,
                        grain,
                        bucket,
                        signature: signature.to_string(),
                        type_id: f.type_id,
                        package: f.package.unwrap_or("").to_string(),
                        kind: f.kind.unwrap_or("").to_string(),
                        function: function.to_string(),
                    })
                    .or_default();
                cell.add(&m, f.user);
                if let Some(session) = f.session {
                    cell.sessions.insert(session, f.user);
                }
            }
        }
        self.note_seen(f, function);
    }

    fn note_seen(&mut self, f: &Fact, function: &str) {
        if let Some(user) = f.user {
            seen(&mut self.people, (f.account, user), f.at, "");
        }
        let package = f.package.unwrap_or("").to_string();
        if !package.is_empty() {
            let key = (f.account, package.clone(), String::new(), String::new());
            seen(&mut self.features, key, f.at, "");
        }
        if !function.is_empty() {
            let kind = f.kind.unwrap_or("").to_string();
            let key = (f.account, package, kind, function.to_string());
            seen(
                &mut self.features,
                key,
                f.at,
                f.resource_name.unwrap_or(function),
            );
        }
        if let Some((signature, message)) = f.error {
            let key = (f.account, signature.to_string());
            seen(&mut self.signatures, key, f.at, message);
        }
    }
}

fn seen<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, Seen>,
    key: K,
    at: DateTime<Utc>,
    label: &str,
) {
    let new = Seen::at(at, label);
    map.entry(key).and_modify(|s| s.merge(&new)).or_insert(new);
}

fn cell_key(
    f: &Fact,
    cuboid: &Cuboid,
    grain: Grain,
    bucket: DateTime<Utc>,
    function: &str,
) -> CellKey {
    let keep = |d: Dims, v: &str| {
        if cuboid.dims.contains(d) {
            v.to_string()
        } else {
            String::new()
        }
    };
    CellKey {
        account: f.account,
        cuboid: cuboid.id,
        grain,
        bucket,
        type_id: if cuboid.dims.contains(Dims::TYPE) {
            f.type_id
        } else {
            0
        },
        package: keep(Dims::PACKAGE, f.package.unwrap_or("")),
        kind: keep(Dims::KIND, f.kind.unwrap_or("")),
        function: keep(Dims::FUNCTION, function),
        source: keep(Dims::SOURCE, f.source),
        level: keep(Dims::LEVEL, f.level),
    }
}

/// A mergeable sketch of durations (DDSketch): durations fall into bins whose
/// bounds grow by a constant factor, so every quantile it answers is within
/// [`Sketch::RELATIVE_ERROR`] of a duration that was recorded, and two sketches
/// merge by adding their bins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sketch {
    /// Durations of 0 ms.
    zero: u64,
    /// Bin `first + i` counts `bins[i]`: dense, so that merging the many
    /// sketches of a long window is adding vectors. Never starts or ends
    /// with an empty bin, so equal sketches are equal values.
    first: i32,
    bins: Vec<u64>,
    /// All durations counted, zero included.
    count: u64,
    /// The longest, exactly.
    max: i64,
}

impl Sketch {
    pub const RELATIVE_ERROR: f64 = 0.02;
    /// The widest range of bins a sketch may span (1 ms to far beyond a year
    /// is under 1,300): a bound for decoding untrusted bytes.
    const MAX_SPAN: i64 = 1 << 14;

    fn gamma() -> f64 {
        (1.0 + Self::RELATIVE_ERROR) / (1.0 - Self::RELATIVE_ERROR)
    }

    pub fn add(&mut self, ms: i64) {
        self.max = self.max.max(ms);
        self.count += 1;
        if ms <= 0 {
            self.zero += 1;
        } else {
            let bin = ((ms as f64).ln() / Self::gamma().ln()).ceil() as i32;
            self.cover(bin, bin);
            self.bins[(bin - self.first) as usize] += 1;
        }
    }

    /// Widens the bins to hold `lo..=hi`.
    fn cover(&mut self, lo: i32, hi: i32) {
        if self.bins.is_empty() {
            self.first = lo;
            self.bins = vec![0; (hi - lo + 1) as usize];
            return;
        }
        if lo < self.first {
            let grow = (self.first - lo) as usize;
            self.bins.splice(0..0, std::iter::repeat_n(0, grow));
            self.first = lo;
        }
        let last = self.first + self.bins.len() as i32 - 1;
        if hi > last {
            self.bins.resize(self.bins.len() + (hi - last) as usize, 0);
        }
    }

    pub fn merge(&mut self, other: &Sketch) {
        self.max = self.max.max(other.max);
        self.zero += other.zero;
        self.count += other.count;
        if other.bins.is_empty() {
            return;
        }
        let other_last = other.first + other.bins.len() as i32 - 1;
        self.cover(other.first, other_last);
        let at = (other.first - self.first) as usize;
        for (mine, theirs) in self.bins[at..].iter_mut().zip(&other.bins) {
            *mine += theirs;
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The longest duration recorded, exactly; `None` when empty.
    pub fn max(&self) -> Option<i64> {
        (self.count > 0).then_some(self.max)
    }

    /// The `q` quantile (0 ≤ q ≤ 1) in ms; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.quantiles([q])[0]
    }

    /// Several quantiles (each 0 ≤ q ≤ 1, in increasing order) in ms, in one
    /// pass over the bins; `None` when empty.
    pub fn quantiles<const N: usize>(&self, qs: [f64; N]) -> [Option<f64>; N] {
        let mut out = [None; N];
        if self.count == 0 {
            return out;
        }
        // The rank of each wanted duration among all, counted from 0.
        let rank = |q: f64| (q.clamp(0.0, 1.0) * (self.count - 1) as f64).floor() as u64;
        let mut wanted = qs.iter().map(|q| rank(*q)).enumerate().peekable();
        while let Some((i, _)) = wanted.next_if(|(_, r)| *r < self.zero) {
            out[i] = Some(0.0);
        }
        let mut seen = self.zero;
        let gamma = Self::gamma();
        for (bin, n) in self.nonempty() {
            seen += n;
            while let Some((i, _)) = wanted.next_if(|(_, r)| *r < seen) {
                // The bin's midpoint in relative terms: within the error of both bounds.
                out[i] = Some(2.0 * gamma.powi(bin) / (gamma + 1.0));
            }
            if wanted.peek().is_none() {
                break;
            }
        }
        out
    }

    /// (bin, count) of the bins that count something, in order.
    fn nonempty(&self) -> impl Iterator<Item = (i32, u64)> + '_ {
        let first = self.first;
        self.bins
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(move |(i, n)| (first + i as i32, *n))
    }

    /// Compact bytes: zero count, then (bin delta, count) pairs of the bins
    /// that count something, then the maximum, all as varints.
    pub fn encode(&self) -> Vec<u8> {
        let used = self.nonempty().count();
        let mut out = Vec::with_capacity(4 + used * 3);
        put_varint(&mut out, self.zero);
        put_varint(&mut out, used as u64);
        let mut previous = 0i64;
        for (bin, n) in self.nonempty() {
            put_varint(&mut out, zigzag(i64::from(bin) - previous));
            previous = i64::from(bin);
            put_varint(&mut out, n);
        }
        put_varint(&mut out, zigzag(self.max));
        out
    }

    pub fn decode(mut bytes: &[u8]) -> Result<Sketch, String> {
        let bytes = &mut bytes;
        let zero = get_varint(bytes)?;
        let len = get_varint(bytes)?;
        let mut pairs = Vec::with_capacity(len.min(Self::MAX_SPAN as u64) as usize);
        let mut bin = 0i64;
        for _ in 0..len {
            bin += unzigzag(get_varint(bytes)?);
            let n = get_varint(bytes)?;
            let bin = i32::try_from(bin).map_err(|_| format!("sketch bin {bin} out of range"))?;
            if pairs.last().is_some_and(|(last, _)| *last >= bin) {
                return Err("sketch bins out of order".into());
            }
            pairs.push((bin, n));
        }
        let max = unzigzag(get_varint(bytes)?);
        if !bytes.is_empty() {
            return Err("sketch has trailing bytes".into());
        }
        let mut sketch = Sketch {
            zero,
            count: zero,
            max,
            ..Sketch::default()
        };
        if let (Some((lo, _)), Some((hi, _))) = (pairs.first(), pairs.last()) {
            if i64::from(*hi) - i64::from(*lo) >= Self::MAX_SPAN {
                return Err(format!("sketch spans bins {lo} to {hi}"));
            }
            sketch.cover(*lo, *hi);
        }
        for (bin, n) in pairs.into_iter().filter(|(_, n)| *n > 0) {
            sketch.bins[(bin - sketch.first) as usize] = n;
            sketch.count += n;
        }
        sketch.trim();
        Ok(sketch)
    }

    /// Drops empty bins at either end (bytes from elsewhere may list them).
    fn trim(&mut self) {
        let lead = self.bins.iter().take_while(|n| **n == 0).count();
        self.bins.drain(..lead);
        self.first += lead as i32;
        let used = self.bins.iter().rposition(|n| *n > 0).map_or(0, |i| i + 1);
        self.bins.truncate(used);
        if self.bins.is_empty() {
            self.first = 0;
        }
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a varint. Most numbers in tallies fit one byte: that case is
/// inlined, as 90 days of cells hold millions of them.
#[inline]
fn get_varint(bytes: &mut &[u8]) -> Result<u64, String> {
    match bytes.split_first() {
        Some((&b, rest)) if b < 0x80 => {
            *bytes = rest;
            Ok(u64::from(b))
        }
        _ => get_long_varint(bytes),
    }
}

fn get_long_varint(bytes: &mut &[u8]) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first().ok_or("a number ends early")?;
        *bytes = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("a number is too long".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_start_where_chrono_truncates() {
        use chrono::DurationRound;
        let start = DateTime::parse_from_rfc3339("2026-03-29T00:59:59.999999Z").unwrap();
        for step in 0..2_000i64 {
            let t = start.to_utc() + Duration::microseconds(step * 7_777_777_777 + step);
            for grain in [Grain::Minute, Grain::Hour, Grain::Day] {
                assert_eq!(grain.floor(t), t.duration_trunc(grain.length()).unwrap());
            }
        }
    }

    #[test]
    fn quantiles_are_within_the_relative_error() {
        let mut s = Sketch::default();
        let values: Vec<i64> = (1..=10_000).map(|i| i * 7 % 9973 + 1).collect();
        values.iter().for_each(|v| s.add(*v));
        let mut sorted = values.clone();
        sorted.sort();
        for q in [0.0, 0.5, 0.9, 0.99, 1.0] {
            let exact = sorted[(q * (sorted.len() - 1) as f64) as usize] as f64;
            let got = s.quantile(q).unwrap();
            assert!(
                (got - exact).abs() <= exact * Sketch::RELATIVE_ERROR + 1e-9,
                "q{q}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn sketches_merge_and_round_trip() {
        let (mut a, mut b, mut both) = (Sketch::default(), Sketch::default(), Sketch::default());
        for v in [0, 1, 5, 5, 300, 80_000] {
            a.add(v);
            both.add(v);
        }
        for v in [2, 7, 3_600_000] {
            b.add(v);
            both.add(v);
        }
        let mut reversed = b.clone();
        reversed.merge(&a);
        a.merge(&b);
        assert_eq!(a, both);
        assert_eq!(
            reversed, both,
            "merging a sketch with lower bins widens it downwards"
        );
        let mut empty = Sketch::default();
        empty.merge(&both);
        assert_eq!(empty, both);
        assert_eq!(Sketch::decode(&a.encode()).unwrap(), a);
        assert!(Sketch::decode(&[1, 5, 2]).is_err());
        // Bins a million apart would take megabytes: refused.
        let mut far = vec![0, 2, 0, 1];
        put_varint(&mut far, zigzag(1 << 20));
        far.extend([1, 0]);
        assert!(Sketch::decode(&far).unwrap_err().contains("spans"));
        assert_eq!(Sketch::default().quantile(0.5), None);
        assert_eq!((a.max(), Sketch::default().max()), (Some(3_600_000), None));
    }

    #[test]
    fn quantiles_in_one_pass_equal_each_asked_alone() {
        let mut s = Sketch::default();
        for ms in [0, 0, 0, 1, 5, 5, 40, 900, 900, 70_000] {
            s.add(ms);
        }
        let qs = [0.0, 0.2, 0.3, 0.5, 0.9, 0.99, 1.0];
        let alone: Vec<Option<f64>> = qs.iter().map(|q| s.quantile(*q)).collect();
        assert_eq!(s.quantiles(qs).to_vec(), alone);
        assert_eq!(alone[0], Some(0.0), "the zeros come first");
        let near = |v: Option<f64>, real: f64| (v.unwrap() - real).abs() <= real * 0.02;
        assert!(near(alone[3], 5.0) && near(alone[6], 70_000.0), "{alone:?}");
        assert_eq!(Sketch::default().quantiles([0.5, 0.9]), [None, None]);
    }

    #[test]
    fn the_navigator_takes_the_smallest_cuboid_that_has_the_dimensions() {
        assert_eq!(Cuboid::covering(Dims::NONE, false).name, "sources");
        assert_eq!(Cuboid::covering(Dims::PACKAGE, false).name, "packages");
        assert_eq!(Cuboid::covering(Dims::LEVEL, false).name, "levels");
        assert_eq!(Cuboid::covering(Dims::TYPE, false).name, "types");
        let by_package = Dims::TYPE | Dims::PACKAGE | Dims::LEVEL;
        assert_eq!(Cuboid::covering(by_package, false).name, "type-packages");
        assert_eq!(Cuboid::covering(Dims::FUNCTION, true).name, "functions");
        assert_eq!(Cuboid::covering(Dims::FUNCTION, false).name, "all");
        assert_eq!(Cuboid::covering(Dims::TYPE | Dims::KIND, false).name, "all");
    }

    #[test]
    fn tallies_merge_and_round_trip() {
        let mut a = Tallies::default();
        a.add(
            3,
            &Tally {
                events: 2,
                failures: 1,
                errors: 0,
            },
        );
        a.add(
            70_000,
            &Tally {
                events: 1,
                failures: 0,
                errors: 1,
            },
        );
        let mut b = Tallies::default();
        b.add(
            3,
            &Tally {
                events: 5,
                failures: 0,
                errors: 2,
            },
        );
        a.merge(&b);
        assert_eq!(
            a.0[&3],
            Tally {
                events: 7,
                failures: 1,
                errors: 2
            }
        );
        assert_eq!(Tallies::decode(&a.encode()).unwrap(), a);
        assert!(Tallies::decode(&[2, 1]).is_err());
        let bytes = a.encode();
        assert!(Tallies::check(&bytes).is_ok());
        let checked: Vec<(u32, Tally)> = CheckedTallies::new(&bytes).unwrap().collect();
        assert_eq!(checked, Tallies::entries(&bytes).unwrap());
        assert_eq!(CheckedTallies::new(&[]).unwrap().count(), 0);
        // Words of one-byte numbers and words of long ones, across word edges.
        let mut many = Tallies::default();
        for p in 0..300u32 {
            let events = if p % 7 == 0 { 1 << (p % 40) } else { 1 };
            let t = Tally {
                events,
                failures: 0,
                errors: i64::from(p % 3),
            };
            many.add(p * (1 + p % 5), &t);
        }
        let bytes = many.encode();
        let checked: Vec<(u32, Tally)> = CheckedTallies::new(&bytes).unwrap().collect();
        assert_eq!(checked, many.0.into_iter().collect::<Vec<_>>());
        assert!(
            Tallies::check(&bytes[..bytes.len() - 1]).is_err(),
            "a number short"
        );
        assert!(
            Tallies::check(&[bytes.as_slice(), &[0]].concat()).is_err(),
            "one too many"
        );
        let mut cut = bytes.clone();
        *cut.last_mut().unwrap() |= 0x80;
        assert!(Tallies::check(&cut).is_err(), "ends inside a number");
        assert!(Tallies::check(&[
            1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0
        ])
        .is_err());
    }
}
