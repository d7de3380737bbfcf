//! The IMDSv2-compatible route (REFERENCE 3) for tools that only speak instance metadata.
//!
//! - `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds: 1..21600` mints a token
//!   and echoes the TTL header (aws-config needs the echo); missing or out-of-range TTL: 400.
//! - `GET /latest/meta-data/iam/security-credentials/` names the one role of this listener
//!   (SDKs read the whole body as one name); `.../security-credentials/{role}` serves it.
//! - Tokens are `EXPIRY.HMAC-SHA256(key, EXPIRY)` with a per-process random key: unforgeable,
//!   and nothing is stored, so memory stays bounded however many are minted.
//! - Any request carrying a forwarding header (`X-Forwarded-*`, `Forwarded`, `Via`, `X-Real-IP`
//!   and the like) is refused (403): IMDS is never reached through a proxy. So is one without
//!   exactly one `Host` header that is exactly a loopback or link-local IP literal (with an
//!   optional port): a DNS name would be a web page that rebound its name to loopback. An
//!   absolute-form target's host is held to the same rule. So is a request from beyond
//!   loopback, whatever `--allow-remote` says. Token-less IMDSv1 reads get 401 unless
//!   `--imds-allow-v1`.
//! - A credential with [`crate::sdk::IMDS_MIN_REMAINING`] (26 minutes) or less left is never
//!   served here (503): botocore's IMDS provider stretches one with less than its refresh window
//!   plus jitter left past its real expiry (REFERENCE 5; the derivation is in `crate::sdk` and
//!   docs/SDKS.md).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, UNIX_EPOCH};

use hmac::{KeyInit, Mac};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use rand::RngCore;

use super::{App, Body};
use crate::clock::SharedClock;

pub const TOKEN_PATH: &str = "/latest/api/token";
pub const CREDENTIALS_PATH: &str = "/latest/meta-data/iam/security-credentials/";
pub const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
pub const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
pub const MAX_TOKEN_TTL_SECS: u64 = 21_600;
/// Never hand out less than this through IMDS: the client table's floor.
pub const MIN_REMAINING: Duration = crate::sdk::IMDS_MIN_REMAINING;
/// The 503 body for a credential too close to its expiry to serve.
static MIN_REMAINING_REFUSAL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "the credential held has {} minutes or less left, and IMDS clients may use one past its expiry; see rolehop's log for why it is not refreshed",
        MIN_REMAINING.as_secs() / 60
    )
});
/// aws-config's IMDS client times out after 1 s: answer before it does.
const CLIENT_WAIT: Duration = Duration::from_millis(800);

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// One IMDS listener's role and token key.
pub struct Imds {
    role: String,
    allow_v1: bool,
    min_remaining: Duration,
    key: [u8; 32],
    clock: SharedClock,
}

impl std::fmt::Debug for Imds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Imds")
            .field("role", &self.role)
            .field("allow_v1", &self.allow_v1)
            .field("key", &"** redacted **")
            .finish()
    }
}

impl Imds {
    /// `min_remaining` is [`MIN_REMAINING`] except under a test time scale; `clock` gives the
    /// wall time tokens and expiries are judged by.
    pub fn new(role: String, allow_v1: bool, min_remaining: Duration, clock: SharedClock) -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self {
            role,
            allow_v1,
            min_remaining,
            key,
            clock,
        }
    }

    fn mac(&self, expiry: u64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"rolehop-imds-token-v1");
        mac.update(&expiry.to_be_bytes());
        mac
    }

    /// The key in hex, for the tests that check it never leaves (Debug, responses).
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn key_hex(&self) -> String {
        hex::encode(self.key)
    }

    /// A token valid until `now + ttl` (seconds since the epoch).
    pub fn mint(&self, now: u64, ttl: u64) -> String {
        let expiry = now.saturating_add(ttl);
        let tag = self.mac(expiry).finalize().into_bytes();
        format!("{expiry:016x}.{}", hex::encode(tag))
    }

    /// True for a token this listener minted that has not expired at `now`.
    pub fn verify(&self, token: &[u8], now: u64) -> bool {
        let Ok(token) = std::str::from_utf8(token) else {
            return false;
        };
        let Some((expiry_hex, tag_hex)) = token.split_once('.') else {
            return false;
        };
        let (Ok(expiry), Ok(tag)) = (u64::from_str_radix(expiry_hex, 16), hex::decode(tag_hex))
        else {
            return false;
        };
        expiry_hex.len() == 16 && self.mac(expiry).verify_slice(&tag).is_ok() && expiry > now
    }
}

