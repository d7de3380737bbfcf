//! `rolehop setup`: writes the whole cross-account setup (the seeds' three manual steps plus
//! ECS's own service roles) as files, and proves them with `check`'s offline engine before a
//! single byte is written.
//!
//! The layout is a chain: the task role in the source account (A) assumes hop 1, hop 1 assumes
//! hop 2, and so on; the last hop is the destination. For hop N the trust policy (attached to
//! hop N, in hop N's account) trusts exactly hop N-1's role ARN, and the identity policy
//! (attached to hop N-1's role, in hop N-1's account) allows `sts:AssumeRole` on hop N. Hop 1's
//! pair keeps the plain names (`trust-policy.json`, `identity-policy.json`); later hops add
//! `-hopN`. `docs/SETUP.md` describes every file.
//!
//! [`Setup::from_args`] validates the flags (every problem at once, one sentence each),
//! [`Setup::files`] renders the files, [`verify`] runs them through [`crate::check`], and
//! `cmd/setup.rs` writes them.

pub mod cloudformation;
pub mod commands;
pub mod image;
pub mod logs;
pub mod merge;
pub mod policies;
pub mod preflight;
pub mod shell;
pub mod task;

use crate::arn::RoleArn;
use crate::check::findings::{Finding, FindingId, Status};
use crate::check::role_policies::RolePolicies;
use crate::check::service_role::ServiceRoleKind;
use crate::check::{self, Inputs, ecs};
use crate::cli::{AppWiring, SetupArgs};
use crate::session::{self, SessionOptions, Tag};

/// The execution role's name when none is given (the name the ECS console uses).
pub const DEFAULT_EXECUTION_ROLE_NAME: &str = "ecsTaskExecutionRole";
/// The app container's image when none is given: the AWS CLI, which proves the wiring.
pub const DEFAULT_APP_IMAGE: &str = "public.ecr.aws/aws-cli/aws-cli:latest";
/// Where rolehop listens in the task (loopback: the SDKs accept plain http only there).
pub const LISTEN: &str = crate::cli::DEFAULT_LISTEN;

/// One of ECS's own service roles (REFERENCE 8) that `setup` creates in the source account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRole {
    /// `execution`, `infrastructure`, `load-balancer`, `codedeploy`: names its files.
    pub file_stem: &'static str,
    /// Its kind, which names the service it trusts.
    pub kind: ServiceRoleKind,
    pub arn: RoleArn,
    /// Managed policies to attach (full ARNs).
    pub managed_policies: Vec<String>,
    /// An inline policy the role gets: (policy name, file name).
    pub inline_policy: Option<(&'static str, String)>,
}

/// Where the clients' token comes from: a Secrets Manager secret in the source account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSecret {
    /// `commands.sh` creates it (if missing) under this name.
    Create { name: String },
    /// An existing secret's ARN; `commands.sh` leaves it alone.
    Existing { arn: String },
}

/// A validated `rolehop setup` invocation.
#[derive(Debug, Clone)]
pub struct Setup {
    pub source_role: RoleArn,
    /// The chain, in order; the last is the destination.
    pub hops: Vec<RoleArn>,
    pub external_id: Option<String>,
    /// Trust policies allow `sts:TagSession` (implied by `tags`).
    pub session_tags: bool,
    pub tags: Vec<Tag>,
    pub source_identity: Option<String>,
    pub region: String,
    pub image: String,
    pub app_image: String,
    pub family: String,
    /// The CPU architecture of the task (`runtimePlatform`).
    pub arch: crate::platform::Arch,
    pub execution_role: RoleArn,
    /// ECS service roles to create, the execution role first when asked for.
    pub service_roles: Vec<ServiceRole>,
    pub token_secret: TokenSecret,
    /// Per-container roles (`--container`): the app containers' names, one per hop, each hop
    /// assumed from the task role and served to that container only. Empty for a chain.
    pub containers: Vec<String>,
    /// How the app containers reach rolehop.
    pub app_wiring: AppWiring,
    /// The task role's identity policy carries ECS Exec's statement (not `--no-ecs-exec`).
    pub ecs_exec: bool,
}

