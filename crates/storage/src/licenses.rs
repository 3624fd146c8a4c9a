//! Licenses: one seat of one product assigned to one user.

use crate::Result;
use sqlx::AnyConnection;
use std::collections::HashMap;
use tenantry_domain::{AccountId, UserId};

/// Assigns `product` to a user; `false` when they already hold it.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, user_id = %user_id))]
pub async fn insert(
    conn: &mut AnyConnection, account_id: &AccountId, user_id: &UserId, product: &str, now: i64,
) -> Result<bool> {
    let done =
        sqlx::query("INSERT INTO licenses (account_id, user_id, product, assigned_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, product) DO NOTHING")
            .bind(account_id.as_str())
            .bind(user_id.as_str())
            .bind(product)
            .bind(now)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Unassigns `product` from a user; `false` when they did not hold it.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn delete(conn: &mut AnyConnection, user_id: &UserId, product: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM licenses WHERE user_id = $1 AND product = $2")
        .bind(user_id.as_str())
        .bind(product)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The products a user holds, by name.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn of_user(conn: &mut AnyConnection, user_id: &UserId) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT product FROM licenses WHERE user_id = $1 ORDER BY product")
        .bind(user_id.as_str())
        .fetch_all(conn)
        .await?)
}

/// The products each of `users` holds (users of `account_id` only), by product name.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn of_users(
    conn: &mut AnyConnection, account_id: &AccountId, users: &[&UserId],
) -> Result<HashMap<String, Vec<String>>> {
    let rows: Vec<(String, String)> = crate::fetch_for_ids(
        conn,
        "SELECT user_id, product FROM licenses WHERE account_id = $1 AND user_id IN ({ids}) ORDER BY product",
        account_id,
        users,
    )
    .await?;
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (user, product) in rows {
        map.entry(user).or_default().push(product);
    }
    Ok(map)
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
         AND EXISTS (SELECT 1 FROM licenses l WHERE l.user_id = u.id)",
    )
    .bind(account_id.as_str())
    .bind(except.as_str())
    .fetch_one(conn)
    .await?)
}

/// How many Administrators hold at least one license.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn licensed_administrators(conn: &mut AnyConnection, account_id: &AccountId) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM users u WHERE u.account_id = $1 AND u.role = 'administrator' \
         AND EXISTS (SELECT 1 FROM licenses l WHERE l.user_id = u.id)",
    )
    .bind(account_id.as_str())
    .fetch_one(conn)
    .await?)
}
