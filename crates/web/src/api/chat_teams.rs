//! Live chat teams (Administrators): `/api/v1/chat-teams[/{id}]`.

use super::PageQuery;
use super::views::ts;
use crate::api::json::Json;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{AdminUser, ApiJson, PathId};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tenantry_app::chat_teams::{self, NewTeam, TeamPatch, parse_description, parse_member_ids, parse_name};
use tenantry_app::cursor;
use tenantry_domain::ValidationErrors;
use tenantry_domain::id::ChatTeamId;
use tenantry_storage::chat_teams::ChatTeam;
use utoipa::ToSchema;

/// A live chat team.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatTeamView {
    #[schema(example = "cht_5b0e0c1f9d2a4e6b8c3d7f10")]
    pub id: String,
    #[schema(example = "Support")]
    pub name: String,
    /// Empty when there is none.
    #[schema(example = "Answers product questions on weekdays.")]
    pub description: String,
    /// The users in the team, longest-standing member first.
    #[schema(example = json!(["usr_6d461e1ded3c26dfb2b5d6da"]))]
    pub member_ids: Vec<String>,
    #[schema(example = "2026-05-31T12:30:00.000Z")]
    pub created_at: String,
    #[schema(example = "2026-06-02T08:00:00.000Z")]
    pub updated_at: String,
}

impl From<ChatTeam> for ChatTeamView {
    fn from(t: ChatTeam) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name,
            description: t.description,
            member_ids: t.member_ids.iter().map(ToString::to_string).collect(),
            created_at: ts(t.created_at),
            updated_at: ts(t.updated_at),
        }
    }
}

/// A page of teams, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatTeamList {
    pub data: Vec<ChatTeamView>,
    #[schema(example = "WyJzdXBwb3J0IiwiY2h0XzViMGUwYzFmOWQyYTRlNmI4YzNkN2YxMCJd")]
    pub next_cursor: Option<String>,
}

/// The account's teams, by name (case-insensitively).
#[utoipa::path(get, path = "/api/v1/chat-teams", tag = "chat teams", params(PageQuery), security(("bearer" = ["settings:read"])),
    responses((status = 200, description = "a page of teams", body = ChatTeamList),
        (status = 400, description = "a cursor this API did not issue", body = Problem),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 422, description = "a limit outside 1–200", body = Problem)))]
pub async fn list(
    State(state): State<AppState>, admin: AdminUser,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<ChatTeamList>> {
    let Query(q) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let (limit, after) = cursor::page_request(q.limit.as_deref(), q.cursor.as_deref())?;
    let (teams, next_cursor) = chat_teams::list(&state, &admin, after, limit).await?;
    Ok(Json(ChatTeamList { data: teams.into_iter().map(Into::into).collect(), next_cursor }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChatTeamRequest {
    /// 1–100 characters, unique in the account whatever the case.
    #[schema(example = "Support")]
    pub name: String,
    /// Up to 1,000 characters.
    #[schema(example = "Answers product questions on weekdays.")]
    pub description: Option<String>,
    /// Users of the account.
    #[schema(example = json!(["usr_6d461e1ded3c26dfb2b5d6da"]))]
    pub member_ids: Option<Vec<String>>,
}

impl TryFrom<CreateChatTeamRequest> for NewTeam {
    type Error = ValidationErrors;
    fn try_from(r: CreateChatTeamRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = e.check("name", parse_name(&r.name));
        let description = e.check("description", parse_description(r.description.as_deref().unwrap_or("")));
        let member_ids = e.check("member_ids", parse_member_ids(&r.member_ids.unwrap_or_default()));
        match (name, description, member_ids) {
            (Some(name), Some(description), Some(member_ids)) => Ok(NewTeam { name, description, member_ids }),
            _ => Err(e),
        }
    }
}

/// Creates a team, with its members if given.
#[utoipa::path(post, path = "/api/v1/chat-teams", tag = "chat teams", request_body = CreateChatTeamRequest, security(("bearer" = ["settings:write"])),
    responses((status = 201, description = "the new team", body = ChatTeamView),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 409, description = "the name is taken (the error names `name`)", body = Problem),
        (status = 422, description = "an invalid field, or `member_ids` naming someone who is not a user of the account", body = Problem)))]
pub async fn create(
    State(state): State<AppState>, admin: AdminUser, ApiJson(body): ApiJson<CreateChatTeamRequest>,
) -> AppResult<(StatusCode, Json<ChatTeamView>)> {
    let team = chat_teams::create(&state, &admin, &admin.actor, body.try_into()?).await?;
    Ok((StatusCode::CREATED, Json(team.into())))
}

/// One team.
#[utoipa::path(get, path = "/api/v1/chat-teams/{id}", tag = "chat teams", params(("id" = String, Path)), security(("bearer" = ["settings:read"])),
    responses((status = 200, description = "the team", body = ChatTeamView),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 404, description = "no such team in the account", body = Problem)))]
pub async fn get(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<ChatTeamId>,
) -> AppResult<Json<ChatTeamView>> {
    Ok(Json(chat_teams::get(&state, &admin, &id).await?.into()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateChatTeamRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Replaces the member set (`[]` empties the team).
    pub member_ids: Option<Vec<String>>,
}

impl TryFrom<UpdateChatTeamRequest> for TeamPatch {
    type Error = ValidationErrors;
    fn try_from(r: UpdateChatTeamRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let patch = TeamPatch {
            name: r.name.and_then(|n| e.check("name", parse_name(&n))),
            description: r.description.and_then(|d| e.check("description", parse_description(&d))),
            member_ids: r.member_ids.and_then(|m| e.check("member_ids", parse_member_ids(&m))),
        };
        e.into_result().map(|()| patch)
    }
}

/// Changes a team: what is sent changes, the rest stays; `member_ids` replaces the members.
#[utoipa::path(patch, path = "/api/v1/chat-teams/{id}", tag = "chat teams", params(("id" = String, Path)), request_body = UpdateChatTeamRequest,
    security(("bearer" = ["settings:write"])),
    responses((status = 200, description = "the team as changed", body = ChatTeamView),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 404, description = "no such team in the account", body = Problem),
        (status = 409, description = "the name is taken (the error names `name`)", body = Problem),
        (status = 422, description = "an invalid field", body = Problem)))]
pub async fn update(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<ChatTeamId>,
    ApiJson(body): ApiJson<UpdateChatTeamRequest>,
) -> AppResult<Json<ChatTeamView>> {
    Ok(Json(chat_teams::update(&state, &admin, &admin.actor, &id, body.try_into()?).await?.into()))
}

/// Deletes a team; its members stay users of the account.
#[utoipa::path(delete, path = "/api/v1/chat-teams/{id}", tag = "chat teams", params(("id" = String, Path)), security(("bearer" = ["settings:write"])),
    responses((status = 204, description = "deleted"),
        (status = 403, description = "not an Administrator", body = Problem),
        (status = 404, description = "no such team in the account", body = Problem)))]
pub async fn delete(
    State(state): State<AppState>, admin: AdminUser, PathId(id): PathId<ChatTeamId>,
) -> AppResult<StatusCode> {
    chat_teams::delete(&state, &admin, &admin.actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
