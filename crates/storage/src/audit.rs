//! The audit log: who changed what, when and from where, written in the changing transaction.

use crate::Result;
use sqlx::AnyConnection;
use tenantry_domain::{AccountId, AuditEventId};

/// What one audit event records.
#[derive(Debug)]
pub struct NewAuditEvent<'a> {
    pub account_id: &'a AccountId,
    /// The user who acted; `None` for the system or the operator.
    pub actor_id: Option<&'a str>,
    /// What happened, e.g. `license.assigned`.
    pub action: &'a str,
    /// What kind of object it happened to, e.g. `user`.
    pub target_type: &'a str,
    pub target_id: Option<&'a str>,
    /// The object before and after, as JSON (secrets never included).
    pub before: Option<&'a serde_json::Value>,
    pub after: Option<&'a serde_json::Value>,
    pub ip: Option<&'a str>,
    pub now: i64,
}

/// Appends an event.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(conn: &mut AnyConnection, e: &NewAuditEvent<'_>) -> Result<AuditEventId> {
    let id = AuditEventId::generate();
    sqlx::query(
        "INSERT INTO audit_events (id, account_id, actor_id, action, target_type, target_id, before_json, after_json, ip, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id.as_str())
    .bind(e.account_id.as_str())
    .bind(e.actor_id)
    .bind(e.action)
    .bind(e.target_type)
    .bind(e.target_id)
    .bind(e.before.map(serde_json::Value::to_string))
    .bind(e.after.map(serde_json::Value::to_string))
    .bind(e.ip)
    .bind(e.now)
    .execute(conn)
    .await?;
    Ok(id)
}

/// An audit event as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub ip: Option<String>,
    pub created_at: i64,
}

/// Filters and position for one page of the log, newest first.
#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    pub actor_id: Option<String>,
    pub action: Option<String>,
    /// Only events at or after this time (Unix ms).
    pub since: Option<i64>,
    /// Only events before this time (Unix ms).
    pub until: Option<i64>,
    /// Only events about this target.
    pub target_id: Option<String>,
    /// Keyset position: time and id of the last event of the previous page.
    pub before: Option<(i64, String)>,
    pub limit: i64,
}

/// The columns of [`AuditEvent`], from `audit_events` aliased `e`.
macro_rules! event_columns {
    () => {
        "e.id, e.actor_id, e.action, e.target_type, e.target_id, e.before_json, e.after_json, e.ip, e.created_at"
    };
}

/// The filters and keyset position of a page, newest first (walks `audit_events_account_idx`).
macro_rules! page_where {
    () => {
        " WHERE e.account_id = $1 AND ($2 = '' OR e.actor_id = $2) AND ($3 = '' OR e.action = $3) \
          AND e.created_at >= $4 AND e.created_at < $5 AND ($6 = '' OR e.target_id = $6) \
          AND ($7 = 0 OR e.created_at < $8 OR (e.created_at = $8 AND e.id < $9)) \
          ORDER BY e.created_at DESC, e.id DESC LIMIT $10"
    };
}

const LIST: &str = concat!("SELECT ", event_columns!(), " FROM audit_events e", page_where!());

/// The same page with the names of the people in it: the actor's name and email, and the name of a
/// user the event is about (none when the user no longer exists).
const LIST_NAMED: &str = concat!(
    "SELECT ",
    event_columns!(),
    ", a.name AS actor_name, a.email AS actor_email, t.name AS target_name FROM audit_events e \
     LEFT JOIN users a ON a.id = e.actor_id AND a.account_id = e.account_id \
     LEFT JOIN users t ON e.target_type = 'user' AND t.id = e.target_id AND t.account_id = e.account_id",
    page_where!()
);

/// `sql` (one of the two page queries) with the filters bound.
fn page_query<'q, O>(
    sql: &'static str, account_id: &'q AccountId, q: &'q AuditQuery,
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>
where
    O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    let (before_at, before_id) = q.before.clone().unwrap_or_default();
    sqlx::query_as(sql)
        .bind(account_id.as_str())
        .bind(q.actor_id.as_deref().unwrap_or(""))
        .bind(q.action.as_deref().unwrap_or(""))
        .bind(q.since.unwrap_or(i64::MIN))
        .bind(q.until.unwrap_or(i64::MAX))
        .bind(q.target_id.as_deref().unwrap_or(""))
        .bind(crate::flag(q.before.is_some()))
        .bind(before_at)
        .bind(before_id)
        .bind(q.limit)
}

/// One page of an account's log, newest first.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn list(conn: &mut AnyConnection, account_id: &AccountId, q: &AuditQuery) -> Result<Vec<AuditEvent>> {
    Ok(page_query(LIST, account_id, q).fetch_all(conn).await?)
}

/// An audit event with the names of the people it involves.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NamedAuditEvent {
    #[sqlx(flatten)]
    pub event: AuditEvent,
    /// The actor's name and email, while they are a user of the account.
    pub actor_name: Option<String>,
    pub actor_email: Option<String>,
    /// The name of the user the event is about, while they are a user of the account.
    pub target_name: Option<String>,
}

/// One page of an account's log, newest first, with names (see [`NamedAuditEvent`]).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn list_named(
    conn: &mut AnyConnection, account_id: &AccountId, q: &AuditQuery,
) -> Result<Vec<NamedAuditEvent>> {
    Ok(page_query(LIST_NAMED, account_id, q).fetch_all(conn).await?)
}

/// Every event a user made or that is about them, newest first (at most `limit`).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn about_user(
    conn: &mut AnyConnection, account_id: &AccountId, user_id: &str, limit: i64,
) -> Result<Vec<AuditEvent>> {
    Ok(sqlx::query_as(
        "SELECT id, actor_id, action, target_type, target_id, before_json, after_json, ip, created_at FROM audit_events \
         WHERE account_id = $1 AND (actor_id = $2 OR target_id = $2) ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(account_id.as_str())
    .bind(user_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
