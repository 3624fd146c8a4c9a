//! Sign-in security: password policy on every path, lockout (also under a race), session policy
//! with the injectable clock, sessions, password reset by SMS and email, two-step verification,
//! and rate limits.

use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

db_tests!(
    password_policy_rules_each_refused_and_all_listed,
    password_history_refuses_the_last_n_and_accepts_older,
    lockout_race_counts_exactly_the_allowed_failures,
    unknown_emails_lock_alike_and_reset_answers_alike,
    session_idle_timeout_and_absolute_age_follow_the_policy,
    sessions_list_revoke_and_sign_out_everywhere,
    expired_passwords_get_a_token_that_can_only_change_it,
    reset_by_sms_over_http_allows_five_attempts,
    reset_by_email_link_unlocks_the_user,
    totp_matches_rfc6238_and_codes_are_not_replayed,
    sign_in_is_rate_limited_per_ip,
    security_changes_are_audited_and_emitted,
    required_two_step_verification_limits_the_session_to_its_setup,
);

const PW: &str = "correct horse battery";

async fn sign_in(app: &TestApp, email: &str, password: &str) -> (StatusCode, Value) {
    app.call(Method::POST, "/api/v1/auth/sign-in", None, Some(json!({"email": email, "password": password}))).await
}

fn messages(body: &Value) -> Vec<String> {
    body["errors"].as_array().map(|a| a.iter().map(|e| e["message"].as_str().unwrap_or_default().to_owned()).collect()).unwrap_or_default()
}

