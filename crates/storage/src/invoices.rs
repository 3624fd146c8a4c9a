//! Invoices, numbered from one installation-wide sequence without gaps: the number is taken by
//! one upsert of the sequence row in the invoice's own transaction, so concurrent
//! creators queue on that row and a rolled-back invoice gives its number back.

use crate::{Result, StoreError};
use sqlx::AnyConnection;
use tenantry_domain::invoice::Line;

/// An invoice as stored.
#[derive(Debug, Clone)]
pub struct Invoice {
    pub id: String,
    pub account_id: String,
    pub number: i64,
    pub status: String,
    pub currency: String,
    pub lines: Vec<Line>,
    pub subtotal: i64,
    pub tax_rate_basis_points: i64,
    pub tax: i64,
    pub total: i64,
    pub issued_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    account_id: String,
    number: i64,
    status: String,
    currency: String,
    lines: String,
    subtotal: i64,
    tax_rate_basis_points: i64,
    tax: i64,
    total: i64,
    issued_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for Invoice {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self> {
        let lines = serde_json::from_str(&r.lines).map_err(|_| StoreError::corrupt("invoices.lines"))?;
        Ok(Self {
            id: r.id,
            account_id: r.account_id,
            number: r.number,
            status: r.status,
            currency: r.currency,
            lines,
            subtotal: r.subtotal,
            tax_rate_basis_points: r.tax_rate_basis_points,
            tax: r.tax,
            total: r.total,
            issued_at: r.issued_at,
            updated_at: r.updated_at,
        })
    }
}

const COLUMNS: &str = "id, account_id, number, status, currency, lines, subtotal, tax_rate_basis_points, tax, total, issued_at, updated_at";

/// Takes the next invoice number (in the caller's transaction).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn next_number(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO invoice_sequence (id, last_number) VALUES (1, 1) \
         ON CONFLICT (id) DO UPDATE SET last_number = invoice_sequence.last_number + 1 RETURNING last_number",
    )
    .fetch_one(conn)
    .await?)
}

/// Stores an invoice.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(conn: &mut AnyConnection, i: &Invoice) -> Result<()> {
    let lines = serde_json::to_string(&i.lines).map_err(|_| StoreError::corrupt("invoice lines"))?;
    sqlx::query(
        "INSERT INTO invoices (id, account_id, number, status, currency, lines, subtotal, tax_rate_basis_points, tax, total, issued_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(&i.id)
    .bind(&i.account_id)
    .bind(i.number)
    .bind(&i.status)
    .bind(&i.currency)
    .bind(lines)
    .bind(i.subtotal)
    .bind(i.tax_rate_basis_points)
    .bind(i.tax)
    .bind(i.total)
    .bind(i.issued_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// An invoice of the account (`account_id` `None`: of any account, for the operator).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(conn: &mut AnyConnection, account_id: Option<&str>, id: &str) -> Result<Option<Invoice>> {
    let sql = format!("SELECT {COLUMNS} FROM invoices WHERE id = $1 AND ($2 = '' OR account_id = $2)");
    let row: Option<Row> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(account_id.unwrap_or("")).fetch_optional(conn).await?;
    row.map(Invoice::try_from).transpose()
}

/// The account's invoices, newest first, after the keyset position `before` (issued_at, id).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    conn: &mut AnyConnection, account_id: &str, before: Option<(i64, String)>, limit: i64,
) -> Result<Vec<Invoice>> {
    let (at, id) = before.clone().unwrap_or_default();
    let sql = format!(
        "SELECT {COLUMNS} FROM invoices WHERE account_id = $1 \
         AND ($2 = 0 OR issued_at < $3 OR (issued_at = $3 AND id < $4)) ORDER BY issued_at DESC, id DESC LIMIT $5"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .bind(crate::flag(before.is_some()))
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.into_iter().map(Invoice::try_from).collect()
}

/// Sets an invoice's status.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_status(conn: &mut AnyConnection, id: &str, status: &str, now: i64) -> Result<bool> {
    crate::changed_one(
        conn,
        sqlx::query("UPDATE invoices SET status = $2, updated_at = $3 WHERE id = $1").bind(id).bind(status).bind(now),
    )
    .await
}
