//! My settings › Plan and usage: my account's plan and what I used in the current billing cycle.
//! Same service as `GET /api/v1/me/plan`.
//!
//! Plans carry no allowances yet (the plan is a name), so each figure stands alone; a bar against
//! an allowance belongs here once plans have them.

use super::Section;
use super::{Chrome, PageError, PageUser, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use tenantry_app::plan;
use tenantry_domain::SubscriptionStatus;

/// One usage figure.
struct Metric {
    id: &'static str,
    label: &'static str,
    value: String,
    note: &'static str,
}

#[derive(Template)]
#[template(path = "me/usage.html")]
struct UsagePage {
    chrome: Option<Chrome>,
    plan: String,
    status: &'static str,
    cycle_start: String,
    next_cycle_start: String,
    metrics: Vec<Metric>,
    /// "Upgrade" and "Talk to sales", when the installation configured them.
    upgrade_url: Option<String>,
    sales_url: Option<String>,
}

/// Thousands separated by thin commas: `12,345`.
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// "trial" → "Trial": plan names are set by the operator, often in lower case.
fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// `GET /me/usage`.
pub async fn page(State(state): State<AppState>, PageUser(me): PageUser) -> Result<Response, PageError> {
    let p = plan::plan(&state, &me).await.map_err(|e| PageError::for_user(e, &me, Section::Usage))?;
    let chrome = Chrome::new(&me, Section::Usage);
    let status = match p.status {
        SubscriptionStatus::Trial => "Trial",
        SubscriptionStatus::Paid => "Paid",
        SubscriptionStatus::Canceled => "Canceled",
    };
    let page = UsagePage {
        plan: capitalized(&p.plan),
        status,
        cycle_start: chrome.local.date(p.cycle_start),
        next_cycle_start: chrome.local.date(p.next_cycle_start),
        metrics: vec![
            Metric {
                id: "minutes",
                label: "Minutes",
                value: grouped(p.minutes),
                note: "Call minutes, reported by the products",
            },
            Metric {
                id: "messages",
                label: "Messages",
                value: grouped(p.messages),
                note: "Messages sent, reported by the products",
            },
            Metric {
                id: "groups",
                label: "Groups",
                value: grouped(p.groups),
                note: "Groups, reported by the products",
            },
            Metric {
                id: "api_requests",
                label: "API requests",
                value: grouped(p.api_requests),
                note: "Counted by Tenantry; new requests appear within a few seconds",
            },
        ],
        chrome: Some(chrome),
        upgrade_url: state.web().upgrade_url.clone(),
        sales_url: state.web().sales_url.clone(),
    };
    Ok(render(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(-12_345), "-12,345");
    }

    #[test]
    fn plan_names_start_with_a_capital() {
        assert_eq!(capitalized("trial"), "Trial");
        assert_eq!(capitalized("Team"), "Team");
        assert_eq!(capitalized(""), "");
    }
}
