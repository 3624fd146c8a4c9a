//! Property test: any sequence of license, role, deletion, page and subscription changes, made
//! over HTTP, leaves every account invariant true (checked by SQL of the test's own after each step).

use crate::db_tests;
use crate::helpers::*;
use crate::licenses::{OPERATOR_TOKEN, assert_invariants, set_subscription, spawn_with_operator};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};

db_tests!(random_changes_keep_every_invariant);

const PRODUCTS: [&str; 3] = ["scheduling", "chat", "voice"];
const USERS: usize = 5;
const PAGES: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    Assign(usize, usize),
    Unassign(usize, usize),
    Role(usize, bool),
    Delete(usize),
    EnablePage(usize, bool),
    Paid(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..USERS, 0..PRODUCTS.len()).prop_map(|(u, p)| Op::Assign(u, p)),
        3 => (0..USERS, 0..PRODUCTS.len()).prop_map(|(u, p)| Op::Unassign(u, p)),
        2 => (0..USERS, any::<bool>()).prop_map(|(u, admin)| Op::Role(u, admin)),
        1 => (0..USERS).prop_map(Op::Delete),
        2 => (0..PAGES, any::<bool>()).prop_map(|(p, on)| Op::EnablePage(p, on)),
        1 => any::<bool>().prop_map(Op::Paid),
    ]
}

async fn run_case(app: &TestApp, case: usize, ops: &[Op]) -> Result<(), TestCaseError> {
    let admin = app.signup(&format!("Case {case}"), &format!("admin{case}@example.com")).await;
    let mut users = vec![admin.user_id.clone()];
    for i in 1..USERS {
        let role = if i == 1 { "administrator" } else { "member" };
        users.push(app.invite(&admin, &format!("u{i}-case{case}@example.com"), &format!("User {i}"), role).await);
    }
    let (status, _) = set_subscription(
        app,
        &admin.account_id,
        json!({"plan": "team", "status": "trial", "seats": {"scheduling": 2, "chat": 2, "voice": 1}}),
    )
    .await;
    prop_assert_eq!(status, StatusCode::OK);
    let mut pages = Vec::new();
    for (i, owner) in [0, 2, 3].into_iter().enumerate() {
        let body = json!({"name": format!("Page {i}"), "slug": format!("case{case}-page{i}"), "owner_id": users[owner], "enabled": false});
        let (status, page) = app.call(Method::POST, "/api/v1/booking-pages", Some(&admin.token), Some(body)).await;
        prop_assert_eq!(status, StatusCode::CREATED, "{}", page);
        pages.push(page["id"].as_str().unwrap_or_default().to_owned());
    }
    // The signed-up Administrator acts throughout; when they are gone or demoted, requests are
    // refused (403/401), which must also leave the account whole.
    let t = Some(admin.token.as_str());
    for op in ops {
        let (method, path, body, token) = match op {
            Op::Assign(u, p) => {
                (Method::PUT, format!("/api/v1/users/{}/licenses/{}", users[*u], PRODUCTS[*p]), None, t)
            }
            Op::Unassign(u, p) => {
                (Method::DELETE, format!("/api/v1/users/{}/licenses/{}", users[*u], PRODUCTS[*p]), None, t)
            }
            Op::Role(u, admin) => {
                let role = if *admin { "administrator" } else { "member" };
                (Method::PATCH, format!("/api/v1/users/{}", users[*u]), Some(json!({"role": role})), t)
            }
            Op::Delete(u) => (Method::DELETE, format!("/api/v1/users/{}", users[*u]), None, t),
            Op::EnablePage(p, on) => {
                (Method::PATCH, format!("/api/v1/booking-pages/{}", pages[*p]), Some(json!({"enabled": on})), t)
            }
            Op::Paid(paid) => {
                let status = if *paid { "paid" } else { "trial" };
                (
                    Method::PUT,
                    format!("/api/v1/operator/accounts/{}/subscription", admin.account_id),
                    Some(json!({"plan": "team", "status": status})),
                    Some(OPERATOR_TOKEN),
                )
            }
        };
        let (status, answer) = app.call(method.clone(), &path, token, body).await;
        let expected = [
            StatusCode::OK,
            StatusCode::NO_CONTENT,
            StatusCode::CONFLICT,
            StatusCode::NOT_FOUND,
            StatusCode::FORBIDDEN,
            StatusCode::UNAUTHORIZED,
        ];
        prop_assert!(expected.contains(&status), "{:?}: {} {} answered {}: {}", op, method, path, status, answer);
        if status == StatusCode::CONFLICT {
            prop_assert!(answer["rule"].is_string(), "a 409 names its rule: {}", answer);
        }
        assert_invariants(app, &admin.account_id).await;
    }
    Ok(())
}

async fn random_changes_keep_every_invariant(b: Backend) {
    let app = spawn_with_operator(b).await;
    let handle = tokio::runtime::Handle::current();
    let cases = AtomicUsize::new(0);
    let mut runner =
        TestRunner::new(Config { cases: 16, max_shrink_iters: 32, failure_persistence: None, ..Config::default() });
    let result = tokio::task::block_in_place(|| {
        runner.run(&prop::collection::vec(op(), 1..30), |ops| {
            let case = cases.fetch_add(1, Ordering::SeqCst);
            handle.block_on(run_case(&app, case, &ops))
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
