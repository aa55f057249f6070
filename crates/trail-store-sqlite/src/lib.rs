//! The embedded store: one SQLite file in WAL mode, no setup. One connection
//! writes (SQLite allows one writer at a time anyway); a small pool reads
//! concurrently. Blocking calls run on tokio's blocking threads.

mod accounts;
mod append;
mod codec;
mod events;
mod rollups;
mod sessions;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};
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

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_events.sql")),
    (2, include_str!("../migrations/0002_search.sql")),
    (3, include_str!("../migrations/0003_entities.sql")),
    (4, include_str!("../migrations/0004_text.sql")),
    (5, include_str!("../migrations/0005_settings.sql")),
    (6, include_str!("../migrations/0006_people.sql")),
    (7, include_str!("../migrations/0007_filters.sql")),
    (8, include_str!("../migrations/0008_usage.sql")),
    (9, include_str!("../migrations/0009_error_sessions.sql")),
    (10, include_str!("../migrations/0010_bucket_versions.sql")),
    (11, include_str!("../migrations/0011_session_starts.sql")),
    (
        12,
        include_str!("../migrations/0012_session_starts_counted_by_writer.sql"),
    ),
];

/// The embedded backend.
pub struct SqliteStore {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    ids: Arc<Mutex<append::IdCache>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> StoreResult<SqliteStore> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Database(format!("creating {}: {e}", dir.display())))?;
        }
        let mut writer = open_connection(&path)?;
        migrate(&mut writer)?;
        for account in rollups::pending_backfill(&writer)? {
            rollups::rebuild(&mut writer, account)?;
        }
        Ok(SqliteStore {
            path,
            writer: Arc::new(Mutex::new(writer)),
            readers: Arc::new(Mutex::new(Vec::new())),
            ids: Arc::new(Mutex::new(append::IdCache::default())),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the writer connection on a blocking thread.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let writer = self.writer.clone();
        run_blocking(move || f(&mut writer.lock().expect("writer lock poisoned"))).await
    }

    /// Runs `f` on a pooled reader connection on a blocking thread.
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let readers = self.readers.clone();
        let path = self.path.clone();
        run_blocking(move || {
            let pooled = readers.lock().expect("reader pool poisoned").pop();
            let conn = match pooled {
                Some(c) => c,
                None => open_connection(&path)?,
            };
            let result = f(&conn);
            readers.lock().expect("reader pool poisoned").push(conn);
            result
        })
        .await
    }
}

async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> StoreResult<T> + Send + 'static,
) -> StoreResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Database(format!("blocking task failed: {e}")))?
}