/// A role ARN flag, or its problem in `check`'s words (with the corrected ARN when clear).
fn role_arn_flag(flag: &str, raw: &str, errors: &mut Vec<String>) -> Option<RoleArn> {
    match check::arns::role_arn_problem(raw) {
        Some(problem) => {
            errors.push(format!("{flag}: {problem}"));
            None
        }
        None => raw.parse().ok(),
    }
}

fn region_problem(region: &str) -> Option<String> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit());
    (!ok).then(|| {
        format!(
            "--region `{region}` is not an AWS region name; use one like us-east-1 or eu-west-2"
        )
    })
}

/// Secrets Manager's rule for a secret's name (an ARN's last field adds `-` and six
/// characters of the same set, so the bound is loose there).
fn secret_name_problem(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name.len() <= 256
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
    (!ok).then(|| format!("--token-secret-name `{name}` is not a Secrets Manager secret name; use 1 to 256 letters, digits and / _ + = . @ -"))
}

fn secret_arn_problem(arn: &str, partition: &str, account: &str) -> Option<String> {
    let f: Vec<&str> = arn.splitn(7, ':').collect();
    let well_formed = f.len() == 7
        && f[0] == "arn"
        && f[2] == "secretsmanager"
        && region_problem(f[3]).is_none()
        && f[5] == "secret"
        && secret_name_problem(f[6]).is_none();
    if !well_formed {
        return Some(format!(
            "--token-secret-arn `{arn}` is not a Secrets Manager secret ARN; it looks like arn:aws:secretsmanager:us-east-1:111122223333:secret:rolehop/token-AbCdEf"
        ));
    }
    if f[1] != partition || f[4] != account {
        return Some(format!(
            "--token-secret-arn `{arn}` is not in the source account {account}; the task's execution role reads it there, so create the secret in that account (or leave the flag out and let commands.sh create one)"
        ));
    }
    None
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// `--container NAME=ARN` flags as (name, ARN), each name a valid container name, distinct and
/// not the sidecar's.
fn container_flags(args: &SetupArgs, errors: &mut Vec<String>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for raw in &args.containers {
        let Some((name, arn)) = raw.split_once('=') else {
            errors.push(format!("--container `{raw}` is not NAME=ROLE_ARN; use one like web=arn:aws:iam::555566667777:role/orders"));
            continue;
        };
        let (name, arn) = (name.trim(), arn.trim());
        if name.is_empty() || name.len() > 255 || !name.chars().all(is_name_char) {
            errors.push(format!("--container `{raw}`: `{name}` is not a container name; use 1 to 255 letters, digits, _ and -"));
        } else if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            errors.push(format!("--container `{raw}`: `{name}` does not start with a letter, and commands.sh names a shell function after it; start it with a letter"));
        } else if let Some(word) = shell::reserved_section(name) {
            errors.push(format!("--container `{raw}`: `{name}` is commands.sh's own `{word}` section; name the app container something else"));
        } else if name == task::SIDECAR {
            errors.push(format!("--container `{raw}`: {name} is the sidecar's own name; name the app container something else"));
        } else if let Some((other, _)) = out.iter().find(|(n, _)| {
            format!("{n}-external-id") == name || format!("{name}-external-id") == *n
        }) {
            errors.push(format!("--container {name} and {other}: the token secret of one would be the external id secret of the other; rename one of them"));
        } else if out.iter().any(|(n, _)| n == name) {
            errors.push(format!(
                "--container {name} appears twice; give each app container once"
            ));
        } else if let Some((other, _)) = out
            .iter()
            .find(|(n, _)| task::token_env(n) == task::token_env(name))
        {
            errors.push(format!(
                "--container {name} and {other} would both read rolehop's {}; rename one of them",
                task::token_env(name)
            ));
        }
        out.push((name.to_owned(), arn.to_owned()));
    }
    out
}

