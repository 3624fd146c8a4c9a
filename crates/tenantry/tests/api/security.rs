//! Sign-in security: password policy on every path, lockout (also under a race), session policy
//! with the injectable clock, sessions, rate limits and audit. Password reset and two-step
//! verification are in `recovery.rs`.

use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

db_tests!(
    password_policy_rules_each_refused_and_all_listed,
    password_history_refuses_the_last_n_and_accepts_older,
    lockout_race_counts_exactly_the_allowed_failures,
    unknown_emails_lock_alike_and_reset_answers_alike,
    session_idle_timeout_and_absolute_age_follow_the_policy,
    sessions_list_revoke_and_sign_out_everywhere,
    expired_passwords_get_a_token_that_can_only_change_it,
    sign_in_is_rate_limited_per_ip,
    security_changes_are_audited_and_emitted,
    a_sign_in_records_a_missing_password_profile_and_only_a_missing_one,
);

pub(crate) const PW: &str = "correct horse battery";

pub(crate) async fn sign_in(app: &TestApp, email: &str, password: &str) -> (StatusCode, Value) {
    app.call(Method::POST, "/api/v1/auth/sign-in", None, Some(json!({"email": email, "password": password}))).await
}

pub(crate) fn messages(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| a.iter().map(|e| e["message"].as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}

pub(crate) async fn put_password_policy(app: &TestApp, admin: &Admin, policy: Value) -> Value {
    let (status, body) =
        app.call(Method::PUT, "/api/v1/security/password-policy", Some(&admin.token), Some(policy)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

pub(crate) fn strict() -> Value {
    json!({"min_length": 12, "require_lowercase": true, "require_uppercase": true, "require_digit": true, "require_symbol": true, "expiration_days": 0, "history_count": 0})
}

pub(crate) async fn change(app: &TestApp, token: &str, current: &str, new: &str) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        "/api/v1/me/password",
        Some(token),
        Some(json!({"current_password": current, "new_password": new})),
    )
    .await
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
    let (member_id, member) =
        app.invite_and_activate_with(&admin, "bruno@example.com", "Bruno", "member", "Strong-enough-pass-1").await;

    // Every unmet rule at once, one entry each.
    let (status, body) = change(&app, &member, "Strong-enough-pass-1", "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        messages(&body),
        vec![
            "must be at least 12 characters",
            "must contain an uppercase letter",
            "must contain a digit",
            "must contain a symbol (not a letter or digit)"
        ]
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
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("current_password"))
    );
    // The policy is used by the admin-set path too.
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/v1/users/{member_id}/password"),
            Some(&admin.token),
            Some(json!({"password": "qwerty123"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "password");
    // An Administrator's own password is never set without their current one: that path is
    // refused for themselves (rule "self"), and their session lives on.
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/v1/users/{}/password", admin.user_id),
            Some(&admin.token),
            Some(json!({"password": "A-perfectly-good-pass-9"})),
        )
        .await;
    assert_eq!((status, body["rule"].as_str()), (StatusCode::CONFLICT, Some("self")), "{body}");
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK);
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
    let (s, _) = app
        .call(
            Method::PUT,
            "/api/v1/security/lockout-policy",
            Some(&admin.token),
            Some(json!({"enabled": true, "max_failed_attempts": 2})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, body) = app
        .call(
            Method::PUT,
            "/api/v1/security/lockout-policy",
            Some(&admin.token),
            Some(json!({"enabled": true, "max_failed_attempts": 5})),
        )
        .await;
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
    // Every answer is 401 or 423 (from the 4th failure in a row every email answers 423); the
    // count in the database is exactly the policy's 5, however the 40 raced.
    let unauthorized = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let locked = statuses.iter().filter(|s| **s == StatusCode::LOCKED).count();
    assert_eq!(unauthorized + locked, 40, "{statuses:?}");
    assert!(unauthorized <= 3, "at most three answers before the 423s: {statuses:?}");
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
    let (s, user) =
        app.call(Method::POST, &format!("/api/v1/users/{member_id}/unlock"), Some(&admin.token), None).await;
    assert_eq!((s, user["status"].as_str()), (StatusCode::OK, Some("active")));
    // Unlocked: a wrong password counts from zero again, and a right one signs in and resets the counter.
    assert_eq!(sign_in(&app, "bruno@example.com", "wrong password here").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(sign_in(&app, "bruno@example.com", "another good passphrase").await.0, StatusCode::OK);
}

async fn unknown_emails_lock_alike_and_reset_answers_alike(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.call(
        Method::PUT,
        "/api/v1/security/lockout-policy",
        Some(&admin.token),
        Some(json!({"enabled": true, "max_failed_attempts": 5})),
    )
    .await;
    app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    for i in 0..7 {
        let known = sign_in(&app, "bruno@example.com", "wrong password here").await;
        let unknown = sign_in(&app, "nobody@example.com", "wrong password here").await;
        assert_eq!(known, unknown, "attempt {i}: same status and body");
        assert_eq!(known.0, if i < 3 { StatusCode::UNAUTHORIZED } else { StatusCode::LOCKED });
    }
    let known =
        app.call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "bruno@example.com"}))).await;
    let unknown =
        app.call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "nobody@example.com"}))).await;
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
    assert_eq!(
        app.call(Method::GET, "/api/v1/me", Some(&token), None).await.0,
        StatusCode::UNAUTHORIZED,
        "61 minutes after sign-in"
    );
}

