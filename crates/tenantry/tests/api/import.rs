//! Importing users from CSV and exporting them (API.md "Additions › Users"), on both databases.

use crate::db_tests;
use crate::helpers::{Admin, Backend, TestApp, spawn_app, unescape};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

db_tests!(
    a_mixed_file_reports_each_bad_row_and_imports_the_rest,
    a_dry_run_writes_nothing,
    a_file_needing_more_seats_than_free_changes_nothing,
    bom_crlf_quotes_and_reordered_columns_are_accepted,
    a_wrong_header_names_the_missing_column,
    without_invitations_no_email_is_queued,
    ten_thousand_rows_import_and_export,
    members_may_neither_import_nor_export,
);

/// Posts a CSV file to the import endpoint and answers the status and JSON body.
pub async fn post_csv(app: &TestApp, token: &str, query: &str, csv: &str) -> (StatusCode, Value) {
    let res = app
        .client
        .post(format!("{}/api/v1/users/import{query}", app.url))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .expect("import sent");
    let status = res.status();
    let text = res.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// The export as text, with its status and content type.
async fn export(app: &TestApp, token: &str, query: &str) -> (StatusCode, String, String) {
    let res = app
        .client
        .get(format!("{}/api/v1/users/export{query}", app.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("export sent");
    let status = res.status();
    let kind =
        res.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, kind, res.text().await.expect("body"))
}

/// Every user of the account, through the list (following cursors).
async fn all_users(app: &TestApp, admin: &Admin) -> Vec<Value> {
    let mut users = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) =
            app.call(Method::GET, &format!("/api/v1/users?limit=200&cursor={cursor}"), Some(&admin.token), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        users.extend(page["data"].as_array().expect("data").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return users,
        }
    }
}

fn user<'a>(users: &'a [Value], email: &str) -> Option<&'a Value> {
    users.iter().find(|u| u["email"] == email)
}

fn errors(body: &Value) -> Vec<(u64, String)> {
    body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            assert!(!e["message"].as_str().expect("message").is_empty(), "{e}");
            (e["row"].as_u64().expect("row"), e["field"].as_str().expect("field").to_owned())
        })
        .collect()
}

const MIXED: &str = "email,name,role,licenses
ana@example.com,Ana Lima,member,scheduling
not-an-email,Bad Email,member,
carl@example.com,Carl Jung,member,scheduling;teleportation
dora@example.com,Dora Maar,superuser,
ana@example.com,Ana Again,member,
admin@example.com,The Admin Again,administrator,
eve@example.com,Eve Curie,administrator,chat;scheduling
";

async fn a_mixed_file_reports_each_bad_row_and_imports_the_rest(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "admin@example.com").await;
    let (status, body) = post_csv(&app, &admin.token, "", MIXED).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(errors(&body), [(3, "email".to_owned()), (4, "licenses".to_owned()), (5, "role".to_owned())], "{body}");
    assert!(body["errors"][1]["message"].as_str().unwrap().contains("teleportation"), "{body}");
    assert_eq!((body["created"].as_u64(), body["skipped"].as_u64()), (Some(2), Some(2)), "{body}");

    let users = all_users(&app, &admin).await;
    assert_eq!(users.len(), 3, "the admin and the two good rows");
    let ana = user(&users, "ana@example.com").expect("ana imported");
    assert_eq!((ana["name"].as_str(), ana["status"].as_str()), (Some("Ana Lima"), Some("invited")));
    assert_eq!(ana["licenses"], json!(["scheduling"]));
    let eve = user(&users, "eve@example.com").expect("eve imported");
    assert_eq!(eve["role"], "administrator");
    assert_eq!(eve["licenses"], json!(["chat", "scheduling"]));
    // Invitations work as for one invited user: the email arrives and its link opens.
    let mail = app.wait_for_mail_to("eve@example.com").await;
    assert!(mail.contains("/invitations/"), "{mail}");
    let token = crate::helpers::invitation_token(&mail);
    let (status, invitation) = app.call(Method::GET, &format!("/api/v1/invitations/{token}"), None, None).await;
    assert_eq!(status, StatusCode::OK, "{invitation}");
    app.wait_for_mail_to("ana@example.com").await;

    // The same file again: the good rows exist now, so they are skipped.
    let (status, again) = post_csv(&app, &admin.token, "", MIXED).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!((again["created"].as_u64(), again["skipped"].as_u64()), (Some(0), Some(4)), "{again}");
}

