//! Account settings › API & Webhooks › Webhooks in a real headless Chromium: an Administrator
//! adds an endpoint pointing at a real receiver (an error next to the URL first, the typed
//! description kept), sees its signing secret once, sends a test event and sees it `succeeded`
//! in the delivery log, with the receiver's answer. Every page visited is checked with `check_page`.

use crate::browser::{check_page, current_section, in_browser, path_is, screenshot, screenshot_dir, sign_in};
use crate::db_tests;
use crate::helpers::*;
use crate::webhooks::{Receiver, app_allowing_loopback};
use fantoccini::{Client, Locator};
use std::time::Duration;

db_tests!(an_administrator_adds_a_webhook_and_sees_a_test_event_delivered_in_a_real_browser);

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
    let notice = c.wait().for_element(Locator::Css(".alert-success")).await.unwrap();
    assert!(notice.text().await.unwrap().contains("A test event has been queued"));

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
