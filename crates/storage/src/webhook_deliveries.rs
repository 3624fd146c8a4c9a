//! Webhook deliveries: one per (event, endpoint), written by [`crate::webhooks::fan_out`]; the
//! delivery log, the worker's view of one delivery, and the record of each attempt.

use crate::{Result, outbox};
use sqlx::AnyConnection;
use tenantry_domain::id::WebhookEndpointId;
use tenantry_domain::{AccountId, EventId};

/// A delivery as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Delivery {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub last_status_code: Option<i64>,
    pub last_response_ms: Option<i64>,
    /// The first 1 KiB of the last answer.
    pub last_response_body: Option<String>,
    /// Why the last attempt failed, when no answer came (or the answer was not 2xx).
    pub last_error: Option<String>,
    pub next_attempt_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "d.id, d.endpoint_id, d.event_id, e.type AS event_type, d.status, d.attempts, \
     d.last_status_code, d.last_response_ms, d.last_response_body, d.last_error, d.next_attempt_at, d.created_at, d.updated_at";

/// Whether `id` has the shape of a delivery id (`whd_` and 48 lowercase hex digits).
pub fn is_delivery_id(id: &str) -> bool {
    id.strip_prefix("whd_")
        .is_some_and(|rest| rest.len() == 48 && rest.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
}

/// A page of an endpoint's deliveries, newest first, optionally of one `status`, after the
/// keyset position `(created_at, id)`.
#[tracing::instrument(level = "debug", skip_all, fields(endpoint_id = %endpoint_id))]
pub async fn list(
    conn: &mut AnyConnection, account_id: &AccountId, endpoint_id: &WebhookEndpointId, status: Option<&str>,
    after: Option<&(i64, String)>, limit: i64,
) -> Result<Vec<Delivery>> {
    let (at, id) = after.cloned().unwrap_or((i64::MAX, String::new()));
    let sql = format!(
        "SELECT {COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id \
         WHERE d.endpoint_id = $1 AND d.account_id = $2 AND ($3 = '' OR d.status = $3) \
         AND ($4 = 0 OR d.created_at < $5 OR (d.created_at = $5 AND d.id < $6)) \
         ORDER BY d.created_at DESC, d.id DESC LIMIT $7"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(endpoint_id.as_str())
        .bind(account_id.as_str())
        .bind(status.unwrap_or(""))
        .bind(i64::from(after.is_some()))
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// One delivery of the account's endpoint.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(
    conn: &mut AnyConnection, account_id: &AccountId, endpoint_id: &WebhookEndpointId, id: &str,
) -> Result<Option<Delivery>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id \
         WHERE d.id = $1 AND d.endpoint_id = $2 AND d.account_id = $3"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(endpoint_id.as_str())
        .bind(account_id.as_str())
        .fetch_optional(conn)
        .await?)
}

/// What the worker needs to send one delivery: the delivery, its endpoint and its event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ToSend {
    pub id: String,
    pub account_id: String,
    pub status: String,
    pub attempts: i64,
    pub endpoint_id: String,
    pub url: String,
    pub enabled: i64,
    pub secret_sealed: String,
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_until: Option<i64>,
    pub failing_since: Option<i64>,
    pub event_id: String,
    pub event_type: String,
    pub event_data: String,
    pub event_created_at: i64,
}

