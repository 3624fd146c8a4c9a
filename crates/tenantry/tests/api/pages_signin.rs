//! Sign-in in two steps on the pages (password, then the two-step code on its own page), the
//! styled "Page not found" for browsers, and the Security page keeping what was typed.

use crate::db_tests;
use crate::helpers::*;
use crate::recovery::{base32_decode, rfc6238};
use reqwest::header::{CONTENT_TYPE, SET_COOKIE};
use reqwest::{Method, Response, StatusCode};
use serde_json::json;

db_tests!(
    two_step_sign_in_asks_the_password_once_then_the_code,
    a_pending_two_step_sign_in_expires_and_is_single_use,
    unknown_pages_answer_html_to_browsers_and_problems_to_the_api,
    security_page_keeps_typed_values_and_shows_errors_by_their_fields,
    every_settings_page_has_a_plain_title_and_marks_its_section,
);

const PW: &str = "correct horse battery";

async fn post(app: &TestApp, path: &str, cookies: &str, fields: &[(&str, &str)]) -> Response {
    post_page(app, path, cookies, fields).await
}

async fn get(app: &TestApp, path: &str, cookies: &str) -> Response {
    get_page(app, path, cookies).await
}

fn set_cookie(r: &Response, name: &str) -> Option<String> {
    cookie_value(r, name)
}

