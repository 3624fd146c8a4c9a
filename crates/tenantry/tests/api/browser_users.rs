//! The user page in a real headless Chromium: unlocking a user locked out by wrong passwords, and
//! license notices shown inside the Licenses card (updated in place by htmx). Every page visited is
//! checked with [`check_page`] (screenshots at desktop and phone width, axe-core, no sideways
//! scrolling at 390 px).

use crate::browser::{check_page, eventually, in_browser, notice, sign_in, text_of};
use crate::db_tests;
use crate::helpers::*;
use crate::licenses::{set_subscription, spawn_with_operator};
use fantoccini::{Client, Locator};
use reqwest::{Method, StatusCode};
use serde_json::json;

db_tests!(unlocking_a_user_and_assigning_licenses_in_a_real_browser);

async fn unlocking_a_user_and_assigning_licenses_in_a_real_browser(b: Backend) {
    let app = spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, _) =
        set_subscription(&app, &admin.account_id, json!({"plan": "team", "status": "trial", "seats": {"chat": 1}}))
            .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/v1/security/lockout-policy",
            Some(&admin.token),
            Some(json!({"enabled": true, "max_failed_attempts": 3})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (bruno, _) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let carla = app.invite(&admin, "carla@example.com", "Carla Dias", "member").await;
    // Bruno owns a booking page (switched off: he holds no Scheduling license).
    let page = json!({"name": "Meet Bruno", "slug": "meet-bruno", "owner_id": bruno, "enabled": false});
    let (status, body) = app.call(Method::POST, "/api/v1/booking-pages", Some(&admin.token), Some(page)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Wrong passwords until Bruno is locked out.
    let wrong = json!({"email": "bruno@example.com", "password": "not his password"});
    let mut last = StatusCode::OK;
    for _ in 0..4 {
        last = app.call(Method::POST, "/api/v1/auth/sign-in", None, Some(wrong.clone())).await.0;
    }
    assert_eq!(last, StatusCode::LOCKED);
    let (_, user) = app.call(Method::GET, &format!("/api/v1/users/{bruno}"), Some(&admin.token), None).await;
    assert_eq!(user["status"], "locked");
    let (url, email) = (app.url.clone(), admin.email.clone());
    in_browser(b, |c, prefix| scenario(c, url, email, bruno, carla, prefix)).await;
    // Unlocked in the browser: the right password works again.
    let right = json!({"email": "bruno@example.com", "password": "another good passphrase"});
    assert_eq!(app.call(Method::POST, "/api/v1/auth/sign-in", None, Some(right)).await.0, StatusCode::OK);
}

/// The text of the notice inside the Licenses card, or nothing.
async fn licenses_notice(c: &Client) -> String {
    match c.find(Locator::Css("#licenses #licenses-notice")).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

async fn scenario(c: Client, url: String, email: String, bruno: String, carla: String, prefix: &'static str) {
    sign_in(&c, &url, &email).await;
    c.wait().for_element(Locator::Css("table.users-table")).await.unwrap();
    check_page(&c, &format!("{prefix}-users-lobby")).await;
    // The Add user form offers the licenses by name, with their free seats.
    c.find(Locator::Css("details.add-user > summary")).await.unwrap().click().await.unwrap();
    let choices = c.find(Locator::Css(".license-choices")).await.unwrap().text().await.unwrap();
    assert!(choices.contains("Live chat\n1 of 1 free") && choices.contains("Voice"), "{choices}");
    check_page(&c, &format!("{prefix}-users-lobby-add-user")).await;

    // Bruno's page: locked, with Unlock offered.
    c.find(Locator::LinkText("Bruno Costa")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Id("access-title")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), format!("/users/{bruno}"));
    assert_eq!(text_of(&c, "user-status").await, "Locked");
    check_page(&c, &format!("{prefix}-user-locked")).await;
    c.find(Locator::Css(&format!("form[action='/users/{bruno}/unlock'] button"))).await.unwrap().click().await.unwrap();
    notice(&c, "Unlocked Bruno Costa: they can sign in again.").await;
    assert_eq!(text_of(&c, "user-status").await, "Has signed in");
    assert!(c.find(Locator::Css(&format!("form[action='/users/{bruno}/unlock']"))).await.is_err(), "no more Unlock");
    check_page(&c, &format!("{prefix}-user-unlocked")).await;

    // Assigning a license: htmx swaps the card, the notice is next to it and the page stays put.
    c.execute("document.body.dataset.marker = 'same-page'", vec![]).await.unwrap();
    c.find(Locator::Css("button[aria-label='Assign Live chat']")).await.unwrap().click().await.unwrap();
    eventually("the notice in the Licenses card", || {
        let c = c.clone();
        async move { licenses_notice(&c).await.contains("Live chat license assigned to Bruno Costa.") }
    })
    .await;
    assert_eq!(text_of(&c, "seats-chat").await, "1 of 1 seats assigned · 0 free");
    let marker = c.execute("return document.body.dataset.marker || ''", vec![]).await.unwrap();
    assert_eq!(marker, json!("same-page"), "the card was updated in place");
    let in_view = c
        .execute(
            "const r = document.getElementById('licenses-notice').getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(in_view, json!(true), "the notice is in view where the button was");
    let focused = c.execute("return document.activeElement && document.activeElement.id", vec![]).await.unwrap();
    assert_eq!(focused, json!("license-chat"), "focus stays on the license's button");
    let summary =
        c.execute("return document.querySelector('#delete .confirm-body').textContent", vec![]).await.unwrap();
    assert!(
        summary.as_str().unwrap_or_default().contains("free their licenses: Live chat."),
        "the delete summary followed: {summary}"
    );
    check_page(&c, &format!("{prefix}-user-license-assigned")).await;

    // Before deleting, choose who receives Bruno's booking page.
    c.find(Locator::Css("#delete details.confirm > summary")).await.unwrap().click().await.unwrap();
    let heirs = c.find(Locator::Id("transfer_to")).await.unwrap();
    let options = heirs.text().await.unwrap();
    assert!(options.contains("Admin of Acme (ana@example.com)") && options.contains("Carla Dias"), "{options}");
    assert!(!options.contains("Bruno Costa"), "{options}");
    c.execute("document.getElementById('transfer_to').scrollIntoView({block: 'center'})", vec![]).await.unwrap();
    check_page(&c, &format!("{prefix}-user-delete-choose-heir")).await;
    c.execute("document.querySelector('#delete details').open = false", vec![]).await.unwrap();

    // Carla (invited) cannot have the last seat: the refusal is in her Licenses card.
    c.goto(&format!("{url}/users/{carla}")).await.unwrap();
    c.wait().for_element(Locator::Id("invitation-expires")).await.unwrap();
    c.execute("document.getElementById('access').scrollIntoView()", vec![]).await.unwrap();
    check_page(&c, &format!("{prefix}-user-invited")).await;
    c.find(Locator::Css("button[aria-label='Assign Live chat']")).await.unwrap().click().await.unwrap();
    eventually("the refusal in the Licenses card", || {
        let c = c.clone();
        async move { licenses_notice(&c).await.contains("No free Live chat seat") }
    })
    .await;
    let class = c.find(Locator::Id("licenses-notice")).await.unwrap().attr("class").await.unwrap();
    assert_eq!(class.as_deref(), Some("alert alert-error"));
    check_page(&c, &format!("{prefix}-user-license-refused")).await;

    // The lobby names the license as people know it.
    c.goto(&format!("{url}/users")).await.unwrap();
    let row = c.find(Locator::XPath("//tbody[@id='users-rows']/tr[contains(., 'Bruno Costa')]")).await.unwrap();
    assert!(row.text().await.unwrap().contains("Live chat"));
    check_page(&c, &format!("{prefix}-users-lobby-licensed")).await;

    // One's own page: the role is text with the reason, and there is nothing to delete.
    c.find(Locator::LinkText("Admin of Acme")).await.unwrap().click().await.unwrap();
    let role = c.wait().for_element(Locator::Id("own-role")).await.unwrap().text().await.unwrap();
    assert!(role.starts_with("Administrator") && role.contains("You cannot change your own role"), "{role}");
    assert!(c.find(Locator::Id("role")).await.is_err() && c.find(Locator::Id("delete")).await.is_err());
    check_page(&c, &format!("{prefix}-user-self")).await;
}
