//! The checks beside the decision: what IAM refuses to save or what never matches (principal
//! forms, malformed ARNs in `Resource`s, managed policy paths), what is allowed but risky (an
//! open trust policy, a wide `iam:PassRole`), names that differ only in case, and durations STS
//! refuses. Each reads parsed policies and flags and adds findings; none decides the AssumeRole.

use std::collections::BTreeMap;

use super::arns;
use super::eval::{self, AssumeRole, Context, Tri, account_of};
use super::findings::{Finding, FindingId, Status};
use super::inputs::{Inputs, Parsed};
use super::policy::{Effect, Policy, Principal};
use super::service_role::ServiceRoleKind;
use crate::arn;

/// Every lint, in the order their findings are listed.
pub(super) fn all(inputs: &Inputs, parsed: &Parsed, out: &mut Vec<Finding>) {
    managed_policy_arns(&inputs.managed_policy_arns, out);
    for p in parsed.identity.iter().flatten() {
        resource_arns(p, out);
        pass_role(p, out);
    }
    if let Some(p) = &parsed.trust {
        principal_forms(p, out);
        open_trust(p, out);
        service_only_keys(p, out);
    }
    role_name_cases(inputs, parsed.trust.as_ref(), &parsed.identity, out);
    duration(inputs, out);
}

/// The chained-session cap: a role session calling AssumeRole gets at most an hour.
pub const CHAINED_MAX_SECS: u32 = 3600;

/// The duration rolehop asks for, against the one-hour cap on chained sessions.
fn duration(inputs: &Inputs, out: &mut Vec<Finding>) {
    if let (Some(d), Some(max)) = (inputs.duration, inputs.max_session_duration)
        && d > max
    {
        out.push(Finding::new(
            FindingId::RequestDuration,
            Status::Fail,
            format!("rolehop asks for {d} s, above the role's MaxSessionDuration of {max} s: STS refuses with \"exceeds the MaxSessionDuration set for this role\"; lower --duration or raise the role's MaxSessionDuration"),
        ));
    }
    // The cap binds role sessions; a source of IAM user keys may ask for more.
    if let Some(d) = inputs.duration
        && d > CHAINED_MAX_SECS
        && inputs
            .source_role_arn
            .as_deref()
            .is_some_and(|a| a.contains(":role/"))
    {
        out.push(Finding::new(
            FindingId::RequestDuration,
            Status::Fail,
            format!("rolehop asks for {d} s, but a role session (a task role is one) calling AssumeRole gets at most {CHAINED_MAX_SECS} s: STS refuses with \"exceeds the 1 hour session limit for roles assumed by role chaining\"; use --duration {CHAINED_MAX_SECS} or less"),
        ));
    }
}

fn managed_policy_arns(arns_given: &[String], out: &mut Vec<Finding>) {
    for arn in arns_given {
        match arns::policy_arn_problem(arn) {
            Some(problem) => {
                out.push(Finding::new(
                    FindingId::ArnSyntax,
                    Status::Fail,
                    format!("--managed-policy-arn: {problem}"),
                ));
                out.push(Finding::new(
                    FindingId::ManagedPolicyPath,
                    Status::Unknown,
                    format!(
                        "whether {arn} is on the right path: fix its syntax first (see arn.syntax)"
                    ),
                ));
            }
            None => match arns::managed_policy_path_problem(arn) {
                Some(problem) => out.push(Finding::new(
                    FindingId::ManagedPolicyPath,
                    Status::Fail,
                    problem,
                )),
                None => out.push(Finding::new(
                    FindingId::ManagedPolicyPath,
                    Status::Pass,
                    format!("{arn} is well formed"),
                )),
            },
        }
    }
}

