//! A user with what they hold (licenses, integrations) and the live chat teams they are in, as
//! every user-facing answer and the audit log show them.

use crate::Result;
use serde_json::json;
use tenantry_domain::{AccountId, UserId};
use tenantry_storage::chat_teams::{self, TeamRef};
use tenantry_storage::users::User;
use tenantry_storage::{Conn, integrations, licenses as license_rows};

/// A user with what they hold (licenses and integrations) and their live chat teams.
#[derive(Debug, Clone)]
pub struct UserDetail {
    pub user: User,
    /// Products whose license the user holds, by name.
    pub licenses: Vec<String>,
    /// What the user has connected in products.
    pub integrations: Vec<String>,
    /// The live chat teams the user is in, by name.
    pub chat_teams: Vec<TeamRef>,
}

/// Loads what `user` holds.
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn detail(conn: &mut Conn, user: User) -> Result<UserDetail> {
    let account_id = user.account_id.clone();
    details(conn, &account_id, vec![user]).await?.pop().ok_or_else(|| crate::Error::unexpected("no detail loaded"))
}

/// Loads what each of `users` holds, in three queries whatever their number.
pub async fn details(conn: &mut Conn, account_id: &AccountId, users: Vec<User>) -> Result<Vec<UserDetail>> {
    let ids: Vec<&UserId> = users.iter().map(|u| &u.id).collect();
    let mut licenses = license_rows::HELD.of_users(conn, account_id, &ids).await?;
    let mut integrations = integrations::CONNECTED.of_users(conn, account_id, &ids).await?;
    let mut teams = chat_teams::of_users(conn, account_id, &ids).await?;
    Ok(users
        .into_iter()
        .map(|user| {
            let key = user.id.as_str();
            UserDetail {
                licenses: licenses.remove(key).unwrap_or_default(),
                integrations: integrations.remove(key).unwrap_or_default(),
                chat_teams: teams.remove(key).unwrap_or_default(),
                user,
            }
        })
        .collect())
}

/// A user as the audit log records them (no secrets).
pub fn audit_view(u: &UserDetail) -> serde_json::Value {
    json!({
        "id": u.user.id.as_str(), "name": u.user.name, "email": u.user.email, "username": u.user.username,
        "role": u.user.role.as_str(), "status": u.user.status.as_str(), "timezone": u.user.timezone,
        "date_format": u.user.date_format.as_str(), "time_format": u.user.time_format.as_str(), "licenses": u.licenses,
        "preferences": u.user.preferences,
    })
}
