//! Messages for products: a product sends its customer notifications through Tenantry, so the
//! account's settings apply to them. An SMS spends the account's SMS credits (one per segment)
//! and appears in its SMS log; an email gets the account's compliance BCC on the envelope.

use crate::{Admin, App, Error, Result, SmsOrigin, SmsQueued, queue_sms, sms_allowed, wake_outbox};
use tenantry_domain::{EmailAddress, OutgoingSms, ProductEmail, ValidationErrors};
use tenantry_storage::outbox;

/// Longest SMS body, in characters (ten UCS-2 segments' worth is long for a text already).
pub const MAX_SMS_CHARS: usize = 1600;
/// Longest email subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 250;
/// Largest text or HTML body, in bytes.
pub const MAX_EMAIL_BODY_BYTES: usize = 256 * 1024;
/// Longest `purpose`, in characters.
pub const MAX_PURPOSE_CHARS: usize = 64;

/// What a product names the reason of an SMS: letters, digits, `_`, `-` and `.`; `product` when
/// it names none.
fn purpose(raw: Option<&str>, errors: &mut ValidationErrors) -> String {
    let p = raw.map(str::trim).filter(|p| !p.is_empty()).unwrap_or("product");
    let fine = p.chars().count() <= MAX_PURPOSE_CHARS
        && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !fine {
        errors.push(
            "purpose",
            format!("must be up to {MAX_PURPOSE_CHARS} letters, digits, underscores, hyphens or dots"),
        );
    }
    p.to_owned()
}

/// Sends an SMS for a product: `to` in international format (`+…`), one credit per segment. With
/// too few credits: 409 `no_sms_credits`, nothing queued, a `refused` log row.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn send_sms(
    state: &App, admin: &Admin, ip: Option<std::net::IpAddr>, to: &str, body: &str, purpose_raw: Option<&str>,
) -> Result<SmsQueued> {
    let mut errors = ValidationErrors::new();
    let number = match tenantry_domain::PhoneNumber::parse(to, None) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push("to", format!("{e} (use the international format, e.g. +14155550123)"));
            None
        }
    };
    if body.trim().is_empty() {
        errors.push("body", "must not be empty");
    } else if body.chars().count() > MAX_SMS_CHARS {
        errors.push("body", format!("must be at most {MAX_SMS_CHARS} characters"));
    }
    let purpose = purpose(purpose_raw, &mut errors);
    errors.into_result()?;
    let Some(number) = number else { return Err(Error::invalid("to", "is not a phone number")) };
    let now = state.now();
    let who = crate::SmsFor {
        account_id: admin.account_id().as_str(),
        user_id: None,
        purpose: &purpose,
        ip,
        origin: SmsOrigin::Product,
    };
    if sms_allowed(state, who, number.as_str(), now).await?.is_err() {
        return Err(Error::invalid("to", "is in a country this service does not send SMS to"));
    }
    let mut tx = state.db.begin().await?;
    let sms = OutgoingSms { to: number.as_str().to_owned(), body: body.to_owned(), log_id: None };
    let queued = queue_sms(&mut tx, who, &sms, now).await?;
    // A refusal is committed too: it belongs in the SMS log.
    tenantry_storage::commit(tx).await?;
    match queued {
        Ok(queued) => {
            wake_outbox(state);
            Ok(queued)
        }
        Err(segments) => Err(crate::billing::no_sms_credits(segments)),
    }
}

/// An email a product asks Tenantry to send.
#[derive(Debug, Clone)]
pub struct EmailRequest {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// Queues a product's email; the account's compliance BCC address, if any, gets a hidden copy.
/// Answers the message id.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn send_email(state: &App, admin: &Admin, request: EmailRequest) -> Result<String> {
    let mut errors = ValidationErrors::new();
    let to = errors.check("to", EmailAddress::parse(&request.to));
    let subject = request.subject.trim();
    if subject.is_empty() {
        errors.push("subject", "must not be empty");
    } else if subject.chars().count() > MAX_SUBJECT_CHARS {
        errors.push("subject", format!("must be at most {MAX_SUBJECT_CHARS} characters"));
    } else if subject.chars().any(char::is_control) {
        errors.push("subject", "must be one line");
    }
    if request.text.trim().is_empty() {
        errors.push("text", "must not be empty");
    } else if request.text.len() > MAX_EMAIL_BODY_BYTES {
        errors.push("text", format!("must be at most {} KiB", MAX_EMAIL_BODY_BYTES / 1024));
    }
    if request.html.as_ref().is_some_and(|h| h.len() > MAX_EMAIL_BODY_BYTES) {
        errors.push("html", format!("must be at most {} KiB", MAX_EMAIL_BODY_BYTES / 1024));
    }
    errors.into_result()?;
    let Some(to) = to else { return Err(Error::invalid("to", "is not an email address")) };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let account = tenantry_storage::accounts::get(&mut tx, admin.account_id()).await?.ok_or(Error::NotFound)?;
    let email = ProductEmail {
        to: to.to_string(),
        subject: subject.to_owned(),
        text: request.text,
        html: request.html.filter(|h| !h.trim().is_empty()),
        bcc: account.compliance_bcc_email,
    };
    let payload = serde_json::to_string(&email).map_err(anyhow::Error::from)?;
    let id = outbox::enqueue(&mut tx, Some(admin.account_id().as_str()), ProductEmail::KIND, &payload, now).await?;
    tenantry_storage::commit(tx).await?;
    wake_outbox(state);
    Ok(id)
}
