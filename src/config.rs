//! Flags and environment → one validated [`ServeConfig`], before any network call. Every
//! problem is reported at once, each as one sentence that names the fix.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::arn::RoleArn;
use crate::chain::{
    self, CHAINED_MAX_DURATION_SECS, MAX_DURATION_SECS, MIN_DURATION_SECS, SessionName,
};
use crate::cli::{LogFormat, ServeArgs};
use crate::credentials::Secret;
use crate::source::SourceKind;
use crate::token::{ENV_ROLEHOP_TOKEN, TokenSource};

/// The name under which flag-defined roles are served (`/v1/credentials/default`).
pub const DEFAULT_ROLE: &str = "default";
const MAX_SHUTDOWN_GRACE_SECS: u64 = 600;

/// One role to assume and serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleConfig {
    /// The name it is served under.
    pub name: String,
    pub role_arn: RoleArn,
    pub external_id: Option<Secret>,
    /// `None`: derive from the task id at start-up.
    pub session_name: Option<SessionName>,
    pub duration_secs: u32,
}

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub roles: Vec<RoleConfig>,
    pub source: SourceKind,
    pub listen: SocketAddr,
    pub token: TokenSource,
    pub allow_remote: bool,
    pub shutdown_grace: Duration,
    pub log_format: LogFormat,
}

/// All the problems found, one sentence each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct ConfigErrors(pub Vec<String>);

