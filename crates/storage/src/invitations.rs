//! Invitation links: single-use, stored as a hash, expiring.

use crate::{Result, StoreError, changed_one};
use sqlx::AnyConnection;
use tenantry_domain::{AccountId, AccountName, EmailAddress, InvitationId, PersonName, TokenHash, UserId};

/// Stores a new invitation for an invited user.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, user_id = %user_id))]
pub async fn insert(
    conn: &mut AnyConnection, id: &InvitationId, account_id: &AccountId, user_id: &UserId, hash: &TokenHash, now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO invitations (id, account_id, user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id.as_str())
        .bind(account_id.as_str())
        .bind(user_id.as_str())
        .bind(hash.as_str())
        .bind(now)
        .bind(expires_at)
        .execute(conn)
        .await
        .map_err(StoreError::classify)?;
    Ok(())
}

/// Invalidates every open invitation of a user (a re-send makes the old link useless).
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn revoke_for_user(conn: &mut AnyConnection, user_id: &UserId, now: i64) -> Result<()> {
    sqlx::query("UPDATE invitations SET revoked_at = $1 WHERE user_id = $2 AND used_at IS NULL AND revoked_at IS NULL")
        .bind(now)
        .bind(user_id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// An open invitation, with what its page shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenInvitation {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    #[sqlx(try_from = "String")]
    pub account_id: AccountId,
    #[sqlx(try_from = "String")]
    pub account_name: AccountName,
    #[sqlx(try_from = "String")]
    pub email: EmailAddress,
    #[sqlx(try_from = "String")]
    pub name: PersonName,
    pub expires_at: i64,
}

/// The invitation whose token hashes to `hash`, if unused, unrevoked, unexpired and its user still invited.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_open(conn: &mut AnyConnection, hash: &TokenHash, now: i64) -> Result<Option<OpenInvitation>> {
    const Q: &str = "SELECT i.id, i.user_id, i.account_id, a.name AS account_name, u.email, u.name, i.expires_at \
         FROM invitations i JOIN users u ON u.id = i.user_id JOIN accounts a ON a.id = i.account_id \
         WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2 AND u.status = 'invited'";
    Ok(sqlx::query_as(Q).bind(hash.as_str()).bind(now).fetch_optional(conn).await?)
}

/// Marks an invitation used; `false` if someone else used it first (single use under races).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_used(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query("UPDATE invitations SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL")
            .bind(now)
            .bind(id),
    )
    .await
}

/// When the newest invitation of a user that was neither used nor revoked was sent and when it
/// expires (it may have expired already), if there is one.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn latest_unused(conn: &mut AnyConnection, user_id: &UserId) -> Result<Option<(i64, i64)>> {
    const Q: &str = "SELECT created_at, expires_at FROM invitations \
         WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1";
    Ok(sqlx::query_as(Q).bind(user_id.as_str()).fetch_optional(conn).await?)
}