fn now_secs(clock: &SharedClock) -> u64 {
    clock
        .now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    let mut r = Response::new(Body::from(body.to_owned()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    r
}

/// What a `Host` value (or an absolute-form target's authority) names, when it is an address:
/// an IP literal or `localhost`, with an optional port of digits and nothing else after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostName {
    Ip(IpAddr),
    Localhost,
}

fn host_name(value: &str) -> Option<HostName> {
    let port_ok =
        |port: &str| (1..=5).contains(&port.len()) && port.bytes().all(|b| b.is_ascii_digit());
    if let Some(v6) = value.strip_prefix('[') {
        let (ip, after) = v6.split_once(']')?;
        let ip = ip.parse::<Ipv6Addr>().ok()?;
        return (after.is_empty() || after.strip_prefix(':').is_some_and(port_ok))
            .then_some(HostName::Ip(ip.into()));
    }
    let name = match value.split_once(':') {
        Some((name, port)) if port_ok(port) => name,
        Some(_) => return None,
        None => value,
    };
    if name.eq_ignore_ascii_case("localhost") {
        Some(HostName::Localhost)
    } else {
        name.parse::<Ipv4Addr>()
            .ok()
            .map(|ip| HostName::Ip(ip.into()))
    }
}

/// True for a `Host` that names this listener by address (an IP literal or `localhost`, with
/// an optional port). A DNS name would mean a browser page that rebound its name to loopback.
pub(crate) fn host_is_an_address<B>(req: &Request<B>) -> bool {
    req.headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(host_name)
        .is_some()
}

/// True when `value` is exactly a loopback or link-local IP literal (IMDS's own address is
/// link-local), with an optional port.
fn imds_host(value: &str) -> bool {
    match host_name(value) {
        Some(HostName::Ip(IpAddr::V4(ip))) => ip.is_loopback() || ip.is_link_local(),
        Some(HostName::Ip(IpAddr::V6(ip))) => ip.is_loopback() || ip.is_unicast_link_local(),
        Some(HostName::Localhost) | None => false,
    }
}

/// The IMDS listener's Host rule: exactly one `Host` header, exactly a loopback or link-local
/// literal; an absolute-form target (`GET http://HOST/...`) held to the same rule.
fn imds_host_allowed<B>(req: &Request<B>) -> bool {
    let mut hosts = req.headers().get_all(hyper::header::HOST).iter();
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return false;
    };
    host.to_str().is_ok_and(imds_host)
        && req.uri().authority().is_none_or(|a| imds_host(a.as_str()))
}

/// Headers a proxy adds on the way: IMDS is never reached through one (the de-facto
/// `X-Forwarded-*` family, RFC 7239's `Forwarded`, RFC 9110's `Via`, and the client-address
/// headers of common proxies and CDNs).
const FORWARDING_HEADERS: [&str; 9] = [
    "forwarded",
    "via",
    "x-real-ip",
    "x-client-ip",
    "client-ip",
    "true-client-ip",
    "x-cluster-client-ip",
    "cf-connecting-ip",
    "fastly-client-ip",
];

fn through_a_proxy<B>(req: &Request<B>) -> bool {
    req.headers().keys().any(|name| {
        let name = name.as_str();
        name.starts_with("x-forwarded") || FORWARDING_HEADERS.contains(&name)
    })
}

