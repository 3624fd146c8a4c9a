//! Live chat teams: the API (CRUD, every refusal, Members and other accounts kept out), the user
//! answers' `chat_team_ids`, memberships gone with a deleted user, and the pages.

use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

db_tests!(
    chat_teams_are_created_read_changed_listed_and_deleted,
    chat_team_refusals_name_their_field,
    members_and_other_accounts_cannot_reach_chat_teams,
    user_answers_carry_chat_team_ids_and_deleting_a_user_removes_memberships,
    chat_team_pages_create_a_team_and_manage_its_members,
);

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map_or_else(Vec::new, |e| e.iter().map(|f| f["field"].as_str().unwrap_or_default().to_owned()).collect())
}

/// The ids in a JSON list, sorted.
fn sorted(ids: &Value) -> Vec<String> {
    let mut ids: Vec<String> = ids.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

async fn create(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, "/api/v1/chat-teams", Some(token), Some(body)).await
}

/// Every key of `value` is a property of the published schema `name`, and every required one is there.
async fn matches_schema(app: &TestApp, name: &str, value: &Value) {
    let (_, doc) = app.call(Method::GET, "/api/openapi.json", None, None).await;
    let schema = &doc["components"]["schemas"][name];
    let props = schema["properties"].as_object().unwrap_or_else(|| panic!("{name} is published"));
    for key in value.as_object().expect("an object").keys() {
        assert!(props.contains_key(key), "{name} publishes {key}");
    }
    for required in schema["required"].as_array().into_iter().flatten() {
        assert!(value.get(required.as_str().unwrap()).is_some(), "{name} answers {required}");
    }
}

