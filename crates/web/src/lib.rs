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
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use error::{AppError, AppResult, HttpAnswer};
pub use state::{AppState, WebConfig};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = api::router();
    let routes =
        Router::new().merge(api).merge(system::router(openapi)).merge(pages::router()).fallback(pages::not_found);
    let metrics = Arc::new(RouteMetrics::default());
    let https = state.secure_cookies();
    // One layer, so each route is boxed once: every request clones its route's service, box by
    // box, and five separate layers made five boxes to clone (and free) per request.
    let middleware = tower::ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, RequestIds::new()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // The matched route, never the path itself: paths hold invitation, reset and
            // email-change tokens.
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
            tracing::info_span!("http", method = %req.method(), route = %route, request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(middleware::map_response(move |res: Response| async move { security_headers(res, https) }))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let metrics = metrics.clone();
            async move { metrics.around(req, next).await }
        }));
    routes.layer(middleware).with_state(state)
}

/// Request ids for requests that come without one: 16 hex digits drawn at random once per
/// process, then a counter (32 hex digits in all), so ids are unique across nodes and restarts
/// without the system call a random UUID costs on every request.
#[derive(Clone)]
struct RequestIds {
    process: Arc<str>,
    next: Arc<AtomicU64>,
}

impl RequestIds {
    fn new() -> Self {
        Self { process: tenantry_domain::token::random_hex(8).into(), next: Arc::new(AtomicU64::new(0)) }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::try_from(format!("{}{n:016x}", self.process)).ok().map(RequestId::new)
    }
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

/// Headers every response carries (unless a handler set its own), set in one pass;
/// `Strict-Transport-Security` when the installation is served over HTTPS.
fn security_headers(mut res: Response, https: bool) -> Response {
    use axum::http::header;
    const ALWAYS: [(HeaderName, &str); 4] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CONTENT_SECURITY_POLICY, CSP),
    ];
    let headers = res.headers_mut();
    for (name, value) in ALWAYS {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if https && !headers.contains_key(header::STRICT_TRANSPORT_SECURITY) {
        headers
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    res
}

/// The request counter and latency histogram of each (method, status, route template), kept
/// once made: building a metric's key allocates its labels and looks it up in the registry,
/// which per request cost more than the rest of a cached authenticated read.
#[derive(Default)]
struct RouteMetrics {
    handles: RwLock<HashMap<(&'static str, u16), ByRoute>>,
}

/// The request counter and latency histogram of each route template (for one method and status).
type ByRoute = HashMap<Box<str>, (metrics::Counter, metrics::Histogram)>;

impl RouteMetrics {
    /// Runs the request, then counts it by route template and status and records its latency.
    async fn around(&self, req: Request, next: Next) -> Response {
        let start = Instant::now();
        // Methods outside the standard ones are counted together: a client cannot add label
        // values (and so series) at will.
        let method = match *req.method() {
            Method::GET => "GET",
            Method::POST => "POST",
            Method::PUT => "PUT",
            Method::PATCH => "PATCH",
            Method::DELETE => "DELETE",
            Method::HEAD => "HEAD",
            Method::OPTIONS => "OPTIONS",
            _ => "OTHER",
        };
        let path = req.extensions().get::<MatchedPath>().cloned();
        let res = next.run(req).await;
        let path = path.as_ref().map_or("unmatched", MatchedPath::as_str);
        self.record(method, path, res.status(), start.elapsed().as_secs_f64());
        res
    }

    fn record(&self, method: &'static str, path: &str, status: StatusCode, seconds: f64) {
        let key = (method, status.as_u16());
        if let Ok(handles) = self.handles.read()
            && let Some((requests, latency)) = handles.get(&key).and_then(|by_path| by_path.get(path))
        {
            requests.increment(1);
            latency.record(seconds);
            return;
        }
        let requests = metrics::counter!("tenantry_http_requests_total", "method" => method, "path" => path.to_owned(), "status" => status.as_str().to_owned());
        let latency = metrics::histogram!("tenantry_http_request_duration_seconds", "method" => method, "path" => path.to_owned());
        requests.increment(1);
        latency.record(seconds);
        if let Ok(mut handles) = self.handles.write() {
            handles.entry(key).or_default().insert(path.into(), (requests, latency));
        }
    }
}
