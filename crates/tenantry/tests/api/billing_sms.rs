//! SMS credits and messages for products: the balance never goes below zero under concurrent
//! sends, every send and refusal is in the SMS log (and its CSV), operator top-ups are
//! idempotent, Tenantry's own codes spend credits too (a reset falls back to the email link), the
//! low-balance notice goes once per crossing, and a product's email reaches the compliance BCC
//! address on the SMTP envelope only.

use crate::helpers::*;
use crate::licenses::OPERATOR_TOKEN;
use crate::me::sms_code;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

crate::db_tests!(
    a_hundred_parallel_sms_against_fifty_credits_queue_exactly_fifty,
    operator_top_ups_are_idempotent_by_reference,
    tenantrys_own_codes_spend_credits_and_a_reset_falls_back_to_email,
    the_low_balance_notice_goes_once_per_crossing,
    a_product_email_reaches_the_compliance_bcc_on_the_envelope_only,
    messages_refuse_bad_input_and_keys_without_the_scope,
    a_message_the_provider_refuses_for_good_is_logged_failed,
);

async fn spawn(b: Backend, trial_credits: u32) -> TestApp {
    spawn_app_with(b, |c| {
        c.operator_token = Some(OPERATOR_TOKEN.to_owned().into());
        c.trial_sms_credits = trial_credits;
    })
    .await
}

async fn top_up(app: &TestApp, account_id: &str, credits: i64, reference: &str) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/api/v1/operator/accounts/{account_id}/sms-credits"),
        Some(OPERATOR_TOKEN),
        Some(json!({"credits": credits, "reference": reference})),
    )
    .await
}

