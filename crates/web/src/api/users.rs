//! The users of an account (Administrators) and the signed-in user's own record.

use super::views::{MeView, UserList, UserView};
use crate::api::json::Json;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{AdminUser, ApiJson, AuthUser, PathId};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use tenantry_app::users::{self, Invite, ListParams, ProfilePatch};
use tenantry_domain::{EmailAddress, PersonName, Role, TimeZoneName, UserStatus, Username, ValidationErrors};
use tenantry_domain::{ProductSettingsPatch, UserId};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// Case-insensitive substring of name or email.
    pub q: Option<String>,
    /// `administrator` or `member`.
    pub role: Option<String>,
    /// `invited`, `active`, `locked` or `deactivated`.
    pub status: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl TryFrom<ListUsersQuery> for ListParams {
    type Error = AppError;
    fn try_from(q: ListUsersQuery) -> AppResult<Self> {
        let mut e = ValidationErrors::new();
        let role = q.role.filter(|s| !s.is_empty()).and_then(|r| e.check("role", r.parse::<Role>()));
        let status = q.status.filter(|s| !s.is_empty()).and_then(|s| e.check("status", s.parse::<UserStatus>()));
        let limit = q
            .limit
            .filter(|s| !s.is_empty())
            .and_then(|l| e.check("limit", l.parse::<i64>().map_err(|_| "must be a whole number")));
        e.into_result()?;
        Ok(ListParams { q: q.q, role, status, limit, cursor: q.cursor })
    }
}

