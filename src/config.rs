//! Flags and environment → one validated [`ServeConfig`], before any network call. Every
//! problem is reported at once, each as one sentence that names the fix.

pub mod file;
pub mod grants;
pub mod role;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::arn::RoleArn;
use crate::cli::{LogFormat, RoleArgs, ServeArgs};
use crate::credentials::Secret;
use crate::role_name::DEFAULT_ROLE;
use crate::session::{SessionName, SessionOptions};
use crate::source::SourceKind;
use crate::token::client_tokens::{ClientConfig, ClientTokenSource};
use crate::token::{self, ENV_ROLEHOP_TOKEN, TokenChoice, TokenChoiceError, TokenSource};
use role::{Field, Origin, PolicyInput, RawRole, RoleOrigin};

const MAX_SHUTDOWN_GRACE_SECS: u64 = 600;
/// Test-only: divides refresh timing so fault tests run many cycles of short credentials.
pub const ENV_TEST_TIME_SCALE: &str = "ROLEHOP_TEST_TIME_SCALE";
/// Sessions served over IMDS must outlast its serving minimum (`sdk::IMDS_MIN_REMAINING`, 26
/// minutes) by a refresh cycle.
pub const IMDS_MIN_DURATION_SECS: u32 = 3600;

/// Where a role's caller credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleSource {
    /// The root of a chain: the task's (or host's) own credentials.
    Credentials(SourceKind),
    /// Another configured role (a chain hop): that profile's credentials.
    Profile(String),
}

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
    pub options: SessionOptions,
    pub source: RoleSource,
}

#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Every role, each after the role it chains from.
    pub roles: Vec<RoleConfig>,
    pub listen: SocketAddr,
    pub imds: Option<ImdsConfig>,
    /// The separate `/metrics` listener, when asked for.
    pub metrics_listen: Option<SocketAddr>,
    /// The single token; `None` when the config file has clients, whose tokens alone count.
    pub token: Option<TokenSource>,
    /// The `[client NAME]` sections of the config file.
    pub clients: Vec<ClientConfig>,
    pub allow_remote: bool,
    pub shutdown_grace: Duration,
    pub log_format: LogFormat,
    /// Divides credential-lifetime timings; 1 except in fault tests.
    pub test_time_scale: u32,
}

impl RoleConfig {
    /// The AssumeRole call this role makes, with `default_session` when it names none.
    pub fn hop(&self, default_session: &SessionName) -> crate::chain::Hop {
        crate::chain::Hop {
            role_arn: self.role_arn.clone(),
            external_id: self.external_id.clone(),
            session_name: self
                .session_name
                .clone()
                .unwrap_or_else(|| default_session.clone()),
            duration_secs: self.duration_secs,
            options: self.options.clone(),
        }
    }
}

/// The IMDSv2-compatible listener: one role per listener, as SDKs read one role name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImdsConfig {
    pub listen: SocketAddr,
    pub role: String,
    pub allow_v1: bool,
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

        let file = file_from_args(&args.roles, env, &mut errors);
        let roles = file.roles;
        let clients = file.clients;
        let listen = parse_listen("--listen", &args.listen)
            .map_err(|e| errors.push(e.to_string()))
            .ok();
        let imds = imds_config(args, &roles, &clients, &file.imds_shared, &mut errors);
        errors.extend(grants::problems(
            &roles,
            &clients,
            imds.as_ref().map(|i| i.role.as_str()),
            &file.imds_shared,
        ));
        let metrics_listen = args.metrics_listen.as_deref().and_then(|raw| {
            parse_listen("--metrics-listen", raw)
                .map_err(|e| errors.push(e.to_string()))
                .ok()
        });
        let taken = [
            ("--listen", listen),
            ("--imds-listen", imds.as_ref().map(|i| i.listen)),
            ("--metrics-listen", metrics_listen),
        ];
        shared_addresses(&taken, &mut errors);

        let token = serve_token(args, &clients, env, &mut errors);
        if args.shutdown_grace > MAX_SHUTDOWN_GRACE_SECS {
            errors.push(format!(
                "--shutdown-grace {} is over {MAX_SHUTDOWN_GRACE_SECS} seconds; ECS stops a container after its stopTimeout (at most 120 s) anyway",
                args.shutdown_grace
            ));
        }

        let test_time_scale = test_time_scale(env, &mut errors);
        match (listen, token.is_some() || !clients.is_empty()) {
            (Some(listen), true) if errors.is_empty() => Ok(Self {
                roles,
                listen,
                imds,
                metrics_listen,
                token,
                clients,
                allow_remote: args.allow_remote,
                shutdown_grace: Duration::from_secs(args.shutdown_grace),
                log_format: args.log_format,
                test_time_scale: test_time_scale.unwrap_or(1),
            }),
            _ => Err(ConfigErrors(errors)),
        }
    }
}

