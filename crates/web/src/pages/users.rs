//! The Users lobby: the account's users, filtered live with htmx (or by submitting the form),
//! a page at a time, and the form that adds (invites) a user.

use super::Section;
use super::{
    Chrome, FormState, PageAdmin, PageError, PageForm, render, see_other, set_flash, take_flash, wants_fragment,
};
use crate::api::users::InviteRequest;
use crate::error::AppError;
use crate::extract::AdminUser;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::Error;
use tenantry_app::users::{self, Invite, ListParams, UserDetail};

/// One page of the table, and the link to the next one.
struct Rows {
    users: Vec<UserDetail>,
    next: Option<String>,
    /// The filter that produced them (for the "no match" message).
    q: String,
}

#[derive(Template)]
#[template(path = "users/list.html")]
struct LobbyPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    q: String,
    /// Whether this is a later page (offers a way back to the first).
    paged: bool,
    rows: Rows,
    form: FormState,
}

/// Just the table body, for htmx to swap in while the filter is typed.
#[derive(Template)]
#[template(path = "users/list.html", block = "rows")]
struct RowsFragment {
    rows: Rows,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LobbyQuery {
    q: String,
    cursor: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    email: String,
    name: String,
    role: String,
}

fn invite_form(f: &InviteForm) -> FormState {
    let role = if f.role.is_empty() { "member".to_owned() } else { f.role.clone() };
    FormState::with(vec![("email", f.email.clone()), ("name", f.name.clone()), ("role", role)])
}

/// The rows matching the filter from the cursor on.
async fn rows(state: &AppState, admin: &AdminUser, query: &LobbyQuery) -> Result<Rows, PageError> {
    let q = query.q.trim().to_owned();
    let params = ListParams {
        q: (!q.is_empty()).then(|| q.clone()),
        cursor: (!query.cursor.is_empty()).then(|| query.cursor.clone()),
        ..ListParams::default()
    };
    let page = users::list(state, admin, params).await.map_err(|e| PageError::for_user(e, admin, Section::Users))?;
    let next = page.next_cursor.map(|cursor| {
        let mut url = url::form_urlencoded::Serializer::new(String::from("/users?"));
        if !q.is_empty() {
            url.append_pair("q", &q);
        }
        url.append_pair("cursor", &cursor);
        url.finish()
    });
    Ok(Rows { users: page.users, next, q })
}

/// `GET /users`: the whole lobby, or only the table body when htmx asks for it.
pub async fn lobby(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, headers: HeaderMap, jar: CookieJar,
    query: Result<Query<LobbyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let Query(query) =
        query.map_err(|e| PageError::for_user(AppError::BadRequest(e.body_text()), &admin, Section::Users))?;
    let rows = rows(&state, &admin, &query).await?;
    let mut response = if wants_fragment(&headers) {
        render(StatusCode::OK, &RowsFragment { rows })
    } else {
        let (jar, flash) = take_flash(jar);
        let page = LobbyPage {
            chrome: Some(Chrome::new(&admin, Section::Users)),
            flash,
            q: query.q.trim().to_owned(),
            paged: !query.cursor.is_empty(),
            rows,
            form: invite_form(&InviteForm::default()),
        };
        (jar, render(StatusCode::OK, &page)).into_response()
    };
    // The same URL answers a fragment or a page: caches must tell them apart.
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("HX-Request"));
    Ok(response)
}

/// `POST /users`: invites a user; errors are shown on the form, with the lobby around it.
pub async fn invite(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PageForm(f): PageForm<InviteForm>,
) -> Result<Response, PageError> {
    let form = invite_form(&f);
    let request = InviteRequest { email: f.email, name: f.name, role: f.role, licenses: Vec::new() };
    let result = match Invite::try_from(request) {
        Ok(input) => users::invite(&state, &admin, &admin.actor, input).await,
        Err(errors) => Err(Error::Validation(errors)),
    };
    match result {
        Ok(user) => {
            let message = format!("Invitation sent to {} ({}).", user.user.name, user.user.email);
            Ok((set_flash(&state, jar, &message), see_other("/users")).into_response())
        }
        Err(e) => {
            let (status, form) = form.fail(e).map_err(|e| PageError::for_user(e, &admin, Section::Users))?;
            let rows = rows(&state, &admin, &LobbyQuery::default()).await?;
            let page = LobbyPage {
                chrome: Some(Chrome::new(&admin, Section::Users)),
                flash: None,
                q: String::new(),
                paged: false,
                rows,
                form,
            };
            Ok(render(status, &page))
        }
    }
}