async fn put_password_policy(app: &TestApp, admin: &Admin, policy: Value) -> Value {
    let (status, body) = app.call(Method::PUT, "/api/v1/security/password-policy", Some(&admin.token), Some(policy)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn strict() -> Value {
    json!({"min_length": 12, "require_lowercase": true, "require_uppercase": true, "require_digit": true, "require_symbol": true, "expiration_days": 0, "history_count": 0})
}

async fn change(app: &TestApp, token: &str, current: &str, new: &str) -> (StatusCode, Value) {
    app.call(Method::POST, "/api/v1/me/password", Some(token), Some(json!({"current_password": current, "new_password": new}))).await
}

async fn password_policy_rules_each_refused_and_all_listed(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, body) = app.call(Method::GET, "/api/v1/security/password-policy", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["min_length"], 10, "defaults: {body}");
    let (status, body) = app.call(Method::PUT, "/api/v1/security/password-policy", Some(&admin.token), Some(json!({"min_length": 7, "require_lowercase": false, "require_uppercase": false, "require_digit": false, "require_symbol": false, "expiration_days": 0, "history_count": 99}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["min_length", "history_count"]);

    let body = put_password_policy(&app, &admin, strict()).await;
    assert_eq!(body["non_compliant_users"], 1, "the admin's own password has no uppercase, digit or symbol: {body}");
    let (_, member) = app.invite_and_activate_with(&admin, "bruno@example.com", "Bruno", "member", "Strong-enough-pass-1").await;

    // Every unmet rule at once, one entry each.
    let (status, body) = change(&app, &member, "Strong-enough-pass-1", "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        messages(&body),
        vec!["must be at least 12 characters", "must contain an uppercase letter", "must contain a digit", "must contain a symbol (not a letter or digit)"]
    );
    // Each rule alone.
    let cases = [
        ("ALLUPPER-PASS-1", "must contain a lowercase letter"),
        ("alllower-pass-1", "must contain an uppercase letter"),
        ("No-Digits-Here!", "must contain a digit"),
        ("NoSymbols12345", "must contain a symbol (not a letter or digit)"),
        ("Sh0rt-pass", "must be at least 12 characters"),
        ("Bruno@Example.com1", ""),
    ];
    for (pw, expected) in cases {
        let (status, body) = change(&app, &member, "Strong-enough-pass-1", pw).await;
        if expected.is_empty() {
            assert_eq!(status, StatusCode::NO_CONTENT, "{pw}: {body}");
            let (s, _) = change(&app, &member, pw, "Strong-enough-pass-1").await;
            assert_eq!(s, StatusCode::NO_CONTENT);
        } else {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{pw}");
            assert_eq!(messages(&body), vec![expected.to_owned()], "{pw}");
            assert_eq!(body["errors"][0]["field"], "new_password");
        }
    }
    // The email itself and a common password (checked case-insensitively).
    put_password_policy(&app, &admin, json!({"min_length": 8, "require_lowercase": false, "require_uppercase": false, "require_digit": false, "require_symbol": false, "expiration_days": 0, "history_count": 0})).await;
    let (_, body) = change(&app, &member, "Strong-enough-pass-1", "BRUNO@example.com").await;
    assert_eq!(messages(&body), vec!["must not be your email address"]);
    let (_, body) = change(&app, &member, "Strong-enough-pass-1", "PassWord123").await;
    assert_eq!(messages(&body), vec!["is one of the most common passwords; choose another"]);
    // A wrong current password is its own field.
    let (status, body) = change(&app, &member, "not it", "Another-good-one-2").await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("current_password")));
    // The policy is used by the admin-set path too.
    let (status, body) =
        app.call(Method::PUT, &format!("/api/v1/users/{}/password", admin.user_id), Some(&admin.token), Some(json!({"password": "qwerty123"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "password");
}

async fn password_history_refuses_the_last_n_and_accepts_older(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    put_password_policy(&app, &admin, json!({"min_length": 10, "require_lowercase": false, "require_uppercase": false, "require_digit": false, "require_symbol": false, "expiration_days": 0, "history_count": 3})).await;
    let pws = ["first pass phrase", "second pass phrase", "third pass phrase"];
    let mut current = PW.to_owned();
    for p in pws {
        let (s, body) = change(&app, &admin.token, &current, p).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
        current = p.to_owned();
    }
    // The last 3 (the current one included) are refused; the 4th back is accepted.
    for p in pws {
        let (s, body) = change(&app, &admin.token, &current, p).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(messages(&body), vec!["must differ from your last 3 passwords"]);
    }
    let (s, body) = change(&app, &admin.token, &current, PW).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "N+1 back is allowed: {body}");
}

async fn lockout_race_counts_exactly_the_allowed_failures(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (s, _) = app.call(Method::PUT, "/api/v1/security/lockout-policy", Some(&admin.token), Some(json!({"enabled": true, "max_failed_attempts": 2}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, body) =
        app.call(Method::PUT, "/api/v1/security/lockout-policy", Some(&admin.token), Some(json!({"enabled": true, "max_failed_attempts": 5}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (member_id, _) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;

    let app = Arc::new(app);
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move { sign_in(&app, "bruno@example.com", "wrong password here").await.0 }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let unauthorized = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let locked = statuses.iter().filter(|s| **s == StatusCode::LOCKED).count();
    assert_eq!((unauthorized, locked), (5, 35), "exactly the allowed failures were counted: {statuses:?}");
    let db = tenantry_storage::Db::connect(&app.database_url, 1).await.unwrap();
    let mut conn = db.conn().await.unwrap();
    let id = tenantry_domain::UserId::parse(&member_id).unwrap();
    assert_eq!(tenantry_storage::credentials::failures(&mut conn, &id).await.unwrap(), 5);
    drop(conn);
    db.close().await;

    // The right password is refused too, until an Administrator unlocks.
    assert_eq!(sign_in(&app, "bruno@example.com", "another good passphrase").await.0, StatusCode::LOCKED);
    let mail = app.wait_for_mail_to("bruno@example.com").await;
    let lock_mail = app.mail_files().into_iter().find(|m| m.contains("is locked")).unwrap_or(mail);
    assert!(lock_mail.contains("/password-reset") && lock_mail.contains("Administrator"), "{lock_mail}");
    let (s, users) = app.call(Method::GET, "/api/v1/users?status=locked", Some(&admin.token), None).await;
    assert_eq!((s, users["data"][0]["id"].as_str()), (StatusCode::OK, Some(member_id.as_str())));
    let (s, user) = app.call(Method::POST, &format!("/api/v1/users/{member_id}/unlock"), Some(&admin.token), None).await;
    assert_eq!((s, user["status"].as_str()), (StatusCode::OK, Some("active")));
    // Unlocked: a wrong password counts from zero again, and a right one signs in and resets the counter.
    assert_eq!(sign_in(&app, "bruno@example.com", "wrong password here").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(sign_in(&app, "bruno@example.com", "another good passphrase").await.0, StatusCode::OK);
}

async fn unknown_emails_lock_alike_and_reset_answers_alike(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.call(Method::PUT, "/api/v1/security/lockout-policy", Some(&admin.token), Some(json!({"enabled": true, "max_failed_attempts": 5}))).await;
    app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    for i in 0..7 {
        let known = sign_in(&app, "bruno@example.com", "wrong password here").await;
        let unknown = sign_in(&app, "nobody@example.com", "wrong password here").await;
        assert_eq!(known, unknown, "attempt {i}: same status and body");
        assert_eq!(known.0, if i < 5 { StatusCode::UNAUTHORIZED } else { StatusCode::LOCKED });
    }
    let known = app.call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "bruno@example.com"}))).await;
    let unknown = app.call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "nobody@example.com"}))).await;
    assert_eq!(known, unknown);
    assert_eq!(known.0, StatusCode::ACCEPTED);
    let bad = |email: &str| {
        app.call(
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            None,
            Some(json!({"email": email, "code": "000000", "new_password": "a fine new passphrase"})),
        )
    };
    let (a, b2) = (bad("bruno@example.com").await, bad("nobody@example.com").await);
    assert_eq!(a, b2, "confirm answers alike");
    assert_eq!(a.0, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn session_idle_timeout_and_absolute_age_follow_the_policy(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let minute = 60_000;
    let (s, body) = app
        .call(
            Method::PUT,
            "/api/v1/security/session-policy",
            Some(&admin.token),
            Some(json!({"timeout_enabled": true, "timeout_minutes": 10, "max_age_minutes": 60})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // The policy applies to the session that existed before it: active use keeps it alive.
    for _ in 0..5 {
        app.advance(9 * minute);
        assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await.0, StatusCode::OK);
    }
    // 45 minutes old; idle for 10 minutes ends it.
    app.advance(10 * minute);
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await.0, StatusCode::UNAUTHORIZED);

    // Absolute age: a busy session still ends 60 minutes after sign-in.
    let (_, body) = sign_in(&app, "ana@example.com", PW).await;
    let token = body["token"].as_str().unwrap().to_owned();
    for _ in 0..6 {
        app.advance(9 * minute);
        assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&token), None).await.0, StatusCode::OK);
    }
    app.advance(7 * minute);
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&token), None).await.0, StatusCode::UNAUTHORIZED, "61 minutes after sign-in");
}

