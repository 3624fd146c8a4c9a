//! The profile picture: upload (multipart, part `file`), remove, and the public picture files.

use crate::api::json::Json;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{AuthUser, Client};
use crate::state::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tenantry_app::avatar_image::MAX_UPLOAD;
use tenantry_app::avatars as avatar;
use utoipa::ToSchema;

/// Where the picture is served.
#[derive(Debug, Serialize, ToSchema)]
pub struct AvatarView {
    /// The 256 px PNG; the 64 px one is at the same address ending `64.png`.
    pub avatar_url: String,
}

/// Reads the part named `file`, refusing more than [`MAX_UPLOAD`] bytes as it streams in.
pub async fn file_part(mut multipart: Multipart) -> AppResult<Vec<u8>> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(MAX_UPLOAD)
        } else {
            AppError::BadRequest(format!("could not read the upload: {}", e.body_text()))
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        if field.name() != Some("file") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            if bytes.len() + chunk.len() > MAX_UPLOAD {
                return Err(AppError::PayloadTooLarge(MAX_UPLOAD));
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(bytes);
    }
    Err(AppError::invalid("file", "is required: send the picture as the multipart part named file"))
}

/// Sets my profile picture: JPEG, PNG, WebP or GIF up to 5 MiB and 40 megapixels. It is turned
/// upright, cropped square and kept as 256 px and 64 px PNG without any metadata.
#[utoipa::path(put, path = "/api/v1/me/avatar", tag = "me", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "the picture in the part named `file`"),
    responses((status = 200, body = AvatarView), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn upload(
    State(state): State<AppState>, me: AuthUser, Client(_meta): Client,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Json<AvatarView>> {
    let multipart = multipart.map_err(|e| {
        AppError::BadRequest(format!(
            "expected multipart/form-data with the picture in the part named file: {}",
            e.body_text()
        ))
    })?;
    let bytes = file_part(multipart).await?;
    let avatar_url = avatar::upload(&state, &me, &me.actor, bytes).await?;
    Ok(Json(AvatarView { avatar_url }))
}

/// Removes my profile picture (my initials are shown again).
#[utoipa::path(delete, path = "/api/v1/me/avatar", tag = "me", security(("bearer" = [])), responses((status = 204)))]
pub async fn remove(State(state): State<AppState>, me: AuthUser, Client(_meta): Client) -> AppResult<StatusCode> {
    avatar::remove(&state, &me, &me.actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A picture file. Its address changes with every upload, so it may be cached for a year.
pub async fn file(
    State(state): State<AppState>, Path((user_id, version, size)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let user_id: tenantry_domain::UserId = crate::extract::parse_id(user_id)?;
    let png = avatar::file(&state, &user_id, &version, &size).await?;
    let mut res = png.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    Ok(res)
}
