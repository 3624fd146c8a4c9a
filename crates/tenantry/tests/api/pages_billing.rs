//! The billing pages over plain HTTP, as a browser posts them: Members are refused every one;
//! another account's invoice and payment method are 404 on every route; cross-site posts are
//! refused; bad input answers the form again with the error next to its field and the value as
//! typed; and a card number in any field of the payment-method form is refused, never echoed,
//! never logged, and nothing is stored. Each refusal is checked to have changed nothing.

use crate::billing_payments::capture_logs;
use crate::db_tests;
use crate::helpers::*;
use crate::licenses::{OPERATOR_TOKEN, license, set_subscription};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

db_tests!(
    members_are_refused_every_billing_page,
    another_accounts_invoice_and_payment_method_are_not_found_on_every_billing_route,
    cross_site_posts_to_billing_pages_are_refused,
    bad_input_answers_the_billing_forms_again_with_the_error_and_the_value,
    a_card_number_in_any_payment_method_field_is_refused_and_nothing_is_stored,
);

const CARD: &str = "4111 1111 1111 1111";

/// Whether `text` holds the test card's digits in any of the ways it was sent (a bare "4111" may
/// be part of a random id).
fn holds_card(text: &str) -> bool {
    ["4111 1111 1111 1111", "4111111111111111", "4111+1111+1111+1111", "4111-1111-1111-1111", "4111%201111"]
        .iter()
        .any(|c| text.contains(c))
}

async fn spawn(b: Backend) -> TestApp {
    spawn_app_with(b, |c| c.operator_token = Some(OPERATOR_TOKEN.to_owned().into())).await
}

