//! My settings › Notifications: which emails about calls I get. Same service as `PATCH /api/v1/me`
//! with `notifications`.

use super::Section;
use super::{Chrome, FormState, PageError, PageForm, PageUser, render, see_other, set_flash, take_flash};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::users::{self, ProfilePatch};
use tenantry_domain::settings::Notifications;

#[derive(Template)]
#[template(path = "me/notifications.html")]
struct NotificationsPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    email: String,
    n: Notifications,
    form: FormState,
}

/// `GET /me/notifications`.
pub async fn page(PageUser(me): PageUser, jar: CookieJar) -> Response {
    let (jar, flash) = take_flash(jar);
    let page = NotificationsPage {
        chrome: Some(Chrome::new(&me, Section::Notifications)),
        flash,
        email: me.user.email.to_string(),
        n: me.user.preferences.notifications,
        form: FormState::default(),
    };
    (jar, render(StatusCode::OK, &page)).into_response()
}

/// Unchecked checkboxes are absent from the form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NotificationsForm {
    missed_calls: Option<String>,
    voicemails: Option<String>,
}

/// `POST /me/notifications`: saves both choices at once.
pub async fn save(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar, PageForm(f): PageForm<NotificationsForm>,
) -> Result<Response, PageError> {
    let n = Notifications { missed_calls: f.missed_calls.is_some(), voicemails: f.voicemails.is_some() };
    let patch = ProfilePatch { notifications: Some(n), ..ProfilePatch::default() };
    match users::update_me(&state, &me, &me.actor, patch).await {
        Ok(_) => {
            Ok((set_flash(&state, jar, "Your notification settings have been saved."), see_other("/me/notifications"))
                .into_response())
        }
        Err(e) => {
            let (status, form) =
                FormState::default().fail(e).map_err(|e| PageError::for_user(e, &me, Section::Notifications))?;
            let page = NotificationsPage {
                chrome: Some(Chrome::new(&me, Section::Notifications)),
                flash: None,
                email: me.user.email.to_string(),
                n,
                form,
            };
            Ok(render(status, &page))
        }
    }
}
