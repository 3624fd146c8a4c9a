//! Account settings › CRM over the API: connecting, testing against a real HTTP server in the
//! test (the bearer credential it receives, a 401, a redirect not followed, a closed port),
//! credentials that appear in no answer, log line, audit row or export and are stored sealed,
//! the outbound rules (private, loopback, link-local and metadata targets; `http://` to a public
//! host; checked again when testing), mapping keys, Members refused, disconnecting.

use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

db_tests!(
    a_connection_is_tested_with_its_bearer_credential_which_is_never_shown,
    outbound_rules_refuse_private_targets_and_plain_http,
    the_target_is_checked_again_when_testing,
    redirects_are_not_followed_and_unreachable_targets_fail,
    mapping_keys_must_be_contact_fields,
    members_are_refused_the_crm_connection,
);

const SECRET: &str = "crm-secret-7d1f0c9a2b";

/// What the CRM stand-in received: the path and the `Authorization` header of each request.
pub type Hits = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A real HTTP server on 127.0.0.1 standing in for a CRM: `/redirect` answers 302 to `/crm`;
/// anything else 200 when the bearer token is `expected`, else 401.
pub async fn crm_server(expected: &'static str) -> (String, Hits) {
    let hits: Hits = Arc::default();
    let seen = hits.clone();
    let handler = move |uri: axum::http::Uri, headers: axum::http::HeaderMap| {
        let seen = seen.clone();
        async move {
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
            seen.lock().unwrap().push((uri.path().to_owned(), auth.clone()));
            if uri.path() == "/redirect" {
                return (StatusCode::FOUND, [("location", "/crm")], "moved");
            }
            if auth.as_deref() == Some(&format!("Bearer {expected}")) {
                (StatusCode::OK, [("content-type", "application/json")], "{\"ok\":true}")
            } else {
                (StatusCode::UNAUTHORIZED, [("content-type", "application/json")], "{\"error\":\"bad token\"}")
            }
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().fallback(handler)).await.ok() });
    (base, hits)
}

/// Every log line of this process, at TRACE level: nextest runs each test in its own process, so
/// the test may own the global subscriber. `None` when another one was installed first.
#[derive(Clone, Default)]
pub(crate) struct LogBuffer(pub(crate) Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> LogBuffer {
        self.clone()
    }
}

pub(crate) fn capture_logs() -> Option<LogBuffer> {
    let buffer = LogBuffer::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        // As the binary logs: lines written while a request is served name it.
        .event_format(tenantry_web::request_log::text_format(false))
        .with_writer(buffer.clone())
        .try_init()
        .ok()
        .map(|()| buffer)
}

/// An app whose outbound requests may reach 127.0.0.1.
async fn app_allowing_loopback(b: Backend) -> TestApp {
    spawn_app_with(b, |c| c.allow_private_targets = "127.0.0.1".to_owned()).await
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map_or(Vec::new(), |e| e.iter().map(|f| f["field"].as_str().unwrap_or_default().to_owned()).collect())
}

async fn put(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::PUT, "/api/v1/crm-connection", Some(token), Some(body)).await
}

async fn test_connection(app: &TestApp, token: &str) -> (StatusCode, Value) {
    app.call(Method::POST, "/api/v1/crm-connection/test", Some(token), None).await
}

async fn db(app: &TestApp) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.expect("connect")
}