/// The task role and the hops, each a valid and distinct role ARN, with the per-container
/// names when `--container` is given; `None` after reporting why not.
fn chain_flags(
    args: &SetupArgs,
    errors: &mut Vec<String>,
) -> Option<(RoleArn, Vec<RoleArn>, Vec<String>)> {
    let source_role = role_arn_flag("--source-role-arn", &args.source_role_arn, errors);
    let containers = container_flags(args, errors);
    let (flag, raws): (&str, Vec<String>) = if containers.is_empty() {
        ("--role-arn", args.role_arns.clone())
    } else {
        (
            "--container",
            containers.iter().map(|(_, arn)| arn.clone()).collect(),
        )
    };
    let hops: Vec<Option<RoleArn>> = raws
        .iter()
        .map(|raw| role_arn_flag(flag, raw, errors))
        .collect();
    if raws.is_empty() {
        errors.push("--role-arn is required: the role to assume in the destination account (repeat it, in order, for a chain; or give --container NAME=ROLE_ARN per app container)".into());
    }
    if !containers.is_empty() && !args.role_arns.is_empty() {
        errors.push("--role-arn and --container do not go together; give each app container its role with --container NAME=ROLE_ARN".into());
    }
    let mut seen: Vec<&str> = vec![args.source_role_arn.as_str()];
    for raw in &raws {
        if seen.contains(&raw.as_str()) {
            errors.push(format!("{raw} appears twice among --source-role-arn and {flag}; each must be a different role"));
        }
        seen.push(raw);
    }
    let hops: Option<Vec<RoleArn>> = hops.into_iter().collect();
    let names = containers.into_iter().map(|(name, _)| name).collect();
    Some((source_role?, hops?, names))
}

/// The external id, session tags and source identity every hop is assumed with.
fn session_options(args: &SetupArgs, errors: &mut Vec<String>) -> SessionOptions {
    if let Some(id) = &args.external_id
        && let Err(e) = session::validate_external_id(id)
    {
        errors.push(format!("--external-id: {e}"));
    }
    let mut options = SessionOptions {
        source_identity: args.source_identity.clone(),
        ..SessionOptions::default()
    };
    for raw in &args.tags {
        match session::parse_tag(raw) {
            Ok(tag) => options.tags.push(tag),
            Err(e) => errors.push(format!("--tag: {e}")),
        }
    }
    errors.extend(options.problems());
    options
}

/// The task's region (empty when missing, after reporting it), family and images.
fn task_flags(args: &SetupArgs, errors: &mut Vec<String>) -> String {
    let region = match args.region.as_deref() {
        None => {
            errors.push("no region: give --region (or set AWS_REGION), the region the task, its secret and its logs live in".into());
            String::new()
        }
        Some(r) => {
            errors.extend(region_problem(r).or_else(|| crate::regions::typo("--region", r)));
            r.to_owned()
        }
    };
    if args.family.is_empty() || args.family.len() > 255 || !args.family.chars().all(is_name_char) {
        errors.push(format!(
            "--family `{}` is not a task definition family; use 1 to 255 letters, digits, _ and -",
            args.family
        ));
    }
    for (flag, image) in [("--image", &args.image), ("--app-image", &args.app_image)] {
        if let Some(image) = image
            && (image.is_empty() || image.chars().any(|c| c.is_whitespace()))
        {
            errors.push(format!("{flag} `{image}` is not a container image reference; use one like 111122223333.dkr.ecr.us-east-1.amazonaws.com/rolehop:0.1.0"));
        }
    }
    region
}

