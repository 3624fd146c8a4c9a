//! The account's own settings, and deleting the whole account (Administrators).

use super::users::double_option;
use super::views::AccountView;
use crate::api::json::Json;
use crate::error::{AppResult, Problem};
use crate::extract::{AdminUser, ApiJson, Client};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use tenantry_app::accounts::{self, AccountPatch};
use tenantry_domain::{AccountName, EmailAddress, ValidationErrors};
use utoipa::ToSchema;

/// The account.
#[utoipa::path(get, path = "/api/v1/account", tag = "account", security(("bearer" = ["settings:read"])), responses((status = 200, body = AccountView), (status = 403, body = Problem)))]
pub async fn get(State(state): State<AppState>, admin: AdminUser) -> AppResult<Json<AccountView>> {
    Ok(Json(accounts::get(&state, &admin).await?.into()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPatchRequest {
    pub name: Option<String>,
    /// Gets a hidden copy of every outgoing customer email notification; `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub compliance_bcc_email: Option<Option<String>>,
    /// 1–64 of A-Z, a-z, 0-9, `_` and `-`; `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub partner_referral_code: Option<Option<String>>,
}

fn referral_code(code: &str) -> Result<String, &'static str> {
    let code = code.trim();
    let ok =
        (1..=64).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok { Ok(code.to_owned()) } else { Err("must be 1–64 characters of A-Z, a-z, 0-9, _ and -") }
}

impl TryFrom<AccountPatchRequest> for AccountPatch {
    type Error = ValidationErrors;
    fn try_from(r: AccountPatchRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let patch = AccountPatch {
            name: r.name.and_then(|n| e.check("name", AccountName::parse(&n))),
            compliance_bcc_email: match r.compliance_bcc_email {
                None => None,
                Some(None) => Some(None),
                Some(Some(m)) => e.check("compliance_bcc_email", EmailAddress::parse(&m)).map(Some),
            },
            partner_referral_code: match r.partner_referral_code {
                None => None,
                Some(None) => Some(None),
                Some(Some(c)) => e.check("partner_referral_code", referral_code(&c)).map(Some),
            },
        };
        e.into_result().map(|()| patch)
    }
}

/// Changes the account's name, compliance BCC address or partner referral code.
#[utoipa::path(patch, path = "/api/v1/account", tag = "account", request_body = AccountPatchRequest, security(("bearer" = ["settings:write"])),
    responses((status = 200, body = AccountView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>, admin: AdminUser, ApiJson(body): ApiJson<AccountPatchRequest>,
) -> AppResult<Json<AccountView>> {
    Ok(Json(accounts::update(&state, &admin, &admin.actor, body.try_into()?).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountRequest {
    /// The account's name, typed exactly, to confirm.
    pub confirm_name: String,
}

/// Deletes the whole account and everything in it. Cannot be undone.
#[utoipa::path(delete, path = "/api/v1/account", tag = "account", request_body = DeleteAccountRequest, security(("bearer" = ["admin"])),
    responses((status = 204), (status = 403, body = Problem), (status = 422, description = "the name does not match", body = Problem)))]
pub async fn delete(
    State(state): State<AppState>, admin: AdminUser, Client(_meta): Client,
    ApiJson(body): ApiJson<DeleteAccountRequest>,
) -> AppResult<StatusCode> {
    accounts::delete(&state, &admin, &body.confirm_name).await?;
    Ok(StatusCode::NO_CONTENT)
}
