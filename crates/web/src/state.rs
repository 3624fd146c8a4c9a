//! What every handler can reach.

use crate::passwords::Hasher;
use std::net::IpAddr;
use std::sync::Arc;
use tenantry_storage::Db;
use tokio::sync::Notify;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Base of links in emails, without a trailing slash.
    pub public_url: String,
    /// Whether anyone may create an account.
    pub signup_open: bool,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// How long a validated session is trusted without asking the database again (0: always ask).
    pub session_cache_ms: i64,
    /// Sign-in, reset and verification attempts allowed per client IP per minute (0: no limit).
    pub rate_limit_per_ip: u32,
    /// Sign-in attempts allowed per email per minute (0: off).
    pub rate_limit_sign_in_per_account: u32,
    /// The products sold per seat.
    pub catalog: tenantry_domain::Catalog,
    /// Seats of each product a new account's trial includes.
    pub trial_seats: i64,
    /// SHA-256 of the operator API's bearer token; `None` turns the operator API off.
    pub operator_token_hash: Option<tenantry_domain::TokenHash>,
}

impl WebConfig {
    /// Whether cookies must carry `Secure` (the installation is served over HTTPS).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// The time source; tests may replace it to move time forward without sleeping.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<dyn Fn() -> i64 + Send + Sync>>);

impl Clock {
    /// A clock answering `f()` milliseconds.
    pub fn fixed(f: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(f)))
    }
    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match &self.0 {
            Some(f) => f(),
            None => jiff::Timestamp::now().as_millisecond(),
        }
    }
}

/// Shared application state (cheap to clone).
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

/// The parts of [`AppState`].
pub struct Inner {
    pub db: Db,
    pub config: WebConfig,
    pub hasher: Hasher,
    pub clock: Clock,
    /// Wakes the local outbox worker when a message is queued.
    pub outbox_wake: Arc<Notify>,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Recently validated sessions.
    pub sessions: crate::session_cache::SessionCache,
    /// Encrypts secrets kept in the database (TOTP seeds).
    pub secrets: crate::secrets::SecretBox,
    /// Attempts per IP and per account on sign-in, reset and verification endpoints.
    pub limits: crate::rate_limit::RateLimiter,
    /// Authenticated API requests not yet written to the usage counters.
    pub requests: crate::usage::RequestCounter,
    /// Where profile pictures are kept.
    pub avatars: crate::avatar::AvatarStore,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// What the binary hands over to build an [`AppState`]; the rest is made here.
pub struct Parts {
    pub db: Db,
    pub config: WebConfig,
    pub hasher: Hasher,
    pub clock: Clock,
    pub outbox_wake: Arc<Notify>,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    pub secrets: crate::secrets::SecretBox,
    pub avatars: crate::avatar::AvatarStore,
}

impl AppState {
    /// Builds the state.
    pub fn new(parts: Parts) -> Self {
        let Parts { db, config, hasher, clock, outbox_wake, metrics, secrets, avatars } = parts;
        let sessions = crate::session_cache::SessionCache::new(config.session_cache_ms);
        let limits = crate::rate_limit::RateLimiter::new();
        let requests = crate::usage::RequestCounter::default();
        Self(Arc::new(Inner {
            db,
            config,
            hasher,
            clock,
            outbox_wake,
            metrics,
            sessions,
            secrets,
            limits,
            requests,
            avatars,
        }))
    }
    /// Now, in Unix milliseconds.
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