/// The task execution role: given, or the console's default name in the task role's account.
fn execution_role(
    args: &SetupArgs,
    source_role: &RoleArn,
    errors: &mut Vec<String>,
) -> Option<RoleArn> {
    let (partition, account) = (source_role.partition(), source_role.account_id());
    let execution_role = match &args.execution_role_arn {
        Some(raw) => role_arn_flag("--execution-role-arn", raw, errors),
        None => format!("arn:{partition}:iam::{account}:role/{DEFAULT_EXECUTION_ROLE_NAME}")
            .parse()
            .ok(),
    }?;
    if execution_role.account_id() != account {
        errors.push(format!("--execution-role-arn {execution_role} is not in the task role's account {account}; a task definition's execution role lives in its own account"));
    }
    if execution_role == *source_role {
        errors.push("--execution-role-arn is the task role itself; give the task execution role (it pulls the image and reads the token secret)".into());
    }
    Some(execution_role)
}

/// The token secret: an existing one, or the one commands.sh creates.
fn token_secret(
    args: &SetupArgs,
    partition: &str,
    account: &str,
    errors: &mut Vec<String>,
) -> TokenSecret {
    match &args.token_secret_arn {
        Some(arn) => {
            errors.extend(secret_arn_problem(arn, partition, account));
            TokenSecret::Existing { arn: arn.clone() }
        }
        None => {
            errors.extend(secret_name_problem(&args.token_secret_name));
            TokenSecret::Create {
                name: args.token_secret_name.clone(),
            }
        }
    }
}

/// The ECS service roles asked for (`--ecs-roles` and the single-role flags).
fn service_roles(
    args: &SetupArgs,
    partition: &str,
    account: &str,
    execution_role: &RoleArn,
) -> Vec<ServiceRole> {
    let role = |name: &str| -> RoleArn {
        format!("arn:{partition}:iam::{account}:role/{name}")
            .parse()
            .expect("a valid name")
    };
    let managed = |path: &str| format!("arn:{partition}:iam::aws:policy/{path}");
    let ecs_roles = args.ecs_roles
        || args.infrastructure_role
        || args.load_balancer_role
        || args.codedeploy_role;
    let mut service_roles = Vec::new();
    if ecs_roles {
        service_roles.push(ServiceRole {
            file_stem: "execution",
            kind: ServiceRoleKind::Execution,
            arn: execution_role.clone(),
            managed_policies: vec![managed("service-role/AmazonECSTaskExecutionRolePolicy")],
            inline_policy: None,
        });
    }
    if args.infrastructure_role {
        service_roles.push(ServiceRole {
            file_stem: "infrastructure",
            kind: ServiceRoleKind::Infrastructure,
            arn: role("ecsInfrastructureRole"),
            managed_policies: vec![
                managed("service-role/AmazonECSInfrastructureRolePolicyForVolumes"),
                managed("service-role/AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity"),
                managed("AmazonECSInfrastructureRolePolicyForVpcLattice"),
            ],
            inline_policy: None,
        });
    }
    if args.load_balancer_role {
        service_roles.push(ServiceRole {
            file_stem: "load-balancer",
            kind: ServiceRoleKind::Infrastructure,
            arn: role("ecsInfrastructureRoleForLoadBalancers"),
            managed_policies: vec![managed("AmazonECSInfrastructureRolePolicyForLoadBalancers")],
            inline_policy: None,
        });
    }
    if args.codedeploy_role {
        service_roles.push(ServiceRole {
            file_stem: "codedeploy",
            kind: ServiceRoleKind::CodeDeploy,
            arn: role("ecsCodeDeployRole"),
            managed_policies: vec![managed("AWSCodeDeployRoleForECS")],
            inline_policy: Some((
                "rolehop-pass-task-roles",
                "codedeploy-role-policy.json".into(),
            )),
        });
    }
    service_roles
}

