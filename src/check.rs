//! `rolehop check` offline: evaluates trust and identity policies the way IAM decides a
//! cross-account AssumeRole (REFERENCE 7) and says which part is wrong, with the fix. STS answers
//! every failure with one generic "not authorized"; this tells the causes apart. The engine
//! takes parsed inputs and returns findings, so the online mode can feed it fetched policies.
//! The check ids and rules are listed in `docs/CHECK.md`.

pub mod arns;
pub mod clients;
pub mod ecs;
pub mod eval;
pub mod findings;
pub mod online;
pub mod policy;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use eval::{Caller, Context, Decision, Request};
use findings::{Finding, Fix, Report, Status};
use policy::{Effect, Kind, Policy, Principal};

use crate::credentials::Secret;

/// What `check` was given. Files are (name for messages, content).
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub trust_policy: Option<(String, String)>,
    pub identity_policy: Option<(String, String)>,
    pub role_arn: Option<String>,
    pub source_role_arn: Option<String>,
    pub external_id: Option<Secret>,
    pub session_tags: bool,
    pub source_identity: bool,
    pub managed_policy_arns: Vec<String>,
}

/// A flag's ARN once checked: usable, or why not.
enum FlagArn {
    Missing(&'static str),
    Malformed(&'static str),
    Valid(String),
}

impl FlagArn {
    fn read(value: &Option<String>, flag: &'static str, out: &mut Vec<Finding>) -> Self {
        match value {
            None => FlagArn::Missing(flag),
            Some(arn) => match arns::role_arn_problem(arn) {
                Some(problem) => {
                    out.push(Finding::new(
                        "arn.syntax",
                        Status::Fail,
                        format!("{flag}: {problem}"),
                    ));
                    FlagArn::Malformed(flag)
                }
                None => FlagArn::Valid(arn.clone()),
            },
        }
    }

    fn valid(&self) -> Option<&str> {
        match self {
            FlagArn::Valid(arn) => Some(arn),
            _ => None,
        }
    }

    /// Why a check that needs this ARN cannot be decided.
    fn why_unknown(&self) -> String {
        match self {
            FlagArn::Missing(flag) => format!("give {flag} to decide it"),
            FlagArn::Malformed(flag) => format!("{flag} is malformed (see arn.syntax)"),
            FlagArn::Valid(_) => String::new(),
        }
    }
}

fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or_default()
}

/// Runs every check that its inputs allow.
pub fn run(inputs: &Inputs) -> Report {
    let mut out = Vec::new();
    let trust = inputs.trust_policy.as_ref().and_then(|(name, text)| {
        let (p, f) = policy::parse(text, name, Kind::Trust);
        out.extend(f);
        p
    });
    let identity = inputs.identity_policy.as_ref().and_then(|(name, text)| {
        let (p, f) = policy::parse(text, name, Kind::Identity);
        out.extend(f);
        p
    });
    let role = FlagArn::read(&inputs.role_arn, "--role-arn", &mut out);
    let source = FlagArn::read(&inputs.source_role_arn, "--source-role-arn", &mut out);
    for arn in &inputs.managed_policy_arns {
        match arns::policy_arn_problem(arn) {
            Some(problem) => {
                out.push(Finding::new(
                    "arn.syntax",
                    Status::Fail,
                    format!("--managed-policy-arn: {problem}"),
                ));
                out.push(Finding::new(
                    "managed-policy.path",
                    Status::Unknown,
                    format!(
                        "whether {arn} is on the right path: fix its syntax first (see arn.syntax)"
                    ),
                ));
            }
            None => match arns::managed_policy_path_problem(arn) {
                Some(problem) => {
                    out.push(Finding::new("managed-policy.path", Status::Fail, problem))
                }
                None => out.push(Finding::new(
                    "managed-policy.path",
                    Status::Pass,
                    format!("{arn} is well formed"),
                )),
            },
        }
    }
    if let Some(p) = &identity {
        resource_arns(p, &mut out);
    }
    if let Some(p) = &trust {
        principal_forms(p, &mut out);
    }
    role_name_cases(inputs, trust.as_ref(), identity.as_ref(), &mut out);

    let unreadable = |name: &str| format!("{name} could not be read as a policy (see policy.json)");
    if let (Some((name, _)), None) = (&inputs.trust_policy, &trust) {
        out.push(Finding::new(
            "trust.allows",
            Status::Unknown,
            unreadable(name),
        ));
        for (flag, id) in [
            (inputs.session_tags, "trust.tag-session"),
            (inputs.source_identity, "trust.set-source-identity"),
        ] {
            if flag {
                out.push(Finding::new(id, Status::Unknown, unreadable(name)));
            }
        }
    }
    if let (Some((name, _)), None) = (&inputs.identity_policy, &identity) {
        out.push(Finding::new(
            "identity.assume-role",
            Status::Unknown,
            unreadable(name),
        ));
        out.push(Finding::new(
            "identity.pass-role",
            Status::Unknown,
            unreadable(name),
        ));
    }
    let caller = source.valid().map(|arn| Caller {
        role_arn: arn.to_owned(),
        account: account_of(arn).to_owned(),
    });
    let context = Context::assume_role(
        caller.as_ref(),
        inputs.external_id.as_ref().map(Secret::expose),
        inputs.session_tags,
        inputs.source_identity,
    );
    if let Some(t) = &trust {
        trust_checks(
            t,
            inputs,
            &role,
            &source,
            caller.as_ref(),
            &context,
            &mut out,
        );
    }
    if let Some(i) = &identity {
        identity_checks(
            i,
            trust.as_ref(),
            inputs,
            &role,
            &source,
            caller.as_ref(),
            &context,
            &mut out,
        );
    }
    Report { findings: out }
}

/// Role and policy ARNs in an identity policy's `Resource`s.
fn resource_arns(policy: &Policy, out: &mut Vec<Finding>) {
    for s in &policy.statements {
        for arn in s.resources.iter().flat_map(|r| &r.items) {
            if let Some(problem) = arns::iam_arn_problem(arn) {
                out.push(Finding::new(
                    "arn.syntax",
                    Status::Fail,
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
        let Some(Principal::Map(map)) = &s.principal else {
            continue;
        };
        for p in map.get("AWS").into_iter().flatten() {
            let fail = |why: String| {
                Finding::new(
                    "trust.principal-form",
                    Status::Fail,
                    format!("{}: {}: principal `{p}` {why}", policy.file, s.label()),
                )
            };
            let unique_id = p.len() == 21
                && (p.starts_with("AROA") || p.starts_with("AIDA"))
                && p.chars().all(|c| c.is_ascii_alphanumeric());
            if p == "*" {
                continue;
            } else if unique_id {
                out.push(fail("is the unique id IAM keeps for a deleted role or user; it never matches again, even a re-created one of the same name: replace it with the role's ARN".into()));
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
                if !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
                    || p.split(':').count() != 6
                {
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
    identity: Option<&Policy>,
    out: &mut Vec<Finding>,
) {
    // Flags first: the role as it exists is the likeliest right spelling.
    let mut names: Vec<String> = Vec::new();
    for arn in inputs.role_arn.iter().chain(&inputs.source_role_arn) {
        names.extend(arns::role_name(arn).map(str::to_owned));
    }
    for s in trust.iter().flat_map(|p| &p.statements) {
        if let Some(Principal::Map(map)) = &s.principal {
            names.extend(
                map.get("AWS")
                    .into_iter()
                    .flatten()
                    .filter_map(|p| arns::role_name(p))
                    .map(str::to_owned),
            );
        }
    }
    for s in identity.iter().flat_map(|p| &p.statements) {
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
            "arn.case",
            Status::Fail,
            format!(
                "role names {} differ only in case, and IAM role names are case-sensitive when assumed or passed: did you mean {first}?",
                spellings.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(" and "),
            ),
        ));
        let _ = others;
    }
}

fn merged(policy: &Policy, statement: &Value) -> Value {
    let mut document = policy.document.clone();
    match document.get_mut("Statement") {
        Some(Value::Array(items)) => items.push(statement.clone()),
        Some(single @ Value::Object(_)) => *single = json!([single.clone(), statement.clone()]),
        _ => document["Statement"] = json!([statement.clone()]),
    }
    if document.get("Version").and_then(Value::as_str) != Some("2012-10-17") {
        document["Version"] = json!("2012-10-17");
    }
    document
}

fn trust_fix(
    policy: &Policy,
    inputs: &Inputs,
    source: &str,
    role: Option<&str>,
    actions: Vec<&str>,
) -> Fix {
    let mut statement = json!({
        "Sid": "RolehopTrustSourceRole",
        "Effect": "Allow",
        "Principal": {"AWS": source},
        "Action": if actions.len() == 1 { json!(actions[0]) } else { json!(actions) },
    });
    if let Some(id) = inputs.external_id.as_ref().map(Secret::expose) {
        statement["Condition"] = json!({"StringEquals": {"sts:ExternalId": id}});
    }
    let name = role
        .and_then(arns::role_name)
        .unwrap_or("DESTINATION_ROLE_NAME");
    Fix {
        policy: merged(policy, &statement),
        statement,
        command: format!(
            "aws iam update-assume-role-policy --role-name {name} --policy-document file://trust-policy.json"
        ),
    }
}

fn identity_fix(policy: &Policy, source: Option<&str>, role: &str, actions: Vec<&str>) -> Fix {
    let statement = json!({
        "Sid": "RolehopAssumeDestinationRole",
        "Effect": "Allow",
        "Action": if actions.len() == 1 { json!(actions[0]) } else { json!(actions) },
        "Resource": role,
    });
    let source_name = source
        .and_then(arns::role_name)
        .unwrap_or("SOURCE_ROLE_NAME");
    let dest_name = arns::role_name(role).unwrap_or("destination");
    Fix {
        policy: merged(policy, &statement),
        statement,
        command: format!(
            "aws iam put-role-policy --role-name {source_name} --policy-name rolehop-assume-{dest_name} --policy-document file://identity-policy.json"
        ),
    }
}

fn actions_for(inputs: &Inputs) -> Vec<&'static str> {
    let mut actions = vec!["sts:AssumeRole"];
    if inputs.session_tags {
        actions.push("sts:TagSession");
    }
    if inputs.source_identity {
        actions.push("sts:SetSourceIdentity");
    }
    actions
}

/// Role ARNs a trust policy names, for "did you mean" messages.
fn named_roles(policy: &Policy) -> Vec<String> {
    let mut out = Vec::new();
    for s in &policy.statements {
        if let Some(Principal::Map(map)) = &s.principal {
            out.extend(
                map.get("AWS")
                    .into_iter()
                    .flatten()
                    .filter(|p| p.contains(":role/"))
                    .cloned(),
            );
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn trust_checks(
    policy: &Policy,
    inputs: &Inputs,
    role: &FlagArn,
    source: &FlagArn,
    caller: Option<&Caller>,
    context: &Context,
    out: &mut Vec<Finding>,
) {
    let file = &policy.file;
    // trust.source-condition: service-only keys on an AWS principal.
    for s in policy
        .statements
        .iter()
        .filter(|s| s.effect == Some(Effect::Allow))
    {
        let aws_principal = match &s.principal {
            Some(Principal::Anyone) => true,
            Some(Principal::Map(m)) => m.contains_key("AWS"),
            None => false,
        };
        for c in &s.conditions {
            let key = c.key.to_ascii_lowercase();
            // "Requires": the condition is false when the key is absent, as it always is here.
            if aws_principal
                && (key == "aws:sourceaccount" || key == "aws:sourcearn")
                && eval::condition(c, context) == eval::Tri::False
            {
                out.push(Finding::new(
                    "trust.source-condition",
                    Status::Fail,
                    format!("{file}: {} requires {} of an AWS principal, but that key exists only on calls made by AWS services, so it never matches a role; use aws:PrincipalAccount or aws:PrincipalArn instead", s.label(), c.key),
                ));
            }
        }
    }
    // trust.external-id: conditions on sts:ExternalId that are false without one.
    let without_id = Context::assume_role(None, None, false, false);
    let with_id = inputs
        .external_id
        .as_ref()
        .map(|id| id.expose())
        .map(|id| Context::assume_role(None, Some(id), false, false));
    let requiring: Vec<&policy::Condition> = policy
        .statements
        .iter()
        .filter(|s| s.effect == Some(Effect::Allow))
        .flat_map(|s| &s.conditions)
        .filter(|c| {
            c.key.eq_ignore_ascii_case("sts:ExternalId")
                && eval::condition(c, &without_id) == eval::Tri::False
        })
        .collect();
    let named: Vec<String> = requiring
        .iter()
        .flat_map(|c| &c.values)
        .map(|v| format!("`{v}`"))
        .collect();
    match (&with_id, requiring.is_empty()) {
        (None, false) => out.push(Finding::new(
            "trust.external-id",
            Status::Fail,
            format!("{file} requires an sts:ExternalId, and none is configured; pass the one the role's owner gave you with --external-id (rolehop: --external-id or external_id in the config file)"),
        )),
        (Some(ctx), false) if requiring.iter().any(|c| eval::condition(c, ctx) == eval::Tri::False) => {
            out.push(Finding::new(
                "trust.external-id",
                Status::Fail,
                format!("{file} requires sts:ExternalId {}, and the configured external id differs; use the value the trust policy names", named.join(" or ")),
            ))
        }
        (Some(_), false) => out.push(Finding::new(
            "trust.external-id",
            Status::Pass,
            format!("{file} requires the external id that is configured"),
        )),
        (Some(_), true) => out.push(Finding::new(
            "trust.external-id",
            Status::Pass,
            format!("{file} does not require an external id; passing one is harmless"),
        )),
        (None, true) => {}
    }

    let Some(caller) = caller else {
        out.push(Finding::new(
            "trust.allows",
            Status::Unknown,
            format!(
                "whether {file} lets the source role assume it: {}",
                source.why_unknown()
            ),
        ));
        for (flag, id) in [
            (inputs.session_tags, "trust.tag-session"),
            (inputs.source_identity, "trust.set-source-identity"),
        ] {
            if flag {
                out.push(Finding::new(id, Status::Unknown, source.why_unknown()));
            }
        }
        return;
    };
    let role_name = role
        .valid()
        .and_then(arns::role_name)
        .unwrap_or("the destination role");
    let decide = |action: &str| {
        eval::decide(
            policy,
            &Request {
                action,
                resource: None,
                caller: Some(caller),
                context,
            },
        )
    };
    match decide("sts:AssumeRole") {
        Decision::Allow { statement } => out.push(Finding::new(
            "trust.allows",
            Status::Pass,
            format!("{file} lets {} call sts:AssumeRole (statement {statement})", caller.role_arn),
        )),
        Decision::ExplicitDeny { statement } => out.push(Finding::new(
            "trust.allows",
            Status::Fail,
            format!("{file}: statement {statement} explicitly denies {} sts:AssumeRole, and a Deny always wins; narrow or remove that statement", caller.role_arn),
        )),
        Decision::Unknown { keys } => out.push(Finding::new(
            "trust.allows",
            Status::Unknown,
            format!("{file} allows {} only if {} matches, which cannot be known offline; run rolehop check in the task to try it", caller.role_arn, keys.join(", ")),
        )),
        Decision::ImplicitDeny => {
            let near: Vec<String> = named_roles(policy).into_iter().filter(|r| *r != caller.role_arn).collect();
            let hint = if near.is_empty() {
                String::new()
            } else {
                format!(" (it names {})", near.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", "))
            };
            out.push(
                Finding::new(
                    "trust.allows",
                    Status::Fail,
                    format!("{file} does not let {} call sts:AssumeRole on {role_name}{hint}; add the statement below", caller.role_arn),
                )
                .with_fix(Some(trust_fix(policy, inputs, &caller.role_arn, role.valid(), actions_for(inputs)))),
            );
        }
    }
    for (flag, id, action) in [
        (inputs.session_tags, "trust.tag-session", "sts:TagSession"),
        (
            inputs.source_identity,
            "trust.set-source-identity",
            "sts:SetSourceIdentity",
        ),
    ] {
        if !flag {
            continue;
        }
        match decide(action) {
            Decision::Allow { .. } => out.push(Finding::new(id, Status::Pass, format!("{file} lets the source role call {action}"))),
            Decision::Unknown { keys } => out.push(Finding::new(id, Status::Unknown, format!("{file} allows {action} only if {} matches, which cannot be known offline", keys.join(", ")))),
            _ => out.push(
                Finding::new(id, Status::Fail, format!("{file} does not let {} call {action}, which rolehop needs because it passes {}; add {action} to the trust statement's actions", caller.role_arn, if action == "sts:TagSession" { "session tags" } else { "a source identity" }))
                    .with_fix(Some(trust_fix(policy, inputs, &caller.role_arn, role.valid(), actions_for(inputs)))),
            ),
        }
    }
}

/// True when `trust` has an Allow naming the caller's role ARN itself (same-account rule).
fn trust_names_role_itself(trust: &Policy, caller: &Caller, context: &Context) -> bool {
    trust.statements.iter().any(|s| {
        s.effect == Some(Effect::Allow)
            && matches!(&s.principal, Some(Principal::Map(m)) if m.get("AWS").is_some_and(|v| v.contains(&caller.role_arn)))
            && eval::applies(s, &Request { action: "sts:AssumeRole", resource: None, caller: Some(caller), context }) == eval::Tri::True
    })
}

#[allow(clippy::too_many_arguments)]
fn identity_checks(
    policy: &Policy,
    trust: Option<&Policy>,
    inputs: &Inputs,
    role: &FlagArn,
    source: &FlagArn,
    caller: Option<&Caller>,
    context: &Context,
    out: &mut Vec<Finding>,
) {
    let file = &policy.file;
    // identity.pass-role
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
                "identity.pass-role",
                Status::Warn,
                format!("{file}: {} allows iam:PassRole {}; name the role ARNs and add \"Condition\": {{\"StringEquals\": {{\"iam:PassedToService\": \"ecs-tasks.amazonaws.com\"}}}}", s.label(), why.join(" and ")),
            ));
        }
    }
    let Some(role_arn) = role.valid() else {
        out.push(Finding::new(
            "identity.assume-role",
            Status::Unknown,
            format!(
                "whether {file} lets the source role call sts:AssumeRole: {}",
                role.why_unknown()
            ),
        ));
        return;
    };
    let same_account = caller.is_some_and(|c| c.account == account_of(role_arn));
    let decide = |action: &str| {
        eval::decide(
            policy,
            &Request {
                action,
                resource: Some(role_arn),
                caller: None,
                context,
            },
        )
    };
    if let (true, Some(t), Some(c)) = (same_account, trust, caller)
        && trust_names_role_itself(t, c, context)
    {
        out.push(Finding::new(
            "identity.assume-role",
            Status::Pass,
            format!(
                "not needed: the roles are in one account and {} names the source role itself",
                t.file
            ),
        ));
    } else {
        match decide("sts:AssumeRole") {
            Decision::Allow { statement } => out.push(Finding::new("identity.assume-role", Status::Pass, format!("{file} allows sts:AssumeRole on {role_arn} (statement {statement})"))),
            Decision::ExplicitDeny { statement } => out.push(Finding::new(
                "identity.assume-role",
                Status::Fail,
                format!("{file}: statement {statement} explicitly denies sts:AssumeRole on {role_arn}, and a Deny always wins; narrow or remove it"),
            )),
            Decision::Unknown { keys } => out.push(Finding::new(
                "identity.assume-role",
                Status::Unknown,
                format!("{file} allows sts:AssumeRole on {role_arn} only if {} matches, which cannot be known offline", keys.join(", ")),
            )),
            Decision::ImplicitDeny => {
                let named: Vec<String> = policy
                    .statements
                    .iter()
                    .filter(|s| s.actions.as_ref().is_some_and(|a| a.items.iter().any(|p| eval::glob(p, "sts:AssumeRole", true))))
                    .flat_map(|s| s.resources.iter().flat_map(|r| r.items.clone()))
                    .collect();
                let hint = if named.is_empty() { String::new() } else { format!(" (it allows it on {})", named.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")) };
                out.push(
                    Finding::new("identity.assume-role", Status::Fail, format!("{file} does not allow sts:AssumeRole on {role_arn}{hint}; across accounts the source role needs this as well as the trust policy; add the statement below"))
                        .with_fix(Some(identity_fix(policy, source.valid(), role_arn, actions_for(inputs)))),
                );
            }
        }
    }
    let cross_account = caller.is_some_and(|c| c.account != account_of(role_arn));
    for (flag, id, action) in [
        (
            inputs.session_tags,
            "identity.tag-session",
            "sts:TagSession",
        ),
        (
            inputs.source_identity,
            "identity.set-source-identity",
            "sts:SetSourceIdentity",
        ),
    ] {
        if !flag || !cross_account {
            continue;
        }
        match decide(action) {
            Decision::Allow { .. } => out.push(Finding::new(id, Status::Pass, format!("{file} allows {action} on {role_arn}"))),
            Decision::Unknown { keys } => out.push(Finding::new(id, Status::Unknown, format!("{file} allows {action} only if {} matches, which cannot be known offline", keys.join(", ")))),
            _ => out.push(
                Finding::new(id, Status::Fail, format!("{file} does not allow {action} on {role_arn}; across accounts both sides must allow it"))
                    .with_fix(Some(identity_fix(policy, source.valid(), role_arn, actions_for(inputs)))),
            ),
        }
    }
}