async fn chat_teams_are_created_read_changed_listed_and_deleted(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let carla = app.invite(&admin, "carla@example.com", "Carla Dias", "member").await;

    let (status, team) = create(
        &app,
        &admin.token,
        json!({"name": "  Support ", "description": "Weekdays", "member_ids": [bruno, carla, bruno]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    let id = team["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cht_") && id.len() == 28, "{id}");
    assert_eq!((team["name"].as_str(), team["description"].as_str()), (Some("Support"), Some("Weekdays")));
    assert_eq!(sorted(&team["member_ids"]), sorted(&json!([bruno, carla])), "members once each");
    matches_schema(&app, "ChatTeamView", &team).await;
    let (status, read) = app.call(Method::GET, &format!("/api/v1/chat-teams/{id}"), Some(&admin.token), None).await;
    assert_eq!((status, &read), (StatusCode::OK, &team));

    // A partial change keeps the rest; member_ids replaces the member set.
    let path = format!("/api/v1/chat-teams/{id}");
    let (status, renamed) =
        app.call(Method::PATCH, &path, Some(&admin.token), Some(json!({"name": "Customer support"}))).await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(
        (renamed["name"].as_str(), renamed["description"].as_str(), &renamed["member_ids"]),
        (Some("Customer support"), Some("Weekdays"), &team["member_ids"])
    );
    let (_, replaced) = app.call(Method::PATCH, &path, Some(&admin.token), Some(json!({"member_ids": [carla]}))).await;
    assert_eq!((replaced["member_ids"].clone(), replaced["name"].as_str()), (json!([carla]), Some("Customer support")));
    let (_, emptied) =
        app.call(Method::PATCH, &path, Some(&admin.token), Some(json!({"member_ids": [], "description": ""}))).await;
    assert_eq!((emptied["member_ids"].clone(), emptied["description"].as_str()), (json!([]), Some("")));
    // The same name in another case is the team's own: no conflict with itself.
    let (status, _) =
        app.call(Method::PATCH, &path, Some(&admin.token), Some(json!({"name": "CUSTOMER support"}))).await;
    assert_eq!(status, StatusCode::OK);

    // The list is by name whatever the case, a page at a time.
    for name in ["beta", "Alpha", "delta"] {
        let (status, _) = create(&app, &admin.token, json!({"name": name})).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, first) = app.call(Method::GET, "/api/v1/chat-teams?limit=2", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let names = |page: &Value| -> Vec<String> {
        page["data"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(names(&first), ["Alpha", "beta"]);
    matches_schema(&app, "ChatTeamList", &first).await;
    let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
    let (_, second) =
        app.call(Method::GET, &format!("/api/v1/chat-teams?limit=2&cursor={cursor}"), Some(&admin.token), None).await;
    assert_eq!(names(&second), ["CUSTOMER support", "delta"]);
    assert_eq!(second["next_cursor"], Value::Null);
    let (status, bad) = app.call(Method::GET, "/api/v1/chat-teams?limit=0", Some(&admin.token), None).await;
    assert_eq!((status, fields(&bad)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["limit".to_owned()]));
    let (status, _) = app.call(Method::GET, "/api/v1/chat-teams?cursor=nonsense", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, _) = app.call(Method::DELETE, &path, Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for method in [Method::GET, Method::DELETE] {
        let (status, _) = app.call(method, &path, Some(&admin.token), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = app.call(Method::GET, &format!("/api/v1/users/{carla}"), Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK, "members stay users");

    // Each change is in the audit log with what it was and became.
    let (_, log) =
        app.call(Method::GET, "/api/v1/audit-events?action=chat_team.created", Some(&admin.token), None).await;
    assert_eq!(log["data"].as_array().unwrap().len(), 4, "{log}");
    let (_, log) =
        app.call(Method::GET, "/api/v1/audit-events?action=chat_team.updated", Some(&admin.token), None).await;
    let updates = log["data"].as_array().unwrap();
    assert_eq!(updates.len(), 4, "{log}");
    let rename = updates.iter().find(|e| e["before"]["name"] == "Support").expect("the rename");
    assert_eq!(
        (rename["after"]["name"].as_str(), rename["target_id"].as_str()),
        (Some("Customer support"), Some(id.as_str()))
    );
    let (_, log) =
        app.call(Method::GET, "/api/v1/audit-events?action=chat_team.deleted", Some(&admin.token), None).await;
    let deleted = &log["data"][0];
    assert_eq!((deleted["before"]["name"].as_str(), &deleted["after"]), (Some("CUSTOMER support"), &Value::Null));
}

async fn chat_team_refusals_name_their_field(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, support) = create(&app, &admin.token, json!({"name": "Support"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, sales) = create(&app, &admin.token, json!({"name": "Sales"})).await;

    // Names are unique in the account whatever their case: 409 naming `name`, on create and rename.
    let (status, clash) = create(&app, &admin.token, json!({"name": "SUPPORT"})).await;
    assert_eq!((status, fields(&clash)), (StatusCode::CONFLICT, vec!["name".to_owned()]), "{clash}");
    let sales_path = format!("/api/v1/chat-teams/{}", sales["id"].as_str().unwrap());
    let (status, clash) =
        app.call(Method::PATCH, &sales_path, Some(&admin.token), Some(json!({"name": "support"}))).await;
    assert_eq!((status, fields(&clash)), (StatusCode::CONFLICT, vec!["name".to_owned()]), "{clash}");

    let long = "x".repeat(101);
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": long}), "name"),
        (json!({"name": "Ok", "description": "d".repeat(1001)}), "description"),
        (json!({"name": "Ok", "member_ids": ["usr_nope"]}), "member_ids"),
        (json!({"name": "Ok", "member_ids": ["usr_000000000000000000000000"]}), "member_ids"),
        (json!({"name": "Ok", "colour": "red"}), "colour"),
    ] {
        let (status, problem) = create(&app, &admin.token, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {problem}");
        assert_eq!(fields(&problem), [field], "{body}");
    }
    let (status, _) = create(&app, &admin.token, json!({"description": "no name"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let support_path = format!("/api/v1/chat-teams/{}", support["id"].as_str().unwrap());
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"member_ids": ["nope"]}), "member_ids"),
        (json!({"member_ids": ["usr_000000000000000000000000"]}), "member_ids"),
    ] {
        let (status, problem) = app.call(Method::PATCH, &support_path, Some(&admin.token), Some(body.clone())).await;
        assert_eq!((status, fields(&problem)), (StatusCode::UNPROCESSABLE_ENTITY, vec![field.to_owned()]), "{body}");
    }
    // Nothing refused was kept.
    let (_, list) = app.call(Method::GET, "/api/v1/chat-teams", Some(&admin.token), None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    let (_, unchanged) = app.call(Method::GET, &support_path, Some(&admin.token), None).await;
    assert_eq!(unchanged, support);
}

async fn members_and_other_accounts_cannot_reach_chat_teams(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (bruno, member) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    let (_, team) = create(&app, &admin.token, json!({"name": "Support", "member_ids": [bruno]})).await;
    let path = format!("/api/v1/chat-teams/{}", team["id"].as_str().unwrap());

    // A Member gets 403 on every route, even for a team they are in.
    for (method, p, body) in [
        (Method::GET, "/api/v1/chat-teams".to_owned(), None),
        (Method::POST, "/api/v1/chat-teams".to_owned(), Some(json!({"name": "Mine"}))),
        (Method::GET, path.clone(), None),
        (Method::PATCH, path.clone(), Some(json!({"name": "Mine"}))),
        (Method::DELETE, path.clone(), None),
    ] {
        let (status, _) = app.call(method.clone(), &p, Some(&member), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {p}");
    }

    // Another account's team is 404; its users are not users here (422, nothing revealed).
    let other = app.signup("Other", "olga@other.org").await;
    let olga_user = other.user_id.clone();
    let (_, theirs) = create(&app, &other.token, json!({"name": "Support"})).await;
    assert_eq!(theirs["name"], "Support", "names are unique per account only");
    let their_path = format!("/api/v1/chat-teams/{}", theirs["id"].as_str().unwrap());
    for (method, body) in [(Method::GET, None), (Method::PATCH, Some(json!({"name": "Taken"}))), (Method::DELETE, None)]
    {
        let (status, _) = app.call(method.clone(), &their_path, Some(&admin.token), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
    }
    let (status, _) = app.call(Method::GET, "/api/v1/chat-teams/not-an-id", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) =
        create(&app, &admin.token, json!({"name": "Mixed", "member_ids": [bruno, olga_user]})).await;
    assert_eq!((status, fields(&problem)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["member_ids".to_owned()]));
    let unknown = "usr_000000000000000000000000";
    let (_, unknown_problem) = create(&app, &admin.token, json!({"name": "Mixed", "member_ids": [unknown]})).await;
    let say = |p: &Value, id: &str| p["errors"][0]["message"].as_str().unwrap().replace(id, "ID");
    assert_eq!(say(&problem, &olga_user), say(&unknown_problem, unknown), "another account's user reads as unknown");
    let (status, _) =
        app.call(Method::PATCH, &path, Some(&admin.token), Some(json!({"member_ids": [olga_user]}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = app.call(Method::GET, "/api/v1/chat-teams", Some(&admin.token), None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "only the account's own teams: {list}");
    let (_, still) = app.call(Method::GET, &their_path, Some(&other.token), None).await;
    assert_eq!(still["name"], "Support");
}

async fn user_answers_carry_chat_team_ids_and_deleting_a_user_removes_memberships(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let carla = app.invite(&admin, "carla@example.com", "Carla Dias", "member").await;
    let (_, support) = create(&app, &admin.token, json!({"name": "Support", "member_ids": [bruno, carla]})).await;
    let (_, sales) = create(&app, &admin.token, json!({"name": "Sales", "member_ids": [bruno]})).await;
    let (support, sales) = (support["id"].as_str().unwrap().to_owned(), sales["id"].as_str().unwrap().to_owned());

    // One user's answer and the list both carry the teams, by team name.
    let (_, user) = app.call(Method::GET, &format!("/api/v1/users/{bruno}"), Some(&admin.token), None).await;
    assert_eq!(user["chat_team_ids"], json!([sales, support]), "{user}");
    matches_schema(&app, "UserView", &user).await;
    let (_, list) = app.call(Method::GET, "/api/v1/users", Some(&admin.token), None).await;
    let teams_of = |list: &Value, id: &str| -> Value {
        list["data"].as_array().unwrap().iter().find(|u| u["id"] == id).map(|u| u["chat_team_ids"].clone()).unwrap()
    };
    assert_eq!(teams_of(&list, &bruno), json!([sales, support]));
    assert_eq!(teams_of(&list, &carla), json!([support]));
    assert_eq!(teams_of(&list, &admin.user_id), json!([]));
    let (_, me) = app.call(Method::GET, &format!("/api/v1/users/{}", admin.user_id), Some(&admin.token), None).await;
    assert_eq!(me["chat_team_ids"], json!([]));

    // Deleting Bruno takes him out of both teams; Carla stays.
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/users/{bruno}"), Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, support_team) =
        app.call(Method::GET, &format!("/api/v1/chat-teams/{support}"), Some(&admin.token), None).await;
    assert_eq!(support_team["member_ids"], json!([carla]));
    let (_, sales_team) = app.call(Method::GET, &format!("/api/v1/chat-teams/{sales}"), Some(&admin.token), None).await;
    assert_eq!(sales_team["member_ids"], json!([]));
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.expect("connect");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM chat_team_members WHERE user_id = $1")
        .bind(&bruno)
        .fetch_one(&mut conn)
        .await
        .expect("count");
    assert_eq!(left, 0, "no membership row names the deleted user");
    sqlx::Connection::close(conn).await.ok();
}

async fn chat_team_pages_create_a_team_and_manage_its_members(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (bruno, _) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let cookie = session_cookie(&page_sign_in(&app, "ana@example.com", "correct horse battery").await);

    let res = get_page(&app, "/account/chat-teams", &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("No live chat teams yet") && html.contains("Create team"), "the empty state says what to do");

    // A missing name is refused next to the field, with the description kept.
    let res = post_page(&app, "/account/chat-teams", &cookie, &[("name", " "), ("description", "Weekday help")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"name-error\"") && html.contains("Team name is required"), "{html}");
    assert!(html.contains(">Weekday help</textarea>"), "the typed description is kept");

    let res =
        post_page(&app, "/account/chat-teams", &cookie, &[("name", "Support"), ("description", "Weekday help")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let team_path = location(&res);
    assert!(team_path.starts_with("/account/chat-teams/cht_"), "{team_path}");
    let flash = format!("{cookie}; tenantry_flash={}", cookie_value(&res, "tenantry_flash").unwrap());
    let html = get_page(&app, &team_path, &flash).await.text().await.unwrap();
    assert!(html.contains("The team Support has been created."), "a success notice");
    assert!(
        html.contains("No members yet")
            && html.contains(&format!("<option value=\"{bruno}\">Bruno Costa (bruno@example.com)</option>")),
        "{html}"
    );

    // The same name again is refused next to the name.
    let res = post_page(&app, "/account/chat-teams", &cookie, &[("name", "support"), ("description", "")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.unwrap();
    assert!(html.contains("Team name is already the name of another team") && html.contains("value=\"support\""));

    // Add Bruno; he shows in the team, the lobby and on his page.
    let res = post_page(&app, &format!("{team_path}/members"), &cookie, &[("user_id", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("User is required: choose a user"));
    let res = post_page(&app, &format!("{team_path}/members"), &cookie, &[("user_id", bruno.as_str())]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = get_page(&app, &team_path, &cookie).await.text().await.unwrap();
    assert!(
        html.contains("1 member")
            && html.contains(&format!("/account/chat-teams/{}/members/{bruno}/remove", &team_path[20..]))
    );
    let lobby = get_page(&app, "/users", &cookie).await.text().await.unwrap();
    assert!(lobby.contains("Live chat: Support"), "the lobby shows the team");
    let page = get_page(&app, &format!("/users/{bruno}"), &cookie).await.text().await.unwrap();
    assert!(page.contains("Live chat teams: <a href=\"/account/chat-teams/"), "the user page shows the team");
    let list = get_page(&app, "/account/chat-teams", &cookie).await.text().await.unwrap();
    assert!(list.contains(">Support</a>") && list.contains("1 member<"), "the list counts members");

    // Rename, with an error first.
    let res = post_page(&app, &team_path, &cookie, &[("name", &"x".repeat(101)), ("description", "kept")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains(">kept</textarea>"));
    let res = post_page(&app, &team_path, &cookie, &[("name", "Care"), ("description", "All day")]).await;
    assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, team_path.clone()));

    // Remove Bruno, then delete the team.
    let res = post_page(&app, &format!("{team_path}/members/{bruno}/remove"), &cookie, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = get_page(&app, &team_path, &cookie).await.text().await.unwrap();
    assert!(html.contains("No members yet") && html.contains("<h1>Care</h1>"));
    let res = post_page(&app, &format!("{team_path}/delete"), &cookie, &[]).await;
    assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/account/chat-teams".to_owned()));
    assert_eq!(get_page(&app, &team_path, &cookie).await.status(), StatusCode::NOT_FOUND);

    // A Member gets a clear 403 page.
    let member = session_cookie(&page_sign_in(&app, "bruno@example.com", "another good passphrase").await);
    let res = get_page(&app, "/account/chat-teams", &member).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("Only Administrators can see account settings"));
}
