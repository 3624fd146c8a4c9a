//! Accounts (customer organizations).

use crate::{Result, StoreError};
use sqlx::AnyConnection;
use tenantry_domain::{AccountId, AccountName};

/// An account as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Account {
    #[sqlx(try_from = "String")]
    pub id: AccountId,
    #[sqlx(try_from = "String")]
    pub name: AccountName,
    pub compliance_bcc_email: Option<String>,
    pub partner_referral_code: Option<String>,
    pub created_at: i64,
}

/// Creates an account.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %id))]
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
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %id))]
pub async fn get(conn: &mut AnyConnection, id: &AccountId) -> Result<Option<Account>> {
    Ok(sqlx::query_as(
        "SELECT id, name, compliance_bcc_email, partner_referral_code, created_at FROM accounts WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?)
}

/// Takes the account's row lock for the rest of the transaction, so concurrent changes that check
/// an account-wide rule (last Administrator, seats) run one after another. Portable: a no-op update
/// locks the row on PostgreSQL; SQLite transactions already hold the write lock.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %id))]
pub async fn lock(conn: &mut AnyConnection, id: &AccountId) -> Result<bool> {
    crate::changed_one(conn, sqlx::query("UPDATE accounts SET id = id WHERE id = $1").bind(id.as_str())).await
}

/// Deletes an account; every row that names it goes with it (foreign keys cascade).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %id))]
pub async fn delete(conn: &mut AnyConnection, id: &AccountId) -> Result<bool> {
    crate::changed_one(conn, sqlx::query("DELETE FROM accounts WHERE id = $1").bind(id.as_str())).await
}

/// The fields an account change may set; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct AccountChange<'a> {
    pub name: Option<&'a AccountName>,
    /// `Some(None)` clears it.
    pub compliance_bcc_email: Option<Option<&'a str>>,
    /// `Some(None)` clears it.
    pub partner_referral_code: Option<Option<&'a str>>,
}

/// Applies an account change.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %id))]
pub async fn update(conn: &mut AnyConnection, id: &AccountId, c: &AccountChange<'_>) -> Result<bool> {
    crate::changed_one(
        conn,
        sqlx::query(
            "UPDATE accounts SET name = COALESCE($1, name), \
             compliance_bcc_email = CASE WHEN $2 = 1 THEN $3 ELSE compliance_bcc_email END, \
             partner_referral_code = CASE WHEN $4 = 1 THEN $5 ELSE partner_referral_code END WHERE id = $6",
        )
        .bind(c.name.map(|n| n.as_str().to_owned()))
        .bind(crate::flag(c.compliance_bcc_email.is_some()))
        .bind(c.compliance_bcc_email.flatten().map(str::to_owned))
        .bind(crate::flag(c.partner_referral_code.is_some()))
        .bind(c.partner_referral_code.flatten().map(str::to_owned))
        .bind(id.as_str()),
    )
    .await
}
