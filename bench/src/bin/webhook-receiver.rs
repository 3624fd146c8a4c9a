//! A webhook receiver for the delivery benchmark: answers every POST with 200 at once and counts
//! the deliveries by their `webhook-id` header, so the benchmark can tell lost and doubled ones.
//!
//! Usage: `webhook-receiver [ADDR]` (default 127.0.0.1:8082). `GET /stats` answers
//! `{"requests":…, "unique":…, "doubled":…, "first_ms":…, "last_ms":…}` (Unix milliseconds of
//! the first and last request). Stops on SIGINT or SIGTERM.

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Default)]
struct Counts {
    by_id: HashMap<String, u32>,
    requests: u64,
    first_ms: u128,
    last_ms: u128,
}

type Shared = Arc<Mutex<Counts>>;

fn now_ms() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
}

async fn receive(State(counts): State<Shared>, headers: HeaderMap) -> &'static str {
    let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let now = now_ms();
    if let Ok(mut c) = counts.lock() {
        *c.by_id.entry(id).or_default() += 1;
        c.requests += 1;
        if c.first_ms == 0 {
            c.first_ms = now;
        }
        c.last_ms = now;
    }
    "ok"
}

async fn stats(State(counts): State<Shared>) -> String {
    let Ok(c) = counts.lock() else { return "{}".to_owned() };
    let doubled = c.by_id.values().filter(|n| **n > 1).count();
    format!(
        r#"{{"requests":{},"unique":{},"doubled":{},"first_ms":{},"last_ms":{}}}"#,
        c.requests,
        c.by_id.len(),
        doubled,
        c.first_ms,
        c.last_ms
    )
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[tokio::main]
async fn main() -> ExitCode {
    let addr: SocketAddr = match std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8082".to_owned()).parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("webhook-receiver: bad address: {e}");
            return ExitCode::FAILURE;
        }
    };
    let counts: Shared = Arc::default();
    let app = Router::new().route("/stats", get(stats)).fallback(receive).with_state(counts);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("webhook-receiver: binding {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown()).await {
        eprintln!("webhook-receiver: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