/// An Allow that lets anyone, of any account, assume the role: allowed, and worth a warning.
fn open_trust(policy: &Policy, out: &mut Vec<Finding>) {
    for s in &policy.statements {
        let anyone = s.principal.as_ref().is_some_and(Principal::is_anyone);
        if s.effect == Some(Effect::Allow) && anyone && !s.not_principal && s.conditions.is_empty()
        {
            out.push(Finding::new(
                FindingId::TrustOpen,
                Status::Warn,
                format!("{}: {} lets any principal of any AWS account assume the role (Principal `*` with no condition); name the source role, or add a condition such as aws:PrincipalOrgID or aws:PrincipalArn", policy.file, s.label()),
            ));
        }
    }
}

/// Allows for AWS principals that require `aws:SourceAccount`/`aws:SourceArn`, keys only AWS
/// services send: such a statement never matches a role.
fn service_only_keys(policy: &Policy, out: &mut Vec<Finding>) {
    let context = Context::assume_role(None, &AssumeRole::default(), &[]);
    for s in policy
        .statements
        .iter()
        .filter(|s| s.effect == Some(Effect::Allow))
    {
        let aws_principal = match &s.principal {
            Some(Principal::Anyone) => true,
            Some(Principal::Named(m)) => m.aws.is_some(),
            None => false,
        };
        for c in &s.conditions {
            let key = c.key.to_ascii_lowercase();
            if aws_principal
                && (key == "aws:sourceaccount" || key == "aws:sourcearn")
                && eval::condition(c, &context, &mut Vec::new()) == Tri::False
            {
                out.push(Finding::new(
                    FindingId::TrustSourceCondition,
                    Status::Warn,
                    format!("{}: {} requires {} of an AWS principal, but that key exists only on calls made by AWS services, so this statement never matches a role (another statement decides); use aws:PrincipalAccount or aws:PrincipalArn instead", policy.file, s.label(), c.key),
                ));
            }
        }
    }
}

/// `iam:PassRole` granted too widely (not part of the AssumeRole; a warning).
fn pass_role(policy: &Policy, out: &mut Vec<Finding>) {
    let file = &policy.file;
    for s in policy
        .statements
        .iter()
        .filter(|s| s.effect == Some(Effect::Allow))
    {
        let passes_role = s.actions.as_ref().is_some_and(|a| {
            !a.negated && a.items.iter().any(|p| eval::glob(p, "iam:PassRole", true))
        });
        if !passes_role {
            continue;
        }
        let scoped = s
            .conditions
            .iter()
            .any(|c| c.key.eq_ignore_ascii_case("iam:PassedToService"));
        let any_resource = s
            .resources
            .as_ref()
            .is_none_or(|r| r.items.iter().any(|i| i == "*"));
        if !scoped || any_resource {
            let mut why = Vec::new();
            if any_resource {
                why.push("on every role (`Resource: \"*\"`)");
            }
            if !scoped {
                why.push("to any service (no iam:PassedToService condition)");
            }
            out.push(Finding::new(
                FindingId::IdentityPassRole,
                Status::Warn,
                format!("{file}: {} allows iam:PassRole {}; name the role ARNs and add \"Condition\": {{\"StringEquals\": {{\"iam:PassedToService\": \"{}\"}}}}", s.label(), why.join(" and "), ServiceRoleKind::Task.service_principal()),
            ));
        }
    }
}

/// Role and policy ARNs in an identity policy's `Resource`s. IAM saves a malformed ARN and it
/// matches nothing: a warning here, and a FAIL only through the decision it changes. Globs
/// (`*`, `?`) and policy variables are IAM's to match, not typos.
fn resource_arns(policy: &Policy, out: &mut Vec<Finding>) {
    for s in &policy.statements {
        for arn in s.resources.iter().flat_map(|r| &r.items) {
            if arn.contains(['*', '?']) || arn.contains("${") {
                continue;
            }
            if let Some(problem) = arns::iam_arn_problem(arn) {
                out.push(Finding::new(
                    FindingId::ArnSyntax,
                    Status::Warn,
                    format!("{}: {}: {problem}", policy.file, s.label()),
                ));
            }
        }
    }
}

