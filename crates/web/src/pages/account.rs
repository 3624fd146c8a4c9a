//! Account settings › Settings (Administrators): the account's name, compliance BCC address and
//! partner referral code in one form, and deleting the whole account — confirmed by typing its
//! name and re-entering the password (and the two-step code when it is on).

use super::Section;
use super::session::clear_session_cookie;
use super::{Chrome, FormState, PageAdmin, PageError, PageForm, render, see_other, set_flash, take_flash};
use crate::api::account::AccountPatchRequest;
use crate::error::AppError;
use crate::extract::{AdminUser, Client};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::accounts::{self, AccountPatch, DeleteConfirmation};
use tenantry_app::{Error, reauth};
use tenantry_domain::Password;
use tenantry_storage::accounts::Account;

#[derive(Template)]
#[template(path = "account/settings.html")]
struct SettingsPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    /// The name as stored (the form may hold a name being typed).
    account_name: String,
    users: usize,
    /// Whether deleting asks for a two-step code too.
    needs_code: bool,
    confirm_hint: String,
    form: FormState,
    delete: FormState,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    name: String,
    compliance_bcc_email: String,
    partner_referral_code: String,
}

impl From<&Account> for SettingsForm {
    fn from(a: &Account) -> Self {
        Self {
            name: a.name.to_string(),
            compliance_bcc_email: a.compliance_bcc_email.clone().unwrap_or_default(),
            partner_referral_code: a.partner_referral_code.clone().unwrap_or_default(),
        }
    }
}

impl SettingsForm {
    fn state(&self) -> FormState {
        FormState::with(vec![
            ("name", self.name.clone()),
            ("compliance_bcc_email", self.compliance_bcc_email.clone()),
            ("partner_referral_code", self.partner_referral_code.clone()),
        ])
    }

    /// The whole form is saved at once: an empty optional field clears it.
    fn patch(self) -> Result<AccountPatch, Error> {
        let optional = |s: String| Some(Some(s.trim().to_owned()).filter(|s| !s.is_empty()));
        let request = AccountPatchRequest {
            name: Some(self.name),
            compliance_bcc_email: optional(self.compliance_bcc_email),
            partner_referral_code: optional(self.partner_referral_code),
        };
        AccountPatch::try_from(request).map_err(Error::Validation)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    confirm_name: String,
    current_password: String,
    totp_code: String,
}

/// The delete form with what was typed kept (never the password or the code).
fn delete_state(confirm_name: String) -> FormState {
    FormState::with(vec![
        ("confirm_name", confirm_name),
        (reauth::PASSWORD_FIELD, String::new()),
        (reauth::CODE_FIELD, String::new()),
    ])
}

/// An error page under this section's navigation.
fn fail<E: Into<AppError>>(admin: &AdminUser) -> impl Fn(E) -> PageError + '_ {
    move |e| PageError::for_user(e, admin, Section::AccountSettings)
}

/// The page around the two forms.
async fn page(
    state: &AppState, admin: &AdminUser, flash: Option<String>, form: FormState, delete: FormState,
) -> Result<SettingsPage, PageError> {
    let account = accounts::get(state, admin).await.map_err(fail(admin))?;
    let users = accounts::user_count(state, admin).await.map_err(fail(admin))?;
    let needs_code = reauth::needs_code(state, admin).await.map_err(fail(admin))?;
    Ok(SettingsPage {
        chrome: Some(Chrome::new(admin, Section::AccountSettings)),
        flash,
        confirm_hint: format!("Type “{}” exactly as shown.", account.name),
        account_name: account.name.to_string(),
        users,
        needs_code,
        form,
        delete,
    })
}

/// `GET /account`: Account settings opens on its first section, Users.
pub async fn home() -> Response {
    see_other("/users")
}

/// `GET /me/delete-account`: deleting the account moved to Account settings › Settings.
pub async fn moved_delete() -> Response {
    (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, "/account/settings#delete-account")]).into_response()
}

/// `GET /account/settings`.
pub async fn show(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
) -> Result<Response, PageError> {
    let account = accounts::get(&state, &admin).await.map_err(fail(&admin))?;
    let form = SettingsForm::from(&account).state();
    let (jar, flash) = take_flash(jar);
    let page = page(&state, &admin, flash, form, delete_state(String::new())).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /account/settings`: saves the three settings; errors are shown next to their fields.
pub async fn save(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PageForm(f): PageForm<SettingsForm>,
) -> Result<Response, PageError> {
    let form = f.state();
    let result = match f.patch() {
        Ok(patch) => accounts::update(&state, &admin, &admin.actor, patch).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => {
            let jar = set_flash(&state, jar, "The account settings have been saved.");
            Ok((jar, see_other("/account/settings")).into_response())
        }
        Err(e) => {
            let (status, form) = form.fail(e).map_err(fail(&admin))?;
            Ok(render(status, &page(&state, &admin, None, form, delete_state(String::new())).await?))
        }
    }
}

/// `POST /account/delete`: deletes everything and signs out, once the name, password and code
/// (when two-step verification is on) are right.
pub async fn delete(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, Client(client): Client, jar: CookieJar,
    PageForm(f): PageForm<DeleteForm>,
) -> Result<Response, PageError> {
    let confirmation = DeleteConfirmation {
        confirm_name: f.confirm_name.clone(),
        password: Password::new(f.current_password),
        totp_code: Some(f.totp_code),
    };
    match accounts::delete_confirmed(&state, &admin, &client, confirmation).await {
        Ok(()) => {
            let jar = set_flash(
                &state,
                clear_session_cookie(jar),
                &format!("The account {} and all its data have been deleted.", f.confirm_name.trim()),
            );
            Ok((jar, see_other("/signin")).into_response())
        }
        Err(e) => {
            let (status, delete) = delete_state(f.confirm_name).fail(e).map_err(fail(&admin))?;
            let account = accounts::get(&state, &admin).await.map_err(fail(&admin))?;
            let form = SettingsForm::from(&account).state();
            Ok(render(status, &page(&state, &admin, None, form, delete).await?))
        }
    }
}
