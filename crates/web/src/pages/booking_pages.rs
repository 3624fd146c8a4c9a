//! Booking pages: a Member's own, or every page of the account for an Administrator; create one,
//! switch one on or off (on needs the owner's scheduling license).

use super::Section;
use super::{Chrome, FormState, PageError, PageForm, PageUser, render, see_other, set_flash, take_flash};
use crate::HttpAnswer;
use crate::api::booking_pages::CreateRequest;
use crate::extract::AuthUser;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::Error;
use tenantry_app::booking_pages::{self, ListedPage, NewPage, PagePatch};
use tenantry_domain::Role;

type Row = ListedPage;

trait Reason {
    fn reason(&self) -> &'static str;
}

impl Reason for ListedPage {
    fn reason(&self) -> &'static str {
        match self.page.disabled_reason.as_deref() {
            Some("license_unassigned") => "Off: the owner's Scheduling license was unassigned",
            Some("no_license") => "Off: the owner has no Scheduling license",
            _ => "Off",
        }
    }
}

#[derive(Template)]
#[template(path = "booking_pages/list.html")]
struct PagesPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    is_admin: bool,
    rows: Vec<Row>,
    form: FormState,
    /// A refusal from switching a page on or off.
    alert: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CreateForm {
    name: String,
    slug: String,
}

fn create_form(f: &CreateForm) -> FormState {
    FormState::with(vec![("name", f.name.clone()), ("slug", f.slug.clone())])
}

async fn page(
    state: &AppState, me: &AuthUser, flash: Option<String>, form: FormState, alert: Option<String>,
) -> Result<PagesPage, PageError> {
    let fail = |e: Error| PageError::for_user(e, me, Section::BookingPages);
    let rows = booking_pages::list_with_owner_names(state, me, booking_pages::MAX_PAGE).await.map_err(fail)?;
    Ok(PagesPage {
        chrome: Some(Chrome::new(me, Section::BookingPages)),
        flash,
        is_admin: me.user.role == Role::Administrator,
        rows,
        form,
        alert,
    })
}

/// `GET /booking-pages`.
pub async fn list(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let page = page(&state, &me, flash, create_form(&CreateForm::default()), None).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /booking-pages`: creates a page of the signed-in user.
pub async fn create(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar, PageForm(f): PageForm<CreateForm>,
) -> Result<Response, PageError> {
    let request = CreateRequest { name: f.name.clone(), slug: f.slug.clone(), owner_id: None, enabled: None };
    let result = match NewPage::try_from(request) {
        Ok(input) => booking_pages::create(&state, &me, &me.actor, input).await,
        Err(errors) => Err(Error::Validation(errors)),
    };
    match result {
        Ok(p) => {
            Ok((set_flash(&state, jar, &format!("Created {}.", p.name)), see_other("/booking-pages")).into_response())
        }
        Err(e) => {
            let (status, form) =
                create_form(&f).fail(e).map_err(|e| PageError::for_user(e, &me, Section::BookingPages))?;
            Ok(render(status, &page(&state, &me, None, form, None).await?))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ToggleForm {
    /// `on` or `off`.
    enabled: String,
}

/// `POST /booking-pages/{id}/enabled`: switches a page on or off.
pub async fn toggle(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar, Path(id): Path<String>,
    PageForm(f): PageForm<ToggleForm>,
) -> Result<Response, PageError> {
    let patch = PagePatch { enabled: Some(f.enabled == "on"), ..PagePatch::default() };
    match booking_pages::update(&state, &me, &me.actor, &id, patch).await {
        Ok(p) => {
            let message = format!("{} is {}.", p.name, if p.enabled { "on" } else { "off" });
            Ok((set_flash(&state, jar, &message), see_other("/booking-pages")).into_response())
        }
        Err(e @ Error::Rule { .. }) => {
            let status = e.status();
            Ok(render(
                status,
                &page(&state, &me, None, create_form(&CreateForm::default()), Some(e.problem().detail)).await?,
            ))
        }
        Err(e) => Err(PageError::for_user(e, &me, Section::BookingPages)),
    }
}
