//! `rolehop check` offline: evaluates the exact AssumeRole rolehop sends against the whole
//! policy set that decides it — the source role's identity policies, permissions boundary and
//! session policy, the SCPs of its account, the RCPs of the destination account and the
//! destination role's trust policy — with one evaluator (`eval`, REFERENCE 7), and says which
//! part decides, with the fix. STS answers every failure with one generic "not authorized";
//! this tells the causes apart. Every FAIL about the decision comes from that evaluation; a
//! finding that does not change it is a WARN. The engine takes parsed inputs and returns
//! findings, so the online mode can feed it fetched policies. The check ids and rules are
//! listed in `docs/CHECK.md`.

pub mod arns;
pub mod clients;
pub mod ecs;
pub mod eval;
pub mod findings;
pub mod online;
pub mod operator;
pub mod platform;
pub mod policy;
pub mod tri;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use eval::{
    ActionDecision, AssumeRole, Caller, Context, Miss, Part, PartResult, PolicySet, Tri, account_of,
};
use findings::{Finding, Fix, Report, Status, Verdict};
use policy::{Effect, Kind, Policy, Principal};

use crate::credentials::Secret;

/// A file given to `check`: (name for messages, content).
pub type File = (String, String);

/// What `check` was given.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub trust_policy: Option<File>,
    /// The source role's policies (inline and attached managed); they combine as one.
    pub identity_policies: Vec<File>,
    pub permissions_boundary: Option<File>,
    pub session_policy: Option<File>,
    /// One file per level of the source account's organization path.
    pub scps: Vec<File>,
    /// One file per level of the destination account's organization path.
    pub rcps: Vec<File>,
    /// `--context KEY=VALUE`, in order.
    pub context: Vec<(String, String)>,
    pub role_arn: Option<String>,
    pub source_role_arn: Option<String>,
    pub external_id: Option<Secret>,
    pub session_name: Option<String>,
    /// The name of the calling session (the source role's session), which session principals
    /// (`arn:aws:sts::A:assumed-role/ROLE/SESSION`) name.
    pub source_session_name: Option<String>,
    pub session_tags: bool,
    pub source_identity: bool,
    pub duration: Option<u32>,
    /// The destination role's MaxSessionDuration.
    pub max_session_duration: Option<u32>,
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

fn parse_one(file: &Option<File>, kind: Kind, out: &mut Vec<Finding>) -> Option<Policy> {
    let (name, text) = file.as_ref()?;
    let (p, f) = policy::parse(text, name, kind);
    out.extend(f);
    p
}

/// One organization level: a file holding one policy or a JSON array of the policies attached
/// at that level. `None` when it could not be read.
fn parse_level(file: &File, kind: Kind, out: &mut Vec<Finding>) -> Option<Vec<Policy>> {
    let (name, text) = file;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(docs)) => {
            let mut level = Vec::new();
            for (i, doc) in docs.iter().enumerate() {
                let (p, f) = policy::parse(&doc.to_string(), &format!("{name}[{i}]"), kind);
                out.extend(f);
                level.push(p?);
            }
            Some(level)
        }
        _ => {
            let (p, f) = policy::parse(text, name, kind);
            out.extend(f);
            p.map(|p| vec![p])
        }
    }
}

/// `KEY=VALUE` pairs of `--context`; a usage error names the bad one.
pub fn parse_context(raw: &[String]) -> Result<Vec<(String, String)>, String> {
    raw.iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
            _ => Err(format!(
                "--context `{kv}` is not KEY=VALUE (e.g. aws:PrincipalOrgID=o-a1b2c3d4e5)"
            )),
        })
        .collect()
}

/// The chained-session cap: a role session calling AssumeRole gets at most an hour.
pub const CHAINED_MAX_SECS: u32 = 3600;

/// Everything parsed, for one hop's evaluation.
struct Parsed {
    trust: Option<Policy>,
    identity: Option<Vec<Policy>>,
    boundary: Option<Policy>,
    session: Option<Policy>,
    scps: Vec<Option<Vec<Policy>>>,
    rcps: Vec<Option<Vec<Policy>>>,
}

