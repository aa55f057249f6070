//! Accounts, users, groups and API keys.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use trail_core::Catalogue;
use trail_store::{Account, ApiKey, Group, NewApiKey, NewUser, StoreError, StoreResult, User};
use uuid::Uuid;

use crate::codec::{db_error, from_micros, micros, opt_from_micros, parse_col};

/// Creates the account with the seed's catalogue of event types.
pub fn create_account(conn: &mut Connection, name: &str) -> StoreResult<Account> {
    let account = Account {
        id: Uuid::now_v7(),
        name: name.to_string(),
        created_at: Utc::now(),
    };
    let tx = conn.transaction().map_err(db_error)?;
    tx.execute(
        "INSERT INTO accounts (id, name, created_at) VALUES (?1, ?2, ?3)",
        params![account.id, account.name, micros(&account.created_at)],
    )
    .map_err(db_error)?;
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO event_types (account_id, name, resource_kind, action, level, builtin, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)",
            )
            .map_err(db_error)?;
        for t in Catalogue::builtin() {
            insert
                .execute(params![
                    account.id,
                    t.name.as_str(),
                    t.resource_kind.as_ref().map(|k| k.as_str()),
                    t.action.as_str(),
                    t.level.as_str(),
                    micros(&account.created_at)
                ])
                .map_err(db_error)?;
        }
    }
    tx.commit().map_err(db_error)?;
    Ok(account)
}

pub fn list_accounts(conn: &Connection) -> StoreResult<Vec<Account>> {
    let mut stmt = conn
        .prepare_cached("SELECT id, name, created_at FROM accounts ORDER BY created_at, id")
        .map_err(db_error)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Account {
                id: r.get(0)?,
                name: r.get(1)?,
                created_at: from_micros(r.get(2)?),
            })
        })
        .map_err(db_error)?;
    rows.collect::<Result<_, _>>().map_err(db_error)
}

pub fn create_user(conn: &Connection, account: Uuid, u: NewUser) -> StoreResult<User> {
    let user = User {
        id: Uuid::now_v7(),
        login: u.login,
        name: u.name,
        email: u.email,
        role: u.role,
        joined: Utc::now(),
    };
    conn.execute(
        "INSERT INTO users (account_id, id, login, friendly_name, email, role, password_hash, joined)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![account, user.id, user.login, user.name, user.email, user.role.as_str(), u.password_hash, micros(&user.joined)],
    )
    .map_err(|e| match db_error(e) {
        StoreError::AlreadyExists(_) => StoreError::AlreadyExists(format!("user {:?}", user.login)),
        other => other,
    })?;
    Ok(user)
}

const USER_COLUMNS: &str = "id, login, friendly_name, email, role, joined";

fn user_row(r: &Row) -> rusqlite::Result<(User, String)> {
    let role: String = r.get(4)?;
    let user = User {
        id: r.get(0)?,
        login: r.get(1)?,
        name: r.get(2)?,
        email: r.get(3)?,
        role: trail_store::Role::Member,
        joined: from_micros(r.get(5)?),
    };
    Ok((user, role))
}

pub fn find_user(conn: &Connection, account: Uuid, login: &str) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE account_id = ?1 AND login = ?2");
    let found = conn
        .query_row(&sql, params![account, login], user_row)
        .optional()
        .map_err(db_error)?;
    found
        .map(|(mut user, role)| {
            user.role = parse_col(&role)?;
            Ok(user)
        })
        .transpose()
}

pub fn create_group(
    conn: &mut Connection,
    account: Uuid,
    name: &str,
    parent: Option<Uuid>,
) -> StoreResult<Group> {
    let group = Group {
        id: Uuid::now_v7(),
        name: name.to_string(),
        parent,
    };
    let tx = conn.transaction().map_err(db_error)?;
    tx.execute(
        "INSERT INTO groups (account_id, id, name) VALUES (?1, ?2, ?3)",
        params![account, group.id, group.name],
    )
    .map_err(db_error)?;
    if let Some(parent) = parent {
        tx.execute(
            "INSERT INTO groups_relations (account_id, parent_id, child_id) VALUES (?1, ?2, ?3)",
            params![account, parent, group.id],
        )
        .map_err(|e| match db_error(e) {
            StoreError::NotFound(_) => StoreError::NotFound(format!("parent group {parent}")),
            other => other,
        })?;
    }
    tx.commit().map_err(db_error)?;
    Ok(group)
}

