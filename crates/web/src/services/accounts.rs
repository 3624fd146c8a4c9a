//! Creating accounts: public sign-up and the CLI.

use crate::error::{AppError, AppResult};
use crate::extract::{ClientMeta, SessionScope};
use crate::services::auth::{SignedIn, open_session};
use crate::services::{check_password, invitations, subscriptions, wake_outbox};
use crate::state::AppState;
use tenantry_domain::{AccountId, AccountName, EmailAddress, Password, PasswordContext, PasswordPolicy, PersonName, Role, SessionPolicy, UserId, UserStatus};
use tenantry_storage::accounts::{self, Account};
use tenantry_storage::users::{self, NewUser};

/// A valid sign-up.
pub struct SignUp {
    pub account_name: AccountName,
    pub name: PersonName,
    pub email: EmailAddress,
    pub password: Password,
}

/// Creates an account, its first Administrator and a session, in one transaction.
pub async fn sign_up(state: &AppState, input: SignUp, meta: &ClientMeta) -> AppResult<(Account, SignedIn)> {
    if !state.config.signup_open {
        return Err(AppError::Forbidden("Sign-up is closed on this installation. Ask an administrator for an invitation."));
    }
    let who = PasswordContext { email: input.email.as_str(), username: None };
    check_password(&PasswordPolicy::default(), &input.password, &who, "password")?;
    let hash = state.hasher.hash(&input.password).await?;
    let now = state.now();
    let account_id = AccountId::generate();
    let user_id = UserId::generate();
    let mut tx = state.db.begin().await?;
    accounts::insert(&mut tx, &account_id, &input.account_name, now).await?;
    subscriptions::start_trial(state, &mut tx, &account_id, now).await?;
    users::insert(
        &mut tx,
        NewUser {
            id: &user_id,
            account_id: &account_id,
            email: &input.email,
            name: &input.name,
            role: Role::Administrator,
            status: UserStatus::Active,
            password_hash: Some(&hash),
            now,
        },
    )
    .await?;
    users::record_sign_in(&mut tx, &user_id, now).await?;
    tenantry_storage::credentials::set_password(&mut tx, &user_id, &hash, input.password.profile(), false, now).await?;
    let account = accounts::get(&mut tx, &account_id).await?.ok_or_else(|| anyhow::anyhow!("account vanished inside its transaction"))?;
    let user = users::get(&mut tx, &account_id, &user_id).await?.ok_or_else(|| anyhow::anyhow!("user vanished inside its transaction"))?;
    let signed_in = open_session(&mut tx, user, meta, now, SessionScope::Full, &SessionPolicy::default()).await?;
    tenantry_storage::commit(tx).await?;
    Ok((account, signed_in))
}

/// Creates an account whose first Administrator is invited (the CLI); answers the sign-in link.
pub async fn create_with_invited_admin(state: &AppState, name: AccountName, admin_email: EmailAddress, admin_name: PersonName) -> AppResult<(Account, String)> {
    let now = state.now();
    let account_id = AccountId::generate();
    let user_id = UserId::generate();
    let mut tx = state.db.begin().await?;
    accounts::insert(&mut tx, &account_id, &name, now).await?;
    subscriptions::start_trial(state, &mut tx, &account_id, now).await?;
    users::insert(
        &mut tx,
        NewUser {
            id: &user_id,
            account_id: &account_id,
            email: &admin_email,
            name: &admin_name,
            role: Role::Administrator,
            status: UserStatus::Invited,
            password_hash: None,
            now,
        },
    )
    .await?;
    let user = users::get(&mut tx, &account_id, &user_id).await?.ok_or_else(|| anyhow::anyhow!("user vanished inside its transaction"))?;
    let link = invitations::issue(state, &mut tx, &user, name.as_str(), None, now).await?;
    let account = accounts::get(&mut tx, &account_id).await?.ok_or_else(|| anyhow::anyhow!("account vanished inside its transaction"))?;
    tenantry_storage::commit(tx).await?;
    wake_outbox(state);
    Ok((account, link))
}
