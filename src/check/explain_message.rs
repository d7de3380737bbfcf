//! AWS's own words in `check`'s report: what an STS refusal (`denial`) says, as findings — who
//! was denied which action on which role, the policy type AWS named and the account it lives
//! in, the policy's ARN, the likely fix — and, where the model evaluated the same call, the
//! statements the refusal points at. Used by `check --explain "MESSAGE"` (offline, a message
//! pasted from a log) and by the online probe when its real AssumeRole is denied. The policy
//! type AWS named outranks the model, as an observed success does.

use super::Inputs;
use super::denial::{Denial, Deny, Limit, PolicyType};
use super::eval::Part;
use super::findings::{Finding, FindingId, Status};
use super::report::{DecisiveEffect, Hop, Observed, Verdict};

/// The ids of the findings this module reports.
mod ids {
    use super::FindingId;
    /// What AWS's message says: the denial, its policy type, account, ARN and fix.
    pub const DENIED: FindingId = FindingId::AwsDenied;
    /// STS refused for a limit of its own (packed size, session duration).
    pub const LIMIT: FindingId = FindingId::AwsLimit;
    /// The reason is encoded; `sts:DecodeAuthorizationMessage` reads it.
    pub const ENCODED: FindingId = FindingId::AwsEncoded;
    /// The statements of the given policies AWS's message points at.
    pub const STATEMENT: FindingId = FindingId::AwsStatement;
}

/// The account a 12-digit field of an ARN names.
fn account(arn: &str) -> Option<&str> {
    crate::arn::account_field(arn).filter(|a| crate::arn::is_account_id(a))
}

/// The words for a policy type, and where it lives for this caller and role.
fn where_it_lives(
    policy: Option<PolicyType>,
    caller: &str,
    caller_role: &str,
    role: &str,
) -> (String, String) {
    let caller_account = account(caller).unwrap_or("(the caller's account)");
    let role_account = account(role).unwrap_or("(the role's account)");
    match policy {
        Some(PolicyType::ServiceControlPolicy) => (
            "a service control policy".into(),
            format!("in the organization of account {caller_account} (the caller's), attached to its root, an OU on its path or the account"),
        ),
        Some(PolicyType::ResourceControlPolicy) => (
            "a resource control policy".into(),
            format!("in the organization of account {role_account} (the role's), attached to its root, an OU on its path or the account"),
        ),
        Some(PolicyType::IdentityBasedPolicy) => (
            "the caller's identity-based policies".into(),
            format!("on {caller_role} in account {caller_account} (its inline and attached managed policies)"),
        ),
        Some(PolicyType::PermissionsBoundary) => (
            "the caller's permissions boundary".into(),
            format!("set on {caller_role} in account {caller_account}"),
        ),
        Some(PolicyType::SessionPolicy) => (
            "the session policy of the calling session".into(),
            format!("passed when the session {caller} was created (rolehop's policy_file/policy_arns of the hop before, or whoever assumed it)"),
        ),
        Some(PolicyType::ResourceBasedPolicy) => (
            "the role's trust policy (its resource-based policy)".into(),
            format!("on {role} in account {role_account}"),
        ),
        Some(PolicyType::VpcEndpointPolicy) => (
            "a VPC endpoint policy".into(),
            format!("on the STS interface endpoint (com.amazonaws.REGION.sts) the call went through, in the caller's VPC (account {caller_account}'s network)"),
        ),
        None => (
            "the role's trust policy (the bare message, with no reason, is how AWS reports a cross-account trust policy that does not allow the caller)".into(),
            format!("on {role} in account {role_account}"),
        ),
    }
}

/// The likely fix for a denial by `policy`.
fn fix(policy: Option<PolicyType>, deny: Option<Deny>, action: &str, caller_role: &str) -> String {
    match (policy, deny) {
        (Some(PolicyType::ServiceControlPolicy), _) => "an administrator of the organization finds the Deny statement that matches (it often hangs on a condition: aws:RequestedRegion, aws:SourceIp, aws:PrincipalTag/...) and exempts this call or this role; give the SCPs with --scp to see which statement".into(),
        (Some(PolicyType::ResourceControlPolicy), _) => "an administrator of the role's organization exempts this caller from the RCP's Deny (often an aws:PrincipalOrgID perimeter); give the RCPs with --rcp to see which statement".into(),
        (Some(PolicyType::IdentityBasedPolicy), Some(Deny::Explicit)) => format!("remove or narrow the Deny on {action} in the policies of {caller_role}; give them with --identity-policy"),
        (Some(PolicyType::IdentityBasedPolicy), _) => format!("add an Allow of {action} on the role to a policy of {caller_role}; give its policies with --identity-policy for the statement to add"),
        (Some(PolicyType::PermissionsBoundary), Some(Deny::Explicit)) => format!("remove the Deny on {action} from the permissions boundary of {caller_role}"),
        (Some(PolicyType::PermissionsBoundary), _) => format!("the permissions boundary of {caller_role} must also allow {action} on the role (a boundary only limits: both it and an identity policy must allow)"),
        (Some(PolicyType::SessionPolicy), _) => format!("the session policy of the calling session must allow {action} on the role (a session policy only limits); widen the hop before's policy_file/policy_arns"),
        (Some(PolicyType::ResourceBasedPolicy), Some(Deny::Explicit)) => format!("remove or narrow the Deny on {action} in the role's trust policy"),
        (Some(PolicyType::ResourceBasedPolicy), _) | (None, _) => format!("the role's trust policy must allow {action} for {caller_role} exactly (the role ARN with its path, or the account), with any sts:ExternalId it requires; check the role ARN too: a wrong name or account gives the same message; give it with --trust-policy"),
        (Some(PolicyType::VpcEndpointPolicy), _) => format!("the STS VPC endpoint's policy must allow {action} on the role for this caller"),
    }
}

