//! Outbound HTTP under the rules of [`tenantry_app::outbound`]: the host is resolved and every
//! address vetted first, then the request connects to exactly those addresses (the client's DNS
//! is overridden for that host, so a second lookup can never answer something else), follows no
//! redirect, uses no proxy from the environment, and times out.

use reqwest::header::{AUTHORIZATION, HeaderValue};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tenantry_app::outbound::{AllowList, BODY_PREFIX, Host, Outbound, OutboundError, Reply, resolve};

/// Sends outbound requests with reqwest (rustls).
#[derive(Debug, Clone)]
pub struct HttpOutbound {
    allow: AllowList,
    timeout: Duration,
    /// Clients kept for the targets posted to (webhook deliveries), by host and vetted
    /// addresses, so their connections are reused; a new resolution answering other addresses
    /// gets a client of its own.
    clients: Arc<Mutex<HashMap<String, reqwest::Client>>>,
}

/// Most clients [`HttpOutbound`] keeps before starting over.
const MAX_POOLED: usize = 256;

impl HttpOutbound {
    /// Requests that may reach `allow`ed private addresses and give up after `timeout`.
    pub fn new(allow: AllowList, timeout: Duration) -> Self {
        Self { allow, timeout, clients: Arc::default() }
    }

    /// A kept client for `target` at `addrs` (see [`HttpOutbound::client`]).
    fn pooled_client(
        &self, target: &tenantry_app::outbound::Target, addrs: &[std::net::SocketAddr],
    ) -> Result<reqwest::Client, OutboundError> {
        let key = format!("{:?}|{}|{addrs:?}", target.host(), target.port());
        if let Some(c) =
            self.clients.lock().map_err(|_| OutboundError::Unreachable("HTTP client pool".to_owned()))?.get(&key)
        {
            return Ok(c.clone());
        }
        let client = self.client(target, addrs)?;
        let mut pool = self.clients.lock().map_err(|_| OutboundError::Unreachable("HTTP client pool".to_owned()))?;
        if pool.len() >= MAX_POOLED {
            pool.clear();
        }
        pool.insert(key, client.clone());
        Ok(client)
    }

    /// A client that connects to `addrs` only, for the host of `target`.
    fn client(
        &self, target: &tenantry_app::outbound::Target, addrs: &[std::net::SocketAddr],
    ) -> Result<reqwest::Client, OutboundError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .user_agent(concat!("Tenantry/", env!("CARGO_PKG_VERSION")));
        if let Host::Name(name) = target.host() {
            builder = builder.resolve_to_addrs(name, addrs);
        }
        builder.build().map_err(|e| OutboundError::Unreachable(format!("HTTP client: {e}")))
    }

    /// Turns a transport failure into the reason shown to people (never a header value).
    fn failure(&self, e: &reqwest::Error) -> OutboundError {
        if e.is_timeout() {
            return OutboundError::Timeout(self.timeout.as_secs().max(1));
        }
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            reason = format!("{reason}: {s}");
            source = s.source();
        }
        if e.is_connect() {
            OutboundError::Unreachable(format!("could not connect: {reason}"))
        } else {
            OutboundError::Unreachable(reason)
        }
    }

    /// Sends `request` (built on a vetted client) and keeps the start of the answer.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Reply, OutboundError> {
        let mut res = request.send().await.map_err(|e| self.failure(&e))?;
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(64).collect());
        let mut body = Vec::new();
        while body.len() < BODY_PREFIX {
            match res.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                // The status is the answer; a body cut short does not change it.
                Err(e) if e.is_timeout() => return Err(self.failure(&e)),
                Err(_) => break,
            }
        }
        body.truncate(BODY_PREFIX);
        Ok(Reply { status, body_prefix: String::from_utf8_lossy(&body).into_owned(), retry_after })
    }
}

#[async_trait::async_trait]
impl Outbound for HttpOutbound {
    async fn check(&self, url: &str) -> Result<(), OutboundError> {
        resolve(url, &self.allow).await.map(|_| ())
    }

    // Not instrumented with its arguments: `bearer` is a credential.
    async fn get(&self, url: &str, bearer: Option<&str>) -> Result<Reply, OutboundError> {
        let (target, addrs) = resolve(url, &self.allow).await?;
        let client = self.client(&target, &addrs)?;
        let mut request = client.get(target.url());
        if let Some(token) = bearer {
            let mut value = HeaderValue::try_from(format!("Bearer {token}"))
                .map_err(|_| OutboundError::Refused("the API key holds characters a header cannot carry".to_owned()))?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        tracing::debug!(host = ?target.host(), port = target.port(), "outbound GET");
        self.send(request).await
    }

    // Not instrumented with its arguments: the headers carry signatures.
    async fn post(
        &self, url: &str, headers: &[(&'static str, String)], body: Vec<u8>, timeout: Duration,
    ) -> Result<Reply, OutboundError> {
        let (target, addrs) = resolve(url, &self.allow).await?;
        let client = self.pooled_client(&target, &addrs)?;
        let mut request = client.post(target.url()).timeout(timeout).body(body);
        for (name, value) in headers {
            let value = HeaderValue::try_from(value.as_str()).map_err(|_| {
                OutboundError::Refused(format!("the {name} header holds characters a header cannot carry"))
            })?;
            request = request.header(*name, value);
        }
        tracing::debug!(host = ?target.host(), port = target.port(), "outbound POST");
        let slow = Self { allow: self.allow.clone(), timeout, clients: self.clients.clone() };
        slow.send(request).await
    }
}
