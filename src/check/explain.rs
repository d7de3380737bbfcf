//! From decisions to findings: for each action of the AssumeRole, each part's verdict as a
//! finding with its id (`trust.allows`, `scp.allows`...), the statements that decided it, why
//! a Deny applied, what nearly allowed it and the remedy, with the fix to apply; and the
//! report's hop, what decided each action.

use super::action::StsAction;
use super::eval::{
    self, ActionDecision, AssumeRole, Caller, Context, Miss, Part, PartResult, PolicySet, Tri,
};
use super::findings::{Finding, FindingId, Fix, Status};
use super::fix::{self, Growth, identity_fix, trust_fix};
use super::inputs::{FlagArn, Inputs, Parsed};
use super::operator::Test;
use super::policy::{self, Kind, Policy};
use super::report::{ActionReport, Decisive, DecisiveEffect, Hop, PartVerdict, Verdict};

/// The findings and the report of one hop's decisions.
pub(super) struct Explain<'a> {
    pub inputs: &'a Inputs,
    pub parsed: &'a Parsed,
    pub role: &'a str,
    pub caller: Option<&'a Caller>,
    pub call: &'a AssumeRole,
    pub who: &'a str,
    pub source: &'a FlagArn,
    pub context: &'a Context,
    /// The trust and identity files look given the wrong way round (`files.swapped`): their
    /// FAILs point at the swap and offer no rewrite.
    pub swapped: bool,
}

/// The Allow statements that named the caller, the action and the resource and missed only on
/// a condition, with the condition's key: a fix must not add a statement without the
/// condition (it would let through what the owner's condition keeps out, an external id, an
/// organization, a tag); what the request carries is what changes.
fn guarded_by_conditions(
    misses: &[(eval::StatementRef, Miss)],
) -> Vec<(eval::StatementRef, String)> {
    misses
        .iter()
        .filter_map(|(at, miss)| match miss {
            Miss::Condition { condition, .. } => Some((at.clone(), condition.key.clone())),
            _ => None,
        })
        .collect()
}

