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

/// Queues a text message for `user` of `account_id` in the caller's transaction and writes it to
/// the account's SMS log (`purpose`: `password_reset`, `phone_verification`…); call
/// [`wake_outbox`] after the commit.
#[tracing::instrument(skip_all)]
pub async fn queue_sms(
    conn: &mut Conn, account_id: &str, user_id: &str, purpose: &str, sms: &OutgoingSms, now: i64,
) -> Result<()> {
    let payload = serde_json::to_string(sms).map_err(anyhow::Error::from)?;
    outbox::enqueue(conn, Some(account_id), OutgoingSms::KIND, &payload, now).await?;
    tenantry_storage::phones::log_sms(conn, account_id, Some(user_id), &sms.to, purpose, now).await?;
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
