//! Invoices and billing notifications: numbers without gaps under concurrent creation, a PDF
//! (read back with poppler's `pdftotext`) holding the account name, number, lines, total and
//! status, final statuses, and who receives which billing email.

use crate::helpers::*;
use crate::licenses::{OPERATOR_TOKEN, license, set_subscription};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

crate::db_tests!(
    fifty_invoices_created_concurrently_are_numbered_one_to_fifty,
    the_invoice_pdf_holds_the_account_number_lines_total_and_status,
    invoice_statuses_are_final_and_invoices_stay_in_their_account,
    billing_notifications_go_to_the_chosen_administrators,
);

async fn spawn(b: Backend) -> TestApp {
    spawn_app_with(b, |c| c.operator_token = Some(OPERATOR_TOKEN.to_owned().into())).await
}

async fn create_invoice(app: &TestApp, account_id: &str, body: Value) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/api/v1/operator/accounts/{account_id}/invoices"),
        Some(OPERATOR_TOKEN),
        Some(body),
    )
    .await
}

fn seats_invoice(quantity: i64) -> Value {
    json!({"currency": "eur", "lines": [{"description": "Live chat seats", "quantity": quantity, "unit_amount": 1500},
        {"description": "Loyalty discount", "quantity": 1, "unit_amount": -500}], "tax_rate_percent": 19})
}

async fn fifty_invoices_created_concurrently_are_numbered_one_to_fifty(b: Backend) {
    let app = spawn(b).await;
    let accounts = [app.signup("Acme", "ana@example.com").await, app.signup("Globex", "gil@example.com").await];
    let mut set = tokio::task::JoinSet::new();
    for i in 0..50 {
        let (client, url, account) = (app.client.clone(), app.url.clone(), accounts[i % 2].account_id.clone());
        set.spawn(async move {
            let res = client
                .post(format!("{url}/api/v1/operator/accounts/{account}/invoices"))
                .bearer_auth(OPERATOR_TOKEN)
                .json(&seats_invoice(1 + i as i64))
                .send()
                .await
                .expect("sent");
            (res.status(), res.json::<Value>().await.expect("json"))
        });
    }
    let answers: Vec<(StatusCode, Value)> = set.join_all().await;
    assert!(answers.iter().all(|(s, _)| *s == StatusCode::CREATED), "{answers:?}");
    let mut numbers: Vec<String> =
        answers.iter().map(|(_, b)| b["number"].as_str().expect("number").to_owned()).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=50).map(|n| format!("TNT-{n:06}")).collect();
    assert_eq!(numbers, expected, "no gap and no repeat");
    // One refused creation takes no number.
    let (status, _) = create_invoice(&app, &accounts[0].account_id, json!({"currency": "EUR", "lines": []})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, next) = create_invoice(&app, &accounts[0].account_id, seats_invoice(1)).await;
    assert_eq!(next["number"], "TNT-000051");
    // Each account lists its own, newest first, paged.
    let (status, page) =
        app.call(Method::GET, "/api/v1/billing/invoices?limit=10", Some(&accounts[1].token), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["data"].as_array().map(Vec::len), Some(10));
    assert!(page["next_cursor"].is_string());
}

