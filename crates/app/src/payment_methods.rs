//! Billing › Payment methods (Administrators). Tenantry keeps billing records; charging a card is
//! a payment provider's job, so a payment method is the provider's token plus brand, last four
//! digits and expiry. Exactly one is the default while any exist: the first becomes it, and
//! deleting the default promotes the newest other one. A whole card number is refused before
//! anything is stored or logged (see `tenantry_domain::card_number`; the web layer checks the raw
//! body, so it never reaches a parser's error message either).

use crate::audit::{self, Change};
use crate::{Actor, Admin, App, Error, Result};
use serde_json::json;
use tenantry_domain::ValidationErrors;
use tenantry_domain::id::PaymentMethodId;
use tenantry_storage::payment_methods::{self, NewPaymentMethod, PaymentMethod};

/// Card brands a payment method may name.
pub const BRANDS: [&str; 8] = ["visa", "mastercard", "amex", "discover", "diners", "jcb", "unionpay", "other"];
/// The most payment methods an account may keep.
pub const MAX_PER_ACCOUNT: i64 = 20;
/// Rule: the account holds [`MAX_PER_ACCOUNT`] payment methods already.
pub const LIMIT_RULE: &str = "payment_method_limit";

/// A payment method to add, as sent.
#[derive(Debug, Clone, Default)]
pub struct PaymentMethodInput {
    pub provider_token: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
    pub make_default: bool,
}

/// Whether a card expiring at the end of `exp_month`/`exp_year` has expired at `now` (UTC).
pub fn expired(exp_month: i64, exp_year: i64, now: i64) -> bool {
    let today =
        jiff::Timestamp::from_millisecond(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH).to_zoned(jiff::tz::TimeZone::UTC);
    (exp_year, exp_month) < (i64::from(today.year()), i64::from(today.month()))
}

fn validate(input: &PaymentMethodInput) -> Result<()> {
    let mut errors = ValidationErrors::new();
    let token = input.provider_token.as_str();
    if token.is_empty() || token.len() > 255 || !token.bytes().all(|b| b.is_ascii_graphic()) {
        errors.push("provider_token", "must be the payment provider's token: 1 to 255 printable characters, no spaces");
    }
    if !BRANDS.contains(&input.brand.as_str()) {
        errors.push("brand", format!("must be one of {}", BRANDS.join(", ")));
    }
    if !(input.last4.len() == 4 && input.last4.bytes().all(|b| b.is_ascii_digit())) {
        errors.push("last4", "must be the card's last 4 digits");
    }
    if !(1..=12).contains(&input.exp_month) {
        errors.push("exp_month", "must be from 1 to 12");
    }
    if !(2000..=2100).contains(&input.exp_year) {
        errors.push("exp_year", "must be a four-digit year");
    }
    Ok(errors.into_result()?)
}

/// The account's payment methods, newest first.
#[tracing::instrument(skip_all)]
pub async fn list(state: &App, admin: &Admin) -> Result<Vec<PaymentMethod>> {
    let mut conn = state.db.conn().await?;
    Ok(payment_methods::list(&mut conn, admin.account_id().as_str()).await?)
}

/// Adds a payment method; the account's first, or one sent with `make_default`, becomes the default.
#[tracing::instrument(skip_all)]
pub async fn add(state: &App, admin: &Admin, actor: &Actor, input: PaymentMethodInput) -> Result<PaymentMethod> {
    validate(&input)?;
    let account_id = admin.account_id();
    let account = account_id.as_str();
    let now = state.now();
    let id = PaymentMethodId::generate();
    let mut tx = state.db.begin().await?;
    tenantry_storage::accounts::lock(&mut tx, account_id).await?;
    let existing = payment_methods::count(&mut tx, account).await?;
    if existing >= MAX_PER_ACCOUNT {
        return Err(Error::rule(
            LIMIT_RULE,
            format!("An account can keep {MAX_PER_ACCOUNT} payment methods; delete one you no longer use first."),
        ));
    }
    let new = NewPaymentMethod {
        id: id.as_str(),
        account_id: account,
        provider_token: &input.provider_token,
        brand: &input.brand,
        last4: &input.last4,
        exp_month: input.exp_month,
        exp_year: input.exp_year,
        now,
    };
    payment_methods::insert(&mut tx, &new).await?;
    if existing == 0 || input.make_default {
        payment_methods::make_default(&mut tx, account, id.as_str()).await?;
    }
    let change = Change::new("billing.payment_method_added", "payment_method", id.as_str()).after(json!({
        "brand": input.brand, "last4": input.last4, "exp_month": input.exp_month, "exp_year": input.exp_year,
        "is_default": existing == 0 || input.make_default,
    }));
    audit::record(&mut tx, actor, change, now).await?;
    let method = payment_methods::get(&mut tx, account, id.as_str()).await?.ok_or(Error::NotFound)?;
    tenantry_storage::commit(tx).await?;
    Ok(method)
}

/// Makes one payment method the default.
#[tracing::instrument(skip_all)]
pub async fn make_default(state: &App, admin: &Admin, actor: &Actor, id: &PaymentMethodId) -> Result<PaymentMethod> {
    let account_id = admin.account_id();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    tenantry_storage::accounts::lock(&mut tx, account_id).await?;
    if !payment_methods::make_default(&mut tx, account_id.as_str(), id.as_str()).await? {
        return Err(Error::NotFound);
    }
    let change = Change::new("billing.payment_method_made_default", "payment_method", id.as_str());
    audit::record(&mut tx, actor, change, now).await?;
    let method = payment_methods::get(&mut tx, account_id.as_str(), id.as_str()).await?.ok_or(Error::NotFound)?;
    tenantry_storage::commit(tx).await?;
    Ok(method)
}

/// Deletes a payment method; deleting the default makes the newest other one the default.
#[tracing::instrument(skip_all)]
pub async fn delete(state: &App, admin: &Admin, actor: &Actor, id: &PaymentMethodId) -> Result<()> {
    let account_id = admin.account_id();
    let account = account_id.as_str();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    tenantry_storage::accounts::lock(&mut tx, account_id).await?;
    let gone = payment_methods::get(&mut tx, account, id.as_str()).await?.ok_or(Error::NotFound)?;
    payment_methods::delete(&mut tx, account, id.as_str()).await?;
    let mut promoted = None;
    if gone.is_default
        && let Some(newest) = payment_methods::list(&mut tx, account).await?.into_iter().next()
    {
        payment_methods::make_default(&mut tx, account, &newest.id).await?;
        promoted = Some(newest.id);
    }
    let change = Change::new("billing.payment_method_deleted", "payment_method", id.as_str())
        .before(json!({"brand": gone.brand, "last4": gone.last4, "is_default": gone.is_default}))
        .after(json!({"new_default": promoted}));
    audit::record(&mut tx, actor, change, now).await?;
    tenantry_storage::commit(tx).await?;
    Ok(())
}
