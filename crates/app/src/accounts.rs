//! Creating, changing and deleting accounts: public sign-up, the CLI, account settings.

use crate::audit::{self, Change};
use crate::auth::{SignedIn, open_session};
use crate::{
    Actor, Admin, App, ClientMeta, Error, Result, SignupMode, check_password, invitations, subscriptions, wake_outbox,
};
use tenantry_domain::SessionScope;
use tenantry_domain::{
    AccountId, AccountName, EmailAddress, Password, PasswordContext, PasswordPolicy, PersonName, Role, SessionPolicy,
    UserId, UserStatus, ValidationErrors,
};
use tenantry_domain::{SecretToken, TokenHash};
use tenantry_storage::accounts::{self, Account};
use tenantry_storage::users::{self, NewUser};

/// A valid sign-up.
pub struct SignUp {
    pub account_name: AccountName,
    pub name: PersonName,
    pub email: EmailAddress,
    pub password: Password,
}

/// The first Administrator of a new account: active with a password (sign-up) or invited (CLI).
struct FirstAdministrator<'a> {
    email: &'a EmailAddress,
    name: &'a PersonName,
    password_hash: Option<&'a str>,
}

/// Inserts an account on a trial with its first Administrator, in the caller's transaction.
async fn insert_with_administrator(
    state: &App, tx: &mut tenantry_storage::Conn, name: &AccountName, first: FirstAdministrator<'_>, now: i64,
) -> Result<(AccountId, UserId)> {
    let (account_id, user_id) = (AccountId::generate(), UserId::generate());
    accounts::insert(tx, &account_id, name, now).await?;
    subscriptions::start_trial(state, tx, &account_id, now).await?;
    crate::billing::grant_trial_credits(state, tx, &account_id, now).await?;
    let status = if first.password_hash.is_some() { UserStatus::Active } else { UserStatus::Invited };
    let (email, name, password_hash) = (first.email, first.name, first.password_hash);
    let role = Role::Administrator;
    users::insert(tx, NewUser { id: &user_id, account_id: &account_id, email, name, role, status, password_hash, now })
        .await?;
    Ok((account_id, user_id))
}

/// What a sign-up came to.
#[derive(Debug)]
pub enum SignUpOutcome {
    /// `open` mode: the account exists and its Administrator is signed in.
    Created(Box<(Account, SignedIn)>),
    /// `verify` mode: a link (or, for an address in use, a notice) is on its way. The answer is
    /// the same whichever it was.
    VerificationSent,
}

/// How long a sign-up link stays valid (24 hours).
pub const SIGNUP_LINK_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// Signs up: in `open` mode creates the account, its first Administrator and a session in one
/// transaction; in `verify` mode emails a link that will (or, when the address has a user already,
/// a notice instead), doing the same work either way. Rate-limited per client address.
#[tracing::instrument(skip_all)]
pub async fn sign_up(state: &App, input: SignUp, meta: &ClientMeta) -> Result<SignUpOutcome> {
    if state.config.signup == SignupMode::Closed {
        return Err(Error::Forbidden(
            "Sign-up is closed on this installation. Ask an administrator for an invitation.",
        ));
    }
    let now = state.now();
    if let Some(ip) = meta.ip {
        // Each sign-up costs an Argon2id hash: a client address gets a few a minute.
        let limit = state.config.rate_limit_per_ip.min(tenantry_domain::limits::per_account::SIGNUPS_PER_IP);
        state.limits.check(&crate::rate_limit::ip_key("signup", ip), limit, now)?;
    }
    let who = PasswordContext { email: input.email.as_str(), username: None };
    check_password(&PasswordPolicy::default(), &input.password, &who, "password")?;
    let hash = state.hasher.hash(&input.password).await?;
    if state.config.signup == SignupMode::Verify {
        return send_sign_up_link(state, &input, &hash, now).await.map(|()| SignUpOutcome::VerificationSent);
    }
    let profile = input.password.profile();
    create_signed_up(state, &input.account_name, &input.name, &input.email, &hash, profile, meta, now)
        .await
        .map(|done| SignUpOutcome::Created(Box::new(done)))
}

