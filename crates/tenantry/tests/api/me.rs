//! My settings: changing one's email through a link sent to the new address.

use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

db_tests!(email_changes_only_when_the_link_is_followed, email_change_refusals);

async fn sign_in(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.call(Method::POST, "/api/v1/auth/sign-in", None, Some(json!({"email": email, "password": password}))).await.0
}

async fn email_changes_only_when_the_link_is_followed(b: Backend) {
    let smtp = SmtpServer::start();
    let app = spawn_app_with(b, |c| c.smtp_url = Some(smtp.url().into())).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, _) = app.call(Method::POST, "/api/v1/me/email", Some(&admin.token), Some(json!({"new_email": "Ana.Lima@New.example"}))).await;
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
    assert!(smtp.received.lock().unwrap().iter().all(|m| !m.to.iter().any(|t| t == "ana@example.com")), "the old address hears nothing yet");

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
    let (_, log) = app.call(Method::GET, "/api/v1/audit-events?action=user.email_changed", Some(&admin.token), None).await;
    assert_eq!(
        (log["data"][0]["before"]["email"].as_str(), log["data"][0]["after"]["email"].as_str()),
        (Some("ana@example.com"), Some("Ana.Lima@New.example"))
    );
}

async fn email_change_refusals(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.signup("Other", "olga@other.org").await;
    let change = |email: &str| json!({"new_email": email});
    let (status, body) = app.call(Method::POST, "/api/v1/me/email", Some(&admin.token), Some(change("OLGA@other.org"))).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::CONFLICT, Some("new_email")), "taken, even in another account");
    for bad in ["not-an-email", "ANA@example.com"] {
        let (status, body) = app.call(Method::POST, "/api/v1/me/email", Some(&admin.token), Some(change(bad))).await;
        assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("new_email")), "{bad}: {body}");
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
