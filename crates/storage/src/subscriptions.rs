//! An account's subscription: plan, status, billing-cycle start and seats per product.

use crate::{Result, StoreError};
use sqlx::AnyConnection;
use tenantry_domain::{AccountId, SubscriptionStatus};

/// A subscription as stored; `seats` lists products with purchased seats (absent = none).
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub plan: String,
    pub status: SubscriptionStatus,
    pub cycle_start: i64,
    pub seats: Vec<(String, i64)>,
}

impl Subscription {
    /// Seats purchased of `product`.
    pub fn purchased(&self, product: &str) -> i64 {
        self.seats.iter().find(|(p, _)| p == product).map(|(_, n)| *n).unwrap_or(0)
    }
}

/// Creates the subscription of a new account.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn insert(
    conn: &mut AnyConnection, account_id: &AccountId, plan: &str, status: SubscriptionStatus, seats: &[(&str, i64)],
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO subscriptions (account_id, plan, status, cycle_start, updated_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(account_id.as_str())
    .bind(plan)
    .bind(status.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    for (product, n) in seats {
        set_seats(conn, account_id, product, *n).await?;
    }
    Ok(())
}

/// The account's subscription.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn get(conn: &mut AnyConnection, account_id: &AccountId) -> Result<Option<Subscription>> {
    let row: Option<(String, String, i64)> =
        sqlx::query_as("SELECT plan, status, cycle_start FROM subscriptions WHERE account_id = $1")
            .bind(account_id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    let Some((plan, status, cycle_start)) = row else { return Ok(None) };
    let status = status
        .parse()
        .map_err(|_| StoreError::Database(sqlx::Error::Decode("subscriptions.status holds an unknown value".into())))?;
    let seats =
        sqlx::query_as("SELECT product, purchased FROM subscription_seats WHERE account_id = $1 ORDER BY product")
            .bind(account_id.as_str())
            .fetch_all(&mut *conn)
            .await?;
    Ok(Some(Subscription { plan, status, cycle_start, seats }))
}

/// Changes plan, status and cycle start.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn update(
    conn: &mut AnyConnection, account_id: &AccountId, plan: &str, status: SubscriptionStatus, cycle_start: i64,
    now: i64,
) -> Result<bool> {
    crate::changed_one(
        conn,
        sqlx::query(
            "UPDATE subscriptions SET plan = $1, status = $2, cycle_start = $3, updated_at = $4 WHERE account_id = $5",
        )
        .bind(plan)
        .bind(status.as_str())
        .bind(cycle_start)
        .bind(now)
        .bind(account_id.as_str()),
    )
    .await
}

/// Sets the purchased seats of one product.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn set_seats(conn: &mut AnyConnection, account_id: &AccountId, product: &str, purchased: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO subscription_seats (account_id, product, purchased) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id, product) DO UPDATE SET purchased = excluded.purchased",
    )
    .bind(account_id.as_str())
    .bind(product)
    .bind(purchased)
    .execute(conn)
    .await?;
    Ok(())
}

/// One account as the operator sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountSummary {
    pub id: String,
    pub name: String,
    pub plan: String,
    pub status: String,
    pub users: i64,
    pub created_at: i64,
}

/// Accounts by creation, after the keyset position `after` (created_at, id).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_accounts(
    conn: &mut AnyConnection, after: Option<(i64, String)>, limit: i64,
) -> Result<Vec<AccountSummary>> {
    let (at, id) = after.clone().unwrap_or_default();
    Ok(sqlx::query_as(
        "SELECT a.id, a.name, COALESCE(s.plan, 'trial') AS plan, COALESCE(s.status, 'trial') AS status, \
         (SELECT COUNT(*) FROM users u WHERE u.account_id = a.id) AS users, a.created_at \
         FROM accounts a LEFT JOIN subscriptions s ON s.account_id = a.id \
         WHERE ($1 = 0 OR a.created_at > $2 OR (a.created_at = $2 AND a.id > $3)) ORDER BY a.created_at, a.id LIMIT $4",
    )
    .bind(crate::flag(after.is_some()))
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
