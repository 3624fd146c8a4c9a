//! My settings › Profile: the signed-in user's picture, name, username and date and time display.

use super::Section;
use super::{Chrome, FormState, PageError, PageForm, PageUser, render, see_other, set_flash, take_flash};
use crate::api::users::UserPatch;
use crate::error::AppError;
use crate::extract::AuthUser;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use std::sync::LazyLock;
use tenantry_app::Error;
use tenantry_app::users::{self, ProfilePatch};
use tenantry_domain::DateFormat;

/// The IANA time zones offered, sorted (read once from the bundled database).
pub(super) static TIME_ZONES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut zones: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_owned())
        .filter(|n| n == "UTC" || (n.contains('/') && !n.starts_with("Etc/")))
        .collect();
    zones.sort();
    zones.dedup();
    zones
});

#[derive(Template)]
#[template(path = "me/me.html")]
struct MePage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    email: String,
    role: &'static str,
    /// The verified cell number.
    phone: Option<String>,
    avatar_url: Option<String>,
    initials: String,
    form: FormState,
    time_zones: &'static [String],
    date_formats: [&'static str; 4],
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    name: String,
    username: String,
    timezone: String,
    date_format: String,
    time_format: String,
}

impl From<&AuthUser> for ProfileForm {
    fn from(me: &AuthUser) -> Self {
        let u = &me.user;
        Self {
            name: u.name.to_string(),
            username: u.username.as_ref().map(|n| n.to_string()).unwrap_or_default(),
            timezone: u.timezone.to_string(),
            date_format: u.date_format.as_str().to_owned(),
            time_format: u.time_format.as_str().to_owned(),
        }
    }
}

fn me_page(me: &AuthUser, flash: Option<String>, f: &ProfileForm) -> MePage {
    let form = FormState::with(vec![
        ("name", f.name.clone()),
        ("username", f.username.clone()),
        ("timezone", f.timezone.clone()),
        ("date_format", f.date_format.clone()),
        ("time_format", f.time_format.clone()),
    ]);
    MePage {
        chrome: Some(Chrome::new(me, Section::Profile)),
        flash,
        email: me.user.email.to_string(),
        role: me.user.role.label(),
        phone: me.user.phone_number.clone().filter(|_| me.user.phone_verified),
        avatar_url: tenantry_app::avatars::url(me.user.id.as_str(), me.user.avatar_version, 256),
        initials: Chrome::new(me, Section::Profile).initials,
        form,
        time_zones: TIME_ZONES.as_slice(),
        date_formats: DateFormat::ALL.map(DateFormat::as_str),
    }
}

/// `GET /me`.
pub async fn page(PageUser(me): PageUser, jar: CookieJar) -> Response {
    let (jar, flash) = take_flash(jar);
    (jar, render(StatusCode::OK, &me_page(&me, flash, &ProfileForm::from(&me)))).into_response()
}

/// `POST /me`: saves the profile; an empty username clears it.
pub async fn save(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar, PageForm(f): PageForm<ProfileForm>,
) -> Result<Response, PageError> {
    let username = f.username.trim();
    let patch = UserPatch {
        name: Some(f.name.clone()),
        role: None,
        username: Some((!username.is_empty()).then(|| username.to_owned())),
        timezone: Some(f.timezone.clone()),
        date_format: Some(f.date_format.clone()),
        time_format: Some(f.time_format.clone()),
        ..UserPatch::default()
    };
    let result = match ProfilePatch::try_from(patch) {
        Ok(patch) => users::update_me(&state, &me, &me.actor, patch).await,
        Err(errors) => Err(Error::Validation(errors)),
    };
    match result {
        Ok(_) => Ok((set_flash(&state, jar, "Your settings have been saved."), see_other("/me")).into_response()),
        Err(e) => {
            let template = me_page(&me, None, &f);
            let (status, form) = template.form.fail(e).map_err(|e| PageError::for_user(e, &me, Section::Profile))?;
            Ok(render(status, &MePage { form, ..template }))
        }
    }
}

/// `POST /me/avatar`: uploads a new picture; a refusal is shown on the page.
pub async fn upload_avatar(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    let result = async {
        let multipart = multipart.map_err(|e| AppError::BadRequest(e.body_text()))?;
        let bytes = crate::api::avatar::file_part(multipart).await?;
        Ok(tenantry_app::avatars::upload(&state, &me, &me.actor, bytes).await?)
    }
    .await;
    match result {
        Ok(_) => {
            Ok((set_flash(&state, jar, "Your profile picture has been updated."), see_other("/me")).into_response())
        }
        Err(e @ (AppError::App(Error::Validation(_)) | AppError::PayloadTooLarge(_) | AppError::BadRequest(_))) => {
            let status = e.status();
            let mut template = me_page(&me, None, &ProfileForm::from(&me));
            template.form.alert = Some(match &e {
                AppError::App(Error::Validation(v)) => {
                    v.0.iter().map(|f| format!("The picture {}.", f.message)).collect::<Vec<_>>().join(" ")
                }
                other => other.problem().detail,
            });
            Ok(render(status, &template))
        }
        Err(e) => Err(PageError::for_user(e, &me, Section::Profile)),
    }
}

/// `POST /me/avatar/delete`: back to initials.
pub async fn remove_avatar(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar,
) -> Result<Response, PageError> {
    tenantry_app::avatars::remove(&state, &me, &me.actor)
        .await
        .map_err(|e| PageError::for_user(e, &me, Section::Profile))?;
    Ok((set_flash(&state, jar, "Your profile picture has been removed."), see_other("/me")).into_response())
}
