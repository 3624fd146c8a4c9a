//! Managing other users over HTTP, through the API and the pages: nobody demotes or deletes
//! themselves (`rule: "self"`); the user page's access actions (resend and revoke the invitation,
//! send a password reset, sign out everywhere); inviting with licenses from the lobby; choosing
//! who inherits the booking pages of a deleted user; license notices inside the licenses card.

use crate::db_tests;
use crate::helpers::*;
use crate::licenses::{license, set_subscription, spawn_with_operator};
use reqwest::header::{CONTENT_TYPE, COOKIE};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

db_tests!(
    administrators_cannot_demote_or_delete_themselves,
    invitations_are_resent_and_revoked_from_the_user_page,
    password_reset_and_sign_out_everywhere_from_the_user_page,
    inviting_from_the_lobby_assigns_licenses_all_or_nothing,
    deleting_a_user_gives_their_booking_pages_to_the_chosen_user,
    license_notices_show_inside_the_licenses_card,
);

const PASSWORD: &str = "correct horse battery";

async fn post_form(app: &TestApp, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Response {
    post_page(app, path, &session_cookie(cookie), fields).await
}

/// Loads a page with the session cookie (and a flash cookie when one was left).
async fn get_page_with(app: &TestApp, path: &str, cookie: &str, flash: Option<&str>) -> (StatusCode, String) {
    let mut cookies = session_cookie(cookie);
    if let Some(f) = flash {
        cookies.push_str(&format!("; {f}"));
    }
    let res = get_page(app, path, &cookies).await;
    let status = res.status();
    (status, res.text().await.expect("html"))
}

fn flash_cookie(res: &Response) -> Option<String> {
    cookie_value(res, "tenantry_flash").map(|v| format!("tenantry_flash={v}"))
}

/// Follows a form's 303 as the browser would, flash included, and answers the page.
async fn follow(app: &TestApp, res: Response, cookie: &str) -> String {
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap_or_default());
    let to = location(&res);
    let path = to.split('#').next().unwrap_or_default().to_owned();
    let (status, html) = get_page_with(app, &path, cookie, flash_cookie(&res).as_deref()).await;
    assert_eq!(status, StatusCode::OK);
    html
}