/// `verify` mode: stores the sign-up and emails its link, or tells the owner of an address in use
/// that someone tried to sign up with it.
async fn send_sign_up_link(state: &App, input: &SignUp, hash: &str, now: i64) -> Result<()> {
    let token = SecretToken::generate("tsu_");
    let mut tx = state.db.begin().await?;
    let email = if users::email_taken(&mut tx, &input.email).await? {
        let link = format!("{}/signin", state.config.public_url);
        crate::mail::sign_up_attempt(&input.email, &link)
    } else {
        tenantry_storage::signups::insert(
            &mut tx,
            tenantry_storage::signups::NewSignup {
                token_hash: &token.hash(),
                email: &input.email,
                name: input.name.as_str(),
                account_name: input.account_name.as_str(),
                password_hash: hash,
                profile: input.password.profile(),
                now,
                expires_at: now + SIGNUP_LINK_TTL_MS,
            },
        )
        .await?;
        let link = format!("{}/signup/{}", state.config.public_url, token.expose());
        crate::mail::sign_up_link(&input.email, &input.name, input.account_name.as_str(), &link)
    };
    crate::queue_email(&mut tx, None, &email, now).await?;
    tenantry_storage::commit(tx).await?;
    wake_outbox(state);
    Ok(())
}

/// The address an open sign-up link is for (its page shows it); 404 for unknown, used and
/// expired links.
#[tracing::instrument(skip_all)]
pub async fn sign_up_link_email(state: &App, token: &str) -> Result<String> {
    let mut conn = state.db.conn().await?;
    tenantry_storage::signups::email_of(&mut conn, &TokenHash::of(token), state.now()).await?.ok_or(Error::NotFound)
}

/// Follows a sign-up link: creates the account, its first Administrator and a session, once.
#[tracing::instrument(skip_all)]
pub async fn complete_sign_up(state: &App, token: &str, meta: &ClientMeta) -> Result<(Account, SignedIn)> {
    let now = state.now();
    let pending = {
        let mut conn = state.db.conn().await?;
        tenantry_storage::signups::take(&mut conn, &TokenHash::of(token), now).await?.ok_or(Error::NotFound)?
    };
    let email = EmailAddress::parse(&pending.email).map_err(|e| anyhow::anyhow!("stored sign-up email: {e}"))?;
    let name = PersonName::parse(&pending.name).map_err(|e| anyhow::anyhow!("stored sign-up name: {e}"))?;
    let account_name =
        AccountName::parse(&pending.account_name).map_err(|e| anyhow::anyhow!("stored account name: {e}"))?;
    let profile = tenantry_domain::PasswordProfile {
        length: usize::try_from(pending.password_length).unwrap_or(0),
        classes: u8::try_from(pending.password_classes).unwrap_or(0),
    };
    create_signed_up(state, &account_name, &name, &email, &pending.password_hash, profile, meta, now).await
}

/// Creates a signed-up account with its first Administrator (active, with `hash` as password)
/// and a session, in one transaction.
#[allow(clippy::too_many_arguments)]
async fn create_signed_up(
    state: &App, account_name: &AccountName, name: &PersonName, email: &EmailAddress, hash: &str,
    profile: tenantry_domain::PasswordProfile, meta: &ClientMeta, now: i64,
) -> Result<(Account, SignedIn)> {
    let mut tx = state.db.begin().await?;
    let first = FirstAdministrator { email, name, password_hash: Some(hash) };
    let (account_id, user_id) = insert_with_administrator(state, &mut tx, account_name, first, now).await?;
    users::record_sign_in(&mut tx, &user_id, now).await?;
    tenantry_storage::credentials::set_password(&mut tx, &user_id, hash, profile, false, now).await?;
    let account = accounts::get(&mut tx, &account_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("account vanished inside its transaction"))?;
    let user = users::get(&mut tx, &account_id, &user_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user vanished inside its transaction"))?;
    let signed_in = open_session(&mut tx, user, meta, now, SessionScope::Full, &SessionPolicy::default()).await?;
    tenantry_storage::commit(tx).await?;
    Ok((account, signed_in))
}

/// Creates an account whose first Administrator is invited (the CLI); answers the sign-in link.
#[tracing::instrument(skip_all)]
pub async fn create_with_invited_admin(
    state: &App, name: AccountName, admin_email: EmailAddress, admin_name: PersonName,
) -> Result<(Account, String)> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let first = FirstAdministrator { email: &admin_email, name: &admin_name, password_hash: None };
    let (account_id, user_id) = insert_with_administrator(state, &mut tx, &name, first, now).await?;
    let user = users::get(&mut tx, &account_id, &user_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user vanished inside its transaction"))?;
    let link = invitations::issue(state, &mut tx, &user, &name, None, now).await?;
    let account = accounts::get(&mut tx, &account_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("account vanished inside its transaction"))?;
    tenantry_storage::commit(tx).await?;
    wake_outbox(state);
    Ok((account, link))
}

/// A valid change to the account's settings; `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct AccountPatch {
    pub name: Option<AccountName>,
    /// `Some(None)` clears it.
    pub compliance_bcc_email: Option<Option<EmailAddress>>,
    /// `Some(None)` clears it.
    pub partner_referral_code: Option<Option<String>>,
}

