//! Accounts and what belongs to them besides events: users, groups, API keys and
//! signed-in browsers (web sessions).

use chrono::{DateTime, Utc};
use deadpool_postgres::Client;
use tokio_postgres::Row;
use trail_core::input::truncate_micros;
use trail_core::Catalogue;
use trail_store::{
    Account, ApiKey, Credentials, Group, GroupInfo, Membership, NewApiKey, NewUser, NewWebSession,
    StoreError, StoreResult, User, UserChange, WebSession,
};
use uuid::Uuid;

use crate::append::insert_types;
use crate::error::{corrupt, db, db_about};
use crate::rows::get;

/// The account, with the catalogue's event types, in one transaction.
pub(crate) async fn create_account(client: &mut Client, name: &str) -> StoreResult<Account> {
    let account = Account {
        id: Uuid::now_v7(),
        name: name.to_string(),
        created_at: truncate_micros(Utc::now()),
    };
    let tx = client.transaction().await.map_err(db)?;
    tx.execute(
        "INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)",
        &[&account.id, &account.name, &account.created_at],
    )
    .await
    .map_err(db_about(format!("account {name:?}")))?;
    let types: Vec<_> = Catalogue::builtin().map(|t| (account.id, t)).collect();
    insert_types(&tx, &types, true, account.created_at).await?;
    tx.commit().await.map_err(db)?;
    Ok(account)
}

pub(crate) async fn list_accounts(client: &Client) -> StoreResult<Vec<Account>> {
    let rows = client
        .query(
            "SELECT id, name, created_at FROM accounts ORDER BY created_at, id",
            &[],
        )
        .await
        .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(Account {
                id: get(r, "id")?,
                name: get(r, "name")?,
                created_at: get(r, "created_at")?,
            })
        })
        .collect()
}

pub(crate) async fn create_user(
    client: &Client,
    account: Uuid,
    user: NewUser,
) -> StoreResult<User> {
    let created = User {
        id: Uuid::now_v7(),
        login: user.login,
        name: user.name,
        email: user.email,
        role: user.role,
        joined: truncate_micros(Utc::now()),
    };
    let sql = "INSERT INTO users (account_id, id, login, friendly_name, email, role, password_hash, joined) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 8] = [
        &account,
        &created.id,
        &created.login,
        &created.name,
        &created.email,
        &created.role.as_str(),
        &user.password_hash,
        &created.joined,
    ];
    client
        .execute(sql, &params)
        .await
        .map_err(db_about(format!("user {:?}", created.login)))?;
    Ok(created)
}

const USER_COLUMNS: &str = "id, login, friendly_name, email, role, joined";

pub(crate) async fn find_user(
    client: &Client,
    account: Uuid,
    login: &str,
) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE account_id = $1 AND login = $2");
    let row = client
        .query_opt(&sql, &[&account, &login])
        .await
        .map_err(db)?;
    row.map(|r| user_from_row(&r)).transpose()
}

pub(crate) async fn get_user(
    client: &Client,
    account: Uuid,
    id: Uuid,
) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE account_id = $1 AND id = $2");
    let row = client.query_opt(&sql, &[&account, &id]).await.map_err(db)?;
    row.map(|r| user_from_row(&r)).transpose()
}

/// By login, in byte order (as SQLite sorts), whatever the database's collation.
pub(crate) async fn list_users(client: &Client, account: Uuid) -> StoreResult<Vec<User>> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE account_id = $1 ORDER BY login COLLATE \"C\""
    );
    let rows = client.query(&sql, &[&account]).await.map_err(db)?;
    rows.iter().map(user_from_row).collect()
}

/// Sets the fields the change has; `NotFound` when the account has no such person.
pub(crate) async fn update_user(
    client: &Client,
    account: Uuid,
    id: Uuid,
    change: UserChange,
) -> StoreResult<User> {
    let sql = format!(
        "UPDATE users SET role = coalesce($3, role), friendly_name = coalesce($4, friendly_name), \
             email = coalesce($5, email), password_hash = coalesce($6, password_hash) \
         WHERE account_id = $1 AND id = $2 \
         RETURNING {USER_COLUMNS}"
    );
    let role = change.role.map(|r| r.as_str());
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 6] = [
        &account,
        &id,
        &role,
        &change.name,
        &change.email,
        &change.password_hash,
    ];
    let row = client.query_opt(&sql, &params).await.map_err(db)?;
    match row {
        Some(r) => user_from_row(&r),
        None => Err(StoreError::NotFound(format!("user {id}"))),
    }
}