pub async fn handle<B>(app: &App, imds: &Imds, req: &Request<B>) -> Response<Body> {
    if through_a_proxy(req) {
        return super::refused(
            text(
                StatusCode::FORBIDDEN,
                "Forbidden: IMDS requests through a proxy are refused",
            ),
            "ThroughProxy",
        );
    }
    if !imds_host_allowed(req) {
        return super::refused(
            text(
                StatusCode::FORBIDDEN,
                "Forbidden: send exactly one Host header, this listener's loopback or link-local IP address",
            ),
            "HostRefused",
        );
    }
    let path = req.uri().path();
    if path == TOKEN_PATH {
        return if req.method() == Method::PUT {
            put_token(imds, req)
        } else {
            text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
        };
    }
    let role_path = path
        .strip_prefix(CREDENTIALS_PATH)
        .or_else(|| (path == CREDENTIALS_PATH.trim_end_matches('/')).then_some(""));
    let Some(role) = role_path else {
        return text(StatusCode::NOT_FOUND, "Not Found");
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    }
    match req.headers().get(TOKEN_HEADER) {
        Some(token) if imds.verify(token.as_bytes(), now_secs(&imds.clock)) => {}
        None if imds.allow_v1 => {}
        Some(_) => {
            return super::refused(
                text(StatusCode::UNAUTHORIZED, "Unauthorized"),
                "InvalidImdsToken",
            );
        }
        None => {
            return super::refused(
                text(StatusCode::UNAUTHORIZED, "Unauthorized"),
                "MissingImdsToken",
            );
        }
    }
    if role.is_empty() {
        return text(StatusCode::OK, &imds.role);
    }
    if role != imds.role {
        return text(StatusCode::NOT_FOUND, "Not Found");
    }
    let Some(cell) = app.roles.get(role) else {
        return text(StatusCode::NOT_FOUND, "Not Found");
    };
    let creds = match cell.get_within(CLIENT_WAIT).await {
        Ok(creds) => creds,
        // No STS text: it names accounts, roles and endpoints, and IMDS tokens are free to get.
        Err(why) => {
            return text(
                StatusCode::SERVICE_UNAVAILABLE,
                super::health::summary(&why),
            );
        }
    };
    let now = imds.clock.now();
    if !creds.valid_for(now, imds.min_remaining) {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            MIN_REMAINING_REFUSAL.as_str(),
        );
    }
    let mut response = super::json(StatusCode::OK, creds.to_imds_json(now));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}

