//! Importing users from a CSV file and exporting them as one (Administrators).

use crate::api::json::Json;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::AdminUser;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tenantry_app::import::{self, ExportFilter, Options, Outcome};
use tenantry_domain::{Role, UserStatus, ValidationErrors};
use utoipa::{IntoParams, ToSchema};

/// Largest import file: ten thousand rows with room to spare.
pub const MAX_CSV_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ImportQuery {
    /// `true`: check the file and answer the counts, write nothing.
    pub dry_run: Option<String>,
    /// `false`: create the users as invited without sending their invitation emails.
    pub send_invitations: Option<String>,
}

fn flag(value: Option<&str>, field: &str, default: bool) -> AppResult<bool> {
    match value {
        None | Some("") => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(_) => Err(AppError::invalid(field, "must be true or false")),
    }
}

impl ImportQuery {
    /// The options the query asks for.
    pub fn options(&self) -> AppResult<Options> {
        Ok(Options {
            dry_run: flag(self.dry_run.as_deref(), "dry_run", false)?,
            send_invitations: flag(self.send_invitations.as_deref(), "send_invitations", true)?,
        })
    }
}

/// Why one row was not imported.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowErrorView {
    /// The line of the file the row starts on (the header is row 1).
    pub row: u64,
    /// `email`, `name`, `role`, `licenses`, or `row` (the row itself cannot be read).
    pub field: String,
    pub message: String,
}

/// What an import did (a dry run: what it would do).
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    pub created: usize,
    /// Rows left out on purpose: the email exists already, or repeats an earlier row.
    pub skipped: usize,
    pub errors: Vec<RowErrorView>,
}

impl From<Outcome> for ImportResult {
    fn from(o: Outcome) -> Self {
        Self {
            created: o.created,
            skipped: o.skipped,
            errors: o
                .errors
                .into_iter()
                .map(|e| RowErrorView { row: e.row, field: e.field, message: e.message })
                .collect(),
        }
    }
}

/// Imports users from a CSV file whose header names `email,name,role,licenses` (any order;
/// licenses `;`-separated product keys), at most 10,000 rows. Valid rows are created as invited
/// users in one transaction; invalid ones are reported. A file needing more seats than are free
/// is refused whole (409, `rule: "no_free_seat"`).
#[utoipa::path(post, path = "/api/v1/users/import", tag = "users", params(ImportQuery),
    request_body(content = String, content_type = "text/csv"), security(("bearer" = ["users:write"])),
    responses((status = 200, body = ImportResult), (status = 403, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn import_users(
    State(state): State<AppState>, admin: AdminUser,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>, body: Bytes,
) -> AppResult<Json<ImportResult>> {
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let options = query.options()?;
    let outcome = import::import(&state, &admin, &admin.actor, &body, options).await?;
    Ok(Json(outcome.into()))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ExportQuery {
    /// Case-insensitive substring of name or email.
    pub q: Option<String>,
    /// `administrator` or `member`.
    pub role: Option<String>,
    /// `invited`, `active`, `locked` or `deactivated`.
    pub status: Option<String>,
}

impl TryFrom<ExportQuery> for ExportFilter {
    type Error = ValidationErrors;
    fn try_from(q: ExportQuery) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let role = q.role.filter(|s| !s.is_empty()).and_then(|r| e.check("role", r.parse::<Role>()));
        let status = q.status.filter(|s| !s.is_empty()).and_then(|s| e.check("status", s.parse::<UserStatus>()));
        e.into_result()?;
        Ok(ExportFilter { q: q.q.filter(|s| !s.trim().is_empty()), role, status })
    }
}

/// The account's users matching the list's filters, all of them, as CSV (`email,name,role,status,
/// licenses`, licenses `;`-separated), sorted by name and streamed a chunk at a time.
pub async fn export_response(state: AppState, admin: AdminUser, filter: ExportFilter) -> Response {
    let body = crate::download::csv("users export", import::EXPORT_HEADER, move |cursor| {
        let (state, admin, filter) = (state.clone(), admin.clone(), filter.clone());
        async move { import::export_chunk(&state, &admin, &filter, cursor).await }
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"users.csv\""),
        ],
        body,
    )
        .into_response()
}

/// Every user matching the filters as CSV (no paging).
#[utoipa::path(get, path = "/api/v1/users/export", tag = "users", params(ExportQuery), security(("bearer" = ["users:read"])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn export_users(
    State(state): State<AppState>, admin: AdminUser,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Response> {
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let filter = ExportFilter::try_from(query)?;
    // Checked before the stream starts: a bad term mid-stream could only cut the connection.
    tenantry_app::users::search_term(filter.q.clone())?;
    Ok(export_response(state, admin, filter).await)
}
