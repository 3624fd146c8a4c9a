#![allow(dead_code)] // a shared harness: not every test uses every helper
//! The test harness: every test gets its own database (a SQLite file or a fresh PostgreSQL
//! database) and its own server on a free port, and talks to it over HTTP.

use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tenantry::config::{Config, LogFormat, Signup};
use tenantry::{Running, StartOptions, start};
use tenantry_app::Clock;
use tenantry_outbox::WorkerConfig;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares each named `async fn(Backend)` as two tests, `<name>::sqlite` and `<name>::postgres`.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

/// Base URL of the PostgreSQL server tests create databases on.
pub fn postgres_base() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// A new empty database for `backend`, as a URL.
pub async fn fresh_database(backend: Backend, dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("test.db").display()),
        Backend::Postgres => {
            let name = format!("tenantry_test_{}", uuid::Uuid::new_v4().simple());
            let mut admin = sqlx::PgConnection::connect(&format!("{}/postgres", postgres_base()))
                .await
                .expect("connect to PostgreSQL");
            sqlx::Executor::execute(&mut admin, sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .expect("create database");
            admin.close().await.ok();
            format!("{}/{name}", postgres_base())
        }
    }
}

/// A configuration for a test server on a free port.
pub fn test_config(data_dir: PathBuf, database_url: String) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        public_url: None,
        data_dir,
        database_url: Some(database_url.into()),
        database_max_connections: 8,
        smtp_url: None,
        mail_from: "Tenantry Test <no-reply@tenantry.localhost>".to_owned(),
        sms_url: None,
        sms_authorization: None,
        sms_body_template: None,
        secret_key: None,
        signup: Signup::Open,
        operator_token: None,
        rate_limit_per_ip: 0,
        rate_limit_sign_in_per_account: 60,
        trusted_proxies: String::new(),
        log_format: LogFormat::Text,
        session_cache_ms: 2000,
        products: "scheduling:Scheduling,chat:Live chat,voice:Voice".to_owned(),
        trial_seats: 5,
        trial_sms_credits: 100,
        avatar_store: None,
        upgrade_url: None,
        sales_url: None,
        allow_private_targets: String::new(),
        sms_daily_limit: 1000,
        sms_countries: String::new(),
        metrics_listen: String::new(),
        webhook_retry_schedule: "0s,1s,1s".to_owned(),
        outbox_lease_seconds: 60,
    }
}

/// Server logs in test output when `TEST_LOG` is set (e.g. `TEST_LOG=debug`).
pub fn init_tracing() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
    });
}

/// Fast worker pacing for tests.
pub fn test_worker() -> WorkerConfig {
    WorkerConfig {
        poll_interval: Duration::from_millis(50),
        base_backoff: Duration::from_millis(100),
        drain: Duration::from_secs(1),
        ..WorkerConfig::default()
    }
}

/// A running server and a client for it.
pub struct TestApp {
    pub backend: Backend,
    pub url: String,
    pub client: Client,
    pub database_url: String,
    pub dir: tempfile::TempDir,
    pub running: Option<Running>,
    /// Milliseconds added to the real time by the server's clock (see [`TestApp::advance`]).
    pub time_offset: Arc<AtomicI64>,
}

/// Starts a server on `backend` with default test settings.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts a server on `backend`, letting the test adjust the configuration first.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
    init_tracing();
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = installation_database(backend, dir.path()).await;
    spawn_on(backend, dir, database_url, adjust).await
}

/// The database a test server starts on: a new empty one, or, when `TEST_VIA_DB_COPY` names a
/// folder, a copied installation. That is another account's users, invitation, booking page,
/// chat team and contact field, moved SQLite → PostgreSQL → SQLite by `db copy`'s code and then
/// copied once more onto `backend`, so the whole suite runs against what a moved installation
/// holds (`scripts/test.sh` runs the API tests this way once more).
async fn installation_database(backend: Backend, dir: &std::path::Path) -> String {
    let url = fresh_database(backend, dir).await;
    if let Some(folder) = std::env::var_os("TEST_VIA_DB_COPY") {
        let template = copied_installation(std::path::Path::new(&folder)).await;
        copy_database(&template, &url).await;
    }
    url
}

