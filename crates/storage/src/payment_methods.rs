//! Payment methods: a payment provider's token plus what may be shown of the card. While any
//! exist, exactly one is the default (a partial unique index keeps it at most one).

use crate::Result;
use sqlx::AnyConnection;

/// A payment method as stored.
#[derive(Debug, Clone)]
pub struct PaymentMethod {
    pub id: String,
    pub provider_token: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
    pub is_default: bool,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    provider_token: String,
    brand: String,
    last4: String,
    exp_month: i64,
    exp_year: i64,
    is_default: i64,
    created_at: i64,
}

impl From<Row> for PaymentMethod {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            provider_token: r.provider_token,
            brand: r.brand,
            last4: r.last4,
            exp_month: r.exp_month,
            exp_year: r.exp_year,
            is_default: r.is_default != 0,
            created_at: r.created_at,
        }
    }
}

const COLUMNS: &str = "id, provider_token, brand, last4, exp_month, exp_year, is_default, created_at";

/// A payment method to store.
pub struct NewPaymentMethod<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub provider_token: &'a str,
    pub brand: &'a str,
    pub last4: &'a str,
    pub exp_month: i64,
    pub exp_year: i64,
    pub now: i64,
}

/// The account's payment methods, newest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(conn: &mut AnyConnection, account_id: &str) -> Result<Vec<PaymentMethod>> {
    let sql = format!("SELECT {COLUMNS} FROM payment_methods WHERE account_id = $1 ORDER BY created_at DESC, id DESC");
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id).fetch_all(conn).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// One of the account's payment methods.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(conn: &mut AnyConnection, account_id: &str, id: &str) -> Result<Option<PaymentMethod>> {
    let sql = format!("SELECT {COLUMNS} FROM payment_methods WHERE account_id = $1 AND id = $2");
    let row: Option<Row> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id).bind(id).fetch_optional(conn).await?;
    Ok(row.map(Into::into))
}

/// How many payment methods the account has.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn count(conn: &mut AnyConnection, account_id: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM payment_methods WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(conn)
        .await?)
}

/// Stores a payment method, not the default.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(conn: &mut AnyConnection, m: &NewPaymentMethod<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO payment_methods (id, account_id, provider_token, brand, last4, exp_month, exp_year, is_default, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8)",
    )
    .bind(m.id)
    .bind(m.account_id)
    .bind(m.provider_token)
    .bind(m.brand)
    .bind(m.last4)
    .bind(m.exp_month)
    .bind(m.exp_year)
    .bind(m.now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes `id` the account's default (and no other); `false` when it is not the account's.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn make_default(conn: &mut AnyConnection, account_id: &str, id: &str) -> Result<bool> {
    sqlx::query("UPDATE payment_methods SET is_default = 0 WHERE account_id = $1 AND is_default = 1 AND id <> $2")
        .bind(account_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    crate::changed_one(
        conn,
        sqlx::query("UPDATE payment_methods SET is_default = 1 WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(id),
    )
    .await
}

/// Deletes one; `false` when it is not the account's.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(conn: &mut AnyConnection, account_id: &str, id: &str) -> Result<bool> {
    crate::changed_one(
        conn,
        sqlx::query("DELETE FROM payment_methods WHERE account_id = $1 AND id = $2").bind(account_id).bind(id),
    )
    .await
}