/// `--imds-listen` with its role: a role with sessions long enough for IMDS, configured, and
/// granted to no client unless shared on purpose.
fn imds_config(
    args: &ServeArgs,
    roles: &[RoleConfig],
    clients: &[ClientConfig],
    imds_shared: &[String],
    errors: &mut Vec<String>,
) -> Option<ImdsConfig> {
    let raw = args.imds_listen.as_deref()?;
    let listen = parse_listen("--imds-listen", raw)
        .map_err(|e| errors.push(e.to_string()))
        .ok()?;
    if let Some(role) = roles.iter().find(|r| r.name == args.imds_role)
        && role.duration_secs < IMDS_MIN_DURATION_SECS
    {
        errors.push(format!(
            "the IMDS role {} has {}-second sessions; IMDS clients may use a credential past its expiry, so rolehop never serves one there with {} minutes or less left, which needs sessions of at least {IMDS_MIN_DURATION_SECS} seconds",
            role.name, role.duration_secs, crate::sdk::IMDS_MIN_REMAINING.as_secs() / 60
        ));
    }
    if !roles.iter().any(|r| r.name == args.imds_role) && !roles.is_empty() {
        let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
        errors.push(format!(
            "--imds-role {} is not a configured role; choose one of: {}",
            args.imds_role,
            names.join(", ")
        ));
    }
    let granted: Vec<&str> = clients
        .iter()
        .filter(|c| c.grant.allows(&args.imds_role))
        .map(|c| c.name.as_str())
        .collect();
    if !granted.is_empty() && !imds_shared.contains(&args.imds_role) {
        errors.push(format!(
            "the IMDS listener would serve profile {} to every local process without a token, but it is granted to {} {}; give --imds-role a profile no client is granted, or add rolehop_imds_shared = true to [profile {}] to share it on purpose",
            args.imds_role,
            if granted.len() == 1 { "client" } else { "clients" },
            granted.join(", "),
            args.imds_role
        ));
    }
    Some(ImdsConfig {
        listen,
        role: args.imds_role.clone(),
        allow_v1: args.imds_allow_v1,
    })
}

/// Two listeners on one address (port 0 excepted: each gets its own).
fn shared_addresses(taken: &[(&str, Option<SocketAddr>)], errors: &mut Vec<String>) {
    for (i, (flag, addr)) in taken.iter().enumerate() {
        for (other, other_addr) in &taken[..i] {
            if let (Some(a), Some(b)) = (addr, other_addr)
                && a == b
                && a.port() != 0
            {
                errors.push(format!(
                    "{flag} and {other} are both {a}; give each listener its own port"
                ));
            }
        }
    }
}

