//! Messages for products: `POST /api/v1/messages/sms` and `/messages/email` (an account API key
//! with `messages:send`, or an Administrator). The account's settings apply: SMS spend its
//! credits and appear in its SMS log; email gets its compliance BCC on the envelope.

use crate::api::json::Json;
use crate::error::{AppResult, Problem};
use crate::extract::{AdminUser, ApiJson};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tenantry_app::messages::{self, EmailRequest};
use utoipa::ToSchema;

/// A text message to send.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsRequest {
    /// International format (`+` and the country code); spaces and punctuation are allowed.
    #[schema(example = "+14155550123")]
    pub to: String,
    /// Up to 1,600 characters. GSM-7 text: 160 characters in one segment, 153 per segment when
    /// longer; any other character makes it UCS-2: 70, then 67 per segment.
    #[schema(example = "Your appointment is tomorrow at 10:00.")]
    pub body: String,
    /// Why it is sent, for the SMS log (letters, digits, `_`, `-`, `.`); default `product`.
    #[schema(example = "appointment_reminder")]
    pub purpose: Option<String>,
}

/// A queued text message.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmsQueuedView {
    /// Its SMS log entry.
    #[schema(example = "sms_0a1b2c3d4e5f60718293a4b5")]
    pub id: String,
    /// Segments, each costing one credit.
    #[schema(example = 1)]
    pub segments: i64,
    /// The account's balance after it.
    #[schema(example = 479)]
    pub credits_left: i64,
}

/// Queues a text message; it costs one SMS credit per segment.
#[utoipa::path(post, path = "/api/v1/messages/sms", tag = "messages", request_body = SmsRequest, security(("bearer" = ["messages:send"])),
    responses((status = 202, description = "queued and paid for", body = SmsQueuedView),
        (status = 403, description = "neither an Administrator nor a key with `messages:send`", body = Problem),
        (status = 409, description = "`no_sms_credits`: the balance is short; nothing is queued and the refusal is logged", body = Problem),
        (status = 422, description = "an invalid field: `to`, `body`, `purpose`", body = Problem)))]
pub async fn sms(
    State(state): State<AppState>, admin: AdminUser, ApiJson(body): ApiJson<SmsRequest>,
) -> AppResult<(StatusCode, Json<SmsQueuedView>)> {
    let ip = admin.actor.ip;
    let queued = messages::send_sms(&state, &admin, ip, &body.to, &body.body, body.purpose.as_deref()).await?;
    let view = SmsQueuedView { id: queued.id, segments: queued.segments, credits_left: queued.credits_left };
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// An email to send.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailBody {
    #[schema(example = "customer@example.com")]
    pub to: String,
    /// One line, up to 250 characters.
    #[schema(example = "Your booking is confirmed")]
    pub subject: String,
    /// The plain-text body (up to 256 KiB).
    #[schema(example = "See you on Tuesday at 10:00.")]
    pub text: String,
    /// An HTML alternative (up to 256 KiB).
    pub html: Option<String>,
}

/// A queued email.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailQueuedView {
    #[schema(example = "msg_0a1b2c3d4e5f60718293a4b5")]
    pub id: String,
}

/// Queues an email; the account's compliance BCC address, if set, receives a hidden copy.
#[utoipa::path(post, path = "/api/v1/messages/email", tag = "messages", request_body = EmailBody, security(("bearer" = ["messages:send"])),
    responses((status = 202, description = "queued", body = EmailQueuedView),
        (status = 403, description = "neither an Administrator nor a key with `messages:send`", body = Problem),
        (status = 422, description = "an invalid field: `to`, `subject`, `text`, `html`", body = Problem)))]
pub async fn email(
    State(state): State<AppState>, admin: AdminUser, ApiJson(body): ApiJson<EmailBody>,
) -> AppResult<(StatusCode, Json<EmailQueuedView>)> {
    let request = EmailRequest { to: body.to, subject: body.subject, text: body.text, html: body.html };
    let id = messages::send_email(&state, &admin, request).await?;
    Ok((StatusCode::ACCEPTED, Json(EmailQueuedView { id })))
}