/// The HTML from the element with `id` on, up to the end of the section it is in.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let marker = format!(r#"id="{id}""#);
    let start = html.find(&marker).unwrap_or_else(|| panic!("no #{id} in:\n{html}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

fn rule(body: &Value) -> Option<&str> {
    body["rule"].as_str()
}

/// Milliseconds of an RFC 3339 time from the API.
fn ms(rfc3339: &Value) -> i64 {
    rfc3339.as_str().expect("a time").parse::<jiff::Timestamp>().expect("RFC 3339").as_millisecond()
}

async fn audit_count(app: &TestApp, token: &str, action: &str) -> usize {
    let (status, log) =
        app.call(Method::GET, &format!("/api/v1/audit-events?action={action}"), Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    log["data"].as_array().expect("events").len()
}

async fn administrators_cannot_demote_or_delete_themselves(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (carla, carla_token) =
        app.invite_and_activate(&admin, "carla@example.com", "Carla Dias", "administrator").await;
    let me = format!("/api/v1/users/{}", admin.user_id);

    // Through the API: refused with the rule named, even though another Administrator remains.
    let (status, body) = app.call(Method::PATCH, &me, Some(&admin.token), Some(json!({"role": "member"}))).await;
    assert_eq!((status, rule(&body)), (StatusCode::CONFLICT, Some("self")), "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("another Administrator")), "{body}");
    for path in [me.clone(), format!("{me}?dry_run=true")] {
        let (status, body) = app.call(Method::DELETE, &path, Some(&admin.token), None).await;
        assert_eq!((status, rule(&body)), (StatusCode::CONFLICT, Some("self")), "{path}: {body}");
    }
    let (_, still) = app.call(Method::GET, &me, Some(&admin.token), None).await;
    assert_eq!(still["role"], "administrator", "nothing changed");
    // Other changes to one's own record still go through, and the role may be sent unchanged.
    let (status, body) = app
        .call(Method::PATCH, &me, Some(&admin.token), Some(json!({"name": "Ana Lima", "role": "administrator"})))
        .await;
    assert_eq!((status, body["name"].as_str()), (StatusCode::OK, Some("Ana Lima")), "{body}");

    // The page offers neither: the role is text with the reason, and there is no delete card.
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;
    let (status, html) = get_page_with(&app, &format!("/users/{}", admin.user_id), &cookie, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains(r#"<select id="role""#), "no role select on one's own page");
    assert!(unescape(section(&html, "own-role")).contains("You cannot change your own role"), "{html}");
    assert!(!html.contains(r#"id="delete-title""#) && !html.contains("/delete\""), "no delete card on one's own page");
    assert!(!html.contains("/sign-out\"") && !html.contains("/password-reset\""), "no access actions for oneself");
    // Saving one's own details without a role keeps it; a forged role is refused on the form.
    let own = format!("/users/{}", admin.user_id);
    let fields = [("name", "Ana Lima"), ("timezone", "UTC"), ("date_format", "YYYY-MM-DD"), ("time_format", "24h")];
    let res = post_form(&app, &own, &cookie, &fields).await;
    assert!(follow(&app, res, &cookie).await.contains("Saved Ana Lima."));
    let mut forged = fields.to_vec();
    forged.push(("role", "member"));
    let res = post_form(&app, &own, &cookie, &forged).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        unescape(&res.text().await.unwrap()).contains("You cannot demote yourself: another Administrator must do it.")
    );

    // Another Administrator's page offers both.
    let (_, html) = get_page_with(&app, &format!("/users/{carla}"), &cookie, None).await;
    assert!(html.contains(r#"<select id="role""#) && html.contains(r#"id="delete-title""#));

    // Carla may demote Ana; Ana's rights end at once.
    let (status, _) = app.call(Method::PATCH, &me, Some(&carla_token), Some(json!({"role": "member"}))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.call(Method::GET, "/api/v1/users", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn invitations_are_resent_and_revoked_from_the_user_page(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    // Ana reads dates as DD.MM.YYYY on a 12-hour clock in New York.
    let prefs = json!({"timezone": "America/New_York", "date_format": "DD.MM.YYYY", "time_format": "12h"});
    let (status, _) = app.call(Method::PATCH, "/api/v1/me", Some(&admin.token), Some(prefs)).await;
    assert_eq!(status, StatusCode::OK);
    let local = tenantry_domain::time::LocalTime::new(
        &tenantry_domain::TimeZoneName::parse("America/New_York").unwrap(),
        tenantry_domain::DateFormat::Dotted,
        tenantry_domain::TimeFormat::H12,
    );
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let first = invitation_token(&app.wait_for_mail_to("bruno@example.com").await);
    let (_, invitation) = app.call(Method::GET, &format!("/api/v1/invitations/{first}"), None, None).await;
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;

    // The user page shows when the link expires, as Ana reads dates.
    let page = format!("/users/{bruno}");
    let (_, html) = get_page_with(&app, &page, &cookie, None).await;
    let expires = local.date_time(ms(&invitation["expires_at"]));
    assert!(expires.contains("PM") || expires.contains("AM"), "{expires}");
    let state = section(&html, "access");
    assert!(state.contains(&format!(r#"id="invitation-expires">{expires}</time>"#)), "{state}");
    assert!(state.contains("Resend invitation") && state.contains("Revoke"), "{state}");
    assert!(!state.contains("/unlock\"") && !state.contains("/password-reset\""), "only what fits an invitation");
    let (_, user) = app.call(Method::GET, &format!("/api/v1/users/{bruno}"), Some(&admin.token), None).await;
    assert!(html.contains(&local.date_time(ms(&user["created_at"]))), "the creation date in Ana's format");
    assert!(section(&html, "last-sign-in").contains("Never"));

    // Resend: a new link arrives and the old one stops working.
    let res = post_form(&app, &format!("{page}/invitation"), &cookie, &[]).await;
    assert_eq!(location(&res), page);
    let html = follow(&app, res, &cookie).await;
    assert!(html.contains("A new invitation is on its way to bruno@example.com."), "{html}");
    let second = wait_for_second_link(&app, "bruno@example.com", &first).await;
    assert_eq!(
        app.call(Method::GET, &format!("/api/v1/invitations/{first}"), None, None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.call(Method::GET, &format!("/api/v1/invitations/{second}"), None, None).await.0, StatusCode::OK);
    assert_eq!(audit_count(&app, &admin.token, "user.invitation_resent").await, 1);

    // Revoke: the link stops working and Bruno is gone.
    let res = post_form(&app, &format!("{page}/invitation/revoke"), &cookie, &[]).await;
    assert_eq!(location(&res), "/users");
    let html = follow(&app, res, &cookie).await;
    assert!(
        unescape(&html)
            .contains("Revoked the invitation of Bruno Costa (bruno@example.com): their link no longer works."),
        "{html}"
    );
    assert!(!section(&html, "users-rows").contains("Bruno Costa"));
    assert_eq!(
        app.call(Method::GET, &format!("/api/v1/invitations/{second}"), None, None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call(Method::GET, &format!("/api/v1/users/{bruno}"), Some(&admin.token), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(audit_count(&app, &admin.token, "user.invitation_revoked").await, 1);

    // Someone who accepted cannot have their invitation resent or revoked: said on the page.
    let (carla, _) = app.invite_and_activate(&admin, "carla@example.com", "Carla Dias", "member").await;
    for action in ["invitation", "invitation/revoke"] {
        let res = post_form(&app, &format!("/users/{carla}/{action}"), &cookie, &[]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{action}");
        let html = res.text().await.unwrap();
        let alert = section(&html, "access");
        assert!(alert.contains("alert-error") && alert.contains("already accepted"), "{action}: {alert}");
    }
    // The API revokes too.
    let dan = app.invite(&admin, "dan@example.com", "Dan Reis", "member").await;
    let (status, _) =
        app.call(Method::DELETE, &format!("/api/v1/users/{dan}/invitation"), Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) =
        app.call(Method::DELETE, &format!("/api/v1/users/{carla}/invitation"), Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, html) = get_page_with(&app, &format!("/users/{carla}"), &cookie, None).await;
    let (_, user) = app.call(Method::GET, &format!("/api/v1/users/{carla}"), Some(&admin.token), None).await;
    let signed_in = local.date_time(ms(&user["last_sign_in_at"]));
    assert!(section(&html, "last-sign-in").contains(&signed_in), "last sign-in in Ana's format: {signed_in}");
}

/// The invitation link in the newest email to `to` that is not `old`.
async fn wait_for_second_link(app: &TestApp, to: &str, old: &str) -> String {
    for _ in 0..200 {
        if let Some(token) = app
            .mail_files()
            .iter()
            .filter(|m| m.contains(to) && m.contains("/invitations/"))
            .map(|m| invitation_token(m))
            .find(|t| t != old)
        {
            return token;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no second invitation to {to}");
}

/// The body of an SMTP message to `to` holding `marker`.
async fn password_reset_and_sign_out_everywhere_from_the_user_page(b: Backend) {
    let smtp = SmtpServer::start();
    let app = spawn_app_with(b, |c| c.smtp_url = Some(smtp.url().into())).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;
    let page = format!("/users/{bruno}");

    // Not before they have accepted their invitation.
    let res = post_form(&app, &format!("{page}/password-reset"), &cookie, &[]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(section(&res.text().await.unwrap(), "access").contains("has not accepted their invitation yet"));

    let invitation = smtp.wait_for_one("bruno@example.com", "/invitations/").await.data;
    let token = invitation_token(&invitation);
    let bruno_token = app.accept_invitation(&token, "another good passphrase").await;
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&bruno_token), None).await.0, StatusCode::OK);

    // The page offers both actions once Bruno has signed in.
    let (_, html) = get_page_with(&app, &page, &cookie, None).await;
    let access = section(&html, "access");
    assert!(access.contains("Send reset link") && access.contains("Sign out everywhere"), "{access}");
    assert!(!access.contains("Resend invitation"));

    // Sign out everywhere: Bruno's session token stops working at once.
    let res = post_form(&app, &format!("{page}/sign-out"), &cookie, &[]).await;
    let html = follow(&app, res, &cookie).await;
    assert!(html.contains("Signed Bruno Costa out everywhere"), "{html}");
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&bruno_token), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(audit_count(&app, &admin.token, "user.signed_out_everywhere").await, 1);

    // Send password reset: the link arrives over SMTP and sets a new password.
    let res = post_form(&app, &format!("{page}/password-reset"), &cookie, &[]).await;
    let html = follow(&app, res, &cookie).await;
    assert!(html.contains("A password reset link is on its way to bruno@example.com."), "{html}");
    let mail = smtp.wait_for_one("bruno@example.com", "/password-reset/").await.data;
    assert!(mail.contains("Subject: Reset your Tenantry password"), "{mail}");
    let code = link_token(&mail, "/password-reset/");
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            None,
            Some(json!({"email": "bruno@example.com", "code": code, "new_password": "a brand new passphrase"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/sign-in",
            None,
            Some(json!({"email": "bruno@example.com", "password": "a brand new passphrase"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(audit_count(&app, &admin.token, "password.reset_sent").await, 1);
}

async fn inviting_from_the_lobby_assigns_licenses_all_or_nothing(b: Backend) {
    let app = spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, _) = set_subscription(
        &app,
        &admin.account_id,
        json!({"plan": "team", "status": "trial", "seats": {"scheduling": 2, "chat": 1, "voice": 0}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;

    // The form offers each product by name, with its free seats.
    let (_, html) = get_page_with(&app, "/users", &cookie, None).await;
    assert!(html.contains(r#"name="licenses" value="chat""#) && html.contains("> Live chat <"), "{html}");
    assert!(html.contains("1 of 1 free") && html.contains("no free seat"), "{html}");

    let res = post_form(
        &app,
        "/users",
        &cookie,
        &[
            ("email", "bruno@example.com"),
            ("name", "Bruno Costa"),
            ("role", "member"),
            ("licenses", "scheduling"),
            ("licenses", "chat"),
        ],
    )
    .await;
    let html = follow(&app, res, &cookie).await;
    assert!(html.contains("Invitation sent to Bruno Costa (bruno@example.com). Licenses: Scheduling, Live chat."));
    let row = section(&html, "users-rows");
    assert!(row.contains(r#"<span class="chip chip-license">Live chat</span>"#), "display names in the lobby: {row}");
    assert!(!row.contains(r#"chip-license">chat<"#) && !row.contains(r#"chip-license">scheduling<"#));
    let (_, sub) = app.call(Method::GET, "/api/v1/billing/subscription", Some(&admin.token), None).await;
    assert_eq!(sub["seats"]["chat"], json!({"purchased": 1, "assigned": 1}));
    assert_eq!(sub["seats"]["scheduling"], json!({"purchased": 2, "assigned": 1}));

    // No Live chat seat left: the error is next to the licenses, what was typed is kept, and
    // nobody is created (not even with the Scheduling license that had a seat).
    let res = post_form(
        &app,
        "/users",
        &cookie,
        &[
            ("email", "carla@example.com"),
            ("name", "Carla Dias"),
            ("role", "member"),
            ("licenses", "scheduling"),
            ("licenses", "chat"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.unwrap();
    let error = &html[html.find(r#"id="licenses-error""#).expect("an error next to the licenses")..];
    assert!(error.contains("No free Live chat seat: all 1 purchased seats are assigned (0 free)"), "{error}");
    assert!(html.contains(r#"value="carla@example.com""#) && html.contains(r#"value="Carla Dias""#));
    assert!(html.contains(r#"value="chat" checked"#) && html.contains(r#"value="scheduling" checked"#));
    assert!(html.contains("<details class=\"card add-user\" open>"));
    let (_, none) = app.call(Method::GET, "/api/v1/users?q=carla", Some(&admin.token), None).await;
    assert!(none["data"].as_array().unwrap().is_empty(), "nothing created");
    let (_, sub) = app.call(Method::GET, "/api/v1/billing/subscription", Some(&admin.token), None).await;
    assert_eq!(sub["seats"]["scheduling"], json!({"purchased": 2, "assigned": 1}), "no seat taken");
    // An unknown product is named next to the field too.
    let res = post_form(
        &app,
        "/users",
        &cookie,
        &[("email", "dan@example.com"), ("name", "Dan"), ("role", "member"), ("licenses", "fax")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        unescape(&html[html.find(r#"id="licenses-error""#).expect("error")..]).contains("\"fax\" is not a product")
    );
}

async fn deleting_a_user_gives_their_booking_pages_to_the_chosen_user(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let carla = app.invite(&admin, "carla@example.com", "Carla Dias", "member").await;
    let dan = app.invite(&admin, "dan@example.com", "Dan Reis", "member").await;
    for user in [&bruno, &carla, &dan] {
        assert_eq!(license(&app, &admin.token, Method::PUT, user, "scheduling").await.0, StatusCode::OK);
    }
    for (owner, slug) in [(&bruno, "bruno-intro"), (&bruno, "bruno-demo"), (&dan, "dan-call")] {
        let page = json!({"name": format!("Meet {slug}"), "slug": slug, "owner_id": owner, "enabled": true});
        let (status, body) = app.call(Method::POST, "/api/v1/booking-pages", Some(&admin.token), Some(page)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let owners = |pages: &Value| -> Vec<(String, String, bool)> {
        let mut o: Vec<_> = pages["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["slug"].as_str().unwrap().to_owned(),
                    p["owner_id"].as_str().unwrap().to_owned(),
                    p["enabled"] == true,
                )
            })
            .collect();
        o.sort();
        o
    };

    // The API checks the new owner, and a dry run names them.
    let del = |id: &str, q: &str| format!("/api/v1/users/{id}?{q}");
    for (q, why) in [
        (format!("transfer_to={bruno}"), "another user than the one deleted"),
        ("transfer_to=usr_nobody".to_owned(), "is not a user of this account"),
    ] {
        let (status, body) = app.call(Method::DELETE, &del(&bruno, &q), Some(&admin.token), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {body}");
        assert_eq!(body["errors"][0]["field"], "transfer_to");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(why), "{body}");
    }
    let other = app.signup("Other", "olga@example.com").await;
    let (status, _) = app
        .call(
            Method::DELETE,
            &del(&bruno, &format!("transfer_to={}&dry_run=true", other.user_id)),
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "another account's user is not a user of this one");
    let (status, plan) = app
        .call(Method::DELETE, &del(&dan, &format!("transfer_to={carla}&dry_run=true")), Some(&admin.token), None)
        .await;
    assert_eq!((status, plan["transfer_to"]["id"].as_str()), (StatusCode::OK, Some(carla.as_str())), "{plan}");
    let (status, _) =
        app.call(Method::DELETE, &del(&dan, &format!("transfer_to={carla}")), Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, pages) = app.call(Method::GET, "/api/v1/booking-pages", Some(&admin.token), None).await;
    assert!(owners(&pages).contains(&("dan-call".to_owned(), carla.clone(), true)), "{pages}");

    // The page: the delete card says how many pages move and offers the other users, Ana first chosen.
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;
    let (_, html) = get_page_with(&app, &format!("/users/{bruno}"), &cookie, None).await;
    let card = unescape(section(&html, "delete"));
    assert!(card.contains("move their 2 booking pages"), "{card}");
    assert!(card.contains(&format!(r#"<option value="{}" selected>Admin of Acme (ana@example.com) — no Scheduling license: the pages arrive switched off</option>"#, admin.user_id)), "{card}");
    assert!(card.contains(&format!(r#"<option value="{carla}">Carla Dias (carla@example.com)</option>"#)), "{card}");
    assert!(!card.contains(&format!(r#"<option value="{bruno}""#)), "not the user being deleted");

    // A forged choice is refused in the card; then Carla receives both pages, still switched on.
    let res = post_form(&app, &format!("/users/{bruno}/delete"), &cookie, &[("transfer_to", "usr_nobody")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(section(&html, "delete").contains("The new owner is not a user of this account."), "{html}");
    let res = post_form(&app, &format!("/users/{bruno}/delete"), &cookie, &[("transfer_to", carla.as_str())]).await;
    assert_eq!(location(&res), "/users");
    let html = follow(&app, res, &cookie).await;
    assert!(
        html.contains("Deleted Bruno Costa (bruno@example.com). Their 2 booking pages now belong to Carla Dias."),
        "{html}"
    );
    let (_, pages) = app.call(Method::GET, "/api/v1/booking-pages", Some(&admin.token), None).await;
    assert_eq!(
        owners(&pages),
        [
            ("bruno-demo".to_owned(), carla.clone(), true),
            ("bruno-intro".to_owned(), carla.clone(), true),
            ("dan-call".to_owned(), carla.clone(), true)
        ],
        "{pages}"
    );
    assert_eq!(audit_count(&app, &admin.token, "booking_page.transferred").await, 3);
}

async fn license_notices_show_inside_the_licenses_card(b: Backend) {
    let app = spawn_with_operator(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, _) =
        set_subscription(&app, &admin.account_id, json!({"plan": "team", "status": "trial", "seats": {"chat": 1}}))
            .await;
    assert_eq!(status, StatusCode::OK);
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let carla = app.invite(&admin, "carla@example.com", "Carla Dias", "member").await;
    let cookie = page_sign_in(&app, "ana@example.com", PASSWORD).await;

    // Without script: back to the card, with the notice inside it (not at the top of the page).
    let res = post_form(&app, &format!("/users/{bruno}/licenses/chat"), &cookie, &[("action", "assign")]).await;
    assert_eq!(location(&res), format!("/users/{bruno}?notice=licenses#licenses"));
    let html = follow(&app, res, &cookie).await;
    let card = section(&html, "licenses");
    assert!(
        card.contains(r#"class="alert alert-success""#) && card.contains("Live chat license assigned to Bruno Costa."),
        "{card}"
    );
    assert!(card.contains("1 of 1 seats assigned · 0 free"));
    assert_eq!(html.matches("Live chat license assigned").count(), 1, "shown once, in the card");
    // Without script, a form's answer opens at the card.
    assert!(card.contains(&format!(r#"action="/users/{bruno}/licenses/chat#licenses""#)), "{card}");

    // A refusal: the same page, the reason inside the card, named by the product's display name.
    let res = post_form(&app, &format!("/users/{carla}/licenses/chat"), &cookie, &[("action", "assign")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.unwrap();
    let card = section(&html, "licenses");
    assert!(card.contains(r#"class="alert alert-error""#) && card.contains("No free Live chat seat"), "{card}");
    assert!(card.contains(&format!(r#"action="/users/{carla}/licenses/chat#licenses""#)), "{card}");

    // With htmx: only the card comes back, and the delete card out of band (its summary lists licenses).
    let res = htmx_license(&app, &cookie, &bruno, "unassign").await;
    assert_eq!(res.status(), StatusCode::OK);
    let fragment = res.text().await.unwrap();
    assert!(fragment.trim_start().starts_with(r#"<section class="card card-form" id="licenses""#), "{fragment}");
    assert!(!fragment.contains("<html"), "a fragment");
    assert!(section(&fragment, "licenses").contains("Live chat license unassigned from Bruno Costa."));
    assert!(fragment.contains(r#"id="delete" aria-labelledby="delete-title" hx-swap-oob="true""#), "{fragment}");
    assert!(section(&fragment, "delete").contains("free no license."), "the summary follows the change");
    let res = htmx_license(&app, &cookie, &carla, "assign").await;
    assert!(section(&res.text().await.unwrap(), "licenses").contains("Live chat license assigned to Carla Dias."));
    let res = htmx_license(&app, &cookie, &bruno, "assign").await;
    assert_eq!(res.status(), StatusCode::OK, "htmx swaps only 2xx answers: a refusal is a 200 fragment");
    let fragment = res.text().await.unwrap();
    assert!(section(&fragment, "licenses").contains("No free Live chat seat"), "{fragment}");
    assert!(section(&fragment, "delete").contains("free no license."));
}

/// Assigns or unassigns the Live chat license as htmx does from the card.
async fn htmx_license(app: &TestApp, cookie: &str, user: &str, action: &str) -> Response {
    app.client
        .post(format!("{}/users/{user}/licenses/chat", app.url))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .header("hx-request", "true")
        .header(COOKIE, format!("tenantry_session={cookie}"))
        .body(format!("action={action}"))
        .send()
        .await
        .expect("htmx request")
}
