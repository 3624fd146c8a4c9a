//! Account settings › CRM in a real headless Chromium: the empty state, an error next to its
//! field with what was typed kept (never the API key), connecting, "Test connection" against a
//! real HTTP server in the test and the status it shows, and disconnecting. Every page visited is
//! checked with `check_page`.

use crate::browser::{check_page, in_browser, notice, path_is, screenshot, screenshot_dir, sign_in};
use crate::crm::crm_server;
use crate::db_tests;
use crate::helpers::*;
use fantoccini::{Client, Locator};

db_tests!(connecting_and_testing_the_crm_in_a_real_browser);

const KEY: &str = "browser-crm-key-42";

async fn connecting_and_testing_the_crm_in_a_real_browser(b: Backend) {
    let (crm, hits) = crm_server(KEY).await;
    let app = spawn_app_with(b, |c| c.allow_private_targets = "127.0.0.1".to_owned()).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (url, email) = (app.url.clone(), admin.email.clone());
    in_browser(b, |c, prefix| scenario(c, url, email, format!("{crm}/crm"), prefix)).await;
    let seen = hits.lock().unwrap().clone();
    assert_eq!(seen, [("/crm".to_owned(), Some(format!("Bearer {KEY}")))], "the test reached the CRM with the key");
}

async fn value_of(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id)).await.unwrap().prop("value").await.unwrap().unwrap_or_default()
}

async fn scenario(c: Client, url: String, email: String, crm_url: String, prefix: &'static str) {
    sign_in(&c, &url, &email).await;
    c.goto(&format!("{url}/account/crm")).await.unwrap();
    let empty = c.wait().for_element(Locator::Id("crm-empty")).await.unwrap();
    assert!(empty.text().await.unwrap().contains("Connect your CRM"));
    check_page(&c, &format!("{prefix}-crm-empty")).await;

    // Generic without a base URL: the error is next to the field, the mapping kept, the key not.
    c.find(Locator::Id("provider")).await.unwrap().select_by_value("generic").await.unwrap();
    c.find(Locator::Id("api_key")).await.unwrap().send_keys(KEY).await.unwrap();
    c.find(Locator::Id("field_mapping.email")).await.unwrap().send_keys("Email").await.unwrap();
    let submit = Locator::Css("form[action='/account/crm'] button[type=submit]");
    c.find(submit).await.unwrap().click().await.unwrap();
    let error = c.wait().for_element(Locator::Id("base_url-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("required for the generic provider"));
    assert_eq!(value_of(&c, "field_mapping.email").await, "Email", "what was typed is kept");
    assert_eq!(value_of(&c, "provider").await, "generic");
    assert_eq!(value_of(&c, "api_key").await, "", "the key is never put back");
    assert!(!c.source().await.unwrap().contains(KEY));
    check_page(&c, &format!("{prefix}-crm-error")).await;
    c.execute("document.getElementById('base_url').scrollIntoView({block: 'start'})", vec![]).await.unwrap();
    screenshot(&c, &screenshot_dir(), &format!("{prefix}-crm-error-fields.png")).await;

    // Connect.
    c.find(Locator::Id("base_url")).await.unwrap().send_keys(&crm_url).await.unwrap();
    c.find(Locator::Id("api_key")).await.unwrap().send_keys(KEY).await.unwrap();
    c.find(submit).await.unwrap().click().await.unwrap();
    notice(&c, "The CRM connection has been saved").await;
    path_is(&c, "/account/crm").await;
    assert_eq!(c.find(Locator::Id("crm-status")).await.unwrap().text().await.unwrap(), "Not tested");
    assert!(c.source().await.unwrap().contains("A key is saved; leave empty to keep it"));
    assert!(!c.source().await.unwrap().contains(KEY), "the key is in no page");
    assert_eq!(value_of(&c, "base_url").await, crm_url);
    assert_eq!(value_of(&c, "field_mapping.email").await, "Email");
    check_page(&c, &format!("{prefix}-crm-saved")).await;

    // Test the connection against the server of the test.
    c.find(Locator::Id("crm-test")).await.unwrap().click().await.unwrap();
    let result = c.wait().for_element(Locator::Id("crm-test-result")).await.unwrap();
    assert!(result.text().await.unwrap().contains("The connection works: the CRM answered HTTP 200"));
    assert_eq!(c.find(Locator::Id("crm-status")).await.unwrap().text().await.unwrap(), "Connected");
    check_page(&c, &format!("{prefix}-crm-connected")).await;

    // Disconnect, confirmed.
    c.find(Locator::Css("#crm-disconnect summary")).await.unwrap().click().await.unwrap();
    c.find(Locator::Css("form[action='/account/crm/disconnect'] button")).await.unwrap().click().await.unwrap();
    notice(&c, "disconnected").await;
    c.wait().for_element(Locator::Id("crm-empty")).await.unwrap();
    check_page(&c, &format!("{prefix}-crm-disconnected")).await;
}
