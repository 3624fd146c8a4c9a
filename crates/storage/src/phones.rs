//! Cell-number verification by SMS code, and the account's SMS log.

use crate::{Result, changed_one};
use sqlx::AnyConnection;
use tenantry_domain::{AccountId, PhoneNumber, UserId};

/// A verification to store.
pub struct NewVerification<'a> {
    pub id: &'a str,
    pub account_id: &'a AccountId,
    pub user_id: &'a UserId,
    pub number: &'a PhoneNumber,
    /// Hash of the code, bound to `id`.
    pub code_hash: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

/// Stores a pending verification, revoking the user's earlier ones (only the newest code works).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(conn: &mut AnyConnection, v: &NewVerification<'_>) -> Result<()> {
    let NewVerification { id, account_id, user_id, number, code_hash, now, expires_at } = v;
    sqlx::query(
        "UPDATE phone_verifications SET revoked_at = $1 WHERE user_id = $2 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(*now)
    .bind(user_id.as_str())
    .execute(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO phone_verifications (id, account_id, user_id, number, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(*id)
        .bind(account_id.as_str())
        .bind(user_id.as_str())
        .bind(number.as_str())
        .bind(*code_hash)
        .bind(*now)
        .bind(*expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// A verification waiting for its code.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Pending {
    pub id: String,
    pub number: String,
    pub code_hash: String,
    pub attempts: i64,
}

/// The user's open verification (not used, revoked or expired).
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn open(conn: &mut AnyConnection, user_id: &UserId, now: i64) -> Result<Option<Pending>> {
    Ok(sqlx::query_as(
        "SELECT id, number, code_hash, attempts FROM phone_verifications \
         WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(user_id.as_str())
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

/// Spends one of the `max` attempts, atomically; `false` when none is left.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn spend_attempt(conn: &mut AnyConnection, id: &str, max: i64) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query("UPDATE phone_verifications SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2 AND used_at IS NULL").bind(id).bind(max),
    )
    .await
}

/// Marks a verification used; `false` if it was used or replaced first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_used(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool> {
    changed_one(
        conn,
        sqlx::query(
            "UPDATE phone_verifications SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id),
    )
    .await
}

/// One SMS of the account's log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SmsLogEntry {
    pub id: String,
    pub user_id: Option<String>,
    pub to_number: String,
    pub purpose: String,
    /// What the text took (one credit each when sent).
    pub segments: i64,
    /// Credits spent: the segments when sent, 0 when refused.
    pub credits: i64,
    /// `sent`, `refused` or `failed`.
    pub status: String,
    pub created_at: i64,
}

/// A new SMS log id (`sms_…`): made before the row, so the credits ledger can name it.
pub fn new_log_id() -> String {
    format!("sms_{}", tenantry_domain::token::random_hex(12))
}

/// One line of the SMS log to write.
#[derive(Debug, Clone, Copy)]
pub struct SmsLine<'a> {
    /// From [`new_log_id`].
    pub id: &'a str,
    pub account_id: &'a str,
    pub user_id: Option<&'a str>,
    pub to: &'a str,
    pub purpose: &'a str,
    /// `sent` (queued to go out) or `refused` (a limit stopped it).
    pub status: &'a str,
    /// The client address that caused it, when known.
    pub ip: Option<&'a str>,
    pub segments: i64,
    /// Credits spent (0 when refused).
    pub credits: i64,
    /// `tenantry` (Tenantry's own codes, which the daily caps count) or `product`.
    pub origin: &'a str,
    pub now: i64,
}

/// Records an SMS sent (or refused) on the account's behalf.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn log_sms(conn: &mut AnyConnection, line: SmsLine<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO sms_log (id, account_id, user_id, to_number, purpose, status, ip, segments, credits, origin, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(line.id)
    .bind(line.account_id)
    .bind(line.user_id)
    .bind(line.to)
    .bind(line.purpose)
    .bind(line.status)
    .bind(line.ip)
    .bind(line.segments)
    .bind(line.credits)
    .bind(line.origin)
    .bind(line.now)
    .execute(conn)
    .await?;
    Ok(())
}

/// SMS sent since `since`: by the account, caused from the client address `ip`, and in the whole
/// installation (what the daily caps count).
#[derive(Debug, Clone, Copy, Default)]
pub struct SentCounts {
    pub account: i64,
    pub ip: i64,
    pub installation: i64,
}

/// Counts the SMS sent since `since` for the daily caps.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn sent_since(
    conn: &mut AnyConnection, account_id: &str, ip: Option<&str>, since: i64,
) -> Result<SentCounts> {
    let count = |q: &'static str| sqlx::query_scalar::<_, i64>(q);
    let account = count("SELECT COUNT(*) FROM sms_log WHERE account_id = $1 AND status = 'sent' AND origin = 'tenantry' AND created_at >= $2")
        .bind(account_id)
        .bind(since)
        .fetch_one(&mut *conn)
        .await?;
    let ip = match ip {
        Some(ip) => {
            count("SELECT COUNT(*) FROM sms_log WHERE ip = $1 AND status = 'sent' AND origin = 'tenantry' AND created_at >= $2")
                .bind(ip)
                .bind(since)
                .fetch_one(&mut *conn)
                .await?
        }
        None => 0,
    };
    let installation =
        count("SELECT COUNT(*) FROM sms_log WHERE status = 'sent' AND origin = 'tenantry' AND created_at >= $1")
            .bind(since)
            .fetch_one(&mut *conn)
            .await?;
    Ok(SentCounts { account, ip, installation })
}

/// The account's SMS log, newest first, before the keyset position `before`.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn sms_log(
    conn: &mut AnyConnection, account_id: &AccountId, before: Option<(i64, String)>, limit: i64,
) -> Result<Vec<SmsLogEntry>> {
    let (at, id) = before.clone().unwrap_or_default();
    Ok(sqlx::query_as(
        "SELECT id, user_id, to_number, purpose, segments, credits, status, created_at FROM sms_log WHERE account_id = $1 \
         AND ($2 = 0 OR created_at < $3 OR (created_at = $3 AND id < $4)) ORDER BY created_at DESC, id DESC LIMIT $5",
    )
    .bind(account_id.as_str())
    .bind(crate::flag(before.is_some()))
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The SMS sent to or for a user, newest first.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn sms_of_user(conn: &mut AnyConnection, user_id: &UserId) -> Result<Vec<SmsLogEntry>> {
    Ok(sqlx::query_as("SELECT id, user_id, to_number, purpose, segments, credits, status, created_at FROM sms_log WHERE user_id = $1 ORDER BY created_at DESC, id DESC")
        .bind(user_id.as_str())
        .fetch_all(conn)
        .await?)
}

/// Marks a sent SMS as failed: the provider refused it for good.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_failed(conn: &mut AnyConnection, id: &str) -> Result<bool> {
    changed_one(conn, sqlx::query("UPDATE sms_log SET status = 'failed' WHERE id = $1 AND status = 'sent'").bind(id))
        .await
}
