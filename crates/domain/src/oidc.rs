//! The rules of Tenantry as the OpenID Connect provider of the products: what a client's redirect
//! URIs may be, how one is matched (exactly), PKCE `S256`, the scopes and `prompt` values read
//! from an authorization request, and how long each token lives.

use crate::ValidationErrors;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How long an authorization code may be exchanged.
pub const CODE_TTL_MS: i64 = 60 * 1000;
/// How long an access token is good for, unless the operator says otherwise.
pub const ACCESS_TOKEN_TTL_MS: i64 = 5 * 60 * 1000;
/// How long an ID token is good for.
pub const ID_TOKEN_TTL_MS: i64 = 10 * 60 * 1000;
/// How long a back-channel logout token is good for (OpenID Back-Channel Logout 1.0 §2.4 asks
/// for a short time).
pub const LOGOUT_TOKEN_TTL_MS: i64 = 2 * 60 * 1000;
/// After a rotation, how long the retired key stays in the JWKS: longer than any token it signed lives.
pub const RETIRED_KEY_KEPT_MS: i64 = ID_TOKEN_TTL_MS + LOGOUT_TOKEN_TTL_MS + 60 * 1000;
/// The claim value OpenID Back-Channel Logout 1.0 puts in `events`.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// Most redirect URIs a client may register.
pub const MAX_REDIRECT_URIS: usize = 10;

/// The scopes this provider knows; others asked for are ignored (OpenID Connect Core §3.1.2.1).
pub const SCOPES: &[&str] = &["openid", "profile", "email"];

/// A redirect URI as a client may register it: absolute, no fragment, `https://`, or `http://`
/// to a loopback host (a developer's machine, a test), or a private-use scheme of a native app
/// (`com.example.app:/cb`).
pub fn check_redirect_uri(text: &str) -> Result<(), &'static str> {
    let url = url::Url::parse(text).map_err(|_| "must be an absolute URI such as https://app.example.com/callback")?;
    if url.fragment().is_some() {
        return Err("must not have a fragment (#…)");
    }
    if url.as_str() != text && url.as_str() != format!("{text}/") {
        // Matching is exact: the registered text must be what clients send, not a variant of it.
        return Err("must be written in its normal form (lower-case scheme and host)");
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" => match url.host() {
            Some(url::Host::Domain("localhost")) => Ok(()),
            Some(url::Host::Ipv4(ip)) if ip.is_loopback() => Ok(()),
            Some(url::Host::Ipv6(ip)) if ip.is_loopback() => Ok(()),
            _ => Err("must use https:// (http:// only to localhost)"),
        },
        s if s.contains('.') => Ok(()),
        _ => Err("must use https:// (http:// only to localhost)"),
    }
}

/// Checks a client's registration: a name, its product, and 1–10 redirect URIs.
pub fn check_client(
    name: &str, product_known: bool, redirect_uris: &[String], backchannel_logout_uri: Option<&str>,
) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push("name", "must be 1 to 100 characters");
    }
    if !product_known {
        errors.push("product", "is not a product of this installation");
    }
    if redirect_uris.is_empty() || redirect_uris.len() > MAX_REDIRECT_URIS {
        errors.push("redirect_uris", format!("must list 1 to {MAX_REDIRECT_URIS} URIs"));
    }
    for (i, uri) in redirect_uris.iter().enumerate() {
        if let Err(m) = check_redirect_uri(uri) {
            errors.push(&format!("redirect_uris[{i}]"), m);
        }
    }
    if let Some(uri) = backchannel_logout_uri {
        match url::Url::parse(uri) {
            Ok(u) if matches!(u.scheme(), "https" | "http") && u.fragment().is_none() => {}
            _ => errors.push("backchannel_logout_uri", "must be an absolute https:// URI without a fragment"),
        }
    }
    errors.into_result()
}

/// Whether `presented` is one of `registered`, character for character (RFC 9700 §4.1.3).
pub fn redirect_uri_registered(registered: &[String], presented: &str) -> bool {
    registered.iter().any(|r| r == presented)
}

