//! The storage boundary: the `Store` trait both backends implement, the records it
//! deals in, the group-commit ingestor in front of it, and the conformance suite
//! every backend must pass.

pub mod conformance;
pub mod conformance_usage;
mod error;
pub mod ingest;
mod records;
pub mod rollups;
pub mod search;
pub mod usage;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use trail_core::{Event, NewEvent};
use uuid::Uuid;

pub use error::{StoreError, StoreResult};
pub use records::*;

/// A durable home for events and the people, keys and sessions they refer to.
/// Every method that touches tenant data takes the account it is scoped to.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Fails when the database cannot be reached.
    async fn ping(&self) -> StoreResult<()>;

    // Accounts, people and keys.
    async fn create_account(&self, name: &str) -> StoreResult<Account>;
    async fn list_accounts(&self) -> StoreResult<Vec<Account>>;
    async fn create_user(&self, account: Uuid, user: NewUser) -> StoreResult<User>;
    async fn find_user(&self, account: Uuid, login: &str) -> StoreResult<Option<User>>;
    async fn get_user(&self, account: Uuid, id: Uuid) -> StoreResult<Option<User>>;
    /// Everyone of the account, by login.
    async fn list_users(&self, account: Uuid) -> StoreResult<Vec<User>>;
    /// `NotFound` when the account has no such person.
    async fn update_user(&self, account: Uuid, id: Uuid, change: UserChange) -> StoreResult<User>;
    async fn credentials(&self, account: Uuid, login: &str) -> StoreResult<Option<Credentials>>;
    /// Stores the outcome of a sign-in attempt: the failures counted so far and
    /// the lock, if one was decided.
    async fn record_sign_in(
        &self,
        account: Uuid,
        user: Uuid,
        failed_sign_ins: u32,
        locked_until: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;
    /// Counts one more failed sign-in in one statement (so that attempts at the
    /// same moment all count) and locks the login until `lock_until` once the
    /// count reaches `lock_after`. Returns the count.
    async fn count_failed_sign_in(
        &self,
        account: Uuid,
        user: Uuid,
        lock_after: u32,
        lock_until: DateTime<Utc>,
    ) -> StoreResult<u32>;
    /// The person's groups with every group they are nested in, nearest first.
    async fn memberships(&self, account: Uuid, user: Uuid) -> StoreResult<Vec<Membership>>;
    /// Every group of the account with its direct members, by name.
    async fn list_groups(&self, account: Uuid) -> StoreResult<Vec<GroupInfo>>;
    /// Returns false when the person was not a direct member.
    async fn remove_group_member(
        &self,
        account: Uuid,
        group: Uuid,
        user: Uuid,
    ) -> StoreResult<bool>;
    async fn create_web_session(
        &self,
        account: Uuid,
        session: NewWebSession,
    ) -> StoreResult<WebSession>;
    /// The unexpired session with this token hash, whatever its account.
    async fn find_web_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<WebSession>>;
    async fn end_web_session(&self, account: Uuid, id: Uuid) -> StoreResult<()>;
    /// An account's settings document of this name (`redaction`, `visibility`,
    /// `logging`), if one was ever saved.
    async fn setting(&self, account: Uuid, name: &str) -> StoreResult<Option<serde_json::Value>>;
    /// Replaces an account's settings document.
    async fn put_setting(
        &self,
        account: Uuid,
        name: &str,
        value: &serde_json::Value,
    ) -> StoreResult<()>;
    async fn create_group(
        &self,
        account: Uuid,
        name: &str,
        parent: Option<Uuid>,
    ) -> StoreResult<Group>;
    async fn add_group_member(&self, account: Uuid, group: Uuid, user: Uuid) -> StoreResult<()>;
    async fn create_api_key(&self, account: Uuid, key: NewApiKey) -> StoreResult<ApiKey>;
    /// The key with this secret hash, whatever its account, revoked or not.
    async fn find_api_key(&self, secret_hash: &str) -> StoreResult<Option<ApiKey>>;
    async fn list_api_keys(&self, account: Uuid) -> StoreResult<Vec<ApiKey>>;
    /// Returns false when the account has no such key.
    async fn revoke_api_key(
        &self,
        account: Uuid,
        key: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    async fn touch_api_key(&self, account: Uuid, key: Uuid, at: DateTime<Utc>) -> StoreResult<()>;

    // Sessions.
    async fn start_session(&self, account: Uuid, session: NewSession) -> StoreResult<Session>;
    /// Ends an open session; `None` when the account has no such session.
    async fn end_session(
        &self,
        account: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<Session>>;
    async fn get_session(&self, account: Uuid, id: Uuid) -> StoreResult<Option<Session>>;
    /// A user's sessions, newest first.
    async fn list_sessions(
        &self,
        account: Uuid,
        login: &str,
        limit: u32,
    ) -> StoreResult<Vec<Session>>;
    /// Those of `ids` that are not sessions of the account.
    async fn missing_sessions(&self, account: Uuid, ids: &[Uuid]) -> StoreResult<Vec<Uuid>>;

    // Events.
    /// Commits every request of the batch in one transaction and answers each: its
    /// events stored or recognised as duplicates, or a conflict that stored nothing of it.
    async fn append(&self, batch: &[AppendRequest]) -> StoreResult<Vec<AppendOutcome>>;
    async fn get_event(&self, account: Uuid, id: Uuid) -> StoreResult<Option<Event>>;
    /// The newest events of an account, optionally older than a sequence number.
    async fn recent_events(
        &self,
        account: Uuid,
        before_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Event>>;
    /// Events matching a search, newest first (by when they happened, then `seq`).
    async fn search(
        &self,
        account: Uuid,
        request: &search::SearchRequest,
    ) -> StoreResult<search::SearchPage>;
    /// Usage of one entity (resource kind and id) in `[from, to)`.
    async fn entity_usage(
        &self,
        account: Uuid,
        request: &usage::UsageRequest,
    ) -> StoreResult<usage::EntityUsage>;
    async fn event_types(&self, account: Uuid) -> StoreResult<Vec<EventTypeRecord>>;

    // Usage rollups (`trail_core::rollup`), kept by `append` in the same transaction.
    async fn rollup_rows(
        &self,
        account: Uuid,
        query: &rollups::RollupQuery,
    ) -> StoreResult<Vec<rollups::RollupRow>>;
    /// The versions of the account's rollup buckets of `grain` in
    /// `[from, to)`, by bucket: a bucket's version changes in every
    /// transaction that changes its rows, and a number is never given twice,
    /// so rows read after a version still belong to it if it has not changed.
    /// Buckets never written have none.
    async fn rollup_versions(
        &self,
        account: Uuid,
        grain: trail_core::rollup::Grain,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(DateTime<Utc>, i64)>>;
    /// Every row of a first-and-last-seen table of the account.
    async fn seen(
        &self,
        account: Uuid,
        table: rollups::SeenTable,
    ) -> StoreResult<Vec<rollups::SeenRow>>;
    /// Sessions that started in `[from, to)`, of these people only when given.
    async fn count_sessions(
        &self,
        account: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        users: Option<&[Uuid]>,
    ) -> StoreResult<i64>;
    /// Recomputes the account's rollups from its stored events, in one
    /// transaction; returns the number of events read.
    async fn rebuild_rollups(&self, account: Uuid) -> StoreResult<u64>;
    async fn event_count(&self, account: Uuid) -> StoreResult<u64>;

    /// Benchmark baseline only: writes the event rows of `events` the fastest way the
    /// database offers (COPY, one prepared transaction) into scratch tables, without
    /// dedup, sessions or sequence numbers.
    async fn raw_bulk_load(&self, events: &[NewEvent]) -> StoreResult<()>;

    /// After a bulk load: brings the planner's statistics (and whatever else the
    /// database keeps for fast reads) up to date, instead of waiting for the
    /// database's own background maintenance.
    async fn refresh_statistics(&self) -> StoreResult<()> {
        Ok(())
    }
}
