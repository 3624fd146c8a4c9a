//! The subscription as Administrators see it, the product catalog, and the operator API that
//! changes subscriptions (the company running Tenantry, e.g. its billing system).

use super::views::ts;
use crate::api::json::Json;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{AdminUser, ApiJson, AuthUser, PathId};
use crate::state::AppState;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tenantry_app::Error;
use tenantry_app::cursor;
use tenantry_app::subscriptions::{self, SubscriptionChange, SubscriptionInput, SubscriptionSummary};
use tenantry_domain::TokenHash;
use utoipa::ToSchema;

/// Seats of one product.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeatsView {
    pub purchased: i64,
    pub assigned: i64,
}

/// An account's subscription.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub plan: String,
    /// `trial`, `paid` or `canceled`.
    pub status: String,
    pub cycle_start: String,
    /// By product key.
    pub seats: BTreeMap<String, SeatsView>,
}

impl From<SubscriptionSummary> for SubscriptionView {
    fn from(s: SubscriptionSummary) -> Self {
        Self {
            plan: s.plan,
            status: s.status.as_str().to_owned(),
            cycle_start: ts(s.cycle_start),
            seats: s
                .seats
                .into_iter()
                .map(|(k, v)| (k, SeatsView { purchased: v.purchased, assigned: v.assigned }))
                .collect(),
        }
    }
}

/// The account's plan, status, cycle start and seats per product.
#[utoipa::path(get, path = "/api/v1/billing/subscription", tag = "billing", security(("bearer" = ["billing:read"])),
    responses((status = 200, body = SubscriptionView), (status = 403, body = Problem)))]
pub async fn subscription(State(state): State<AppState>, admin: AdminUser) -> AppResult<Json<SubscriptionView>> {
    Ok(Json(subscriptions::get(&state, &admin).await?.into()))
}

/// A product of the catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    pub key: String,
    pub name: String,
}

/// The products this installation sells per seat.
#[utoipa::path(get, path = "/api/v1/products", tag = "billing", security(("bearer" = ["billing:read"])), responses((status = 200, body = Vec<ProductView>)))]
pub async fn products(State(state): State<AppState>, _me: AuthUser) -> Json<Vec<ProductView>> {
    Json(
        state
            .config
            .catalog
            .products()
            .iter()
            .map(|p| ProductView { key: p.key.to_string(), name: p.name.clone() })
            .collect(),
    )
}

/// The operator: a request bearing `TENANTRY_OPERATOR_TOKEN`. With no token configured the
/// operator API does not exist (404).
pub struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Some(expected) = &state.config.operator_token_hash else { return Err(AppError::NOT_FOUND) };
        let presented =
            crate::extract::bearer(parts).ok_or(Error::Unauthorized("Send Authorization: Bearer <operator token>."))?;
        if TokenHash::of(presented).matches(expected.as_str()) {
            Ok(Operator)
        } else {
            Err(Error::Unauthorized("The operator token is not valid.").into())
        }
    }
}

/// An account as the operator sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorAccountView {
    pub id: String,
    pub name: String,
    pub plan: String,
    pub status: String,
    pub users: i64,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorAccountList {
    pub data: Vec<OperatorAccountView>,
    pub next_cursor: Option<String>,
}

use crate::api::PageQuery;

/// Every account with its plan, status and number of users.
#[utoipa::path(get, path = "/api/v1/operator/accounts", tag = "operator", params(PageQuery), security(("operator" = [])),
    responses((status = 200, body = OperatorAccountList), (status = 401, body = Problem), (status = 404, description = "operator API off", body = Problem)))]
