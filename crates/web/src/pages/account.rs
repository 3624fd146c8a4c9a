//! Deleting the whole account from My settings (Administrators): the name typed to confirm.

use super::Section;
use super::session::clear_session_cookie;
use super::{Chrome, FormState, PageAdmin, PageError, PageForm, render, see_other, set_flash};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::Error;
use tenantry_app::accounts;

#[derive(Template)]
#[template(path = "me/account_delete.html")]
struct DeletePage {
    chrome: Option<Chrome>,
    account_name: String,
    users: usize,
    confirm_hint: String,
    form: FormState,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    confirm_name: String,
}

async fn page(state: &AppState, admin: &crate::extract::AdminUser, form: FormState) -> Result<DeletePage, PageError> {
    let fail = |e: Error| PageError::for_user(e, admin, Section::AccountSettings);
    let account = accounts::get(state, admin).await.map_err(fail)?;
    let users = accounts::user_count(state, admin).await.map_err(fail)?;
    let confirm_hint = format!("Type “{}” to confirm.", account.name);
    Ok(DeletePage {
        chrome: Some(Chrome::new(admin, Section::AccountSettings)),
        account_name: account.name.to_string(),
        users,
        confirm_hint,
        form,
    })
}

/// `GET /me/delete-account`.
pub async fn show(State(state): State<AppState>, PageAdmin(admin): PageAdmin) -> Result<Response, PageError> {
    let form = FormState::with(vec![("confirm_name", String::new())]);
    Ok(render(StatusCode::OK, &page(&state, &admin, form).await?))
}

/// `POST /me/delete-account`: deletes everything and signs out.
pub async fn delete(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PageForm(f): PageForm<DeleteForm>,
) -> Result<Response, PageError> {
    match accounts::delete(&state, &admin, &f.confirm_name).await {
        Ok(()) => {
            let jar = set_flash(
                &state,
                clear_session_cookie(jar),
                &format!("The account {} and all its data have been deleted.", f.confirm_name.trim()),
            );
            Ok((jar, see_other("/signin")).into_response())
        }
        Err(e) => {
            let (status, form) = FormState::with(vec![("confirm_name", f.confirm_name)])
                .fail(e)
                .map_err(|e| PageError::for_user(e, &admin, Section::AccountSettings))?;
            Ok(render(status, &page(&state, &admin, form).await?))
        }
    }
}
