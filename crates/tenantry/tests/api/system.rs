//! Health, readiness, metrics, OpenAPI and docs, and the binary's commands.

use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

db_tests!(health_metrics_and_request_ids, openapi_describes_every_endpoint);

async fn health_metrics_and_request_ids(b: Backend) {
    let app = spawn_app(b).await;
    for path in ["/healthz", "/readyz"] {
        let res = app.request(Method::GET, path, None, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(res.headers().contains_key("x-request-id"), "request id echoed");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    }
    let res = app
        .client
        .get(format!("{}/healthz", app.url))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.headers()["x-request-id"], "trace-me-42", "a caller's request id is kept");
    let mut ids = std::collections::HashSet::new();
    for _ in 0..3 {
        let res = app.request(Method::GET, "/healthz", None, None).await;
        let id = res.headers()["x-request-id"].to_str().expect("ascii").to_owned();
        assert!(id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
        assert!(ids.insert(id), "every generated request id is new");
    }

    let admin = app.signup("Acme", "private-person@example.com").await;
    app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    let purge = reqwest::Method::from_bytes(b"PURGE").expect("method");
    app.client.request(purge, format!("{}/api/v1/me", app.url)).send().await.expect("sent");
    let res = app.request(Method::GET, "/metrics", None, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.expect("text");
    assert!(text.contains("tenantry_http_requests_total"), "{text}");
    assert!(text.contains("path=\"/api/v1/me\""), "counted by route template");
    assert!(
        text.contains("tenantry_http_requests_total{method=\"GET\",path=\"/api/v1/me\",status=\"200\"} 2"),
        "each request counted once, also when the counter was made by an earlier one: {text}"
    );
    assert!(text.contains("method=\"OTHER\"") && !text.contains("PURGE"), "unusual methods are counted together");
    assert!(!text.contains("private-person"), "no personal data in metrics");
    assert!(!text.contains(&admin.token));
}

async fn openapi_describes_every_endpoint(b: Backend) {
    let app = spawn_app(b).await;
    let (status, doc) = app.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/signup", "post"),
        ("/api/v1/auth/sign-in", "post"),
        ("/api/v1/auth/sign-out", "post"),
        ("/api/v1/invitations/{token}", "get"),
        ("/api/v1/invitations/{token}/accept", "post"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{id}", "get"),
        ("/api/v1/users/{id}", "patch"),
        ("/api/v1/users/{id}", "delete"),
        ("/api/v1/users/{id}/invitation", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/me", "patch"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is described");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    let docs = app.request(Method::GET, "/api/docs", None, None).await.text().await.expect("docs");
    assert!(
        docs.contains("/assets/vendor/swagger-ui/swagger-ui-bundle.js") && !docs.contains("https://"),
        "docs use vendored assets only"
    );
    // The reference leads back to the app and says how to get a token.
    assert!(docs.contains("href=\"/\"") && docs.contains("href=\"/me/api-key\""), "{docs}");
    assert!(docs.contains("Authorize"), "explains how to use the token");
    // Schemas carry real examples, not just "string".
    let schemas = &doc["components"]["schemas"];
    for (schema, field, example) in [
        ("UserView", "email", "ana@example.com"),
        ("UserView", "timezone", "Europe/Lisbon"),
        ("MeView", "date_format", "DD/MM/YYYY"),
        ("SignInRequest", "email", "ana@example.com"),
        ("SignUpRequest", "account_name", "Acme"),
    ] {
        assert_eq!(schemas[schema]["properties"][field]["example"], example, "{schema}.{field} has an example");
    }
    assert_eq!(schemas["UserView"]["properties"]["licenses"]["example"][0], "scheduling");
    for asset in [
        "/assets/vendor/swagger-ui/swagger-ui-bundle.js",
        "/assets/vendor/swagger-ui/swagger-ui.css",
        "/assets/docs.js",
        "/assets/vendor/htmx/htmx.min.js",
    ] {
        let res = app.request(Method::GET, asset, None, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{asset}");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tenantry(data: &std::path::Path, port: u16) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tenantry"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TENANTRY_DATA_DIR", data)
        .env("TENANTRY_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn");
    cmd
}

async fn wait_ready(port: u16, limit: Duration) -> Option<Duration> {
    let client = reqwest::Client::new();
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(res) = client.get(format!("http://127.0.0.1:{port}/readyz")).send().await
            && res.status() == StatusCode::OK
        {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

#[tokio::test]
async fn serve_on_a_fresh_data_folder_is_ready_within_a_second() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("fresh");
    let port = free_port();
    let start = Instant::now();
    let _child = Child(tenantry(&data, port).stdout(Stdio::null()).arg("serve").spawn().expect("spawn tenantry serve"));
    let ready = wait_ready(port, Duration::from_secs(10)).await.expect("ready");
    let total = start.elapsed();
    assert!(total < Duration::from_secs(1), "ready after {total:?} (first /readyz 200 after {ready:?})");
    assert!(data.join("tenantry.db").exists(), "SQLite file created in the data folder");
}

#[tokio::test]
async fn cli_migrates_and_creates_an_account_with_a_sign_in_link() {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let out = tenantry(dir.path(), port).arg("migrate").output().expect("migrate runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = tenantry(dir.path(), port)
        .args(["account", "create", "--name", "Acme", "--admin-email", "boss@example.com"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let token = link_token(&stdout, "/invitations/");
    let account = stdout.split("(acc_").nth(1).and_then(|r| r.split(')').next()).map(|id| format!("acc_{id}"));
    let account = account.expect("the account id is printed");

    // Users imported from a CSV file by the command: a dry run first, then for real.
    let csv = dir.path().join("users.csv");
    std::fs::write(&csv, "email,name,role,licenses\nana@example.com,Ana Lima,member,\nnot-an-email,Bad Row,member,\nbruno@example.com,Bruno Costa,administrator,scheduling\n").unwrap();
    let import = |extra: &[&str]| {
        let mut cmd = tenantry(dir.path(), port);
        cmd.args(["users", "import", "--account", &account]).args(extra).arg(&csv);
        cmd.output().expect("import runs")
    };
    let out = import(&["--dry-run"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("Would create 2 users") && text.contains("row 3: email"), "{text}");
    assert!(text.contains("Dry run: nothing was written."), "{text}");
    let out = import(&["--no-invitations"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success() && text.contains("Created 2 users, skipped 0"), "{text}");
    assert!(!text.contains('\u{1b}'), "no progress bar when the output is not a terminal: {text:?}");
    let out = import(&["--no-invitations"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("Created 0 users, skipped 2"), "the same file again skips its users: {text}");

    let bad = tenantry(dir.path(), port)
        .args(["account", "create", "--name", "X", "--admin-email", "not-an-email"])
        .output()
        .expect("runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--admin-email"));

    let _child = Child(tenantry(dir.path(), port).arg("serve").stdout(Stdio::null()).spawn().expect("serve"));
    wait_ready(port, Duration::from_secs(10)).await.expect("ready");
    let client = reqwest::Client::new();
    let info: serde_json::Value = client
        .get(format!("http://127.0.0.1:{port}/api/v1/invitations/{token}"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(info["account_name"], "Acme");
    assert_eq!(info["email"], "boss@example.com");
    let res = client
        .post(format!("http://127.0.0.1:{port}/api/v1/invitations/{token}/accept"))
        .json(&serde_json::json!({"password": "the boss's passphrase"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
}