/// The single token's source, or `None` with [client] sections (whose tokens, read from
/// variables here, replace it).
fn serve_token(
    args: &ServeArgs,
    clients: &[ClientConfig],
    env: &dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<String>,
) -> Option<TokenSource> {
    // Variables are read here, so their problems join the rest; files are read at start.
    for client in clients {
        if let ClientTokenSource::Env(name) = &client.token
            && let Err(e) = token::AuthToken::from_env_var(name, env(name))
        {
            errors.push(format!("client {}: {e}", client.name));
        }
    }
    // A client may read its token from ROLEHOP_TOKEN itself; that is not the single token.
    let single_env = env(ENV_ROLEHOP_TOKEN).filter(|_| {
        !clients
            .iter()
            .any(|c| c.token == ClientTokenSource::Env(ENV_ROLEHOP_TOKEN.into()))
    });
    match token::choose(args.token_file.as_deref(), single_env) {
        Ok(choice) if !clients.is_empty() => {
            let given = match choice {
                TokenChoice::File(_) => "--token-file (ROLEHOP_TOKEN_FILE)",
                TokenChoice::Env(_) => ENV_ROLEHOP_TOKEN,
            };
            errors.push(format!("{given} is set, but the config file has [client] sections and only their tokens are accepted; remove {given}, or grant its holder a [client] section"));
            None
        }
        Err(TokenChoiceError::Neither) if !clients.is_empty() => None,
        Ok(TokenChoice::File(path)) => Some(TokenSource::File(path)),
        Ok(TokenChoice::Env(_)) => Some(TokenSource::Env),
        Err(TokenChoiceError::Both) => {
            errors.push(TokenChoiceError::Both.to_string());
            None
        }
        Err(TokenChoiceError::Neither) => {
            errors.push(format!("rolehop needs a token for its clients: pass --token-file PATH (created if missing) or set {ENV_ROLEHOP_TOKEN}"));
            None
        }
    }
}

/// `ROLEHOP_TEST_TIME_SCALE`: 1 unless a test compresses time.
fn test_time_scale(env: &dyn Fn(&str) -> Option<String>, errors: &mut Vec<String>) -> Option<u32> {
    match env(ENV_TEST_TIME_SCALE) {
        None => Some(1),
        Some(raw) => match raw.parse::<u32>() {
            Ok(n) if (1..=3600).contains(&n) => Some(n),
            _ => {
                errors.push(format!("{ENV_TEST_TIME_SCALE} `{raw}` is not a whole number from 1 to 3600; unset it outside tests"));
                None
            }
        },
    }
}

/// The roles from `--config` or from the role flags (never both).
pub fn roles_from_args(
    args: &RoleArgs,
    env: &dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<String>,
) -> Vec<RoleConfig> {
    file_from_args(args, env, errors).roles
}

/// [`roles_from_args`] with the config file's clients and IMDS settings (none from flags).
pub fn file_from_args(
    args: &RoleArgs,
    env: &dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<String>,
) -> file::FileConfig {
    let mut failed = |e: Vec<String>| {
        errors.extend(e);
        file::FileConfig::default()
    };
    if let Some(text) = args.config_text.as_ref().map(Secret::expose) {
        if args.config.is_some() || role_flags_given(args) {
            return failed(vec!["--config-text (ROLEHOP_CONFIG_TEXT) is given with --config or role flags; keep one way of naming the roles".into()]);
        }
        return file::parse_file(text, std::path::Path::new("ROLEHOP_CONFIG_TEXT"), env)
            .unwrap_or_else(failed);
    }
    match (&args.config, role_flags_given(args)) {
        (Some(_), true) => failed(vec!["--config (ROLEHOP_CONFIG) and role flags (--role-arn and its parameters, or their ROLEHOP_* variables) are both given; put the role in the config file, or drop --config".into()]),
        (Some(path), false) => file::load_file(path, env).unwrap_or_else(failed),
        (None, _) => file::FileConfig {
            roles: roles_from_flags(args, env, errors),
            ..Default::default()
        },
    }
}

/// True when any role flag (not `--config`) is given.
pub fn role_flags_given(args: &RoleArgs) -> bool {
    args.role_arn.is_some()
        || args.external_id.is_some()
        || args.session_name.is_some()
        || args.duration.is_some()
        || !args.tags.is_empty()
        || !args.transitive_tag_keys.is_empty()
        || args.source_identity.is_some()
        || args.policy_file.is_some()
        || !args.policy_arns.is_empty()
}

