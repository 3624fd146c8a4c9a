//! Bulk actions on the users ticked in the lobby (`POST /users/bulk`): each user is changed on
//! their own by the single action's service, refusals are named with their reason, users of
//! other accounts are never touched, and only Administrators may act.

use crate::db_tests;
use crate::helpers::*;
use crate::licenses::{set_subscription, spawn_with_operator};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

db_tests!(
    bulk_assign_stops_at_the_free_seats_and_names_who_was_refused,
    bulk_resend_invites_the_invited_and_refuses_active_users,
    bulk_deactivate_refuses_yourself,
    bulk_refuses_other_accounts_users_and_checks_the_selection,
);

const PASSWORD: &str = "correct horse battery";

async fn bulk(app: &TestApp, cookie: &str, action: &str, ids: &[&str]) -> (StatusCode, String) {
    let mut fields: Vec<(&str, &str)> = ids.iter().map(|id| ("ids", *id)).collect();
    fields.push(("action", action));
    let res = post_page(app, "/users/bulk", &session_cookie(cookie), &fields).await;
    let status = res.status();
    (status, res.text().await.expect("html"))
}

/// The bulk notice of a lobby page.
fn notice(html: &str) -> &str {
    let start = html.find("bulk-notice").unwrap_or_else(|| panic!("no bulk notice in:\n{html}"));
    let rest = &html[start..];
    &rest[..rest.find("</div>").unwrap_or(rest.len())]
}