async fn a_dry_run_writes_nothing(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "admin@example.com").await;
    let (status, body) = post_csv(&app, &admin.token, "?dry_run=true", MIXED).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["created"].as_u64(), body["skipped"].as_u64()), (Some(2), Some(2)), "{body}");
    assert_eq!(errors(&body).len(), 3);
    assert_eq!(all_users(&app, &admin).await.len(), 1, "nobody was created");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.mail_files().iter().all(|m| !m.contains("ana@example.com")), "no invitation was sent");
    let (status, body) = post_csv(&app, &admin.token, "?dry_run=maybe", MIXED).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("dry_run")));
}

async fn a_file_needing_more_seats_than_free_changes_nothing(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "admin@example.com").await;
    let (_, sub) = app.call(Method::GET, "/api/v1/billing/subscription", Some(&admin.token), None).await;
    let seats = &sub["seats"]["chat"];
    let free = seats["purchased"].as_u64().expect("purchased") - seats["assigned"].as_u64().expect("assigned");
    let mut csv = String::from("email,name,role,licenses\n");
    for i in 0..=free {
        csv.push_str(&format!("user{i}@example.com,User {i},member,chat\n"));
    }
    for dry_run in ["?dry_run=true", ""] {
        let (status, body) = post_csv(&app, &admin.token, dry_run, &csv).await;
        assert_eq!((status, body["rule"].as_str()), (StatusCode::CONFLICT, Some("no_free_seat")), "{body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("needs {}", free + 1)) && detail.contains(&format!("only {free}")),
            "{detail}"
        );
    }
    assert_eq!(all_users(&app, &admin).await.len(), 1, "nothing was written");
    // One row fewer fits exactly.
    let fits: String = csv.lines().take(free as usize + 1).map(|l| format!("{l}\n")).collect();
    let (status, body) = post_csv(&app, &admin.token, "", &fits).await;
    assert_eq!((status, body["created"].as_u64()), (StatusCode::OK, Some(free)), "{body}");
}

async fn bom_crlf_quotes_and_reordered_columns_are_accepted(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "admin@example.com").await;
    let csv = "\u{feff}Role,licenses,Name,email\r\nmember,\"scheduling; chat\",\"Lima, Ana\",ana@example.com\r\n\
               administrator,,\"Bruno \"\"B\"\" Souza\", bruno@example.com \r\n";
    let (status, body) = post_csv(&app, &admin.token, "", csv).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["created"].as_u64(), body["errors"].as_array().map(Vec::len)), (Some(2), Some(0)), "{body}");
    let users = all_users(&app, &admin).await;
    let ana = user(&users, "ana@example.com").expect("ana");
    assert_eq!(ana["name"], "Lima, Ana");
    assert_eq!(ana["licenses"], json!(["chat", "scheduling"]));
    let bruno = user(&users, "bruno@example.com").expect("bruno");
    assert_eq!((bruno["name"].as_str(), bruno["role"].as_str()), (Some("Bruno \"B\" Souza"), Some("administrator")));
}

async fn a_wrong_header_names_the_missing_column(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "admin@example.com").await;
    let (status, body) = post_csv(&app, &admin.token, "", "email,name,licences\nana@example.com,Ana,\n").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["message"].as_str().unwrap()))
        .collect();
    assert_eq!(fields.len(), 2, "{body}");
    assert!(fields.iter().all(|(f, _)| *f == "header"), "{body}");
    assert!(fields[0].1.contains("\"role\"") && fields[1].1.contains("\"licenses\""), "{body}");
    let (status, body) = post_csv(&app, &admin.token, "", "").await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("header")));
    // A row with the wrong number of fields is reported, not fatal.
    let (status, body) = post_csv(
        &app,
        &admin.token,
        "",
        "email,name,role,licenses\nana@example.com,Ana,member\nbo@example.com,Bo,member,\n",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(errors(&body), [(2, "row".to_owned())], "{body}");
    assert_eq!(body["created"], 1);
    assert_eq!(all_users(&app, &admin).await.len(), 2);
}