async fn sessions_list_revoke_and_sign_out_everywhere(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (member_id, m1) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    let m2 = sign_in(&app, "bruno@example.com", "another good passphrase").await.1["token"].as_str().unwrap().to_owned();
    let m3 = sign_in(&app, "bruno@example.com", "another good passphrase").await.1["token"].as_str().unwrap().to_owned();
    let (s, list) = app.call(Method::GET, "/api/v1/me/sessions", Some(&m1), None).await;
    assert_eq!(s, StatusCode::OK);
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    assert_eq!(data.iter().filter(|s| s["current"] == true).count(), 1);
    let other = data.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();
    // Another user's session id is 404.
    assert_eq!(app.call(Method::DELETE, &format!("/api/v1/me/sessions/{other}"), Some(&admin.token), None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.call(Method::DELETE, &format!("/api/v1/me/sessions/{other}"), Some(&m1), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.call(Method::DELETE, "/api/v1/me/sessions", Some(&m1), None).await.0, StatusCode::NO_CONTENT);
    for t in [&m2, &m3] {
        assert_eq!(app.call(Method::GET, "/api/v1/me", Some(t), None).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&m1), None).await.0, StatusCode::OK);
    // A Member may not sign others out; an Administrator signs the member out everywhere.
    assert_eq!(app.call(Method::DELETE, &format!("/api/v1/users/{}/sessions", admin.user_id), Some(&m1), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.call(Method::DELETE, &format!("/api/v1/users/{member_id}/sessions"), Some(&admin.token), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&m1), None).await.0, StatusCode::UNAUTHORIZED);
    // A password change ends the other sessions and keeps this one.
    let a2 = sign_in(&app, "ana@example.com", PW).await.1["token"].as_str().unwrap().to_owned();
    assert_eq!(change(&app, &admin.token, PW, "a brand new passphrase").await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&a2), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await.0, StatusCode::OK);
}

