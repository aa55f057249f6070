//! Accounts and what belongs to them besides events: users, groups and API keys.

use chrono::{DateTime, Utc};
use deadpool_postgres::Client;
use tokio_postgres::Row;
use trail_core::input::truncate_micros;
use trail_core::Catalogue;
use trail_store::{Account, ApiKey, Group, NewApiKey, NewUser, StoreResult, User};
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

pub(crate) async fn find_user(
    client: &Client,
    account: Uuid,
    login: &str,
) -> StoreResult<Option<User>> {
    let sql = "SELECT id, login, friendly_name, email, role, joined FROM users WHERE account_id = $1 AND login = $2";
    let row = client
        .query_opt(sql, &[&account, &login])
        .await
        .map_err(db)?;
    row.map(|r| user_from_row(&r)).transpose()
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

const KEY_COLUMNS: &str =
    "account_id, id, name, prefix, scope, created_at, expires_at, revoked_at, last_used_at";

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
        created_at: truncate_micros(Utc::now()),
        expires_at: key.expires_at.map(truncate_micros),
        revoked_at: None,
        last_used_at: None,
    };
    let sql = "INSERT INTO api_keys (account_id, id, name, prefix, secret_hash, scope, created_at, expires_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 8] = [
        &account,
        &created.id,
        &created.name,
        &created.prefix,
        &key.secret_hash,
        &created.scope.as_str(),
        &created.created_at,
        &created.expires_at,
    ];
    client
        .execute(sql, &params)
        .await
        .map_err(db_about("API key"))?;
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
