//! The one client contract of rolehop's helper commands (`credential-process`, `exec`, `env`,
//! `healthcheck`): `--endpoint URL` is rolehop's base URL, `--role NAME` the role,
//! `--token-file FILE` or `ROLEHOP_TOKEN` the token, with `ROLEHOP_ENDPOINT`, `ROLEHOP_ROLE` and
//! `ROLEHOP_TOKEN_FILE` as environment twins.
//!
//! One rule for every endpoint ([`Endpoint::parse`]): plain `http` to a loopback address
//! (127.0.0.0/8, `::1`, `localhost`), because the token travels in clear and must never leave
//! the machine. Anything else is a usage error before any request is made.
//!
//! The requests are one blocking HTTP/1.1 GET each over `std::net`, `Connection: close`: the AWS
//! CLI starts `credential-process` for every command, so the fast path builds no async runtime,
//! no thread and no resolver (issue 18; docs/BENCHMARKS.md has the figure).

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::cli::ClientArgs;
use crate::credentials::{Credentials, Secret};
use crate::role_name;
use crate::token::{self, ENV_ROLEHOP_TOKEN, TokenChoice, TokenChoiceError};

/// A request to the running rolehop gives up after this long.
pub const TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BODY: usize = 64 * 1024;
/// Room for the status line and headers of an answer, beside its body.
const MAX_HEAD: usize = 16 * 1024;

#[derive(Debug, Clone)]
pub enum ClientToken {
    File(PathBuf),
    Value(Secret),
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub endpoint: Endpoint,
    pub role: String,
    pub token: ClientToken,
}

impl ClientConfig {
    pub fn from_args(
        args: &ClientArgs,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        let base = match args.endpoint.as_deref() {
            None => {
                errors.push("--endpoint (ROLEHOP_ENDPOINT) is required: the base URL of the running rolehop, e.g. http://127.0.0.1:9911".to_owned());
                None
            }
            Some(raw) => Endpoint::parse(raw)
                .map_err(|e| errors.push(e.to_string()))
                .ok(),
        };
        if !role_name::is_servable(&args.role) {
            errors.push(format!("--role `{}` is not a role name rolehop can serve; use the profile name from its configuration", args.role));
        }
        let token = match token::choose(args.token_file.as_deref(), env(ENV_ROLEHOP_TOKEN)) {
            Ok(TokenChoice::File(path)) => Some(ClientToken::File(path)),
            Ok(TokenChoice::Env(value)) => Some(ClientToken::Value(value)),
            Err(TokenChoiceError::Both) => {
                errors.push(TokenChoiceError::Both.to_string());
                None
            }
            Err(TokenChoiceError::Neither) => {
                errors.push(format!("rolehop's token is needed: pass --token-file FILE (ROLEHOP_TOKEN_FILE) or set {ENV_ROLEHOP_TOKEN}"));
                None
            }
        };
        match (base, token) {
            (Some(endpoint), Some(token)) if errors.is_empty() => Ok(Self {
                endpoint,
                role: args.role.clone(),
                token,
            }),
            _ => Err(errors),
        }
    }

    /// The path of the chosen role's ECS-compatible route.
    fn credentials_path(&self) -> String {
        format!("/v1/credentials/{}", self.role)
    }

    /// The ECS-compatible URL of the chosen role.
    pub fn credentials_url(&self) -> String {
        format!("{}{}", self.endpoint.base(), self.credentials_path())
    }

    /// The token's value, read now (the file may be rewritten by a restarted rolehop).
    pub fn token_value(&self) -> Result<Secret, ClientError> {
        match &self.token {
            ClientToken::Value(v) => Ok(v.clone()),
            ClientToken::File(path) => {
                std::fs::read_to_string(path)
                    .map(Secret::new)
                    .map_err(|source| ClientError::TokenFile {
                        path: path.clone(),
                        source,
                    })
            }
        }
    }

    /// Fetches the role's credentials from the running rolehop.
    pub fn fetch(&self) -> Result<Credentials, ClientError> {
        let token = self.token_value()?;
        let url = self.credentials_url();
        let (status, body) = self.endpoint.get(&self.credentials_path(), Some(&token))?;
        if !(200..300).contains(&status) {
            let detail: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            return Err(ClientError::Refused {
                url,
                status,
                code: detail["code"].as_str().unwrap_or("Error").to_owned(),
                message: detail["message"]
                    .as_str()
                    .unwrap_or("(no message)")
                    .to_owned(),
            });
        }
        Credentials::from_json(&body).map_err(|reason| ClientError::Unusable { url, reason })
    }
}

