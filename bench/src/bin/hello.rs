//! A bare axum 0.8 hello-world server, to put the server's figures to scale: the most this
//! machine and load generator can do through the same HTTP stack with no application work.
//!
//! Usage: `hello [ADDR]` (default 127.0.0.1:8081). Routes: `GET /` (text) and `GET /json`.
//! Stops on SIGINT or SIGTERM.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use std::net::SocketAddr;
use std::process::ExitCode;

async fn hello() -> &'static str {
    "Hello, World!"
}

async fn json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], r#"{"message":"Hello, World!"}"#)
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
    let addr: SocketAddr = match std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8081".to_owned()).parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("address: {e}");
            return ExitCode::from(2);
        }
    };
    let app = Router::new().route("/", get(hello)).route("/json", get(json));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("binding {addr}: {e}");
            return ExitCode::from(1);
        }
    };
    println!("hello is listening on http://{addr}");
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown()).await {
        eprintln!("server failed: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
