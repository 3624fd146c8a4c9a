//! Licenses, seats, booking pages and the account rules (SPEC §2), over HTTP on both databases,
//! with the invariants checked by an independent query over the whole account after each race.

use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row as _;

db_tests!(
    every_rule_is_kept_and_each_refusal_says_which,
    fifty_requests_race_for_the_last_seat,
    two_administrators_unassign_each_other_at_once,
    deleting_a_user_transfers_their_booking_pages,
    members_see_and_change_only_their_own_booking_pages,
    the_operator_api_needs_its_token_and_keeps_seats_above_assignments,
    invitations_can_carry_licenses,
    the_audit_log_lists_changes_newest_first,
);

pub const OPERATOR_TOKEN: &str = "operator-token-for-tests";

/// A server with the operator API on.
pub async fn spawn_with_operator(b: Backend) -> TestApp {
    spawn_app_with(b, |c| c.operator_token = Some(OPERATOR_TOKEN.to_owned().into())).await
}

/// Sets an account's subscription through the operator API.
pub async fn set_subscription(app: &TestApp, account_id: &str, body: Value) -> (StatusCode, Value) {
    app.call(
        Method::PUT,
        &format!("/api/v1/operator/accounts/{account_id}/subscription"),
        Some(OPERATOR_TOKEN),
        Some(body),
    )
    .await
}

pub async fn license(app: &TestApp, token: &str, method: Method, user: &str, product: &str) -> (StatusCode, Value) {
    app.call(method, &format!("/api/v1/users/{user}/licenses/{product}"), Some(token), None).await
}

fn licenses_of(user: &Value) -> Vec<&str> {
    user["licenses"].as_array().expect("licenses").iter().map(|l| l.as_str().expect("product")).collect()
}

/// Checks every account invariant with SQL of its own (not the application's queries):
/// seats never oversold, an Administrator remains, a paid account has a licensed Administrator,
/// pages belong to users of the account and are enabled only with a scheduling license.
pub async fn assert_invariants(app: &TestApp, account_id: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.expect("connect");
    let oversold = sqlx::query(
        "SELECT l.product, COUNT(*) AS n, COALESCE(MAX(s.purchased), 0) AS purchased FROM licenses l \
         LEFT JOIN subscription_seats s ON s.account_id = l.account_id AND s.product = l.product \
         WHERE l.account_id = $1 GROUP BY l.product HAVING COUNT(*) > COALESCE(MAX(s.purchased), 0)",
    )
    .bind(account_id)
    .fetch_all(&mut conn)
    .await
    .expect("seats query");
    assert!(
        oversold.is_empty(),
        "seats oversold: {:?}",
        oversold.iter().map(|r| r.get::<String, _>(0)).collect::<Vec<_>>()
    );
    let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE account_id = $1 AND role = 'administrator'")
        .bind(account_id)
        .fetch_one(&mut conn)
        .await
        .expect("admins");
    assert!(admins >= 1, "the account has no Administrator");
    let status: String = sqlx::query_scalar("SELECT status FROM subscriptions WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(&mut conn)
        .await
        .expect("status");
    let licensed_admins: i64 =
        sqlx::query_scalar("SELECT COUNT(DISTINCT u.id) FROM users u JOIN licenses l ON l.user_id = u.id WHERE u.account_id = $1 AND u.role = 'administrator'")
            .bind(account_id)
            .fetch_one(&mut conn)
            .await
            .expect("licensed admins");
    assert!(status != "paid" || licensed_admins >= 1, "a paid account has no licensed Administrator");
    let stray: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM booking_pages p LEFT JOIN users u ON u.id = p.owner_id AND u.account_id = p.account_id WHERE p.account_id = $1 AND u.id IS NULL",
    )
    .bind(account_id)
    .fetch_one(&mut conn)
    .await
    .expect("stray pages");
    assert_eq!(stray, 0, "booking pages owned by no user of the account");
    let unlicensed_enabled: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM booking_pages p WHERE p.account_id = $1 AND p.enabled = 1 \
         AND NOT EXISTS (SELECT 1 FROM licenses l WHERE l.user_id = p.owner_id AND l.product = 'scheduling')",
    )
    .bind(account_id)
    .fetch_one(&mut conn)
    .await
    .expect("enabled pages");
    assert_eq!(unlicensed_enabled, 0, "an enabled booking page whose owner has no scheduling license");
    let foreign: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM licenses l JOIN users u ON u.id = l.user_id WHERE l.account_id = $1 AND u.account_id <> l.account_id")
            .bind(account_id)
            .fetch_one(&mut conn)
            .await
            .expect("foreign licenses");
    assert_eq!(foreign, 0);
    sqlx::Connection::close(conn).await.ok();
}

