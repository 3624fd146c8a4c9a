//! Account settings › API & Webhooks › Webhooks in a real headless Chromium: an Administrator
//! adds an endpoint pointing at a real receiver (an error next to the URL first, the typed
//! description kept), sees its signing secret once, sends a test event and sees it `succeeded`
//! in the delivery log, with the receiver's answer. Then, on one endpoint's page: edits it (an
//! error next to the URL first, what was typed kept), disables and enables it, rotates its secret
//! (the new one shown once; both sign for 24 hours), retries a failed delivery from the log,
//! filters the log by status and deletes the endpoint after its confirmation. Every page visited
//! is checked with `check_page`.

use crate::browser::{
    check_page, current_section, eventually, in_browser, notice, path_is, screenshot, screenshot_dir, sign_in,
    type_into, value_of,
};
use crate::db_tests;
use crate::helpers::*;
use crate::webhooks::{Receiver, app_allowing_loopback, create};
use fantoccini::{Client, Locator};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

db_tests!(
    an_administrator_adds_a_webhook_and_sees_a_test_event_delivered_in_a_real_browser,
    an_administrator_edits_rotates_retries_and_deletes_a_webhook_in_a_real_browser,
);

async fn an_administrator_adds_a_webhook_and_sees_a_test_event_delivered_in_a_real_browser(b: Backend) {
    let receiver = Receiver::start().await;
    let app = app_allowing_loopback(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let target = format!("{}/hooks", receiver.url);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (url, email, to) = (app.url.clone(), admin.email.clone(), target.clone());
    in_browser(b, move |c, prefix| async move {
        tx.send(webhooks_scenario(c, url, email, to, prefix).await).ok();
    })
    .await;
    let secret = rx.await.unwrap();
    // The receiver got the test event, signed with the secret the page showed.
    let hit = receiver.wait_for(1).await.remove(0);
    assert_eq!(hit.path, "/hooks");
    let wh = standardwebhooks::Webhook::new(&secret).unwrap();
    wh.verify(&hit.body, &hit.headers).unwrap();
    let body: serde_json::Value = serde_json::from_slice(&hit.body).unwrap();
    assert_eq!(body["type"], "webhook.test", "{body}");
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

async fn submit(c: &Client) {
    c.find(Locator::Css("form[action='/account/webhooks'] button[type=submit]")).await.unwrap().click().await.unwrap();
}

async fn webhooks_scenario(c: Client, url: String, email: String, target: String, prefix: &'static str) -> String {
    sign_in(&c, &url, &email).await;
    c.goto(&format!("{url}/account/api-keys")).await.unwrap();
    c.find(Locator::Css("nav.tabs a[href='/account/webhooks']")).await.unwrap().click().await.unwrap();
    path_is(&c, "/account/webhooks").await;
    assert_eq!(current_section(&c).await, "API & Webhooks");
    assert_eq!(text(&c, "nav.tabs [aria-current=page]").await, "Webhooks");
    assert!(text(&c, "#no-endpoints").await.contains("No webhook endpoints yet"));
    check_page(&c, &format!("{prefix}-webhooks-empty")).await;

    // Not a URL: the error is next to it, and what was typed is kept.
    c.find(Locator::Id("url")).await.unwrap().send_keys("not a url").await.unwrap();
    c.find(Locator::Id("description")).await.unwrap().send_keys("CRM sync").await.unwrap();
    submit(&c).await;
    let error = c.wait().for_element(Locator::Id("url-error")).await.unwrap();
    let error = error.text().await.unwrap();
    assert!(error.contains("URL must be an absolute URL"), "{error}");
    let kept = c.find(Locator::Id("url")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("not a url"));
    let kept = c.find(Locator::Id("description")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("CRM sync"));
    check_page(&c, &format!("{prefix}-webhooks-error")).await;

    // The receiver's URL and one event: the secret is shown once, with a copy button.
    let field = c.find(Locator::Id("url")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(&target).await.unwrap();
    c.find(Locator::Id("event-user-invited")).await.unwrap().click().await.unwrap();
    submit(&c).await;
    let shown = c.wait().for_element(Locator::Id("new-webhook-secret")).await.unwrap();
    let secret = shown.prop("value").await.unwrap().unwrap_or_default();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let copy = c.find(Locator::Css("button[data-copy='new-webhook-secret']")).await.unwrap();
    assert!(copy.is_displayed().await.unwrap(), "the copy button shows once scripts run");
    assert!(text(&c, "#secret-warning").await.contains("It will not be shown again"));
    let rows = text(&c, "#endpoint-rows").await;
    assert!(rows.contains(&target) && rows.contains("CRM sync") && rows.contains("user.invited"), "{rows}");
    assert!(rows.contains("Enabled") && !rows.contains(&secret), "{rows}");
    check_page(&c, &format!("{prefix}-webhooks-created")).await;
    screenshot(&c, &screenshot_dir(), &format!("{prefix}-webhooks-created.png")).await;

    // Seen once: loading the page again does not show it.
    c.goto(&format!("{url}/account/webhooks")).await.unwrap();
    assert!(!c.source().await.unwrap().contains(&secret), "the secret is not shown again");

    // The endpoint's page: no deliveries yet; send a test event.
    c.find(Locator::Css("#endpoint-rows a")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Id("send-test")).await.unwrap();
    let page = c.current_url().await.unwrap();
    assert!(page.path().starts_with("/account/webhooks/whk_"), "{page}");
    assert_eq!(current_section(&c).await, "API & Webhooks");
    assert!(text(&c, "#no-deliveries").await.contains("No deliveries yet"));
    let checked = c.find(Locator::Id("event-user-invited")).await.unwrap().prop("checked").await.unwrap();
    assert_eq!(checked.as_deref(), Some("true"), "the form shows the endpoint's events");
    check_page(&c, &format!("{prefix}-webhook-new")).await;
    c.find(Locator::Id("send-test")).await.unwrap().click().await.unwrap();
    notice(&c, "A test event has been queued").await;

    // Reload until the delivery succeeded (bounded).
    let mut status = String::new();
    for _ in 0..60 {
        c.goto(page.as_str()).await.unwrap();
        if let Ok(s) = c.find(Locator::Css("#delivery-rows .delivery-status")).await {
            status = s.text().await.unwrap();
            if status == "succeeded" {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(status, "succeeded", "the test event was delivered");
    let row = text(&c, "#delivery-rows tr").await;
    assert!(row.contains("webhook.test") && row.contains("HTTP 200"), "{row}");
    c.find(Locator::Css("#delivery-rows details.response > summary")).await.unwrap().click().await.unwrap();
    assert_eq!(text(&c, "#delivery-rows details.response pre").await, "received");
    let width = c.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap();
    assert!(width.as_u64().is_some_and(|w| w <= 1280), "the log scrolls sideways on a desktop: {width} px");
    check_page(&c, &format!("{prefix}-webhook-delivered")).await;
    screenshot(&c, &screenshot_dir(), &format!("{prefix}-webhook-delivered.png")).await;

    // The status filter: no failed deliveries; the succeeded one under "Succeeded".
    c.goto(&format!("{page}?status=failed")).await.unwrap();
    assert!(text(&c, "#no-deliveries").await.contains("No failed deliveries"));
    c.goto(&format!("{page}?status=succeeded")).await.unwrap();
    assert!(text(&c, "#delivery-rows").await.contains("webhook.test"));
    secret
}

async fn an_administrator_edits_rotates_retries_and_deletes_a_webhook_in_a_real_browser(b: Backend) {
    let receiver = Receiver::start().await;
    let app = app_allowing_loopback(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let body = json!({"url": format!("{}/hooks", receiver.url), "description": "CRM sync"});
    let (id, old_secret) = create(&app, &admin.token, body).await;
    // The first test event fails all three attempts; everything after succeeds.
    for _ in 0..3 {
        receiver.answer(500, vec![]);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (url, email, base, endpoint) = (app.url.clone(), admin.email.clone(), receiver.url.clone(), id.clone());
    in_browser(b, move |c, prefix| async move {
        tx.send(endpoint_scenario(c, url, email, base, endpoint, prefix).await).ok();
    })
    .await;
    let new_secret = rx.await.unwrap();

    // Every request went to the edited URL, signed by both secrets (the rotation came first).
    let hits = receiver.hits();
    assert_eq!(hits.len(), 5, "3 failed attempts, the retry, the second test event");
    for hit in &hits {
        assert_eq!(hit.path, "/billing");
        for secret in [&old_secret, &new_secret] {
            standardwebhooks::Webhook::new(secret).unwrap().verify(&hit.body, &hit.headers).unwrap();
        }
    }
    let (status, _) = app.call(Method::GET, &format!("/api/v1/webhooks/{id}"), Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "deleted");
}

/// Clicks the submit button of the form posted to `action`.
async fn submit_to(c: &Client, action: &str) {
    let css = format!("form[action='{action}'] button[type=submit]");
    c.find(Locator::Css(&css)).await.unwrap().click().await.unwrap();
}

/// Reloads `page` until the log's rows, top to bottom, have the statuses `expected` (bounded).
async fn log_shows(c: &Client, page: &str, expected: &[&str]) {
    let js = "return [...document.querySelectorAll('#delivery-rows .delivery-status')].map(s => s.textContent.trim())";
    let mut seen = serde_json::Value::Null;
    for _ in 0..60 {
        c.goto(page).await.unwrap();
        seen = c.execute(js, vec![]).await.unwrap();
        if seen == json!(expected) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the log shows {seen}, not {expected:?}");
}

async fn endpoint_scenario(
    c: Client, url: String, email: String, base: String, id: String, prefix: &'static str,
) -> String {
    let page = format!("{url}/account/webhooks/{id}");
    let action = format!("/account/webhooks/{id}");
    sign_in(&c, &url, &email).await;
    c.goto(&format!("{url}/account/webhooks")).await.unwrap();
    c.find(Locator::Css(&format!("#endpoint-{id} a"))).await.unwrap().click().await.unwrap();
    path_is(&c, &action).await;
    assert_eq!(text(&c, "#endpoint-status .badge").await, "Enabled");

    // Edit: a bad URL is shown next to the field, with everything typed kept.
    type_into(&c, "url", "example.com/billing").await;
    type_into(&c, "description", "Billing system").await;
    c.find(Locator::Id("event-user-deleted")).await.unwrap().click().await.unwrap();
    submit_to(&c, &format!("{action}#details-title")).await;
    let error = c.wait().for_element(Locator::Id("url-error")).await.unwrap().text().await.unwrap();
    assert!(error.contains("URL must be an absolute URL"), "{error}");
    assert_eq!(value_of(&c, "url").await, "example.com/billing");
    assert_eq!(value_of(&c, "description").await, "Billing system");
    let ticked = c.find(Locator::Id("event-user-deleted")).await.unwrap().prop("checked").await.unwrap();
    assert_eq!(ticked.as_deref(), Some("true"), "the event ticked stays ticked");
    let invalid = c.find(Locator::Id("url")).await.unwrap().attr("aria-invalid").await.unwrap();
    assert_eq!(invalid.as_deref(), Some("true"));
    assert!(text(&c, "h1").await.ends_with("/hooks"), "the heading is the saved URL, not the one typed");
    // The answer opens at the form (its action carries the fragment), not at the top of the page.
    let top =
        c.execute("return document.getElementById('url-error').getBoundingClientRect().top", vec![]).await.unwrap();
    assert!(top.as_f64().is_some_and(|t| (0.0..900.0).contains(&t)), "the error is out of sight at {top}");
    check_page(&c, &format!("{prefix}-webhook-edit-error")).await;

    // Corrected: saved, and the page shows the new URL, description and events.
    let target = format!("{base}/billing");
    type_into(&c, "url", &target).await;
    submit_to(&c, &format!("{action}#details-title")).await;
    notice(&c, &format!("The endpoint {target} has been saved.")).await;
    assert_eq!(text(&c, "h1").await, target);
    assert_eq!(value_of(&c, "description").await, "Billing system");
    let ticked = c.find(Locator::Id("event-user-deleted")).await.unwrap().prop("checked").await.unwrap();
    assert_eq!(ticked.as_deref(), Some("true"));

    // Disable, then enable again.
    c.find(Locator::Id("toggle-enabled")).await.unwrap().click().await.unwrap();
    notice(&c, "is disabled: it receives no events until you enable it").await;
    assert_eq!(text(&c, "#endpoint-status .badge").await, "Disabled");
    assert_eq!(text(&c, "#toggle-enabled").await, "Enable");
    check_page(&c, &format!("{prefix}-webhook-disabled")).await;
    c.find(Locator::Id("toggle-enabled")).await.unwrap().click().await.unwrap();
    notice(&c, "is enabled: it receives events again").await;
    assert_eq!(text(&c, "#endpoint-status .badge").await, "Enabled");
    assert_eq!(text(&c, "#toggle-enabled").await, "Disable");
    let list = format!("{url}/account/webhooks");
    c.goto(&list).await.unwrap();
    let row = text(&c, &format!("#endpoint-{id}")).await;
    assert!(row.contains(&target) && row.contains("Billing system") && row.contains("user.deleted"), "{row}");
    assert!(row.contains("Enabled"), "{row}");
    c.goto(&page).await.unwrap();

    // Rotate the secret, after its confirmation: the new one is shown once, the old one signs
    // for 24 more hours.
    c.find(Locator::Css("#secret details.confirm > summary")).await.unwrap().click().await.unwrap();
    let confirm = text(&c, "#secret .confirm-body").await;
    assert!(confirm.contains("The current one stops working in 24 hours"), "{confirm}");
    c.find(Locator::Id("rotate-secret")).await.unwrap().click().await.unwrap();
    let shown = c.wait().for_element(Locator::Id("new-webhook-secret")).await.unwrap();
    let secret = shown.prop("value").await.unwrap().unwrap_or_default();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert!(text(&c, ".alert-success").await.contains("The previous one keeps signing for 24 hours"));
    assert!(text(&c, "#secret-warning").await.contains("It will not be shown again"));
    check_page(&c, &format!("{prefix}-webhook-rotated")).await;
    c.goto(&page).await.unwrap();
    assert!(!c.source().await.unwrap().contains(&secret), "the secret is not shown again");

    // A test event that fails all its attempts; the next one succeeds.
    c.find(Locator::Id("send-test")).await.unwrap().click().await.unwrap();
    notice(&c, "A test event has been queued").await;
    log_shows(&c, &page, &["failed"]).await;
    let failed = c.find(Locator::Css("#delivery-rows tr")).await.unwrap().attr("id").await.unwrap().unwrap();
    let row = text(&c, &format!("#{failed}")).await;
    assert!(row.contains("HTTP 500") && row.contains("webhook.test"), "{row}");
    c.find(Locator::Id("send-test")).await.unwrap().click().await.unwrap();
    notice(&c, "A test event has been queued").await;
    log_shows(&c, &page, &["succeeded", "failed"]).await;

    // The status filter, from its form: only the failed one, then only the succeeded one.
    c.find(Locator::Id("status")).await.unwrap().select_by_value("failed").await.unwrap();
    c.find(Locator::Css("form.filter button[type=submit]")).await.unwrap().click().await.unwrap();
    eventually("the failed deliveries", || async {
        c.current_url().await.is_ok_and(|u| u.query() == Some("status=failed"))
    })
    .await;
    let rows = c.find_all(Locator::Css("#delivery-rows tr")).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].attr("id").await.unwrap().as_deref(), Some(failed.as_str()));
    let selected = c.find(Locator::Id("status")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(selected.as_deref(), Some("failed"), "the filter shows what it filters on");
    check_page(&c, &format!("{prefix}-webhook-log-failed")).await;
    c.goto(&format!("{page}?status=succeeded")).await.unwrap();
    let rows = c.find_all(Locator::Css("#delivery-rows tr")).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].attr("id").await.unwrap().as_deref(), Some(failed.as_str()));

    // Retry the failed delivery from the log: a fourth attempt, which succeeds.
    c.goto(&page).await.unwrap();
    c.find(Locator::Css(&format!("#{failed} button[type=submit]"))).await.unwrap().click().await.unwrap();
    notice(&c, "The delivery has been queued for another attempt").await;
    log_shows(&c, &page, &["succeeded", "succeeded"]).await;
    let row = text(&c, &format!("#{failed}")).await;
    assert!(row.contains("HTTP 200"), "{row}");
    let attempts = text(&c, &format!("#{failed} td[data-label=Attempts]")).await;
    assert_eq!(attempts, "4");
    check_page(&c, &format!("{prefix}-webhook-retried")).await;

    // Delete, after its confirmation.
    c.find(Locator::Css("#delete details.confirm > summary")).await.unwrap().click().await.unwrap();
    let confirm = text(&c, "#delete .confirm-body").await;
    assert!(confirm.contains("This cannot be undone"), "{confirm}");
    c.execute("document.querySelector('#delete .confirm-body').scrollIntoView({block: 'center'})", vec![])
        .await
        .unwrap();
    screenshot(&c, &screenshot_dir(), &format!("{prefix}-webhook-delete-confirm.png")).await;
    submit_to(&c, &format!("{action}/delete")).await;
    path_is(&c, "/account/webhooks").await;
    notice(&c, &format!("The endpoint {target} has been deleted.")).await;
    assert!(text(&c, "#no-endpoints").await.contains("No webhook endpoints yet"));
    check_page(&c, &format!("{prefix}-webhook-deleted")).await;
    c.goto(&page).await.unwrap();
    assert!(text(&c, "h1").await.contains("Page not found"));
    secret
}
