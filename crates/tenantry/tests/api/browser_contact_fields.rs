//! Account settings › Contact fields and Chatbot and form privacy in a real headless Chromium: an
//! Administrator adds a single-choice field with three options and a second field, moves the second
//! one up with its button, then back down by drag and drop; and saves the privacy policies (an
//! http:// link refused first). Every page visited is checked with `check_page`.

use crate::browser::{check_page, eventually, in_browser, notice, path_is, sign_in, text_of, type_into};
use crate::db_tests;
use crate::helpers::*;
use fantoccini::{Client, Locator};
use serde_json::json;

db_tests!(contact_fields_and_privacy_in_a_real_browser);

async fn contact_fields_and_privacy_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (url, email, token) = (app.url.clone(), admin.email.clone(), admin.token.clone());
    in_browser(b, |c, prefix| scenario(c, url, email, prefix)).await;
    // What the browser did is what the API answers.
    let (_, body) = app.call(reqwest::Method::GET, "/api/v1/contact-fields", Some(&token), None).await;
    let custom: Vec<(&str, i64)> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .skip(4)
        .map(|f| (f["key"].as_str().unwrap(), f["position"].as_i64().unwrap()))
        .collect();
    assert_eq!(custom, [("industry", 4), ("company_size", 5)]);
    assert_eq!(body["data"][4]["options"], json!(["Retail", "Banking", "Health"]));
}

