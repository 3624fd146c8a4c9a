//! Password-reset counts per user over a rolling day (requests made, reset codes entered wrong),
//! each bumped in one statement so that parallel requests on any node count exactly, and kept
//! across restarts.

use crate::Result;
use sqlx::AnyConnection;
use tenantry_domain::UserId;
use tenantry_domain::limits::ROLLING_DAY_MS;

/// A user's counts in the current window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub reset_requests: i64,
    pub code_failures: i64,
}

/// Adds `requests` and `failures` to the user's counts (a window older than a day starts again
/// at these) and answers the new counts.
async fn bump(conn: &mut AnyConnection, user_id: &UserId, requests: i64, failures: i64, now: i64) -> Result<Counts> {
    const Q: &str = "INSERT INTO recovery_counters (user_id, window_start, reset_requests, code_failures) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET \
         window_start = CASE WHEN recovery_counters.window_start <= $5 THEN $2 ELSE recovery_counters.window_start END, \
         reset_requests = CASE WHEN recovery_counters.window_start <= $5 THEN $3 ELSE recovery_counters.reset_requests + $3 END, \
         code_failures = CASE WHEN recovery_counters.window_start <= $5 THEN $4 ELSE recovery_counters.code_failures + $4 END \
         RETURNING reset_requests, code_failures";
    let (reset_requests, code_failures): (i64, i64) = sqlx::query_as(Q)
        .bind(user_id.as_str())
        .bind(now)
        .bind(requests)
        .bind(failures)
        .bind(now - ROLLING_DAY_MS)
        .fetch_one(conn)
        .await?;
    Ok(Counts { reset_requests, code_failures })
}

/// Counts one reset request.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn count_request(conn: &mut AnyConnection, user_id: &UserId, now: i64) -> Result<Counts> {
    bump(conn, user_id, 1, 0, now).await
}

/// Counts one wrong reset code.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn count_code_failure(conn: &mut AnyConnection, user_id: &UserId, now: i64) -> Result<Counts> {
    bump(conn, user_id, 0, 1, now).await
}

/// The user's counts now (zero when the window is over).
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn counts(conn: &mut AnyConnection, user_id: &UserId, now: i64) -> Result<Counts> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT reset_requests, code_failures FROM recovery_counters WHERE user_id = $1 AND window_start > $2",
    )
    .bind(user_id.as_str())
    .bind(now - ROLLING_DAY_MS)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(reset_requests, code_failures)| Counts { reset_requests, code_failures }).unwrap_or_default())
}
