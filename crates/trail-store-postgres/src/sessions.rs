//! Users' sessions.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use deadpool_postgres::Client;
use tokio_postgres::Row;
use trail_core::input::truncate_micros;
use trail_store::{NewSession, Session, StoreError, StoreResult};
use uuid::Uuid;

use crate::append::ensure_users;
use crate::error::db;
use crate::rows::get;

const SELECT_SESSIONS: &str =
    "SELECT s.id, s.user_id, u.login, s.started, s.ended, s.ip, s.user_agent, s.client \
    FROM users_sessions s JOIN users u ON u.account_id = s.account_id AND u.id = s.user_id";

/// The session, and the user's row when the person is new, together.
pub(crate) async fn start(
    client: &mut Client,
    account: Uuid,
    new: NewSession,
) -> StoreResult<Session> {
    let tx = client.transaction().await.map_err(db)?;
    let users = ensure_users(&tx, &[(account, &new.user)]).await?;
    let user_id = users
        .first()
        .map(|u| u.2)
        .ok_or_else(|| StoreError::NotFound(format!("account {account}")))?;
    let session = Session {
        id: Uuid::now_v7(),
        user_id,
        user_login: new.user.id,
        started: truncate_micros(new.started),
        ended: None,
        ip: new.ip,
        user_agent: new.user_agent,
        client: new.client,
    };
    let sql =
        "INSERT INTO users_sessions (account_id, id, user_id, started, ip, user_agent, client) \
        VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let s = &session;
    tx.execute(
        sql,
        &[
            &account,
            &s.id,
            &s.user_id,
            &s.started,
            &s.ip,
            &s.user_agent,
            &s.client,
        ],
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(session)
}

/// Ends the session unless it already ended, and returns it as it now is.
pub(crate) async fn end(
    client: &Client,
    account: Uuid,
    id: Uuid,
    at: DateTime<Utc>,
) -> StoreResult<Option<Session>> {
    let sql =
        "UPDATE users_sessions SET ended = $3 WHERE account_id = $1 AND id = $2 AND ended IS NULL";
    client
        .execute(sql, &[&account, &id, &at])
        .await
        .map_err(db)?;
    get_one(client, account, id).await
}

pub(crate) async fn get_one(
    client: &Client,
    account: Uuid,
    id: Uuid,
) -> StoreResult<Option<Session>> {
    let sql = format!("{SELECT_SESSIONS} WHERE s.account_id = $1 AND s.id = $2");
    let row = client.query_opt(&sql, &[&account, &id]).await.map_err(db)?;
    row.map(|r| from_row(&r)).transpose()
}

pub(crate) async fn list(
    client: &Client,
    account: Uuid,
    login: &str,
    limit: u32,
) -> StoreResult<Vec<Session>> {
    let sql = format!("{SELECT_SESSIONS} WHERE s.account_id = $1 AND u.login = $2 ORDER BY s.started DESC, s.id DESC LIMIT $3");
    let rows = client
        .query(&sql, &[&account, &login, &i64::from(limit)])
        .await
        .map_err(db)?;
    rows.iter().map(from_row).collect()
}

/// Those of `ids` that are not sessions of the account, in the order given.
pub(crate) async fn missing(
    client: &Client,
    account: Uuid,
    ids: &[Uuid],
) -> StoreResult<Vec<Uuid>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = "SELECT id FROM users_sessions WHERE account_id = $1 AND id = ANY($2)";
    let rows = client.query(sql, &[&account, &ids]).await.map_err(db)?;
    let found: HashSet<Uuid> = rows
        .iter()
        .map(|r| get(r, "id"))
        .collect::<StoreResult<_>>()?;
    Ok(ids
        .iter()
        .copied()
        .filter(|id| !found.contains(id))
        .collect())
}

fn from_row(r: &Row) -> StoreResult<Session> {
    Ok(Session {
        id: get(r, "id")?,
        user_id: get(r, "user_id")?,
        user_login: get(r, "login")?,
        started: get(r, "started")?,
        ended: get(r, "ended")?,
        ip: get(r, "ip")?,
        user_agent: get(r, "user_agent")?,
        client: get(r, "client")?,
    })
}
