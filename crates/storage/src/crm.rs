//! The account's CRM connection: one row per account (`crm_connections`). Credentials are stored
//! only sealed (`credentials_sealed`, see `tenantry_app::secrets`); this module never sees them
//! in the clear.

use crate::{Result, StoreError};
use sqlx::AnyConnection;
use tenantry_domain::AccountId;

/// A connection as stored. No `Debug`: the sealed credentials stay out of every log line.
#[derive(Clone, sqlx::FromRow)]
pub struct CrmRow {
    pub provider: String,
    pub base_url: Option<String>,
    pub credentials_sealed: Option<String>,
    /// JSON object: contact-field key → CRM field name.
    pub field_mapping: String,
    pub status: String,
    pub last_error: Option<String>,
    pub connected_at: i64,
    pub last_tested_at: Option<i64>,
    pub last_sync_at: Option<i64>,
    pub updated_at: i64,
}

/// What a save writes.
pub struct CrmSave<'a> {
    pub provider: &'a str,
    pub base_url: Option<&'a str>,
    pub credentials_sealed: Option<&'a str>,
    pub field_mapping: &'a str,
}

const COLUMNS: &str = "provider, base_url, credentials_sealed, field_mapping, status, last_error, connected_at, \
                       last_tested_at, last_sync_at, updated_at";

/// The account's connection, if it has one.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn get(conn: &mut AnyConnection, account_id: &AccountId) -> Result<Option<CrmRow>> {
    let sql = format!("SELECT {COLUMNS} FROM crm_connections WHERE account_id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id.as_str()).fetch_optional(conn).await?)
}

/// Creates or replaces the connection; it becomes `untested` and keeps its first `connected_at`
/// and its test and sync times.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn save(conn: &mut AnyConnection, account_id: &AccountId, c: &CrmSave<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO crm_connections (account_id, provider, base_url, credentials_sealed, field_mapping, status, \
         last_error, connected_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'untested', NULL, $6, $6) \
         ON CONFLICT (account_id) DO UPDATE SET provider = excluded.provider, base_url = excluded.base_url, \
         credentials_sealed = excluded.credentials_sealed, field_mapping = excluded.field_mapping, \
         status = 'untested', last_error = NULL, updated_at = excluded.updated_at",
    )
    .bind(account_id.as_str())
    .bind(c.provider)
    .bind(c.base_url.map(str::to_owned))
    .bind(c.credentials_sealed.map(str::to_owned))
    .bind(c.field_mapping)
    .bind(now)
    .execute(conn)
    .await
    .map_err(StoreError::classify)?;
    Ok(())
}

/// Records the result of a connection test.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn record_test(
    conn: &mut AnyConnection, account_id: &AccountId, status: &str, last_error: Option<&str>, now: i64,
) -> Result<bool> {
    crate::changed_one(
        conn,
        sqlx::query(
            "UPDATE crm_connections SET status = $1, last_error = $2, last_tested_at = $3, updated_at = $3 \
             WHERE account_id = $4",
        )
        .bind(status)
        .bind(last_error.map(str::to_owned))
        .bind(now)
        .bind(account_id.as_str()),
    )
    .await
}

/// Deletes the connection and its credentials; `false` when there was none.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn delete(conn: &mut AnyConnection, account_id: &AccountId) -> Result<bool> {
    crate::changed_one(conn, sqlx::query("DELETE FROM crm_connections WHERE account_id = $1").bind(account_id.as_str()))
        .await
}

/// The account's custom contact fields as `(key, label)`, in their order (the built-in fields
/// are not stored).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn custom_contact_fields(conn: &mut AnyConnection, account_id: &AccountId) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as("SELECT key, label FROM contact_fields WHERE account_id = $1 ORDER BY position, key")
        .bind(account_id.as_str())
        .fetch_all(conn)
        .await?)
}
