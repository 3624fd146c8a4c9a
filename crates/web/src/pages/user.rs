//! One user, for Administrators: details and role, date and time settings, licenses with the
//! account's seat counts, and deletion with what it would do shown before confirming.

use super::Section;
use super::{Chrome, FormState, PageAdmin, PageError, PageForm, render, see_other, set_flash, take_flash};
use crate::HttpAnswer;
use crate::api::users::UserPatch;
use crate::extract::{AdminUser, PathId, parse_id};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::Error;
use tenantry_app::licenses;
use tenantry_app::subscriptions::{self, Seats};
use tenantry_app::users::{self, DeletionPlan, ProfilePatch, UserDetail};
use tenantry_domain::DateFormat;
use tenantry_domain::UserId;

/// One product's row in the licenses card.
struct LicenseRow {
    key: String,
    name: String,
    held: bool,
    seats: Seats,
}

impl LicenseRow {
    fn free(&self) -> i64 {
        (self.seats.purchased - self.seats.assigned).max(0)
    }
}

#[derive(Template)]
#[template(path = "users/user.html")]
struct UserPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    user: UserDetail,
    form: FormState,
    /// A refusal from the licenses card (seats, rules).
    license_alert: Option<String>,
    licenses: Vec<LicenseRow>,
    /// What deleting would do, or why it is refused.
    deletion: Result<DeletionPlan, String>,
    time_zones: &'static [String],
    date_formats: [&'static str; 4],
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailsForm {
    name: String,
    role: String,
    timezone: String,
    date_format: String,
    time_format: String,
}

impl From<&UserDetail> for DetailsForm {
    fn from(d: &UserDetail) -> Self {
        let u = &d.user;
        Self {
            name: u.name.to_string(),
            role: u.role.as_str().to_owned(),
            timezone: u.timezone.to_string(),
            date_format: u.date_format.as_str().to_owned(),
            time_format: u.time_format.as_str().to_owned(),
        }
    }
}

fn details_form(f: &DetailsForm) -> FormState {
    FormState::with(vec![
        ("name", f.name.clone()),
        ("role", f.role.clone()),
        ("timezone", f.timezone.clone()),
        ("date_format", f.date_format.clone()),
        ("time_format", f.time_format.clone()),
    ])
}

/// Everything the page shows besides the form.
async fn page(state: &AppState, admin: &AdminUser, id: &UserId, flash: Option<String>) -> Result<UserPage, PageError> {
    let fail = |e: Error| PageError::for_user(e, admin, Section::Users);
    let user = users::get(state, admin, id).await.map_err(fail)?;
    let summary = subscriptions::get(state, admin).await.map_err(fail)?;
    let licenses = state
        .config
        .catalog
        .products()
        .iter()
        .map(|p| LicenseRow {
            key: p.key.to_string(),
            name: p.name.clone(),
            held: user.licenses.iter().any(|l| l == p.key.as_str()),
            seats: summary
                .seats
                .iter()
                .find(|(k, _)| k == p.key.as_str())
                .map(|(_, s)| *s)
                .unwrap_or(Seats { purchased: 0, assigned: 0 }),
        })
        .collect();
    // The same checks as the deletion, read without the write lock.
    let deletion = match users::preview_deletion(state, admin, id).await {
        Ok(plan) => Ok(plan),
        Err(e @ (Error::Rule { .. } | Error::Conflict { .. })) => Err(e.problem().detail),
        Err(e) => return Err(fail(e)),
    };
    Ok(UserPage {
        chrome: Some(Chrome::new(admin, Section::Users)),
        flash,
        form: details_form(&DetailsForm::from(&user)),
        user,
        license_alert: None,
        licenses,
        deletion,
        time_zones: super::me::TIME_ZONES.as_slice(),
        date_formats: DateFormat::ALL.map(DateFormat::as_str),
    })
}

/// `GET /users/{id}`.
pub async fn show(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<UserId>,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let page = page(&state, &admin, &id, flash).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /users/{id}`: saves details and role; errors are shown on the form.
pub async fn save(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<UserId>,
    PageForm(f): PageForm<DetailsForm>,
) -> Result<Response, PageError> {
    let patch = UserPatch {
        name: Some(f.name.clone()),
        role: Some(f.role.clone()),
        username: None,
        timezone: Some(f.timezone.clone()),
        date_format: Some(f.date_format.clone()),
        time_format: Some(f.time_format.clone()),
        ..UserPatch::default()
    };
    let result = match ProfilePatch::try_from(patch) {
        Ok(patch) => users::update(&state, &admin, &admin.actor, &id, patch).await,
        Err(errors) => Err(Error::Validation(errors)),
    };
    match result {
        Ok(user) => {
            Ok((set_flash(&state, jar, &format!("Saved {}.", user.user.name)), see_other(&format!("/users/{id}")))
                .into_response())
        }
        Err(e) => {
            let (status, form) =
                details_form(&f).fail(e).map_err(|e| PageError::for_user(e, &admin, Section::Users))?;
            let mut page = page(&state, &admin, &id, None).await?;
            page.form = form;
            Ok(render(status, &page))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LicenseForm {
    /// `assign` or `unassign`.
    action: String,
}

/// `POST /users/{id}/licenses/{product}`: assigns or unassigns; a refusal is shown on the card.
pub async fn license(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
    Path((id, product)): Path<(String, String)>, PageForm(f): PageForm<LicenseForm>,
) -> Result<Response, PageError> {
    let id: UserId = parse_id(id)?;
    let actor = admin.actor.clone();
    let result = match f.action.as_str() {
        "assign" => licenses::assign(&state, &admin, &actor, &id, &product).await,
        "unassign" => licenses::unassign(&state, &admin, &actor, &id, &product).await,
        _ => Err(Error::invalid("action", "must be assign or unassign")),
    };
    match result {
        Ok(user) => {
            let name = state.config.catalog.get(&product).map_or(product.clone(), |p| p.name.clone());
            let verb = if f.action == "assign" { "assigned to" } else { "unassigned from" };
            let message = format!("{name} license {verb} {}.", user.user.name);
            Ok((set_flash(&state, jar, &message), see_other(&format!("/users/{id}#licenses"))).into_response())
        }
        Err(e @ (Error::Rule { .. } | Error::Conflict { .. } | Error::Validation(_))) => {
            let status = e.status();
            let mut page = page(&state, &admin, &id, None).await?;
            page.license_alert = Some(e.problem().detail).filter(|d| !d.is_empty());
            Ok(render(status, &page))
        }
        Err(e) => Err(PageError::for_user(e, &admin, Section::Users)),
    }
}

/// `POST /users/{id}/delete`: deletes after the summary was shown.
pub async fn delete(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<UserId>,
) -> Result<Response, PageError> {
    match users::delete(&state, &admin, &admin.actor, &id, false).await {
        Ok(plan) => {
            let mut message = format!("Deleted {} ({}).", plan.user.user.name, plan.user.user.email);
            if let Some(heir) = plan.heir.filter(|_| !plan.pages.is_empty()) {
                message.push_str(&format!(" Their {} booking pages now belong to {}.", plan.pages.len(), heir.name));
            }
            Ok((set_flash(&state, jar, &message), see_other("/users")).into_response())
        }
        Err(e @ (Error::Rule { .. } | Error::Conflict { .. })) => {
            let status = e.status();
            let page = page(&state, &admin, &id, None).await?;
            Ok(render(status, &page))
        }
        Err(e) => Err(PageError::for_user(e, &admin, Section::Users)),
    }
}
