//! Billing › Payment methods (Administrators): `/api/v1/billing/payment-methods[/{id}]`. A
//! payment method is a payment provider's token; a body holding a card number is 422.

use super::views::ts;
use crate::api::json::Json;
use crate::error::{AppResult, Problem};
use crate::extract::{AdminUser, CardFreeJson, PathId};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tenantry_app::payment_methods::{self, PaymentMethodInput};
use tenantry_domain::id::PaymentMethodId;
use tenantry_storage::payment_methods::PaymentMethod;
use utoipa::ToSchema;

/// A payment method (never the provider's token, never a card number).
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentMethodView {
    #[schema(example = "pm_5b0e0c1f9d2a4e6b8c3d7f10")]
    pub id: String,
    /// `visa`, `mastercard`, `amex`, `discover`, `diners`, `jcb`, `unionpay` or `other`.
    #[schema(example = "visa")]
    pub brand: String,
    #[schema(example = "4242")]
    pub last4: String,
    #[schema(example = 12)]
    pub exp_month: i64,
    #[schema(example = 2030)]
    pub exp_year: i64,
    /// Exactly one method is the default while any exist.
    pub is_default: bool,
    /// The card's expiry month has passed.
    pub expired: bool,
    pub created_at: String,
}

impl PaymentMethodView {
    fn of(m: PaymentMethod, now: i64) -> Self {
        Self {
            expired: payment_methods::expired(m.exp_month, m.exp_year, now),
            id: m.id,
            brand: m.brand,
            last4: m.last4,
            exp_month: m.exp_month,
            exp_year: m.exp_year,
            is_default: m.is_default,
            created_at: ts(m.created_at),
        }
    }
}

/// The account's payment methods.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentMethodList {
    pub data: Vec<PaymentMethodView>,
}

/// Adding a payment method: the provider's token and what may be shown of the card.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodRequest {
    /// The payment provider's token for the card (e.g. Stripe's `pm_…`). Never a card number.
    #[schema(example = "pm_1QzX2Y3Z4a5b6c7d8e9f")]
    pub provider_token: String,
    #[schema(example = "visa")]
    pub brand: String,
    #[schema(example = "4242")]
    pub last4: String,
    #[schema(example = 12)]
    pub exp_month: i64,
    #[schema(example = 2030)]
    pub exp_year: i64,
    /// Make it the default (the account's first is the default anyway).
    pub make_default: Option<bool>,
}

/// The account's payment methods, newest first.
#[utoipa::path(get, path = "/api/v1/billing/payment-methods", tag = "billing", security(("bearer" = ["billing:read"])),
    responses((status = 200, body = PaymentMethodList), (status = 403, description = "not an Administrator", body = Problem)))]
pub async fn list(State(state): State<AppState>, admin: AdminUser) -> AppResult<Json<PaymentMethodList>> {
    let now = state.now();
    let data =
        payment_methods::list(&state, &admin).await?.into_iter().map(|m| PaymentMethodView::of(m, now)).collect();
    Ok(Json(PaymentMethodList { data }))
}

/// Adds a payment method. A body holding anything that looks like a card number is 422.
#[utoipa::path(post, path = "/api/v1/billing/payment-methods", tag = "billing", request_body = PaymentMethodRequest, security(("bearer" = ["billing:write"])),
    responses((status = 201, body = PaymentMethodView), (status = 403, description = "not an Administrator", body = Problem),
        (status = 409, description = "`payment_method_limit`: the account keeps 20 already", body = Problem),
        (status = 422, description = "an invalid field, or a card number anywhere in the body", body = Problem)))]
pub async fn create(
    State(state): State<AppState>, admin: AdminUser, CardFreeJson(body): CardFreeJson<PaymentMethodRequest>,
) -> AppResult<(StatusCode, Json<PaymentMethodView>)> {
    let input = PaymentMethodInput {
        provider_token: body.provider_token,
        brand: body.brand,
        last4: body.last4,
        exp_month: body.exp_month,
        exp_year: body.exp_year,
        make_default: body.make_default.unwrap_or(false),
    };
    let method = payment_methods::add(&state, &admin, &admin.actor, input).await?;
    Ok((StatusCode::CREATED, Json(PaymentMethodView::of(method, state.now()))))
}

/// Makes a payment method the default.
#[utoipa::path(post, path = "/api/v1/billing/payment-methods/{id}/default", tag = "billing", params(("id" = String, Path)), security(("bearer" = ["billing:write"])),
    responses((status = 200, body = PaymentMethodView), (status = 403, description = "not an Administrator", body = Problem), (status = 404, body = Problem)))]
pub async fn make_default(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<PaymentMethodId>,
) -> AppResult<Json<PaymentMethodView>> {
    let method = payment_methods::make_default(&state, &admin, &admin.actor, &id).await?;
    Ok(Json(PaymentMethodView::of(method, state.now())))
}

/// Deletes a payment method; deleting the default makes the newest other one the default.
#[utoipa::path(delete, path = "/api/v1/billing/payment-methods/{id}", tag = "billing", params(("id" = String, Path)), security(("bearer" = ["billing:write"])),
    responses((status = 204, description = "deleted"), (status = 403, description = "not an Administrator", body = Problem), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<PaymentMethodId>,
) -> AppResult<StatusCode> {
    payment_methods::delete(&state, &admin, &admin.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
