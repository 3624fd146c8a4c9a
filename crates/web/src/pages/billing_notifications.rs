//! Account settings › Billing › Notifications (Administrators): which Administrator receives
//! which billing notice (invoices, payment failures, low SMS credits, license changes), as one
//! table of checkboxes saved at once. Same service as `PUT /api/v1/billing/notifications`: its
//! refusals (an entry that is no Administrator, a paid subscription with nobody receiving payment
//! failures) are shown on the form, with the boxes as ticked.

use super::billing::fail;
use super::{Chrome, FormState, PageAdmin, PageError, PageForm, Section, render, see_other, set_flash, take_flash};
use crate::extract::AdminUser;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use tenantry_app::{billing, users};
use tenantry_domain::{Role, UserStatus};
use tenantry_storage::billing_recipients::Recipient;

/// The kinds of notice, as (form field, column heading).
const KINDS: [(&str, &str); 4] = [
    ("invoices", "Invoices"),
    ("payment_failures", "Payment failures"),
    ("low_sms_credits", "Low SMS credits"),
    ("license_changes", "License changes"),
];

/// One Administrator's row: a checkbox per kind, in [`KINDS`] order.
struct AdminRow {
    id: String,
    name: String,
    email: String,
    checked: [bool; 4],
}

#[derive(Template)]
#[template(path = "account/billing_notifications.html")]
struct NotificationsPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    tab: &'static str,
    kinds: [(&'static str, &'static str); 4],
    /// Whether an Administrator has saved the choices (until then everyone gets everything).
    saved: bool,
    rows: Vec<AdminRow>,
    form: FormState,
}

fn kinds_of(r: &Recipient) -> [bool; 4] {
    [r.invoices, r.payment_failures, r.low_sms_credits, r.license_changes]
}

/// The page with the boxes of `choices` ticked (the saved ones, or those just posted).
async fn notifications_page(
    state: &AppState, admin: &AdminUser, flash: Option<String>, choices: Option<&[Recipient]>, form: FormState,
) -> Result<NotificationsPage, PageError> {
    let chrome = Chrome::new(admin, Section::Billing);
    let current = billing::recipients(state, admin).await.map_err(fail(admin))?;
    let choices = choices.unwrap_or(&current.recipients);
    let params =
        users::ListParams { role: Some(Role::Administrator), limit: Some(users::MAX_PAGE), ..Default::default() };
    let admins = users::list(state, admin, params).await.map_err(fail(admin))?.users;
    let rows = admins
        .into_iter()
        .filter(|u| u.user.status != UserStatus::Deactivated)
        .map(|u| {
            let id = u.user.id.to_string();
            let checked = choices.iter().find(|r| r.user_id == id).map_or([false; 4], kinds_of);
            AdminRow { name: u.user.name.to_string(), email: u.user.email.to_string(), id, checked }
        })
        .collect();
    Ok(NotificationsPage {
        chrome: Some(chrome),
        flash,
        tab: "notifications",
        kinds: KINDS,
        saved: current.saved,
        rows,
        form,
    })
}

/// `GET /account/billing/notifications`.
pub async fn page(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let page = notifications_page(&state, &admin, flash, None, FormState::default()).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /account/billing/notifications`: repeated `user_id` (each Administrator the table lists)
/// and, per kind, the `user_id`s ticked for it. An Administrator with no box ticked gets nothing.
pub async fn save(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let ticked = |kind: &str, user: &str| pairs.iter().any(|(k, v)| k == kind && v == user);
    let mut wanted: Vec<Recipient> = Vec::new();
    for (_, user) in pairs.iter().filter(|(k, _)| k == "user_id") {
        let r = Recipient {
            user_id: user.clone(),
            invoices: ticked("invoices", user),
            payment_failures: ticked("payment_failures", user),
            low_sms_credits: ticked("low_sms_credits", user),
            license_changes: ticked("license_changes", user),
        };
        if kinds_of(&r).contains(&true) {
            wanted.push(r);
        }
    }
    match billing::set_recipients(&state, &admin, &admin.actor, wanted.clone()).await {
        Ok(_) => {
            let jar = set_flash(&state, jar, "The billing notification choices have been saved.");
            Ok((jar, see_other("/account/billing/notifications")).into_response())
        }
        Err(e) => {
            let (status, form) = FormState::default().fail(e).map_err(fail(&admin))?;
            Ok(render(status, &notifications_page(&state, &admin, None, Some(&wanted), form).await?))
        }
    }
}