/// The labels of the custom fields, in the order the page shows them.
async fn order(c: &Client) -> Vec<String> {
    let labels = c
        .execute(
            "return Array.from(document.querySelectorAll('#custom-fields li[data-field-id]')).map(li => li.dataset.label)",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(labels).unwrap()
}

async fn options_shown(c: &Client) -> bool {
    c.find(Locator::Id("options")).await.unwrap().is_displayed().await.unwrap()
}

async fn scenario(c: Client, url: String, email: String, prefix: &'static str) {
    sign_in(&c, &url, &email).await;
    c.goto(&format!("{url}/account/contact-fields")).await.unwrap();
    c.wait().for_element(Locator::Id("no-custom-fields")).await.unwrap();
    assert!(!options_shown(&c).await, "no options box for a text field");
    check_page(&c, &format!("{prefix}-contact-fields-1-empty")).await;

    // A single-choice field with three options: choosing the type shows the options box.
    type_into(&c, "label", "Industry").await;
    type_into(&c, "key", "industry").await;
    c.find(Locator::Css("#type option[value='single_choice']")).await.unwrap().click().await.unwrap();
    eventually("the options box", || async { options_shown(&c).await }).await;
    type_into(&c, "options", "Retail\nBanking\nHealth").await;
    c.find(Locator::Id("required")).await.unwrap().click().await.unwrap();
    check_page(&c, &format!("{prefix}-contact-fields-2-add-form")).await;
    c.find(Locator::Id("add-field-button")).await.unwrap().click().await.unwrap();
    notice(&c, "The field “Industry” has been added.").await;
    path_is(&c, "/account/contact-fields").await;
    assert_eq!(order(&c).await, ["Industry"]);
    let facts = c.find(Locator::Css("#custom-fields .cf-facts")).await.unwrap().text().await.unwrap();
    assert!(facts.contains("industry") && facts.contains("Single choice: Retail, Banking, Health"), "{facts}");

    // A second field: a number (its options box hidden and not sent).
    type_into(&c, "label", "Company size").await;
    type_into(&c, "key", "company_size").await;
    c.find(Locator::Css("#type option[value='number']")).await.unwrap().click().await.unwrap();
    eventually("the options box to hide", || async { !options_shown(&c).await }).await;
    c.find(Locator::Id("add-field-button")).await.unwrap().click().await.unwrap();
    notice(&c, "The field “Company size” has been added.").await;
    assert_eq!(order(&c).await, ["Industry", "Company size"]);
    check_page(&c, &format!("{prefix}-contact-fields-3-two-fields")).await;

    // Move the second one up with its button (what a keyboard uses).
    let up = c.find(Locator::Css("button[aria-label='Move Company size up']")).await.unwrap();
    assert!(up.text().await.unwrap().ends_with("Up"), "a short visible label; the full one for screen readers");
    up.click().await.unwrap();
    eventually("the notice of the move", || async {
        c.find(Locator::Css(".alert-success")).await.is_ok()
            && text_of(&c, "main").await.contains("“Company size” is now field 5 of the list.")
    })
    .await;
    assert_eq!(order(&c).await, ["Company size", "Industry"]);
    assert!(c.find(Locator::Css("button[aria-label='Move Company size up']")).await.is_err(), "first: no Up");
    check_page(&c, &format!("{prefix}-contact-fields-4-moved-up")).await;

    // Drag and drop (the page's script): drag Industry above Company size. WebDriver cannot drive
    // HTML5 drag and drop in Chromium, so the test sends the events a mouse drag sends.
    let handles = c
        .execute(
            "return Array.from(document.querySelectorAll('#custom-fields .cf-handle')).map(h => !h.hidden)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(handles, json!([true, true]), "the script shows the drag handles");
    c.execute(
        r#"const rows = document.querySelectorAll('#custom-fields li[data-field-id]');
           const [target, dragged] = [rows[0], rows[1]];
           const data = new DataTransfer();
           const box = target.getBoundingClientRect();
           const at = { bubbles: true, cancelable: true, dataTransfer: data, clientX: box.left + 20, clientY: box.top + 2 };
           dragged.dispatchEvent(new DragEvent('dragstart', at));
           target.dispatchEvent(new DragEvent('dragenter', at));
           target.dispatchEvent(new DragEvent('dragover', at));
           target.dispatchEvent(new DragEvent('drop', at));
           dragged.dispatchEvent(new DragEvent('dragend', at));"#,
        vec![],
    )
    .await
    .unwrap();
    eventually("the notice of the drop", || async {
        text_of(&c, "main").await.contains("“Industry” is now field 5 of the list.")
    })
    .await;
    assert_eq!(order(&c).await, ["Industry", "Company size"]);
    check_page(&c, &format!("{prefix}-contact-fields-5-dropped")).await;

    // The field's own page.
    c.find(Locator::Css("a[aria-label='Edit Industry']")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Id("field-key")).await.unwrap();
    check_page(&c, &format!("{prefix}-contact-field-edit")).await;

    // Chatbot and form privacy: an http:// link refused next to its field, then saved.
    c.goto(&format!("{url}/account/privacy")).await.unwrap();
    c.wait().for_element(Locator::Id("public-url")).await.unwrap();
    check_page(&c, &format!("{prefix}-privacy-1")).await;
    type_into(&c, "privacy_policy.text", "We keep what you type in the chat for 30 days.").await;
    type_into(&c, "privacy_policy.url", "http://acme.example/privacy").await;
    c.find(Locator::Id("privacy_policy.require_consent")).await.unwrap().click().await.unwrap();
    c.find(Locator::Id("save-privacy")).await.unwrap().click().await.unwrap();
    let error = c.wait().for_element(Locator::Id("privacy_policy.url-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("must be an https:// address"));
    check_page(&c, &format!("{prefix}-privacy-2-error")).await;
    type_into(&c, "privacy_policy.url", "https://acme.example/privacy").await;
    c.find(Locator::Id("save-privacy")).await.unwrap().click().await.unwrap();
    notice(&c, "The privacy settings have been saved.").await;
    let consent = c.find(Locator::Id("privacy_policy.require_consent")).await.unwrap();
    assert!(consent.prop("checked").await.unwrap().is_some_and(|v| v == "true"), "the switch stays on");
    check_page(&c, &format!("{prefix}-privacy-3-saved")).await;
}
