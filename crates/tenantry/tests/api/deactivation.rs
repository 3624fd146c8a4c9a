//! Deactivating and reactivating users (issue #13): a deactivated user keeps their record,
//! licenses and booking pages but cannot sign in, and their sessions and API key stop working at
//! once; who counts as "at least one Administrator" (only those who have signed in); the user
//! page's Deactivate / Reactivate actions and the lobby's status filter.

use crate::db_tests;
use crate::helpers::*;
use crate::licenses::{license, set_subscription, spawn_with_operator};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

db_tests!(
    a_deactivated_user_cannot_sign_in_and_their_tokens_stop_working,
    reactivating_restores_active_or_invited,
    administrators_are_protected_from_deactivation,
    invited_administrators_do_not_count_as_administrators,
    deactivation_is_for_administrators_of_the_same_account,
    the_user_page_deactivates_and_reactivates,
);

const PASSWORD: &str = "another good passphrase";

fn rule(body: &Value) -> Option<&str> {
    body["rule"].as_str()
}

async fn deactivate(app: &TestApp, token: &str, id: &str) -> (StatusCode, Value) {
    app.call(Method::POST, &format!("/api/v1/users/{id}/deactivate"), Some(token), None).await
}

async fn reactivate(app: &TestApp, token: &str, id: &str) -> (StatusCode, Value) {
    app.call(Method::POST, &format!("/api/v1/users/{id}/reactivate"), Some(token), None).await
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> (StatusCode, Value) {
    app.call(Method::POST, "/api/v1/auth/sign-in", None, Some(json!({"email": email, "password": password}))).await
}

fn names(list: &Value) -> Vec<String> {
    list["data"].as_array().expect("data").iter().map(|u| u["name"].as_str().expect("name").to_owned()).collect()
}

/// The `data` of the domain events of `event_type` in the account, oldest first.
async fn events(app: &TestApp, account_id: &str, event_type: &str) -> Vec<Value> {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.expect("connect");
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT data FROM events WHERE account_id = $1 AND type = $2 ORDER BY created_at, id")
            .bind(account_id)
            .bind(event_type)
            .fetch_all(&mut conn)
            .await
            .expect("events");
    sqlx::Connection::close(conn).await.ok();
    rows.iter().map(|r| serde_json::from_str(r).expect("event json")).collect()
}

async fn a_deactivated_user_cannot_sign_in_and_their_tokens_stop_working(b: Backend) {
    let app = spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, _) = set_subscription(
        &app,
        &admin.account_id,
        json!({"plan": "team", "status": "trial", "seats": {"scheduling": 2, "chat": 2, "voice": 0}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (bruno, session) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    app.invite(&admin, "dora@example.com", "Dora Brunner", "member").await;
    assert_eq!(license(&app, &admin.token, Method::PUT, &bruno, "chat").await.0, StatusCode::OK);
    let page = json!({"name": "Meet Bruno", "slug": "meet-bruno", "owner_id": bruno, "enabled": false});
    let (status, page) = app.call(Method::POST, "/api/v1/booking-pages", Some(&admin.token), Some(page)).await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    let (status, key) =
        app.call(Method::POST, "/api/v1/me/api-key", Some(&session), Some(json!({"current_password": PASSWORD}))).await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let key = key["key"].as_str().expect("key").to_owned();
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&key), None).await.0, StatusCode::OK);
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&session), None).await.0, StatusCode::OK);

    let (status, user) = deactivate(&app, &admin.token, &bruno).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["status"], "deactivated");
    assert_eq!(user["licenses"], json!(["chat"]), "licenses stay");

    // Sessions and the API key stop working at once.
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&session), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&key), None).await.0, StatusCode::UNAUTHORIZED);
    // The right password: 403 saying so; a wrong one: the usual 401, which says nothing more.
    let (status, problem) = sign_in(&app, "bruno@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["deactivated"], true, "{problem}");
    assert!(problem["detail"].as_str().is_some_and(|d| d.contains("deactivated")), "{problem}");
    let (status, problem) = sign_in(&app, "bruno@example.com", "not his password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    assert!(problem.get("deactivated").is_none(), "{problem}");
    let (_, failures) =
        app.call(Method::GET, "/api/v1/audit-events?action=auth.sign_in_failed", Some(&admin.token), None).await;
    assert_eq!(failures["data"][0]["target_id"], bruno.as_str(), "the wrong password is counted as usual");

    // The booking page stays his.
    let id = page["id"].as_str().expect("page id");
    let (_, page) = app.call(Method::GET, &format!("/api/v1/booking-pages/{id}"), Some(&admin.token), None).await;
    assert_eq!(page["owner_id"], bruno.as_str(), "{page}");

    // The lobby filters by the new status, with and without a search term.
    let (status, list) = app.call(Method::GET, "/api/v1/users?status=deactivated", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(names(&list), ["Bruno Costa"]);
    let (_, list) = app.call(Method::GET, "/api/v1/users?status=deactivated&q=brun", Some(&admin.token), None).await;
    assert_eq!(names(&list), ["Bruno Costa"], "search and status filter together");
    let (_, list) = app.call(Method::GET, "/api/v1/users?status=invited&q=brun", Some(&admin.token), None).await;
    assert_eq!(names(&list), ["Dora Brunner"]);
    let (_, list) = app.call(Method::GET, "/api/v1/users?status=active", Some(&admin.token), None).await;
    assert_eq!(names(&list), ["Admin of Acme"]);

    // Recorded and announced.
    let (_, log) =
        app.call(Method::GET, "/api/v1/audit-events?action=user.deactivated", Some(&admin.token), None).await;
    let entry = &log["data"][0];
    assert_eq!(
        (entry["target_id"].as_str(), entry["actor_id"].as_str()),
        (Some(bruno.as_str()), Some(admin.user_id.as_str()))
    );
    assert_eq!(entry["after"]["status"], "deactivated", "{entry}");
    assert_eq!(entry["after"]["sessions_revoked"], 1, "{entry}");
    assert_eq!(entry["after"]["api_key_revoked"], true, "{entry}");
    let announced = events(&app, &admin.account_id, "user.deactivated").await;
    assert_eq!(announced.len(), 1);
    assert_eq!(
        (announced[0]["id"].as_str(), announced[0]["status"].as_str()),
        (Some(bruno.as_str()), Some("deactivated"))
    );

    // Deactivating again changes nothing (and records nothing).
    assert_eq!(deactivate(&app, &admin.token, &bruno).await.0, StatusCode::OK);
    assert_eq!(events(&app, &admin.account_id, "user.deactivated").await.len(), 1);

    // Reactivated: he signs in again; the old session and key stay revoked.
    let (status, user) = reactivate(&app, &admin.token, &bruno).await;
    assert_eq!((status, user["status"].as_str()), (StatusCode::OK, Some("active")), "{user}");
    assert_eq!(user["licenses"], json!(["chat"]));
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&session), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&key), None).await.0, StatusCode::UNAUTHORIZED);
    let (status, signed_in) = sign_in(&app, "bruno@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{signed_in}");
    let token = signed_in["token"].as_str().expect("token");
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(token), None).await.0, StatusCode::OK);
    let (_, log) =
        app.call(Method::GET, "/api/v1/audit-events?action=user.reactivated", Some(&admin.token), None).await;
    assert_eq!(log["data"][0]["target_id"], bruno.as_str(), "{log}");
    assert_eq!(log["data"][0]["after"]["status"], "active", "{log}");
    let announced = events(&app, &admin.account_id, "user.reactivated").await;
    assert_eq!(announced.len(), 1);
    assert_eq!(announced[0]["status"], "active");
    let (_, list) = app.call(Method::GET, "/api/v1/users?status=deactivated", Some(&admin.token), None).await;
    assert!(names(&list).is_empty());
}

