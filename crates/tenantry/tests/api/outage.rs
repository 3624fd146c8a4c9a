//! PostgreSQL going away under a running server and coming back: requests during the outage
//! answer 503 with `Retry-After` (never a 500, never a hang), `/readyz` says not ready, and the
//! same process serves again once the database is back. The outage is a TCP proxy in front of
//! the test's PostgreSQL that drops every connection and refuses new ones, then listens again on
//! the same port (stopping the shared server would stop every other test).

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A TCP proxy to PostgreSQL that can be cut and restored.
struct Proxy {
    port: u16,
    upstream: String,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let proxy = Self { port, upstream, tasks: Arc::default() };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: TcpListener) {
        let (tasks, upstream) = (self.tasks.clone(), self.upstream.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let conn = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().expect("lock").push(conn);
            }
        });
        self.tasks.lock().expect("lock").push(accept);
    }

    /// Drops every connection and stops listening: the database is unreachable.
    fn cut(&self) {
        for t in self.tasks.lock().expect("lock").drain(..) {
            t.abort();
        }
    }

    /// Listens on the same port again.
    async fn restore(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.expect("bind the same port again");
        self.serve(listener);
    }
}

#[tokio::test]
async fn postgres_outage_answers_503_then_recovers_without_a_restart() {
    // A database through the proxy.
    let dir = tempfile::tempdir().expect("dir");
    let direct = fresh_database(Backend::Postgres, dir.path()).await;
    let base = postgres_base();
    let host_port = base.rsplit('@').next().unwrap_or("127.0.0.1:5432").to_owned();
    let proxy = Proxy::start(host_port.clone()).await;
    let via_proxy = direct.replacen(&host_port, &format!("127.0.0.1:{}", proxy.port), 1);
    let app = spawn_app_with(Backend::Postgres, |c| c.database_url = Some(via_proxy.clone().into())).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, _) = app.call(Method::GET, "/api/v1/users", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK);
    let ready = |app: &TestApp| {
        let (client, url) = (app.client.clone(), format!("{}/readyz", app.url));
        async move { client.get(url).send().await.expect("readyz").status() }
    };
    assert_eq!(ready(&app).await, StatusCode::OK);

    proxy.cut();
    // Under load while it is away: every answer is a 503 with Retry-After, each in bounded time.
    let mut unavailable = 0;
    for wave in 0..4 {
        // The first wave may wait for a connection (at most the pool's 5 s); once the pool knows
        // the database is away, answers come within its 1 s reconnection attempt.
        let bound = if wave == 0 { Duration::from_secs(6) } else { Duration::from_millis(1500) };
        let mut calls = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (client, url, token) = (app.client.clone(), format!("{}/api/v1/users", app.url), admin.token.clone());
            calls.spawn(async move {
                let t = Instant::now();
                let res = client.get(url).bearer_auth(token).send().await.expect("answered");
                (res, t.elapsed())
            });
        }
        while let Some(done) = calls.join_next().await {
            let (res, took) = done.expect("request task");
            let status = res.status();
            // The session check may still come from this node's cache; the list never can.
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "during the outage");
            assert_eq!(res.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("5"));
            let body: serde_json::Value = res.json().await.expect("problem document");
            assert_eq!(body["type"], "urn:tenantry:problem:unavailable", "{body}");
            assert!(took < bound, "wave {wave} answered in {took:?}, not left hanging");
            unavailable += 1;
        }
    }
    assert_eq!(unavailable, 32);
    assert_eq!(ready(&app).await, StatusCode::SERVICE_UNAVAILABLE);
    // A page says so too, in the same words of status.
    let page = app.client.get(format!("{}/users", app.url)).header("cookie", session_cookie(&admin.token)).send().await;
    let page = page.expect("page");
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.headers().contains_key("retry-after"));

    proxy.restore().await;
    // The same process serves again once the database is back.
    let back = Instant::now();
    loop {
        let (status, body) = app.call(Method::GET, "/api/v1/users", Some(&admin.token), None).await;
        if status == StatusCode::OK {
            assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(back.elapsed() < Duration::from_secs(30), "still unavailable 30 s after the database came back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("serving again {:?} after the database came back", back.elapsed());
    assert_eq!(ready(&app).await, StatusCode::OK);
    let (status, _) = app
        .call(Method::POST, "/api/v1/chat-teams", Some(&admin.token), Some(serde_json::json!({"name": "After"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "writes work again");
}
