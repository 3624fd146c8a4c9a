//! The account's chatbot and form privacy document: one `account_documents` row of kind
//! `privacy`, its body the JSON document; an account without the row has the empty document.

use crate::Result;
use sqlx::AnyConnection;
use tenantry_domain::AccountId;

/// The stored privacy document (JSON text), if one was ever saved.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn get(conn: &mut AnyConnection, account_id: &AccountId) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT body FROM account_documents WHERE account_id = $1 AND kind = 'privacy'")
        .bind(account_id.as_str())
        .fetch_optional(conn)
        .await?)
}

/// Replaces the privacy document.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn put(conn: &mut AnyConnection, account_id: &AccountId, body: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_documents (account_id, kind, body, updated_at) VALUES ($1, 'privacy', $2, $3) \
         ON CONFLICT (account_id, kind) DO UPDATE SET body = $2, updated_at = $3",
    )
    .bind(account_id.as_str())
    .bind(body.to_owned())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
