//! Sign-up, sign-in, sign-out and invitations.

use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};

db_tests!(
    signup_signs_in_the_first_administrator,
    closed_signup_is_refused,
    wrong_password_and_unknown_email_answer_alike,
    sign_out_revokes_the_session,
    invitation_over_smtp_is_accepted_and_user_signs_in,
    resending_an_invitation_invalidates_the_old_link,
    expired_invitation_links_are_404,
    invitation_password_is_checked_against_the_policy,
    emails_are_unique_regardless_of_case,
    a_session_revoked_on_another_node_ends_within_the_cache_lifetime,
);

async fn signup_signs_in_the_first_administrator(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, me) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "administrator");
    assert_eq!(me["account_id"], admin.account_id.as_str());
    let (status, users) = app.call(Method::GET, "/api/v1/users", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(users["data"][0]["status"], "active");
    assert!(users["data"][0]["last_sign_in_at"].is_string());

    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "ANA@example.com", "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "sign-in is case-insensitive in the email: {body}");
    assert_eq!(body["password_expired"], false);
    assert!(body["expires_at"].as_str().is_some_and(|t| t.ends_with('Z')));
}

async fn closed_signup_is_refused(b: Backend) {
    let app = spawn_app_with(b, |c| c.signup = tenantry::config::Signup::Closed).await;
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/signup",
            None,
            Some(json!({"account_name": "A", "name": "B", "email": "b@example.com", "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("closed")));
}

async fn timed_sign_in(app: &TestApp, email: &str) -> (StatusCode, serde_json::Value, Duration) {
    let start = Instant::now();
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": email, "password": "wrong password here"})),
        )
        .await;
    (status, body, start.elapsed())
}

async fn wrong_password_and_unknown_email_answer_alike(b: Backend) {
    let app = spawn_app(b).await;
    app.signup("Acme", "ana@example.com").await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    // Three tries each: from the fourth failure in a row every email answers 423 (`LOCKED_ANSWER_FROM`).
    for _ in 0..3 {
        let (s1, b1, t1) = timed_sign_in(&app, "ana@example.com").await;
        let (s2, b2, t2) = timed_sign_in(&app, "nobody@example.com").await;
        assert_eq!(s1, StatusCode::UNAUTHORIZED);
        assert_eq!((s1, &b1), (s2, &b2), "same status and body");
        known.push(t1);
        unknown.push(t2);
    }
    known.sort();
    unknown.sort();
    let (k, u) = (known[1].as_secs_f64(), unknown[1].as_secs_f64());
    // Both run exactly one Argon2id verification; medians must be of the same size.
    assert!((k - u).abs() < 0.5 * k.max(u) + 0.02, "median wrong-password {k:.3}s vs unknown-email {u:.3}s");
}

async fn sign_out_revokes_the_session(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, _) = app.call(Method::POST, "/api/v1/auth/sign-out", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["status"], 401);
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some("tss_made_up"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn invitation_over_smtp_is_accepted_and_user_signs_in(b: Backend) {
    let smtp = SmtpServer::start();
    let app = spawn_app_with(b, |c| c.smtp_url = Some(smtp.url().into())).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let id = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;

    let message = smtp.wait_for("bruno@example.com").await;
    assert!(message.data.contains("Subject: You're invited to join Acme on Tenantry"), "{}", message.data);
    let token = invitation_token(&message.data);
    assert!(message.data.contains(&format!("{}/invitations/{token}", app.url)), "link uses the public URL");

    let (status, info) = app.call(Method::GET, &format!("/api/v1/invitations/{token}"), None, None).await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["account_name"], "Acme");
    assert_eq!(info["email"], "bruno@example.com");

    let (status, accepted) = app
        .call(
            Method::POST,
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            Some(json!({"password": "bruno's good passphrase"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["user"]["id"], id.as_str());

    let (status, again) = app
        .call(
            Method::POST,
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            Some(json!({"password": "another passphrase!"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "single use: {again}");

    let (status, signed_in) = app
        .call(
            Method::POST,
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "bruno@example.com", "password": "bruno's good passphrase"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{signed_in}");
    let (_, user) = app.call(Method::GET, &format!("/api/v1/users/{id}"), Some(&admin.token), None).await;
    assert_eq!(user["status"], "active");
}

async fn resending_an_invitation_invalidates_the_old_link(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let id = app.invite(&admin, "bruno@example.com", "Bruno", "member").await;
    let first = invitation_token(&app.wait_for_mail_to("bruno@example.com").await);
    let (status, _) = app.call(Method::POST, &format!("/api/v1/users/{id}/invitation"), Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mut second = first.clone();
    for _ in 0..200 {
        second = invitation_token(&app.wait_for_mail_to("bruno@example.com").await);
        if second != first {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_ne!(first, second);
    let (status, _) = app.call(Method::GET, &format!("/api/v1/invitations/{first}"), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "old link no longer works");
    let (status, _) = app.call(Method::GET, &format!("/api/v1/invitations/{second}"), None, None).await;
    assert_eq!(status, StatusCode::OK);

    // Once accepted, there is nothing to re-send.
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/invitations/{second}/accept"),
            None,
            Some(json!({"password": "a fine passphrase"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) =
        app.call(Method::POST, &format!("/api/v1/users/{id}/invitation"), Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

async fn expired_invitation_links_are_404(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.invite(&admin, "bruno@example.com", "Bruno", "member").await;
    let token = invitation_token(&app.wait_for_mail_to("bruno@example.com").await);
    app.advance(7 * 24 * 3600 * 1000 - 60_000);
    let (status, _) = app.call(Method::GET, &format!("/api/v1/invitations/{token}"), None, None).await;
    assert_eq!(status, StatusCode::OK, "still valid just before 7 days");
    app.advance(120_000);
    let (status, body) = app.call(Method::GET, &format!("/api/v1/invitations/{token}"), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            Some(json!({"password": "a fine passphrase"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.call(Method::GET, "/api/v1/invitations/tiv_unknown", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn invitation_password_is_checked_against_the_policy(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.invite(&admin, "bruno@example.com", "Bruno", "member").await;
    let token = invitation_token(&app.wait_for_mail_to("bruno@example.com").await);
    let (status, body) = app
        .call(Method::POST, &format!("/api/v1/invitations/{token}/accept"), None, Some(json!({"password": "short"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "password");
    let (status, _) = app.call(Method::GET, &format!("/api/v1/invitations/{token}"), None, None).await;
    assert_eq!(status, StatusCode::OK, "a refused password does not use up the link");
}

async fn emails_are_unique_regardless_of_case(b: Backend) {
    let app = spawn_app(b).await;
    let a = app.signup("Acme", "ana@example.com").await;
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/signup",
            None,
            Some(json!({"account_name": "Other", "name": "Ana", "email": "ANA@Example.com", "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["errors"][0]["field"], "email");
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&a.token),
            Some(json!({"email": "Ana@EXAMPLE.com", "name": "Dup", "role": "member"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["errors"][0]["field"], "email");
}

async fn a_session_revoked_on_another_node_ends_within_the_cache_lifetime(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK);
    // Another node signs the user out everywhere: only the database knows.
    let db = tenantry_storage::Db::connect(&app.database_url, 1).await.expect("connect");
    let mut conn = db.conn().await.expect("conn");
    let user_id = tenantry_domain::UserId::parse(&admin.user_id).expect("id");
    assert_eq!(tenantry_storage::sessions::delete_for_user(&mut conn, &user_id).await.expect("delete"), 1);
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK, "this node trusts its recent check for up to session_cache_ms");
    app.advance(2_000);
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "and asks the database again after it");
}
