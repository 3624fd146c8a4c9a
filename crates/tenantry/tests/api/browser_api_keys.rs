//! Account settings › API & Webhooks › API keys in a real headless Chromium: an Administrator
//! creates a key with two scopes (an error next to its field first), sees it once, and revokes it
//! after a confirmation. Every page visited is checked with `check_page`.

use crate::browser::{check_page, current_section, in_browser, notice, path_is, screenshot, screenshot_dir, sign_in};
use crate::db_tests;
use crate::helpers::*;
use fantoccini::{Client, Locator};

db_tests!(an_administrator_creates_and_revokes_an_api_key_in_a_real_browser);

async fn an_administrator_creates_and_revokes_an_api_key_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (url, email) = (app.url.clone(), admin.email.clone());
    let key = in_browser_keys(b, url.clone(), email).await;
    // The key shown once works, until it is revoked (the browser revoked it).
    let (status, _) = app.call(reqwest::Method::GET, "/api/v1/users", Some(&key), None).await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED, "revoked in the browser");
}

async fn in_browser_keys(b: Backend, url: String, email: String) -> String {
    let (tx, rx) = tokio::sync::oneshot::channel();
    in_browser(b, move |c, prefix| async move {
        let key = keys_scenario(c, url, email, prefix).await;
        tx.send(key).ok();
    })
    .await;
    rx.await.unwrap()
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

async fn submit(c: &Client) {
    c.find(Locator::Css("form[action='/account/api-keys'] button[type=submit]")).await.unwrap().click().await.unwrap();
}

async fn keys_scenario(c: Client, url: String, email: String, prefix: &'static str) -> String {
    sign_in(&c, &url, &email).await;
    c.find(Locator::Css("nav.sidenav a[href='/account/api-keys']")).await.unwrap().click().await.unwrap();
    path_is(&c, "/account/api-keys").await;
    assert_eq!(current_section(&c).await, "API & Webhooks");
    assert_eq!(text(&c, "nav.tabs [aria-current=page]").await, "API keys");
    assert!(text(&c, "#no-keys").await.contains("No API keys yet"));
    check_page(&c, &format!("{prefix}-api-keys-empty")).await;

    // No scope chosen: the error is next to the scopes, and the name typed is kept.
    c.find(Locator::Id("name")).await.unwrap().send_keys("Nightly sync").await.unwrap();
    submit(&c).await;
    let error = c.wait().for_element(Locator::Id("scopes-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("Scopes must name at least one scope"));
    let kept = c.find(Locator::Id("name")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("Nightly sync"));
    check_page(&c, &format!("{prefix}-api-keys-error")).await;

    // Two scopes: the key is shown once, with a copy button (JavaScript is on here).
    c.find(Locator::Id("scope-users-read")).await.unwrap().click().await.unwrap();
    c.find(Locator::Id("scope-licenses-write")).await.unwrap().click().await.unwrap();
    submit(&c).await;
    let shown = c.wait().for_element(Locator::Id("new-api-key")).await.unwrap();
    let key = shown.prop("value").await.unwrap().unwrap_or_default();
    assert!(key.starts_with("tnt_"), "{key}");
    let copy = c.find(Locator::Css("button[data-copy='new-api-key']")).await.unwrap();
    assert!(copy.is_displayed().await.unwrap(), "the copy button shows once scripts run");
    assert!(text(&c, "#key-warning").await.contains("It will not be shown again"));
    let rows = text(&c, "#key-rows").await;
    assert!(rows.contains("Nightly sync") && rows.contains("users:read") && rows.contains("licenses:write"), "{rows}");
    assert!(rows.contains("Never") && rows.contains("by Admin of Acme"), "{rows}");
    assert!(!rows.contains(&key), "the list shows only the prefix");
    check_page(&c, &format!("{prefix}-api-keys-created")).await;
    screenshot(&c, &screenshot_dir(), &format!("{prefix}-api-keys-created.png")).await;

    // Seen once: loading the page again shows only the prefix.
    c.goto(&format!("{url}/account/api-keys")).await.unwrap();
    let source = c.source().await.unwrap();
    assert!(!source.contains(&key), "the key is not shown again");
    assert!(c.find(Locator::Id("new-api-key")).await.is_err());

    // Revoke, after a confirmation.
    c.find(Locator::Css("#key-rows details.confirm > summary")).await.unwrap().click().await.unwrap();
    check_page(&c, &format!("{prefix}-api-keys-revoke-confirm")).await;
    c.find(Locator::Css("#key-rows details.confirm form button[type=submit]")).await.unwrap().click().await.unwrap();
    notice(&c, "The API key Nightly sync has been revoked.").await;
    assert!(text(&c, "#no-keys").await.contains("No API keys yet"));
    check_page(&c, &format!("{prefix}-api-keys-revoked")).await;
    key
}
