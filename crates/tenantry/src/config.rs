//! Configuration in layers: defaults, then a TOML file, then `TENANTRY_*` environment variables
//! (the environment wins). Unknown keys are an error; secrets are wrapped so they never print,
//! and may only come from the environment.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// Whether anyone may create an account, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signup {
    /// The account is made at once.
    Open,
    /// No sign-up.
    Closed,
    /// A link emailed to the address makes the account; every sign-up answers alike (recommended
    /// for installations open to the public: it tells nobody which emails have an account).
    Verify,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Everything `tenantry` reads at start.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub listen: SocketAddr,
    pub public_url: Option<String>,
    pub data_dir: PathBuf,
    pub database_url: Option<SecretString>,
    pub database_max_connections: u32,
    pub smtp_url: Option<SecretString>,
    pub mail_from: String,
    pub sms_url: Option<SecretString>,
    /// Sent as the `Authorization` header to the SMS provider.
    pub sms_authorization: Option<SecretString>,
    /// Body of the SMS provider request; `{{to}}` and `{{body}}` become JSON strings.
    pub sms_body_template: Option<String>,
    pub secret_key: Option<SecretString>,
    pub signup: Signup,
    pub operator_token: Option<SecretString>,
    pub rate_limit_per_ip: u32,
    /// Sign-in attempts allowed per email per minute (0: off; the lockout policy still applies).
    pub rate_limit_sign_in_per_account: u32,
    /// Comma-separated addresses.
    pub trusted_proxies: String,
    pub log_format: LogFormat,
    /// Milliseconds a validated session is trusted without asking the database (0: always ask).
    pub session_cache_ms: u32,
    /// The products sold per seat: `key:Display name`, comma-separated.
    pub products: String,
    /// Seats of every product a new account's trial includes.
    pub trial_seats: u32,
    /// SMS credits a new account starts with (its trial's), before the operator adds any.
    pub trial_sms_credits: u32,
    /// Where profile pictures go: `s3://bucket/prefix` (credentials from `AWS_*`); unset: `<data>/avatars`.
    pub avatar_store: Option<String>,
    /// Where My settings › Plan and usage sends "Upgrade" (`http(s)://…`); unset: no link.
    pub upgrade_url: Option<String>,
    /// Where My settings › Plan and usage sends "Talk to sales" (`http(s)://…`); unset: no link.
    pub sales_url: Option<String>,
    /// Private addresses and CIDR ranges outbound requests (CRM tests, webhooks) may reach,
    /// comma-separated; `http://` is accepted for them too.
    pub allow_private_targets: String,
    /// SMS the whole installation may send in a rolling day (0: no cap).
    pub sms_daily_limit: u32,
    /// Regions (ISO 3166 alpha-2, comma-separated, e.g. `US,CA,GB`) whose numbers may get SMS;
    /// empty: every region.
    pub sms_countries: String,
    /// Where `/metrics` is served: empty = on the main address, `off` = nowhere, or an address
    /// and port of its own (e.g. `127.0.0.1:9100`), away from the public one.
    pub metrics_listen: String,
    /// Delays before each webhook delivery attempt, comma-separated (`0s,5s,5m,30m,2h,5h,10h,10h`).
    pub webhook_retry_schedule: String,
    /// How long an outbox claim lasts, in seconds: a message claimed by a worker that died is
    /// sent by another (or after a restart) once this has passed. Longer than any one send.
    pub outbox_lease_seconds: u64,
}

/// Where `/metrics` is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAt {
    /// On the main address, with everything else.
    Main,
    /// Not at all.
    Off,
    /// On an address of its own.
    Own(SocketAddr),
}

#[derive(Serialize)]
struct Defaults {
    listen: &'static str,
    data_dir: &'static str,
    database_max_connections: u32,
    mail_from: &'static str,
    signup: Signup,
    rate_limit_per_ip: u32,
    rate_limit_sign_in_per_account: u32,
    trusted_proxies: &'static str,
    allow_private_targets: &'static str,
    log_format: LogFormat,
    session_cache_ms: u32,
    products: &'static str,
    trial_seats: u32,
    trial_sms_credits: u32,
    sms_daily_limit: u32,
    sms_countries: &'static str,
    metrics_listen: &'static str,
    webhook_retry_schedule: &'static str,
    outbox_lease_seconds: u64,
}

