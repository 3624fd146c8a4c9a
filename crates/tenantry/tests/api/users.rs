//! The users list and user management.

use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

db_tests!(
    list_filters_by_name_email_role_and_status,
    list_paginates_with_a_keyset_cursor,
    search_pages_walk_to_the_end_like_one_big_page,
    administrators_edit_users,
    the_last_administrator_cannot_be_demoted_or_deleted,
    deleting_a_user_removes_them_and_their_sessions,
    everyone_edits_their_own_profile,
);

fn names(list: &Value) -> Vec<String> {
    list["data"].as_array().expect("data").iter().map(|u| u["name"].as_str().expect("name").to_owned()).collect()
}

async fn list_filters_by_name_email_role_and_status(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    app.invite(&admin, "carla@other.org", "Carla Dias", "administrator").await;
    app.invite(&admin, "percent@example.com", "100% Sure_Name", "member").await;

    let (_, all) = app.call(Method::GET, "/api/v1/users", Some(&admin.token), None).await;
    assert_eq!(names(&all), ["100% Sure_Name", "Admin of Acme", "Bruno Costa", "Carla Dias"], "sorted by name");
    let (_, by_name) = app.call(Method::GET, "/api/v1/users?q=COSTA", Some(&admin.token), None).await;
    assert_eq!(names(&by_name), ["Bruno Costa"], "case-insensitive substring of the name");
    let (_, by_email) = app.call(Method::GET, "/api/v1/users?q=other.org", Some(&admin.token), None).await;
    assert_eq!(names(&by_email), ["Carla Dias"]);
    let (_, wildcard) = app.call(Method::GET, "/api/v1/users?q=%25", Some(&admin.token), None).await;
    assert_eq!(names(&wildcard), ["100% Sure_Name"], "LIKE wildcards match literally");
    let (_, underscore) = app.call(Method::GET, "/api/v1/users?q=e_n", Some(&admin.token), None).await;
    assert_eq!(names(&underscore), ["100% Sure_Name"]);
    let (_, admins) = app.call(Method::GET, "/api/v1/users?role=administrator", Some(&admin.token), None).await;
    assert_eq!(names(&admins), ["Admin of Acme", "Carla Dias"]);
    let (_, invited) =
        app.call(Method::GET, "/api/v1/users?status=invited&role=member", Some(&admin.token), None).await;
    assert_eq!(names(&invited), ["100% Sure_Name", "Bruno Costa"]);
    let user = &by_name["data"][0];
    for field in [
        "id",
        "name",
        "email",
        "username",
        "role",
        "status",
        "licenses",
        "integrations",
        "last_sign_in_at",
        "created_at",
    ] {
        assert!(user.get(field).is_some(), "list entries carry {field}");
    }
    assert_eq!(user["status"], "invited");

    // The search index follows renames and deletions, and odd input is just text.
    let bruno = user["id"].as_str().expect("id").to_owned();
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{bruno}"),
            Some(&admin.token),
            Some(json!({"name": "Bruno Silva"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, old) = app.call(Method::GET, "/api/v1/users?q=costa", Some(&admin.token), None).await;
    assert!(names(&old).is_empty(), "old name no longer matches");
    let (_, new) = app.call(Method::GET, "/api/v1/users?q=silva", Some(&admin.token), None).await;
    assert_eq!(names(&new), ["Bruno Silva"]);
    let (_, by_email) = app.call(Method::GET, "/api/v1/users?q=bruno%40exa", Some(&admin.token), None).await;
    assert_eq!(names(&by_email), ["Bruno Silva"], "email still matches after the rename");
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/users/{bruno}"), Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, gone) = app.call(Method::GET, "/api/v1/users?q=silva", Some(&admin.token), None).await;
    assert!(names(&gone).is_empty());
    for odd in ["%22%22%22", "a%22b%22c", "NEAR(ab", "*co*", "%27%3B--"] {
        let (status, body) = app.call(Method::GET, &format!("/api/v1/users?q={odd}"), Some(&admin.token), None).await;
        assert_eq!(status, StatusCode::OK, "{odd}: {body}");
    }
    // Another account's users never match.
    let other = app.signup("Other", "olga@other.org").await;
    let (_, theirs) = app.call(Method::GET, "/api/v1/users?q=carla", Some(&other.token), None).await;
    assert!(names(&theirs).is_empty());
}

async fn list_paginates_with_a_keyset_cursor(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    for i in 0..9 {
        // Same names twice: the id breaks ties so no row is skipped or repeated.
        app.invite(&admin, &format!("user{i}@example.com"), &format!("User {}", i % 5), "member").await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=3&cursor={c}"),
            None => "/api/v1/users?limit=3".to_owned(),
        };
        let (status, page) = app.call(Method::GET, &path, Some(&admin.token), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page["data"].as_array().expect("data").len() <= 3);
        seen.extend(
            page["data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|u| (u["name"].as_str().expect("n").to_lowercase(), u["id"].as_str().expect("id").to_owned())),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 10);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "every user once, in order");
}

/// The ids of every page of `/api/v1/users?{query}&limit={limit}`, followed cursor by cursor.
async fn walk_pages(app: &TestApp, token: &str, query: &str, limit: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = String::new();
    for _ in 0..50 {
        let (status, page) = app
            .call(Method::GET, &format!("/api/v1/users?{query}&limit={limit}&cursor={cursor}"), Some(token), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let data = page["data"].as_array().expect("data");
        assert!(data.len() <= limit);
        ids.extend(data.iter().map(|u| u["id"].as_str().expect("id").to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return ids,
        }
    }
    panic!("{query}: more than 50 pages");
}

async fn search_pages_walk_to_the_end_like_one_big_page(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    // Matches by name (some names twice, so the id breaks ties), by email only, and non-matches.
    for (i, name) in ["Ann Smith", "Bob Smith", "Ann Smith", "Cy Goldsmith", "Bob Smith", "Di Smithers", "Ed Smith"]
        .iter()
        .enumerate()
    {
        let role = if i % 3 == 0 { "administrator" } else { "member" };
        app.invite(&admin, &format!("s{i}@example.com"), name, role).await;
    }
    app.invite(&admin, "smithy@example.com", "Flo Jones", "member").await;
    app.invite(&admin, "gus@smith.example", "Gus Brown", "administrator").await;
    app.invite(&admin, "hal@example.com", "Hal Jones", "member").await;
    // Another account's Smith must not show up on any page.
    let other = app.signup("Other", "olga@other.org").await;
    app.invite(&other, "zed@other.org", "Zed Smith", "member").await;

    for query in ["q=smith", "q=SMITH&role=member", "q=smith&role=administrator&status=invited", "q=sm", "q=example"] {
        let (status, one) =
            app.call(Method::GET, &format!("/api/v1/users?{query}&limit=200"), Some(&admin.token), None).await;
        assert_eq!(status, StatusCode::OK, "{one}");
        assert!(one["next_cursor"].is_null());
        let expected: Vec<String> =
            one["data"].as_array().expect("data").iter().map(|u| u["id"].as_str().expect("id").to_owned()).collect();
        for limit in [1, 2, 3] {
            assert_eq!(walk_pages(&app, &admin.token, query, limit).await, expected, "{query}, pages of {limit}");
        }
    }
    let (_, all) = app.call(Method::GET, "/api/v1/users?q=smith&limit=200", Some(&admin.token), None).await;
    assert_eq!(
        names(&all),
        [
            "Ann Smith",
            "Ann Smith",
            "Bob Smith",
            "Bob Smith",
            "Cy Goldsmith",
            "Di Smithers",
            "Ed Smith",
            "Flo Jones",
            "Gus Brown"
        ],
        "name and email matches of this account only, sorted by name"
    );
}

async fn administrators_edit_users(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let id = app.invite(&admin, "bruno@example.com", "Bruno", "member").await;
    let other = app.invite(&admin, "carla@example.com", "Carla", "member").await;
    let patch = json!({"name": "Bruno Costa", "role": "administrator", "username": "Bruno.C", "timezone": "Europe/Lisbon", "date_format": "DD/MM/YYYY", "time_format": "12h"});
    let (status, user) = app.call(Method::PATCH, &format!("/api/v1/users/{id}"), Some(&admin.token), Some(patch)).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(
        (user["name"].as_str(), user["role"].as_str(), user["username"].as_str()),
        (Some("Bruno Costa"), Some("administrator"), Some("bruno.c"))
    );
    assert_eq!(
        (user["timezone"].as_str(), user["date_format"].as_str(), user["time_format"].as_str()),
        (Some("Europe/Lisbon"), Some("DD/MM/YYYY"), Some("12h"))
    );

    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{other}"),
            Some(&admin.token),
            Some(json!({"username": "BRUNO.c"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "usernames are unique regardless of case: {body}");
    assert_eq!(body["errors"][0]["field"], "username");

    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{other}"),
            Some(&admin.token),
            Some(json!({"timezone": "Mars/Base", "date_format": "YY", "role": "owner", "name": " "})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields: Vec<&str> =
        body["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("f")).collect();
    fields.sort();
    assert_eq!(fields, ["date_format", "name", "role", "timezone"], "every invalid field at once");
    let (_, unchanged) = app.call(Method::GET, &format!("/api/v1/users/{other}"), Some(&admin.token), None).await;
    assert_eq!(unchanged["name"], "Carla", "nothing written when a field is invalid");

    let (status, user) = app
        .call(Method::PATCH, &format!("/api/v1/users/{id}"), Some(&admin.token), Some(json!({"username": null})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(user["username"].is_null(), "null clears the username");
    assert_eq!(user["name"], "Bruno Costa", "absent fields stay");
}

async fn the_last_administrator_cannot_be_demoted_or_deleted(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", admin.user_id),
            Some(&admin.token),
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("at least one Administrator")), "{body}");
    let (status, _) =
        app.call(Method::DELETE, &format!("/api/v1/users/{}", admin.user_id), Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // With a second Administrator, the first may step down, but not by their own hand
    // (`rule: "self"`): the second one demotes them.
    let (_, second) = app.invite_and_activate(&admin, "carla@example.com", "Carla", "administrator").await;
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", admin.user_id),
            Some(&admin.token),
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!((status, body["rule"].as_str()), (StatusCode::CONFLICT, Some("self")), "{body}");
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", admin.user_id),
            Some(&second),
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.call(Method::GET, "/api/v1/users", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a demoted user loses admin rights at once");
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert_eq!(me["role"], "member");
}

async fn deleting_a_user_removes_them_and_their_sessions(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (id, token) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/users/{id}"), Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::GET, &format!("/api/v1/users/{id}"), Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the deleted user's sessions end");
    let (status, _) = app.call(Method::DELETE, &format!("/api/v1/users/{id}"), Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn everyone_edits_their_own_profile(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (_, token) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    let (status, me) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&token),
            Some(
                json!({"name": "Bruno C.", "username": "bruno", "timezone": "America/Sao_Paulo", "time_format": "12h"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(
        (me["name"].as_str(), me["username"].as_str(), me["timezone"].as_str()),
        (Some("Bruno C."), Some("bruno"), Some("America/Sao_Paulo"))
    );
    let (status, body) =
        app.call(Method::PATCH, "/api/v1/me", Some(&token), Some(json!({"role": "administrator"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "role");
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&token), None).await;
    assert_eq!(me["role"], "member");
    let (status, body) =
        app.call(Method::PATCH, "/api/v1/me", Some(&admin.token), Some(json!({"username": "bruno"}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["errors"][0]["field"], "username");
}
