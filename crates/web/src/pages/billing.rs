//! Account settings › Billing (Administrators), in five tabs under one navigation entry:
//! Licenses (here), SMS (here), Payment methods ([`super::billing_payments`]), Notifications
//! ([`super::billing_notifications`]) and Invoices ([`super::billing_invoices`]). Same services as
//! `/api/v1/billing/…`; the SMS log's CSV is served here too, since the API route takes bearer
//! tokens only.

use super::{Chrome, FormState, PageAdmin, PageError, PageForm, Section, render, see_other, set_flash, take_flash};
use crate::error::AppError;
use crate::extract::AdminUser;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::{billing, cursor, subscriptions};

/// Rows on one page of the SMS log and of the invoice list.
pub(super) const PAGE_SIZE: i64 = 50;

/// The billing pages' routes.
pub fn routes() -> axum::Router<AppState> {
    use super::{billing_invoices as invoices, billing_notifications as notifications, billing_payments as payments};
    axum::Router::new()
        .route("/account/billing", get(licenses))
        .route("/account/billing/sms", get(sms).post(set_threshold))
        .route("/account/billing/sms/log.csv", get(sms_log_csv))
        .route("/account/billing/payment-methods", get(payments::list).post(payments::add))
        .route("/account/billing/payment-methods/{id}/default", post(payments::make_default))
        .route("/account/billing/payment-methods/{id}/delete", post(payments::delete))
        .route("/account/billing/notifications", get(notifications::page).post(notifications::save))
        .route("/account/billing/invoices", get(invoices::list))
        .route("/account/billing/invoices/{id}", get(invoices::show))
        .route("/account/billing/invoices/{id}/pdf", get(invoices::pdf))
}

/// An error page under Billing.
pub(super) fn fail<E: Into<AppError>>(admin: &AdminUser) -> impl Fn(E) -> PageError + '_ {
    move |e| PageError::for_user(e, admin, Section::Billing)
}

/// The cursor of a later page, as it arrives in the address.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PageQuery {
    pub cursor: String,
}

impl PageQuery {
    /// The keyset position of the page asked for (none: the first); a cursor that is not ours is 400.
    pub(super) fn position<T: serde::de::DeserializeOwned>(&self) -> tenantry_app::Result<Option<T>> {
        Some(self.cursor.trim()).filter(|c| !c.is_empty()).map(cursor::decode).transpose()
    }
}

/// `path?cursor=…`, the address of a later page.
pub(super) fn page_href(path: &str, cursor: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("cursor", cursor).finish();
    format!("{path}?{query}")
}

/// Seats of one product.
struct SeatRow {
    name: String,
    purchased: i64,
    assigned: i64,
    free: i64,
}

#[derive(Template)]
#[template(path = "account/billing_licenses.html")]
struct LicensesPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    tab: &'static str,
    plan: String,
    status: &'static str,
    cycle_start: String,
    seats: Vec<SeatRow>,
}

/// `GET /account/billing`: the plan, and seats purchased, assigned and free per product.
pub async fn licenses(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let chrome = Chrome::new(&admin, Section::Billing);
    let summary = subscriptions::get(&state, &admin).await.map_err(fail(&admin))?;
    let catalog = state.config.catalog.products();
    let seats = summary
        .seats
        .into_iter()
        .map(|(key, s)| SeatRow {
            name: catalog.iter().find(|p| p.key.as_str() == key).map_or(key.clone(), |p| p.name.clone()),
            purchased: s.purchased,
            assigned: s.assigned,
            free: (s.purchased - s.assigned).max(0),
        })
        .collect();
    let page = LicensesPage {
        flash,
        tab: "licenses",
        plan: summary.plan,
        status: summary.status.as_str(),
        cycle_start: chrome.local.date(summary.cycle_start),
        seats,
        chrome: Some(chrome),
    };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// One SMS of the log, in the viewer's date format.
struct SmsRow {
    id: String,
    date: String,
    to: String,
    status: String,
    segments: i64,
    credits: i64,
    purpose: String,
}

#[derive(Template)]
#[template(path = "account/billing_sms.html")]
struct SmsPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    tab: &'static str,
    credits: i64,
    threshold: i64,
    form: FormState,
    log: Vec<SmsRow>,
    /// Whether this is a later page of the log.
    paged: bool,
    older: Option<String>,
}

async fn sms_page(
    state: &AppState, admin: &AdminUser, flash: Option<String>, form: FormState, q: &PageQuery,
) -> Result<SmsPage, PageError> {
    let chrome = Chrome::new(admin, Section::Billing);
    let balance = billing::sms_balance(state, admin).await.map_err(fail(admin))?;
    let before = q.position().map_err(fail(admin))?;
    let (rows, next) = tenantry_app::phone::sms_log(state, admin, before, PAGE_SIZE).await.map_err(fail(admin))?;
    let log = rows
        .into_iter()
        .map(|e| SmsRow {
            id: e.id,
            date: chrome.local.date_time(e.created_at),
            to: e.to_number,
            status: e.status,
            segments: e.segments,
            credits: e.credits,
            purpose: e.purpose,
        })
        .collect();
    Ok(SmsPage {
        chrome: Some(chrome),
        flash,
        tab: "sms",
        credits: balance.credits,
        threshold: balance.low_balance_threshold,
        form,
        log,
        paged: !q.cursor.trim().is_empty(),
        older: next.map(|c| page_href("/account/billing/sms", &c)),
    })
}

/// `GET /account/billing/sms?cursor=`: the balance, the threshold form and the log, 50 at a time.
pub async fn sms(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let balance = billing::sms_balance(&state, &admin).await.map_err(fail(&admin))?;
    let form = FormState::with(vec![("low_balance_threshold", balance.low_balance_threshold.to_string())]);
    let page = sms_page(&state, &admin, flash, form, &q).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ThresholdForm {
    low_balance_threshold: String,
}

/// `POST /account/billing/sms`: sets the low-balance threshold; what is not a whole number is
/// refused next to the field, as typed.
pub async fn set_threshold(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PageForm(f): PageForm<ThresholdForm>,
) -> Result<Response, PageError> {
    let typed = f.low_balance_threshold.trim().to_owned();
    let form = FormState::with(vec![("low_balance_threshold", typed.clone())]);
    let result = match typed.parse::<i64>() {
        Ok(n) => billing::set_low_balance_threshold(&state, &admin, &admin.actor, n).await,
        Err(_) => Err(tenantry_app::Error::invalid(
            "low_balance_threshold",
            format!("must be a whole number from 0 to {}", billing::MAX_CREDITS),
        )),
    };
    match result {
        Ok(b) => {
            let message = format!("The low-balance threshold is now {} credits.", b.low_balance_threshold);
            Ok((set_flash(&state, jar, &message), see_other("/account/billing/sms")).into_response())
        }
        Err(e) => {
            let (status, form) = form.fail(e).map_err(fail(&admin))?;
            Ok(render(status, &sms_page(&state, &admin, None, form, &PageQuery::default()).await?))
        }
    }
}

/// `GET /account/billing/sms/log.csv`: the whole log, as `/api/v1/billing/sms/log.csv` answers it.
pub async fn sms_log_csv(State(state): State<AppState>, PageAdmin(admin): PageAdmin) -> Result<Response, PageError> {
    let text = tenantry_app::phone::sms_log_csv(&state, &admin).await.map_err(fail(&admin))?;
    let mut res = crate::api::compliance::csv_response(text);
    res.headers_mut()
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"sms-log.csv\""));
    Ok(res)
}