/// Turns two-step verification on for the signed-in admin; answers a function giving the current
/// code at the server's clock.
async fn enable_two_step(app: &TestApp, token: &str) -> impl Fn() -> String + use<> {
    let (s, e) = app.call(Method::POST, "/api/v1/me/mfa/totp", Some(token), None).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let seed = base32_decode(e["secret"].as_str().unwrap());
    let offset = app.time_offset.clone();
    let code = move || {
        let now = jiff::Timestamp::now().as_millisecond() + offset.load(std::sync::atomic::Ordering::SeqCst);
        rfc6238(&seed, (now / 1000) as u64, 6)
    };
    let (s, body) =
        app.call(Method::POST, "/api/v1/me/mfa/totp/confirm", Some(token), Some(json!({"code": code()}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // The confirming code's step cannot be used again: move to the next one.
    app.advance(30_000);
    code
}

async fn two_step_sign_in_asks_the_password_once_then_the_code(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let code = enable_two_step(&app, &admin.token).await;

    // Step 1: the password. No session yet; a pending sign-in cookie for the sign-in pages only.
    let r = post(&app, "/signin", "", &[("email", "ana@example.com"), ("password", PW)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/signin/code");
    assert!(set_cookie(&r, "tenantry_session").is_none(), "no session before the code");
    let raw = r.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>();
    let pending = raw.iter().find(|c| c.starts_with("tenantry_signin=")).expect("a pending sign-in cookie");
    assert!(
        pending.contains("HttpOnly") && pending.contains("Path=/signin") && pending.contains("SameSite=Strict"),
        "{pending}"
    );
    let challenge = set_cookie(&r, "tenantry_signin").unwrap();
    assert!(challenge.starts_with("tsc_"), "a random token, not the password: {challenge}");
    let cookies = format!("tenantry_signin={challenge}");

    // Step 2: the code page asks for the code only, and offers a recovery code as a link.
    let page = get(&app, "/signin/code", &cookies).await.text().await.unwrap();
    assert!(page.contains("name=\"code\"") && !page.contains("name=\"password\""), "{page}");
    assert!(page.contains("href=\"/signin/code?recovery=1\""), "a recovery-code link");
    assert!(!page.contains("totp_code"), "no field names shown to people");

    // A wrong code: the same page, the error under the field, still pending.
    let r = post(&app, "/signin/code", &cookies, &[("code", "000000")]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&r, "tenantry_session").is_none());
    let body = r.text().await.unwrap();
    assert!(body.contains("id=\"code-error\"") && body.contains("Code is wrong or was already used."), "{body}");

    // The right code signs in, and the pending sign-in cookie is removed.
    let r = post(&app, "/signin/code", &cookies, &[("code", &code())]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/users");
    let session = set_cookie(&r, "tenantry_session").expect("a session");
    assert_eq!(set_cookie(&r, "tenantry_signin").as_deref(), Some(""), "the pending cookie is cleared");
    let (s, me) = app.call(Method::GET, "/api/v1/me", Some(&session), None).await;
    assert_eq!(s, StatusCode::OK, "{me}");

    // Without a pending sign-in, the code page sends you to sign in.
    let r = get(&app, "/signin/code", "").await;
    assert_eq!((r.status(), location(&r).as_str()), (StatusCode::SEE_OTHER, "/signin"));

    // The API still takes everything at once.
    app.advance(30_000);
    let (s, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "ana@example.com", "password": PW, "totp_code": code()})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

async fn a_pending_two_step_sign_in_expires_and_is_single_use(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let code = enable_two_step(&app, &admin.token).await;
    let begin = || async {
        let r = post(&app, "/signin", "", &[("email", "ana@example.com"), ("password", PW)]).await;
        format!("tenantry_signin={}", set_cookie(&r, "tenantry_signin").unwrap())
    };

    // Used once, the same pending sign-in cannot open a second session.
    let cookies = begin().await;
    let r = post(&app, "/signin/code", &cookies, &[("code", &code())]).await;
    assert!(set_cookie(&r, "tenantry_session").is_some());
    app.advance(30_000);
    let r = post(&app, "/signin/code", &cookies, &[("code", &code())]).await;
    assert_eq!((r.status(), location(&r).as_str()), (StatusCode::SEE_OTHER, "/signin"));
    assert!(set_cookie(&r, "tenantry_session").is_none(), "a spent pending sign-in opens nothing");

    // After five minutes the code is not taken any more: sign in again.
    let cookies = begin().await;
    app.advance(5 * 60_000 + 1_000);
    let r = post(&app, "/signin/code", &cookies, &[("code", &code())]).await;
    assert_eq!((r.status(), location(&r).as_str()), (StatusCode::SEE_OTHER, "/signin"));
    assert!(set_cookie(&r, "tenantry_session").is_none());
    let flash = get(&app, "/signin", &format!("tenantry_flash={}", set_cookie(&r, "tenantry_flash").unwrap())).await;
    assert!(flash.text().await.unwrap().contains("took too long"), "the reason is said");

    // Wrong codes count like wrong passwords: the default policy locks at the 5th failure, and a
    // locked user's pending sign-in is dead, even with the right code.
    let cookies = begin().await;
    for _ in 0..5 {
        let r = post(&app, "/signin/code", &cookies, &[("code", "000000")]).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // The lock ended the admin's own sessions: read the status from the database.
    let db = tenantry_storage::Db::connect(&app.database_url, 1).await.unwrap();
    let mut conn = db.conn().await.unwrap();
    let status: String = sqlx::query_scalar("SELECT status FROM users WHERE id = $1")
        .bind(&admin.user_id)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(status, "locked");
    drop(conn);
    db.close().await;
    app.advance(30_000);
    let r = post(&app, "/signin/code", &cookies, &[("code", &code())]).await;
    assert_eq!((r.status(), location(&r).as_str()), (StatusCode::SEE_OTHER, "/signin"), "locked: back to the start");
    assert!(set_cookie(&r, "tenantry_session").is_none(), "a locked user's pending sign-in is dead");
}

async fn unknown_pages_answer_html_to_browsers_and_problems_to_the_api(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    // A browser, signed out: the styled page.
    let r = get(&app, "/no-such-page", "").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let body = r.text().await.unwrap();
    assert!(body.contains("<h1>Page not found</h1>") && body.contains("href=\"/\""), "{body}");
    // Signed in: under the top bar.
    let body = get(&app, "/no-such-page", &format!("tenantry_session={}", admin.token)).await.text().await.unwrap();
    assert!(body.contains("Page not found") && body.contains("class=\"menu\""), "{body}");
    // The API and clients that do not ask for HTML keep problem documents.
    let r = get(&app, "/api/v1/no-such-thing", "").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("application/problem+json"));
    let r = app.client.get(format!("{}/no-such-page", app.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("application/problem+json"));
}

async fn security_page_keeps_typed_values_and_shows_errors_by_their_fields(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let cookies = format!("tenantry_session={}", admin.token);
    let page = get(&app, "/security", &cookies).await.text().await.unwrap();
    let form = page.split("action=\"/security\"").nth(1).and_then(|f| f.split("</form>").next()).unwrap();
    assert_eq!(form.matches("type=\"submit\"").count(), 1, "one Save for the page");
    assert!(page.contains(">days</span>") && page.contains(">minutes</span>"), "units next to number fields");
    let fields = [
        ("min_length", "12"),
        ("require_digit", "on"),
        ("expiration_days", "90"),
        ("history_count", "3"),
        ("lockout_enabled", "on"),
        ("max_failed_attempts", "42"),
        ("timeout_enabled", "on"),
        ("timeout_minutes", "abc"),
        ("max_age_minutes", "600"),
    ];
    let r = post(&app, "/security", &cookies, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    // Each error sits under its field, in words, and what was typed stays.
    assert!(body.contains("id=\"max_failed_attempts-error\""), "{body}");
    assert!(body.contains("Lock after must be between 3 and 20"), "{body}");
    assert!(body.contains("id=\"timeout_minutes-error\"") && body.contains("Idle timeout must be a whole number"));
    assert!(!body.contains("max_failed_attempts:"), "no raw keys shown");
    assert!(body.contains("value=\"42\"") && body.contains("value=\"abc\"") && body.contains("value=\"90\""));
    assert!(body.contains("id=\"require_digit\" name=\"require_digit\" value=\"on\" checked"));
    // Nothing was saved: one Save is one change.
    let (_, p) = app.call(Method::GET, "/api/v1/security/password-policy", Some(&admin.token), None).await;
    assert_eq!(p["min_length"], 10, "the default, unchanged: {p}");
    // Fixed, everything is saved at once.
    let mut fixed = fields.to_vec();
    fixed.retain(|(k, _)| *k != "max_failed_attempts" && *k != "timeout_minutes");
    fixed.extend([("max_failed_attempts", "7"), ("timeout_minutes", "30")]);
    let r = post(&app, "/security", &cookies, &fixed).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, p) = app.call(Method::GET, "/api/v1/security/password-policy", Some(&admin.token), None).await;
    assert_eq!((p["min_length"].as_u64(), p["expiration_days"].as_u64()), (Some(12), Some(90)), "{p}");
    let (_, l) = app.call(Method::GET, "/api/v1/security/lockout-policy", Some(&admin.token), None).await;
    assert_eq!(l["max_failed_attempts"], 7, "{l}");
    let (_, s) = app.call(Method::GET, "/api/v1/security/session-policy", Some(&admin.token), None).await;
    assert_eq!(s["timeout_minutes"], 30, "{s}");
}

async fn every_settings_page_has_a_plain_title_and_marks_its_section(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (_, member_token) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let pages = [
        ("/users", "Account settings", "Users"),
        ("/account/billing", "Account settings", "Billing"),
        ("/account/billing/sms", "Account settings", "Billing"),
        ("/account/billing/payment-methods", "Account settings", "Billing"),
        ("/account/billing/notifications", "Account settings", "Billing"),
        ("/account/billing/invoices", "Account settings", "Billing"),
        ("/security", "Account settings", "Security"),
        ("/account/settings", "Account settings", "Settings"),
        ("/booking-pages", "Account settings", "Booking pages"),
        ("/account/audit", "Account settings", "Audit log"),
        ("/me", "My settings", "Profile"),
        ("/me/two-step", "My settings", "Password and two-step"),
        ("/me/phone", "My settings", "Phone"),
        ("/me/email", "My settings", "Email"),
        ("/me/notifications", "My settings", "Notifications"),
        ("/me/api-key", "My settings", "API key"),
        ("/me/usage", "My settings", "Plan and usage"),
        ("/me/sessions", "My settings", "Sessions"),
        ("/me/data", "My settings", "My data"),
    ];
    for (path, area, section) in pages {
        let r = get(&app, path, &format!("tenantry_session={}", admin.token)).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let body = r.text().await.unwrap();
        let title = body.split("<title>").nth(1).and_then(|t| t.split("</title>").next()).unwrap();
        assert!(!title.contains('<') && title.ends_with(" · Tenantry"), "{path}: a plain title, got {title:?}");
        let nav = body.split("<nav class=\"sidenav\"").nth(1).and_then(|n| n.split("</nav>").next());
        let nav = nav.unwrap_or_else(|| panic!("{path} shows the section navigation"));
        assert!(nav.contains(&format!("aria-label=\"{area}\"")), "{path}: the {area} navigation");
        let current = format!("aria-current=\"page\">{section}</a>");
        assert!(nav.contains(&current), "{path}: {section} is marked as the current section");
        assert_eq!(nav.matches("aria-current").count(), 1, "{path}: one current section");
    }
    // A Member sees My settings only: no Account settings area, not even around Booking pages.
    let cookies = format!("tenantry_session={member_token}");
    let body = get(&app, "/me", &cookies).await.text().await.unwrap();
    assert!(body.contains("aria-label=\"My settings\"") && !body.contains("href=\"/security\""), "{body}");
    let body = get(&app, "/booking-pages", &cookies).await.text().await.unwrap();
    assert!(!body.contains("aria-label=\"Account settings\""), "no Account settings navigation for a Member");
    assert_eq!(get(&app, "/account/settings", &cookies).await.status(), StatusCode::FORBIDDEN);
}
