//! Sign-in sessions: only the SHA-256 of the token is stored.

use crate::users::{User, UserRow, user_columns};
use crate::{Result, StoreError};
use sqlx::AnyConnection;
use tenantry_domain::{SessionId, SessionPolicy, TokenHash, UserId};

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
    /// `full`, `password_change` or `mfa_setup`.
    pub scope: &'a str,
}

/// Stores a session.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(conn: &mut AnyConnection, s: NewSession<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, user_id, account_id, created_at, last_seen_at, expires_at, ip, user_agent, scope) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9)",
    )
    .bind(s.id.as_str())
    .bind(s.token_hash.as_str())
    .bind(s.user_id.as_str())
    .bind(s.account_id)
    .bind(s.now)
    .bind(s.expires_at)
    .bind(s.ip)
    .bind(s.user_agent)
    .bind(s.scope)
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
    pub created_at: i64,
    pub last_seen_at: i64,
    pub scope: String,
    /// The account's session policy as it is now.
    pub policy: SessionPolicy,
    pub user: User,
}

#[derive(sqlx::FromRow)]
struct SessionUserRow {
    session_id: String,
    token_hash: String,
    session_created_at: i64,
    last_seen_at: i64,
    scope: String,
    timeout_enabled: i64,
    timeout_minutes: i64,
    max_age_minutes: i64,
    #[sqlx(flatten)]
    user: UserRow,
}

// The policy is read with the session, so a change applies at every session's next request.
const FIND_BY_HASH: &str = concat!(
    "SELECT s.id AS session_id, s.token_hash, s.created_at AS session_created_at, s.last_seen_at, s.scope, \
     COALESCE(p.session_timeout_enabled, $3) AS timeout_enabled, COALESCE(p.session_timeout_minutes, $4) AS timeout_minutes, \
     COALESCE(p.session_max_age_minutes, $5) AS max_age_minutes, ",
    user_columns!(),
    " FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN security_policies p ON p.account_id = s.account_id \
     WHERE s.token_hash = $1 AND s.expires_at > $2"
);

/// The session whose token hashes to `hash`, if it has not expired (the caller applies the policy).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_hash(conn: &mut AnyConnection, hash: &TokenHash, now: i64) -> Result<Option<SessionUser>> {
    let d = SessionPolicy::default();
    let row: Option<SessionUserRow> = sqlx::query_as(FIND_BY_HASH)
        .bind(hash.as_str())
        .bind(now)
        .bind(crate::flag(d.timeout_enabled))
        .bind(i64::from(d.timeout_minutes))
        .bind(i64::from(d.max_age_minutes))
        .fetch_optional(conn)
        .await?;
    let n = |v: i64| u32::try_from(v).unwrap_or(0);
    row.map(|r| {
        Ok(SessionUser {
            session_id: r.session_id,
            token_hash: r.token_hash,
            created_at: r.session_created_at,
            last_seen_at: r.last_seen_at,
            scope: r.scope,
            policy: SessionPolicy {
                timeout_enabled: r.timeout_enabled != 0,
                timeout_minutes: n(r.timeout_minutes),
                max_age_minutes: n(r.max_age_minutes),
            },
            user: r.user.try_into()?,
        })
    })
    .transpose()
}

/// One session as its owner sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionInfo {
    pub id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The user's unexpired sessions, most recently used first.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn list_for_user(conn: &mut AnyConnection, user_id: &UserId, now: i64) -> Result<Vec<SessionInfo>> {
    Ok(sqlx::query_as(
        "SELECT id, created_at, last_seen_at, ip, user_agent FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC, id",
    )
    .bind(user_id.as_str())
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// Ends one session of a user; `false` when the user has no such session.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn delete_of_user(conn: &mut AnyConnection, user_id: &UserId, session_id: &str) -> Result<bool> {
    crate::changed_one(
        conn,
        sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2").bind(session_id).bind(user_id.as_str()),
    )
    .await
}

/// Ends every session of a user but `keep`.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn delete_others(conn: &mut AnyConnection, user_id: &UserId, keep: &str) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id.as_str())
        .bind(keep)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Gives a restricted session full rights (its password was just changed).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_scope(conn: &mut AnyConnection, session_id: &str, scope: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET scope = $1 WHERE id = $2").bind(scope).bind(session_id).execute(conn).await?;
    Ok(())
}

/// Records activity; callers throttle this so a busy session does not write on every request.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn touch(conn: &mut AnyConnection, session_id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2").bind(now).bind(session_id).execute(conn).await?;
    Ok(())
}

/// Ends one session.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(conn: &mut AnyConnection, session_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id = $1").bind(session_id).execute(conn).await?;
    Ok(())
}

/// Ends every session of a user.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn delete_for_user(conn: &mut AnyConnection, user_id: &UserId) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id.as_str())
        .execute(conn)
        .await?
        .rows_affected())
}

/// When a session was created (its sign-in), if it exists.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn created_at(conn: &mut AnyConnection, session_id: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT created_at FROM sessions WHERE id = $1")
        .bind(session_id)
        .fetch_optional(conn)
        .await?)
}
