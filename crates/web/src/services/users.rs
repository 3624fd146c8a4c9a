//! Managing users (Administrators) and one's own profile (everyone).

use crate::error::{AppError, AppResult};
use crate::extract::AuthUser;
use crate::services::{invitations, wake_outbox};
use crate::state::AppState;
use base64::Engine as _;
use tenantry_domain::rules::ensure_an_administrator_remains;
use tenantry_domain::{AccountId, DateFormat, EmailAddress, PersonName, Role, TimeFormat, TimeZoneName, UserId, UserStatus, Username};
use tenantry_storage::users::{self, ListQuery, NewUser, ProfileChange, User};
use tenantry_storage::{Conn, accounts};

/// Most users one page of the list holds.
pub const MAX_PAGE: i64 = 200;

/// Filters for the users list, as received.
#[derive(Debug, Default, Clone)]
pub struct ListParams {
    pub q: Option<String>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// One page of users and the cursor of the next one.
pub struct Page {
    pub users: Vec<User>,
    pub next_cursor: Option<String>,
}

fn encode_cursor(name_sort: &str, id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::json!([name_sort, id]).to_string())
}

fn decode_cursor(cursor: &str) -> AppResult<(String, String)> {
    let bad = || AppError::BadField("cursor", "is not a cursor this API issued".to_owned());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    serde_json::from_slice::<(String, String)>(&bytes).map_err(|_| bad())
}

/// A page of the account's users sorted by name (keyset pagination).
pub async fn list(state: &AppState, account_id: &AccountId, params: ListParams) -> AppResult<Page> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::invalid("limit", format!("must be between 1 and {MAX_PAGE}")));
    }
    let after = params.cursor.as_deref().filter(|c| !c.is_empty()).map(decode_cursor).transpose()?;
    let query = ListQuery { q: params.q, role: params.role, status: params.status, after, limit: limit + 1 };
    let mut conn = state.db.conn().await?;
    let mut rows = users::list(&mut conn, state.db.backend(), account_id, &query).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = if more { rows.last().map(|(u, sort)| encode_cursor(sort, u.id.as_str())) } else { None };
    Ok(Page { users: rows.into_iter().map(|(u, _)| u).collect(), next_cursor })
}

/// A valid invitation.
pub struct Invite {
    pub email: EmailAddress,
    pub name: PersonName,
    pub role: Role,
}

/// Adds an invited user and queues their invitation email, in one transaction.
pub async fn invite(state: &AppState, admin: &AuthUser, input: Invite) -> AppResult<User> {
    let now = state.now();
    let account_id = &admin.user.account_id;
    let user_id = UserId::generate();
    let mut tx = state.db.begin().await?;
    let account = accounts::get(&mut tx, account_id).await?.ok_or(AppError::NotFound)?;
    users::insert(
        &mut tx,
        NewUser { id: &user_id, account_id, email: &input.email, name: &input.name, role: input.role, status: UserStatus::Invited, password_hash: None, now },
    )
    .await?;
    let user = users::get(&mut tx, account_id, &user_id).await?.ok_or(AppError::NotFound)?;
    invitations::issue(state, &mut tx, &user, &account.name, Some(&admin.user.name), now).await?;
    tenantry_storage::commit(tx).await?;
    wake_outbox(state);
    Ok(user)
}

/// One user of the admin's account; others' users are 404.
pub async fn get(state: &AppState, account_id: &AccountId, id: &str) -> AppResult<User> {
    let id = UserId::parse(id).ok_or(AppError::NotFound)?;
    let mut conn = state.db.conn().await?;
    users::get(&mut conn, account_id, &id).await?.ok_or(AppError::NotFound)
}

/// A valid profile change; `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct ProfilePatch {
    pub name: Option<PersonName>,
    /// `Some(None)` clears the username.
    pub username: Option<Option<Username>>,
    pub timezone: Option<TimeZoneName>,
    pub date_format: Option<DateFormat>,
    pub time_format: Option<TimeFormat>,
    /// Only Administrators may set this, and only on others' records through the users API.
    pub role: Option<Role>,
}

