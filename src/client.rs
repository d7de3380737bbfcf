//! The one client contract of rolehop's helper commands (`credential-process`, `exec`, `env`,
//! and later `healthcheck`): `--endpoint URL` is rolehop's base URL, `--role NAME` the role,
//! `--token-file FILE` or `ROLEHOP_TOKEN` the token, with `ROLEHOP_ENDPOINT`, `ROLEHOP_ROLE` and
//! `ROLEHOP_TOKEN_FILE` as environment twins.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::cli::ClientArgs;
use crate::credentials::{Credentials, Secret};
use crate::role_name;
use crate::token::{self, ENV_ROLEHOP_TOKEN, TokenChoice, TokenChoiceError};

/// A request to the running rolehop gives up after this long.
pub const TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BODY: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub enum ClientToken {
    File(PathBuf),
    Value(Secret),
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Without a trailing slash.
    pub base: String,
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
            Some(raw) => match raw.parse::<hyper::Uri>() {
                Ok(uri) if matches!(uri.scheme_str(), Some("http")) && uri.host().is_some() => {
                    Some(raw.trim_end_matches('/').to_owned())
                }
                _ => {
                    errors.push(format!("--endpoint `{raw}` is not an http URL; give rolehop's base URL, e.g. http://127.0.0.1:9911"));
                    None
                }
            },
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
            (Some(base), Some(token)) if errors.is_empty() => Ok(Self {
                base,
                role: args.role.clone(),
                token,
            }),
            _ => Err(errors),
        }
    }

    /// The ECS-compatible URL of the chosen role.
    pub fn credentials_url(&self) -> String {
        format!("{}/v1/credentials/{}", self.base, self.role)
    }

    /// The token's value, read now (the file may be rewritten by a restarted rolehop).
    pub fn token_value(&self) -> Result<Secret, String> {
        match &self.token {
            ClientToken::Value(v) => Ok(v.clone()),
            ClientToken::File(path) => std::fs::read_to_string(path)
                .map(Secret::new)
                .map_err(|e| format!("cannot read token file {}: {e}; check --token-file and that rolehop has started", path.display())),
        }
    }

    /// Fetches the role's credentials from the running rolehop.
    pub async fn fetch(&self) -> Result<Credentials, String> {
        let token = self.token_value()?;
        let url = self.credentials_url();
        let request = hyper::Request::get(&url)
            .header(hyper::header::AUTHORIZATION, token.expose())
            .body(Empty::<Bytes>::new())
            .map_err(|_| "the token contains characters that cannot travel in an HTTP header; check the token file".to_owned())?;
        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
        let exchange = async {
            let response = client.request(request).await.map_err(|e| {
                format!(
                    "cannot reach rolehop at {} ({}); check that it runs and --endpoint",
                    self.base,
                    error_chain(&e)
                )
            })?;
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|e| format!("rolehop at {} broke off its answer ({e})", self.base))?
                .to_bytes();
            Ok::<_, String>((status, body))
        };
        let (status, body) = tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| {
                format!(
                    "rolehop at {} did not answer within {}s",
                    self.base,
                    TIMEOUT.as_secs()
                )
            })??;
        if !status.is_success() {
            let detail: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            return Err(format!(
                "rolehop at {url} answered {} {}: {}",
                status.as_u16(),
                detail["code"].as_str().unwrap_or("Error"),
                detail["message"].as_str().unwrap_or("(no message)")
            ));
        }
        Credentials::from_json(&body)
            .map_err(|e| format!("rolehop at {url} sent unusable credentials: {e}"))
    }
}

/// `GET {base}/readyz`: Ok when ready, else why not (one sentence).
pub async fn readiness(base: &str) -> Result<(), String> {
    let base = base.trim_end_matches('/');
    let uri: hyper::Uri = format!("{base}/readyz").parse().map_err(|_| {
        format!(
            "--endpoint `{base}` is not a URL; give rolehop's base URL, e.g. http://127.0.0.1:9911"
        )
    })?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let exchange = async {
        let response = client
            .get(uri)
            .await
            .map_err(|e| format!("cannot reach rolehop at {base} ({})", error_chain(&e)))?;
        let status = response.status();
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!(
                "rolehop at {base} is not ready ({}): {}",
                status.as_u16(),
                String::from_utf8_lossy(&body)
            ))
        }
    };
    tokio::time::timeout(TIMEOUT, exchange).await.map_err(|_| {
        format!(
            "rolehop at {base} did not answer within {}s",
            TIMEOUT.as_secs()
        )
    })?
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        out.push_str(": ");
        out.push_str(&e.to_string());
        source = e.source();
    }
    out
}
