//! Configuration in layers: defaults, then a TOML file, then `TENANTRY_*` environment variables
//! (the environment wins). Unknown keys are an error; secrets are wrapped so they never print,
//! and may only come from the environment.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// Whether anyone may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signup {
    Open,
    Closed,
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
    /// Where profile pictures go: `s3://bucket/prefix` (credentials from `AWS_*`); unset: `<data>/avatars`.
    pub avatar_store: Option<String>,
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
    log_format: LogFormat,
    session_cache_ms: u32,
    products: &'static str,
    trial_seats: u32,
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
    #[error("public_url must start with http:// or https://")]
    PublicUrl,
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
            log_format: LogFormat::Text,
            session_cache_ms: 2000,
            products: "scheduling:Scheduling,chat:Live chat,voice:Voice",
            trial_seats: 5,
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
        config.catalog()?;
        if let Some(url) = &config.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::PublicUrl);
        }
        Ok(config)
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

            jail.set_env("TENANTRY_LISTN", "127.0.0.1:1");
            let err = Config::load(None).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("listn"), "a misspelt variable is refused: {err}");
            Ok(())
        });
    }
}
