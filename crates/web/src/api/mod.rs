//! The JSON API under `/api/v1`, and its OpenAPI description generated from the handlers.

pub mod account;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod avatar;
pub mod billing;
pub mod booking_pages;
pub mod chat_teams;
pub mod compliance;
pub mod contact_fields;
pub mod crm;
pub mod invoices;
pub mod json;
pub mod licenses;
pub mod me;
pub mod me_security;
pub mod messages;
pub mod oidc;
pub mod payment_methods;
pub mod privacy;
pub mod scopes;
pub mod security;
pub mod sms;
pub mod users;
pub mod users_import;
pub mod views;
pub mod webhooks;

use crate::state::AppState;
use axum::Extension;
use tenantry_domain::Reach;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Tenantry API", version = "1", description = "Accounts, users, roles, invitations and settings for multi-product SaaS. Errors are RFC 9457 problem documents."),
    modifiers(&BearerAuth),
    tags((name = "auth"), (name = "users"), (name = "licenses"), (name = "booking pages"), (name = "billing"), (name = "audit"), (name = "security"), (name = "account"), (name = "chat teams"), (name = "contact fields"), (name = "compliance"), (name = "privacy"), (name = "me"), (name = "api keys"), (name = "webhooks"), (name = "messages"), (name = "operator"), (name = "oidc", description = "Sign-in for the products (OpenID Connect)"))
)]
struct ApiDoc;

/// The `limit` and `cursor` of a list request, as received.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct PageQuery {
    /// 1–200, default 50.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        // A session token or an API key; an operation's list names the one scope an account API
        // key needs for it (empty: a person's own endpoint, which account keys cannot use).
        components.add_security_scheme(
            scopes::BEARER,
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            scopes::OPERATOR,
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("TENANTRY_OPERATOR_TOKEN")).build(),
            ),
        );
    }
}

/// OpenAPI 3.1 requires a `description` on every response: one a handler left out is the
/// status's own meaning (e.g. "Not Found"). Operation ids must be unique: handlers named alike in
/// different modules (`list`, `get`) get ids made of their method and path. So the document
/// always validates.
fn describe_every_response(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for item in doc.paths.paths.values() {
        for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch].into_iter().flatten() {
            if let Some(id) = &op.operation_id {
                *seen.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("options", &mut item.options),
            ("head", &mut item.head),
            ("patch", &mut item.patch),
            ("trace", &mut item.trace),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            if op.operation_id.as_ref().is_none_or(|id| seen.get(id).copied().unwrap_or(0) > 1) {
                let slug: String =
                    path.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect::<String>();
                let slug = slug.split('_').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("_");
                op.operation_id = Some(format!("{method}_{slug}"));
            }
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(r) = response
                    && r.description.trim().is_empty()
                {
                    r.description = status
                        .parse::<u16>()
                        .ok()
                        .and_then(|s| axum::http::StatusCode::from_u16(s).ok())
                        .and_then(|s| s.canonical_reason())
                        .unwrap_or("Response")
                        .to_owned();
                }
            }
        }
    }
}