async fn without_invitations_no_email_is_queued(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "admin@example.com").await;
    let csv = "email,name,role,licenses\nquiet@example.com,Quiet One,member,\n";
    let (status, body) = post_csv(&app, &admin.token, "?send_invitations=false", csv).await;
    assert_eq!((status, body["created"].as_u64()), (StatusCode::OK, Some(1)), "{body}");
    let users = all_users(&app, &admin).await;
    assert_eq!(user(&users, "quiet@example.com").expect("created")["status"], "invited");
    let pool = sqlx_count(&app, "SELECT COUNT(*) FROM outbox WHERE payload LIKE '%quiet@example.com%'").await;
    assert_eq!(pool, 0, "no invitation email was queued");
    // With invitations (the default) the email is queued and arrives.
    let (status, _) =
        post_csv(&app, &admin.token, "", "email,name,role,licenses\nloud@example.com,Loud One,member,\n").await;
    assert_eq!(status, StatusCode::OK);
    let mail = app.wait_for_mail_to("loud@example.com").await;
    assert!(mail.contains("Acme"), "{mail}");
    assert!(app.mail_files().iter().all(|m| !m.contains("quiet@example.com")));
}

/// Counts rows with SQL of the test's own.
async fn sqlx_count(app: &TestApp, sql: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url).await.expect("connect");
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&mut conn).await.expect("count")
}

async fn ten_thousand_rows_import_and_export(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "admin@example.com").await;
    let mut csv = String::with_capacity(600_000);
    csv.push_str("email,name,role,licenses\n");
    for i in 0..10_000 {
        let licenses = if i < 3 { "scheduling;chat" } else { "" };
        csv.push_str(&format!("person{i:05}@example.com,Person {i:05},member,{licenses}\n"));
    }
    // Sent messages keep their row (only their payload is erased), so count rows, not payloads.
    let emails_before = sqlx_count(&app, "SELECT COUNT(*) FROM outbox WHERE kind = 'email'").await;
    let started = std::time::Instant::now();
    let (status, body) = post_csv(&app, &admin.token, "", &csv).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["created"].as_u64(), body["skipped"].as_u64()), (Some(10_000), Some(0)), "{body}");
    eprintln!("10,000 rows imported in {:?} ({b:?}, debug build)", started.elapsed());
    // Every one of them has its invitation email in the outbox, written with the users.
    let queued = sqlx_count(&app, "SELECT COUNT(*) FROM outbox WHERE kind = 'email'").await - emails_before;
    assert_eq!(queued, 10_000, "one invitation email queued per imported user");
    // And each is announced as if invited alone: one user.invited event each, license.assigned too.
    let invited =
        sqlx_count(&app, "SELECT COUNT(*) FROM events WHERE type = 'user.invited' AND data LIKE '%person%'").await;
    assert_eq!(invited, 10_000, "one user.invited event per imported user");
    let assigned = sqlx_count(&app, "SELECT COUNT(*) FROM events WHERE type = 'license.assigned'").await;
    assert_eq!(assigned, 6, "three users with two licenses each");
    // One row more than the limit is refused whole.
    csv.push_str("one.more@example.com,One More,member,\n");
    let (status, body) = post_csv(&app, &admin.token, "?dry_run=true", &csv).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("file")));

    let (status, kind, text) = export(&app, &admin.token, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"), "{kind}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "email,name,role,status,licenses");
    assert_eq!(lines.len(), 1 + 10_001, "a header and every user");
    assert!(lines.contains(&"person00001@example.com,Person 00001,member,invited,chat;scheduling"), "{}", lines[2]);
    assert!(lines.contains(&"person09999@example.com,Person 09999,member,invited,"));
    // The list's filters apply.
    let (_, _, text) = export(&app, &admin.token, "?q=person0999").await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 10, "{text}");
    assert!(lines[1..].iter().all(|l| l.starts_with("person0999")), "{text}");
    let (_, _, text) = export(&app, &admin.token, "?role=administrator").await;
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "email,name,role,status,licenses",
            &format!(
                "admin@example.com,Admin of Acme,administrator,active,{}",
                user(&all_admins(&app, &admin).await, "admin@example.com").unwrap()["licenses"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(";")
            )
        ]
    );
    let (status, _, _) = export(&app, &admin.token, "?status=sleeping").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn all_admins(app: &TestApp, admin: &Admin) -> Vec<Value> {
    let (_, page) = app.call(Method::GET, "/api/v1/users?role=administrator", Some(&admin.token), None).await;
    page["data"].as_array().unwrap().clone()
}

async fn members_may_neither_import_nor_export(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "admin@example.com").await;
    let (_, member) = app.invite_and_activate(&admin, "member@example.com", "Mia Member", "member").await;
    let (status, _) = post_csv(&app, &member, "", "email,name,role,licenses\nx@example.com,X,member,\n").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = export(&app, &member, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(all_users(&app, &admin).await.len(), 2);
}

db_tests!(the_import_page_previews_then_imports, the_import_page_explains_a_bad_file);

