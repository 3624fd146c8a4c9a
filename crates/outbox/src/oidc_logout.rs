//! Back-channel logout (OpenID Back-Channel Logout 1.0): the job of kind
//! [`tenantry_app::oidc::LOGOUT_KIND`] signs a logout token when it sends (so it is fresh on every
//! attempt) and POSTs it as `logout_token` to the client's URI through the outbound guard. A 2xx
//! answer ends it; anything else is retried by the worker with back-off.

use crate::job::{Job, JobError, parse_payload};
use std::sync::Arc;
use std::time::Duration;
use tenantry_app::App;
use tenantry_app::oidc::LogoutNotice;
use tenantry_app::outbound::{Outbound, OutboundError};

/// How long a client has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends back-channel logout tokens.
pub struct BackchannelLogoutJob {
    app: App,
    outbound: Arc<dyn Outbound>,
}

impl BackchannelLogoutJob {
    /// Logout tokens signed by `app`'s keys, sent through `outbound`.
    pub fn new(app: App, outbound: Arc<dyn Outbound>) -> Self {
        Self { app, outbound }
    }
}

#[async_trait::async_trait]
impl Job for BackchannelLogoutJob {
    fn kind(&self) -> &'static str {
        tenantry_app::oidc::LOGOUT_KIND
    }

    async fn run(&self, _id: &str, payload: &str) -> Result<(), JobError> {
        let notice: LogoutNotice = parse_payload(payload)?;
        let token = tenantry_app::oidc::logout_token(&self.app, &notice)
            .await
            .map_err(|e| JobError::Transient(format!("signing the logout token: {e}")))?;
        let body = url::form_urlencoded::Serializer::new(String::new()).append_pair("logout_token", &token).finish();
        let headers = [("content-type", "application/x-www-form-urlencoded".to_owned())];
        match self.outbound.post(&notice.uri, &headers, body.into_bytes(), TIMEOUT).await {
            Ok(reply) if (200..300).contains(&reply.status) => Ok(()),
            Ok(reply) => Err(JobError::Transient(format!("the client answered HTTP {}", reply.status))),
            Err(OutboundError::Refused(reason)) => Err(JobError::Permanent(reason)),
            Err(e) => Err(JobError::Transient(e.to_string())),
        }
    }
}
