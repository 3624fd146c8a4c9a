//! The webhook pages over plain HTTP, as a browser posts them: Members are refused every one;
//! another account's endpoint answers 404 on every route (GET and each POST action); bad input
//! answers the form again with the error next to its field; and the delivery log pages by 50,
//! newest first, keeping its status filter. Each refusal is checked to have changed nothing.

use crate::db_tests;
use crate::helpers::*;
use crate::webhooks::{Receiver, app_allowing_loopback, create, log, wait_settled};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

db_tests!(
    members_are_refused_every_webhook_page,
    another_accounts_endpoint_is_not_found_on_every_webhook_page,
    bad_input_answers_the_webhook_form_again_with_the_error,
    the_delivery_log_pages_by_fifty_keeping_the_status_filter,
);

/// An Administrator's endpoint pointing at `receiver`, with one settled test delivery; answers
/// the endpoint's id and the delivery's. It hears of deleted users only: inviting a Member sends it nothing.
async fn endpoint_with_a_delivery(app: &TestApp, admin: &Admin, receiver: &Receiver) -> (String, String) {
    let t = admin.token.as_str();
    let body =
        json!({"url": format!("{}/hooks", receiver.url), "description": "CRM sync", "event_types": ["user.deleted"]});
    let (id, _) = create(app, t, body).await;
    let (status, _) = app.call(Method::POST, &format!("/api/v1/webhooks/{id}/test"), Some(t), None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let delivery = wait_settled(app, t, &id, 1).await.remove(0);
    (id, delivery["id"].as_str().unwrap().to_owned())
}

/// Every POST action of the endpoint's pages, with a valid form.
fn actions(id: &str, delivery: &str, url: &str) -> Vec<(String, Vec<(&'static str, String)>)> {
    let p = format!("/account/webhooks/{id}");
    vec![
        (p.clone(), vec![("url", format!("{url}/taken")), ("description", "Taken over".to_owned())]),
        (format!("{p}/enabled"), vec![("enabled", "false".to_owned())]),
        (format!("{p}/rotate"), vec![]),
        (format!("{p}/test"), vec![]),
        (format!("{p}/deliveries/{delivery}/retry"), vec![]),
        (format!("{p}/delete"), vec![]),
    ]
}

async fn post(app: &TestApp, path: &str, cookies: &str, fields: &[(&'static str, String)]) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post_page(app, path, cookies, &fields).await
}

/// What the API says of the endpoint, its log and its secret rotations: all must stay as they were.
async fn snapshot(app: &TestApp, admin: &Admin, id: &str) -> (Value, Value, Value) {
    let t = admin.token.as_str();
    let (status, endpoint) = app.call(Method::GET, &format!("/api/v1/webhooks/{id}"), Some(t), None).await;
    assert_eq!(status, StatusCode::OK, "{endpoint}");
    let deliveries = log(app, t, id, "").await["data"].clone();
    let (_, rotations) =
        app.call(Method::GET, "/api/v1/audit-events?action=webhook.secret_rotated", Some(t), None).await;
    (endpoint, deliveries, rotations["data"].clone())
}

async fn members_are_refused_every_webhook_page(b: Backend) {
    let receiver = Receiver::start().await;
    let app = app_allowing_loopback(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (id, delivery) = endpoint_with_a_delivery(&app, &admin, &receiver).await;
    app.invite_and_activate(&admin, "mia@example.com", "Mia Member", "member").await;
    let member = session_cookie(&page_sign_in(&app, "mia@example.com", "another good passphrase").await);
    let before = snapshot(&app, &admin, &id).await;

    for path in [
        "/account/webhooks".to_owned(),
        format!("/account/webhooks/{id}"),
        format!("/account/webhooks/{id}?status=failed"),
    ] {
        let res = get_page(&app, &path, &member).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("You do not have access to this page"), "{path}: {html}");
        assert!(!html.contains(&receiver.url) && !html.contains("CRM sync"), "{path}: nothing of the endpoint shows");
    }
    let res = post(&app, "/account/webhooks", &member, &[("url", format!("{}/mine", receiver.url))]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "adding an endpoint");
    for (path, fields) in actions(&id, &delivery, &receiver.url) {
        let res = post(&app, &path, &member, &fields).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(res.text().await.unwrap().contains("You do not have access to this page"), "{path}");
    }

    assert_eq!(snapshot(&app, &admin, &id).await, before, "nothing changed");
    let (_, list) = app.call(Method::GET, "/api/v1/webhooks", Some(&admin.token), None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "nothing added or deleted: {list}");
    assert_eq!(receiver.hits().len(), 1, "no test event and no retry went out");
}

async fn another_accounts_endpoint_is_not_found_on_every_webhook_page(b: Backend) {
    let receiver = Receiver::start().await;
    let app = app_allowing_loopback(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (id, delivery) = endpoint_with_a_delivery(&app, &admin, &receiver).await;
    let olga = app.signup("Other", "olga@example.com").await;
    let (own, _) = create(&app, &olga.token, json!({"url": format!("{}/olga", receiver.url)})).await;
    let cookies = session_cookie(&page_sign_in(&app, "olga@example.com", "correct horse battery").await);
    let before = snapshot(&app, &admin, &id).await;

    let res = get_page(&app, &format!("/account/webhooks/{id}"), &cookies).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found") && !html.contains("CRM sync") && !html.contains("/hooks"), "{html}");
    for (path, fields) in actions(&id, &delivery, &receiver.url) {
        let res = post(&app, &path, &cookies, &fields).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(res.text().await.unwrap().contains("Page not found"), "{path}");
    }
    // Acme's delivery through Olga's own endpoint, an unknown delivery, and ids that are not ids.
    let missing = "whk_0123456789abcdef01234567";
    for path in [
        format!("/account/webhooks/{own}/deliveries/{delivery}/retry"),
        format!("/account/webhooks/{own}/deliveries/whd_nope/retry"),
        format!("/account/webhooks/{missing}/test"),
        "/account/webhooks/nope/test".to_owned(),
    ] {
        assert_eq!(post_page(&app, &path, &cookies, &[]).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    for path in [format!("/account/webhooks/{missing}"), "/account/webhooks/nope".to_owned()] {
        assert_eq!(get_page(&app, &path, &cookies).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let list = get_page(&app, "/account/webhooks", &cookies).await.text().await.unwrap();
    assert!(list.contains(&own) && !list.contains(&id), "Olga's list shows her endpoint only");

    assert_eq!(snapshot(&app, &admin, &id).await, before, "nothing changed");
    assert_eq!(receiver.hits().len(), 1, "no test event and no retry went out");
}

/// The HTML from `id="{id}"` to the end of its line (a whole field: inputs are rendered on one line).
fn field_html<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[at..];
    &rest[..rest.find('\n').unwrap_or(rest.len())]
}

/// The error list of the field `name`.
fn error_html<'a>(html: &'a str, name: &str) -> &'a str {
    let at = html.find(&format!("id=\"{name}-error\"")).unwrap_or_else(|| panic!("no #{name}-error in {html}"));
    let rest = &html[at..];
    &rest[..rest.find("</ul>").unwrap_or(rest.len())]
}

async fn bad_input_answers_the_webhook_form_again_with_the_error(b: Backend) {
    let receiver = Receiver::start().await;
    let app = app_allowing_loopback(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (id, _) = endpoint_with_a_delivery(&app, &admin, &receiver).await;
    let cookies = session_cookie(&page_sign_in(&app, "ana@example.com", "correct horse battery").await);
    let before = snapshot(&app, &admin, &id).await;
    let page = format!("/account/webhooks/{id}");

    // Not a URL: 422, the error next to the field, everything typed kept.
    let res = post_page(
        &app,
        &page,
        &cookies,
        &[("url", "not a url"), ("description", "Billing"), ("event_types", "user.deleted")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(error_html(&html, "url").contains("URL must be an absolute URL"), "{html}");
    assert!(field_html(&html, "url").contains("value=\"not a url\""), "the URL typed is kept");
    assert!(field_html(&html, "url").contains("aria-invalid=\"true\""), "{}", field_html(&html, "url"));
    assert!(html.contains(">Billing</textarea>"), "the description typed is kept");
    assert!(field_html(&html, "event-user-deleted").contains("checked"), "the events ticked stay ticked");
    assert!(!field_html(&html, "event-user-invited").contains("checked"), "…and only those");
    assert!(html.contains("Some fields need your attention."));

    // An event type that does not exist.
    let res =
        post_page(&app, &page, &cookies, &[("url", &format!("{}/hooks", receiver.url)), ("event_types", "user.nope")])
            .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(error_html(&html, "event_types").contains("Events "), "{html}");

    // Neither on nor off.
    let res = post_page(&app, &format!("{page}/enabled"), &cookies, &[("enabled", "maybe")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("enabled: must be true or false"));

    // A new endpoint with a bad URL: the list page again with the error; nothing added.
    let res =
        post_page(&app, "/account/webhooks", &cookies, &[("url", "ftp://example.com/x"), ("description", "Ftp")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        error_html(&html, "url").contains("URL ") && field_html(&html, "url").contains("value=\"ftp://example.com/x\""),
        "{html}"
    );

    // The log: a cursor this page did not issue is refused; an unknown status shows every delivery.
    let res = get_page(&app, &format!("{page}?cursor=not-a-cursor"), &cookies).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("cursor"));
    let res = get_page(&app, &format!("{page}?status=lost"), &cookies).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap().matches("<tr id=\"delivery-").count(), 1);

    assert_eq!(snapshot(&app, &admin, &id).await, before, "nothing changed");
    let (_, list) = app.call(Method::GET, "/api/v1/webhooks", Some(&admin.token), None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "nothing added: {list}");
}

/// The delivery ids on a page of the log, top to bottom.
fn delivery_ids(html: &str) -> Vec<String> {
    html.split("<tr id=\"delivery-").skip(1).map(|s| s.split('"').next().unwrap().to_owned()).collect()
}

/// The log's "Older deliveries" link, unescaped, without its fragment.
fn older_link(html: &str) -> Option<String> {
    let before = html.split("\" rel=\"next\"").next().filter(|b| b.len() < html.len())?;
    let href = before.rsplit("href=\"").next()?;
    Some(unescape(href).split('#').next()?.to_owned())
}

async fn the_delivery_log_pages_by_fifty_keeping_the_status_filter(b: Backend) {
    let receiver = Receiver::start().await;
    let app = app_allowing_loopback(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    let (id, _) = create(&app, t, json!({"url": format!("{}/hooks", receiver.url)})).await;
    for _ in 0..60 {
        let (status, _) = app.call(Method::POST, &format!("/api/v1/webhooks/{id}/test"), Some(t), None).await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let all: Vec<String> =
        wait_settled(&app, t, &id, 60).await.iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(all.len(), 60);
    let cookies = session_cookie(&page_sign_in(&app, "ana@example.com", "correct horse battery").await);
    let page = format!("/account/webhooks/{id}");

    for filter in ["", "?status=succeeded"] {
        let first = get_page(&app, &format!("{page}{filter}"), &cookies).await.text().await.unwrap();
        assert_eq!(delivery_ids(&first), all[..50], "{filter}: the newest 50 first");
        assert!(!first.contains("Newest deliveries"), "{filter}: the first page links to no first page");
        let older = older_link(&first).expect("an Older deliveries link");
        assert!(older.starts_with(&format!("{page}?")) && older.contains("cursor="), "{older}");
        assert_eq!(older.contains("status=succeeded"), !filter.is_empty(), "{filter}: the filter is kept: {older}");
        let second = get_page(&app, &older, &cookies).await.text().await.unwrap();
        assert_eq!(delivery_ids(&second), all[50..], "{filter}: the other 10, none twice");
        assert_eq!(older_link(&second), None, "{filter}: the last page");
        let newest = format!("href=\"{page}{filter}#deliveries-title\">← Newest deliveries");
        assert!(unescape(&second).contains(&newest), "{second}");
        assert!(
            second
                .contains(&format!("<option value=\"succeeded\"{}>", if filter.is_empty() { "" } else { " selected" }))
        );
    }
    let failed = get_page(&app, &format!("{page}?status=failed"), &cookies).await.text().await.unwrap();
    assert!(failed.contains("No failed deliveries.") && older_link(&failed).is_none(), "{failed}");
}