async fn a_connection_is_tested_with_its_bearer_credential_which_is_never_shown(b: Backend) {
    let logs = capture_logs();
    let (crm, hits) = crm_server(SECRET).await;
    let app = app_allowing_loopback(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let token = admin.token.as_str();
    let mut answers = String::new();

    let (status, body) = app.call(Method::GET, "/api/v1/crm-connection", Some(token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "never connected: {body}");

    let base_url = format!("{crm}/crm");
    let (status, saved) = put(
        &app,
        token,
        json!({"provider": "generic", "base_url": base_url, "credentials": {"api_key": SECRET},
               "field_mapping": {"email": "Email", "first_name": "FirstName"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    answers.push_str(&saved.to_string());
    assert_eq!(saved["provider"], "generic");
    assert_eq!(saved["base_url"], base_url);
    assert_eq!(saved["credentials_set"], true);
    assert_eq!(saved["status"], "untested");
    assert_eq!(saved["last_error"], Value::Null);
    assert_eq!(saved["field_mapping"], json!({"email": "Email", "first_name": "FirstName"}));
    assert!(saved["connected_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!((saved["last_tested_at"].clone(), saved["last_sync_at"].clone()), (Value::Null, Value::Null));
    assert!(saved.get("credentials").is_none());
    // The answer is what the OpenAPI document publishes.
    let (_, doc) = app.call(Method::GET, "/api/openapi.json", None, None).await;
    let props = doc["components"]["schemas"]["CrmConnectionView"]["properties"].as_object().expect("published");
    let mut published: Vec<&String> = props.keys().collect();
    let mut answered: Vec<&String> = saved.as_object().unwrap().keys().collect();
    published.sort();
    answered.sort();
    assert_eq!(published, answered);
    assert!(doc["paths"]["/api/v1/crm-connection/test"]["post"].is_object());

    // The test reaches the CRM with the bearer credential.
    let (status, result) = test_connection(&app, token).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result, json!({"ok": true, "status_code": 200, "error": null}));
    assert_eq!(hits.lock().unwrap().last().cloned(), Some(("/crm".to_owned(), Some(format!("Bearer {SECRET}")))));
    let (_, read) = app.call(Method::GET, "/api/v1/crm-connection", Some(token), None).await;
    answers.push_str(&read.to_string());
    assert_eq!(read["status"], "connected");
    assert!(read["last_tested_at"].is_string());

    // Stored sealed, never as the plaintext.
    let mut conn = db(&app).await;
    let sealed: Option<String> =
        sqlx::query_scalar("SELECT credentials_sealed FROM crm_connections WHERE account_id = $1")
            .bind(&admin.account_id)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    let sealed = sealed.expect("credentials stored");
    assert!(sealed.starts_with("v1:") && !sealed.contains(SECRET) && !sealed.contains("api_key"), "{sealed}");

    // A PUT without credentials keeps them; the mapping changes and the status is untested again.
    let (status, updated) =
        put(&app, token, json!({"provider": "generic", "base_url": base_url, "field_mapping": {"phone": "Phone"}}))
            .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    answers.push_str(&updated.to_string());
    assert_eq!((updated["status"].clone(), updated["credentials_set"].clone()), (json!("untested"), json!(true)));
    assert_eq!(updated["connected_at"], saved["connected_at"], "connected since the first save");
    assert_eq!(test_connection(&app, token).await.1["ok"], true, "the stored key was kept");

    // A wrong key: the CRM answers 401 and the connection is failed, saying why.
    put(&app, token, json!({"provider": "generic", "base_url": base_url, "credentials": {"api_key": "wrong-key"}}))
        .await;
    let (status, result) = test_connection(&app, token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(result, json!({"ok": false, "status_code": 401, "error": "HTTP 401"}));
    let (_, read) = app.call(Method::GET, "/api/v1/crm-connection", Some(token), None).await;
    assert_eq!((read["status"].clone(), read["last_error"].clone()), (json!("failed"), json!("HTTP 401")));
    answers.push_str(&read.to_string());

    // Audited without credentials.
    let (_, log) = app.call(Method::GET, "/api/v1/audit-events", Some(token), None).await;
    let actions: Vec<&str> = log["data"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    for action in ["crm.connected", "crm.updated", "crm.tested"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    answers.push_str(&log.to_string());
    let (status, export) = app.call(Method::GET, "/api/v1/me/export", Some(token), None).await;
    assert_eq!(status, StatusCode::OK);
    answers.push_str(&export.to_string());
    assert!(!answers.contains(SECRET) && !answers.contains(&sealed), "credentials never answered");

    // Disconnecting erases the row and its credentials.
    let (status, _) = app.call(Method::DELETE, "/api/v1/crm-connection", Some(token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM crm_connections WHERE account_id = $1")
        .bind(&admin.account_id)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    assert_eq!(app.call(Method::GET, "/api/v1/crm-connection", Some(token), None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.call(Method::DELETE, "/api/v1/crm-connection", Some(token), None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(test_connection(&app, token).await.0, StatusCode::NOT_FOUND);
    let (_, log) = app.call(Method::GET, "/api/v1/audit-events?action=crm.disconnected", Some(token), None).await;
    assert_eq!(log["data"].as_array().map(Vec::len), Some(1), "{log}");
    sqlx::Connection::close(conn).await.ok();

    // No log line of the server holds the credential.
    match logs {
        Some(logs) => {
            let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
            assert!(text.contains("CRM connection tested"), "the log was captured");
            assert!(!text.contains(SECRET), "a log line holds the credential");
            assert!(!text.contains(&sealed), "a log line holds the sealed credential");
        }
        None => eprintln!("another tracing subscriber was installed first: log lines not checked"),
    }
}

async fn outbound_rules_refuse_private_targets_and_plain_http(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    for url in [
        "https://127.0.0.1/crm",
        "https://10.0.0.1/crm",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/crm",
        "https://[::ffff:10.0.0.1]/crm",
        "https://100.64.0.1/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
        "https://localhost:8443/crm",
        "http://8.8.8.8/crm",
        "ftp://crm.example.com/",
        "https://user:pw@crm.example.com/",
    ] {
        let (status, body) = put(
            &app,
            &admin.token,
            json!({"provider": "generic", "base_url": url, "credentials": {"api_key": SECRET}}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert_eq!(fields(&body), ["base_url"], "{url}: {body}");
        assert!(!body.to_string().contains(SECRET));
    }
    let (_, body) = put(&app, &admin.token, json!({"provider": "generic", "base_url": "http://8.8.8.8/"})).await;
    assert!(body.to_string().contains("https://"), "says why: {body}");
    let (_, body) =
        put(&app, &admin.token, json!({"provider": "generic", "base_url": "https://169.254.169.254/"})).await;
    assert!(body.to_string().contains("metadata"), "says why: {body}");

    // Generic needs a base URL; the others have a default; unknown providers are refused.
    let (status, body) = put(&app, &admin.token, json!({"provider": "generic"})).await;
    assert_eq!((status, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["base_url".to_owned()]));
    let (status, body) =
        put(&app, &admin.token, json!({"provider": "sap", "base_url": "https://crm.example.com"})).await;
    assert_eq!((status, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["provider".to_owned()]));
    let (status, body) = put(
        &app,
        &admin.token,
        json!({"provider": "generic", "base_url": "https://8.8.8.8/", "credentials": "not-a-map-secret"}),
    )
    .await;
    assert_eq!((status, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["credentials".to_owned()]), "{body}");
    assert!(!body.to_string().contains("not-a-map-secret"), "the value is never quoted back");
    let (status, saved) =
        put(&app, &admin.token, json!({"provider": "pipedrive", "credentials": {"api_key": SECRET}})).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["base_url"], "https://api.pipedrive.com/v1/users/me");
    assert_eq!(app.call(Method::GET, "/api/v1/crm-connection", Some(&admin.token), None).await.0, StatusCode::OK);
}

async fn the_target_is_checked_again_when_testing(b: Backend) {
    let (crm, hits) = crm_server(SECRET).await;
    let app = app_allowing_loopback(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, _) = put(
        &app,
        &admin.token,
        json!({"provider": "generic", "base_url": format!("{crm}/crm"), "credentials": {"api_key": SECRET}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // A second node on the same database whose operator allows no private target.
    let config = test_config(app.dir.path().to_path_buf(), app.database_url.clone());
    let other = tenantry::start(&config, tenantry::StartOptions { worker: None, clock: Default::default() })
        .await
        .expect("second node starts");
    let res = app
        .client
        .post(format!("http://{}/api/v1/crm-connection/test", other.addr))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let result: Value = res.json().await.unwrap();
    assert_eq!((result["ok"].clone(), result["status_code"].clone()), (json!(false), Value::Null), "{result}");
    // Refused: plain http:// is only for allowed private addresses, and this node allows none.
    assert_eq!(result["error"], "must start with https://", "{result}");
    assert!(hits.lock().unwrap().is_empty(), "nothing was sent");
    other.stop().await;
    let (_, read) = app.call(Method::GET, "/api/v1/crm-connection", Some(&admin.token), None).await;
    assert_eq!(read["status"], "failed");
    assert_eq!(read["last_error"], "must start with https://", "{read}");
}

async fn redirects_are_not_followed_and_unreachable_targets_fail(b: Backend) {
    let (crm, hits) = crm_server(SECRET).await;
    let app = app_allowing_loopback(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let body =
        json!({"provider": "generic", "base_url": format!("{crm}/redirect"), "credentials": {"api_key": SECRET}});
    assert_eq!(put(&app, &admin.token, body).await.0, StatusCode::OK);
    let (_, result) = test_connection(&app, &admin.token).await;
    assert_eq!(result["ok"], false);
    assert_eq!(result["status_code"], 302);
    assert!(result["error"].as_str().is_some_and(|e| e.starts_with("HTTP 302")), "{result}");
    let paths: Vec<String> = hits.lock().unwrap().iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(paths, ["/redirect"], "the redirect was not followed");
    let (_, read) = app.call(Method::GET, "/api/v1/crm-connection", Some(&admin.token), None).await;
    assert_eq!(read["status"], "failed");

    // Nothing listens on the port: failed, with the reason.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let body = json!({"provider": "generic", "base_url": format!("http://{closed}/crm")});
    assert_eq!(put(&app, &admin.token, body).await.0, StatusCode::OK);
    let (status, result) = test_connection(&app, &admin.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((result["ok"].clone(), result["status_code"].clone()), (json!(false), Value::Null), "{result}");
    assert!(result["error"].as_str().is_some_and(|e| e.contains("connect")), "{result}");
}

async fn mapping_keys_must_be_contact_fields(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let other = app.signup("Globex", "gil@example.com").await;
    // A custom contact field of Acme (written directly: the contact fields API is another section).
    let mut conn = db(&app).await;
    sqlx::query(
        "INSERT INTO contact_fields (id, account_id, key, label, type, options, required, position, created_at, updated_at) \
         VALUES ('cfd_test1', $1, 'plan_tier', 'Plan tier', 'text', '[]', 0, 4, 0, 0)",
    )
    .bind(&admin.account_id)
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::Connection::close(conn).await.ok();
    let base = "https://8.8.8.8/crm";
    let (status, body) = put(
        &app,
        &admin.token,
        json!({"provider": "generic", "base_url": base, "field_mapping": {"x": "X", "email": "Email"}}),
    )
    .await;
    assert_eq!((status, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["field_mapping.x".to_owned()]));
    let (status, body) =
        put(&app, &admin.token, json!({"provider": "generic", "base_url": base, "field_mapping": {"email": " "}}))
            .await;
    assert_eq!((status, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["field_mapping.email".to_owned()]));
    let mapping = json!({"first_name": "FirstName", "last_name": "LastName", "email": "Email", "phone": "Phone", "plan_tier": "Tier__c"});
    let (status, saved) =
        put(&app, &admin.token, json!({"provider": "generic", "base_url": base, "field_mapping": mapping})).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["field_mapping"], mapping);
    assert_eq!(saved["credentials_set"], false);
    // Another account's custom field is not a field of Globex.
    let (status, body) = put(
        &app,
        &other.token,
        json!({"provider": "generic", "base_url": base, "field_mapping": {"plan_tier": "Tier"}}),
    )
    .await;
    assert_eq!((status, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["field_mapping.plan_tier".to_owned()]));
    assert_eq!(
        app.call(Method::GET, "/api/v1/crm-connection", Some(&other.token), None).await.0,
        StatusCode::NOT_FOUND
    );
}

async fn members_are_refused_the_crm_connection(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (_, member) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    put(&app, &admin.token, json!({"provider": "generic", "base_url": "https://8.8.8.8/"})).await;
    for (method, path, body) in [
        (Method::GET, "/api/v1/crm-connection", None),
        (Method::PUT, "/api/v1/crm-connection", Some(json!({"provider": "generic", "base_url": "https://8.8.8.8/"}))),
        (Method::DELETE, "/api/v1/crm-connection", None),
        (Method::POST, "/api/v1/crm-connection/test", None),
    ] {
        let (status, problem) = app.call(method.clone(), path, Some(&member), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {problem}");
    }
    assert_eq!(app.call(Method::GET, "/api/v1/crm-connection", Some(&admin.token), None).await.0, StatusCode::OK);
    // The page too: a clear 403.
    let cookie = page_sign_in(&app, "bruno@example.com", "another good passphrase").await;
    let res = get_page(&app, "/account/crm", &session_cookie(&cookie)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("Only Administrators"));
}
