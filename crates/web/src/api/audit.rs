//! The audit log, for Administrators.

use super::views::ts;
use crate::api::json::Json;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::AdminUser;
use crate::state::AppState;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use tenantry_app::cursor;
use tenantry_storage::audit::{AuditEvent, AuditQuery};
use utoipa::{IntoParams, ToSchema};

/// One audit event.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    pub id: String,
    /// The user who acted; `null` for Tenantry itself or the operator.
    pub actor_id: Option<String>,
    /// E.g. `license.assigned`, `user.deleted`, `booking_page.transferred`.
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub ip: Option<String>,
    pub created_at: String,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Self {
            id: e.id,
            actor_id: e.actor_id,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            before: json(e.before_json),
            after: json(e.after_json),
            ip: e.ip,
            created_at: ts(e.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventList {
    pub data: Vec<AuditEventView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct AuditListQuery {
    /// Only events by this user id.
    pub actor: Option<String>,
    /// Only this action, e.g. `license.assigned`.
    pub action: Option<String>,
    /// Only events about this object id.
    pub target: Option<String>,
    /// Only events at or after this RFC 3339 time.
    pub since: Option<String>,
    /// Only events before this RFC 3339 time (with `since`, a half-open range).
    pub until: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// The account's audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit", params(AuditListQuery), security(("bearer" = ["audit:read"])),
    responses((status = 200, body = AuditEventList), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>, admin: AdminUser,
    query: Result<Query<AuditListQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<AuditEventList>> {
    let Query(q) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let (limit, before): (i64, Option<(i64, String)>) = cursor::page_request(q.limit.as_deref(), q.cursor.as_deref())?;
    let time = |field: &str, value: Option<&str>| match value.filter(|s| !s.is_empty()) {
        Some(s) => s
            .parse::<jiff::Timestamp>()
            .map(|t| Some(t.as_millisecond()))
            .map_err(|_| AppError::invalid(field, "must be an RFC 3339 time")),
        None => Ok(None),
    };
    let since = time("since", q.since.as_deref())?;
    let until = time("until", q.until.as_deref())?;
    let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
    let query = AuditQuery {
        actor_id: nonempty(q.actor),
        action: nonempty(q.action),
        target_id: nonempty(q.target),
        since,
        until,
        before,
        limit: limit + 1,
    };
    let rows = tenantry_app::audit::list(&state, &admin, &query).await?;
    let (rows, next_cursor) = cursor::paginate(rows, limit, |e| (e.created_at, e.id.clone()));
    Ok(Json(AuditEventList { data: rows.into_iter().map(Into::into).collect(), next_cursor }))
}
