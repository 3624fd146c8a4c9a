//! What every handler can reach: the application, and what only HTTP needs.

use std::net::IpAddr;
use std::sync::Arc;
use tenantry_app::App;

/// Settings only the web layer needs.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Where Plan and usage's "Upgrade" link goes; `None`: no link.
    pub upgrade_url: Option<String>,
    /// Where Plan and usage's "Talk to sales" link goes; `None`: no link.
    pub sales_url: Option<String>,
    /// `/metrics` is not served on the main address (it is off, or has an address of its own:
    /// see [`crate::metrics_app`]).
    pub metrics_elsewhere: bool,
}

/// Shared state of the HTTP layer (cheap to clone); it dereferences to the [`App`].
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The parts of [`AppState`].
pub struct Inner {
    pub app: App,
    pub web: WebConfig,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// What each API operation needs from an account API key, read from the OpenAPI document.
    pub scopes: crate::api::scopes::ScopeTable,
}

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0.app
    }
}

impl AppState {
    /// The state serving `app`.
    pub fn new(app: App, web: WebConfig, metrics: Option<metrics_exporter_prometheus::PrometheusHandle>) -> Self {
        let scopes = crate::api::scopes::ScopeTable::from_doc(&crate::api::router().1);
        Self(Arc::new(Inner { app, web, metrics, scopes }))
    }
    /// The application.
    pub fn app(&self) -> &App {
        &self.0.app
    }
    /// What each API operation needs from an account API key.
    pub fn scopes(&self) -> &crate::api::scopes::ScopeTable {
        &self.0.scopes
    }
    /// The web layer's settings.
    pub fn web(&self) -> &WebConfig {
        &self.0.web
    }
    /// The Prometheus exporter, when installed.
    pub fn metrics(&self) -> Option<&metrics_exporter_prometheus::PrometheusHandle> {
        self.0.metrics.as_ref()
    }
    /// Whether cookies must carry `Secure` (the installation is served over HTTPS).
    pub fn secure_cookies(&self) -> bool {
        self.config.public_url.starts_with("https://")
    }
}