/// Posts a `multipart/form-data` form as a same-origin browser would; `file` is sent as an upload.
async fn post_multipart(app: &TestApp, path: &str, cookies: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let boundary = "----tenantry-test-boundary-7d1f";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!("--{boundary}\r\n"));
        if *name == "file" {
            body.push_str(
                "Content-Disposition: form-data; name=\"file\"; filename=\"users.csv\"\r\nContent-Type: text/csv\r\n\r\n",
            );
        } else {
            body.push_str(&format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"));
        }
        body.push_str(value);
        body.push_str("\r\n");
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    app.client
        .post(format!("{}{path}", app.url))
        .header(reqwest::header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .header("sec-fetch-site", "same-origin")
        .header(reqwest::header::COOKIE, cookies)
        .body(body)
        .send()
        .await
        .expect("form posted")
}

/// The text of the confirm form's hidden `csv` textarea, unescaped.
fn carried_csv(html: &str) -> String {
    let start = html.find("<textarea name=\"csv\"").expect("the confirm form carries the file");
    let open_end = start + html[start..].find('>').expect("textarea opened") + 1;
    let end = open_end + html[open_end..].find("</textarea>").expect("textarea closed");
    unescape(&html[open_end..end])
}

async fn the_import_page_previews_then_imports(b: Backend) {
    use crate::helpers::{cookie_value, get_page, location, session_cookie};
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "admin@example.com").await;
    let cookies = session_cookie(&admin.token);
    let lobby = get_page(&app, "/users", &cookies).await.text().await.unwrap();
    assert!(lobby.contains("href=\"/users/import\"") && lobby.contains("href=\"/users/export.csv\""), "{lobby}");
    let res = get_page(&app, "/users/import", &cookies).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("type=\"file\"") && page.contains("aria-current"), "{page}");

    let csv = MIXED.replace("Ana Lima", "Ana \"Tia\" Lima & Co");
    let res = post_multipart(
        &app,
        "/users/import",
        &cookies,
        &[("step", "preview"), ("file", &csv), ("send_invitations", "on")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let preview = res.text().await.unwrap();
    assert!(preview.contains("Rows with errors") && preview.contains("teleportation"), "{preview}");
    assert!(preview.contains("<td data-label=\"Row\">4</td>"), "the bad row's line: {preview}");
    assert!(preview.contains("Import 2 users"), "{preview}");
    assert!(preview.contains("eve@example.com"), "the rows to create are listed");
    assert_eq!(all_users(&app, &admin).await.len(), 1, "the preview writes nothing");
    let carried = carried_csv(&preview);
    assert_eq!(carried, csv, "the file survives to the confirm step");

    let res = post_multipart(
        &app,
        "/users/import",
        &cookies,
        &[("step", "import"), ("send_invitations", "on"), ("csv", &carried)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/users");
    let flash = cookie_value(&res, "tenantry_flash").expect("a notice");
    let lobby = get_page(&app, "/users", &format!("{cookies}; tenantry_flash={flash}")).await.text().await.unwrap();
    assert!(lobby.contains("Imported 2 users."), "{lobby}");
    assert!(unescape(&lobby).contains("Ana \"Tia\" Lima & Co"), "{lobby}");
    assert!(lobby.contains("eve@example.com") && lobby.contains("Invited (Pending)"), "{lobby}");
    app.wait_for_mail_to("eve@example.com").await;

    // The lobby's export honours its filter.
    let res = get_page(&app, "/users/export.csv?q=eve", &cookies).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.text().await.unwrap(),
        "email,name,role,status,licenses\r\neve@example.com,Eve Curie,administrator,invited,chat;scheduling\r\n"
    );
}

async fn the_import_page_explains_a_bad_file(b: Backend) {
    use crate::helpers::session_cookie;
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "admin@example.com").await;
    let cookies = session_cookie(&admin.token);
    let res = post_multipart(&app, "/users/import", &cookies, &[("step", "preview"), ("send_invitations", "on")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"file-error\"") && page.contains("choose a CSV file"), "{page}");
    let res = post_multipart(
        &app,
        "/users/import",
        &cookies,
        &[("step", "preview"), ("file", "mail,name\nx@example.com,X\n")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"file-error\"") && unescape(&page).contains("missing the column \"email\""), "{page}");
    assert!(!page.contains("checked"), "the unticked invitations box stays unticked");
    // Members are refused the page.
    let (_, member) = app.invite_and_activate(&admin, "member@example.com", "Mia Member", "member").await;
    let res = crate::helpers::get_page(&app, "/users/import", &session_cookie(&member)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
