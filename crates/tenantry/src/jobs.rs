//! Outbox jobs that run application services (the outbox crate knows only how to send).

use tenantry_app::App;
use tenantry_outbox::job::parse_payload;
use tenantry_outbox::{Job, JobError};

/// Handles queued password-reset requests (`tenantry_app::reset::process_request`), so the
/// request itself costs the same for every email.
pub struct ResetRequestJob {
    app: App,
}

impl ResetRequestJob {
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[async_trait::async_trait]
impl Job for ResetRequestJob {
    fn kind(&self) -> &'static str {
        tenantry_app::reset::REQUEST_KIND
    }

    async fn run(&self, _id: &str, payload: &str) -> Result<(), JobError> {
        let queued: tenantry_app::reset::QueuedRequest = parse_payload(payload)?;
        tenantry_app::reset::process_request(&self.app, &queued).await.map_err(|e| JobError::Transient(e.to_string()))
    }
}