/// Trust principals that can never match: unique ids of deleted roles, partial wildcards,
/// malformed ARNs and account ids.
fn principal_forms(policy: &Policy, out: &mut Vec<Finding>) {
    for s in &policy.statements {
        for p in s.principal.iter().flat_map(Principal::aws) {
            let fail = |why: String| {
                Finding::new(
                    FindingId::TrustPrincipalForm,
                    Status::Fail,
                    format!("{}: {}: principal `{p}` {why}", policy.file, s.label()),
                )
            };
            let warn = |why: String| {
                Finding::new(
                    FindingId::TrustPrincipalForm,
                    Status::Warn,
                    format!("{}: {}: principal `{p}` {why}", policy.file, s.label()),
                )
            };
            let unique_id = p.len() == 21
                && (p.starts_with("AROA") || p.starts_with("AIDA"))
                && p.chars().all(|c| c.is_ascii_alphanumeric());
            if p == "*" {
                continue;
            } else if unique_id {
                // IAM shows it; nobody can save it. It matches nothing: a warning, and the
                // decision fails only if no other statement allows.
                out.push(warn("is the unique id IAM keeps for a deleted role or user; it never matches again, even a re-created one of the same name: replace it with the role's ARN".into()));
            } else if p.contains('*') {
                out.push(fail("has a wildcard inside it, which principals do not support; trust the account and require the role with a Condition: {\"ArnLike\": {\"aws:PrincipalArn\": \"...\"}}".into()));
            } else if p.bytes().all(|b| b.is_ascii_digit()) {
                if p.len() != 12 {
                    out.push(fail(format!(
                        "is {} digits; an account id is exactly 12",
                        p.len()
                    )));
                }
            } else if p.ends_with(":root") {
                let account = account_of(p);
                if !arn::is_account_id(account) || p.split(':').count() != 6 {
                    out.push(fail("is not arn:aws:iam::123456789012:root".into()));
                }
            } else if let Some(problem) = arns::role_arn_problem(p)
                && (p.contains(":role/") || p.split(':').count() != 6)
            {
                out.push(fail(problem));
            }
        }
    }
}

/// Role names that differ only in case across all inputs: `ecsCodeDeployRole` vs `ecsCodedeployRole`.
fn role_name_cases(
    inputs: &Inputs,
    trust: Option<&Policy>,
    identity: &Option<Vec<Policy>>,
    out: &mut Vec<Finding>,
) {
    // Flags first: the role as it exists is the likeliest right spelling.
    let mut names: Vec<String> = Vec::new();
    for arn in inputs.role_arn.iter().chain(&inputs.source_role_arn) {
        names.extend(arns::role_name(arn).map(str::to_owned));
    }
    for s in trust.iter().flat_map(|p| &p.statements) {
        if let Some(principal) = &s.principal {
            names.extend(
                principal
                    .aws()
                    .iter()
                    .filter_map(|p| arns::role_name(p))
                    .map(str::to_owned),
            );
        }
    }
    for s in identity.iter().flatten().flat_map(|p| &p.statements) {
        names.extend(
            s.resources
                .iter()
                .flat_map(|r| &r.items)
                .filter_map(|a| arns::role_name(a))
                .map(str::to_owned),
        );
    }
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in names {
        let group = groups.entry(name.to_lowercase()).or_default();
        if !group.contains(&name) {
            group.push(name);
        }
    }
    for spellings in groups.values().filter(|g| g.len() > 1) {
        let (first, others) = spellings.split_first().expect("more than one");
        out.push(Finding::new(
            FindingId::ArnCase,
            Status::Warn,
            format!(
                "role names {} differ only in case, and IAM role names are case-sensitive when assumed or passed: did you mean {first}?",
                spellings.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(" and "),
            ),
        ));
        let _ = others;
    }
}