/// An invoice for the account, made by the operator; answers its id.
async fn invoice(app: &TestApp, account_id: &str) -> String {
    let body = json!({"currency": "EUR", "lines": [{"description": "Live chat seats", "quantity": 3, "unit_amount": 1500}], "tax_rate_percent": 19});
    let path = format!("/api/v1/operator/accounts/{account_id}/invoices");
    let (status, invoice) = app.call(Method::POST, &path, Some(OPERATOR_TOKEN), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{invoice}");
    invoice["id"].as_str().unwrap().to_owned()
}

/// A payment method added through the API; answers its id.
async fn payment_method(app: &TestApp, token: &str, provider_token: &str) -> String {
    let body =
        json!({"provider_token": provider_token, "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030});
    let (status, m) = app.call(Method::POST, "/api/v1/billing/payment-methods", Some(token), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    m["id"].as_str().unwrap().to_owned()
}

/// What the API says of the account's billing: all must stay as it was after a refusal.
async fn snapshot(app: &TestApp, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        "/api/v1/billing/sms",
        "/api/v1/billing/payment-methods",
        "/api/v1/billing/notifications",
        "/api/v1/billing/invoices",
    ] {
        let (status, body) = app.call(Method::GET, path, Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        out.push(body);
    }
    out
}

/// Every POST of the billing pages, with a valid form, for the payment method `pm`.
fn posts(pm: &str, admin_id: &str) -> Vec<(String, Vec<(&'static str, String)>)> {
    vec![
        ("/account/billing/sms".to_owned(), vec![("low_balance_threshold", "7".to_owned())]),
        (
            "/account/billing/payment-methods".to_owned(),
            vec![
                ("provider_token", "pm_new".to_owned()),
                ("brand", "visa".to_owned()),
                ("last4", "1234".to_owned()),
                ("exp_month", "1".to_owned()),
                ("exp_year", "2031".to_owned()),
            ],
        ),
        (format!("/account/billing/payment-methods/{pm}/default"), vec![]),
        (format!("/account/billing/payment-methods/{pm}/delete"), vec![]),
        ("/account/billing/notifications".to_owned(), vec![("user_id", admin_id.to_owned())]),
    ]
}

async fn post(app: &TestApp, path: &str, cookies: &str, fields: &[(&'static str, String)]) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post_page(app, path, cookies, &fields).await
}

async fn members_are_refused_every_billing_page(b: Backend) {
    let app = spawn(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let inv = invoice(&app, &admin.account_id).await;
    let pm = payment_method(&app, &admin.token, "pm_first").await;
    app.invite_and_activate(&admin, "mia@example.com", "Mia Member", "member").await;
    let member = session_cookie(&page_sign_in(&app, "mia@example.com", "another good passphrase").await);
    let before = snapshot(&app, &admin.token).await;

    for path in [
        "/account/billing".to_owned(),
        "/account/billing/sms".to_owned(),
        "/account/billing/sms/log.csv".to_owned(),
        "/account/billing/payment-methods".to_owned(),
        "/account/billing/notifications".to_owned(),
        "/account/billing/invoices".to_owned(),
        format!("/account/billing/invoices/{inv}"),
        format!("/account/billing/invoices/{inv}/pdf"),
    ] {
        let res = get_page(&app, &path, &member).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("You do not have access to this page"), "{path}: {html}");
        assert!(!html.contains("TNT-000001") && !html.contains("4242"), "{path}: nothing of billing shows");
    }
    for (path, fields) in posts(&pm, &admin.user_id) {
        let res = post(&app, &path, &member, &fields).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(snapshot(&app, &admin.token).await, before, "nothing changed");
    // The Member sees no Billing entry anywhere (no Account settings navigation at all).
    let html = get_page(&app, "/me", &member).await.text().await.unwrap();
    assert!(!html.contains("/account/billing"), "{html}");
}

async fn another_accounts_invoice_and_payment_method_are_not_found_on_every_billing_route(b: Backend) {
    let app = spawn(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let inv = invoice(&app, &admin.account_id).await;
    let pm = payment_method(&app, &admin.token, "pm_acme").await;
    let olga = app.signup("Other", "olga@example.com").await;
    let own_pm = payment_method(&app, &olga.token, "pm_olga").await;
    let cookies = session_cookie(&page_sign_in(&app, "olga@example.com", "correct horse battery").await);
    let before = snapshot(&app, &admin.token).await;

    for path in [format!("/account/billing/invoices/{inv}"), format!("/account/billing/invoices/{inv}/pdf")] {
        let res = get_page(&app, &path, &cookies).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("Page not found") && !html.contains("Live chat seats"), "{path}: {html}");
    }
    for path in [
        format!("/account/billing/payment-methods/{pm}/default"),
        format!("/account/billing/payment-methods/{pm}/delete"),
    ] {
        let res = post_page(&app, &path, &cookies, &[]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(res.text().await.unwrap().contains("Page not found"), "{path}");
    }
    // Unknown ids, and ids that are not ids.
    for path in ["/account/billing/invoices/inv_0123456789abcdef01234567", "/account/billing/invoices/nope/pdf"] {
        assert_eq!(get_page(&app, path, &cookies).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let path = "/account/billing/payment-methods/nope/delete";
    assert_eq!(post_page(&app, path, &cookies, &[]).await.status(), StatusCode::NOT_FOUND);
    // Olga's lists show her own only.
    let list = get_page(&app, "/account/billing/invoices", &cookies).await.text().await.unwrap();
    assert!(!list.contains(&inv) && list.contains("No invoices yet"), "{list}");
    let list = get_page(&app, "/account/billing/payment-methods", &cookies).await.text().await.unwrap();
    assert!(list.contains(&own_pm) && !list.contains(&pm), "{list}");

    assert_eq!(snapshot(&app, &admin.token).await, before, "nothing changed");
}

async fn cross_site_posts_to_billing_pages_are_refused(b: Backend) {
    let app = spawn(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let pm = payment_method(&app, &admin.token, "pm_first").await;
    let cookie = page_sign_in(&app, "ana@example.com", "correct horse battery").await;
    let before = snapshot(&app, &admin.token).await;
    for (path, fields) in posts(&pm, &admin.user_id) {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        let res = app
            .client
            .post(format!("{}{path}", app.url))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::COOKIE, session_cookie(&cookie))
            .header("sec-fetch-site", "cross-site")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(res.text().await.unwrap().contains("sent from another site"), "{path}");
    }
    assert_eq!(snapshot(&app, &admin.token).await, before, "nothing changed");
}

/// The error list of the field `name`.
fn error_html<'a>(html: &'a str, name: &str) -> &'a str {
    let at = html.find(&format!("id=\"{name}-error\"")).unwrap_or_else(|| panic!("no #{name}-error in {html}"));
    let rest = &html[at..];
    &rest[..rest.find("</ul>").unwrap_or(rest.len())]
}

/// The `<input>` of the field `id`.
fn input_html<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[at..];
    &rest[..rest.find('>').unwrap_or(rest.len())]
}

async fn bad_input_answers_the_billing_forms_again_with_the_error_and_the_value(b: Backend) {
    let app = spawn(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let cookies = session_cookie(&page_sign_in(&app, "ana@example.com", "correct horse battery").await);
    let (member, _) = app.invite_and_activate(&admin, "mia@example.com", "Mia Member", "member").await;
    let before = snapshot(&app, &admin.token).await;

    // The threshold: not a number, then out of range.
    for (typed, says) in [("lots", "must be a whole number"), ("-5", "must be from 0 to")] {
        let res = post_page(&app, "/account/billing/sms", &cookies, &[("low_balance_threshold", typed)]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        let html = res.text().await.unwrap();
        assert!(error_html(&html, "low_balance_threshold").contains(says), "{typed}: {html}");
        assert!(input_html(&html, "low_balance_threshold").contains(&format!("value=\"{typed}\"")), "{typed} kept");
    }

    // A payment method with a short last4 and a bad month: both named, everything typed kept.
    let fields = [
        ("provider_token", "pm_typed"),
        ("brand", "mastercard"),
        ("last4", "12"),
        ("exp_month", "13"),
        ("exp_year", "2031"),
        ("make_default", "on"),
    ];
    let res = post_page(&app, "/account/billing/payment-methods", &cookies, &fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(error_html(&html, "last4").contains("last 4 digits"), "{html}");
    assert!(error_html(&html, "exp_month").contains("from 1 to 12"), "{html}");
    for (id, value) in [("provider_token", "pm_typed"), ("last4", "12"), ("exp_month", "13"), ("exp_year", "2031")] {
        assert!(input_html(&html, id).contains(&format!("value=\"{value}\"")), "{id} kept: {html}");
    }
    assert!(html.contains("<option value=\"mastercard\" selected>"), "the brand stays chosen");
    assert!(input_html(&html, "make_default").contains("checked"), "the box stays ticked");

    // Notifications: a Member is no Administrator (422, named); a paid subscription needs
    // someone who gets payment failures (409); the boxes stay as ticked.
    let res =
        post_page(&app, "/account/billing/notifications", &cookies, &[("user_id", &member), ("invoices", &member)])
            .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("must be an Administrator of this account"), "{html}");
    assert_eq!(snapshot(&app, &admin.token).await, before, "nothing changed");

    let (status, _) = license(&app, &admin.token, Method::PUT, &admin.user_id, "chat").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) =
        set_subscription(&app, &admin.account_id, json!({"plan": "team", "status": "paid", "seats": {"chat": 8}}))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, saved) = app.call(Method::GET, "/api/v1/billing/notifications", Some(&admin.token), None).await;
    let me = admin.user_id.as_str();
    let res = post_page(
        &app,
        "/account/billing/notifications",
        &cookies,
        &[("user_id", me), ("invoices", me), ("license_changes", me)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.unwrap();
    assert!(html.contains("at least one Administrator must receive payment failures"), "{html}");
    let boxes = |kind: &str| input_html(&html, &format!("{kind}-{me}")).contains("checked");
    assert!(boxes("invoices") && boxes("license_changes") && !boxes("payment_failures") && !boxes("low_sms_credits"));
    let (_, after) = app.call(Method::GET, "/api/v1/billing/notifications", Some(&admin.token), None).await;
    assert_eq!(after, saved, "nothing saved");
}

async fn a_card_number_in_any_payment_method_field_is_refused_and_nothing_is_stored(b: Backend) {
    let logs = capture_logs();
    let app = spawn(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let cookies = session_cookie(&page_sign_in(&app, "ana@example.com", "correct horse battery").await);
    let valid = [
        ("provider_token", "pm_ok"),
        ("brand", "visa"),
        ("last4", "4242"),
        ("exp_month", "12"),
        ("exp_year", "2030"),
        ("make_default", "on"),
    ];
    for field in ["provider_token", "brand", "last4", "exp_month", "exp_year", "make_default", "note"] {
        let mut fields: Vec<(&str, &str)> = valid.iter().filter(|(k, _)| *k != field).copied().collect();
        fields.push((field, CARD));
        let res = post_page(&app, "/account/billing/payment-methods", &cookies, &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let html = res.text().await.unwrap();
        assert!(!holds_card(&html), "{field}: echoed");
        if field == "note" {
            assert!(html.contains("looks like a payment card number"), "{html}");
        } else {
            assert!(error_html(&html, field).contains("looks like a payment card number"), "{field}: {html}");
        }
        if field != "provider_token" {
            assert!(input_html(&html, "provider_token").contains("value=\"pm_ok\""), "{field}: other fields kept");
        }
    }
    // As a field's name, and in dashes.
    let res = post_page(&app, "/account/billing/payment-methods", &cookies, &[(CARD, "x"), ("brand", "visa")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!holds_card(&res.text().await.unwrap()));
    let dashed = [("provider_token", "4111-1111-1111-1111"), ("brand", "visa")];
    let res = post_page(&app, "/account/billing/payment-methods", &cookies, &dashed).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let (_, list) = app.call(Method::GET, "/api/v1/billing/payment-methods", Some(&admin.token), None).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0), "nothing stored: {list}");
    let (_, audit) = app
        .call(Method::GET, "/api/v1/audit-events?action=billing.payment_method_added", Some(&admin.token), None)
        .await;
    assert_eq!(audit["data"].as_array().map(Vec::len), Some(0), "{audit}");
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    let leaked: Vec<&str> = logged.lines().filter(|l| holds_card(l)).collect();
    assert!(leaked.is_empty(), "the card number reached a log line: {leaked:?}");
    // The valid form is taken.
    let res = post_page(&app, "/account/billing/payment-methods", &cookies, &valid).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}
