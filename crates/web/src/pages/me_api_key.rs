//! My settings › API key: my personal key for the Tenantry API. Created (or replaced) and shown
//! once; afterwards only its prefix, creation and last use. Same services as `/api/v1/me/api-key`.

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
use tenantry_app::reauth::{self, Proof};
use tenantry_app::{Error, api_keys};

/// The key I have, as the page shows it (never the secret).
struct KeyInfo {
    prefix: String,
    created: String,
    /// "Never" when it has not been used.
    last_used: String,
}

#[derive(Template)]
#[template(path = "me/api_key.html")]
struct ApiKeyPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    key: Option<KeyInfo>,
    /// The key just created: on this answer only.
    new_key: Option<String>,
    /// Whether the two-step code is asked with the password.
    needs_code: bool,
    /// The create/replace form: the current password and (when on) the two-step code.
    form: FormState,
}

/// The create/replace form, empty (the password and the code are never kept).
fn key_form() -> FormState {
    FormState::with(vec![(reauth::PASSWORD_FIELD, String::new()), (reauth::CODE_FIELD, String::new())])
}

async fn page_for(
    state: &AppState, me: &AuthUser, flash: Option<String>, new_key: Option<String>,
) -> Result<ApiKeyPage, PageError> {
    page_with(state, me, flash, new_key, key_form()).await
}

async fn page_with(
    state: &AppState, me: &AuthUser, flash: Option<String>, new_key: Option<String>, form: FormState,
) -> Result<ApiKeyPage, PageError> {
    let chrome = Chrome::new(me, Section::ApiKey);
    let key = match api_keys::get(state, me).await {
        Ok(k) => Some(KeyInfo {
            prefix: k.prefix,
            created: chrome.local.date_time(k.created_at),
            last_used: k.last_used_at.map_or_else(|| "Never".to_owned(), |t| chrome.local.date_time(t)),
        }),
        Err(Error::NotFound) => None,
        Err(e) => return Err(PageError::for_user(e, me, Section::ApiKey)),
    };
    let needs_code = reauth::needs_code(state, me).await.map_err(|e| PageError::for_user(e, me, Section::ApiKey))?;
    Ok(ApiKeyPage { chrome: Some(chrome), flash, key, new_key, needs_code, form })
}

/// `GET /me/api-key`.
pub async fn page(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let page = page_for(&state, &me, flash, None).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KeyForm {
    current_password: String,
    totp_code: String,
}

/// `POST /me/api-key`: creates my key, replacing (and so revoking) the one I had, once the current
/// password (and code) are right. The answer is the only place the key ever appears; the page is
/// not cached (`no-store`).
pub async fn create(
    State(state): State<AppState>, PageUser(me): PageUser, PageForm(f): PageForm<KeyForm>,
) -> Result<Response, PageError> {
    let proof = Proof::new(Some(f.current_password), Some(f.totp_code));
    match api_keys::create(&state, &me, &me.actor, &proof).await {
        Ok(new) => {
            let page = page_for(&state, &me, None, Some(new.key.expose().to_owned())).await?;
            Ok(render(StatusCode::CREATED, &page))
        }
        Err(e) => {
            let (status, form) = key_form().fail(e).map_err(|e| PageError::for_user(e, &me, Section::ApiKey))?;
            Ok(render(status, &page_with(&state, &me, None, None, form).await?))
        }
    }
}

/// `POST /me/api-key/revoke`: the key stops working at once.
pub async fn revoke(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar,
) -> Result<Response, PageError> {
    let message = match api_keys::revoke(&state, &me, &me.actor).await {
        Ok(()) => "Your API key has been revoked. It no longer works.",
        Err(Error::NotFound) => "You have no API key.",
        Err(e) => return Err(PageError::for_user(e, &me, Section::ApiKey)),
    };
    Ok((set_flash(&state, jar, message), see_other("/me/api-key")).into_response())
}