async fn licenses_of(app: &TestApp, token: &str, id: &str) -> Vec<String> {
    let (status, user) = app.call(Method::GET, &format!("/api/v1/users/{id}"), Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    user["licenses"].as_array().expect("licenses").iter().map(|l| l.as_str().expect("key").to_owned()).collect()
}

async fn status_of(app: &TestApp, token: &str, id: &str) -> String {
    let (status, user) = app.call(Method::GET, &format!("/api/v1/users/{id}"), Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    user["status"].as_str().expect("status").to_owned()
}

fn mails_to(app: &TestApp, to: &str) -> usize {
    let line = format!("To: {to}");
    app.mail_files().iter().filter(|m| m.lines().any(|l| l.eq_ignore_ascii_case(&line))).count()
}

async fn wait_for_mails_to(app: &TestApp, to: &str, count: usize) {
    for _ in 0..200 {
        if mails_to(app, to) >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("fewer than {count} emails to {to}");
}

async fn bulk_assign_stops_at_the_free_seats_and_names_who_was_refused(b: Backend) {
    let app = spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, _) = set_subscription(
        &app,
        &admin.account_id,
        json!({"plan": "team", "status": "trial", "seats": {"scheduling": 5, "chat": 2, "voice": 0}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let carla = app.invite(&admin, "carla@example.com", "Carla Dias", "member").await;
    let dora = app.invite(&admin, "dora@example.com", "Dora Eliot", "member").await;
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;

    // The lobby offers the bar: a box per row named after the user, and each product's actions.
    let res = get_page(&app, "/users", &session_cookie(&cookie)).await;
    let html = res.text().await.expect("html");
    assert!(html.contains(r#"action="/users/bulk""#), "{html}");
    assert!(html.contains(&format!(r#"name="ids" value="{bruno}" form="users-bulk""#)), "{html}");
    assert!(html.contains("Select Bruno Costa"), "{html}");
    assert!(html.contains(r#"<option value="assign:chat">Assign license: Live chat</option>"#), "{html}");
    assert!(html.contains(r#"<option value="unassign:chat">Unassign license: Live chat</option>"#), "{html}");
    assert!(html.contains("Resend invitation") && html.contains(r#"value="deactivate""#), "{html}");

    let (status, html) = bulk(&app, &cookie, "assign:chat", &[&bruno, &carla, &dora]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let n = notice(&html);
    assert!(n.contains("Assigned Live chat to 2 users."), "{n}");
    assert!(n.contains("Dora Eliot: no free Live chat seat"), "{n}");
    assert!(!n.contains("Bruno Costa") && !n.contains("Carla Dias"), "{n}");
    assert_eq!(licenses_of(&app, &admin.token, &bruno).await, vec!["chat"]);
    assert_eq!(licenses_of(&app, &admin.token, &carla).await, vec!["chat"]);
    assert!(licenses_of(&app, &admin.token, &dora).await.is_empty());
    let (_, sub) = app.call(Method::GET, "/api/v1/billing/subscription", Some(&admin.token), None).await;
    assert_eq!(sub["seats"]["chat"], json!({"purchased": 2, "assigned": 2}));

    // Unassigning frees both seats; Dora, who held none, simply counts as done.
    let (status, html) = bulk(&app, &cookie, "unassign:chat", &[&bruno, &carla]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(notice(&html).contains("Unassigned Live chat from 2 users."), "{html}");
    assert!(licenses_of(&app, &admin.token, &bruno).await.is_empty());
    let (_, sub) = app.call(Method::GET, "/api/v1/billing/subscription", Some(&admin.token), None).await;
    assert_eq!(sub["seats"]["chat"], json!({"purchased": 2, "assigned": 0}));
}

async fn bulk_resend_invites_the_invited_and_refuses_active_users(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (bruno, _) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let carla = app.invite(&admin, "carla@example.com", "Carla Dias", "member").await;
    let dora = app.invite(&admin, "dora@example.com", "Dora Eliot", "member").await;
    wait_for_mails_to(&app, "carla@example.com", 1).await;
    wait_for_mails_to(&app, "dora@example.com", 1).await;
    let bruno_mails = mails_to(&app, "bruno@example.com");
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;

    let (status, html) = bulk(&app, &cookie, "resend", &[&carla, &bruno, &dora]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let n = notice(&html);
    assert!(n.contains("Resent the invitation to 2 users."), "{n}");
    assert!(n.contains("Bruno Costa: they have already accepted their invitation"), "{n}");
    // A new link each: the second email arrives, and it carries a new token.
    wait_for_mails_to(&app, "carla@example.com", 2).await;
    wait_for_mails_to(&app, "dora@example.com", 2).await;
    let mail = app.wait_for_mail_to("carla@example.com").await;
    assert!(!invitation_token(&mail).is_empty());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(mails_to(&app, "bruno@example.com"), bruno_mails, "Bruno got nothing");
}

async fn bulk_deactivate_refuses_yourself(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (bruno, bruno_token) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    // Another Administrator has signed in, so only the rule "self" stands in the way.
    app.invite_and_activate(&admin, "carla@example.com", "Carla Dias", "administrator").await;
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;

    let (status, html) = bulk(&app, &cookie, "deactivate", &[&admin.user_id, &bruno]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let n = notice(&html);
    assert!(n.contains("Deactivated 1 user."), "{n}");
    assert!(n.contains("Admin of Acme: you cannot deactivate yourself"), "{n}");
    assert_eq!(status_of(&app, &admin.token, &bruno).await, "deactivated");
    assert_eq!(status_of(&app, &admin.token, &admin.user_id).await, "active");
    // Bruno's session stopped working, as with the single action.
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(&bruno_token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn bulk_refuses_other_accounts_users_and_checks_the_selection(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let other = app.signup("Globex", "gus@example.com").await;
    let (outsider, _) = app.invite_and_activate(&other, "olga@example.com", "Olga Outsider", "member").await;
    let (bruno, _) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;

    // Another account's user is refused as not found, and untouched.
    let (status, html) = bulk(&app, &cookie, "deactivate", &[&outsider, &bruno]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let n = notice(&html);
    assert!(n.contains("Deactivated 1 user."), "{n}");
    assert!(n.contains(&format!("{outsider}: not found in this account")), "{n}");
    assert!(!n.contains("Olga"), "nothing of the other account shows: {n}");
    assert_eq!(status_of(&app, &other.token, &outsider).await, "active");

    // Nobody selected: a clear message, nothing done.
    let (status, html) = bulk(&app, &cookie, "deactivate", &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(notice(&html).contains("Select at least one user"), "{html}");

    // More than 200 ids: refused as a whole.
    let many: Vec<String> = (0..201).map(|i| format!("usr_{i:026}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let (status, html) = bulk(&app, &cookie, "deactivate", &many).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
    assert!(html.contains("at most 200 users"), "{html}");

    // An unknown action is a bad request.
    let (status, _) = bulk(&app, &cookie, "delete", &[&bruno]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A Member may not act.
    let (carla, _) = app.invite_and_activate(&admin, "carla@example.com", "Carla Dias", "member").await;
    let member = page_sign_in(&app, "carla@example.com", "another good passphrase").await;
    let (status, _) = bulk(&app, &member, "deactivate", &[&admin.user_id]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(status_of(&app, &admin.token, &admin.user_id).await, "active");
    assert_eq!(status_of(&app, &admin.token, &carla).await, "active");
}