/// Lists the account's users by name, filtered, with keyset pagination.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListUsersQuery), security(("bearer" = ["users:read"])),
    responses((status = 200, body = UserList), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>, admin: AdminUser,
    query: Result<Query<ListUsersQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<UserList>> {
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let page = users::list(&state, &admin, query.try_into()?).await?;
    Ok(Json(UserList { data: page.users.into_iter().map(UserView::from).collect(), next_cursor: page.next_cursor }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub email: String,
    pub name: String,
    /// `administrator` or `member`.
    pub role: String,
    /// Products to license at once, e.g. `["scheduling"]` (each needs a free seat).
    #[serde(default)]
    pub licenses: Vec<String>,
}

impl TryFrom<InviteRequest> for Invite {
    type Error = ValidationErrors;
    fn try_from(r: InviteRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let email = e.check("email", EmailAddress::parse(&r.email));
        let name = e.check("name", PersonName::parse(&r.name));
        let role = e.check("role", r.role.parse::<Role>());
        match (email, name, role) {
            (Some(email), Some(name), Some(role)) => Ok(Invite { email, name, role, licenses: r.licenses }),
            _ => Err(e),
        }
    }
}

/// Invites a user by email: they appear as `invited` and get a single-use sign-in link.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = InviteRequest, security(("bearer" = ["users:write"])),
    responses((status = 201, body = UserView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn invite(
    State(state): State<AppState>, admin: AdminUser, ApiJson(body): ApiJson<InviteRequest>,
) -> AppResult<(StatusCode, Json<UserView>)> {
    let user = users::invite(&state, &admin, &admin.actor, body.try_into()?).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// One user of the account.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)), security(("bearer" = ["users:read"])),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<UserId>,
) -> AppResult<Json<UserView>> {
    Ok(Json(users::get(&state, &admin, &id).await?.into()))
}

/// A change to a profile; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub name: Option<String>,
    /// `administrator` or `member` (users API only).
    pub role: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub username: Option<Option<String>>,
    /// IANA name, e.g. `Europe/Berlin`.
    pub timezone: Option<String>,
    /// `YYYY-MM-DD`, `MM/DD/YYYY`, `DD/MM/YYYY` or `DD.MM.YYYY`.
    pub date_format: Option<String>,
    /// `24h` or `12h`.
    pub time_format: Option<String>,
    /// `{missed_calls, voicemails}`: which emails about calls to get.
    #[schema(value_type = Option<Object>)]
    pub notifications: Option<tenantry_domain::settings::Notifications>,
    /// `{caller_id: "number"|"withheld", forwarding_number, voicemail_greeting}` (replaces the current ones).
    #[schema(value_type = Option<Object>)]
    pub phone_settings: Option<tenantry_domain::settings::PhoneSettings>,
    /// `{signature, auto_reply_enabled, auto_reply_text}` (replaces the current ones).
    #[schema(value_type = Option<Object>)]
    pub message_settings: Option<tenantry_domain::settings::MessageSettings>,
    /// Settings per product, merged into the current ones: the fields given replace, the others
    /// stay; `null` for a field (or a whole product) puts its default back. Errors name the nested
    /// field, e.g. `product_settings.scheduling.buffer_minutes`.
    #[schema(value_type = Option<ProductSettingsPatchDoc>)]
    pub product_settings: Option<serde_json::Value>,
}

/// A change to product settings (documentation of the `product_settings` of a user patch): every
/// product and field is optional; `null` puts the default back.
#[derive(Debug, ToSchema)]
#[schema(example = json!({"scheduling": {"buffer_minutes": 10}, "voice": {"caller_id": "company", "call_forwarding": "+44 20 7946 0958"}}))]
pub struct ProductSettingsPatchDoc {
    pub scheduling: Option<SchedulingPatchDoc>,
    pub chat: Option<ChatPatchDoc>,
    pub voice: Option<VoicePatchDoc>,
}

/// A change to scheduling settings.
#[derive(Debug, ToSchema)]
pub struct SchedulingPatchDoc {
    /// 5–480 minutes.
    #[schema(example = 45, minimum = 5, maximum = 480)]
    pub default_meeting_minutes: Option<u32>,
    /// 0–120 minutes.
    #[schema(example = 10, minimum = 0, maximum = 120)]
    pub buffer_minutes: Option<u32>,
}

/// A change to live chat settings.
#[derive(Debug, ToSchema)]
pub struct ChatPatchDoc {
    /// 1–50.
    #[schema(example = 5, minimum = 1, maximum = 50)]
    pub max_concurrent_chats: Option<u32>,
}

/// A change to voice settings.
#[derive(Debug, ToSchema)]
pub struct VoicePatchDoc {
    /// `number`, `company` or `withheld`.
    #[schema(example = "company")]
    pub caller_id: Option<String>,
    /// A phone number with its country code (stored as E.164); `null` or `""` stops forwarding.
    #[schema(example = "+44 20 7946 0958")]
    pub call_forwarding: Option<String>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub(crate) fn double_option<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl TryFrom<UserPatch> for ProfilePatch {
    type Error = ValidationErrors;
    fn try_from(p: UserPatch) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let patch = ProfilePatch {
            name: p.name.and_then(|n| e.check("name", PersonName::parse(&n))),
            role: p.role.and_then(|r| e.check("role", r.parse::<Role>())),
            username: match p.username {
                None => None,
                Some(None) => Some(None),
                Some(Some(u)) => e.check("username", Username::parse(&u)).map(Some),
            },
            timezone: p.timezone.and_then(|t| e.check("timezone", TimeZoneName::parse(&t))),
            date_format: p.date_format.and_then(|f| e.check("date_format", f.parse())),
            time_format: p.time_format.and_then(|f| e.check("time_format", f.parse())),
            notifications: p.notifications,
            phone_settings: p.phone_settings.map(|s| s.validated(&mut e)),
            message_settings: p.message_settings.map(|s| s.validated(&mut e)),
            product_settings: p.product_settings.map(|v| ProductSettingsPatch::parse(&v, &mut e)),
        };
        e.into_result().map(|()| patch)
    }
}

/// Changes a user's details or role. Demoting the last Administrator is refused with 409, and so
/// is demoting oneself (`rule: "self"`).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)), request_body = UserPatch, security(("bearer" = ["users:write"])),
    responses((status = 200, body = UserView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<UserId>, ApiJson(body): ApiJson<UserPatch>,
) -> AppResult<Json<UserView>> {
    Ok(Json(users::update(&state, &admin, &admin.actor, &id, body.try_into()?).await?.into()))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct DeleteQuery {
    /// `true`: answer what the deletion would do, change nothing.
    pub dry_run: Option<String>,
    /// Who receives the user's booking pages (any other user of the account, `usr_…`); by
    /// default the acting Administrator.
    pub transfer_to: Option<String>,
}

/// What deleting a user does: who inherits their booking pages and which licenses become free.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletionView {
    pub user_id: String,
    /// The Administrator who receives the booking pages (none when there are none).
    pub transfer_to: Option<HeirView>,
    pub booking_pages: Vec<TransferView>,
    pub licenses_freed: Vec<String>,
    /// Whether the pages arrive switched off because the heir holds no scheduling license.
    pub pages_disabled: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HeirView {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransferView {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub to_user_id: String,
}

impl From<users::DeletionPlan> for DeletionView {
    fn from(p: users::DeletionPlan) -> Self {
        let to = p.heir.as_ref().map(|h| h.id.to_string()).unwrap_or_default();
        Self {
            user_id: p.user.user.id.to_string(),
            booking_pages: p
                .pages
                .into_iter()
                .map(|b| TransferView { id: b.id, name: b.name, slug: b.slug, to_user_id: to.clone() })
                .collect(),
            transfer_to: p.heir.map(|h| HeirView {
                id: h.id.to_string(),
                name: h.name.to_string(),
                email: h.email.to_string(),
            }),
            licenses_freed: p.licenses_freed,
            pages_disabled: p.pages_disabled,
        }
    }
}

/// Deletes a user; their booking pages move to `transfer_to` when given, else to the acting
/// Administrator (else the oldest one), in the same transaction. Refused with 409 for the last
/// Administrator, the last licensed one of a paid account, and oneself (`rule: "self"`).
/// `?dry_run=true` answers 200 with what would happen (or the same 409) and changes nothing.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path), DeleteQuery), security(("bearer" = ["users:write"])),
    responses((status = 204), (status = 200, description = "dry run", body = DeletionView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<UserId>,
    query: Result<Query<DeleteQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<axum::response::Response> {
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let dry_run = match query.dry_run.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(AppError::invalid("dry_run", "must be true or false")),
    };
    let transfer_to = match query.transfer_to.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => {
            Some(UserId::parse(t).ok_or_else(|| AppError::invalid("transfer_to", "is not a user of this account"))?)
        }
        None => None,
    };
    let plan = users::delete(&state, &admin, &admin.actor, &id, transfer_to.as_ref(), dry_run).await?;
    Ok(if dry_run { Json(DeletionView::from(plan)).into_response() } else { StatusCode::NO_CONTENT.into_response() })
}

/// Sends a new invitation link; the previous one stops working.
#[utoipa::path(post, path = "/api/v1/users/{id}/invitation", tag = "users", params(("id" = String, Path)), security(("bearer" = ["users:write"])),
    responses((status = 202), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn resend_invitation(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<UserId>,
) -> AppResult<StatusCode> {
    users::resend_invitation(&state, &admin, &admin.actor, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Revokes a pending invitation: the link stops working and the invited user is removed (their
/// licenses become free; booking pages move as on a deletion). 409 once they have accepted.
#[utoipa::path(delete, path = "/api/v1/users/{id}/invitation", tag = "users", params(("id" = String, Path)), security(("bearer" = ["users:write"])),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn revoke_invitation(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<UserId>,
) -> AppResult<StatusCode> {
    users::revoke_invitation(&state, &admin, &admin.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user's own record.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("bearer" = [])), responses((status = 200, body = MeView), (status = 401, body = Problem)))]
pub async fn me(me: AuthUser) -> Json<MeView> {
    Json(MeView::from(&me.user))
}

/// Changes the signed-in user's profile (a `role` here is refused).
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", request_body = UserPatch, security(("bearer" = [])),
    responses((status = 200, body = MeView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_me(
    State(state): State<AppState>, me: AuthUser, ApiJson(body): ApiJson<UserPatch>,
) -> AppResult<Json<MeView>> {
    if body.role.is_some() {
        return Err(AppError::invalid("role", "cannot be changed here; an Administrator changes roles"));
    }
    Ok(Json(users::update_me(&state, &me, &me.actor, body.try_into()?).await?.into()))
}

/// Unlocks a user locked by the lockout policy.
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "users", params(("id" = String, Path)), security(("bearer" = ["users:write"])),
    responses((status = 200, body = UserView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn unlock(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<UserId>,
) -> AppResult<Json<UserView>> {
    Ok(Json(tenantry_app::sessions::unlock(&state, &admin, &admin.actor, &id).await?.into()))
}

/// Deactivates a user: their sessions and API key stop working at once and they cannot sign in;
/// licenses and booking pages stay.
#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = "users", params(("id" = String, Path)), security(("bearer" = ["users:write"])),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn deactivate(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<UserId>,
) -> AppResult<Json<UserView>> {
    Ok(Json(users::deactivate(&state, &admin, &admin.actor, &id).await?.into()))
}

/// Reactivates a deactivated user (`active`, or `invited` when they never signed in).
#[utoipa::path(post, path = "/api/v1/users/{id}/reactivate", tag = "users", params(("id" = String, Path)), security(("bearer" = ["users:write"])),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reactivate(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<UserId>,
) -> AppResult<Json<UserView>> {
    Ok(Json(users::reactivate(&state, &admin, &admin.actor, &id).await?.into()))
}

/// Signs a user out everywhere: ends every session and revokes their personal API key.
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions", tag = "users", params(("id" = String, Path)), security(("bearer" = ["users:write"])),
    responses((status = 204, description = "every session ended and the API key revoked"), (status = 404, description = "no such user in this account", body = Problem)))]
pub async fn revoke_sessions(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<UserId>,
) -> AppResult<StatusCode> {
    tenantry_app::sessions::revoke_all_of_user(&state, &admin, &admin.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes a user's personal API key.
#[utoipa::path(delete, path = "/api/v1/users/{id}/api-key", tag = "users", params(("id" = String, Path)), security(("bearer" = ["users:write"])),
    responses((status = 204, description = "the key is revoked"), (status = 403, description = "not an Administrator", body = Problem), (status = 404, description = "no such user in this account, or the user has no key", body = Problem)))]
pub async fn revoke_api_key(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<UserId>,
) -> AppResult<StatusCode> {
    tenantry_app::api_keys::revoke_of_user(&state, &admin, &admin.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPasswordRequest {
    pub password: String,
    /// Ask the user for a new password at their next sign-in.
    #[serde(default)]
    pub require_change: bool,
}

/// Sets a user's password (checked against the policy and history); their sessions end.
#[utoipa::path(put, path = "/api/v1/users/{id}/password", tag = "users", params(("id" = String, Path)), security(("bearer" = ["users:write"])), request_body = SetPasswordRequest,
    responses((status = 200, body = UserView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn set_password(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<UserId>,
    ApiJson(body): ApiJson<SetPasswordRequest>,
) -> AppResult<Json<UserView>> {
    let user = tenantry_app::passwords::admin_set(
        &state,
        &admin,
        &admin.actor,
        &id,
        tenantry_domain::Password::new(body.password),
        body.require_change,
    )
    .await?;
    Ok(Json(user.into()))
}
