//! Queuing messages in the caller's transaction (the outbox worker sends them after the commit),
//! and the password-policy check every service that sets a password shares.

use crate::{App, Error, Result};
use tenantry_domain::{OutgoingEmail, OutgoingSms, Password, PasswordContext, PasswordPolicy, ValidationErrors};
use tenantry_storage::{Conn, outbox};

/// Queues an email in the caller's transaction; call [`wake_outbox`] after the commit.
#[tracing::instrument(skip_all)]
pub async fn queue_email(conn: &mut Conn, account_id: Option<&str>, email: &OutgoingEmail, now: i64) -> Result<()> {
    let payload = serde_json::to_string(email).map_err(anyhow::Error::from)?;
    outbox::enqueue(conn, account_id, OutgoingEmail::KIND, &payload, now).await?;
    Ok(())
}

/// Who an SMS is for and why: what the SMS log records and the limits count.
#[derive(Debug, Clone, Copy)]
pub struct SmsFor<'a> {
    pub account_id: &'a str,
    pub user_id: &'a str,
    /// `password_reset`, `phone_verification`…
    pub purpose: &'a str,
    /// The client address that asked for it.
    pub ip: Option<std::net::IpAddr>,
}

/// Why an SMS was not sent (SMS pumping: each costs the operator money).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsRefused {
    /// The number's country is not in `TENANTRY_SMS_COUNTRIES`.
    Region,
    /// The account, the client address or the installation reached its daily cap.
    DailyCap,
}

/// Whether an SMS to `to` may go out: the number's country is allowed, and the account, the
/// client address and the installation are under their daily caps (counted in the database). A
/// refusal is written to the SMS log and answered. Call it before the caller's transaction begins
/// (on SQLite a second writer would wait for that transaction), then [`queue_sms`].
#[tracing::instrument(skip_all)]
pub async fn sms_allowed(
    state: &App, who: SmsFor<'_>, to: &str, now: i64,
) -> Result<std::result::Result<(), SmsRefused>> {
    use tenantry_domain::limits::{ROLLING_DAY_MS, per_day};
    use tenantry_storage::phones::{self, SmsLine};
    let ip = who.ip.map(|ip| ip.to_string());
    let mut conn = state.db.conn().await?;
    let refused = if !tenantry_domain::phone::region_allowed(to, &state.config.sms_regions) {
        Some(SmsRefused::Region)
    } else {
        let sent = phones::sent_since(&mut conn, who.account_id, ip.as_deref(), now - ROLLING_DAY_MS).await?;
        let over = sent.account >= per_day::SMS_PER_ACCOUNT
            || (ip.is_some() && sent.ip >= per_day::SMS_PER_IP)
            || (state.config.sms_daily_limit > 0 && sent.installation >= state.config.sms_daily_limit);
        over.then_some(SmsRefused::DailyCap)
    };
    let Some(reason) = refused else { return Ok(Ok(())) };
    tracing::warn!(purpose = who.purpose, reason = ?reason, "SMS refused by a limit");
    metrics::counter!("tenantry_sms_refused_total").increment(1);
    let line = SmsLine {
        account_id: who.account_id,
        user_id: Some(who.user_id),
        to,
        purpose: who.purpose,
        status: "refused",
        ip: ip.as_deref(),
        now,
    };
    phones::log_sms(&mut conn, line).await?;
    Ok(Err(reason))
}

/// Queues a text message in the caller's transaction and writes it to the account's SMS log;
/// [`sms_allowed`] said it may go. Call [`wake_outbox`] after the commit.
#[tracing::instrument(skip_all)]
pub async fn queue_sms(conn: &mut Conn, who: SmsFor<'_>, sms: &OutgoingSms, now: i64) -> Result<()> {
    let payload = serde_json::to_string(sms).map_err(anyhow::Error::from)?;
    outbox::enqueue(conn, Some(who.account_id), OutgoingSms::KIND, &payload, now).await?;
    let ip = who.ip.map(|ip| ip.to_string());
    let line = tenantry_storage::phones::SmsLine {
        account_id: who.account_id,
        user_id: Some(who.user_id),
        to: &sms.to,
        purpose: who.purpose,
        status: "sent",
        ip: ip.as_deref(),
        now,
    };
    tenantry_storage::phones::log_sms(conn, line).await?;
    Ok(())
}

/// Checks a new password of a user who has no history yet against the policy, every unmet rule under `field`.
pub fn check_password(
    policy: &PasswordPolicy, password: &Password, who: &PasswordContext<'_>, field: &str,
) -> Result<()> {
    let mut errors = ValidationErrors::new();
    for v in policy.violations(password, who) {
        errors.push(field, v.to_string());
    }
    errors.into_result().map_err(Error::Validation)
}

/// Tells the local worker something was queued.
pub fn wake_outbox(state: &App) {
    state.outbox_wake.notify_one();
}
