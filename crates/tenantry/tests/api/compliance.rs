//! The compliance document: round trip, the empty document, every refusal named, Members kept
//! out, the records of processing as CSV (read back with the `csv` crate), and the page.

use crate::db_tests;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

db_tests!(
    the_compliance_document_round_trips_and_starts_empty,
    compliance_refusals_name_their_field,
    processing_records_download_as_csv,
    the_compliance_page_saves_contacts_and_records,
);

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map_or_else(Vec::new, |e| e.iter().map(|f| f["field"].as_str().unwrap_or_default().to_owned()).collect())
}

fn document() -> Value {
    json!({
        "dpo": {"name": "Dana Weber", "email": "dpo@acme.example", "phone": "+44 20 7946 0958", "address": "1 Main Street\nLondon"},
        "eu_representative": {"name": "EU Rep GmbH", "email": "rep@eurep.example", "phone": "0049 30 12345678", "address": null},
        "breach_notification_emails": ["security@acme.example", "legal@acme.example"],
        "processing_records": [
            {"purpose": "Payroll", "data_subjects": "Employees", "data_categories": "Bank details", "recipients": "Payroll provider",
             "transfers": "None", "retention": "10 years", "safeguards": "Encryption"},
            {"purpose": "Support", "retention": "2 years"}
        ]
    })
}