/// The model's part names (`check`'s hop JSON) a policy type corresponds to.
fn names_part(policy: Option<PolicyType>, part: &Part) -> bool {
    match policy {
        Some(PolicyType::ServiceControlPolicy) => matches!(part, Part::Scp(_)),
        Some(PolicyType::ResourceControlPolicy) => matches!(part, Part::Rcp(_)),
        Some(PolicyType::IdentityBasedPolicy) => *part == Part::Identity,
        Some(PolicyType::PermissionsBoundary) => *part == Part::PermissionsBoundary,
        Some(PolicyType::SessionPolicy) => *part == Part::SessionPolicy,
        Some(PolicyType::ResourceBasedPolicy) | None => *part == Part::Trust,
        Some(PolicyType::VpcEndpointPolicy) => false,
    }
}

/// The flag that hands `check` the policy of this type.
fn flag_of(policy: Option<PolicyType>) -> &'static str {
    match policy {
        Some(PolicyType::ServiceControlPolicy) => "--scp",
        Some(PolicyType::ResourceControlPolicy) => "--rcp",
        Some(PolicyType::IdentityBasedPolicy) => "--identity-policy",
        Some(PolicyType::PermissionsBoundary) => "--permissions-boundary",
        Some(PolicyType::SessionPolicy) => "--session-policy",
        Some(PolicyType::ResourceBasedPolicy) | None => "--trust-policy",
        Some(PolicyType::VpcEndpointPolicy) => "(none: check does not read VPC endpoint policies)",
    }
}

/// Whether `inputs` hold the policy of the type `denial` names.
pub fn given(denial: &Denial, inputs: &Inputs) -> bool {
    let Denial::NotAuthorized { policy, .. } = denial else {
        return false;
    };
    match policy {
        Some(PolicyType::ServiceControlPolicy) => !inputs.scps.is_empty(),
        Some(PolicyType::ResourceControlPolicy) => !inputs.rcps.is_empty(),
        Some(PolicyType::IdentityBasedPolicy) => !inputs.identity_policies.is_empty(),
        Some(PolicyType::PermissionsBoundary) => inputs.permissions_boundary.is_some(),
        Some(PolicyType::SessionPolicy) => inputs.session_policy.is_some(),
        Some(PolicyType::ResourceBasedPolicy) | None => inputs.trust_policy.is_some(),
        Some(PolicyType::VpcEndpointPolicy) => false,
    }
}

/// The caller, action and role of a `NotAuthorized` denial.
pub fn call_of(denial: &Denial) -> Option<(&str, &str, Option<&str>)> {
    match denial {
        Denial::NotAuthorized {
            caller,
            action,
            resource,
            ..
        } => Some((caller, action, resource.as_deref())),
        _ => None,
    }
}

/// What AWS's message says, as findings.
/// `caller_role`: the role of the caller's session (`probe::role_of_session`), when it is one.
pub fn findings(denial: &Denial, caller_role: Option<&str>) -> Vec<Finding> {
    let mut out = Vec::new();
    match denial {
        Denial::NotAuthorized {
            caller,
            action,
            resource,
            policy,
            deny,
            policy_arn,
            encoded,
        } => {
            let role = resource.as_deref().unwrap_or("(no resource named)");
            let caller_role = caller_role.unwrap_or(caller);
            let (what, place) = where_it_lives(*policy, caller, caller_role, role);
            let how = match (policy, deny) {
                (Some(PolicyType::ServiceControlPolicy), _) | (_, Some(Deny::Explicit)) => {
                    format!("denied explicitly by {what}")
                }
                (Some(_), _) => format!("denied because nothing in {what} allows it"),
                (None, _) => format!("denied by {what}"),
            };
            let arn = policy_arn
                .as_deref()
                .map(|a| format!(" AWS names the policy: {a}."))
                .unwrap_or_default();
            out.push(Finding::new(
                ids::DENIED,
                Status::Fail,
                format!(
                    "AWS says: {caller} may not {action} on {role}: {how}, which lives {place}.{arn} Likely fix: {}",
                    fix(*policy, *deny, action, caller_role)
                ),
            ));
            if let Some(e) = encoded {
                out.push(encoded_finding(e));
            }
        }
        Denial::Encoded { encoded } => out.push(encoded_finding(encoded)),
        Denial::Limit { limit, percent } => out.push(Finding::new(
            ids::LIMIT,
            Status::Fail,
            match limit {
                Limit::PackedPolicyTooLarge => format!(
                    "AWS says: the session tags and session policies pack to {} of STS's limit; send fewer or shorter tags (keys and values), a shorter inline session policy or fewer policy ARNs; transitive tags of the session before count too",
                    percent.map_or("more than 100%".to_owned(), |p| format!("{p}%"))
                ),
                Limit::ChainedDuration => format!(
                    "AWS says: this session is assumed with role credentials (role chaining, as from an ECS task role), which STS limits to one hour; set --duration (DurationSeconds) to {} or less",
                    crate::session::CHAINED_MAX_DURATION_SECS
                ),
                Limit::MaxSessionDuration => "AWS says: DurationSeconds is above the role's MaxSessionDuration; lower --duration, or raise MaxSessionDuration on the role (aws iam update-role --max-session-duration)".into(),
            },
        )),
    }
    out
}

