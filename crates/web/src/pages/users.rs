//! The Users lobby: the account's users, filtered live with htmx (or by submitting the form),
//! a page at a time, and the form that adds (invites) a user with their licenses.

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
use tenantry_app::subscriptions;
use tenantry_app::users::{self, Invite, ListParams, UserDetail};

/// One page of the table, and the link to the next one.
struct Rows {
    users: Vec<UserDetail>,
    next: Option<String>,
    /// The filter that produced them (for the "no match" message).
    q: String,
    /// The status filter's wire name ("" for every status).
    status: String,
    /// The catalog's products: key and display name.
    products: Vec<(String, String)>,
}

impl Rows {
    /// What people call the product `key`.
    fn product_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.products.iter().find(|(k, _)| k == key).map_or(key, |(_, name)| name.as_str())
    }
}

/// A product offered on the Add user form, with its free seats.
struct ProductChoice {
    key: String,
    name: String,
    free: i64,
    purchased: i64,
    checked: bool,
}

#[derive(Template)]
#[template(path = "users/list.html")]
struct LobbyPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    q: String,
    /// The status filter's choices (wire name, label) and the chosen one ("" for every status).
    statuses: Vec<(&'static str, &'static str)>,
    status: String,
    /// Whether this is a later page (offers a way back to the first).
    paged: bool,
    rows: Rows,
    form: FormState,
    products: Vec<ProductChoice>,
    /// The bulk action bar's choices: (value, label).
    bulk_actions: Vec<(String, String)>,
    /// What the last bulk action did.
    bulk: Option<BulkNotice>,
}

/// The summary a bulk action leaves on the lobby.
pub(super) struct BulkNotice {
    /// "Assigned Live chat to 3 users."
    pub summary: String,
    /// "Bruno Costa: no free Live chat seat", one per refused user.
    pub refused: Vec<String>,
    /// Nothing was done (nobody selected): shown as a warning.
    pub warning: bool,
    /// The action applied (chosen again in the bar).
    pub action: String,
}

/// The bulk action bar's choices: assigning and unassigning each catalog product, resending the
/// invitation, deactivating.
fn bulk_actions(state: &AppState) -> Vec<(String, String)> {
    let products = state.config.catalog.products();
    let mut actions: Vec<(String, String)> =
        products.iter().map(|p| (format!("assign:{}", p.key), format!("Assign license: {}", p.name))).collect();
    actions.extend(products.iter().map(|p| (format!("unassign:{}", p.key), format!("Unassign license: {}", p.name))));
    actions.push(("resend".to_owned(), "Resend invitation".to_owned()));
    actions.push(("deactivate".to_owned(), "Deactivate".to_owned()));
    actions
}

/// The first page of the lobby with a bulk action's summary above the table.
pub(super) async fn lobby_with_notice(
    state: &AppState, admin: &AdminUser, status: StatusCode, notice: BulkNotice,
) -> Result<Response, PageError> {
    let rows = rows(state, admin, &LobbyQuery::default()).await?;
    let page = LobbyPage {
        chrome: Some(Chrome::new(admin, Section::Users)),
        flash: None,
        q: String::new(),
        statuses: status_choices(),
        status: String::new(),
        paged: false,
        rows,
        form: invite_form(&InviteForm::default()),
        products: product_choices(state, admin, &[]).await?,
        bulk_actions: bulk_actions(state),
        bulk: Some(notice),
    };
    Ok(render(status, &page))
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
    status: String,
    cursor: String,
}

/// The statuses the lobby filters by, as (wire name, label).
fn status_choices() -> Vec<(&'static str, &'static str)> {
    use tenantry_domain::UserStatus;
    [UserStatus::Active, UserStatus::Invited, UserStatus::Locked, UserStatus::Deactivated]
        .into_iter()
        .map(|s| (s.as_str(), s.label()))
        .collect()
}

/// The Add user form as posted (`licenses` repeats, once per ticked product).
#[derive(Debug, Default)]
pub struct InviteForm {
    email: String,
    name: String,
    role: String,
    licenses: Vec<String>,
}

impl InviteForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "email" => f.email = v,
                "name" => f.name = v,
                "role" => f.role = v,
                "licenses" if !f.licenses.contains(&v) => f.licenses.push(v),
                _ => {}
            }
        }
        f
    }
}

fn invite_form(f: &InviteForm) -> FormState {
    let role = if f.role.is_empty() { "member".to_owned() } else { f.role.clone() };
    FormState::with(vec![
        ("email", f.email.clone()),
        ("name", f.name.clone()),
        ("role", role),
        ("licenses", f.licenses.join(",")),
    ])
}

