//! My settings › Two-step verification and sessions: set up TOTP with a QR code, see the recovery
//! codes once, turn it off; list my sessions and sign out the others. A session whose account
//! requires two-step verification is sent here until it is set up.

use super::Section;
use super::{Chrome, FormState, PageError, PageForm, PageUser, render, see_other, set_flash, take_flash};
use crate::api::views::ts;
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
use tenantry_app::{mfa, sessions};
use tenantry_domain::SessionScope;

/// One row of the sessions table.
struct SessionRow {
    last_seen_at: String,
    ip: String,
    user_agent: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "me/two_step.html")]
struct TwoStepPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    required: bool,
    enabled: bool,
    /// While setting up: the seed to type in and the QR code (SVG markup we generated).
    setup: Option<(String, String)>,
    recovery_codes: Vec<String>,
    sessions: Vec<SessionRow>,
    form: FormState,
}

async fn page_for(state: &AppState, me: &AuthUser, flash: Option<String>) -> Result<TwoStepPage, AppError> {
    let enabled = mfa::is_enabled(state, me).await?;
    let sessions = sessions::list_mine(state, me)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            current: s.id == me.credential.id(),
            last_seen_at: ts(s.last_seen_at),
            ip: s.ip.unwrap_or_default(),
            user_agent: s.user_agent.unwrap_or_default(),
        })
        .collect();
    Ok(TwoStepPage {
        chrome: Some(Chrome::new(me, Section::PasswordTwoStep)),
        flash,
        required: me.scope == SessionScope::MfaSetup,
        enabled,
        setup: None,
        recovery_codes: Vec::new(),
        sessions,
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
}

/// `POST /me/two-step`: `start`, `confirm`, `disable` or `sign_out_others`.
pub async fn act(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar, PageForm(f): PageForm<TwoStepForm>,
) -> Result<Response, PageError> {
    let actor = me.actor.clone();
    let mut page =
        page_for(&state, &me, None).await.map_err(|e| PageError::for_user(e, &me, Section::PasswordTwoStep))?;
    let result = match f.action.as_str() {
        "start" => mfa::start(&state, &me).await.map(|e| page.setup = Some((e.secret, e.qr_svg))),
        "confirm" => mfa::confirm(&state, &me, &actor, &f.code).await.map(|codes| {
            page.recovery_codes = codes;
            page.enabled = true;
            page.required = false;
        }),
        "disable" => {
            return match mfa::disable(&state, &me, &actor, &f.code).await {
                Ok(()) => Ok((set_flash(&state, jar, "Two-step verification is off."), see_other("/me/two-step"))
                    .into_response()),
                Err(e) => Ok(fail(page, e, &me)),
            };
        }
        "sign_out_others" => {
            let n = sessions::revoke_others(&state, &me)
                .await
                .map_err(|e| PageError::for_user(e, &me, Section::PasswordTwoStep))?;
            return Ok((
                set_flash(&state, jar, &format!("Signed out {n} other session(s).")),
                see_other("/me/two-step"),
            )
                .into_response());
        }
        _ => Err(Error::BadField("action", "unknown action".to_owned())),
    };
    match result {
        Ok(()) => Ok(render(StatusCode::OK, &page)),
        Err(e) => Ok(fail(page, e, &me)),
    }
}

/// The page again with the error on its form (or the error page for a failure on our side).
fn fail(page: TwoStepPage, e: Error, me: &AuthUser) -> Response {
    match page.form.fail(e) {
        Ok((status, form)) => render(status, &TwoStepPage { form, ..page }),
        Err(e) => PageError::for_user(e, me, Section::PasswordTwoStep).into_response(),
    }
}
