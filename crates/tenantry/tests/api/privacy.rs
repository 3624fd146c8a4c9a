//! Account settings › Chatbot and form privacy over the API: the document never saved, saved and
//! read back, its refusals, Members refused, the audit event, and the public copy any website can
//! read (no credentials, any origin) with 404 for unknown accounts.

use crate::contact_fields::matches_schema;
use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

db_tests!(privacy_document_round_trip_and_refusals, public_privacy_document_needs_no_credentials);

const PATH: &str = "/api/v1/privacy";

fn empty() -> Value {
    json!({"privacy_policy": {"text": null, "url": null, "require_consent": false},
           "cookie_policy": {"text": null, "url": null, "show_banner": false}})
}

fn fields_of(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().into_iter().flatten().map(|e| e["field"].as_str().unwrap_or("").to_owned()).collect()
}

async fn privacy_document_round_trip_and_refusals(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    let (_, member) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;

    let (status, doc) = app.call(Method::GET, PATH, Some(t), None).await;
    assert_eq!((status, &doc), (StatusCode::OK, &empty()), "never saved: nulls and false");
    matches_schema(&app, "PrivacyView", &doc).await;

    let saved = json!({
        "privacy_policy": {"text": "  We keep what you type in the chat for 30 days.\n", "url": "https://acme.example/privacy", "require_consent": true},
        "cookie_policy": {"url": "https://acme.example/cookies", "show_banner": true}
    });
    let (status, doc) = app.call(Method::PUT, PATH, Some(t), Some(saved)).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    matches_schema(&app, "PrivacyView", &doc).await;
    let expected = json!({
        "privacy_policy": {"text": "We keep what you type in the chat for 30 days.", "url": "https://acme.example/privacy", "require_consent": true},
        "cookie_policy": {"text": null, "url": "https://acme.example/cookies", "show_banner": true}
    });
    assert_eq!(doc, expected);
    let (_, again) = app.call(Method::GET, PATH, Some(t), None).await;
    assert_eq!(again, expected, "read back");

    // Refusals name the member; nothing is saved.
    for (body, field) in [
        (json!({"privacy_policy": {"url": "http://acme.example/privacy"}}), "privacy_policy.url"),
        (json!({"privacy_policy": {"url": "javascript:alert(1)"}}), "privacy_policy.url"),
        (json!({"cookie_policy": {"url": "ftp://acme.example"}}), "cookie_policy.url"),
        (json!({"privacy_policy": {"text": "x".repeat(20_001)}}), "privacy_policy.text"),
        (json!({"cookie_policy": {"show_banner": "yes"}}), "cookie_policy.show_banner"),
        (json!({"privacy_policy": {"link": "https://a.example"}}), "privacy_policy.link"),
    ] {
        let (status, problem) = app.call(Method::PUT, PATH, Some(t), Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {problem}");
        assert_eq!(fields_of(&problem), [field], "{body}: {problem}");
    }
    let (_, still) = app.call(Method::GET, PATH, Some(t), None).await;
    assert_eq!(still, expected, "refusals change nothing");

    // Members may not read or change it.
    for (method, body) in [(Method::GET, None), (Method::PUT, Some(empty()))] {
        let (status, _) = app.call(method.clone(), PATH, Some(&member), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method}");
    }

    // Saving the same again records nothing new; clearing it does.
    app.call(Method::PUT, PATH, Some(t), Some(expected.clone())).await;
    let (status, cleared) = app.call(Method::PUT, PATH, Some(t), Some(json!({}))).await;
    assert_eq!((status, &cleared), (StatusCode::OK, &empty()));
    let (_, log) = app.call(Method::GET, "/api/v1/audit-events?action=privacy.updated", Some(t), None).await;
    let events = log["data"].as_array().expect("data");
    assert_eq!(events.len(), 2, "{log}");
    assert!(events.iter().any(|e| e["after"] == empty() && e["before"] == expected), "{log}");
    assert!(events.iter().any(|e| e["after"] == expected && e["before"] == empty()), "{log}");
}

async fn public_privacy_document_needs_no_credentials(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let other = app.signup("Globex", "gina@globex.example").await;
    let public = format!("/api/v1/public/accounts/{}/privacy", admin.account_id);

    // Never saved: the empty document, readable from anywhere.
    let res =
        app.client.get(format!("{}{public}", app.url)).header("origin", "https://shop.example").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert_eq!(res.json::<Value>().await.unwrap(), empty());

    let saved = json!({"privacy_policy": {"text": "Our policy", "url": null, "require_consent": true},
                       "cookie_policy": {"text": null, "url": "https://acme.example/cookies", "show_banner": false}});
    app.call(Method::PUT, PATH, Some(&admin.token), Some(saved.clone())).await;
    let res = app.request(Method::GET, &public, None, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc, saved, "the same document as the Administrator's");
    matches_schema(&app, "PrivacyView", &doc).await;
    // Each account answers its own.
    let (status, theirs) =
        app.call(Method::GET, &format!("/api/v1/public/accounts/{}/privacy", other.account_id), None, None).await;
    assert_eq!((status, theirs), (StatusCode::OK, empty()));

    // A CORS preflight is answered for any origin.
    let res = app
        .client
        .request(Method::OPTIONS, format!("{}{public}", app.url))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert!(res.headers()["access-control-allow-methods"].to_str().unwrap().contains("GET"));

    // Unknown or malformed accounts are 404 (a problem document, still readable cross-origin), never 500.
    for id in ["acc_000000000000000000000000", "acc_nope", "not-an-id", "%00", "acc_%27%3B--"] {
        let res = app.request(Method::GET, &format!("/api/v1/public/accounts/{id}/privacy"), None, None).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{id}");
        assert_eq!(res.headers()["access-control-allow-origin"], "*", "{id}");
    }
    // A bearer token changes nothing; a bad one is not even looked at.
    let (status, doc) = app.call(Method::GET, &public, Some("garbage"), None).await;
    assert_eq!((status, doc), (StatusCode::OK, saved));
}
