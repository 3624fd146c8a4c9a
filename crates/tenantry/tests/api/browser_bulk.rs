//! Bulk actions in the Users lobby in a real headless Chromium: ticking two users, assigning them
//! a license at once and reading the summary. Every page visited is checked with [`check_page`].

use crate::browser::{check_page, eventually, in_browser, sign_in};
use crate::db_tests;
use crate::helpers::*;
use crate::licenses::{set_subscription, spawn_with_operator};
use fantoccini::{Client, Locator};
use reqwest::{Method, StatusCode};
use serde_json::json;

db_tests!(assigning_a_license_to_selected_users_in_a_real_browser);

async fn assigning_a_license_to_selected_users_in_a_real_browser(b: Backend) {
    let app = spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, _) =
        set_subscription(&app, &admin.account_id, json!({"plan": "team", "status": "trial", "seats": {"chat": 2}}))
            .await;
    assert_eq!(status, StatusCode::OK);
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let carla = app.invite(&admin, "carla@example.com", "Carla Dias", "member").await;
    let dora = app.invite(&admin, "dora@example.com", "Dora Eliot", "member").await;
    let (url, email) = (app.url.clone(), admin.email.clone());
    let ids = [bruno.clone(), carla.clone(), dora];
    in_browser(b, |c, prefix| scenario(c, url, email, ids, prefix)).await;
    for id in [&bruno, &carla] {
        let (_, user) = app.call(Method::GET, &format!("/api/v1/users/{id}"), Some(&admin.token), None).await;
        assert_eq!(user["licenses"], json!(["chat"]), "{user}");
    }
}

async fn scenario(c: Client, url: String, email: String, [bruno, carla, dora]: [String; 3], prefix: &'static str) {
    sign_in(&c, &url, &email).await;
    c.wait().for_element(Locator::Id("users-bulk")).await.unwrap();
    // With JavaScript, "Select all on this page" shows and ticks every row.
    let all = c.find(Locator::Css("[data-select-all]")).await.unwrap();
    assert!(all.is_displayed().await.unwrap(), "select all is offered");
    check_page(&c, &format!("{prefix}-users-bulk-bar")).await;

    for id in [&bruno, &carla] {
        c.find(Locator::Css(&format!("input[name='ids'][value='{id}']"))).await.unwrap().click().await.unwrap();
    }
    c.find(Locator::Id("bulk-action")).await.unwrap().select_by_value("assign:chat").await.unwrap();
    c.find(Locator::Css("#users-bulk button[type=submit]")).await.unwrap().click().await.unwrap();
    eventually("the bulk summary", || {
        let c = c.clone();
        async move {
            match c.find(Locator::Css(".bulk-notice")).await {
                Ok(e) => e.text().await.unwrap_or_default().contains("Assigned Live chat to 2 users."),
                Err(_) => false,
            }
        }
    })
    .await;
    check_page(&c, &format!("{prefix}-users-bulk-done")).await;

    // Dora cannot have a seat: the summary names her with the reason.
    c.find(Locator::Css(&format!("input[name='ids'][value='{dora}']"))).await.unwrap().click().await.unwrap();
    c.find(Locator::Id("bulk-action")).await.unwrap().select_by_value("assign:chat").await.unwrap();
    c.find(Locator::Css("#users-bulk button[type=submit]")).await.unwrap().click().await.unwrap();
    eventually("the refusal in the summary", || {
        let c = c.clone();
        async move {
            match c.find(Locator::Css(".bulk-notice .bulk-refused")).await {
                Ok(e) => e.text().await.unwrap_or_default().contains("Dora Eliot: no free Live chat seat"),
                Err(_) => false,
            }
        }
    })
    .await;
    let summary = c.find(Locator::Css(".bulk-notice")).await.unwrap().text().await.unwrap();
    assert!(summary.contains("Assigned Live chat to no users."), "{summary}");
    check_page(&c, &format!("{prefix}-users-bulk-refused")).await;

    // Select all ticks every row on the page.
    c.find(Locator::Css("[data-select-all]")).await.unwrap().click().await.unwrap();
    let ticked = c
        .execute(
            "return Array.from(document.querySelectorAll('input[name=ids]')).every(function (b) { return b.checked; })",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(ticked, json!(true));
}