/// Applies a change to a user of `account_id`, refusing to demote the last Administrator.
async fn apply(conn: &mut Conn, account_id: &AccountId, id: &UserId, patch: &ProfilePatch, now: i64) -> AppResult<User> {
    let current = users::get(conn, account_id, id).await?.ok_or(AppError::NotFound)?;
    if current.role == Role::Administrator && patch.role == Some(Role::Member) {
        let admins = users::count_administrators(conn, account_id).await?;
        ensure_an_administrator_remains(admins - 1).map_err(|e| AppError::conflict(e.to_string()))?;
    }
    let change = ProfileChange {
        name: patch.name.as_ref(),
        username: patch.username.as_ref().map(Option::as_ref),
        timezone: patch.timezone.as_ref().map(TimeZoneName::as_str),
        date_format: patch.date_format,
        time_format: patch.time_format,
        role: patch.role,
    };
    users::update_profile(conn, account_id, id, &change, now).await?;
    users::get(conn, account_id, id).await?.ok_or(AppError::NotFound)
}

/// An Administrator changes a user of their account.
pub async fn update(state: &AppState, admin: &AuthUser, id: &str, patch: ProfilePatch) -> AppResult<User> {
    let id = UserId::parse(id).ok_or(AppError::NotFound)?;
    let account_id = &admin.user.account_id;
    let mut tx = state.db.begin().await?;
    // Serialises rule checks of one account across requests and nodes.
    accounts::lock(&mut tx, account_id).await?;
    let user = apply(&mut tx, account_id, &id, &patch, state.now()).await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(&id);
    Ok(user)
}

/// Anyone changes their own profile (never their role).
pub async fn update_me(state: &AppState, me: &AuthUser, mut patch: ProfilePatch) -> AppResult<User> {
    patch.role = None;
    let mut tx = state.db.begin().await?;
    let user = apply(&mut tx, &me.user.account_id, &me.user.id, &patch, state.now()).await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(&me.user.id);
    Ok(user)
}

/// Deletes a user, refusing to remove the last Administrator.
pub async fn delete(state: &AppState, admin: &AuthUser, id: &str) -> AppResult<()> {
    let id = UserId::parse(id).ok_or(AppError::NotFound)?;
    let account_id = &admin.user.account_id;
    let mut tx = state.db.begin().await?;
    accounts::lock(&mut tx, account_id).await?;
    let user = users::get(&mut tx, account_id, &id).await?.ok_or(AppError::NotFound)?;
    if user.role == Role::Administrator {
        let admins = users::count_administrators(&mut tx, account_id).await?;
        ensure_an_administrator_remains(admins - 1).map_err(|e| AppError::conflict(e.to_string()))?;
    }
    users::delete(&mut tx, account_id, &id).await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(&id);
    Ok(())
}

/// Sends a new invitation link (the previous one stops working).
pub async fn resend_invitation(state: &AppState, admin: &AuthUser, id: &str) -> AppResult<()> {
    let id = UserId::parse(id).ok_or(AppError::NotFound)?;
    let account_id = &admin.user.account_id;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let user = users::get(&mut tx, account_id, &id).await?.ok_or(AppError::NotFound)?;
    if user.status != UserStatus::Invited {
        return Err(AppError::conflict("This user has already accepted their invitation."));
    }
    let account = accounts::get(&mut tx, account_id).await?.ok_or(AppError::NotFound)?;
    invitations::issue(state, &mut tx, &user, &account.name, Some(&admin.user.name), now).await?;
    tenantry_storage::commit(tx).await?;
    wake_outbox(state);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = encode_cursor("ana lima", "usr_0123");
        assert_eq!(decode_cursor(&c).ok(), Some(("ana lima".to_owned(), "usr_0123".to_owned())));
        assert!(decode_cursor("not a cursor!").is_err());
        assert!(decode_cursor("e30").is_err());
    }
}
