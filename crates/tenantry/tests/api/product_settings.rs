//! What an Administrator edits on another user: product settings (typed, validated, merged,
//! returned with defaults), email notifications, username and date and time settings — through
//! the API and the user page.

use crate::browser::{check_page, in_browser, sign_in};
use crate::db_tests;
use crate::helpers::*;
use fantoccini::{Client, Locator};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

db_tests!(
    product_settings_round_trip_merge_and_are_audited,
    product_settings_errors_name_nested_fields_and_change_nothing,
    products_the_installation_does_not_sell_are_refused,
    only_administrators_of_the_account_edit_a_user,
    administrators_edit_notifications_and_time_settings_of_others,
    the_user_page_saves_product_settings_and_keeps_a_bad_value,
    the_user_page_saves_notifications_and_username,
    product_settings_in_a_real_browser,
);

const PASSWORD: &str = "correct horse battery";

async fn patch(app: &TestApp, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::PATCH, &format!("/api/v1/users/{id}"), Some(token), Some(body)).await
}

async fn get_user(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, body) = app.call(Method::GET, &format!("/api/v1/users/{id}"), Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn error_fields(problem: &Value) -> Vec<String> {
    let mut fields: Vec<String> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_owned())
        .collect();
    fields.sort();
    fields
}

/// Checks `value` against the OpenAPI `schema` (the parts utoipa emits: `$ref`, `type` (also as a
/// list, for nullable), `properties`, `required`, `items`, `oneOf`/`allOf`, `minimum`/`maximum`).
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let resolved = &doc["components"]["schemas"][name];
        if !resolved.is_object() {
            return Err(format!("{at}: the schema {name} is not published"));
        }
        return conforms(doc, resolved, value, at);
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            conforms(doc, s, value, at)?;
        }
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
    if !types.is_empty() {
        let ok = types.iter().any(|t| match *t {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "string" => value.is_string(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => false,
        });
        if !ok {
            return Err(format!("{at}: {value} is not of type {types:?}"));
        }
    }
    if let (Some(min), Some(n)) = (schema["minimum"].as_f64(), value.as_f64())
        && n < min
    {
        return Err(format!("{at}: {n} < minimum {min}"));
    }
    if let (Some(max), Some(n)) = (schema["maximum"].as_f64(), value.as_f64())
        && n > max
    {
        return Err(format!("{at}: {n} > maximum {max}"));
    }
    if let Some(obj) = value.as_object() {
        for r in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !obj.contains_key(r) {
                return Err(format!("{at}: required {r} is missing"));
            }
        }
        if let Some(props) = schema["properties"].as_object() {
            for (k, v) in obj {
                match props.get(k) {
                    Some(s) => conforms(doc, s, v, &format!("{at}.{k}"))?,
                    None => return Err(format!("{at}: {k} is not in the schema")),
                }
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

/// Asserts that a user answer validates against the published `UserView` schema.
async fn assert_user_view(app: &TestApp, user: &Value) {
    let (_, doc) = app.call(Method::GET, "/api/openapi.json", None, None).await;
    let schema = json!({"$ref": "#/components/schemas/UserView"});
    if let Err(e) = conforms(&doc, &schema, user, "UserView") {
        panic!("{e}\n{user:#}");
    }
    // The check has teeth: a wrong type or an unpublished field is caught.
    let mut wrong = user.clone();
    wrong["product_settings"]["chat"]["max_concurrent_chats"] = json!("3");
    assert!(conforms(&doc, &schema, &wrong, "UserView").is_err());
    let mut extra = user.clone();
    extra["product_settings"]["scheduling"]["colour"] = json!("red");
    assert!(conforms(&doc, &schema, &extra, "UserView").is_err());
    let examples = &doc["components"]["schemas"]["SchedulingSettingsView"]["properties"];
    assert_eq!(examples["buffer_minutes"]["example"], 10, "the schema has examples");
}

async fn product_settings_round_trip_merge_and_are_audited(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;

    // Never set: the defaults, in the published shape.
    let before = get_user(&app, &admin.token, &bruno).await;
    assert_eq!(
        before["product_settings"],
        json!({
            "scheduling": {"default_meeting_minutes": 30, "buffer_minutes": 0},
            "chat": {"max_concurrent_chats": 3},
            "voice": {"caller_id": "number", "call_forwarding": null}
        })
    );
    assert_user_view(&app, &before).await;

    let (status, patched) = patch(
        &app,
        &admin.token,
        &bruno,
        json!({"product_settings": {
            "scheduling": {"default_meeting_minutes": 45, "buffer_minutes": 10},
            "chat": {"max_concurrent_chats": 8},
            "voice": {"caller_id": "company", "call_forwarding": "+44 20 7946 0958"}
        }}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let expected = json!({
        "scheduling": {"default_meeting_minutes": 45, "buffer_minutes": 10},
        "chat": {"max_concurrent_chats": 8},
        "voice": {"caller_id": "company", "call_forwarding": "+442079460958"}
    });
    assert_eq!(patched["product_settings"], expected, "the number is kept in E.164");
    assert_user_view(&app, &patched).await;
    assert_eq!(get_user(&app, &admin.token, &bruno).await["product_settings"], expected);

    // A patch merges: only the named fields change; `null` puts a default back.
    let (status, merged) = patch(
        &app,
        &admin.token,
        &bruno,
        json!({"product_settings": {"scheduling": {"buffer_minutes": 15}, "voice": {"call_forwarding": null}}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    let after = get_user(&app, &admin.token, &bruno).await;
    assert_eq!(
        after["product_settings"],
        json!({
            "scheduling": {"default_meeting_minutes": 45, "buffer_minutes": 15},
            "chat": {"max_concurrent_chats": 8},
            "voice": {"caller_id": "company", "call_forwarding": null}
        })
    );
    // A whole product reset to its defaults.
    let (status, reset) = patch(&app, &admin.token, &bruno, json!({"product_settings": {"chat": null}})).await;
    assert_eq!(status, StatusCode::OK, "{reset}");
    assert_eq!(reset["product_settings"]["chat"], json!({"max_concurrent_chats": 3}));
    assert_eq!(reset["product_settings"]["scheduling"]["buffer_minutes"], 15, "other products stay");

    // Each change is one `user.updated`, before and after included.
    let (_, log) = app.call(Method::GET, "/api/v1/audit-events?action=user.updated", Some(&admin.token), None).await;
    let events = log["data"].as_array().expect("data");
    assert_eq!(events.len(), 3, "{log:#}");
    let first = events.iter().find(|e| {
        e["after"]["preferences"]["product_settings"]["chat"]["max_concurrent_chats"] == 8
            && e["before"]["preferences"]["product_settings"]["chat"]["max_concurrent_chats"] == 3
    });
    let first = first.expect("the first change is recorded");
    assert_eq!(first["target_id"], bruno.as_str());
    assert_eq!(first["after"]["preferences"]["product_settings"]["voice"]["call_forwarding"], "+442079460958");
    // The list answers the same settings.
    let (_, list) = app.call(Method::GET, "/api/v1/users", Some(&admin.token), None).await;
    let listed = list["data"].as_array().expect("data").iter().find(|u| u["id"] == bruno.as_str()).expect("listed");
    assert_eq!(listed["product_settings"], reset["product_settings"]);
}

async fn product_settings_errors_name_nested_fields_and_change_nothing(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let (status, _) =
        patch(&app, &admin.token, &bruno, json!({"product_settings": {"scheduling": {"default_meeting_minutes": 60}}}))
            .await;
    assert_eq!(status, StatusCode::OK);
    let before = get_user(&app, &admin.token, &bruno).await;

    for (body, fields) in [
        (json!({"scheduling": {"buffer_minutes": 121}}), vec!["product_settings.scheduling.buffer_minutes"]),
        (
            json!({"scheduling": {"default_meeting_minutes": 4}}),
            vec!["product_settings.scheduling.default_meeting_minutes"],
        ),
        (json!({"chat": {"max_concurrent_chats": 0}}), vec!["product_settings.chat.max_concurrent_chats"]),
        (json!({"chat": {"max_concurrent_chats": "lots"}}), vec!["product_settings.chat.max_concurrent_chats"]),
        (json!({"voice": {"caller_id": "secret"}}), vec!["product_settings.voice.caller_id"]),
        (json!({"voice": {"call_forwarding": "12"}}), vec!["product_settings.voice.call_forwarding"]),
        (json!({"fax": {"pages": 2}}), vec!["product_settings.fax"]),
        (json!({"scheduling": {"colour": "red"}}), vec!["product_settings.scheduling.colour"]),
        (json!({"chat": 5}), vec!["product_settings.chat"]),
        (json!(["scheduling"]), vec!["product_settings"]),
        (
            json!({"scheduling": {"buffer_minutes": -1, "default_meeting_minutes": 481}, "voice": {"caller_id": 1}}),
            vec![
                "product_settings.scheduling.buffer_minutes",
                "product_settings.scheduling.default_meeting_minutes",
                "product_settings.voice.caller_id",
            ],
        ),
    ] {
        // Valid changes next to the bad one: none of them is written.
        let request = json!({
            "name": "Bruno Renamed",
            "timezone": "Asia/Tokyo",
            "notifications": {"missed_calls": false, "voicemails": false},
            "product_settings": body.clone(),
        });
        let (status, problem) = patch(&app, &admin.token, &bruno, request).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {problem}");
        assert_eq!(error_fields(&problem), fields, "{body}");
        assert!(problem["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(get_user(&app, &admin.token, &bruno).await, before, "{body} changed nothing");
    }
    let (_, problem) =
        patch(&app, &admin.token, &bruno, json!({"product_settings": {"scheduling": {"buffer_minutes": 121}}})).await;
    assert_eq!(problem["errors"][0]["message"], "must be between 0 and 120");
    let (_, log) = app.call(Method::GET, "/api/v1/audit-events?action=user.updated", Some(&admin.token), None).await;
    assert_eq!(log["data"].as_array().expect("data").len(), 1, "refused changes are not recorded");
}

async fn products_the_installation_does_not_sell_are_refused(b: Backend) {
    let app = spawn_app_with(b, |c| {
        c.products = "scheduling:Scheduling,voice:Voice".to_owned();
    })
    .await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let (status, problem) = patch(
        &app,
        &admin.token,
        &bruno,
        json!({"product_settings": {"chat": {"max_concurrent_chats": 4}, "scheduling": {"buffer_minutes": 5}}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(error_fields(&problem), ["product_settings.chat"]);
    assert_eq!(get_user(&app, &admin.token, &bruno).await["product_settings"]["scheduling"]["buffer_minutes"], 0);
    // The user page offers a fieldset only for the products sold.
    let cookie = page_sign_in_as(&app, "ana@example.com").await;
    let html = get_page(&app, &format!("/users/{bruno}"), &session_cookie(&cookie)).await.text().await.expect("html");
    assert!(html.contains("id=\"product-scheduling\"") && html.contains("id=\"product-voice\""));
    assert!(!html.contains("id=\"product-chat\""));
}

async fn only_administrators_of_the_account_edit_a_user(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (bruno, bruno_token) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let carla = app.invite(&admin, "carla@example.com", "Carla Dias", "member").await;
    let body = json!({"product_settings": {"chat": {"max_concurrent_chats": 9}}});
    let (status, _) = patch(&app, &bruno_token, &carla, body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a Member cannot edit another user");
    let (status, _) = patch(&app, &bruno_token, &bruno, body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nor themselves through the users API");
    let (status, _) = app.call(Method::PATCH, "/api/v1/me", Some(&bruno_token), Some(body.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nor through their own settings: an Administrator sets them");
    assert_eq!(get_user(&app, &admin.token, &bruno).await["product_settings"]["chat"]["max_concurrent_chats"], 3);
    assert_eq!(get_user(&app, &admin.token, &carla).await["product_settings"]["chat"]["max_concurrent_chats"], 3);

    let other = app.signup("Globex", "gus@globex.example").await;
    let (status, _) = patch(&app, &other.token, &carla, body.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another account's user does not exist for them");
    let (status, _) = app.call(Method::GET, &format!("/api/v1/users/{carla}"), Some(&other.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(get_user(&app, &admin.token, &carla).await["product_settings"]["chat"]["max_concurrent_chats"], 3);
}

async fn administrators_edit_notifications_and_time_settings_of_others(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (bruno, bruno_token) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let before = get_user(&app, &admin.token, &bruno).await;
    assert_eq!(before["notifications"], json!({"missed_calls": true, "voicemails": true}));

    let (status, user) = patch(
        &app,
        &admin.token,
        &bruno,
        json!({
            "username": "bruno.costa",
            "timezone": "America/Sao_Paulo",
            "date_format": "DD.MM.YYYY",
            "time_format": "12h",
            "notifications": {"missed_calls": false, "voicemails": true},
        }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_user_view(&app, &user).await;
    let user = get_user(&app, &admin.token, &bruno).await;
    assert_eq!(
        (&user["username"], &user["timezone"], &user["date_format"], &user["time_format"]),
        (&json!("bruno.costa"), &json!("America/Sao_Paulo"), &json!("DD.MM.YYYY"), &json!("12h"))
    );
    assert_eq!(user["notifications"], json!({"missed_calls": false, "voicemails": true}));
    // Bruno sees what the Administrator set in his own settings.
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&bruno_token), None).await;
    assert_eq!(me["notifications"], json!({"missed_calls": false, "voicemails": true}));
    assert_eq!(me["timezone"], "America/Sao_Paulo");
    // Bad values name their field.
    let (status, problem) = patch(
        &app,
        &admin.token,
        &bruno,
        json!({"timezone": "Mars/Olympus", "date_format": "YY", "notifications": {"sms": true}}),
    )
    .await;
    assert!(status.is_client_error(), "{problem}");
    assert_eq!(get_user(&app, &admin.token, &bruno).await, user);
}

async fn page_sign_in_as(app: &TestApp, email: &str) -> String {
    crate::helpers::page_sign_in(app, email, PASSWORD).await
}

/// The page after a form's 303, as the browser shows it (flash included).
async fn follow(app: &TestApp, res: reqwest::Response, cookie: &str) -> String {
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap_or_default());
    let to = location(&res);
    let path = to.split('#').next().unwrap_or_default().to_owned();
    let mut cookies = session_cookie(cookie);
    if let Some(f) = cookie_value(&res, "tenantry_flash") {
        cookies.push_str(&format!("; tenantry_flash={f}"));
    }
    let page = get_page(app, &path, &cookies).await;
    assert_eq!(page.status(), StatusCode::OK);
    page.text().await.expect("html")
}

async fn the_user_page_saves_product_settings_and_keeps_a_bad_value(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let cookie = page_sign_in_as(&app, "ana@example.com").await;
    let path = format!("/users/{bruno}/product-settings");

    let html = get_page(&app, &format!("/users/{bruno}"), &session_cookie(&cookie)).await.text().await.expect("html");
    assert!(html.contains("Product settings"));
    for legend in ["<legend>Scheduling</legend>", "<legend>Live chat</legend>", "<legend>Voice</legend>"] {
        assert!(html.contains(legend), "one fieldset per product: {legend}");
    }
    assert!(html.contains(r#"name="product_settings.scheduling.default_meeting_minutes" type="number""#));
    assert!(html.contains(r#"value="30""#), "the defaults are shown");

    let fields = [
        ("product_settings.scheduling.default_meeting_minutes", "50"),
        ("product_settings.scheduling.buffer_minutes", "10"),
        ("product_settings.chat.max_concurrent_chats", "6"),
        ("product_settings.voice.caller_id", "withheld"),
        ("product_settings.voice.call_forwarding", "+1 415 555 2671"),
    ];
    let res = post_page(&app, &path, &session_cookie(&cookie), &fields).await;
    assert_eq!(location(&res), format!("/users/{bruno}?notice=product-settings#product-settings"));
    let html = follow(&app, res, &cookie).await;
    let card = &html[html.find(r#"id="product-settings""#).expect("the card")..];
    assert!(card.contains("Saved the product settings of Bruno Costa."), "the message is in the card");
    assert!(html.contains(r#"value="50""#) && html.contains(r#"value="+14155552671""#));
    assert!(html.contains(r#"value="withheld" checked"#));
    assert_eq!(
        get_user(&app, &admin.token, &bruno).await["product_settings"],
        json!({
            "scheduling": {"default_meeting_minutes": 50, "buffer_minutes": 10},
            "chat": {"max_concurrent_chats": 6},
            "voice": {"caller_id": "withheld", "call_forwarding": "+14155552671"}
        })
    );

    // A bad value: shown next to its field with what was typed; nothing is saved.
    let bad = [
        ("product_settings.scheduling.default_meeting_minutes", "55"),
        ("product_settings.scheduling.buffer_minutes", "500"),
        ("product_settings.chat.max_concurrent_chats", "abc"),
        ("product_settings.voice.caller_id", "company"),
        ("product_settings.voice.call_forwarding", ""),
    ];
    let res = post_page(&app, &path, &session_cookie(&cookie), &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("Some fields need your attention."));
    assert!(html.contains(r#"id="product_settings.scheduling.buffer_minutes-error""#));
    assert!(html.contains("Buffer between meetings must be between 0 and 120."), "{html}");
    assert!(html.contains(r#"value="500""#) && html.contains(r#"value="abc""#), "the typed values are kept");
    assert!(html.contains("Chats at the same time must be a whole number."));
    assert!(html.contains(r#"value="55""#) && html.contains(r#"value="company" checked"#));
    assert_eq!(
        get_user(&app, &admin.token, &bruno).await["product_settings"]["scheduling"],
        json!({"default_meeting_minutes": 50, "buffer_minutes": 10})
    );
    // Another account's Administrator finds no such user; a Member may not post the form.
    app.signup("Globex", "gus@globex.example").await;
    let gus = page_sign_in_as(&app, "gus@globex.example").await;
    let res = post_page(&app, &path, &session_cookie(&gus), &fields).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    app.invite_and_activate_with(&admin, "dora@example.com", "Dora Reis", "member", PASSWORD).await;
    let dora = page_sign_in_as(&app, "dora@example.com").await;
    let res = post_page(&app, &path, &session_cookie(&dora), &fields).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get_user(&app, &admin.token, &bruno).await["product_settings"]["scheduling"]["default_meeting_minutes"],
        50
    );
    // Emptying the forwarding number stops forwarding.
    let mut clear = fields;
    clear[4].1 = "";
    let res = post_page(&app, &path, &session_cookie(&cookie), &clear).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(get_user(&app, &admin.token, &bruno).await["product_settings"]["voice"]["call_forwarding"], Value::Null);
}

async fn the_user_page_saves_notifications_and_username(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let cookie = page_sign_in_as(&app, "ana@example.com").await;

    let res =
        post_page(&app, &format!("/users/{bruno}/notifications"), &session_cookie(&cookie), &[("voicemails", "on")])
            .await;
    let html = follow(&app, res, &cookie).await;
    let card = &html[html.find(r#"id="notifications""#).expect("the card")..];
    assert!(card.contains("Saved the email notifications of Bruno Costa."), "the message is in the card");
    assert!(html.contains(r#"name="voicemails" value="on" checked"#));
    assert!(!html.contains(r#"name="missed_calls" value="on" checked"#));
    assert_eq!(
        get_user(&app, &admin.token, &bruno).await["notifications"],
        json!({"missed_calls": false, "voicemails": true})
    );

    let details = |username: &'static str| {
        [
            ("name", "Bruno Costa"),
            ("username", username),
            ("role", "member"),
            ("timezone", "Europe/Berlin"),
            ("date_format", "DD.MM.YYYY"),
            ("time_format", "12h"),
        ]
    };
    let res = post_page(&app, &format!("/users/{bruno}"), &session_cookie(&cookie), &details("bruno.c")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let user = get_user(&app, &admin.token, &bruno).await;
    assert_eq!(
        (&user["username"], &user["timezone"], &user["time_format"]),
        (&json!("bruno.c"), &json!("Europe/Berlin"), &json!("12h"))
    );
    let res = post_page(&app, &format!("/users/{bruno}"), &session_cookie(&cookie), &details("No Spaces!")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains(r#"id="username-error""#) && html.contains(r#"value="No Spaces!""#));
    assert_eq!(get_user(&app, &admin.token, &bruno).await["username"], "bruno.c");
}

async fn product_settings_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let (url, email, id) = (app.url.clone(), admin.email.clone(), bruno.clone());
    in_browser(b, |c, prefix| browser_scenario(c, url, email, id, prefix)).await;
    let user = get_user(&app, &admin.token, &bruno).await;
    assert_eq!(user["product_settings"]["scheduling"], json!({"default_meeting_minutes": 30, "buffer_minutes": 15}));
    assert_eq!(user["product_settings"]["voice"]["caller_id"], "company");
}

/// An element by an id that has dots in it (the nested field names).
fn by_id(id: &str) -> String {
    format!("[id='{id}']")
}

async fn browser_scenario(c: Client, url: String, email: String, bruno: String, prefix: &'static str) {
    sign_in(&c, &url, &email).await;
    c.goto(&format!("{url}/users/{bruno}")).await.unwrap();
    c.wait().for_element(Locator::Id("product-settings-title")).await.unwrap();
    c.execute("document.getElementById('product-settings').scrollIntoView()", vec![]).await.unwrap();
    check_page(&c, &format!("{prefix}-user-product-settings")).await;

    // A value out of range: the error is next to the field, with what was typed.
    let buffer = c.find(Locator::Css(&by_id("product_settings.scheduling.buffer_minutes"))).await.unwrap();
    buffer.clear().await.unwrap();
    buffer.send_keys("500").await.unwrap();
    c.find(Locator::Css("input[name='product_settings.voice.caller_id'][value='company']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#product-settings button[type='submit']")).await.unwrap().click().await.unwrap();
    let error =
        c.wait().for_element(Locator::Css(&by_id("product_settings.scheduling.buffer_minutes-error"))).await.unwrap();
    let text = error.text().await.unwrap();
    assert!(text.ends_with("Buffer between meetings must be between 0 and 120."), "{text}");
    let buffer = c.find(Locator::Css(&by_id("product_settings.scheduling.buffer_minutes"))).await.unwrap();
    assert_eq!(buffer.prop("value").await.unwrap().as_deref(), Some("500"));
    assert_eq!(buffer.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
    c.execute("document.getElementById('product-settings').scrollIntoView()", vec![]).await.unwrap();
    check_page(&c, &format!("{prefix}-user-product-settings-error")).await;

    // Corrected: saved, and the page says so.
    buffer.clear().await.unwrap();
    buffer.send_keys("15").await.unwrap();
    c.find(Locator::Css("#product-settings button[type='submit']")).await.unwrap().click().await.unwrap();
    let notice = c.wait().for_element(Locator::Css("#product-settings .alert-success")).await.unwrap();
    assert!(notice.text().await.unwrap().contains("Saved the product settings of Bruno Costa."));
    let buffer = c.find(Locator::Css(&by_id("product_settings.scheduling.buffer_minutes"))).await.unwrap();
    assert_eq!(buffer.prop("value").await.unwrap().as_deref(), Some("15"));
    check_page(&c, &format!("{prefix}-user-product-settings-saved")).await;
}
