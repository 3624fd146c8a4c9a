//! My settings › Sessions: where I am signed in (this device marked), each one signed out on its
//! own, or all the others at once. Same services as `/api/v1/me/sessions`. Below them, the
//! products I signed in to with Tenantry (from my refresh tokens), each signed out on its own.

use super::Section;
use super::session::clear_session_cookie;
use super::{Chrome, PageError, PageUser, render, see_other, set_flash, take_flash};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use tenantry_app::sessions;

/// One signed-in device, as the page shows it.
struct SessionRow {
    id: String,
    /// "Chrome on Linux".
    device: String,
    current: bool,
    last_active: String,
    signed_in: String,
    ip: Option<String>,
}

/// A product I am signed in to, as the page shows it.
struct ProductRow {
    grant_id: String,
    /// The client's name ("ChatOnce").
    client: String,
    product: String,
    signed_in: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "me/sessions.html")]
struct SessionsPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    sessions: Vec<SessionRow>,
    products: Vec<ProductRow>,
}

impl SessionsPage {
    fn others(&self) -> usize {
        self.sessions.iter().filter(|s| !s.current).count()
    }
}

/// `GET /me/sessions`.
pub async fn page(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let chrome = Chrome::new(&me, Section::Sessions);
    let list = sessions::list_mine(&state, &me).await.map_err(|e| PageError::for_user(e, &me, Section::Sessions))?;
    let mut rows: Vec<SessionRow> = list
        .into_iter()
        .map(|s| SessionRow {
            current: s.id == me.credential.id(),
            device: sessions::describe_user_agent(s.user_agent.as_deref()),
            last_active: chrome.local.date_time(s.last_seen_at),
            signed_in: chrome.local.date_time(s.created_at),
            ip: s.ip.filter(|ip| !ip.is_empty()),
            id: s.id,
        })
        .collect();
    // This device first; then the most recently used.
    rows.sort_by_key(|s| !s.current);
    let products = tenantry_app::oidc::my_products(&state, &me)
        .await
        .map_err(|e| PageError::for_user(e, &me, Section::Sessions))?
        .into_iter()
        .map(|p| ProductRow {
            signed_in: chrome.local.date_time(p.signed_in_at),
            last_used: chrome.local.date_time(p.last_used_at),
            grant_id: p.grant_id,
            client: p.client_name,
            product: p.product,
        })
        .collect();
    let page = SessionsPage { chrome: Some(chrome), flash, sessions: rows, products };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /me/sessions/{id}/sign-out`: ends one of my sessions (another user's id is 404). Ending
/// this very session signs this browser out.
pub async fn sign_out(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar, Path(id): Path<String>,
) -> Result<Response, PageError> {
    sessions::revoke_mine(&state, &me, &id).await.map_err(|e| PageError::for_user(e, &me, Section::Sessions))?;
    if id == me.credential.id() {
        return Ok((clear_session_cookie(jar), see_other("/signin")).into_response());
    }
    Ok((set_flash(&state, jar, "That session has been signed out."), see_other("/me/sessions")).into_response())
}

/// `POST /me/sessions/sign-out-others`: ends every session of mine but this one.
pub async fn sign_out_others(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar,
) -> Result<Response, PageError> {
    let n = sessions::revoke_others(&state, &me).await.map_err(|e| PageError::for_user(e, &me, Section::Sessions))?;
    let message = match n {
        0 => "There were no other sessions to sign out.".to_owned(),
        1 => "Signed out 1 other session.".to_owned(),
        n => format!("Signed out {n} other sessions."),
    };
    Ok((set_flash(&state, jar, &message), see_other("/me/sessions")).into_response())
}

/// `POST /me/products/{id}/sign-out`: signs me out of one product (its tokens end, and it is told
/// by back-channel logout). Another user's sign-in is 404.
pub async fn sign_out_of_product(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar, Path(id): Path<String>,
) -> Result<Response, PageError> {
    tenantry_app::oidc::sign_out_of_product(&state, &me, &id)
        .await
        .map_err(|e| PageError::for_user(e, &me, Section::Sessions))?;
    Ok((set_flash(&state, jar, "You have been signed out of that product."), see_other("/me/sessions")).into_response())
}
