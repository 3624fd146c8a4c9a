//! Account settings › Contact fields and Chatbot and form privacy as pages, and the Upgrade and
//! Talk to sales links of My settings › Plan and usage: forms that work without script, errors
//! next to their fields with what was typed kept, notices after saving, Members refused.

use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

db_tests!(
    contact_fields_page_adds_moves_edits_and_deletes_fields,
    members_are_refused_contact_fields_and_privacy_pages,
    privacy_page_saves_both_policies_and_shows_the_public_address,
    plan_and_usage_links_to_upgrade_and_sales_only_when_configured,
);

const PASSWORD: &str = "correct horse battery";

async fn html(app: &TestApp, path: &str, cookies: &str) -> String {
    let res = get_page(app, path, cookies).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

/// Follows a post/redirect/get: the page the redirect names, with the notice it left.
async fn follow(app: &TestApp, res: Response, cookie: &str) -> String {
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = location(&res);
    let flash = cookie_value(&res, "tenantry_flash").map(|v| format!("; tenantry_flash={v}")).unwrap_or_default();
    html(app, to.split('#').next().unwrap(), &format!("{cookie}{flash}")).await
}

/// The part of `page` from the element with `id` to the end of its block.
fn around<'a>(page: &'a str, marker: &str, end: &str) -> &'a str {
    page.split(marker).nth(1).unwrap_or_else(|| panic!("{marker} in the page")).split(end).next().unwrap()
}

async fn api_keys(app: &TestApp, token: &str) -> Vec<String> {
    let (_, body) = app.call(Method::GET, "/api/v1/contact-fields", Some(token), None).await;
    body["data"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap().to_owned()).collect()
}

async fn api_field(app: &TestApp, token: &str, key: &str) -> Value {
    let (_, body) = app.call(Method::GET, "/api/v1/contact-fields", Some(token), None).await;
    body["data"].as_array().unwrap().iter().find(|f| f["key"] == key).cloned().unwrap_or(Value::Null)
}

