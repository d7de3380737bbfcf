//! `rolehop check` online, for the on-call engineer in an ECS Exec shell: the same roles as
//! `serve` (flags, environment or config file), probed for real. The environment traps first
//! (no network, `environment`), then the source identity, then a real AssumeRole (900 s) and
//! GetCallerIdentity per role and hop, then whatever policies IAM lets these credentials read
//! (`iam`: the trust policy, the calling role's inline and attached managed policies and its
//! boundary) and the SCPs of the caller's account that Organizations shows
//! (`organizations`), handed as values to `check`'s one evaluator with the session before each
//! hop as its principal. What cannot be read is `unknown`, with the reason, never `pass`.
//! STS's own answer outranks the model: a call that succeeded is `allowed`, and a model that
//! says otherwise only warns.
//!
//! This is the I/O side of `check`: it reads STS, IAM, Organizations, the task metadata and
//! the environment; `check` itself only evaluates what it is handed.

pub mod clients_here;
mod environment;
mod hop_context;
mod iam;
pub mod in_app;
mod organizations;
mod read_error;
pub mod task_roles;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_config::SdkConfig;

use crate::arn;
use crate::chain::{self, Hop};
use crate::check::denial::{self, Denial};
use crate::check::explain_message;
use crate::check::findings::{Finding, FindingId, Status};
use crate::check::report::{self, Observed, Verdict};
use crate::check::{File, Inputs};
use crate::config::{RoleConfig, RoleSource};
use crate::credentials::{Credentials, Secret};
use crate::fetch::FetchError;
use crate::session::SessionName;
use crate::source::{Source, SourceError, SourceKind};
pub use environment::environment_traps;
use hop_context::{Filled, Inherited};
use iam::{read_boundary, read_identity_policies, read_role, read_role_tags};
use organizations::{Organization, Scps, describe_organization, read_scps, scp_command};
use read_error::{ReadError, ReadErrorKind};

/// The probe asks STS for the shortest session it grants.
pub const PROBE_DURATION_SECS: u32 = 900;

/// What the online probe found: its findings, the decision of the last hop (observed, where
/// STS answered), and per hop the evaluation's detail.
pub struct Probed {
    pub findings: Vec<Finding>,
    pub decision: Verdict,
    pub hops: Vec<report::Hop>,
}

/// Why the probe has no credentials and identity of its own to start from: the source cannot
/// be used or gave no credential, or GetCallerIdentity failed with what it gave.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum StartError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// GetCallerIdentity with the credentials of a role's source (`check --online`).
    #[error("GetCallerIdentity with the source credentials failed: {0}")]
    SourceIdentity(#[source] CallerIdentityError),
    /// GetCallerIdentity with this environment's credentials (`check --task-definition`).
    #[error("GetCallerIdentity failed: {0}")]
    Identity(#[source] CallerIdentityError),
}

/// STS's GetCallerIdentity failed: the SDK's error, shown as its sentence and causes.
#[derive(Debug, Clone)]
pub(crate) struct CallerIdentityError(
    Arc<
        aws_sdk_sts::error::SdkError<
            aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError,
            aws_sdk_sts::config::http::HttpResponse,
        >,
    >,
);

impl std::fmt::Display for CallerIdentityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::readable::sentence(self.0.as_ref()))
    }
}

/// By hand: the source is the SDK's error inside the `Arc`.
impl std::error::Error for CallerIdentityError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

/// Credentials and the ARN they act as (GetCallerIdentity).
type Identity = (Credentials, String);

