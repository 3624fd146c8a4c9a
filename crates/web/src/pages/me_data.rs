//! My settings › My data (GDPR Articles 15 and 20): what the export holds, and the download — the
//! same JSON as `GET /api/v1/me/export`, as a dated file.

use super::Section;
use super::{Chrome, PageError, PageUser, render};
use crate::api::json::Json;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tenantry_domain::time::LocalTime;
use tenantry_domain::{DateFormat, TimeFormat};

#[derive(Template)]
#[template(path = "me/data.html")]
struct DataPage {
    chrome: Option<Chrome>,
}

/// `GET /me/data`.
pub async fn page(PageUser(me): PageUser) -> Response {
    render(StatusCode::OK, &DataPage { chrome: Some(Chrome::new(&me, Section::MyData)) })
}

/// `GET /me/data/export.json`: everything Tenantry keeps about me, as a download named after
/// today's date where I am (`tenantry-my-data-2026-05-31.json`).
pub async fn export(State(state): State<AppState>, PageUser(me): PageUser) -> Result<Response, PageError> {
    let data =
        tenantry_app::export::export(&state, &me).await.map_err(|e| PageError::for_user(e, &me, Section::MyData))?;
    let today = LocalTime::new(&me.user.timezone, DateFormat::Iso, TimeFormat::H24).date(state.now());
    let file = format!("attachment; filename=\"tenantry-my-data-{today}.json\"");
    Ok(([(header::CONTENT_DISPOSITION, file)], Json(data)).into_response())
}
