//! Password reset: a 6-digit code by SMS to a verified cell number, else a link by email. Codes
//! expire in 10 minutes, allow 5 attempts (the 6th is refused even if right) and work once.
//! Unknown emails get the same answers, so nothing tells which emails exist.

use crate::{Actor, App, ClientMeta, Error, Result, auth::limit_ip, passwords, queue_email, queue_sms, wake_outbox};
use tenantry_domain::limits::per_account;

use crate::audit::{self, Change};
use tenantry_domain::{EmailAddress, OutgoingSms, Password, SecretToken, TokenHash, UserStatus};
use tenantry_storage::credentials::{self, Reset};
use tenantry_storage::sessions;

use tenantry_domain::limits::RESET_TTL_MS;

/// The stored hash of a short code, bound to the id of what it opens (so equal codes hash apart).
pub(crate) fn sms_code_hash(reset_id: &str, code: &str) -> String {
    TokenHash::of(&format!("{reset_id}:{code}")).as_str().to_owned()
}

/// A fresh id for a reset.
pub(crate) fn new_reset_id() -> String {
    format!("rst_{}", tenantry_domain::token::random_hex(12))
}

/// A random 6-digit code.
pub(crate) fn six_digits() -> String {
    let mut b = [0u8; 4];
    if getrandom::fill(&mut b).is_err() {
        std::process::abort();
    }
    format!("{:06}", u32::from_le_bytes(b) % 1_000_000)
}

/// `POST /auth/password-reset`: queues a code or a link when the email belongs to a user who has
/// a password; does nothing visible otherwise.
#[tracing::instrument(skip_all)]
pub async fn request(state: &App, email: &str, meta: &ClientMeta) -> Result<()> {
    let now = state.now();
    limit_ip(state, meta, now)?;
    let Ok(email) = EmailAddress::parse(email) else { return Ok(()) };
    state.limits.check(&format!("reset:{}", email.normalized()), per_account::RESET_REQUEST, now)?;
    let mut tx = state.db.begin().await?;
    let Some(creds) = credentials::by_email(&mut tx, &email).await? else { return Ok(()) };
    if creds.password_hash.is_none() || creds.user.status == UserStatus::Invited {
        return Ok(());
    }
    let id = new_reset_id();
    let channel = if creds.phone_verified && creds.phone_number.is_some() { "sms" } else { "email" };
    let change = Change::new("password.reset_requested", "user", creds.user.id.as_str())
        .after(serde_json::json!({ "channel": channel }));
    audit::record(&mut tx, &Actor::user(&creds.user, meta), change, now).await?;
    match creds.phone_number.as_deref().filter(|_| creds.phone_verified) {
        Some(phone) => {
            let code = six_digits();
            credentials::insert_reset(
                &mut tx,
                &id,
                &creds.user.id,
                "sms",
                &sms_code_hash(&id, &code),
                now,
                now + RESET_TTL_MS,
            )
            .await?;
            let body = format!(
                "Your Tenantry password reset code is {code}. It expires in 10 minutes. If you did not ask for it, ignore this message."
            );
            queue_sms(
                &mut tx,
                creds.user.account_id.as_str(),
                creds.user.id.as_str(),
                "password_reset",
                &OutgoingSms { to: phone.to_owned(), body },
                now,
            )
            .await?;
        }
        None => queue_link(state, &mut tx, &id, &creds.user, now).await?,
    }
    tenantry_storage::commit(tx).await?;
    wake_outbox(state);
    Ok(())
}

/// Stores a reset `id` opened by an emailed link and queues that email to `user`, in the
/// caller's transaction (also used when an Administrator sends a user a reset link).
pub(crate) async fn queue_link(
    state: &App, conn: &mut tenantry_storage::Conn, id: &str, user: &tenantry_storage::users::User, now: i64,
) -> Result<()> {
    let token = SecretToken::generate("trs_");
    credentials::insert_reset(conn, id, &user.id, "email", token.hash().as_str(), now, now + RESET_TTL_MS).await?;
    let link = format!("{}/password-reset/{}", state.config.public_url, token.expose());
    let email = crate::mail::password_reset(&user.email, &user.name, &link);
    queue_email(conn, Some(user.account_id.as_str()), &email, now).await?;
    Ok(())
}

/// The user acting on their own account from `meta`'s address (they are not signed in).
const BAD_CODE: &str = "is wrong or has expired; ask for a new one";

/// Whether `code` opens `reset` (an SMS code, or the token of an emailed link).
fn matches(reset: &Reset, code: &str) -> bool {
    let presented = match reset.channel.as_str() {
        "sms" => sms_code_hash(&reset.id, code.trim()),
        _ => TokenHash::of(code.trim()).as_str().to_owned(),
    };
    subtle_eq(&presented, &reset.code_hash)
}

/// Compares two hashes in constant time.
pub(crate) fn subtle_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// `POST /auth/password-reset/confirm`: every try spends one of the 5 attempts before the code is
/// compared; a right code sets the password (policy and history checked), unlocks the user and
/// ends their sessions.
#[tracing::instrument(skip_all)]
pub async fn confirm(state: &App, email: &str, code: &str, new_password: Password, meta: &ClientMeta) -> Result<()> {
    let now = state.now();
    limit_ip(state, meta, now)?;
    let bad = || Error::invalid("code", BAD_CODE);
    let Ok(email) = EmailAddress::parse(email) else { return Err(bad()) };
    state.limits.check(&format!("reset-confirm:{}", email.normalized()), per_account::RESET_CONFIRM, now)?;
    let (creds, reset) = {
        let mut conn = state.db.conn().await?;
        let Some(creds) = credentials::by_email(&mut conn, &email).await? else { return Err(bad()) };
        let Some(reset) = credentials::open_reset(&mut conn, &creds.user.id, now).await? else { return Err(bad()) };
        if !credentials::spend_reset_attempt(&mut conn, &reset.id).await? {
            return Err(bad());
        }
        (creds, reset)
    };
    if !matches(&reset, code) {
        return Err(bad());
    }
    let hash = passwords::checked_hash(state, &creds.user, &new_password, "new_password").await?;
    let mut tx = state.db.begin().await?;
    if !credentials::use_reset(&mut tx, &reset.id, now).await? {
        return Err(bad());
    }
    credentials::set_password(&mut tx, &creds.user.id, &hash, new_password.profile(), false, now).await?;
    sessions::delete_for_user(&mut tx, &creds.user.id).await?;
    let change = Change::new("password.reset", "user", creds.user.id.as_str())
        .after(serde_json::json!({ "unlocked": creds.user.status == UserStatus::Locked }));
    audit::record(&mut tx, &Actor::user(&creds.user, meta), change, now).await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(&creds.user.id);
    Ok(())
}

/// The email a reset link is for, if the link is open (the reset page shows it).
#[tracing::instrument(skip_all)]
pub async fn link_email(state: &App, token: &str) -> Result<EmailAddress> {
    let mut conn = state.db.conn().await?;
    let reset = credentials::reset_by_hash(&mut conn, TokenHash::of(token).as_str(), state.now())
        .await?
        .ok_or(Error::NotFound)?;
    let creds = credentials::by_id(&mut conn, &reset.user_id).await?.ok_or(Error::NotFound)?;
    Ok(creds.user.email)
}