fn put_token<B>(imds: &Imds, req: &Request<B>) -> Response<Body> {
    let ttl = req
        .headers()
        .get(TTL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|t| (1..=MAX_TOKEN_TTL_SECS).contains(t));
    let Some(ttl) = ttl else {
        return text(
            StatusCode::BAD_REQUEST,
            "Bad Request: X-aws-ec2-metadata-token-ttl-seconds must be a whole number from 1 to 21600",
        );
    };
    let mut r = text(StatusCode::OK, &imds.mint(now_secs(&imds.clock), ttl));
    r.headers_mut().insert(TTL_HEADER, HeaderValue::from(ttl));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: &str, headers: &[(&str, &str)]) -> Request<()> {
        let mut builder = Request::builder().uri(target);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn the_imds_host_is_one_loopback_or_link_local_literal() {
        for good in [
            "127.0.0.1",
            "127.0.0.1:9912",
            "127.9.9.9:80",
            "169.254.169.254",
            "[::1]",
            "[::1]:9912",
            "[fe80::1]:80",
        ] {
            assert!(
                imds_host_allowed(&request("/", &[("host", good)])),
                "{good}"
            );
        }
        for bad in [
            "[::1]evil.example",
            "[::1]:evil.example",
            "127.0.0.1:evil.example",
            "127.0.0.1:",
            "127.0.0.1:123456",
            "evil.example",
            "localhost",
            "10.0.0.1",
            "[2001:db8::1]",
            "127.0.0.1 ",
            "",
        ] {
            assert!(
                !imds_host_allowed(&request("/", &[("host", bad)])),
                "{bad:?}"
            );
        }
        assert!(!imds_host_allowed(&request("/", &[])), "no Host");
        let two = request("/", &[("host", "127.0.0.1"), ("host", "evil.example")]);
        assert!(!imds_host_allowed(&two), "two Host headers");
        let two = request("/", &[("host", "127.0.0.1"), ("host", "127.0.0.1")]);
        assert!(!imds_host_allowed(&two), "two Host headers, even equal");
        let absolute = request(
            "http://evil.example/latest/api/token",
            &[("host", "127.0.0.1")],
        );
        assert!(
            !imds_host_allowed(&absolute),
            "an absolute-form target's host"
        );
        let absolute = request(
            "http://127.0.0.1:80/latest/api/token",
            &[("host", "127.0.0.1")],
        );
        assert!(imds_host_allowed(&absolute));
    }

    #[test]
    fn the_credentials_listeners_host_rule_wants_a_port_of_digits() {
        for bad in ["[::1]evil.example", "127.0.0.1:evil.example", "localhost:x"] {
            assert!(
                !host_is_an_address(&request("/", &[("host", bad)])),
                "{bad}"
            );
        }
        for good in ["localhost", "localhost:9911", "[::1]:9911", "10.0.0.1:80"] {
            assert!(
                host_is_an_address(&request("/", &[("host", good)])),
                "{good}"
            );
        }
    }

    #[test]
    fn every_forwarding_header_means_a_proxy() {
        for name in [
            "x-forwarded-for",
            "X-Forwarded-Host",
            "x-forwarded-proto",
            "forwarded",
            "via",
            "x-real-ip",
            "true-client-ip",
        ] {
            assert!(
                through_a_proxy(&request("/", &[(name, "10.0.0.1")])),
                "{name}"
            );
        }
        assert!(!through_a_proxy(&request(
            "/",
            &[("host", "127.0.0.1"), (TTL_HEADER, "60")]
        )));
    }

    #[test]
    fn tokens_verify_until_they_expire() {
        let imds = Imds::new(
            "default".into(),
            false,
            MIN_REMAINING,
            std::sync::Arc::new(crate::clock::SystemClock),
        );
        let token = imds.mint(1_000, 60);
        assert!(imds.verify(token.as_bytes(), 1_000));
        assert!(imds.verify(token.as_bytes(), 1_059));
        assert!(!imds.verify(token.as_bytes(), 1_060));
    }

    #[test]
    fn forged_and_foreign_tokens_fail() {
        let imds = Imds::new(
            "default".into(),
            false,
            MIN_REMAINING,
            std::sync::Arc::new(crate::clock::SystemClock),
        );
        let other = Imds::new(
            "default".into(),
            false,
            MIN_REMAINING,
            std::sync::Arc::new(crate::clock::SystemClock),
        );
        let token = imds.mint(1_000, 21_600);
        assert!(!other.verify(token.as_bytes(), 1_000), "another key");
        let (expiry, tag) = token.split_once('.').unwrap();
        let later = format!(
            "{:016x}.{tag}",
            u64::from_str_radix(expiry, 16).unwrap() + 3600
        );
        assert!(!imds.verify(later.as_bytes(), 1_000), "extended expiry");
        for junk in [
            "",
            ".",
            "abc",
            "0000000000000fff.",
            "zz.zz",
            &"f".repeat(10_000),
        ] {
            assert!(!imds.verify(junk.as_bytes(), 0), "{junk:?}");
        }
        assert!(!imds.verify(&[0xff, 0xfe], 0));
        assert!(!format!("{imds:?}").contains(&hex::encode(imds.key)));
    }
}
