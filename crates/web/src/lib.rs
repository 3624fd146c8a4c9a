//! Tenantry's web layer, HTTP only: the JSON API, the server-rendered pages, and what surrounds
//! them (extractors, error mapping, request ids, tracing, security headers, metrics, CSRF
//! protection for pages). Every handler calls the application layer (`tenantry_app`).

pub mod api;
pub mod error;
pub mod extract;
pub mod pages;
pub mod state;
pub mod system;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use std::time::Instant;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::{AppError, AppResult, HttpAnswer};
pub use state::{AppState, WebConfig};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = api::router();
    let routes = Router::new()
        .merge(api)
        .merge(system::router(openapi))
        .merge(pages::router())
        .fallback(pages::not_found)
        .layer(middleware::from_fn(record_metrics));
    security_headers(routes)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Headers every response carries (unless a handler set its own).
fn security_headers(router: Router<AppState>) -> Router<AppState> {
    use axum::http::header;
    let h = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    router.layer(h(header::X_CONTENT_TYPE_OPTIONS, "nosniff")).layer(h(header::X_FRAME_OPTIONS, "DENY")).layer(h(header::REFERRER_POLICY, "same-origin")).layer(
        h(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
        ),
    )
}

/// Counts requests by route template and status, and records their latency.
async fn record_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let path =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".to_owned());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("tenantry_http_requests_total", "method" => method.clone(), "path" => path.clone(), "status" => status).increment(1);
    metrics::histogram!("tenantry_http_request_duration_seconds", "method" => method, "path" => path)
        .record(start.elapsed().as_secs_f64());
    res
}