pub(crate) async fn credentials(
    client: &Client,
    account: Uuid,
    login: &str,
) -> StoreResult<Option<Credentials>> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, password_hash, failed_sign_ins, locked_until \
         FROM users WHERE account_id = $1 AND login = $2"
    );
    let row = client
        .query_opt(&sql, &[&account, &login])
        .await
        .map_err(db)?;
    row.map(|r| {
        let failed: i32 = get(&r, "failed_sign_ins")?;
        Ok(Credentials {
            user: user_from_row(&r)?,
            password_hash: get(&r, "password_hash")?,
            failed_sign_ins: u32::try_from(failed)
                .map_err(|_| corrupt(format!("failed_sign_ins {failed}")))?,
            locked_until: get(&r, "locked_until")?,
        })
    })
    .transpose()
}

/// `NotFound` when the account has no such person. A count beyond the column's
/// range is stored as its largest value.
pub(crate) async fn record_sign_in(
    client: &Client,
    account: Uuid,
    user: Uuid,
    failed_sign_ins: u32,
    locked_until: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    let failed = i32::try_from(failed_sign_ins).unwrap_or(i32::MAX);
    let sql = "UPDATE users SET failed_sign_ins = $3, locked_until = $4 WHERE account_id = $1 AND id = $2";
    let n = client
        .execute(sql, &[&account, &user, &failed, &locked_until])
        .await
        .map_err(db)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("user {user}")));
    }
    Ok(())
}

pub(crate) async fn count_failed_sign_in(
    client: &Client,
    account: Uuid,
    user: Uuid,
    lock_after: u32,
    lock_until: DateTime<Utc>,
) -> StoreResult<u32> {
    let lock_after = i32::try_from(lock_after).unwrap_or(i32::MAX);
    // Every SET expression reads the row as it was before the update.
    let sql = "UPDATE users SET failed_sign_ins = failed_sign_ins + 1,
                   locked_until = CASE WHEN failed_sign_ins + 1 >= $3 THEN $4 ELSE locked_until END
               WHERE account_id = $1 AND id = $2 RETURNING failed_sign_ins";
    let row = client
        .query_opt(sql, &[&account, &user, &lock_after, &lock_until])
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::NotFound(format!("user {user}")))?;
    let n: i32 = get(&row, "failed_sign_ins")?;
    Ok(u32::try_from(n).unwrap_or(0))
}

fn user_from_row(r: &Row) -> StoreResult<User> {
    let role: String = get(r, "role")?;
    Ok(User {
        id: get(r, "id")?,
        login: get(r, "login")?,
        name: get(r, "friendly_name")?,
        email: get(r, "email")?,
        role: role.parse().map_err(corrupt)?,
        joined: get(r, "joined")?,
    })
}

/// The group and, under a parent, its place in the hierarchy, together.
pub(crate) async fn create_group(
    client: &mut Client,
    account: Uuid,
    name: &str,
    parent: Option<Uuid>,
) -> StoreResult<Group> {
    let group = Group {
        id: Uuid::now_v7(),
        name: name.to_string(),
        parent,
    };
    let tx = client.transaction().await.map_err(db)?;
    tx.execute(
        "INSERT INTO groups (account_id, id, name) VALUES ($1, $2, $3)",
        &[&account, &group.id, &group.name],
    )
    .await
    .map_err(db_about(format!("group {name:?}")))?;
    if let Some(parent) = parent {
        // The foreign key includes the account, so a parent of another account is "not found".
        tx.execute(
            "INSERT INTO groups_relations (account_id, parent_id, child_id) VALUES ($1, $2, $3)",
            &[&account, &parent, &group.id],
        )
        .await
        .map_err(db_about(format!("parent group {parent}")))?;
    }
    tx.commit().await.map_err(db)?;
    Ok(group)
}

pub(crate) async fn add_group_member(
    client: &Client,
    account: Uuid,
    group: Uuid,
    user: Uuid,
) -> StoreResult<()> {
    let sql = "INSERT INTO group_members (account_id, group_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
    client
        .execute(sql, &[&account, &group, &user])
        .await
        .map_err(db_about(format!("group {group} or user {user}")))?;
    Ok(())
}

/// Nesting is walked at most this deep: a guard against a cycle in
/// `groups_relations`, which `create_group` cannot make.
const MAX_GROUP_DEPTH: i32 = 64;