fn audit_view(a: &Account) -> serde_json::Value {
    serde_json::json!({"name": a.name, "compliance_bcc_email": a.compliance_bcc_email, "partner_referral_code": a.partner_referral_code})
}

/// The signed-in Administrator's account.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn get(state: &App, admin: &Admin) -> Result<Account> {
    let account_id = admin.account_id();
    let mut conn = state.db.conn().await?;
    accounts::get(&mut conn, account_id).await?.ok_or(Error::NotFound)
}

/// Changes the account's settings, recorded in the audit log.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn update(state: &App, admin: &Admin, actor: &Actor, patch: AccountPatch) -> Result<Account> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = accounts::get(&mut tx, admin.account_id()).await?.ok_or(Error::NotFound)?;
    let change = accounts::AccountChange {
        name: patch.name.as_ref(),
        compliance_bcc_email: patch.compliance_bcc_email.as_ref().map(|e| e.as_ref().map(EmailAddress::as_str)),
        partner_referral_code: patch.partner_referral_code.as_ref().map(|c| c.as_deref()),
    };
    accounts::update(&mut tx, admin.account_id(), &change).await?;
    let after = accounts::get(&mut tx, admin.account_id()).await?.ok_or(Error::NotFound)?;
    if audit_view(&before) != audit_view(&after) {
        let change = Change::new("account.updated", "account", admin.account_id().as_str())
            .before(audit_view(&before))
            .after(audit_view(&after));
        audit::record(&mut tx, actor, change, now).await?;
    }
    tenantry_storage::commit(tx).await?;
    Ok(after)
}

const NAME_MISMATCH: &str = "does not match the account's name: type it exactly as shown";

/// Deletes the whole account, confirmed by typing its name exactly: every row that names it
/// (users, sessions, licenses, pages, audit log, queued messages…) goes in one transaction, and
/// its users' stored pictures after it.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn delete(state: &App, admin: &Admin, confirm_name: &str) -> Result<()> {
    let mut tx = state.db.begin().await?;
    let account = accounts::get(&mut tx, admin.account_id()).await?.ok_or(Error::NotFound)?;
    if confirm_name.trim() != account.name.as_str() {
        return Err(Error::invalid("confirm_name", NAME_MISMATCH));
    }
    let users = users::ids_of_account(&mut tx, admin.account_id()).await?;
    let pictures = users::avatars_of_account(&mut tx, admin.account_id()).await?;
    accounts::delete(&mut tx, admin.account_id()).await?;
    tenantry_storage::commit(tx).await?;
    // Stored files go too (after the commit: a failed deletion must not bring the rows back).
    for (user_id, version) in pictures {
        crate::avatars::remove_files(state, &user_id, version).await;
    }
    for id in &users {
        state.sessions.forget_user(id);
    }
    tracing::info!(account_id = %admin.account_id(), users = users.len(), "account deleted");
    Ok(())
}

/// What deleting the account from its settings page asks for: the account's name typed exactly,
/// and the Administrator's password and, when two-step verification is on, a current code.
pub struct DeleteConfirmation {
    pub confirm_name: String,
    pub password: Password,
    pub totp_code: Option<String>,
}

/// Deletes the whole account once the Administrator has typed its name and proved it is them
/// (see [`crate::reauth`]): every missing or mistyped answer is reported at once, and a wrong
/// password or code counts like a failed sign-in.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn delete_confirmed(state: &App, admin: &Admin, client: &ClientMeta, c: DeleteConfirmation) -> Result<()> {
    let account = get(state, admin).await?;
    let mut errors = ValidationErrors::new();
    if c.confirm_name.trim().is_empty() {
        errors.push("confirm_name", "is required");
    } else if c.confirm_name.trim() != account.name.as_str() {
        errors.push("confirm_name", NAME_MISMATCH);
    }
    if !errors.is_empty() {
        // Say at once what else is missing, without checking the password yet.
        if c.password.expose().is_empty() {
            errors.push(crate::reauth::PASSWORD_FIELD, "is required");
        }
        let code_missing = c.totp_code.as_deref().is_none_or(|t| t.trim().is_empty());
        if code_missing && crate::reauth::needs_code(state, admin).await? {
            errors.push(crate::reauth::CODE_FIELD, "is required: enter the code from your authenticator app");
        }
        return Err(Error::Validation(errors));
    }
    crate::reauth::confirm(state, admin, client, &c.password, c.totp_code.as_deref()).await?;
    delete(state, admin, &c.confirm_name).await
}

/// How many users the account has (what deleting it would erase).
#[tracing::instrument(skip_all)]
pub async fn user_count(state: &App, admin: &crate::Admin) -> Result<usize> {
    let mut conn = state.db.conn().await?;
    Ok(tenantry_storage::users::ids_of_account(&mut conn, admin.account_id()).await?.len())
}
