//! Accounts, users, groups, API keys and signed-in browsers (web sessions).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use trail_core::input::truncate_micros;
use trail_core::Catalogue;
use trail_store::{
    Account, ApiKey, Credentials, Group, GroupInfo, Membership, NewApiKey, NewUser, NewWebSession,
    StoreError, StoreResult, User, UserChange, WebSession,
};
use uuid::Uuid;

use crate::codec::{db_about, db_error, from_micros, micros, opt_from_micros, parse_col};

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
        joined: truncate_micros(Utc::now()),
    };
    conn.execute(
        "INSERT INTO users (account_id, id, login, friendly_name, email, role, password_hash, joined)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![account, user.id, user.login, user.name, user.email, user.role.as_str(), u.password_hash, micros(&user.joined)],
    )
    .map_err(db_about(format!("user {:?}", user.login)))?;
    Ok(user)
}

const USER_COLUMNS: &str = "id, login, friendly_name, email, role, joined";

/// A user from the first six columns of a row (`USER_COLUMNS`), with the role
/// still as text: a bad role is a store error, not a driver one.
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

fn with_role((mut user, role): (User, String)) -> StoreResult<User> {
    user.role = parse_col(&role)?;
    Ok(user)
}

pub fn find_user(conn: &Connection, account: Uuid, login: &str) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE account_id = ?1 AND login = ?2");
    let found = conn
        .query_row(&sql, params![account, login], user_row)
        .optional()
        .map_err(db_error)?;
    found.map(with_role).transpose()
}

pub fn get_user(conn: &Connection, account: Uuid, id: Uuid) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE account_id = ?1 AND id = ?2");
    let found = conn
        .query_row(&sql, params![account, id], user_row)
        .optional()
        .map_err(db_error)?;
    found.map(with_role).transpose()
}

pub fn list_users(conn: &Connection, account: Uuid) -> StoreResult<Vec<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE account_id = ?1 ORDER BY login");
    let mut stmt = conn.prepare_cached(&sql).map_err(db_error)?;
    let rows = stmt.query_map([account], user_row).map_err(db_error)?;
    rows.map(|r| r.map_err(db_error).and_then(with_role))
        .collect()
}

/// Sets the fields the change has; `NotFound` when the account has no such person.
pub fn update_user(
    conn: &Connection,
    account: Uuid,
    id: Uuid,
    change: UserChange,
) -> StoreResult<User> {
    let sql = format!(
        "UPDATE users SET role = coalesce(?3, role), friendly_name = coalesce(?4, friendly_name),
             email = coalesce(?5, email), password_hash = coalesce(?6, password_hash)
         WHERE account_id = ?1 AND id = ?2
         RETURNING {USER_COLUMNS}"
    );
    let updated = conn
        .query_row(
            &sql,
            params![
                account,
                id,
                change.role.map(|r| r.as_str()),
                change.name,
                change.email,
                change.password_hash
            ],
            user_row,
        )
        .optional()
        .map_err(db_error)?;
    updated
        .map(with_role)
        .transpose()?
        .ok_or_else(|| StoreError::NotFound(format!("user {id}")))
}

pub fn credentials(
    conn: &Connection,
    account: Uuid,
    login: &str,
) -> StoreResult<Option<Credentials>> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, password_hash, failed_sign_ins, locked_until
         FROM users WHERE account_id = ?1 AND login = ?2"
    );
    let found = conn
        .query_row(&sql, params![account, login], |r| {
            let user = user_row(r)?;
            let hash: Option<String> = r.get(6)?;
            let failed: i64 = r.get(7)?;
            let locked: Option<i64> = r.get(8)?;
            Ok((user, hash, failed, locked))
        })
        .optional()
        .map_err(db_error)?;
    found
        .map(|(user, password_hash, failed, locked)| {
            Ok(Credentials {
                user: with_role(user)?,
                password_hash,
                failed_sign_ins: u32::try_from(failed)
                    .map_err(|_| StoreError::Corrupt(format!("failed_sign_ins {failed}")))?,
                locked_until: opt_from_micros(locked),
            })
        })
        .transpose()
}

/// `NotFound` when the account has no such person.
pub fn record_sign_in(
    conn: &Connection,
    account: Uuid,
    user: Uuid,
    failed_sign_ins: u32,
    locked_until: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    let n = conn
        .execute(
            "UPDATE users SET failed_sign_ins = ?3, locked_until = ?4 WHERE account_id = ?1 AND id = ?2",
            params![account, user, failed_sign_ins, locked_until.as_ref().map(micros)],
        )
        .map_err(db_error)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("user {user}")));
    }
    Ok(())
}

