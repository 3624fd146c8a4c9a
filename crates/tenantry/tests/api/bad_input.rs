//! Bad input answers a problem document naming the field, never a 500, and changes nothing.

use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

db_tests!(bad_bodies_get_problem_documents, bad_query_parameters_get_problem_documents);

async fn raw(
    app: &TestApp, token: &str, content_type: &str, body: impl Into<reqwest::Body>,
) -> (StatusCode, String, Value) {
    let res = app
        .client
        .post(format!("{}/api/v1/users", app.url))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("sent");
    let status = res.status();
    let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap_or_default().to_owned()).unwrap_or_default();
    let body = res.json::<Value>().await.unwrap_or(Value::Null);
    (status, ct, body)
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| a.iter().map(|e| e["field"].as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}

async fn bad_bodies_get_problem_documents(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    let json_ct = "application/json";

    let (status, ct, p) = raw(&app, t, json_ct, r#"{"email": "x@example.com", "name": "#).await;
    assert_eq!((status, ct.as_str()), (StatusCode::BAD_REQUEST, "application/problem+json"), "malformed JSON: {p}");
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("malformed JSON")));

    let (status, _, p) = raw(&app, t, json_ct, r#"{"email": 42, "name": "X", "role": "member"}"#).await;
    assert_eq!((status, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["email".to_owned()]), "wrong type: {p}");

    let (status, _, p) =
        raw(&app, t, json_ct, r#"{"email": "x@example.com", "name": "X", "role": "member", "is_owner": true}"#).await;
    assert_eq!(
        (status, fields(&p)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["is_owner".to_owned()]),
        "unknown field: {p}"
    );

    let (status, _, p) = raw(&app, t, json_ct, r#"{"email": "x@example.com", "role": "member"}"#).await;
    assert_eq!((status, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["name".to_owned()]), "missing field: {p}");

    let big = format!(r#"{{"email": "x@example.com", "name": "{}", "role": "member"}}"#, "x".repeat(1024 * 1024 + 10));
    let (status, ct, p) = raw(&app, t, json_ct, big).await;
    assert_eq!((status, ct.as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "application/problem+json"), "oversized: {p}");

    let (status, _, p) =
        raw(&app, t, "text/plain", r#"{"email": "x@example.com", "name": "X", "role": "member"}"#).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{p}");

    let (status, p) = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(t),
            Some(json!({"email": "not-an-email", "name": "X", "role": "member"})),
        )
        .await;
    assert_eq!(
        (status, fields(&p)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["email".to_owned()]),
        "invalid email: {p}"
    );
    assert_eq!(p["errors"][0]["message"], "is not a valid email address");

    let (status, p) = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(t),
            Some(json!({"email": "y@example.com", "name": "   ", "role": "member"})),
        )
        .await;
    assert_eq!((status, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["name".to_owned()]), "empty name: {p}");

    let (status, p) = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(t),
            Some(json!({"email": "ana@example.com", "name": "Again", "role": "member"})),
        )
        .await;
    assert_eq!((status, fields(&p)), (StatusCode::CONFLICT, vec!["email".to_owned()]), "duplicate email: {p}");

    let (status, p) = app
        .call(
            Method::POST,
            "/api/v1/signup",
            None,
            Some(json!({"account_name": "", "name": "", "email": "bad", "password": "correct horse battery"})),
        )
        .await;
    let mut f = fields(&p);
    f.sort();
    assert_eq!(
        (status, f),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["account_name".to_owned(), "email".to_owned(), "name".to_owned()])
    );

    let (status, p) =
        app.call(Method::POST, "/api/v1/auth/sign-in", None, Some(json!({"email": "ana@example.com"}))).await;
    assert_eq!((status, fields(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["password".to_owned()]));

    // Nothing of the refused requests was written.
    let (_, list) = app.call(Method::GET, "/api/v1/users", Some(t), None).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    assert!(app.mail_files().is_empty(), "no invitation email was queued");
}

async fn bad_query_parameters_get_problem_documents(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    for (query, status, field) in [
        ("cursor=garbage!", StatusCode::BAD_REQUEST, "cursor"),
        ("limit=0", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
        ("limit=100000", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
        ("limit=ten", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
        ("role=owner", StatusCode::UNPROCESSABLE_ENTITY, "role"),
        ("status=sleeping", StatusCode::UNPROCESSABLE_ENTITY, "status"),
    ] {
        let (got, p) = app.call(Method::GET, &format!("/api/v1/users?{query}"), Some(&admin.token), None).await;
        assert_eq!(got, status, "{query}: {p}");
        assert_eq!(fields(&p), vec![field.to_owned()], "{query}");
    }
    let (status, p) = app.call(Method::GET, "/api/v1/no-such-thing", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(p["status"], 404);
}