/// The person's direct groups (distance 0) and every group they are nested in,
/// each once at its smallest distance, nearest first, then by name.
pub(crate) async fn memberships(
    client: &Client,
    account: Uuid,
    user: Uuid,
) -> StoreResult<Vec<Membership>> {
    let sql = "WITH RECURSIVE up (group_id, distance) AS ( \
            SELECT group_id, 0 FROM group_members WHERE account_id = $1 AND user_id = $2 \
            UNION \
            SELECT r.parent_id, up.distance + 1 \
            FROM up JOIN groups_relations r ON r.account_id = $1 AND r.child_id = up.group_id \
            WHERE up.distance < $3 \
        ) \
        SELECT g.id, g.name, min(up.distance) AS distance \
        FROM up JOIN groups g ON g.account_id = $1 AND g.id = up.group_id \
        GROUP BY g.id, g.name \
        ORDER BY distance, g.name COLLATE \"C\"";
    let rows = client
        .query(sql, &[&account, &user, &MAX_GROUP_DEPTH])
        .await
        .map_err(db)?;
    rows.iter()
        .map(|r| {
            let distance: i32 = get(r, "distance")?;
            Ok(Membership {
                group: get(r, "id")?,
                name: get(r, "name")?,
                distance: u32::try_from(distance)
                    .map_err(|_| corrupt(format!("group distance {distance}")))?,
            })
        })
        .collect()
}

/// Every group of the account by name, with its parent and its direct members
/// (by login).
pub(crate) async fn list_groups(client: &Client, account: Uuid) -> StoreResult<Vec<GroupInfo>> {
    let sql = "SELECT g.id, g.name, \
            (SELECT r.parent_id FROM groups_relations r \
             WHERE r.account_id = g.account_id AND r.child_id = g.id \
             ORDER BY r.parent_id LIMIT 1) AS parent, \
            array(SELECT m.user_id FROM group_members m \
                  JOIN users u ON u.account_id = m.account_id AND u.id = m.user_id \
                  WHERE m.account_id = g.account_id AND m.group_id = g.id \
                  ORDER BY u.login COLLATE \"C\") AS members \
        FROM groups g WHERE g.account_id = $1 ORDER BY g.name COLLATE \"C\"";
    let rows = client.query(sql, &[&account]).await.map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(GroupInfo {
                group: Group {
                    id: get(r, "id")?,
                    name: get(r, "name")?,
                    parent: get(r, "parent")?,
                },
                members: get(r, "members")?,
            })
        })
        .collect()
}

/// False when the person was not a direct member of the group.
pub(crate) async fn remove_group_member(
    client: &Client,
    account: Uuid,
    group: Uuid,
    user: Uuid,
) -> StoreResult<bool> {
    let sql = "DELETE FROM group_members WHERE account_id = $1 AND group_id = $2 AND user_id = $3";
    let n = client
        .execute(sql, &[&account, &group, &user])
        .await
        .map_err(db)?;
    Ok(n > 0)
}

pub(crate) async fn create_web_session(
    client: &Client,
    account: Uuid,
    new: NewWebSession,
) -> StoreResult<WebSession> {
    let session = WebSession {
        id: Uuid::now_v7(),
        account_id: account,
        user_id: new.user_id,
        csrf_hash: new.csrf_hash,
        created_at: truncate_micros(Utc::now()),
        expires_at: truncate_micros(new.expires_at),
    };
    let sql = "INSERT INTO web_sessions \
        (account_id, id, user_id, token_hash, csrf_hash, created_at, expires_at, ip, user_agent) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 9] = [
        &account,
        &session.id,
        &session.user_id,
        &new.token_hash,
        &session.csrf_hash,
        &session.created_at,
        &session.expires_at,
        &new.ip,
        &new.user_agent,
    ];
    client
        .execute(sql, &params)
        .await
        .map_err(|e| match db(e) {
            StoreError::AlreadyExists(_) => {
                StoreError::AlreadyExists("a web session with this token".into())
            }
            StoreError::NotFound(_) => StoreError::NotFound(format!("user {}", session.user_id)),
            other => other,
        })?;
    Ok(session)
}

