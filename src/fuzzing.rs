//! Fuzzing entry points, shared by the cargo-fuzz targets (`fuzz/`), the stable harness
//! (`examples/fuzz_stable.rs`, for toolchains without libFuzzer) and the regression tests.
//!
//! Each takes arbitrary bytes, drives one parser of untrusted input, and panics when an
//! invariant breaks; a panic is the finding. Not part of rolehop's interface.
//!
//! - [`http`]: raw bytes through hyper's HTTP/1 server (the listener's own settings) into
//!   [`App::handle`], both listener kinds, a loopback or a remote peer. Invariants: a secret
//!   key or session token leaves only in a 200 to a loopback client that sent the right token
//!   on the credentials listener; the auth token and the IMDS key never leave; every answer
//!   carries a status hyper could send.
//! - [`config_file`]: the AWS-syntax config file parser. Invariants: it returns roles or
//!   errors, never an empty error list; every error names the file and a line.
//! - [`check`]: `rolehop check` offline over two policies and the flags' ARNs, both report
//!   forms rendered. Invariants: an ARN the strict parser accepts has no diagnostic, and
//!   displays as given; the JSON report is JSON.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::arn::RoleArn;
use crate::cache::{Cell, Fetch, FetchFuture, Timing};
use crate::check::{self, arns};
use crate::clock::SystemClock;
use crate::credentials::{Credentials, Secret};
use crate::serve::{self, App, Imds, Kind};
use crate::token::{AuthToken, TokenSource};

/// The clients' token in the routing target; the seed corpus carries it, so the fuzzer
/// reaches the 200 path.
pub const TOKEN: &str = "fuzz-token-0123456789abcdef";
/// Marker secrets held by the routing target's role.
pub const SECRET_KEY: &str = "fuzz-secret-key-marker-5d1c";
pub const SESSION_TOKEN: &str = "fuzz-session-token-marker-9e07";

/// Hands out the marker credential, valid for an hour from each fetch.
struct Marker;

impl Fetch for Marker {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(async {
            Ok(Credentials {
                access_key_id: "ASIAFUZZEXAMPLE".into(),
                secret_access_key: Secret::new(SECRET_KEY),
                session_token: Some(Secret::new(SESSION_TOKEN)),
                expiration: Some(SystemTime::now() + Duration::from_secs(3600)),
                role_arn: Some("arn:aws:iam::555566667777:role/fuzz".into()),
                account_id: Some("555566667777".into()),
                fetched_at: None,
            })
        })
    }

    fn describe(&self) -> String {
        "the fuzz marker credential".into()
    }
}

/// One runtime and one [`App`] whose `default` role already holds the marker credential,
/// built once per process: the fuzzer calls [`http`] many thousand times a second.
struct Routing {
    runtime: tokio::runtime::Runtime,
    app: Arc<App>,
    imds_key_hex: String,
}

fn routing() -> &'static Routing {
    static ROUTING: OnceLock<Routing> = OnceLock::new();
    ROUTING.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime");
        let cell = Cell::new(
            crate::role_name::DEFAULT_ROLE,
            Box::new(Marker),
            Arc::new(SystemClock),
            Timing::default(),
            Credentials::ecs_body,
        );
        runtime.block_on(async {
            cell.spawn();
            cell.get().await.expect("the marker credential");
        });
        let token = AuthToken::load(&TokenSource::Env, Some(TOKEN.into())).expect("a valid token");
        let imds = Imds::new(
            crate::role_name::DEFAULT_ROLE.into(),
            false,
            serve::imds::MIN_REMAINING,
            Arc::new(SystemClock),
        );
        let imds_key_hex = imds.key_hex();
        let app = App {
            roles: BTreeMap::from([(crate::role_name::DEFAULT_ROLE.to_owned(), cell)]),
            token: token.into(),
            allow_remote: false,
            imds: Some(imds),
            sources: Vec::new(),
            requests: Default::default(),
        };
        Routing {
            runtime,
            app: Arc::new(app),
            imds_key_hex,
        }
    })
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The first byte picks the listener (bit 0: IMDS) and the peer (bit 1: beyond loopback); the
/// rest is what the client sends, over an in-memory stream, before closing its side.
pub fn http(data: &[u8]) {
    exchange(data);
}

