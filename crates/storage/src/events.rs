//! Domain events (`user.deleted`, `booking_page.transferred`, …), written in the transaction of the
//! change they describe, each with its webhook deliveries ([`crate::webhooks::fan_out`]): one
//! per enabled endpoint of the account whose filter takes the event, and the outbox message that
//! sends it.

use crate::Result;
use sqlx::AnyConnection;
use tenantry_domain::{AccountId, EventId};

/// Appends an event of `event_type` with its `data`.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn insert(
    conn: &mut AnyConnection, account_id: &AccountId, event_type: &str, data: &serde_json::Value, now: i64,
) -> Result<EventId> {
    let id = EventId::generate();
    sqlx::query("INSERT INTO events (id, account_id, type, data, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id.as_str())
        .bind(account_id.as_str())
        .bind(event_type)
        .bind(data.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    crate::webhooks::fan_out(conn, account_id, id.as_str(), event_type, now).await?;
    Ok(id)
}

/// An event as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub id: String,
    #[sqlx(rename = "type")]
    pub event_type: String,
    pub data: String,
    pub created_at: i64,
}

/// An account's events of `event_type` (all types when empty), oldest first.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn list(
    conn: &mut AnyConnection, account_id: &AccountId, event_type: &str, limit: i64,
) -> Result<Vec<Event>> {
    Ok(sqlx::query_as("SELECT id, type, data, created_at FROM events WHERE account_id = $1 AND ($2 = '' OR type = $2) ORDER BY created_at, id LIMIT $3")
        .bind(account_id.as_str())
        .bind(event_type)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// Appends one event of `event_type` per item of `data`, a few hundred rows per statement (for
/// bulk changes such as an import, where each user still gets its own event).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, n = data.len()))]
pub async fn insert_many(
    conn: &mut AnyConnection, account_id: &AccountId, event_type: &str, data: &[serde_json::Value], now: i64,
) -> Result<()> {
    const CHUNK: usize = 200;
    // One question for the whole batch: most accounts have no endpoint taking these events.
    let fan_out = !data.is_empty() && crate::webhooks::any_matching(conn, account_id, event_type).await?;
    for chunk in data.chunks(CHUNK) {
        let ids: Vec<String> = chunk.iter().map(|_| EventId::generate().as_str().to_owned()).collect();
        let mut sql = String::from("INSERT INTO events (id, account_id, type, data, created_at) VALUES ");
        for i in 0..chunk.len() {
            let p = i * 5;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(${}, ${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4, p + 5));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (d, id) in chunk.iter().zip(&ids) {
            q = q.bind(id.as_str()).bind(account_id.as_str()).bind(event_type).bind(d.to_string()).bind(now);
        }
        q.execute(&mut *conn).await?;
        if fan_out {
            crate::webhooks::fan_out_many(conn, account_id, &ids, event_type, now).await?;
        }
    }
    Ok(())
}