impl Setup {
    /// Validates the flags; every problem is reported, one sentence each.
    pub fn from_args(args: &SetupArgs) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        let chain = chain_flags(args, &mut errors);
        let options = session_options(args, &mut errors);
        let region = task_flags(args, &mut errors);
        let Some((source_role, hops, containers)) = chain else {
            return Err(errors);
        };
        let partition = source_role.partition().to_owned();
        let account = source_role.account_id().to_owned();
        for hop in &hops {
            if hop.partition() != partition {
                errors.push(format!("{hop} is in partition {}, the task role in {partition}; a chain cannot cross partitions", hop.partition()));
            }
        }
        let Some(execution_role) = execution_role(args, &source_role, &mut errors) else {
            return Err(errors);
        };
        let token_secret = token_secret(args, &partition, &account, &mut errors);
        if !containers.is_empty() && args.external_id.is_some() {
            errors.push("--external-id is one value in the task definition's text, and --container gives each app container's role its own random external id, kept in a secret only rolehop's container reads; leave --external-id out".into());
        }
        if !containers.is_empty() && matches!(token_secret, TokenSecret::Existing { .. }) {
            errors.push("--token-secret-arn is one token, and --container gives each app container its own; leave --token-secret-arn out (commands.sh creates one secret per container, named after --token-secret-name)".into());
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let service_roles = service_roles(args, &partition, &account, &execution_role);
        let image = args.image.clone().unwrap_or_else(|| {
            format!(
                "{account}.dkr.ecr.{region}.amazonaws.com/rolehop:{}",
                env!("CARGO_PKG_VERSION")
            )
        });
        Ok(Setup {
            source_role,
            hops,
            external_id: args.external_id.clone(),
            session_tags: args.session_tags || !options.tags.is_empty(),
            tags: options.tags,
            source_identity: args.source_identity.clone(),
            region,
            image,
            app_image: args
                .app_image
                .clone()
                .unwrap_or_else(|| DEFAULT_APP_IMAGE.into()),
            family: args.family.clone(),
            arch: args.arch,
            execution_role,
            service_roles,
            token_secret,
            containers,
            app_wiring: args.app_wiring,
            ecs_exec: !args.no_ecs_exec,
        })
    }

    pub fn partition(&self) -> &str {
        self.source_role.partition()
    }

    pub fn account(&self) -> &str {
        self.source_role.account_id()
    }

    pub fn destination(&self) -> &RoleArn {
        self.hops.last().expect("at least one hop")
    }

    /// The role hop `index` (0-based) is assumed from.
    pub fn caller_of(&self, index: usize) -> &RoleArn {
        if index == 0 || self.per_container() {
            &self.source_role
        } else {
            &self.hops[index - 1]
        }
    }

    /// The token secret as the task definition references it (`valueFrom`).
    pub fn token_secret_arn(&self) -> String {
        match &self.token_secret {
            TokenSecret::Existing { arn } => arn.clone(),
            TokenSecret::Create { name } => format!(
                "arn:{}:secretsmanager:{}:{}:secret:{name}",
                self.partition(),
                self.region,
                self.account()
            ),
        }
    }

    /// Whether each app container gets its own role (`--container`) rather than a chain.
    pub fn per_container(&self) -> bool {
        !self.containers.is_empty()
    }

    /// App container `index`'s own token secret: `--token-secret-name` then `-NAME`.
    pub fn container_secret_name(&self, index: usize) -> String {
        match &self.token_secret {
            TokenSecret::Create { name } => format!("{name}-{}", self.containers[index]),
            TokenSecret::Existing { arn } => arn.clone(),
        }
    }

    /// App container `index`'s token secret as the task definition references it.
    pub fn container_secret_arn(&self, index: usize) -> String {
        format!(
            "arn:{}:secretsmanager:{}:{}:secret:{}",
            self.partition(),
            self.region,
            self.account(),
            self.container_secret_name(index)
        )
    }

    /// App container `index`'s external id secret: `--token-secret-name`, `-NAME`, then
    /// `-external-id`. `commands.sh` creates it once with a random value; ECS injects it into
    /// rolehop's container only, as [`task::external_id_env`].
    pub fn external_id_secret_name(&self, index: usize) -> String {
        format!("{}-external-id", self.container_secret_name(index))
    }