impl Parsed {
    fn set(&self) -> PolicySet<'_> {
        fn levels(l: &[Option<Vec<Policy>>]) -> Vec<Option<Vec<&Policy>>> {
            l.iter()
                .map(|level| level.as_ref().map(|docs| docs.iter().collect()))
                .collect()
        }
        PolicySet {
            identity: self.identity.as_ref().map(|v| v.iter().collect()),
            boundary: self.boundary.as_ref(),
            session: self.session.as_ref(),
            scps: levels(&self.scps),
            rcps: levels(&self.rcps),
            trust: self.trust.as_ref(),
        }
    }
}

/// Runs every check that its inputs allow, and the decision.
pub fn run(inputs: &Inputs) -> Report {
    let mut out = Vec::new();
    let trust = parse_one(&inputs.trust_policy, Kind::Trust, &mut out);
    let mut identity_docs = Vec::new();
    let mut identity_unreadable = false;
    for file in &inputs.identity_policies {
        match parse_one(&Some(file.clone()), Kind::Identity, &mut out) {
            Some(p) => identity_docs.push(p),
            None => identity_unreadable = true,
        }
    }
    let parsed = Parsed {
        identity: (!inputs.identity_policies.is_empty() && !identity_unreadable)
            .then_some(identity_docs),
        boundary: parse_one(&inputs.permissions_boundary, Kind::Boundary, &mut out),
        session: parse_one(&inputs.session_policy, Kind::Session, &mut out),
        scps: inputs
            .scps
            .iter()
            .map(|f| parse_level(f, Kind::Scp, &mut out))
            .collect(),
        rcps: inputs
            .rcps
            .iter()
            .map(|f| parse_level(f, Kind::Rcp, &mut out))
            .collect(),
        trust,
    };
    let role = FlagArn::read(&inputs.role_arn, "--role-arn", &mut out);
    let source = FlagArn::read(&inputs.source_role_arn, "--source-role-arn", &mut out);
    managed_policy_arns(&inputs.managed_policy_arns, &mut out);
    for p in parsed.identity.iter().flatten() {
        resource_arns(p, &mut out);
        pass_role(p, &mut out);
    }
    if let Some(p) = &parsed.trust {
        principal_forms(p, &mut out);
        open_trust(p, &mut out);
        service_only_keys(p, &mut out);
    }
    role_name_cases(inputs, parsed.trust.as_ref(), &parsed.identity, &mut out);
    duration(inputs, &mut out);

    // The decision.
    let Some(role_arn) = role.valid() else {
        for (given, id) in [
            (inputs.trust_policy.is_some(), "trust.allows"),
            (!inputs.identity_policies.is_empty(), "identity.assume-role"),
        ] {
            if given {
                out.push(Finding::new(
                    id,
                    Status::Unknown,
                    format!("whether the AssumeRole is allowed: {}", role.why_unknown()),
                ));
            }
        }
        return Report::new(out, Verdict::Unknown, Vec::new());
    };
    let caller = source.valid().map(|arn| Caller {
        session_name: inputs.source_session_name.clone(),
        ..Caller::of_role(arn)
    });
    let call = AssumeRole {
        role_arn: role_arn.to_owned(),
        external_id: inputs.external_id.as_ref().map(|s| s.expose().to_owned()),
        session_name: inputs.session_name.clone(),
        session_tags: inputs.session_tags,
        source_identity: inputs.source_identity,
    };
    let context = Context::assume_role(caller.as_ref(), &call, &inputs.context);
    let set = parsed.set();
    let decisions: Vec<ActionDecision> = call
        .actions()
        .into_iter()
        .map(|action| eval::decide(&set, caller.as_ref(), &call, action, &context))
        .collect();
    let verdict = Verdict::from(
        decisions
            .iter()
            .map(|d| d.decision)
            .fold(Tri::True, Tri::and),
    );
    let who = caller
        .as_ref()
        .map_or("the source role".to_owned(), |c| c.role_arn.clone());
    let explain = Explain {
        inputs,
        parsed: &parsed,
        role: role_arn,
        caller: caller.as_ref(),
        who: &who,
        source: &source,
        identity_unreadable,
        context: &context,
    };
    for d in &decisions {
        explain.findings(d, &mut out);
    }
    // A statement that can never match is a warning, unless the decision failed for want of
    // it (then the FAIL above says so).
    if out
        .iter()
        .any(|f| f.id == "trust.source-condition" && f.status == Status::Fail)
    {
        out.retain(|f| !(f.id == "trust.source-condition" && f.status == Status::Warn));
    }
    // Several actions of one call may find the same cause; say it once.
    let mut seen = std::collections::HashSet::new();
    out.retain(|f| seen.insert((f.id, f.status, f.message.clone())));
    let hop = explain.hop_json(&decisions, verdict);
    Report::new(out, verdict, vec![hop])
}

