//! The lobby's filter and Add user form, sign-up, invitation and My settings pages: every error
//! shown next to its field with the entered values kept, and success messages after redirects.

use super::*;
use crate::db_tests;
use reqwest::header::COOKIE;
use reqwest::{Method, StatusCode};

db_tests!(
    lobby_filters_as_a_page_and_as_an_htmx_fragment,
    add_user_form_invites_and_shows_field_errors,
    signup_page_creates_the_account_and_says_when_closed,
    invitation_page_sets_the_password_and_signs_in,
    my_settings_saves_the_profile_and_shows_errors,
);

async fn lobby_filters_as_a_page_and_as_an_htmx_fragment(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;

    let html = get(&app, "/users?q=BRU", Some(&cookie)).await.text().await.unwrap();
    let table = html.split(r#"<tbody id="users-rows""#).nth(1).expect("the table body");
    assert!(table.contains("Bruno Costa") && table.contains("Invited (Pending)"), "{html}");
    assert!(!table.contains("Admin of Acme"), "the filter narrows the table");
    assert!(html.contains(r#"value="BRU""#), "the filter keeps its value");

    let res = app
        .client
        .get(format!("{}/users?q=example.com", app.url))
        .header(COOKIE, format!("tenantry_session={cookie}"))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["vary"], "HX-Request");
    let fragment = res.text().await.unwrap();
    assert!(fragment.trim_start().starts_with(r#"<tbody id="users-rows""#), "{fragment}");
    assert!(!fragment.contains("<html") && !fragment.contains("Add user"), "only the table body");
    assert!(fragment.contains("Bruno Costa") && fragment.contains("Admin of Acme"));

    let none = get(&app, "/users?q=nobody-here", Some(&cookie)).await.text().await.unwrap();
    assert!(none.contains("No users match “nobody-here”."));
    let res = get(&app, "/users?cursor=garbage!", Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "a bad cursor is a 400 page");
}

async fn add_user_form_invites_and_shows_field_errors(b: Backend) {
    let app = spawn_app(b).await;
    app.signup("Acme", "ana@example.com").await;
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;

    let res = post_form(
        &app,
        "/users",
        Some(&cookie),
        &[("email", "not-an-email"), ("name", "Carla Dias"), ("role", "member")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Email is not a valid email address."), "{html}");
    assert!(
        html.contains(r#"aria-describedby="email-error""#) && html.contains(r#"id="email-error""#),
        "the error is tied to its field"
    );
    assert!(
        html.contains(r#"value="Carla Dias""#) && html.contains(r#"value="not-an-email""#),
        "entered values are kept"
    );
    assert!(html.contains("<details class=\"card add-user\" open>"), "the form stays open to fix it");

    let res = post_form(
        &app,
        "/users",
        Some(&cookie),
        &[("email", "carla@example.com"), ("name", "Carla Dias"), ("role", "member")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/users");
    let flash = set_cookie(&res, "tenantry_flash").expect("success message kept for the next page").to_owned();
    let res = app
        .client
        .get(format!("{}/users", app.url))
        .header(COOKIE, format!("tenantry_session={cookie}; tenantry_flash={}", cookie_value(&flash)))
        .send()
        .await
        .unwrap();
    assert!(set_cookie(&res, "tenantry_flash").is_some_and(|c| c.contains("Max-Age=0")), "the message is shown once");
    let html = res.text().await.unwrap();
    assert!(html.contains("Invitation sent to Carla Dias (carla@example.com)."), "{html}");
    assert!(html.contains("Carla Dias") && html.contains("Invited (Pending)"));
    app.wait_for_mail_to("carla@example.com").await;

    let res = post_form(
        &app,
        "/users",
        Some(&cookie),
        &[("email", "CARLA@example.com"), ("name", "Carla Again"), ("role", "member")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("Email is already taken."));
    let res = post_form(&app, "/users", Some(&cookie), &[("email", ""), ("name", ""), ("role", "owner")]).await;
    let html = res.text().await.unwrap();
    for message in ["Email is required.", "Name is required.", "Role must be one of: administrator, member."] {
        assert!(html.contains(message), "{message} in {html}");
    }
}

async fn signup_page_creates_the_account_and_says_when_closed(b: Backend) {
    let app = spawn_app(b).await;
    let res = post_form(
        &app,
        "/signup",
        None,
        &[("account_name", "Acme"), ("name", "Ana Lima"), ("email", "ana@example.com"), ("password", "short")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Password must be at least 10 characters."), "{html}");
    assert!(html.contains(r#"value="Acme""#) && !html.contains("short\""), "values kept, password not");

    let res = post_form(
        &app,
        "/signup",
        None,
        &[("account_name", "Acme"), ("name", "Ana Lima"), ("email", "ana@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/users");
    let cookie = cookie_value(set_cookie(&res, "tenantry_session").expect("signed in"));
    assert!(get(&app, "/users", Some(&cookie)).await.text().await.unwrap().contains("Ana Lima"));

    let closed = spawn_app_with(b, |c| c.signup = tenantry::config::Signup::Closed).await;
    let res = get(&closed, "/signup", None).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let html = res.text().await.unwrap();
    assert!(html.contains("Sign-up is closed") && !html.contains(r#"name="password""#), "{html}");
    let res = post_form(
        &closed,
        "/signup",
        None,
        &[("account_name", "Acme"), ("name", "Ana Lima"), ("email", "ana@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        !get(&closed, "/signin", None).await.text().await.unwrap().contains("/signup"),
        "no link to a closed sign-up"
    );
}

async fn invitation_page_sets_the_password_and_signs_in(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let token = invitation_token(&app.wait_for_mail_to("bruno@example.com").await);
    let path = format!("/invitations/{token}");

    let html = get(&app, &path, None).await.text().await.unwrap();
    assert!(html.contains("Join Acme") && html.contains("bruno@example.com"), "{html}");
    let res = post_form(&app, &path, None, &[("password", "short")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Password must be at least 10 characters."));

    let res = post_form(&app, &path, None, &[("password", "another good passphrase")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = cookie_value(set_cookie(&res, "tenantry_session").expect("signed in"));
    assert_eq!(location(&get(&app, "/", Some(&cookie)).await), "/me");

    for used_or_unknown in [path.as_str(), "/invitations/tiv_unknown"] {
        let res = get(&app, used_or_unknown, None).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(res.text().await.unwrap().contains("This invitation link no longer works"));
    }
    let res = post_form(&app, &path, None, &[("password", "another good passphrase")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "the link works once");
}

async fn my_settings_saves_the_profile_and_shows_errors(b: Backend) {
    let app = spawn_app(b).await;
    app.signup("Acme", "ana@example.com").await;
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;
    let fields = [
        ("name", "Ana Lima"),
        ("username", "ana.lima"),
        ("timezone", "Europe/Berlin"),
        ("date_format", "DD.MM.YYYY"),
        ("time_format", "12h"),
    ];
    let res = post_form(&app, "/me", Some(&cookie), &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/me");
    let html = get(&app, "/me", Some(&cookie)).await.text().await.unwrap();
    assert!(html.contains(r#"value="Ana Lima""#) && html.contains(r#"value="ana.lima""#), "{html}");
    assert!(
        html.contains("<option selected>Europe/Berlin</option>")
            && html.contains("<option selected>DD.MM.YYYY</option>")
    );
    assert!(html.contains(r#"value="12h" checked"#));

    let res = post_form(
        &app,
        "/me",
        Some(&cookie),
        &[
            ("name", ""),
            ("username", "x"),
            ("timezone", "Mars/Olympus"),
            ("date_format", "DD.MM.YYYY"),
            ("time_format", "12h"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    for message in
        ["Name is required.", "Username must be 3 to 32 characters.", "Time zone is not a known IANA time zone"]
    {
        assert!(html.contains(message), "{message} in {html}");
    }
    assert!(html.contains(r#"value="x""#), "entered values are kept");
    // An empty username clears it.
    let res = post_form(
        &app,
        "/me",
        Some(&cookie),
        &[
            ("name", "Ana Lima"),
            ("username", ""),
            ("timezone", "UTC"),
            ("date_format", "YYYY-MM-DD"),
            ("time_format", "24h"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&cookie), None).await;
    assert!(me["username"].is_null());
}
