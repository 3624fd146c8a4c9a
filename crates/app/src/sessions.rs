//! One's own sessions (list, revoke one, revoke all others) and an Administrator's "sign out everywhere".

use crate::audit::{self, Change};
use crate::user_detail::{UserDetail, detail};
use crate::{Actor, Admin, App, Error, Principal, Result};
use tenantry_domain::UserId;
use tenantry_storage::sessions::{self, SessionInfo};

/// My unexpired sessions.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn list_mine(state: &App, me: &Principal) -> Result<Vec<SessionInfo>> {
    let mut conn = state.db.conn().await?;
    Ok(sessions::list_for_user(&mut conn, &me.user.id, state.now()).await?)
}

/// Ends one of my sessions; another user's session id is 404.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn revoke_mine(state: &App, me: &Principal, id: &str) -> Result<()> {
    let mut conn = state.db.conn().await?;
    if !sessions::delete_of_user(&mut conn, &me.user.id, id).await? {
        return Err(Error::NotFound);
    }
    state.sessions.forget_session(id);
    Ok(())
}

/// Ends every session of mine but this one; answers how many.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn revoke_others(state: &App, me: &Principal) -> Result<u64> {
    let mut conn = state.db.conn().await?;
    let n = sessions::delete_others(&mut conn, &me.user.id, me.credential.id()).await?;
    state.sessions.forget_user(&me.user.id);
    Ok(n)
}

/// An Administrator signs a user of their account out everywhere.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %id))]
pub async fn revoke_all_of_user(state: &App, admin: &Admin, actor: &Actor, id: &UserId) -> Result<()> {
    let mut tx = state.db.begin().await?;
    tenantry_storage::users::get(&mut tx, &admin.user.account_id, id).await?.ok_or(Error::NotFound)?;
    let n = sessions::delete_for_user(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Change::new("user.signed_out_everywhere", "user", id.as_str()).after(serde_json::json!({ "sessions": n })),
        state.now(),
    )
    .await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(id);
    Ok(())
}

/// An Administrator unlocks a locked user of their account.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %id))]
pub async fn unlock(state: &App, admin: &Admin, actor: &Actor, id: &UserId) -> Result<UserDetail> {
    let account_id = &admin.user.account_id;
    let mut tx = state.db.begin().await?;
    let user = tenantry_storage::users::get(&mut tx, account_id, id).await?.ok_or(Error::NotFound)?;
    if user.status != tenantry_domain::UserStatus::Locked {
        return Err(Error::conflict("This user is not locked."));
    }
    let now = state.now();
    tenantry_storage::credentials::unlock(&mut tx, account_id, id, now).await?;
    audit::record(&mut tx, actor, Change::new("user.unlocked", "user", id.as_str()), now).await?;
    let user = tenantry_storage::users::get(&mut tx, account_id, id).await?.ok_or(Error::NotFound)?;
    let user = detail(&mut tx, user).await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(id);
    Ok(user)
}