/// The catalog's products with the account's free seats, ticked as in `checked`.
async fn product_choices(
    state: &AppState, admin: &AdminUser, checked: &[String],
) -> Result<Vec<ProductChoice>, PageError> {
    let summary = subscriptions::get(state, admin).await.map_err(|e| PageError::for_user(e, admin, Section::Users))?;
    Ok(state
        .config
        .catalog
        .products()
        .iter()
        .map(|p| {
            let seats = summary.seats.iter().find(|(k, _)| k == p.key.as_str()).map(|(_, s)| *s);
            let (purchased, assigned) = seats.map_or((0, 0), |s| (s.purchased, s.assigned));
            ProductChoice {
                key: p.key.to_string(),
                name: p.name.clone(),
                free: (purchased - assigned).max(0),
                purchased,
                checked: checked.iter().any(|c| c == p.key.as_str()),
            }
        })
        .collect())
}

fn catalog_names(state: &AppState) -> Vec<(String, String)> {
    state.config.catalog.products().iter().map(|p| (p.key.to_string(), p.name.clone())).collect()
}

/// The rows matching the filter from the cursor on.
async fn rows(state: &AppState, admin: &AdminUser, query: &LobbyQuery) -> Result<Rows, PageError> {
    let q = query.q.trim().to_owned();
    // An unknown status (a hand-edited URL) filters nothing rather than failing the page.
    let status = query.status.parse::<tenantry_domain::UserStatus>().ok();
    let params = ListParams {
        q: (!q.is_empty()).then(|| q.clone()),
        status,
        cursor: (!query.cursor.is_empty()).then(|| query.cursor.clone()),
        ..ListParams::default()
    };
    let page = users::list(state, admin, params).await.map_err(|e| PageError::for_user(e, admin, Section::Users))?;
    let next = page.next_cursor.map(|cursor| {
        let mut url = url::form_urlencoded::Serializer::new(String::from("/users?"));
        if !q.is_empty() {
            url.append_pair("q", &q);
        }
        if let Some(s) = status {
            url.append_pair("status", s.as_str());
        }
        url.append_pair("cursor", &cursor);
        url.finish()
    });
    let status = status.map(|s| s.as_str().to_owned()).unwrap_or_default();
    Ok(Rows { users: page.users, next, q, status, products: catalog_names(state) })
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
            statuses: status_choices(),
            status: rows.status.clone(),
            paged: !query.cursor.is_empty(),
            rows,
            form: invite_form(&InviteForm::default()),
            products: product_choices(&state, &admin, &[]).await?,
            bulk_actions: bulk_actions(&state),
            bulk: None,
        };
        (jar, render(StatusCode::OK, &page)).into_response()
    };
    // The same URL answers a fragment or a page: caches must tell them apart.
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("HX-Request"));
    Ok(response)
}

/// `POST /users`: invites a user with the ticked licenses, all or nothing; errors are shown on the
/// form (a missing seat next to the licenses), with the lobby around it.
pub async fn invite(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = InviteForm::from_pairs(pairs);
    let form = invite_form(&f);
    let request = InviteRequest {
        email: f.email.clone(),
        name: f.name.clone(),
        role: f.role.clone(),
        licenses: f.licenses.clone(),
    };
    let result = match Invite::try_from(request) {
        Ok(input) => users::invite(&state, &admin, &admin.actor, input).await,
        Err(errors) => Err(Error::Validation(errors)),
    };
    match result {
        Ok(user) => {
            let mut message = format!("Invitation sent to {} ({}).", user.user.name, user.user.email);
            if !user.licenses.is_empty() {
                // In catalog order, by the names people know.
                let held: Vec<&str> = state
                    .config
                    .catalog
                    .products()
                    .iter()
                    .filter(|p| user.licenses.iter().any(|l| l == p.key.as_str()))
                    .map(|p| p.name.as_str())
                    .collect();
                message.push_str(&format!(" Licenses: {}.", held.join(", ")));
            }
            Ok((set_flash(&state, jar, &message), see_other("/users")).into_response())
        }
        Err(e) => {
            let (status, e) = match e {
                // A missing seat (or an unknown product) belongs next to the licenses.
                Error::Rule { code: "no_free_seat", detail } => {
                    (StatusCode::CONFLICT, Error::invalid("licenses", detail))
                }
                Error::Validation(mut v) => {
                    for field in &mut v.0 {
                        if field.field.starts_with("licenses[") {
                            field.field = "licenses".to_owned();
                        }
                    }
                    (StatusCode::UNPROCESSABLE_ENTITY, Error::Validation(v))
                }
                e => (crate::HttpAnswer::status(&e), e),
            };
            let (_, form) = form.fail(e).map_err(|e| PageError::for_user(e, &admin, Section::Users))?;
            let rows = rows(&state, &admin, &LobbyQuery::default()).await?;
            let page = LobbyPage {
                chrome: Some(Chrome::new(&admin, Section::Users)),
                flash: None,
                q: String::new(),
                statuses: status_choices(),
                status: String::new(),
                paged: false,
                rows,
                form,
                products: product_choices(&state, &admin, &f.licenses).await?,
                bulk_actions: bulk_actions(&state),
                bulk: None,
            };
            Ok(render(status, &page))
        }
    }
}
