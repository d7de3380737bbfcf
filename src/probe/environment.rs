//! The traps in a process's environment that break credentials before any call is made:
//! variables every SDK reads before rolehop's (docs/SDKS.md), hosts old SDKs refuse, static
//! keys, a token file with a trailing newline. Reads the environment through the function it
//! is given, and the token files it names.

use crate::check::findings::{Finding, FindingId, Status};
use crate::source::{self, SourceKind};

/// Traps in this process's environment that break credentials before any call is made.
pub fn environment_traps(env: &dyn Fn(&str) -> Option<String>) -> Vec<Finding> {
    let mut out = Vec::new();
    let full = env(source::ENV_FULL_URI).filter(|v| !v.is_empty());
    // An empty RELATIVE_URI still counts: botocore then asks 169.254.170.2 with an empty path
    // and the Rust and Ruby SDKs fail on it; only the JavaScript SDK falls through to FULL_URI
    // (docs/SDKS.md).
    let relative = env(source::ENV_RELATIVE_URI);
    if let (Some(full), Some(relative)) = (&full, &relative) {
        let points_local =
            full.contains("://127.") || full.contains("://localhost") || full.contains("://[::1]");
        if points_local {
            let shape = if relative.is_empty() {
                "is set (empty: botocore then asks the ECS agent with an empty path, the Rust and Ruby SDKs fail)"
            } else {
                "is set"
            };
            out.push(Finding::new(
                FindingId::EnvRelativeUri,
                Status::Warn,
                format!("{} {shape}, and every SDK measured in docs/SDKS.md reads it before {} ({full}), so SDKs in this process do not get rolehop's role; run the app under `rolehop exec` or give it a credential_process profile", source::ENV_RELATIVE_URI, source::ENV_FULL_URI),
            ));
        }
    }
    if let Some(full) = &full
        && let Some(host) = plain_http_host(full)
        && !matches!(host, "127.0.0.1" | "localhost")
        && SourceKind::detect(&|k| (k == source::ENV_FULL_URI).then(|| full.clone())).is_ok()
    {
        out.push(Finding::new(
            FindingId::EnvFullUriHost,
            Status::Warn,
            format!("{} uses host {host} over plain http: current SDKs accept it, but boto3 1.28 (2023) takes only 127.0.0.1, localhost and 169.254.170.2, and the JavaScript SDK 3.350 (2023) only 127.0.0.1 and localhost (docs/SDKS.md); use http://127.0.0.1 for every SDK", source::ENV_FULL_URI),
        ));
    }
    let imds_local = env("AWS_EC2_METADATA_SERVICE_ENDPOINT").is_some_and(|v| {
        let v = v.to_ascii_lowercase();
        v.contains("://127.") || v.contains("://localhost") || v.contains("://[::1]")
    });
    if imds_local || env("ROLEHOP_IMDS_LISTEN").is_some_and(|v| !v.is_empty()) {
        out.push(Finding::new(
            FindingId::EnvImds,
            Status::Warn,
            "rolehop's IMDS endpoint is in use: it serves its role to any process of the task that can reach it, without rolehop's token (IMDSv2 session tokens are free to get); prefer the token-guarded credentials endpoint or credential_process where the tools allow".into(),
        ));
    }
    // rolehop's IMDS listener takes only an IP literal as Host (serve/imds.rs): an endpoint
    // named `localhost` is refused with 403 on every request.
    if let Some(endpoint) = env("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        && endpoint.to_ascii_lowercase().contains("://localhost")
    {
        out.push(Finding::new(
            FindingId::EnvImds,
            Status::Fail,
            format!("AWS_EC2_METADATA_SERVICE_ENDPOINT is {endpoint}: rolehop's IMDS listener refuses a Host that is not an IP literal (403), as IMDSv2's design expects, so SDKs here get no credential from it; name it by address: http://127.0.0.1:PORT"),
        ));
    }
    if let Some(full) = &full
        && let Err(e) = SourceKind::detect(&|k| (k == source::ENV_FULL_URI).then(|| full.clone()))
    {
        out.push(Finding::new(
            FindingId::EnvFullUri,
            Status::Fail,
            e.to_string(),
        ));
    }
    if env("AWS_ACCESS_KEY_ID").is_some_and(|v| !v.is_empty()) {
        out.push(Finding::new(
            FindingId::EnvStaticKeys,
            Status::Warn,
            "AWS_ACCESS_KEY_ID is set: static keys outrank the task role and rolehop in every SDK (and break ECS Exec's own credentials); remove them from the task definition".into(),
        ));
    }
    for var in [source::ENV_AUTHORIZATION_TOKEN_FILE, "ROLEHOP_TOKEN_FILE"] {
        if let Some(path) = env(var).filter(|v| !v.is_empty())
            && let Ok(bytes) = std::fs::read(&path)
            && bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r')
        {
            out.push(Finding::new(
                FindingId::EnvTokenFile,
                Status::Fail,
                format!("the token file {path} ({var}) ends with a newline, which no SDK trims (botocore and the Rust SDK then fail, the JavaScript SDK sends no token); rewrite it without one (printf '%s' TOKEN > FILE)"),
            ));
        }
    }
    out
}

/// The host of a plain-http URL, without port or brackets; `None` for any other scheme.
fn plain_http_host(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("http://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    if let Some(bracketed) = host_port.strip_prefix('[') {
        return bracketed.split(']').next();
    }
    host_port.split(':').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_imds_endpoint_named_localhost_fails_as_rolehop_refuses_it() {
        let endpoint = |value: &'static str| {
            move |k: &str| (k == "AWS_EC2_METADATA_SERVICE_ENDPOINT").then(|| value.to_owned())
        };
        let found = |value: &'static str| -> Vec<Status> {
            environment_traps(&endpoint(value))
                .iter()
                .filter(|f| f.id == FindingId::EnvImds)
                .map(|f| f.status)
                .collect()
        };
        assert_eq!(found("http://localhost:9912"), [Status::Warn, Status::Fail]);
        assert_eq!(found("http://LOCALHOST:9912"), [Status::Warn, Status::Fail]);
        assert_eq!(found("http://127.0.0.1:9912"), [Status::Warn]);
    }

    #[test]
    fn traps_are_found_without_network() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "abcdefabcdefabcdef\n").unwrap();
        let token_path = token.display().to_string();
        let env = move |k: &str| match k {
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" => Some("/v2/credentials/x".to_owned()),
            "AWS_CONTAINER_CREDENTIALS_FULL_URI" => {
                Some("http://127.0.0.1:9911/v1/credentials".to_owned())
            }
            "AWS_ACCESS_KEY_ID" => Some("AKIDEXAMPLE".to_owned()),
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE" => Some(token_path.clone()),
            _ => None,
        };
        let ids: Vec<(&str, Status)> = environment_traps(&env)
            .iter()
            .map(|f| (f.id.as_str(), f.status))
            .collect();
        assert_eq!(
            ids,
            [
                ("env.relative-uri", Status::Warn),
                ("env.static-keys", Status::Warn),
                ("env.token-file", Status::Fail)
            ]
        );
        let bad_host = |k: &str| {
            (k == "AWS_CONTAINER_CREDENTIALS_FULL_URI")
                .then(|| "http://172.17.0.1:9911/x".to_owned())
        };
        assert_eq!(environment_traps(&bad_host)[0].id.as_str(), "env.full-uri");
    }

    #[test]
    fn an_empty_relative_uri_an_old_sdk_host_and_imds_are_traps_too() {
        let ids_of = |pairs: &'static [(&'static str, &'static str)]| -> Vec<&'static str> {
            let env = move |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| (*v).to_owned())
            };
            environment_traps(&env)
                .iter()
                .map(|f| f.id.as_str())
                .collect()
        };
        assert_eq!(
            ids_of(&[
                ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", ""),
                (
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    "http://127.0.0.1:9911/v1/credentials"
                ),
            ]),
            ["env.relative-uri"]
        );
        assert_eq!(
            ids_of(&[(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://127.0.0.2:9911/v1/credentials"
            )]),
            ["env.full-uri-host"]
        );
        assert_eq!(
            ids_of(&[(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://127.0.0.1:9911/v1/credentials"
            )]),
            Vec::<&str>::new()
        );
        assert_eq!(
            ids_of(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9912")]),
            ["env.imds"]
        );
        assert_eq!(
            ids_of(&[("ROLEHOP_IMDS_LISTEN", "127.0.0.1:9912")]),
            ["env.imds"]
        );
    }
}