/// Why a helper command got no answer it can use from a running rolehop: the kind, and the I/O
/// error beneath it as `source()`.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(
        "cannot read token file {}; check --token-file and that rolehop has started",
        path.display()
    )]
    TokenFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the token contains characters that cannot travel in an HTTP header; check the token file"
    )]
    TokenNotAHeader,
    #[error("cannot reach rolehop at {base}; check that it runs and --endpoint")]
    Unreachable {
        base: String,
        #[source]
        source: std::io::Error,
    },
    #[error("rolehop at {base} did not answer within {}s", TIMEOUT.as_secs())]
    TimedOut { base: String },
    #[error("rolehop at {base} broke off its answer")]
    BrokeOff {
        base: String,
        #[source]
        source: Option<std::io::Error>,
    },
    #[error("rolehop at {base} sent an answer larger than {} KiB", MAX_BODY / 1024)]
    TooLarge { base: String },
    /// rolehop answered, but not with a credential: its code and sentence.
    #[error("rolehop at {url} answered {status} {code}: {message}")]
    Refused {
        url: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("rolehop at {url} sent unusable credentials: {reason}")]
    Unusable {
        url: String,
        #[source]
        reason: crate::credentials::CredentialsJsonError,
    },
    #[error("rolehop at {base} is not ready ({status}): {body}")]
    NotReady {
        base: String,
        status: u16,
        body: String,
    },
}

/// An `--endpoint` rolehop will not send its token to: the problem, and the sentence with the
/// fix. Holds the URL with any user information redacted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error(
        "--endpoint `{0}` is not an http URL; give rolehop's base URL, e.g. http://127.0.0.1:9911"
    )]
    NotHttp(String),
    #[error(
        "--endpoint `{0}` carries more than a base URL (user information or a query); give only rolehop's base URL, e.g. http://127.0.0.1:9911"
    )]
    MoreThanABase(String),
    #[error(
        "--endpoint `{0}` is not on this machine, and rolehop's token would cross the network in clear; use a loopback address (http://127.0.0.1:PORT, http://[::1]:PORT or http://localhost:PORT) in the task beside rolehop"
    )]
    NotLoopback(String),
}

/// A running rolehop's base URL, checked against the client rule: plain http on loopback.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// As given, without a trailing slash (for messages and for the SDKs' FULL_URI).
    base: String,
    /// The `Host` header: the URL's host and port as written.
    authority: String,
    /// The base URL's path, without a trailing slash.
    path: String,
    /// Where to connect, in order.
    addrs: Vec<SocketAddr>,
}

