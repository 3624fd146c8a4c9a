//! My settings › Password and two-step: a way to the password change, and two-step verification
//! (set up TOTP with a QR code, see the recovery codes once, turn it off). A session whose account
//! requires two-step verification is sent here until it is set up.
//!
//! The setup keeps its key server-side (encrypted, as `mfa::start` stored it): a wrong code shows
//! the same key and QR code again, read back with `mfa::pending`, never from the form.

use super::Section;
use super::{Chrome, FormState, PageError, PageForm, PageUser, render, see_other, set_flash, take_flash};
use crate::error::AppError;
use crate::extract::AuthUser;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::Error;
use tenantry_app::mfa;
use tenantry_app::reauth::{self, Proof};
use tenantry_domain::SessionScope;

/// The key to type in and the QR code (SVG markup we generated) of a setup in progress.
struct Setup {
    secret: String,
    qr_svg: String,
}

#[derive(Template)]
#[template(path = "me/two_step.html")]
struct TwoStepPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    /// The account requires two-step verification and this session may do nothing else yet.
    required: bool,
    enabled: bool,
    setup: Option<Setup>,
    recovery_codes: Vec<String>,
    form: FormState,
}

/// The page as it stands: on, off, or a setup in progress (shown again with its same key).
async fn page_for(state: &AppState, me: &AuthUser, flash: Option<String>) -> Result<TwoStepPage, AppError> {
    let enabled = mfa::is_enabled(state, me).await?;
    let setup = if enabled {
        None
    } else {
        mfa::pending(state, me).await?.map(|e| Setup { secret: e.secret, qr_svg: e.qr_svg })
    };
    Ok(TwoStepPage {
        chrome: Some(Chrome::new(me, Section::PasswordTwoStep)),
        flash,
        required: me.scope == SessionScope::MfaSetup,
        enabled,
        setup,
        recovery_codes: Vec::new(),
        form: FormState::with(vec![("code", String::new())]),
    })
}

/// `GET /me/two-step`.
pub async fn page(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let page = page_for(&state, &me, flash).await.map_err(|e| PageError::for_user(e, &me, Section::PasswordTwoStep))?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TwoStepForm {
    action: String,
    code: String,
    current_password: String,
}

/// `POST /me/two-step`: `start`, `confirm` or `disable`.
pub async fn act(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar, PageForm(f): PageForm<TwoStepForm>,
) -> Result<Response, PageError> {
    let actor = me.actor.clone();
    let to_page = |e| PageError::for_user(e, &me, Section::PasswordTwoStep);
    match f.action.as_str() {
        // A new key; the page then shows it (post/redirect/get: a reload does not make another).
        "start" => match mfa::start(&state, &me).await {
            Ok(_) => Ok(see_other("/me/two-step")),
            Err(e) => Ok(fail(page_for(&state, &me, None).await.map_err(to_page)?, e, &me, "")),
        },
        "confirm" => match mfa::confirm(&state, &me, &actor, &f.code).await {
            // The recovery codes are shown on this answer only.
            Ok(codes) => {
                let mut page = page_for(&state, &me, None).await.map_err(to_page)?;
                page.recovery_codes = codes;
                page.required = false;
                Ok(render(StatusCode::OK, &page))
            }
            // A wrong code: the same key and QR code again, with the error under the field.
            Err(e) => Ok(fail(page_for(&state, &me, None).await.map_err(to_page)?, e, &me, &f.code)),
        },
        "disable" => {
            match mfa::disable(&state, &me, &actor, &Proof::new(Some(f.current_password), Some(f.code.clone()))).await {
                Ok(()) => Ok((set_flash(&state, jar, "Two-step verification is off."), see_other("/me/two-step"))
                    .into_response()),
                Err(e) => Ok(fail(page_for(&state, &me, None).await.map_err(to_page)?, e, &me, &f.code)),
            }
        }
        _ => {
            let page = page_for(&state, &me, None).await.map_err(to_page)?;
            Ok(fail(page, Error::BadField("action", "unknown action".to_owned()), &me, ""))
        }
    }
}

/// The page again with the error on its form and the code as typed (or the error page for a
/// failure on our side).
fn fail(page: TwoStepPage, e: Error, me: &AuthUser, code: &str) -> Response {
    let form = FormState::with(vec![("code", code.trim().to_owned()), (reauth::PASSWORD_FIELD, String::new())]);
    match form.fail(e) {
        Ok((status, mut form)) => {
            // Turning off names the code `totp_code` (as the API does); this form calls it `code`.
            for e in &mut form.errors {
                if e.field == reauth::CODE_FIELD {
                    e.field = "code".to_owned();
                }
            }
            // A wrong code is said under the field (which takes the focus), not twice.
            if !form.errors_for("code").is_empty() && form.other_errors().is_empty() {
                form.alert = None;
            }
            render(status, &TwoStepPage { form, ..page })
        }
        Err(e) => PageError::for_user(e, me, Section::PasswordTwoStep).into_response(),
    }
}