    /// App container `index`'s external id secret as the task definition references it.
    pub fn external_id_secret_arn(&self, index: usize) -> String {
        format!(
            "arn:{}:secretsmanager:{}:{}:secret:{}",
            self.partition(),
            self.region,
            self.account(),
            self.external_id_secret_name(index)
        )
    }

    /// The external id hop `index`'s trust policy requires, as the files hold it: `--external-id`
    /// for a chain; for per-container roles a placeholder naming the secret, which
    /// `commands.sh` replaces with the secret's value when it puts the trust policy on the role
    /// (the value is in no file setup writes).
    pub fn trust_external_id(&self, index: usize) -> Option<String> {
        if self.per_container() {
            Some(format!(
                "{}{}",
                policies::EXTERNAL_ID_PLACEHOLDER,
                self.external_id_secret_name(index)
            ))
        } else {
            self.external_id.clone()
        }
    }

    /// Whether `commands.sh` creates the execution role (else it must exist).
    pub fn creates_execution_role(&self) -> bool {
        self.service_roles
            .iter()
            .any(|r| r.file_stem == "execution")
    }

    /// Every file `setup` writes, in the order `commands.sh` uses them.
    pub fn files(&self) -> Vec<File> {
        let mut out = Vec::new();
        for (i, hop) in self.hops.iter().enumerate() {
            out.push(File::json(
                policies::identity_file(i),
                &policies::hop_identity_policy(self, i, hop),
            ));
            out.push(File::json(
                policies::trust_file(i),
                &policies::trust_policy(self, self.caller_of(i), self.trust_external_id(i)),
            ));
        }
        out.push(File::json(
            policies::TASK_ROLE_TRUST_FILE.into(),
            &policies::service_trust_policy(self, ServiceRoleKind::Task.service_principal()),
        ));
        out.push(File::json(
            policies::EXECUTION_ROLE_POLICY_FILE.into(),
            &policies::read_token_policy(self),
        ));
        out.push(File::json(
            logs::LOGS_POLICY_FILE.into(),
            &logs::create_log_group_policy(self),
        ));
        for role in &self.service_roles {
            out.push(File::json(
                policies::service_trust_file(role),
                &policies::service_trust_policy(self, role.kind.service_principal()),
            ));
            if let Some((_, file)) = &role.inline_policy {
                out.push(File::json(file.clone(), &policies::pass_role_policy(self)));
            }
        }
        out.push(File::json(
            task::TASK_DEFINITION_FILE.into(),
            &task::task_definition(self),
        ));
        out.push(File {
            name: task::AWS_CONFIG_FILE.into(),
            contents: task::aws_config(self),
        });
        for (name, template) in cloudformation::templates(self) {
            out.push(File::json(name, &template));
        }
        out.push(File {
            name: commands::FILE.into(),
            contents: commands::script(self),
        });
        out
    }
}

/// A file `setup` writes into `--out`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub name: String,
    pub contents: String,
}

impl File {
    fn json(name: String, value: &serde_json::Value) -> Self {
        let mut contents = serde_json::to_string_pretty(value).expect("plain values serialise");
        contents.push('\n');
        Self { name, contents }
    }
}

fn text<'a>(files: &'a [File], name: &str) -> &'a str {
    files
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.contents.as_str())
        .unwrap_or_default()
}

