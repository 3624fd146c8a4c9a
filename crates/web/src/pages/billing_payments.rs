//! Account settings › Billing › Payment methods (Administrators): the account's payment methods
//! (brand, last four digits, expiry, which is the default, which have expired), a form to add one
//! by the payment provider's token, and making one the default or deleting one. Same services as
//! `/api/v1/billing/payment-methods`.
//!
//! A whole card number is never taken: every submitted field (name and value) is checked with
//! the API's rule before anything else, and the field holding one is answered empty with the
//! error next to it, so the digits reach no service, no page and no log line.

use super::billing::fail;
use super::{Chrome, FormState, PageAdmin, PageError, PageForm, Section, render, see_other, set_flash, take_flash};
use crate::extract::{AdminUser, PathId};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use tenantry_app::payment_methods::{self, BRANDS, PaymentMethodInput};
use tenantry_domain::card_number::contains_card_number;
use tenantry_domain::id::PaymentMethodId;

/// The add form's fields, in the order the form shows them.
const FIELDS: [&str; 6] = ["provider_token", "brand", "last4", "exp_month", "exp_year", "make_default"];
/// What the field holding a card number is told.
const CARD_NUMBER: &str =
    "holds what looks like a payment card number: enter the payment provider's token, never the card number";

/// A payment method as the list shows it.
struct MethodRow {
    id: String,
    brand: String,
    last4: String,
    expiry: String,
    is_default: bool,
    expired: bool,
    added: String,
}

#[derive(Template)]
#[template(path = "account/billing_payments.html")]
struct PaymentsPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    tab: &'static str,
    methods: Vec<MethodRow>,
    /// (value, label) of each brand the select offers.
    brands: Vec<(&'static str, &'static str)>,
    form: FormState,
}

/// A card brand as people write it.
fn brand_label(brand: &str) -> &'static str {
    match brand {
        "visa" => "Visa",
        "mastercard" => "Mastercard",
        "amex" => "American Express",
        "discover" => "Discover",
        "diners" => "Diners Club",
        "jcb" => "JCB",
        "unionpay" => "UnionPay",
        _ => "Other",
    }
}

async fn payments_page(
    state: &AppState, admin: &AdminUser, flash: Option<String>, form: FormState,
) -> Result<PaymentsPage, PageError> {
    let chrome = Chrome::new(admin, Section::Billing);
    let now = state.now();
    let brands = BRANDS.iter().map(|b| (*b, brand_label(b))).collect();
    let methods = payment_methods::list(state, admin)
        .await
        .map_err(fail(admin))?
        .into_iter()
        .map(|m| MethodRow {
            expired: payment_methods::expired(m.exp_month, m.exp_year, now),
            expiry: format!("{:02}/{}", m.exp_month, m.exp_year),
            brand: brand_label(&m.brand).to_owned(),
            added: chrome.local.date(m.created_at),
            id: m.id,
            last4: m.last4,
            is_default: m.is_default,
        })
        .collect();
    Ok(PaymentsPage { chrome: Some(chrome), flash, tab: "payment-methods", methods, brands, form })
}

/// `GET /account/billing/payment-methods`.
pub async fn list(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let form = FormState::with(FIELDS.iter().map(|f| (*f, String::new())).collect());
    Ok((jar, render(StatusCode::OK, &payments_page(&state, &admin, flash, form).await?)).into_response())
}

/// `POST /account/billing/payment-methods`: adds a payment method. A card number in any field is
/// refused before anything else; other bad input answers the form again as typed.
pub async fn add(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    // The card check comes first, on every pair as sent (names too), and keeps nothing of a
    // field holding a card number.
    let carded: Vec<&str> = pairs
        .iter()
        .filter(|(k, v)| contains_card_number(k) || contains_card_number(v))
        .map(|(k, _)| FIELDS.iter().copied().find(|f| f == k).unwrap_or("form"))
        .collect();
    let value =
        |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    let mut form = FormState::with(
        FIELDS.iter().map(|f| (*f, if carded.contains(f) { String::new() } else { value(f) })).collect(),
    );
    if !carded.is_empty() {
        for field in FIELDS.iter().copied().filter(|f| carded.contains(f)) {
            form.set_error(field, CARD_NUMBER);
        }
        if carded.contains(&"form") {
            form.alert = Some(format!("The form {CARD_NUMBER}."));
        }
        let page = payments_page(&state, &admin, None, form).await?;
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let number = |name: &str| form.value(name).parse::<i64>().unwrap_or(0);
    let input = PaymentMethodInput {
        provider_token: form.value("provider_token").to_owned(),
        brand: form.value("brand").to_owned(),
        last4: form.value("last4").to_owned(),
        exp_month: number("exp_month"),
        exp_year: number("exp_year"),
        make_default: form.value("make_default") == "on",
    };
    match payment_methods::add(&state, &admin, &admin.actor, input).await {
        Ok(m) => {
            let message = format!("{} ending in {} has been added.", brand_label(&m.brand), m.last4);
            Ok((set_flash(&state, jar, &message), see_other("/account/billing/payment-methods")).into_response())
        }
        Err(e) => {
            let (status, form) = form.fail(e).map_err(fail(&admin))?;
            Ok(render(status, &payments_page(&state, &admin, None, form).await?))
        }
    }
}

/// `POST /account/billing/payment-methods/{id}/default`.
pub async fn make_default(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<PaymentMethodId>,
) -> Result<Response, PageError> {
    let m = payment_methods::make_default(&state, &admin, &admin.actor, &id).await.map_err(fail(&admin))?;
    let message = format!("{} ending in {} is now the default.", brand_label(&m.brand), m.last4);
    Ok((set_flash(&state, jar, &message), see_other("/account/billing/payment-methods")).into_response())
}

/// `POST /account/billing/payment-methods/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<PaymentMethodId>,
) -> Result<Response, PageError> {
    let gone = payment_methods::list(&state, &admin)
        .await
        .map_err(fail(&admin))?
        .into_iter()
        .find(|m| m.id == id.as_str())
        .ok_or_else(|| fail(&admin)(tenantry_app::Error::NotFound))?;
    payment_methods::delete(&state, &admin, &admin.actor, &id).await.map_err(fail(&admin))?;
    let message = format!("{} ending in {} has been deleted.", brand_label(&gone.brand), gone.last4);
    Ok((set_flash(&state, jar, &message), see_other("/account/billing/payment-methods")).into_response())
}
