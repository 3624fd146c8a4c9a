//! The Users lobby in a real headless Chromium driven over WebDriver (chromedriver + fantoccini):
//! sign in, filter live with htmx, add a user, and look at it on a phone-sized screen.
//! Screenshots go to `$TEST_SCREENSHOTS`, else `<workspace>/target/screenshots/`.
//! Chromium and chromedriver are required: without them this test fails, it does not skip.

use crate::db_tests;
use crate::helpers::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

db_tests!(
    users_lobby_in_a_real_browser,
    licenses_and_deletion_in_a_real_browser,
    tightened_policy_asks_for_a_new_password_in_a_real_browser,
    my_settings_picture_and_cell_number_in_a_real_browser,
);

/// A chromedriver we started; dropping it (also when the test fails) kills it by its id.
/// The browser it drives is quit first through WebDriver (see the test).
struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    fn start() -> Self {
        let binary = std::env::var_os("CHROMEDRIVER").map(PathBuf::from).or_else(|| find_in_path("chromedriver")).unwrap_or_else(|| {
            panic!("chromedriver is not installed: install the Debian packages `chromium` and `chromium-driver` (or set CHROMEDRIVER to its path)")
        });
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        Self { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn wait_until_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("chromedriver exited at start: {status}");
            }
            if client.get(format!("{}/status", self.url())).send().await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            assert!(Instant::now() < deadline, "chromedriver did not answer on port {}", self.port);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(name)).find(|p| p.is_file()))
}

pub(crate) fn screenshot_dir() -> PathBuf {
    let dir = std::env::var_os("TEST_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots"));
    std::fs::create_dir_all(&dir).expect("create the screenshot folder");
    dir
}

pub(crate) async fn screenshot(c: &Client, dir: &Path, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    std::fs::write(dir.join(name), png).expect("write screenshot");
}

/// axe-core (npm, vendored for the tests only): the accessibility rules every page must pass.
const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");

