//! Moving an installation: `tenantry db copy` from SQLite to PostgreSQL and back gives identical
//! rows (row counts and checksums of every table), refuses a non-empty target unless `--force`,
//! and the copied installation serves the same users; `tenantry backup` writes a consistent SQLite
//! copy while the server runs and refuses to overwrite a file.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::process::{Command, Output};
use tenantry_storage::Db;
use tenantry_storage::copy::{TableCopy, fingerprint};

fn tenantry(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .args(args)
        .env("TENANTRY_DATA_DIR", std::env::temp_dir().join("tenantry-db-copy-test"))
        .env("TENANTRY_LOG_FORMAT", "text")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run tenantry")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

async fn fingerprint_of(url: &str) -> Vec<TableCopy> {
    let db = Db::connect(url, 1).await.expect("open");
    let f = fingerprint(&db).await.expect("fingerprint");
    db.close().await;
    f
}

/// An installation with a little of everything (see [`populate_installation`]).
async fn populated() -> (TestApp, Admin) {
    let app = spawn_app(Backend::Sqlite).await;
    let admin = populate_installation(&app, "Acme", "example.com").await;
    (app, admin)
}

#[tokio::test]
async fn db_copy_sqlite_to_postgres_and_back_keeps_every_row() {
    let (mut app, _admin) = populated().await;
    // Nothing changes the source while it is compared afterwards.
    app.stop().await;
    let source = app.database_url.clone();
    let pg = fresh_database(Backend::Postgres, app.dir.path()).await;

    let out = tenantry(&["db", "copy", "--from", &source, "--to", &pg]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("every table's row count and checksum match"), "{}", text(&out));
    let original = fingerprint_of(&source).await;
    let users = original.iter().find(|t| t.table == "users").expect("users table");
    assert_eq!(users.rows, 3);
    assert!(original.iter().any(|t| t.table == "chat_team_members" && t.rows == 1), "{original:?}");
    assert_eq!(fingerprint_of(&pg).await, original, "PostgreSQL holds exactly the SQLite rows");

    // A second copy into the now full target is refused and changes nothing…
    let again = tenantry(&["db", "copy", "--from", &source, "--to", &pg]);
    assert!(!again.status.success());
    assert!(text(&again).contains("already holds data") && text(&again).contains("--force"), "{}", text(&again));
    assert_eq!(fingerprint_of(&pg).await, original);
    // …unless forced, which replaces it.
    let forced = tenantry(&["db", "copy", "--from", &source, "--to", &pg, "--force"]);
    assert!(forced.status.success(), "{}", text(&forced));
    assert_eq!(fingerprint_of(&pg).await, original);

    // And back to a new SQLite file: identical rows, and the search index rebuilt by its triggers.
    let back = format!("sqlite://{}", app.dir.path().join("back.db").display());
    let out = tenantry(&["db", "copy", "--from", &pg, "--to", &back]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(fingerprint_of(&back).await, original, "the round trip gives identical rows");

    // The copied installation serves: sign-in, the user list and its search work on PostgreSQL.
    let moved = spawn_app_with(Backend::Postgres, |c| c.database_url = Some(pg.clone().into())).await;
    let (status, body) = moved
        .call(
            Method::POST,
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "ana@example.com", "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().expect("token").to_owned();
    let (status, body) = moved.call(Method::GET, "/api/v1/users?q=bruno", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1), "{body}");
    let on_back = spawn_app_with(Backend::Sqlite, |c| c.database_url = Some(back.clone().into())).await;
    let (status, body) = on_back
        .call(
            Method::POST,
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "bruno@example.com", "password": "another good passphrase"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) =
        on_back.call(Method::GET, "/api/v1/users?q=carla", Some(body["token"].as_str().expect("token")), None).await;
    // Bruno is a Member: the list is for Administrators; what matters is that his session works.
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn db_copy_refuses_a_source_behind_this_version_and_the_same_database() {
    let dir = tempfile::tempdir().expect("dir");
    let empty = format!("sqlite://{}", dir.path().join("empty.db").display());
    let target = format!("sqlite://{}", dir.path().join("target.db").display());
    let out = tenantry(&["db", "copy", "--from", &empty, "--to", &target]);
    assert!(!out.status.success());
    assert!(text(&out).contains("schema version 0"), "{}", text(&out));
    let out = tenantry(&["db", "copy", "--from", &target, "--to", &target]);
    assert!(!out.status.success());
    assert!(text(&out).contains("same database"), "{}", text(&out));
}

#[tokio::test]
async fn backup_copies_sqlite_while_serving_and_never_overwrites() {
    let (mut app, admin) = populated().await;
    let file = app.dir.path().join("backup.db");
    let (db_url, data_dir) = (app.database_url.clone(), app.dir.path().to_path_buf());
    let run_backup = move |to: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_tenantry"))
            .args(["backup", "--to", &to.display().to_string()])
            .env("TENANTRY_DATABASE_URL", &db_url)
            .env("TENANTRY_DATA_DIR", &data_dir)
            .env("TENANTRY_LOG_FORMAT", "text")
            .env("RUST_LOG", "warn")
            .output()
            .expect("run tenantry backup")
    };
    // While the server runs and takes writes.
    let writes = async {
        for i in 0..20 {
            let body = json!({"name": format!("Team {i}"), "member_ids": []});
            let (status, _) = app.call(Method::POST, "/api/v1/chat-teams", Some(&admin.token), Some(body)).await;
            assert_eq!(status, StatusCode::CREATED);
        }
    };
    let backup = tokio::task::spawn_blocking({
        let (run_backup, file) = (run_backup.clone(), file.clone());
        move || run_backup(&file)
    });
    writes.await;
    let out = backup.await.expect("backup ran");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Backed up to"), "{}", text(&out));
    let copy = format!("sqlite://{}", file.display());
    let saved = fingerprint_of(&copy).await;
    let teams = saved.iter().find(|t| t.table == "chat_teams").expect("chat_teams").rows;
    assert!((1..=21).contains(&teams), "a consistent snapshot holds whole teams: {teams}");
    assert!(saved.iter().any(|t| t.table == "users" && t.rows == 3), "{saved:?}");

    // An existing file is never overwritten.
    let again = run_backup(&file);
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));
    assert_eq!(fingerprint_of(&copy).await, saved);

    // Once quiet, a backup holds exactly what the database holds.
    app.stop().await;
    let quiet = app.dir.path().join("quiet.db");
    assert!(run_backup(&quiet).status.success());
    assert_eq!(fingerprint_of(&format!("sqlite://{}", quiet.display())).await, fingerprint_of(&app.database_url).await);
}
