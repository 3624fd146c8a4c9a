//! The personal cell number: a new number gets a 6-digit SMS code (10 minutes, 5 attempts,
//! single use, rate-limited); until it is verified the number in force stays.

use crate::audit::{self, Change};
use crate::reset::{six_digits, sms_code_hash, subtle_eq};
use crate::{Actor, App, Error, Principal, Result, queue_sms, wake_outbox};
use serde_json::json;
use tenantry_domain::limits::per_account;
use tenantry_domain::phone::PhoneError;
use tenantry_domain::{OutgoingSms, PhoneNumber};
use tenantry_storage::phones::{self, NewVerification};
use tenantry_storage::{credentials, users};

use tenantry_domain::limits::{PHONE_CODE_ATTEMPTS, PHONE_CODE_TTL_MS};

const BAD_CODE: &str = "is wrong or has expired; ask for a new one";

/// Reads a number as entered, with an optional default country; a refusal names the field it is
/// about (`country` for an unknown country code, else `number`).
pub fn parse_number(number: &str, country: Option<&str>) -> Result<PhoneNumber> {
    let country = country.map(str::trim).filter(|c| !c.is_empty());
    PhoneNumber::parse(number, country).map_err(|e| {
        let field = if e == PhoneError::UnknownCountry { "country" } else { "number" };
        Error::invalid(field, e.to_string())
    })
}

/// Sends a code to `number`; the number counts only once verified.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn request(
    state: &App, me: &Principal, actor: &Actor, number: PhoneNumber, proof: &crate::reauth::Proof,
) -> Result<()> {
    let now = state.now();
    state.limits.check(&format!("phone-send:{}", me.user.id), per_account::PHONE_CODE_SENT, now)?;
    crate::reauth::check(state, me, actor, proof).await?;
    let id = format!("phv_{}", tenantry_domain::token::random_hex(12));
    let code = six_digits();
    let hash = sms_code_hash(&id, &code);
    let who = crate::SmsFor {
        account_id: me.user.account_id.as_str(),
        user_id: Some(me.user.id.as_str()),
        purpose: "phone_verification",
        ip: actor.ip,
        origin: crate::SmsOrigin::Tenantry,
    };
    match crate::sms_allowed(state, who, number.as_str(), now).await? {
        Ok(()) => {}
        Err(crate::SmsRefused::Region) => {
            return Err(Error::invalid("number", "is in a country this service does not send SMS to"));
        }
        // Daily caps: try again later (in an hour some of the day's messages have aged out).
        Err(crate::SmsRefused::DailyCap) => return Err(Error::RateLimited(3600)),
    }
    let mut tx = state.db.begin().await?;
    // The code is paid for first: without the credits only the refusal is kept (in the SMS log).
    let body = format!("Your Tenantry verification code is {code}. It expires in 10 minutes.");
    if let Err(segments) =
        queue_sms(&mut tx, who, &OutgoingSms { to: number.as_str().to_owned(), body, log_id: None }, now).await?
    {
        tenantry_storage::commit(tx).await?;
        return Err(crate::billing::no_sms_credits(segments));
    }
    let v = NewVerification {
        id: &id,
        account_id: &me.user.account_id,
        user_id: &me.user.id,
        number: &number,
        code_hash: &hash,
        now,
        expires_at: now + PHONE_CODE_TTL_MS,
    };
    phones::insert(&mut tx, &v).await?;
    audit::record(
        &mut tx,
        actor,
        Change::new("user.phone_verification_sent", "user", me.user.id.as_str())
            .after(json!({"number": number.as_str()})),
        now,
    )
    .await?;
    tenantry_storage::commit(tx).await?;
    wake_outbox(state);
    Ok(())
}

