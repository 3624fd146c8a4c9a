//! My settings in a real headless Chromium: the section navigation on a desktop and on a phone,
//! the API key (created, shown once, copied, revoked) and a two-step setup that survives a wrong
//! code. Every page visited is checked with `check_page` (screenshots, axe-core, no sideways scroll).

use crate::browser::{
    check_page, current_section, eventually, in_browser, menu_open, notice, path_is, phone_menu, sign_in, text_of,
};
use crate::db_tests;
use crate::helpers::*;
use crate::recovery::{base32_decode, rfc6238};
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::json;

db_tests!(
    my_settings_navigation_on_desktop_and_phone_in_a_real_browser,
    api_key_created_copied_and_revoked_in_a_real_browser,
    wrong_two_step_setup_code_keeps_the_qr_code_in_a_real_browser,
);

/// Every My settings page: its address, its label in the navigation, and a name for screenshots.
const PAGES: [(&str, &str, &str); 9] = [
    ("/me", "Profile", "profile"),
    ("/me/two-step", "Password and two-step", "two-step"),
    ("/me/phone", "Phone", "phone"),
    ("/me/email", "Email", "email"),
    ("/me/notifications", "Notifications", "notifications"),
    ("/me/api-key", "API key", "api-key"),
    ("/me/usage", "Plan and usage", "usage"),
    ("/me/sessions", "Sessions", "sessions"),
    ("/me/data", "My data", "data"),
];

async fn my_settings_navigation_on_desktop_and_phone_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (url, email) = (app.url.clone(), admin.email.clone());
    in_browser(b, |c, prefix| navigation_scenario(c, url, email, prefix)).await;
}

/// Visits every section, checking each page; then moves between sections by the navigation, as a
/// column on a desktop and as a closed menu on a phone.
async fn navigation_scenario(c: Client, url: String, email: String, prefix: &'static str) {
    sign_in(&c, &url, &email).await;
    for (href, label, name) in PAGES {
        c.goto(&format!("{url}{href}")).await.unwrap();
        c.wait().for_element(Locator::Css("main h1")).await.unwrap();
        assert_eq!(current_section(&c).await, label, "{href} marks its section");
        check_page(&c, &format!("{prefix}-me-{name}")).await;
    }

    // Desktop: the navigation is an open column; a click moves to the section.
    c.goto(&format!("{url}/me")).await.unwrap();
    assert!(menu_open(&c).await, "a column on a desktop");
    let link = c.find(Locator::Css("nav.sidenav a[href='/me/api-key']")).await.unwrap();
    assert!(link.is_displayed().await.unwrap());
    link.click().await.unwrap();
    path_is(&c, "/me/api-key").await;
    assert_eq!(current_section(&c).await, "API key");

    // Phone: a closed menu naming the current section; opening it shows the links.
    let summary = phone_menu(&c, &format!("{url}/me/usage")).await;
    assert!(summary.text().await.unwrap().contains("Plan and usage"), "the closed menu names this section");
    let sessions = c.find(Locator::Css("nav.sidenav a[href='/me/sessions']")).await.unwrap();
    assert!(!sessions.is_displayed().await.unwrap(), "links hidden while closed");
    crate::browser::screenshot(&c, &crate::browser::screenshot_dir(), &format!("{prefix}-me-nav-phone-closed.png"))
        .await;
    summary.click().await.unwrap();
    assert!(menu_open(&c).await);
    assert!(sessions.is_displayed().await.unwrap(), "opening the menu shows the links");
    let shown = c.find(Locator::Css("nav.sidenav ul")).await.unwrap().text().await.unwrap();
    for (_, label, _) in PAGES {
        assert!(shown.contains(label), "{label} in the menu: {shown}");
    }
    crate::browser::screenshot(&c, &crate::browser::screenshot_dir(), &format!("{prefix}-me-nav-phone-open.png")).await;
    sessions.click().await.unwrap();
    path_is(&c, "/me/sessions").await;
    assert_eq!(current_section(&c).await, "Sessions");
    assert!(!menu_open(&c).await, "closed again on the new page");
    let width = c.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap();
    assert!(width.as_u64().is_some_and(|w| w <= 390), "no sideways scrolling: {width}");
    c.set_window_size(1280, 900).await.unwrap();
}

async fn api_key_created_copied_and_revoked_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (url, email) = (app.url.clone(), admin.email.clone());
    in_browser(b, |c, prefix| api_key_scenario(c, url, email, prefix)).await;
}

/// The status of `GET /api/v1/me` with `key` as a bearer token.
async fn me_with(url: &str, key: &str) -> StatusCode {
    reqwest::Client::new().get(format!("{url}/api/v1/me")).bearer_auth(key).send().await.unwrap().status()
}