/// Every finding the offline `check` engine reports on the generated files.
pub fn findings(setup: &Setup, files: &[File]) -> Vec<Finding> {
    let mut out = Vec::new();
    let named = |name: String| (name.clone(), text(files, &name).to_owned());
    let mut managed: Vec<String> = setup
        .service_roles
        .iter()
        .flat_map(|r| r.managed_policies.clone())
        .collect();
    for (i, hop) in setup.hops.iter().enumerate() {
        let inputs = Inputs {
            trust_policy: Some(named(policies::trust_file(i))),
            identity_policies: vec![named(policies::identity_file(i))],
            role_arn: Some(hop.to_string()),
            source_role_arn: Some(setup.caller_of(i).to_string()),
            external_id: setup
                .trust_external_id(i)
                .map(crate::credentials::Secret::new),
            session_tags: setup.session_tags,
            source_identity: setup.source_identity.is_some(),
            managed_policy_arns: std::mem::take(&mut managed),
            ..Inputs::default()
        };
        out.extend(check::run(&inputs).findings);
    }
    out.extend(ecs::service_role_trust(
        ServiceRoleKind::Task,
        policies::TASK_ROLE_TRUST_FILE,
        text(files, policies::TASK_ROLE_TRUST_FILE),
    ));
    let execution_files = [policies::EXECUTION_ROLE_POLICY_FILE, logs::LOGS_POLICY_FILE];
    let mut permission_files: Vec<String> = execution_files.map(str::to_owned).to_vec();
    for role in &setup.service_roles {
        let file = policies::service_trust_file(role);
        out.extend(ecs::service_role_trust(
            role.kind,
            &file,
            text(files, &file),
        ));
        permission_files.extend(role.inline_policy.iter().map(|(_, f)| f.clone()));
    }
    for file in permission_files {
        let inputs = Inputs {
            identity_policies: vec![named(file)],
            ..Inputs::default()
        };
        out.extend(
            check::run(&inputs)
                .findings
                .into_iter()
                // These grant no AssumeRole; the check that asks for one does not apply.
                .filter(|f| f.id != FindingId::IdentityAssumeRole),
        );
    }
    out.extend(ecs::task_definition(
        task::TASK_DEFINITION_FILE,
        text(files, task::TASK_DEFINITION_FILE),
    ));
    // Per-container roles hold against the app containers: each trust policy file requires an
    // external id (its placeholder, which commands.sh fills in) only rolehop receives.
    let trusts: Vec<(String, check::File)> = setup
        .hops
        .iter()
        .enumerate()
        .map(|(i, hop)| (hop.to_string(), named(policies::trust_file(i))))
        .collect();
    out.extend(check::isolation::task_definition(
        task::TASK_DEFINITION_FILE,
        text(files, task::TASK_DEFINITION_FILE),
        &trusts,
        true,
    ));
    // The task role's own policy holds ECS Exec's statement (the first identity policy is
    // put on the task role); without it that check stays unknown.
    let task_role_policies: Vec<check::File> = if setup.ecs_exec {
        vec![named(policies::identity_file(0))]
    } else {
        Vec::new()
    };
    out.extend(check::ecs_exec::task_definition(
        task::TASK_DEFINITION_FILE,
        text(files, task::TASK_DEFINITION_FILE),
        &RolePolicies::given("--identity-policy", task_role_policies),
        &check::ecs_exec::Asked::default(),
    ));
    out.extend(check::logs::execution_role_permissions(
        task::TASK_DEFINITION_FILE,
        text(files, task::TASK_DEFINITION_FILE),
        &RolePolicies::given(
            "--execution-role-policy",
            execution_files.map(|f| named(f.to_owned())).to_vec(),
        ),
    ));
    out
}

/// The generated files pass `check` (no failure, no warning) and rolehop reads its own
/// configuration in them; otherwise one sentence per problem.
pub fn verify(setup: &Setup, files: &[File]) -> Result<(), Vec<String>> {
    let mut problems: Vec<String> = findings(setup, files)
        .into_iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Warn))
        .map(|f| {
            format!(
                "the generated setup does not pass rolehop check ({} {}): {}",
                f.id,
                if f.status == Status::Fail {
                    "fails"
                } else {
                    "warns"
                },
                f.message
            )
        })
        .collect();
    problems.extend(task::rolehop_config_problems(setup, files));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests;
