//! Outbound requests (CRM connection tests now, webhook deliveries later) and the rules they obey
//! (SPEC §5, API.md "Outbound rules"): `https://` only, to hosts whose every address is public;
//! loopback, private, link-local, metadata and other special addresses are refused unless the
//! operator lists them in `TENANTRY_ALLOW_PRIVATE_TARGETS`, and then `http://` is accepted too.
//!
//! The guard is written once, here, with no HTTP crate: [`Target::parse`] reads the URL,
//! [`resolve`] looks the host up and vets every address, and an [`Outbound`] implementation (the
//! binary injects one built on reqwest, in `tenantry_outbox::outbound`) connects only to the
//! addresses that were vetted, follows no redirect and gives up after its timeout.

pub mod address;

pub use address::{AddressClass, AllowList, Cidr, InvalidCidr, classify};

use std::net::{IpAddr, SocketAddr};

/// Why an outbound request was not made or got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// The outbound rules refuse the target (scheme, or an address it resolves to).
    #[error("{0}")]
    Refused(String),
    /// The host did not resolve, or the connection (or TLS) failed.
    #[error("{0}")]
    Unreachable(String),
    /// No answer in time.
    #[error("no answer within {0} seconds")]
    Timeout(u64),
}

/// What the target answered: its status and the start of its body (at most [`BODY_PREFIX`] bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body_prefix: String,
    /// The `Retry-After` header, when the target sent one: seconds, or an HTTP date.
    pub retry_after: Option<String>,
}

/// How much of an answer's body is kept.
pub const BODY_PREFIX: usize = 1024;

/// Sends outbound requests under the rules. Implementations must resolve with [`resolve`] and
/// connect only to the addresses it answers, never follow a redirect, and time out.
#[async_trait::async_trait]
pub trait Outbound: Send + Sync {
    /// Checks `url` against the rules (resolving its host) without sending anything.
    async fn check(&self, url: &str) -> Result<(), OutboundError>;
    /// `GET url`, with `Authorization: Bearer <bearer>` when given.
    async fn get(&self, url: &str, bearer: Option<&str>) -> Result<Reply, OutboundError>;
    /// `POST url` with `body` and `headers` (webhook deliveries), within `timeout`.
    async fn post(
        &self, url: &str, headers: &[(&'static str, String)], body: Vec<u8>, timeout: std::time::Duration,
    ) -> Result<Reply, OutboundError>;
}

/// The host of a [`Target`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A literal address: nothing to resolve.
    Ip(IpAddr),
    /// A name, in its ASCII (punycode) form.
    Name(String),
}

/// A URL an outbound request may go to: `http(s)://host[:port]/…`, read but not resolved yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    url: String,
    host: Host,
    port: u16,
    https: bool,
}

const HTTPS_ONLY: &str = "must start with https://";

impl Target {
    /// Reads `text`: an absolute `https://` (or `http://`) URL with a host and no user name or
    /// password in it.
    pub fn parse(text: &str) -> Result<Self, OutboundError> {
        let refuse = |m: &str| OutboundError::Refused(m.to_owned());
        let text = text.trim();
        let url =
            url::Url::parse(text).map_err(|_| refuse("must be an absolute URL such as https://crm.example.com/api"))?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => return Err(refuse(HTTPS_ONLY)),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("must not hold a user name or password"));
        }
        let host = match url.host() {
            Some(url::Host::Ipv4(v4)) => Host::Ip(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Host::Ip(IpAddr::V6(v6)),
            Some(url::Host::Domain(d)) if !d.is_empty() => Host::Name(d.trim_end_matches('.').to_ascii_lowercase()),
            _ => return Err(refuse("must name a host")),
        };
        let port = url.port_or_known_default().ok_or_else(|| refuse(HTTPS_ONLY))?;
        Ok(Self { url: url.to_string(), host, port, https })
    }

    /// The URL, normalized.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The port (443 or 80 unless the URL names one).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the URL is `https://`.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// Checks the addresses the host resolved to: every one must be public or allowed by the
    /// operator, and `http://` needs every one to be allowed.
    pub fn vet(&self, addresses: &[IpAddr], allow: &AllowList) -> Result<(), OutboundError> {
        if addresses.is_empty() {
            return Err(OutboundError::Unreachable("the host has no address".to_owned()));
        }
        for ip in addresses {
            if let Some(class) = address::refusal(*ip, allow) {
                let message = match &self.host {
                    Host::Ip(_) => format!("{ip} is {}, which outbound requests may not reach", class.describe()),
                    Host::Name(name) => {
                        format!("{name} resolves to {} ({ip}), which outbound requests may not reach", class.describe())
                    }
                };
                return Err(OutboundError::Refused(message));
            }
        }
        if !self.https && !addresses.iter().all(|ip| allow.contains(*ip)) {
            return Err(OutboundError::Refused(HTTPS_ONLY.to_owned()));
        }
        Ok(())
    }
}

