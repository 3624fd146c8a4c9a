//! Webhooks over the API: deliveries to a real HTTP receiver started by the test, verified by the
//! reference Standard Webhooks library (also during a rotation, with each secret), retries with
//! the same `webhook-id`, `Retry-After`, 410 disabling the endpoint, the outbound rules and
//! redirects, filters, deletion stopping deliveries, other accounts' endpoints, and the log.

use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

db_tests!(
    signatures_verify_with_the_reference_library_also_during_a_rotation,
    a_failing_receiver_gets_three_attempts_with_the_same_webhook_id,
    retry_after_is_honoured_and_410_disables_the_endpoint,
    outbound_rules_refuse_private_targets_and_redirects_are_not_followed,
    filters_deletion_and_other_accounts,
    the_delivery_log_pages_filters_and_retries,
    retrying_a_pending_delivery_never_runs_two_attempts_at_once,
    five_days_of_failures_disable_the_endpoint_and_email_the_administrators,
    an_account_has_at_most_fifty_endpoints,
);

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
    pub at: Instant,
}

/// The receiver's scripted answers: status and headers.
type Script = Arc<Mutex<VecDeque<(u16, Vec<(&'static str, String)>)>>>;

/// A real HTTP receiver on 127.0.0.1: answers each request with the next scripted
/// `(status, headers)` (200 once the script runs out); `/redirect` answers 302 to `/target`.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub hits: Arc<Mutex<Vec<Hit>>>,
    script: Script,
}

impl Receiver {
    pub async fn start() -> Self {
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let script: Script = Arc::default();
        let (seen, next) = (hits.clone(), script.clone());
        let handler = move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let (seen, next) = (seen.clone(), next.clone());
            async move {
                seen.lock().unwrap().push(Hit {
                    path: uri.path().to_owned(),
                    headers,
                    body: body.to_vec(),
                    at: Instant::now(),
                });
                let mut res = axum::response::Response::new(axum::body::Body::from("received"));
                if uri.path() == "/redirect" {
                    *res.status_mut() = axum::http::StatusCode::FOUND;
                    res.headers_mut().insert("location", "/target".parse().unwrap());
                    return res;
                }
                if let Some((status, headers)) = next.lock().unwrap().pop_front() {
                    *res.status_mut() = axum::http::StatusCode::from_u16(status).unwrap();
                    for (k, v) in headers {
                        res.headers_mut().insert(k, v.parse().unwrap());
                    }
                }
                res
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, axum::Router::new().fallback(handler)).await.ok() });
        Self { url, hits, script }
    }

    pub fn answer(&self, status: u16, headers: Vec<(&'static str, String)>) {
        self.script.lock().unwrap().push_back((status, headers));
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Hit> {
        for _ in 0..400 {
            if self.hits().len() >= n {
                return self.hits();
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the receiver got {} requests, not {n}", self.hits().len());
    }
}

/// An app whose outbound requests may reach 127.0.0.1.
pub async fn app_allowing_loopback(b: Backend) -> TestApp {
    spawn_app_with(b, |c| c.allow_private_targets = "127.0.0.1".to_owned()).await
}

/// Creates an endpoint; answers its id and secret.
pub async fn create(app: &TestApp, token: &str, body: Value) -> (String, String) {
    let (status, created) = app.call(Method::POST, "/api/v1/webhooks", Some(token), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    (created["id"].as_str().unwrap().to_owned(), created["secret"].as_str().unwrap().to_owned())
}

/// The endpoint's delivery log (first page, newest first).
pub async fn log(app: &TestApp, token: &str, id: &str, query: &str) -> Value {
    let (status, body) =
        app.call(Method::GET, &format!("/api/v1/webhooks/{id}/deliveries{query}"), Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Waits until every delivery of the endpoint has ended, and answers the log.
pub async fn wait_settled(app: &TestApp, token: &str, id: &str, n: usize) -> Vec<Value> {
    for _ in 0..400 {
        let page = log(app, token, id, "?limit=200").await;
        let data = page["data"].as_array().unwrap().clone();
        if data.len() >= n && data.iter().all(|d| d["status"] != "pending") {
            return data;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("deliveries of {id} did not settle: {}", log(app, token, id, "").await);
}

fn verify(secret: &str, hit: &Hit) -> Result<(), String> {
    let wh = standardwebhooks::Webhook::new(secret).map_err(|e| e.to_string())?;
    wh.verify(&hit.body, &hit.headers).map_err(|e| e.to_string())
}

async fn signatures_verify_with_the_reference_library_also_during_a_rotation(b: Backend) {
    let receiver = Receiver::start().await;
    let app = app_allowing_loopback(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    let (id, secret) =
        create(&app, t, json!({"url": format!("{}/hooks", receiver.url), "description": "CRM sync"})).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let (_, shown) = app.call(Method::GET, &format!("/api/v1/webhooks/{id}"), Some(t), None).await;
    assert!(shown.get("secret").is_none() && !shown.to_string().contains(&secret[6..]), "{shown}");
    assert_eq!(shown["event_types"], json!([]));
    assert_eq!(shown["enabled"], true);

    let invited = app.invite(&admin, "bo@example.com", "Bo", "member").await;
    let hit = receiver.wait_for(1).await.remove(0);
    verify(&secret, &hit).expect("the reference library verifies the delivery");
    let body: Value = serde_json::from_slice(&hit.body).unwrap();
    assert_eq!(body["type"], "user.invited");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'), "{body}");
    assert_eq!(body["data"]["user_id"].as_str().or(body["data"]["id"].as_str()), Some(invited.as_str()), "{body}");
    assert!(hit.headers["webhook-id"].to_str().unwrap().starts_with("evt_"));
    assert!(verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &hit).is_err(), "another secret does not verify");

    let (status, rotated) =
        app.call(Method::POST, &format!("/api/v1/webhooks/{id}/rotate-secret"), Some(t), None).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    let (status, _) = app.call(Method::POST, &format!("/api/v1/webhooks/{id}/test"), Some(t), None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let hit = receiver.wait_for(2).await.remove(1);
    let signatures = hit.headers["webhook-signature"].to_str().unwrap().to_owned();
    assert_eq!(signatures.split(' ').count(), 2, "{signatures}");
    verify(&secret, &hit).expect("the old secret verifies during the rotation");
    verify(&new_secret, &hit).expect("the new secret verifies");
    let body: Value = serde_json::from_slice(&hit.body).unwrap();
    assert_eq!(body["type"], "webhook.test");

    // Once the 24 hours are over (moved into the past in the database), only the new secret signs.
    let mut db = {
        sqlx::any::install_default_drivers();
        <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.unwrap()
    };
    sqlx::query("UPDATE webhook_endpoints SET previous_secret_until = 1 WHERE id = $1")
        .bind(&id)
        .execute(&mut db)
        .await
        .unwrap();
    app.call(Method::POST, &format!("/api/v1/webhooks/{id}/test"), Some(t), None).await;
    let hit = receiver.wait_for(3).await.remove(2);
    assert_eq!(hit.headers["webhook-signature"].to_str().unwrap().split(' ').count(), 1);
    verify(&new_secret, &hit).expect("the new secret verifies");
    assert!(verify(&secret, &hit).is_err(), "the old secret no longer does");

    let (_, audit) = app.call(Method::GET, "/api/v1/audit-events?action=webhook.secret_rotated", Some(t), None).await;
    assert!(
        !audit.to_string().contains(&new_secret[6..]) && audit.to_string().contains("webhook.secret_rotated"),
        "{audit}"
    );
}

async fn a_failing_receiver_gets_three_attempts_with_the_same_webhook_id(b: Backend) {
    let receiver = Receiver::start().await;
    receiver.answer(500, vec![]);
    receiver.answer(500, vec![]);
    let app = app_allowing_loopback(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    let (id, _) = create(&app, t, json!({"url": receiver.url, "event_types": ["user.invited"]})).await;
    app.invite(&admin, "bo@example.com", "Bo", "member").await;
    let hits = receiver.wait_for(3).await;
    let ids: Vec<_> = hits.iter().map(|h| h.headers["webhook-id"].to_str().unwrap().to_owned()).collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    let gap = hits[1].at - hits[0].at;
    assert!(gap >= Duration::from_millis(700), "retried after the schedule's 1 s (±20 %): {gap:?}");
    let log = wait_settled(&app, t, &id, 1).await;
    assert_eq!(log[0]["status"], "succeeded", "{log:?}");
    assert_eq!(log[0]["attempts"], 3);
    assert_eq!(log[0]["last_status_code"], 200);
    assert_eq!(log[0]["event_id"].as_str(), Some(ids[0].as_str()));
    assert_eq!(log[0]["last_response_body"], "received");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.hits().len(), 3, "no attempt after the success");
}

async fn retry_after_is_honoured_and_410_disables_the_endpoint(b: Backend) {
    let receiver = Receiver::start().await;
    receiver.answer(429, vec![("retry-after", "3".to_owned())]);
    let app = app_allowing_loopback(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    let (id, _) = create(&app, t, json!({"url": receiver.url})).await;
    app.call(Method::POST, &format!("/api/v1/webhooks/{id}/test"), Some(t), None).await;
    let hits = receiver.wait_for(2).await;
    let gap = hits[1].at - hits[0].at;
    assert!(gap >= Duration::from_millis(2900), "Retry-After: 3 waits 3 s, not the schedule's 1 s: {gap:?}");
    wait_settled(&app, t, &id, 1).await;

    receiver.answer(410, vec![]);
    app.call(Method::POST, &format!("/api/v1/webhooks/{id}/test"), Some(t), None).await;
    receiver.wait_for(3).await;
    let log = wait_settled(&app, t, &id, 2).await;
    assert_eq!(log[0]["status"], "failed", "{log:?}");
    assert_eq!(log[0]["last_status_code"], 410);
    let (_, endpoint) = app.call(Method::GET, &format!("/api/v1/webhooks/{id}"), Some(t), None).await;
    assert_eq!(endpoint["enabled"], false, "{endpoint}");
    assert!(endpoint["disabled_reason"].as_str().unwrap().contains("410"), "{endpoint}");
    // A disabled endpoint gets no more events.
    app.invite(&admin, "bo@example.com", "Bo", "member").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.hits().len(), 3);
    // Enabled again, it gets them.
    let (status, endpoint) =
        app.call(Method::PATCH, &format!("/api/v1/webhooks/{id}"), Some(t), Some(json!({"enabled": true}))).await;
    assert_eq!(status, StatusCode::OK, "{endpoint}");
    assert_eq!(endpoint["disabled_reason"], Value::Null);
    app.invite(&admin, "cy@example.com", "Cy", "member").await;
    receiver.wait_for(4).await;
}

async fn outbound_rules_refuse_private_targets_and_redirects_are_not_followed(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    for url in [
        "https://127.0.0.1/hooks",
        "https://10.0.0.1/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://localhost/hooks",
        "http://example.com/hooks",
        "ftp://example.com/",
        "not a url",
    ] {
        let (status, body) = app.call(Method::POST, "/api/v1/webhooks", Some(t), Some(json!({"url": url}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert_eq!(body["errors"][0]["field"], "url", "{url}: {body}");
    }
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/webhooks",
            Some(t),
            Some(json!({"url": "https://93.184.216.34/x", "event_types": ["user.nope"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "event_types", "{body}");
    let (id, _) = create(&app, t, json!({"url": "https://93.184.216.34/x"})).await;
    let (status, body) = app
        .call(Method::PATCH, &format!("/api/v1/webhooks/{id}"), Some(t), Some(json!({"url": "https://10.0.0.1/"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "url", "{body}");
    drop(app);

    let receiver = Receiver::start().await;
    let app = app_allowing_loopback(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    let (id, _) = create(&app, t, json!({"url": format!("{}/redirect", receiver.url)})).await;
    app.call(Method::POST, &format!("/api/v1/webhooks/{id}/test"), Some(t), None).await;
    let log = wait_settled(&app, t, &id, 1).await;
    assert_eq!(log[0]["status"], "failed", "{log:?}");
    assert_eq!(log[0]["last_status_code"], 302);
    assert!(log[0]["last_error"].as_str().unwrap().contains("redirect"), "{log:?}");
    let paths: Vec<String> = receiver.hits().iter().map(|h| h.path.clone()).collect();
    assert_eq!(paths, ["/redirect", "/redirect", "/redirect"], "the redirect target is never requested");
}

async fn filters_deletion_and_other_accounts(b: Backend) {
    let (only_deleted, every) = (Receiver::start().await, Receiver::start().await);
    let app = app_allowing_loopback(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    let (filtered, _) = create(&app, t, json!({"url": only_deleted.url, "event_types": ["user.deleted"]})).await;
    let (all, _) = create(&app, t, json!({"url": every.url})).await;
    let user = app.invite(&admin, "bo@example.com", "Bo", "member").await;
    every.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(only_deleted.hits().is_empty(), "user.invited is not in the filter");
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/users/{user}"), Some(t), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let hit = only_deleted.wait_for(1).await.remove(0);
    assert_eq!(serde_json::from_slice::<Value>(&hit.body).unwrap()["type"], "user.deleted");
    // The test event goes to that endpoint alone, whatever its filter.
    app.call(Method::POST, &format!("/api/v1/webhooks/{filtered}/test"), Some(t), None).await;
    only_deleted.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(every.hits().len(), 2, "user.invited and user.deleted, not the other endpoint's test");

    // Deleting an endpoint stops its pending deliveries.
    every.answer(500, vec![]);
    app.invite(&admin, "cy@example.com", "Cy", "member").await;
    every.wait_for(3).await;
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/webhooks/{all}"), Some(t), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(every.hits().len(), 3, "no attempt after the endpoint was deleted");
    let (status, _) = app.call(Method::GET, &format!("/api/v1/webhooks/{all}"), Some(t), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Another account's endpoint is 404 everywhere.
    let other = app.signup("Other", "olga@example.com").await;
    let o = other.token.as_str();
    for (method, path) in [
        (Method::GET, format!("/api/v1/webhooks/{filtered}")),
        (Method::PATCH, format!("/api/v1/webhooks/{filtered}")),
        (Method::DELETE, format!("/api/v1/webhooks/{filtered}")),
        (Method::POST, format!("/api/v1/webhooks/{filtered}/rotate-secret")),
        (Method::POST, format!("/api/v1/webhooks/{filtered}/test")),
        (Method::GET, format!("/api/v1/webhooks/{filtered}/deliveries")),
        (Method::GET, "/api/v1/webhooks/whk_nope".to_owned()),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"description": "mine"}));
        let (status, answer) = app.call(method.clone(), &path, Some(o), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
    }
    let (_, list) = app.call(Method::GET, "/api/v1/webhooks", Some(o), None).await;
    assert_eq!(list["data"], json!([]));
    let (_, list) = app.call(Method::GET, "/api/v1/webhooks", Some(t), None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    // Members may not manage webhooks.
    let (_, member) = app.invite_and_activate(&admin, "dee@example.com", "Dee", "member").await;
    let (status, _) = app.call(Method::GET, "/api/v1/webhooks", Some(&member), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn the_delivery_log_pages_filters_and_retries(b: Backend) {
    let receiver = Receiver::start().await;
    let app = app_allowing_loopback(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    let (id, _) = create(&app, t, json!({"url": receiver.url})).await;
    for _ in 0..3 {
        receiver.answer(400, vec![]);
        receiver.answer(400, vec![]);
        receiver.answer(400, vec![]);
        app.call(Method::POST, &format!("/api/v1/webhooks/{id}/test"), Some(t), None).await;
        wait_settled(&app, t, &id, 1).await;
    }
    for _ in 0..2 {
        app.call(Method::POST, &format!("/api/v1/webhooks/{id}/test"), Some(t), None).await;
    }
    let all = wait_settled(&app, t, &id, 5).await;
    assert_eq!(all.len(), 5);
    let failed = log(&app, t, &id, "?status=failed").await;
    assert_eq!(failed["data"].as_array().unwrap().len(), 3, "{failed}");
    let succeeded = log(&app, t, &id, "?status=succeeded").await;
    assert_eq!(succeeded["data"].as_array().unwrap().len(), 2, "{succeeded}");

    let first = log(&app, t, &id, "?limit=2").await;
    let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
    let second = log(&app, t, &id, &format!("?limit=2&cursor={cursor}")).await;
    let third = log(&app, t, &id, &format!("?limit=2&cursor={}", second["next_cursor"].as_str().unwrap())).await;
    assert_eq!(third["next_cursor"], Value::Null);
    let ids: Vec<String> = [&first, &second, &third]
        .iter()
        .flat_map(|p| p["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()))
        .collect();
    let expected: Vec<String> = all.iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, expected, "pages cover the log once, newest first");

    let (status, body) =
        app.call(Method::GET, &format!("/api/v1/webhooks/{id}/deliveries?status=lost"), Some(t), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "status");

    // Retrying a failed delivery makes one more attempt now.
    let failed_id = failed["data"][0]["id"].as_str().unwrap().to_owned();
    let before = receiver.hits().len();
    let (status, _) =
        app.call(Method::POST, &format!("/api/v1/webhooks/{id}/deliveries/{failed_id}/retry"), Some(t), None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    receiver.wait_for(before + 1).await;
    let after = wait_settled(&app, t, &id, 5).await;
    let retried = after.iter().find(|d| d["id"] == failed_id.as_str()).unwrap();
    assert_eq!(retried["status"], "succeeded", "{retried}");
    assert_eq!(retried["attempts"], 4);
    let (status, _) =
        app.call(Method::POST, &format!("/api/v1/webhooks/{id}/deliveries/whd_nope/retry"), Some(t), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn retrying_a_pending_delivery_never_runs_two_attempts_at_once(b: Backend) {
    let receiver = Receiver::start().await;
    // Always failing, and 10 s between attempts: the delivery stays pending while it is retried.
    for _ in 0..20 {
        receiver.answer(503, vec![]);
    }
    let app = spawn_app_with(b, |c| {
        c.allow_private_targets = "127.0.0.1".to_owned();
        c.webhook_retry_schedule = "0s,10s,10s,10s".to_owned();
    })
    .await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    let (id, _) = create(&app, t, json!({"url": format!("{}/hooks", receiver.url)})).await;
    app.call(Method::POST, &format!("/api/v1/webhooks/{id}/test"), Some(t), None).await;
    receiver.wait_for(1).await;
    let delivery = log(&app, t, &id, "").await["data"][0].clone();
    assert_eq!(delivery["status"], "pending", "{delivery}");
    let delivery_id = delivery["id"].as_str().unwrap().to_owned();
    // Three retries: each moves the waiting attempt to now; none queues a second one beside it.
    for _ in 0..3 {
        let (status, _) = app
            .call(Method::POST, &format!("/api/v1/webhooks/{id}/deliveries/{delivery_id}/retry"), Some(t), None)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    receiver.wait_for(2).await;
    let mut db = {
        sqlx::any::install_default_drivers();
        <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.unwrap()
    };
    let queued: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE payload = $1 AND status IN ('queued', 'running')")
            .bind(&delivery_id)
            .fetch_one(&mut db)
            .await
            .unwrap();
    // (None at all when the retries used up the schedule in the meantime.)
    assert!(queued <= 1, "one attempt waiting or under way, never two: {queued}");
    // Each retry makes at most one attempt now (one that finds an attempt under way makes none).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!((2..=4).contains(&receiver.hits().len()), "{} attempts", receiver.hits().len());
}

async fn five_days_of_failures_disable_the_endpoint_and_email_the_administrators(b: Backend) {
    let receiver = Receiver::start().await;
    for _ in 0..10 {
        receiver.answer(500, vec![]);
    }
    let smtp = SmtpServer::start();
    let app = spawn_app_with(b, |c| {
        c.allow_private_targets = "127.0.0.1".to_owned();
        c.smtp_url = Some(smtp.url().into());
    })
    .await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    // A second, active Administrator, and an invited one who has not signed in yet.
    app.invite(&admin, "carla@example.com", "Carla", "administrator").await;
    let token = invitation_token(&smtp.wait_for("carla@example.com").await.data.replace("=\r\n", ""));
    app.accept_invitation(&token, "another good passphrase").await;
    app.invite(&admin, "dan@example.com", "Dan", "administrator").await;
    smtp.wait_for("dan@example.com").await;
    let (id, _) = create(&app, t, json!({"url": receiver.url, "event_types": ["user.deleted"]})).await;

    app.call(Method::POST, &format!("/api/v1/webhooks/{id}/test"), Some(t), None).await;
    receiver.wait_for(1).await;
    let (_, endpoint) = app.call(Method::GET, &format!("/api/v1/webhooks/{id}"), Some(t), None).await;
    assert_eq!(endpoint["enabled"], true, "one failure does not disable: {endpoint}");

    // Five days on, the next attempt fails too: the endpoint is disabled and the Administrators told.
    app.advance(5 * 24 * 3_600_000 + 60_000);
    receiver.wait_for(2).await;
    let log = wait_settled(&app, t, &id, 1).await;
    assert_eq!(log[0]["status"], "failed", "{log:?}");
    assert_eq!(log[0]["attempts"], 2, "{log:?}");
    let (_, endpoint) = app.call(Method::GET, &format!("/api/v1/webhooks/{id}"), Some(t), None).await;
    assert_eq!(endpoint["enabled"], false, "{endpoint}");
    assert!(endpoint["disabled_reason"].as_str().unwrap().contains("5 days"), "{endpoint}");
    for to in ["ana@example.com", "carla@example.com"] {
        let mail = smtp.wait_for_one(to, "Subject: A webhook endpoint was disabled").await.data.replace("=\r\n", "");
        assert!(mail.contains(&receiver.url), "names the endpoint: {mail}");
        assert!(mail.contains(&format!("/account/webhooks/{id}")), "links its page: {mail}");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let told: Vec<_> = smtp
        .received
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.data.contains("webhook endpoint was disabled"))
        .flat_map(|m| m.to.clone())
        .collect();
    assert_eq!(told.len(), 2, "one email to each active Administrator, none to the one still invited: {told:?}");

    // Disabled, it gets nothing more; its later deliveries end at once.
    app.call(Method::POST, &format!("/api/v1/webhooks/{id}/test"), Some(t), None).await;
    let log = wait_settled(&app, t, &id, 2).await;
    assert_eq!(log[0]["status"], "failed", "{log:?}");
    assert_eq!(receiver.hits().len(), 2);
}

async fn an_account_has_at_most_fifty_endpoints(b: Backend) {
    let app = app_allowing_loopback(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    for i in 0..50 {
        create(&app, t, json!({"url": format!("http://127.0.0.1:9/hooks/{i}")})).await;
    }
    let (status, problem) =
        app.call(Method::POST, "/api/v1/webhooks", Some(t), Some(json!({"url": "http://127.0.0.1:9/hooks/50"}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["rule"], "webhook_limit");
    let (_, list) = app.call(Method::GET, "/api/v1/webhooks?limit=200", Some(t), None).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(50), "nothing added: {list}");
    // Another account has its own fifty.
    let other = app.signup("Beta", "bea@example.com").await;
    create(&app, &other.token, json!({"url": "http://127.0.0.1:9/hooks/beta"})).await;
}