/// Looks at the page the browser shows, as a person would on a desktop and on a phone:
/// saves a screenshot of each, fails on any accessibility violation of "critical" or "serious"
/// impact (axe-core's WCAG 2.x A/AA rules), and on horizontal scrolling at 390 px wide.
/// The window is 1280×900 again afterwards.
pub(crate) async fn check_page(c: &Client, name: &str) {
    let shots = screenshot_dir();
    screenshot(c, &shots, &format!("{name}-desktop.png")).await;
    let loaded = c.execute("return typeof window.axe !== 'undefined'", vec![]).await.unwrap();
    if loaded != json!(true) {
        c.execute(AXE, vec![]).await.expect("load axe-core into the page");
    }
    let found = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } })
                 .then(r => done(r.violations.filter(v => v.impact === "critical" || v.impact === "serious")
                   .map(v => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map(n => n.target.join(" ")).join(", ")}`)))
                 .catch(e => done([`axe failed: ${e}`]));"#,
            vec![],
        )
        .await
        .expect("run axe-core");
    let found: Vec<String> = serde_json::from_value(found).expect("a list of violations");
    assert!(
        found.is_empty(),
        "accessibility violations on {name} ({}):\n{}",
        c.current_url().await.unwrap(),
        found.join("\n")
    );
    c.set_window_size(390, 844).await.expect("phone width");
    eventually("the phone layout", || async {
        c.execute("return window.innerWidth", vec![]).await.is_ok_and(|w| w.as_u64().is_some_and(|w| w <= 390))
    })
    .await;
    let width = c.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap();
    assert!(
        width.as_u64().is_some_and(|w| w <= 390),
        "{name} scrolls sideways at 390 px: document is {width} px wide ({})",
        c.current_url().await.unwrap()
    );
    screenshot(c, &shots, &format!("{name}-phone.png")).await;
    c.set_window_size(1280, 900).await.expect("desktop width");
}

/// Waits until the browser shows the page at `path`.
pub(crate) async fn path_is(c: &Client, path: &str) {
    eventually(&format!("the page {path}"), || async { c.current_url().await.is_ok_and(|u| u.path() == path) }).await;
}

/// The section the navigation marks (read from the document: on a phone the menu may be closed).
pub(crate) async fn current_section(c: &Client) -> String {
    let js = "const a = document.querySelectorAll(\"nav.sidenav a[aria-current='page']\"); return a.length === 1 ? a[0].textContent.trim() : `${a.length} marked`";
    c.execute(js, vec![]).await.unwrap().as_str().unwrap_or_default().to_owned()
}

/// Whether the section navigation is open (always on a desktop; on a phone, once tapped).
pub(crate) async fn menu_open(c: &Client) -> bool {
    c.execute("return document.querySelector('details.sidenav-menu').open", vec![]).await.unwrap() == json!(true)
}

/// Opens `url` at phone width (390×844) and waits for the section navigation to be a closed menu;
/// answers the menu's summary (what a person taps to open it).
pub(crate) async fn phone_menu(c: &Client, url: &str) -> fantoccini::elements::Element {
    c.set_window_size(390, 844).await.expect("phone width");
    c.goto(url).await.unwrap();
    eventually("the phone layout", || async {
        c.execute("return window.innerWidth", vec![]).await.is_ok_and(|w| w.as_u64().is_some_and(|w| w <= 390))
    })
    .await;
    eventually("the menu to close on a phone", || async { !menu_open(c).await }).await;
    c.find(Locator::Css("details.sidenav-menu > summary")).await.unwrap()
}

/// Polls `check` until it holds, failing after ten seconds with `what`.
pub(crate) async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text of the table body (empty while htmx is swapping it).
async fn rows_text(c: &Client) -> String {
    match c.find(Locator::Id("users-rows")).await {
        Ok(tbody) => tbody.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

async fn users_lobby_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    in_browser(b, |c, prefix| lobby_scenario(c, app.url.clone(), admin.email.clone(), prefix)).await;
}

async fn licenses_and_deletion_in_a_real_browser(b: Backend) {
    let app = crate::licenses::spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    app.invite(&admin, "carla@example.com", "Carla Dias", "administrator").await;
    // A paid account whose only licensed Administrator is Ana (Carla holds no license).
    let (status, _) =
        crate::licenses::license(&app, &admin.token, reqwest::Method::PUT, &admin.user_id, "scheduling").await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let (status, _) = crate::licenses::set_subscription(
        &app,
        &admin.account_id,
        json!({"plan": "team", "status": "paid", "seats": {"chat": 3}}),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let (url, email, ana) = (app.url.clone(), admin.email.clone(), admin.user_id.clone());
    in_browser(b, |c, prefix| licenses_scenario(c, url, email, ana, bruno, prefix)).await;
}

async fn my_settings_picture_and_cell_number_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    // A picture file to choose in the browser's file input.
    let picture = app.dir.path().join("me.png");
    image::RgbImage::from_fn(400, 300, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 160]))
        .save(&picture)
        .unwrap();
    let (url, email, dir) = (app.url.clone(), admin.email.clone(), app.dir.path().to_path_buf());
    in_browser(b, |c, prefix| my_settings_scenario(c, url, email, dir, picture, prefix)).await;
}

/// Uploads a picture and sees it in the top bar; changes the cell number and verifies it with the
/// code from the SMS folder.
async fn my_settings_scenario(
    c: Client, url: String, email: String, data_dir: PathBuf, picture: PathBuf, prefix: &'static str,
) {
    let shots = screenshot_dir();
    sign_in(&c, &url, &email).await;
    c.goto(&format!("{url}/me")).await.unwrap();
    assert!(c.find(Locator::Css(".menu img.avatar")).await.is_err(), "initials before a picture");
    c.find(Locator::Id("file")).await.unwrap().send_keys(&picture.display().to_string()).await.unwrap();
    c.find(Locator::Css("form[action='/me/avatar'] button[type=submit]")).await.unwrap().click().await.unwrap();
    notice(&c, "Your profile picture has been updated").await;
    let top = c.find(Locator::Css(".menu img.avatar")).await.expect("the picture in the top bar");
    assert!(top.attr("src").await.unwrap().unwrap_or_default().ends_with("/64.png"));
    let loaded = c.execute("return document.querySelector('.menu img.avatar').naturalWidth", vec![]).await.unwrap();
    assert_eq!(loaded, json!(64), "the 64 px picture loaded");
    check_page(&c, &format!("{prefix}-picture-1-top-bar")).await;
    assert!(text_of(&c, "cell-number").await.starts_with("None"));
    c.find(Locator::Css("#cell-number a")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Id("number")).await.unwrap();
    // A mistake first: no country for a national number.
    c.find(Locator::Id("number")).await.unwrap().send_keys("(415) 555-2671").await.unwrap();
    c.find(Locator::Css("form[action='/me/phone'] button[type=submit]")).await.unwrap().click().await.unwrap();
    let error = c.wait().for_element(Locator::Id("number-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("needs its country"));
    check_page(&c, &format!("{prefix}-phone-1-needs-country")).await;
    c.find(Locator::Id("country")).await.unwrap().send_keys("US").await.unwrap();
    // A new number needs the current password (never kept in the form after an error).
    c.find(Locator::Id("current_password")).await.unwrap().send_keys("correct horse battery").await.unwrap();
    c.find(Locator::Css("form[action='/me/phone'] button[type=submit]")).await.unwrap().click().await.unwrap();
    notice(&c, "We sent a 6-digit code to +14155552671").await;
    screenshot(&c, &shots, &format!("{prefix}-phone-2-code-sent.png")).await;
    let sms = crate::helpers::wait_for_sms_in(&data_dir, "+14155552671").await;
    let code = crate::me::sms_code(&sms);
    c.find(Locator::Id("code")).await.unwrap().send_keys(&code).await.unwrap();
    c.find(Locator::Css("form[action='/me/phone/verify'] button[type=submit]")).await.unwrap().click().await.unwrap();
    // Wait for the profile page itself: the page with the code has a success notice too.
    eventually("the profile page", || async { c.current_url().await.is_ok_and(|u| u.path() == "/me") }).await;
    notice(&c, "Your cell number is now +14155552671 (verified)").await;
    assert_eq!(text_of(&c, "cell-number").await, "+14155552671 (verified) · Change");
    check_page(&c, &format!("{prefix}-phone-3-verified")).await;
}

/// Runs `scenario` in a fresh headless Chromium, quits it whatever happens, then reports a failure.
pub(crate) async fn in_browser<F, Fut>(b: Backend, scenario: F)
where
    F: FnOnce(Client, &'static str) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut driver = Chromedriver::start();
    driver.wait_until_ready().await;
    let profile = tempfile::tempdir().expect("browser profile folder");
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--window-size=1280,900",
    ]
    .map(String::from)
    .to_vec();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    let mut options = json!({ "args": args });
    if let Some(chrome) = std::env::var_os("CHROME").map(PathBuf::from).or_else(|| find_in_path("chromium")) {
        options["binary"] = json!(chrome);
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".to_owned(), json!("chrome"));
    caps.insert("goog:chromeOptions".to_owned(), options);
    let c = ClientBuilder::rustls()
        .expect("TLS connector")
        .capabilities(caps)
        .connect(&driver.url())
        .await
        .expect("a browser session");
    let prefix = match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let outcome = tokio::spawn(scenario(c.clone(), prefix)).await;
    // Quit the browser whatever happened, then stop chromedriver; then report a failure.
    let _ = c.close().await;
    drop(driver);
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the browser scenario did not finish: {e}"),
        }
    }
}

/// Signs in on the sign-in page and waits for the landing page.
pub(crate) async fn sign_in(c: &Client, url: &str, email: &str) {
    c.goto(&format!("{url}/signin")).await.unwrap();
    c.find(Locator::Id("email")).await.unwrap().send_keys(email).await.unwrap();
    c.find(Locator::Id("password")).await.unwrap().send_keys("correct horse battery").await.unwrap();
    c.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    eventually("the Users lobby", || {
        let c = c.clone();
        async move { c.current_url().await.is_ok_and(|u| u.path() == "/users") }
    })
    .await;
}

/// Waits until the page shows a success notice saying `expected`. Read by script on each try, so a
/// notice of the page being left (or gone stale while the next one loads) is never taken for it.
pub(crate) async fn notice(c: &Client, expected: &str) {
    let script = "const a = document.querySelector('.alert-success'); return a ? a.textContent : null";
    for _ in 0..100 {
        if let Ok(text) = c.execute(script, vec![]).await
            && text.as_str().is_some_and(|t| t.contains(expected))
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no success notice saying {expected:?}");
}

/// Clears the field `id` and types `text` into it.
pub(crate) async fn type_into(c: &Client, id: &str, text: &str) {
    let field = c.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// What the field `id` holds.
pub(crate) async fn value_of(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id)).await.unwrap().prop("value").await.unwrap().unwrap_or_default()
}

pub(crate) async fn text_of(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id)).await.unwrap().text().await.unwrap()
}

/// Assigns a license on the user page and sees the seat count change; the last licensed
/// Administrator's delete button is disabled with the reason; another user's shows what deleting does.
async fn licenses_scenario(c: Client, url: String, email: String, ana: String, bruno: String, prefix: &'static str) {
    let shots = screenshot_dir();
    sign_in(&c, &url, &email).await;
    // From the lobby to Bruno's page.
    c.find(Locator::LinkText("Bruno Costa")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Id("licenses-title")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), format!("/users/{bruno}"));
    assert_eq!(text_of(&c, "seats-chat").await, "0 of 3 seats assigned · 3 free");
    c.find(Locator::Css("button[aria-label='Assign Live chat']")).await.unwrap().click().await.unwrap();
    notice(&c, "Live chat license assigned to Bruno Costa").await;
    assert_eq!(text_of(&c, "seats-chat").await, "1 of 3 seats assigned · 2 free");
    assert!(c.find(Locator::Css("button[aria-label='Unassign Live chat']")).await.is_ok());
    check_page(&c, &format!("{prefix}-licenses-1-assigned")).await;
    // What deleting Bruno would do is shown before confirming.
    c.find(Locator::Css("details.confirm > summary")).await.unwrap().click().await.unwrap();
    let summary = c.find(Locator::Css(".confirm-body")).await.unwrap().text().await.unwrap();
    c.execute("document.querySelector('.confirm-body').scrollIntoView({block: 'center'})", vec![]).await.unwrap();
    assert!(summary.contains("free their licenses: Live chat"), "{summary}");
    screenshot(&c, &shots, &format!("{prefix}-licenses-2-delete-summary.png")).await;
    // The lobby lists the license.
    c.goto(&format!("{url}/users")).await.unwrap();
    let row = c.find(Locator::XPath("//tbody[@id='users-rows']/tr[contains(., 'Bruno Costa')]")).await.unwrap();
    assert!(row.text().await.unwrap().contains("chat"));
    // Ana's own page offers no deletion (nobody deletes themselves: `rule: "self"`).
    c.goto(&format!("{url}/users/{ana}")).await.unwrap();
    c.wait().for_element(Locator::Id("own-role")).await.unwrap();
    assert!(c.find(Locator::Id("delete")).await.is_err(), "no delete card on one's own page");
    c.execute("document.getElementById('licenses').scrollIntoView({block: 'center'})", vec![]).await.unwrap();
    check_page(&c, &format!("{prefix}-licenses-3-own-page")).await;
    // Unassigning her license is refused (she is the paid account's only licensed Administrator),
    // shown on the card.
    c.find(Locator::Css("button[aria-label='Unassign Scheduling']")).await.unwrap().click().await.unwrap();
    let alert = c.wait().for_element(Locator::Css("#licenses .alert-error")).await.unwrap();
    assert!(alert.text().await.unwrap().contains("at least one Administrator with a license"));
    assert_eq!(text_of(&c, "seats-scheduling").await, "1 of 5 seats assigned · 4 free");
    screenshot(&c, &shots, &format!("{prefix}-licenses-4-unassign-refused.png")).await;
    c.set_window_size(375, 812).await.unwrap();
    c.goto(&format!("{url}/booking-pages")).await.unwrap();
    c.wait().for_element(Locator::Css("table.pages-table")).await.unwrap();
    c.goto(&format!("{url}/users/{bruno}")).await.unwrap();
    let overflow = c.execute("return document.documentElement.scrollWidth - window.innerWidth", vec![]).await.unwrap();
    assert!(overflow.as_i64().is_some_and(|o| o <= 0), "the user page scrolls sideways by {overflow}px at 375px");
    screenshot(&c, &shots, &format!("{prefix}-licenses-5-phone.png")).await;
}

/// Signs in, filters, adds a user and looks at a phone-sized screen, taking screenshots.
async fn lobby_scenario(c: Client, url: String, email: String, prefix: &'static str) {
    let shots = screenshot_dir();

    // Sign in; an Administrator lands on the Users lobby.
    c.goto(&format!("{}/signin", url)).await.unwrap();
    screenshot(&c, &shots, &format!("{prefix}-0-signin.png")).await;
    c.find(Locator::Id("email")).await.unwrap().send_keys(&email).await.unwrap();
    c.find(Locator::Id("password")).await.unwrap().send_keys("correct horse battery").await.unwrap();
    c.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    eventually("the Users lobby", || {
        let c = c.clone();
        async move { c.current_url().await.is_ok_and(|u| u.path() == "/users") }
    })
    .await;
    c.wait().for_element(Locator::Css("table.users-table")).await.unwrap();
    let all = rows_text(&c).await;
    assert!(all.contains("Admin of Acme") && all.contains("Bruno Costa"), "{all}");
    assert!(all.contains("Has signed in") && all.contains("Invited (Pending)"), "{all}");
    check_page(&c, &format!("{prefix}-1-lobby")).await;

    // Typing in the filter narrows the table through htmx, without a page load.
    c.execute("document.body.dataset.marker = 'same-page'", vec![]).await.unwrap();
    c.find(Locator::Id("q")).await.unwrap().send_keys("brun").await.unwrap();
    eventually("the table to show only Bruno", || {
        let c = c.clone();
        async move {
            let text = rows_text(&c).await;
            text.contains("Bruno Costa") && !text.contains("Admin of Acme")
        }
    })
    .await;
    let marker = c.execute("return document.body.dataset.marker || ''", vec![]).await.unwrap();
    assert_eq!(marker, json!("same-page"), "htmx swapped the rows; the page did not reload");
    assert_eq!(c.current_url().await.unwrap().query(), Some("q=brun"), "the address keeps the filter");
    screenshot(&c, &shots, &format!("{prefix}-2-filtered.png")).await;

    // Add user: a mistake is shown next to its field, with what was typed kept; then Carla
    // appears, invited.
    c.find(Locator::Css("details.add-user > summary")).await.unwrap().click().await.unwrap();
    c.find(Locator::Id("email")).await.unwrap().send_keys("carla@").await.unwrap();
    c.find(Locator::Id("name")).await.unwrap().send_keys("Carla Dias").await.unwrap();
    c.find(Locator::Id("role")).await.unwrap().select_by_value("member").await.unwrap();
    c.find(Locator::Css("form.inline-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let error = c.wait().for_element(Locator::Id("email-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("Email is not a valid email address"));
    assert_eq!(c.find(Locator::Id("name")).await.unwrap().prop("value").await.unwrap().as_deref(), Some("Carla Dias"));
    check_page(&c, &format!("{prefix}-3-add-user-error")).await;
    let email = c.find(Locator::Id("email")).await.unwrap();
    email.clear().await.unwrap();
    email.send_keys("carla@example.com").await.unwrap();
    c.find(Locator::Css("form.inline-form button[type=submit]")).await.unwrap().click().await.unwrap();
    notice(&c, "Invitation sent to Carla Dias").await;
    let row =
        c.find(Locator::XPath("//tbody[@id='users-rows']/tr[contains(., 'Carla Dias')]")).await.expect("Carla's row");
    assert!(row.text().await.unwrap().contains("Invited (Pending)"));
    check_page(&c, &format!("{prefix}-4-invited")).await;

    // The gear menu works without script: a <details> dropdown.
    c.find(Locator::Css("details.menu > summary")).await.unwrap().click().await.unwrap();
    let menu = c.find(Locator::Css(".menu-panel")).await.unwrap();
    assert!(menu.is_displayed().await.unwrap());
    let items = menu.text().await.unwrap();
    assert!(
        items.contains("Account settings") && items.contains("My settings") && items.contains("Sign out"),
        "{items}"
    );
    screenshot(&c, &shots, &format!("{prefix}-5-menu.png")).await;
    c.execute("document.querySelector('details.menu').open = false", vec![]).await.unwrap();

    // On a phone the lobby fits the screen: no sideways scrolling.
    c.set_window_size(375, 812).await.unwrap();
    eventually("the phone layout", || {
        let c = c.clone();
        async move {
            c.execute("return window.innerWidth", vec![]).await.is_ok_and(|w| w.as_u64().is_some_and(|w| w <= 400))
        }
    })
    .await;
    let overflow = c.execute("return document.documentElement.scrollWidth - window.innerWidth", vec![]).await.unwrap();
    assert!(overflow.as_i64().is_some_and(|o| o <= 0), "the page scrolls sideways by {overflow}px at 375px");
    screenshot(&c, &shots, &format!("{prefix}-6-phone.png")).await;
    c.goto(&format!("{}/me", url)).await.unwrap();
    c.wait().for_element(Locator::Id("timezone")).await.unwrap();
    screenshot(&c, &shots, &format!("{prefix}-7-my-settings-phone.png")).await;
}

async fn tightened_policy_asks_for_a_new_password_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let (url, email) = (app.url.clone(), admin.email.clone());
    in_browser(b, |c, prefix| policy_scenario(c, url, email, prefix)).await;
}

pub(crate) async fn sign_in_as(c: &Client, url: &str, email: &str, password: &str) {
    c.goto(&format!("{url}/signin")).await.unwrap();
    c.find(Locator::Id("email")).await.unwrap().send_keys(email).await.unwrap();
    c.find(Locator::Id("password")).await.unwrap().send_keys(password).await.unwrap();
    c.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
}

async fn rules_text(c: &Client) -> String {
    match c.find(Locator::Id("password-rules")).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// An Administrator tightens the password policy and asks for new passwords; a member whose password
/// no longer complies is sent to change it at sign-in, and sees each unmet rule as they type.
async fn policy_scenario(c: Client, url: String, email: String, prefix: &'static str) {
    let shots = screenshot_dir();
    sign_in_as(&c, &url, &email, "correct horse battery").await;
    eventually("the Users lobby", || {
        let c = c.clone();
        async move { c.current_url().await.is_ok_and(|u| u.path() == "/users") }
    })
    .await;
    c.goto(&format!("{url}/security")).await.unwrap();
    let min = c.find(Locator::Id("min_length")).await.unwrap();
    min.clear().await.unwrap();
    // Both passwords so far are 21 and 23 characters long (spaces count as symbols).
    min.send_keys("24").await.unwrap();
    c.find(Locator::Id("require_symbol")).await.unwrap().click().await.unwrap();
    c.find(Locator::Id("save-security")).await.unwrap().click().await.unwrap();
    let banner = c.wait().for_element(Locator::Id("non-compliant")).await.unwrap();
    assert!(banner.text().await.unwrap().contains("2 user(s)"), "both passwords are now too weak");
    check_page(&c, &format!("{prefix}-security-1-tightened")).await;
    c.find(Locator::Css("#non-compliant button")).await.unwrap().click().await.unwrap();
    // The page reloads (post/redirect/get): wait for the new notice, not the one already shown.
    eventually("the notice that users will be asked", || {
        let c = c.clone();
        async move {
            match c.find(Locator::Css(".alert-success")).await {
                Ok(e) => e.text().await.unwrap_or_default().contains("2 user(s) will be asked for a new password"),
                Err(_) => false,
            }
        }
    })
    .await;
    screenshot(&c, &shots, &format!("{prefix}-security-2-required.png")).await;

    // Bruno signs in and is asked for a new password before anything else.
    c.delete_all_cookies().await.unwrap();
    sign_in_as(&c, &url, "bruno@example.com", "another good passphrase").await;
    c.wait().for_element(Locator::Id("password-expired")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/password-change");
    c.goto(&format!("{url}/me")).await.unwrap();
    c.wait().for_element(Locator::Id("password-expired")).await.unwrap();
    c.find(Locator::Id("current_password")).await.unwrap().send_keys("another good passphrase").await.unwrap();
    let field = c.find(Locator::Id("new_password")).await.unwrap();
    field.send_keys("short").await.unwrap();
    eventually("both unmet rules listed", || {
        let c = c.clone();
        async move {
            let t = rules_text(&c).await;
            t.contains("must be at least 24 characters") && t.contains("must contain a symbol")
        }
    })
    .await;
    check_page(&c, &format!("{prefix}-security-3-rules-while-typing")).await;
    field.send_keys("-x").await.unwrap();
    eventually("only the length rule left", || {
        let c = c.clone();
        async move {
            let t = rules_text(&c).await;
            t.contains("at least 24") && !t.contains("must contain a symbol")
        }
    })
    .await;
    field.send_keys(" plus many more words").await.unwrap();
    eventually("every rule met", || {
        let c = c.clone();
        async move { rules_text(&c).await.contains("Meets every rule") }
    })
    .await;
    screenshot(&c, &shots, &format!("{prefix}-security-4-rules-met.png")).await;
    c.find(Locator::Css("form[action='/password-change'] button[type=submit]")).await.unwrap().click().await.unwrap();
    notice(&c, "Your password has been changed").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/me");
    check_page(&c, &format!("{prefix}-security-5-changed")).await;

    // From My settings, Bruno turns on two-step verification with the QR code's key.
    c.goto(&format!("{url}/me/two-step")).await.unwrap();
    c.find(Locator::Css("form input[value=start] + button")).await.unwrap().click().await.unwrap();
    let secret = c.wait().for_element(Locator::Id("totp-secret")).await.unwrap().text().await.unwrap();
    assert!(c.find(Locator::Css(".qr svg")).await.is_ok(), "the QR code is shown");
    check_page(&c, &format!("{prefix}-security-6-totp-qr")).await;
    let now = jiff::Timestamp::now().as_second() as u64;
    let code = crate::recovery::rfc6238(&crate::recovery::base32_decode(&secret), now, 6);
    c.find(Locator::Id("code")).await.unwrap().send_keys(&code).await.unwrap();
    c.find(Locator::Css("form input[value=confirm] ~ button")).await.unwrap().click().await.unwrap();
    let codes = c.wait().for_element(Locator::Id("recovery-codes")).await.unwrap().text().await.unwrap();
    assert_eq!(codes.lines().count(), 10, "{codes}");
    check_page(&c, &format!("{prefix}-security-7-recovery-codes")).await;
}
