//! The My settings pages over HTTP: Password and two-step, Sessions, API key, Plan and usage,
//! Notifications and My data — each page, each action, and what they refuse.

use crate::db_tests;
use crate::helpers::*;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE, USER_AGENT};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

db_tests!(
    my_settings_pages_send_signed_out_visitors_to_sign_in,
    each_my_settings_page_marks_its_section,
    profile_no_longer_repeats_the_navigation,
    sessions_are_described_and_signed_out_one_by_one,
    api_key_is_shown_once_then_replaced_and_revoked,
    usage_page_shows_the_plan_and_this_cycles_figures,
    notifications_are_saved_with_one_button,
    my_data_downloads_the_export_as_a_dated_file,
    a_wrong_setup_code_keeps_the_same_key,
);

const PASSWORD: &str = "correct horse battery";
const FIREFOX_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0";

async fn post_form(app: &TestApp, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Response {
    post_page(app, path, &cookie.map(session_cookie).unwrap_or_default(), fields).await
}

async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> Response {
    get_page(app, path, &cookie.map(session_cookie).unwrap_or_default()).await
}

async fn html(app: &TestApp, path: &str, cookie: &str) -> String {
    let res = get(app, path, Some(cookie)).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

fn cookie_set(res: &Response, name: &str) -> Option<String> {
    cookie_value(res, name)
}

/// Signs in through the page (as Chrome on Linux) and answers the session cookie's value.
async fn page_sign_in(app: &TestApp, email: &str) -> String {
    let res = post_form(app, "/signin", None, &[("email", email), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    cookie_set(&res, "tenantry_session").expect("session cookie set")
}

/// Follows a post/redirect/get: the flash cookie the post left, shown by the next page.
async fn flash_after(app: &TestApp, res: Response, cookie: &str) -> String {
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "a redirect after the post");
    let to = location(&res);
    let flash = cookie_set(&res, "tenantry_flash").expect("a flash message");
    let page = app
        .client
        .get(format!("{}{to}", app.url))
        .header(COOKIE, format!("tenantry_session={cookie}; tenantry_flash={flash}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    page.text().await.unwrap()
}

/// The text between `<tag id="id"...>` and the next `<`.
fn text_by_id(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no #{id} in:\n{html}"));
    let rest = &html[start..];
    let open = rest.find('>').unwrap() + 1;
    rest[open..].split('<').next().unwrap().trim().to_owned()
}

/// Today in Europe/Berlin, as `DD.MM.YYYY`.
fn berlin_today() -> String {
    jiff::Timestamp::now().in_tz("Europe/Berlin").unwrap().strftime("%d.%m.%Y").to_string()
}

/// Ana reads dates as `DD.MM.YYYY` on a 12-hour clock, in Berlin.
async fn use_berlin_dates(app: &TestApp, admin: &Admin) {
    let (status, body) = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&admin.token),
            Some(json!({"timezone": "Europe/Berlin", "date_format": "DD.MM.YYYY", "time_format": "12h"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

const PAGES: [(&str, &str); 9] = [
    ("/me", "Profile"),
    ("/me/two-step", "Password and two-step"),
    ("/me/phone", "Phone"),
    ("/me/email", "Email"),
    ("/me/notifications", "Notifications"),
    ("/me/api-key", "API key"),
    ("/me/usage", "Plan and usage"),
    ("/me/sessions", "Sessions"),
    ("/me/data", "My data"),
];

async fn my_settings_pages_send_signed_out_visitors_to_sign_in(b: Backend) {
    let app = spawn_app(b).await;
    for path in ["/me/two-step", "/me/sessions", "/me/api-key", "/me/usage", "/me/notifications", "/me/data"] {
        let res = get(&app, path, None).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&res), "/signin", "{path}");
    }
    let res = get(&app, "/me/data/export.json", None).await;
    assert_eq!(location(&res), "/signin", "no export without a session");
    for path in [
        "/me/sessions/sign-out-others",
        "/me/sessions/ses_x/sign-out",
        "/me/api-key",
        "/me/api-key/revoke",
        "/me/notifications",
    ] {
        let res = post_form(&app, path, None, &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&res), "/signin", "{path}");
    }
    // A cookie that is no session at all is no better.
    let res = get(&app, "/me/api-key", Some("tss_not-a-session")).await;
    assert_eq!(location(&res), "/signin");
}

async fn each_my_settings_page_marks_its_section(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    for email in ["ana@example.com", "bruno@example.com"] {
        let password = if email.starts_with("ana") { PASSWORD } else { "another good passphrase" };
        let res = post_form(&app, "/signin", None, &[("email", email), ("password", password)]).await;
        let cookie = cookie_set(&res, "tenantry_session").expect("signed in");
        for (href, label) in PAGES {
            let page = html(&app, href, &cookie).await;
            let nav = page.split("<nav class=\"sidenav\" aria-label=\"My settings\">").nth(1).unwrap_or_else(|| {
                panic!("{href} shows the My settings navigation for {email}:\n{page}");
            });
            let nav = nav.split("</nav>").next().unwrap();
            assert!(
                nav.contains(&format!(r#"<a href="{href}" aria-current="page">{label}</a>"#)),
                "{href} marks {label}:\n{nav}"
            );
            assert_eq!(nav.matches("aria-current").count(), 1, "{href}: one current section");
            for (other, other_label) in PAGES {
                assert!(
                    nav.contains(&format!(r#"href="{other}""#)) && nav.contains(other_label),
                    "{href} lists {other}"
                );
            }
        }
    }
}

async fn profile_no_longer_repeats_the_navigation(b: Backend) {
    let app = spawn_app(b).await;
    app.signup("Acme", "ana@example.com").await;
    let cookie = page_sign_in(&app, "ana@example.com").await;
    let page = html(&app, "/me", &cookie).await;
    let main = page.split("<main").nth(1).unwrap();
    assert!(!main.contains("Two-step verification and sessions"), "{main}");
    assert!(!main.contains(r#"href="/password-change""#), "the password is under Password and two-step");
    assert!(!main.contains("Delete the account"), "account deletion lives under Account settings");
    for fact in
        ["Profile picture", "id=\"name\"", "id=\"username\"", "id=\"timezone\"", "ana@example.com", "cell-number"]
    {
        assert!(main.contains(fact), "the profile keeps {fact}");
    }
    // The password card on Password and two-step leads to the password change.
    let page = html(&app, "/me/two-step", &cookie).await;
    assert!(page.contains(r#"href="/password-change""#), "{page}");
    assert!(!page.contains("session-list"), "sessions moved to their own page");
}

async fn sessions_are_described_and_signed_out_one_by_one(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    use_berlin_dates(&app, &admin).await;
    let cookie = page_sign_in(&app, "ana@example.com").await;
    // Another device: Firefox on Windows, through the API.
    let res = app
        .client
        .post(format!("{}/api/v1/auth/sign-in", app.url))
        .header(USER_AGENT, FIREFOX_WINDOWS)
        .json(&json!({"email": "ana@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let firefox: Value = res.json().await.unwrap();
    let firefox_token = firefox["token"].as_str().unwrap().to_owned();

    let page = html(&app, "/me/sessions", &cookie).await;
    let list = page.split("id=\"session-list\"").nth(1).unwrap().split("</ul>").next().unwrap();
    assert!(
        list.contains("<strong>Chrome on Linux</strong> <span class=\"badge badge-active\">This device</span>"),
        "{list}"
    );
    assert!(list.contains("<strong>Firefox on Windows</strong>"), "{list}");
    assert!(!list.contains("Mozilla/5.0"), "the raw user agent is not shown");
    assert_eq!(list.matches("This device").count(), 1);
    // Times in Ana's own format: DD.MM.YYYY, 12-hour clock, Berlin's zone.
    let today = berlin_today();
    assert!(list.contains(&format!("<dd>{today} ")), "dates as DD.MM.YYYY: {list}");
    assert!(list.contains(" AM CE") || list.contains(" PM CE"), "12-hour clock and zone: {list}");
    assert!(list.contains("IP address") && list.contains("127.0.0.1"), "{list}");
    // The first session made at sign-up, plus the Firefox one, can be signed out; this one cannot.
    let (_, sessions) = app.call(Method::GET, "/api/v1/me/sessions", Some(&firefox_token), None).await;
    let sessions = sessions["data"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 3, "sign-up, the page and Firefox: {sessions:?}");
    let id_of =
        |ua: &str| sessions.iter().find(|s| s["user_agent"] == ua).and_then(|s| s["id"].as_str()).unwrap().to_owned();
    let (firefox_id, page_id) = (id_of(FIREFOX_WINDOWS), id_of(CHROME_LINUX));
    assert!(list.contains(&format!(r#"action="/me/sessions/{firefox_id}/sign-out""#)), "{list}");
    assert!(!list.contains(&format!(r#"action="/me/sessions/{page_id}/sign-out""#)), "not this device");

    // Sign out the Firefox session alone.
    let res = post_form(&app, &format!("/me/sessions/{firefox_id}/sign-out"), Some(&cookie), &[]).await;
    let after = flash_after(&app, res, &cookie).await;
    assert!(after.contains("That session has been signed out."), "{after}");
    assert!(!after.contains("Firefox on Windows"), "{after}");
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&firefox_token), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await.0, StatusCode::OK, "others stay");

    // Another user's session id, or one already gone, is 404 and ends nothing.
    let other = app.signup("Beta", "bea@example.com").await;
    let (_, bea) = app.call(Method::GET, "/api/v1/me/sessions", Some(&other.token), None).await;
    let bea_session = bea["data"][0]["id"].as_str().unwrap().to_owned();
    for id in [bea_session.as_str(), firefox_id.as_str()] {
        let res = post_form(&app, &format!("/me/sessions/{id}/sign-out"), Some(&cookie), &[]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{id}");
    }
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&other.token), None).await.0, StatusCode::OK);

    // Sign out all the others: the sign-up session ends, this one stays.
    let res = post_form(&app, "/me/sessions/sign-out-others", Some(&cookie), &[]).await;
    let after = flash_after(&app, res, &cookie).await;
    assert!(after.contains("Signed out 1 other session."), "{after}");
    assert!(after.contains("You are signed in on this device only."), "{after}");
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await.0, StatusCode::UNAUTHORIZED);

    // Signing out this very session signs this browser out.
    let res = post_form(&app, &format!("/me/sessions/{page_id}/sign-out"), Some(&cookie), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/signin");
    assert_eq!(location(&get(&app, "/me/sessions", Some(&cookie)).await), "/signin");
}

/// The key in the page's read-only field, if the page shows one.
fn shown_key(html: &str) -> Option<String> {
    let start = html.find("id=\"new-api-key\"")?;
    let value = html[start..].split("value=\"").nth(1)?;
    Some(value.split('"').next()?.to_owned())
}

async fn api_key_is_shown_once_then_replaced_and_revoked(b: Backend) {
    let app = spawn_app(b).await;
    app.signup("Acme", "ana@example.com").await;
    let cookie = page_sign_in(&app, "ana@example.com").await;
    let page = html(&app, "/me/api-key", &cookie).await;
    assert!(page.contains("You have no API key."), "{page}");
    assert!(page.contains(r#"href="/api/docs""#), "explains where to use it");

    // The current password is asked first: without it, an error under its field and no key.
    let res = post_form(&app, "/me/api-key", Some(&cookie), &[]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"id="current_password-error""#) && shown_key(&page).is_none(), "{page}");
    let res = post_form(&app, "/me/api-key", Some(&cookie), &[("current_password", "not it")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = post_form(&app, "/me/api-key", Some(&cookie), &[("current_password", "correct horse battery")]).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["cache-control"], "no-store", "the key is never cached");
    let page = res.text().await.unwrap();
    let key = shown_key(&page).expect("the new key is shown");
    assert!(key.starts_with("tnt_") && key.len() > 20, "{key}");
    assert!(page.contains("It will not be shown again"), "{page}");
    assert!(page.contains(r#"data-copy="new-api-key""#), "a copy button");
    assert_eq!(text_by_id(&page, "key-last-used"), "Never");
    let prefix = text_by_id(&page, "key-prefix");
    assert!(key.starts_with(prefix.trim_end_matches('…')), "{prefix} is how {key} starts");

    // The key works as a bearer token; the page never shows it again, only its prefix and use.
    let (status, me) = app.call(Method::GET, "/api/v1/me", Some(&key), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["email"], "ana@example.com");
    let page = html(&app, "/me/api-key", &cookie).await;
    assert!(shown_key(&page).is_none() && !page.contains(&key), "shown once only");
    assert_eq!(text_by_id(&page, "key-prefix"), prefix);
    assert_ne!(text_by_id(&page, "key-last-used"), "Never", "its last use is shown");
    assert!(page.contains("Replace key…") && page.contains("Revoke key…"));

    // Replace: a new key, shown once; the old one stops working.
    let res = post_form(&app, "/me/api-key", Some(&cookie), &[("current_password", "correct horse battery")]).await;
    let new_key = shown_key(&res.text().await.unwrap()).expect("the replacement is shown");
    assert_ne!(new_key, key);
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&key), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&new_key), None).await.0, StatusCode::OK);

    // Revoke: gone at once.
    let res = post_form(&app, "/me/api-key/revoke", Some(&cookie), &[]).await;
    let after = flash_after(&app, res, &cookie).await;
    assert!(after.contains("Your API key has been revoked."), "{after}");
    assert!(after.contains("You have no API key."), "{after}");
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&new_key), None).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = app.call(Method::GET, "/api/v1/me/api-key", Some(&new_key), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Revoking again says there is none.
    let res = post_form(&app, "/me/api-key/revoke", Some(&cookie), &[]).await;
    assert!(flash_after(&app, res, &cookie).await.contains("You have no API key."));
}

async fn usage_page_shows_the_plan_and_this_cycles_figures(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    use_berlin_dates(&app, &admin).await;
    for (metric, quantity) in [("minutes", 1234), ("messages", 56), ("groups", 3)] {
        let (status, body) = app
            .call(
                Method::POST,
                "/api/v1/usage",
                Some(&admin.token),
                Some(json!({"user_id": admin.user_id, "metric": metric, "quantity": quantity})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let cookie = page_sign_in(&app, "ana@example.com").await;
    let page = html(&app, "/me/usage", &cookie).await;
    assert_eq!(text_by_id(&page, "plan-name"), "Trial");
    assert_eq!(text_by_id(&page, "plan-status"), "Trial");
    // The account started today, so the cycle did too; shown as Ana reads dates.
    assert_eq!(text_by_id(&page, "cycle-start"), format!("Started {}", berlin_today()));
    assert!(text_by_id(&page, "cycle-next").starts_with("Starts "), "{page}");
    assert_eq!(text_by_id(&page, "usage-minutes"), "1,234");
    assert_eq!(text_by_id(&page, "usage-messages"), "56");
    assert_eq!(text_by_id(&page, "usage-groups"), "3");
    // The figures are those of the API.
    let (_, plan) = app.call(Method::GET, "/api/v1/me/plan", Some(&admin.token), None).await;
    assert_eq!(plan["usage"]["minutes"], 1234);
    let requests: i64 = text_by_id(&page, "usage-api_requests").replace(',', "").parse().unwrap();
    assert!(requests >= 0);
}

async fn notifications_are_saved_with_one_button(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let cookie = page_sign_in(&app, "ana@example.com").await;
    let page = html(&app, "/me/notifications", &cookie).await;
    assert!(page.contains(r#"name="missed_calls" value="on" checked"#), "on by default: {page}");
    assert!(page.contains(r#"name="voicemails" value="on" checked"#));
    assert!(page.contains(r#"<label class="check" for="missed_calls">"#), "labelled");

    // Only voicemails: the unchecked box is absent from the form.
    let res = post_form(&app, "/me/notifications", Some(&cookie), &[("voicemails", "on")]).await;
    let after = flash_after(&app, res, &cookie).await;
    assert!(after.contains("Your notification settings have been saved."), "{after}");
    assert!(after.contains(r#"name="missed_calls" value="on" aria-describedby"#), "unchecked now: {after}");
    assert!(after.contains(r#"name="voicemails" value="on" checked"#));
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert_eq!(me["notifications"], json!({"missed_calls": false, "voicemails": true}));

    // Neither.
    let res = post_form(&app, "/me/notifications", Some(&cookie), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert_eq!(me["notifications"], json!({"missed_calls": false, "voicemails": false}));
}

async fn my_data_downloads_the_export_as_a_dated_file(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    use_berlin_dates(&app, &admin).await;
    let cookie = page_sign_in(&app, "ana@example.com").await;
    let page = html(&app, "/me/data", &cookie).await;
    assert!(page.contains(r#"href="/me/data/export.json""#) && page.contains("Download my data"), "{page}");
    assert!(page.contains("never included"), "says what is left out");

    let res = get(&app, "/me/data/export.json", Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    let today = jiff::Timestamp::now().in_tz("Europe/Berlin").unwrap().strftime("%Y-%m-%d").to_string();
    assert_eq!(
        res.headers()[CONTENT_DISPOSITION].to_str().unwrap(),
        format!("attachment; filename=\"tenantry-my-data-{today}.json\"")
    );
    let data: Value = res.json().await.unwrap();
    let (status, api) = app.call(Method::GET, "/api/v1/me/export", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(data["profile"], api["profile"], "the same document as the API's");
    assert_eq!(data["account"], api["account"]);
    assert_eq!(data["profile"]["email"], "ana@example.com");
    let text = data.to_string();
    assert!(!text.contains("password_hash") && !text.contains("totp_secret"), "no secrets");
}

/// A 6-digit code the server will refuse now (none of the accepted time steps).
fn wrong_code(secret: &[u8]) -> String {
    let now = jiff::Timestamp::now().as_second() as u64;
    let valid: Vec<String> =
        [now - 60, now - 30, now, now + 30, now + 60].iter().map(|t| crate::recovery::rfc6238(secret, *t, 6)).collect();
    (0..).map(|n| format!("{n:06}")).find(|c| !valid.contains(c)).unwrap()
}

async fn a_wrong_setup_code_keeps_the_same_key(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let cookie = page_sign_in(&app, "ana@example.com").await;
    let page = html(&app, "/me/two-step", &cookie).await;
    assert_eq!(text_by_id(&page, "mfa-status"), "Off");

    let res = post_form(&app, "/me/two-step", Some(&cookie), &[("action", "start")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "post/redirect/get");
    assert_eq!(location(&res), "/me/two-step");
    let page = html(&app, "/me/two-step", &cookie).await;
    let secret = text_by_id(&page, "totp-secret");
    assert!(page.contains("<svg"), "the QR code");
    // Coming back shows the same key (the authenticator app already holds it).
    assert_eq!(text_by_id(&html(&app, "/me/two-step", &cookie).await, "totp-secret"), secret);

    let seed = crate::recovery::base32_decode(&secret);
    let wrong = wrong_code(&seed);
    let res = post_form(&app, "/me/two-step", Some(&cookie), &[("action", "confirm"), ("code", &wrong)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert_eq!(text_by_id(&page, "totp-secret"), secret, "the same key after a wrong code");
    assert!(page.contains("<svg"), "the QR code stays");
    let field = page.split("id=\"code\"").nth(1).unwrap();
    assert!(field.contains("id=\"code-error\""), "the error is under the field: {page}");
    assert!(page.contains("Code from the app is wrong or was already used."), "{page}");
    assert!(page.contains(&format!(r#"value="{wrong}""#)), "what was typed is kept");
    assert!(!page.contains(r#"type="hidden" name="secret""#), "the key is not carried in the form");

    let now = jiff::Timestamp::now().as_second() as u64;
    let code = crate::recovery::rfc6238(&seed, now, 6);
    let res = post_form(&app, "/me/two-step", Some(&cookie), &[("action", "confirm"), ("code", &code)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert_eq!(page.matches("<li><code>").count(), 10, "ten recovery codes: {page}");
    assert_eq!(text_by_id(&page, "mfa-status"), "On");
    let (status, body) = app
        .call(Method::POST, "/api/v1/auth/sign-in", None, Some(json!({"email": admin.email, "password": PASSWORD})))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["mfa_required"], true, "sign-in now asks for a code");
    let page = html(&app, "/me/two-step", &cookie).await;
    assert!(!page.contains("totp-secret"), "no key once it is on");
    assert!(page.contains(r#"value="disable""#));
}
