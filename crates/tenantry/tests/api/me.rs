//! My settings: email change through a link to the new address, the personal API key, plan and usage.

use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

db_tests!(
    email_changes_only_when_the_link_is_followed,
    email_change_refusals,
    api_key_is_shown_once_works_counts_and_stops_when_revoked,
    usage_reports_with_the_same_idempotency_key_count_once,
    a_new_cell_number_counts_once_its_sms_code_is_verified,
    preferences_are_typed_and_validated,
    my_data_export_holds_everything_about_me_and_no_secret,
);

async fn sign_in(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.call(Method::POST, "/api/v1/auth/sign-in", None, Some(json!({"email": email, "password": password}))).await.0
}

async fn email_changes_only_when_the_link_is_followed(b: Backend) {
    let smtp = SmtpServer::start();
    let app = spawn_app_with(b, |c| c.smtp_url = Some(smtp.url().into())).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/me/email",
            Some(&admin.token),
            Some(json!({"new_email": "Ana.Lima@New.example", "current_password": "correct horse battery"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);

    // The link goes to the new address over SMTP; until it is followed nothing changes.
    let message = smtp.wait_for("Ana.Lima@New.example").await;
    assert!(message.data.contains("Subject: Confirm your new email address for Tenantry"), "{}", message.data);
    let token = link_token(&message.data, "/email-verifications/");
    assert!(message.data.contains(&format!("{}/email-verifications/{token}", app.url)));
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert_eq!(me["email"], "ana@example.com");
    assert_eq!(sign_in(&app, "ana@example.com", "correct horse battery").await, StatusCode::OK);
    assert_eq!(sign_in(&app, "ana.lima@new.example", "correct horse battery").await, StatusCode::UNAUTHORIZED);
    assert!(
        smtp.received.lock().unwrap().iter().all(|m| !m.to.iter().any(|t| t == "ana@example.com")),
        "the old address hears nothing yet"
    );

    // The page the link opens asks to confirm; a GET changes nothing.
    let page = app.client.get(format!("{}/email-verifications/{token}", app.url)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Confirm Ana.Lima@New.example"));
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert_eq!(me["email"], "ana@example.com");

    let (status, _) = app.call(Method::POST, &format!("/api/v1/email-verifications/{token}"), None, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert_eq!(me["email"], "Ana.Lima@New.example");
    assert_eq!(sign_in(&app, "ana.lima@new.example", "correct horse battery").await, StatusCode::OK);
    assert_eq!(sign_in(&app, "ana@example.com", "correct horse battery").await, StatusCode::UNAUTHORIZED);
    let notice = smtp.wait_for("ana@example.com").await;
    assert!(notice.data.contains("Subject: Your Tenantry email address was changed"), "{}", notice.data);
    assert!(notice.data.contains("Ana.Lima@New.example"));
    let (status, _) = app.call(Method::POST, &format!("/api/v1/email-verifications/{token}"), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "single use");
    let (_, log) =
        app.call(Method::GET, "/api/v1/audit-events?action=user.email_changed", Some(&admin.token), None).await;
    assert_eq!(
        (log["data"][0]["before"]["email"].as_str(), log["data"][0]["after"]["email"].as_str()),
        (Some("ana@example.com"), Some("Ana.Lima@New.example"))
    );
}

async fn email_change_refusals(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.signup("Other", "olga@other.org").await;
    let change = |email: &str| json!({"new_email": email, "current_password": "correct horse battery"});
    let (status, body) =
        app.call(Method::POST, "/api/v1/me/email", Some(&admin.token), Some(change("OLGA@other.org"))).await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::CONFLICT, Some("new_email")),
        "taken, even in another account"
    );
    for bad in ["not-an-email", "ANA@example.com"] {
        let (status, body) = app.call(Method::POST, "/api/v1/me/email", Some(&admin.token), Some(change(bad))).await;
        assert_eq!(
            (status, body["errors"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("new_email")),
            "{bad}: {body}"
        );
    }
    let (status, _) = app.call(Method::POST, "/api/v1/me/email", None, Some(change("x@example.com"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A newer request replaces the older link; links expire after 24 hours.
    app.call(Method::POST, "/api/v1/me/email", Some(&admin.token), Some(change("first@example.com"))).await;
    let first = link_token(&app.wait_for_mail_to("first@example.com").await, "/email-verifications/");
    app.call(Method::POST, "/api/v1/me/email", Some(&admin.token), Some(change("second@example.com"))).await;
    let second = link_token(&app.wait_for_mail_to("second@example.com").await, "/email-verifications/");
    let (status, _) = app.call(Method::POST, &format!("/api/v1/email-verifications/{first}"), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "replaced");
    let page = app.client.get(format!("{}/email-verifications/{first}", app.url)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.text().await.unwrap().contains("This link no longer works"));
    app.advance(24 * 60 * 60 * 1000 + 1);
    let (status, _) = app.call(Method::POST, &format!("/api/v1/email-verifications/{second}"), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "expired");
    let (status, _) = app.call(Method::POST, "/api/v1/email-verifications/tec_garbage", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn api_key_is_shown_once_works_counts_and_stops_when_revoked(b: Backend) {
    let mut app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let mut authenticated = 0; // authenticated /api/v1 requests made, every one of which must be counted

    let (status, _) = app.call(Method::GET, "/api/v1/me/api-key", Some(&admin.token), None).await;
    authenticated += 1;
    assert_eq!(status, StatusCode::NOT_FOUND, "no key yet");
    let (status, created) = app
        .call(
            Method::POST,
            "/api/v1/me/api-key",
            Some(&admin.token),
            Some(json!({"current_password": "correct horse battery"})),
        )
        .await;
    authenticated += 1;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let key = created["key"].as_str().expect("key").to_owned();
    assert!(key.starts_with("tnt_") && key.len() > 40, "{key}");
    assert!(key.starts_with(created["prefix"].as_str().expect("prefix")));
    let (status, info) = app.call(Method::GET, "/api/v1/me/api-key", Some(&key), None).await;
    authenticated += 1;
    assert_eq!(status, StatusCode::OK);
    assert!(info.get("key").is_none() && !info.to_string().contains(&key), "shown once: {info}");
    assert_eq!(info["prefix"], created["prefix"]);
    assert!(info["last_used_at"].is_string(), "the key's use is recorded: {info}");
    for _ in 0..5 {
        let (status, me) = app.call(Method::GET, "/api/v1/me", Some(&key), None).await;
        authenticated += 1;
        assert_eq!((status, me["email"].as_str()), (StatusCode::OK, Some("ana@example.com")));
    }
    // Only the hash is stored.
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.expect("connect");
    let stored: String =
        sqlx::query_scalar("SELECT key_hash FROM user_api_keys").fetch_one(&mut conn).await.expect("row");
    assert!(stored != key && !stored.contains(&key[4..]), "stored as a hash");
    // Failed credentials are not counted.
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some("tnt_not-a-real-key"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A key cannot make another (that needs the password, in a session): 403, counted.
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/me/api-key",
            Some(&key),
            Some(json!({"current_password": "correct horse battery"})),
        )
        .await;
    authenticated += 1;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Replacing revokes the old key; revoking stops the new one at once.
    let (status, replaced) = app
        .call(
            Method::POST,
            "/api/v1/me/api-key",
            Some(&admin.token),
            Some(json!({"current_password": "correct horse battery"})),
        )
        .await;
    authenticated += 1;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(&key), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the replaced key no longer works");
    let new_key = replaced["key"].as_str().expect("key").to_owned();
    let (status, _) = app.call(Method::DELETE, "/api/v1/me/api-key", Some(&admin.token), None).await;
    authenticated += 1;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(&new_key), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked");
    let (_, log) = app.call(Method::GET, "/api/v1/audit-events?action=api_key.revoked", Some(&admin.token), None).await;
    authenticated += 1;
    assert_eq!(log["data"].as_array().expect("data").len(), 1);

    // The counts reach the plan within a few seconds…
    let mut seen = 0;
    for _ in 0..50 {
        let (_, plan) = app.call(Method::GET, "/api/v1/me/plan", Some(&admin.token), None).await;
        authenticated += 1;
        seen = plan["usage"]["api_requests"].as_i64().expect("count");
        if seen >= 11 {
            assert_eq!(plan["plan"], "trial");
            assert!(plan["cycle_start"].is_string());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(seen >= 11, "counted requests reached the plan: {seen}");
    // …and after the last flush at shutdown the stored count is exact.
    app.stop().await;
    let counted: i64 = sqlx::query_scalar(
        "SELECT CAST(SUM(quantity) AS BIGINT) FROM usage_counters WHERE metric = 'api_requests' AND account_id = $1",
    )
    .bind(&admin.account_id)
    .fetch_one(&mut conn)
    .await
    .expect("sum");
    assert_eq!(counted, authenticated, "every authenticated request counted once, no failed one");
    sqlx::Connection::close(conn).await.ok();
}

async fn usage_reports_with_the_same_idempotency_key_count_once(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (bruno, bruno_token) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    let report = |key: &str, body: serde_json::Value, token: &str| {
        let req = app.client.post(format!("{}/api/v1/usage", app.url)).bearer_auth(token.to_owned()).json(&body);
        let req = if key.is_empty() { req } else { req.header("Idempotency-Key", key) };
        async move {
            let res = req.send().await.expect("sent");
            let replayed = res.headers().get("idempotent-replayed").is_some();
            (res.status(), replayed, res.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };
    let minutes = json!({"user_id": bruno, "metric": "minutes", "quantity": 12});
    let (status, replayed, _) = report("call-1", minutes.clone(), &admin.token).await;
    assert_eq!((status, replayed), (StatusCode::CREATED, false));
    for _ in 0..3 {
        let (status, replayed, body) = report("call-1", minutes.clone(), &admin.token).await;
        assert_eq!(
            (status, replayed, body["quantity"].as_i64()),
            (StatusCode::OK, true, Some(12)),
            "a retry counts nothing"
        );
    }
    let (status, _, conflict) =
        report("call-1", json!({"user_id": bruno, "metric": "minutes", "quantity": 13}), &admin.token).await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    report("msg-1", json!({"user_id": bruno, "metric": "messages", "quantity": 3}), &bruno_token).await;
    report("", json!({"user_id": bruno, "metric": "groups", "quantity": 2}), &bruno_token).await;
    report("", json!({"user_id": bruno, "metric": "groups", "quantity": 2}), &bruno_token).await;
    let (status, _, _) =
        report("x", json!({"user_id": admin.user_id, "metric": "minutes", "quantity": 1}), &bruno_token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a Member reports only their own usage");
    let (status, _, bad) =
        report("y", json!({"user_id": bruno, "metric": "api_requests", "quantity": 0}), &admin.token).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        bad["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
    assert_eq!(fields, ["metric", "quantity"]);
    let other = app.signup("Other", "olga@other.org").await;
    let (status, _, _) = report("z", json!({"user_id": bruno, "metric": "minutes", "quantity": 1}), &other.token).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "another account's user is not a user of this account");
    let (_, plan) = app.call(Method::GET, "/api/v1/me/plan", Some(&bruno_token), None).await;
    assert_eq!(
        (plan["usage"]["minutes"].as_i64(), plan["usage"]["messages"].as_i64(), plan["usage"]["groups"].as_i64()),
        (Some(12), Some(3), Some(4)),
        "{plan}"
    );
}

/// The 6-digit code in an SMS text.
pub fn sms_code(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_owned()
}

async fn a_new_cell_number_counts_once_its_sms_code_is_verified(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = Some(admin.token.as_str());
    let (status, pending) = app
        .call(
            Method::POST,
            "/api/v1/me/phone",
            t,
            Some(json!({"number": "(415) 555-2671", "country": "US", "current_password": "correct horse battery"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{pending}");
    assert_eq!(pending["pending_number"], "+14155552671");
    let (_, me) = app.call(Method::GET, "/api/v1/me", t, None).await;
    assert_eq!(me["phone"], json!({"number": null, "verified": false}), "not in force before it is verified");
    let code = sms_code(&app.wait_for_sms_to("+14155552671").await);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, body) = app.call(Method::POST, "/api/v1/me/phone/verify", t, Some(json!({"code": wrong}))).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code")));
    let (status, body) = app.call(Method::POST, "/api/v1/me/phone/verify", t, Some(json!({"code": code}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["phone"], json!({"number": "+14155552671", "verified": true}));
    let (_, me) = app.call(Method::GET, "/api/v1/me", t, None).await;
    assert_eq!(me["phone"], json!({"number": "+14155552671", "verified": true}));
    let (status, _) = app.call(Method::POST, "/api/v1/me/phone/verify", t, Some(json!({"code": code}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "single use");

    // A second number: the first stays in force until the new one is verified; 5 tries per code.
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/me/phone",
            t,
            Some(json!({"number": "+44 7911 123456", "current_password": "correct horse battery"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let code = sms_code(&app.wait_for_sms_to("+447911123456").await);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let (status, _) = app.call(Method::POST, "/api/v1/me/phone/verify", t, Some(json!({"code": wrong}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (status, _) = app.call(Method::POST, "/api/v1/me/phone/verify", t, Some(json!({"code": code}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the 6th try is refused even when right");
    let (_, me) = app.call(Method::GET, "/api/v1/me", t, None).await;
    assert_eq!(me["phone"]["number"], "+14155552671", "the old number is still in force");
    // Codes expire after 10 minutes.
    app.call(
        Method::POST,
        "/api/v1/me/phone",
        t,
        Some(json!({"number": "+33 6 12 34 56 78", "current_password": "correct horse battery"})),
    )
    .await;
    let code = sms_code(&app.wait_for_sms_to("+33612345678").await);
    app.advance(10 * 60 * 1000 + 1);
    let (status, _) = app.call(Method::POST, "/api/v1/me/phone/verify", t, Some(json!({"code": code}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "expired");

    // Refusals name the field and say why.
    for (body, field) in [
        (json!({"number": "415 555 2671", "current_password": "correct horse battery"}), "number"),
        (json!({"number": "+1 555", "current_password": "correct horse battery"}), "number"),
        (json!({"number": "12345", "country": "ZZ", "current_password": "correct horse battery"}), "country"),
        (json!({"number": "", "current_password": "correct horse battery"}), "number"),
    ] {
        let (status, answer) = app.call(Method::POST, "/api/v1/me/phone", t, Some(body.clone())).await;
        assert_eq!(
            (status, answer["errors"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}: {answer}"
        );
    }
    // Every SMS is in the account's SMS log.
    let (_, log) = app.call(Method::GET, "/api/v1/billing/sms/log", t, None).await;
    let to: Vec<&str> = log["data"].as_array().expect("data").iter().map(|e| e["to"].as_str().expect("to")).collect();
    assert_eq!(to, ["+33612345678", "+447911123456", "+14155552671"]);
    assert!(log["data"].as_array().expect("data").iter().all(|e| e["purpose"] == "phone_verification"));
}

async fn preferences_are_typed_and_validated(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = Some(admin.token.as_str());
    let (_, me) = app.call(Method::GET, "/api/v1/me", t, None).await;
    assert_eq!(me["notifications"], json!({"missed_calls": true, "voicemails": true}));
    assert_eq!(me["phone_settings"]["caller_id"], "number");
    let patch = json!({
        "notifications": {"missed_calls": false, "voicemails": true},
        "phone_settings": {"caller_id": "withheld", "forwarding_number": "+44 20 7946 0958", "voicemail_greeting": "Hi, leave a message."},
        "message_settings": {"signature": "— Ana", "auto_reply_enabled": true, "auto_reply_text": "Back on Monday."}
    });
    let (status, me) = app.call(Method::PATCH, "/api/v1/me", t, Some(patch)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["notifications"]["missed_calls"], false);
    assert_eq!(me["phone_settings"]["forwarding_number"], "+442079460958", "normalized to E.164");
    assert_eq!(me["message_settings"]["auto_reply_text"], "Back on Monday.");
    // Only what is sent changes; bad values are named; nothing is half-written.
    let (_, me) = app.call(Method::PATCH, "/api/v1/me", t, Some(json!({"name": "Ana Lima"}))).await;
    assert_eq!(me["phone_settings"]["caller_id"], "withheld");
    let bad = json!({"name": "Changed", "phone_settings": {"forwarding_number": "12"}, "message_settings": {"auto_reply_enabled": true}});
    let (status, answer) = app.call(Method::PATCH, "/api/v1/me", t, Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        answer["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
    assert_eq!(fields, ["phone_settings.forwarding_number", "message_settings.auto_reply_text"]);
    let (status, answer) =
        app.call(Method::PATCH, "/api/v1/me", t, Some(json!({"phone_settings": {"caller_id": "secret"}}))).await;
    assert_eq!(
        (status, answer["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_settings.caller_id"))
    );
    let (status, answer) =
        app.call(Method::PATCH, "/api/v1/me", t, Some(json!({"notifications": {"sms": true}}))).await;
    assert_eq!(
        (status, answer["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("notifications.sms")),
        "{answer}"
    );
    let (_, me) = app.call(Method::GET, "/api/v1/me", t, None).await;
    assert_eq!((me["name"].as_str(), me["notifications"]["missed_calls"].as_bool()), (Some("Ana Lima"), Some(false)));
    // An Administrator sets a user's notification settings.
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno", "member").await;
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{bruno}"),
            t,
            Some(json!({"notifications": {"missed_calls": false, "voicemails": false}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn my_data_export_holds_everything_about_me_and_no_secret(b: Backend) {
    let app = crate::licenses::spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = Some(admin.token.as_str());
    crate::licenses::license(&app, &admin.token, Method::PUT, &admin.user_id, "scheduling").await;
    app.call(Method::POST, "/api/v1/booking-pages", t, Some(json!({"name": "Intro", "slug": "ana-intro"}))).await;
    app.call(
        Method::PATCH,
        "/api/v1/me",
        t,
        Some(json!({"notifications": {"missed_calls": false, "voicemails": true}})),
    )
    .await;
    let (_, key) = app
        .call(Method::POST, "/api/v1/me/api-key", t, Some(json!({"current_password": "correct horse battery"})))
        .await;
    app.call(
        Method::POST,
        "/api/v1/me/phone",
        t,
        Some(json!({"number": "+44 20 7946 0958", "current_password": "correct horse battery"})),
    )
    .await;
    let other = app.signup("Other", "olga@other.org").await;
    app.call(
        Method::POST,
        "/api/v1/booking-pages",
        Some(&other.token),
        Some(json!({"name": "Olga", "slug": "olga-intro"})),
    )
    .await;

    let res = app.request(Method::GET, "/api/v1/me/export", t, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let text = res.text().await.unwrap();
    let data: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(data["profile"]["email"], "ana@example.com");
    assert_eq!(data["account"]["name"], "Acme");
    assert_eq!(data["settings"]["notifications"]["missed_calls"], false);
    assert_eq!(data["licenses"], json!(["scheduling"]));
    assert_eq!(data["booking_pages"][0]["slug"], "ana-intro");
    assert_eq!(data["api_key"]["prefix"], key["prefix"]);
    assert!(!data["sessions"].as_array().unwrap().is_empty());
    assert_eq!(data["sms"][0]["to"], "+442079460958");
    let actions: Vec<&str> =
        data["audit_events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(
        actions.contains(&"license.assigned")
            && actions.contains(&"api_key.created")
            && actions.contains(&"booking_page.created"),
        "{actions:?}"
    );
    // No secret, and nothing of another account.
    for secret in [
        key["key"].as_str().unwrap(),
        admin.token.as_str(),
        "password_hash",
        "key_hash",
        "token_hash",
        "totp_secret",
        "olga",
    ] {
        assert!(!text.contains(secret), "the export holds {secret}");
    }
}
