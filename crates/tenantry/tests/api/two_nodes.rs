//! Two `tenantry serve` processes on one PostgreSQL database, as when scaling out: each has its
//! own connection pool, session cache, rate limiter and worker; only the database (and the secret
//! key) is shared. A sign-out on one is refused by the other within the documented cache time,
//! wrong passwords split across both lock at exactly the policy's number, and fifty requests
//! racing for the last seat through both give exactly one success. (1,000 outbox messages sent
//! exactly once by two processes: `webhooks_processes.rs`.)

use crate::helpers::*;
use crate::licenses::{OPERATOR_TOKEN, set_subscription};
use crate::security::sign_in;
use crate::webhooks_processes::{Child, free_port, serve_with};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A running `tenantry serve` process on a fresh PostgreSQL database, driven like a [`TestApp`]
/// (its mail folder is the process's).
async fn node(dir: tempfile::TempDir, database_url: &str) -> (Arc<TestApp>, Child) {
    let port = free_port();
    let child = serve_with(dir.path(), database_url, port, &[("TENANTRY_OPERATOR_TOKEN", OPERATOR_TOKEN)]).await;
    let app = TestApp {
        backend: Backend::Postgres,
        url: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client"),
        database_url: database_url.to_owned(),
        dir,
        running: None,
        time_offset: Arc::new(std::sync::atomic::AtomicI64::new(0)),
    };
    (Arc::new(app), child)
}

/// Node A and node B, two processes on one fresh PostgreSQL database.
async fn two_nodes() -> (Arc<TestApp>, Arc<TestApp>, [Child; 2]) {
    let dir = tempfile::tempdir().expect("dir");
    let database_url = fresh_database(Backend::Postgres, dir.path()).await;
    let (a, first) = node(dir, &database_url).await;
    let (b, second) = node(tempfile::tempdir().expect("dir"), &database_url).await;
    (a, b, [first, second])
}

#[tokio::test]
async fn a_sign_out_on_one_node_is_refused_on_the_other_within_the_cache_time() {
    let (a, b, _processes) = two_nodes().await;
    let admin = a.signup("Acme", "ana@example.com").await;
    // Node B has checked (and cached) the session.
    let (status, _) = b.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = a.call(Method::POST, "/api/v1/auth/sign-out", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = a.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "at once on the node that signed out");
    let signed_out = Instant::now();
    loop {
        let (status, _) = b.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        // TENANTRY_SESSION_CACHE_MS, 2 s here as by default, plus the time of one request.
        assert!(
            signed_out.elapsed() < Duration::from_millis(2500),
            "node B still accepts it after {:?}",
            signed_out.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn wrong_passwords_split_across_two_nodes_lock_at_the_policy_number() {
    let (a, b, _processes) = two_nodes().await;
    let admin = a.signup("Acme", "ana@example.com").await;
    let (status, body) = a
        .call(
            Method::PUT,
            "/api/v1/security/lockout-policy",
            Some(&admin.token),
            Some(json!({"enabled": true, "max_failed_attempts": 6})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (bruno, _) = a.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    // Five wrong passwords, alternating nodes: one short of the policy, so the right one works.
    for i in 0..5 {
        let node = if i % 2 == 0 { &a } else { &b };
        let (status, _) = sign_in(node, "bruno@example.com", "wrong password here").await;
        assert!(matches!(status, StatusCode::UNAUTHORIZED | StatusCode::LOCKED), "{status}");
    }
    let (status, _) = sign_in(&b, "bruno@example.com", "another good passphrase").await;
    assert_eq!(status, StatusCode::OK, "five failures do not lock at six");
    // The counter started again; now twenty wrong ones race through both nodes at once.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let node = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move { sign_in(&node, "bruno@example.com", "wrong password here").await.0 }));
    }
    for t in tasks {
        let status = t.await.expect("task");
        assert!(matches!(status, StatusCode::UNAUTHORIZED | StatusCode::LOCKED), "{status}");
    }
    let db = tenantry_storage::Db::connect(&a.database_url, 1).await.expect("db");
    let mut conn = db.conn().await.expect("conn");
    let id = tenantry_domain::UserId::parse(&bruno).expect("id");
    assert_eq!(tenantry_storage::credentials::failures(&mut conn, &id).await.expect("failures"), 6);
    drop(conn);
    db.close().await;
    for node in [&a, &b] {
        let (status, _) = sign_in(node, "bruno@example.com", "another good passphrase").await;
        assert_eq!(status, StatusCode::LOCKED, "locked on both nodes");
    }
}

#[tokio::test]
async fn fifty_requests_for_the_last_seat_through_two_nodes_give_one_success() {
    let (a, b, _processes) = two_nodes().await;
    let admin = a.signup("Acme", "ana@example.com").await;
    // One free chat seat: the Administrator holds the other.
    let (status, sub) = set_subscription(
        &a,
        &admin.account_id,
        json!({"plan": "team", "status": "trial", "seats": {"chat": 2, "voice": 0, "scheduling": 0}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sub}");
    let (status, _) =
        a.call(Method::PUT, &format!("/api/v1/users/{}/licenses/chat", admin.user_id), Some(&admin.token), None).await;
    assert!(status.is_success(), "{status}");
    let mut users = Vec::new();
    for i in 0..50 {
        users.push(a.invite(&admin, &format!("user{i}@example.com"), &format!("User {i}"), "member").await);
    }
    let token = Arc::new(admin.token.clone());
    let mut tasks = Vec::new();
    for (i, user) in users.into_iter().enumerate() {
        let node = if i % 2 == 0 { a.clone() } else { b.clone() };
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            node.call(Method::PUT, &format!("/api/v1/users/{user}/licenses/chat"), Some(&token), None).await
        }));
    }
    let (mut won, mut refused) = (0, 0);
    for t in tasks {
        let (status, body) = t.await.expect("task");
        if status.is_success() {
            won += 1;
        } else {
            assert_eq!((status, body["rule"].as_str()), (StatusCode::CONFLICT, Some("no_free_seat")), "{body}");
            refused += 1;
        }
    }
    assert_eq!((won, refused), (1, 49));
    let (_, sub) = b.call(Method::GET, "/api/v1/billing/subscription", Some(&admin.token), None).await;
    assert_eq!(sub["seats"]["chat"], json!({"purchased": 2, "assigned": 2}), "{sub}");
}
