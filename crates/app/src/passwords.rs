//! Setting passwords: every path (invitation, change, reset, admin-set) checks the account's policy
//! and history here, and stores the hash, its profile and the history the same way.

use crate::audit::{self, Change};
use crate::user_detail::{UserDetail, detail};
use crate::{Actor, Admin, App, Error, Principal, Result};
use tenantry_domain::SessionScope;
use tenantry_domain::{
    Password, PasswordContext, PasswordPolicy, PasswordRule, UserId, UserStatus, Username, ValidationErrors,
};
use tenantry_storage::users::User;
use tenantry_storage::{credentials, security, sessions};

/// Every rule `password` breaks for `user`, the history included, as messages under `field`.
/// Runs the Argon2 checks of the history outside any transaction.
#[tracing::instrument(skip_all)]
pub async fn check(state: &App, policy: &PasswordPolicy, user: &User, password: &Password, field: &str) -> Result<()> {
    let mut errors = ValidationErrors::new();
    let who = PasswordContext { email: user.email.as_str(), username: user.username.as_ref().map(Username::as_str) };
    for rule in policy.violations(password, &who) {
        errors.push(field, rule.to_string());
    }
    if policy.history_count > 0 {
        let hashes = {
            let mut conn = state.db.conn().await?;
            credentials::recent_password_hashes(&mut conn, &user.id, policy.history_count).await?
        };
        for h in hashes {
            if state.hasher.verify(password, Some(h)).await? {
                errors.push(field, PasswordRule::Reused(policy.history_count).to_string());
                break;
            }
        }
    }
    errors.into_result().map_err(Error::Validation)
}

/// The account's password policy.
#[tracing::instrument(skip_all)]
pub async fn policy_of(state: &App, user: &User) -> Result<PasswordPolicy> {
    let mut conn = state.db.conn().await?;
    Ok(security::get(&mut conn, &user.account_id).await?.password)
}

/// Checks `password` against the policy and history and hashes it (the slow part, before any transaction).
#[tracing::instrument(skip_all)]
pub async fn checked_hash(state: &App, user: &User, password: &Password, field: &str) -> Result<String> {
    let policy = policy_of(state, user).await?;
    check(state, &policy, user, password, field).await?;
    Ok(state.hasher.hash(password).await?)
}

/// `POST /me/password`: changes one's own password with the current one; ends every other session
/// and lifts a "change your password" restriction from this one. A wrong current password is
/// counted like a failed sign-in (so an open session cannot be used to guess it) and may lock.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn change_own(state: &App, me: &Principal, actor: &Actor, current: Password, new: Password) -> Result<()> {
    let (creds, policies) = {
        let mut conn = state.db.conn().await?;
        let creds = credentials::by_id(&mut conn, &me.user.id).await?.ok_or(Error::Unauthorized("Sign in again."))?;
        (creds, security::get(&mut conn, &me.user.account_id).await?)
    };
    if !state.hasher.verify(&current, creds.password_hash.clone()).await? {
        let client = crate::ClientMeta { ip: actor.ip, user_agent: None };
        let answer = Error::invalid("current_password", "is not your current password");
        return Err(crate::auth::known_failure(state, &creds, &policies, &client, answer, state.now()).await);
    }
    let hash = checked_hash(state, &me.user, &new, "new_password").await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    credentials::set_password(&mut tx, &me.user.id, &hash, new.profile(), false, now).await?;
    sessions::delete_others(&mut tx, &me.user.id, me.credential.id()).await?;
    audit::record(&mut tx, actor, Change::new("password.changed", "user", me.user.id.as_str()), now).await?;
    if me.scope == SessionScope::PasswordChange {
        sessions::set_scope(&mut tx, me.credential.id(), SessionScope::Full.as_str()).await?;
    }
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(&me.user.id);
    Ok(())
}

/// An Administrator sets another user's password (optionally asking for a new one at next
/// sign-in); the user's sessions end. Their own is refused (rule "self").
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %id))]
pub async fn admin_set(
    state: &App, admin: &Admin, actor: &Actor, id: &UserId, password: Password, require_change: bool,
) -> Result<UserDetail> {
    if admin.user.id == *id {
        // This path asks for no current password: one's own goes through `change`, which does.
        return Err(Error::rule(
            crate::users::SELF_RULE,
            "Change your own password under My settings, where your current password is asked.",
        ));
    }
    let account_id = &admin.user.account_id;
    let user = {
        let mut conn = state.db.conn().await?;
        tenantry_storage::users::get(&mut conn, account_id, id).await?.ok_or(Error::NotFound)?
    };
    if user.status == UserStatus::Invited {
        return Err(Error::conflict(
            "This user has not accepted their invitation yet; they choose their own password.",
        ));
    }
    let hash = checked_hash(state, &user, &password, "password").await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    credentials::set_password(&mut tx, id, &hash, password.profile(), require_change, now).await?;
    let revoked = crate::sessions::revoke_credentials(&mut tx, id, now).await?;
    let change = Change::new("password.set_by_administrator", "user", id.as_str()).after(
        serde_json::json!({ "require_change": require_change, "sessions_revoked": revoked.sessions, "api_key_revoked": revoked.api_key }),
    );
    audit::record(&mut tx, actor, change, now).await?;
    let user = tenantry_storage::users::get(&mut tx, account_id, id).await?.ok_or(Error::NotFound)?;
    let user = detail(&mut tx, user).await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(id);
    Ok(user)
}
