//! Password reset: a 6-digit code by SMS to a verified cell number, else a link by email. Codes
//! expire in 10 minutes, allow 5 attempts (the 6th is refused even if right) and work once.
//! Unknown emails get the same answers, so nothing tells which emails exist.

use crate::{Actor, App, ClientMeta, Error, Result, auth::limit_ip, passwords, queue_email, queue_sms, wake_outbox};
use tenantry_domain::limits::per_account;

use crate::audit::{self, Change};
use tenantry_domain::{EmailAddress, OutgoingSms, Password, SecretToken, TokenHash, UserStatus};
use tenantry_storage::credentials::{self, Reset};
use tenantry_storage::recovery;

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

/// The outbox kind of a reset request waiting to be handled (see [`process_request`]).
pub const REQUEST_KIND: &str = "password_reset_request";

/// A reset request as queued: the email as typed and the client's address.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct QueuedRequest {
    pub email: String,
    pub ip: Option<std::net::IpAddr>,
}

/// `POST /auth/password-reset`: queues the request and answers at once. Every well-formed email,
/// known or not, costs the same here (one queued message), so neither the answer nor its timing
/// tells which emails exist; [`process_request`] does the rest off the request.
#[tracing::instrument(skip_all)]
pub async fn request(state: &App, email: &str, meta: &ClientMeta) -> Result<()> {
    let now = state.now();
    limit_ip(state, meta, now)?;
    let Ok(email) = EmailAddress::parse(email) else { return Ok(()) };
    state.limits.check(&format!("reset:{}", email.normalized()), per_account::RESET_REQUEST, now)?;
    let payload = serde_json::to_string(&QueuedRequest { email: email.as_str().to_owned(), ip: meta.ip })
        .map_err(anyhow::Error::from)?;
    let mut conn = state.db.conn().await?;
    tenantry_storage::outbox::enqueue(&mut conn, None, REQUEST_KIND, &payload, now).await?;
    wake_outbox(state);
    Ok(())
}

/// Handles a queued reset request: when the email belongs to a user with a password, and they
/// made fewer than `per_day::RESET_REQUESTS` requests in a day, sends a 6-digit code by SMS to a
/// verified cell number (unless a day's `per_day::RESET_CODE_FAILURES` wrong codes or an SMS limit
/// rule that out), else a link by email. Does nothing for anyone else.
#[tracing::instrument(skip_all)]
pub async fn process_request(state: &App, queued: &QueuedRequest) -> Result<()> {
    use tenantry_domain::limits::per_day;
    let now = state.now();
    let Ok(email) = EmailAddress::parse(&queued.email) else { return Ok(()) };
    let meta = ClientMeta { ip: queued.ip, user_agent: None };
    let Some(creds) = ({
        let mut conn = state.db.conn().await?;
        credentials::by_email(&mut conn, &email).await?
    }) else {
        return Ok(());
    };
    if creds.password_hash.is_none() || matches!(creds.user.status, UserStatus::Invited | UserStatus::Deactivated) {
        return Ok(());
    }
    let counts = {
        let mut conn = state.db.conn().await?;
        recovery::count_request(&mut conn, &creds.user.id, now).await?
    };
    if counts.reset_requests > per_day::RESET_REQUESTS {
        // Counted (so it holds across nodes and restarts), nothing sent.
        tracing::info!(user_id = %creds.user.id, "password reset request over the daily limit: nothing sent");
        return Ok(());
    }
    let id = new_reset_id();
    let who = crate::SmsFor {
        account_id: creds.user.account_id.as_str(),
        user_id: Some(creds.user.id.as_str()),
        purpose: "password_reset",
        ip: queued.ip,
        origin: crate::SmsOrigin::Tenantry,
    };
    // A code by SMS to a verified number, unless a day's wrong codes or an SMS limit rule it out
    // (checked before the transaction: the refusal is logged on its own).
    let phone = match creds
        .phone_number
        .as_deref()
        .filter(|_| creds.phone_verified && counts.code_failures < per_day::RESET_CODE_FAILURES)
    {
        Some(phone) if crate::sms_allowed(state, who, phone, now).await?.is_ok() => Some(phone),
        _ => None,
    };
    let mut tx = state.db.begin().await?;
    // With too few SMS credits the code is refused (and logged) and the link goes by email.
    let mut channel = "email";
    if let Some(phone) = phone {
        let code = six_digits();
        let body = format!(
            "Your Tenantry password reset code is {code}. It expires in 10 minutes. If you did not ask for it, ignore this message."
        );
        if queue_sms(&mut tx, who, &OutgoingSms { to: phone.to_owned(), body, log_id: None }, now).await?.is_ok() {
            let hash = sms_code_hash(&id, &code);
            credentials::insert_reset(&mut tx, &id, &creds.user.id, "sms", &hash, now, now + RESET_TTL_MS).await?;
            channel = "sms";
        }
    }
    if channel == "email" {
        queue_link(state, &mut tx, &id, &creds.user, now).await?;
    }
    let change = Change::new("password.reset_requested", "user", creds.user.id.as_str())
        .after(serde_json::json!({ "channel": channel }));
    audit::record(&mut tx, &Actor::user(&creds.user, &meta), change, now).await?;
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
        if reset.channel == "sms"
            && recovery::counts(&mut conn, &creds.user.id, now).await?.code_failures
                >= tenantry_domain::limits::per_day::RESET_CODE_FAILURES
        {
            // A day's worth of wrong codes: no SMS code works any more (an emailed link does).
            return Err(bad());
        }
        if !credentials::spend_reset_attempt(&mut conn, &reset.id).await? {
            return Err(bad());
        }
        (creds, reset)
    };
    if !matches(&reset, code) {
        if reset.channel == "sms" {
            let mut conn = state.db.conn().await?;
            recovery::count_code_failure(&mut conn, &creds.user.id, now).await?;
        }
        return Err(bad());
    }
    let hash = passwords::checked_hash(state, &creds.user, &new_password, "new_password").await?;
    let mut tx = state.db.begin().await?;
    if !credentials::use_reset(&mut tx, &reset.id, now).await? {
        return Err(bad());
    }
    credentials::set_password(&mut tx, &creds.user.id, &hash, new_password.profile(), false, now).await?;
    let revoked = crate::sessions::revoke_credentials(&mut tx, &creds.user.id, now).await?;
    let change = Change::new("password.reset", "user", creds.user.id.as_str()).after(serde_json::json!({
        "unlocked": creds.user.status == UserStatus::Locked,
        "sessions_revoked": revoked.sessions,
        "api_key_revoked": revoked.api_key,
    }));
    audit::record(&mut tx, &Actor::user(&creds.user, meta), change, now).await?;
    let notice = crate::mail::security_notice(
        &creds.user.email,
        &creds.user.name,
        "Your password was reset",
        "The password of your Tenantry account was reset, and every session and API key of yours was signed out.",
    );
    queue_email(&mut tx, Some(creds.user.account_id.as_str()), &notice, now).await?;
    tenantry_storage::commit(tx).await?;
    wake_outbox(state);
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