async fn sessions_list_revoke_and_sign_out_everywhere(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (member_id, m1) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    let m2 =
        sign_in(&app, "bruno@example.com", "another good passphrase").await.1["token"].as_str().unwrap().to_owned();
    let m3 =
        sign_in(&app, "bruno@example.com", "another good passphrase").await.1["token"].as_str().unwrap().to_owned();
    let (s, list) = app.call(Method::GET, "/api/v1/me/sessions", Some(&m1), None).await;
    assert_eq!(s, StatusCode::OK);
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    assert_eq!(data.iter().filter(|s| s["current"] == true).count(), 1);
    let other = data.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();
    // Another user's session id is 404.
    assert_eq!(
        app.call(Method::DELETE, &format!("/api/v1/me/sessions/{other}"), Some(&admin.token), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call(Method::DELETE, &format!("/api/v1/me/sessions/{other}"), Some(&m1), None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.call(Method::DELETE, "/api/v1/me/sessions", Some(&m1), None).await.0, StatusCode::NO_CONTENT);
    for t in [&m2, &m3] {
        assert_eq!(app.call(Method::GET, "/api/v1/me", Some(t), None).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&m1), None).await.0, StatusCode::OK);
    // A Member may not sign others out; an Administrator signs the member out everywhere.
    assert_eq!(
        app.call(Method::DELETE, &format!("/api/v1/users/{}/sessions", admin.user_id), Some(&m1), None).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(Method::DELETE, &format!("/api/v1/users/{member_id}/sessions"), Some(&admin.token), None).await.0,
        StatusCode::NO_CONTENT
    );
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
    assert_eq!(
        app.call(Method::GET, "/api/v1/users", Some(&token), None).await.0,
        StatusCode::OK,
        "the same token now has full rights"
    );
    assert_eq!(sign_in(&app, "ana@example.com", "a renewed passphrase").await.1["password_expired"], false);

    // Tightening the policy reports who no longer complies and can require a new password
    // (the sign-up session is past its 30-day age by now: use the renewed one).
    let admin = Admin { token, ..admin };
    let body = put_password_policy(&app, &admin, strict()).await;
    assert_eq!(body["non_compliant_users"], 1);
    let (s, body) =
        app.call(Method::POST, "/api/v1/security/password-policy/require-change", Some(&admin.token), None).await;
    assert_eq!((s, body["users"].as_u64()), (StatusCode::OK, Some(1)));
    assert_eq!(sign_in(&app, "ana@example.com", "a renewed passphrase").await.1["password_expired"], true);
}

async fn sign_in_is_rate_limited_per_ip(b: Backend) {
    let app = spawn_app_with(b, |c| c.rate_limit_per_ip = 3).await;
    for _ in 0..3 {
        assert_eq!(sign_in(&app, "nobody@example.com", "wrong password here").await.0, StatusCode::UNAUTHORIZED);
    }
    let res = app
        .request(
            Method::POST,
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "other@example.com", "password": "x"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    let res =
        app.request(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "x@example.com"}))).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "reset shares the per-IP budget");
}

