//! Changing one's email: the request form (My settings) and the page the emailed link opens,
//! which confirms with a button (mail scanners that fetch links change nothing).

use super::Section;
use super::{Chrome, FormState, PageError, PageForm, PageUser, render, see_other, set_flash};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::Error;
use tenantry_app::email_change;
use tenantry_app::reauth::{self, Proof};
use tenantry_domain::EmailAddress;

#[derive(Template)]
#[template(path = "me/email_change.html")]
struct RequestPage {
    chrome: Option<Chrome>,
    current: String,
    /// Whether the two-step code is asked too.
    needs_code: bool,
    form: FormState,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    new_email: String,
    current_password: String,
    totp_code: String,
}

/// The form with the new address kept (never the password or the code).
fn request_state(new_email: String) -> FormState {
    FormState::with(vec![
        ("new_email", new_email),
        (reauth::PASSWORD_FIELD, String::new()),
        (reauth::CODE_FIELD, String::new()),
    ])
}

/// `GET /me/email`.
pub async fn show(State(state): State<AppState>, PageUser(me): PageUser) -> Result<Response, PageError> {
    let needs_code = reauth::needs_code(&state, &me).await.map_err(|e| PageError::for_user(e, &me, Section::Email))?;
    let page = RequestPage {
        chrome: Some(Chrome::new(&me, Section::Email)),
        current: me.user.email.to_string(),
        needs_code,
        form: request_state(String::new()),
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /me/email`: sends the link to the new address.
pub async fn request(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar, PageForm(f): PageForm<RequestForm>,
) -> Result<Response, PageError> {
    let proof = Proof::new(Some(f.current_password), Some(f.totp_code));
    let result = match EmailAddress::parse(&f.new_email) {
        Ok(email) => email_change::request(&state, &me, &me.actor, email.clone(), &proof).await.map(|()| email),
        Err(e) => Err(Error::invalid("new_email", e.to_string())),
    };
    match result {
        Ok(email) => {
            let message =
                format!("We sent a link to {email}. Your email changes when you follow it (within 24 hours).");
            Ok((set_flash(&state, jar, &message), see_other("/me")).into_response())
        }
        Err(e) => {
            let (status, form) =
                request_state(f.new_email).fail(e).map_err(|e| PageError::for_user(e, &me, Section::Email))?;
            let needs_code =
                reauth::needs_code(&state, &me).await.map_err(|e| PageError::for_user(e, &me, Section::Email))?;
            Ok(render(
                status,
                &RequestPage {
                    chrome: Some(Chrome::new(&me, Section::Email)),
                    current: me.user.email.to_string(),
                    needs_code,
                    form,
                },
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "me/email_verification.html")]
struct VerificationPage {
    chrome: Option<Chrome>,
    new_email: String,
    done: bool,
}

fn gone() -> PageError {
    PageError::link_gone(
        "This link no longer works",
        "It may have been used already, replaced by a newer request, or expired. Ask for a new one from My settings.",
    )
}

/// `GET /email-verifications/{token}`: what following the link will do.
pub async fn verification_page(
    State(state): State<AppState>, Path(token): Path<String>,
) -> Result<Response, PageError> {
    let change = email_change::lookup(&state, &token)
        .await
        .map_err(|e| if matches!(e, Error::NotFound) { gone() } else { e.into() })?;
    Ok(render(StatusCode::OK, &VerificationPage { chrome: None, new_email: change.new_email.to_string(), done: false }))
}

/// `POST /email-verifications/{token}`: completes the change.
pub async fn verify(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, PageError> {
    match email_change::confirm(&state, &token).await {
        Ok(change) => Ok(render(
            StatusCode::OK,
            &VerificationPage { chrome: None, new_email: change.new_email.to_string(), done: true },
        )),
        Err(Error::NotFound) => Err(gone()),
        Err(e) => Err(e.into()),
    }
}
