//! My settings › API key: my personal key for the Tenantry API. Created (or replaced) and shown
//! once; afterwards only its prefix, creation and last use. Same services as `/api/v1/me/api-key`.

use super::Section;
use super::{Chrome, PageError, PageUser, render, see_other, set_flash, take_flash};
use crate::extract::AuthUser;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
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
}

async fn page_for(
    state: &AppState, me: &AuthUser, flash: Option<String>, new_key: Option<String>,
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
    Ok(ApiKeyPage { chrome: Some(chrome), flash, key, new_key })
}

/// `GET /me/api-key`.
pub async fn page(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let page = page_for(&state, &me, flash, None).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /me/api-key`: creates my key, replacing (and so revoking) the one I had. The answer is
/// the only place the key ever appears; the page is not cached (`no-store`).
pub async fn create(State(state): State<AppState>, PageUser(me): PageUser) -> Result<Response, PageError> {
    let new =
        api_keys::create(&state, &me, &me.actor).await.map_err(|e| PageError::for_user(e, &me, Section::ApiKey))?;
    let page = page_for(&state, &me, None, Some(new.key.expose().to_owned())).await?;
    Ok(render(StatusCode::CREATED, &page))
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
