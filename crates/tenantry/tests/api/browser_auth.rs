//! Signing in with two-step verification in two steps, the styled "Page not found", the Security
//! page's one form, and the booking pages, in a real headless Chromium (see `browser.rs`).

use crate::browser::{check_page, eventually, in_browser, sign_in, text_of};
use crate::db_tests;
use crate::helpers::*;
use crate::recovery::{base32_decode, rfc6238};
use fantoccini::{Client, Locator};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

db_tests!(two_step_sign_in_in_two_steps_in_a_real_browser, page_not_found_and_security_errors_in_a_real_browser,);

async fn two_step_sign_in_in_two_steps_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (s, e) = app.call(Method::POST, "/api/v1/me/mfa/totp", Some(&admin.token), None).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let seed = base32_decode(e["secret"].as_str().unwrap());
    let (url, offset) = (app.url.clone(), app.time_offset.clone());
    let code = {
        let (seed, offset) = (seed.clone(), offset.clone());
        move || {
            let now = jiff::Timestamp::now().as_millisecond() + offset.load(Ordering::SeqCst);
            rfc6238(&seed, (now / 1000) as u64, 6)
        }
    };
    let (s, body) =
        app.call(Method::POST, "/api/v1/me/mfa/totp/confirm", Some(&admin.token), Some(json!({"code": code()}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    app.advance(30_000);
    in_browser(b, |c, prefix| two_step_scenario(c, url, seed, offset, prefix)).await;
}

async fn two_step_scenario(c: Client, url: String, seed: Vec<u8>, offset: Arc<AtomicI64>, prefix: &'static str) {
    let code = || {
        let now = jiff::Timestamp::now().as_millisecond() + offset.load(Ordering::SeqCst);
        rfc6238(&seed, (now / 1000) as u64, 6)
    };
    c.goto(&format!("{url}/signin")).await.unwrap();
    check_page(&c, &format!("{prefix}-signin")).await;
    c.find(Locator::Id("email")).await.unwrap().send_keys("ana@example.com").await.unwrap();
    c.find(Locator::Id("password")).await.unwrap().send_keys("correct horse battery").await.unwrap();
    c.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    // Step 2 is its own page: the code only, the password is not asked again.
    c.wait().for_element(Locator::Id("code")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/signin/code");
    assert!(c.find(Locator::Id("password")).await.is_err(), "no password field on the code page");
    let focused = c.execute("return document.activeElement.id", vec![]).await.unwrap();
    assert_eq!(focused, json!("code"), "the code field has the focus");
    check_page(&c, &format!("{prefix}-signin-2-code")).await;
    // A wrong code: the error under the field, on the same page.
    c.find(Locator::Id("code")).await.unwrap().send_keys("000000").await.unwrap();
    c.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    let error = c.wait().for_element(Locator::Id("code-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("Code is wrong or was already used"));
    assert_eq!(c.current_url().await.unwrap().path(), "/signin/code");
    check_page(&c, &format!("{prefix}-signin-3-wrong-code")).await;
    // The recovery-code variant is a link away.
    c.find(Locator::Id("use-recovery")).await.unwrap().click().await.unwrap();
    let label = c.wait().for_element(Locator::Css("label[for=code]")).await.unwrap();
    assert_eq!(label.text().await.unwrap(), "Recovery code");
    check_page(&c, &format!("{prefix}-signin-4-recovery")).await;
    c.find(Locator::LinkText("Use the code from your app instead")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("input#code[inputmode=numeric]")).await.unwrap();
    c.find(Locator::Id("code")).await.unwrap().send_keys(&code()).await.unwrap();
    c.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    eventually("the Users lobby", || async { c.current_url().await.is_ok_and(|u| u.path() == "/users") }).await;
}

async fn page_not_found_and_security_errors_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (url, email) = (app.url.clone(), admin.email.clone());
    in_browser(b, |c, prefix| not_found_scenario(c, url, email, prefix)).await;
}

async fn not_found_scenario(c: Client, url: String, email: String, prefix: &'static str) {
    // Signed out: the styled page, not a JSON document.
    c.goto(&format!("{url}/no-such-page")).await.unwrap();
    let h1 = c.wait().for_element(Locator::Css("h1")).await.unwrap();
    assert_eq!(h1.text().await.unwrap(), "Page not found");
    check_page(&c, &format!("{prefix}-404-signed-out")).await;
    // Signed in: under the top bar, with a way back.
    sign_in(&c, &url, &email).await;
    check_page(&c, &format!("{prefix}-users-lobby")).await;
    c.goto(&format!("{url}/users/usr_000000000000000000000000")).await.unwrap();
    assert_eq!(c.find(Locator::Css("h1")).await.unwrap().text().await.unwrap(), "Page not found");
    c.goto(&format!("{url}/no-such-page")).await.unwrap();
    assert_eq!(c.find(Locator::Css("h1")).await.unwrap().text().await.unwrap(), "Page not found");
    assert!(c.find(Locator::Css("details.menu")).await.is_ok(), "the top bar is there");
    check_page(&c, &format!("{prefix}-404-signed-in")).await;

    // Security: one form; an out-of-range number keeps what was typed and says so under the field.
    c.goto(&format!("{url}/security")).await.unwrap();
    check_page(&c, &format!("{prefix}-security")).await;
    let field = c.find(Locator::Id("max_failed_attempts")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys("42").await.unwrap();
    c.find(Locator::Id("save-security")).await.unwrap().click().await.unwrap();
    let error = c.wait().for_element(Locator::Id("max_failed_attempts-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("Lock after must be between 3 and 20."));
    let kept = c.find(Locator::Id("max_failed_attempts")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("42"), "the typed value is kept");
    assert!(!text_of(&c, "main").await.contains("max_failed_attempts"), "no raw keys");
    check_page(&c, &format!("{prefix}-security-error")).await;

    // Booking pages: a page without a licensed owner offers no "Switch on" that would fail.
    c.goto(&format!("{url}/booking-pages")).await.unwrap();
    c.find(Locator::Css("details.add-user summary")).await.unwrap().click().await.unwrap();
    c.find(Locator::Id("name")).await.unwrap().send_keys("Intro call").await.unwrap();
    c.find(Locator::Id("slug")).await.unwrap().send_keys("intro-call").await.unwrap();
    c.find(Locator::Css("form[action='/booking-pages'] button[type=submit]")).await.unwrap().click().await.unwrap();
    // The list is there before the post too ("No booking pages yet"): wait for the new row.
    let row_text = || async {
        match c.find(Locator::Css(".pages-table tbody tr")).await {
            Ok(row) => row.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    };
    eventually("the new page in the list", || async { row_text().await.contains("Intro call") }).await;
    let text = row_text().await;
    assert!(text.contains("Assign a Scheduling license"), "{text}");
    assert!(c.find(Locator::Css(".pages-table button")).await.is_err(), "no Switch on that must fail");
    check_page(&c, &format!("{prefix}-booking-pages")).await;
}