/// [`http`], returning the bytes rolehop sent back (empty for empty input).
fn exchange(data: &[u8]) -> Vec<u8> {
    let Some((&selector, wire)) = data.split_first() else {
        return Vec::new();
    };
    let kind = if selector & 1 == 0 {
        Kind::Credentials
    } else {
        Kind::Imds
    };
    let peer: SocketAddr = if selector & 2 == 0 {
        "127.0.0.1:40000".parse().expect("an address")
    } else {
        "192.0.2.7:40000".parse().expect("an address")
    };
    let routing = routing();
    let app = Arc::clone(&routing.app);
    let sent = routing.runtime.block_on(async move {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
            let app = Arc::clone(&app);
            async move {
                let authorized = req
                    .headers()
                    .get(hyper::header::AUTHORIZATION)
                    .is_some_and(|v| v.as_bytes() == TOKEN.as_bytes());
                let response = app.handle(req, peer, kind).await;
                let (parts, body) = response.into_parts();
                let body = body.collect().await.expect("a full body").to_bytes();
                let leaked = contains(&body, SECRET_KEY) || contains(&body, SESSION_TOKEN);
                if leaked {
                    assert_eq!(parts.status, hyper::StatusCode::OK, "a secret in an error");
                    assert!(
                        kind == Kind::Credentials && authorized && peer.ip().is_loopback(),
                        "a secret served without the token, to a remote peer, or over IMDS v1: {kind:?} {peer}"
                    );
                }
                Ok::<_, Infallible>(hyper::Response::from_parts(parts, serve::Body::from(body)))
            }
        });
        // The listener's settings, plus half-close: the client below shuts its side after
        // sending, and without it hyper drops the connection on that EOF before answering
        // (a real client keeps its side open while it waits).
        let connection = serve::http1_builder()
            .half_close(true)
            .serve_connection(TokioIo::new(server), service);
        let talk = async {
            // The server may stop reading (a bad head): ignore write errors, read what it said.
            let _ = client.write_all(wire).await;
            let _ = client.shutdown().await;
            let mut out = Vec::new();
            let _ = client.read_to_end(&mut out).await;
            out
        };
        let (_, out) = tokio::join!(connection, talk);
        out
    });
    assert!(!contains(&sent, TOKEN), "the auth token was echoed");
    assert!(
        !contains(&sent, &routing.imds_key_hex),
        "the IMDS key was echoed"
    );
    if !sent.is_empty() {
        assert!(sent.starts_with(b"HTTP/1."), "not an HTTP answer: {sent:?}");
    }
    sent
}

/// The bytes as a config file (lossily decoded: a file is read as UTF-8 and non-UTF-8 files
/// are refused before parsing). `rolehop_policy_file` would read arbitrary paths (`/dev/zero`
/// never ends), so inputs naming it are skipped.
pub fn config_file(data: &[u8]) {
    parse_config(data);
}

/// [`config_file`], returning what the parser returned (`None` for a skipped input).
fn parse_config(data: &[u8]) -> Option<Result<Vec<crate::config::RoleConfig>, Vec<String>>> {
    let text = String::from_utf8_lossy(data);
    if text.to_ascii_lowercase().contains("policy_file") {
        return None;
    }
    let path = Path::new("/nonexistent/rolehop-fuzz/config");
    // As in an ECS task: the agent's variable set, so `credential_source = EcsContainer`
    // profiles parse to roles and the invariants on roles are exercised.
    let env = |key: &str| {
        (key == crate::source::ENV_RELATIVE_URI).then(|| "/v2/credentials/fuzz".to_owned())
    };
    let parsed = crate::config::file::parse(&text, path, &env);
    match &parsed {
        Ok(roles) => {
            for role in roles {
                assert!(!role.name.is_empty());
                assert!(role.role_arn.as_str().parse::<RoleArn>().is_ok());
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "an error without a message");
            for e in errors {
                assert!(e.starts_with("/nonexistent/rolehop-fuzz/config"), "{e}");
            }
        }
    }
    Some(parsed)
}

/// Fields separated by NUL bytes: trust policy, identity policy, `--role-arn`,
/// `--source-role-arn`, `--external-id`, then managed policy ARNs. Empty fields are absent.
pub fn check(data: &[u8]) {
    run_check(data);
}