pub(crate) async fn audit_actions(app: &TestApp, token: &str, action: &str) -> Vec<Value> {
    let (s, body) = app.call(Method::GET, &format!("/api/v1/audit-events?action={action}"), Some(token), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["data"].as_array().cloned().unwrap_or_default()
}

async fn security_changes_are_audited_and_emitted(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (s, _) = app
        .call(
            Method::PUT,
            "/api/v1/security/lockout-policy",
            Some(&admin.token),
            Some(json!({"enabled": true, "max_failed_attempts": 3})),
        )
        .await;
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
        (
            policy[0]["before"]["lockout"]["max_failed_attempts"].as_u64(),
            policy[0]["after"]["lockout"]["max_failed_attempts"].as_u64()
        ),
        (Some(5), Some(3))
    );
    assert_eq!(audit_actions(&app, &admin.token, "auth.sign_in_failed").await.len(), 3);
    let locked = audit_actions(&app, &admin.token, "user.locked").await;
    assert_eq!(locked[0]["target_id"], member_id.as_str());
    let unlocked = audit_actions(&app, &admin.token, "user.unlocked").await;
    assert_eq!(unlocked[0]["actor_id"], admin.user_id.as_str(), "{unlocked:?}");
    assert!(
        audit_actions(&app, &admin.token, "auth.sign_in").await.iter().any(|e| e["target_id"] == member_id.as_str())
    );

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

/// The profile of a password (length, character classes) is what the compliance count reads; a
/// user without one (set before profiles were kept) gets it from their next sign-in, in the same
/// statement that resets the failure counter. A profile already there is left as it is.
async fn a_sign_in_records_a_missing_password_profile_and_only_a_missing_one(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.expect("connect");
    // "correct horse battery": 21 characters, lower case (1) and spaces, which count as symbols (8).
    assert_eq!(profile(&mut conn, &admin.user_id).await, (Some(21), Some(9), 0));

    sqlx::query("UPDATE users SET password_length = NULL, password_classes = NULL, failed_attempts = 2 WHERE id = $1")
        .bind(&admin.user_id)
        .execute(&mut conn)
        .await
        .expect("forget the profile");
    assert_eq!(sign_in(&app, "ana@example.com", PW).await.0, StatusCode::OK);
    assert_eq!(profile(&mut conn, &admin.user_id).await, (Some(21), Some(9), 0), "filled, and the failures reset");

    sqlx::query("UPDATE users SET password_length = 30, password_classes = 15 WHERE id = $1")
        .bind(&admin.user_id)
        .execute(&mut conn)
        .await
        .expect("another profile");
    assert_eq!(sign_in(&app, "ana@example.com", PW).await.0, StatusCode::OK);
    assert_eq!(profile(&mut conn, &admin.user_id).await, (Some(30), Some(15), 0), "a profile already there is kept");
}

/// A user's password profile and failure count, straight from the database.
async fn profile(conn: &mut sqlx::AnyConnection, id: &str) -> (Option<i64>, Option<i64>, i64) {
    sqlx::query_as("SELECT password_length, password_classes, failed_attempts FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await
        .expect("user row")
}
