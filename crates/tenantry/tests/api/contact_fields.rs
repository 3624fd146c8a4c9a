//! Account settings › Contact fields over the API: the built-in fields first and read-only, custom
//! fields added, changed, moved (positions renumbered) and deleted with their audit events, every
//! refusal with its field or rule, the 100-field limit, Members refused, other accounts' ids 404.

use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

db_tests!(
    contact_fields_are_listed_created_changed_and_deleted,
    contact_field_refusals_name_their_field_or_rule,
    moving_a_contact_field_renumbers_the_others,
    at_most_one_hundred_custom_contact_fields,
    contact_fields_are_for_administrators_of_the_account,
);

const PATH: &str = "/api/v1/contact-fields";

async fn create(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, PATH, Some(token), Some(body)).await
}

async fn patch(app: &TestApp, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::PATCH, &format!("{PATH}/{id}"), Some(token), Some(body)).await
}

async fn list(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, body) = app.call(Method::GET, PATH, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    matches_schema(app, "ContactFieldList", &body).await;
    body["data"].as_array().expect("data").clone()
}

/// The keys in list order, and checks the positions number them 0…n-1.
async fn keys(app: &TestApp, token: &str) -> Vec<String> {
    let fields = list(app, token).await;
    for (i, f) in fields.iter().enumerate() {
        assert_eq!(f["position"], json!(i), "positions number every field: {fields:?}");
    }
    fields.iter().map(|f| f["key"].as_str().expect("key").to_owned()).collect()
}

/// The fields named in a problem document.
fn fields_of(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().into_iter().flatten().map(|e| e["field"].as_str().unwrap_or("").to_owned()).collect()
}

/// `value` conforms to the published schema `name`: only published members, every required one,
/// and each member of the type the schema gives (following `$ref`s).
pub async fn matches_schema(app: &TestApp, name: &str, value: &Value) {
    let (_, doc) = app.call(Method::GET, "/api/openapi.json", None, None).await;
    let schema = json!({"$ref": format!("#/components/schemas/{name}")});
    if let Err(e) = conforms(&doc, &schema, value, name) {
        panic!("{e}");
    }
}

fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let resolved = &doc["components"]["schemas"][name];
        return if resolved.is_object() {
            conforms(doc, resolved, value, at)
        } else {
            Err(format!("{name} is unpublished"))
        };
    }
    if let Some(one) = schema["oneOf"].as_array()
        && !one.iter().any(|s| conforms(doc, s, value, at).is_ok())
    {
        return Err(format!("{at}: {value} matches none of oneOf"));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let typed = |t: &str| match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    };
    if !types.is_empty() && !types.iter().any(|t| typed(t)) {
        return Err(format!("{at}: {value} is not of type {types:?}"));
    }
    if let Some(obj) = value.as_object() {
        for r in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !obj.contains_key(r) {
                return Err(format!("{at}: required {r} is missing"));
            }
        }
        if let Some(props) = schema["properties"].as_object() {
            for (k, v) in obj {
                let s = props.get(k).ok_or_else(|| format!("{at}: {k} is not in the schema"))?;
                conforms(doc, s, v, &format!("{at}.{k}"))?;
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            conforms(doc, items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

async fn contact_fields_are_listed_created_changed_and_deleted(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();

    // A new account has the four built-in fields, in positions 0–3, with stable ids.
    let fields = list(&app, t).await;
    let built_in: Vec<(&str, &str, bool)> = fields
        .iter()
        .map(|f| (f["id"].as_str().unwrap(), f["key"].as_str().unwrap(), f["system"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        built_in,
        [
            ("cfd_first_name", "first_name", true),
            ("cfd_last_name", "last_name", true),
            ("cfd_email", "email", true),
            ("cfd_phone", "phone", true)
        ]
    );
    assert_eq!(fields[2]["type"], "email");

    let (status, industry) = create(
        &app,
        t,
        json!({"key": "industry", "label": " Industry ", "type": "single_choice", "options": [" Retail", "Banking", "Health"], "required": true}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{industry}");
    matches_schema(&app, "ContactFieldView", &industry).await;
    let id = industry["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cfd_") && id.len() == 28, "{id}");
    assert_eq!(
        (&industry["label"], &industry["options"], &industry["required"], &industry["system"], &industry["position"]),
        (&json!("Industry"), &json!(["Retail", "Banking", "Health"]), &json!(true), &json!(false), &json!(4))
    );
    let (status, size) =
        create(&app, t, json!({"key": "company_size", "label": "Company size", "type": "number"})).await;
    assert_eq!(status, StatusCode::CREATED, "{size}");
    assert_eq!((&size["position"], &size["options"], &size["required"]), (&json!(5), &json!([]), &json!(false)));
    assert_eq!(keys(&app, t).await, ["first_name", "last_name", "email", "phone", "industry", "company_size"]);

    let (status, one) = app.call(Method::GET, &format!("{PATH}/{id}"), Some(t), None).await;
    assert_eq!((status, &one), (StatusCode::OK, &industry));
    let (status, email) = app.call(Method::GET, &format!("{PATH}/cfd_email"), Some(t), None).await;
    assert_eq!((status, &email["key"], &email["system"]), (StatusCode::OK, &json!("email"), &json!(true)));

    // Label, options and required change; key and type stay.
    let (status, changed) =
        patch(&app, t, &id, json!({"label": "Sector", "options": ["Retail", "Public sector"], "required": false}))
            .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    matches_schema(&app, "ContactFieldView", &changed).await;
    assert_eq!(
        (&changed["label"], &changed["options"], &changed["required"], &changed["key"], &changed["type"]),
        (
            &json!("Sector"),
            &json!(["Retail", "Public sector"]),
            &json!(false),
            &json!("industry"),
            &json!("single_choice")
        )
    );

    // Deleting renumbers the rest.
    let (status, _) = app.call(Method::DELETE, &format!("{PATH}/{id}"), Some(t), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(keys(&app, t).await, ["first_name", "last_name", "email", "phone", "company_size"]);
    let (status, _) = app.call(Method::GET, &format!("{PATH}/{id}"), Some(t), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.call(Method::DELETE, &format!("{PATH}/{id}"), Some(t), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The key is free again.
    let (status, _) = create(&app, t, json!({"key": "industry", "label": "Industry", "type": "text"})).await;
    assert_eq!(status, StatusCode::CREATED);

    for (action, count) in [("contact_field.created", 3), ("contact_field.updated", 1), ("contact_field.deleted", 1)] {
        let (_, log) = app.call(Method::GET, &format!("/api/v1/audit-events?action={action}"), Some(t), None).await;
        let events = log["data"].as_array().expect("data");
        assert_eq!(events.len(), count, "{action}: {log}");
        assert!(events.iter().all(|e| e["target_type"] == "contact_field"), "{log}");
    }
    let (_, log) = app.call(Method::GET, "/api/v1/audit-events?action=contact_field.updated", Some(t), None).await;
    let event = &log["data"][0];
    assert_eq!(
        (&event["before"]["label"], &event["after"]["label"]),
        (&json!("Industry"), &json!("Sector")),
        "{event}"
    );
}

async fn contact_field_refusals_name_their_field_or_rule(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    let (_, f) =
        create(&app, t, json!({"key": "industry", "label": "Industry", "type": "single_choice", "options": ["A"]}))
            .await;
    let id = f["id"].as_str().unwrap().to_owned();

    // Each refused creation, with the field it names.
    for (body, field) in [
        (json!({"key": "Industry", "label": "X", "type": "text"}), "key"),
        (json!({"key": "9lives", "label": "X", "type": "text"}), "key"),
        (json!({"key": format!("a{}", "b".repeat(40)), "label": "X", "type": "text"}), "key"),
        (json!({"key": "x", "label": "  ", "type": "text"}), "label"),
        (json!({"key": "x", "label": "y".repeat(101), "type": "text"}), "label"),
        (json!({"key": "x", "label": "X", "type": "dropdown"}), "type"),
        (json!({"key": "x", "label": "X", "type": "single_choice"}), "options"),
        (json!({"key": "x", "label": "X", "type": "multiple_choice", "options": []}), "options"),
        (json!({"key": "x", "label": "X", "type": "multiple_choice", "options": ["a", "A"]}), "options"),
        (json!({"key": "x", "label": "X", "type": "multiple_choice", "options": ["a", " "]}), "options"),
        (json!({"key": "x", "label": "X", "type": "text", "options": ["a"]}), "options"),
        (json!({"key": "x", "label": "X", "type": "checkbox", "options": ["yes"]}), "options"),
        (json!({"key": "x", "label": "X", "type": "text", "colour": "red"}), "colour"),
    ] {
        let (status, problem) = create(&app, t, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {problem}");
        assert_eq!(fields_of(&problem), [field], "{body} → {problem}");
    }
    // Keys are unique in the account, the built-in ones included.
    for key in ["industry", "email", "first_name"] {
        let (status, problem) = create(&app, t, json!({"key": key, "label": "Again", "type": "text"})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{key}: {problem}");
        assert_eq!(fields_of(&problem), ["key"], "{problem}");
    }

    // Key and type never change; options follow the type; positions stay in range.
    for (body, field) in [
        (json!({"key": "sector"}), "key"),
        (json!({"type": "text"}), "type"),
        (json!({"label": ""}), "label"),
        (json!({"options": []}), "options"),
        (json!({"options": ["x", "x"]}), "options"),
        (json!({"position": 3}), "position"),
        (json!({"position": 5}), "position"),
    ] {
        let (status, problem) = patch(&app, t, &id, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {problem}");
        assert_eq!(fields_of(&problem), [field], "{body} → {problem}");
    }
    let (_, text) = create(&app, t, json!({"key": "notes", "label": "Notes", "type": "long_text"})).await;
    let (status, problem) = patch(&app, t, text["id"].as_str().unwrap(), json!({"options": ["a"]})).await;
    assert_eq!((status, fields_of(&problem)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["options".to_owned()]));

    // The built-in fields refuse every change.
    for system in ["cfd_first_name", "cfd_last_name", "cfd_email", "cfd_phone"] {
        let (status, problem) = patch(&app, t, system, json!({"label": "Given name"})).await;
        assert_eq!((status, &problem["rule"]), (StatusCode::CONFLICT, &json!("system_field")), "{problem}");
        let (status, problem) = app.call(Method::DELETE, &format!("{PATH}/{system}"), Some(t), None).await;
        assert_eq!((status, &problem["rule"]), (StatusCode::CONFLICT, &json!("system_field")), "{problem}");
    }
    let fields = list(&app, t).await;
    assert_eq!(fields[0]["label"], "First name", "unchanged");

    // Unknown and malformed ids are 404.
    for bad in ["cfd_000000000000000000000000", "cfd_nope", "usr_000000000000000000000000"] {
        let (status, _) = patch(&app, t, bad, json!({"label": "X"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
        let (status, _) = app.call(Method::GET, &format!("{PATH}/{bad}"), Some(t), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }
    let (_, log) = app.call(Method::GET, "/api/v1/audit-events?action=contact_field.updated", Some(t), None).await;
    assert_eq!(log["data"].as_array().unwrap().len(), 0, "refusals change nothing: {log}");
}

async fn moving_a_contact_field_renumbers_the_others(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.as_str();
    let mut ids = Vec::new();
    for key in ["a", "b", "c", "d"] {
        let (_, f) = create(&app, t, json!({"key": key, "label": key.to_uppercase(), "type": "text"})).await;
        ids.push(f["id"].as_str().unwrap().to_owned());
    }
    let base = ["first_name", "last_name", "email", "phone"];
    let order = |custom: &[&str]| base.iter().chain(custom).map(|s| (*s).to_owned()).collect::<Vec<_>>();

    // To the first custom place (4).
    let (status, moved) = patch(&app, t, &ids[2], json!({"position": 4})).await;
    assert_eq!((status, &moved["position"]), (StatusCode::OK, &json!(4)), "{moved}");
    assert_eq!(keys(&app, t).await, order(&["c", "a", "b", "d"]));
    // To the last place (n-1 = 7).
    let (status, moved) = patch(&app, t, &ids[2], json!({"position": 7})).await;
    assert_eq!((status, &moved["position"]), (StatusCode::OK, &json!(7)), "{moved}");
    assert_eq!(keys(&app, t).await, order(&["a", "b", "d", "c"]));
    // One up, with a label change in the same request.
    let (status, moved) = patch(&app, t, &ids[3], json!({"position": 5, "label": "Dee"})).await;
    assert_eq!((status, &moved["position"], &moved["label"]), (StatusCode::OK, &json!(5), &json!("Dee")));
    assert_eq!(keys(&app, t).await, order(&["a", "d", "b", "c"]));
    // Out of range: nothing moves.
    for bad in [json!(-1), json!(0), json!(3), json!(8), json!(1000)] {
        let (status, problem) = patch(&app, t, &ids[0], json!({"position": bad})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {problem}");
        assert_eq!(fields_of(&problem), ["position"]);
    }
    let (status, problem) = patch(&app, t, &ids[0], json!({"position": "5"})).await;
    assert_eq!((status, fields_of(&problem)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["position".to_owned()]));
    assert_eq!(keys(&app, t).await, order(&["a", "d", "b", "c"]));
    // The same place is fine and changes nothing.
    let (status, _) = patch(&app, t, &ids[0], json!({"position": 4})).await;
    assert_eq!(status, StatusCode::OK);
    // Deleting from the middle closes the gap; a new field goes last.
    app.call(Method::DELETE, &format!("{PATH}/{}", ids[3]), Some(t), None).await;
    assert_eq!(keys(&app, t).await, order(&["a", "b", "c"]));
    let (_, e) = create(&app, t, json!({"key": "e", "label": "E", "type": "date"})).await;
    assert_eq!(e["position"], 7);
    assert_eq!(keys(&app, t).await, order(&["a", "b", "c", "e"]));
}

async fn at_most_one_hundred_custom_contact_fields(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let t = admin.token.clone();
    // Ninety-nine straight into the table (quick), then the hundredth through the API.
    let mut conn = crate::contact_fields::connect(&app).await;
    for i in 0..99_i64 {
        sqlx::query(
            "INSERT INTO contact_fields (id, account_id, key, label, type, options, required, position, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'text', '[]', 0, $5, 0, 0)",
        )
        .bind(format!("cfd_{i:024x}"))
        .bind(&admin.account_id)
        .bind(format!("field_{i}"))
        .bind(format!("Field {i}"))
        .bind(4 + i)
        .execute(&mut conn)
        .await
        .expect("insert");
    }
    let (status, last) = create(&app, &t, json!({"key": "field_99", "label": "Field 99", "type": "text"})).await;
    assert_eq!((status, &last["position"]), (StatusCode::CREATED, &json!(103)), "{last}");
    let (status, problem) = create(&app, &t, json!({"key": "one_more", "label": "One more", "type": "text"})).await;
    assert_eq!((status, &problem["rule"]), (StatusCode::CONFLICT, &json!("field_limit")), "{problem}");
    assert_eq!(list(&app, &t).await.len(), 104);
    // Moving within a full list still works; deleting one makes room.
    let (status, moved) = patch(&app, &t, last["id"].as_str().unwrap(), json!({"position": 4})).await;
    assert_eq!((status, &moved["position"]), (StatusCode::OK, &json!(4)));
    assert_eq!(keys(&app, &t).await[4..6], ["field_99", "field_0"]);
    app.call(Method::DELETE, &format!("{PATH}/cfd_{:024x}", 50), Some(&t), None).await;
    let (status, _) = create(&app, &t, json!({"key": "one_more", "label": "One more", "type": "text"})).await;
    assert_eq!(status, StatusCode::CREATED);
}

/// A connection to the test's database (to set up many rows at once).
pub async fn connect(app: &TestApp) -> sqlx::AnyConnection {
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&app.database_url).await.expect("connect")
}

async fn contact_fields_are_for_administrators_of_the_account(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let other = app.signup("Globex", "gina@globex.example").await;
    let (_, member) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let (_, f) = create(&app, &admin.token, json!({"key": "industry", "label": "Industry", "type": "text"})).await;
    let id = f["id"].as_str().unwrap();

    for (method, path, body) in [
        (Method::GET, PATH.to_owned(), None),
        (Method::POST, PATH.to_owned(), Some(json!({"key": "x", "label": "X", "type": "text"}))),
        (Method::GET, format!("{PATH}/{id}"), None),
        (Method::PATCH, format!("{PATH}/{id}"), Some(json!({"label": "Mine"}))),
        (Method::DELETE, format!("{PATH}/{id}"), None),
    ] {
        let (status, _) = app.call(method.clone(), &path, Some(&member), body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "Member: {method} {path}");
        let (status, _) = app.call(method.clone(), &path, None, body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "nobody: {method} {path}");
    }
    // Another account's Administrator: the id is not theirs.
    for (method, body) in
        [(Method::GET, None), (Method::PATCH, Some(json!({"label": "Theirs"}))), (Method::DELETE, None)]
    {
        let (status, _) = app.call(method.clone(), &format!("{PATH}/{id}"), Some(&other.token), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
    }
    // Each account has its own keys.
    let (status, _) = create(&app, &other.token, json!({"key": "industry", "label": "Industry", "type": "text"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(list(&app, &other.token).await.len(), 5);
    let (_, mine) = app.call(Method::GET, &format!("{PATH}/{id}"), Some(&admin.token), None).await;
    assert_eq!(mine["label"], "Industry", "untouched");
}
