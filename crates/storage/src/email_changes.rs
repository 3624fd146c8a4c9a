//! Email changes waiting for their link to be followed: single-use, stored as a hash, expiring.

use crate::{Result, changed_one};
use sqlx::AnyConnection;
use tenantry_domain::{AccountId, EmailAddress, PersonName, TokenHash, UserId};

/// Stores a pending change, revoking the user's earlier ones (only the newest link works).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, user_id = %user_id))]
pub async fn insert(
    conn: &mut AnyConnection, account_id: &AccountId, user_id: &UserId, new_email: &EmailAddress, hash: &TokenHash,
    now: i64, expires_at: i64,
) -> Result<String> {
    let id = format!("emc_{}", tenantry_domain::token::random_hex(12));
    sqlx::query(
        "UPDATE email_changes SET revoked_at = $1 WHERE user_id = $2 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(user_id.as_str())
    .execute(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO email_changes (id, account_id, user_id, new_email, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&id)
        .bind(account_id.as_str())
        .bind(user_id.as_str())
        .bind(new_email.as_str())
        .bind(hash.as_str())
        .bind(now)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(id)
}

/// A change whose link has not been used, replaced or let expire.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenEmailChange {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub account_id: AccountId,
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    #[sqlx(try_from = "String")]
    pub new_email: EmailAddress,
    #[sqlx(try_from = "String")]
    pub old_email: EmailAddress,
    #[sqlx(try_from = "String")]
    pub name: PersonName,
    pub expires_at: i64,
}

/// The open change whose token hashes to `hash`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_open(conn: &mut AnyConnection, hash: &TokenHash, now: i64) -> Result<Option<OpenEmailChange>> {
    const Q: &str = "SELECT c.id, c.account_id, c.user_id, c.new_email, u.email AS old_email, u.name, c.expires_at \
         FROM email_changes c JOIN users u ON u.id = c.user_id \
         WHERE c.token_hash = $1 AND c.used_at IS NULL AND c.revoked_at IS NULL AND c.expires_at > $2";
    Ok(sqlx::query_as(Q).bind(hash.as_str()).bind(now).fetch_optional(conn).await?)
}

/// Marks a change used; `false` if it was used (or replaced) first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_used(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query("UPDATE email_changes SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL")
            .bind(now)
            .bind(id),
    )
    .await
}
