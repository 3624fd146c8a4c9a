//! Account settings and deleting a whole account: afterwards no row in any table names it or
//! its users, on both databases, and other accounts are untouched.

use crate::db_tests;
use crate::helpers::*;
use crate::licenses::{license, spawn_with_operator};
use reqwest::{Method, StatusCode};
use serde_json::json;

db_tests!(administrators_change_the_account_settings, deleting_the_account_leaves_no_row_behind);

async fn administrators_change_the_account_settings(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (_, member) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    let (status, account) = app.call(Method::GET, "/api/v1/account", Some(&admin.token), None).await;
    assert_eq!((status, account["name"].as_str()), (StatusCode::OK, Some("Acme")));
    let patch = json!({"name": "Acme Ltd", "compliance_bcc_email": "Archive@Acme.example", "partner_referral_code": "PARTNER-42"});
    let (status, account) = app.call(Method::PATCH, "/api/v1/account", Some(&admin.token), Some(patch)).await;
    assert_eq!(status, StatusCode::OK, "{account}");
    assert_eq!(
        (account["name"].as_str(), account["partner_referral_code"].as_str()),
        (Some("Acme Ltd"), Some("PARTNER-42"))
    );
    let (_, cleared) = app
        .call(Method::PATCH, "/api/v1/account", Some(&admin.token), Some(json!({"compliance_bcc_email": null})))
        .await;
    assert_eq!(
        (cleared["compliance_bcc_email"].clone(), cleared["name"].as_str()),
        (serde_json::Value::Null, Some("Acme Ltd"))
    );
    let (status, bad) = app
        .call(
            Method::PATCH,
            "/api/v1/account",
            Some(&admin.token),
            Some(json!({"name": "", "compliance_bcc_email": "nope", "partner_referral_code": "has space"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        bad["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
    assert_eq!(fields, ["name", "compliance_bcc_email", "partner_referral_code"]);
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"name": "Mine"}))),
        (Method::DELETE, Some(json!({"confirm_name": "Acme Ltd"}))),
    ] {
        let (status, _) = app.call(method.clone(), "/api/v1/account", Some(&member), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method}");
    }
    let (_, log) = app.call(Method::GET, "/api/v1/audit-events?action=account.updated", Some(&admin.token), None).await;
    assert_eq!(log["data"].as_array().expect("data").len(), 2);
}

/// Every table of the database, with its columns.
async fn tables(conn: &mut sqlx::AnyConnection, b: Backend) -> Vec<(String, Vec<String>)> {
    let names: Vec<String> = match b {
        Backend::Sqlite => sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_data' AND name NOT LIKE '%_idx' AND name NOT LIKE '%_content' AND name NOT LIKE '%_docsize' AND name NOT LIKE '%_config'"),
        Backend::Postgres => sqlx::query_scalar("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"),
    }
    .fetch_all(&mut *conn)
    .await
    .expect("tables");
    let mut out = Vec::new();
    for name in names {
        let columns: Vec<String> = match b {
            Backend::Sqlite => sqlx::query_scalar("SELECT name FROM pragma_table_info($1)"),
            Backend::Postgres => {
                sqlx::query_scalar("SELECT column_name::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1")
            }
        }
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .expect("columns");
        out.push((name, columns));
    }
    out
}

/// How many rows of any table hold one of `values` in any text column.
async fn rows_naming(
    conn: &mut sqlx::AnyConnection, tables: &[(String, Vec<String>)], values: &[String],
) -> Vec<(String, i64)> {
    let mut found = Vec::new();
    for (table, columns) in tables {
        for column in columns {
            for value in values {
                let sql = format!("SELECT COUNT(*) FROM \"{table}\" WHERE CAST(\"{column}\" AS TEXT) = $1");
                let n: i64 =
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(value).fetch_one(&mut *conn).await.unwrap_or(0);
                if n > 0 {
                    found.push((format!("{table}.{column} = {value}"), n));
                }
            }
        }
    }
    found
}

async fn deleting_the_account_leaves_no_row_behind(b: Backend) {
    let app = spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let other = app.signup("Other", "olga@other.org").await;
    // Fill every corner of Acme: users, sessions, invitations, licenses, pages, integrations, audit, events, outbox.
    let (bruno, bruno_token) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    let carla = app.invite(&admin, "carla@example.com", "Carla", "administrator").await;
    license(&app, &admin.token, Method::PUT, &bruno, "scheduling").await;
    license(&app, &admin.token, Method::PUT, &carla, "chat").await;
    app.call(
        Method::POST,
        "/api/v1/booking-pages",
        Some(&bruno_token),
        Some(json!({"name": "Intro", "slug": "bruno-intro"})),
    )
    .await;
    app.call(Method::PUT, &format!("/api/v1/users/{bruno}/integrations/google_calendar"), Some(&admin.token), None)
        .await;
    app.call(Method::DELETE, &format!("/api/v1/users/{carla}"), Some(&admin.token), None).await;
    app.call(
        Method::POST,
        "/api/v1/booking-pages",
        Some(&other.token),
        Some(json!({"name": "Olga", "slug": "olga-intro"})),
    )
    .await;

    let (status, bad) =
        app.call(Method::DELETE, "/api/v1/account", Some(&admin.token), Some(json!({"confirm_name": "acme"}))).await;
    assert_eq!(
        (status, bad["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("confirm_name")),
        "the name must match exactly"
    );
    let (status, _) =
        app.call(Method::DELETE, "/api/v1/account", Some(&admin.token), Some(json!({"confirm_name": "Acme"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.expect("connect");
    let tables = tables(&mut conn, b).await;
    assert!(tables.len() >= 12, "{tables:?}");
    let gone = vec![
        admin.account_id.clone(),
        admin.user_id.clone(),
        bruno.clone(),
        carla.clone(),
        "ana@example.com".to_owned(),
        "bruno@example.com".to_owned(),
    ];
    let left = rows_naming(&mut conn, &tables, &gone).await;
    assert!(left.is_empty(), "rows still name the deleted account or its users: {left:?}");
    let kept = rows_naming(&mut conn, &tables, std::slice::from_ref(&other.account_id)).await;
    assert!(
        kept.iter().any(|(w, _)| w.starts_with("users.account_id"))
            && kept.iter().any(|(w, _)| w.starts_with("booking_pages.account_id")),
        "{kept:?}"
    );
    sqlx::Connection::close(conn).await.ok();

    // Its users are signed out at once and cannot sign in.
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(&bruno_token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(&other.token), None).await;
    assert_eq!(status, StatusCode::OK, "another account is untouched");
}
