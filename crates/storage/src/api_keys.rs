//! Personal API keys: one per user, kept as a SHA-256 hash with a readable prefix.

use crate::{Result, StoreError};
use sqlx::AnyConnection;
use tenantry_domain::{AccountId, TokenHash, UserId};

/// A key as the owner sees it (never the key itself).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKey {
    pub id: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// Stores a user's key, replacing the one they had.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, user_id = %user_id))]
pub async fn replace(
    conn: &mut AnyConnection, account_id: &AccountId, user_id: &UserId, prefix: &str, hash: &TokenHash, now: i64,
) -> Result<String> {
    let id = format!("key_{}", tenantry_domain::token::random_hex(12));
    sqlx::query("DELETE FROM user_api_keys WHERE user_id = $1").bind(user_id.as_str()).execute(&mut *conn).await?;
    sqlx::query("INSERT INTO user_api_keys (id, account_id, user_id, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(account_id.as_str())
        .bind(user_id.as_str())
        .bind(prefix)
        .bind(hash.as_str())
        .bind(now)
        .execute(conn)
        .await
        .map_err(StoreError::classify)?;
    Ok(id)
}

/// The user's key, if they have one.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn of_user(conn: &mut AnyConnection, user_id: &UserId) -> Result<Option<ApiKey>> {
    Ok(sqlx::query_as("SELECT id, prefix, created_at, last_used_at FROM user_api_keys WHERE user_id = $1")
        .bind(user_id.as_str())
        .fetch_optional(conn)
        .await?)
}

/// Revokes the user's key; `false` when there was none.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn delete(conn: &mut AnyConnection, user_id: &UserId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM user_api_keys WHERE user_id = $1")
        .bind(user_id.as_str())
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

/// Records a use; callers throttle this.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn touch(conn: &mut AnyConnection, key_id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE user_api_keys SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(key_id)
        .execute(conn)
        .await?;
    Ok(())
}
