//! The request a log line was written for. Every line written while a request is served ends
//! with its `request_id`, `method` and `route` (the route template, never the path, which may
//! hold a token), from a task-local the request layer ([`crate::surround`]) sets, added by the
//! event format [`RequestFields`] that the binary logs with.
//!
//! Not a tracing span per request: creating, entering, leaving and closing one, and formatting
//! its fields for a line that is almost never written, cost GET /me 12–18 % of its rate
//! (BENCHMARKS.md, issue 12). A task-local costs a swap of a thread-local on each poll, and
//! the fields are written only with a line. Spans of the application layer nest as before.
//!
//! Lines written off the request's task do not name it: SQLite's statement lines (sqlx runs each
//! SQLite connection on a thread of its own), and anything spawned by a handler. At DEBUG the
//! request layer writes an `answered` line per answer (status, elapsed milliseconds).

use axum::extract::MatchedPath;
use axum::http::HeaderValue;
use std::fmt;
use std::future::Future;
use tokio::task::futures::TaskLocalFuture;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{Format, Full, Json, JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

tokio::task_local! {
    static REQUEST: Request;
}

/// What a log line says of the request being served.
#[derive(Clone, Debug)]
pub struct Request {
    pub id: HeaderValue,
    /// As counted in the metrics: unusual methods are `OTHER`.
    pub method: &'static str,
    pub route: Option<MatchedPath>,
}

impl Request {
    fn id(&self) -> &str {
        self.id.to_str().unwrap_or("-")
    }

    /// The route template, `unmatched` when no route matched.
    pub fn route(&self) -> &str {
        self.route.as_ref().map_or("unmatched", MatchedPath::as_str)
    }
}

/// Runs `future` as serving `request`.
pub fn scope<F: Future>(request: Request, future: F) -> TaskLocalFuture<Request, F> {
    REQUEST.scope(request, future)
}

/// Runs `f` as serving `request` (for a line written outside the request's future).
pub fn sync_scope<R>(request: Request, f: impl FnOnce() -> R) -> R {
    REQUEST.sync_scope(request, f)
}

/// The request being served by the running task, if any.
pub fn current() -> Option<Request> {
    REQUEST.try_with(Request::clone).ok()
}

/// An event format that adds the request being served to the line another format writes.
#[derive(Debug, Clone)]
pub struct RequestFields<E> {
    inner: E,
    json: bool,
}

/// Text lines (colours only if `ansi`), each ending with the request's fields.
pub fn text_format(ansi: bool) -> RequestFields<Format<Full>> {
    RequestFields { inner: tracing_subscriber::fmt::format().with_ansi(ansi), json: false }
}

/// JSON lines, each with the request's fields at the top level. Spans' fields must be kept as
/// JSON too: use [`JsonFields`] as the field format.
pub fn json_format() -> (RequestFields<Format<Json>>, JsonFields) {
    (RequestFields { inner: tracing_subscriber::fmt::format().json(), json: true }, JsonFields::new())
}

impl<S, N, E> FormatEvent<S, N> for RequestFields<E>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    E: FormatEvent<S, N>,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let Some(request) = current() else { return self.inner.format_event(ctx, writer, event) };
        let mut line = String::new();
        self.inner.format_event(ctx, Writer::new(&mut line), event)?;
        let line = line.strip_suffix('\n').unwrap_or(&line);
        match line.strip_suffix('}') {
            Some(open) if self.json => {
                writer.write_str(open)?;
                let quoted = |s: &str| serde_json::to_string(s).map_err(|_| fmt::Error);
                write!(
                    writer,
                    r#","request_id":{},"method":"{}","route":{}}}"#,
                    quoted(request.id())?,
                    request.method,
                    quoted(request.route())?
                )?;
            }
            _ => write!(
                writer,
                "{line} request_id={} method={} route={}",
                request.id(),
                request.method,
                request.route()
            )?,
        }
        writer.write_char('\n')
    }
}