pub fn count_failed_sign_in(
    conn: &Connection,
    account: Uuid,
    user: Uuid,
    lock_after: u32,
    lock_until: DateTime<Utc>,
) -> StoreResult<u32> {
    // Every SET expression reads the row as it was before the update.
    conn.query_row(
        "UPDATE users SET failed_sign_ins = failed_sign_ins + 1,
             locked_until = CASE WHEN failed_sign_ins + 1 >= ?3 THEN ?4 ELSE locked_until END
         WHERE account_id = ?1 AND id = ?2 RETURNING failed_sign_ins",
        params![account, user, lock_after, micros(&lock_until)],
        |r| r.get(0),
    )
    .optional()
    .map_err(db_error)?
    .ok_or_else(|| StoreError::NotFound(format!("user {user}")))
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
    .map_err(db_about(format!("group {name:?}")))?;
    if let Some(parent) = parent {
        tx.execute(
            "INSERT INTO groups_relations (account_id, parent_id, child_id) VALUES (?1, ?2, ?3)",
            params![account, parent, group.id],
        )
        .map_err(db_about(format!("parent group {parent}")))?;
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

/// Nesting is walked at most this deep: a guard against a cycle in
/// `groups_relations`, which `create_group` cannot make.
const MAX_GROUP_DEPTH: i64 = 64;

/// The person's direct groups (distance 0) and every group they are nested in,
/// each once at its smallest distance, nearest first, then by name.
pub fn memberships(conn: &Connection, account: Uuid, user: Uuid) -> StoreResult<Vec<Membership>> {
    let mut stmt = conn
        .prepare_cached(
            "WITH RECURSIVE up (group_id, distance) AS (
                 SELECT group_id, 0 FROM group_members WHERE account_id = ?1 AND user_id = ?2
                 UNION
                 SELECT r.parent_id, up.distance + 1
                 FROM up JOIN groups_relations r ON r.account_id = ?1 AND r.child_id = up.group_id
                 WHERE up.distance < ?3
             )
             SELECT g.id, g.name, min(up.distance) AS distance
             FROM up JOIN groups g ON g.account_id = ?1 AND g.id = up.group_id
             GROUP BY g.id, g.name
             ORDER BY distance, g.name",
        )
        .map_err(db_error)?;
    let rows = stmt
        .query_map(params![account, user, MAX_GROUP_DEPTH], |r| {
            Ok((
                r.get::<_, Uuid>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .map_err(db_error)?;
    rows.map(|r| {
        let (group, name, distance) = r.map_err(db_error)?;
        Ok(Membership {
            group,
            name,
            distance: u32::try_from(distance)
                .map_err(|_| StoreError::Corrupt(format!("group distance {distance}")))?,
        })
    })
    .collect()
}

/// Every group of the account by name, with its parent and its direct members
/// (by login).
pub fn list_groups(conn: &Connection, account: Uuid) -> StoreResult<Vec<GroupInfo>> {
    let mut members: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    {
        let mut stmt = conn
            .prepare_cached(
                "SELECT m.group_id, m.user_id FROM group_members m
                 JOIN users u ON u.account_id = m.account_id AND u.id = m.user_id
                 WHERE m.account_id = ?1 ORDER BY u.login",
            )
            .map_err(db_error)?;
        let rows = stmt
            .query_map([account], |r| {
                Ok((r.get::<_, Uuid>(0)?, r.get::<_, Uuid>(1)?))
            })
            .map_err(db_error)?;
        for row in rows {
            let (group, user) = row.map_err(db_error)?;
            members.entry(group).or_default().push(user);
        }
    }
    let mut stmt = conn
        .prepare_cached(
            "SELECT g.id, g.name,
                 (SELECT r.parent_id FROM groups_relations r
                  WHERE r.account_id = g.account_id AND r.child_id = g.id
                  ORDER BY r.parent_id LIMIT 1)
             FROM groups g WHERE g.account_id = ?1 ORDER BY g.name",
        )
        .map_err(db_error)?;
    let rows = stmt
        .query_map([account], |r| {
            Ok(Group {
                id: r.get(0)?,
                name: r.get(1)?,
                parent: r.get(2)?,
            })
        })
        .map_err(db_error)?;
    rows.map(|r| {
        let group = r.map_err(db_error)?;
        Ok(GroupInfo {
            members: members.remove(&group.id).unwrap_or_default(),
            group,
        })
    })
    .collect()
}

/// False when the person was not a direct member of the group.
pub fn remove_group_member(
    conn: &Connection,
    account: Uuid,
    group: Uuid,
    user: Uuid,
) -> StoreResult<bool> {
    let n = conn
        .execute(
            "DELETE FROM group_members WHERE account_id = ?1 AND group_id = ?2 AND user_id = ?3",
            params![account, group, user],
        )
        .map_err(db_error)?;
    Ok(n > 0)
}

pub fn create_web_session(
    conn: &Connection,
    account: Uuid,
    s: NewWebSession,
) -> StoreResult<WebSession> {
    let session = WebSession {
        id: Uuid::now_v7(),
        account_id: account,
        user_id: s.user_id,
        csrf_hash: s.csrf_hash,
        created_at: truncate_micros(Utc::now()),
        expires_at: truncate_micros(s.expires_at),
    };
    conn.execute(
        "INSERT INTO web_sessions (account_id, id, user_id, token_hash, csrf_hash, created_at, expires_at, ip, user_agent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            account,
            session.id,
            session.user_id,
            s.token_hash,
            session.csrf_hash,
            micros(&session.created_at),
            micros(&session.expires_at),
            s.ip,
            s.user_agent
        ],
    )
    .map_err(|e| match db_error(e) {
        StoreError::AlreadyExists(_) => StoreError::AlreadyExists("a web session with this token".into()),
        StoreError::NotFound(_) => StoreError::NotFound(format!("user {}", session.user_id)),
        other => other,
    })?;
    Ok(session)
}

/// The session with this token hash if it expires after `now`, whatever its account.
pub fn find_web_session(
    conn: &Connection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<WebSession>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, account_id, user_id, csrf_hash, created_at, expires_at
             FROM web_sessions WHERE token_hash = ?1 AND expires_at > ?2",
        )
        .map_err(db_error)?;
    stmt.query_row(params![token_hash, micros(&now)], |r| {
        Ok(WebSession {
            id: r.get(0)?,
            account_id: r.get(1)?,
            user_id: r.get(2)?,
            csrf_hash: r.get(3)?,
            created_at: from_micros(r.get(4)?),
            expires_at: from_micros(r.get(5)?),
        })
    })
    .optional()
    .map_err(db_error)
}

/// Deletes the session; nothing happens when the account has no such session.
pub fn end_web_session(conn: &Connection, account: Uuid, id: Uuid) -> StoreResult<()> {
    conn.execute(
        "DELETE FROM web_sessions WHERE account_id = ?1 AND id = ?2",
        params![account, id],
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
        user_id: k.user_id,
        allowed_ips: k.allowed_ips,
        created_at: truncate_micros(Utc::now()),
        expires_at: k.expires_at.map(truncate_micros),
        revoked_at: None,
        last_used_at: None,
    };
    let allowed_ips = serde_json::to_string(&key.allowed_ips)
        .map_err(|e| StoreError::Database(format!("allowed addresses: {e}")))?;
    conn.execute(
        "INSERT INTO api_keys (account_id, id, name, prefix, secret_hash, scope, user_id, allowed_ips, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            account,
            key.id,
            key.name,
            key.prefix,
            k.secret_hash,
            key.scope.as_str(),
            key.user_id,
            allowed_ips,
            micros(&key.created_at),
            key.expires_at.as_ref().map(micros)
        ],
    )
    .map_err(|e| match db_error(e) {
        StoreError::AlreadyExists(_) => StoreError::AlreadyExists("an API key with this secret".into()),
        StoreError::NotFound(m) => match key.user_id {
            Some(user) => StoreError::NotFound(format!("user {user}")),
            None => StoreError::NotFound(m),
        },
        other => other,
    })?;
    Ok(key)
}

const KEY_COLUMNS: &str =
    "id, account_id, name, prefix, scope, created_at, expires_at, revoked_at, \
     last_used_at, user_id, allowed_ips";

/// A key from a row of `KEY_COLUMNS`, with its scope and addresses still as
/// text: bad ones are store errors, not driver ones.
fn key_row(r: &Row) -> rusqlite::Result<(ApiKey, String, String)> {
    let key = ApiKey {
        id: r.get(0)?,
        account_id: r.get(1)?,
        name: r.get(2)?,
        prefix: r.get(3)?,
        scope: trail_core::credentials::Scope::Read,
        user_id: r.get(9)?,
        allowed_ips: Vec::new(),
        created_at: from_micros(r.get(5)?),
        expires_at: opt_from_micros(r.get(6)?),
        revoked_at: opt_from_micros(r.get(7)?),
        last_used_at: opt_from_micros(r.get(8)?),
    };
    Ok((key, r.get(4)?, r.get(10)?))
}

fn with_scope((mut key, scope, allowed_ips): (ApiKey, String, String)) -> StoreResult<ApiKey> {
    key.scope = parse_col(&scope)?;
    key.allowed_ips = serde_json::from_str(&allowed_ips)
        .map_err(|e| StoreError::Corrupt(format!("allowed_ips {allowed_ips:?}: {e}")))?;
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