fn part_id(part: &Part, action: StsAction) -> FindingId {
    use StsAction::*;
    match (part, action) {
        (Part::Trust, AssumeRole) => FindingId::TrustAllows,
        (Part::Trust, TagSession) => FindingId::TrustTagSession,
        (Part::Trust, SetSourceIdentity) => FindingId::TrustSetSourceIdentity,
        (Part::Identity, AssumeRole) => FindingId::IdentityAssumeRole,
        (Part::Identity, TagSession) => FindingId::IdentityTagSession,
        (Part::Identity, SetSourceIdentity) => FindingId::IdentitySetSourceIdentity,
        (Part::Scp(_), _) => FindingId::ScpAllows,
        (Part::Rcp(_), _) => FindingId::RcpAllows,
        (Part::PermissionsBoundary, _) => FindingId::BoundaryAllows,
        (Part::SessionPolicy, _) => FindingId::SessionPolicyAllows,
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

    pub fn findings(&self, d: &ActionDecision, out: &mut Vec<Finding>) {
        let assume = d.action == StsAction::AssumeRole;
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
                    Part::Identity if self.parsed.unreadable.contains(&Part::Identity) => Some(
                        "a --identity-policy file could not be read as a policy (see policy.json)"
                            .to_owned(),
                    ),
                    Part::Scp(_) | Part::Rcp(_) => p.missing.clone(),
                    Part::PermissionsBoundary | Part::SessionPolicy
                        if self.parsed.unreadable.contains(&p.part) =>
                    {
                        p.missing.clone()
                    }
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
                    "a Deny in it may apply, depending on"
                } else {
                    "that depends on"
                };
                // Request keys (`KEY (from ...)`) are given with --context or --absent; an
                // input that is missing names its own flag.
                let advice = if g.unknown.iter().any(|u| u.contains(" (from ")) {
                    "; give each key's value with --context KEY=VALUE, or --absent KEY when the request does not carry it, or run rolehop check in the task (which reads what it can)"
                } else {
                    ""
                };
                out.push(Finding::new(
                    id,
                    Status::Unknown,
                    format!(
                        "whether {files} lets {who} {action} on {role}: {which} {keys}{advice}"
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
            Tri::False => out.extend(self.no_allow(id, d.action, p, g)),
        }
        for f in &mut out {
            f.message = format!("{level}{}", f.message);
        }
        out
    }

    /// The FAIL of a part that allows nothing here (no statement applies), with why the
    /// nearest statements missed, and its fix unless a fix would widen the policy past its
    /// owner's condition or the files are given the wrong way round.
    fn no_allow(
        &self,
        id: FindingId,
        action: StsAction,
        p: &PartResult,
        g: &eval::GroupResult,
    ) -> Vec<Finding> {
        let (files, who, role) = (self.files(&p.part), self.who, self.role);
        let guarded = guarded_by_conditions(&g.misses);
        let swapped = self.swapped && matches!(p.part, Part::Trust | Part::Identity);
        let remedy = if swapped {
            "the files look swapped (files.swapped): give each with the other flag before changing either".to_owned()
        } else if guarded.is_empty() {
            self.remedy(&p.part, action)
        } else {
            let mut keys: Vec<String> = Vec::new();
            let mut at: Vec<String> = Vec::new();
            for (statement, key) in &guarded {
                let (statement, key) = (statement.to_string(), format!("`{key}`"));
                if !at.contains(&statement) {
                    at.push(statement);
                }
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            format!(
                "{} would allow it but for its condition on {}, which the policy's owner put there: change what the request carries to meet it (or ask the owner to change the condition) rather than adding a statement without it, which would widen the policy",
                list(at),
                list(keys),
            )
        };
        // A near miss names the statement's ARN itself, so the hint would repeat it.
        let near_miss = (!swapped).then(|| self.told_near_miss(&p.part)).flatten();
        let (remedy, hint) = match near_miss {
            Some(caveat) => (
                format!("{caveat}; if the flag is right, {remedy}"),
                String::new(),
            ),
            None => (remedy, self.misses_hint(&p.part, &g.misses)),
        };
        let none = if files.contains(", ") {
            "no policy"
        } else {
            "no statement"
        };
        let mut finding = Finding::new(
            id,
            Status::Fail,
            format!("{none} of {files} allows {who} {action} on {role}{hint}; {remedy}"),
        );
        if !swapped {
            // Past an owner's condition only an in-place correction (a near miss of another
            // statement) is offered, never a statement added without the condition.
            let growth = if guarded.is_empty() {
                Growth::MayAdd
            } else {
                Growth::InPlaceOnly
            };
            finding.fix = self.fix(&p.part, growth);
            if finding.fix.is_some() && !guarded.is_empty() {
                finding.message.push_str(
                    "; or, if the statement corrected below is the one meant, apply the fix",
                );
            }
        }
        let mut out = vec![finding];
        if p.part == Part::Trust {
            out.extend(self.trust_condition_causes(&g.misses));
        }
        out
    }

    /// The statement a reference names, in any of the parsed policies.
    fn statement(&self, at: &eval::StatementRef) -> Option<&policy::Statement> {
        self.parsed
            .all()
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
                    eval::Key::Unknown(_) | eval::Key::PresentUnknown(_) => "unknown".into(),
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

    fn remedy(&self, part: &Part, action: StsAction) -> String {
        let passed = match action {
            StsAction::AssumeRole => "",
            StsAction::TagSession => "session tags",
            StsAction::SetSourceIdentity => "a source identity",
        };
        match part {
            Part::Trust if action == StsAction::AssumeRole => "correct it as below".into(),
            Part::Trust => format!(
                "add {action} to the trust statement's actions, which rolehop needs because it passes {passed}"
            ),
            Part::Identity if action == StsAction::AssumeRole => "across accounts the source role needs this as well as the trust policy; correct it as below".into(),
            Part::Identity => "across accounts both sides must allow it; add it to the actions of the statement that allows the AssumeRole".into(),
            Part::Scp(_) => format!("every level of the organization path must allow it: an administrator of the organization adds an Allow of {action} at this level (or attaches FullAWSAccess)"),
            Part::Rcp(_) => unreachable!("RCPs allow implicitly"),
            Part::PermissionsBoundary => format!("the boundary caps what the identity policies grant; add {action} on this role to the boundary"),
            Part::SessionPolicy => format!("the session can do only what its session policy allows; add {action} on this role to it"),
        }
    }

    /// When the policy names a near miss of an ARN the operator's flag gave, either side may be
    /// the misspelt one: the sentence that says so, and how to tell the fix is not needed.
    fn told_near_miss(&self, part: &Part) -> Option<String> {
        let (flag, told, named): (&str, &str, Vec<String>) = match part {
            Part::Trust if self.inputs.source_role_arn_told => {
                let trust = self.parsed.trust.as_ref()?;
                // The caller's ARN is named as a principal, or as the value of an
                // `aws:PrincipalArn` condition under an account principal.
                let mut named = named_roles(trust);
                named.extend(
                    trust
                        .statements
                        .iter()
                        .flat_map(|s| &s.conditions)
                        .filter(|c| c.key.eq_ignore_ascii_case("aws:PrincipalArn"))
                        .flat_map(|c| c.values.iter().cloned()),
                );
                ("--source-role-arn", self.caller?.role_arn.as_str(), named)
            }
            Part::Identity if self.inputs.role_arn_told => (
                "--role-arn",
                self.role,
                self.parsed
                    .identity
                    .iter()
                    .flatten()
                    .flat_map(|p| &p.statements)
                    .filter_map(|s| s.resources.as_ref())
                    .flat_map(|r| r.items.clone())
                    .collect(),
            ),
            _ => return None,
        };
        let near = named.into_iter().find(|n| fix::near_miss(n, told))?;
        Some(format!(
            "the policy names `{near}`, a near miss of {flag} `{told}`: if the policy is right, the flag is the one misspelt, and the policy needs no change (run again with {flag} {near})"
        ))
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
            if condition.operator.test == Test::Null {
                continue;
            }
            let key = condition.key.to_ascii_lowercase();
            if key == "sts:externalid" {
                // An external id can be what keeps app containers out of a role (per-container
                // roles): its values are never shown, only how many there are.
                let values = match condition.values.len() {
                    1 => "one value, not shown".to_owned(),
                    n => format!("one of {n} values, not shown"),
                };
                let message = if *absent {
                    format!(
                        "{at} requires an sts:ExternalId ({values}), and none is configured; pass the one the role's owner gave you with --external-id (rolehop: --external-id, external_id or rolehop_external_id_env in the config file)"
                    )
                } else {
                    format!(
                        "{at} requires sts:ExternalId ({values}), and the configured external id differs; use the value the trust policy names"
                    )
                };
                out.push(Finding::new(
                    FindingId::TrustExternalId,
                    Status::Fail,
                    message,
                ));
            } else if *absent && (key == "aws:sourceaccount" || key == "aws:sourcearn") {
                out.push(Finding::new(
                    FindingId::TrustSourceCondition,
                    Status::Fail,
                    format!("{at} requires {} of an AWS principal, but that key exists only on calls made by AWS services, so it never matches a role; use aws:PrincipalAccount or aws:PrincipalArn instead", condition.key),
                ));
            }
        }
        out
    }

    fn fix(&self, part: &Part, growth: Growth) -> Option<Fix> {
        let actions = self.call.actions();
        match part {
            Part::Trust => {
                let t = self.parsed.trust.as_ref()?;
                let c = self.caller?;
                let passes = |doc: &serde_json::Value| {
                    self.passes_with(part, Kind::Trust, &t.file, doc, |set, fixed| {
                        set.trust = Some(fixed)
                    })
                };
                trust_fix(
                    t,
                    self.inputs.external_id.as_ref().map(|s| s.expose()),
                    &c.role_arn,
                    Some(self.role),
                    actions,
                    &passes,
                    growth,
                )
            }
            Part::Identity => {
                let docs: Vec<&Policy> = self.parsed.identity.as_ref()?.iter().collect();
                let passes = |file: &str, doc: &serde_json::Value| {
                    self.passes_with(part, Kind::Identity, file, doc, |set, fixed| {
                        if let Some(identity) = set.identity.as_mut() {
                            for slot in identity.iter_mut().filter(|p| p.file == fixed.file) {
                                *slot = fixed;
                            }
                        }
                    })
                };
                identity_fix(
                    &docs,
                    self.source.valid(),
                    self.role,
                    actions,
                    &passes,
                    growth,
                )
            }
            _ => None,
        }
    }

    /// Whether `part` lets every action of the call through once `document` replaces the
    /// policy `file` (`put` places it in the set), and IAM would accept the document.
    fn passes_with(
        &self,
        part: &Part,
        kind: Kind,
        file: &str,
        document: &serde_json::Value,
        put: impl for<'p> Fn(&mut PolicySet<'p>, &'p Policy),
    ) -> bool {
        if policy::iam_refuses(document, kind).is_some() {
            return false;
        }
        let (Some(fixed), _) = policy::parse(&document.to_string(), file, kind) else {
            return false;
        };
        let mut set = self.parsed.set();
        put(&mut set, &fixed);
        self.call.actions().into_iter().all(|action| {
            eval::decide(&set, self.caller, self.call, action, self.context)
                .part(part)
                .is_some_and(|p| p.passes == Tri::True)
        })
    }

    /// What decided each action, for the report.
    pub fn hop(&self, decisions: &[ActionDecision], verdict: Verdict) -> Hop {
        Hop {
            role_arn: self.role.to_owned(),
            principal: self.caller.map(|c| c.role_arn.clone()),
            decision: verdict,
            actions: decisions.iter().map(|d| self.action_report(d)).collect(),
            online: None,
            aws: None,
        }
    }

    fn action_report(&self, d: &ActionDecision) -> ActionReport {
        let mut decisive = Vec::new();
        for p in &d.parts {
            let Some(g) = &p.group else { continue };
            let of = |effect, s: &eval::StatementRef| Decisive {
                part: p.part.clone(),
                effect,
                policy: s.policy.clone(),
                statement: Some(s.statement.clone()),
            };
            match (d.decision, p.passes) {
                (Tri::False, Tri::False) if !g.denied_by.is_empty() => {
                    decisive.extend(g.denied_by.iter().map(|s| of(DecisiveEffect::Deny, s)));
                }
                (Tri::False, Tri::False) => decisive.push(Decisive {
                    part: p.part.clone(),
                    effect: DecisiveEffect::ImplicitDeny,
                    policy: self.files(&p.part),
                    statement: None,
                }),
                (Tri::True, Tri::True) => {
                    decisive.extend(g.allowed_by.first().map(|s| of(DecisiveEffect::Allow, s)));
                }
                _ => {}
            }
        }
        ActionReport {
            action: d.action,
            decision: Verdict::from(d.decision),
            decisive,
            unknown: d.unknown_keys(),
            parts: d
                .parts
                .iter()
                .map(|p| PartVerdict {
                    part: p.part.clone(),
                    passes: p.passes,
                    not_needed: p.not_needed,
                })
                .collect(),
        }
    }
}

/// Role ARNs a trust policy names, for "did you mean" messages.
fn named_roles(policy: &Policy) -> Vec<String> {
    let mut out = Vec::new();
    for s in &policy.statements {
        if let Some(principal) = &s.principal {
            out.extend(
                principal
                    .aws()
                    .iter()
                    .filter(|p| p.contains(":role/"))
                    .cloned(),
            );
        }
    }
    out
}
