//! Importing users from a CSV file in a real headless Chromium: upload, preview with the bad
//! rows' errors, confirm, and the new users in the lobby. Every page visited is checked with
//! [`check_page`] (screenshots at desktop and phone width, axe-core, no sideways scrolling at 390 px).

use crate::browser::{check_page, in_browser, notice, sign_in};
use crate::db_tests;
use crate::helpers::*;
use fantoccini::{Client, Locator};

db_tests!(importing_users_in_a_real_browser);

async fn importing_users_in_a_real_browser(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let file = app.dir.path().join("team.csv");
    std::fs::write(
        &file,
        "email,name,role,licenses\n\
         bruno@example.com,Bruno Costa,member,scheduling\n\
         carla.example.com,Carla Dias,member,\n\
         dario@example.com,Dario Fo,administrator,chat;teleportation\n\
         elena@example.com,\"Ferrante, Elena\",administrator,chat\n\
         ana@example.com,Ana Again,member,\n",
    )
    .unwrap();
    let (url, email, path) = (app.url.clone(), admin.email.clone(), file.display().to_string());
    in_browser(b, |c, prefix| scenario(c, url, email, path, prefix)).await;
}

async fn scenario(c: Client, url: String, email: String, file: String, prefix: &'static str) {
    sign_in(&c, &url, &email).await;
    c.wait().for_element(Locator::Css("table.users-table")).await.unwrap();
    c.find(Locator::LinkText("Import users")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Id("upload-title")).await.unwrap();
    check_page(&c, &format!("{prefix}-users-import-upload")).await;

    c.find(Locator::Id("file")).await.unwrap().send_keys(&file).await.unwrap();
    c.find(Locator::Css("form[action='/users/import'] button[type=submit]")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Id("preview-title")).await.unwrap();
    let errors = c.find(Locator::Css("#errors-title + .table-wrap")).await.unwrap().text().await.unwrap();
    assert!(errors.contains("3") && errors.contains("email"), "{errors}");
    assert!(errors.contains("teleportation"), "{errors}");
    let to_create = c.find(Locator::Css("#rows-title + .table-wrap")).await.unwrap().text().await.unwrap();
    assert!(to_create.contains("Bruno Costa") && to_create.contains("Ferrante, Elena"), "{to_create}");
    check_page(&c, &format!("{prefix}-users-import-preview")).await;

    let carried = c.find(Locator::Css(".import-confirm textarea[name=csv]")).await.unwrap();
    assert!(!carried.is_displayed().await.unwrap(), "the carried file is not shown");
    let confirm = c.find(Locator::Css(".import-confirm button[type=submit]")).await.unwrap();
    assert_eq!(confirm.text().await.unwrap(), "Import 2 users");
    confirm.click().await.unwrap();
    notice(&c, "Imported 2 users.").await;
    let table = c.find(Locator::Css("table.users-table")).await.unwrap().text().await.unwrap();
    assert!(table.contains("Bruno Costa") && table.contains("Ferrante, Elena"), "{table}");
    assert!(table.contains("Invited (Pending)"), "{table}");
    check_page(&c, &format!("{prefix}-users-lobby-after-import")).await;
}