impl ServeConfig {
    pub fn from_args(
        args: &ServeArgs,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigErrors> {
        let mut errors = Vec::new();

        let source = SourceKind::detect(env).unwrap_or_else(|e| {
            errors.push(e);
            SourceKind::DefaultChain
        });

        let role_arn = match args.role_arn.as_deref() {
            None => {
                errors.push("--role-arn (or ROLEHOP_ROLE_ARN) is required: the ARN of the role to assume in the destination account".into());
                None
            }
            Some(raw) => raw
                .parse::<RoleArn>()
                .map_err(|e| errors.push(e.to_string()))
                .ok(),
        };
        if let Some(Err(e)) = args.external_id.as_deref().map(chain::validate_external_id) {
            errors.push(format!("--external-id: {e}"));
        }
        let session_name = args.session_name.as_deref().and_then(|s| {
            SessionName::parse(s)
                .map_err(|e| errors.push(format!("--session-name: {e}")))
                .ok()
        });
        errors.extend(duration_problem(args.duration, &source));

        let listen = parse_listen(&args.listen).map_err(|e| errors.push(e)).ok();

        let token = match (&args.token_file, env(ENV_ROLEHOP_TOKEN).is_some()) {
            (Some(path), false) => Some(TokenSource::File(path.clone())),
            (None, true) => Some(TokenSource::Env),
            (Some(_), true) => {
                errors.push(format!("both --token-file (ROLEHOP_TOKEN_FILE) and {ENV_ROLEHOP_TOKEN} are set; keep one"));
                None
            }
            (None, false) => {
                errors.push(format!("rolehop needs a token for its clients: pass --token-file PATH (created if missing) or set {ENV_ROLEHOP_TOKEN}"));
                None
            }
        };
        if args.shutdown_grace > MAX_SHUTDOWN_GRACE_SECS {
            errors.push(format!(
                "--shutdown-grace {} is over {MAX_SHUTDOWN_GRACE_SECS} seconds; ECS stops a container after its stopTimeout (at most 120 s) anyway",
                args.shutdown_grace
            ));
        }

        match (role_arn, listen, token) {
            (Some(role_arn), Some(listen), Some(token)) if errors.is_empty() => Ok(Self {
                roles: vec![RoleConfig {
                    name: DEFAULT_ROLE.into(),
                    role_arn,
                    external_id: args.external_id.clone().map(Secret::new),
                    session_name,
                    duration_secs: args.duration,
                }],
                source,
                listen,
                token,
                allow_remote: args.allow_remote,
                shutdown_grace: Duration::from_secs(args.shutdown_grace),
                log_format: args.log_format,
            }),
            _ => Err(ConfigErrors(errors)),
        }
    }
}

fn duration_problem(secs: u32, source: &SourceKind) -> Option<String> {
    if !(MIN_DURATION_SECS..=MAX_DURATION_SECS).contains(&secs) {
        return Some(format!(
            "--duration {secs} is out of range; STS accepts {MIN_DURATION_SECS} to {MAX_DURATION_SECS} seconds"
        ));
    }
    if secs > CHAINED_MAX_DURATION_SECS && source.is_role_session() {
        return Some(format!(
            "--duration {secs} is over STS's one-hour limit for role chaining: the source ({}) is a role session, so use --duration {CHAINED_MAX_DURATION_SECS} or less",
            source.describe()
        ));
    }
    None
}

/// `IP:PORT`, `[V6]:PORT`, `localhost:PORT`, or a port alone (on 127.0.0.1).
pub fn parse_listen(raw: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = raw.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Some(port) = raw
        .strip_prefix("localhost:")
        .and_then(|p| p.parse::<u16>().ok())
    {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    raw.parse::<SocketAddr>().map_err(|_| {
        format!("--listen `{raw}` is not an address; use IP:PORT such as 127.0.0.1:9911")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(argv: &[&str], env: &[(&str, &str)]) -> Result<ServeConfig, ConfigErrors> {
        let mut full = vec!["rolehop", "serve"];
        full.extend_from_slice(argv);
        let cli = crate::cli::Cli::try_parse_from(full).expect("flags parse");
        let crate::cli::Command::Serve(args) = cli.command;
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ServeConfig::from_args(&args, &move |k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    const ARN: &str = "arn:aws:iam::555566667777:role/destination-account-role";
    const ECS: (&str, &str) = (
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "/v2/credentials/abc",
    );

    #[test]
    fn minimal_flags_make_the_default_role() {
        let cfg = parse(&["--role-arn", ARN, "--token-file", "/tmp/t"], &[ECS]).unwrap();
        assert_eq!(cfg.roles.len(), 1);
        assert_eq!(cfg.roles[0].name, "default");
        assert_eq!(cfg.roles[0].duration_secs, 3600);
        assert_eq!(cfg.listen, "127.0.0.1:9911".parse().unwrap());
        assert_eq!(cfg.source, SourceKind::EcsRelative);
        assert_eq!(cfg.token, TokenSource::File("/tmp/t".into()));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errs = parse(
            &[
                "--role-arn",
                "arn:aws:iam::5555666677777:role/x",
                "--session-name",
                "bad name",
                "--duration",
                "7200",
                "--listen",
                "nowhere",
                "--external-id",
                "x",
            ],
            &[ECS],
        )
        .unwrap_err()
        .0;
        assert_eq!(errs.len(), 6, "{errs:#?}");
        assert!(errs[0].contains("exactly 12 digits"));
        assert!(errs[1].starts_with("--external-id"));
        assert!(errs[2].starts_with("--session-name"));
        assert!(errs[3].contains("one-hour limit for role chaining"));
        assert!(errs[4].starts_with("--listen `nowhere`"));
        assert!(errs[5].contains("needs a token"));
    }

    #[test]
    fn durations_over_an_hour_are_fine_from_a_non_role_source() {
        let cfg = parse(
            &["--role-arn", ARN, "--duration", "7200"],
            &[("ROLEHOP_TOKEN", "0123456789abcdef0")],
        )
        .unwrap();
        assert_eq!(cfg.roles[0].duration_secs, 7200);
        assert_eq!(cfg.token, TokenSource::Env);
        let errs = parse(
            &["--role-arn", ARN, "--duration", "899"],
            &[("ROLEHOP_TOKEN", "x")],
        )
        .unwrap_err()
        .0;
        assert!(errs[0].contains("900 to 43200"), "{errs:?}");
    }

    #[test]
    fn token_file_and_env_token_together_are_refused() {
        let errs = parse(
            &["--role-arn", ARN, "--token-file", "/tmp/t"],
            &[("ROLEHOP_TOKEN", "x")],
        )
        .unwrap_err()
        .0;
        assert_eq!(
            errs,
            vec![
                "both --token-file (ROLEHOP_TOKEN_FILE) and ROLEHOP_TOKEN are set; keep one"
                    .to_owned()
            ]
        );
    }

    #[test]
    fn missing_role_and_bad_full_uri_are_reported() {
        let errs = parse(
            &["--token-file", "/tmp/t"],
            &[(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://10.1.2.3/creds",
            )],
        )
        .unwrap_err()
        .0;
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].contains("refuse"));
        assert!(errs[1].starts_with("--role-arn (or ROLEHOP_ROLE_ARN) is required"));
    }

    #[test]
    fn listen_forms() {
        assert_eq!(
            parse_listen("9911").unwrap(),
            "127.0.0.1:9911".parse().unwrap()
        );
        assert_eq!(
            parse_listen("localhost:80").unwrap(),
            "127.0.0.1:80".parse().unwrap()
        );
        assert_eq!(
            parse_listen("[::1]:9911").unwrap(),
            "[::1]:9911".parse().unwrap()
        );
        assert_eq!(
            parse_listen("0.0.0.0:9911").unwrap(),
            "0.0.0.0:9911".parse().unwrap()
        );
        assert!(parse_listen("127.0.0.1").is_err());
    }
}
