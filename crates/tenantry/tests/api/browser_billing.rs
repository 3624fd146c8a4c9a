//! Account settings › Billing in a real headless Chromium, walking every tab: Licenses (seats per
//! product, a link to assign them), SMS (the balance, a threshold refused then saved, the log
//! showing an SMS a product sent, its CSV), Payment methods (an error next to the field, two
//! added, the other made default, one deleted), Notifications (choices saved) and Invoices (one
//! made by the operator, its lines, and its PDF downloaded with the page session). Every page
//! visited is checked with `check_page`.

use crate::browser::{
    check_page, current_section, eventually, in_browser, notice, path_is, sign_in, type_into, value_of,
};
use crate::db_tests;
use crate::helpers::*;
use crate::licenses::OPERATOR_TOKEN;
use fantoccini::{Client, Locator};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

db_tests!(an_administrator_walks_every_billing_tab_in_a_real_browser);

async fn an_administrator_walks_every_billing_tab_in_a_real_browser(b: Backend) {
    let app = spawn_app_with(b, |c| c.operator_token = Some(OPERATOR_TOKEN.to_owned().into())).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (bruno, _) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Díaz", "administrator").await;
    let body = json!({"currency": "EUR", "lines": [{"description": "Live chat seats", "quantity": 12, "unit_amount": 1500},
        {"description": "Loyalty discount", "quantity": 1, "unit_amount": -500}], "tax_rate_percent": 19});
    let path = format!("/api/v1/operator/accounts/{}/invoices", admin.account_id);
    let (status, invoice) = app.call(Method::POST, &path, Some(OPERATOR_TOKEN), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{invoice}");
    let sms = json!({"to": "+14155550123", "body": "Your appointment is tomorrow at 10:00.", "purpose": "reminder"});
    let (status, sent) = app.call(Method::POST, "/api/v1/messages/sms", Some(&admin.token), Some(sms)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");

    let (url, email, invoice_id, bruno_id) =
        (app.url.clone(), admin.email.clone(), invoice["id"].as_str().unwrap().to_owned(), bruno.clone());
    in_browser(b, move |c, prefix| async move {
        billing_scenario(c, url, email, invoice_id, bruno_id, prefix).await;
    })
    .await;

    // What the pages saved, as the API reads it.
    let t = Some(admin.token.as_str());
    let (_, credits) = app.call(Method::GET, "/api/v1/billing/sms", t, None).await;
    assert_eq!(credits["low_balance_threshold"], 25);
    let (_, methods) = app.call(Method::GET, "/api/v1/billing/payment-methods", t, None).await;
    let methods = methods["data"].as_array().unwrap().clone();
    assert_eq!(methods.len(), 1, "{methods:?}");
    assert_eq!((&methods[0]["last4"], &methods[0]["is_default"]), (&json!("4444"), &json!(true)));
    let (_, notifications) = app.call(Method::GET, "/api/v1/billing/notifications", t, None).await;
    let of = |id: &str| -> Value {
        notifications["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["user_id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(of(&admin.user_id)["invoices"], true);
    assert_eq!(of(&bruno)["invoices"], false, "{notifications}");
    assert_eq!(of(&bruno)["payment_failures"], true, "{notifications}");
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

async fn submit_to(c: &Client, action: &str) {
    let css = format!("form[action='{action}'] button[type=submit]");
    c.find(Locator::Css(&css)).await.unwrap().click().await.unwrap();
}

async fn tab(c: &Client, href: &str, label: &str) {
    c.find(Locator::Css(&format!("nav.tabs a[href='{href}']"))).await.unwrap().click().await.unwrap();
    path_is(c, href).await;
    assert_eq!(current_section(c).await, "Billing");
    assert_eq!(text(c, "nav.tabs [aria-current=page]").await, label);
}

/// Fetches `path` with the browser's own session: (status, content type, the body's first bytes as text).
async fn fetch(c: &Client, path: &str) -> (u64, String, String) {
    let script = r#"const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(async r => {
            const bytes = new Uint8Array(await r.arrayBuffer());
            done([r.status, r.headers.get('content-type'), new TextDecoder('latin1').decode(bytes.slice(0, 400))]);
        }).catch(e => done([0, String(e), '']));"#;
    let got = c.execute_async(script, vec![json!(path)]).await.unwrap();
    (got[0].as_u64().unwrap_or(0), got[1].as_str().unwrap_or("").to_owned(), got[2].as_str().unwrap_or("").to_owned())
}

async fn billing_scenario(c: Client, url: String, email: String, invoice: String, bruno: String, prefix: &'static str) {
    sign_in(&c, &url, &email).await;
    // Licenses: the Billing entry of the navigation opens it.
    c.find(Locator::Css("a[href='/account/billing']")).await.unwrap().click().await.unwrap();
    path_is(&c, "/account/billing").await;
    assert_eq!(current_section(&c).await, "Billing");
    assert_eq!(text(&c, "nav.tabs [aria-current=page]").await, "Licenses");
    let seats = text(&c, "#seat-rows").await;
    assert!(seats.contains("Live chat"), "{seats}");
    assert!(c.find(Locator::Css("#assign-link[href='/users']")).await.is_ok());
    check_page(&c, &format!("{prefix}-billing-licenses")).await;

    // SMS: the balance, the product's SMS in the log, the threshold refused then saved.
    tab(&c, "/account/billing/sms", "SMS").await;
    let row = text(&c, "#sms-rows tr").await;
    assert!(row.contains("+14155550123") && row.contains("sent") && row.contains("reminder"), "{row}");
    type_into(&c, "low_balance_threshold", "-3").await;
    submit_to(&c, "/account/billing/sms").await;
    let error = c.wait().for_element(Locator::Id("low_balance_threshold-error")).await.unwrap().text().await.unwrap();
    assert!(error.contains("must be from 0 to"), "{error}");
    assert_eq!(value_of(&c, "low_balance_threshold").await, "-3");
    check_page(&c, &format!("{prefix}-billing-sms-error")).await;
    type_into(&c, "low_balance_threshold", "25").await;
    submit_to(&c, "/account/billing/sms").await;
    notice(&c, "The low-balance threshold is now 25 credits.").await;
    assert!(text(&c, "#sms-threshold").await.contains("25"));
    check_page(&c, &format!("{prefix}-billing-sms")).await;
    let href = c.find(Locator::Id("sms-csv")).await.unwrap().attr("href").await.unwrap().unwrap();
    let (status, kind, csv) = fetch(&c, &href).await;
    assert_eq!((status, kind.as_str()), (200, "text/csv; charset=utf-8"));
    assert!(csv.starts_with("id,created_at,to,segments,credits,status,purpose") && csv.contains("reminder"), "{csv}");

    // Payment methods: a bad last4 named, then two cards; the second made default; the first deleted.
    tab(&c, "/account/billing/payment-methods", "Payment methods").await;
    let add = |token: &'static str, brand: &'static str, last4: &'static str| {
        let c = c.clone();
        async move {
            type_into(&c, "provider_token", token).await;
            c.find(Locator::Id("brand")).await.unwrap().select_by_value(brand).await.unwrap();
            type_into(&c, "last4", last4).await;
            type_into(&c, "exp_month", "9").await;
            type_into(&c, "exp_year", "2031").await;
            submit_to(&c, "/account/billing/payment-methods").await;
        }
    };
    add("pm_visa_1", "visa", "42").await;
    let error = c.wait().for_element(Locator::Id("last4-error")).await.unwrap().text().await.unwrap();
    assert!(error.contains("last 4 digits"), "{error}");
    assert_eq!(value_of(&c, "provider_token").await, "pm_visa_1");
    check_page(&c, &format!("{prefix}-billing-payment-error")).await;
    add("pm_visa_1", "visa", "4242").await;
    notice(&c, "Visa ending in 4242 has been added.").await;
    c.find(Locator::Css("#add-method > summary")).await.unwrap().click().await.unwrap();
    add("pm_mc_2", "mastercard", "4444").await;
    notice(&c, "Mastercard ending in 4444 has been added.").await;
    let rows = text(&c, "#method-rows").await;
    assert!(rows.contains("Visa ending in 4242") && rows.contains("Mastercard ending in 4444"), "{rows}");
    assert_eq!(c.find_all(Locator::Css("#method-rows .method-default")).await.unwrap().len(), 1);
    let mc = c.find(Locator::XPath("//tr[contains(., 'ending in 4444')]")).await.unwrap();
    mc.find(Locator::Css("button.make-default")).await.unwrap().click().await.unwrap();
    notice(&c, "Mastercard ending in 4444 is now the default.").await;
    let mc = c.find(Locator::XPath("//tr[contains(., 'ending in 4444')]")).await.unwrap();
    assert!(mc.text().await.unwrap().contains("Default"));
    check_page(&c, &format!("{prefix}-billing-payment-methods")).await;
    let visa = c.find(Locator::XPath("//tr[contains(., 'ending in 4242')]")).await.unwrap();
    visa.find(Locator::Css("button.delete-method")).await.unwrap().click().await.unwrap();
    notice(&c, "Visa ending in 4242 has been deleted.").await;
    assert!(!text(&c, "#method-rows").await.contains("4242"));

    // Notifications: Bruno stops getting invoices.
    tab(&c, "/account/billing/notifications", "Notifications").await;
    let rows = text(&c, "#recipient-rows").await;
    assert!(rows.contains("Bruno Díaz") && rows.contains("ana@example.com"), "{rows}");
    let bruno_invoices = c.find(Locator::Id(&format!("invoices-{bruno}"))).await.unwrap();
    assert_eq!(
        bruno_invoices.prop("checked").await.unwrap().as_deref(),
        Some("true"),
        "everyone gets everything at first"
    );
    bruno_invoices.click().await.unwrap();
    c.find(Locator::Id("save-notifications")).await.unwrap().click().await.unwrap();
    notice(&c, "The billing notification choices have been saved.").await;
    let ticked = c.find(Locator::Id(&format!("invoices-{bruno}"))).await.unwrap().prop("checked").await.unwrap();
    assert_eq!(ticked.as_deref(), Some("false"));
    check_page(&c, &format!("{prefix}-billing-notifications")).await;

    // Invoices: the operator's invoice, its lines, its PDF.
    tab(&c, "/account/billing/invoices", "Invoices").await;
    let row = text(&c, &format!("#invoice-{invoice}")).await;
    assert!(row.contains("TNT-000001") && row.contains("open") && row.contains("208.25 EUR"), "{row}");
    check_page(&c, &format!("{prefix}-billing-invoices")).await;
    c.find(Locator::Css(&format!("#invoice-{invoice} a"))).await.unwrap().click().await.unwrap();
    path_is(&c, &format!("/account/billing/invoices/{invoice}")).await;
    let lines = text(&c, "#line-rows").await;
    assert!(
        lines.contains("Live chat seats") && lines.contains("Loyalty discount") && lines.contains("-5.00 EUR"),
        "{lines}"
    );
    assert!(text(&c, "#invoice-totals").await.contains("208.25 EUR"));
    check_page(&c, &format!("{prefix}-billing-invoice")).await;
    let href = c.find(Locator::Id("invoice-pdf")).await.unwrap().attr("href").await.unwrap().unwrap();
    eventually("the PDF", || async {
        let (status, kind, start) = fetch(&c, &href).await;
        status == 200 && kind == "application/pdf" && start.starts_with("%PDF-")
    })
    .await;
}
