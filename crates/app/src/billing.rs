//! Billing (Administrators) and the operator's side of it: SMS credits, and who among the
//! Administrators gets which billing notification.

use crate::audit::{self, Change};
use crate::{Actor, Admin, App, Error, Result};
use serde_json::json;
use tenantry_domain::{AccountId, OutgoingEmail, ValidationErrors};
use tenantry_storage::billing_recipients::{self, Notice, Recipient};
use tenantry_storage::{Conn, sms_credits};

/// Rule: an SMS costs more credits than the account has left.
pub const NO_SMS_CREDITS: &str = "no_sms_credits";
/// Rule: a paid subscription needs someone who hears about failed payments.
pub const PAYMENT_FAILURE_RECIPIENT: &str = "payment_failure_recipient";
/// The largest single top-up and threshold (a typo guard, far above any real purchase).
pub const MAX_CREDITS: i64 = 100_000_000;

/// The refusal of an SMS the balance cannot pay for.
pub fn no_sms_credits(segments: i64) -> Error {
    Error::rule(
        NO_SMS_CREDITS,
        format!(
            "The account has too few SMS credits for this message ({segments} needed). An Administrator can buy more under Billing › SMS."
        ),
    )
}

/// The account's SMS credits and low-balance threshold.
#[tracing::instrument(skip_all)]
pub async fn sms_balance(state: &App, admin: &Admin) -> Result<sms_credits::Balance> {
    let mut conn = state.db.conn().await?;
    Ok(sms_credits::balance(&mut conn, admin.account_id().as_str()).await?)
}

/// Sets the balance under which the billing recipients are told (once per crossing).
#[tracing::instrument(skip_all)]
pub async fn set_low_balance_threshold(
    state: &App, admin: &Admin, actor: &Actor, threshold: i64,
) -> Result<sms_credits::Balance> {
    if !(0..=MAX_CREDITS).contains(&threshold) {
        return Err(Error::invalid("low_balance_threshold", format!("must be from 0 to {MAX_CREDITS}")));
    }
    let now = state.now();
    let account = admin.account_id().as_str();
    let mut tx = state.db.begin().await?;
    let before = sms_credits::balance(&mut tx, account).await?;
    sms_credits::set_threshold(&mut tx, account, threshold).await?;
    let change = Change::new("billing.sms_threshold_changed", "account", account)
        .before(json!({"low_balance_threshold": before.low_balance_threshold}))
        .after(json!({"low_balance_threshold": threshold}));
    audit::record(&mut tx, actor, change, now).await?;
    let after = sms_credits::balance(&mut tx, account).await?;
    tenantry_storage::commit(tx).await?;
    Ok(after)
}

/// The operator adds `credits` to an account's balance; answers the new balance. Idempotent by
/// `reference`: the same reference again answers the balance that top-up left and adds nothing.
#[tracing::instrument(skip_all, fields(account_id = %account_id))]
pub async fn top_up(state: &App, account_id: &AccountId, credits: i64, reference: &str) -> Result<i64> {
    let mut errors = ValidationErrors::new();
    if !(1..=MAX_CREDITS).contains(&credits) {
        errors.push("credits", format!("must be from 1 to {MAX_CREDITS}"));
    }
    let reference = reference.trim();
    if reference.is_empty() || reference.chars().count() > 200 {
        errors.push("reference", "must be 1 to 200 characters");
    }
    errors.into_result()?;
    let account = account_id.as_str();
    let earlier = |found: Option<(i64, i64)>| -> Result<Option<i64>> {
        match found {
            Some((added, balance)) if added == credits => Ok(Some(balance)),
            Some((added, _)) => Err(Error::invalid(
                "reference",
                format!("was already used for a top-up of {added} credits; use a new reference for a new top-up"),
            )),
            None => Ok(None),
        }
    };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !tenantry_storage::accounts::lock(&mut tx, account_id).await? {
        return Err(Error::NotFound);
    }
    if let Some(balance) = earlier(sms_credits::top_up_by_reference(&mut tx, account, reference).await?)? {
        return Ok(balance);
    }
    let balance =
        match sms_credits::add(&mut tx, account, credits, sms_credits::Reason::TopUp, Some(reference), now).await {
            Ok(balance) => balance,
            // The same reference committed by a concurrent request between our read and write.
            Err(tenantry_storage::StoreError::Conflict { .. }) => {
                drop(tx);
                let mut conn = state.db.conn().await?;
                return earlier(sms_credits::top_up_by_reference(&mut conn, account, reference).await?)?
                    .ok_or_else(|| Error::conflict("the top-up could not be recorded; try again"));
            }
            Err(e) => return Err(e.into()),
        };
    let change = Change::new("billing.sms_credits_added", "account", account)
        .after(json!({"credits": credits, "reference": reference, "balance": balance}));
    audit::record(&mut tx, &Actor::system(account_id.clone()), change, now).await?;
    tenantry_storage::commit(tx).await?;
    Ok(balance)
}