/// Probes every role of `roles` (in chain order) for real and evaluates each hop with what
/// IAM lets these credentials read. `given` carries what the operator supplied: the SCPs of
/// the first caller's account, the RCPs of the last destination's, and request context.
pub async fn probe(
    roles: &[RoleConfig],
    external_id_flag: Option<&Secret>,
    given: &Inputs,
) -> Probed {
    let mut out = Vec::new();
    let sdk = match crate::source::sdk_config().await {
        Ok(sdk) => sdk,
        Err(e) => {
            out.push(Finding::new(
                FindingId::OnlineRegion,
                Status::Fail,
                e.to_string(),
            ));
            return Probed {
                findings: out,
                decision: Verdict::Unknown,
                hops: Vec::new(),
            };
        }
    };
    let sources = read_sources(&sdk, roles, &mut out).await;
    let mut probe = Probe {
        region: sdk.region().map(|r| r.to_string()),
        sts: chain::sts_config(&sdk),
        sdk,
        default_session: crate::task_metadata::default_session_name().await,
        roles,
        external_id_flag,
        given,
        out,
        hops: Vec::new(),
        reached: BTreeMap::new(),
        decision: Verdict::Unknown,
    };
    for (index, role) in roles.iter().enumerate() {
        let upstream = match &role.source {
            RoleSource::Credentials(kind) => {
                sources.get(kind).and_then(|r| r.as_ref().ok()).cloned()
            }
            RoleSource::Profile(p) => probe.reached.get(p).cloned(),
        };
        match upstream {
            Some(caller) => probe.hop(index, role, caller).await,
            None => {
                probe.out.push(Finding::new(
                    FindingId::OnlineAssume,
                    Status::Unknown,
                    format!(
                        "role {}: not tried, because its source failed above",
                        role.name
                    ),
                ));
                probe.decision = Verdict::Unknown;
            }
        }
    }
    Probed {
        findings: probe.out,
        decision: probe.decision,
        hops: probe.hops,
    }
}

/// Each source's credentials and identity, once per source.
async fn read_sources(
    sdk: &SdkConfig,
    roles: &[RoleConfig],
    out: &mut Vec<Finding>,
) -> BTreeMap<SourceKind, Result<Identity, StartError>> {
    let mut sources = BTreeMap::new();
    for role in roles {
        let RoleSource::Credentials(kind) = &role.source else {
            continue;
        };
        if sources.contains_key(kind) {
            continue;
        }
        let fetched = async {
            let src = Source::new(kind.clone(), sdk.credentials_provider())?;
            let creds = crate::fetch::Fetch::fetch(&src).await?;
            let arn = whoami(sdk, &creds)
                .await
                .map_err(StartError::SourceIdentity)?;
            Ok::<_, StartError>((creds, arn))
        }
        .await;
        match &fetched {
            Ok((_, arn)) => out.push(Finding::new(
                FindingId::OnlineSource,
                Status::Pass,
                format!("source {}: this task is {arn}", kind.describe()),
            )),
            Err(e) => out.push(Finding::new(
                FindingId::OnlineSource,
                Status::Fail,
                e.to_string(),
            )),
        }
        sources.insert(kind.clone(), fetched);
    }
    sources
}

/// The probe's state across the hops of the chain.
struct Probe<'a> {
    sdk: SdkConfig,
    sts: aws_sdk_sts::Config,
    region: Option<String>,
    default_session: SessionName,
    roles: &'a [RoleConfig],
    external_id_flag: Option<&'a Secret>,
    given: &'a Inputs,
    out: Vec<Finding>,
    hops: Vec<report::Hop>,
    /// Per role: its credentials and identity ARN, for the hops after it.
    reached: BTreeMap<String, Identity>,
    decision: Verdict,
}

