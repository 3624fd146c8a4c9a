//! Password reset (a code by SMS through a real HTTP provider, or a link by email) and two-step
//! verification (TOTP checked against RFC 6238, recovery codes, the account-wide requirement).

use crate::db_tests;
use crate::helpers::*;
use crate::security::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

db_tests!(
    reset_by_sms_over_http_allows_five_attempts,
    reset_by_email_link_unlocks_the_user,
    totp_matches_rfc6238_and_codes_are_not_replayed,
    required_two_step_verification_limits_the_session_to_its_setup,
);

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
    let reset =
        || app.call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "bruno@example.com"})));
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
                .find(|w| {
                    w.trim_end_matches('.').len() == 6 && w.trim_end_matches('.').chars().all(|c| c.is_ascii_digit())
                })
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
    app.call(
        Method::PUT,
        "/api/v1/security/lockout-policy",
        Some(&admin.token),
        Some(json!({"enabled": true, "max_failed_attempts": 3})),
    )
    .await;
    for _ in 0..4 {
        sign_in(&app, "ana@example.com", "wrong password here").await;
    }
    assert_eq!(sign_in(&app, "ana@example.com", PW).await.0, StatusCode::LOCKED);
    let before = app.mail_files().len();
    assert_eq!(
        app.call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "ana@example.com"}))).await.0,
        StatusCode::ACCEPTED
    );
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
        .call(
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            None,
            Some(json!({"email": "ana@example.com", "code": token, "new_password": "short"})),
        )
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
    assert_eq!(
        app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await.0,
        StatusCode::UNAUTHORIZED,
        "sessions ended"
    );
    assert_eq!(sign_in(&app, "ana@example.com", "a fine new passphrase").await.0, StatusCode::OK, "unlocked");
}

/// RFC 6238 from HMAC-SHA1, written independently of the server's totp-rs.
pub fn rfc6238(secret: &[u8], unix_secs: u64, digits: u32) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret).unwrap();
    mac.update(&(unix_secs / 30).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = (h[h.len() - 1] & 0x0f) as usize;
    let bin =
        (u32::from(h[o] & 0x7f) << 24) | (u32::from(h[o + 1]) << 16) | (u32::from(h[o + 2]) << 8) | u32::from(h[o + 3]);
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
    assert!(
        uri.starts_with("otpauth://totp/Tenantry:ana%40example.com?") && uri.contains(&format!("secret={secret}")),
        "{uri}"
    );
    assert!(e["qr_svg"].as_str().unwrap().contains("<svg"));
    let seed = base32_decode(secret);
    let now = || {
        (jiff::Timestamp::now().as_millisecond() + app.time_offset.load(std::sync::atomic::Ordering::SeqCst)) as u64
            / 1000
    };

    assert_eq!(
        app.call(Method::POST, "/api/v1/me/mfa/totp/confirm", Some(&admin.token), Some(json!({"code": "000000"})))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (s, body) = app
        .call(
            Method::POST,
            "/api/v1/me/mfa/totp/confirm",
            Some(&admin.token),
            Some(json!({"code": rfc6238(&seed, now(), 6)})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let recovery: Vec<String> =
        body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(recovery.len(), 10);

    // Sign-in now needs a code; the one just used in this step cannot be replayed.
    let (s, body) = sign_in(&app, "ana@example.com", PW).await;
    assert_eq!((s, &body["mfa_required"]), (StatusCode::UNAUTHORIZED, &json!(true)));
    let with = |code: String| {
        app.call(
            Method::POST,
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "ana@example.com", "password": PW, "totp_code": code})),
        )
    };
    assert_eq!(with(rfc6238(&seed, now(), 6)).await.0, StatusCode::UNAUTHORIZED, "replay of the confirmed code");
    app.advance(30_000);
    let code = rfc6238(&seed, now(), 6);
    assert_eq!(with(code.clone()).await.0, StatusCode::OK);
    assert_eq!(with(code).await.0, StatusCode::UNAUTHORIZED, "a used code is not accepted twice");
    // A recovery code works once.
    assert_eq!(with(recovery[0].clone()).await.0, StatusCode::OK);
    assert_eq!(with(recovery[0].clone()).await.0, StatusCode::UNAUTHORIZED);
    // Turning it off needs the password and a code.
    app.advance(30_000);
    assert_eq!(
        app.call(Method::DELETE, "/api/v1/me/mfa/totp", Some(&admin.token), Some(json!({"code": "123"}))).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.call(
            Method::DELETE,
            "/api/v1/me/mfa/totp",
            Some(&admin.token),
            Some(json!({"current_password": PW, "code": "123"}))
        )
        .await
        .0,
        StatusCode::FORBIDDEN,
        "a wrong code"
    );
    assert_eq!(
        app.call(
            Method::DELETE,
            "/api/v1/me/mfa/totp",
            Some(&admin.token),
            Some(json!({"current_password": PW, "code": rfc6238(&seed, now(), 6)}))
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(sign_in(&app, "ana@example.com", PW).await.0, StatusCode::OK);
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
    let now = (jiff::Timestamp::now().as_millisecond() + app.time_offset.load(std::sync::atomic::Ordering::SeqCst))
        as u64
        / 1000;
    let (s, _) = app
        .call(Method::POST, "/api/v1/me/mfa/totp/confirm", Some(&token), Some(json!({"code": rfc6238(&seed, now, 6)})))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        app.call(Method::GET, "/api/v1/users", Some(&token), None).await.0,
        StatusCode::OK,
        "set up: full rights"
    );
    let enabled = audit_actions(&app, &token, "mfa.totp_enabled").await;
    assert_eq!(enabled.len(), 1);
}
