//! Tenant isolation and role checks on every user endpoint.

use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

db_tests!(other_accounts_users_are_404, members_get_403_on_admin_endpoints, anonymous_requests_get_401);

/// Every user endpoint aimed at user `id`.
fn user_endpoints(id: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, format!("/api/v1/users/{id}"), None),
        (Method::PATCH, format!("/api/v1/users/{id}"), Some(json!({"name": "Hijacked"}))),
        (Method::POST, format!("/api/v1/users/{id}/invitation"), None),
        (Method::PUT, format!("/api/v1/users/{id}/licenses/chat"), None),
        (Method::DELETE, format!("/api/v1/users/{id}/licenses/chat"), None),
        (Method::DELETE, format!("/api/v1/users/{id}?dry_run=true"), None),
        (Method::DELETE, format!("/api/v1/users/{id}"), None),
    ]
}

async fn other_accounts_users_are_404(b: Backend) {
    let app = spawn_app(b).await;
    let a = app.signup("Account A", "a@example.com").await;
    let b_admin = app.signup("Account B", "b@example.com").await;
    let b_member = app.invite(&b_admin, "member-b@example.com", "Member of B", "member").await;
    for target in [&b_member, &b_admin.user_id] {
        for (method, path, body) in user_endpoints(target) {
            let (status, problem) = app.call(method.clone(), &path, Some(&a.token), body).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {problem}");
            assert_eq!(problem["status"], 404);
        }
    }
    let (_, list) = app.call(Method::GET, "/api/v1/users?q=b", Some(&a.token), None).await;
    assert!(list["data"].as_array().expect("data").iter().all(|u| u["email"] != "member-b@example.com"));
    let (status, untouched) =
        app.call(Method::GET, &format!("/api/v1/users/{b_member}"), Some(&b_admin.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(untouched["name"], "Member of B", "nothing changed in B");
    // A malformed id is just as absent.
    let (status, _) = app.call(Method::GET, "/api/v1/users/usr_..%2F..", Some(&a.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn members_get_403_on_admin_endpoints(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (member_id, member) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    let mut endpoints = vec![
        (Method::GET, "/api/v1/users".to_owned(), None),
        (
            Method::POST,
            "/api/v1/users".to_owned(),
            Some(json!({"email": "x@example.com", "name": "X", "role": "administrator"})),
        ),
        (Method::GET, "/api/v1/billing/subscription".to_owned(), None),
        (Method::GET, "/api/v1/audit-events".to_owned(), None),
    ];
    endpoints.extend(user_endpoints(&admin.user_id));
    endpoints.extend(user_endpoints(&member_id));
    for (method, path, body) in endpoints {
        let (status, problem) = app.call(method.clone(), &path, Some(&member), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {problem}");
        assert!(problem["detail"].as_str().is_some_and(|d| d.contains("Administrators")), "{problem}");
    }
    let (_, list) = app.call(Method::GET, "/api/v1/users", Some(&admin.token), None).await;
    assert_eq!(list["data"].as_array().expect("data").len(), 2, "the member created no one");
}

async fn anonymous_requests_get_401(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    for (method, path, body) in [
        (Method::GET, "/api/v1/users".to_owned(), None),
        (Method::GET, "/api/v1/me".to_owned(), None),
        (Method::POST, "/api/v1/auth/sign-out".to_owned(), None),
    ]
    .into_iter()
    .chain(user_endpoints(&admin.user_id))
    {
        let res = app.request(method.clone(), &path, None, body).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    let res = app
        .client
        .get(format!("{}/api/v1/me", app.url))
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