async fn expired_passwords_get_a_token_that_can_only_change_it(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    put_password_policy(&app, &admin, json!({"min_length": 10, "require_lowercase": false, "require_uppercase": false, "require_digit": false, "require_symbol": false, "expiration_days": 30, "history_count": 0})).await;
    app.advance(31 * 86_400_000);
    let (s, body) = sign_in(&app, "ana@example.com", PW).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["password_expired"], true);
    let token = body["token"].as_str().unwrap().to_owned();
    let (s, body) = app.call(Method::GET, "/api/v1/users", Some(&token), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(change(&app, &token, PW, "a renewed passphrase").await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.call(Method::GET, "/api/v1/users", Some(&token), None).await.0, StatusCode::OK, "the same token now has full rights");
    assert_eq!(sign_in(&app, "ana@example.com", "a renewed passphrase").await.1["password_expired"], false);

    // Tightening the policy reports who no longer complies and can require a new password
    // (the sign-up session is past its 30-day age by now: use the renewed one).
    let admin = Admin { token, ..admin };
    let body = put_password_policy(&app, &admin, strict()).await;
    assert_eq!(body["non_compliant_users"], 1);
    let (s, body) = app.call(Method::POST, "/api/v1/security/password-policy/require-change", Some(&admin.token), None).await;
    assert_eq!((s, body["users"].as_u64()), (StatusCode::OK, Some(1)));
    assert_eq!(sign_in(&app, "ana@example.com", "a renewed passphrase").await.1["password_expired"], true);
}

/// What the SMS provider received: the Authorization header and the JSON body of each request.
type Inbox = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A real HTTP server that records the JSON bodies POSTed to it (the SMS provider).
async fn sms_provider() -> (String, Inbox) {
    let received: Inbox = Arc::new(Mutex::new(Vec::new()));
    let r = received.clone();
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let r = r.clone();
            async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
                r.lock().unwrap().push((auth, serde_json::from_str(&body).unwrap_or(Value::Null)));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/sms"), received)
}