impl Endpoint {
    /// Accepts `http://HOST[:PORT][/PATH]` with HOST a loopback address or `localhost`; else
    /// the problem, whose sentence names the fix.
    pub fn parse(raw: &str) -> Result<Self, EndpointError> {
        let shown = redact_userinfo(raw);
        let not_http = || EndpointError::NotHttp(shown.clone());
        let uri: hyper::Uri = raw.parse().map_err(|_| not_http())?;
        let (Some("http"), Some(authority), Some(host)) =
            (uri.scheme_str(), uri.authority(), uri.host())
        else {
            return Err(not_http());
        };
        if authority.as_str().contains('@') || uri.query().is_some() {
            return Err(EndpointError::MoreThanABase(shown));
        }
        let port = uri.port_u16().unwrap_or(80);
        let ips: Vec<IpAddr> = if host.eq_ignore_ascii_case("localhost") {
            vec![Ipv4Addr::LOCALHOST.into(), Ipv6Addr::LOCALHOST.into()]
        } else {
            let literal = host.trim_start_matches('[').trim_end_matches(']');
            match literal.parse::<IpAddr>() {
                Ok(ip) if ip.is_loopback() => vec![ip],
                _ => return Err(EndpointError::NotLoopback(shown)),
            }
        };
        Ok(Self {
            base: raw.trim_end_matches('/').to_owned(),
            authority: authority.as_str().to_owned(),
            path: uri.path().trim_end_matches('/').to_owned(),
            addrs: ips
                .into_iter()
                .map(|ip| SocketAddr::new(ip, port))
                .collect(),
        })
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET {base}{path}`, with `Authorization: token` when given: the answer's status and body.
    fn get(&self, path: &str, token: Option<&Secret>) -> Result<(u16, Vec<u8>), ClientError> {
        let mut request = format!(
            "GET {}{path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.path, self.authority
        );
        if let Some(token) = token {
            let value = token.expose();
            // What hyper's HeaderValue accepts: no control character but tab.
            if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                return Err(ClientError::TokenNotAHeader);
            }
            request.push_str("Authorization: ");
            request.push_str(value);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        let deadline = Instant::now() + TIMEOUT;
        let base = || self.base.clone();
        let timed_out = || ClientError::TimedOut { base: base() };
        let is_timeout = |e: &std::io::Error| {
            matches!(
                e.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            )
        };
        let mut stream = self.connect(deadline).map_err(|e| {
            if is_timeout(&e) {
                timed_out()
            } else {
                ClientError::Unreachable {
                    base: base(),
                    source: e,
                }
            }
        })?;
        let broke_off = |e: std::io::Error| {
            if is_timeout(&e) {
                timed_out()
            } else {
                ClientError::BrokeOff {
                    base: base(),
                    source: Some(e),
                }
            }
        };
        let left = |deadline: Instant| {
            let left = deadline.saturating_duration_since(Instant::now());
            Some(left.max(Duration::from_millis(1)))
        };
        stream
            .set_write_timeout(left(deadline))
            .map_err(broke_off)?;
        stream.write_all(request.as_bytes()).map_err(broke_off)?;
        let mut answer = Vec::with_capacity(4096);
        let mut chunk = [0u8; 8192];
        loop {
            if Instant::now() >= deadline {
                return Err(timed_out());
            }
            stream.set_read_timeout(left(deadline)).map_err(broke_off)?;
            let n = stream.read(&mut chunk).map_err(broke_off)?;
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&chunk[..n]);
            if answer.len() > MAX_HEAD + MAX_BODY {
                return Err(ClientError::TooLarge { base: base() });
            }
            if let Some((status, body)) = parse_answer(&answer, false) {
                return Ok((status, body));
            }
        }
        match parse_answer(&answer, true) {
            Some((status, body)) => Ok((status, body)),
            _ => Err(ClientError::BrokeOff {
                base: base(),
                source: None,
            }),
        }
    }

    fn connect(&self, deadline: Instant) -> std::io::Result<TcpStream> {
        let mut last = None;
        for addr in &self.addrs {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(std::io::ErrorKind::TimedOut.into());
            }
            match TcpStream::connect_timeout(addr, left) {
                Ok(stream) => {
                    // One small request: send it at once.
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::ErrorKind::AddrNotAvailable.into()))
    }

    /// `GET {base}/readyz`: Ok when ready, else why not (one sentence).
    pub fn readiness(&self) -> Result<(), ClientError> {
        let (status, body) = self.get("/readyz", None)?;
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(ClientError::NotReady {
                base: self.base.clone(),
                status,
                body: String::from_utf8_lossy(&body).into_owned(),
            })
        }
    }
}

/// `user:password@` replaced, so a message never repeats a password given in a URL.
fn redact_userinfo(raw: &str) -> String {
    match (raw.find("://"), raw.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}***{}", &raw[..scheme + 3], &raw[at..])
        }
        _ => raw.to_owned(),
    }
}

/// An HTTP/1.1 answer read so far: its status and body once it is whole (by `Content-Length`, chunked
/// framing, or, at `eof`, the end of the stream), `None` while more is needed or if it is not
/// HTTP.
fn parse_answer(raw: &[u8], eof: bool) -> Option<(u16, Vec<u8>)> {
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..head_end]).ok()?;
    let body = &raw[head_end + 4..];
    let mut lines = head.split("\r\n");
    let mut status_line = lines.next()?.splitn(3, ' ');
    if !status_line.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let status: u16 = status_line.next()?.parse().ok()?;
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().ok()?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        }
    }
    if chunked {
        return dechunk(body).map(|b| (status, b));
    }
    match length {
        Some(n) if body.len() >= n => Some((status, body[..n].to_vec())),
        Some(_) => None,
        None if eof => Some((status, body.to_vec())),
        None => None,
    }
}

/// The body of a whole chunked message, or `None` while the last chunk has not arrived.
fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|w| w == b"\r\n")?;
        let size_field = std::str::from_utf8(&raw[..line_end]).ok()?;
        let size_hex = size_field.split(';').next()?.trim();
        let size = usize::from_str_radix(size_hex, 16).ok()?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        if raw.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The failures a helper command tells apart are kinds with their cause, not prefixes.
    #[test]
    fn failures_keep_their_kind_and_cause() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let endpoint = Endpoint::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        let client = ClientConfig {
            endpoint: endpoint.clone(),
            role: "default".into(),
            token: ClientToken::File("/nonexistent/rolehop-token".into()),
        };
        let err = client.fetch().unwrap_err();
        assert!(
            matches!(&err, ClientError::TokenFile { source, .. } if source.kind() == std::io::ErrorKind::NotFound),
            "{err:?}"
        );
        let shown = crate::readable::sentence(&err);
        assert!(
            shown.starts_with("cannot read token file /nonexistent/rolehop-token; check")
                && shown.contains("(cause: "),
            "{shown}"
        );

        let err = endpoint.readiness().unwrap_err();
        assert!(
            matches!(&err, ClientError::Unreachable { source, .. } if source.kind() == std::io::ErrorKind::ConnectionRefused),
            "{err:?}"
        );
        let bad = Secret::new("line\nbreak".to_owned());
        let err = endpoint.get("/readyz", Some(&bad)).unwrap_err();
        assert!(matches!(err, ClientError::TokenNotAHeader), "{err:?}");
    }

    #[test]
    fn endpoints_are_plain_http_on_loopback() {
        for (ok, addr) in [
            ("http://127.0.0.1:9911", "127.0.0.1:9911"),
            ("http://127.1.2.3:9911/", "127.1.2.3:9911"),
            ("http://[::1]:9911", "[::1]:9911"),
            ("http://LocalHost:9911", "127.0.0.1:9911"),
            ("http://127.0.0.1", "127.0.0.1:80"),
        ] {
            let endpoint = Endpoint::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(endpoint.addrs[0].to_string(), addr, "{ok}");
            assert_eq!(endpoint.base(), ok.trim_end_matches('/'));
        }
        let prefixed = Endpoint::parse("http://127.0.0.1:9911/rolehop/").unwrap();
        assert_eq!(prefixed.path, "/rolehop");
        let not_here = |e: &EndpointError| matches!(e, EndpointError::NotLoopback(_));
        let not_http = |e: &EndpointError| matches!(e, EndpointError::NotHttp(_));
        let more = |e: &EndpointError| matches!(e, EndpointError::MoreThanABase(_));
        type Is = fn(&EndpointError) -> bool;
        let cases: [(&str, Is, &str); 10] = [
            ("http://10.0.0.5:9911", not_here, "is not on this machine"),
            ("http://169.254.170.2/", not_here, "is not on this machine"),
            ("http://[fd00:ec2::23]/", not_here, "is not on this machine"),
            (
                "http://rolehop.example:9911",
                not_here,
                "is not on this machine",
            ),
            (
                "http://127.0.0.1.nip.io:9911",
                not_here,
                "is not on this machine",
            ),
            ("https://127.0.0.1:9911", not_http, "is not an http URL"),
            ("ftp://127.0.0.1", not_http, "is not an http URL"),
            ("127.0.0.1:9911", not_http, "is not an http URL"),
            ("http://user:pw@127.0.0.1:9911", more, "user information"),
            (
                "http://127.0.0.1:9911/?x=1",
                more,
                "user information or a query",
            ),
        ];
        for (bad, kind, says) in cases {
            let err = Endpoint::parse(bad).unwrap_err();
            assert!(kind(&err), "{bad}: {err:?}");
            let shown = err.to_string();
            assert!(shown.contains(says), "{bad}: {shown}");
            assert!(!shown.contains("pw"), "{bad}: {shown}");
        }
    }

    #[test]
    fn answers_are_whole_by_length_chunks_or_end_of_stream() {
        let full = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
        assert_eq!(parse_answer(full, false), Some((200, b"hello".to_vec())));
        assert_eq!(parse_answer(&full[..full.len() - 1], false), None);
        let chunked = b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=1\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_answer(chunked, false), Some((403, b"abcde".to_vec())));
        assert_eq!(parse_answer(&chunked[..60], false), None);
        let unframed = b"HTTP/1.0 503 Service Unavailable\r\n\r\nlater";
        assert_eq!(parse_answer(unframed, false), None);
        assert_eq!(parse_answer(unframed, true), Some((503, b"later".to_vec())));
        assert_eq!(parse_answer(b"SSH-2.0-OpenSSH\r\n\r\n", true), None);
    }
}
