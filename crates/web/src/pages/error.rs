//! The HTML rendering of [`AppError`]: a friendly page with the status, and nothing internal.

use super::Section;
use super::{Chrome, render, see_other};
use crate::error::AppError;
use askama::Template;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tenantry_app::{Error, Principal};
use tower_http::csrf::ProtectionError;

/// An error on a page, with the top bar when the user is known.
#[derive(Debug)]
pub struct PageError {
    error: AppError,
    chrome: Option<Chrome>,
    /// A heading and message that replace the generic ones.
    custom: Option<(&'static str, &'static str)>,
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        Self { error, chrome: None, custom: None }
    }
}

impl From<Error> for PageError {
    fn from(error: Error) -> Self {
        AppError::from(error).into()
    }
}

impl PageError {
    /// An error on a page of a signed-in user, shown under their top bar.
    pub fn for_user(error: impl Into<AppError>, user: &Principal, section: Section) -> Self {
        Self { error: error.into(), chrome: Some(Chrome::new(user, section)), custom: None }
    }

    /// An error under the top bar of `chrome` as it is.
    pub fn with_chrome(error: impl Into<AppError>, chrome: Chrome) -> Self {
        Self { error: error.into(), chrome: Some(chrome), custom: None }
    }

    /// A single-use link that is unknown, used, replaced or expired (all look the same).
    pub fn link_gone(heading: &'static str, message: &'static str) -> Self {
        Self { error: AppError::NOT_FOUND, chrome: None, custom: Some((heading, message)) }
    }

    /// An invitation link that is unknown, used, replaced or expired (all look the same).
    pub fn invitation_gone() -> Self {
        Self {
            error: AppError::NOT_FOUND,
            chrome: None,
            custom: Some((
                "This invitation link no longer works",
                "It may have been used already, replaced by a newer invitation, or expired. Ask an Administrator of your account to send you a new one.",
            )),
        }
    }
}

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage {
    chrome: Option<Chrome>,
    status: u16,
    heading: String,
    message: String,
    details: Vec<String>,
}

fn headline(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "This request could not be read",
        403 => "You do not have access to this page",
        404 => "Page not found",
        409 => "That change was refused",
        413 => "That is too large",
        422 => "Some input is invalid",
        503 => "Tenantry is briefly unavailable",
        _ => "Something went wrong",
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.error.status();
        if status == StatusCode::UNAUTHORIZED {
            return see_other("/signin");
        }
        if let AppError::App(Error::Unexpected(e)) = &self.error {
            tracing::error!(error = ?e, "page request failed");
        }
        let problem = self.error.problem();
        let (heading, message) = match self.custom {
            Some((h, m)) => (h.to_owned(), m.to_owned()),
            None if status == StatusCode::NOT_FOUND => {
                (headline(status).to_owned(), "The page you asked for does not exist, or you cannot see it.".to_owned())
            }
            None => (headline(status).to_owned(), problem.detail),
        };
        let details = problem.errors.into_iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        let mut res =
            render(status, &ErrorPage { chrome: self.chrome, status: status.as_u16(), heading, message, details });
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(crate::error::RETRY_UNAVAILABLE),
            );
        }
        res
    }
}

/// The page answered to a form posted from another site.
pub fn cross_site_refused(_: ProtectionError) -> Response<Body> {
    let page = ErrorPage {
        chrome: None,
        status: 403,
        heading: "This form was sent from another site".to_owned(),
        message: "For your safety, Tenantry only accepts forms sent from its own pages. Go back, reload the page and try again.".to_owned(),
        details: Vec::new(),
    };
    render(StatusCode::FORBIDDEN, &page)
}