/// Checks a code; a right one makes its number the user's verified cell number.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn verify(state: &App, me: &Principal, actor: &Actor, code: &str) -> Result<String> {
    let now = state.now();
    state.limits.check(&format!("phone-check:{}", me.user.id), per_account::PHONE_CODE_CHECKED, now)?;
    let bad = || Error::invalid("code", BAD_CODE);
    let pending = {
        let mut conn = state.db.conn().await?;
        let Some(pending) = phones::open(&mut conn, &me.user.id, now).await? else { return Err(bad()) };
        // The attempt is spent before the code is compared, in its own statement: parallel guesses
        // cannot get more than five tries.
        if !phones::spend_attempt(&mut conn, &pending.id, PHONE_CODE_ATTEMPTS).await? {
            return Err(bad());
        }
        pending
    };
    if !subtle_eq(&sms_code_hash(&pending.id, code.trim()), &pending.code_hash) {
        return Err(bad());
    }
    let mut tx = state.db.begin().await?;
    if !phones::mark_used(&mut tx, &pending.id, now).await? {
        return Err(bad());
    }
    let before = users::get(&mut tx, &me.user.account_id, &me.user.id)
        .await?
        .and_then(|u| u.phone_number.filter(|_| u.phone_verified));
    credentials::set_phone(&mut tx, &me.user.id, Some(&pending.number), true).await?;
    let change = Change::new("user.phone_verified", "user", me.user.id.as_str())
        .before(json!({"number": before}))
        .after(json!({"number": pending.number}));
    audit::record(&mut tx, actor, change, now).await?;
    let notice = crate::mail::security_notice(
        &me.user.email,
        &me.user.name,
        "Your phone number was changed",
        &format!(
            "The cell phone number of your Tenantry account is now {}. Password-reset codes go to this number.",
            pending.number
        ),
    );
    crate::queue_email(&mut tx, Some(me.user.account_id.as_str()), &notice, now).await?;
    tenantry_storage::commit(tx).await?;
    crate::wake_outbox(state);
    state.sessions.forget_user(&me.user.id);
    Ok(pending.number)
}

/// A page of the account's SMS log, newest first, before the keyset position `before`.
#[tracing::instrument(skip_all)]
pub async fn sms_log(
    state: &App, admin: &crate::Admin, before: Option<(i64, String)>, limit: i64,
) -> Result<(Vec<tenantry_storage::phones::SmsLogEntry>, Option<String>)> {
    let mut conn = state.db.conn().await?;
    let rows = phones::sms_log(&mut conn, admin.account_id(), before, limit + 1).await?;
    Ok(crate::cursor::paginate(rows, limit, |e| (e.created_at, e.id.clone())))
}

/// The account's whole SMS log as CSV, newest first: a header, then one row per SMS.
#[tracing::instrument(skip_all)]
pub async fn sms_log_csv(state: &App, admin: &crate::Admin) -> Result<String> {
    use crate::compliance::neutralized;
    let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    out.write_record(["id", "created_at", "to", "segments", "credits", "status", "purpose"])
        .map_err(anyhow::Error::from)?;
    let mut conn = state.db.conn().await?;
    let mut before = None;
    loop {
        let rows = phones::sms_log(&mut conn, admin.account_id(), before, 1000).await?;
        for e in &rows {
            let at = jiff::Timestamp::from_millisecond(e.created_at).map(|t| t.to_string()).unwrap_or_default();
            let (segments, credits) = (e.segments.to_string(), e.credits.to_string());
            let cells = [e.id.as_str(), &at, &e.to_number, &segments, &credits, &e.status, &e.purpose];
            let cells: Vec<_> = cells.iter().map(|c| neutralized(c)).collect();
            out.write_record(cells.iter().map(|c| c.as_bytes())).map_err(anyhow::Error::from)?;
        }
        match rows.last() {
            Some(last) if rows.len() == 1000 => before = Some((last.created_at, last.id.clone())),
            _ => break,
        }
    }
    let bytes = out.into_inner().map_err(|e| Error::unexpected(e.to_string()))?;
    Ok(String::from_utf8(bytes).map_err(anyhow::Error::from)?)
}
