//! Tables that keep names per user with the same shape (`account_id`, `user_id`, a name, a time):
//! licenses (product names) and user integrations (what a user connected). One set of statements
//! serves both; each module names its table and columns.

use crate::Result;
use sqlx::AnyConnection;
use std::collections::HashMap;
use tenantry_domain::{AccountId, UserId};

/// The statements of one such table.
pub struct UserNames {
    /// The table, for traces.
    pub table: &'static str,
    /// `$1` account, `$2` user, `$3` name, `$4` time; does nothing when the pair exists.
    pub insert: &'static str,
    /// `$1` user, `$2` name.
    pub delete: &'static str,
    /// `$1` account, `{ids}` the users; answers (user id, name) rows by name.
    pub of_users: &'static str,
}

impl UserNames {
    /// Records `name` for a user; `false` when it was already there.
    #[tracing::instrument(level = "debug", skip_all, fields(table = self.table, user_id = %user_id))]
    pub async fn insert(
        &self, conn: &mut AnyConnection, account_id: &AccountId, user_id: &UserId, name: &str, now: i64,
    ) -> Result<bool> {
        let q = sqlx::query(self.insert).bind(account_id.as_str()).bind(user_id.as_str()).bind(name).bind(now);
        Ok(q.execute(conn).await?.rows_affected() == 1)
    }

    /// Removes `name` of a user; `false` when it was not there.
    #[tracing::instrument(level = "debug", skip_all, fields(table = self.table, user_id = %user_id))]
    pub async fn delete(&self, conn: &mut AnyConnection, user_id: &UserId, name: &str) -> Result<bool> {
        Ok(sqlx::query(self.delete).bind(user_id.as_str()).bind(name).execute(conn).await?.rows_affected() == 1)
    }

    /// The names of each of `users` (users of `account_id` only), by user id.
    #[tracing::instrument(level = "debug", skip_all, fields(table = self.table, account_id = %account_id))]
    pub async fn of_users(
        &self, conn: &mut AnyConnection, account_id: &AccountId, users: &[&UserId],
    ) -> Result<HashMap<String, Vec<String>>> {
        let rows: Vec<(String, String)> = crate::fetch_for_ids(conn, self.of_users, account_id, users).await?;
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (user, name) in rows {
            map.entry(user).or_default().push(name);
        }
        Ok(map)
    }
}
