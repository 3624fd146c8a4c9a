//! Licenses: one seat of one product assigned to one user.

use crate::Result;
use sqlx::AnyConnection;
use tenantry_domain::{AccountId, UserId};

/// The products users hold.
pub const HELD: crate::UserNames = crate::UserNames {
    table: "licenses",
    insert: "INSERT INTO licenses (account_id, user_id, product, assigned_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, product) DO NOTHING",
    delete: "DELETE FROM licenses WHERE user_id = $1 AND product = $2",
    of_users: "SELECT user_id, product FROM licenses WHERE account_id = $1 AND user_id IN ({ids}) ORDER BY product",
};

/// The products a user holds, by name.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn of_user(conn: &mut AnyConnection, user_id: &UserId) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT product FROM licenses WHERE user_id = $1 ORDER BY product")
        .bind(user_id.as_str())
        .fetch_all(conn)
        .await?)
}

/// How many licenses of each product the account has assigned.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn assigned_counts(conn: &mut AnyConnection, account_id: &AccountId) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as("SELECT product, COUNT(*) FROM licenses WHERE account_id = $1 GROUP BY product ORDER BY product")
        .bind(account_id.as_str())
        .fetch_all(conn)
        .await?)
}

/// How many licenses of `product` the account has assigned.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn assigned(conn: &mut AnyConnection, account_id: &AccountId, product: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM licenses WHERE account_id = $1 AND product = $2")
        .bind(account_id.as_str())
        .bind(product)
        .fetch_one(conn)
        .await?)
}

/// How many Administrators other than `except` hold at least one license.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, except_id = %except))]
pub async fn licensed_administrators_except(
    conn: &mut AnyConnection, account_id: &AccountId, except: &UserId,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM users u WHERE u.account_id = $1 AND u.role = 'administrator' AND u.id <> $2 \
         AND u.deactivated_at IS NULL AND EXISTS (SELECT 1 FROM licenses l WHERE l.user_id = u.id)",
    )
    .bind(account_id.as_str())
    .bind(except.as_str())
    .fetch_one(conn)
    .await?)
}

/// How many Administrators hold at least one license (deactivated ones do not count).
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn licensed_administrators(conn: &mut AnyConnection, account_id: &AccountId) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM users u WHERE u.account_id = $1 AND u.role = 'administrator' \
         AND u.deactivated_at IS NULL AND EXISTS (SELECT 1 FROM licenses l WHERE l.user_id = u.id)",
    )
    .bind(account_id.as_str())
    .fetch_one(conn)
    .await?)
}
