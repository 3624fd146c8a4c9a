//! Webhook endpoints and their deliveries. A delivery is written, with the outbox message that
//! sends it, in the transaction of its event ([`fan_out`], called by `events::insert` and
//! `insert_many`); the worker's webhook job then records each attempt on it.

use crate::Result;
use sqlx::AnyConnection;
use tenantry_domain::AccountId;
use tenantry_domain::id::WebhookEndpointId;

/// The outbox `kind` of webhook deliveries; the payload is the delivery id.
pub const KIND: &str = "webhook";

/// An endpoint as stored (its secrets sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: WebhookEndpointId,
    pub account_id: String,
    pub url: String,
    pub description: String,
    /// Empty: every event.
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub secret_sealed: String,
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_until: Option<i64>,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct EndpointRow {
    #[sqlx(try_from = "String")]
    id: WebhookEndpointId,
    account_id: String,
    url: String,
    description: String,
    event_types: String,
    enabled: i64,
    secret_sealed: String,
    previous_secret_sealed: Option<String>,
    previous_secret_until: Option<i64>,
    disabled_reason: Option<String>,
    failing_since: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl From<EndpointRow> for Endpoint {
    fn from(r: EndpointRow) -> Self {
        Self {
            id: r.id,
            account_id: r.account_id,
            url: r.url,
            description: r.description,
            event_types: tenantry_domain::webhook::read_filter(&r.event_types),
            enabled: r.enabled != 0,
            secret_sealed: r.secret_sealed,
            previous_secret_sealed: r.previous_secret_sealed,
            previous_secret_until: r.previous_secret_until,
            disabled_reason: r.disabled_reason,
            failing_since: r.failing_since,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const ENDPOINT_COLUMNS: &str = "id, account_id, url, description, event_types, enabled, secret_sealed, \
     previous_secret_sealed, previous_secret_until, disabled_reason, failing_since, created_at, updated_at";

/// `LIKE` pattern matching `event_type` in a stored filter (`_` is literal).
fn filter_pattern(event_type: &str) -> String {
    format!("%,{},%", event_type.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

/// The endpoints of an account that take `event_type`: enabled, filter empty or naming it.
const MATCHING: &str =
    "w.account_id = $2 AND w.enabled = 1 AND (w.event_types = '' OR w.event_types LIKE $4 ESCAPE '\\')";

/// Writes the deliveries of event `event_id` to every matching endpoint, and their outbox
/// messages. One statement when the account has no matching endpoint.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn fan_out(
    conn: &mut AnyConnection, account_id: &AccountId, event_id: &str, event_type: &str, now: i64,
) -> Result<u64> {
    let sql = format!(
        "INSERT INTO webhook_deliveries (id, account_id, endpoint_id, event_id, status, attempts, next_attempt_at, created_at, updated_at) \
         SELECT 'whd_' || substr($1, 5) || substr(w.id, 5), w.account_id, w.id, $1, 'pending', 0, $3, $3, $3 \
         FROM webhook_endpoints w WHERE {MATCHING}"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(event_id)
        .bind(account_id.as_str())
        .bind(now)
        .bind(filter_pattern(event_type))
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() > 0 {
        sqlx::query(
            "INSERT INTO outbox (id, account_id, kind, payload, status, attempts, run_at, created_at) \
             SELECT 'msg_' || substr(d.id, 5), d.account_id, 'webhook', d.id, 'queued', 0, $2, $2 \
             FROM webhook_deliveries d WHERE d.event_id = $1",
        )
        .bind(event_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(done.rows_affected())
}

/// Whether any endpoint of the account takes `event_type` (bulk inserts ask once).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn any_matching(conn: &mut AnyConnection, account_id: &AccountId, event_type: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhook_endpoints w WHERE w.account_id = $1 AND w.enabled = 1 \
         AND (w.event_types = '' OR w.event_types LIKE $2 ESCAPE '\\')",
    )
    .bind(account_id.as_str())
    .bind(filter_pattern(event_type))
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// A new endpoint.
#[derive(Debug, Clone)]
pub struct NewEndpoint<'a> {
    pub id: &'a WebhookEndpointId,
    pub url: &'a str,
    pub description: &'a str,
    pub event_types: &'a [String],
    pub enabled: bool,
    pub secret_sealed: &'a str,
}

/// Creates an endpoint.
#[tracing::instrument(level = "debug", skip_all, fields(endpoint_id = %e.id))]
pub async fn insert(conn: &mut AnyConnection, account_id: &AccountId, e: &NewEndpoint<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, account_id, url, description, event_types, enabled, secret_sealed, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(e.id.as_str())
    .bind(account_id.as_str())
    .bind(e.url)
    .bind(e.description)
    .bind(tenantry_domain::webhook::store_filter(e.event_types))
    .bind(i64::from(e.enabled))
    .bind(e.secret_sealed)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// One endpoint of the account.
#[tracing::instrument(level = "debug", skip_all, fields(endpoint_id = %id))]
pub async fn get(conn: &mut AnyConnection, account_id: &AccountId, id: &WebhookEndpointId) -> Result<Option<Endpoint>> {
    let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND account_id = $2");
    let row: Option<EndpointRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.as_str())
        .bind(account_id.as_str())
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Into::into))
}

/// A page of the account's endpoints, newest first, after the keyset position `(created_at, id)`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    conn: &mut AnyConnection, account_id: &AccountId, after: Option<&(i64, String)>, limit: i64,
) -> Result<Vec<Endpoint>> {
    let (at, id) = after.cloned().unwrap_or((i64::MAX, String::new()));
    let sql = format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE account_id = $1 \
         AND ($2 = 0 OR created_at < $3 OR (created_at = $3 AND id < $4)) ORDER BY created_at DESC, id DESC LIMIT $5"
    );
    let rows: Vec<EndpointRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(account_id.as_str())
        .bind(i64::from(after.is_some()))
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Saves an endpoint's editable parts (`enabled` turning on clears the disabled reason and the
/// failure streak); `false` when the account has no such endpoint.
#[tracing::instrument(level = "debug", skip_all, fields(endpoint_id = %e.id))]
pub async fn update(conn: &mut AnyConnection, account_id: &AccountId, e: &Endpoint, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET url = $1, description = $2, event_types = $3, enabled = $4, \
         disabled_reason = $5, failing_since = $6, updated_at = $7 WHERE id = $8 AND account_id = $9",
    )
    .bind(&e.url)
    .bind(&e.description)
    .bind(tenantry_domain::webhook::store_filter(&e.event_types))
    .bind(i64::from(e.enabled))
    .bind(e.disabled_reason.as_deref())
    .bind(e.failing_since)
    .bind(now)
    .bind(e.id.as_str())
    .bind(account_id.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the secret, keeping the current one valid until `previous_until`.
#[tracing::instrument(level = "debug", skip_all, fields(endpoint_id = %id))]
pub async fn rotate_secret(
    conn: &mut AnyConnection, account_id: &AccountId, id: &WebhookEndpointId, secret_sealed: &str, previous_until: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET previous_secret_sealed = secret_sealed, previous_secret_until = $1, \
         secret_sealed = $2, updated_at = $3 WHERE id = $4 AND account_id = $5",
    )
    .bind(previous_until)
    .bind(secret_sealed)
    .bind(now)
    .bind(id.as_str())
    .bind(account_id.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes an endpoint and its deliveries (a queued message for one finds nothing and stops).
#[tracing::instrument(level = "debug", skip_all, fields(endpoint_id = %id))]
pub async fn delete(conn: &mut AnyConnection, account_id: &AccountId, id: &WebhookEndpointId) -> Result<bool> {
    sqlx::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1 AND account_id = $2")
        .bind(id.as_str())
        .bind(account_id.as_str())
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND account_id = $2")
        .bind(id.as_str())
        .bind(account_id.as_str())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// [`fan_out`] for a batch of events of one type (at most a few hundred ids).
#[tracing::instrument(level = "debug", skip_all, fields(n = event_ids.len()))]
pub async fn fan_out_many(
    conn: &mut AnyConnection, account_id: &AccountId, event_ids: &[String], event_type: &str, now: i64,
) -> Result<()> {
    if event_ids.is_empty() {
        return Ok(());
    }
    let list = |first: usize| crate::placeholders(first, event_ids.len());
    let sql = format!(
        "INSERT INTO webhook_deliveries (id, account_id, endpoint_id, event_id, status, attempts, next_attempt_at, created_at, updated_at) \
         SELECT 'whd_' || substr(e.id, 5) || substr(w.id, 5), w.account_id, w.id, e.id, 'pending', 0, $3, $3, $3 \
         FROM events e JOIN webhook_endpoints w ON w.account_id = e.account_id \
         WHERE e.id IN ({}) AND e.type = $1 AND {MATCHING}",
        list(5)
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(event_type)
        .bind(account_id.as_str())
        .bind(now)
        .bind(filter_pattern(event_type));
    for id in event_ids {
        q = q.bind(id.as_str());
    }
    q.execute(&mut *conn).await?;
    let sql = format!(
        "INSERT INTO outbox (id, account_id, kind, payload, status, attempts, run_at, created_at) \
         SELECT 'msg_' || substr(d.id, 5), d.account_id, 'webhook', d.id, 'queued', 0, $1, $1 \
         FROM webhook_deliveries d WHERE d.event_id IN ({})",
        list(2)
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
    for id in event_ids {
        q = q.bind(id.as_str());
    }
    q.execute(conn).await?;
    Ok(())
}

/// The emails and names of the account's Administrators who have signed in.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn administrator_emails(conn: &mut AnyConnection, account_id: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT email, name FROM users WHERE account_id = $1 AND role = 'administrator' AND status = 'active' ORDER BY created_at, id",
    )
    .bind(account_id)
    .fetch_all(conn)
    .await?)
}