async fn every_rule_is_kept_and_each_refusal_says_which(b: Backend) {
    let app = spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (second_admin, _) = app.invite_and_activate(&admin, "carla@example.com", "Carla", "administrator").await;
    let member = app.invite(&admin, "bruno@example.com", "Bruno", "member").await;
    let (status, _) = set_subscription(
        &app,
        &admin.account_id,
        json!({"plan": "team", "status": "trial", "seats": {"scheduling": 2, "chat": 1, "voice": 0}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let page = |owner: &str, slug: &str| json!({"name": format!("Meet {slug}"), "slug": slug, "owner_id": owner});
    let t = admin.token.as_str();

    // Steps run in order against one account: what, method, path, body, expected status, rule code.
    type Step<'a> = (&'a str, Method, String, Option<Value>, StatusCode, &'a str);
    let steps: Vec<Step> = vec![
        ("1 seat free", Method::PUT, format!("/api/v1/users/{member}/licenses/chat"), None, StatusCode::OK, ""),
        (
            "1 no free seat",
            Method::PUT,
            format!("/api/v1/users/{}/licenses/chat", admin.user_id),
            None,
            StatusCode::CONFLICT,
            "no_free_seat",
        ),
        (
            "1 none bought",
            Method::PUT,
            format!("/api/v1/users/{member}/licenses/voice"),
            None,
            StatusCode::CONFLICT,
            "no_free_seat",
        ),
        (
            "1 unknown product",
            Method::PUT,
            format!("/api/v1/users/{member}/licenses/fax"),
            None,
            StatusCode::NOT_FOUND,
            "",
        ),
        (
            "1 assigning twice is a no-op",
            Method::PUT,
            format!("/api/v1/users/{member}/licenses/chat"),
            None,
            StatusCode::OK,
            "",
        ),
        (
            "admin licensed",
            Method::PUT,
            format!("/api/v1/users/{}/licenses/scheduling", admin.user_id),
            None,
            StatusCode::OK,
            "",
        ),
        (
            "member page, no license",
            Method::POST,
            "/api/v1/booking-pages".into(),
            Some(json!({"name": "B", "slug": "bruno-call", "owner_id": member, "enabled": true})),
            StatusCode::CONFLICT,
            "owner_has_no_scheduling_license",
        ),
        (
            "paid",
            Method::PUT,
            format!("/api/v1/operator/accounts/{}/subscription", admin.account_id),
            Some(json!({"plan": "team", "status": "paid"})),
            StatusCode::OK,
            "",
        ),
        (
            "2 unassign last licensed admin",
            Method::DELETE,
            format!("/api/v1/users/{}/licenses/scheduling", admin.user_id),
            None,
            StatusCode::CONFLICT,
            "last_licensed_administrator",
        ),
        (
            "2 demote last licensed admin",
            Method::PATCH,
            format!("/api/v1/users/{}", admin.user_id),
            Some(json!({"role": "member"})),
            StatusCode::CONFLICT,
            "last_licensed_administrator",
        ),
        (
            "2 delete last licensed admin",
            Method::DELETE,
            format!("/api/v1/users/{}", admin.user_id),
            None,
            StatusCode::CONFLICT,
            "last_licensed_administrator",
        ),
        (
            "2 dry run says the same",
            Method::DELETE,
            format!("/api/v1/users/{}?dry_run=true", admin.user_id),
            None,
            StatusCode::CONFLICT,
            "last_licensed_administrator",
        ),
        (
            "2 unlicensed admin may go",
            Method::PATCH,
            format!("/api/v1/users/{second_admin}"),
            Some(json!({"role": "member"})),
            StatusCode::OK,
            "",
        ),
        (
            "3 last admin",
            Method::PATCH,
            format!("/api/v1/users/{second_admin}"),
            Some(json!({"role": "administrator"})),
            StatusCode::OK,
            "",
        ),
        (
            "2 second admin licensed",
            Method::PUT,
            format!("/api/v1/users/{second_admin}/licenses/scheduling"),
            None,
            StatusCode::OK,
            "",
        ),
        (
            "2 now the first may be unassigned",
            Method::DELETE,
            format!("/api/v1/users/{}/licenses/scheduling", admin.user_id),
            None,
            StatusCode::OK,
            "",
        ),
        (
            "5 page for licensed owner",
            Method::POST,
            "/api/v1/booking-pages".into(),
            Some(page(&second_admin, "carla-intro")),
            StatusCode::CREATED,
            "",
        ),
        (
            "1 seats below assigned",
            Method::PUT,
            format!("/api/v1/operator/accounts/{}/subscription", admin.account_id),
            Some(json!({"plan": "team", "status": "paid", "seats": {"chat": 0}})),
            StatusCode::CONFLICT,
            "seats_below_assigned",
        ),
        (
            "paid needs a licensed admin",
            Method::PUT,
            format!("/api/v1/operator/accounts/{}/subscription", admin.account_id),
            Some(json!({"plan": "team", "status": "trial"})),
            StatusCode::OK,
            "",
        ),
        (
            "3 the other admin may be demoted",
            Method::PATCH,
            format!("/api/v1/users/{second_admin}"),
            Some(json!({"role": "member"})),
            StatusCode::OK,
            "",
        ),
        (
            "3 last administrator",
            Method::PATCH,
            format!("/api/v1/users/{}", admin.user_id),
            Some(json!({"role": "member"})),
            StatusCode::CONFLICT,
            "last_administrator",
        ),
        (
            "3 last administrator delete",
            Method::DELETE,
            format!("/api/v1/users/{}", admin.user_id),
            None,
            StatusCode::CONFLICT,
            "last_administrator",
        ),
    ];
    for (what, method, path, body, expected, code) in steps {
        let token = if path.contains("/operator/") { OPERATOR_TOKEN } else { t };
        let (status, answer) = app.call(method.clone(), &path, Some(token), body).await;
        assert_eq!(status, expected, "{what}: {method} {path}: {answer}");
        if status == StatusCode::CONFLICT {
            assert_eq!(answer["rule"], code, "{what}: {answer}");
            assert_eq!(answer["type"], "urn:tenantry:problem:conflict");
            assert!(
                answer["detail"].as_str().is_some_and(|d| d.len() > 20),
                "{what}: the refusal explains itself: {answer}"
            );
        }
        assert_invariants(&app, &admin.account_id).await;
    }

    // The seat refusal says how many are free, and the subscription shows the counts.
    let (_, refusal) = license(&app, t, Method::PUT, &admin.user_id, "chat").await;
    assert!(
        refusal["detail"].as_str().expect("detail").contains("all 1 purchased seats are assigned (0 free)"),
        "{refusal}"
    );
    let (status, sub) = app.call(Method::GET, "/api/v1/billing/subscription", Some(t), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sub["seats"]["chat"], json!({"purchased": 1, "assigned": 1}));
    assert_eq!(sub["seats"]["scheduling"], json!({"purchased": 2, "assigned": 1}));
    assert_eq!(sub["plan"], "team");

    // Rule 5: unassigning scheduling disables the owner's pages; re-assigning leaves them off until enabled.
    let (_, pages) = app.call(Method::GET, "/api/v1/booking-pages", Some(t), None).await;
    let page_id = pages["data"][0]["id"].as_str().expect("page").to_owned();
    assert_eq!(pages["data"][0]["enabled"], true);
    let (status, _) = license(&app, t, Method::DELETE, &second_admin, "scheduling").await;
    assert_eq!(status, StatusCode::OK);
    let (_, p) = app.call(Method::GET, &format!("/api/v1/booking-pages/{page_id}"), Some(t), None).await;
    assert_eq!((p["enabled"].clone(), p["disabled_reason"].clone()), (json!(false), json!("license_unassigned")));
    let (status, refusal) = app
        .call(Method::PATCH, &format!("/api/v1/booking-pages/{page_id}"), Some(t), Some(json!({"enabled": true})))
        .await;
    assert_eq!((status, refusal["rule"].clone()), (StatusCode::CONFLICT, json!("owner_has_no_scheduling_license")));
    license(&app, t, Method::PUT, &second_admin, "scheduling").await;
    let (_, p) = app.call(Method::GET, &format!("/api/v1/booking-pages/{page_id}"), Some(t), None).await;
    assert_eq!(p["enabled"], false, "re-assigning does not silently re-enable");
    let (status, p) = app
        .call(Method::PATCH, &format!("/api/v1/booking-pages/{page_id}"), Some(t), Some(json!({"enabled": true})))
        .await;
    assert_eq!(
        (status, p["enabled"].clone(), p["disabled_reason"].clone()),
        (StatusCode::OK, json!(true), Value::Null)
    );
    let (_, events) = app.call(Method::GET, "/api/v1/audit-events?action=booking_page.disabled", Some(t), None).await;
    assert_eq!(events["data"][0]["target_id"], page_id.as_str());
    assert_eq!(events["data"][0]["after"]["reason"], "license_unassigned");
    assert_invariants(&app, &admin.account_id).await;
}

async fn fifty_requests_race_for_the_last_seat(b: Backend) {
    let app = spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, _) =
        set_subscription(&app, &admin.account_id, json!({"plan": "team", "status": "trial", "seats": {"chat": 3}}))
            .await;
    assert_eq!(status, StatusCode::OK);
    // Two of three seats taken: one is left.
    license(&app, &admin.token, Method::PUT, &admin.user_id, "chat").await;
    let first = app.invite(&admin, "u-first@example.com", "First", "member").await;
    assert_eq!(license(&app, &admin.token, Method::PUT, &first, "chat").await.0, StatusCode::OK);
    let mut users = Vec::new();
    for i in 0..50 {
        users.push(app.invite(&admin, &format!("racer{i}@example.com"), &format!("Racer {i}"), "member").await);
    }
    let mut set = tokio::task::JoinSet::new();
    for user in users {
        let (client, url, token) = (app.client.clone(), app.url.clone(), admin.token.clone());
        set.spawn(async move {
            client
                .put(format!("{url}/api/v1/users/{user}/licenses/chat"))
                .bearer_auth(token)
                .send()
                .await
                .expect("sent")
                .status()
        });
    }
    let statuses: Vec<StatusCode> = set.join_all().await;
    let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count();
    assert_eq!((won, refused), (1, 49), "{statuses:?}");
    let (_, sub) = app.call(Method::GET, "/api/v1/billing/subscription", Some(&admin.token), None).await;
    assert_eq!(sub["seats"]["chat"], json!({"purchased": 3, "assigned": 3}));
    assert_invariants(&app, &admin.account_id).await;
}

async fn two_administrators_unassign_each_other_at_once(b: Backend) {
    let app = spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (carla, carla_token) = app.invite_and_activate(&admin, "carla@example.com", "Carla", "administrator").await;
    for round in 0..5 {
        // Both hold the only licenses of a paid account.
        set_subscription(
            &app,
            &admin.account_id,
            json!({"plan": "team", "status": "trial", "seats": {"scheduling": 2}}),
        )
        .await;
        assert_eq!(license(&app, &admin.token, Method::PUT, &admin.user_id, "scheduling").await.0, StatusCode::OK);
        assert_eq!(license(&app, &admin.token, Method::PUT, &carla, "scheduling").await.0, StatusCode::OK);
        let (status, body) = set_subscription(&app, &admin.account_id, json!({"plan": "team", "status": "paid"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (a, b) = tokio::join!(
            license(&app, &admin.token, Method::DELETE, &carla, "scheduling"),
            license(&app, &carla_token, Method::DELETE, &admin.user_id, "scheduling"),
        );
        let won = [a.0, b.0].iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(won, 1, "round {round}: exactly one succeeds: {a:?} {b:?}");
        for (status, body) in [a, b] {
            if status == StatusCode::CONFLICT {
                assert_eq!(body["rule"], "last_licensed_administrator");
            }
        }
        assert_invariants(&app, &admin.account_id).await;
        // Back to a trial with both licensed for the next round.
        set_subscription(&app, &admin.account_id, json!({"plan": "team", "status": "trial"})).await;
    }
}

async fn deleting_a_user_transfers_their_booking_pages(b: Backend) {
    let app = spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let oldest_admin = admin.user_id.clone();
    let (carla, carla_token) = app.invite_and_activate(&admin, "carla@example.com", "Carla", "administrator").await;
    let (bruno, bruno_token) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    license(&app, &admin.token, Method::PUT, &bruno, "scheduling").await;
    license(&app, &admin.token, Method::PUT, &bruno, "chat").await;
    let mut pages = Vec::new();
    for slug in ["bruno-intro", "bruno-demo", "bruno-support"] {
        let (status, page) = app
            .call(Method::POST, "/api/v1/booking-pages", Some(&bruno_token), Some(json!({"name": slug, "slug": slug})))
            .await;
        assert_eq!((status, page["owner_id"].as_str()), (StatusCode::CREATED, Some(bruno.as_str())), "{page}");
        pages.push(page["id"].as_str().expect("id").to_owned());
    }

    // The dry run tells what would happen and changes nothing.
    let (status, bad) =
        app.call(Method::DELETE, &format!("/api/v1/users/{bruno}?dry_run=maybe"), Some(&carla_token), None).await;
    assert_eq!(
        (status, bad["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("dry_run")),
        "nothing deleted on a bad flag"
    );
    let (status, plan) =
        app.call(Method::DELETE, &format!("/api/v1/users/{bruno}?dry_run=true"), Some(&carla_token), None).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["transfer_to"]["id"], carla.as_str(), "the acting Administrator inherits");
    assert_eq!(plan["booking_pages"].as_array().expect("pages").len(), 3);
    assert!(plan["booking_pages"].as_array().expect("pages").iter().all(|p| p["to_user_id"] == carla.as_str()));
    assert_eq!(plan["licenses_freed"], json!(["chat", "scheduling"]));
    assert_eq!(plan["pages_disabled"], true, "the heir has no scheduling license");
    let (status, _) = app.call(Method::GET, &format!("/api/v1/users/{bruno}"), Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK, "a dry run deletes nothing");

    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/users/{bruno}"), Some(&carla_token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for id in &pages {
        let (status, page) =
            app.call(Method::GET, &format!("/api/v1/booking-pages/{id}"), Some(&admin.token), None).await;
        assert_eq!((status, page["owner_id"].as_str()), (StatusCode::OK, Some(carla.as_str())), "{page}");
        // Carla holds no scheduling license: the pages she inherits arrive switched off.
        assert_eq!(
            (page["enabled"].as_bool(), page["disabled_reason"].as_str()),
            (Some(false), Some("no_license")),
            "{page}"
        );
    }
    let (_, audit) =
        app.call(Method::GET, "/api/v1/audit-events?action=booking_page.transferred", Some(&admin.token), None).await;
    let moved: Vec<&str> =
        audit["data"].as_array().expect("data").iter().map(|e| e["target_id"].as_str().expect("target")).collect();
    assert_eq!(moved.len(), 3);
    assert!(pages.iter().all(|p| moved.contains(&p.as_str())));
    let event = &audit["data"][0];
    assert_eq!(
        (event["actor_id"].as_str(), event["before"]["owner_id"].as_str(), event["after"]["owner_id"].as_str()),
        (Some(carla.as_str()), Some(bruno.as_str()), Some(carla.as_str()))
    );
    assert!(event["ip"].as_str().is_some_and(|ip| ip.starts_with("127.")), "{event}");
    let (_, deleted) =
        app.call(Method::GET, "/api/v1/audit-events?action=user.deleted", Some(&admin.token), None).await;
    assert_eq!(deleted["data"][0]["target_id"], bruno.as_str());
    // The domain events webhooks deliver, written in the same transaction.
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.expect("connect");
    let events: Vec<String> =
        sqlx::query_scalar("SELECT data FROM events WHERE account_id = $1 AND type = 'booking_page.transferred'")
            .bind(&admin.account_id)
            .fetch_all(&mut conn)
            .await
            .expect("events");
    assert_eq!(events.len(), 3);
    let data: Value = serde_json::from_str(&events[0]).expect("json");
    assert_eq!(
        (data["from_user_id"].as_str(), data["to_user_id"].as_str()),
        (Some(bruno.as_str()), Some(carla.as_str()))
    );
    sqlx::Connection::close(conn).await.ok();
    assert_invariants(&app, &admin.account_id).await;

    // Carla cannot delete herself (`rule: "self"`), not even as a dry run; Ana deleting her would
    // inherit her pages.
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/booking-pages",
            Some(&carla_token),
            Some(json!({"name": "C", "slug": "carla-own", "enabled": false})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, refusal) =
        app.call(Method::DELETE, &format!("/api/v1/users/{carla}?dry_run=true"), Some(&carla_token), None).await;
    assert_eq!((status, refusal["rule"].as_str()), (StatusCode::CONFLICT, Some("self")), "{refusal}");
    let (status, plan) =
        app.call(Method::DELETE, &format!("/api/v1/users/{carla}?dry_run=true"), Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(plan["transfer_to"]["id"], oldest_admin.as_str(), "the acting Administrator inherits: {plan}");
    assert_eq!(plan["booking_pages"].as_array().expect("pages").len(), 4);
}

async fn members_see_and_change_only_their_own_booking_pages(b: Backend) {
    let app = spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (bruno, bruno_token) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    let (_, dora_token) = app.invite_and_activate(&admin, "dora@example.com", "Dora", "member").await;
    license(&app, &admin.token, Method::PUT, &bruno, "scheduling").await;
    let (_, mine) = app
        .call(
            Method::POST,
            "/api/v1/booking-pages",
            Some(&bruno_token),
            Some(json!({"name": "Intro", "slug": "Bruno-Intro"})),
        )
        .await;
    assert_eq!((mine["slug"].as_str(), mine["enabled"].as_bool()), (Some("bruno-intro"), Some(true)), "{mine}");
    let id = mine["id"].as_str().expect("id");
    // Dora (no license) gets a disabled page by default, and never sees Bruno's.
    let (status, hers) = app
        .call(
            Method::POST,
            "/api/v1/booking-pages",
            Some(&dora_token),
            Some(json!({"name": "Dora", "slug": "dora-chat"})),
        )
        .await;
    assert_eq!(
        (status, hers["enabled"].as_bool(), hers["disabled_reason"].as_str()),
        (StatusCode::CREATED, Some(false), Some("no_license"))
    );
    for (method, body) in
        [(Method::GET, None), (Method::PATCH, Some(json!({"name": "Mine now"}))), (Method::DELETE, None)]
    {
        let (status, _) =
            app.call(method.clone(), &format!("/api/v1/booking-pages/{id}"), Some(&dora_token), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
    }
    let (_, list) =
        app.call(Method::GET, &format!("/api/v1/booking-pages?owner_id={bruno}"), Some(&dora_token), None).await;
    assert_eq!(list["data"].as_array().expect("data").len(), 1, "a Member's list is their own");
    assert_eq!(list["data"][0]["slug"], "dora-chat");
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/booking-pages",
            Some(&dora_token),
            Some(json!({"name": "X", "slug": "for-bruno", "owner_id": bruno})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Administrators see all; slugs are unique; bad input names the field.
    let (_, all) = app.call(Method::GET, "/api/v1/booking-pages", Some(&admin.token), None).await;
    assert_eq!(all["data"].as_array().expect("data").len(), 2);
    let (status, taken) = app
        .call(
            Method::POST,
            "/api/v1/booking-pages",
            Some(&admin.token),
            Some(json!({"name": "Again", "slug": "bruno-intro"})),
        )
        .await;
    assert_eq!((status, taken["errors"][0]["field"].as_str()), (StatusCode::CONFLICT, Some("slug")));
    let (status, bad) = app
        .call(Method::POST, "/api/v1/booking-pages", Some(&admin.token), Some(json!({"name": " ", "slug": "a"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        bad["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
    assert_eq!(fields, ["name", "slug"]);
    let (status, renamed) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/booking-pages/{id}"),
            Some(&bruno_token),
            Some(json!({"name": "Intro call"})),
        )
        .await;
    assert_eq!((status, renamed["name"].as_str()), (StatusCode::OK, Some("Intro call")));
    // Another account's Administrator sees nothing of it.
    let other = app.signup("Other", "olga@other.org").await;
    let (status, _) = app.call(Method::GET, &format!("/api/v1/booking-pages/{id}"), Some(&other.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/booking-pages/{id}"), Some(&bruno_token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

async fn the_operator_api_needs_its_token_and_keeps_seats_above_assignments(b: Backend) {
    let off = spawn_app(b).await;
    let admin = off.signup("Acme", "ana@example.com").await;
    let (status, _) = off.call(Method::GET, "/api/v1/operator/accounts", Some(OPERATOR_TOKEN), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no token configured: no operator API");
    let (status, trial) = off.call(Method::GET, "/api/v1/billing/subscription", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(trial["status"], "trial");
    assert_eq!(
        trial["seats"]["voice"],
        json!({"purchased": 5, "assigned": 0}),
        "new accounts start with the trial seats"
    );
    drop(off);

    let app = spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    for token in [None, Some("wrong"), Some(admin.token.as_str())] {
        let (status, _) = app.call(Method::GET, "/api/v1/operator/accounts", token, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
    }
    let (status, accounts) = app.call(Method::GET, "/api/v1/operator/accounts", Some(OPERATOR_TOKEN), None).await;
    assert_eq!(status, StatusCode::OK);
    // Ours among them (a moved installation holds others too).
    let ours = accounts["data"].as_array().into_iter().flatten().find(|a| a["id"] == admin.account_id.as_str());
    assert_eq!(ours.map(|a| &a["users"]), Some(&json!(1)), "{accounts}");
    // Paid with no licensed Administrator is refused; seats merge; bad input names fields.
    let (status, body) =
        set_subscription(&app, &admin.account_id, json!({"plan": "pro", "status": "paid", "seats": {"chat": 10}}))
            .await;
    assert_eq!((status, body["rule"].as_str()), (StatusCode::CONFLICT, Some("last_licensed_administrator")));
    let (_, unchanged) = app.call(Method::GET, "/api/v1/billing/subscription", Some(&admin.token), None).await;
    assert_eq!(
        (unchanged["status"].as_str(), unchanged["seats"]["chat"]["purchased"].as_i64()),
        (Some("trial"), Some(5)),
        "nothing was half-written"
    );
    license(&app, &admin.token, Method::PUT, &admin.user_id, "chat").await;
    let (status, sub) = set_subscription(
        &app,
        &admin.account_id,
        json!({"plan": "pro", "status": "paid", "cycle_start": "2026-11-01T00:00:00Z", "seats": {"chat": 10}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sub}");
    assert_eq!((sub["plan"].as_str(), sub["cycle_start"].as_str()), (Some("pro"), Some("2026-11-01T00:00:00Z")));
    assert_eq!(sub["seats"]["chat"], json!({"purchased": 10, "assigned": 1}));
    assert_eq!(sub["seats"]["voice"]["purchased"], 5, "products not named keep their seats");
    let (status, bad) = set_subscription(
        &app,
        &admin.account_id,
        json!({"plan": "", "status": "gold", "seats": {"fax": 1, "chat": -1}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields: Vec<&str> =
        bad["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
    fields.sort();
    assert_eq!(fields, ["plan", "seats.chat", "seats.fax", "status"]);
    let (status, bad) =
        set_subscription(&app, &admin.account_id, json!({"plan": "pro", "status": "paid", "cycle_start": "next week"}))
            .await;
    assert_eq!((status, bad["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("cycle_start")));
    let (status, _) =
        set_subscription(&app, "acc_000000000000000000000000", json!({"plan": "pro", "status": "trial"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, log) =
        app.call(Method::GET, "/api/v1/audit-events?action=subscription.updated", Some(&admin.token), None).await;
    assert_eq!(log["data"][0]["actor_id"], Value::Null, "the operator acted, not a user");
    assert_eq!(log["data"][0]["after"]["status"], "paid");
}

async fn invitations_can_carry_licenses(b: Backend) {
    let app = spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    set_subscription(&app, &admin.account_id, json!({"plan": "team", "status": "trial", "seats": {"voice": 1}})).await;
    let invite =
        |email: &str, licenses: Value| json!({"email": email, "name": "New", "role": "member", "licenses": licenses});
    let (status, user) = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&admin.token),
            Some(invite("new@example.com", json!(["chat", "voice"]))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(licenses_of(&user), ["chat", "voice"]);
    let (_, listed) = app.call(Method::GET, "/api/v1/users?q=new%40", Some(&admin.token), None).await;
    assert_eq!(licenses_of(&listed["data"][0]), ["chat", "voice"]);
    // No voice seat left: the whole invitation is refused and nobody is created.
    let (status, refusal) = app
        .call(Method::POST, "/api/v1/users", Some(&admin.token), Some(invite("late@example.com", json!(["voice"]))))
        .await;
    assert_eq!((status, refusal["rule"].as_str()), (StatusCode::CONFLICT, Some("no_free_seat")));
    let (_, none) = app.call(Method::GET, "/api/v1/users?q=late%40", Some(&admin.token), None).await;
    assert!(none["data"].as_array().expect("data").is_empty(), "no half-written invitation");
    let (status, bad) = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&admin.token),
            Some(invite("odd@example.com", json!(["chat", "fax"]))),
        )
        .await;
    assert_eq!((status, bad["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("licenses[1]")));
    // Products report integrations; the lobby and user detail show them.
    let id = user["id"].as_str().expect("id");
    let (status, with) = app
        .call(Method::PUT, &format!("/api/v1/users/{id}/integrations/google_calendar"), Some(&admin.token), None)
        .await;
    assert_eq!((status, with["integrations"].clone()), (StatusCode::OK, json!(["google_calendar"])));
    let (status, _) =
        app.call(Method::PUT, &format!("/api/v1/users/{id}/integrations/Bad%20Name"), Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, without) = app
        .call(Method::DELETE, &format!("/api/v1/users/{id}/integrations/google_calendar"), Some(&admin.token), None)
        .await;
    assert_eq!((status, without["integrations"].clone()), (StatusCode::OK, json!([])));
}

async fn the_audit_log_lists_changes_newest_first(b: Backend) {
    let app = spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno", "member").await;
    for product in ["chat", "voice", "scheduling"] {
        license(&app, &admin.token, Method::PUT, &bruno, product).await;
        app.advance(1);
    }
    let (status, page) = app.call(Method::GET, "/api/v1/audit-events?limit=2", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> =
        page["data"].as_array().expect("data").iter().map(|e| e["action"].as_str().expect("action")).collect();
    assert_eq!(actions, ["license.assigned", "license.assigned"]);
    assert_eq!(page["data"][0]["after"]["product"], "scheduling", "newest first");
    let cursor = page["next_cursor"].as_str().expect("more");
    let (_, next) =
        app.call(Method::GET, &format!("/api/v1/audit-events?limit=2&cursor={cursor}"), Some(&admin.token), None).await;
    assert_eq!(next["data"][0]["after"]["product"], "chat");
    assert_eq!(next["data"][1]["action"], "user.invited");
    let (_, by_actor) = app
        .call(
            Method::GET,
            &format!("/api/v1/audit-events?actor={}&action=user.invited", admin.user_id),
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(by_actor["data"].as_array().expect("data").len(), 1);
    let (_, future) =
        app.call(Method::GET, "/api/v1/audit-events?since=2999-01-01T00:00:00Z", Some(&admin.token), None).await;
    assert!(future["data"].as_array().expect("data").is_empty());
    let (status, bad) = app.call(Method::GET, "/api/v1/audit-events?since=yesterday", Some(&admin.token), None).await;
    assert_eq!((status, bad["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("since")));
    for (query, status, field) in [
        ("limit=0", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
        ("limit=x", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
        ("cursor=garbage!", StatusCode::BAD_REQUEST, "cursor"),
    ] {
        let (got, bad) =
            app.call(Method::GET, &format!("/api/v1/audit-events?{query}"), Some(&admin.token), None).await;
        assert_eq!((got, bad["errors"][0]["field"].as_str()), (status, Some(field)), "{query}");
    }
    let other = app.signup("Other", "olga@other.org").await;
    let (_, theirs) = app.call(Method::GET, "/api/v1/audit-events", Some(&other.token), None).await;
    assert!(
        theirs["data"].as_array().expect("data").iter().all(|e| e["target_id"] != bruno.as_str()),
        "another account's log is not visible"
    );
}
