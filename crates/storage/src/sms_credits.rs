//! SMS credits: each account's balance, which never goes below zero, and its append-only ledger.
//! A debit is one guarded statement, so concurrent sends on any number of nodes cannot overspend.

use crate::{Result, StoreError};
use sqlx::AnyConnection;

/// Why a balance changed, as the ledger records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The credits a new account starts with.
    Trial,
    /// The operator added credits (reference: the operator's, unique per account).
    TopUp,
    /// An SMS was sent (reference: its SMS log row).
    Sms,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Trial => "trial",
            Reason::TopUp => "top_up",
            Reason::Sms => "sms",
        }
    }
}

/// An account's balance and its low-balance settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Balance {
    pub credits: i64,
    pub low_balance_threshold: i64,
}

/// The balance of `account_id` (zero for an account without a row).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn balance(conn: &mut AnyConnection, account_id: &str) -> Result<Balance> {
    let row: Option<Balance> =
        sqlx::query_as("SELECT credits, low_balance_threshold FROM sms_balances WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.unwrap_or(Balance { credits: 0, low_balance_threshold: DEFAULT_LOW_BALANCE_THRESHOLD }))
}

/// The threshold an account starts with.
pub const DEFAULT_LOW_BALANCE_THRESHOLD: i64 = 10;

/// Sets the low-balance threshold. A balance then above it may be told again when it next falls.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn set_threshold(conn: &mut AnyConnection, account_id: &str, threshold: i64) -> Result<()> {
    ensure_row(conn, account_id).await?;
    sqlx::query(
        "UPDATE sms_balances SET low_balance_threshold = $2, \
         low_notified = CASE WHEN credits > $2 THEN 0 ELSE low_notified END WHERE account_id = $1",
    )
    .bind(account_id)
    .bind(threshold)
    .execute(conn)
    .await?;
    Ok(())
}

async fn ensure_row(conn: &mut AnyConnection, account_id: &str) -> Result<()> {
    sqlx::query("INSERT INTO sms_balances (account_id) VALUES ($1) ON CONFLICT (account_id) DO NOTHING")
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds `credits` and records why; answers the new balance. A top-up whose `reference` the
/// account already used is [`StoreError::Conflict`] on `reference` (nothing changes: the caller's
/// transaction must roll back).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn add(
    conn: &mut AnyConnection, account_id: &str, credits: i64, reason: Reason, reference: Option<&str>, now: i64,
) -> Result<i64> {
    ensure_row(conn, account_id).await?;
    let balance: i64 = sqlx::query_scalar(
        "UPDATE sms_balances SET credits = credits + $2, \
         low_notified = CASE WHEN credits + $2 > low_balance_threshold THEN 0 ELSE low_notified END \
         WHERE account_id = $1 RETURNING credits",
    )
    .bind(account_id)
    .bind(credits)
    .fetch_one(&mut *conn)
    .await?;
    record(conn, account_id, credits, balance, reason, reference, now).await?;
    Ok(balance)
}

/// Takes `credits` from the balance if it holds that many, in one guarded statement; answers the
/// new balance, or `None` (nothing changed) when it is short.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn spend(
    conn: &mut AnyConnection, account_id: &str, credits: i64, reference: &str, now: i64,
) -> Result<Option<i64>> {
    let balance: Option<i64> = sqlx::query_scalar(
        "UPDATE sms_balances SET credits = credits - $2 WHERE account_id = $1 AND credits >= $2 RETURNING credits",
    )
    .bind(account_id)
    .bind(credits)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(balance) = balance {
        record(conn, account_id, -credits, balance, Reason::Sms, Some(reference), now).await?;
    }
    Ok(balance)
}

/// Marks the balance as reported low when it is at or under its threshold and was not reported
/// since it last rose above it; `true` when this call did (so exactly one caller sends notices).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn claim_low_notice(conn: &mut AnyConnection, account_id: &str) -> Result<bool> {
    crate::changed_one(
        conn,
        sqlx::query(
            "UPDATE sms_balances SET low_notified = 1 \
             WHERE account_id = $1 AND low_notified = 0 AND credits <= low_balance_threshold",
        )
        .bind(account_id),
    )
    .await
}

async fn record(
    conn: &mut AnyConnection, account_id: &str, change: i64, balance: i64, reason: Reason, reference: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sms_credit_ledger (id, account_id, change, balance, reason, reference, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(format!("scl_{}", tenantry_domain::token::random_hex(12)))
    .bind(account_id)
    .bind(change)
    .bind(balance)
    .bind(reason.as_str())
    .bind(reference)
    .bind(now)
    .execute(conn)
    .await
    .map_err(StoreError::classify)?;
    Ok(())
}

/// A top-up already recorded under `reference`: (credits added, balance after it).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn top_up_by_reference(
    conn: &mut AnyConnection, account_id: &str, reference: &str,
) -> Result<Option<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT change, balance FROM sms_credit_ledger WHERE account_id = $1 AND reason = 'top_up' AND reference = $2",
    )
    .bind(account_id)
    .bind(reference)
    .fetch_optional(conn)
    .await?)
}
