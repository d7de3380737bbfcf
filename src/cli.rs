//! Command-line flags. Every flag has a `ROLEHOP_*` environment twin, because task definitions
//! set environment, not argv. Raw flags become a validated config in [`crate::config`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::credentials::Secret;

/// Exit codes shared by every subcommand.
pub mod exit {
    pub const OK: u8 = 0;
    /// Runtime failure: something outside the invocation went wrong.
    pub const FAILURE: u8 = 1;
    /// Usage error (BSD `EX_USAGE`): fix the flags, environment or files given.
    pub const USAGE: u8 = 64;
}

/// `setup`'s task definition family when none is given.
/// Where `serve` listens when `--listen` is not given (loopback: the SDKs accept plain http
/// only there).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9911";
pub const DEFAULT_FAMILY: &str = "rolehop-cross-account";
/// The token secret's name when `setup` creates it.
pub const DEFAULT_TOKEN_SECRET_NAME: &str = "rolehop/token";

#[derive(Debug, Parser)]
#[command(
    name = "rolehop",
    version = env!("ROLEHOP_VERSION"),
    about = "Assume a cross-account IAM role once per ECS task and serve it to every AWS SDK in the task",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Assume the destination role from the task's own credentials, keep it fresh, and serve it
    /// on an ECS-compatible credentials endpoint (and, if asked, an IMDSv2-compatible one).
    #[command(
        after_help = "Examples (the first two in the task, where ECS sets AWS_REGION; elsewhere set it, as the last does):\n  rolehop serve --role-arn arn:aws:iam::555566667777:role/destination-account-role --token-file /rolehop/token\n  rolehop serve --config /etc/rolehop/config --imds-listen 127.0.0.1:9912 --token-file /rolehop/token\n  AWS_REGION=us-east-1 ROLEHOP_ROLE_ARN=arn:aws:iam::555566667777:role/x ROLEHOP_TOKEN=$(openssl rand -hex 32) rolehop serve"
    )]
    Serve(ServeArgs),
    /// Print credentials in the `credential_process` format (Version 1 JSON): from a running
    /// rolehop, or on its own with the role flags or --config (--standalone).
    #[command(
        after_help = "Examples (in ~/.aws/config; the second assumes the role itself, so it needs AWS_REGION or a region in the config's [default] profile):\n  credential_process = rolehop credential-process --endpoint http://127.0.0.1:9911 --token-file /rolehop/token --role default\n  credential_process = rolehop credential-process --role-arn arn:aws:iam::555566667777:role/destination-account-role"
    )]
    CredentialProcess(CredentialProcessArgs),
    /// Run a command whose AWS SDKs get their credentials from a running rolehop: sets
    /// AWS_CONTAINER_CREDENTIALS_FULL_URI and the token variables, removes
    /// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, and replaces itself with the command.
    #[command(
        after_help = "Example:\n  rolehop exec --endpoint http://127.0.0.1:9911 --token-file /rolehop/token -- python app.py"
    )]
    Exec(ExecArgs),
    /// Print the settings `exec` would make, as shell `export` lines for `eval`.
    #[command(
        after_help = "Example:\n  eval \"$(rolehop env --endpoint http://127.0.0.1:9911 --token-file /rolehop/token)\""
    )]
    Env(ClientArgs),
    /// Diagnose a cross-account setup: evaluate the trust and identity policy files given as IAM
    /// would (offline), or with no policy file probe the roles rolehop serves in AWS (online),
    /// and print what is wrong with the exact fix. Exit 0 allowed and clean, 1 denied or
    /// failed, 2 allowed with warnings, 3 decision unknown (nothing failed, something needed is
    /// not known), 64 usage; with no AssumeRole asked (no --role-arn), by the findings alone.
    #[command(
        after_help = "Examples:\n  rolehop check --trust-policy trust.json --identity-policy identity.json --role-arn arn:aws:iam::555566667777:role/destination-account-role --source-role-arn arn:aws:iam::111122223333:role/my-ECS-task-role\n  rolehop check                      (in the task: probe the roles rolehop serves in AWS)\n  rolehop check --managed-policy-arn arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    )]
    Check(CheckArgs),
    /// Exit 0 when the rolehop at --endpoint is ready (holds a valid credential for every role),
    /// 1 otherwise: an ECS container health check that needs no curl in the image.
    #[command(
        after_help = "Example (ECS healthCheck command):\n  [\"CMD\", \"/rolehop\", \"healthcheck\", \"--endpoint\", \"http://127.0.0.1:9911\"]"
    )]
    Healthcheck(HealthcheckArgs),
    /// Write the whole cross-account setup into a directory: the identity and trust policies
    /// (one pair per hop of a chain), the ECS service roles, a Fargate task definition with the
    /// rolehop sidecar, an AWS config file, and commands.sh that creates it all. Every policy
    /// passes `rolehop check` before anything is written.
    #[command(
        after_help = "Examples:\n  rolehop setup --source-role-arn arn:aws:iam::111122223333:role/my-ECS-task-role --role-arn arn:aws:iam::555566667777:role/destination-account-role --region us-east-1 --ecs-roles --out setup && sh setup/commands.sh\n  rolehop setup --source-role-arn arn:aws:iam::111122223333:role/my-ECS-task-role --role-arn arn:aws:iam::444455556666:role/hub --role-arn arn:aws:iam::999988887777:role/audit --external-id Partner-7 --region eu-west-1 --out chain\n  SOURCE_PROFILE=account-a DESTINATION_PROFILE=account-b sh setup/commands.sh"
    )]
    Setup(SetupArgs),
    /// Copy this rolehop binary and an AWS config file into DIR (a task volume the app container
    /// mounts), so an unmodified app image gets its role through profiles alone: each profile's
    /// `credential_process` runs DIR/rolehop against the sidecar. Run once, as an init
    /// container the app waits for (`dependsOn` SUCCESS). Nothing secret is written.
    #[command(
        after_help = "Example (the init container's command; the app sets AWS_CONFIG_FILE=/rolehop-shared/config and gets ROLEHOP_TOKEN from a secret):\n  rolehop publish /rolehop-shared --endpoint http://127.0.0.1:9911 --profile default"
    )]
    Publish(PublishArgs),
    /// Print the IAM policy document in --current with every statement of --add it lacks
    /// appended (nothing when it has them all; each statement added is shown on stderr): how
    /// setup's commands.sh changes a role that exists without removing anything from it.
    #[command(
        after_help = "Example:\n  rolehop merge-policy --current current-trust.json --add trust-policy.json --what \"role destination-account-role's trust policy\""
    )]
    MergePolicy(MergePolicyArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines on a terminal, JSON lines otherwise (a container's log driver).
    Auto,
    /// One JSON object per line (for container log drivers).
    Json,
    /// Human-readable lines.
    Text,
}

#[derive(Debug, Args, Default)]
pub struct RoleArgs {
    /// Roles from a file in the AWS shared config syntax (`[profile NAME]` sections with
    /// role_arn, source_profile, credential_source, ...). Not combined with the role flags.
    #[arg(
        long,
        env = "ROLEHOP_CONFIG",
        value_name = "FILE",
        help_heading = "Roles"
    )]
    pub config: Option<PathBuf>,

    /// The config file's content itself, for task definitions (which can set environment but
    /// not mount files on Fargate). Not combined with --config or the role flags.
    #[arg(
        long,
        env = "ROLEHOP_CONFIG_TEXT",
        value_name = "TEXT",
        help_heading = "Roles",
        hide_env_values = true
    )]
    pub config_text: Option<Secret>,

    /// ARN of the role to assume in the destination account (served as `default`).
    #[arg(
        long,
        env = "ROLEHOP_ROLE_ARN",
        value_name = "ARN",
        help_heading = "Role flags"
    )]
    pub role_arn: Option<String>,

    /// ExternalId the destination role's trust policy requires.
    #[arg(
        long,
        env = "ROLEHOP_EXTERNAL_ID",
        value_name = "ID",
        help_heading = "Role flags",
        hide_env_values = true
    )]
    pub external_id: Option<Secret>,

    /// RoleSessionName [default: the ECS task id, else rolehop-HOSTNAME].
    #[arg(
        long,
        env = "ROLEHOP_SESSION_NAME",
        value_name = "NAME",
        help_heading = "Role flags"
    )]
    pub session_name: Option<String>,

    /// DurationSeconds of each session, 900-43200 [default: 3600]; at most 3600 when the
    /// source is a role, as task roles are.
    #[arg(
        long,
        env = "ROLEHOP_DURATION",
        value_name = "SECONDS",
        help_heading = "Role flags"
    )]
    pub duration: Option<u32>,

    /// A session tag (repeat, or separate with commas); needs sts:TagSession in the trust policy.
    #[arg(
        long = "tag",
        env = "ROLEHOP_TAGS",
        value_name = "KEY=VALUE",
        value_delimiter = ',',
        help_heading = "Role flags"
    )]
    pub tags: Vec<String>,

    /// A session tag key to mark transitive (repeat, or separate with commas).
    #[arg(
        long = "transitive-tag-key",
        env = "ROLEHOP_TRANSITIVE_TAG_KEYS",
        value_name = "KEY",
        value_delimiter = ',',
        help_heading = "Role flags"
    )]
    pub transitive_tag_keys: Vec<String>,

    /// SourceIdentity to set on the session; needs sts:SetSourceIdentity.
    #[arg(
        long,
        env = "ROLEHOP_SOURCE_IDENTITY",
        value_name = "NAME",
        help_heading = "Role flags"
    )]
    pub source_identity: Option<String>,

    /// JSON file with an inline session policy.
    #[arg(
        long,
        env = "ROLEHOP_POLICY_FILE",
        value_name = "PATH",
        help_heading = "Role flags"
    )]
    pub policy_file: Option<PathBuf>,

    /// A managed session policy ARN (repeat, or separate with commas; at most 10).
    #[arg(
        long = "policy-arn",
        env = "ROLEHOP_POLICY_ARNS",
        value_name = "ARN",
        value_delimiter = ',',
        help_heading = "Role flags"
    )]
    pub policy_arns: Vec<String>,
}