/// The copied installation in `folder`, made by the first test that needs it (a race only
/// makes it twice: each is complete before it is renamed into place).
async fn copied_installation(folder: &std::path::Path) -> String {
    let path = folder.join("installation.db");
    let url = format!("sqlite://{}", path.display());
    if path.exists() {
        return url;
    }
    std::fs::create_dir_all(folder).expect("copy folder");
    let dir = tempfile::tempdir_in(folder).expect("temp dir");
    let database_url = fresh_database(Backend::Sqlite, dir.path()).await;
    let mut app = spawn_on(Backend::Sqlite, tempfile::tempdir_in(folder).expect("dir"), database_url, |_| {}).await;
    populate_installation(&app, "Moved Installation Ltd", "moved.example.com").await;
    app.stop().await;
    let pg = fresh_database(Backend::Postgres, dir.path()).await;
    copy_database(&app.database_url, &pg).await;
    let back = dir.path().join("back.db");
    copy_database(&pg, &format!("sqlite://{}", back.display())).await;
    std::fs::rename(&back, &path).expect("template in place");
    url
}

/// `db copy` from `from` into the empty database `to`.
pub async fn copy_database(from: &str, to: &str) {
    let source = tenantry_storage::Db::connect(from, 1).await.expect("open the source");
    let target = tenantry_storage::Db::connect(to, 1).await.expect("open the target");
    tenantry_storage::copy::copy(&source, &target, false, &|_, _, _| {}).await.expect("db copy");
    source.close().await;
    target.close().await;
}

