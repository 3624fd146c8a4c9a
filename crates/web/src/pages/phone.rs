//! Changing one's cell number: enter it in any common format, then the SMS code.

use super::Section;
use super::{Chrome, FormState, PageError, PageForm, PageUser, render, see_other, set_flash, take_flash};
use crate::extract::AuthUser;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::phone;
use tenantry_app::reauth::{self, Proof};

#[derive(Template)]
#[template(path = "me/phone.html")]
struct PhonePage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    current: Option<String>,
    /// Which step: enter the number, or enter the code.
    verifying: bool,
    /// Whether the two-step code is asked with the password.
    needs_code: bool,
    form: FormState,
}

fn page(me: &AuthUser, flash: Option<String>, verifying: bool, form: FormState) -> PhonePage {
    PhonePage {
        chrome: Some(Chrome::new(me, Section::Phone)),
        flash,
        current: me.user.phone_number.clone().filter(|_| me.user.phone_verified),
        verifying,
        needs_code: false,
        form,
    }
}

/// The number form with what was typed kept (never the password or the code).
fn number_state(number: String, country: String) -> FormState {
    FormState::with(vec![
        ("number", number),
        ("country", country),
        (reauth::PASSWORD_FIELD, String::new()),
        (reauth::CODE_FIELD, String::new()),
    ])
}

/// The first step's page: the number, the password and (when on) the two-step code.
async fn number_page(
    state: &AppState, me: &AuthUser, flash: Option<String>, form: FormState,
) -> Result<PhonePage, PageError> {
    let needs_code = reauth::needs_code(state, me).await.map_err(|e| PageError::for_user(e, me, Section::Phone))?;
    Ok(PhonePage { needs_code, ..page(me, flash, false, form) })
}

/// `GET /me/phone`.
pub async fn show(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let page = number_page(&state, &me, flash, number_state(String::new(), String::new())).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NumberForm {
    number: String,
    country: String,
    current_password: String,
    totp_code: String,
}

/// `POST /me/phone`: sends the code, then asks for it.
pub async fn request(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar, PageForm(f): PageForm<NumberForm>,
) -> Result<Response, PageError> {
    let proof = Proof::new(Some(f.current_password), Some(f.totp_code));
    let result = match phone::parse_number(&f.number, Some(&f.country)) {
        Ok(n) => phone::request(&state, &me, &me.actor, n.clone(), &proof).await.map(|()| n),
        Err(e) => Err(e),
    };
    match result {
        Ok(n) => Ok((
            set_flash(&state, jar, &format!("We sent a 6-digit code to {n}. It works for 10 minutes.")),
            see_other("/me/phone/verify"),
        )
            .into_response()),
        Err(e) => {
            let (status, form) =
                number_state(f.number, f.country).fail(e).map_err(|e| PageError::for_user(e, &me, Section::Phone))?;
            Ok(render(status, &number_page(&state, &me, None, form).await?))
        }
    }
}

/// `GET /me/phone/verify`.
pub async fn verify_page(PageUser(me): PageUser, jar: CookieJar) -> Response {
    let (jar, flash) = take_flash(jar);
    (jar, render(StatusCode::OK, &page(&me, flash, true, FormState::with(vec![("code", String::new())]))))
        .into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
}

/// `POST /me/phone/verify`: a right code puts the number in force.
pub async fn verify(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar, PageForm(f): PageForm<CodeForm>,
) -> Result<Response, PageError> {
    match phone::verify(&state, &me, &me.actor, &f.code).await {
        Ok(number) => {
            Ok((set_flash(&state, jar, &format!("Your cell number is now {number} (verified).")), see_other("/me"))
                .into_response())
        }
        Err(e) => {
            let (status, form) = FormState::with(vec![("code", String::new())])
                .fail(e)
                .map_err(|e| PageError::for_user(e, &me, Section::Phone))?;
            Ok(render(status, &page(&me, None, true, form)))
        }
    }
}
