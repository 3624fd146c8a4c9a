//! Account API keys: created (shown once), listed without the secret, used, revoked and expired;
//! only Administrators (or `admin` keys) manage them; other accounts' keys are 404; a key stops
//! working when its creator is demoted, deactivated or deleted; and the scope of every operation,
//! walked from the served OpenAPI document, is enforced for a `users:read` key.

use crate::contact_fields::matches_schema;
use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

db_tests!(
    account_keys_are_created_listed_used_and_revoked,
    account_key_refusals_name_their_field,
    only_administrators_manage_keys_of_their_own_account,
    a_key_stops_working_when_it_expires_or_its_creator_is_no_longer_an_administrator,
    a_users_read_key_is_refused_every_operation_it_lacks_the_scope_for,
    the_api_keys_page_creates_a_key_with_an_expiry_date_and_keeps_members_out,
);

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().into_iter().flatten().map(|e| e["field"].as_str().unwrap_or("").to_owned()).collect()
}

async fn create_key(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, "/api/v1/api-keys", Some(token), Some(body)).await
}

/// Creates a key with `scopes` and answers (id, secret).
async fn new_key(app: &TestApp, token: &str, scopes: &[&str]) -> (String, String) {
    let (status, body) = create_key(app, token, json!({"name": "Sync", "scopes": scopes})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (body["id"].as_str().unwrap().to_owned(), body["key"].as_str().unwrap().to_owned())
}

async fn account_keys_are_created_listed_used_and_revoked(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();

    let (status, created) = create_key(
        &app,
        t,
        json!({"name": " Nightly sync ", "scopes": ["users:read", "licenses:write"], "expires_at": "2099-01-31T00:00:00Z"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    matches_schema(&app, "NewAccountKeyView", &created).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(id.starts_with("key_") && key.starts_with("tnt_"), "{created}");
    assert_eq!(created["name"], "Nightly sync");
    assert_eq!(created["scopes"], json!(["users:read", "licenses:write"]));
    assert_eq!(created["created_by"], admin.user_id.as_str());
    let expires: jiff::Timestamp = created["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires, "2099-01-31T00:00:00Z".parse::<jiff::Timestamp>().unwrap());
    assert!(created["last_used_at"].is_null());
    let prefix = created["prefix"].as_str().unwrap().to_owned();
    assert!(key.starts_with(&prefix) && prefix.len() < key.len());

    // The list and the key's own answer never hold the secret.
    let (status, list) = app.call(Method::GET, "/api/v1/api-keys", Some(t), None).await;
    assert_eq!(status, StatusCode::OK);
    matches_schema(&app, "AccountKeyList", &list).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["prefix"], prefix.as_str());
    assert!(list["data"][0].get("key").is_none() && !list.to_string().contains(&key));
    let (status, one) = app.call(Method::GET, &format!("/api/v1/api-keys/{id}"), Some(t), None).await;
    assert_eq!(status, StatusCode::OK);
    matches_schema(&app, "AccountKeyView", &one).await;
    assert!(one.get("key").is_none());

    // The key works for what its scopes allow, and its use is recorded.
    let (status, users) = app.call(Method::GET, "/api/v1/users", Some(&key), None).await;
    assert_eq!(status, StatusCode::OK, "{users}");
    let (status, problem) =
        app.call(Method::POST, "/api/v1/users", Some(&key), Some(json!({"email": "x@example.com"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(problem["required_scope"], "users:write");
    matches_schema(&app, "Problem", &problem).await;
    let (status, problem) = app.call(Method::GET, "/api/v1/me", Some(&key), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(problem["rule"], "personal_only");
    let (_, one) = app.call(Method::GET, &format!("/api/v1/api-keys/{id}"), Some(t), None).await;
    assert!(one["last_used_at"].is_string(), "{one}");
    // Re-authentication refuses account keys as it does personal keys.
    let (status, _) =
        app.call(Method::POST, "/api/v1/me/api-key", Some(&key), Some(json!({"current_password": "x"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The audit log names the key, never the secret.
    let (_, log) = app.call(Method::GET, "/api/v1/audit-events?action=api_key.created", Some(t), None).await;
    let entry = &log["data"][0];
    assert_eq!(entry["target_type"], "api_key");
    assert_eq!(entry["target_id"], id.as_str());
    assert_eq!(entry["after"]["prefix"], prefix.as_str());
    assert!(!log.to_string().contains(&key));

    // Revoked: 204, then 401 at once, and gone from the list.
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/api-keys/{id}"), Some(t), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::GET, "/api/v1/users", Some(&key), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, list) = app.call(Method::GET, "/api/v1/api-keys", Some(t), None).await;
    assert_eq!(list["data"], json!([]));
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/api-keys/{id}"), Some(t), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, log) = app.call(Method::GET, "/api/v1/audit-events?action=api_key.revoked", Some(t), None).await;
    assert_eq!(log["data"][0]["target_id"], id.as_str());

    // A key with `admin` manages keys; the personal key keeps working alongside.
    let (_, admin_key) = new_key(&app, t, &["admin"]).await;
    let (status, body) = create_key(&app, &admin_key, json!({"name": "Made by a key", "scopes": ["audit:read"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = app.call(Method::DELETE, "/api/v1/account", Some(&admin_key), Some(json!({}))).await;
    assert_ne!(status, StatusCode::FORBIDDEN, "admin allows everything an Administrator may do");
    let (status, personal) = app
        .call(Method::POST, "/api/v1/me/api-key", Some(t), Some(json!({"current_password": "correct horse battery"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{personal}");
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(personal["key"].as_str().unwrap()), None).await;
    assert_eq!(status, StatusCode::OK, "personal keys still reach My settings");
}

async fn account_key_refusals_name_their_field(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    for (body, field) in [
        (json!({"name": "", "scopes": ["users:read"]}), "name"),
        (json!({"name": "x".repeat(101), "scopes": ["users:read"]}), "name"),
        (json!({"name": "A", "scopes": []}), "scopes"),
        (json!({"name": "A", "scopes": ["users:read", "users:delete"]}), "scopes"),
        (json!({"name": "A", "scopes": ["users:read"], "expires_at": "2020-01-01T00:00:00Z"}), "expires_at"),
        (json!({"name": "A", "scopes": ["users:read"], "expires_at": "next week"}), "expires_at"),
        (json!({"name": "A"}), "scopes"),
        (json!({"name": "A", "scopes": "users:read"}), "scopes"),
        (json!({"name": "A", "scopes": ["users:read"], "owner": "me"}), "owner"),
    ] {
        let (status, problem) = create_key(&app, t, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {problem}");
        assert_eq!(fields(&problem), [field], "{body} → {problem}");
        matches_schema(&app, "Problem", &problem).await;
    }
    let (_, list) = app.call(Method::GET, "/api/v1/api-keys", Some(t), None).await;
    assert_eq!(list["data"], json!([]), "nothing was created");

    // At most 100 keys per account.
    for _ in 0..100 {
        new_key(&app, t, &["users:read"]).await;
    }
    let (status, problem) = create_key(&app, t, json!({"name": "One more", "scopes": ["users:read"]})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["rule"], "key_limit");
}

async fn only_administrators_manage_keys_of_their_own_account(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let other = app.signup("Globex", "gus@example.com").await;
    let (_, member) = app.invite_and_activate(&admin, "mia@example.com", "Mia Member", "member").await;
    let (id, _) = new_key(&app, &admin.token, &["users:read"]).await;

    let (status, _) = create_key(&app, &member, json!({"name": "Mine", "scopes": ["users:read"]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.call(Method::GET, "/api/v1/api-keys", Some(&member), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Another account's key is not there: 404 to read or revoke, and it keeps working.
    for method in [Method::GET, Method::DELETE] {
        let (status, _) = app.call(method, &format!("/api/v1/api-keys/{id}"), Some(&other.token), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = app.call(Method::GET, "/api/v1/api-keys/key_not-an-id", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = app.call(Method::GET, "/api/v1/api-keys", Some(&other.token), None).await;
    assert_eq!(list["data"], json!([]));
    let (_, list) = app.call(Method::GET, "/api/v1/api-keys", Some(&admin.token), None).await;
    assert_eq!(list["data"][0]["id"], id.as_str());

    // A key without `admin` cannot manage keys.
    let (_, writer) = new_key(&app, &admin.token, &["users:write", "webhooks:write"]).await;
    let (status, problem) = create_key(&app, &writer, json!({"name": "Escalate", "scopes": ["admin"]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(problem["required_scope"], "admin");
    // A key acts in its own account only.
    let (status, _) = app.call(Method::GET, &format!("/api/v1/users/{}", other.user_id), Some(&writer), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_key_stops_working_when_it_expires_or_its_creator_is_no_longer_an_administrator(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();

    // Keys made by a second Administrator.
    let (bea, bea_token) = app.invite_and_activate(&admin, "bea@example.com", "Bea Boss", "administrator").await;
    let (_, key) = new_key(&app, &bea_token, &["users:read"]).await;
    let (status, _) = app.call(Method::GET, "/api/v1/users", Some(&key), None).await;
    assert_eq!(status, StatusCode::OK);

    // Demoted: 401; an Administrator again: it works again.
    let patch = |role: &str| json!({"role": role});
    let (status, body) = app.call(Method::PATCH, &format!("/api/v1/users/{bea}"), Some(t), Some(patch("member"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = app.call(Method::GET, "/api/v1/users", Some(&key), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) =
        app.call(Method::PATCH, &format!("/api/v1/users/{bea}"), Some(t), Some(patch("administrator"))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.call(Method::GET, "/api/v1/users", Some(&key), None).await;
    assert_eq!(status, StatusCode::OK);

    // Deactivated: 401.
    let (status, body) = app.call(Method::POST, &format!("/api/v1/users/{bea}/deactivate"), Some(t), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = app.call(Method::GET, "/api/v1/users", Some(&key), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.call(Method::POST, &format!("/api/v1/users/{bea}/reactivate"), Some(t), None).await;
    assert_eq!(status, StatusCode::OK);

    // Deleted: the key is gone with its creator.
    let (_, list) = app.call(Method::GET, "/api/v1/api-keys", Some(t), None).await;
    assert!(list["data"].as_array().unwrap().iter().any(|k| k["created_by"] == bea.as_str()));
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/users/{bea}"), Some(t), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::GET, "/api/v1/users", Some(&key), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, list) = app.call(Method::GET, "/api/v1/api-keys", Some(t), None).await;
    assert!(!list["data"].as_array().unwrap().iter().any(|k| k["created_by"] == bea.as_str()), "{list}");

    // Expiry: works until then, 401 after (also from this node's cache). Last, as it moves the
    // server's clock (and the mail worker's) forward.
    let soon = tenantry_domain::time::rfc3339(jiff::Timestamp::now().as_millisecond() + 3_600_000);
    let (status, body) =
        create_key(&app, t, json!({"name": "Short-lived", "scopes": ["users:read"], "expires_at": soon})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let short = body["key"].as_str().unwrap().to_owned();
    let (status, _) = app.call(Method::GET, "/api/v1/users", Some(&short), None).await;
    assert_eq!(status, StatusCode::OK);
    app.advance(3_600_000 + 1_000);
    let (status, _) = app.call(Method::GET, "/api/v1/users", Some(&short), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A syntactically valid id for the path parameter that follows `segment` (the scope is checked
/// before the id is looked up, so it need not exist).
fn fill(path: &str, admin_user_id: &str) -> String {
    let hex = "0123456789abcdef01234567";
    let mut out = Vec::new();
    let mut previous = "";
    for seg in path.split('/') {
        let filled = if seg.starts_with('{') && seg.ends_with('}') {
            match (previous, seg) {
                ("users", _) => admin_user_id.to_owned(),
                ("api-keys", _) => format!("key_{hex}"),
                ("chat-teams", _) => format!("cht_{hex}"),
                ("contact-fields", _) => format!("cfd_{hex}"),
                ("booking-pages", _) => format!("bkp_{hex}"),
                ("sessions", _) => format!("ses_{hex}"),
                ("webhooks", _) => format!("whk_{hex}"),
                ("deliveries", _) => format!("dlv_{hex}"),
                ("licenses", _) => "scheduling".to_owned(),
                ("integrations", _) => "google".to_owned(),
                (_, _) => format!("x_{hex}"),
            }
        } else {
            seg.to_owned()
        };
        previous = seg;
        out.push(filled);
    }
    out.join("/")
}

async fn a_users_read_key_is_refused_every_operation_it_lacks_the_scope_for(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (_, key) = new_key(&app, &admin.token, &["users:read"]).await;
    let (_, doc) = app.call(Method::GET, "/api/openapi.json", None, None).await;

    let (mut refused, mut allowed, mut personal) = (0, 0, 0);
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let declared = op["security"]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {path} declares its security"))
                .iter()
                .find_map(|r| r.get("bearer").and_then(Value::as_array).cloned());
            // Public and operator routes are not a signed-in caller's.
            let Some(declared) = declared else { continue };
            let method: Method = method.to_uppercase().parse().unwrap();
            let url = fill(path, &admin.user_id);
            let body = (method != Method::GET).then(|| json!({}));
            let (status, problem) = app.call(method.clone(), &url, Some(&key), body).await;
            match declared.first().and_then(Value::as_str) {
                None => {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{method} {url}: {problem}");
                    assert_eq!(problem["rule"], "personal_only", "{method} {url}: {problem}");
                    personal += 1;
                }
                Some("users:read") => {
                    assert_ne!(status, StatusCode::FORBIDDEN, "{method} {url}: {problem}");
                    assert!(status.is_success(), "{method} {url}: {status} {problem}");
                    allowed += 1;
                }
                Some(scope) => {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{method} {url}: {problem}");
                    assert_eq!(problem["required_scope"], scope, "{method} {url}: {problem}");
                    refused += 1;
                }
            }
            if status == StatusCode::FORBIDDEN {
                matches_schema(&app, "Problem", &problem).await;
            }
        }
    }
    assert!(allowed >= 3, "GET users, a user and the export: {allowed}");
    assert!(refused >= 60, "every other signed-in operation: {refused}");
    assert!(personal >= 15, "My settings: {personal}");
    // Nothing was changed by the refused calls.
    let (_, users) = app.call(Method::GET, "/api/v1/users", Some(&admin.token), None).await;
    assert_eq!(users["data"].as_array().unwrap().len(), 1);
}

async fn the_api_keys_page_creates_a_key_with_an_expiry_date_and_keeps_members_out(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.invite_and_activate(&admin, "mia@example.com", "Mia Member", "member").await;
    let cookies = session_cookie(&page_sign_in(&app, "ana@example.com", "correct horse battery").await);

    // A date in the past names the field; nothing is created.
    let fields = [("name", "Reports"), ("scopes", "audit:read"), ("scopes", "billing:read")];
    let past = [&fields[..], &[("expires_at", "2020-01-31")]].concat();
    let res = post_page(&app, "/account/api-keys", &cookies, &past).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"expires_at-error\""), "{html}");
    assert!(html.contains("value=\"audit:read\" checked"), "the scopes chosen stay chosen");

    // The last day the key works, in the user's zone: it expires at the start of the next day.
    let future = [&fields[..], &[("expires_at", "2099-01-31")]].concat();
    let res = post_page(&app, "/account/api-keys", &cookies, &future).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    let key = html.split("id=\"new-api-key\"").nth(1).and_then(|s| s.split("value=\"").nth(1)).unwrap();
    let key = key.split('"').next().unwrap().to_owned();
    let (status, _) = app.call(Method::GET, "/api/v1/audit-events", Some(&key), None).await;
    assert_eq!(status, StatusCode::OK, "audit:read works");
    let (_, list) = app.call(Method::GET, "/api/v1/api-keys", Some(&admin.token), None).await;
    assert_eq!(list["data"][0]["scopes"], json!(["billing:read", "audit:read"]));
    let expires: jiff::Timestamp = list["data"][0]["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires, "2099-02-01T00:00:00Z".parse::<jiff::Timestamp>().unwrap(), "new users' zone is UTC");
    let page = get_page(&app, "/account/api-keys", &cookies).await.text().await.unwrap();
    assert!(page.contains("Reports") && !page.contains(&key), "listed without the secret");

    // Members see no API keys page and cannot post to it.
    let member = session_cookie(&page_sign_in(&app, "mia@example.com", "another good passphrase").await);
    assert_eq!(get_page(&app, "/account/api-keys", &member).await.status(), StatusCode::FORBIDDEN);
    let res = post_page(&app, "/account/api-keys", &member, &fields).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let id = list["data"][0]["id"].as_str().unwrap();
    let res = post_page(&app, &format!("/account/api-keys/{id}/revoke"), &member, &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (status, _) = app.call(Method::GET, "/api/v1/audit-events", Some(&key), None).await;
    assert_eq!(status, StatusCode::OK, "still works");
}