impl RoleArgs {
    /// The role flags as `serve` reads them from these `ROLEHOP_*` variables alone (a task
    /// definition's environment), through the same flag definitions: lists split the same way,
    /// and this process's own environment is never read.
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> Result<Self, clap::Error> {
        use clap::{CommandFactory, FromArgMatches};

        #[derive(Debug, Parser)]
        struct Only {
            #[command(flatten)]
            roles: RoleArgs,
        }
        let mut argv = vec!["rolehop".to_owned()];
        for arg in Only::command().get_arguments() {
            if let (Some(name), Some(long)) =
                (arg.get_env().and_then(|e| e.to_str()), arg.get_long())
                && let Some(value) = var(name)
            {
                argv.push(format!("--{long}={value}"));
            }
        }
        let command = Only::command().mut_args(|a| a.env(None::<&str>));
        let matches = command.try_get_matches_from(argv)?;
        Only::from_arg_matches(&matches).map(|o| o.roles)
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub roles: RoleArgs,

    /// Address to serve the credentials endpoint on (IP:PORT, or a port alone for 127.0.0.1).
    #[arg(
        long,
        env = "ROLEHOP_LISTEN",
        value_name = "ADDR",
        default_value = DEFAULT_LISTEN,
        help_heading = "Listener"
    )]
    pub listen: String,

    /// File holding the token clients must send in `Authorization`; created with a random
    /// token if missing. Alternatively set ROLEHOP_TOKEN (there is deliberately no flag for
    /// the token itself: argv is visible to other processes). Neither is used when the config
    /// file has [client] sections, whose own tokens replace them.
    #[arg(
        long,
        env = "ROLEHOP_TOKEN_FILE",
        value_name = "PATH",
        help_heading = "Listener"
    )]
    pub token_file: Option<PathBuf>,

    /// Answer clients that are not on this host's loopback (needed when bound beyond it).
    #[arg(long, env = "ROLEHOP_ALLOW_REMOTE", help_heading = "Listener")]
    pub allow_remote: bool,

    /// Also serve an IMDSv2-compatible endpoint on this address (off unless given).
    #[arg(
        long,
        env = "ROLEHOP_IMDS_LISTEN",
        value_name = "ADDR",
        help_heading = "IMDS"
    )]
    pub imds_listen: Option<String>,

    /// The role the IMDS endpoint serves (SDKs read exactly one role name from IMDS). Refused
    /// when a [client] is granted it, unless its profile sets rolehop_imds_shared = true.
    #[arg(
        long,
        env = "ROLEHOP_IMDS_ROLE",
        value_name = "NAME",
        default_value = "default",
        help_heading = "IMDS"
    )]
    pub imds_role: String,

    /// Also answer token-less IMDSv1 requests (refused by default).
    #[arg(long, env = "ROLEHOP_IMDS_ALLOW_V1", help_heading = "IMDS")]
    pub imds_allow_v1: bool,

    /// Also serve Prometheus `/metrics` (and `/healthz`) on this address, to any peer that can
    /// reach it: nothing there is secret. `/metrics` is on the credentials listener too.
    #[arg(
        long,
        env = "ROLEHOP_METRICS_LISTEN",
        value_name = "ADDR",
        help_heading = "Listener"
    )]
    pub metrics_listen: Option<String>,

    /// Seconds to let in-flight requests finish after SIGTERM or SIGINT.
    #[arg(
        long,
        env = "ROLEHOP_SHUTDOWN_GRACE",
        value_name = "SECONDS",
        default_value_t = 10,
        help_heading = "Listener"
    )]
    pub shutdown_grace: u64,

    /// Log format on stderr. The level is set with ROLEHOP_LOG (e.g. `debug`).
    #[arg(long, env = "ROLEHOP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Auto)]
    pub log_format: LogFormat,
}

