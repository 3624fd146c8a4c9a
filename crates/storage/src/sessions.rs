//! Sign-in sessions: only the SHA-256 of the token is stored.

use crate::users::{User, UserRow, user_columns};
use crate::{Result, StoreError};
use sqlx::AnyConnection;
use tenantry_domain::{SessionId, TokenHash, UserId};

/// What a new session records.
pub struct NewSession<'a> {
    pub id: &'a SessionId,
    pub token_hash: &'a TokenHash,
    pub user_id: &'a UserId,
    pub account_id: &'a str,
    pub now: i64,
    pub expires_at: i64,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Stores a session.
pub async fn insert(conn: &mut AnyConnection, s: NewSession<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, user_id, account_id, created_at, last_seen_at, expires_at, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
    )
    .bind(s.id.as_str())
    .bind(s.token_hash.as_str())
    .bind(s.user_id.as_str())
    .bind(s.account_id)
    .bind(s.now)
    .bind(s.expires_at)
    .bind(s.ip)
    .bind(s.user_agent)
    .execute(conn)
    .await
    .map_err(StoreError::classify)?;
    Ok(())
}

/// A live session and its user.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub session_id: String,
    pub token_hash: String,
    pub last_seen_at: i64,
    pub user: User,
}

#[derive(sqlx::FromRow)]
struct SessionUserRow {
    session_id: String,
    token_hash: String,
    last_seen_at: i64,
    #[sqlx(flatten)]
    user: UserRow,
}

const FIND_BY_HASH: &str = concat!(
    "SELECT s.id AS session_id, s.token_hash, s.last_seen_at, ",
    user_columns!(),
    " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2"
);

/// The session whose token hashes to `hash`, if it has not expired.
pub async fn find_by_hash(conn: &mut AnyConnection, hash: &TokenHash, now: i64) -> Result<Option<SessionUser>> {
    let row: Option<SessionUserRow> = sqlx::query_as(FIND_BY_HASH).bind(hash.as_str()).bind(now).fetch_optional(conn).await?;
    row.map(|r| Ok(SessionUser { session_id: r.session_id, token_hash: r.token_hash, last_seen_at: r.last_seen_at, user: r.user.try_into()? })).transpose()
}

/// Records activity; callers throttle this so a busy session does not write on every request.
pub async fn touch(conn: &mut AnyConnection, session_id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2").bind(now).bind(session_id).execute(conn).await?;
    Ok(())
}

/// Ends one session.
pub async fn delete(conn: &mut AnyConnection, session_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id = $1").bind(session_id).execute(conn).await?;
    Ok(())
}

/// Ends every session of a user.
pub async fn delete_for_user(conn: &mut AnyConnection, user_id: &UserId) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id.as_str()).execute(conn).await?.rows_affected())
}
