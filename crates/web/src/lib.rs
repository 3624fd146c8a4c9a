//! Tenantry's web layer, HTTP only: the JSON API, the server-rendered pages, and what surrounds
//! them (extractors, error mapping, request ids, tracing, security headers, metrics, CSRF
//! protection for pages). Every handler calls the application layer (`tenantry_app`).

pub mod api;
pub mod download;
pub mod error;
pub mod extract;
pub mod pages;
pub mod request_log;
pub mod state;
pub mod surround;
pub mod system;

use axum::Router;

pub use error::{AppError, AppResult, HttpAnswer};
pub use state::{AppState, WebConfig};
pub use surround::{CSP, REQUEST_ID};

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = api::router();
    let routes =
        Router::new().merge(api).merge(system::router(openapi)).merge(pages::router()).fallback(pages::not_found);
    let surround = surround::Surround::new(state.secure_cookies());
    routes.layer(surround).with_state(state)
}

/// `/metrics` alone, for an address of its own (`TENANTRY_METRICS_LISTEN`).
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            axum::routing::get(|axum::extract::State(s): axum::extract::State<AppState>| async move {
                system::render_metrics(&s)
            }),
        )
        .with_state(state)
}
