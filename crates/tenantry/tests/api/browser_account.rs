//! Account settings in a real headless Chromium: the section navigation as a column on a desktop
//! and as a closed menu on a phone, the Settings page (saved, with its notice; an error next to its
//! field), and the Audit log with a filter applied. Every page visited is checked with `check_page`.

use crate::browser::{
    check_page, current_section, eventually, in_browser, menu_open, notice, path_is, phone_menu, screenshot,
    screenshot_dir, sign_in, value_of,
};
use crate::db_tests;
use crate::helpers::*;
use fantoccini::{Client, Locator};
use serde_json::json;

db_tests!(account_settings_navigation_on_desktop_and_phone_in_a_real_browser, settings_and_audit_log_in_a_real_browser);

/// The Account settings sections an Administrator sees, in order.
const SECTIONS: [&str; 12] = [
    "Users",
    "Live chat teams",
    "Contact fields",
    "CRM",
    "API & Webhooks",
    "Billing",
    "Security",
    "Compliance",
    "Settings",
    "Chatbot and form privacy",
    "Booking pages",
    "Audit log",
];

async fn account_settings_navigation_on_desktop_and_phone_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (url, email) = (app.url.clone(), admin.email.clone());
    in_browser(b, |c, prefix| navigation_scenario(c, url, email, prefix)).await;
}

async fn navigation_scenario(c: Client, url: String, email: String, prefix: &'static str) {
    // Desktop: the Administrator lands on Users, with the sections in a column beside the page.
    sign_in(&c, &url, &email).await;
    c.wait().for_element(Locator::Css("nav.sidenav")).await.unwrap();
    assert_eq!(current_section(&c).await, "Users");
    assert!(menu_open(&c).await, "a column on a desktop");
    let beside = c
        .execute(
            "const n = document.querySelector('nav.sidenav').getBoundingClientRect(); \
             const m = document.querySelector('main').getBoundingClientRect(); \
             return n.right <= m.left && n.top < m.bottom && n.width > 150;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(beside, json!(true), "the navigation is a column left of the page");
    let listed = c.find(Locator::Css("nav.sidenav ul")).await.unwrap().text().await.unwrap();
    let listed: Vec<&str> = listed.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    assert_eq!(listed, SECTIONS, "the sections in order");
    check_page(&c, &format!("{prefix}-account-nav-users")).await;
    c.find(Locator::Css("nav.sidenav a[href='/account/settings']")).await.unwrap().click().await.unwrap();
    path_is(&c, "/account/settings").await;
    assert_eq!(current_section(&c).await, "Settings");
    check_page(&c, &format!("{prefix}-account-nav-settings")).await;

    // Phone: a closed menu naming the current section; open it and go to the Audit log.
    let summary = phone_menu(&c, &format!("{url}/users")).await;
    assert!(summary.text().await.unwrap().contains("Users"), "the closed menu names this section");
    let audit = c.find(Locator::Css("nav.sidenav a[href='/account/audit']")).await.unwrap();
    assert!(!audit.is_displayed().await.unwrap(), "links hidden while closed");
    crate::browser::screenshot(
        &c,
        &crate::browser::screenshot_dir(),
        &format!("{prefix}-account-nav-phone-closed.png"),
    )
    .await;
    summary.click().await.unwrap();
    assert!(menu_open(&c).await);
    assert!(audit.is_displayed().await.unwrap(), "opening the menu shows the links");
    screenshot(&c, &screenshot_dir(), &format!("{prefix}-account-nav-phone-open.png")).await;
    c.find(Locator::LinkText("Audit log")).await.unwrap().click().await.unwrap();
    path_is(&c, "/account/audit").await;
    c.wait().for_element(Locator::Css("table.audit-table")).await.unwrap();
    assert_eq!(current_section(&c).await, "Audit log");
    assert!(!menu_open(&c).await, "closed again on the new page");
    c.set_window_size(1280, 900).await.unwrap();
    check_page(&c, &format!("{prefix}-account-nav-audit")).await;
}

async fn settings_and_audit_log_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.invite(&admin, "bruno@example.com", "Bruno Costa", "member").await;
    let (url, email) = (app.url.clone(), admin.email.clone());
    in_browser(b, |c, prefix| settings_scenario(c, url, email, prefix)).await;
}

