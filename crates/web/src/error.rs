//! The one error type of the web crate, and the one place the application's errors become HTTP
//! statuses. The API renders it as an RFC 9457 problem document; pages render it as HTML. A 5xx
//! body says nothing internal: the cause is logged instead.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tenantry_app::Error;
use tenantry_domain::{FieldError, ValidationErrors};

/// Everything a request can fail with: what the HTTP layer itself refuses, or what a service answered.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request could not be read.
    #[error("{0}")]
    BadRequest(String),
    /// 413.
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// 415.
    #[error("expected a JSON body (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// 403: an account API key may not call this route (see [`crate::api::scopes`]).
    #[error("{}", scope_detail(.0))]
    Scope(crate::api::scopes::ScopeRefusal),
    /// What a service answered.
    #[error(transparent)]
    App(#[from] Error),
}

fn scope_detail(refusal: &crate::api::scopes::ScopeRefusal) -> String {
    use crate::api::scopes::ScopeRefusal;
    match refusal {
        ScopeRefusal::Missing(scope) => format!("This API key lacks the scope this needs: {scope}."),
        ScopeRefusal::PersonalOnly => "This is a person's own endpoint: account API keys cannot use it.".to_owned(),
        ScopeRefusal::Unlisted => "Account API keys cannot use this endpoint.".to_owned(),
    }
}

impl From<ValidationErrors> for AppError {
    fn from(e: ValidationErrors) -> Self {
        AppError::App(Error::Validation(e))
    }
}

impl From<tenantry_storage::StoreError> for AppError {
    fn from(e: tenantry_storage::StoreError) -> Self {
        AppError::App(e.into())
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::App(Error::Unexpected(e))
    }
}

impl AppError {
    /// 404: absent, or another account's.
    pub const NOT_FOUND: AppError = AppError::App(Error::NotFound);

    /// A 422 for a single field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::App(Error::invalid(field, message))
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Scope(_) => StatusCode::FORBIDDEN,
            AppError::App(e) => e.status(),
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        match self {
            AppError::App(e) => e.problem(),
            AppError::Scope(refusal) => {
                use crate::api::scopes::ScopeRefusal;
                let mut p = problem(StatusCode::FORBIDDEN, "forbidden", self.to_string(), Vec::new());
                match refusal {
                    ScopeRefusal::Missing(scope) => p.required_scope = Some(scope.as_str()),
                    ScopeRefusal::PersonalOnly => p.rule = Some("personal_only"),
                    ScopeRefusal::Unlisted => {}
                }
                p
            }
            other => {
                let status = other.status();
                problem(status, slug(status), other.to_string(), Vec::new())
            }
        }
    }
}

fn problem(status: StatusCode, kind: &str, detail: String, errors: Vec<FieldError>) -> Problem {
    Problem {
        r#type: format!("urn:tenantry:problem:{kind}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        errors,
        mfa_required: None,
        deactivated: None,
        rule: None,
        required_scope: None,
    }
}

/// How an answer of the application layer is told over HTTP: the one place its statuses and
/// problem documents are decided.
pub trait HttpAnswer {
    /// The HTTP status.
    fn status(&self) -> StatusCode;
    /// The problem document.
    fn problem(&self) -> Problem;
}

impl HttpAnswer for Error {
    fn status(&self) -> StatusCode {
        match self {
            Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::BadField(..) => StatusCode::BAD_REQUEST,
            Error::Unauthorized(_) | Error::MfaRequired(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) | Error::WrongAnswer(..) => StatusCode::FORBIDDEN,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::Conflict { .. } | Error::Rule { .. } => StatusCode::CONFLICT,
            Error::Locked(_) => StatusCode::LOCKED,
            Error::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn problem(&self) -> Problem {
        let status = self.status();
        let (kind, detail, errors) = match self {
            Error::Validation(v) => ("validation", "One or more fields are invalid.".to_owned(), v.0.clone()),
            Error::BadField(field, msg) => ("bad-request", msg.clone(), vec![FieldError::new(*field, msg.clone())]),
            Error::Conflict { detail, errors } => ("conflict", detail.clone(), errors.clone()),
            Error::Rule { detail, .. } => ("conflict", detail.clone(), Vec::new()),
            Error::WrongAnswer(field, msg) => {
                ("forbidden", format!("{field} {msg}"), vec![FieldError::new(*field, *msg)])
            }
            Error::Unexpected(_) => {
                ("internal", "Something went wrong on our side. It has been logged.".to_owned(), Vec::new())
            }
            Error::NotFound => ("not-found", "The resource does not exist.".to_owned(), Vec::new()),
            Error::Unavailable(_) => ("unavailable", self.to_string(), Vec::new()),
            other => (slug(status), other.to_string(), Vec::new()),
        };
        let mut p = problem(status, kind, detail, errors);
        p.mfa_required = matches!(self, Error::MfaRequired(_)).then_some(true);
        p.deactivated = matches!(self, Error::Forbidden(m) if *m == tenantry_app::auth::DEACTIVATED).then_some(true);
        p.rule = match self {
            Error::Rule { code, .. } => Some(code),
            _ => None,
        };
        p
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
    /// On a sign-in answered 403 because the right password belongs to a deactivated user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deactivated: Option<bool>,
    /// For a 409 from an account rule: its name (`no_free_seat`, `last_administrator`,
    /// `last_licensed_administrator`, `seats_below_assigned`, `owner_has_no_scheduling_license`,
    /// `self`: an Administrator may not demote, delete or deactivate themselves through the users API;
    /// `system_field`: the built-in contact fields cannot change; `field_limit`: at most 100 custom
    /// contact fields; `key_limit`: at most 100 account API keys). On a 403 to an account API
    /// key: `personal_only` for a person's own endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    /// On a 403 to an account API key: the scope the operation needs (e.g. `users:write`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_scope: Option<&'static str>,
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
        if let AppError::App(Error::Unexpected(e)) = &self {
            tracing::error!(error = ?e, "request failed");
        }
        if let AppError::App(Error::Unavailable(e)) = &self {
            tracing::warn!(error = %e, "request refused: database unavailable");
        }
        let problem = self.problem();
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut res = (self.status(), body).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let AppError::App(Error::RateLimited(secs)) = &self
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if let AppError::App(Error::Unavailable(_)) = &self {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_UNAVAILABLE));
        }
        res
    }
}

/// Seconds a client waits before trying again while the database is unreachable.
pub const RETRY_UNAVAILABLE: &str = "5";

/// Result of API handlers.
pub type AppResult<T> = Result<T, AppError>;