/// How a helper command reaches a running rolehop. `healthcheck` uses the same.
#[derive(Debug, Args, Clone)]
pub struct ClientArgs {
    /// rolehop's base URL.
    #[arg(
        long,
        env = "ROLEHOP_ENDPOINT",
        value_name = "URL",
        help_heading = "Client"
    )]
    pub endpoint: Option<String>,

    /// Which role (config profile) to use.
    #[arg(
        long,
        env = "ROLEHOP_ROLE",
        value_name = "NAME",
        default_value = "default",
        help_heading = "Client"
    )]
    pub role: String,

    /// File holding rolehop's token; or set ROLEHOP_TOKEN.
    #[arg(
        long,
        env = "ROLEHOP_TOKEN_FILE",
        value_name = "PATH",
        help_heading = "Client"
    )]
    pub token_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CredentialProcessArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// Assume the role in this process instead of asking a running rolehop (implied by the
    /// role flags or --config); credentials are cached per user while 15 minutes remain.
    #[arg(long, env = "ROLEHOP_STANDALONE", help_heading = "Standalone")]
    pub standalone: bool,

    #[command(flatten)]
    pub roles: RoleArgs,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// With --token-file, give the command only AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE and keep
    /// the token itself out of its environment (AWS_CONTAINER_AUTHORIZATION_TOKEN). Clients that
    /// read only the variable then send no token (docs/SDKS.md names them).
    #[arg(long, env = "ROLEHOP_EXEC_NO_TOKEN_VARIABLE")]
    pub no_token_variable: bool,

    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

