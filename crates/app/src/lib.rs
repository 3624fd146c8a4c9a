//! Tenantry's application layer: what the API, the pages and the command line do, written once.
//! Each module is one capability; its functions apply the rules of `tenantry_domain`, run one
//! transaction through `tenantry_storage` and queue any message in it. Callers hand in typed
//! capabilities ([`Principal`], [`Admin`], [`Actor`]) and get [`Error`] back; nothing here knows
//! about HTTP.

pub mod account_keys;
pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod authenticate;
pub mod avatar_image;
pub mod avatars;
pub mod billing;
pub mod booking_pages;
pub mod bulk;
pub mod chat_teams;
pub mod compliance;
pub mod contact_fields;
pub mod crm;
pub mod cursor;
pub mod email_change;
mod error;
pub mod export;
pub mod hashing;
pub mod import;
pub mod integrations;
pub mod invitations;
pub mod invoice_pdf;
pub mod invoices;
pub mod licenses;
pub mod mail;
pub mod messages;
pub mod mfa;
pub mod oidc;
pub mod outbound;
pub mod passwords;
pub mod payment_methods;
pub mod phone;
pub mod plan;
mod principal;
pub mod privacy;
mod queue;
pub mod rate_limit;
pub mod reauth;
pub mod request_counter;
pub mod reset;
pub mod secrets;
pub mod security;
pub mod session_cache;
pub mod sessions;
pub mod subscriptions;
pub mod user_detail;
pub mod users;
pub mod webhooks;

pub use error::{Error, Result, refused};
pub use principal::{Actor, Admin, ClientMeta, Credential, Principal};
pub use queue::{
    SmsFor, SmsOrigin, SmsQueued, SmsRefused, check_password, queue_email, queue_sms, sms_allowed, wake_outbox,
};

use std::sync::Arc;
use tenantry_storage::Db;
use tokio::sync::Notify;

/// Settings the application needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Base of links in emails, without a trailing slash.
    pub public_url: String,
    /// Whether anyone may create an account.
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
    /// SMS credits a new account starts with.
    pub trial_sms_credits: i64,
    /// SHA-256 of the operator API's bearer token; `None` turns the operator API off.
    pub operator_token_hash: Option<tenantry_domain::TokenHash>,
    /// SMS the whole installation may send in a rolling day (0 = no cap).
    pub sms_daily_limit: i64,
    /// Regions (ISO 3166 alpha-2) whose numbers may get SMS; empty = every region.
    pub sms_regions: Vec<String>,
    /// How sign-up works: `Open`, `Closed`, or `Verify` (an emailed link creates the account).
    pub signup: SignupMode,
}

/// How new accounts are made through `POST /api/v1/signup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignupMode {
    /// The account is made at once (and the answer tells whether the email was taken).
    #[default]
    Open,
    /// No sign-up: accounts come from the operator or the command line.
    Closed,
    /// Every sign-up answers the same 202; a link sent to the address makes the account, and an
    /// address that is taken gets a notice instead (nothing tells the two apart).
    Verify,
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

/// Everything the services reach (cheap to clone).
#[derive(Clone)]
pub struct App(Arc<Inner>);

/// The parts of [`App`].
pub struct Inner {
    pub db: Db,
    pub config: Config,
    pub hasher: hashing::Hasher,
    pub clock: Clock,
    /// Wakes the local outbox worker when a message is queued.
    pub outbox_wake: Arc<Notify>,
    /// Recently validated sessions.
    pub sessions: session_cache::SessionCache,
    /// Encrypts secrets kept in the database (TOTP seeds).
    pub secrets: secrets::SecretBox,
    /// Attempts per IP and per account on sign-in, reset and verification endpoints.
    pub limits: rate_limit::RateLimiter,
    /// Authenticated API requests not yet written to the usage counters.
    pub requests: request_counter::RequestCounter,
    /// Where profile pictures are kept.
    pub avatars: Arc<dyn avatars::AvatarFiles>,
    /// Sends outbound requests (CRM connection tests) under the outbound rules.
    pub outbound: Arc<dyn outbound::Outbound>,
}

impl std::ops::Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// What the binary hands over to build an [`App`]; the rest is made here.
pub struct Parts {
    pub db: Db,
    pub config: Config,
    pub hasher: hashing::Hasher,
    pub clock: Clock,
    pub outbox_wake: Arc<Notify>,
    pub secrets: secrets::SecretBox,
    pub avatars: Arc<dyn avatars::AvatarFiles>,
    pub outbound: Arc<dyn outbound::Outbound>,
}

impl App {
    /// Builds the application.
    pub fn new(parts: Parts) -> Self {
        let Parts { db, config, hasher, clock, outbox_wake, secrets, avatars, outbound } = parts;
        let sessions = session_cache::SessionCache::new(config.session_cache_ms);
        let limits = rate_limit::RateLimiter::new();
        let requests = request_counter::RequestCounter::default();
        Self(Arc::new(Inner {
            db,
            config,
            hasher,
            clock,
            outbox_wake,
            sessions,
            secrets,
            limits,
            requests,
            avatars,
            outbound,
        }))
    }
    /// Now, in Unix milliseconds.
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