/// The delivery `id` with its endpoint and event; `None` once the endpoint was deleted.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn to_send(conn: &mut AnyConnection, id: &str) -> Result<Option<ToSend>> {
    Ok(sqlx::query_as(
        "SELECT d.id, d.account_id, d.status, d.attempts, w.id AS endpoint_id, w.url, w.enabled, w.secret_sealed, \
         w.previous_secret_sealed, w.previous_secret_until, w.failing_since, e.id AS event_id, e.type AS event_type, \
         e.data AS event_data, e.created_at AS event_created_at \
         FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id JOIN events e ON e.id = d.event_id \
         WHERE d.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// One attempt's outcome, as the delivery row keeps it.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    /// `pending` (another attempt at `next_attempt_at`), `succeeded` or `failed`.
    pub status: &'a str,
    pub attempts: i64,
    pub status_code: Option<i64>,
    pub response_ms: Option<i64>,
    pub response_body: Option<&'a str>,
    pub error: Option<&'a str>,
    pub next_attempt_at: Option<i64>,
}

/// Records an attempt on the delivery.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_attempt(conn: &mut AnyConnection, id: &str, a: &Attempt<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET status = $1, attempts = $2, last_status_code = $3, last_response_ms = $4, \
         last_response_body = $5, last_error = $6, next_attempt_at = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(a.status)
    .bind(a.attempts)
    .bind(a.status_code)
    .bind(a.response_ms)
    .bind(a.response_body)
    .bind(a.error)
    .bind(a.next_attempt_at)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends a delivery without an attempt (its endpoint is disabled).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn stop(conn: &mut AnyConnection, id: &str, reason: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET status = 'failed', last_error = $1, next_attempt_at = NULL, updated_at = $2 \
         WHERE id = $3 AND status = 'pending'",
    )
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The endpoint answered 2xx: its failure streak ends.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn endpoint_succeeded(conn: &mut AnyConnection, endpoint_id: &str) -> Result<()> {
    sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL")
        .bind(endpoint_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The endpoint failed: its failure streak starts now unless it already runs; answers its start.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn endpoint_failed(conn: &mut AnyConnection, endpoint_id: &str, now: i64) -> Result<i64> {
    sqlx::query("UPDATE webhook_endpoints SET failing_since = $1 WHERE id = $2 AND failing_since IS NULL")
        .bind(now)
        .bind(endpoint_id)
        .execute(&mut *conn)
        .await?;
    let since: Option<i64> = sqlx::query_scalar("SELECT failing_since FROM webhook_endpoints WHERE id = $1")
        .bind(endpoint_id)
        .fetch_optional(conn)
        .await?
        .flatten();
    Ok(since.unwrap_or(now))
}

/// Disables an endpoint for `reason`; `false` when it was disabled already (or is gone).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn disable_endpoint(conn: &mut AnyConnection, endpoint_id: &str, reason: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = $1, updated_at = $2 WHERE id = $3 AND enabled = 1",
    )
    .bind(reason)
    .bind(now)
    .bind(endpoint_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Queues a new attempt of a delivery now (it becomes `pending` again). A delivery still waiting
/// for its next attempt has that attempt moved to now, and one being attempted right now is left
/// to it: a delivery never has two attempts under way.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn retry(conn: &mut AnyConnection, account_id: &AccountId, id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, updated_at = $1 WHERE id = $2 AND account_id = $3",
    )
    .bind(now)
    .bind(id)
    .bind(account_id.as_str())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE outbox SET run_at = $1 WHERE kind = $2 AND payload = $3 AND status = 'queued'")
        .bind(now)
        .bind(crate::webhooks::KIND)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let under_way: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE kind = $1 AND payload = $2 AND status IN ('queued', 'running')",
    )
    .bind(crate::webhooks::KIND)
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    if under_way == 0 {
        outbox::enqueue(conn, Some(account_id.as_str()), crate::webhooks::KIND, id, now).await?;
    }
    Ok(())
}

/// Writes a `webhook.test` event for one endpoint and its delivery (no other endpoint gets it).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert_test(
    conn: &mut AnyConnection, account_id: &AccountId, endpoint_id: &WebhookEndpointId, data: &serde_json::Value,
    now: i64,
) -> Result<String> {
    let event_id = EventId::generate();
    sqlx::query("INSERT INTO events (id, account_id, type, data, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(event_id.as_str())
        .bind(account_id.as_str())
        .bind(tenantry_domain::webhook::TEST_EVENT)
        .bind(data.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let id = format!("whd_{}{}", &event_id.as_str()[4..], &endpoint_id.as_str()[4..]);
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, account_id, endpoint_id, event_id, status, attempts, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5)",
    )
    .bind(&id)
    .bind(account_id.as_str())
    .bind(endpoint_id.as_str())
    .bind(event_id.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    outbox::enqueue(conn, Some(account_id.as_str()), crate::webhooks::KIND, &id, now).await?;
    Ok(id)
}

/// How many deliveries are in each status (for tests and benchmarks).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn counts(conn: &mut AnyConnection) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as("SELECT status, COUNT(*) FROM webhook_deliveries GROUP BY status ORDER BY status")
        .fetch_all(conn)
        .await?)
}
