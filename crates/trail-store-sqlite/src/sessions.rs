//! User sessions, and the users they belong to.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use trail_core::Actor;
use trail_store::{NewSession, Session, StoreResult};
use uuid::Uuid;

use crate::codec::{db_error, from_micros, micros, opt_from_micros};

/// The id of the user with this actor's login, created as a member on first sight.
pub fn ensure_user(
    conn: &Connection,
    account: Uuid,
    actor: &Actor,
    now: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let mut find = conn
        .prepare_cached("SELECT id FROM users WHERE account_id = ?1 AND login = ?2")
        .map_err(db_error)?;
    if let Some(id) = find
        .query_row(params![account, actor.id], |r| r.get(0))
        .optional()
        .map_err(db_error)?
    {
        return Ok(id);
    }
    let id = Uuid::now_v7();
    conn.prepare_cached(
        "INSERT INTO users (account_id, id, login, friendly_name, email, role, joined) VALUES (?1, ?2, ?3, ?4, ?5, 'member', ?6)",
    )
    .map_err(db_error)?
    .execute(params![account, id, actor.id, actor.name, actor.email, micros(&now)])
    .map_err(db_error)?;
    Ok(id)
}

/// Inserts a session row for a user id.
pub fn insert(
    conn: &Connection,
    account: Uuid,
    user_id: Uuid,
    s: &NewSession,
) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    conn.prepare_cached(
        "INSERT INTO users_sessions (account_id, id, user_id, started, ip, user_agent, client) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .map_err(db_error)?
    .execute(params![account, id, user_id, micros(&s.started), s.ip, s.user_agent, s.client])
    .map_err(db_error)?;
    count_start(conn, account, micros(&s.started))?;
    Ok(id)
}

/// Adds the session to the sessions started in its hour (µs since 1970, floored).
fn count_start(conn: &Connection, account: Uuid, started: i64) -> StoreResult<()> {
    const HOUR: i64 = 3_600_000_000;
    conn.prepare_cached(
        "INSERT INTO usage_session_starts (account_id, hour, sessions) VALUES (?1, ?2, 1)
         ON CONFLICT (account_id, hour) DO UPDATE SET sessions = sessions + 1",
    )
    .map_err(db_error)?
    .execute(params![account, started - started.rem_euclid(HOUR)])
    .map_err(db_error)?;
    Ok(())
}

pub fn start(conn: &mut Connection, account: Uuid, s: NewSession) -> StoreResult<Session> {
    let tx = conn.transaction().map_err(db_error)?;
    let user_id = ensure_user(&tx, account, &s.user, Utc::now())?;
    let id = insert(&tx, account, user_id, &s)?;
    tx.commit().map_err(db_error)?;
    Ok(Session {
        id,
        user_id,
        user_login: s.user.id,
        started: s.started,
        ended: None,
        ip: s.ip,
        user_agent: s.user_agent,
        client: s.client,
    })
}

const COLUMNS: &str = "s.id, s.user_id, u.login, s.started, s.ended, s.ip, s.user_agent, s.client
    FROM users_sessions s JOIN users u ON u.account_id = s.account_id AND u.id = s.user_id";

fn row(r: &Row) -> rusqlite::Result<Session> {
    Ok(Session {
        id: r.get(0)?,
        user_id: r.get(1)?,
        user_login: r.get(2)?,
        started: from_micros(r.get(3)?),
        ended: opt_from_micros(r.get(4)?),
        ip: r.get(5)?,
        user_agent: r.get(6)?,
        client: r.get(7)?,
    })
}

pub fn get(conn: &Connection, account: Uuid, id: Uuid) -> StoreResult<Option<Session>> {
    let sql = format!("SELECT {COLUMNS} WHERE s.account_id = ?1 AND s.id = ?2");
    conn.query_row(&sql, params![account, id], row)
        .optional()
        .map_err(db_error)
}

pub fn end(
    conn: &Connection,
    account: Uuid,
    id: Uuid,
    at: DateTime<Utc>,
) -> StoreResult<Option<Session>> {
    conn.execute(
        "UPDATE users_sessions SET ended = ?3 WHERE account_id = ?1 AND id = ?2 AND ended IS NULL",
        params![account, id, micros(&at)],
    )
    .map_err(db_error)?;
    get(conn, account, id)
}

pub fn list(
    conn: &Connection,
    account: Uuid,
    login: &str,
    limit: u32,
) -> StoreResult<Vec<Session>> {
    let sql = format!("SELECT {COLUMNS} WHERE s.account_id = ?1 AND u.login = ?2 ORDER BY s.started DESC, s.id DESC LIMIT ?3");
    let mut stmt = conn.prepare_cached(&sql).map_err(db_error)?;
    let rows = stmt
        .query_map(params![account, login, limit], row)
        .map_err(db_error)?;
    rows.collect::<Result<_, _>>().map_err(db_error)
}

pub fn missing(conn: &Connection, account: Uuid, ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
    let mut stmt = conn
        .prepare_cached("SELECT 1 FROM users_sessions WHERE account_id = ?1 AND id = ?2")
        .map_err(db_error)?;
    let mut out = Vec::new();
    for id in ids {
        if !stmt.exists(params![account, id]).map_err(db_error)? {
            out.push(*id);
        }
    }
    Ok(out)
}

/// The user's most recent open session started no earlier than `since`.
pub fn open_session(
    conn: &Connection,
    account: Uuid,
    user_id: Uuid,
    since: DateTime<Utc>,
) -> StoreResult<Option<(Uuid, i64)>> {
    conn.prepare_cached(
        "SELECT id, started FROM users_sessions
         WHERE account_id = ?1 AND user_id = ?2 AND ended IS NULL AND started >= ?3
         ORDER BY started DESC LIMIT 1",
    )
    .map_err(db_error)?
    .query_row(params![account, user_id, micros(&since)], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .optional()
    .map_err(db_error)
}
