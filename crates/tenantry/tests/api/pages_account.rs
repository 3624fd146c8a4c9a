//! Account settings › Settings and Audit log over HTTP: the settings form and its errors, deleting
//! the account (name, password and two-step code re-asked), the audit log's filters and pages, and
//! its CSV export; Members are refused all of it.

use crate::db_tests;
use crate::helpers::*;
use crate::recovery::{base32_decode, rfc6238};
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

db_tests!(
    settings_save_and_keep_what_was_typed_on_errors,
    members_are_refused_account_settings_and_the_audit_log,
    deleting_the_account_asks_for_the_password,
    deleting_the_account_asks_for_the_two_step_code_when_it_is_on,
    audit_log_filters_by_actor_action_and_days_in_the_viewers_zone,
    audit_log_pages_keep_the_filters,
    audit_csv_holds_exactly_the_filtered_rows,
);

const PASSWORD: &str = "correct horse battery";
const CSV_HEADER: &str =
    "time,actor_name,actor_email,actor_id,action,description,target_type,target_id,target_name,ip,before,after";

async fn post_form(app: &TestApp, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Response {
    post_page(app, path, &cookie.map(session_cookie).unwrap_or_default(), fields).await
}

/// A page with the given `Cookie` header value.
async fn get_with(app: &TestApp, path: &str, cookies: &str) -> Response {
    get_page(app, path, cookies).await
}

async fn get(app: &TestApp, path: &str, cookie: &str) -> Response {
    get_with(app, path, &session_cookie(cookie)).await
}

/// The page's HTML, which must answer 200.
async fn html(app: &TestApp, path: &str, cookie: &str) -> String {
    let res = get(app, path, cookie).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

/// The `name=value` pair of the cookie `name` a response sets.
fn set_cookie(res: &Response, name: &str) -> Option<String> {
    cookie_value(res, name).map(|v| format!("{name}={v}"))
}

/// The rows of the audit table (each starts at its "When" cell).
fn audit_rows(html: &str) -> Vec<String> {
    let body =
        html.split(r#"<tbody id="audit-rows">"#).nth(1).expect("the audit table").split("</tbody>").next().unwrap();
    body.split(r#"<td data-label="When">"#).skip(1).map(str::to_owned).collect()
}

async fn settings_save_and_keep_what_was_typed_on_errors(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;

    let page = html(&app, "/account/settings", &cookie).await;
    assert!(page.contains(r#"<a href="/account/settings" aria-current="page">Settings</a>"#), "its section is marked");
    let name = page.split(r#"id="name""#).nth(1).unwrap().split('>').next().unwrap();
    assert!(name.contains(r#"value="Acme""#), "{name}");
    assert!(page.contains("Compliance BCC email") && page.contains("Partner referral code"));

    // A bad address: the error sits next to its field and everything typed stays.
    let typed = [("name", "Acme Europe"), ("compliance_bcc_email", "records@"), ("partner_referral_code", "PARTNER-7")];
    let res = post_form(&app, "/account/settings", Some(&cookie), &typed).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("Compliance BCC email is not a valid email address."), "{page}");
    let field = page.split(r#"id="compliance_bcc_email""#).nth(1).unwrap().split("</div>").next().unwrap();
    assert!(field.contains(r#"value="records@""#), "the typed address is kept: {field}");
    assert!(
        field.contains(r#"aria-invalid="true""#) && field.contains(r#"id="compliance_bcc_email-error""#),
        "{field}"
    );
    assert!(page.contains(r#"value="Acme Europe""#) && page.contains(r#"value="PARTNER-7""#), "other fields kept");
    let (_, account) = app.call(Method::GET, "/api/v1/account", Some(&admin.token), None).await;
    assert_eq!(account["name"], "Acme", "nothing was saved");

    // A bad referral code too, with its own message.
    let res =
        post_form(&app, "/account/settings", Some(&cookie), &[("name", " "), ("partner_referral_code", "no spaces")])
            .await;
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"id="partner_referral_code-error""#) && page.contains(r#"id="name-error""#), "{page}");

    // Saved with one button; the notice follows the redirect.
    let typed = [
        ("name", "Acme Europe"),
        ("compliance_bcc_email", "records@example.com"),
        ("partner_referral_code", "PARTNER-7"),
    ];
    let res = post_form(&app, "/account/settings", Some(&cookie), &typed).await;
    assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/account/settings".to_owned()));
    let flash = set_cookie(&res, "tenantry_flash").expect("a notice for the next page");
    let page =
        get_with(&app, "/account/settings", &format!("tenantry_session={cookie}; {flash}")).await.text().await.unwrap();
    assert!(page.contains("The account settings have been saved."), "{page}");
    assert!(page.contains(r#"value="records@example.com""#));
    let (_, account) = app.call(Method::GET, "/api/v1/account", Some(&admin.token), None).await;
    assert_eq!(
        (&account["name"], &account["compliance_bcc_email"], &account["partner_referral_code"]),
        (&json!("Acme Europe"), &json!("records@example.com"), &json!("PARTNER-7"))
    );

    // Emptying the optional fields clears them.
    let res = post_form(
        &app,
        "/account/settings",
        Some(&cookie),
        &[("name", "Acme Europe"), ("compliance_bcc_email", ""), ("partner_referral_code", "")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, account) = app.call(Method::GET, "/api/v1/account", Some(&admin.token), None).await;
    assert!(account["compliance_bcc_email"].is_null() && account["partner_referral_code"].is_null(), "{account}");

    // Account settings opens on Users; the old address of account deletion leads here.
    let res = get(&app, "/account", &cookie).await;
    assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/users".to_owned()));
    let res = get(&app, "/me/delete-account", &cookie).await;
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(location(&res), "/account/settings#delete-account");
}

async fn members_are_refused_account_settings_and_the_audit_log(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.invite_and_activate(&admin, "max@example.com", "Max Moser", "member").await;
    let cookie = page_sign_in(&app, "max@example.com", "another good passphrase").await;
    for path in ["/account/settings", "/account/audit", "/account/audit.csv", "/account/audit?action=user.invited"] {
        let res = get(&app, path, &cookie).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        let page = res.text().await.unwrap();
        assert!(page.contains("You do not have access to this page"), "{path}: {page}");
        assert!(!page.contains("Invited a user") && !page.contains("time,actor_name"), "nothing of the log leaks");
    }
    let res = post_form(&app, "/account/settings", Some(&cookie), &[("name", "Taken over")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = post_form(
        &app,
        "/account/delete",
        Some(&cookie),
        &[("confirm_name", "Acme"), ("current_password", "another good passphrase")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (status, account) = app.call(Method::GET, "/api/v1/account", Some(&admin.token), None).await;
    assert_eq!((status, &account["name"]), (StatusCode::OK, &json!("Acme")), "neither renamed nor deleted");
}

async fn deleting_the_account_asks_for_the_password(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let other = app.signup("Other", "olga@example.com").await;
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;
    let page = html(&app, "/account/settings", &cookie).await;
    assert!(page.contains(r#"<form method="post" action="/account/delete""#), "the danger card is on Settings");
    assert!(
        page.contains(r#"id="current_password""#) && !page.contains(r#"id="totp_code""#),
        "no code while two-step is off"
    );
    assert!(page.contains("all 1 user,"), "{page}");

    // Everything missing: every field says so at once.
    let res =
        post_form(&app, "/account/delete", Some(&cookie), &[("confirm_name", "ACME"), ("current_password", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("Account name does not match the account&#39;s name"), "{page}");
    assert!(page.contains("Your password is required."), "{page}");
    assert!(page.contains(r#"value="ACME""#), "the typed name is kept");

    // The right name and a wrong password: refused, counted like a failed sign-in, nothing deleted.
    let res = post_form(
        &app,
        "/account/delete",
        Some(&cookie),
        &[("confirm_name", "Acme"), ("current_password", "not my password")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "a wrong answer is 403 (API.md), shown under its field");
    let page = res.text().await.unwrap();
    assert!(page.contains("Your password is wrong."), "{page}");
    assert!(!page.contains("not my password"), "a password is never echoed");
    assert_eq!(app.call(Method::GET, "/api/v1/account", Some(&admin.token), None).await.0, StatusCode::OK);
    let (_, failed) =
        app.call(Method::GET, "/api/v1/audit-events?action=auth.sign_in_failed", Some(&admin.token), None).await;
    assert_eq!(failed["data"].as_array().unwrap().len(), 1, "{failed}");
    assert_eq!(failed["data"][0]["after"]["reason"], "password");

    // Right: the account and its sessions are gone; other accounts are untouched.
    let res = post_form(
        &app,
        "/account/delete",
        Some(&cookie),
        &[("confirm_name", " Acme "), ("current_password", PASSWORD)],
    )
    .await;
    assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/signin".to_owned()));
    assert!(set_cookie(&res, "tenantry_flash").is_some(), "the sign-in page says what happened");
    assert_eq!(location(&get(&app, "/account/settings", &cookie).await), "/signin", "signed out");
    assert_eq!(app.call(Method::GET, "/api/v1/account", Some(&admin.token), None).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "ana@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the user is gone");
    assert_eq!(app.call(Method::GET, "/api/v1/account", Some(&other.token), None).await.0, StatusCode::OK);
}

async fn deleting_the_account_asks_for_the_two_step_code_when_it_is_on(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;
    let now = || {
        (jiff::Timestamp::now().as_millisecond() + app.time_offset.load(std::sync::atomic::Ordering::SeqCst)) as u64
            / 1000
    };
    let (_, enrol) = app.call(Method::POST, "/api/v1/me/mfa/totp", Some(&admin.token), None).await;
    let seed = base32_decode(enrol["secret"].as_str().unwrap());
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/me/mfa/totp/confirm",
            Some(&admin.token),
            Some(json!({"code": rfc6238(&seed, now(), 6)})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.advance(30_000);

    let page = html(&app, "/account/settings", &cookie).await;
    assert!(page.contains(r#"id="totp_code""#), "the code is asked for while two-step is on");
    let name_and_password = [("confirm_name", "Acme"), ("current_password", PASSWORD)];
    let res = post_form(&app, "/account/delete", Some(&cookie), &name_and_password).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Two-step code is required"), "no code");
    let res = post_form(
        &app,
        "/account/delete",
        Some(&cookie),
        &[("confirm_name", "Acme"), ("current_password", PASSWORD), ("totp_code", "000000")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let page = res.text().await.unwrap();
    assert!(page.contains("Two-step code is wrong or was already used."), "{page}");
    assert!(page.contains(r#"id="totp_code-error""#));
    assert_eq!(
        app.call(Method::GET, "/api/v1/account", Some(&admin.token), None).await.0,
        StatusCode::OK,
        "still there"
    );
    // A right code with a wrong password is still refused.
    let code = rfc6238(&seed, now(), 6);
    let res = post_form(
        &app,
        "/account/delete",
        Some(&cookie),
        &[("confirm_name", "Acme"), ("current_password", "wrong"), ("totp_code", &code)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.call(Method::GET, "/api/v1/account", Some(&admin.token), None).await.0,
        StatusCode::OK,
        "still there"
    );

    let res = post_form(
        &app,
        "/account/delete",
        Some(&cookie),
        &[("confirm_name", "Acme"), ("current_password", PASSWORD), ("totp_code", &code)],
    )
    .await;
    assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/signin".to_owned()));
    assert_eq!(app.call(Method::GET, "/api/v1/account", Some(&admin.token), None).await.0, StatusCode::UNAUTHORIZED);
}

/// The date of the Unix-ms time `ms` in `zone`, as `YYYY-MM-DD`.
fn date_in(zone: &str, ms: i64) -> jiff::civil::Date {
    let tz = jiff::tz::TimeZone::get(zone).unwrap();
    jiff::Timestamp::from_millisecond(ms).unwrap().to_zoned(tz).date()
}

async fn audit_log_filters_by_actor_action_and_days_in_the_viewers_zone(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    // Ana reads times in Auckland (UTC+12 or +13), far from UTC.
    let (status, _) =
        app.call(Method::PATCH, "/api/v1/me", Some(&admin.token), Some(json!({"timezone": "Pacific/Auckland"}))).await;
    assert_eq!(status, StatusCode::OK);
    let (bruno, _) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "bruno@example.com", "password": "another good passphrase"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Two days on, at 01:00 in Auckland (the previous day in UTC), Ana renames the account.
    let tz = jiff::tz::TimeZone::get("Pacific/Auckland").unwrap();
    let server_now =
        jiff::Timestamp::now().as_millisecond() + app.time_offset.load(std::sync::atomic::Ordering::SeqCst);
    let day = date_in("Pacific/Auckland", server_now).tomorrow().unwrap().tomorrow().unwrap();
    let one_am = day.at(1, 0, 0, 0).to_zoned(tz).unwrap().timestamp().as_millisecond();
    app.advance(one_am - server_now);
    assert_eq!(date_in("UTC", one_am), day.yesterday().unwrap(), "in UTC it is still the day before");
    let (status, _) =
        app.call(Method::PATCH, "/api/v1/account", Some(&admin.token), Some(json!({"name": "Acme Europe"}))).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;

    let page = html(&app, "/account/audit", &cookie).await;
    assert!(page.contains(r#"<a href="/account/audit" aria-current="page">Audit log</a>"#), "its section is marked");
    assert!(page.contains(&format!(r#"<option value="{bruno}">Bruno Costa (bruno@example.com)</option>"#)), "{page}");
    assert!(page.contains(r#"<option value="license.assigned">Assigned a license</option>"#));
    assert!(page.contains(r#"href="/account/audit.csv""#), "Export CSV without filters");

    // By action: the invitation, with names instead of ids.
    let page = html(&app, "/account/audit?action=user.invited", &cookie).await;
    let rows = audit_rows(&page);
    assert_eq!(rows.len(), 1, "{page}");
    let row = &rows[0];
    assert!(row.contains("Invited a user") && row.contains("<code class=\"audit-code\">user.invited</code>"), "{row}");
    assert!(row.contains("Admin of Acme") && row.contains("ana@example.com"), "who: name and email: {row}");
    assert!(row.contains(r#"<span>Bruno Costa</span>"#), "the target by name: {row}");
    assert!(!row.contains(&bruno), "no ids shown: {row}");
    assert!(row.contains(" NZST</time>") || row.contains(" NZDT</time>"), "in Ana's zone: {row}");
    assert!(page.contains(r#"<option value="user.invited" selected>"#), "the filter stays chosen");
    assert!(page.contains(r#"href="/account/audit.csv?action=user.invited""#), "the export keeps the filter");

    // By actor: only Bruno's own events.
    let page = html(&app, &format!("/account/audit?actor={bruno}"), &cookie).await;
    let rows = audit_rows(&page);
    assert!(!rows.is_empty(), "{page}");
    for row in &rows {
        let who = row.split(r#"class="audit-who""#).nth(1).unwrap().split("</td>").next().unwrap();
        assert!(who.contains("Bruno Costa") && !who.contains("Admin of Acme"), "{row}");
    }
    assert!(rows.iter().any(|r| r.contains("Signed in")));
    assert!(page.contains(&format!(r#"<option value="{bruno}" selected>"#)));

    // By days, read in Ana's zone: the rename is on `day` there (and on the day before in UTC).
    let range = |from: jiff::civil::Date, to: jiff::civil::Date| format!("/account/audit?from={from}&to={to}");
    let page = html(&app, &range(day, day), &cookie).await;
    let rows = audit_rows(&page);
    assert!(rows.iter().any(|r| r.contains("Changed the account settings")), "{page}");
    assert!(rows.iter().any(|r| r.contains("Name: Acme → Acme Europe")), "what changed is shown");
    assert!(!rows.iter().any(|r| r.contains("Invited a user")), "two days earlier");
    let before = day.yesterday().unwrap();
    let page = html(&app, &range(before, before), &cookie).await;
    assert!(!audit_rows(&page).iter().any(|r| r.contains("Changed the account settings")), "{page}");
    let page = html(
        &app,
        &format!(
            "/account/audit?from={}&action=user.invited",
            day.yesterday().unwrap().yesterday().unwrap().yesterday().unwrap()
        ),
        &cookie,
    )
    .await;
    assert_eq!(audit_rows(&page).len(), 1, "from alone, combined with an action");
    let page = html(
        &app,
        &format!("/account/audit?to={}", before.yesterday().unwrap().yesterday().unwrap().yesterday().unwrap()),
        &cookie,
    )
    .await;
    assert!(audit_rows(&page).is_empty() && page.contains("No events match these filters."), "{page}");

    // A malformed or reversed range is shown next to its field, with what was typed kept.
    let res = get(&app, "/account/audit?from=2026-02-31&to=yesterday", &cookie).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("From must be a date like 2026-05-31.") && page.contains(r#"id="from-error""#), "{page}");
    assert!(page.contains(r#"value="2026-02-31""#) && page.contains(r#"id="to-error""#));
    let res = get(&app, &range(day, before), &cookie).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("To must be on or after the From date."));
    assert_eq!(get(&app, "/account/audit?cursor=garbage!", &cookie).await.status(), StatusCode::BAD_REQUEST);

    // The API takes the same end of a range: `until`, exclusive, as an RFC 3339 time.
    let renames = |until: i64| {
        let path = format!(
            "/api/v1/audit-events?action=account.updated&until={}",
            jiff::Timestamp::from_millisecond(until).unwrap()
        );
        let app = &app;
        let token = admin.token.clone();
        async move { app.call(Method::GET, &path, Some(&token), None).await }
    };
    let (status, body) = renames(one_am).await;
    assert_eq!((status, body["data"].as_array().unwrap().len()), (StatusCode::OK, 0), "{body}");
    let (_, body) = renames(one_am + 3_600_000).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 1, "{body}");
    let (status, body) = app.call(Method::GET, "/api/v1/audit-events?until=tomorrow", Some(&admin.token), None).await;
    assert_eq!((status, &body["errors"][0]["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("until")), "{body}");
}

async fn audit_log_pages_keep_the_filters(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    for i in 0..53 {
        let (status, _) = app
            .call(Method::PATCH, "/api/v1/account", Some(&admin.token), Some(json!({"name": format!("Acme {i}")})))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;
    let first = html(&app, "/account/audit?action=account.updated", &cookie).await;
    assert_eq!(audit_rows(&first).len(), 50);
    let next = first.split(r#"" rel="next""#).next().unwrap().rsplit("href=\"").next().unwrap().replace("&#38;", "&");
    assert!(next.starts_with("/account/audit?action=account.updated&cursor="), "{next}");
    let second = html(&app, &next, &cookie).await;
    assert_eq!(audit_rows(&second).len(), 3, "the rest of the filtered events only");
    assert!(!second.contains("rel=\"next\""), "no further page");
    assert!(second.contains(r#"<a href="/account/audit?action=account.updated">← Newest events</a>"#), "{second}");

    // Together the pages hold every rename once, newest first.
    let rows: Vec<String> = audit_rows(&first).into_iter().chain(audit_rows(&second)).collect();
    assert!(rows.iter().all(|r| r.contains("<code class=\"audit-code\">account.updated</code>")));
    for i in 0..53 {
        let from = if i == 0 { "Acme".to_owned() } else { format!("Acme {}", i - 1) };
        let change = format!("Name: {from} → Acme {i}<");
        assert_eq!(rows.iter().filter(|r| r.contains(&change)).count(), 1, "{change}");
    }
    let times: Vec<jiff::Timestamp> = rows.iter().map(|r| r.split('"').nth(1).unwrap().parse().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");
}

/// Parses RFC 4180 CSV (quoted fields may hold commas, quotes and line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => {
                assert!(field.is_empty(), "a quote inside an unquoted field: {field}");
                quoted = true;
            }
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => assert_eq!(chars.next(), Some('\n'), "records end with CRLF"),
            (false, '\n') => panic!("a bare line feed ends a record"),
            (false, c) => field.push(c),
        }
        if !quoted && c == '\r' {
            record.push(std::mem::take(&mut field));
            records.push(std::mem::take(&mut record));
        }
    }
    assert!(!quoted && field.is_empty() && record.is_empty(), "the file ends with a whole record");
    records
}

async fn audit_csv_holds_exactly_the_filtered_rows(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno \"Bo\" Costa, Jr.", "member").await;
    // More renames than one chunk of the export (500), the last with commas and quotes.
    for i in 0..510 {
        let (status, _) = app
            .call(Method::PATCH, "/api/v1/account", Some(&admin.token), Some(json!({"name": format!("Acme {i}")})))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = app
        .call(Method::PATCH, "/api/v1/account", Some(&admin.token), Some(json!({"name": "Acme, Inc. \"West\""})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;

    let res = get(&app, "/account/audit.csv?action=account.updated", &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
    let disposition = res.headers()[CONTENT_DISPOSITION].to_str().unwrap().to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"audit-log-") && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let text = res.text().await.unwrap();
    assert!(text.starts_with(&format!("{CSV_HEADER}\r\n")), "a header row first");
    let records = parse_csv(&text);
    assert_eq!(records[0].join(","), CSV_HEADER);
    let rows = &records[1..];
    assert_eq!(rows.len(), 511, "every matching event, across chunks, and nothing else");
    assert!(rows.iter().all(|r| r.len() == 12 && r[4] == "account.updated"));
    let ids: std::collections::HashSet<_> = rows.iter().map(|r| r[0].clone() + &r[9] + &r[11]).collect();
    assert_eq!(ids.len(), 511, "no event twice");
    let newest = rows.iter().find(|r| r[11].contains("West")).expect("the last rename");
    assert_eq!(
        (newest[1].as_str(), newest[2].as_str(), newest[3].as_str()),
        ("Admin of Acme", "ana@example.com", admin.user_id.as_str())
    );
    assert_eq!(newest[5], "Changed the account settings");
    let after: Value = serde_json::from_str(&newest[11]).unwrap();
    assert_eq!(after["name"], "Acme, Inc. \"West\"", "quotes and commas survive the quoting");
    // In the file: the field is quoted and each quote in it doubled.
    let name_json = format!("\"name\":{}", serde_json::to_string("Acme, Inc. \"West\"").unwrap());
    assert!(text.contains(&name_json.replace('"', "\"\"")), "quoted as RFC 4180 says");
    assert!(newest[0].parse::<jiff::Timestamp>().is_ok(), "an RFC 3339 time: {}", newest[0]);

    // The invitation: a target's name with quotes and a comma.
    let res = get(&app, "/account/audit.csv?action=user.invited", &cookie).await;
    let records = parse_csv(&res.text().await.unwrap());
    assert_eq!(records.len(), 2, "the header and the one invitation");
    assert_eq!((records[1][7].as_str(), records[1][8].as_str()), (bruno.as_str(), "Bruno \"Bo\" Costa, Jr."));

    // Nothing matches: the header alone.
    let res = get(&app, "/account/audit.csv?action=booking_page.deleted", &cookie).await;
    assert_eq!(res.text().await.unwrap(), format!("{CSV_HEADER}\r\n"));
    // A bad range is refused before anything is sent.
    assert_eq!(get(&app, "/account/audit.csv?from=soon", &cookie).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
