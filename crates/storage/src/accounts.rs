//! Accounts (customer organizations).

use crate::{Result, StoreError};
use sqlx::AnyConnection;
use tenantry_domain::{AccountId, AccountName};

/// An account as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub compliance_bcc_email: Option<String>,
    pub partner_referral_code: Option<String>,
    pub created_at: i64,
}

/// Creates an account.
pub async fn insert(conn: &mut AnyConnection, id: &AccountId, name: &AccountName, now: i64) -> Result<()> {
    sqlx::query("INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(id.as_str())
        .bind(name.as_str())
        .bind(now)
        .execute(conn)
        .await
        .map_err(StoreError::classify)?;
    Ok(())
}

/// Reads one account.
pub async fn get(conn: &mut AnyConnection, id: &AccountId) -> Result<Option<Account>> {
    Ok(sqlx::query_as("SELECT id, name, compliance_bcc_email, partner_referral_code, created_at FROM accounts WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?)
}