pub fn add_group_member(
    conn: &Connection,
    account: Uuid,
    group: Uuid,
    user: Uuid,
) -> StoreResult<()> {
    conn.execute(
        "INSERT OR IGNORE INTO group_members (account_id, group_id, user_id) VALUES (?1, ?2, ?3)",
        params![account, group, user],
    )
    .map_err(db_error)?;
    Ok(())
}

pub fn create_api_key(conn: &Connection, account: Uuid, k: NewApiKey) -> StoreResult<ApiKey> {
    let key = ApiKey {
        id: Uuid::now_v7(),
        account_id: account,
        name: k.name,
        prefix: k.prefix,
        scope: k.scope,
        created_at: Utc::now(),
        expires_at: k.expires_at,
        revoked_at: None,
        last_used_at: None,
    };
    conn.execute(
        "INSERT INTO api_keys (account_id, id, name, prefix, secret_hash, scope, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            account,
            key.id,
            key.name,
            key.prefix,
            k.secret_hash,
            key.scope.as_str(),
            micros(&key.created_at),
            key.expires_at.as_ref().map(micros)
        ],
    )
    .map_err(|e| match db_error(e) {
        StoreError::AlreadyExists(_) => StoreError::AlreadyExists("an API key with this secret".into()),
        other => other,
    })?;
    Ok(key)
}

const KEY_COLUMNS: &str =
    "id, account_id, name, prefix, scope, created_at, expires_at, revoked_at, last_used_at";

fn key_row(r: &Row) -> rusqlite::Result<(ApiKey, String)> {
    let key = ApiKey {
        id: r.get(0)?,
        account_id: r.get(1)?,
        name: r.get(2)?,
        prefix: r.get(3)?,
        scope: trail_core::credentials::Scope::Read,
        created_at: from_micros(r.get(5)?),
        expires_at: opt_from_micros(r.get(6)?),
        revoked_at: opt_from_micros(r.get(7)?),
        last_used_at: opt_from_micros(r.get(8)?),
    };
    Ok((key, r.get(4)?))
}

fn with_scope((mut key, scope): (ApiKey, String)) -> StoreResult<ApiKey> {
    key.scope = parse_col(&scope)?;
    Ok(key)
}

pub fn find_api_key(conn: &Connection, secret_hash: &str) -> StoreResult<Option<ApiKey>> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE secret_hash = ?1");
    let found = conn
        .query_row(&sql, [secret_hash], key_row)
        .optional()
        .map_err(db_error)?;
    found.map(with_scope).transpose()
}

pub fn list_api_keys(conn: &Connection, account: Uuid) -> StoreResult<Vec<ApiKey>> {
    let sql =
        format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE account_id = ?1 ORDER BY created_at, id");
    let mut stmt = conn.prepare_cached(&sql).map_err(db_error)?;
    let rows = stmt.query_map([account], key_row).map_err(db_error)?;
    rows.map(|r| r.map_err(db_error).and_then(with_scope))
        .collect()
}

/// Sets `revoked_at` or `last_used_at`; false when the account has no such key.
pub fn set_key_time(
    conn: &Connection,
    account: Uuid,
    key: Uuid,
    column: &str,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    debug_assert!(matches!(column, "revoked_at" | "last_used_at"));
    let sql = format!("UPDATE api_keys SET {column} = ?3 WHERE account_id = ?1 AND id = ?2");
    let n = conn
        .execute(&sql, params![account, key, micros(&at)])
        .map_err(db_error)?;
    Ok(n == 1)
}

pub fn setting(
    conn: &Connection,
    account: Uuid,
    name: &str,
) -> StoreResult<Option<serde_json::Value>> {
    let text: Option<String> = conn
        .query_row(
            "SELECT value FROM account_settings WHERE account_id = ?1 AND name = ?2",
            params![account, name],
            |r| r.get(0),
        )
        .optional()
        .map_err(db_error)?;
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| StoreError::Database(format!("stored setting {name:?}: {e}")))
    })
    .transpose()
}

pub fn put_setting(
    conn: &mut Connection,
    account: Uuid,
    name: &str,
    value: &str,
) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO account_settings (account_id, name, value, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        params![account, name, value, micros(&Utc::now())],
    )
    .map_err(db_error)?;
    Ok(())
}
