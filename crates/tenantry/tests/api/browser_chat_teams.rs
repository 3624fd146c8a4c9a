//! Live chat teams and Compliance in a real headless Chromium: an Administrator creates a team and
//! adds a user to it through the pages, and fills in the compliance page (an error next to its
//! field first). Every page visited is checked with `check_page`.

use crate::browser::{check_page, current_section, eventually, in_browser, notice, path_is, sign_in};
use crate::db_tests;
use crate::helpers::*;
use fantoccini::{Client, Locator};

db_tests!(
    an_administrator_creates_a_live_chat_team_and_adds_a_user_in_a_real_browser,
    compliance_page_in_a_real_browser
);

async fn an_administrator_creates_a_live_chat_team_and_adds_a_user_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let bruno = app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let (url, email) = (app.url.clone(), admin.email.clone());
    in_browser(b, |c, prefix| teams_scenario(c, url, email, bruno, prefix)).await;
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

async fn teams_scenario(c: Client, url: String, email: String, bruno: String, prefix: &'static str) {
    sign_in(&c, &url, &email).await;
    c.find(Locator::Css("nav.sidenav a[href='/account/chat-teams']")).await.unwrap().click().await.unwrap();
    path_is(&c, "/account/chat-teams").await;
    assert_eq!(current_section(&c).await, "Live chat teams");
    assert!(text(&c, "#no-teams").await.contains("Create a team above"), "the empty state says what to do");
    check_page(&c, &format!("{prefix}-chat-teams-empty")).await;

    // The form is open while there is no team; a name is required.
    c.find(Locator::Id("description")).await.unwrap().send_keys("Questions from the website").await.unwrap();
    c.find(Locator::Css("form[action='/account/chat-teams'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let error = c.wait().for_element(Locator::Id("name-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("Team name is required"));
    let kept = c.find(Locator::Id("description")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("Questions from the website"), "what was typed is kept");
    check_page(&c, &format!("{prefix}-chat-teams-error")).await;

    c.find(Locator::Id("name")).await.unwrap().send_keys("Support").await.unwrap();
    c.find(Locator::Css("form[action='/account/chat-teams'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    eventually("the team's page", || {
        let c = c.clone();
        async move { c.current_url().await.is_ok_and(|u| u.path().starts_with("/account/chat-teams/cht_")) }
    })
    .await;
    notice(&c, "The team Support has been created.").await;
    assert!(text(&c, "#no-members").await.contains("Nobody answers this team's chats yet"));
    check_page(&c, &format!("{prefix}-chat-team-new")).await;

    // Add Bruno from the list of the account's users.
    c.find(Locator::Id("user_id")).await.unwrap().select_by_value(&bruno).await.unwrap();
    c.find(Locator::Css("form[action$='/members'] button[type=submit]")).await.unwrap().click().await.unwrap();
    notice(&c, "Bruno Costa has been added to Support.").await;
    assert!(text(&c, "#member-list").await.contains("Bruno Costa"));
    assert_eq!(text(&c, "#member-count").await, "1 member");
    let offered = text(&c, "#user_id").await;
    assert!(
        offered.contains("Admin of Acme") && !offered.contains("Bruno"),
        "only users not in it are offered: {offered}"
    );
    check_page(&c, &format!("{prefix}-chat-team-member-added")).await;

    // The list counts the member; the lobby and Bruno's page show the team.
    c.find(Locator::Css("nav.sidenav a[href='/account/chat-teams']")).await.unwrap().click().await.unwrap();
    path_is(&c, "/account/chat-teams").await;
    let rows = text(&c, "#team-rows").await;
    assert!(
        rows.contains("Support") && rows.contains("Questions from the website") && rows.contains("1 member"),
        "{rows}"
    );
    check_page(&c, &format!("{prefix}-chat-teams-list")).await;
    c.goto(&format!("{url}/users")).await.unwrap();
    let lobby = c.wait().for_element(Locator::Id("users-rows")).await.unwrap().text().await.unwrap();
    assert!(lobby.contains("Live chat: Support"), "{lobby}");
    check_page(&c, &format!("{prefix}-chat-teams-lobby")).await;
    c.goto(&format!("{url}/users/{bruno}")).await.unwrap();
    assert_eq!(text(&c, "#user-chat-teams").await, "Live chat teams: Support");
    check_page(&c, &format!("{prefix}-chat-teams-user-page")).await;
}

async fn compliance_page_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (url, email) = (app.url.clone(), admin.email.clone());
    in_browser(b, |c, prefix| compliance_scenario(c, url, email, prefix)).await;
}

async fn value_of(c: &Client, name: &str) -> String {
    let input = c.find(Locator::Css(&format!("[name='{name}']"))).await.unwrap();
    input.prop("value").await.unwrap().unwrap_or_default()
}

async fn type_into(c: &Client, name: &str, text: &str) {
    c.find(Locator::Css(&format!("[name='{name}']"))).await.unwrap().send_keys(text).await.unwrap();
}

async fn compliance_scenario(c: Client, url: String, email: String, prefix: &'static str) {
    sign_in(&c, &url, &email).await;
    c.find(Locator::Css("nav.sidenav a[href='/account/compliance']")).await.unwrap().click().await.unwrap();
    path_is(&c, "/account/compliance").await;
    assert_eq!(current_section(&c).await, "Compliance");
    assert!(text(&c, "#no-records").await.contains("No records yet"));
    check_page(&c, &format!("{prefix}-compliance-empty")).await;

    type_into(&c, "dpo.name", "Dana Weber").await;
    type_into(&c, "dpo.email", "dana@").await;
    type_into(&c, "dpo.phone", "+44 20 7946 0958").await;
    type_into(&c, "breach_notification_emails[0]", "security@acme.example").await;
    c.find(Locator::Css("form[action='/account/compliance'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let error = c.wait().for_element(Locator::Css("[id='dpo.email-error']")).await.unwrap();
    assert!(error.text().await.unwrap().contains("Email is not a valid email address"));
    assert_eq!(value_of(&c, "dpo.email").await, "dana@", "what was typed is kept");
    assert_eq!(value_of(&c, "dpo.name").await, "Dana Weber");
    check_page(&c, &format!("{prefix}-compliance-error")).await;

    let dpo_email = c.find(Locator::Css("[name='dpo.email']")).await.unwrap();
    dpo_email.clear().await.unwrap();
    dpo_email.send_keys("dana@acme.example").await.unwrap();
    c.find(Locator::Css("form[action='/account/compliance'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    notice(&c, "The compliance contacts have been saved.").await;
    assert_eq!(value_of(&c, "dpo.phone").await, "+442079460958", "stored as E.164");

    type_into(&c, "record.purpose", "Payroll").await;
    type_into(&c, "record.data_subjects", "Employees").await;
    type_into(&c, "record.retention", "10 years after employment ends").await;
    c.find(Locator::Css("form[action='/account/compliance/records'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    notice(&c, "The record “Payroll” has been added.").await;
    let records = text(&c, "#record-list").await;
    assert!(records.contains("Payroll") && records.contains("Employees"), "{records}");
    assert!(c.find(Locator::LinkText("Download CSV")).await.is_ok());
    check_page(&c, &format!("{prefix}-compliance-saved")).await;
}