/// How `setup`'s app container reaches rolehop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AppWiring {
    /// A `rolehop publish` init container shares rolehop's binary and an AWS config; the app
    /// names it (AWS_CONFIG_FILE, AWS_PROFILE). The image stays unmodified, and ECS Exec can
    /// enter the app and run rolehop there.
    Published,
    /// The app's shell exports AWS_CONTAINER_CREDENTIALS_FULL_URI and unsets the RELATIVE_URI
    /// ECS injects before it starts (the app image needs sh).
    FullUri,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The destination role's trust policy (JSON file).
    #[arg(long, value_name = "FILE")]
    pub trust_policy: Option<PathBuf>,

    /// A policy of the source role (the task role), JSON file; repeat for each inline and
    /// attached managed policy (they combine: any Allow counts, any Deny wins).
    #[arg(long, value_name = "FILE")]
    pub identity_policy: Vec<PathBuf>,

    /// The source role's permissions boundary (JSON file).
    #[arg(long, value_name = "FILE")]
    pub permissions_boundary: Option<PathBuf>,

    /// SCPs of the source account, one file per level of its organization path (root, each
    /// OU, the account), each holding one policy or a JSON array of the policies attached at
    /// that level. Every level must allow. No --scp: no SCP is evaluated and aws:PrincipalOrgID
    /// stays unknown (give it with --context, or --absent aws:PrincipalOrgID).
    #[arg(long = "scp", value_name = "FILE")]
    pub scps: Vec<PathBuf>,

    /// RCPs of the destination account, one file per level, as --scp (RCPFullAWSAccess is
    /// implicit at every level).
    #[arg(long = "rcp", value_name = "FILE")]
    pub rcps: Vec<PathBuf>,

    /// The session policy of the calling session (JSON file).
    #[arg(long, value_name = "FILE")]
    pub session_policy: Option<PathBuf>,

    /// Request context, KEY=VALUE (repeat; a key given twice is multi-valued), e.g.
    /// aws:PrincipalOrgID=o-a1b2c3d4e5 or aws:RequestedRegion=eu-west-1.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,

    /// A key that is not in the request (repeat), e.g. aws:SourceVpce for a task that reaches
    /// STS through a NAT gateway, aws:PrincipalOrgID for a source account in no organization, an
    /// aws:PrincipalTag/KEY the role does not have; a prefix ending in /* (aws:PrincipalTag/*)
    /// states every key under it absent but those given with --context. A key both given and
    /// absent is a usage error.
    #[arg(long = "absent", value_name = "KEY")]
    pub absent: Vec<String>,

    /// The destination role.
    #[arg(long, env = "ROLEHOP_ROLE_ARN", value_name = "ARN")]
    pub role_arn: Option<String>,

    /// The source role (the task role).
    #[arg(long, value_name = "ARN")]
    pub source_role_arn: Option<String>,

    /// The name of the source role's own session (for a task role, ECS names it after the task
    /// id), which trust principals like arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION name.
    #[arg(long, value_name = "NAME")]
    pub source_session_name: Option<String>,

    /// The ExternalId rolehop passes.
    #[arg(
        long,
        env = "ROLEHOP_EXTERNAL_ID",
        value_name = "ID",
        hide_env_values = true
    )]
    pub external_id: Option<Secret>,

    /// rolehop passes session tags (needs sts:TagSession).
    #[arg(long)]
    pub session_tags: bool,

    /// rolehop passes a source identity (needs sts:SetSourceIdentity).
    #[arg(long)]
    pub source_identity: bool,

    /// A managed policy ARN to check (repeat).
    #[arg(long = "managed-policy-arn", value_name = "ARN")]
    pub managed_policy_arns: Vec<String>,

    /// An ECS task definition (JSON, as registered) whose role ARNs and service roles to check,
    /// and, with `[client]` sections in rolehop's ROLEHOP_CONFIG_TEXT, which container can get
    /// which role (a container given another container's token fails).
    #[arg(long, value_name = "FILE")]
    pub task_definition: Option<PathBuf>,

    /// A policy of the task definition's execution role (repeat): whether it grants what the
    /// task definition's log configuration needs (logs:CreateLogGroup for awslogs-create-group).
    /// Without it, --online reads the execution role's policies from IAM.
    #[arg(long, value_name = "FILE", requires = "task_definition")]
    pub execution_role_policy: Vec<PathBuf>,

    /// A service role's trust policy, as KIND=FILE with KIND one of task, execution,
    /// infrastructure, codedeploy, instance (repeat).
    #[arg(long = "service-role-trust", value_name = "KIND=FILE")]
    pub service_role_trusts: Vec<String>,

    /// With --task-definition: a command for `aws ecs execute-command --command`, checked as the
    /// SSM agent runs it (split into words, no shell, argv[0] absolute or on PATH).
    #[arg(long, value_name = "COMMAND", requires = "task_definition")]
    pub exec_command: Option<String>,

    /// With --exec-command: the container it runs in (default: the one check names for the
    /// diagnosis).
    #[arg(long, value_name = "NAME", requires = "exec_command")]
    pub exec_container: Option<String>,

    /// Also probe AWS from here: the source identity, a real AssumeRole (900 s) per role and hop,
    /// and the policies IAM lets it read. Implied when no file or managed policy ARN is given.
    /// With --task-definition: the task role's and the execution role's policies, read from IAM
    /// where --identity-policy / --execution-role-policy give none.
    #[arg(long)]
    pub online: bool,

    /// Roles from a config file, as `serve --config` (online mode).
    #[arg(long, env = "ROLEHOP_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// RoleSessionName, as `serve --session-name` (online mode).
    #[arg(long, env = "ROLEHOP_SESSION_NAME", value_name = "NAME")]
    pub session_name: Option<String>,

    /// DurationSeconds rolehop uses, as `serve --duration` (online mode checks it against the
    /// role's MaxSessionDuration; its own probe asks for 900).
    #[arg(long, env = "ROLEHOP_DURATION", value_name = "SECONDS")]
    pub duration: Option<u32>,

    /// The destination role's MaxSessionDuration (offline; online it is read with GetRole).
    #[arg(long, value_name = "SECONDS")]
    pub max_session_duration: Option<u32>,

    /// Which account each client of the client table (docs/SDKS.md) would be in here: the
    /// source each would use in this environment, what it would send and the role that source
    /// serves. Run it in the app's container (under `rolehop exec` to see what exec gives the
    /// app). Implied when only AWS_CONTAINER_CREDENTIALS_FULL_URI is there to check.
    #[arg(long, env = "ROLEHOP_CHECK_CLIENTS")]
    pub clients: bool,

    /// An app directory (a virtualenv, a folder with node_modules) or a Go executable whose
    /// installed SDK releases `--clients` answers for (repeat); implies --clients.
    #[arg(long = "app", value_name = "PATH")]
    pub apps: Vec<PathBuf>,

    /// An AssumeRole error message as STS wrote it (pasted from a log): say who was denied what
    /// on which role, by which policy type in which account, its ARN and the likely fix; with
    /// policy files, the statements it points at.
    #[arg(long, value_name = "MESSAGE")]
    pub explain: Option<String>,

    /// Write each corrected policy of the report's fixes beside the file checked
    /// (trust.json -> trust.fixed.json) and print the command that applies each.
    #[arg(long)]
    pub fix: bool,

    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// rolehop's base URL.
    #[arg(
        long,
        env = "ROLEHOP_ENDPOINT",
        value_name = "URL",
        default_value = "http://127.0.0.1:9911"
    )]
    pub endpoint: String,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The shared directory, an absolute path: the same `containerPath` in this container and in
    /// the app's, since the published profiles name DIR/rolehop.
    #[arg(env = "ROLEHOP_PUBLISH_DIR", value_name = "DIR")]
    pub dir: PathBuf,

    /// The sidecar's base URL, as the app container reaches it.
    #[arg(
        long,
        env = "ROLEHOP_ENDPOINT",
        value_name = "URL",
        default_value = "http://127.0.0.1:9911"
    )]
    pub endpoint: String,

    /// A rolehop profile to publish, repeatable; the first is also the `[default]` profile, so
    /// AWS_CONFIG_FILE alone selects it.
    #[arg(
        long = "profile",
        env = "ROLEHOP_PUBLISH_PROFILES",
        value_name = "NAME",
        value_delimiter = ',',
        default_value = "default"
    )]
    pub profiles: Vec<String>,

    /// The app's token file, written into each profile's command; without it the command reads
    /// the app's ROLEHOP_TOKEN variable (an ECS `secrets` entry) when it runs.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The ECS task role in the source account: the task definition's taskRoleArn, the first
    /// caller of the chain.
    #[arg(
        long,
        env = "ROLEHOP_SOURCE_ROLE_ARN",
        value_name = "ARN",
        help_heading = "Roles"
    )]
    pub source_role_arn: String,

    /// The role to assume in the destination account; repeat it, in order, for a chain (each
    /// hop is assumed from the one before; chained sessions last at most an hour).
    #[arg(
        long = "role-arn",
        env = "ROLEHOP_ROLE_ARN",
        value_name = "ARN",
        required_unless_present = "containers",
        conflicts_with = "containers",
        help_heading = "Roles"
    )]
    pub role_arns: Vec<String>,

    /// Per-container roles instead of --role-arn: app container NAME gets ROLE_ARN (assumed from
    /// the task role) and only it, with its own token secret; repeat for each app container.
    #[arg(
        long = "container",
        env = "ROLEHOP_CONTAINERS",
        value_name = "NAME=ARN",
        value_delimiter = ',',
        help_heading = "Roles"
    )]
    pub containers: Vec<String>,

    /// ExternalId every hop's trust policy requires, and rolehop passes.
    #[arg(
        long,
        env = "ROLEHOP_EXTERNAL_ID",
        value_name = "ID",
        hide_env_values = true,
        help_heading = "Roles"
    )]
    pub external_id: Option<String>,

    /// Let rolehop tag its sessions: adds sts:TagSession to the trust and identity policies
    /// (implied by --tag).
    #[arg(long, env = "ROLEHOP_SESSION_TAGS", help_heading = "Roles")]
    pub session_tags: bool,

    /// A session tag rolehop passes on every hop (repeat, or separate with commas).
    #[arg(
        long = "tag",
        env = "ROLEHOP_TAGS",
        value_name = "KEY=VALUE",
        value_delimiter = ',',
        help_heading = "Roles"
    )]
    pub tags: Vec<String>,

    /// SourceIdentity rolehop sets on every hop: adds sts:SetSourceIdentity to the policies.
    #[arg(
        long,
        env = "ROLEHOP_SOURCE_IDENTITY",
        value_name = "NAME",
        help_heading = "Roles"
    )]
    pub source_identity: Option<String>,

    /// Also create the task execution role (ecsTaskExecutionRole, or --execution-role-arn) with
    /// AmazonECSTaskExecutionRolePolicy; without it that role must exist.
    #[arg(long, env = "ROLEHOP_ECS_ROLES", help_heading = "ECS roles")]
    pub ecs_roles: bool,

    /// Also create ecsInfrastructureRole (trusts ecs.amazonaws.com; EBS volumes, Service Connect
    /// TLS, VPC Lattice). Implies --ecs-roles.
    #[arg(long, env = "ROLEHOP_INFRASTRUCTURE_ROLE", help_heading = "ECS roles")]
    pub infrastructure_role: bool,

    /// Also create ecsInfrastructureRoleForLoadBalancers (trusts ecs.amazonaws.com; blue/green
    /// deployments). Implies --ecs-roles.
    #[arg(long, env = "ROLEHOP_LOAD_BALANCER_ROLE", help_heading = "ECS roles")]
    pub load_balancer_role: bool,

    /// Also create ecsCodeDeployRole (trusts codedeploy.amazonaws.com, AWSCodeDeployRoleForECS,
    /// may pass the task's roles to ECS tasks). Implies --ecs-roles.
    #[arg(long, env = "ROLEHOP_CODEDEPLOY_ROLE", help_heading = "ECS roles")]
    pub codedeploy_role: bool,

    /// The task execution role [default: ecsTaskExecutionRole in the task role's account].
    #[arg(
        long,
        env = "ROLEHOP_EXECUTION_ROLE_ARN",
        value_name = "ARN",
        help_heading = "ECS roles"
    )]
    pub execution_role_arn: Option<String>,

    /// The region of the task, its token secret and its logs.
    #[arg(long, env = "AWS_REGION", value_name = "REGION", help_heading = "Task")]
    pub region: Option<String>,

    /// rolehop's image [default: rolehop:VERSION in the task role's account's ECR].
    #[arg(
        long,
        env = "ROLEHOP_IMAGE",
        value_name = "IMAGE",
        help_heading = "Task"
    )]
    pub image: Option<String>,

    /// The app container's image [default: the AWS CLI, which prints the identity it gets].
    #[arg(
        long,
        env = "ROLEHOP_APP_IMAGE",
        value_name = "IMAGE",
        help_heading = "Task"
    )]
    pub app_image: Option<String>,

    /// How the app container gets rolehop's credentials.
    #[arg(
        long,
        env = "ROLEHOP_APP_WIRING",
        value_enum,
        default_value_t = AppWiring::Published,
        help_heading = "Task"
    )]
    pub app_wiring: AppWiring,

    /// Leave ECS Exec's statement (the ssmmessages channel actions) out of the task role's
    /// identity policy.
    #[arg(long, env = "ROLEHOP_NO_ECS_EXEC", help_heading = "Task")]
    pub no_ecs_exec: bool,

    /// The CPU architecture the task runs on (the task definition's runtimePlatform); rolehop's
    /// image is built for both.
    #[arg(
        long,
        env = "ROLEHOP_ARCH",
        value_name = "ARCH",
        default_value = "x86_64",
        help_heading = "Task"
    )]
    pub arch: crate::platform::Arch,

    /// The task definition family.
    #[arg(
        long,
        env = "ROLEHOP_FAMILY",
        value_name = "NAME",
        default_value = DEFAULT_FAMILY,
        help_heading = "Task"
    )]
    pub family: String,

    /// The Secrets Manager secret commands.sh creates (if missing) with a random token for the
    /// app and rolehop.
    #[arg(
        long,
        env = "ROLEHOP_TOKEN_SECRET_NAME",
        value_name = "NAME",
        default_value = DEFAULT_TOKEN_SECRET_NAME,
        help_heading = "Task"
    )]
    pub token_secret_name: String,

    /// Use this existing secret (in the task role's account and the region) as the token
    /// instead; commands.sh then creates none.
    #[arg(
        long,
        env = "ROLEHOP_TOKEN_SECRET_ARN",
        value_name = "ARN",
        conflicts_with = "token_secret_name",
        help_heading = "Task"
    )]
    pub token_secret_arn: Option<String>,

    /// The directory to write into (created if missing).
    #[arg(
        long,
        env = "ROLEHOP_SETUP_OUT",
        value_name = "DIR",
        help_heading = "Output"
    )]
    pub out: PathBuf,

    /// Overwrite files in --out that differ from what setup writes.
    #[arg(long, env = "ROLEHOP_SETUP_FORCE", help_heading = "Output")]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct MergePolicyArgs {
    /// The policy document the role has now.
    #[arg(long, value_name = "FILE")]
    pub current: PathBuf,

    /// The policy document whose statements the role needs.
    #[arg(long, value_name = "FILE")]
    pub add: PathBuf,

    /// What the document is, for the lines on stderr.
    #[arg(long, value_name = "TEXT", default_value = "the policy")]
    pub what: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_args_from_variables_read_them_as_the_flags_do() {
        let vars = [
            ("ROLEHOP_ROLE_ARN", "arn:aws:iam::555566667777:role/x"),
            ("ROLEHOP_TAGS", "Project=blue,Cost=42"),
            ("ROLEHOP_DURATION", "900"),
            ("ROLEHOP_EXTERNAL_ID", "Partner-7"),
        ];
        let var = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        let args = RoleArgs::from_vars(&var).unwrap();
        assert_eq!(
            args.role_arn.as_deref(),
            Some("arn:aws:iam::555566667777:role/x")
        );
        assert_eq!(args.tags, ["Project=blue", "Cost=42"]);
        assert_eq!(args.duration, Some(900));
        assert_eq!(
            args.external_id.as_ref().map(Secret::expose),
            Some("Partner-7")
        );
        assert_eq!(args.config, None);
        let bad = |name: &str| (name == "ROLEHOP_DURATION").then(|| "soon".to_owned());
        assert!(RoleArgs::from_vars(&bad).is_err());
    }

    /// Splits a shell line on blanks outside double quotes, dropping the quotes.
    fn words(line: &str) -> Vec<String> {
        let (mut out, mut word, mut quoted) = (Vec::new(), String::new(), false);
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                c if c.is_whitespace() && !quoted => {
                    if !word.is_empty() {
                        out.push(std::mem::take(&mut word));
                    }
                }
                c => word.push(c),
            }
        }
        out.extend((!word.is_empty()).then_some(word));
        out
    }

    /// Each rolehop command line of every subcommand's examples: (subcommand, what precedes
    /// `rolehop` on the line, argv).
    fn help_examples() -> Vec<(String, String, Vec<String>)> {
        use clap::CommandFactory;
        let mut out = Vec::new();
        for sub in Cli::command().get_subcommands() {
            let help = sub
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            for line in help.lines().skip(1).map(str::trim) {
                let line = match serde_json::from_str::<Vec<String>>(line) {
                    // An ECS healthCheck command: ["CMD", "/rolehop", ...].
                    Ok(cmd) => cmd[1..].join(" ").replacen("/rolehop", "rolehop", 1),
                    Err(_) => line.to_owned(),
                };
                let line = line.strip_prefix("credential_process = ").unwrap_or(&line);
                let line = line
                    .strip_prefix("eval \"$(")
                    .map_or(line, |l| l.trim_end_matches(")\""));
                // A trailing `  (comment)` or `&& next command` is not rolehop's.
                let line = line
                    .split("  (")
                    .next()
                    .unwrap()
                    .split(" && ")
                    .next()
                    .unwrap();
                let Some(at) = line.find("rolehop ") else {
                    continue;
                };
                out.push((
                    sub.get_name().to_owned(),
                    line[..at].to_owned(),
                    words(&line[at..]),
                ));
            }
        }
        out
    }

    #[test]
    fn every_help_example_is_accepted_as_written() {
        let examples = help_examples();
        let subs: std::collections::BTreeSet<&str> =
            examples.iter().map(|(s, _, _)| s.as_str()).collect();
        let all = <Cli as clap::CommandFactory>::command()
            .get_subcommands()
            .count();
        assert_eq!(subs.len(), all, "every subcommand has an example: {subs:?}");
        for (sub, prefix, argv) in &examples {
            let cli = Cli::try_parse_from(argv)
                .unwrap_or_else(|e| panic!("{sub}: {argv:?} does not parse: {e}"));
            match cli.command {
                // The region must be on the line: the reader's environment may have none.
                Command::Setup(args) => {
                    assert!(argv.iter().any(|a| a == "--region"), "{argv:?}");
                    if let Err(e) = crate::setup::Setup::from_args(&args) {
                        panic!("{argv:?} is refused: {e:?}");
                    }
                }
                // Run outside a task (variables before it), serve needs AWS_REGION too.
                Command::Serve(_) if !prefix.is_empty() => {
                    assert!(prefix.contains("AWS_REGION="), "{prefix}{argv:?}")
                }
                _ => {}
            }
        }
    }
}
