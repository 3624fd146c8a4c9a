//! Licenses and integrations of a user.

use super::views::UserView;
use crate::api::json::Json;
use crate::error::{AppResult, Problem};
use crate::extract::{AdminUser, AuthUser, parse_id};
use crate::state::AppState;
use axum::extract::{Path, State};
use tenantry_app::{integrations, licenses};
use tenantry_domain::UserId;

/// Assigns a license of `product` (idempotent). 409 when no seat is free, naming how many are.
#[utoipa::path(put, path = "/api/v1/users/{id}/licenses/{product}", tag = "licenses", params(("id" = String, Path), ("product" = String, Path)),
    security(("bearer" = ["licenses:write"])), responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn assign(
    State(state): State<AppState>, admin: AdminUser, Path((id, product)): Path<(String, String)>,
) -> AppResult<Json<UserView>> {
    let id: UserId = parse_id(id)?;
    Ok(Json(licenses::assign(&state, &admin, &admin.actor, &id, &product).await?.into()))
}

/// Unassigns a license (idempotent). 409 when a paid account would be left with no licensed
/// Administrator; unassigning `scheduling` disables the user's booking pages.
#[utoipa::path(delete, path = "/api/v1/users/{id}/licenses/{product}", tag = "licenses", params(("id" = String, Path), ("product" = String, Path)),
    security(("bearer" = ["licenses:write"])), responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn unassign(
    State(state): State<AppState>, admin: AdminUser, Path((id, product)): Path<(String, String)>,
) -> AppResult<Json<UserView>> {
    let id: UserId = parse_id(id)?;
    Ok(Json(licenses::unassign(&state, &admin, &admin.actor, &id, &product).await?.into()))
}

/// A product reports that the user connected `name` (e.g. `google_calendar`); the user themself or an Administrator.
#[utoipa::path(put, path = "/api/v1/users/{id}/integrations/{name}", tag = "licenses", params(("id" = String, Path), ("name" = String, Path)),
    security(("bearer" = ["licenses:write"])), responses((status = 200, body = UserView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn connect(
    State(state): State<AppState>, me: AuthUser, Path((id, name)): Path<(String, String)>,
) -> AppResult<Json<UserView>> {
    let id: UserId = parse_id(id)?;
    Ok(Json(integrations::set(&state, &me, &me.actor, &id, &name, true).await?.into()))
}

/// A product reports that the user disconnected `name`.
#[utoipa::path(delete, path = "/api/v1/users/{id}/integrations/{name}", tag = "licenses", params(("id" = String, Path), ("name" = String, Path)),
    security(("bearer" = ["licenses:write"])), responses((status = 200, body = UserView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn disconnect(
    State(state): State<AppState>, me: AuthUser, Path((id, name)): Path<(String, String)>,
) -> AppResult<Json<UserView>> {
    let id: UserId = parse_id(id)?;
    Ok(Json(integrations::set(&state, &me, &me.actor, &id, &name, false).await?.into()))
}
