//! The account's compliance document (DPO, EU representative, breach-notification emails, records
//! of processing), kept whole as JSON in `account_documents` under the kind `compliance`.

use crate::Result;
use sqlx::AnyConnection;
use tenantry_domain::AccountId;

const KIND: &str = "compliance";

/// The stored JSON body, if the document was ever saved.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn get(conn: &mut AnyConnection, account_id: &AccountId) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT body FROM account_documents WHERE account_id = $1 AND kind = $2")
        .bind(account_id.as_str())
        .bind(KIND)
        .fetch_optional(conn)
        .await?)
}

/// Replaces the document with `body` (JSON).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn put(conn: &mut AnyConnection, account_id: &AccountId, body: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_documents (account_id, kind, body, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, kind) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(account_id.as_str())
    .bind(KIND)
    .bind(body)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