/// Keys that hold secrets: accepted from the environment only, never from a file.
const SECRET_KEYS: &[&str] =
    &["database_url", "smtp_url", "sms_url", "sms_authorization", "secret_key", "operator_token"];

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Figment(#[from] Box<figment::Error>),
    #[error("{0} is a secret: set TENANTRY_{1} in the environment instead of the configuration file")]
    SecretInFile(String, String),
    #[error("trusted_proxies: {0:?} is not an IP address")]
    Proxy(String),
    #[error("TENANTRY_ALLOW_PRIVATE_TARGETS: {0}")]
    AllowPrivateTargets(#[from] tenantry_app::outbound::InvalidCidr),
    #[error("public_url must start with http:// or https://")]
    PublicUrl,
    #[error(
        "listen is {0}, which is not a loopback address: set TENANTRY_PUBLIC_URL to the address people use (https://…), so that links and cookies are right"
    )]
    PublicUrlNeeded(SocketAddr),
    #[error("metrics_listen must be empty, `off`, or an address and port such as 127.0.0.1:9100")]
    MetricsListen,
    #[error("sms_countries: {0:?} is not a two-letter country code")]
    SmsCountry(String),
    #[error("{0} must start with http:// or https://")]
    LinkUrl(&'static str),
    #[error("TENANTRY_WEBHOOK_RETRY_SCHEDULE: {0}")]
    WebhookRetrySchedule(String),
    #[error("TENANTRY_OUTBOX_LEASE_SECONDS must be from 5 to 86400")]
    OutboxLease,
    #[error("products: {0}")]
    Products(#[from] tenantry_domain::product::CatalogError),
}

impl Config {
    /// Reads the layers; `file` is the optional TOML file.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let defaults = Defaults {
            listen: "127.0.0.1:8080",
            data_dir: "./data",
            database_max_connections: 16,
            mail_from: "Tenantry <no-reply@tenantry.localhost>",
            signup: Signup::Open,
            rate_limit_per_ip: 60,
            rate_limit_sign_in_per_account: 60,
            trusted_proxies: "",
            allow_private_targets: "",
            log_format: LogFormat::Text,
            session_cache_ms: 2000,
            products: "scheduling:Scheduling,chat:Live chat,voice:Voice",
            trial_seats: 5,
            trial_sms_credits: 25,
            sms_daily_limit: 1000,
            sms_countries: "",
            metrics_listen: "",
            webhook_retry_schedule: tenantry_outbox::webhook::DEFAULT_SCHEDULE,
            outbox_lease_seconds: 60,
        };
        let mut figment = Figment::from(Serialized::defaults(defaults));
        if let Some(file) = file {
            let toml = Figment::from(Toml::file_exact(file));
            for key in SECRET_KEYS {
                if toml.contains(key) {
                    return Err(ConfigError::SecretInFile((*key).to_owned(), key.to_uppercase()));
                }
            }
            figment = figment.merge(toml);
        }
        // TENANTRY_CONFIG names the file itself; it is not a setting.
        figment = figment.merge(Env::prefixed("TENANTRY_").ignore(&["config"]));
        let config: Config = figment.extract().map_err(Box::new)?;
        config.trusted_proxy_ips()?;
        config.allow_private_targets()?;
        config.catalog()?;
        if let Some(url) = &config.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::PublicUrl);
        }
        if config.public_url.is_none() && !config.listen.ip().is_loopback() {
            return Err(ConfigError::PublicUrlNeeded(config.listen));
        }
        config.metrics_at()?;
        config.sms_regions()?;
        config.webhook_retry_schedule()?;
        if !(5..=86_400).contains(&config.outbox_lease_seconds) {
            return Err(ConfigError::OutboxLease);
        }
        for (key, url) in [("upgrade_url", config.upgrade_url()), ("sales_url", config.sales_url())] {
            if url.is_some_and(|u| !(u.starts_with("http://") || u.starts_with("https://"))) {
                return Err(ConfigError::LinkUrl(key));
            }
        }
        Ok(config)
    }

    /// The delays before each webhook delivery attempt.
    pub fn webhook_retry_schedule(&self) -> Result<Vec<std::time::Duration>, ConfigError> {
        tenantry_outbox::webhook::parse_schedule(&self.webhook_retry_schedule)
            .map_err(ConfigError::WebhookRetrySchedule)
    }

    /// The "Upgrade" link of Plan and usage, if set (an empty value counts as unset).
    pub fn upgrade_url(&self) -> Option<&str> {
        self.upgrade_url.as_deref().map(str::trim).filter(|u| !u.is_empty())
    }

    /// The "Talk to sales" link of Plan and usage, if set (an empty value counts as unset).
    pub fn sales_url(&self) -> Option<&str> {
        self.sales_url.as_deref().map(str::trim).filter(|u| !u.is_empty())
    }

    /// Where `/metrics` is served.
    pub fn metrics_at(&self) -> Result<MetricsAt, ConfigError> {
        match self.metrics_listen.trim() {
            "" => Ok(MetricsAt::Main),
            "off" => Ok(MetricsAt::Off),
            addr => addr.parse().map(MetricsAt::Own).map_err(|_| ConfigError::MetricsListen),
        }
    }

    /// The regions whose numbers may get SMS (empty: all).
    pub fn sms_regions(&self) -> Result<Vec<String>, ConfigError> {
        self.sms_countries
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                let upper = s.to_ascii_uppercase();
                if upper.len() == 2 && tenantry_domain::phone::calling_code(&upper).is_some() {
                    Ok(upper)
                } else {
                    Err(ConfigError::SmsCountry(s.to_owned()))
                }
            })
            .collect()
    }

    /// The parsed proxy list.
    pub fn trusted_proxy_ips(&self) -> Result<Vec<IpAddr>, ConfigError> {
        self.trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(|_| ConfigError::Proxy(s.to_owned())))
            .collect()
    }

    /// The private targets outbound requests may reach.
    pub fn allow_private_targets(&self) -> Result<tenantry_app::outbound::AllowList, ConfigError> {
        Ok(tenantry_app::outbound::AllowList::parse(&self.allow_private_targets)?)
    }

    /// The product catalog.
    pub fn catalog(&self) -> Result<tenantry_domain::Catalog, ConfigError> {
        Ok(tenantry_domain::Catalog::parse(&self.products)?)
    }

    /// The base of links in emails, without a trailing slash.
    pub fn public_url(&self) -> String {
        self.public_url_for(self.listen)
    }

    /// The base of links when serving on `bound` (which differs from `listen` for port 0).
    pub fn public_url_for(&self, bound: SocketAddr) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{bound}")).trim_end_matches('/').to_owned()
    }

    /// The key that encrypts stored secrets: configured, else read from (or first generated into)
    /// `<data>/secret.key`, readable only by its owner.
    pub fn secret_key(&self) -> std::io::Result<String> {
        if let Some(k) = &self.secret_key {
            return Ok(k.expose_secret().to_owned());
        }
        let path = self.data_dir.join("secret.key");
        match std::fs::read_to_string(&path) {
            Ok(k) if !k.trim().is_empty() => Ok(k.trim().to_owned()),
            _ => {
                let key = tenantry_domain::token::random_hex(32);
                std::fs::create_dir_all(&self.data_dir)?;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create(true).truncate(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                std::io::Write::write_all(&mut options.open(&path)?, key.as_bytes())?;
                Ok(key)
            }
        }
    }

    /// The database URL: configured, or SQLite in the data folder.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose_secret().to_owned(),
            None => format!("sqlite://{}", self.data_dir.join("tenantry.db").display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn the_secret_key_is_generated_once_into_the_data_folder() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("TENANTRY_DATA_DIR", "data");
            let mut c = Config::load(None).map_err(|e| e.to_string())?;
            let first = c.secret_key().map_err(|e| e.to_string())?;
            assert_eq!(first.len(), 64);
            assert_eq!(c.secret_key().map_err(|e| e.to_string())?, first, "read back, not regenerated");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode =
                    std::fs::metadata(Path::new("data/secret.key")).map_err(|e| e.to_string())?.permissions().mode();
                assert_eq!(mode & 0o777, 0o600);
            }
            c.secret_key = Some("from the environment".to_owned().into());
            assert_eq!(c.secret_key().map_err(|e| e.to_string())?, "from the environment");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn public_addresses_metrics_and_sms_settings() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            // Serving beyond loopback without saying the public address is refused.
            jail.set_env("TENANTRY_LISTEN", "0.0.0.0:8080");
            assert!(matches!(Config::load(None), Err(ConfigError::PublicUrlNeeded(_))));
            jail.set_env("TENANTRY_PUBLIC_URL", "https://accounts.example.com");
            assert!(Config::load(None).is_ok());
            jail.clear_env();
            jail.set_env("TENANTRY_LISTEN", "[::1]:8080");
            assert!(Config::load(None).is_ok(), "loopback needs no public address");

            let mut at = |v: &str| {
                jail.set_env("TENANTRY_METRICS_LISTEN", v);
                Config::load(None).map(|c| c.metrics_at())
            };
            assert!(matches!(at(""), Ok(Ok(MetricsAt::Main))));
            assert!(matches!(at("off"), Ok(Ok(MetricsAt::Off))));
            assert!(matches!(at("127.0.0.1:9100"), Ok(Ok(MetricsAt::Own(_)))));
            assert!(matches!(at("somewhere"), Err(ConfigError::MetricsListen)));
            jail.set_env("TENANTRY_METRICS_LISTEN", "");

            jail.set_env("TENANTRY_SMS_COUNTRIES", "us, gb");
            assert_eq!(
                Config::load(None).map_err(|e| e.to_string())?.sms_regions().map_err(|e| e.to_string())?,
                ["US", "GB"]
            );
            jail.set_env("TENANTRY_SMS_COUNTRIES", "USA");
            assert!(matches!(Config::load(None), Err(ConfigError::SmsCountry(_))));
            jail.set_env("TENANTRY_SMS_COUNTRIES", "");
            jail.set_env("TENANTRY_SIGNUP", "verify");
            assert_eq!(Config::load(None).map_err(|e| e.to_string())?.signup, Signup::Verify);
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn layers_and_refusals() {
        Jail::expect_with(|jail| {
            // The caller's own TENANTRY_* variables must not leak into the layers under test.
            jail.clear_env();
            jail.create_file("t.toml", "listen = \"127.0.0.1:9000\"\nsignup = \"closed\"\n")?;
            jail.set_env("TENANTRY_LISTEN", "127.0.0.1:9100");
            let c = Config::load(Some(Path::new("t.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(c.listen.port(), 9100, "environment wins over the file");
            assert_eq!(c.signup, Signup::Closed);
            assert_eq!(c.public_url(), "http://127.0.0.1:9100");
            assert!(format!("{c:?}").contains("listen"));

            jail.create_file("bad.toml", "lisen = \"127.0.0.1:9000\"\n")?;
            let err = Config::load(Some(Path::new("bad.toml"))).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("lisen"), "unknown key named: {err}");

            jail.create_file("secret.toml", "operator_token = \"x\"\n")?;
            assert!(matches!(Config::load(Some(Path::new("secret.toml"))), Err(ConfigError::SecretInFile(..))));

            jail.set_env("TENANTRY_OPERATOR_TOKEN", "very-secret-value");
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert!(!format!("{c:?}").contains("very-secret-value"), "secrets never print");

            jail.set_env("TENANTRY_UPGRADE_URL", "https://example.com/upgrade");
            jail.set_env("TENANTRY_SALES_URL", "");
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!((c.upgrade_url(), c.sales_url()), (Some("https://example.com/upgrade"), None));
            jail.set_env("TENANTRY_SALES_URL", "javascript:alert(1)");
            assert!(matches!(Config::load(None), Err(ConfigError::LinkUrl("sales_url"))));
            jail.set_env("TENANTRY_SALES_URL", "https://example.com/sales");

            jail.set_env("TENANTRY_ALLOW_PRIVATE_TARGETS", "127.0.0.1, 10.0.0.0/8");
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert!(c.allow_private_targets().is_ok_and(|a| a.contains([10, 1, 2, 3].into())));
            jail.set_env("TENANTRY_ALLOW_PRIVATE_TARGETS", "10.0.0.0/33");
            let err = Config::load(None).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("TENANTRY_ALLOW_PRIVATE_TARGETS") && err.contains("10.0.0.0/33"), "{err}");
            jail.set_env("TENANTRY_ALLOW_PRIVATE_TARGETS", "");

            jail.set_env("TENANTRY_LISTN", "127.0.0.1:1");
            let err = Config::load(None).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("listn"), "a misspelt variable is refused: {err}");
            Ok(())
        });
    }
}