/// Gives a new account its trial SMS credits, in the caller's transaction.
pub async fn grant_trial_credits(state: &App, conn: &mut Conn, account_id: &AccountId, now: i64) -> Result<()> {
    let credits = state.config.trial_sms_credits;
    if credits > 0 {
        sms_credits::add(conn, account_id.as_str(), credits, sms_credits::Reason::Trial, None, now).await?;
    }
    Ok(())
}

/// Queues the low-balance notice to its recipients, in the caller's transaction.
pub(crate) async fn notify_low_sms_credits(
    conn: &mut Conn, account_id: &str, credits_left: i64, now: i64,
) -> Result<()> {
    let text = format!(
        "The account has {credits_left} SMS credits left, at or under its low-balance threshold. When they run out, \
         text messages (including sign-in codes) are refused until more are bought.\n\n\
         An Administrator can buy more and change the threshold under Billing › SMS."
    );
    notify(conn, account_id, Notice::LowSmsCredits, "Your Tenantry SMS credits are running low", &text, now).await
}

/// Queues a billing notice of kind `notice` to each Administrator who receives that kind, in the
/// caller's transaction.
pub async fn notify(
    conn: &mut Conn, account_id: &str, notice: Notice, subject: &str, text: &str, now: i64,
) -> Result<()> {
    for (email, name) in billing_recipients::emails_for(conn, account_id, notice).await? {
        let email = OutgoingEmail {
            to: email,
            subject: subject.to_owned(),
            text: format!(
                "Hello {name},\n\n{text}\n\nYou receive this as a billing contact of your account; Administrators choose \
                 who gets which billing notice under Billing › Notifications.\n"
            ),
        };
        crate::queue_email(conn, Some(account_id), &email, now).await?;
    }
    Ok(())
}

/// Who gets which billing notification; until saved, every Administrator gets every kind.
#[derive(Debug, Clone)]
pub struct Recipients {
    pub saved: bool,
    pub recipients: Vec<Recipient>,
}

/// The account's billing notification recipients.
#[tracing::instrument(skip_all)]
pub async fn recipients(state: &App, admin: &Admin) -> Result<Recipients> {
    let mut conn = state.db.conn().await?;
    let (saved, recipients) = billing_recipients::list(&mut conn, admin.account_id().as_str()).await?;
    Ok(Recipients { saved, recipients })
}

/// Replaces who gets which billing notification. Each user must be an Administrator of the
/// account (422 naming the entry); while the subscription is paid, someone must get payment
/// failures (409 `payment_failure_recipient`).
#[tracing::instrument(skip_all)]
pub async fn set_recipients(state: &App, admin: &Admin, actor: &Actor, wanted: Vec<Recipient>) -> Result<Recipients> {
    let account_id = admin.account_id();
    let account = account_id.as_str();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    tenantry_storage::accounts::lock(&mut tx, account_id).await?;
    let admins = billing_recipients::administrator_ids(&mut tx, account).await?;
    let mut errors = ValidationErrors::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, r) in wanted.iter().enumerate() {
        if !admins.contains(&r.user_id) {
            errors.push(&format!("recipients[{i}].user_id"), "must be an Administrator of this account");
        } else if !seen.insert(r.user_id.clone()) {
            errors.push(&format!("recipients[{i}].user_id"), "is listed twice");
        }
    }
    errors.into_result()?;
    let paid = tenantry_storage::subscriptions::get(&mut tx, account_id)
        .await?
        .is_some_and(|s| s.status == tenantry_domain::SubscriptionStatus::Paid);
    if paid && !wanted.iter().any(|r| r.payment_failures) {
        return Err(Error::rule(
            PAYMENT_FAILURE_RECIPIENT,
            "While the subscription is paid, at least one Administrator must receive payment failures.",
        ));
    }
    let (_, before) = billing_recipients::list(&mut tx, account).await?;
    billing_recipients::replace(&mut tx, account, &wanted).await?;
    let view = |rs: &[Recipient]| -> serde_json::Value {
        rs.iter()
            .map(|r| {
                json!({"user_id": r.user_id, "invoices": r.invoices, "payment_failures": r.payment_failures,
                    "low_sms_credits": r.low_sms_credits, "license_changes": r.license_changes})
            })
            .collect()
    };
    let change = Change::new("billing.notifications_changed", "account", account)
        .before(json!({"recipients": view(&before)}))
        .after(json!({"recipients": view(&wanted)}));
    audit::record(&mut tx, actor, change, now).await?;
    tenantry_storage::commit(tx).await?;
    Ok(Recipients { saved: true, recipients: wanted })
}