async fn contact_fields_page_adds_moves_edits_and_deletes_fields(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let cookie = session_cookie(&page_sign_in(&app, "ana@example.com", PASSWORD).await);
    let path = "/account/contact-fields";

    let page = html(&app, path, &cookie).await;
    assert!(page.contains(r#"<a href="/account/contact-fields" aria-current="page">Contact fields</a>"#), "{page}");
    assert_eq!(page.matches(">Built-in</span>").count(), 4, "the built-in fields, read-only");
    for label in ["First name", "Last name", "Email", "Phone"] {
        assert!(page.contains(label), "{label}");
    }
    assert!(page.contains(r#"id="no-custom-fields""#), "the empty state says what to do");
    assert!(page.contains(r#"<option value="single_choice" data-has-options>Single choice</option>"#), "{page}");

    // Refused: errors next to their fields, everything typed kept.
    let typed = [("label", "Industry"), ("key", "Industry Type"), ("type", "single_choice"), ("options", "\n  \n")];
    let res = post_page(&app, path, &cookie, &typed).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    let key = around(&page, r#"<label for="key">"#, "</div>");
    assert!(key.contains(r#"value="Industry Type""#) && key.contains(r#"id="key-error""#), "{key}");
    assert!(key.contains("Key must start with a lower-case letter"), "{key}");
    let options = around(&page, r#"id="options-field""#, "</div>");
    assert!(options.contains(r#"id="options-error""#) && options.contains("Options are required"), "{options}");
    assert!(around(&page, r#"id="label""#, ">").contains(r#"value="Industry""#));
    assert!(page.contains(r#"<option value="single_choice" data-has-options selected>"#), "the type stays chosen");

    // Added, with a notice; a second one goes after it.
    let add = [
        ("label", "Industry"),
        ("key", "industry"),
        ("type", "single_choice"),
        ("options", "Retail\r\nBanking\r\n\r\nHealth\r\n"),
        ("required", "on"),
    ];
    let res = post_page(&app, path, &cookie, &add).await;
    assert!(location(&res).starts_with("/account/contact-fields#field-cfd_"), "{}", location(&res));
    let page = follow(&app, res, &cookie).await;
    assert!(page.contains("The field “Industry” has been added."), "{page}");
    let industry = api_field(&app, &admin.token, "industry").await;
    assert_eq!((&industry["options"], &industry["required"]), (&json!(["Retail", "Banking", "Health"]), &json!(true)));
    let res =
        post_page(&app, path, &cookie, &[("label", "Company size"), ("key", "company_size"), ("type", "number")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A duplicate key is refused next to the key.
    let res = post_page(&app, path, &cookie, &[("label", "Again"), ("key", "industry"), ("type", "text")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let page = res.text().await.unwrap();
    assert!(around(&page, r#"<label for="key">"#, "</div>").contains("is already used by another contact field"));

    // Up/Down buttons: real forms with accessible names; the first custom field cannot go up.
    let page = html(&app, path, &cookie).await;
    assert!(!page.contains("Move Industry up") && page.contains(r#"aria-label="Move Industry down""#));
    assert!(page.contains(r#"aria-label="Move Company size up""#) && !page.contains("Move Company size down"));
    let size = api_field(&app, &admin.token, "company_size").await;
    let size_id = size["id"].as_str().unwrap();
    let up = around(&page, &format!(r#"action="/account/contact-fields/{size_id}/move""#), "</form>");
    assert!(up.contains(r#"name="position" value="4""#), "{up}");
    let res = post_page(&app, &format!("{path}/{size_id}/move"), &cookie, &[("position", "4")]).await;
    let page = follow(&app, res, &cookie).await;
    assert!(page.contains("“Company size” is now field 5 of the list."), "{page}");
    assert_eq!(api_keys(&app, &admin.token).await[4..], ["company_size", "industry"]);
    // A position out of range is refused with a message, and nothing moves.
    let res = post_page(&app, &format!("{path}/{size_id}/move"), &cookie, &[("position", "9")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("could not be moved") && page.contains("must be from 4 to 5"), "{page}");
    let res = post_page(&app, "/account/contact-fields/cfd_email/move", &cookie, &[("position", "5")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "a built-in field stays");

    // Edit: label, options and required; errors kept; the key and type shown, not editable.
    let industry_id = industry["id"].as_str().unwrap();
    let edit = format!("{path}/{industry_id}");
    let page = html(&app, &edit, &cookie).await;
    assert!(page.contains(r#"id="field-key">industry</code>"#) && page.contains(r#"id="field-type">Single choice<"#));
    assert!(page.contains("Retail\nBanking\nHealth</textarea>"), "{page}");
    let res = post_page(&app, &edit, &cookie, &[("label", "Sector"), ("options", "Retail\nretail")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"id="options-error""#) && page.contains("Retail\nretail</textarea>"), "{page}");
    assert!(around(&page, r#"id="label""#, ">").contains(r#"value="Sector""#));
    let res = post_page(&app, &edit, &cookie, &[("label", "Sector"), ("options", "Retail\nPublic sector")]).await;
    let page = follow(&app, res, &cookie).await;
    assert!(page.contains("The field “Sector” has been saved."), "{page}");
    let sector = api_field(&app, &admin.token, "industry").await;
    assert_eq!(
        (&sector["label"], &sector["options"], &sector["required"]),
        (&json!("Sector"), &json!(["Retail", "Public sector"]), &json!(false)),
        "an unticked box is not required"
    );
    // Built-in fields have no edit page; unknown ids are 404 pages.
    for bad in ["cfd_email", "cfd_000000000000000000000000", "nope"] {
        let res = get_page(&app, &format!("{path}/{bad}"), &cookie).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{bad}");
    }

    // Delete.
    let res = post_page(&app, &format!("{edit}/delete"), &cookie, &[]).await;
    let page = follow(&app, res, &cookie).await;
    assert!(page.contains("The field “Sector” has been deleted."), "{page}");
    assert_eq!(api_keys(&app, &admin.token).await, ["first_name", "last_name", "email", "phone", "company_size"]);
}

async fn members_are_refused_contact_fields_and_privacy_pages(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.invite_and_activate(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let cookie = session_cookie(&page_sign_in(&app, "bruno@example.com", "another good passphrase").await);
    for path in ["/account/contact-fields", "/account/privacy"] {
        let res = get_page(&app, path, &cookie).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(res.text().await.unwrap().contains("Only Administrators can see account settings"), "{path}");
    }
    let res =
        post_page(&app, "/account/contact-fields", &cookie, &[("label", "X"), ("key", "x"), ("type", "text")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = post_page(&app, "/account/privacy", &cookie, &[("privacy_policy.text", "Mine")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(api_keys(&app, &admin.token).await.len(), 4, "nothing was added");
}

async fn privacy_page_saves_both_policies_and_shows_the_public_address(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let cookie = session_cookie(&page_sign_in(&app, "ana@example.com", PASSWORD).await);
    let path = "/account/privacy";

    let page = html(&app, path, &cookie).await;
    assert!(page.contains(r#"aria-current="page">Chatbot and form privacy</a>"#), "{page}");
    let public = format!("{}/api/v1/public/accounts/{}/privacy", app.url, admin.account_id);
    assert!(page.contains(&format!(r#"value="{public}""#)), "the public address to copy: {page}");

    // An http:// link is refused next to its field; what was typed stays.
    let typed = [
        ("privacy_policy.text", "We keep chats for 30 days."),
        ("privacy_policy.url", "http://acme.example/privacy"),
        ("privacy_policy.require_consent", "on"),
        ("cookie_policy.url", "https://acme.example/cookies"),
    ];
    let res = post_page(&app, path, &cookie, &typed).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    let url = around(&page, r#"<label for="privacy_policy.url">"#, "</div>");
    assert!(
        url.contains(r#"value="http://acme.example/privacy""#) && url.contains("must be an https:// address"),
        "{url}"
    );
    assert!(page.contains("We keep chats for 30 days.</textarea>"));
    assert!(around(&page, r#"id="privacy_policy.require_consent""#, ">").contains("checked"), "the switch stays on");

    let res = post_page(
        &app,
        path,
        &cookie,
        &[
            ("privacy_policy.text", "We keep chats for 30 days."),
            ("privacy_policy.url", "https://acme.example/privacy"),
            ("privacy_policy.require_consent", "on"),
            ("cookie_policy.show_banner", "on"),
        ],
    )
    .await;
    let page = follow(&app, res, &cookie).await;
    assert!(page.contains("The privacy settings have been saved."), "{page}");
    assert!(around(&page, r#"id="cookie_policy.show_banner""#, ">").contains("checked"));
    let (_, doc) = app.call(Method::GET, &public.replace(&app.url, ""), None, None).await;
    assert_eq!(
        doc,
        json!({"privacy_policy": {"text": "We keep chats for 30 days.", "url": "https://acme.example/privacy", "require_consent": true},
               "cookie_policy": {"text": null, "url": null, "show_banner": true}})
    );
}

async fn plan_and_usage_links_to_upgrade_and_sales_only_when_configured(b: Backend) {
    let app = spawn_app_with(b, |c| {
        c.upgrade_url = Some("https://tenantry.example/upgrade".to_owned());
        c.sales_url = Some("https://tenantry.example/sales".to_owned());
    })
    .await;
    app.signup("Acme", "ana@example.com").await;
    let cookie = session_cookie(&page_sign_in(&app, "ana@example.com", PASSWORD).await);
    let page = html(&app, "/me/usage", &cookie).await;
    let upgrade = around(&page, r#"id="upgrade-link""#, "</a>");
    assert!(
        upgrade.contains(r#"href="https://tenantry.example/upgrade""#) && upgrade.contains(">Upgrade<"),
        "{upgrade}"
    );
    let sales = around(&page, r#"id="sales-link""#, "</a>");
    assert!(sales.contains(r#"href="https://tenantry.example/sales""#) && sales.contains(">Talk to sales<"), "{sales}");

    let plain = spawn_app(b).await;
    plain.signup("Globex", "gina@globex.example").await;
    let cookie = session_cookie(&page_sign_in(&plain, "gina@globex.example", PASSWORD).await);
    let page = html(&plain, "/me/usage", &cookie).await;
    assert!(!page.contains("upgrade-link") && !page.contains("Upgrade") && !page.contains("Talk to sales"), "{page}");

    // Only one of the two: only that link.
    let one = spawn_app_with(b, |c| c.sales_url = Some("https://tenantry.example/sales".to_owned())).await;
    one.signup("Initech", "ian@initech.example").await;
    let cookie = session_cookie(&page_sign_in(&one, "ian@initech.example", PASSWORD).await);
    let page = html(&one, "/me/usage", &cookie).await;
    assert!(page.contains(r#"id="sales-link""#) && !page.contains(r#"id="upgrade-link""#));
}
