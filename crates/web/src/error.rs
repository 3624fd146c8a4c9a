//! The one error type of the web crate. The API renders it as an RFC 9457 problem document;
//! pages render it as HTML. A 5xx body says nothing internal: the cause is logged instead.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tenantry_domain::{FieldError, ValidationErrors};
use tenantry_storage::StoreError;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request could not be read.
    #[error("{0}")]
    BadRequest(String),
    /// 400 naming a field (e.g. a malformed cursor).
    #[error("{1}")]
    BadField(&'static str, String),
    /// 401: not signed in, or wrong credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: signed in but not allowed.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 404: absent, or belongs to another account.
    #[error("not found")]
    NotFound,
    /// 409: the change conflicts with a rule or an existing value.
    #[error("{detail}")]
    Conflict { detail: String, errors: Vec<FieldError> },
    /// 423: the user is locked out (also answered for unknown emails, so it reveals nothing).
    #[error("{0}")]
    Locked(&'static str),
    /// 429 with `Retry-After` (seconds).
    #[error("Too many attempts. Try again in {0} seconds.")]
    TooManyRequests(u64),
    /// 401 with `"mfa_required": true`: the password was right, a two-step code is needed.
    #[error("{0}")]
    MfaRequired(&'static str),
    /// 409: the change would break the account rule named `code` (see `tenantry_domain::rules`).
    #[error("{detail}")]
    Rule { code: &'static str, detail: String },
    /// 413.
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// 415.
    #[error("expected a JSON body (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// 422: every invalid field at once.
    #[error("validation failed")]
    Validation(ValidationErrors),
    /// 500: logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { field } => AppError::Conflict {
                detail: format!("{field} is already taken"),
                errors: vec![FieldError::new(field, "is already taken")],
            },
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<ValidationErrors> for AppError {
    fn from(e: ValidationErrors) -> Self {
        AppError::Validation(e)
    }
}

impl AppError {
    /// A 409 that explains which rule refused the change.
    pub fn conflict(detail: impl Into<String>) -> Self {
        AppError::Conflict { detail: detail.into(), errors: Vec::new() }
    }

    /// A 409 naming the account rule that refused the change.
    pub fn rule(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::Rule { code, detail: detail.into() }
    }

    /// A 422 for a single field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut e = ValidationErrors::new();
        e.push(field, message);
        AppError::Validation(e)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) | AppError::BadField(..) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } | AppError::Rule { .. } => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Locked(_) => StatusCode::LOCKED,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::MfaRequired(_) => StatusCode::UNAUTHORIZED,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let (kind, detail, errors) = match self {
            AppError::Validation(v) => ("validation", "One or more fields are invalid.".to_owned(), v.0.clone()),
            AppError::BadField(field, msg) => ("bad-request", msg.clone(), vec![FieldError::new(*field, msg.clone())]),
            AppError::Conflict { detail, errors } => ("conflict", detail.clone(), errors.clone()),
            AppError::Rule { detail, .. } => ("conflict", detail.clone(), Vec::new()),
            AppError::Internal(_) => {
                ("internal", "Something went wrong on our side. It has been logged.".to_owned(), Vec::new())
            }
            AppError::NotFound => ("not-found", "The resource does not exist.".to_owned(), Vec::new()),
            other => (slug(status), other.to_string(), Vec::new()),
        };
        Problem {
            r#type: format!("urn:tenantry:problem:{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors,
            mfa_required: matches!(self, AppError::MfaRequired(_)).then_some(true),
            rule: match self {
                AppError::Rule { code, .. } => Some(code),
                _ => None,
            },
        }
    }
}

fn slug(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad-request",
        401 => "unauthorized",
        403 => "forbidden",
        413 => "payload-too-large",
        423 => "locked",
        429 => "too-many-requests",
        415 => "unsupported-media-type",
        _ => "error",
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// One entry per invalid field, named by its JSON name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<ProblemField>)]
    pub errors: Vec<FieldError>,
    /// On a sign-in answered 401 because a two-step verification code is needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_required: Option<bool>,
    /// For a 409 from an account rule: its name (`no_free_seat`, `last_administrator`,
    /// `last_licensed_administrator`, `seats_below_assigned`, `owner_has_no_scheduling_license`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
}

/// One invalid field.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ProblemField {
    field: String,
    message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = ?e, "request failed");
        }
        let problem = self.problem();
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut res = (self.status(), body).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let AppError::TooManyRequests(secs) = &self
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// Result of API handlers and services.
pub type AppResult<T> = Result<T, AppError>;
