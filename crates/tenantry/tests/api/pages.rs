//! The server-rendered pages over HTTP: the cookie session, CSRF protection and access rules here;
//! the Users lobby (page and htmx fragment) and the forms' messages in [`forms`].

use crate::db_tests;
use crate::helpers::*;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, Response, StatusCode};

mod forms;

db_tests!(
    sign_in_sets_an_http_only_session_cookie,
    wrong_credentials_show_the_form_again_without_the_password,
    cross_site_form_posts_are_refused,
    anonymous_pages_redirect_to_sign_in,
    members_get_403_on_the_users_lobby,
    sign_out_ends_the_session_and_clears_the_cookie,
);

const PASSWORD: &str = "correct horse battery";

fn form_body(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
}

/// Posts a URL-encoded form as a same-origin browser would, with the session cookie if given.
async fn post_form(app: &TestApp, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Response {
    let mut req = app
        .client
        .post(format!("{}{path}", app.url))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(form_body(fields));
    if let Some(c) = cookie {
        req = req.header(COOKIE, format!("tenantry_session={c}"));
    }
    req.send().await.expect("form posted")
}

async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> Response {
    let mut req = app.client.get(format!("{}{path}", app.url));
    if let Some(c) = cookie {
        req = req.header(COOKIE, format!("tenantry_session={c}"));
    }
    req.send().await.expect("page fetched")
}

fn location(res: &Response) -> &str {
    res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The `Set-Cookie` header that sets `name`.
fn set_cookie<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
}

fn cookie_value(header: &str) -> String {
    header.split(';').next().and_then(|kv| kv.split_once('=')).map(|(_, v)| v.to_owned()).unwrap_or_default()
}

/// Signs in through the page and answers the session cookie's value.
async fn page_sign_in(app: &TestApp, email: &str, password: &str) -> String {
    let res = post_form(app, "/signin", None, &[("email", email), ("password", password)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    cookie_value(set_cookie(&res, "tenantry_session").expect("session cookie set"))
}

async fn sign_in_sets_an_http_only_session_cookie(b: Backend) {
    let app = spawn_app(b).await;
    app.signup("Acme", "ana@example.com").await;

    let page = get(&app, "/signin", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<script src="/assets/vendor/htmx/htmx.min.js""#), "htmx is served locally");
    assert!(!html.contains("<script>"), "no inline script (the CSP forbids it)");

    let res = post_form(&app, "/signin", None, &[("email", "ana@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/users", "Administrators land on the Users lobby");
    let cookie = set_cookie(&res, "tenantry_session").expect("session cookie").to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(cookie.contains("Max-Age="), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain-HTTP installations cannot use Secure cookies: {cookie}");
    let token = cookie_value(&cookie);
    assert!(token.starts_with("tss_"));

    let lobby = get(&app, "/users", Some(&token)).await;
    assert_eq!(lobby.status(), StatusCode::OK);
    assert_eq!(lobby.headers()["cache-control"], "no-store");
    let html = lobby.text().await.unwrap();
    assert!(html.contains("Admin of Acme") && html.contains("Has signed in"), "{html}");

    // Secure is set when the installation is served over HTTPS.
    let https = spawn_app_with(b, |c| c.public_url = Some("https://tenantry.example".to_owned())).await;
    https.signup("Beta", "bea@example.com").await;
    let res = post_form(&https, "/signin", None, &[("email", "bea@example.com"), ("password", PASSWORD)]).await;
    assert!(set_cookie(&res, "tenantry_session").is_some_and(|c| c.contains("Secure")));
}

async fn wrong_credentials_show_the_form_again_without_the_password(b: Backend) {
    let app = spawn_app(b).await;
    app.signup("Acme", "ana@example.com").await;
    let res = post_form(&app, "/signin", None, &[("email", "ana@example.com"), ("password", "not the password")]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&res, "tenantry_session").is_none());
    let html = res.text().await.unwrap();
    assert!(html.contains("The email or password is incorrect."), "{html}");
    assert!(html.contains(r#"value="ana@example.com""#), "the email is kept");
    assert!(!html.contains("not the password"), "the password is never echoed");
}

async fn cross_site_form_posts_are_refused(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;
    let body = form_body(&[("email", "eve@example.com"), ("name", "Eve"), ("role", "administrator")]);
    let cross = |fetch_site: Option<&str>, origin: Option<&str>| {
        let mut req = app
            .client
            .post(format!("{}/users", app.url))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(COOKIE, format!("tenantry_session={cookie}"))
            .body(body.clone());
        if let Some(s) = fetch_site {
            req = req.header("sec-fetch-site", s);
        }
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    let res = cross(Some("cross-site"), None).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("sent from another site"));
    let res = cross(None, Some("http://evil.example")).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "old browsers: a foreign Origin is refused too");
    let res = post_form(&app, "/signout", Some(&cookie), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "a same-origin post passes");

    let (_, users) = app.call(Method::GET, "/api/v1/users", Some(&admin.token), None).await;
    assert_eq!(users["data"].as_array().unwrap().len(), 1, "the forged invitation was not sent");
    // The API authenticates with bearer tokens, which a browser never adds by itself: not CSRF-checked.
    let res = app
        .client
        .get(format!("{}/api/v1/me", app.url))
        .bearer_auth(&admin.token)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

async fn anonymous_pages_redirect_to_sign_in(b: Backend) {
    let app = spawn_app(b).await;
    for path in ["/", "/users", "/me"] {
        let res = get(&app, path, None).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&res), "/signin", "{path}");
    }
    let res = get(&app, "/users", Some("tss_not_a_real_session")).await;
    assert_eq!(location(&res), "/signin", "an unknown session counts as anonymous");
    // htmx follows redirects inside the page; it is told to navigate instead.
    let res = app.client.get(format!("{}/users?q=a", app.url)).header("hx-request", "true").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["hx-redirect"], "/signin");
}

async fn members_get_403_on_the_users_lobby(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.invite_and_activate(&admin, "max@example.com", "Max Moser", "member").await;
    let res =
        post_form(&app, "/signin", None, &[("email", "max@example.com"), ("password", "another good passphrase")])
            .await;
    assert_eq!(location(&res), "/me", "Members land on their settings");
    let cookie = cookie_value(set_cookie(&res, "tenantry_session").unwrap());

    let res = get(&app, "/users", Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let html = res.text().await.unwrap();
    assert!(html.contains("You do not have access to this page"), "{html}");
    assert!(
        html.contains("My settings") && !html.contains("Account settings"),
        "the menu offers Members only their own settings"
    );
    let res =
        post_form(&app, "/users", Some(&cookie), &[("email", "x@example.com"), ("name", "X"), ("role", "member")])
            .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    assert_eq!(location(&get(&app, "/", Some(&cookie)).await), "/me");
    let res = get(&app, "/me", Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Max Moser"));
}

async fn sign_out_ends_the_session_and_clears_the_cookie(b: Backend) {
    let app = spawn_app(b).await;
    app.signup("Acme", "ana@example.com").await;
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;
    let res = post_form(&app, "/signout", Some(&cookie), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/signin");
    assert!(set_cookie(&res, "tenantry_session").is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(location(&get(&app, "/users", Some(&cookie)).await), "/signin", "the session is gone on the server too");
}