async fn the_compliance_document_round_trips_and_starts_empty(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (status, empty) = app.call(Method::GET, "/api/v1/compliance", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK);
    let none = json!({"name": null, "email": null, "phone": null, "address": null});
    assert_eq!(
        empty,
        json!({"dpo": none, "eu_representative": none, "breach_notification_emails": [], "processing_records": []})
    );

    let (status, saved) = app.call(Method::PUT, "/api/v1/compliance", Some(&admin.token), Some(document())).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["dpo"]["phone"], "+442079460958", "stored as E.164");
    assert_eq!(saved["eu_representative"]["phone"], "+493012345678");
    assert_eq!(saved["dpo"]["address"], "1 Main Street\nLondon");
    assert_eq!(saved["eu_representative"]["address"], Value::Null);
    assert_eq!(saved["processing_records"][1]["data_subjects"], "", "members left out are empty text");
    assert_eq!(saved["processing_records"][0]["safeguards"], "Encryption");
    let (_, read) = app.call(Method::GET, "/api/v1/compliance", Some(&admin.token), None).await;
    assert_eq!(read, saved);
    let (_, doc) = app.call(Method::GET, "/api/openapi.json", None, None).await;
    let props = doc["components"]["schemas"]["ComplianceView"]["properties"].as_object().expect("published");
    assert!(saved.as_object().unwrap().keys().all(|k| props.contains_key(k)));

    // PUT replaces the whole document: what is left out is cleared.
    let (status, replaced) = app
        .call(
            Method::PUT,
            "/api/v1/compliance",
            Some(&admin.token),
            Some(json!({"dpo": {"email": "new-dpo@acme.example"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["dpo"], json!({"name": null, "email": "new-dpo@acme.example", "phone": null, "address": null}));
    assert_eq!((replaced["eu_representative"].clone(), replaced["processing_records"].clone()), (none, json!([])));

    // Changes are audited; saving the same document again is not a change.
    app.call(
        Method::PUT,
        "/api/v1/compliance",
        Some(&admin.token),
        Some(json!({"dpo": {"email": "new-dpo@acme.example"}})),
    )
    .await;
    let (_, log) =
        app.call(Method::GET, "/api/v1/audit-events?action=compliance.updated", Some(&admin.token), None).await;
    let events = log["data"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{log}");
    let replace =
        events.iter().find(|e| e["after"]["dpo"]["email"] == "new-dpo@acme.example").expect("the replacement");
    assert_eq!(replace["before"]["dpo"]["email"], "dpo@acme.example");

    // Another account's document is its own.
    let other = app.signup("Other", "olga@other.org").await;
    let (_, theirs) = app.call(Method::GET, "/api/v1/compliance", Some(&other.token), None).await;
    assert_eq!(theirs["breach_notification_emails"], json!([]));
    assert_eq!(theirs["dpo"]["email"], Value::Null);
}

async fn compliance_refusals_name_their_field(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let (_, member) = app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    let six: Vec<String> = (1..=6).map(|i| format!("p{i}@acme.example")).collect();
    for (body, expected) in [
        (json!({"breach_notification_emails": six}), vec!["breach_notification_emails"]),
        (
            json!({"breach_notification_emails": ["a@acme.example", "A@Acme.example"]}),
            vec!["breach_notification_emails"],
        ),
        (json!({"breach_notification_emails": ["a@acme.example", "nope"]}), vec!["breach_notification_emails[1]"]),
        (json!({"dpo": {"email": "not-an-email"}}), vec!["dpo.email"]),
        (json!({"dpo": {"phone": "12"}}), vec!["dpo.phone"]),
        (json!({"eu_representative": {"phone": "020 7946 0958"}}), vec!["eu_representative.phone"]),
        (json!({"eu_representative": {"name": "n".repeat(201)}}), vec!["eu_representative.name"]),
        (json!({"dpo": {"address": "a".repeat(1001)}}), vec!["dpo.address"]),
        (
            json!({"processing_records": [{"purpose": "Payroll"}, {"retention": "1 year"}]}),
            vec!["processing_records[1].purpose"],
        ),
        (json!({"processing_records": [{"purpose": "  "}]}), vec!["processing_records[0].purpose"]),
        (
            json!({"processing_records": [{"purpose": "Payroll", "safeguards": "s".repeat(2001)}]}),
            vec!["processing_records[0].safeguards"],
        ),
        (json!({"dpo": {"email": "x@y.example", "fax": "1"}}), vec!["dpo.fax"]),
    ] {
        let (status, problem) =
            app.call(Method::PUT, "/api/v1/compliance", Some(&admin.token), Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {problem}");
        assert_eq!(fields(&problem), expected, "{body}: {problem}");
    }
    let hundred_and_one: Vec<Value> = (0..101).map(|i| json!({"purpose": format!("P{i}")})).collect();
    let (status, problem) = app
        .call(
            Method::PUT,
            "/api/v1/compliance",
            Some(&admin.token),
            Some(json!({"processing_records": hundred_and_one})),
        )
        .await;
    assert_eq!((status, fields(&problem)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["processing_records".to_owned()]));
    // Five unique addresses are fine; nothing refused was kept.
    let five: Vec<String> = (1..=5).map(|i| format!("p{i}@acme.example")).collect();
    let (status, _) = app
        .call(Method::PUT, "/api/v1/compliance", Some(&admin.token), Some(json!({"breach_notification_emails": five})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, doc) = app.call(Method::GET, "/api/v1/compliance", Some(&admin.token), None).await;
    assert_eq!(doc["breach_notification_emails"].as_array().unwrap().len(), 5);
    assert_eq!(doc["dpo"]["email"], Value::Null);

    for (method, path, body) in [
        (Method::GET, "/api/v1/compliance", None),
        (Method::PUT, "/api/v1/compliance", Some(document())),
        (Method::GET, "/api/v1/compliance/processing-records.csv", None),
    ] {
        let (status, _) = app.call(method.clone(), path, Some(&member), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
    }
}

/// The CSV body's rows, read with the `csv` crate (the header included).
fn rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("a CSV row").iter().map(str::to_owned).collect())
        .collect()
}

async fn processing_records_download_as_csv(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let res = app.request(Method::GET, "/api/v1/compliance/processing-records.csv", Some(&admin.token), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let header = "purpose,data_subjects,data_categories,recipients,transfers,retention,safeguards";
    assert_eq!(rows(&res.text().await.unwrap()), [header.split(',').map(str::to_owned).collect::<Vec<_>>()]);

    let mut doc = document();
    doc["processing_records"]
        .as_array_mut()
        .unwrap()
        .push(json!({"purpose": "=HYPERLINK(\"https://evil.example\")", "recipients": "+1 partner, \"quoted\"\nsecond line", "retention": "@once", "safeguards": "-none"}));
    let (status, _) = app.call(Method::PUT, "/api/v1/compliance", Some(&admin.token), Some(doc)).await;
    assert_eq!(status, StatusCode::OK);
    let res = app.request(Method::GET, "/api/v1/compliance/processing-records.csv", Some(&admin.token), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let content_type = res.headers()[reqwest::header::CONTENT_TYPE].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let rows = rows(&res.text().await.unwrap());
    assert_eq!(rows.len(), 4, "a header and one row per record: {rows:?}");
    assert_eq!(rows[0].join(","), header);
    assert_eq!(rows[1], ["Payroll", "Employees", "Bank details", "Payroll provider", "None", "10 years", "Encryption"]);
    assert_eq!(rows[2], ["Support", "", "", "", "", "2 years", ""]);
    // Cells a spreadsheet would run as formulas start with an apostrophe; the rest is kept whole.
    assert_eq!(rows[3][0], "'=HYPERLINK(\"https://evil.example\")");
    assert_eq!(rows[3][3], "'+1 partner, \"quoted\"\nsecond line");
    assert_eq!((rows[3][5].as_str(), rows[3][6].as_str()), ("'@once", "'-none"));
}

async fn the_compliance_page_saves_contacts_and_records(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    app.invite_and_activate(&admin, "bruno@example.com", "Bruno", "member").await;
    let cookie = session_cookie(&page_sign_in(&app, "ana@example.com", "correct horse battery").await);
    let res = get_page(&app, "/account/compliance", &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Data Protection Officer") && html.contains("No records yet"), "{html}");

    // Errors next to their fields, with what was typed kept.
    let contacts = |email: &'static str, breach: &'static str| {
        vec![
            ("dpo.name", "Dana Weber"),
            ("dpo.email", email),
            ("dpo.phone", "+44 20 7946 0958"),
            ("dpo.address", "1 Main Street"),
            ("breach_notification_emails[0]", "security@acme.example"),
            ("breach_notification_emails[2]", breach),
        ]
    };
    let res = post_page(&app, "/account/compliance", &cookie, &contacts("dana@", "Security@acme.example")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"dpo.email-error\"") && html.contains("Email is not a valid email address"), "{html}");
    assert!(html.contains("value=\"dana@\"") && html.contains("value=\"Dana Weber\""), "typed values are kept");
    assert!(html.contains("lists Security@acme.example more than once"), "{html}");
    let res = post_page(&app, "/account/compliance", &cookie, &contacts("dana@acme.example", "bad")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"breach_notification_emails[2]-error\""), "the error is on the input typed in: {html}");
    let res =
        post_page(&app, "/account/compliance", &cookie, &contacts("dana@acme.example", "legal@acme.example")).await;
    assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/account/compliance".to_owned()));
    let (_, doc) = app.call(Method::GET, "/api/v1/compliance", Some(&admin.token), None).await;
    assert_eq!(doc["breach_notification_emails"], json!(["security@acme.example", "legal@acme.example"]));
    assert_eq!(doc["dpo"]["phone"], "+442079460958");

    // A record without a purpose is refused next to it; then one is added, listed and removed.
    let res = post_page(
        &app,
        "/account/compliance/records",
        &cookie,
        &[("record.purpose", ""), ("record.retention", "5 years")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"record.purpose-error\"") && html.contains(">5 years</textarea>"), "{html}");
    let res = post_page(
        &app,
        "/account/compliance/records",
        &cookie,
        &[("record.purpose", "Payroll"), ("record.retention", "5 years")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = get_page(&app, "/account/compliance", &cookie).await.text().await.unwrap();
    assert!(html.contains("record-purpose\">Payroll</h3>") && html.contains("processing-records.csv"), "{html}");
    assert!(html.contains("value=\"Dana Weber\""), "the saved contacts fill the form");
    let res = get_page(&app, "/account/compliance/processing-records.csv", &cookie).await;
    assert_eq!(rows(&res.text().await.unwrap()).len(), 2);
    let (_, doc) = app.call(Method::GET, "/api/v1/compliance", Some(&admin.token), None).await;
    assert_eq!(doc["dpo"]["name"], "Dana Weber", "adding a record keeps the contacts");
    let res = post_page(&app, "/account/compliance/records/0/delete", &cookie, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = post_page(&app, "/account/compliance/records/0/delete", &cookie, &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, doc) = app.call(Method::GET, "/api/v1/compliance", Some(&admin.token), None).await;
    assert_eq!(doc["processing_records"], json!([]));

    let member = session_cookie(&page_sign_in(&app, "bruno@example.com", "another good passphrase").await);
    assert_eq!(get_page(&app, "/account/compliance", &member).await.status(), StatusCode::FORBIDDEN);
}