async fn api_key_scenario(c: Client, url: String, email: String, prefix: &'static str) {
    sign_in(&c, &url, &email).await;
    c.goto(&format!("{url}/me/api-key")).await.unwrap();
    assert_eq!(text_of(&c, "no-key").await, "You have no API key.");
    check_page(&c, &format!("{prefix}-me-api-key-none")).await;

    // Create (with the current password): the key is shown once, with a copy button.
    c.find(Locator::Id("current_password")).await.unwrap().send_keys("correct horse battery").await.unwrap();
    c.find(Locator::Id("create-key")).await.unwrap().click().await.unwrap();
    let field = c.wait().for_element(Locator::Id("new-api-key")).await.unwrap();
    let key = field.prop("value").await.unwrap().unwrap_or_default();
    assert!(key.starts_with("tnt_"), "{key}");
    assert_eq!(field.attr("readonly").await.unwrap().as_deref(), Some("true"));
    assert!(text_of(&c, "key-warning").await.contains("It will not be shown again"));
    check_page(&c, &format!("{prefix}-me-api-key-created")).await;
    let copy = c.find(Locator::Css("button[data-copy='new-api-key']")).await.unwrap();
    assert!(copy.is_displayed().await.unwrap(), "the script shows the copy button");
    copy.click().await.unwrap();
    eventually("the Copied status", || {
        let c = c.clone();
        async move { text_of(&c, "copy-status").await.contains("Copied") }
    })
    .await;
    // Where the browser lets the page read the clipboard back, it holds the key.
    let read = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               navigator.clipboard.readText().then(done, () => done(null));"#,
            vec![],
        )
        .await
        .unwrap_or(json!(null));
    if let Some(text) = read.as_str() {
        assert_eq!(text, key, "the clipboard holds the key");
    }
    crate::browser::screenshot(&c, &crate::browser::screenshot_dir(), &format!("{prefix}-me-api-key-copied.png")).await;
    assert_eq!(me_with(&url, &key).await, StatusCode::OK, "the key works as a bearer token");

    // Loaded again: the key is gone from the page; its prefix and last use remain.
    c.goto(&format!("{url}/me/api-key")).await.unwrap();
    c.wait().for_element(Locator::Id("key-prefix")).await.unwrap();
    assert!(c.find(Locator::Id("new-api-key")).await.is_err(), "shown once only");
    let source = c.source().await.unwrap();
    assert!(!source.contains(&key), "the key is nowhere in the page");
    let shown_prefix = text_of(&c, "key-prefix").await;
    assert!(key.starts_with(shown_prefix.trim_end_matches('…')), "{shown_prefix} starts {key}");
    assert_ne!(text_of(&c, "key-last-used").await, "Never", "used just now");
    check_page(&c, &format!("{prefix}-me-api-key-prefix")).await;

    // Revoke, after confirming.
    c.find(Locator::Css("#revoke-key > summary")).await.unwrap().click().await.unwrap();
    let confirm = c.find(Locator::Css("#revoke-key button[type=submit]")).await.unwrap();
    assert!(confirm.is_displayed().await.unwrap());
    crate::browser::screenshot(&c, &crate::browser::screenshot_dir(), &format!("{prefix}-me-api-key-confirm.png"))
        .await;
    confirm.click().await.unwrap();
    notice(&c, "Your API key has been revoked").await;
    assert_eq!(text_of(&c, "no-key").await, "You have no API key.");
    check_page(&c, &format!("{prefix}-me-api-key-revoked")).await;
    assert_eq!(me_with(&url, &key).await, StatusCode::UNAUTHORIZED, "a revoked key stops working");
}

async fn wrong_two_step_setup_code_keeps_the_qr_code_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (url, email) = (app.url.clone(), admin.email.clone());
    in_browser(b, |c, prefix| two_step_setup_scenario(c, url, email, prefix)).await;
}

async fn qr_markup(c: &Client) -> String {
    let svg = c.execute("return document.querySelector('.qr svg').outerHTML", vec![]).await.unwrap();
    svg.as_str().unwrap_or_default().to_owned()
}

async fn two_step_setup_scenario(c: Client, url: String, email: String, prefix: &'static str) {
    sign_in(&c, &url, &email).await;
    c.goto(&format!("{url}/me/two-step")).await.unwrap();
    assert_eq!(text_of(&c, "mfa-status").await, "Off");
    c.find(Locator::Css("form input[value=start] + button")).await.unwrap().click().await.unwrap();
    let secret = c.wait().for_element(Locator::Id("totp-secret")).await.unwrap().text().await.unwrap();
    let qr = qr_markup(&c).await;
    assert!(qr.starts_with("<svg"), "the QR code is shown");
    check_page(&c, &format!("{prefix}-me-two-step-setup")).await;

    // A wrong code: the same key and QR code, and the error under the field.
    let seed = base32_decode(&secret);
    let now = jiff::Timestamp::now().as_second() as u64;
    let valid: Vec<String> =
        [now - 60, now - 30, now, now + 30, now + 60].iter().map(|t| rfc6238(&seed, *t, 6)).collect();
    let wrong = (0..).map(|n| format!("{n:06}")).find(|c| !valid.contains(c)).unwrap();
    c.find(Locator::Id("code")).await.unwrap().send_keys(&wrong).await.unwrap();
    c.find(Locator::Css("form input[value=confirm] ~ button")).await.unwrap().click().await.unwrap();
    let error = c.wait().for_element(Locator::Id("code-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("Code from the app is wrong or was already used"));
    assert_eq!(text_of(&c, "totp-secret").await, secret, "the same key");
    assert_eq!(qr_markup(&c).await, qr, "the same QR code");
    let under = c
        .execute(
            "const f = document.getElementById('code'); return f.closest('.field').contains(document.getElementById('code-error')) && f.getAttribute('aria-describedby').includes('code-error')",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(under, json!(true), "the error belongs to the field");
    let typed = c.find(Locator::Id("code")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(typed.as_deref(), Some(wrong.as_str()), "what was typed is kept");
    check_page(&c, &format!("{prefix}-me-two-step-wrong-code")).await;

    // The right code turns it on.
    let field = c.find(Locator::Id("code")).await.unwrap();
    field.clear().await.unwrap();
    let now = jiff::Timestamp::now().as_second() as u64;
    field.send_keys(&rfc6238(&seed, now, 6)).await.unwrap();
    c.find(Locator::Css("form input[value=confirm] ~ button")).await.unwrap().click().await.unwrap();
    let codes = c.wait().for_element(Locator::Id("recovery-codes")).await.unwrap().text().await.unwrap();
    assert_eq!(codes.lines().count(), 10, "{codes}");
    assert_eq!(text_of(&c, "mfa-status").await, "On");
    check_page(&c, &format!("{prefix}-me-two-step-on")).await;
}
