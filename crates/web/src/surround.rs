//! What every request passes through, in one layer and one future: its request id (the caller's
//! `X-Request-Id`, or a new one), the request's fields for every log line written while it is
//! served ([`crate::request_log`]), the security headers and the id on the answer, and the route
//! metrics.
//!
//! One hand-written layer rather than five stacked ones (tower-http's request-id and trace
//! layers, two axum middleware functions): stacked, they cost a boxed service and a boxed future
//! each, a tracing span made, formatted and entered on every poll of the answer's body as well as
//! of the handler, and timing and classification nobody read; together they were the largest
//! cost of a cached authenticated read after the HTTP server itself (BENCHMARKS.md, issue 12).

use crate::request_log;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll, ready};
use std::time::Instant;
use tokio::task::futures::TaskLocalFuture;

/// The header that carries a request's id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The Content-Security-Policy of every answer but JSON: nothing from elsewhere, no `<base>`,
/// forms post only here, no framing.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The Content-Security-Policy of JSON answers (the API's, problem documents included): nothing
/// at all, never framed (OWASP's advice for REST answers; a third of the length of [`CSP`], on
/// the API's every answer).
pub const JSON_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The layer (see the module's documentation). Made once per application.
#[derive(Clone)]
pub struct Surround {
    shared: Arc<Shared>,
}

struct Shared {
    ids: RequestIds,
    metrics: RouteMetrics,
    /// Whether answers carry `Strict-Transport-Security` (the installation is served over HTTPS).
    https: bool,
}

impl Surround {
    pub fn new(https: bool) -> Self {
        Self { shared: Arc::new(Shared { ids: RequestIds::new(), metrics: RouteMetrics::default(), https }) }
    }
}

impl<S> tower::Layer<S> for Surround {
    type Service = Surrounded<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Surrounded { inner, shared: self.shared.clone() }
    }
}

/// A route's service inside [`Surround`].
#[derive(Clone)]
pub struct Surrounded<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> tower::Service<Request> for Surrounded<S>
where
    S: tower::Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = SurroundedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let start = Instant::now();
        let id = match req.headers().get(REQUEST_ID) {
            Some(id) => id.clone(),
            None => {
                let id = self.shared.ids.next();
                req.headers_mut().insert(REQUEST_ID, id.clone());
                id
            }
        };
        let served = request_log::Request {
            id,
            method: method_label(req.method()),
            route: req.extensions().get::<MatchedPath>().cloned(),
        };
        SurroundedFuture { inner: request_log::scope(served, self.inner.call(req)), start, shared: self.shared.clone() }
    }
}

pin_project_lite::pin_project! {
    /// The answer of a route inside [`Surround`]: the route's future, polled as serving the
    /// request (for its log lines), then the answer's headers and metrics.
    pub struct SurroundedFuture<F> {
        #[pin]
        inner: TaskLocalFuture<request_log::Request, F>,
        start: Instant,
        shared: Arc<Shared>,
    }
}

impl<F, E> Future for SurroundedFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let mut res = ready!(this.inner.as_mut().poll(cx))?;
        if let Some(served) = this.inner.take_value() {
            let shared = &this.shared;
            security_headers(&mut res, shared.https);
            let elapsed = this.start.elapsed();
            shared.metrics.record(served.method, served.route(), res.status(), elapsed.as_secs_f64());
            if tracing::enabled!(tracing::Level::DEBUG) {
                // The access log, at DEBUG: a line per answer, naming its request.
                let id = served.id.clone();
                let status = res.status().as_u16();
                request_log::sync_scope(served, || {
                    tracing::debug!(status, elapsed_ms = elapsed.as_secs_f64() * 1000.0, "answered");
                });
                res.headers_mut().entry(REQUEST_ID).or_insert(id);
            } else {
                res.headers_mut().entry(REQUEST_ID).or_insert(served.id);
            }
        }
        Poll::Ready(Ok(res))
    }
}

/// Request ids for requests that come without one: 16 hex digits drawn at random once per
/// process, then a counter (32 hex digits in all), so ids are unique across nodes and restarts
/// without the system call a random UUID costs on every request.
struct RequestIds {
    process: [u8; 16],
    next: AtomicU64,
}

impl RequestIds {
    fn new() -> Self {
        let mut process = [0; 16];
        process.copy_from_slice(&tenantry_domain::token::random_hex(8).as_bytes()[..16]);
        Self { process, next: AtomicU64::new(0) }
    }

    fn next(&self) -> HeaderValue {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut id = [0; 32];
        id[..16].copy_from_slice(&self.process);
        for (i, digit) in id[16..].iter_mut().enumerate() {
            *digit = HEX[((n >> (60 - 4 * i)) & 0xf) as usize];
        }
        // Hex digits only, so always a valid header value.
        HeaderValue::from_bytes(&id).unwrap_or_else(|_| HeaderValue::from_static("-"))
    }
}