impl Probe<'_> {
    /// One hop: the real AssumeRole, the policies IAM and Organizations show, and the model's
    /// evaluation of them beside STS's answer.
    async fn hop(&mut self, index: usize, role: &RoleConfig, (caller, caller_arn): Identity) {
        let hop = Hop {
            duration_secs: PROBE_DURATION_SECS,
            ..role.hop(&self.default_session)
        };
        let (observed, dest_creds, aws_says) = self.assume(role, &hop, &caller).await;
        let trust = self
            .read_trust(role, dest_creds.as_ref(), &caller, &caller_arn)
            .await;
        let (mut inputs, inherited) = self.hop_inputs(index, role, &hop);
        self.out.extend(inherited.finding(role));
        match &trust {
            Ok(info) => {
                inputs.trust_policy = Some((
                    format!(
                        "the trust policy of {} (read from IAM)",
                        role.role_arn.name()
                    ),
                    info.trust.clone(),
                ));
                if let Some(max) = info.max_session_duration
                    && role.duration_secs as i32 > max
                {
                    self.out.push(Finding::new(
                        FindingId::OnlineMaxSessionDuration,
                        Status::Fail,
                        format!("role {}: rolehop asks for {} s, above the role's MaxSessionDuration of {max} s; lower the duration or raise MaxSessionDuration", role.name, role.duration_secs),
                    ));
                }
            }
            Err(why) => self.out.push(Finding::new(
                FindingId::OnlineTrustPolicy,
                Status::Unknown,
                format!("role {}: cannot read its trust policy ({why}); ask its owner for it and run rolehop check --trust-policy FILE", role.name),
            )),
        }
        let caller_account = arn::account_field(&caller_arn)
            .unwrap_or_default()
            .to_owned();
        // The caller's organization and place in it, read once for the SCPs and the context.
        let org = describe_organization(&self.sdk, &caller, &caller_account).await;
        // The operator's --scp files outrank what Organizations shows.
        if inputs.scps.is_empty() {
            inputs.scps = self.scps(role, &caller, &caller_account, &org).await;
        }
        inputs.source_session_name = caller_arn
            .split_once(":assumed-role/")
            .and_then(|(_, rest)| rest.split_once('/'))
            .map(|(_, session)| session.to_owned());
        if let Some(source_role) = role_of_session(&caller_arn) {
            self.read_source_role(role, &caller, &source_role, &mut inputs)
                .await;
        }
        self.fill_context(role, &caller, &caller_arn, &inherited, &org, &mut inputs)
            .await;
        self.evaluate(role, &inputs, observed, aws_says, &caller_arn);
    }

    /// The real AssumeRole and GetCallerIdentity with its result: STS's answer on the decision
    /// (when it gave one), the destination's credentials, and what STS's refusal says
    /// (`denial`), when it refused.
    async fn assume(
        &mut self,
        role: &RoleConfig,
        hop: &Hop,
        caller: &Credentials,
    ) -> (Option<Verdict>, Option<Credentials>, Option<Denial>) {
        let creds = match chain::assume_once(hop, caller, &self.sts).await {
            Ok(creds) => creds,
            Err(e) => {
                self.out.push(Finding::new(
                    FindingId::OnlineAssume,
                    Status::Fail,
                    // The message carries chain's one table of STS hints.
                    format!("role {}: {}", role.name, e.message),
                ));
                let denied = e.sts_code == Some(chain::StsCode::AccessDenied);
                return (
                    denied.then_some(Verdict::Denied),
                    None,
                    denial::parse(&e.message),
                );
            }
        };
        match whoami(&self.sdk, &creds).await {
            Ok(arn) => {
                self.out.push(Finding::new(
                    FindingId::OnlineAssume,
                    Status::Pass,
                    format!(
                        "role {}: AssumeRole into {} works; it acts as {arn} in account {}",
                        role.name,
                        role.role_arn,
                        role.role_arn.account_id()
                    ),
                ));
                self.reached.insert(role.name.clone(), (creds.clone(), arn));
                (Some(Verdict::Allowed), Some(creds), None)
            }
            Err(e) => {
                self.out.push(Finding::new(FindingId::OnlineAssume, Status::Fail, format!("role {}: AssumeRole worked but GetCallerIdentity with the result failed: {e}", role.name)));
                (Some(Verdict::Allowed), None, None)
            }
        }
    }

    /// The destination role as IAM shows it, to the destination's credentials or, in the
    /// caller's own account, to the caller's.
    async fn read_trust(
        &self,
        role: &RoleConfig,
        dest_creds: Option<&Credentials>,
        caller: &Credentials,
        caller_arn: &str,
    ) -> Result<iam::RoleInfo, ReadError> {
        let mut tries: Vec<(&str, &Credentials)> = Vec::new();
        if let Some(d) = dest_creds {
            tries.push(("destination", d));
        }
        // GetRole reads only roles of the caller's own account.
        if arn::account_field(caller_arn) == Some(role.role_arn.account_id()) {
            tries.push(("source", caller));
        }
        if tries.is_empty() {
            return Err(ReadError::new(
                ReadErrorKind::NoCredentials,
                format!(
                    "only credentials of account {} can read it, and the AssumeRole into it failed",
                    role.role_arn.account_id()
                ),
            ));
        }
        read_role(&self.sdk, role.role_arn.name(), &tries).await
    }

    /// What rolehop's configuration fixes for this hop: the call, its request context (with
    /// what it inherits from the sessions before it), the previous session's policy and the
    /// operator's SCPs (first hop) and RCPs (last hop).
    fn hop_inputs(&self, index: usize, role: &RoleConfig, hop: &Hop) -> (Inputs, Inherited) {
        // The session this hop is called from: its session policy.
        let previous = match &role.source {
            RoleSource::Profile(p) => self.roles.iter().find(|r| r.name == *p),
            RoleSource::Credentials(_) => None,
        };
        let inherited = hop_context::inherited(self.roles, role);
        let mut context = hop_context::call_keys(hop, &inherited);
        context.extend(self.given.context.iter().cloned());
        let last = self.roles.len().saturating_sub(1);
        let inputs = Inputs {
            role_arn: Some(role.role_arn.to_string()),
            source_role_arn: None,
            external_id: role.external_id.clone().or(self.external_id_flag.cloned()),
            session_name: Some(hop.session_name.as_str().to_owned()),
            // Transitive tags and a source identity from earlier hops ride on this call too.
            session_tags: !role.options.tags.is_empty() || !inherited.transitive.is_empty(),
            source_identity: role.options.source_identity.is_some()
                || inherited.source_identity.is_some(),
            context,
            absent: self.given.absent.clone(),
            session_policy: previous.and_then(|p| {
                p.options.policy.clone().map(|text| {
                    (
                        format!("the session policy of the {} session", p.name),
                        text,
                    )
                })
            }),
            scps: if index == 0 {
                self.given.scps.clone()
            } else {
                Vec::new()
            },
            rcps: if index == last {
                self.given.rcps.clone()
            } else {
                Vec::new()
            },
            ..Inputs::default()
        };
        (inputs, inherited)
    }

    /// The request keys the task can read for this hop (`hop_context::Filled`): the region,
    /// the calling role's tags under the calling session's, the caller's organization.
    async fn fill_context(
        &mut self,
        role: &RoleConfig,
        caller: &Credentials,
        caller_arn: &str,
        inherited: &Inherited,
        org: &Organization,
        inputs: &mut Inputs,
    ) {
        let mut filled = Filled::default();
        filled.region(self.region.as_deref());
        if let Some(source_role) = role_of_session(caller_arn) {
            let name = source_role.rsplit('/').next().unwrap_or_default();
            let tags = read_role_tags(&self.sdk, caller, name).await;
            filled.principal_tags(name, tags, &inherited.session_tags);
        }
        filled.organization(org);
        let env = |name: &str| std::env::var(name).ok();
        if let Some(host) = hop_context::sts_host(self.region.as_deref(), &env) {
            // STS's connect bound: a resolver that does not answer does not hold the check.
            let resolved = match tokio::time::timeout(
                chain::STS_CONNECT_TIMEOUT,
                tokio::net::lookup_host((host.as_str(), 443)),
            )
            .await
            {
                Ok(Ok(addrs)) => Ok(addrs.map(|a| a.ip()).collect()),
                Ok(Err(e)) => Err(hop_context::ResolveError::Lookup(e)),
                Err(_) => Err(hop_context::ResolveError::TimedOut),
            };
            filled.network(Some(&host), resolved);
        }
        filled.apply(
            &role.name,
            &self.given.context,
            &self.given.absent,
            &mut inputs.context,
            &mut inputs.absent,
            &mut self.out,
        );
    }

    /// The SCPs of the caller's account as Organizations shows them, with a finding saying
    /// what was read.
    async fn scps(
        &mut self,
        role: &RoleConfig,
        caller: &Credentials,
        caller_account: &str,
        org: &Organization,
    ) -> Vec<File> {
        match read_scps(&self.sdk, caller, caller_account, org).await {
            Scps::Levels(levels) => {
                self.out.push(Finding::new(
                    FindingId::OnlineScp,
                    Status::Pass,
                    format!("role {}: the SCPs of account {caller_account} were read from Organizations, {} levels from the root to the account, and are evaluated below (scp.allows)", role.name, levels.len()),
                ));
                levels
            }
            Scps::NoOrganization => {
                self.out.push(Finding::new(
                    FindingId::OnlineScp,
                    Status::Pass,
                    format!("role {}: account {caller_account} is in no organization (Organizations answered AWSOrganizationsNotInUseException), so no SCP applies", role.name),
                ));
                Vec::new()
            }
            Scps::Unread(why) => {
                self.out.push(Finding::new(
                    FindingId::OnlineScp,
                    Status::Unknown,
                    format!("role {}: the SCPs of account {caller_account} cannot be read with the caller's credentials ({why}; only the organization's management account or a delegated administrator may); the evaluation assumes none. To include them, an administrator runs: {}", role.name, scp_command(caller_account)),
                ));
                Vec::new()
            }
        }
    }

    /// The calling role's own ARN (with its path), its boundary and its policies, as IAM
    /// shows them to the caller.
    async fn read_source_role(
        &mut self,
        role: &RoleConfig,
        caller: &Credentials,
        source_role: &str,
        inputs: &mut Inputs,
    ) {
        let source_name = source_role
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        match read_role(&self.sdk, &source_name, &[("source", caller)]).await {
            Ok(info) => {
                inputs.source_role_arn = Some(info.arn);
                if let Some(arn) = info.boundary_arn {
                    match read_boundary(&self.sdk, caller, &arn).await {
                        Ok(doc) => inputs.permissions_boundary = Some((format!("the permissions boundary {arn} of {source_name}"), doc)),
                        Err(why) => self.out.push(Finding::new(
                            FindingId::OnlineBoundary,
                            Status::Unknown,
                            format!("role {}: {source_name} has the permissions boundary {arn}, which cannot be read ({why}); run rolehop check --permissions-boundary FILE with it", role.name),
                        )),
                    }
                }
            }
            Err(why) => {
                inputs.source_role_arn = Some(source_role.to_owned());
                self.out.push(Finding::new(
                    FindingId::OnlineBoundary,
                    Status::Unknown,
                    format!("role {}: cannot read {source_name} ({why}), so neither its path nor its permissions boundary is known", role.name),
                ));
            }
        }
        match read_identity_policies(&self.sdk, caller, &source_name).await {
            Ok(files) => inputs.identity_policies = files,
            Err(why) => self.out.push(Finding::new(
                FindingId::OnlineIdentityPolicy,
                Status::Unknown,
                format!("role {}: cannot read the policies of {source_name} ({why}); run rolehop check --identity-policy FILE with them", role.name),
            )),
        }
    }

    /// The model's evaluation of what was read, beside STS's answer, which outranks it, and
    /// what STS's refusal said (`aws_says`), when it refused.
    fn evaluate(
        &mut self,
        role: &RoleConfig,
        inputs: &Inputs,
        observed: Option<Verdict>,
        aws_says: Option<Denial>,
        caller_arn: &str,
    ) {
        let mut report = crate::check::run(inputs);
        let model = report.decision.unwrap_or(Verdict::Unknown);
        let succeeded = observed == Some(Verdict::Allowed);
        self.out.extend(report.findings.into_iter().map(|mut f| {
            // STS's own answer outranks the model: a model that says "denied" for a call that
            // succeeded is missing a policy, not proof of a fault.
            if succeeded && f.status == Status::Fail && f.id.is_about_the_decision() {
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
            self.out.push(Finding::new(
                FindingId::OnlineModel,
                Status::Warn,
                format!("role {}: STS allowed the AssumeRole, but the policies read say it is denied; something that decides it was not read: an attached managed policy or inline policy IAM did not list, a permissions boundary, a session policy, or a permission that came another way (a resource policy, an SCP change). The real answer stands", role.name),
            ));
        }
        if let Some(denial) = &aws_says {
            let mut said = Vec::new();
            let caller_role = role_of_session(caller_arn);
            explain_message::apply(
                denial,
                caller_role.as_deref(),
                inputs,
                &mut said,
                &mut report.hops,
            );
            self.out.extend(said.into_iter().map(|mut f| {
                f.message = format!("role {}: {}", role.name, f.message);
                f
            }));
        }
        let hop_decision = observed.unwrap_or(model);
        self.hops
            .extend(report.hops.into_iter().map(|h| report::Hop {
                decision: hop_decision,
                online: Some(Observed { observed, model }),
                ..h
            }));
        self.decision = hop_decision;
    }
}

/// `arn:aws:sts::A:assumed-role/NAME/SESSION` → `arn:aws:iam::A:role/NAME` (path unknown).
pub fn role_of_session(arn: &str) -> Option<String> {
    let f: Vec<&str> = arn.splitn(6, ':').collect();
    let rest = f.get(5)?.strip_prefix("assumed-role/")?;
    let name = rest.split('/').next()?;
    Some(format!("arn:{}:iam::{}:role/{name}", f.get(1)?, f.get(4)?))
}

async fn whoami(sdk: &SdkConfig, creds: &Credentials) -> Result<String, CallerIdentityError> {
    // chain's STS client: its timeouts bound the probe as they bound serve's calls.
    chain::sts_client(&chain::sts_config(sdk), creds)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| CallerIdentityError(Arc::new(e)))
        .map(|o| o.arn.unwrap_or_default())
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
}
