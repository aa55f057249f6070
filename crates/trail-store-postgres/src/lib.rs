//! Trail's PostgreSQL store: the `Store` trait over a pool of connections to one
//! database, for deployments that run several servers or outgrow SQLite.
//!
//! `PostgresStore::connect` applies the embedded migrations (`migrations/*.sql`)
//! under an advisory lock, so servers may start together. Appends commit a whole
//! group-commit batch in one transaction and write its rows with binary COPY (see
//! `append`); every other method is a statement or two. Several servers may share
//! one database: an account's row lock orders its appends, which keeps each
//! account's sequence numbers gap-free.

mod append;
mod error;
mod events;
mod migrate;
mod rollups;
mod rows;
mod sessions;
mod tenants;
pub mod testing;

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use trail_core::rollup::Grain;
use trail_core::{Event, NewEvent};
use trail_store::rollups::{RollupQuery, RollupRow, SeenRow, SeenTable};
use trail_store::search::{SearchPage, SearchRequest};
use trail_store::usage::UsageRequest;
use trail_store::{
    Account, ApiKey, AppendOutcome, AppendRequest, Credentials, EventTypeRecord, Group, GroupInfo,
    Membership, NewApiKey, NewSession, NewUser, NewWebSession, Session, Store, StoreError,
    StoreResult, User, UserChange, WebSession,
};
use uuid::Uuid;

use crate::error::db;

/// Connections kept open. Appends use one at a time (a single writer commits
/// batches); the rest serve reads.
const POOL_SIZE: usize = 8;
/// How long to wait for a new connection, or for a free one.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const WAIT_TIMEOUT: Duration = Duration::from_secs(30);