/// The single `default` role the flags describe.
fn roles_from_flags(
    args: &RoleArgs,
    env: &dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<String>,
) -> Vec<RoleConfig> {
    let source = SourceKind::detect(env).unwrap_or_else(|e| {
        errors.push(e.to_string());
        SourceKind::DefaultChain
    });
    match raw_role(args).validate(Some(RoleSource::Credentials(source))) {
        Ok(role) => vec![role],
        Err(problems) => {
            errors.extend(problems.into_iter().map(|p| p.message));
            Vec::new()
        }
    }
}

/// The role flags as one [`RawRole`], each field marked with its flag.
fn raw_role(args: &RoleArgs) -> RawRole {
    let flag = |value, name| Field::new(value, Origin::Flag(name));
    RawRole {
        name: DEFAULT_ROLE.into(),
        origin: RoleOrigin::Flags,
        role_arn: args.role_arn.clone().map(|v| flag(v, "--role-arn")),
        external_id: args
            .external_id
            .clone()
            .map(|v| Field::new(v, Origin::Flag("--external-id"))),
        session_name: args.session_name.clone().map(|v| flag(v, "--session-name")),
        duration: args.duration.map(|v| flag(v.to_string(), "--duration")),
        tags: Some(Field::new(args.tags.clone(), Origin::Flag("--tag"))),
        transitive_tag_keys: args.transitive_tag_keys.clone(),
        source_identity: args.source_identity.clone(),
        policy: args
            .policy_file
            .clone()
            .map(|p| Field::new(PolicyInput::File(p), Origin::Flag("--policy-file"))),
        policy_arns: args.policy_arns.clone(),
    }
}

/// A listen flag's value that is not an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListenError {
    #[error(
        "{flag} `{raw}` is not an address; use IP:PORT such as {}",
        crate::cli::DEFAULT_LISTEN
    )]
    NotAnAddress { flag: String, raw: String },
    /// The port is a number, but not one a TCP port can be.
    #[error(
        "{flag} `{raw}`: port {port} is out of range; a port is 1 to 65535, such as {}",
        crate::cli::DEFAULT_LISTEN
    )]
    PortOutOfRange {
        flag: String,
        raw: String,
        port: String,
    },
}

