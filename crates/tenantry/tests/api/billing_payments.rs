//! Billing › Payment methods: provider tokens only. A card number anywhere in the body is 422 and
//! reaches no log line; exactly one default while any exist; another account's method is 404.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

crate::db_tests!(
    a_card_number_anywhere_in_the_body_is_refused_and_never_logged,
    exactly_one_default_while_any_exist,
    payment_methods_refuse_bad_fields_other_accounts_and_members,
);

/// Everything the process logs at any level from now on (each test runs in its own process).
pub(crate) fn capture_logs() -> Arc<Mutex<Vec<u8>>> {
    #[derive(Clone)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let sink = Sink(buffer.clone());
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        // As the binary logs: lines written while a request is served name it.
        .event_format(tenantry_web::request_log::text_format(false))
        .with_writer(move || sink.clone())
        .try_init()
        .expect("the only subscriber of this test process");
    buffer
}

fn method(token: &str, last4: &str) -> Value {
    json!({"provider_token": token, "brand": "visa", "last4": last4, "exp_month": 12, "exp_year": 2030})
}

async fn add(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, "/api/v1/billing/payment-methods", Some(token), Some(body)).await
}

async fn list(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, body) = app.call(Method::GET, "/api/v1/billing/payment-methods", Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].as_array().expect("data").clone()
}

async fn a_card_number_anywhere_in_the_body_is_refused_and_never_logged(b: Backend) {
    let logs = capture_logs();
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let cards = ["4242 4242 4242 4242", "4111-1111-1111-1111", "5555555555554444", "378282246310005"];
    let mut with_note = method("pm_ok", "4242");
    with_note["note"] = json!(cards[1]);
    let mut as_number = method("pm_ok", "4242");
    as_number["exp_month"] = json!(5_555_555_555_554_444_u64);
    let mut as_key = method("pm_ok", "4242");
    as_key[cards[3]] = json!(true);
    for (body, field) in [
        (method(cards[0], "4242"), "provider_token"),
        (with_note, "note"),
        (as_number, "exp_month"),
        (as_key, "body"),
        (json!({"cards": [{"number": cards[0]}]}), "cards[0].number"),
    ] {
        let (status, problem) = add(&app, &admin.token, body).await;
        assert_eq!((status, problem["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)));
        for card in cards {
            assert!(!problem.to_string().contains(card), "{problem}");
        }
    }
    assert!(list(&app, &admin.token).await.is_empty(), "nothing was stored");
    // A real token with the last four digits is fine.
    assert_eq!(add(&app, &admin.token, method("pm_1QzX2Y3Z", "4242")).await.0, StatusCode::CREATED);

    let logged = String::from_utf8_lossy(&logs.lock().expect("lock")).into_owned();
    assert!(logged.contains("payment-methods"), "the capture saw the requests");
    for card in cards {
        let digits: String = card.chars().filter(char::is_ascii_digit).collect();
        assert!(!logged.contains(card) && !logged.contains(&digits), "{card} was logged");
    }
}

async fn exactly_one_default_while_any_exist(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    let (status, first) = add(&app, t, method("pm_first", "1111")).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!((first["is_default"].as_bool(), first["expired"].as_bool()), (Some(true), Some(false)), "{first}");
    assert!(first["id"].as_str().is_some_and(|i| i.starts_with("pm_")));
    assert!(first.get("provider_token").is_none(), "the token is never answered");
    let (_, second) = add(&app, t, method("pm_second", "2222")).await;
    assert_eq!(second["is_default"], false);
    let mut expired = method("pm_old", "3333");
    expired["exp_year"] = json!(2021);
    expired["make_default"] = json!(true);
    let (_, third) = add(&app, t, expired).await;
    assert_eq!((third["is_default"].as_bool(), third["expired"].as_bool()), (Some(true), Some(true)));
    let defaults =
        |all: &[Value]| all.iter().filter(|m| m["is_default"] == true).map(|m| m["last4"].clone()).collect::<Vec<_>>();
    assert_eq!(defaults(&list(&app, t).await), [json!("3333")]);

    let path = |m: &Value| format!("/api/v1/billing/payment-methods/{}", m["id"].as_str().expect("id"));
    let (status, body) = app.call(Method::POST, &format!("{}/default", path(&first)), Some(t), None).await;
    assert_eq!((status, body["is_default"].as_bool()), (StatusCode::OK, Some(true)), "{body}");
    assert_eq!(defaults(&list(&app, t).await), [json!("1111")]);
    // Deleting the default promotes the newest other one.
    assert_eq!(app.call(Method::DELETE, &path(&first), Some(t), None).await.0, StatusCode::NO_CONTENT);
    let left = list(&app, t).await;
    assert_eq!(left.iter().map(|m| m["last4"].clone()).collect::<Vec<_>>(), [json!("3333"), json!("2222")]);
    assert_eq!(defaults(&left), [json!("3333")]);
    // Deleting one that is not the default leaves the default alone; the last one goes too.
    assert_eq!(app.call(Method::DELETE, &path(&second), Some(t), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(defaults(&list(&app, t).await), [json!("3333")]);
    assert_eq!(app.call(Method::DELETE, &path(&third), Some(t), None).await.0, StatusCode::NO_CONTENT);
    assert!(list(&app, t).await.is_empty());
    assert_eq!(app.call(Method::DELETE, &path(&third), Some(t), None).await.0, StatusCode::NOT_FOUND);
}

async fn payment_methods_refuse_bad_fields_other_accounts_and_members(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    for (patch, field) in [
        (json!({"provider_token": ""}), "provider_token"),
        (json!({"provider_token": "has space"}), "provider_token"),
        (json!({"brand": "bitcoin"}), "brand"),
        (json!({"last4": "42"}), "last4"),
        (json!({"last4": "42a2"}), "last4"),
        (json!({"exp_month": 13}), "exp_month"),
        (json!({"exp_year": 30}), "exp_year"),
        (json!({"exp_month": "12"}), "exp_month"),
    ] {
        let mut body = method("pm_ok", "4242");
        for (k, v) in patch.as_object().expect("object") {
            body[k] = v.clone();
        }
        let (status, problem) = add(&app, t, body.clone()).await;
        assert_eq!(
            (status, problem["errors"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}"
        );
    }
    for i in 0..20 {
        assert_eq!(add(&app, t, method(&format!("pm_{i}"), "4242")).await.0, StatusCode::CREATED);
    }
    let (status, body) = add(&app, t, method("pm_21", "4242")).await;
    assert_eq!((status, body["rule"].as_str()), (StatusCode::CONFLICT, Some("payment_method_limit")));

    let mine = list(&app, t).await;
    let other = app.signup("Globex", "gil@example.com").await;
    assert!(list(&app, &other.token).await.is_empty());
    let id = mine[0]["id"].as_str().expect("id");
    for (method_, path) in [
        (Method::POST, format!("/api/v1/billing/payment-methods/{id}/default")),
        (Method::DELETE, format!("/api/v1/billing/payment-methods/{id}")),
        (Method::DELETE, "/api/v1/billing/payment-methods/pm_nope".to_owned()),
    ] {
        assert_eq!(app.call(method_, &path, Some(&other.token), None).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(list(&app, t).await.len(), 20);
    let (_, member) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    assert_eq!(add(&app, &member, method("pm_x", "4242")).await.0, StatusCode::FORBIDDEN);
    let (status, _) = app.call(Method::GET, "/api/v1/billing/payment-methods", Some(&member), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
