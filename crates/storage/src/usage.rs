//! Usage counters per user, metric and billing cycle, and idempotent usage reports.

use crate::Result;
use sqlx::AnyConnection;
use tenantry_domain::{AccountId, UserId};

/// Adds `quantity` to a user's counter of `metric` in the cycle starting at `cycle_start`.
/// A user deleted meanwhile is skipped (their counters went with them).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add(
    conn: &mut AnyConnection, account_id: &str, user_id: &str, cycle_start: i64, metric: &str, quantity: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO usage_counters (account_id, user_id, cycle_start, metric, quantity) \
         SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM users WHERE id = $2 AND account_id = $1) \
         ON CONFLICT (user_id, cycle_start, metric) DO UPDATE SET quantity = usage_counters.quantity + excluded.quantity",
    )
    .bind(account_id)
    .bind(user_id)
    .bind(cycle_start)
    .bind(metric)
    .bind(quantity)
    .execute(conn)
    .await?;
    Ok(())
}

/// A user's counters in the cycle starting at `cycle_start`, by metric.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn of_user(conn: &mut AnyConnection, user_id: &UserId, cycle_start: i64) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as("SELECT metric, quantity FROM usage_counters WHERE user_id = $1 AND cycle_start = $2")
        .bind(user_id.as_str())
        .bind(cycle_start)
        .fetch_all(conn)
        .await?)
}

/// A usage report as first received under its Idempotency-Key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Report {
    pub request_hash: String,
    pub user_id: String,
    pub metric: String,
    pub quantity: i64,
}

/// Records a report under `key`; `None` when it is new, else the report first stored under it.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn record_report(
    conn: &mut AnyConnection, account_id: &AccountId, key: &str, request_hash: &str, r: &Report, now: i64,
) -> Result<Option<Report>> {
    let done = sqlx::query(
        "INSERT INTO usage_reports (account_id, idempotency_key, request_hash, user_id, metric, quantity, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (account_id, idempotency_key) DO NOTHING",
    )
    .bind(account_id.as_str())
    .bind(key)
    .bind(request_hash)
    .bind(&r.user_id)
    .bind(&r.metric)
    .bind(r.quantity)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(None);
    }
    Ok(sqlx::query_as("SELECT request_hash, user_id, metric, quantity FROM usage_reports WHERE account_id = $1 AND idempotency_key = $2")
        .bind(account_id.as_str())
        .bind(key)
        .fetch_optional(conn)
        .await?)
}

/// Every counter of a user, oldest cycle first: (cycle start, metric, quantity).
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn history_of_user(conn: &mut AnyConnection, user_id: &UserId) -> Result<Vec<(i64, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT cycle_start, metric, quantity FROM usage_counters WHERE user_id = $1 ORDER BY cycle_start, metric",
    )
    .bind(user_id.as_str())
    .fetch_all(conn)
    .await?)
}