async fn credits(app: &TestApp, token: &str) -> i64 {
    let (status, body) = app.call(Method::GET, "/api/v1/billing/sms", Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["credits"].as_i64().expect("credits")
}

/// Every row of the SMS log, paging through it.
async fn sms_log(app: &TestApp, token: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut path = "/api/v1/billing/sms/log?limit=30".to_owned();
    loop {
        let (status, page) = app.call(Method::GET, &path, Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        rows.extend(page["data"].as_array().expect("data").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/billing/sms/log?limit=30&cursor={c}"),
            None => return rows,
        }
    }
}

async fn a_hundred_parallel_sms_against_fifty_credits_queue_exactly_fifty(b: Backend) {
    let app = spawn(b, 0).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    assert_eq!(credits(&app, &admin.token).await, 0);
    assert_eq!(top_up(&app, &admin.account_id, 50, "pay_1").await, (StatusCode::OK, json!({"credits": 50})));
    // A product's key with only `messages:send`.
    let (status, key) = app
        .call(
            Method::POST,
            "/api/v1/api-keys",
            Some(&admin.token),
            Some(json!({"name": "Reminders", "scopes": ["messages:send"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let key = key["key"].as_str().expect("key").to_owned();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..100 {
        let (client, url, key) = (app.client.clone(), app.url.clone(), key.clone());
        set.spawn(async move {
            let body = json!({"to": format!("+1415555{:04}", 1000 + i), "body": "Your appointment is tomorrow at 10:00.", "purpose": "reminder"});
            let res = client.post(format!("{url}/api/v1/messages/sms")).bearer_auth(key).json(&body).send().await.expect("sent");
            (res.status(), res.json::<Value>().await.expect("json"))
        });
    }
    let answers: Vec<(StatusCode, Value)> = set.join_all().await;
    let queued: Vec<&Value> = answers.iter().filter(|(s, _)| *s == StatusCode::ACCEPTED).map(|(_, b)| b).collect();
    let refused: Vec<&Value> = answers.iter().filter(|(s, _)| *s == StatusCode::CONFLICT).map(|(_, b)| b).collect();
    assert_eq!((queued.len(), refused.len()), (50, 50), "{answers:?}");
    assert!(queued.iter().all(|b| b["segments"] == 1 && b["id"].as_str().is_some_and(|i| i.starts_with("sms_"))));
    let mut left: Vec<i64> = queued.iter().map(|b| b["credits_left"].as_i64().expect("left")).collect();
    left.sort_unstable();
    assert_eq!(left, (0..50).collect::<Vec<_>>(), "each send saw its own balance");
    assert!(refused.iter().all(|b| b["rule"] == "no_sms_credits"), "{refused:?}");
    assert_eq!(credits(&app, &admin.token).await, 0);

    let log = sms_log(&app, &admin.token).await;
    assert_eq!(log.len(), 100);
    let sent: Vec<&Value> = log.iter().filter(|r| r["status"] == "sent").collect();
    assert_eq!(sent.len(), 50);
    assert!(sent.iter().all(|r| r["credits"] == 1 && r["segments"] == 1 && r["purpose"] == "reminder"));
    assert!(log.iter().filter(|r| r["status"] == "refused").all(|r| r["credits"] == 0));
    // The queued ones go out.
    for r in &sent {
        let to = r["to"].as_str().expect("to");
        assert!(app.wait_for_sms_to(to).await.contains("Your appointment"), "{to}");
    }

    let res = app.request(Method::GET, "/api/v1/billing/sms/log.csv", Some(&admin.token), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap_or("").starts_with("text/csv"));
    let csv = res.text().await.expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,created_at,to,segments,credits,status,purpose");
    assert_eq!(lines.len(), 101);
    // A number starts with `+`: written so a spreadsheet does not run it as a formula.
    assert!(lines[1..].iter().all(|l| l.contains(",'+1415555")), "{}", lines[1]);
}

async fn operator_top_ups_are_idempotent_by_reference(b: Backend) {
    let app = spawn(b, 25).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    assert_eq!(credits(&app, &admin.token).await, 25, "the trial's credits");
    // The same reference, even raced, adds once and answers the same balance.
    let (a, b2) =
        tokio::join!(top_up(&app, &admin.account_id, 100, "inv-7"), top_up(&app, &admin.account_id, 100, "inv-7"));
    assert_eq!(a, (StatusCode::OK, json!({"credits": 125})));
    assert_eq!(b2, a);
    assert_eq!(top_up(&app, &admin.account_id, 100, "inv-7").await, a);
    assert_eq!(credits(&app, &admin.token).await, 125);
    // Another amount under a used reference is a mistake, not a top-up.
    let (status, body) = top_up(&app, &admin.account_id, 5, "inv-7").await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reference")));
    assert_eq!(top_up(&app, &admin.account_id, 5, "inv-8").await, (StatusCode::OK, json!({"credits": 130})));
    for (credits_, reference, field) in
        [(0, "x", "credits"), (-5, "x", "credits"), (100_000_001, "x", "credits"), (5, " ", "reference")]
    {
        let (status, body) = top_up(&app, &admin.account_id, credits_, reference).await;
        assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)));
    }
    // Another account's balance is untouched; an unknown account is 404; the token is needed.
    let other = app.signup("Globex", "gil@example.com").await;
    assert_eq!(credits(&app, &other.token).await, 25);
    assert_eq!(top_up(&app, "acc_00000000000000000000000000", 5, "y").await.0, StatusCode::NOT_FOUND);
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/operator/accounts/{}/sms-credits", admin.account_id),
            Some(&admin.token),
            Some(json!({"credits": 5, "reference": "z"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Members cannot read billing.
    let (_, member) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    let (status, _) = app.call(Method::GET, "/api/v1/billing/sms", Some(&member), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn tenantrys_own_codes_spend_credits_and_a_reset_falls_back_to_email(b: Backend) {
    let app = spawn(b, 1).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = Some(admin.token.as_str());
    let ask = |number: &'static str| {
        app.call(
            Method::POST,
            "/api/v1/me/phone",
            t,
            Some(json!({"number": number, "current_password": "correct horse battery"})),
        )
    };
    let (status, body) = ask("+14155552671").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let code = sms_code(&app.wait_for_sms_to("+14155552671").await);
    let (status, body) = app.call(Method::POST, "/api/v1/me/phone/verify", t, Some(json!({"code": code}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(credits(&app, &admin.token).await, 0);

    // No credits left: a new number is refused with the rule, and nothing is pending.
    let (status, body) = ask("+447911123456").await;
    assert_eq!((status, body["rule"].as_str()), (StatusCode::CONFLICT, Some("no_sms_credits")), "{body}");
    let (_, me) = app.call(Method::GET, "/api/v1/me", t, None).await;
    assert_eq!(me["phone"], json!({"number": "+14155552671", "verified": true}));

    // A reset would go by SMS to the verified number; without credits the link goes by email.
    let (status, _) =
        app.call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "ana@example.com"}))).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let reset_mail = || app.mail_files().into_iter().any(|m| m.contains("Subject: Reset your Tenantry password"));
    for _ in 0..200 {
        if reset_mail() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(reset_mail(), "the reset link went by email");

    let log = sms_log(&app, &admin.token).await;
    let summary: Vec<(&str, &str)> =
        log.iter().map(|r| (r["purpose"].as_str().unwrap_or(""), r["status"].as_str().unwrap_or(""))).collect();
    assert_eq!(
        summary,
        [("password_reset", "refused"), ("phone_verification", "refused"), ("phone_verification", "sent")],
        "{log:?}"
    );
}

/// The low-balance emails received so far by `to`.
fn low_notices(app: &TestApp, to: &str) -> usize {
    app.mail_files()
        .iter()
        .filter(|m| m.contains(&format!("To: {to}")) && m.contains("SMS credits are running low"))
        .count()
}

async fn send_one(app: &TestApp, token: &str) -> (StatusCode, Value) {
    app.call(Method::POST, "/api/v1/messages/sms", Some(token), Some(json!({"to": "+14155550123", "body": "Hi"}))).await
}

async fn the_low_balance_notice_goes_once_per_crossing(b: Backend) {
    let app = spawn(b, 7).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (_, bruno) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "administrator").await;
    let (_, carla) = app.invite_and_activate(&admin, "carla@example.com", "Carla", "member").await;
    let _ = (bruno, carla);
    let (status, body) = app
        .call(Method::PUT, "/api/v1/billing/sms", Some(&admin.token), Some(json!({"low_balance_threshold": 5})))
        .await;
    assert_eq!((status, &body), (StatusCode::OK, &json!({"credits": 7, "low_balance_threshold": 5})));
    // Only Ana gets low-credit notices from now on.
    let (_, list) = app.call(Method::GET, "/api/v1/billing/notifications", Some(&admin.token), None).await;
    let mut recipients = list["recipients"].as_array().expect("recipients").clone();
    assert_eq!(recipients.len(), 2, "every Administrator until saved: {list}");
    for r in &mut recipients {
        r["low_sms_credits"] = json!(r["user_id"] == admin.user_id.as_str());
    }
    let (status, body) = app
        .call(Method::PUT, "/api/v1/billing/notifications", Some(&admin.token), Some(json!({"recipients": recipients})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    assert_eq!(send_one(&app, &admin.token).await.1["credits_left"], 6);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(low_notices(&app, "ana@example.com"), 0, "6 is above the threshold");
    assert_eq!(send_one(&app, &admin.token).await.1["credits_left"], 5);
    app.wait_for_mail_to("ana@example.com").await;
    for _ in 0..40 {
        if low_notices(&app, "ana@example.com") == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(low_notices(&app, "ana@example.com"), 1);
    assert_eq!(send_one(&app, &admin.token).await.1["credits_left"], 4);
    // Back above the threshold, then down again: a second crossing, a second notice.
    assert_eq!(top_up(&app, &admin.account_id, 10, "r1").await.1["credits"], 14);
    for left in (5..=13).rev() {
        assert_eq!(send_one(&app, &admin.token).await.1["credits_left"], left);
    }
    for _ in 0..80 {
        if low_notices(&app, "ana@example.com") == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(low_notices(&app, "ana@example.com"), 2);
    assert_eq!(low_notices(&app, "bruno@example.com"), 0, "Bruno opted out");
    assert_eq!(low_notices(&app, "carla@example.com"), 0, "Members never get billing notices");
}

async fn a_product_email_reaches_the_compliance_bcc_on_the_envelope_only(b: Backend) {
    let smtp = SmtpServer::start();
    let app = spawn_app_with(b, |c| c.smtp_url = Some(smtp.url().into())).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, body) = app
        .call(
            Method::PATCH,
            "/api/v1/account",
            Some(&admin.token),
            Some(json!({"compliance_bcc_email": "archive@acme.example"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/messages/email",
            Some(&admin.token),
            Some(json!({"to": "customer@example.com", "subject": "Your booking is confirmed",
                "text": "See you on Tuesday.", "html": "<p>See you on <b>Tuesday</b>.</p>"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(body["id"].as_str().is_some_and(|i| i.starts_with("msg_")), "{body}");
    let got = smtp.wait_for_one("customer@example.com", "Your booking is confirmed").await;
    assert!(got.to.iter().any(|t| t.contains("archive@acme.example")), "the BCC is on the envelope: {:?}", got.to);
    let headers = got.data.split("\r\n\r\n").next().unwrap_or_default().to_ascii_lowercase();
    // A header line, not the letters: a random Message-ID or boundary may hold "bcc".
    let bcc_header = headers.lines().any(|l| l.starts_with("bcc:"));
    assert!(!bcc_header && !got.data.contains("archive@acme.example"), "{}", got.data);
    assert!(got.data.contains("multipart/alternative") && got.data.contains("text/html"), "{}", got.data);

    // Tenantry's own credential-bearing mail is never copied.
    app.invite(&admin, "bruno@example.com", "Bruno", "member").await;
    let invitation = smtp.wait_for("bruno@example.com").await;
    assert_eq!(invitation.to.len(), 1, "{:?}", invitation.to);
    let copies =
        smtp.received.lock().expect("lock").iter().filter(|m| m.to.iter().any(|t| t.contains("archive@"))).count();
    assert_eq!(copies, 1, "only the product's email reached the archive");
}

async fn messages_refuse_bad_input_and_keys_without_the_scope(b: Backend) {
    let app = spawn(b, 10).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = Some(admin.token.as_str());
    for (body, field) in [
        (json!({"to": "4155550123", "body": "Hi"}), "to"),
        (json!({"to": "+1415555012", "body": "Hi"}), "to"),
        (json!({"to": "+14155550123", "body": "  "}), "body"),
        (json!({"to": "+14155550123", "body": "x".repeat(1601)}), "body"),
        (json!({"to": "+14155550123", "body": "Hi", "purpose": "two words"}), "purpose"),
    ] {
        let (status, problem) = app.call(Method::POST, "/api/v1/messages/sms", t, Some(body.clone())).await;
        assert_eq!(
            (status, problem["errors"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}"
        );
    }
    for (body, field) in [
        (json!({"to": "not an address", "subject": "S", "text": "T"}), "to"),
        (json!({"to": "c@example.com", "subject": "", "text": "T"}), "subject"),
        (json!({"to": "c@example.com", "subject": "a\nBcc: x@example.com", "text": "T"}), "subject"),
        (json!({"to": "c@example.com", "subject": "S", "text": ""}), "text"),
    ] {
        let (status, problem) = app.call(Method::POST, "/api/v1/messages/email", t, Some(body.clone())).await;
        assert_eq!(
            (status, problem["errors"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}"
        );
    }
    assert_eq!(credits(&app, &admin.token).await, 10, "nothing was spent on refused input");
    // A 161-character GSM text is two segments; one emoji makes a text UCS-2.
    let (status, body) = app
        .call(Method::POST, "/api/v1/messages/sms", t, Some(json!({"to": "+14155550123", "body": "a".repeat(161)})))
        .await;
    assert_eq!(
        (status, body["segments"].as_i64(), body["credits_left"].as_i64()),
        (StatusCode::ACCEPTED, Some(2), Some(8))
    );
    let (_, body) = app
        .call(
            Method::POST,
            "/api/v1/messages/sms",
            t,
            Some(json!({"to": "+14155550123", "body": format!("{}🙂", "a".repeat(69))})),
        )
        .await;
    assert_eq!((body["segments"].as_i64(), body["credits_left"].as_i64()), (Some(2), Some(6)), "{body}");

    // A key without `messages:send` and a Member are refused.
    let (_, key) =
        app.call(Method::POST, "/api/v1/api-keys", t, Some(json!({"name": "Read", "scopes": ["users:read"]}))).await;
    let key = key["key"].as_str().expect("key").to_owned();
    let (status, body) = app
        .call(Method::POST, "/api/v1/messages/sms", Some(&key), Some(json!({"to": "+14155550123", "body": "Hi"})))
        .await;
    assert_eq!((status, body["required_scope"].as_str()), (StatusCode::FORBIDDEN, Some("messages:send")), "{body}");
    let (_, member) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/messages/email",
            Some(&member),
            Some(json!({"to": "c@example.com", "subject": "S", "text": "T"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn a_message_the_provider_refuses_for_good_is_logged_failed(b: Backend) {
    // A real HTTP SMS provider that refuses every message with 400 (a permanent failure).
    let provider = axum::Router::new()
        .route("/sms", axum::routing::post(|| async { (axum::http::StatusCode::BAD_REQUEST, "invalid destination") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/sms", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, provider).await;
    });
    let app = spawn_app_with(b, |c| c.sms_url = Some(url.into())).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, body) = send_one(&app, &admin.token).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let mut last = Vec::new();
    for _ in 0..200 {
        last = sms_log(&app, &admin.token).await;
        if last.first().is_some_and(|r| r["status"] == "failed") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(last.len(), 1);
    assert_eq!((&last[0]["status"], &last[0]["credits"]), (&json!("failed"), &json!(1)), "{last:?}");
}
