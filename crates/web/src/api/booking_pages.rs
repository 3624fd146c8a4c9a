//! Booking pages: Members see and change their own (others' are 404); Administrators all of the account's.

use crate::api::json::Json;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tenantry_app::booking_pages::{self, NewPage, PagePatch};
use tenantry_app::cursor;
use tenantry_domain::{PageName, Slug, ValidationErrors};
use tenantry_storage::booking_pages::BookingPage;
use utoipa::{IntoParams, ToSchema};

/// A booking page.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingPageView {
    pub id: String,
    pub owner_id: String,
    pub name: String,
    pub slug: String,
    pub enabled: bool,
    /// Why it is disabled: `license_unassigned`, `no_license` or `disabled_by_user`.
    pub disabled_reason: Option<String>,
    pub created_at: String,
}

impl From<BookingPage> for BookingPageView {
    fn from(p: BookingPage) -> Self {
        Self {
            id: p.id,
            owner_id: p.owner_id.to_string(),
            name: p.name,
            slug: p.slug,
            enabled: p.enabled,
            disabled_reason: p.disabled_reason,
            created_at: super::views::ts(p.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingPageList {
    pub data: Vec<BookingPageView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ListQuery {
    /// Only this user's pages (Administrators; a Member always gets their own).
    pub owner_id: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// The pages the caller may see, oldest first.
#[utoipa::path(get, path = "/api/v1/booking-pages", tag = "booking pages", params(ListQuery), security(("bearer" = ["settings:read"])),
    responses((status = 200, body = BookingPageList), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>, me: AuthUser,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<BookingPageList>> {
    let Query(q) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let (limit, after): (i64, Option<(i64, String)>) = cursor::page_request(q.limit.as_deref(), q.cursor.as_deref())?;
    let pages =
        booking_pages::list(&state, &me, q.owner_id.as_deref().filter(|o| !o.is_empty()), after, limit + 1).await?;
    let (pages, next_cursor) = cursor::paginate(pages, limit, |p| (p.created_at, p.id.clone()));
    Ok(Json(BookingPageList { data: pages.into_iter().map(Into::into).collect(), next_cursor }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    pub name: String,
    /// 3–64 of a-z, 0-9 and hyphens; unique.
    pub slug: String,
    /// Another user of the account (Administrators only); default: the caller.
    pub owner_id: Option<String>,
    /// Default: enabled when the owner holds a scheduling license.
    pub enabled: Option<bool>,
}

impl TryFrom<CreateRequest> for NewPage {
    type Error = ValidationErrors;
    fn try_from(r: CreateRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = e.check("name", PageName::parse(&r.name));
        let slug = e.check("slug", Slug::parse(&r.slug));
        match (name, slug) {
            (Some(name), Some(slug)) => Ok(NewPage { name, slug, owner_id: r.owner_id, enabled: r.enabled }),
            _ => Err(e),
        }
    }
}

/// Creates a booking page. Enabling one whose owner has no scheduling license is refused (409).
#[utoipa::path(post, path = "/api/v1/booking-pages", tag = "booking pages", request_body = CreateRequest, security(("bearer" = ["settings:write"])),
    responses((status = 201, body = BookingPageView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>, me: AuthUser, ApiJson(body): ApiJson<CreateRequest>,
) -> AppResult<(StatusCode, Json<BookingPageView>)> {
    let page = booking_pages::create(&state, &me, &me.actor, body.try_into()?).await?;
    Ok((StatusCode::CREATED, Json(page.into())))
}

/// One page (another user's is 404 for a Member).
#[utoipa::path(get, path = "/api/v1/booking-pages/{id}", tag = "booking pages", params(("id" = String, Path)), security(("bearer" = ["settings:read"])),
    responses((status = 200, body = BookingPageView), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>, me: AuthUser, Path(id): Path<String>,
) -> AppResult<Json<BookingPageView>> {
    Ok(Json(booking_pages::get(&state, &me, &id).await?.into()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchRequest {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub enabled: Option<bool>,
}

impl TryFrom<PatchRequest> for PagePatch {
    type Error = ValidationErrors;
    fn try_from(r: PatchRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let patch = PagePatch {
            name: r.name.and_then(|n| e.check("name", PageName::parse(&n))),
            slug: r.slug.and_then(|s| e.check("slug", Slug::parse(&s))),
            enabled: r.enabled,
        };
        e.into_result().map(|()| patch)
    }
}

/// Changes a page. Enabling it needs its owner's scheduling license (409 otherwise).
#[utoipa::path(patch, path = "/api/v1/booking-pages/{id}", tag = "booking pages", params(("id" = String, Path)), request_body = PatchRequest,
    security(("bearer" = ["settings:write"])), responses((status = 200, body = BookingPageView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>, me: AuthUser, Path(id): Path<String>, ApiJson(body): ApiJson<PatchRequest>,
) -> AppResult<Json<BookingPageView>> {
    Ok(Json(booking_pages::update(&state, &me, &me.actor, &id, body.try_into()?).await?.into()))
}

/// Deletes a page.
#[utoipa::path(delete, path = "/api/v1/booking-pages/{id}", tag = "booking pages", params(("id" = String, Path)), security(("bearer" = ["settings:write"])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(State(state): State<AppState>, me: AuthUser, Path(id): Path<String>) -> AppResult<StatusCode> {
    booking_pages::delete(&state, &me, &me.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
