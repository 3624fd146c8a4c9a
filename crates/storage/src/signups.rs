//! Sign-ups waiting for their emailed link (`TENANTRY_SIGNUP=verify`): what the form held, with
//! the password already hashed and the link's token stored only as its hash.

use crate::Result;
use sqlx::AnyConnection;
use tenantry_domain::{EmailAddress, PasswordProfile, TokenHash};

/// A sign-up to keep until its link is followed.
#[derive(Debug)]
pub struct NewSignup<'a> {
    pub token_hash: &'a TokenHash,
    pub email: &'a EmailAddress,
    pub name: &'a str,
    pub account_name: &'a str,
    pub password_hash: &'a str,
    pub profile: PasswordProfile,
    pub now: i64,
    pub expires_at: i64,
}

/// A sign-up whose link was followed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingSignup {
    pub email: String,
    pub name: String,
    pub account_name: String,
    pub password_hash: String,
    pub password_length: i64,
    pub password_classes: i64,
}

/// Keeps a sign-up.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(conn: &mut AnyConnection, s: NewSignup<'_>) -> Result<()> {
    let (length, classes) = crate::credentials::profile_columns(s.profile);
    sqlx::query(
        "INSERT INTO signup_verifications (token_hash, email, email_normalized, name, account_name, password_hash, \
         password_length, password_classes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(s.token_hash.as_str())
    .bind(s.email.as_str())
    .bind(s.email.normalized())
    .bind(s.name)
    .bind(s.account_name)
    .bind(s.password_hash)
    .bind(length)
    .bind(classes)
    .bind(s.now)
    .bind(s.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks the sign-up behind a link as used and answers it, once: unknown, used and expired links
/// answer `None`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn take(conn: &mut AnyConnection, token_hash: &TokenHash, now: i64) -> Result<Option<PendingSignup>> {
    Ok(sqlx::query_as(
        "UPDATE signup_verifications SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
         RETURNING email, name, account_name, password_hash, password_length, password_classes",
    )
    .bind(token_hash.as_str())
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

/// The email of an open sign-up link (its page shows it), without using it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn email_of(conn: &mut AnyConnection, token_hash: &TokenHash, now: i64) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT email FROM signup_verifications WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash.as_str())
    .bind(now)
    .fetch_optional(conn)
    .await?)
}