pub async fn operator_accounts(
    State(state): State<AppState>, _op: Operator,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<OperatorAccountList>> {
    let Query(q) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let (limit, after): (i64, Option<(i64, String)>) = cursor::page_request(q.limit.as_deref(), q.cursor.as_deref())?;
    let (rows, next_cursor) = subscriptions::list_accounts(&state, after, limit).await?;
    let data = rows
        .into_iter()
        .map(|a| OperatorAccountView {
            id: a.id,
            name: a.name,
            plan: a.plan,
            status: a.status,
            users: a.users,
            created_at: ts(a.created_at),
        })
        .collect();
    Ok(Json(OperatorAccountList { data, next_cursor }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRequest {
    pub plan: String,
    /// `trial`, `paid` or `canceled`.
    pub status: String,
    /// RFC 3339; default: unchanged.
    pub cycle_start: Option<String>,
    /// Seats per product, merged into the current ones.
    #[serde(default)]
    pub seats: BTreeMap<String, i64>,
}

impl From<SubscriptionRequest> for SubscriptionInput {
    fn from(r: SubscriptionRequest) -> Self {
        Self { plan: r.plan, status: r.status, cycle_start: r.cycle_start, seats: r.seats }
    }
}

/// Sets an account's plan, status and seats. Seats below those assigned, or `paid` without a
/// licensed Administrator, are refused with 409.
#[utoipa::path(put, path = "/api/v1/operator/accounts/{account_id}/subscription", tag = "operator", params(("account_id" = String, Path)),
    request_body = SubscriptionRequest, security(("operator" = [])),
    responses((status = 200, body = SubscriptionView), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn set_subscription(
    State(state): State<AppState>, _op: Operator, PathId(account_id): PathId<tenantry_domain::AccountId>,
    ApiJson(body): ApiJson<SubscriptionRequest>,
) -> AppResult<Json<SubscriptionView>> {
    let change = SubscriptionChange::parse(&state.config.catalog, body.into())?;
    Ok(Json(subscriptions::set(&state, &account_id, change).await?.into()))
}

/// One Administrator and the billing notices they receive.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingRecipientView {
    #[schema(example = "usr_5b0e0c1f9d2a4e6b8c3d7f10")]
    pub user_id: String,
    pub invoices: bool,
    pub payment_failures: bool,
    pub low_sms_credits: bool,
    pub license_changes: bool,
}

/// Who gets which billing notification.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingNotificationsView {
    /// Until an Administrator saves this list, every Administrator receives every kind.
    pub recipients: Vec<BillingRecipientView>,
}

impl From<tenantry_app::billing::Recipients> for BillingNotificationsView {
    fn from(r: tenantry_app::billing::Recipients) -> Self {
        Self {
            recipients: r
                .recipients
                .into_iter()
                .map(|r| BillingRecipientView {
                    user_id: r.user_id,
                    invoices: r.invoices,
                    payment_failures: r.payment_failures,
                    low_sms_credits: r.low_sms_credits,
                    license_changes: r.license_changes,
                })
                .collect(),
        }
    }
}

/// Which Administrators receive invoices, payment failures, low SMS credits and license changes.
#[utoipa::path(get, path = "/api/v1/billing/notifications", tag = "billing", security(("bearer" = ["billing:read"])),
    responses((status = 200, body = BillingNotificationsView), (status = 403, description = "not an Administrator", body = Problem)))]
pub async fn get_notifications(
    State(state): State<AppState>, admin: AdminUser,
) -> AppResult<Json<BillingNotificationsView>> {
    Ok(Json(tenantry_app::billing::recipients(&state, &admin).await?.into()))
}

/// Replaces who receives which billing notification.
#[utoipa::path(put, path = "/api/v1/billing/notifications", tag = "billing", request_body = BillingNotificationsView, security(("bearer" = ["billing:write"])),
    responses((status = 200, body = BillingNotificationsView), (status = 403, description = "not an Administrator", body = Problem),
        (status = 409, description = "`payment_failure_recipient`: a paid subscription needs someone who receives payment failures", body = Problem),
        (status = 422, description = "`recipients[i].user_id` is not an Administrator of the account, or listed twice", body = Problem)))]
pub async fn put_notifications(
    State(state): State<AppState>, admin: AdminUser, ApiJson(body): ApiJson<BillingNotificationsView>,
) -> AppResult<Json<BillingNotificationsView>> {
    let wanted = body
        .recipients
        .into_iter()
        .map(|r| tenantry_storage::billing_recipients::Recipient {
            user_id: r.user_id,
            invoices: r.invoices,
            payment_failures: r.payment_failures,
            low_sms_credits: r.low_sms_credits,
            license_changes: r.license_changes,
        })
        .collect();
    Ok(Json(tenantry_app::billing::set_recipients(&state, &admin, &admin.actor, wanted).await?.into()))
}
