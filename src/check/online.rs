//! `rolehop check` online, for the on-call engineer in an ECS Exec shell: the same roles as
//! `serve` (flags, environment or config file), probed for real. The environment traps first
//! (no network), then the source identity, then a real AssumeRole (900 s) and GetCallerIdentity
//! per role and hop, then whatever policies IAM lets these credentials read (the trust policy,
//! the calling role's inline and attached managed policies and its boundary) and the SCPs of
//! the caller's account that Organizations shows, fed to the one evaluator with the session
//! before each hop as its principal. What cannot be read is
//! `unknown`, with the reason, never `pass`. STS's own answer outranks the model: a call that
//! succeeded is `allowed`, and a model that says otherwise only warns.

use std::collections::BTreeMap;

use aws_config::SdkConfig;

use super::findings::{Finding, Status, Verdict};
use super::{File, Inputs, run as run_offline};
use crate::chain::{self, Hop};
use crate::config::{RoleConfig, RoleSource};
use crate::credentials::{Credentials, Secret};
use crate::source::{self, Source, SourceKind};

/// The probe asks STS for the shortest session it grants.
pub const PROBE_DURATION_SECS: u32 = 900;

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
                "env.relative-uri",
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
            "env.full-uri-host",
            Status::Warn,
            format!("{} uses host {host} over plain http: current SDKs accept it, but boto3 1.28 (2023) takes only 127.0.0.1, localhost and 169.254.170.2, and the JavaScript SDK 3.350 (2023) only 127.0.0.1 and localhost (docs/SDKS.md); use http://127.0.0.1 for every SDK", source::ENV_FULL_URI),
        ));
    }
    let imds_local = env("AWS_EC2_METADATA_SERVICE_ENDPOINT").is_some_and(|v| {
        v.contains("://127.") || v.contains("://localhost") || v.contains("://[::1]")
    });
    if imds_local || env("ROLEHOP_IMDS_LISTEN").is_some_and(|v| !v.is_empty()) {
        out.push(Finding::new(
            "env.imds",
            Status::Warn,
            "rolehop's IMDS endpoint is in use: it serves its role to any process of the task that can reach it, without rolehop's token (IMDSv2 session tokens are free to get); prefer the token-guarded credentials endpoint or credential_process where the tools allow".into(),
        ));
    }
    if let Some(full) = &full
        && let Err(e) = SourceKind::detect(&|k| (k == source::ENV_FULL_URI).then(|| full.clone()))
    {
        out.push(Finding::new("env.full-uri", Status::Fail, e));
    }
    if env("AWS_ACCESS_KEY_ID").is_some_and(|v| !v.is_empty()) {
        out.push(Finding::new(
            "env.static-keys",
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
                "env.token-file",
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

#[cfg_attr(not(feature = "iam"), allow(dead_code))]
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// IAM returns policy documents URL-encoded.
#[cfg_attr(not(feature = "iam"), allow(dead_code))]
fn policy_text(raw: &str) -> String {
    if raw.trim_start().starts_with('{') {
        raw.to_owned()
    } else {
        percent_decode(raw)
    }
}

/// `arn:aws:sts::A:assumed-role/NAME/SESSION` → `arn:aws:iam::A:role/NAME` (path unknown).
pub fn role_of_session(arn: &str) -> Option<String> {
    let f: Vec<&str> = arn.splitn(6, ':').collect();
    let rest = f.get(5)?.strip_prefix("assumed-role/")?;
    let name = rest.split('/').next()?;
    Some(format!("arn:{}:iam::{}:role/{name}", f.get(1)?, f.get(4)?))
}

async fn whoami(sdk: &SdkConfig, creds: &Credentials) -> Result<String, String> {
    // chain's STS client: its timeouts bound the probe as they bound serve's calls.
    chain::sts_client(&chain::sts_config(sdk), creds)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| aws_smithy_types::error::display::DisplayErrorContext(&e).to_string())
        .map(|o| o.arn.unwrap_or_default())
}

#[cfg(feature = "iam")]
fn iam(sdk: &SdkConfig, creds: &Credentials) -> aws_sdk_iam::Client {
    let config = aws_sdk_iam::config::Builder::from(sdk)
        .credentials_provider(creds.to_sdk("rolehop-check"))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

#[cfg(feature = "iam")]
fn sdk_error<
    E: std::error::Error + aws_smithy_types::error::metadata::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
>(
    e: &aws_sdk_iam::error::SdkError<E, R>,
) -> String {
    match e {
        aws_sdk_iam::error::SdkError::ServiceError(s) => {
            let meta = aws_smithy_types::error::metadata::ProvideErrorMetadata::meta(s.err());
            meta.code().unwrap_or("Error").to_owned()
        }
        other => aws_smithy_types::error::display::DisplayErrorContext(other).to_string(),
    }
}

/// What `iam:GetRole` tells about a role.
#[derive(Debug, Clone)]
struct RoleInfo {
    trust: String,
    max_session_duration: Option<i32>,
    /// With its path, as `aws:PrincipalArn` holds it.
    arn: String,
    boundary_arn: Option<String>,
}

#[cfg(feature = "iam")]
/// A role's trust policy, MaxSessionDuration, ARN and boundary, read with the first credentials
/// allowed to.
async fn read_role(
    sdk: &SdkConfig,
    name: &str,
    tries: &[(&str, &Credentials)],
) -> Result<RoleInfo, String> {
    let mut refusals = Vec::new();
    for (who, creds) in tries {
        match iam(sdk, creds).get_role().role_name(name).send().await {
            Ok(out) => {
                let role = out.role.ok_or("GetRole returned no role")?;
                let trust = role
                    .assume_role_policy_document
                    .map(|d| policy_text(&d))
                    .ok_or("the role has no trust policy")?;
                return Ok(RoleInfo {
                    trust,
                    max_session_duration: role.max_session_duration,
                    arn: role.arn,
                    boundary_arn: role
                        .permissions_boundary
                        .and_then(|b| b.permissions_boundary_arn),
                });
            }
            Err(e) => refusals.push(format!(
                "iam:GetRole with the {who} credentials: {}",
                sdk_error(&e)
            )),
        }
    }
    Err(refusals.join("; "))
}

#[cfg(feature = "iam")]
/// A managed policy's default version.
async fn read_managed(client: &aws_sdk_iam::Client, arn: &str) -> Result<String, String> {
    let meta = client
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| format!("iam:GetPolicy {arn}: {}", sdk_error(&e)))?;
    let version = meta
        .policy
        .and_then(|p| p.default_version_id)
        .unwrap_or_else(|| "v1".into());
    let doc = client
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .map_err(|e| format!("iam:GetPolicyVersion {arn}: {}", sdk_error(&e)))?;
    doc.policy_version
        .and_then(|v| v.document)
        .map(|d| policy_text(&d))
        .ok_or_else(|| format!("iam:GetPolicyVersion {arn} returned no document"))
}

#[cfg(feature = "iam")]
async fn read_boundary(sdk: &SdkConfig, creds: &Credentials, arn: &str) -> Result<String, String> {
    read_managed(&iam(sdk, creds), arn).await
}

#[cfg(feature = "iam")]
/// The source role's inline and attached managed policies, one file each.
async fn read_identity_policies(
    sdk: &SdkConfig,
    creds: &Credentials,
    role_name: &str,
) -> Result<Vec<File>, String> {
    let client = iam(sdk, creds);
    let mut files = Vec::new();
    let inline = client
        .list_role_policies()
        .role_name(role_name)
        .send()
        .await
        .map_err(|e| format!("iam:ListRolePolicies: {}", sdk_error(&e)))?;
    for name in inline.policy_names {
        let p = client
            .get_role_policy()
            .role_name(role_name)
            .policy_name(&name)
            .send()
            .await
            .map_err(|e| format!("iam:GetRolePolicy {name}: {}", sdk_error(&e)))?;
        files.push((
            format!("inline policy {name} of {role_name}"),
            policy_text(&p.policy_document),
        ));
    }
    let attached = client
        .list_attached_role_policies()
        .role_name(role_name)
        .send()
        .await
        .map_err(|e| format!("iam:ListAttachedRolePolicies: {}", sdk_error(&e)))?;
    for policy in attached.attached_policies.unwrap_or_default() {
        let Some(arn) = policy.policy_arn else {
            continue;
        };
        files.push((
            format!("managed policy {arn}"),
            read_managed(&client, &arn).await?,
        ));
    }
    Ok(files)
}

/// What Organizations says about the SCPs of an account.
#[cfg_attr(not(feature = "iam"), allow(dead_code))]
enum Scps {
    /// One level per step of the account's path, the root first and the account last.
    Levels(Vec<File>),
    /// The account is in no organization, so no SCP applies.
    NoOrganization,
    /// A call was refused or failed: why.
    Unread(String),
}

#[cfg(feature = "iam")]
fn organizations(sdk: &SdkConfig, creds: &Credentials) -> aws_sdk_organizations::Client {
    // STS's bounds (no retries, connect and attempt timeouts): a refusal answers fast, and a
    // silent endpoint does not hold the check.
    let config = aws_sdk_organizations::config::Builder::from(sdk)
        .credentials_provider(creds.to_sdk("rolehop-check"))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(chain::STS_CONNECT_TIMEOUT)
                .operation_attempt_timeout(chain::STS_ATTEMPT_TIMEOUT)
                .build(),
        )
        .build();
    aws_sdk_organizations::Client::from_conf(config)
}

#[cfg(feature = "iam")]
/// The SCPs of `account` through Organizations, with `creds`: DescribeOrganization (refused
/// with AWSOrganizationsNotInUseException outside any organization), ListParents up to the
/// root, then ListPoliciesForTarget and DescribePolicy for the root, each OU and the account.
async fn read_scps(sdk: &SdkConfig, creds: &Credentials, account: &str) -> Scps {
    use aws_sdk_organizations::types::{ParentType, PolicyType};
    let client = organizations(sdk, creds);
    if let Err(e) = client.describe_organization().send().await {
        let code = sdk_error(&e);
        return if code == "AWSOrganizationsNotInUseException" {
            Scps::NoOrganization
        } else {
            Scps::Unread(format!("organizations:DescribeOrganization: {code}"))
        };
    }
    // The account's path, the account first; an OU path is at most five deep.
    let mut path = vec![(format!("account {account}"), account.to_owned())];
    let mut child = account.to_owned();
    for _ in 0..8 {
        let parents = match client.list_parents().child_id(&child).send().await {
            Ok(out) => out.parents.unwrap_or_default(),
            Err(e) => {
                return Scps::Unread(format!(
                    "organizations:ListParents {child}: {}",
                    sdk_error(&e)
                ));
            }
        };
        let Some(parent) = parents.into_iter().next() else {
            return Scps::Unread(format!("organizations:ListParents {child} named no parent"));
        };
        let id = parent.id.unwrap_or_default();
        let is_root = parent.r#type == Some(ParentType::Root);
        let label = if is_root {
            format!("root {id}")
        } else {
            format!("OU {id}")
        };
        path.push((label, id.clone()));
        if is_root {
            break;
        }
        child = id;
    }
    if !path
        .last()
        .is_some_and(|(label, _)| label.starts_with("root "))
    {
        return Scps::Unread(format!(
            "organizations:ListParents did not reach the root from account {account}"
        ));
    }
    let mut levels = Vec::new();
    for (label, target) in path.iter().rev() {
        let mut summaries = Vec::new();
        let mut token = None;
        loop {
            let page = client
                .list_policies_for_target()
                .target_id(target)
                .filter(PolicyType::ServiceControlPolicy)
                .set_next_token(token.take())
                .send()
                .await;
            match page {
                Ok(out) => {
                    summaries.extend(out.policies.unwrap_or_default());
                    token = out.next_token;
                    if token.is_none() {
                        break;
                    }
                }
                Err(e) => {
                    return Scps::Unread(format!(
                        "organizations:ListPoliciesForTarget {target}: {}",
                        sdk_error(&e)
                    ));
                }
            }
        }
        let mut names = Vec::new();
        let mut documents = Vec::new();
        for summary in summaries {
            let id = summary.id.unwrap_or_default();
            let described = match client.describe_policy().policy_id(&id).send().await {
                Ok(out) => out.policy,
                Err(e) => {
                    return Scps::Unread(format!(
                        "organizations:DescribePolicy {id}: {}",
                        sdk_error(&e)
                    ));
                }
            };
            let Some(content) = described.and_then(|p| p.content) else {
                return Scps::Unread(format!(
                    "organizations:DescribePolicy {id} returned no content"
                ));
            };
            names.push(format!("{} ({id})", summary.name.unwrap_or_default()));
            documents.push(content);
        }
        // Within a level the documents combine as one policy: a JSON array of them, as an
        // `--scp` file holds them.
        levels.push((
            format!(
                "the SCPs of {label} read from Organizations: [{}]",
                names.join(", ")
            ),
            format!("[{}]", documents.join(",")),
        ));
    }
    Scps::Levels(levels)
}

/// Without the `iam` feature (the fuzz build leaves out the large IAM client), the policies
/// are `unknown` with this reason.
#[cfg(not(feature = "iam"))]
const NO_IAM: &str = "this rolehop was built without its IAM client (the `iam` feature)";

#[cfg(not(feature = "iam"))]
async fn read_role(
    _sdk: &SdkConfig,
    _name: &str,
    _tries: &[(&str, &Credentials)],
) -> Result<RoleInfo, String> {
    Err(NO_IAM.to_owned())
}

#[cfg(not(feature = "iam"))]
async fn read_identity_policies(
    _sdk: &SdkConfig,
    _creds: &Credentials,
    _role_name: &str,
) -> Result<Vec<File>, String> {
    Err(NO_IAM.to_owned())
}

#[cfg(not(feature = "iam"))]
async fn read_scps(_sdk: &SdkConfig, _creds: &Credentials, _account: &str) -> Scps {
    Scps::Unread(NO_IAM.to_owned())
}

#[cfg(not(feature = "iam"))]
async fn read_boundary(
    _sdk: &SdkConfig,
    _creds: &Credentials,
    _arn: &str,
) -> Result<String, String> {
    Err(NO_IAM.to_owned())
}

/// What the online probe found: its findings, the decision of the last hop (observed, where
/// STS answered), and per hop the evaluation's detail.
pub struct Probed {
    pub findings: Vec<Finding>,
    pub decision: Verdict,
    pub hops: Vec<serde_json::Value>,
}

/// The ids of the findings about the AssumeRole decision itself.
fn about_the_decision(id: &str) -> bool {
    id.starts_with("trust.")
        || id.starts_with("identity.")
        || matches!(
            id,
            "scp.allows" | "rcp.allows" | "boundary.allows" | "session-policy.allows"
        )
}

/// The request keys rolehop's configuration fixes for this hop: its tags, session name,
/// source identity and region, and the transitive tags of the session before it.
fn hop_context(
    hop: &Hop,
    region: Option<&str>,
    inherited: &[(String, String)],
) -> Vec<(String, String)> {
    let mut context = inherited.to_vec();
    for tag in &hop.options.tags {
        context.push((format!("aws:RequestTag/{}", tag.key), tag.value.clone()));
        context.push(("aws:TagKeys".into(), tag.key.clone()));
    }
    for key in &hop.options.transitive_tag_keys {
        context.push(("sts:TransitiveTagKeys".into(), key.clone()));
    }
    if let Some(id) = &hop.options.source_identity {
        context.push(("sts:SourceIdentity".into(), id.clone()));
    }
    context.push((
        "sts:RoleSessionName".into(),
        hop.session_name.as_str().to_owned(),
    ));
    if let Some(region) = region {
        context.push(("aws:RequestedRegion".into(), region.to_owned()));
    }
    context
}

/// The command an administrator of the organization runs to hand `check` the SCPs of an
/// account, one file per level of its path.
fn scp_command(account: &str) -> String {
    format!(
        "for T in $(aws organizations list-parents --child-id {account} --query 'Parents[].Id' --output text) {account}; do aws organizations list-policies-for-target --target-id $T --filter SERVICE_CONTROL_POLICY --query 'Policies[].Id' --output text; done, then aws organizations describe-policy --policy-id P --query Policy.Content --output text > scp-LEVEL.json for each (the root first, the account last), and rerun with --scp scp-1.json --scp scp-2.json ..."
    )
}

/// Probes every role of `roles` (in chain order) for real and evaluates each hop with what
/// IAM lets these credentials read. `given` carries what the operator supplied: the SCPs of
/// the first caller's account, the RCPs of the last destination's, and request context.
pub async fn probe(
    roles: &[RoleConfig],
    external_id_flag: Option<&Secret>,
    given: &Inputs,
) -> Probed {
    let mut out = Vec::new();
    let mut decision = Verdict::Unknown;
    let mut hops_json = Vec::new();
    let sdk = match crate::source::sdk_config().await {
        Ok(sdk) => sdk,
        Err(e) => {
            out.push(Finding::new("online.region", Status::Fail, e));
            return Probed {
                findings: out,
                decision,
                hops: hops_json,
            };
        }
    };
    let region = sdk.region().map(|r| r.to_string());
    let sts = chain::sts_config(&sdk);
    // Each source once.
    let mut sources: BTreeMap<SourceKind, Result<(Credentials, String), String>> = BTreeMap::new();
    for role in roles {
        let RoleSource::Credentials(kind) = &role.source else {
            continue;
        };
        if sources.contains_key(kind) {
            continue;
        }
        let fetched = async {
            let src = Source::new(kind.clone(), sdk.credentials_provider())?;
            let creds = crate::cache::Fetch::fetch(&src)
                .await
                .map_err(|e| e.message)?;
            let arn = whoami(&sdk, &creds).await.map_err(|e| {
                format!("GetCallerIdentity with the source credentials failed: {e}")
            })?;
            Ok::<_, String>((creds, arn))
        }
        .await;
        match &fetched {
            Ok((_, arn)) => out.push(Finding::new(
                "online.source",
                Status::Pass,
                format!("source {}: this task is {arn}", kind.describe()),
            )),
            Err(e) => out.push(Finding::new("online.source", Status::Fail, e.clone())),
        }
        sources.insert(kind.clone(), fetched);
    }
    let default_session = crate::task_metadata::default_session_name().await;
    // Per role: its credentials and identity ARN, for the hops after it.
    let mut reached: BTreeMap<String, (Credentials, String)> = BTreeMap::new();
    let last = roles.len().saturating_sub(1);
    for (index, role) in roles.iter().enumerate() {
        let upstream = match &role.source {
            RoleSource::Credentials(kind) => {
                sources.get(kind).and_then(|r| r.as_ref().ok()).cloned()
            }
            RoleSource::Profile(p) => reached.get(p).cloned(),
        };
        // The session this hop is called from: its session policy and transitive tags.
        let previous = match &role.source {
            RoleSource::Profile(p) => roles.iter().find(|r| r.name == *p),
            RoleSource::Credentials(_) => None,
        };
        let Some((caller, caller_arn)) = upstream else {
            out.push(Finding::new(
                "online.assume",
                Status::Unknown,
                format!(
                    "role {}: not tried, because its source failed above",
                    role.name
                ),
            ));
            decision = Verdict::Unknown;
            continue;
        };
        let hop = Hop {
            duration_secs: PROBE_DURATION_SECS,
            ..role.hop(&default_session)
        };
        let assumed = chain::assume_once(&hop, &caller, &sts).await;
        let mut observed = None;
        // What STS's refusal says (`denial`), set beside the model's decision below.
        let mut aws_says = None;
        let dest_creds = match &assumed {
            Ok(creds) => match whoami(&sdk, creds).await {
                Ok(arn) => {
                    out.push(Finding::new(
                        "online.assume",
                        Status::Pass,
                        format!(
                            "role {}: AssumeRole into {} works; it acts as {arn} in account {}",
                            role.name,
                            role.role_arn,
                            role.role_arn.account_id()
                        ),
                    ));
                    observed = Some(Verdict::Allowed);
                    reached.insert(role.name.clone(), (creds.clone(), arn));
                    Some(creds.clone())
                }
                Err(e) => {
                    out.push(Finding::new("online.assume", Status::Fail, format!("role {}: AssumeRole worked but GetCallerIdentity with the result failed: {e}", role.name)));
                    observed = Some(Verdict::Allowed);
                    None
                }
            },
            Err(e) => {
                out.push(Finding::new(
                    "online.assume",
                    Status::Fail,
                    // The message carries chain's one table of STS hints.
                    format!("role {}: {}", role.name, e.message),
                ));
                if e.code.as_deref() == Some("AccessDenied") {
                    observed = Some(Verdict::Denied);
                }
                aws_says = super::denial::parse(&e.message);
                None
            }
        };
        // The policies, where IAM lets these credentials read them.
        let name = role.role_arn.name().to_owned();
        let mut tries: Vec<(&str, &Credentials)> = Vec::new();
        if let Some(d) = &dest_creds {
            tries.push(("destination", d));
        }
        // GetRole reads only roles of the caller's own account.
        if caller_arn.split(':').nth(4) == Some(role.role_arn.account_id()) {
            tries.push(("source", &caller));
        }
        let trust = if tries.is_empty() {
            Err(format!(
                "only credentials of account {} can read it, and the AssumeRole into it failed",
                role.role_arn.account_id()
            ))
        } else {
            read_role(&sdk, &name, &tries).await
        };
        let inherited: Vec<(String, String)> = previous
            .map(|p| {
                p.options
                    .tags
                    .iter()
                    .filter(|t| p.options.transitive_tag_keys.contains(&t.key))
                    .map(|t| (format!("aws:PrincipalTag/{}", t.key), t.value.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let mut context = hop_context(&hop, region.as_deref(), &inherited);
        context.extend(given.context.iter().cloned());
        let mut inputs = Inputs {
            role_arn: Some(role.role_arn.to_string()),
            source_role_arn: None,
            external_id: role.external_id.clone().or(external_id_flag.cloned()),
            session_name: Some(hop.session_name.as_str().to_owned()),
            session_tags: !role.options.tags.is_empty(),
            source_identity: role.options.source_identity.is_some(),
            context,
            absent: given.absent.clone(),
            session_policy: previous.and_then(|p| {
                p.options.policy.clone().map(|text| {
                    (
                        format!("the session policy of the {} session", p.name),
                        text,
                    )
                })
            }),
            scps: if index == 0 {
                given.scps.clone()
            } else {
                Vec::new()
            },
            rcps: if index == last {
                given.rcps.clone()
            } else {
                Vec::new()
            },
            ..Inputs::default()
        };
        match &trust {
            Ok(info) => {
                inputs.trust_policy = Some((format!("the trust policy of {name} (read from IAM)"), info.trust.clone()));
                if let Some(max) = info.max_session_duration
                    && role.duration_secs as i32 > max
                {
                    out.push(Finding::new(
                        "online.max-session-duration",
                        Status::Fail,
                        format!("role {}: rolehop asks for {} s, above the role's MaxSessionDuration of {max} s; lower the duration or raise MaxSessionDuration", role.name, role.duration_secs),
                    ));
                }
            }
            Err(why) => out.push(Finding::new(
                "online.trust-policy",
                Status::Unknown,
                format!("role {}: cannot read its trust policy ({why}); ask its owner for it and run rolehop check --trust-policy FILE", role.name),
            )),
        }
        let caller_account = caller_arn.split(':').nth(4).unwrap_or_default().to_owned();
        // The operator's --scp files outrank what Organizations shows.
        if inputs.scps.is_empty() {
            match read_scps(&sdk, &caller, &caller_account).await {
                Scps::Levels(levels) => {
                    out.push(Finding::new(
                        "online.scp",
                        Status::Pass,
                        format!("role {}: the SCPs of account {caller_account} were read from Organizations, {} levels from the root to the account, and are evaluated below (scp.allows)", role.name, levels.len()),
                    ));
                    inputs.scps = levels;
                }
                Scps::NoOrganization => out.push(Finding::new(
                    "online.scp",
                    Status::Pass,
                    format!("role {}: account {caller_account} is in no organization (Organizations answered AWSOrganizationsNotInUseException), so no SCP applies", role.name),
                )),
                Scps::Unread(why) => out.push(Finding::new(
                    "online.scp",
                    Status::Unknown,
                    format!("role {}: the SCPs of account {caller_account} cannot be read with the caller's credentials ({why}; only the organization's management account or a delegated administrator may); the evaluation assumes none. To include them, an administrator runs: {}", role.name, scp_command(&caller_account)),
                )),
            }
        }
        inputs.source_session_name = caller_arn
            .split_once(":assumed-role/")
            .and_then(|(_, rest)| rest.split_once('/'))
            .map(|(_, session)| session.to_owned());
        if let Some(source_role) = role_of_session(&caller_arn) {
            let source_name = source_role
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            // The source role's own ARN, with its path, and its boundary, when IAM tells.
            match read_role(&sdk, &source_name, &[("source", &caller)]).await {
                Ok(info) => {
                    inputs.source_role_arn = Some(info.arn);
                    if let Some(arn) = info.boundary_arn {
                        match read_boundary(&sdk, &caller, &arn).await {
                            Ok(doc) => inputs.permissions_boundary = Some((format!("the permissions boundary {arn} of {source_name}"), doc)),
                            Err(why) => out.push(Finding::new(
                                "online.boundary",
                                Status::Unknown,
                                format!("role {}: {source_name} has the permissions boundary {arn}, which cannot be read ({why}); run rolehop check --permissions-boundary FILE with it", role.name),
                            )),
                        }
                    }
                }
                Err(why) => {
                    inputs.source_role_arn = Some(source_role.clone());
                    out.push(Finding::new(
                        "online.boundary",
                        Status::Unknown,
                        format!("role {}: cannot read {source_name} ({why}), so neither its path nor its permissions boundary is known", role.name),
                    ));
                }
            }
            match read_identity_policies(&sdk, &caller, &source_name).await {
                Ok(files) => inputs.identity_policies = files,
                Err(why) => out.push(Finding::new(
                    "online.identity-policy",
                    Status::Unknown,
                    format!("role {}: cannot read the policies of {source_name} ({why}); run rolehop check --identity-policy FILE with them", role.name),
                )),
            }
        }
        let mut report = run_offline(&inputs);
        let model = report.decision.unwrap_or(Verdict::Unknown);
        let succeeded = observed == Some(Verdict::Allowed);
        out.extend(report.findings.into_iter().map(|mut f| {
            // STS's own answer outranks the model: a model that says "denied" for a call that
            // succeeded is missing a policy, not proof of a fault.
            if succeeded && f.status == Status::Fail && about_the_decision(f.id) {
                f.status = Status::Warn;
                f.message = format!(
                    "the real AssumeRole succeeded, so this part of the model is incomplete: {}",
                    f.message
                );
            }
            f.message = format!("role {}: {}", role.name, f.message);
            f
        }));
        if succeeded && model == Verdict::Denied {
            out.push(Finding::new(
                "online.model",
                Status::Warn,
                format!("role {}: STS allowed the AssumeRole, but the policies read say it is denied; something that decides it was not read: an attached managed policy or inline policy IAM did not list, a permissions boundary, a session policy, or a permission that came another way (a resource policy, an SCP change). The real answer stands", role.name),
            ));
        }
        if let Some(denial) = &aws_says {
            let mut said = Vec::new();
            let caller_role = role_of_session(&caller_arn);
            super::explain::apply(
                denial,
                caller_role.as_deref(),
                &inputs,
                &mut said,
                &mut report.hops,
            );
            out.extend(said.into_iter().map(|mut f| {
                f.message = format!("role {}: {}", role.name, f.message);
                f
            }));
        }
        let hop_decision = observed.unwrap_or(model);
        for mut h in report.hops {
            h["observed"] = serde_json::json!(observed);
            h["model"] = serde_json::json!(model);
            h["decision"] = serde_json::json!(hop_decision);
            hops_json.push(h);
        }
        decision = hop_decision;
    }
    Probed {
        findings: out,
        decision,
        hops: hops_json,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_arns_map_to_role_arns() {
        assert_eq!(
            role_of_session("arn:aws:sts::111122223333:assumed-role/my-ECS-task-role/abc")
                .as_deref(),
            Some("arn:aws:iam::111122223333:role/my-ECS-task-role")
        );
        assert_eq!(role_of_session("arn:aws:iam::111122223333:user/bob"), None);
    }

    #[test]
    fn iam_documents_are_url_decoded() {
        assert_eq!(policy_text("%7B%22a%22%3A1%7D"), "{\"a\":1}");
        assert_eq!(policy_text("{\"a\": 1}"), "{\"a\": 1}");
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
            .map(|f| (f.id, f.status))
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
        assert_eq!(environment_traps(&bad_host)[0].id, "env.full-uri");
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
            environment_traps(&env).iter().map(|f| f.id).collect()
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