/// The PostgreSQL backend. Cheap to share: clone the `Arc` it is kept in.
pub struct PostgresStore {
    pool: Pool,
    /// Type, parameter and user ids learnt by committed appends.
    ids: Mutex<append::Ids>,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host/db` or
    /// `host=... user=... dbname=...`) and brings its schema up to date.
    pub async fn connect(url: &str) -> StoreResult<PostgresStore> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
            StoreError::Database(format!("bad PostgreSQL URL: {}", error::chain(&e)))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("trail");
        // Trail's queries are short index reads; compiling them with JIT costs
        // more (up to a second on a large table's estimates) than it ever saves.
        let options = config.get_options().map(str::to_string);
        config.options(format!("{} -c jit=off", options.unwrap_or_default()).trim());
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(WAIT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Database(format!("connection pool: {e}")))?;
        let store = PostgresStore {
            pool,
            ids: Mutex::default(),
        };
        let mut client = store.client().await?;
        migrate::run(&mut client).await?;
        for account in rollups::pending_backfill(&client).await? {
            rollups::rebuild(&mut client, account).await?;
        }
        Ok(store)
    }

    async fn client(&self) -> StoreResult<Client> {
        self.pool.get().await.map_err(error::pool)
    }
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> StoreResult<()> {
        self.client()
            .await?
            .simple_query("SELECT 1")
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn create_account(&self, name: &str) -> StoreResult<Account> {
        tenants::create_account(&mut self.client().await?, name).await
    }

    async fn list_accounts(&self) -> StoreResult<Vec<Account>> {
        tenants::list_accounts(&self.client().await?).await
    }

    async fn create_user(&self, account: Uuid, user: NewUser) -> StoreResult<User> {
        tenants::create_user(&self.client().await?, account, user).await
    }

    async fn find_user(&self, account: Uuid, login: &str) -> StoreResult<Option<User>> {
        tenants::find_user(&self.client().await?, account, login).await
    }

    async fn get_user(&self, account: Uuid, id: Uuid) -> StoreResult<Option<User>> {
        tenants::get_user(&self.client().await?, account, id).await
    }

    async fn list_users(&self, account: Uuid) -> StoreResult<Vec<User>> {
        tenants::list_users(&self.client().await?, account).await
    }

    async fn update_user(&self, account: Uuid, id: Uuid, change: UserChange) -> StoreResult<User> {
        tenants::update_user(&self.client().await?, account, id, change).await
    }

    async fn credentials(&self, account: Uuid, login: &str) -> StoreResult<Option<Credentials>> {
        tenants::credentials(&self.client().await?, account, login).await
    }

    async fn count_failed_sign_in(
        &self,
        account: Uuid,
        user: Uuid,
        lock_after: u32,
        lock_until: DateTime<Utc>,
    ) -> StoreResult<u32> {
        let client = self.client().await?;
        tenants::count_failed_sign_in(&client, account, user, lock_after, lock_until).await
    }

    async fn record_sign_in(
        &self,
        account: Uuid,
        user: Uuid,
        failed_sign_ins: u32,
        locked_until: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        tenants::record_sign_in(
            &self.client().await?,
            account,
            user,
            failed_sign_ins,
            locked_until,
        )
        .await
    }

    async fn memberships(&self, account: Uuid, user: Uuid) -> StoreResult<Vec<Membership>> {
        tenants::memberships(&self.client().await?, account, user).await
    }

    async fn list_groups(&self, account: Uuid) -> StoreResult<Vec<GroupInfo>> {
        tenants::list_groups(&self.client().await?, account).await
    }

    async fn remove_group_member(
        &self,
        account: Uuid,
        group: Uuid,
        user: Uuid,
    ) -> StoreResult<bool> {
        tenants::remove_group_member(&self.client().await?, account, group, user).await
    }

    async fn create_web_session(
        &self,
        account: Uuid,
        session: NewWebSession,
    ) -> StoreResult<WebSession> {
        tenants::create_web_session(&self.client().await?, account, session).await
    }

    async fn find_web_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<WebSession>> {
        tenants::find_web_session(&self.client().await?, token_hash, now).await
    }

    async fn end_web_session(&self, account: Uuid, id: Uuid) -> StoreResult<()> {
        tenants::end_web_session(&self.client().await?, account, id).await
    }

    async fn setting(&self, account: Uuid, name: &str) -> StoreResult<Option<serde_json::Value>> {
        tenants::setting(&self.client().await?, account, name).await
    }

    async fn put_setting(
        &self,
        account: Uuid,
        name: &str,
        value: &serde_json::Value,
    ) -> StoreResult<()> {
        tenants::put_setting(&self.client().await?, account, name, value).await
    }

    async fn create_group(
        &self,
        account: Uuid,
        name: &str,
        parent: Option<Uuid>,
    ) -> StoreResult<Group> {
        tenants::create_group(&mut self.client().await?, account, name, parent).await
    }

    async fn add_group_member(&self, account: Uuid, group: Uuid, user: Uuid) -> StoreResult<()> {
        tenants::add_group_member(&self.client().await?, account, group, user).await
    }

    async fn create_api_key(&self, account: Uuid, key: NewApiKey) -> StoreResult<ApiKey> {
        tenants::create_api_key(&self.client().await?, account, key).await
    }

    async fn find_api_key(&self, secret_hash: &str) -> StoreResult<Option<ApiKey>> {
        tenants::find_api_key(&self.client().await?, secret_hash).await
    }

    async fn list_api_keys(&self, account: Uuid) -> StoreResult<Vec<ApiKey>> {
        tenants::list_api_keys(&self.client().await?, account).await
    }

    async fn revoke_api_key(
        &self,
        account: Uuid,
        key: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        tenants::revoke_api_key(&self.client().await?, account, key, at).await
    }

    async fn touch_api_key(&self, account: Uuid, key: Uuid, at: DateTime<Utc>) -> StoreResult<()> {
        tenants::touch_api_key(&self.client().await?, account, key, at).await
    }

    async fn start_session(&self, account: Uuid, session: NewSession) -> StoreResult<Session> {
        sessions::start(&mut self.client().await?, account, session).await
    }

    async fn end_session(
        &self,
        account: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<Session>> {
        sessions::end(&self.client().await?, account, id, at).await
    }

    async fn get_session(&self, account: Uuid, id: Uuid) -> StoreResult<Option<Session>> {
        sessions::get_one(&self.client().await?, account, id).await
    }

    async fn list_sessions(
        &self,
        account: Uuid,
        login: &str,
        limit: u32,
    ) -> StoreResult<Vec<Session>> {
        sessions::list(&self.client().await?, account, login, limit).await
    }

    async fn missing_sessions(&self, account: Uuid, ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
        sessions::missing(&self.client().await?, account, ids).await
    }

    async fn append(&self, batch: &[AppendRequest]) -> StoreResult<Vec<AppendOutcome>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        append::append(&mut self.client().await?, &self.ids, batch).await
    }

    async fn get_event(&self, account: Uuid, id: Uuid) -> StoreResult<Option<Event>> {
        events::get_one(&self.client().await?, account, id).await
    }

    async fn recent_events(
        &self,
        account: Uuid,
        before_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Event>> {
        events::recent(&self.client().await?, account, before_seq, limit).await
    }

    async fn search(&self, account: Uuid, request: &SearchRequest) -> StoreResult<SearchPage> {
        events::search(&self.client().await?, account, request).await
    }

    async fn entity_usage(
        &self,
        account: Uuid,
        request: &UsageRequest,
    ) -> StoreResult<trail_store::usage::EntityUsage> {
        events::usage(&self.client().await?, account, request).await
    }

    async fn event_types(&self, account: Uuid) -> StoreResult<Vec<EventTypeRecord>> {
        events::types(&self.client().await?, account).await
    }

    async fn rollup_rows(&self, account: Uuid, query: &RollupQuery) -> StoreResult<Vec<RollupRow>> {
        rollups::rows(&self.client().await?, account, query).await
    }

    async fn rollup_versions(
        &self,
        account: Uuid,
        grain: Grain,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(DateTime<Utc>, i64)>> {
        rollups::versions(&self.client().await?, account, grain, from, to).await
    }

    async fn seen(&self, account: Uuid, table: SeenTable) -> StoreResult<Vec<SeenRow>> {
        rollups::seen(&self.client().await?, account, table).await
    }

    async fn count_sessions(
        &self,
        account: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        users: Option<&[Uuid]>,
    ) -> StoreResult<i64> {
        rollups::count_sessions(&self.client().await?, account, from, to, users).await
    }

    async fn rebuild_rollups(&self, account: Uuid) -> StoreResult<u64> {
        rollups::rebuild(&mut self.client().await?, account).await
    }

    async fn event_count(&self, account: Uuid) -> StoreResult<u64> {
        events::count(&self.client().await?, account).await
    }

    async fn raw_bulk_load(&self, events: &[NewEvent]) -> StoreResult<()> {
        events::raw_bulk_load(&mut self.client().await?, events).await
    }

    /// VACUUM sets the visibility map and hint bits a first read would otherwise
    /// write; ANALYZE tells the planner how common addresses, users and words are.
    async fn refresh_statistics(&self) -> StoreResult<()> {
        self.client()
            .await?
            .batch_execute(
                "VACUUM (ANALYZE) events, event_parameter_values, usage_cells, usage_durations, \
                 usage_errors, usage_people, usage_features, usage_signatures",
            )
            .await
            .map_err(error::db)
    }
}