async fn reactivating_restores_active_or_invited(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let carla = app.invite(&admin, "carla@example.com", "Carla Dias", "member").await;
    let mail = app.wait_for_mail_to("carla@example.com").await;
    let token = invitation_token(&mail);
    let (status, user) = deactivate(&app, &admin.token, &carla).await;
    assert_eq!((status, user["status"].as_str()), (StatusCode::OK, Some("deactivated")), "{user}");
    // Her invitation cannot be accepted while she is deactivated.
    let accept = format!("/api/v1/invitations/{token}/accept");
    let (status, body) = app.call(Method::POST, &accept, None, Some(json!({"password": PASSWORD}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // Nor resent or revoked: the refusal says why.
    for method in [Method::POST, Method::DELETE] {
        let (status, body) =
            app.call(method, &format!("/api/v1/users/{carla}/invitation"), Some(&admin.token), None).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(body["detail"].as_str().unwrap().contains("deactivated"), "{body}");
    }
    // Never signed in: reactivated, she is invited again, and her link works.
    let (status, user) = reactivate(&app, &admin.token, &carla).await;
    assert_eq!((status, user["status"].as_str()), (StatusCode::OK, Some("invited")), "{user}");
    let (status, body) = app.call(Method::POST, &accept, None, Some(json!({"password": PASSWORD}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, user) = app.call(Method::GET, &format!("/api/v1/users/{carla}"), Some(&admin.token), None).await;
    assert_eq!(user["status"], "active");
    // Reactivating someone who is not deactivated changes nothing.
    let (status, user) = reactivate(&app, &admin.token, &carla).await;
    assert_eq!((status, user["status"].as_str()), (StatusCode::OK, Some("active")), "{user}");
    assert_eq!(events(&app, &admin.account_id, "user.reactivated").await.len(), 1);
}

async fn administrators_are_protected_from_deactivation(b: Backend) {
    let app = spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (carla, carla_token) =
        app.invite_and_activate(&admin, "carla@example.com", "Carla Dias", "administrator").await;

    // Nobody deactivates themselves, even with another Administrator left.
    let (status, body) = deactivate(&app, &admin.token, &admin.user_id).await;
    assert_eq!((status, rule(&body)), (StatusCode::CONFLICT, Some("self")), "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("deactivate yourself")), "{body}");

    // On a paid account, the only licensed Administrator stays.
    let (status, _) = set_subscription(
        &app,
        &admin.account_id,
        json!({"plan": "team", "status": "trial", "seats": {"scheduling": 2, "chat": 0, "voice": 0}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(license(&app, &admin.token, Method::PUT, &carla, "scheduling").await.0, StatusCode::OK);
    let (status, _) = set_subscription(&app, &admin.account_id, json!({"plan": "team", "status": "paid"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = deactivate(&app, &admin.token, &carla).await;
    assert_eq!((status, rule(&body)), (StatusCode::CONFLICT, Some("last_licensed_administrator")), "{body}");
    assert_eq!(license(&app, &admin.token, Method::PUT, &admin.user_id, "scheduling").await.0, StatusCode::OK);

    // Carla deactivates Ana: Carla is then the only signed-in Administrator, and may not go.
    let (status, user) = deactivate(&app, &carla_token, &admin.user_id).await;
    assert_eq!((status, user["status"].as_str()), (StatusCode::OK, Some("deactivated")), "{user}");
    let (status, body) = deactivate(&app, &carla_token, &carla).await;
    assert_eq!((status, rule(&body)), (StatusCode::CONFLICT, Some("last_administrator")), "{body}");
    // A deactivated Administrator does not count: Carla cannot step down either.
    let me = format!("/api/v1/users/{carla}");
    let (status, body) = app.call(Method::PATCH, &me, Some(&carla_token), Some(json!({"role": "member"}))).await;
    assert_eq!((status, rule(&body)), (StatusCode::CONFLICT, Some("last_administrator")), "{body}");
    let (status, body) = app.call(Method::DELETE, &me, Some(&carla_token), None).await;
    assert_eq!((status, rule(&body)), (StatusCode::CONFLICT, Some("last_administrator")), "{body}");
    // Ana's old token no longer works; reactivated, she may act again.
    assert_eq!(deactivate(&app, &admin.token, &carla).await.0, StatusCode::UNAUTHORIZED);
    let (status, user) = reactivate(&app, &carla_token, &admin.user_id).await;
    assert_eq!((status, user["status"].as_str()), (StatusCode::OK, Some("active")), "{user}");

    // A deactivated Administrator's license does not keep a paid account licensed: with Ana
    // deactivated (her license kept), Carla may not give up the last license an active one holds.
    let (status, user) = deactivate(&app, &carla_token, &admin.user_id).await;
    assert_eq!((status, user["licenses"][0].as_str()), (StatusCode::OK, Some("scheduling")), "{user}");
    let (status, body) = license(&app, &carla_token, Method::DELETE, &carla, "scheduling").await;
    assert_eq!((status, rule(&body)), (StatusCode::CONFLICT, Some("last_licensed_administrator")), "{body}");
    assert_eq!(reactivate(&app, &carla_token, &admin.user_id).await.0, StatusCode::OK);
    assert_eq!(license(&app, &carla_token, Method::DELETE, &carla, "scheduling").await.0, StatusCode::OK);
}

/// "At least one Administrator" means one who has signed in: invited Administrators do not count.
/// Ana is the only signed-in Administrator; Carla is an invited one. Before the fix, Carla counted,
/// so Ana stepping down was refused only by the "self" rule; now the account rule refuses it.
async fn invited_administrators_do_not_count_as_administrators(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let carla = app.invite(&admin, "carla@example.com", "Carla Dias", "administrator").await;
    let dan = app.invite(&admin, "dan@example.com", "Dan Reis", "administrator").await;
    let me = format!("/api/v1/users/{}", admin.user_id);
    let (status, body) = app.call(Method::PATCH, &me, Some(&admin.token), Some(json!({"role": "member"}))).await;
    assert_eq!((status, rule(&body)), (StatusCode::CONFLICT, Some("last_administrator")), "{body}");
    for path in [me.clone(), format!("{me}?dry_run=true")] {
        let (status, body) = app.call(Method::DELETE, &path, Some(&admin.token), None).await;
        assert_eq!((status, rule(&body)), (StatusCode::CONFLICT, Some("last_administrator")), "{path}: {body}");
    }
    let (status, body) = deactivate(&app, &admin.token, &admin.user_id).await;
    assert_eq!((status, rule(&body)), (StatusCode::CONFLICT, Some("last_administrator")), "{body}");
    // Removing invited Administrators leaves the signed-in one: allowed.
    let (status, body) = app
        .call(Method::PATCH, &format!("/api/v1/users/{carla}"), Some(&admin.token), Some(json!({"role": "member"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = deactivate(&app, &admin.token, &dan).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Once Carla (an Administrator again) has signed in, she counts: Ana's refusal is only "self".
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{carla}"),
            Some(&admin.token),
            Some(json!({"role": "administrator"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let token = invitation_token(&app.wait_for_mail_to("carla@example.com").await);
    let (status, body) = app
        .call(Method::POST, &format!("/api/v1/invitations/{token}/accept"), None, Some(json!({"password": PASSWORD})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.call(Method::PATCH, &me, Some(&admin.token), Some(json!({"role": "member"}))).await;
    assert_eq!((status, rule(&body)), (StatusCode::CONFLICT, Some("self")), "{body}");
}

async fn deactivation_is_for_administrators_of_the_same_account(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (bruno, bruno_token) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let other = app.signup("Globex", "olga@globex.example").await;
    for path in ["deactivate", "reactivate"] {
        let url = format!("/api/v1/users/{}/{path}", admin.user_id);
        let (status, body) = app.call(Method::POST, &url, Some(&bruno_token), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "members may not {path}: {body}");
        let url = format!("/api/v1/users/{bruno}/{path}");
        let (status, body) = app.call(Method::POST, &url, Some(&other.token), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another account's user is 404: {body}");
        let (status, _) = app.call(Method::POST, &url, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (_, user) = app.call(Method::GET, &format!("/api/v1/users/{bruno}"), Some(&admin.token), None).await;
    assert_eq!(user["status"], "active", "nothing changed");
}

async fn the_user_page_deactivates_and_reactivates(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (bruno, bruno_token) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let cookies = session_cookie(&admin.token);
    let page_of = format!("/users/{bruno}");

    // Offered on another user's page with a confirm step saying what happens; not on one's own.
    let html = get_page(&app, &page_of, &cookies).await.text().await.expect("html");
    assert!(html.contains(&format!("action=\"/users/{bruno}/deactivate\"")), "{html}");
    assert!(html.contains("Yes, deactivate Bruno Costa"), "a confirm step");
    assert!(html.contains("signed out on every device"), "it says what happens");
    assert!(html.contains("licenses and booking pages stay"), "and what stays");
    assert!(!html.contains("/reactivate\""), "not deactivated yet");
    let own = get_page(&app, &format!("/users/{}", admin.user_id), &cookies).await.text().await.expect("html");
    assert!(!own.contains("/deactivate\""), "nobody deactivates themselves");

    let res = post_page(&app, &format!("/users/{bruno}/deactivate"), &cookies, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), page_of);
    let flash = cookie_value(&res, "tenantry_flash").unwrap_or_default();
    let cookies_with_flash = format!("{cookies}; tenantry_flash={flash}");
    let html = get_page(&app, &page_of, &cookies_with_flash).await.text().await.expect("html");
    assert!(html.contains("id=\"deactivated-banner\""), "{html}");
    assert!(html.contains("badge-deactivated"), "{html}");
    assert!(html.contains(&format!("action=\"/users/{bruno}/reactivate\"")), "{html}");
    assert!(!html.contains(&format!("action=\"/users/{bruno}/deactivate\"")));
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&bruno_token), None).await.0, StatusCode::UNAUTHORIZED);

    // The lobby: a badge, and the status filter offers Deactivated.
    let lobby = get_page(&app, "/users", &cookies).await.text().await.expect("html");
    assert!(lobby.contains("<option value=\"deactivated\""), "{lobby}");
    assert!(lobby.contains("badge badge-deactivated"), "{lobby}");
    let filtered = get_page(&app, "/users?status=deactivated", &cookies).await.text().await.expect("html");
    assert!(filtered.contains("Bruno Costa"));
    assert!(!filtered.contains("Admin of Acme</a>"), "only deactivated users: {filtered}");
    assert!(filtered.contains("<option value=\"deactivated\" selected"), "the filter keeps its choice");

    // A posted form for one's own user is refused too, with the reason on the page (Ana is the
    // only signed-in Administrator, so the account rule answers before the "self" rule).
    let res = post_page(&app, &format!("/users/{}/deactivate", admin.user_id), &cookies, &[]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("role=\"alert\"><p>An account must keep at least one Administrator who has signed in"),
        "{html}"
    );

    let res = post_page(&app, &format!("/users/{bruno}/reactivate"), &cookies, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, user) = app.call(Method::GET, &format!("/api/v1/users/{bruno}"), Some(&admin.token), None).await;
    assert_eq!(user["status"], "active");
    let html = get_page(&app, &page_of, &cookies).await.text().await.expect("html");
    assert!(html.contains(&format!("action=\"/users/{bruno}/deactivate\"")));

    // The audit log's action filter lists both, and finds them.
    let audit = get_page(&app, "/account/audit", &cookies).await.text().await.expect("html");
    assert!(audit.contains("<option value=\"user.deactivated\">Deactivated a user</option>"), "{audit}");
    assert!(audit.contains("<option value=\"user.reactivated\">Reactivated a user</option>"));
    let found = get_page(&app, "/account/audit?action=user.deactivated", &cookies).await.text().await.expect("html");
    assert!(found.contains("Deactivated a user"));
}
