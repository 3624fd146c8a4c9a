//! Health, readiness, metrics, the OpenAPI document and its browsable docs, and static assets.

use crate::api::json::Json;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

#[derive(rust_embed::Embed)]
#[folder = "assets/"]
struct Assets;

/// Routes that need no sign-in.
pub fn router(openapi: utoipa::openapi::OpenApi) -> Router<AppState> {
    let openapi = Arc::new(openapi);
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route(
            "/api/openapi.json",
            get(move || {
                let o = openapi.clone();
                async move { Json(o.as_ref().clone()) }
            }),
        )
        .route("/api/docs", get(docs))
        .route("/assets/{*path}", get(asset))
}

/// Ready when the database answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

/// Prometheus text format; counters and latencies only, never personal data.
async fn metrics(State(state): State<AppState>) -> Response {
    if state.web().metrics_elsewhere {
        return crate::AppError::NOT_FOUND.into_response();
    }
    render_metrics(&state)
}

/// The metrics text, wherever it is served.
pub(crate) fn render_metrics(state: &AppState) -> Response {
    match state.metrics() {
        Some(handle) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()).into_response(),
        None => (StatusCode::NOT_FOUND, "metrics are off").into_response(),
    }
}

async fn docs() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>API reference · Tenantry</title>",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<link rel=\"stylesheet\" href=\"/assets/app.css\">",
        "<link rel=\"stylesheet\" href=\"/assets/vendor/swagger-ui/swagger-ui.css\"></head>",
        "<body><header class=\"topbar\"><a class=\"brand\" href=\"/\"><span class=\"brand-mark\" aria-hidden=\"true\">T</span>Tenantry</a>",
        "<a class=\"topbar-link\" href=\"/\">Back to Tenantry</a></header>",
        "<main id=\"main\"><section class=\"docs-intro\" aria-labelledby=\"docs-title\">",
        "<h1 id=\"docs-title\">Tenantry API reference</h1>",
        "<p>Every endpoint takes a bearer token in the <code>Authorization</code> header. ",
        "To try them here: create a personal API key under <a href=\"/me/api-key\">My settings › API key</a> ",
        "(it is shown once), click <strong>Authorize</strong> below and paste it. ",
        "A key acts as you, with your role. Errors are RFC 9457 problem documents; ",
        "the raw description is at <a href=\"/api/openapi.json\">/api/openapi.json</a>.</p>",
        "</section><div id=\"swagger-ui\"></div></main>",
        "<script src=\"/assets/vendor/swagger-ui/swagger-ui-bundle.js\"></script>",
        "<script src=\"/assets/docs.js\"></script></body></html>"
    ))
}

async fn asset(Path(path): Path<String>) -> Response {
    match Assets::get(&path) {
        Some(file) => {
            let mime = mime_guess::from_path(&path).first_or_octet_stream();
            (
                [
                    (header::CONTENT_TYPE, mime.as_ref().to_owned()),
                    (header::CACHE_CONTROL, "public, max-age=3600".to_owned()),
                ],
                file.data,
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
