//! Users › Import users: upload a CSV file, see what it would do (counts, every bad row, the users
//! it would create), then confirm. The file is never stored on the server between the two steps:
//! the confirm form carries it back. Also the lobby's "Export CSV" download.

use super::Section;
use super::{Chrome, FormState, PageAdmin, PageError, render, see_other, set_flash};
use crate::api::users_import::{MAX_CSV_BYTES, export_response};
use crate::error::AppError;
use crate::extract::AdminUser;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::Error;
use tenantry_app::import::{self, ExportFilter, Options, Outcome, RowError};

/// Rows to be created that the preview lists (the count says how many more there are).
const PREVIEW_ROWS: usize = 100;
/// Slack for the form's other fields around the file.
pub const MAX_FORM_BYTES: usize = MAX_CSV_BYTES + 64 * 1024;

/// One user the file would create, ready to show.
struct PreviewRow {
    row: u64,
    email: String,
    name: String,
    role: &'static str,
    licenses: String,
}

/// What the dry run found.
struct Preview {
    created: usize,
    skipped: usize,
    errors: Vec<RowError>,
    rows: Vec<PreviewRow>,
    /// Rows to be created beyond those listed.
    more: usize,
    /// The file, carried to the confirm step.
    csv: String,
}

#[derive(Template)]
#[template(path = "users/import.html")]
struct ImportPage {
    chrome: Option<Chrome>,
    form: FormState,
    send_invitations: bool,
    preview: Option<Preview>,
}

impl ImportPage {
    fn new(admin: &AdminUser, form: FormState, send_invitations: bool, preview: Option<Preview>) -> Self {
        Self { chrome: Some(Chrome::new(admin, Section::Users)), form, send_invitations, preview }
    }
}

fn form() -> FormState {
    FormState::with(vec![("file", String::new())])
}

/// `GET /users/import`: the upload form.
pub async fn page(PageAdmin(admin): PageAdmin) -> Response {
    render(StatusCode::OK, &ImportPage::new(&admin, form(), true, None))
}

/// What the form posted.
#[derive(Default)]
struct Posted {
    /// The uploaded file, or the file carried by the confirm form.
    csv: Option<Vec<u8>>,
    send_invitations: bool,
    confirm: bool,
}

async fn read(mut multipart: Multipart) -> Result<Posted, AppError> {
    let mut posted = Posted::default();
    let bad = |e: axum::extract::multipart::MultipartError| AppError::BadRequest(e.body_text());
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "file" => {
                let bytes = field.bytes().await.map_err(bad)?;
                if !bytes.is_empty() {
                    posted.csv = Some(bytes.to_vec());
                }
            }
            "csv" => {
                let text = field.text().await.map_err(bad)?;
                if !text.is_empty() && posted.csv.is_none() {
                    posted.csv = Some(text.into_bytes());
                }
            }
            "send_invitations" => posted.send_invitations = field.text().await.map_err(bad)? == "on",
            "step" => posted.confirm = field.text().await.map_err(bad)? == "import",
            _ => {}
        }
    }
    Ok(posted)
}

fn preview(outcome: Outcome, csv: String) -> Preview {
    let more = outcome.rows.len().saturating_sub(PREVIEW_ROWS);
    let rows = outcome
        .rows
        .iter()
        .take(PREVIEW_ROWS)
        .map(|c| PreviewRow {
            row: c.row,
            email: c.email.to_string(),
            name: c.name.to_string(),
            role: c.role.label(),
            licenses: c.licenses.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
        })
        .collect();
    Preview { created: outcome.created, skipped: outcome.skipped, errors: outcome.errors, rows, more, csv }
}

/// `POST /users/import`: checks the file and shows the preview, or (from the preview's confirm
/// button) imports it and returns to the lobby with a notice.
pub async fn submit(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    let fail = |e: AppError| PageError::for_user(e, &admin, Section::Users);
    let multipart = multipart.map_err(|e| fail(AppError::BadRequest(e.body_text())))?;
    let posted = read(multipart).await.map_err(fail)?;
    let send_invitations = posted.send_invitations;
    let Some(csv) = posted.csv else {
        let mut form = form();
        form.set_error("file", "is required: choose a CSV file to upload");
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &ImportPage::new(&admin, form, send_invitations, None)));
    };
    let options = Options { dry_run: !posted.confirm, send_invitations };
    match import::import(&state, &admin, &admin.actor, &csv, options).await {
        Ok(outcome) if posted.confirm => {
            let mut notice =
                format!("Imported {} {}.", outcome.created, if outcome.created == 1 { "user" } else { "users" });
            if send_invitations && outcome.created > 0 {
                notice.push_str(" Their invitations are on their way.");
            }
            if outcome.skipped > 0 {
                notice.push_str(&format!(" {} skipped (already users or repeated).", outcome.skipped));
            }
            if !outcome.errors.is_empty() {
                notice.push_str(&format!(" {} rows with errors were left out.", outcome.errors.len()));
            }
            Ok((set_flash(&state, jar, &notice), see_other("/users")).into_response())
        }
        Ok(outcome) => {
            // The confirm form carries the file as text: one that is not UTF-8 is reported by the
            // dry run already, row by row, and is carried with its bad bytes replaced.
            let text = String::from_utf8_lossy(&csv).into_owned();
            let page = ImportPage::new(&admin, form(), send_invitations, Some(preview(outcome, text)));
            Ok(render(StatusCode::OK, &page))
        }
        Err(e) => {
            // Errors about the file as a whole go next to the file input.
            let e = match e {
                Error::Validation(mut v) => {
                    for f in &mut v.0 {
                        if f.field == "header" {
                            f.message = format!("header {}", f.message);
                        }
                        f.field = "file".to_owned();
                    }
                    Error::Validation(v)
                }
                other => other,
            };
            let (status, form) = form().fail(e).map_err(fail)?;
            Ok(render(status, &ImportPage::new(&admin, form, send_invitations, None)))
        }
    }
}

/// The lobby's filters, for the export.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportParams {
    q: String,
    status: String,
}

/// `GET /users/export.csv`: every user matching the lobby's filters, as a download.
pub async fn export(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, Query(params): Query<ExportParams>,
) -> Result<Response, PageError> {
    let status = match params.status.trim() {
        "" => None,
        s => Some(
            s.parse::<tenantry_domain::UserStatus>()
                .map_err(|e| PageError::for_user(Error::invalid("status", e.to_string()), &admin, Section::Users))?,
        ),
    };
    let filter = ExportFilter { q: Some(params.q.trim().to_owned()).filter(|q| !q.is_empty()), role: None, status };
    tenantry_app::users::search_term(filter.q.clone()).map_err(|e| PageError::for_user(e, &admin, Section::Users))?;
    Ok(export_response(state, admin, filter).await)
}
