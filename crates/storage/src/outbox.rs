//! The durable outbox: messages are written in the same transaction as the change that causes them,
//! then claimed by workers. A claim is one atomic statement, so no two workers get the same message.

use crate::{Backend, Db, Result};
use sqlx::AnyConnection;

/// Queues a message (`kind` tells the worker how to send `payload`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn enqueue(
    conn: &mut AnyConnection, account_id: Option<&str>, kind: &str, payload: &str, now: i64,
) -> Result<String> {
    let id = format!("msg_{}", tenantry_domain::token::random_hex(12));
    sqlx::query("INSERT INTO outbox (id, account_id, kind, payload, status, attempts, run_at, created_at) VALUES ($1, $2, $3, $4, 'queued', 0, $5, $5)")
        .bind(&id)
        .bind(account_id)
        .bind(kind)
        .bind(payload)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(id)
}

/// A message a worker holds a lease on.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
}

// A due message is either queued and due, or running with a lease that ran out (its worker died).
// `status IN (…)` matches the partial index `outbox_claim_idx` (migration 0012) so the planner may
// use it. SQLite: the statement runs under the database's one write lock, so two workers never
// take the same row.
const CLAIM_SQLITE: &str = "UPDATE outbox SET status = 'running', locked_until = $1, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM outbox WHERE status IN ('queued', 'running') AND ((status = 'queued' AND run_at <= $2) OR (status = 'running' AND locked_until <= $2)) \
                  ORDER BY run_at LIMIT $3) \
     RETURNING id, kind, payload, attempts";
// PostgreSQL: SKIP LOCKED lets concurrent workers pass over each other's rows; the condition is
// re-checked on each locked row, so a message is never claimed twice.
const CLAIM_POSTGRES: &str = "WITH due AS (SELECT id FROM outbox WHERE status IN ('queued', 'running') \
       AND ((status = 'queued' AND run_at <= $2) OR (status = 'running' AND locked_until <= $2)) \
       ORDER BY run_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
     UPDATE outbox o SET status = 'running', locked_until = $1, attempts = o.attempts + 1 FROM due \
     WHERE o.id = due.id AND ((o.status = 'queued' AND o.run_at <= $2) OR (o.status = 'running' AND o.locked_until <= $2)) \
     RETURNING o.id, o.kind, o.payload, o.attempts";

/// Claims up to `limit` due messages, oldest first, for `lease_ms`, in one statement.
#[tracing::instrument(level = "debug", skip_all, fields(limit))]
pub async fn claim(db: &Db, now: i64, lease_ms: i64, limit: usize) -> Result<Vec<Claimed>> {
    let sql = match db.backend() {
        Backend::Sqlite => CLAIM_SQLITE,
        Backend::Postgres => CLAIM_POSTGRES,
    };
    let mut conn = db.conn().await?;
    Ok(sqlx::query_as(sql)
        .bind(now + lease_ms)
        .bind(now)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *conn)
        .await?)
}

/// Marks messages delivered in one statement, erasing their payloads (see [`mark_sent`]).
#[tracing::instrument(level = "debug", skip_all, fields(n = ids.len()))]
pub async fn mark_sent_many(db: &Db, ids: &[String], now: i64) -> Result<()> {
    for chunk in ids.chunks(500) {
        let sql = format!(
            "UPDATE outbox SET status = 'sent', sent_at = $1, locked_until = NULL, last_error = NULL, payload = '' WHERE id IN ({})",
            crate::placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
        for id in chunk {
            q = q.bind(id);
        }
        let mut conn = db.conn().await?;
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Hands claimed messages back untouched (a worker stopping before it could send them): queued
/// again at once, the claim's attempt not counted.
#[tracing::instrument(level = "debug", skip_all, fields(n = ids.len()))]
pub async fn release(db: &Db, ids: &[String]) -> Result<u64> {
    let mut released = 0;
    for chunk in ids.chunks(500) {
        let sql = format!(
            "UPDATE outbox SET status = 'queued', locked_until = NULL, attempts = attempts - 1 \
             WHERE status = 'running' AND id IN ({})",
            crate::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id);
        }
        let mut conn = db.conn().await?;
        released += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(released)
}

/// Marks a message delivered and erases its payload: an email body may hold a sign-in link,
/// and secrets must not outlive their delivery in the database.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_sent(db: &Db, id: &str, now: i64) -> Result<()> {
    let mut conn = db.conn().await?;
    sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $1, locked_until = NULL, last_error = NULL, payload = '' WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records a failed attempt: queued again at `retry_at`, or dead when `retry_at` is `None`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_failed(db: &Db, id: &str, error: &str, retry_at: Option<i64>) -> Result<()> {
    let mut conn = db.conn().await?;
    let (status, run_at) = match retry_at {
        Some(t) => ("queued", Some(t)),
        None => ("dead", None),
    };
    sqlx::query("UPDATE outbox SET status = $1, run_at = COALESCE($2, run_at), locked_until = NULL, last_error = $3 WHERE id = $4")
        .bind(status)
        .bind(run_at)
        .bind(error)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How many messages still hold a payload in `status`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn payloads_kept(db: &Db, status: &str) -> Result<i64> {
    let mut conn = db.conn().await?;
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = $1 AND payload <> ''")
        .bind(status)
        .fetch_one(&mut *conn)
        .await?)
}

/// How many messages are in each state (for metrics and tests).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>> {
    let mut conn = db.conn().await?;
    Ok(sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status")
        .fetch_all(&mut *conn)
        .await?)
}