async fn the_invoice_pdf_holds_the_account_number_lines_total_and_status(b: Backend) {
    let app = spawn(b).await;
    let admin = app.signup("Müller & Söhne GmbH", "ana@example.com").await;
    let (status, invoice) = create_invoice(&app, &admin.account_id, seats_invoice(12)).await;
    assert_eq!(status, StatusCode::CREATED, "{invoice}");
    assert_eq!(
        (&invoice["status"], &invoice["currency"], &invoice["subtotal"], &invoice["tax"], &invoice["total"]),
        (&json!("open"), &json!("EUR"), &json!(17_500), &json!(3_325), &json!(20_825))
    );
    assert_eq!(invoice["lines"][0]["amount"], 18_000);
    let id = invoice["id"].as_str().expect("id");
    let res = app.request(Method::GET, &format!("/api/v1/billing/invoices/{id}/pdf"), Some(&admin.token), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.headers()["content-disposition"].to_str().unwrap_or("").contains("TNT-000001.pdf"));
    let pdf = res.bytes().await.expect("pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let file = app.dir.path().join("invoice.pdf");
    std::fs::write(&file, &pdf).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", &file.display().to_string(), "-"])
        .output()
        .expect("pdftotext (Debian: poppler-utils) runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in
        ["Müller & Söhne GmbH", "TNT-000001", "Live chat seats", "Loyalty discount", "-5.00 EUR", "208.25 EUR", "open"]
    {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    // Paid, the PDF says so.
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/operator/invoices/{id}/status"),
            Some(OPERATOR_TOKEN),
            Some(json!({"status": "paid"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let res = app.request(Method::GET, &format!("/api/v1/billing/invoices/{id}/pdf"), Some(&admin.token), None).await;
    std::fs::write(&file, res.bytes().await.expect("pdf")).expect("write");
    let out = std::process::Command::new("pdftotext").args([&file.display().to_string(), "-"]).output().expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Status: paid"));
}

async fn invoice_statuses_are_final_and_invoices_stay_in_their_account(b: Backend) {
    let app = spawn(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let other = app.signup("Globex", "gil@example.com").await;
    let (_, invoice) = create_invoice(&app, &admin.account_id, seats_invoice(1)).await;
    let id = invoice["id"].as_str().expect("id");
    let path = format!("/api/v1/operator/invoices/{id}/status");
    let status_of = |body: Value| app.call(Method::PUT, &path, Some(OPERATOR_TOKEN), Some(body));
    let (status, body) = status_of(json!({"status": "open"})).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")));
    assert_eq!(status_of(json!({"status": "void"})).await.1["status"], "void");
    assert_eq!(status_of(json!({"status": "void"})).await.0, StatusCode::OK, "the same status again changes nothing");
    let (status, body) = status_of(json!({"status": "paid"})).await;
    assert_eq!((status, body["rule"].as_str()), (StatusCode::CONFLICT, Some("invoice_final")));

    for path in [format!("/api/v1/billing/invoices/{id}"), format!("/api/v1/billing/invoices/{id}/pdf")] {
        assert_eq!(app.call(Method::GET, &path, Some(&other.token), None).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, body) =
        app.call(Method::GET, &format!("/api/v1/billing/invoices/{id}"), Some(&admin.token), None).await;
    assert_eq!((status, body["number"].as_str()), (StatusCode::OK, Some("TNT-000001")));
    let (_, member) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    assert_eq!(app.call(Method::GET, "/api/v1/billing/invoices", Some(&member), None).await.0, StatusCode::FORBIDDEN);
    // Bad input names the field; an unknown account or invoice is 404; the token is needed.
    let bad = json!({"currency": "EUR", "lines": [{"description": "x", "quantity": 0, "unit_amount": 1}]});
    let (status, body) = create_invoice(&app, &admin.account_id, bad).await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("lines[0].quantity"))
    );
    assert_eq!(create_invoice(&app, "acc_00000000000000000000000000", seats_invoice(1)).await.0, StatusCode::NOT_FOUND);
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/v1/operator/invoices/inv_000000000000000000000000/status",
            Some(OPERATOR_TOKEN),
            Some(json!({"status": "paid"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/operator/accounts/{}/invoices", admin.account_id),
            Some(&admin.token),
            Some(seats_invoice(1)),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// The subjects of the emails `to` has received so far.
fn subjects(app: &TestApp, to: &str) -> Vec<String> {
    app.mail_files()
        .iter()
        .filter(|m| m.lines().any(|l| l.eq_ignore_ascii_case(&format!("To: {to}"))))
        .filter_map(|m| m.lines().find_map(|l| l.strip_prefix("Subject: ").map(str::to_owned)))
        .collect()
}

async fn wait_for_subject(app: &TestApp, to: &str, subject: &str) {
    for _ in 0..200 {
        if subjects(app, to).iter().any(|s| s == subject) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{to} never got {subject:?}: {:?}", subjects(app, to));
}

async fn billing_notifications_go_to_the_chosen_administrators(b: Backend) {
    let app = spawn(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (bruno, _) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "administrator").await;
    let (carla, _) = app.invite_and_activate(&admin, "carla@example.com", "Carla", "member").await;
    let t = Some(admin.token.as_str());
    let put = |recipients: Value| {
        app.call(Method::PUT, "/api/v1/billing/notifications", t, Some(json!({"recipients": recipients})))
    };
    let everything = |user: &str, payment_failures: bool| json!({"user_id": user, "invoices": true, "payment_failures": payment_failures, "low_sms_credits": true, "license_changes": true});
    // Only Administrators of this account, each once.
    let (status, body) = put(json!([everything(&carla, true)])).await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("recipients[0].user_id"))
    );
    let other = app.signup("Globex", "gil@example.com").await;
    let (status, _) = put(json!([everything(&other.user_id, true)])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = put(json!([everything(&bruno, true), everything(&bruno, true)])).await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("recipients[1].user_id"))
    );

    // Ana gets invoices and license changes; Bruno payment failures.
    let ana_only = json!({"user_id": admin.user_id, "invoices": true, "payment_failures": false, "low_sms_credits": false, "license_changes": true});
    let bruno_only = json!({"user_id": bruno, "invoices": false, "payment_failures": true, "low_sms_credits": false, "license_changes": false});
    let (status, saved) = put(json!([ana_only, bruno_only])).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, read) = app.call(Method::GET, "/api/v1/billing/notifications", t, None).await;
    assert_eq!(read, saved);

    // While paid, someone must get payment failures (a paid account keeps a licensed Administrator).
    let (status, _) = license(&app, &admin.token, Method::PUT, &admin.user_id, "chat").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) =
        set_subscription(&app, &admin.account_id, json!({"plan": "team", "status": "paid", "seats": {"chat": 8}}))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut nobody = bruno_only.clone();
    nobody["payment_failures"] = json!(false);
    let (status, body) = put(json!([ana_only, nobody])).await;
    assert_eq!((status, body["rule"].as_str()), (StatusCode::CONFLICT, Some("payment_failure_recipient")));

    // The seat change and a new invoice reached Ana only; Members never get billing email.
    wait_for_subject(&app, "ana@example.com", "Your Tenantry licenses changed").await;
    let (_, invoice) = create_invoice(&app, &admin.account_id, seats_invoice(8)).await;
    wait_for_subject(&app, "ana@example.com", &format!("Invoice {}", invoice["number"].as_str().expect("number")))
        .await;
    let seat_mail = app.mail_files().into_iter().find(|m| m.contains("Your Tenantry licenses changed")).expect("mail");
    assert!(seat_mail.contains("Live chat: 5 → 8 licenses"), "{seat_mail}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for to in ["bruno@example.com", "carla@example.com"] {
        let got = subjects(&app, to);
        assert!(!got.iter().any(|s| s.starts_with("Invoice") || s.contains("licenses changed")), "{to}: {got:?}");
    }
    let (_, member) = app.invite_and_activate(&admin, "dora@example.com", "Dora", "member").await;
    assert_eq!(
        app.call(Method::GET, "/api/v1/billing/notifications", Some(&member), None).await.0,
        StatusCode::FORBIDDEN
    );
}