/// The findings and the JSON of one hop's decisions.
struct Explain<'a> {
    inputs: &'a Inputs,
    parsed: &'a Parsed,
    role: &'a str,
    caller: Option<&'a Caller>,
    who: &'a str,
    source: &'a FlagArn,
    identity_unreadable: bool,
    context: &'a Context,
}

fn part_id(part: &Part, action: &str) -> &'static str {
    match (part, action) {
        (Part::Trust, "sts:AssumeRole") => "trust.allows",
        (Part::Trust, "sts:TagSession") => "trust.tag-session",
        (Part::Trust, _) => "trust.set-source-identity",
        (Part::Identity, "sts:AssumeRole") => "identity.assume-role",
        (Part::Identity, "sts:TagSession") => "identity.tag-session",
        (Part::Identity, _) => "identity.set-source-identity",
        (Part::Scp(_), _) => "scp.allows",
        (Part::Rcp(_), _) => "rcp.allows",
        (Part::PermissionsBoundary, _) => "boundary.allows",
        (Part::SessionPolicy, _) => "session-policy.allows",
    }
}

fn list(items: impl IntoIterator<Item = String>) -> String {
    items.into_iter().collect::<Vec<_>>().join(", ")
}

impl Explain<'_> {
    /// The files of a part, for messages.
    fn files(&self, part: &Part) -> String {
        let names = |l: &Option<Vec<Policy>>| -> Vec<String> {
            l.iter().flatten().map(|p| p.file.clone()).collect()
        };
        match part {
            Part::Scp(l) => list(self.parsed.scps.get(l - 1).map(names).unwrap_or_default()),
            Part::Rcp(l) => list(self.parsed.rcps.get(l - 1).map(names).unwrap_or_default()),
            Part::PermissionsBoundary => list(self.parsed.boundary.iter().map(|p| p.file.clone())),
            Part::SessionPolicy => list(self.parsed.session.iter().map(|p| p.file.clone())),
            Part::Identity => list(
                self.parsed
                    .identity
                    .iter()
                    .flatten()
                    .map(|p| p.file.clone()),
            ),
            Part::Trust => list(self.parsed.trust.iter().map(|p| p.file.clone())),
        }
    }

    fn findings(&self, d: &ActionDecision, out: &mut Vec<Finding>) {
        let assume = d.action == "sts:AssumeRole";
        for p in &d.parts {
            // A part that was not given says so in the decision, not as a finding; trust and
            // identity keep their ids when their input was given but unusable.
            if p.group.is_none() {
                let unusable = match p.part {
                    Part::Trust if self.inputs.trust_policy.is_some() => Some(format!(
                        "{} could not be read as a policy (see policy.json)",
                        self.inputs
                            .trust_policy
                            .as_ref()
                            .map(|f| f.0.as_str())
                            .unwrap_or_default()
                    )),
                    Part::Identity if self.identity_unreadable => Some(
                        "a --identity-policy file could not be read as a policy (see policy.json)"
                            .to_owned(),
                    ),
                    Part::Scp(_) | Part::Rcp(_) => p.missing.clone(),
                    _ => None,
                };
                if let Some(why) = unusable {
                    out.push(Finding::new(
                        part_id(&p.part, d.action),
                        Status::Unknown,
                        why,
                    ));
                }
                continue;
            }
            // Identity-side TagSession / SetSourceIdentity matter across accounts only.
            if !assume && p.part == Part::Identity && p.not_needed {
                continue;
            }
            if !assume && p.passes == Tri::True && !matches!(p.part, Part::Trust | Part::Identity) {
                continue;
            }
            out.extend(self.part_findings(d, p));
        }
    }

    fn part_findings(&self, d: &ActionDecision, p: &PartResult) -> Vec<Finding> {
        let id = part_id(&p.part, d.action);
        let g = p.group.as_ref().expect("given parts have a group");
        let files = self.files(&p.part);
        let action = d.action;
        let role = self.role;
        let who = self.who;
        let mut out = Vec::new();
        // Which level of an organization path, when it is one.
        let level = match p.part {
            Part::Scp(l) => format!("SCPs of the source account, level {l}: "),
            Part::Rcp(l) => format!("RCPs of the destination account, level {l}: "),
            _ => String::new(),
        };
        match p.passes {
            Tri::True => {
                let message = if p.not_needed {
                    format!(
                        "not needed: the roles are in one account and {} names the source role itself",
                        self.files(&Part::Trust)
                    )
                } else if let Some(by) = g.allowed_by.first() {
                    format!("{by} allows {who} {action} on {role}")
                } else {
                    format!("no Deny in {files} applies to {action} on {role}")
                };
                out.push(Finding::new(id, Status::Pass, message));
            }
            Tri::Unknown => {
                let keys = if g.unknown.is_empty() {
                    "keys not given".to_owned()
                } else {
                    list(g.unknown.iter().cloned())
                };
                let which = if g.deny == Tri::Unknown {
                    "a Deny in it may apply"
                } else {
                    "it allows it only under conditions"
                };
                out.push(Finding::new(
                    id,
                    Status::Unknown,
                    format!(
                        "whether {files} lets {who} {action} on {role}: {which} that hang on {keys}; give the value with --context KEY=VALUE, or run rolehop check in the task"
                    ),
                ));
            }
            Tri::False if !g.denied_by.is_empty() => {
                let because = list(g.denied_by.iter().filter_map(|at| self.why_it_applies(at)));
                let because = if because.is_empty() {
                    String::new()
                } else {
                    format!(" (it applies because {because})")
                };
                let remedy = match p.part {
                    Part::Scp(_) | Part::Rcp(_) => {
                        "the organization's administrators own it: change what the request carries (the region, the network path, the tags) or ask them for an exception"
                    }
                    _ => "narrow or remove that statement",
                };
                out.push(Finding::new(
                    id,
                    Status::Fail,
                    format!(
                        "{} explicitly denies {who} {action} on {role}{because}, and a Deny always wins; {remedy}",
                        list(g.denied_by.iter().map(|s| s.to_string()))
                    ),
                ));
            }
            Tri::False => {
                let mut finding = Finding::new(
                    id,
                    Status::Fail,
                    format!(
                        "{} of {files} allows {who} {action} on {role}{}; {}",
                        if files.contains(", ") {
                            "no policy"
                        } else {
                            "no statement"
                        },
                        self.misses_hint(&p.part, &g.misses),
                        self.remedy(&p.part, action),
                    ),
                );
                finding.fix = self.fix(&p.part);
                out.push(finding);
                if p.part == Part::Trust {
                    out.extend(self.trust_condition_causes(&g.misses));
                }
            }
        }
        for f in &mut out {
            f.message = format!("{level}{}", f.message);
        }
        out
    }

    /// The statement a reference names, in any of the parsed policies.
    fn statement(&self, at: &eval::StatementRef) -> Option<&policy::Statement> {
        let p = self.parsed;
        p.trust
            .iter()
            .chain(p.identity.iter().flatten())
            .chain(&p.boundary)
            .chain(&p.session)
            .chain(p.scps.iter().flatten().flatten())
            .chain(p.rcps.iter().flatten().flatten())
            .filter(|d| d.file == at.policy)
            .flat_map(|d| &d.statements)
            .find(|s| s.label() == at.statement)
    }

    /// "aws:RequestedRegion is `us-east-1` (StringNotEquals eu-west-1, eu-central-1)": the
    /// values that made a Deny's conditions hold.
    fn why_it_applies(&self, at: &eval::StatementRef) -> Option<String> {
        let s = self.statement(at)?;
        let parts: Vec<String> = s
            .conditions
            .iter()
            .map(|c| {
                let actual = match self.context.get(&c.key) {
                    eval::Key::Present(v) => list(v.iter().map(|v| format!("`{v}`"))),
                    eval::Key::Absent => "absent".into(),
                    eval::Key::Unknown(_) => "unknown".into(),
                };
                format!(
                    "{} is {actual} ({} {})",
                    c.key,
                    c.operator,
                    c.values.join(", ")
                )
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join(" and "))
    }

    fn remedy(&self, part: &Part, action: &str) -> String {
        match part {
            Part::Trust if action == "sts:AssumeRole" => "add the statement below".into(),
            Part::Trust => format!(
                "add {action} to the trust statement's actions, which rolehop needs because it passes {}",
                if action == "sts:TagSession" { "session tags" } else { "a source identity" }
            ),
            Part::Identity if action == "sts:AssumeRole" => "across accounts the source role needs this as well as the trust policy; add the statement below".into(),
            Part::Identity => "across accounts both sides must allow it; add it to the statement below".into(),
            Part::Scp(_) => format!("every level of the organization path must allow it: an administrator of the organization adds an Allow of {action} at this level (or attaches FullAWSAccess)"),
            Part::Rcp(_) => unreachable!("RCPs allow implicitly"),
            Part::PermissionsBoundary => format!("the boundary caps what the identity policies grant; add {action} on this role to the boundary"),
            Part::SessionPolicy => format!("the session can do only what its session policy allows; add {action} on this role to it"),
        }
    }

    /// "(it names ...)" or "(it allows it on ...)" for the statements that nearly applied.
    fn misses_hint(&self, part: &Part, misses: &[(eval::StatementRef, Miss)]) -> String {
        let mut named: Vec<String> = Vec::new();
        match part {
            Part::Trust => {
                if let (Some(t), Some(c)) = (&self.parsed.trust, self.caller) {
                    named.extend(named_roles(t).into_iter().filter(|r| *r != c.role_arn));
                }
                if named.is_empty() {
                    return String::new();
                }
                format!(
                    " (it names {})",
                    list(named.iter().map(|r| format!("`{r}`")))
                )
            }
            _ => {
                let resources: Vec<String> = misses
                    .iter()
                    .filter(|(_, m)| *m == Miss::Resource)
                    .filter_map(|(at, _)| self.statement_resources(part, at))
                    .flatten()
                    .collect();
                if resources.is_empty() {
                    return String::new();
                }
                format!(
                    " (it allows it on {})",
                    list(resources.iter().map(|r| format!("`{r}`")))
                )
            }
        }
    }

    fn statement_resources(&self, part: &Part, at: &eval::StatementRef) -> Option<Vec<String>> {
        let docs: Vec<&Policy> = match part {
            Part::Identity => self.parsed.identity.iter().flatten().collect(),
            Part::PermissionsBoundary => self.parsed.boundary.iter().collect(),
            Part::SessionPolicy => self.parsed.session.iter().collect(),
            _ => Vec::new(),
        };
        let s = docs
            .iter()
            .filter(|p| p.file == at.policy)
            .flat_map(|p| &p.statements)
            .find(|s| s.label() == at.statement)?;
        s.resources.as_ref().map(|r| r.items.clone())
    }

    /// The trust statements that would allow the caller but for a condition rolehop can
    /// satisfy (an external id) or a role never can (service-only keys).
    fn trust_condition_causes(&self, misses: &[(eval::StatementRef, Miss)]) -> Vec<Finding> {
        let mut out = Vec::new();
        for (at, miss) in misses {
            let Miss::Condition { condition, absent } = miss else {
                continue;
            };
            if condition.operator.starts_with("Null") {
                continue;
            }
            let key = condition.key.to_ascii_lowercase();
            let values = list(condition.values.iter().map(|v| format!("`{v}`")));
            if key == "sts:externalid" {
                let message = if *absent {
                    format!(
                        "{at} requires an sts:ExternalId ({values}), and none is configured; pass the one the role's owner gave you with --external-id (rolehop: --external-id or external_id in the config file)"
                    )
                } else {
                    format!(
                        "{at} requires sts:ExternalId {values}, and the configured external id differs; use the value the trust policy names"
                    )
                };
                out.push(Finding::new("trust.external-id", Status::Fail, message));
            } else if *absent && (key == "aws:sourceaccount" || key == "aws:sourcearn") {
                out.push(Finding::new(
                    "trust.source-condition",
                    Status::Fail,
                    format!("{at} requires {} of an AWS principal, but that key exists only on calls made by AWS services, so it never matches a role; use aws:PrincipalAccount or aws:PrincipalArn instead", condition.key),
                ));
            }
        }
        out
    }

    fn fix(&self, part: &Part) -> Option<Fix> {
        let actions =
            eval::assume_role_actions(self.inputs.session_tags, self.inputs.source_identity);
        match part {
            Part::Trust => {
                let t = self.parsed.trust.as_ref()?;
                let c = self.caller?;
                Some(trust_fix(
                    t,
                    self.inputs,
                    &c.role_arn,
                    Some(self.role),
                    actions,
                ))
            }
            Part::Identity => {
                let docs = self.parsed.identity.as_ref()?;
                let first = docs.first()?;
                Some(identity_fix(first, self.source.valid(), self.role, actions))
            }
            _ => None,
        }
    }

    fn hop_json(&self, decisions: &[ActionDecision], verdict: Verdict) -> Value {
        let actions: Vec<Value> = decisions
            .iter()
            .map(|d| {
                let mut decisive = Vec::new();
                for p in &d.parts {
                    let Some(g) = &p.group else { continue };
                    match (d.decision, p.passes) {
                        (Tri::False, Tri::False) if !g.denied_by.is_empty() => {
                            decisive.extend(g.denied_by.iter().map(|s| json!({"part": p.part, "effect": "Deny", "policy": s.policy, "statement": s.statement})));
                        }
                        (Tri::False, Tri::False) => decisive.push(json!({"part": p.part, "effect": "ImplicitDeny", "policy": self.files(&p.part), "statement": null})),
                        (Tri::True, Tri::True) => {
                            if let Some(s) = g.allowed_by.first() {
                                decisive.push(json!({"part": p.part, "effect": "Allow", "policy": s.policy, "statement": s.statement}));
                            }
                        }
                        _ => {}
                    }
                }
                json!({
                    "action": d.action,
                    "decision": Verdict::from(d.decision),
                    "decisive": decisive,
                    "unknown": d.unknown_keys(),
                    "parts": d.parts.iter().map(|p| json!({"part": p.part, "passes": p.passes, "not_needed": p.not_needed})).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "role_arn": self.role,
            "principal": self.caller.map(|c| c.role_arn.clone()),
            "decision": verdict,
            "actions": actions,
        })
    }
}

/// The duration rolehop asks for, against the one-hour cap on chained sessions.
fn duration(inputs: &Inputs, out: &mut Vec<Finding>) {
    if let (Some(d), Some(max)) = (inputs.duration, inputs.max_session_duration)
        && d > max
    {
        out.push(Finding::new(
            "request.duration",
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
            "request.duration",
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
}

/// An Allow that lets anyone, of any account, assume the role: allowed, and worth a warning.
fn open_trust(policy: &Policy, out: &mut Vec<Finding>) {
    for s in &policy.statements {
        let anyone = match &s.principal {
            Some(Principal::Anyone) => true,
            Some(Principal::Map(m)) => m.get("AWS").is_some_and(|v| v.iter().any(|p| p == "*")),
            None => false,
        };
        if s.effect == Some(Effect::Allow) && anyone && !s.not_principal && s.conditions.is_empty()
        {
            out.push(Finding::new(
                "trust.open",
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
            Some(Principal::Map(m)) => m.contains_key("AWS"),
            None => false,
        };
        for c in &s.conditions {
            let key = c.key.to_ascii_lowercase();
            if aws_principal
                && (key == "aws:sourceaccount" || key == "aws:sourcearn")
                && eval::condition(c, &context, &mut Vec::new()) == Tri::False
            {
                out.push(Finding::new(
                    "trust.source-condition",
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
                "identity.pass-role",
                Status::Warn,
                format!("{file}: {} allows iam:PassRole {}; name the role ARNs and add \"Condition\": {{\"StringEquals\": {{\"iam:PassedToService\": \"ecs-tasks.amazonaws.com\"}}}}", s.label(), why.join(" and ")),
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
                    "arn.syntax",
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
            let warn = |why: String| {
                Finding::new(
                    "trust.principal-form",
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
    identity: &Option<Vec<Policy>>,
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
            "arn.case",
            Status::Warn,
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
