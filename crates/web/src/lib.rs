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
    let https = state.secure_cookies();
    security_headers(routes, https)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // The matched route, never the path itself: paths hold invitation, reset and
            // email-change tokens.
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
            tracing::info_span!("http", method = %req.method(), route = %route, request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
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

/// The Content-Security-Policy of every answer: nothing from elsewhere, no `<base>`, forms post
/// only here, no framing.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Headers every response carries (unless a handler set its own); `Strict-Transport-Security`
/// when the installation is served over HTTPS.
fn security_headers(router: Router<AppState>, https: bool) -> Router<AppState> {
    use axum::http::header;
    let h = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let router = router
        .layer(h(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(h(header::X_FRAME_OPTIONS, "DENY"))
        .layer(h(header::REFERRER_POLICY, "same-origin"))
        .layer(h(header::CONTENT_SECURITY_POLICY, CSP));
    if https {
        router.layer(h(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains"))
    } else {
        router
    }
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
