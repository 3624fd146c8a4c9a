//! Deactivating and reactivating a user in a real headless Chromium: the confirm step, the
//! deactivated user page, the lobby's status filter and badge, and the sign-in page a deactivated
//! user sees. Every page visited is checked with [`check_page`].

use crate::browser::{check_page, eventually, in_browser, notice, sign_in, sign_in_as, text_of};
use crate::db_tests;
use crate::helpers::*;
use fantoccini::{Client, Locator};
use reqwest::{Method, StatusCode};

db_tests!(deactivating_and_reactivating_a_user_in_a_real_browser);

async fn deactivating_and_reactivating_a_user_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (bruno, token) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    app.invite(&admin, "carla@example.com", "Carla Dias", "member").await;
    let (url, email, id) = (app.url.clone(), admin.email.clone(), bruno.clone());
    in_browser(b, |c, prefix| scenario(c, url, email, id, prefix)).await;
    // Deactivated in the browser and reactivated again: his old session stayed revoked.
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&token), None).await.0, StatusCode::UNAUTHORIZED);
    let (_, user) = app.call(Method::GET, &format!("/api/v1/users/{bruno}"), Some(&admin.token), None).await;
    assert_eq!(user["status"], "active");
}

async fn rows_text(c: &Client) -> String {
    match c.find(Locator::Id("users-rows")).await {
        Ok(tbody) => tbody.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

async fn scenario(c: Client, url: String, email: String, bruno: String, prefix: &'static str) {
    sign_in(&c, &url, &email).await;
    c.goto(&format!("{url}/users/{bruno}")).await.unwrap();
    c.wait().for_element(Locator::Id("access-title")).await.unwrap();
    // The confirm step says what happens before anything does.
    c.find(Locator::Css("#deactivate > summary")).await.unwrap().click().await.unwrap();
    let confirm = c.find(Locator::Css("#deactivate .revoke-body")).await.unwrap().text().await.unwrap();
    assert!(confirm.contains("signed out on every device") && confirm.contains("licenses and booking pages stay"));
    c.execute("document.getElementById('deactivate').scrollIntoView({block: 'center'})", vec![]).await.unwrap();
    check_page(&c, &format!("{prefix}-user-deactivate-confirm")).await;
    c.find(Locator::Css(&format!("form[action='/users/{bruno}/deactivate'] button")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    notice(&c, "Deactivated Bruno Costa").await;
    assert_eq!(text_of(&c, "user-status").await, "Deactivated");
    assert!(c.find(Locator::Id("deactivated-banner")).await.is_ok());
    assert!(c.find(Locator::Css("#deactivate")).await.is_err(), "no more Deactivate");
    check_page(&c, &format!("{prefix}-user-deactivated")).await;

    // The lobby: the status filter narrows the table in place (htmx), with the badge.
    c.goto(&format!("{url}/users")).await.unwrap();
    c.wait().for_element(Locator::Id("status")).await.unwrap();
    c.find(Locator::Css("#status option[value='deactivated']")).await.unwrap().click().await.unwrap();
    eventually("only deactivated users", || {
        let c = c.clone();
        async move {
            let rows = rows_text(&c).await;
            rows.contains("Bruno Costa") && !rows.contains("Carla Dias") && !rows.contains("Admin of Acme")
        }
    })
    .await;
    let badge = c.find(Locator::Css("#users-rows .badge-deactivated")).await.unwrap().text().await.unwrap();
    assert_eq!(badge, "Deactivated");
    eventually("the URL to follow the filter", || {
        let c = c.clone();
        async move { c.current_url().await.is_ok_and(|u| u.query().is_some_and(|q| q.contains("status=deactivated"))) }
    })
    .await;
    check_page(&c, &format!("{prefix}-users-lobby-deactivated")).await;

    // Reactivated from the banner on his page.
    c.goto(&format!("{url}/users/{bruno}")).await.unwrap();
    c.find(Locator::Css("#deactivated-banner button")).await.unwrap().click().await.unwrap();
    notice(&c, "Reactivated Bruno Costa: they can sign in again.").await;
    assert_eq!(text_of(&c, "user-status").await, "Has signed in");

    // Deactivated again, Bruno sees why he cannot sign in (only with his right password).
    c.find(Locator::Css("#deactivate > summary")).await.unwrap().click().await.unwrap();
    c.find(Locator::Css(&format!("form[action='/users/{bruno}/deactivate'] button")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("deactivated-banner")).await.unwrap();
    c.delete_all_cookies().await.unwrap();
    sign_in_as(&c, &url, "bruno@example.com", "another good passphrase").await;
    let alert = c.wait().for_element(Locator::Css(".alert-error")).await.unwrap().text().await.unwrap();
    assert!(alert.contains("deactivated by an Administrator"), "{alert}");
    check_page(&c, &format!("{prefix}-signin-deactivated")).await;
    // Reactivate for the checks after the browser closes.
    sign_in(&c, &url, &email).await;
    c.goto(&format!("{url}/users/{bruno}")).await.unwrap();
    c.find(Locator::Css("#deactivated-banner button")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css(".alert-success")).await.unwrap();
}