/// `flag`'s address: `IP:PORT`, `[V6]:PORT`, `localhost:PORT`, or a port alone (on 127.0.0.1).
pub fn parse_listen(flag: &str, raw: &str) -> Result<SocketAddr, ListenError> {
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
        let (flag, raw_owned) = (flag.to_owned(), raw.to_owned());
        // A port alone, or after an address this parser takes (an IP, `[v6]`, `localhost`),
        // that is all digits but too big for a port; anything else is not an address.
        let (host, port) = raw.rsplit_once(':').unwrap_or(("", raw));
        let host_ok = host.is_empty()
            || host == "localhost"
            || host.parse::<Ipv4Addr>().is_ok()
            || host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .is_some_and(|h| h.parse::<std::net::Ipv6Addr>().is_ok());
        let too_big = port.bytes().all(|b| b.is_ascii_digit())
            && port
                .parse::<u64>()
                .map_or(!port.is_empty(), |p| p > u64::from(u16::MAX));
        if host_ok && too_big {
            ListenError::PortOutOfRange {
                flag,
                raw: raw_owned,
                port: port.to_owned(),
            }
        } else {
            ListenError::NotAnAddress {
                flag,
                raw: raw_owned,
            }
        }
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
        let crate::cli::Command::Serve(args) = cli.command else {
            unreachable!("parsed a serve command line")
        };
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
        assert_eq!(
            cfg.roles[0].source,
            RoleSource::Credentials(SourceKind::EcsRelative)
        );
        assert_eq!(cfg.token, Some(TokenSource::File("/tmp/t".into())));
    }

    #[test]
    fn each_listener_needs_its_own_address() {
        let base = ["--role-arn", ARN, "--token-file", "/tmp/t"];
        let with = |extra: &[&str]| {
            let mut argv = base.to_vec();
            argv.extend_from_slice(extra);
            parse(&argv, &[ECS])
        };
        let cfg = with(&["--metrics-listen", "127.0.0.1:9090"]).unwrap();
        assert_eq!(cfg.metrics_listen, Some("127.0.0.1:9090".parse().unwrap()));
        assert_eq!(with(&[]).unwrap().metrics_listen, None);
        let errs = with(&["--metrics-listen", "9911", "--imds-listen", "9911"])
            .unwrap_err()
            .0;
        assert_eq!(
            errs,
            [
                "--imds-listen and --listen are both 127.0.0.1:9911; give each listener its own port",
                "--metrics-listen and --listen are both 127.0.0.1:9911; give each listener its own port",
                "--metrics-listen and --imds-listen are both 127.0.0.1:9911; give each listener its own port",
            ]
        );
        let errs = with(&["--metrics-listen", "metrics"]).unwrap_err().0;
        assert!(
            errs[0].starts_with("--metrics-listen `metrics` is not an address"),
            "{errs:?}"
        );
        assert!(
            with(&[
                "--metrics-listen",
                "0",
                "--imds-listen",
                "0",
                "--listen",
                "0"
            ])
            .is_ok()
        );
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
        assert_eq!(cfg.token, Some(TokenSource::Env));
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

    const CLIENTS: &str = "\
[profile orders]
role_arn = arn:aws:iam::555566667777:role/orders
credential_source = EcsContainer
duration_seconds = 3600

[profile reports]
role_arn = arn:aws:iam::999988887777:role/reports
credential_source = EcsContainer

[client web]
token_env = ROLEHOP_TOKEN_WEB
profiles = orders
";

    fn with_clients(
        text: &str,
        argv: &[&str],
        env: &[(&str, &str)],
    ) -> Result<ServeConfig, ConfigErrors> {
        let mut full = vec!["--config-text", text];
        full.extend_from_slice(argv);
        let mut env = env.to_vec();
        env.extend([
            ECS,
            ("ROLEHOP_TOKEN_WEB", "0123456789abcdef-web"),
            ("OPS", "0123456789abcdef-ops"),
        ]);
        parse(&full, &env)
    }

    #[test]
    fn clients_replace_the_single_token() {
        let errs = parse(&["--config-text", CLIENTS, "--listen", "nowhere"], &[ECS])
            .unwrap_err()
            .0;
        assert_eq!(errs.len(), 2, "every problem at once: {errs:?}");
        assert!(
            errs[1].starts_with("client web: ROLEHOP_TOKEN_WEB is not set"),
            "{errs:?}"
        );
        let cfg = with_clients(CLIENTS, &[], &[]).unwrap();
        assert_eq!(cfg.token, None);
        assert_eq!(cfg.clients[0].name, "web");
        let errs = with_clients(CLIENTS, &["--token-file", "/tmp/t"], &[])
            .unwrap_err()
            .0;
        assert_eq!(
            errs,
            [
                "--token-file (ROLEHOP_TOKEN_FILE) is set, but the config file has [client] sections and only their tokens are accepted; remove --token-file (ROLEHOP_TOKEN_FILE), or grant its holder a [client] section"
            ]
        );
        let errs = with_clients(CLIENTS, &[], &[("ROLEHOP_TOKEN", "0123456789abcdef0")])
            .unwrap_err()
            .0;
        assert!(errs[0].starts_with("ROLEHOP_TOKEN is set, but"), "{errs:?}");
        // A client may read its own token from ROLEHOP_TOKEN.
        let own = CLIENTS.replace("ROLEHOP_TOKEN_WEB", "ROLEHOP_TOKEN");
        assert!(with_clients(&own, &[], &[("ROLEHOP_TOKEN", "0123456789abcdef0")]).is_ok());
    }

    #[test]
    fn imds_may_not_expose_a_client_profile_unless_the_config_says_so() {
        let imds = ["--imds-listen", "0", "--imds-role", "orders"];
        let errs = with_clients(CLIENTS, &imds, &[]).unwrap_err().0;
        assert_eq!(
            errs,
            [
                "the IMDS listener would serve profile orders to every local process without a token, but it is granted to client web; give --imds-role a profile no client is granted, or add rolehop_imds_shared = true to [profile orders] to share it on purpose"
            ]
        );
        let star = format!("{CLIENTS}\n[client ops]\ntoken_env = OPS\nprofiles = *\n");
        let errs = with_clients(&star, &imds, &[]).unwrap_err().0;
        assert!(errs[0].contains("granted to clients web, ops;"), "{errs:?}");
        let shared = CLIENTS.replace(
            "duration_seconds = 3600",
            "duration_seconds = 3600\nrolehop_imds_shared = true",
        );
        assert!(with_clients(&shared, &imds, &[]).is_ok());
        // A profile no client is granted needs no key.
        let reports = ["--imds-listen", "0", "--imds-role", "reports"];
        assert!(with_clients(CLIENTS, &reports, &[]).is_ok());
    }

    #[test]
    fn a_grant_or_the_imds_role_that_chains_into_an_ungranted_profile_is_refused() {
        let chained = CLIENTS.replace(
            "[client web]",
            "[profile ledger]\nrole_arn = arn:aws:iam::555566667777:role/ledger\nsource_profile = orders\n\n[client web]",
        );
        let errs = with_clients(&chained, &[], &[]).unwrap_err().0;
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].starts_with("client web can get profile ledger without being granted it"),
            "{errs:?}"
        );
        let granted = chained.replace("profiles = orders", "profiles = orders, ledger");
        assert!(with_clients(&granted, &[], &[]).is_ok());
        let required = chained.replace(
            "source_profile = orders",
            "source_profile = orders\nexternal_id = only-rolehop-holds-this",
        );
        assert!(with_clients(&required, &[], &[]).is_ok());
        // The IMDS role reaches the same way, for every local process.
        let imds = ["--imds-listen", "0", "--imds-role", "reports"];
        let via_imds = CLIENTS.replace(
            "[client web]",
            "[profile audit]\nrole_arn = arn:aws:iam::999988887777:role/audit\nsource_profile = reports\n\n[client web]",
        );
        let errs = with_clients(&via_imds, &imds, &[]).unwrap_err().0;
        assert!(
            errs.iter()
                .any(|e| e.contains("profile audit chains from it")),
            "{errs:?}"
        );
    }

    #[test]
    fn listen_forms() {
        assert_eq!(
            parse_listen("--listen", "9911").unwrap(),
            "127.0.0.1:9911".parse().unwrap()
        );
        assert_eq!(
            parse_listen("--listen", "localhost:80").unwrap(),
            "127.0.0.1:80".parse().unwrap()
        );
        assert_eq!(
            parse_listen("--listen", "[::1]:9911").unwrap(),
            "[::1]:9911".parse().unwrap()
        );
        assert_eq!(
            parse_listen("--listen", "0.0.0.0:9911").unwrap(),
            "0.0.0.0:9911".parse().unwrap()
        );
        assert_eq!(
            parse_listen("--imds-listen", "127.0.0.1"),
            Err(ListenError::NotAnAddress {
                flag: "--imds-listen".into(),
                raw: "127.0.0.1".into()
            })
        );
        for raw in [
            "99999",
            "127.0.0.1:70000",
            "localhost:65536",
            "[::1]:123456789012",
        ] {
            let err = parse_listen("--listen", raw).unwrap_err();
            assert!(
                matches!(err, ListenError::PortOutOfRange { .. }),
                "{raw}: {err:?}"
            );
            assert!(
                err.to_string()
                    .contains("is out of range; a port is 1 to 65535"),
                "{err}"
            );
        }
        // Digits after a colon are not a port out of range unless what comes before is an
        // address: these are not addresses at all.
        for raw in ["127.0.0.1:http", "::1", "myhost:9911", "10.0.0.300:9911"] {
            assert!(
                matches!(
                    parse_listen("--listen", raw),
                    Err(ListenError::NotAnAddress { .. })
                ),
                "{raw}"
            );
        }
    }
}