/// Reads `url`, resolves its host and vets every address (see [`Target::vet`]): the answer is
/// the target and the only addresses a request to it may connect to.
pub async fn resolve(url: &str, allow: &AllowList) -> Result<(Target, Vec<SocketAddr>), OutboundError> {
    let target = Target::parse(url)?;
    if !target.https && allow.is_empty() {
        // Nothing can be allowed: no need to ask the DNS.
        return Err(OutboundError::Refused(HTTPS_ONLY.to_owned()));
    }
    let addresses: Vec<IpAddr> = match &target.host {
        Host::Ip(ip) => vec![*ip],
        Host::Name(name) => {
            let found = tokio::net::lookup_host((name.as_str(), target.port))
                .await
                .map_err(|e| OutboundError::Unreachable(format!("{name} could not be resolved: {e}")))?;
            let mut ips: Vec<IpAddr> = found.map(|a| a.ip()).collect();
            ips.sort();
            ips.dedup();
            ips
        }
    };
    target.vet(&addresses, allow)?;
    let port = target.port;
    Ok((target, addresses.into_iter().map(|ip| SocketAddr::new(ip, port)).collect()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn refused(r: Result<impl std::fmt::Debug, OutboundError>) -> String {
        match r {
            Err(OutboundError::Refused(m)) => m,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn urls_are_read_strictly() {
        let t = Target::parse("https://CRM.example.com./api").unwrap();
        assert_eq!(t.host(), &Host::Name("crm.example.com".to_owned()));
        assert_eq!(t.port(), 443);
        assert_eq!(Target::parse("http://[::1]:8080/x").unwrap().host(), &Host::Ip("::1".parse().unwrap()));
        assert_eq!(refused(Target::parse("ftp://example.com")), HTTPS_ONLY);
        assert_eq!(refused(Target::parse("file:///etc/passwd")), HTTPS_ONLY);
        assert!(refused(Target::parse("https://user:pw@example.com/")).contains("user name"));
        assert!(refused(Target::parse("example.com")).contains("absolute URL"));
        assert!(Target::parse("https://").is_err());
    }

    #[test]
    fn every_address_is_vetted_and_http_needs_the_allow_list() {
        let none = AllowList::default();
        let t = Target::parse("https://crm.example.com/").unwrap();
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        let private: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(t.vet(&[public], &none), Ok(()));
        let m = refused(t.vet(&[public, private], &none));
        assert!(m.contains("crm.example.com resolves to a private address (10.0.0.1)"), "{m}");
        assert!(matches!(t.vet(&[], &none), Err(OutboundError::Unreachable(_))));
        let allow = AllowList::parse("10.0.0.0/8").unwrap();
        assert_eq!(t.vet(&[private], &allow), Ok(()));
        let plain = Target::parse("http://crm.example.com/").unwrap();
        assert_eq!(refused(plain.vet(&[public], &allow)), HTTPS_ONLY, "http only to allowed addresses");
        assert_eq!(plain.vet(&[private], &allow), Ok(()));
        let metadata = Target::parse("http://169.254.169.254/latest/meta-data").unwrap();
        assert!(refused(metadata.vet(&["169.254.169.254".parse().unwrap()], &allow)).contains("metadata"));
    }

    #[tokio::test]
    async fn literal_addresses_resolve_to_themselves() {
        let none = AllowList::default();
        for url in [
            "https://127.0.0.1/",
            "https://10.0.0.1/",
            "https://169.254.169.254/",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]/",
        ] {
            refused(resolve(url, &none).await);
        }
        assert_eq!(refused(resolve("http://8.8.8.8/", &none).await), HTTPS_ONLY);
        let allow = AllowList::parse("127.0.0.1").unwrap();
        let (_, addrs) = resolve("http://127.0.0.1:9999/crm", &allow).await.unwrap();
        assert_eq!(addrs, ["127.0.0.1:9999".parse::<SocketAddr>().unwrap()]);
        assert_eq!(refused(resolve("http://8.8.8.8/", &allow).await), HTTPS_ONLY);
        // `localhost` resolves to loopback addresses: refused unless every one is allowed.
        refused(resolve("https://localhost/", &none).await);
    }
}