/// [`check`], returning the report.
fn run_check(data: &[u8]) -> check::report::Report {
    let text = String::from_utf8_lossy(data);
    let mut fields = text.split('\0');
    let mut next = || fields.next().filter(|f| !f.is_empty()).map(str::to_owned);
    let inputs = check::Inputs {
        trust_policy: next().map(|t| ("trust.json".to_owned(), t)),
        identity_policies: next()
            .map(|t| ("identity.json".to_owned(), t))
            .into_iter()
            .collect(),
        role_arn: next(),
        source_role_arn: next(),
        external_id: next().map(Secret::new),
        session_tags: data.len().is_multiple_of(2),
        source_identity: data.len().is_multiple_of(3),
        managed_policy_arns: std::iter::from_fn(next).collect(),
        ..check::Inputs::default()
    };
    for arn in [&inputs.role_arn, &inputs.source_role_arn]
        .into_iter()
        .flatten()
        .chain(&inputs.managed_policy_arns)
    {
        if let Ok(parsed) = arn.parse::<RoleArn>() {
            assert_eq!(parsed.to_string(), *arn);
            assert!(arns::role_arn_problem(arn).is_none(), "{arn}");
            assert!(!parsed.name().is_empty(), "{arn}");
            let _ = (parsed.partition(), parsed.account_id());
        }
        let _ = arns::policy_arn_problem(arn);
        let _ = arns::iam_arn_problem(arn);
        let _ = arns::role_name(arn);
    }
    let report = check::run(&inputs);
    let _ = report.to_text();
    let json: serde_json::Value =
        serde_json::from_str(&report.to_json()).expect("the JSON report is JSON");
    assert!(json["findings"].is_array());
    assert!(report.exit_code() <= 3);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(selector: u8, head: &str) -> Vec<u8> {
        let mut data = vec![selector];
        data.extend_from_slice(head.as_bytes());
        data
    }

    /// The status line's code of what rolehop sent.
    fn status(sent: &[u8]) -> u16 {
        let line = String::from_utf8_lossy(sent);
        line.split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
    }

    #[test]
    fn the_routing_target_reaches_the_credential_and_the_refusals() {
        let with_token =
            format!("GET /v1/credentials HTTP/1.1\r\nHost: x\r\nAuthorization: {TOKEN}\r\n\r\n");
        let served = exchange(&request(0, &with_token));
        assert_eq!(
            status(&served),
            200,
            "{:?}",
            String::from_utf8_lossy(&served)
        );
        assert!(contains(&served, SECRET_KEY) && contains(&served, SESSION_TOKEN));

        let no_token = exchange(&request(
            0,
            "GET /v1/credentials HTTP/1.1\r\nHost: x\r\n\r\n",
        ));
        assert_eq!(
            status(&no_token),
            401,
            "{}",
            String::from_utf8_lossy(&no_token)
        );
        assert!(!contains(&no_token, SECRET_KEY));

        let remote = exchange(&request(2, &with_token));
        assert_eq!(status(&remote), 403, "{}", String::from_utf8_lossy(&remote));
        assert!(!contains(&remote, SECRET_KEY));

        let imds_token = exchange(&request(
            1,
            "PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\n\r\n",
        ));
        assert_eq!(
            status(&imds_token),
            200,
            "{}",
            String::from_utf8_lossy(&imds_token)
        );

        assert_eq!(status(&exchange(&request(0, "garbage\r\n\r\n"))), 400);
        assert!(exchange(&[]).is_empty());
    }

    #[test]
    fn the_config_and_check_targets_take_the_examples() {
        let example = parse_config(include_bytes!("../examples/rolehop.config"))
            .expect("not skipped")
            .expect("the example config is accepted");
        assert!(!example.is_empty());
        let broken = parse_config(b"[profile x]\nrole_arn = arn:aws:iam::1:role/\n\xff")
            .expect("not skipped");
        assert!(broken.is_err(), "a malformed role ARN is refused");

        let mut walkthrough = format!(
            "{}\0{}\0arn:aws:iam::555566667777:role/destination-account-role\0arn:aws:iam::111122223333:role/my-ECS-task-role",
            include_str!("../examples/policies/trust-policy.json"),
            include_str!("../examples/policies/identity-policy.json"),
        )
        .into_bytes();
        // The input's length turns session tags (even) and a source identity (a multiple of
        // 3) on; the examples grant AssumeRole alone, so pad to neither.
        while walkthrough.len().is_multiple_of(2) || walkthrough.len().is_multiple_of(3) {
            walkthrough.push(0);
        }
        let report = run_check(&walkthrough);
        assert_eq!(report.decision, Some(check::report::Verdict::Allowed));
        assert_eq!(report.exit_code(), 0, "{}", report.to_text());
        let malformed = run_check(b"\0\0arn:aws:iam::1:role/x\0\0\0arn:aws:iam::aws:policy/x");
        assert_eq!(malformed.exit_code(), 1, "{}", malformed.to_text());
    }
}