/// A little of everything in a new account on `app`: users in two roles (one only invited), a
/// booking page, a chat team, a custom contact field, audit rows, events and sent mail. Emails
/// are `ana@`, `bruno@` and `carla@` under `domain`; answers the Administrator.
pub async fn populate_installation(app: &TestApp, account: &str, domain: &str) -> Admin {
    let admin = app.signup(account, &format!("ana@{domain}")).await;
    let (bruno, _) = app.invite_and_activate(&admin, &format!("bruno@{domain}"), "Bruno Díaz", "member").await;
    app.invite(&admin, &format!("carla@{domain}"), "Carla", "administrator").await;
    app.wait_for_mail_to(&format!("carla@{domain}")).await;
    let slug = account.to_lowercase().replace(' ', "-").replace('.', "");
    for (path, body) in [
        ("/api/v1/booking-pages", json!({"name": "Intro call", "slug": format!("{slug}-intro"), "owner_id": bruno})),
        ("/api/v1/chat-teams", json!({"name": "Support", "member_ids": [bruno]})),
        ("/api/v1/contact-fields", json!({"key": "plan", "label": "Plan", "type": "text"})),
    ] {
        let (status, body) = app.call(Method::POST, path, Some(&admin.token), Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{path}: {body}");
    }
    admin
}

/// Starts a server on `database_url` with its data in `dir`.
async fn spawn_on(
    backend: Backend, dir: tempfile::TempDir, database_url: String, adjust: impl FnOnce(&mut Config),
) -> TestApp {
    let mut config = test_config(dir.path().to_path_buf(), database_url.clone());
    adjust(&mut config);
    let time_offset = Arc::new(AtomicI64::new(0));
    let offset = time_offset.clone();
    let clock = Clock::fixed(move || jiff::Timestamp::now().as_millisecond() + offset.load(Ordering::SeqCst));
    let running = start(&config, StartOptions { worker: Some(test_worker()), clock }).await.expect("server starts");
    let url = format!("http://{}", running.addr);
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    TestApp { backend, url, client, database_url, dir, running: Some(running), time_offset }
}

/// A signed-up Administrator.
#[derive(Debug, Clone)]
pub struct Admin {
    pub token: String,
    pub user_id: String,
    pub account_id: String,
    pub email: String,
}

impl TestApp {
    /// Sends a request with an optional bearer token and JSON body.
    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let mut req = self.client.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request sent")
    }

    /// Sends a request and answers the status and the JSON body (`Null` when empty).
    pub async fn call(
        &self, method: Method, path: &str, token: Option<&str>, body: Option<Value>,
    ) -> (StatusCode, Value) {
        let res = self.request(method, path, token, body).await;
        let status = res.status();
        let text = res.text().await.expect("body");
        let value =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, value)
    }

    /// Signs up a new account and its Administrator.
    pub async fn signup(&self, account: &str, email: &str) -> Admin {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/signup",
                None,
                Some(json!({"account_name": account, "name": format!("Admin of {account}"), "email": email, "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        Admin {
            token: body["token"].as_str().expect("token").to_owned(),
            user_id: body["user"]["id"].as_str().expect("id").to_owned(),
            account_id: body["account"]["id"].as_str().expect("account id").to_owned(),
            email: email.to_owned(),
        }
    }

    /// Invites a user and answers their id.
    pub async fn invite(&self, admin: &Admin, email: &str, name: &str, role: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/users",
                Some(&admin.token),
                Some(json!({"email": email, "name": name, "role": role})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().expect("id").to_owned()
    }

    /// The `.eml` files the file mailer wrote, oldest first.
    pub fn mail_files(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("mail"))
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files.iter().map(|p| std::fs::read_to_string(p).expect("read eml")).collect()
    }

    /// Waits until an email to `to` has been written, and answers it.
    pub async fn wait_for_mail_to(&self, to: &str) -> String {
        for _ in 0..200 {
            if let Some(m) = self
                .mail_files()
                .into_iter()
                .rev()
                .find(|m| m.lines().any(|l| l.eq_ignore_ascii_case(&format!("To: {to}"))))
            {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("no email to {to} arrived");
    }

    /// Waits until the file SMS transport has written a message to `to`, and answers its text.
    pub async fn wait_for_sms_to(&self, to: &str) -> String {
        wait_for_sms_in(self.dir.path(), to).await
    }

    /// Invites a user, accepts the emailed link with a password, and answers their session token.
    pub async fn invite_and_activate(&self, admin: &Admin, email: &str, name: &str, role: &str) -> (String, String) {
        self.invite_and_activate_with(admin, email, name, role, "another good passphrase").await
    }

    /// [`TestApp::invite_and_activate`] with a chosen password.
    pub async fn invite_and_activate_with(
        &self, admin: &Admin, email: &str, name: &str, role: &str, password: &str,
    ) -> (String, String) {
        let id = self.invite(admin, email, name, role).await;
        let mail = self.wait_for_mail_to(email).await;
        (id, self.accept_invitation(&invitation_token(&mail), password).await)
    }

    /// Accepts an invitation with `password`; answers the new session's token.
    pub async fn accept_invitation(&self, token: &str, password: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                &format!("/api/v1/invitations/{token}/accept"),
                None,
                Some(json!({"password": password})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Moves the server's clock forward.
    pub fn advance(&self, ms: i64) {
        self.time_offset.fetch_add(ms, Ordering::SeqCst);
    }

    /// Stops the server and starts a new one on the same database and data folder (what a restart
    /// keeps is what the database holds), with the configuration adjusted as at the start.
    pub async fn restart_with(&mut self, adjust: impl FnOnce(&mut Config)) {
        self.stop().await;
        let mut config = test_config(self.dir.path().to_path_buf(), self.database_url.clone());
        adjust(&mut config);
        let offset = self.time_offset.clone();
        let clock = Clock::fixed(move || jiff::Timestamp::now().as_millisecond() + offset.load(Ordering::SeqCst));
        let running =
            start(&config, StartOptions { worker: Some(test_worker()), clock }).await.expect("server restarts");
        self.url = format!("http://{}", running.addr);
        self.running = Some(running);
    }

    /// Stops the server.
    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

/// Waits until the file SMS transport has written a message to `to` under the data folder `dir`.
pub async fn wait_for_sms_in(dir: &std::path::Path, to: &str) -> String {
    for _ in 0..200 {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("sms"))
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        if let Some(text) = files
            .iter()
            .rev()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .find(|t| t.starts_with(&format!("To: {to}\n")))
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no SMS to {to} arrived");
}

/// The invitation token in an email's link.
pub fn invitation_token(mail: &str) -> String {
    link_token(mail, "/invitations/")
}

/// The token after `marker` in the first link of `mail` that has it.
pub fn link_token(mail: &str, marker: &str) -> String {
    let start = mail.find(marker).unwrap_or_else(|| panic!("no {marker} link in:\n{mail}")) + marker.len();
    mail[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

/// A message received by [`SmtpServer`].
#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

/// A real SMTP server (mailin) on a free loopback port, keeping what it receives.
pub struct SmtpServer {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
}

#[derive(Clone)]
struct Collect {
    received: Arc<Mutex<Vec<Received>>>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl mailin_embedded::Handler for Collect {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> mailin_embedded::Response {
        self.to = to.to_vec();
        self.data.clear();
        mailin_embedded::response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> mailin_embedded::Response {
        let message =
            Received { to: std::mem::take(&mut self.to), data: String::from_utf8_lossy(&self.data).into_owned() };
        self.received.lock().expect("lock").push(message);
        mailin_embedded::response::OK
    }
}

impl SmtpServer {
    /// Starts the server on its own thread.
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind smtp");
        let port = listener.local_addr().expect("addr").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let handler = Collect { received: received.clone(), to: Vec::new(), data: Vec::new() };
        let mut server = mailin_embedded::Server::new(handler);
        server.with_name("smtp.test").with_num_threads(4).with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self { port, received }
    }

    /// `smtp://127.0.0.1:<port>` (plain, as on a loopback relay).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Waits for a message to `to`.
    pub async fn wait_for(&self, to: &str) -> Received {
        self.wait_for_one(to, "").await
    }

    /// Waits for a message to `to` whose text holds `marker`.
    pub async fn wait_for_one(&self, to: &str, marker: &str) -> Received {
        for _ in 0..400 {
            if let Some(m) = self
                .received
                .lock()
                .expect("lock")
                .iter()
                .find(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)) && m.data.contains(marker))
                .cloned()
            {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("no SMTP message to {to} with {marker:?} arrived");
    }
}

/// What a desktop Chrome on Linux sends as its `User-Agent` (page requests of the tests send it).
pub const CHROME_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

/// The `Cookie` header of a page session.
pub fn session_cookie(token: &str) -> String {
    format!("tenantry_session={token}")
}

/// Posts a URL-encoded form as a same-origin browser would, with the given `Cookie` header ("" for none).
pub async fn post_page(app: &TestApp, path: &str, cookies: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let mut req = app
        .client
        .post(format!("{}{path}", app.url))
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .header(reqwest::header::USER_AGENT, CHROME_LINUX)
        .body(body);
    if !cookies.is_empty() {
        req = req.header(reqwest::header::COOKIE, cookies);
    }
    req.send().await.expect("form posted")
}

/// Loads a page as a browser would (asking for HTML), with the given `Cookie` header ("" for none).
pub async fn get_page(app: &TestApp, path: &str, cookies: &str) -> reqwest::Response {
    let mut req = app
        .client
        .get(format!("{}{path}", app.url))
        .header(reqwest::header::ACCEPT, "text/html,application/xhtml+xml")
        .header(reqwest::header::USER_AGENT, CHROME_LINUX);
    if !cookies.is_empty() {
        req = req.header(reqwest::header::COOKIE, cookies);
    }
    req.send().await.expect("page loaded")
}

/// Where a redirect points ("" when it is not one).
pub fn location(res: &reqwest::Response) -> String {
    res.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
}

/// The value of the cookie `name` a response sets ("" when it removes it).
pub fn cookie_value(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers().get_all(reqwest::header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|c| {
        let pair = c.split(';').next().unwrap_or(c);
        let (n, v) = pair.split_once('=')?;
        (n == name).then(|| v.to_owned())
    })
}

/// Signs in through the sign-in page (no two-step verification) and answers the session token.
pub async fn page_sign_in(app: &TestApp, email: &str, password: &str) -> String {
    let res = post_page(app, "/signin", "", &[("email", email), ("password", password)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "signed in as {email}");
    cookie_value(&res, "tenantry_session").filter(|v| !v.is_empty()).expect("a session cookie")
}

/// Undoes HTML escaping (askama's and the named forms).
pub fn unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