async fn reset_by_sms_over_http_allows_five_attempts(b: Backend) {
    let (url, received) = sms_provider().await;
    let app = spawn_app_with(b, |c| {
        c.sms_url = Some(url.clone().into());
        c.sms_authorization = Some("Bearer sms-test-key".to_owned().into());
    })
    .await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (member_id, _) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    let db = tenantry_storage::Db::connect(&app.database_url, 1).await.unwrap();
    {
        let mut conn = db.conn().await.unwrap();
        let id = tenantry_domain::UserId::parse(&member_id).unwrap();
        assert!(tenantry_storage::credentials::set_phone(&mut conn, &id, Some("+15555550123"), true).await.unwrap());
    }
    db.close().await;
    let reset = || app.call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "bruno@example.com"})));
    assert_eq!(reset().await.0, StatusCode::ACCEPTED);
    let code = wait_for_sms(&received, 1).await;
    let (auth, body) = received.lock().unwrap()[0].clone();
    assert_eq!(auth.as_deref(), Some("Bearer sms-test-key"));
    assert_eq!(body["to"], "+15555550123");

    let confirm = |code: String| {
        app.call(
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            None,
            Some(json!({"email": "bruno@example.com", "code": code, "new_password": "a fine new passphrase"})),
        )
    };
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        assert_eq!(confirm(wrong.to_owned()).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (s, body) = confirm(code.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "the 6th try is refused even with the right code: {body}");

    // A new code works once, and only once.
    assert_eq!(reset().await.0, StatusCode::ACCEPTED);
    let code = wait_for_sms(&received, 2).await;
    let (s, body) = confirm(code.clone()).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(confirm(code).await.0, StatusCode::UNPROCESSABLE_ENTITY, "single use");
    assert_eq!(sign_in(&app, "bruno@example.com", "a fine new passphrase").await.0, StatusCode::OK);

    // Codes expire after 10 minutes.
    assert_eq!(reset().await.0, StatusCode::ACCEPTED);
    let code = wait_for_sms(&received, 3).await;
    app.advance(10 * 60_000 + 1);
    assert_eq!(confirm(code).await.0, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn wait_for_sms(received: &Inbox, n: usize) -> String {
    for _ in 0..400 {
        if let Some((_, body)) = received.lock().unwrap().get(n - 1).cloned() {
            let text = body["body"].as_str().unwrap_or_default().to_owned();
            let code: String = text
                .split_whitespace()
                .find(|w| w.trim_end_matches('.').len() == 6 && w.trim_end_matches('.').chars().all(|c| c.is_ascii_digit()))
                .unwrap_or_default()
                .trim_end_matches('.')
                .to_owned();
            assert_eq!(code.len(), 6, "{text}");
            return code;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("no SMS number {n} arrived");
}

async fn reset_by_email_link_unlocks_the_user(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.call(Method::PUT, "/api/v1/security/lockout-policy", Some(&admin.token), Some(json!({"enabled": true, "max_failed_attempts": 3}))).await;
    for _ in 0..4 {
        sign_in(&app, "ana@example.com", "wrong password here").await;
    }
    assert_eq!(sign_in(&app, "ana@example.com", PW).await.0, StatusCode::LOCKED);
    let before = app.mail_files().len();
    assert_eq!(app.call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "ana@example.com"}))).await.0, StatusCode::ACCEPTED);
    let mut mail = String::new();
    for _ in 0..200 {
        if let Some(m) = app.mail_files().into_iter().skip(before).find(|m| m.contains("/password-reset/")) {
            mail = m;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let token = link_token(&mail, "/password-reset/");
    let (s, body) = app
        .call(Method::POST, "/api/v1/auth/password-reset/confirm", None, Some(json!({"email": "ana@example.com", "code": token, "new_password": "short"})))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "new_password", "{body}");
    let (s, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            None,
            Some(json!({"email": "ana@example.com", "code": token, "new_password": "a fine new passphrase"})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await.0, StatusCode::UNAUTHORIZED, "sessions ended");
    assert_eq!(sign_in(&app, "ana@example.com", "a fine new passphrase").await.0, StatusCode::OK, "unlocked");
}

/// RFC 6238 from HMAC-SHA1, written independently of the server's totp-rs.
pub fn rfc6238(secret: &[u8], unix_secs: u64, digits: u32) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret).unwrap();
    mac.update(&(unix_secs / 30).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = (h[h.len() - 1] & 0x0f) as usize;
    let bin = (u32::from(h[o] & 0x7f) << 24) | (u32::from(h[o + 1]) << 16) | (u32::from(h[o + 2]) << 8) | u32::from(h[o + 3]);
    format!("{:0width$}", bin % 10u32.pow(digits), width = digits as usize)
}

pub fn base32_decode(s: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut out) = (0u32, 0u32, Vec::new());
    for c in s.trim_end_matches('=').bytes() {
        value = (value << 5) | alphabet.iter().position(|a| *a == c).unwrap() as u32;
        bits += 5;
        if bits >= 8 {
            out.push((value >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    out
}

async fn totp_matches_rfc6238_and_codes_are_not_replayed(b: Backend) {
    // The independent implementation passes the RFC's own SHA-1 test vectors (8 digits).
    let rfc_key = b"12345678901234567890";
    for (t, code) in [(59, "94287082"), (1111111109, "07081804"), (1234567890, "89005924"), (2000000000, "69279037")] {
        assert_eq!(rfc6238(rfc_key, t, 8), code);
    }
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (s, e) = app.call(Method::POST, "/api/v1/me/mfa/totp", Some(&admin.token), None).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let secret = e["secret"].as_str().unwrap();
    let uri = e["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Tenantry:ana%40example.com?") && uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(e["qr_svg"].as_str().unwrap().contains("<svg"));
    let seed = base32_decode(secret);
    let now = || (jiff::Timestamp::now().as_millisecond() + app.time_offset.load(std::sync::atomic::Ordering::SeqCst)) as u64 / 1000;

    assert_eq!(
        app.call(Method::POST, "/api/v1/me/mfa/totp/confirm", Some(&admin.token), Some(json!({"code": "000000"}))).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (s, body) = app.call(Method::POST, "/api/v1/me/mfa/totp/confirm", Some(&admin.token), Some(json!({"code": rfc6238(&seed, now(), 6)}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let recovery: Vec<String> = body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(recovery.len(), 10);

    // Sign-in now needs a code; the one just used in this step cannot be replayed.
    let (s, body) = sign_in(&app, "ana@example.com", PW).await;
    assert_eq!((s, &body["mfa_required"]), (StatusCode::UNAUTHORIZED, &json!(true)));
    let with =
        |code: String| app.call(Method::POST, "/api/v1/auth/sign-in", None, Some(json!({"email": "ana@example.com", "password": PW, "totp_code": code})));
    assert_eq!(with(rfc6238(&seed, now(), 6)).await.0, StatusCode::UNAUTHORIZED, "replay of the confirmed code");
    app.advance(30_000);
    let code = rfc6238(&seed, now(), 6);
    assert_eq!(with(code.clone()).await.0, StatusCode::OK);
    assert_eq!(with(code).await.0, StatusCode::UNAUTHORIZED, "a used code is not accepted twice");
    // A recovery code works once.
    assert_eq!(with(recovery[0].clone()).await.0, StatusCode::OK);
    assert_eq!(with(recovery[0].clone()).await.0, StatusCode::UNAUTHORIZED);
    // Turning it off needs a code.
    app.advance(30_000);
    assert_eq!(app.call(Method::DELETE, "/api/v1/me/mfa/totp", Some(&admin.token), Some(json!({"code": "123"}))).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.call(Method::DELETE, "/api/v1/me/mfa/totp", Some(&admin.token), Some(json!({"code": rfc6238(&seed, now(), 6)}))).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(sign_in(&app, "ana@example.com", PW).await.0, StatusCode::OK);
}

async fn sign_in_is_rate_limited_per_ip(b: Backend) {
    let app = spawn_app_with(b, |c| c.rate_limit_per_ip = 3).await;
    for _ in 0..3 {
        assert_eq!(sign_in(&app, "nobody@example.com", "wrong password here").await.0, StatusCode::UNAUTHORIZED);
    }
    let res = app.request(Method::POST, "/api/v1/auth/sign-in", None, Some(json!({"email": "other@example.com", "password": "x"}))).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    let res = app.request(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "x@example.com"}))).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "reset shares the per-IP budget");
}

async fn audit_actions(app: &TestApp, token: &str, action: &str) -> Vec<Value> {
    let (s, body) = app.call(Method::GET, &format!("/api/v1/audit-events?action={action}"), Some(token), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["data"].as_array().cloned().unwrap_or_default()
}

async fn security_changes_are_audited_and_emitted(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (s, _) = app.call(Method::PUT, "/api/v1/security/lockout-policy", Some(&admin.token), Some(json!({"enabled": true, "max_failed_attempts": 3}))).await;
    assert_eq!(s, StatusCode::OK);
    let (member_id, _) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    for _ in 0..3 {
        sign_in(&app, "bruno@example.com", "wrong password here").await;
    }
    assert_eq!(sign_in(&app, "bruno@example.com", "another good passphrase").await.0, StatusCode::LOCKED);
    app.call(Method::POST, &format!("/api/v1/users/{member_id}/unlock"), Some(&admin.token), None).await;
    assert_eq!(sign_in(&app, "bruno@example.com", "another good passphrase").await.0, StatusCode::OK);

    let policy = audit_actions(&app, &admin.token, "security_policy.updated").await;
    assert_eq!(policy.len(), 1);
    assert_eq!(
        (policy[0]["before"]["lockout"]["max_failed_attempts"].as_u64(), policy[0]["after"]["lockout"]["max_failed_attempts"].as_u64()),
        (Some(5), Some(3))
    );
    assert_eq!(audit_actions(&app, &admin.token, "auth.sign_in_failed").await.len(), 3);
    let locked = audit_actions(&app, &admin.token, "user.locked").await;
    assert_eq!(locked[0]["target_id"], member_id.as_str());
    let unlocked = audit_actions(&app, &admin.token, "user.unlocked").await;
    assert_eq!(unlocked[0]["actor_id"], admin.user_id.as_str(), "{unlocked:?}");
    assert!(audit_actions(&app, &admin.token, "auth.sign_in").await.iter().any(|e| e["target_id"] == member_id.as_str()));

    // The webhook events are recorded for delivery.
    let db = tenantry_storage::Db::connect(&app.database_url, 1).await.unwrap();
    let mut conn = db.conn().await.unwrap();
    let account = tenantry_domain::AccountId::parse(&admin.account_id).unwrap();
    for kind in ["user.locked", "security_policy.updated"] {
        assert_eq!(tenantry_storage::events::list(&mut conn, &account, kind, 10).await.unwrap().len(), 1, "{kind}");
    }
    drop(conn);
    db.close().await;
}

async fn required_two_step_verification_limits_the_session_to_its_setup(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (s, body) = app
        .call(
            Method::PUT,
            "/api/v1/security/session-policy",
            Some(&admin.token),
            Some(json!({"timeout_enabled": false, "timeout_minutes": 30, "require_mfa": true})),
        )
        .await;
    assert_eq!((s, &body["require_mfa"]), (StatusCode::OK, &json!(true)), "{body}");
    let (s, body) = sign_in(&app, "ana@example.com", PW).await;
    assert_eq!((s, &body["mfa_setup_required"]), (StatusCode::OK, &json!(true)));
    let token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(app.call(Method::GET, "/api/v1/users", Some(&token), None).await.0, StatusCode::FORBIDDEN);
    let (s, e) = app.call(Method::POST, "/api/v1/me/mfa/totp", Some(&token), None).await;
    assert_eq!(s, StatusCode::OK);
    let seed = base32_decode(e["secret"].as_str().unwrap());
    let now = (jiff::Timestamp::now().as_millisecond() + app.time_offset.load(std::sync::atomic::Ordering::SeqCst)) as u64 / 1000;
    let (s, _) = app.call(Method::POST, "/api/v1/me/mfa/totp/confirm", Some(&token), Some(json!({"code": rfc6238(&seed, now, 6)}))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.call(Method::GET, "/api/v1/users", Some(&token), None).await.0, StatusCode::OK, "set up: full rights");
    let enabled = audit_actions(&app, &token, "mfa.totp_enabled").await;
    assert_eq!(enabled.len(), 1);
}