fn encoded_finding(encoded: &str) -> Finding {
    let shown: String = encoded.chars().take(12).collect();
    Finding::new(
        ids::ENCODED,
        Status::Unknown,
        format!(
            "AWS encoded the reason ({shown}...); a principal allowed sts:DecodeAuthorizationMessage reads it with: aws sts decode-authorization-message --encoded-message ENCODED --query DecodedMessage --output text"
        ),
    )
}

/// Which statements of the model's evaluation (`hop`) the denial points at: the decisive
/// statements of the part whose type AWS named, for the action AWS named. `given` says
/// whether a file of that part was given.
pub fn statements(denial: &Denial, hop: &Hop, given: bool) -> Option<Finding> {
    let Denial::NotAuthorized {
        action,
        policy,
        deny,
        policy_arn,
        ..
    } = denial
    else {
        return None;
    };
    if *policy == Some(PolicyType::VpcEndpointPolicy) {
        return None;
    }
    if !given {
        return Some(Finding::new(
            ids::STATEMENT,
            Status::Unknown,
            format!(
                "AWS named {}, which was not given; give it with {} to see the statement",
                where_it_lives(*policy, "", "", "").0,
                flag_of(*policy)
            ),
        ));
    }
    let wanted = match deny {
        Some(Deny::Explicit) => Some(DecisiveEffect::Deny),
        _ if policy.is_none() => None,
        _ => Some(DecisiveEffect::ImplicitDeny),
    };
    let mut hits = Vec::new();
    for a in hop
        .actions
        .iter()
        .filter(|a| a.action.as_str().eq_ignore_ascii_case(action))
    {
        for d in &a.decisive {
            if names_part(*policy, &d.part)
                && d.effect != DecisiveEffect::Allow
                && wanted.is_none_or(|w| d.effect == w)
            {
                hits.push(match &d.statement {
                    Some(s) => format!("{} {s} denies it", d.policy),
                    None => format!("no statement of {} allows it", d.policy),
                });
            }
        }
    }
    let what = where_it_lives(*policy, "", "", "").0;
    Some(if hits.is_empty() {
        Finding::new(
            ids::STATEMENT,
            Status::Warn,
            format!(
                "AWS named {what}, but the policies given or read do not deny {action} there; the policy AWS evaluated differs from them{}",
                policy_arn
                    .as_deref()
                    .map(|a| format!(" (fetch {a})"))
                    .unwrap_or_default()
            ),
        )
    } else {
        Finding::new(
            ids::STATEMENT,
            Status::Pass,
            format!(
                "AWS's denial by {what} is, in the policies given or read: {}",
                hits.join("; ")
            ),
        )
    })
}

/// Puts AWS's answer into a report's parts: its findings, the statements it points at in the
/// model's last hop (or a hop of its own when the model evaluated none), and the decision,
/// which AWS's refusal makes `denied` whatever the model said (kept as the hop's `model`).
pub fn apply(
    denial: &Denial,
    caller_role: Option<&str>,
    inputs: &Inputs,
    findings: &mut Vec<Finding>,
    hops: &mut Vec<Hop>,
) -> Verdict {
    findings.extend(self::findings(denial, caller_role));
    match hops.last_mut() {
        Some(hop) => {
            findings.extend(statements(denial, hop, given(denial, inputs)));
            let model = hop.online.map_or(hop.decision, |o| o.model);
            hop.online = Some(Observed {
                observed: Some(Verdict::Denied),
                model,
            });
            hop.decision = Verdict::Denied;
            hop.aws = Some(denial.clone());
        }
        None => {
            let (principal, role) = match call_of(denial) {
                Some((caller, _, role)) => (Some(caller_role.unwrap_or(caller)), role),
                None => (None, None),
            };
            hops.push(Hop {
                role_arn: role.unwrap_or_default().to_owned(),
                principal: principal.map(str::to_owned),
                decision: Verdict::Denied,
                actions: Vec::new(),
                online: None,
                aws: Some(denial.clone()),
            });
        }
    }
    Verdict::Denied
}