/// Whether a PKCE `code_verifier` fits RFC 7636 §4.1: 43–128 unreserved characters.
pub fn valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether a `code_challenge` has the shape of an `S256` one: 43 base64url characters.
pub fn valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// The `S256` challenge of `verifier`: BASE64URL(SHA-256(verifier)) without padding.
pub fn s256(verifier: &str) -> String {
    base64url(&Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` answers `challenge` (constant time).
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    valid_verifier(verifier) && s256(verifier).as_bytes().ct_eq(challenge.as_bytes()).into()
}

/// Base64url without padding (RFC 4648 §5), as JOSE and PKCE write it.
pub fn base64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The known scopes asked for, in the order of [`SCOPES`]; `None` when `openid` is missing.
pub fn parse_scope(scope: &str) -> Option<Vec<&'static str>> {
    let asked: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    if !asked.contains(&"openid") {
        return None;
    }
    Some(SCOPES.iter().copied().filter(|s| asked.contains(s)).collect())
}

/// What the `prompt` parameter asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// Nothing: sign in only if needed.
    Default,
    /// Never show a page: answer `login_required` when not signed in.
    None,
    /// Sign in again even with a session.
    Login,
}

impl Prompt {
    /// Reads `prompt`; values this provider does not offer (`consent`, `select_account`) are
    /// taken as the default (consent is implicit for first-party products). `none` with anything
    /// else is an error.
    pub fn parse(prompt: Option<&str>) -> Result<Self, &'static str> {
        let values: Vec<&str> = prompt.unwrap_or_default().split(' ').filter(|s| !s.is_empty()).collect();
        if values.contains(&"none") {
            return if values.len() == 1 { Ok(Prompt::None) } else { Err("prompt=none cannot be combined") };
        }
        Ok(if values.contains(&"login") { Prompt::Login } else { Prompt::Default })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn redirect_uris_are_https_or_loopback_and_matched_exactly() {
        assert!(check_redirect_uri("https://chat.example.com/oidc/callback").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:8123/cb").is_ok());
        assert!(check_redirect_uri("http://localhost/cb").is_ok());
        assert!(check_redirect_uri("com.example.chat:/cb").is_ok());
        assert!(check_redirect_uri("http://chat.example.com/cb").is_err());
        assert!(check_redirect_uri("https://chat.example.com/cb#x").is_err());
        assert!(check_redirect_uri("/cb").is_err());
        assert!(check_redirect_uri("javascript:alert(1)").is_err());
        assert!(check_redirect_uri("HTTPS://Chat.example.com/cb").is_err(), "not in normal form");
        let registered = vec!["https://chat.example.com/cb".to_owned()];
        assert!(redirect_uri_registered(&registered, "https://chat.example.com/cb"));
        assert!(!redirect_uri_registered(&registered, "https://chat.example.com/cc"));
        assert!(!redirect_uri_registered(&registered, "https://chat.example.com/cb/"));
        assert!(!redirect_uri_registered(&registered, "https://chat.example.com/cb?x=1"));
    }

    #[test]
    fn pkce_s256_follows_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(s256(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches("short", &s256("short")), "a verifier under 43 characters is refused");
        assert!(valid_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!valid_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c="));
    }

    #[test]
    fn base64url_has_no_padding() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn scopes_need_openid_and_ignore_the_unknown() {
        assert_eq!(parse_scope("openid profile email"), Some(vec!["openid", "profile", "email"]));
        assert_eq!(parse_scope("email openid offline_access"), Some(vec!["openid", "email"]));
        assert_eq!(parse_scope("profile email"), None);
    }

    #[test]
    fn prompt_values() {
        assert_eq!(Prompt::parse(None), Ok(Prompt::Default));
        assert_eq!(Prompt::parse(Some("none")), Ok(Prompt::None));
        assert_eq!(Prompt::parse(Some("login consent")), Ok(Prompt::Login));
        assert_eq!(Prompt::parse(Some("consent")), Ok(Prompt::Default));
        assert!(Prompt::parse(Some("none login")).is_err());
    }

    #[test]
    fn clients_are_checked_field_by_field() {
        let ok = vec!["https://a.example.com/cb".to_owned()];
        assert!(check_client("Chat", true, &ok, None).is_ok());
        let e = check_client("", false, &["http://a.example.com/cb".to_owned()], Some("ftp://x")).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["name", "product", "redirect_uris[0]", "backchannel_logout_uri"]);
        assert!(check_client("Chat", true, &[], None).is_err());
    }
}
