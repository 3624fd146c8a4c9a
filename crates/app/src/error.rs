//! The one error type of the application layer. It says what went wrong in the application's
//! terms; the web layer turns it into a problem document or an error page, in one place each.

use tenantry_domain::{FieldError, ValidationErrors};
use tenantry_storage::StoreError;

/// Everything a service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Every invalid field at once.
    #[error("validation failed")]
    Validation(ValidationErrors),
    /// An input that could not be read at all, naming it (e.g. a malformed cursor).
    #[error("{1}")]
    BadField(&'static str, String),
    /// Not signed in, or wrong credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Signed in but not allowed.
    #[error("{0}")]
    Forbidden(&'static str),
    /// A re-authentication answer was wrong (the current password, or a two-step code): not
    /// allowed, naming the field and why.
    #[error("{0} {1}")]
    WrongAnswer(&'static str, &'static str),
    /// Absent, or belongs to another account (the two look the same).
    #[error("not found")]
    NotFound,
    /// The change conflicts with an existing value or state.
    #[error("{detail}")]
    Conflict { detail: String, errors: Vec<FieldError> },
    /// The change would break the account rule named `code` (see `tenantry_domain::rules`).
    #[error("{detail}")]
    Rule { code: &'static str, detail: String },
    /// The user is locked out (also answered for unknown emails, so it reveals nothing).
    #[error("{0}")]
    Locked(&'static str),
    /// Too many attempts; try again after this many seconds.
    #[error("Too many attempts. Try again in {0} seconds.")]
    RateLimited(u64),
    /// The password was right; a two-step verification code is needed (or was wrong).
    #[error("{0}")]
    MfaRequired(&'static str),
    /// The database cannot be reached just now (stopped, restarting, network cut): answered 503
    /// with `Retry-After`, logged, never a 500; the pool reconnects once it is back.
    #[error("The service is briefly unavailable. Try again in a few seconds.")]
    Unavailable(String),
    /// A failure on our side: logged, never shown.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { field } => Error::Conflict {
                detail: format!("{field} is already taken"),
                errors: vec![FieldError::new(field, "is already taken")],
            },
            other if other.is_unavailable() => Error::Unavailable(other.to_string()),
            other => Error::Unexpected(other.into()),
        }
    }
}

impl From<ValidationErrors> for Error {
    fn from(e: ValidationErrors) -> Self {
        Error::Validation(e)
    }
}

impl Error {
    /// A conflict explained in `detail`.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Error::Conflict { detail: detail.into(), errors: Vec::new() }
    }

    /// A conflict naming the account rule that refused the change.
    pub fn rule(code: &'static str, detail: impl Into<String>) -> Self {
        Error::Rule { code, detail: detail.into() }
    }

    /// A validation error for a single field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut e = ValidationErrors::new();
        e.push(field, message);
        Error::Validation(e)
    }

    /// A failure on our side, described for the log.
    pub fn unexpected(message: impl std::fmt::Display) -> Self {
        Error::Unexpected(anyhow::anyhow!("{message}"))
    }
}

/// A refusal by an account rule: a conflict naming the rule.
pub fn refused(v: tenantry_domain::rules::RuleViolation) -> Error {
    Error::rule(v.code(), v.to_string())
}

/// Result of services.
pub type Result<T, E = Error> = std::result::Result<T, E>;
