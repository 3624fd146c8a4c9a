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
    /// The user it is sent to or for (`None` for a product's message to its customer).
    pub user_id: Option<&'a str>,
    /// `password_reset`, `phone_verification`, or what a product named.
    pub purpose: &'a str,
    /// The client address that asked for it.
    pub ip: Option<std::net::IpAddr>,
    /// Tenantry's own code (counted by the daily caps) or a product's message.
    pub origin: SmsOrigin,
}

/// Whose text an SMS is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsOrigin {
    /// Tenantry's own: verification and reset codes.
    Tenantry,
    /// A product's message sent through `POST /api/v1/messages/sms`.
    Product,
}

impl SmsOrigin {
    fn as_str(self) -> &'static str {
        match self {
            SmsOrigin::Tenantry => "tenantry",
            SmsOrigin::Product => "product",
        }
    }
}

/// Why an SMS was not sent (SMS pumping: each costs the operator money).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsRefused {
    /// The number's country is not in `TENANTRY_SMS_COUNTRIES`.
    Region,
    /// The account, the client address or the installation reached its daily cap.
    DailyCap,
}

/// Whether an SMS to `to` may go out: the number's country is allowed, and for Tenantry's own
/// codes the account, the client address and the installation are under their daily caps
/// (counted in the database). A refusal is written to the SMS log and answered. Call it before
/// the caller's transaction begins (on SQLite a second writer would wait for that transaction),
/// then [`queue_sms`].
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
    } else if who.origin == SmsOrigin::Tenantry {
        let sent = phones::sent_since(&mut conn, who.account_id, ip.as_deref(), now - ROLLING_DAY_MS).await?;
        let over = sent.account >= per_day::SMS_PER_ACCOUNT
            || (ip.is_some() && sent.ip >= per_day::SMS_PER_IP)
            || (state.config.sms_daily_limit > 0 && sent.installation >= state.config.sms_daily_limit);
        over.then_some(SmsRefused::DailyCap)
    } else {
        None
    };
    let Some(reason) = refused else { return Ok(Ok(())) };
    tracing::warn!(purpose = who.purpose, reason = ?reason, "SMS refused by a limit");
    metrics::counter!("tenantry_sms_refused_total").increment(1);
    let id = phones::new_log_id();
    let line = SmsLine {
        id: &id,
        account_id: who.account_id,
        user_id: who.user_id,
        to,
        purpose: who.purpose,
        status: "refused",
        ip: ip.as_deref(),
        segments: segments_of(""),
        credits: 0,
        origin: who.origin.as_str(),
        now,
    };
    phones::log_sms(&mut conn, line).await?;
    Ok(Err(reason))
}

fn segments_of(body: &str) -> i64 {
    i64::from(tenantry_domain::sms_segments::segments(body).count.max(1))
}

/// An SMS [`queue_sms`] queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsQueued {
    /// Its SMS log row.
    pub id: String,
    pub segments: i64,
    /// The account's balance after it.
    pub credits_left: i64,
}

/// Spends one credit per segment and queues a text message in the caller's transaction, writing
/// it to the account's SMS log; [`sms_allowed`] said it may go. With too few credits nothing is
/// spent or queued, a `refused` log row is written in the transaction and the answer is
/// `Ok(Err(segments))`: the caller decides whether to commit that refusal alone or to fall back.
/// Falling to the low-balance threshold queues the billing notice (once per crossing). Call
/// [`wake_outbox`] after the commit.
#[tracing::instrument(skip_all)]
pub async fn queue_sms(
    conn: &mut Conn, who: SmsFor<'_>, sms: &OutgoingSms, now: i64,
) -> Result<std::result::Result<SmsQueued, i64>> {
    use tenantry_storage::{phones, sms_credits};
    let segments = segments_of(&sms.body);
    let id = phones::new_log_id();
    let spent = sms_credits::spend(conn, who.account_id, segments, &id, now).await?;
    let ip = who.ip.map(|ip| ip.to_string());
    let line = phones::SmsLine {
        id: &id,
        account_id: who.account_id,
        user_id: who.user_id,
        to: &sms.to,
        purpose: who.purpose,
        status: if spent.is_some() { "sent" } else { "refused" },
        ip: ip.as_deref(),
        segments,
        credits: if spent.is_some() { segments } else { 0 },
        origin: who.origin.as_str(),
        now,
    };
    phones::log_sms(conn, line).await?;
    let Some(credits_left) = spent else {
        tracing::warn!(purpose = who.purpose, segments, "SMS refused: not enough SMS credits");
        metrics::counter!("tenantry_sms_refused_total").increment(1);
        return Ok(Err(segments));
    };
    let queued = OutgoingSms { log_id: Some(id.clone()), ..sms.clone() };
    let payload = serde_json::to_string(&queued).map_err(anyhow::Error::from)?;
    outbox::enqueue(conn, Some(who.account_id), OutgoingSms::KIND, &payload, now).await?;
    if sms_credits::claim_low_notice(conn, who.account_id).await? {
        crate::billing::notify_low_sms_credits(conn, who.account_id, credits_left, now).await?;
    }
    Ok(Ok(SmsQueued { id, segments, credits_left }))
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