/// Renames the account (a mistake in the BCC address first), then finds the change in the audit
/// log by filtering on its action.
async fn settings_scenario(c: Client, url: String, email: String, prefix: &'static str) {
    sign_in(&c, &url, &email).await;
    c.goto(&format!("{url}/account/settings")).await.unwrap();
    c.wait().for_element(Locator::Id("delete-account")).await.unwrap();
    check_page(&c, &format!("{prefix}-account-settings")).await;
    c.execute("document.getElementById('delete-account').scrollIntoView({block: 'center'})", vec![]).await.unwrap();
    screenshot(&c, &screenshot_dir(), &format!("{prefix}-account-settings-delete-card.png")).await;

    let name = c.find(Locator::Id("name")).await.unwrap();
    name.clear().await.unwrap();
    name.send_keys("Acme Europe").await.unwrap();
    c.find(Locator::Id("compliance_bcc_email")).await.unwrap().send_keys("records@").await.unwrap();
    let save = Locator::Css("form[action='/account/settings'] button[type=submit]");
    c.find(save).await.unwrap().click().await.unwrap();
    let error = c.wait().for_element(Locator::Id("compliance_bcc_email-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("Compliance BCC email is not a valid email address"));
    assert_eq!(value_of(&c, "compliance_bcc_email").await, "records@", "what was typed is kept");
    assert_eq!(value_of(&c, "name").await, "Acme Europe");
    check_page(&c, &format!("{prefix}-account-settings-error")).await;

    let bcc = c.find(Locator::Id("compliance_bcc_email")).await.unwrap();
    bcc.clear().await.unwrap();
    bcc.send_keys("records@example.com").await.unwrap();
    c.find(save).await.unwrap().click().await.unwrap();
    notice(&c, "The account settings have been saved.").await;
    path_is(&c, "/account/settings").await;
    assert_eq!(value_of(&c, "name").await, "Acme Europe");
    assert_eq!(value_of(&c, "compliance_bcc_email").await, "records@example.com");
    check_page(&c, &format!("{prefix}-account-settings-saved")).await;

    // The audit log, filtered to account changes: the rename, by Ana, with what changed.
    c.find(Locator::Css("nav.sidenav a[href='/account/audit']")).await.unwrap().click().await.unwrap();
    path_is(&c, "/account/audit").await;
    let all = c.find(Locator::Id("audit-rows")).await.unwrap().text().await.unwrap();
    assert!(all.contains("Invited a user") && all.contains("Changed the account settings"), "{all}");
    check_page(&c, &format!("{prefix}-account-audit")).await;
    c.find(Locator::Id("action")).await.unwrap().select_by_value("account.updated").await.unwrap();
    c.find(Locator::Css("form.audit-filter button[type=submit]")).await.unwrap().click().await.unwrap();
    eventually("the filtered log", || {
        let c = c.clone();
        async move { c.current_url().await.is_ok_and(|u| u.query().is_some_and(|q| q.contains("action=account.updated"))) }
    })
    .await;
    let rows = c.find(Locator::Id("audit-rows")).await.unwrap().text().await.unwrap();
    assert!(rows.contains("Changed the account settings") && rows.contains("Name: Acme → Acme Europe"), "{rows}");
    assert!(rows.contains("Admin of Acme") && rows.contains("ana@example.com"), "{rows}");
    assert!(!rows.contains("Invited a user"), "the filter leaves other actions out: {rows}");
    let export = c.find(Locator::LinkText("Export CSV")).await.unwrap().attr("href").await.unwrap().unwrap_or_default();
    assert!(export.ends_with("/account/audit.csv?action=account.updated"), "{export}");
    assert!(c.find(Locator::LinkText("Clear")).await.is_ok(), "a way back to everything");
    check_page(&c, &format!("{prefix}-account-audit-filtered")).await;
    // On a phone each event is a card with labelled values.
    c.set_window_size(390, 844).await.unwrap();
    c.execute("document.getElementById('audit-rows').scrollIntoView({block: 'start'})", vec![]).await.unwrap();
    screenshot(&c, &screenshot_dir(), &format!("{prefix}-account-audit-rows-phone.png")).await;
    c.set_window_size(1280, 900).await.unwrap();
}