/// The API routes and the OpenAPI document describing exactly them.
pub fn router() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    // Restricted sessions reach only the routers marked for them (see `tenantry_domain::Reach`);
    // every other route serves full sessions only.
    let any_session = OpenApiRouter::new()
        .routes(routes!(auth::sign_out))
        .routes(routes!(users::me))
        .layer(Extension(Reach::AnySession));
    let password_change =
        OpenApiRouter::new().routes(routes!(me_security::change_password)).layer(Extension(Reach::PasswordChange));
    let mfa_setup = OpenApiRouter::new()
        .routes(routes!(me_security::start_totp, me_security::disable_totp))
        .routes(routes!(me_security::confirm_totp))
        .layer(Extension(Reach::MfaSetup));
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(any_session)
        .merge(password_change)
        .merge(mfa_setup)
        .routes(routes!(users::update_me))
        .routes(routes!(auth::signup))
        .routes(routes!(auth::complete_signup))
        .routes(routes!(auth::sign_in))
        .routes(routes!(auth::get_invitation))
        .routes(routes!(auth::accept_invitation))
        .routes(routes!(users::list, users::invite))
        .routes(routes!(users_import::export_users))
        .routes(routes!(users::get, users::update, users::delete))
        .routes(routes!(users::resend_invitation, users::revoke_invitation))
        .routes(routes!(auth::password_reset))
        .routes(routes!(auth::password_reset_confirm))
        .routes(routes!(users::unlock))
        .routes(routes!(users::deactivate))
        .routes(routes!(users::reactivate))
        .routes(routes!(users::revoke_sessions))
        .routes(routes!(users::revoke_api_key))
        .routes(routes!(users::set_password))
        .routes(routes!(security::get_password, security::put_password))
        .routes(routes!(security::require_change))
        .routes(routes!(security::get_lockout, security::put_lockout))
        .routes(routes!(security::get_session, security::put_session))
        .routes(routes!(me_security::list_sessions, me_security::revoke_other_sessions))
        .routes(routes!(me_security::revoke_session))
        .routes(routes!(licenses::assign, licenses::unassign))
        .routes(routes!(licenses::connect, licenses::disconnect))
        .routes(routes!(booking_pages::list, booking_pages::create))
        .routes(routes!(booking_pages::get, booking_pages::update, booking_pages::delete))
        .routes(routes!(billing::subscription))
        .routes(routes!(billing::products))
        .routes(routes!(billing::operator_accounts))
        .routes(routes!(billing::set_subscription))
        .routes(routes!(oidc::create_client))
        .routes(routes!(oidc::discovery))
        .routes(routes!(oidc::jwks))
        .routes(routes!(oidc::token))
        .routes(routes!(oidc::userinfo))
        .routes(routes!(oidc::revoke))
        .routes(routes!(oidc::introspect))
        .routes(routes!(audit::list))
        .routes(routes!(account::get, account::update, account::delete))
        .routes(routes!(crm::get, crm::put, crm::delete))
        .routes(routes!(crm::test))
        .routes(routes!(contact_fields::list, contact_fields::create))
        .routes(routes!(contact_fields::get, contact_fields::update, contact_fields::delete))
        .routes(routes!(privacy::get, privacy::put))
        .routes(routes!(privacy::public, privacy::public_preflight))
        .routes(routes!(chat_teams::list, chat_teams::create))
        .routes(routes!(chat_teams::get, chat_teams::update, chat_teams::delete))
        .routes(routes!(compliance::get, compliance::put))
        .routes(routes!(compliance::records_csv))
        .routes(routes!(me::change_email))
        .routes(routes!(me::verify_email))
        .routes(routes!(me::get_api_key, me::create_api_key, me::revoke_api_key))
        .routes(routes!(me::plan))
        .routes(routes!(me::report_usage))
        .routes(routes!(me::request_phone))
        .routes(routes!(me::verify_phone))
        .routes(routes!(me::export))
        .routes(routes!(sms::sms_log))
        .routes(routes!(sms::sms_log_csv))
        .routes(routes!(sms::get_credits, sms::put_credits))
        .routes(routes!(sms::top_up))
        .routes(routes!(billing::get_notifications, billing::put_notifications))
        .routes(routes!(payment_methods::list, payment_methods::create))
        .routes(routes!(payment_methods::delete))
        .routes(routes!(payment_methods::make_default))
        .routes(routes!(invoices::create))
        .routes(routes!(invoices::set_status))
        .routes(routes!(invoices::list))
        .routes(routes!(invoices::get))
        .routes(routes!(invoices::pdf))
        .routes(routes!(messages::sms))
        .routes(routes!(messages::email))
        .routes(routes!(api_keys::list, api_keys::create))
        .routes(routes!(api_keys::get, api_keys::revoke))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::retry))
        .routes(routes!(webhooks::test))
        .split_for_parts();
    // The picture upload takes up to 5 MiB; every other API body stays under the JSON limit.
    let (avatars, avatar_doc) = OpenApiRouter::new().routes(routes!(avatar::upload, avatar::remove)).split_for_parts();
    // A users import file may hold ten thousand rows.
    let (imports, import_doc) = OpenApiRouter::new().routes(routes!(users_import::import_users)).split_for_parts();
    let mut doc = doc;
    doc.merge(avatar_doc);
    doc.merge(import_doc);
    describe_every_response(&mut doc);
    use axum::extract::DefaultBodyLimit;
    let router = router
        .layer(DefaultBodyLimit::max(crate::extract::MAX_JSON_BYTES))
        .merge(avatars.layer(DefaultBodyLimit::max(tenantry_app::avatar_image::MAX_UPLOAD + 64 * 1024)))
        .merge(imports.layer(DefaultBodyLimit::max(users_import::MAX_CSV_BYTES)))
        .route("/avatars/{user_id}/{version}/{size}", axum::routing::get(avatar::file));
    (router, doc)
}