/// Headers every response carries (unless a handler set its own), set in one pass;
/// `Strict-Transport-Security` when the installation is served over HTTPS.
fn security_headers(res: &mut Response, https: bool) {
    const ALWAYS: [(HeaderName, &str); 3] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    let headers = res.headers_mut();
    let json = headers.get(header::CONTENT_TYPE).is_some_and(|t| {
        let t = t.as_bytes();
        t.starts_with(b"application/json") || t.starts_with(b"application/problem+json")
    });
    // Room for these, the request id and what the server adds, in one step rather than several.
    headers.reserve(8);
    for (name, value) in ALWAYS {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    let csp = if json { JSON_CSP } else { CSP };
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(csp));
    if https {
        headers
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
}

/// The method as a metric label. Methods outside the standard ones are counted together: a
/// client cannot add label values (and so series) at will.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
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
    /// Counts a request by route template and status and records its latency.
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use std::io::Write;
    use std::sync::Mutex;
    use tower::ServiceExt;

    /// Log lines written while a test runs.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Lines {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    /// Logging as the binary does it (`tenantry serve`), into `lines`.
    fn logging(lines: &Lines, json: bool) -> tracing::subscriber::DefaultGuard {
        let lines = lines.clone();
        let builder = tracing_subscriber::fmt().with_writer(move || lines.clone()).with_env_filter("debug");
        if json {
            let (events, fields) = request_log::json_format();
            tracing::subscriber::set_default(builder.event_format(events).fmt_fields(fields).finish())
        } else {
            tracing::subscriber::set_default(builder.event_format(request_log::text_format(false)).finish())
        }
    }

    fn app(https: bool) -> Router {
        Router::new()
            .route(
                "/things/{token}",
                get(|| async {
                    tracing::warn!("inside the handler");
                    "ok"
                }),
            )
            .route(
                "/export",
                get(|| async {
                    crate::download::csv("things export", "a,b\r\n", |_: Option<u8>| async {
                        Err(tenantry_app::Error::NotFound)
                    })
                }),
            )
            .route("/json", get(|| async { crate::api::json::Json(serde_json::json!({"ok": true})) }))
            .route("/framed", get(|| async { ([(header::X_FRAME_OPTIONS, "SAMEORIGIN")], "ok") }))
            .layer(Surround::new(https))
    }

    async fn send(app: Router, path: &str, id: Option<&str>) -> Response {
        let mut req = Request::get(path);
        if let Some(id) = id {
            req = req.header(REQUEST_ID, id);
        }
        app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_log_line_written_for_a_request_names_its_id_and_route_never_its_path() {
        let lines = Lines::default();
        let _logging = logging(&lines, false);
        let res = send(app(false), "/things/secret-token-123", Some("trace-me-7")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[REQUEST_ID], "trace-me-7", "the caller's id is kept");
        let text = lines.text();
        let line = text.lines().find(|l| l.contains("inside the handler")).expect("the handler's line");
        assert!(line.contains("request_id=trace-me-7"), "{line}");
        assert!(line.contains("route=/things/{token}") && line.contains("method=GET"), "{line}");
        assert!(!text.contains("secret-token-123"), "the path is never logged: {text}");
        let line = text.lines().find(|l| l.contains("answered")).expect("the access line, at DEBUG");
        assert!(line.contains("status=200") && line.contains("request_id=trace-me-7"), "{line}");

        let res = send(app(false), "/things/x", None).await;
        let id = res.headers()[REQUEST_ID].to_str().unwrap().to_owned();
        assert!(id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
        assert!(lines.text().contains(&format!("request_id={id}")), "a made id is logged as sent");
        tracing::info!("between requests");
        let text = lines.text();
        let line = text.lines().find(|l| l.contains("between requests")).expect("logged");
        assert!(!line.contains("request_id"), "no request is named outside one: {line}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_json_log_line_carries_the_request_as_top_level_fields_and_stays_json() {
        let lines = Lines::default();
        let _logging = logging(&lines, true);
        send(app(false), "/things/secret-token-123", Some(r#"quote"and\back"#)).await;
        let text = lines.text();
        let line = text.lines().find(|l| l.contains("inside the handler")).expect("the handler's line");
        let v: serde_json::Value = serde_json::from_str(line).expect(line);
        assert_eq!(v["request_id"], r#"quote"and\back"#, "{line}");
        assert_eq!(v["method"], "GET");
        assert_eq!(v["route"], "/things/{token}");
        assert_eq!(v["fields"]["message"], "inside the handler");
        assert!(!text.contains("secret-token-123"));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_download_that_fails_after_the_handler_returned_still_names_the_request() {
        let lines = Lines::default();
        let _logging = logging(&lines, false);
        let res = send(app(false), "/export", Some("export-9")).await;
        assert_eq!(res.status(), StatusCode::OK, "the header went out before the failure");
        let body = axum::body::to_bytes(res.into_body(), 1 << 20).await;
        assert!(body.is_err(), "the download is cut short");
        let text = lines.text();
        let line = text.lines().find(|l| l.contains("things export failed")).expect("the failure is logged");
        assert!(line.contains("request_id=export-9") && line.contains("route=/export"), "{line}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn every_answer_carries_the_security_headers_unless_the_handler_set_its_own() {
        let res = send(app(false), "/framed", None).await;
        assert_eq!(res.headers()[header::X_FRAME_OPTIONS], "SAMEORIGIN", "the handler's own value stays");
        assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(res.headers()[header::CONTENT_SECURITY_POLICY], CSP);
        assert!(!res.headers().contains_key(header::STRICT_TRANSPORT_SECURITY), "plain HTTP: no HSTS");
        let res = send(app(false), "/json", None).await;
        assert_eq!(res.headers()[header::CONTENT_SECURITY_POLICY], JSON_CSP, "JSON answers may load nothing");
        assert_eq!(res.headers()[header::X_FRAME_OPTIONS], "DENY");
        let res = send(app(true), "/nowhere", None).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(res.headers()[header::STRICT_TRANSPORT_SECURITY].to_str().unwrap().starts_with("max-age="));
        assert!(res.headers().contains_key(REQUEST_ID), "unmatched requests get an id too");
    }
}
