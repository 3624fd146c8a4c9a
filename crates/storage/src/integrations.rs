//! What users have connected in products (a calendar, a CRM), as products report it.

use crate::Result;
use sqlx::AnyConnection;
use std::collections::HashMap;
use tenantry_domain::{AccountId, UserId};

/// Records that a user connected `name`; `false` when it was already recorded.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id, user_id = %user_id))]
pub async fn insert(
    conn: &mut AnyConnection, account_id: &AccountId, user_id: &UserId, name: &str, now: i64,
) -> Result<bool> {
    let done =
        sqlx::query("INSERT INTO user_integrations (user_id, account_id, name, connected_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, name) DO NOTHING")
            .bind(user_id.as_str())
            .bind(account_id.as_str())
            .bind(name)
            .bind(now)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets a connection; `false` when there was none.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
pub async fn delete(conn: &mut AnyConnection, user_id: &UserId, name: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM user_integrations WHERE user_id = $1 AND name = $2")
        .bind(user_id.as_str())
        .bind(name)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What each of `users` (of `account_id`) has connected.
#[tracing::instrument(level = "debug", skip_all, fields(account_id = %account_id))]
pub async fn of_users(
    conn: &mut AnyConnection, account_id: &AccountId, users: &[&UserId],
) -> Result<HashMap<String, Vec<String>>> {
    let rows: Vec<(String, String)> = crate::fetch_for_ids(
        conn,
        "SELECT user_id, name FROM user_integrations WHERE account_id = $1 AND user_id IN ({ids}) ORDER BY name",
        account_id,
        users,
    )
    .await?;
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (user, name) in rows {
        map.entry(user).or_default().push(name);
    }
    Ok(map)
}