/// The session with this token hash if it expires after `now`, whatever its account.
pub(crate) async fn find_web_session(
    client: &Client,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<WebSession>> {
    let sql = "SELECT id, account_id, user_id, csrf_hash, created_at, expires_at \
        FROM web_sessions WHERE token_hash = $1 AND expires_at > $2";
    let row = client
        .query_opt(sql, &[&token_hash, &now])
        .await
        .map_err(db)?;
    row.map(|r| {
        Ok(WebSession {
            id: get(&r, "id")?,
            account_id: get(&r, "account_id")?,
            user_id: get(&r, "user_id")?,
            csrf_hash: get(&r, "csrf_hash")?,
            created_at: get(&r, "created_at")?,
            expires_at: get(&r, "expires_at")?,
        })
    })
    .transpose()
}

/// Deletes the session; nothing happens when the account has no such session.
pub(crate) async fn end_web_session(client: &Client, account: Uuid, id: Uuid) -> StoreResult<()> {
    client
        .execute(
            "DELETE FROM web_sessions WHERE account_id = $1 AND id = $2",
            &[&account, &id],
        )
        .await
        .map_err(db)?;
    Ok(())
}

const KEY_COLUMNS: &str = "account_id, id, name, prefix, scope, user_id, allowed_ips, created_at, \
     expires_at, revoked_at, last_used_at";

pub(crate) async fn create_api_key(
    client: &Client,
    account: Uuid,
    key: NewApiKey,
) -> StoreResult<ApiKey> {
    let created = ApiKey {
        id: Uuid::now_v7(),
        account_id: account,
        name: key.name,
        prefix: key.prefix,
        scope: key.scope,
        user_id: key.user_id,
        allowed_ips: key.allowed_ips,
        created_at: truncate_micros(Utc::now()),
        expires_at: key.expires_at.map(truncate_micros),
        revoked_at: None,
        last_used_at: None,
    };
    let sql = "INSERT INTO api_keys (account_id, id, name, prefix, secret_hash, scope, user_id, \
        allowed_ips, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 10] = [
        &account,
        &created.id,
        &created.name,
        &created.prefix,
        &key.secret_hash,
        &created.scope.as_str(),
        &created.user_id,
        &created.allowed_ips,
        &created.created_at,
        &created.expires_at,
    ];
    // The person's foreign key includes the account, so a person of another
    // account is "not found".
    let subject = match created.user_id {
        Some(user) => format!("user {user}"),
        None => format!("account {account}"),
    };
    client
        .execute(sql, &params)
        .await
        .map_err(|e| match db_about("API key")(e) {
            StoreError::NotFound(_) => StoreError::NotFound(subject),
            other => other,
        })?;
    Ok(created)
}

pub(crate) async fn find_api_key(
    client: &Client,
    secret_hash: &str,
) -> StoreResult<Option<ApiKey>> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE secret_hash = $1");
    let row = client.query_opt(&sql, &[&secret_hash]).await.map_err(db)?;
    row.map(|r| key_from_row(&r)).transpose()
}

pub(crate) async fn list_api_keys(client: &Client, account: Uuid) -> StoreResult<Vec<ApiKey>> {
    let sql =
        format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE account_id = $1 ORDER BY created_at, id");
    let rows = client.query(&sql, &[&account]).await.map_err(db)?;
    rows.iter().map(key_from_row).collect()
}

/// Keeps the first revocation time when a key is revoked twice.
pub(crate) async fn revoke_api_key(
    client: &Client,
    account: Uuid,
    key: Uuid,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let sql = "UPDATE api_keys SET revoked_at = coalesce(revoked_at, $3) WHERE account_id = $1 AND id = $2";
    Ok(client
        .execute(sql, &[&account, &key, &at])
        .await
        .map_err(db)?
        > 0)
}

pub(crate) async fn touch_api_key(
    client: &Client,
    account: Uuid,
    key: Uuid,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let sql = "UPDATE api_keys SET last_used_at = $3 WHERE account_id = $1 AND id = $2";
    client
        .execute(sql, &[&account, &key, &at])
        .await
        .map_err(db)?;
    Ok(())
}

fn key_from_row(r: &Row) -> StoreResult<ApiKey> {
    let scope: String = get(r, "scope")?;
    Ok(ApiKey {
        id: get(r, "id")?,
        account_id: get(r, "account_id")?,
        name: get(r, "name")?,
        prefix: get(r, "prefix")?,
        scope: scope.parse().map_err(corrupt)?,
        user_id: get(r, "user_id")?,
        allowed_ips: get(r, "allowed_ips")?,
        created_at: get(r, "created_at")?,
        expires_at: get(r, "expires_at")?,
        revoked_at: get(r, "revoked_at")?,
        last_used_at: get(r, "last_used_at")?,
    })
}

pub(crate) async fn setting(
    client: &Client,
    account: Uuid,
    name: &str,
) -> StoreResult<Option<serde_json::Value>> {
    let row = client
        .query_opt(
            "SELECT value FROM account_settings WHERE account_id = $1 AND name = $2",
            &[&account, &name],
        )
        .await
        .map_err(db)?;
    row.map(|r| get::<serde_json::Value>(&r, "value"))
        .transpose()
}

pub(crate) async fn put_setting(
    client: &Client,
    account: Uuid,
    name: &str,
    value: &serde_json::Value,
) -> StoreResult<()> {
    client
        .execute(
            "INSERT INTO account_settings (account_id, name, value, updated_at) VALUES ($1, $2, $3, now())
             ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            &[&account, &name, value],
        )
        .await
        .map_err(db_about(format!("account {account}")))?;
    Ok(())
}
