//! The user page's sign-in and access actions (Administrators): unlock, resend or revoke the
//! invitation, send a password reset link, sign out everywhere, deactivate and reactivate. Each is a form post calling the
//! same service as the API; a success returns to the page with a notice, a refusal is shown on
//! the page's access card.

use super::Section;
use super::user::page;
use super::{PageAdmin, PageError, render, see_other, set_flash};
use crate::HttpAnswer;
use crate::extract::{AdminUser, PathId};
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use tenantry_app::{Error, sessions, users};
use tenantry_domain::UserId;

/// Answers an action: its notice and a return to `to` when it succeeded; the page with the
/// refusal on its access card when a rule or the user's state refused it.
async fn answer(
    state: &AppState, admin: &AdminUser, jar: CookieJar, id: &UserId, to: &str, outcome: Result<String, Error>,
) -> Result<Response, PageError> {
    match outcome {
        Ok(message) => Ok((set_flash(state, jar, &message), see_other(to)).into_response()),
        Err(e @ (Error::Rule { .. } | Error::Conflict { .. } | Error::RateLimited(_))) => {
            let status = e.status();
            let mut page = page(state, admin, id, None).await?;
            page.access.alert = Some(e.problem().detail);
            Ok(render(status, &page))
        }
        Err(e) => Err(PageError::for_user(e, admin, Section::Users)),
    }
}

/// `POST /users/{id}/unlock`.
pub async fn unlock(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<UserId>,
) -> Result<Response, PageError> {
    let outcome = sessions::unlock(&state, &admin, &admin.actor, &id)
        .await
        .map(|u| format!("Unlocked {}: they can sign in again.", u.user.name));
    answer(&state, &admin, jar, &id, &format!("/users/{id}"), outcome).await
}

/// `POST /users/{id}/invitation`: a new link; the previous one stops working.
pub async fn resend_invitation(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<UserId>,
) -> Result<Response, PageError> {
    let outcome = users::resend_invitation(&state, &admin, &admin.actor, &id)
        .await
        .map(|u| format!("A new invitation is on its way to {}. The previous link no longer works.", u.email));
    answer(&state, &admin, jar, &id, &format!("/users/{id}"), outcome).await
}

/// `POST /users/{id}/invitation/revoke`: the link stops working and the invited user is removed.
pub async fn revoke_invitation(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<UserId>,
) -> Result<Response, PageError> {
    let outcome = users::revoke_invitation(&state, &admin, &admin.actor, &id).await.map(|plan| {
        let u = &plan.user.user;
        format!("Revoked the invitation of {} ({}): their link no longer works.", u.name, u.email)
    });
    answer(&state, &admin, jar, &id, "/users", outcome).await
}

/// `POST /users/{id}/password-reset`: emails the user a link to choose a new password.
pub async fn send_password_reset(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<UserId>,
) -> Result<Response, PageError> {
    let outcome = users::send_password_reset(&state, &admin, &admin.actor, &id)
        .await
        .map(|u| format!("A password reset link is on its way to {}.", u.email));
    answer(&state, &admin, jar, &id, &format!("/users/{id}"), outcome).await
}

/// `POST /users/{id}/sign-out`: ends every session of the user.
pub async fn sign_out_everywhere(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<UserId>,
) -> Result<Response, PageError> {
    let name = users::get(&state, &admin, &id).await.map(|u| u.user.name.to_string());
    let outcome = match name {
        Ok(name) => sessions::revoke_all_of_user(&state, &admin, &admin.actor, &id)
            .await
            .map(|()| format!("Signed {name} out everywhere: they need to sign in again on every device.")),
        Err(e) => Err(e),
    };
    answer(&state, &admin, jar, &id, &format!("/users/{id}"), outcome).await
}

/// `POST /users/{id}/deactivate`: the user is signed out everywhere, their API key stops working
/// and they cannot sign in; licenses and booking pages stay.
pub async fn deactivate(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<UserId>,
) -> Result<Response, PageError> {
    let outcome = users::deactivate(&state, &admin, &admin.actor, &id).await.map(|u| {
        format!("Deactivated {}: they are signed out everywhere and cannot sign in until reactivated.", u.user.name)
    });
    answer(&state, &admin, jar, &id, &format!("/users/{id}"), outcome).await
}

/// `POST /users/{id}/reactivate`: the user may sign in again (or accept their invitation).
pub async fn reactivate(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<UserId>,
) -> Result<Response, PageError> {
    let outcome = users::reactivate(&state, &admin, &admin.actor, &id).await.map(|u| {
        if u.user.status == tenantry_domain::UserStatus::Invited {
            format!("Reactivated {}: they can accept their invitation again.", u.user.name)
        } else {
            format!("Reactivated {}: they can sign in again.", u.user.name)
        }
    });
    answer(&state, &admin, jar, &id, &format!("/users/{id}"), outcome).await
}