fn open_connection(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(codec::db_error)?;
    // synchronous=FULL: in WAL mode every commit is fsynced, so an acknowledged event
    // survives a power cut; group commit keeps the number of commits small.
    conn.execute_batch(
        "PRAGMA page_size = 16384;
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 10000;
         PRAGMA cache_size = -65536;",
    )
    .map_err(codec::db_error)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(codec::db_error)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS trail_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
        .map_err(codec::db_error)?;
    for (version, sql) in MIGRATIONS {
        let applied: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM trail_migrations WHERE version = ?1)",
                [version],
                |r| r.get(0),
            )
            .map_err(codec::db_error)?;
        if !applied {
            tx.execute_batch(sql).map_err(codec::db_error)?;
            tx.execute(
                "INSERT INTO trail_migrations (version, applied_at) VALUES (?1, ?2)",
                (version, codec::micros(&Utc::now())),
            )
            .map_err(codec::db_error)?;
            tracing::info!(version, "applied SQLite migration");
        }
    }
    tx.commit().map_err(codec::db_error)
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read(|c| {
            c.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(codec::db_error)
        })
        .await
    }

    async fn create_account(&self, name: &str) -> StoreResult<Account> {
        let name = name.to_string();
        self.write(move |c| accounts::create_account(c, &name))
            .await
    }

    async fn list_accounts(&self) -> StoreResult<Vec<Account>> {
        self.read(accounts::list_accounts).await
    }

    async fn create_user(&self, account: Uuid, user: NewUser) -> StoreResult<User> {
        self.write(move |c| accounts::create_user(c, account, user))
            .await
    }

    async fn find_user(&self, account: Uuid, login: &str) -> StoreResult<Option<User>> {
        let login = login.to_string();
        self.read(move |c| accounts::find_user(c, account, &login))
            .await
    }

    async fn get_user(&self, account: Uuid, id: Uuid) -> StoreResult<Option<User>> {
        self.read(move |c| accounts::get_user(c, account, id)).await
    }

    async fn list_users(&self, account: Uuid) -> StoreResult<Vec<User>> {
        self.read(move |c| accounts::list_users(c, account)).await
    }

    async fn update_user(&self, account: Uuid, id: Uuid, change: UserChange) -> StoreResult<User> {
        self.write(move |c| accounts::update_user(c, account, id, change))
            .await
    }

    async fn credentials(&self, account: Uuid, login: &str) -> StoreResult<Option<Credentials>> {
        let login = login.to_string();
        self.read(move |c| accounts::credentials(c, account, &login))
            .await
    }

    async fn count_failed_sign_in(
        &self,
        account: Uuid,
        user: Uuid,
        lock_after: u32,
        lock_until: DateTime<Utc>,
    ) -> StoreResult<u32> {
        self.write(move |c| {
            accounts::count_failed_sign_in(c, account, user, lock_after, lock_until)
        })
        .await
    }

    async fn record_sign_in(
        &self,
        account: Uuid,
        user: Uuid,
        failed_sign_ins: u32,
        locked_until: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        self.write(move |c| {
            accounts::record_sign_in(c, account, user, failed_sign_ins, locked_until)
        })
        .await
    }

    async fn memberships(&self, account: Uuid, user: Uuid) -> StoreResult<Vec<Membership>> {
        self.read(move |c| accounts::memberships(c, account, user))
            .await
    }

    async fn list_groups(&self, account: Uuid) -> StoreResult<Vec<GroupInfo>> {
        self.read(move |c| accounts::list_groups(c, account)).await
    }

    async fn remove_group_member(
        &self,
        account: Uuid,
        group: Uuid,
        user: Uuid,
    ) -> StoreResult<bool> {
        self.write(move |c| accounts::remove_group_member(c, account, group, user))
            .await
    }

    async fn create_web_session(
        &self,
        account: Uuid,
        session: NewWebSession,
    ) -> StoreResult<WebSession> {
        self.write(move |c| accounts::create_web_session(c, account, session))
            .await
    }

    async fn find_web_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<WebSession>> {
        let hash = token_hash.to_string();
        self.read(move |c| accounts::find_web_session(c, &hash, now))
            .await
    }

    async fn end_web_session(&self, account: Uuid, id: Uuid) -> StoreResult<()> {
        self.write(move |c| accounts::end_web_session(c, account, id))
            .await
    }

    async fn setting(&self, account: Uuid, name: &str) -> StoreResult<Option<serde_json::Value>> {
        let name = name.to_string();
        self.read(move |c| accounts::setting(c, account, &name))
            .await
    }

    async fn put_setting(
        &self,
        account: Uuid,
        name: &str,
        value: &serde_json::Value,
    ) -> StoreResult<()> {
        let (name, value) = (name.to_string(), value.to_string());
        self.write(move |c| accounts::put_setting(c, account, &name, &value))
            .await
    }

    async fn create_group(
        &self,
        account: Uuid,
        name: &str,
        parent: Option<Uuid>,
    ) -> StoreResult<Group> {
        let name = name.to_string();
        self.write(move |c| accounts::create_group(c, account, &name, parent))
            .await
    }

    async fn add_group_member(&self, account: Uuid, group: Uuid, user: Uuid) -> StoreResult<()> {
        self.write(move |c| accounts::add_group_member(c, account, group, user))
            .await
    }

    async fn create_api_key(&self, account: Uuid, key: NewApiKey) -> StoreResult<ApiKey> {
        self.write(move |c| accounts::create_api_key(c, account, key))
            .await
    }

    async fn find_api_key(&self, secret_hash: &str) -> StoreResult<Option<ApiKey>> {
        let hash = secret_hash.to_string();
        self.read(move |c| accounts::find_api_key(c, &hash)).await
    }

    async fn list_api_keys(&self, account: Uuid) -> StoreResult<Vec<ApiKey>> {
        self.read(move |c| accounts::list_api_keys(c, account))
            .await
    }

    async fn revoke_api_key(
        &self,
        account: Uuid,
        key: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.write(move |c| accounts::set_key_time(c, account, key, "revoked_at", at))
            .await
    }

    async fn touch_api_key(&self, account: Uuid, key: Uuid, at: DateTime<Utc>) -> StoreResult<()> {
        self.write(move |c| accounts::set_key_time(c, account, key, "last_used_at", at).map(|_| ()))
            .await
    }

    async fn start_session(&self, account: Uuid, session: NewSession) -> StoreResult<Session> {
        self.write(move |c| sessions::start(c, account, session))
            .await
    }

    async fn end_session(
        &self,
        account: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<Session>> {
        self.write(move |c| sessions::end(c, account, id, at)).await
    }

    async fn get_session(&self, account: Uuid, id: Uuid) -> StoreResult<Option<Session>> {
        self.read(move |c| sessions::get(c, account, id)).await
    }

    async fn list_sessions(
        &self,
        account: Uuid,
        login: &str,
        limit: u32,
    ) -> StoreResult<Vec<Session>> {
        let login = login.to_string();
        self.read(move |c| sessions::list(c, account, &login, limit))
            .await
    }

    async fn missing_sessions(&self, account: Uuid, ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
        let ids = ids.to_vec();
        self.read(move |c| sessions::missing(c, account, &ids))
            .await
    }

    async fn append(&self, batch: &[AppendRequest]) -> StoreResult<Vec<AppendOutcome>> {
        let mut batch = batch.to_vec();
        let ids = self.ids.clone();
        self.write(move |c| append::append(c, &ids, &mut batch))
            .await
    }

    async fn get_event(&self, account: Uuid, id: Uuid) -> StoreResult<Option<Event>> {
        self.read(move |c| events::get(c, account, id)).await
    }

    async fn recent_events(
        &self,
        account: Uuid,
        before_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Event>> {
        self.read(move |c| events::recent(c, account, before_seq, limit))
            .await
    }

    async fn search(&self, account: Uuid, request: &SearchRequest) -> StoreResult<SearchPage> {
        let request = request.clone();
        self.read(move |c| events::search(c, account, &request))
            .await
    }

    async fn entity_usage(
        &self,
        account: Uuid,
        request: &UsageRequest,
    ) -> StoreResult<trail_store::usage::EntityUsage> {
        let request = request.clone();
        self.read(move |c| events::usage(c, account, &request))
            .await
    }

    async fn event_types(&self, account: Uuid) -> StoreResult<Vec<EventTypeRecord>> {
        self.read(move |c| events::types(c, account)).await
    }

    async fn rollup_rows(&self, account: Uuid, query: &RollupQuery) -> StoreResult<Vec<RollupRow>> {
        let query = query.clone();
        self.read(move |c| rollups::rows(c, account, &query)).await
    }

    async fn rollup_versions(
        &self,
        account: Uuid,
        grain: Grain,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(DateTime<Utc>, i64)>> {
        self.read(move |c| rollups::versions(c, account, grain, from, to))
            .await
    }

    async fn seen(&self, account: Uuid, table: SeenTable) -> StoreResult<Vec<SeenRow>> {
        self.read(move |c| rollups::seen(c, account, table)).await
    }

    async fn count_sessions(
        &self,
        account: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        users: Option<&[Uuid]>,
    ) -> StoreResult<i64> {
        let users = users.map(<[Uuid]>::to_vec);
        self.read(move |c| rollups::count_sessions(c, account, from, to, users.as_deref()))
            .await
    }

    async fn rebuild_rollups(&self, account: Uuid) -> StoreResult<u64> {
        self.write(move |c| rollups::rebuild(c, account)).await
    }

    async fn event_count(&self, account: Uuid) -> StoreResult<u64> {
        self.read(move |c| {
            c.query_row(
                "SELECT count(*) FROM events WHERE account_id = ?1",
                [account],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(codec::db_error)
        })
        .await
    }

    async fn raw_bulk_load(&self, events: &[NewEvent]) -> StoreResult<()> {
        let events = events.to_vec();
        self.write(move |c| append::raw_bulk_load(c, &events)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Migration 0006 rebuilds `api_keys`: keys made before it keep every field.
    #[test]
    fn keys_survive_the_people_migration() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open_connection(&dir.path().join("trail.db")).unwrap();
        for (_, sql) in &MIGRATIONS[..5] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "CREATE TABLE trail_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
             INSERT INTO trail_migrations VALUES (1, 0), (2, 0), (3, 0), (4, 0), (5, 0);
             INSERT INTO accounts (id, name, created_at) VALUES (x'01', 'acme', 1);
             INSERT INTO users (account_id, id, login, role, joined) VALUES (x'01', x'02', 'u', 'member', 1);
             INSERT INTO api_keys (account_id, id, name, prefix, secret_hash, scope, created_at, expires_at, revoked_at, last_used_at)
             VALUES (x'01', x'03', 'ci', 'trl_ab', 'hash', 'read', 5, 6, 7, 8);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let row: (String, String, String, String, Option<Vec<u8>>, String, [i64; 4]) = conn
            .query_row(
                "SELECT name, prefix, secret_hash, scope, user_id, allowed_ips, created_at, expires_at, revoked_at, last_used_at FROM api_keys WHERE account_id = x'01' AND id = x'03'",
                [],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        [r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?],
                    ))
                },
            )
            .unwrap();
        assert_eq!(
            row,
            (
                "ci".into(),
                "trl_ab".into(),
                "hash".into(),
                "read".into(),
                None,
                "[]".into(),
                [5, 6, 7, 8]
            )
        );
        let user: (i64, Option<i64>) = conn
            .query_row("SELECT failed_sign_ins, locked_until FROM users", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(user, (0, None));
        let dangling = conn.execute(
            "INSERT INTO api_keys (account_id, id, name, prefix, secret_hash, scope, user_id, created_at)
             VALUES (x'01', x'04', 'mine', 'trl_cd', 'hash2', 'read', x'09', 5)",
            [],
        );
        assert!(
            dangling.is_err(),
            "user_id refers to a person of the account"
        );
        let violations: i64 = conn
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(violations, 0);
    }
}
