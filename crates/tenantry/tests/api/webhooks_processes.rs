//! 1,000 events delivered by two real `tenantry serve` processes sharing one PostgreSQL
//! database: every delivery succeeds exactly once (the outbox claim is exclusive across
//! processes, and each process runs several claim loops).

use crate::helpers::{Backend, fresh_database};
use crate::import::post_csv;
use crate::webhooks::Receiver;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A `tenantry serve` process, killed when dropped.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

async fn serve(data: &std::path::Path, database_url: &str, port: u16) -> Child {
    serve_with(data, database_url, port, &[]).await
}

/// Starts `tenantry serve` on 127.0.0.1:`port` with `env` added, and waits until it is ready.
pub async fn serve_with(data: &std::path::Path, database_url: &str, port: u16, env: &[(&str, &str)]) -> Child {
    let child = Child(
        Command::new(env!("CARGO_BIN_EXE_tenantry"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TENANTRY_DATA_DIR", data)
            .env("TENANTRY_DATABASE_URL", database_url)
            .env("TENANTRY_LISTEN", format!("127.0.0.1:{port}"))
            .env("TENANTRY_SECRET_KEY", "5d1c8e0f3a7b4c2d9e6f1a0b8c7d3e2f5d1c8e0f3a7b4c2d9e6f1a0b8c7d3e2f")
            .env("TENANTRY_ALLOW_PRIVATE_TARGETS", "127.0.0.1")
            .env("TENANTRY_WEBHOOK_RETRY_SCHEDULE", "0s,1s,1s")
            .env("TENANTRY_RATE_LIMIT_PER_IP", "0")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .arg("serve")
            .spawn()
            .expect("spawn tenantry serve"),
    );
    let client = reqwest::Client::new();
    for _ in 0..400 {
        if let Ok(res) = client.get(format!("http://127.0.0.1:{port}/readyz")).send().await
            && res.status() == StatusCode::OK
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("tenantry serve on port {port} did not get ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_deliver_1000_events_exactly_once_on_postgres() {
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let database_url = fresh_database(Backend::Postgres, dir.path()).await;
    let (p1, p2) = (free_port(), free_port());
    let _first = serve(&dir.path().join("one"), &database_url, p1).await;
    let _second = serve(&dir.path().join("two"), &database_url, p2).await;

    // A TestApp-shaped client for the first process.
    let app = crate::helpers::TestApp {
        backend: Backend::Postgres,
        url: format!("http://127.0.0.1:{p1}"),
        client: reqwest::Client::new(),
        database_url: database_url.clone(),
        dir,
        running: None,
        time_offset: std::sync::Arc::default(),
    };
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, created) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/webhooks",
            Some(&admin.token),
            Some(json!({"url": receiver.url, "event_types": ["user.invited"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let mut csv = String::from("email,name,role,licenses\n");
    for i in 0..1000 {
        csv.push_str(&format!("user{i}@example.com,User {i},member,\n"));
    }
    let (status, body) = post_csv(&app, &admin.token, "?send_invitations=false", &csv).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["created"], 1000, "{body}");

    receiver.wait_for(1000).await;
    let mut db = {
        sqlx::any::install_default_drivers();
        <sqlx::AnyConnection as sqlx::Connection>::connect(&database_url).await.unwrap()
    };
    for _ in 0..200 {
        let done: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'succeeded'")
            .fetch_one(&mut db)
            .await
            .unwrap();
        if done == 1000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let hits = receiver.hits();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for h in &hits {
        *by_id.entry(h.headers["webhook-id"].to_str().unwrap().to_owned()).or_default() += 1;
        let body: Value = serde_json::from_slice(&h.body).unwrap();
        assert_eq!(body["type"], "user.invited");
    }
    assert_eq!(by_id.len(), 1000, "every event delivered");
    assert!(by_id.values().all(|n| *n == 1), "none delivered twice: {} requests", hits.len());
    let statuses: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM webhook_deliveries GROUP BY status")
            .fetch_all(&mut db)
            .await
            .unwrap();
    assert_eq!(statuses, [("succeeded".to_owned(), 1000)]);
    let attempts: i64 = sqlx::query_scalar("SELECT CAST(SUM(attempts) AS BIGINT) FROM webhook_deliveries")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(attempts, 1000, "one attempt each");
}
