//! Crash safety and stopping, with real `tenantry serve` processes on SQLite and PostgreSQL:
//! - `kill -9` while a client creates users as fast as it can: after a restart every user whose
//!   creation was answered 2xx exists, and every invitation email queued is sent, each with one
//!   Message-ID (the outbox message's: a send repeated because the process died between sending
//!   and recording it carries the same one, so it is the same message);
//! - SIGTERM while requests are under way: they finish, and the process exits on its own.

use crate::helpers::{Backend, SmtpServer, TestApp, fresh_database};
use crate::webhooks_processes::{Child, free_port, serve_with};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn client_for(url: String, backend: Backend, database_url: String, dir: tempfile::TempDir) -> TestApp {
    TestApp {
        backend,
        url,
        client: reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap(),
        database_url,
        dir,
        running: None,
        time_offset: Arc::default(),
    }
}

async fn connect(database_url: &str) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    <sqlx::AnyConnection as sqlx::Connection>::connect(database_url).await.unwrap()
}

/// The Message-ID header of a received message.
fn message_id(data: &str) -> String {
    data.lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .unwrap_or_else(|| panic!("no Message-ID in {data}"))
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_server_loses_no_acknowledged_user_and_no_queued_email_on_sqlite() {
    killed_server_loses_nothing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_server_loses_no_acknowledged_user_and_no_queued_email_on_postgres() {
    killed_server_loses_nothing(Backend::Postgres).await;
}

async fn killed_server_loses_nothing(backend: Backend) {
    let smtp = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database(backend, dir.path()).await;
    let data = dir.path().join("node");
    let smtp_url = smtp.url();
    let env = [("TENANTRY_SMTP_URL", smtp_url.as_str()), ("TENANTRY_OUTBOX_LEASE_SECONDS", "5")];
    let port = free_port();
    let mut node = serve_with(&data, &database_url, port, &env).await;
    let app = client_for(format!("http://127.0.0.1:{port}"), backend, database_url.clone(), dir);

    // Four clients, each the Administrator of an account of its own (invitations are limited to
    // 120 a minute per account), create users as fast as the server answers and remember each 201.
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..4 {
        let admin = app.signup(&format!("Acme {c}"), &format!("admin{c}@example.com")).await;
        let (acknowledged, stop, client, url, token) =
            (acknowledged.clone(), stop.clone(), app.client.clone(), app.url.clone(), admin.token);
        clients.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let email = format!("c{c}-u{i}@example.com");
                let sent = client
                    .post(format!("{url}/api/v1/users"))
                    .bearer_auth(&token)
                    .json(&json!({"email": email, "name": format!("User {c} {i}"), "role": "member"}))
                    .send()
                    .await;
                match sent {
                    Ok(res) if res.status() == StatusCode::CREATED => acknowledged.lock().unwrap().push(email),
                    Ok(res) if res.status() == StatusCode::TOO_MANY_REQUESTS => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Ok(res) => panic!("creating {email}: {}", res.status()),
                    // The server is gone: keep trying until told to stop.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        }));
    }
    // Killed while every client is mid-way (each account can take 120 a minute).
    for _ in 0..1000 {
        if acknowledged.lock().unwrap().len() >= 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    node.0.kill().unwrap(); // SIGKILL: no shutdown of any kind
    node.0.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!((200..400).contains(&acknowledged.len()), "killed while creating: {}", acknowledged.len());

    // What the killed process held a claim on: sends under way, and sends done but not yet
    // marked (marking goes in batches). Only these can go out a second time.
    let mut db = connect(&database_url).await;
    let held: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'running'").fetch_one(&mut db).await.unwrap();
    let port = free_port();
    let _restarted = serve_with(&data, &database_url, port, &env).await;
    let users: HashSet<String> = sqlx::query_scalar::<_, String>("SELECT email FROM users")
        .fetch_all(&mut db)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let lost: Vec<_> = acknowledged.iter().filter(|e| !users.contains(*e)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    let invited: HashSet<String> = users.iter().filter(|e| e.starts_with('c')).cloned().collect();

    // Claims of the killed process run out after 5 s; then the restarted one sends the rest.
    let mut states = Vec::new();
    for _ in 0..600 {
        states =
            sqlx::query_as::<_, (String, i64)>("SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status")
                .fetch_all(&mut db)
                .await
                .unwrap();
        if states.iter().all(|(s, _)| s == "sent") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(states.iter().all(|(s, _)| s == "sent"), "every queued message sent, none dead: {states:?}");

    let received = smtp.received.lock().unwrap().clone();
    let mut ids: HashMap<String, HashSet<String>> = HashMap::new();
    let mut copies = 0;
    for m in &received {
        for to in &m.to {
            if invited.contains(to) {
                ids.entry(to.clone()).or_default().insert(message_id(&m.data));
                copies += 1;
            }
        }
    }
    let missing: Vec<_> = invited.iter().filter(|e| !ids.contains_key(*e)).collect();
    assert!(missing.is_empty(), "invited but never emailed: {missing:?}");
    let several: Vec<_> = ids.iter().filter(|(_, set)| set.len() != 1).collect();
    assert!(several.is_empty(), "each invitation is one message (one Message-ID): {several:?}");
    // A copy can only come from a message the killed process held a claim on; the rest went out
    // once.
    let repeated = copies - ids.len();
    assert!(i64::try_from(repeated).unwrap() <= held, "{repeated} repeated sends, {held} claims held at the kill");
    eprintln!(
        "{} users acknowledged, {} created, {} emailed, {repeated} repeated",
        acknowledged.len(),
        invited.len(),
        ids.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_lets_requests_under_way_finish_and_the_process_exit() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database(Backend::Sqlite, dir.path()).await;
    let data = dir.path().join("node");
    let port = free_port();
    let mut node: Child = serve_with(&data, &database_url, port, &[]).await;
    let app = client_for(format!("http://127.0.0.1:{port}"), Backend::Sqlite, database_url, dir);
    app.signup("Acme", "ana@example.com").await;

    // Sign-ins hash a password each: twenty of them keep the server busy for a while.
    let mut under_way = Vec::new();
    for _ in 0..20 {
        let (client, url) = (app.client.clone(), app.url.clone());
        under_way.push(tokio::spawn(async move {
            client
                .post(format!("{url}/api/v1/auth/sign-in"))
                .json(&json!({"email": "ana@example.com", "password": "correct horse battery"}))
                .send()
                .await
                .map(|r| r.status())
        }));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let pid = node.0.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    for r in under_way {
        let status = r.await.unwrap().expect("a request under way is answered, not cut");
        assert_eq!(status, StatusCode::OK);
    }
    let mut exited = None;
    for _ in 0..200 {
        if let Some(status) = node.0.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let exited = exited.expect("the process exits within 10 s of SIGTERM");
    assert!(exited.success(), "{exited:?}");
    assert!(app.client.get(format!("{}/readyz", app.url)).send().await.is_err(), "nothing listens any more");
}
