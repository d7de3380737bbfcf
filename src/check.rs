//! `rolehop check`'s engine: evaluates the exact AssumeRole rolehop sends against the whole
//! policy set that decides it — the source role's identity policies, permissions boundary and
//! session policy, the SCPs of its account, the RCPs of the destination account and the
//! destination role's trust policy — with one evaluator (`eval`, REFERENCE 7), and says which
//! part decides, with the fix. STS answers every failure with one generic "not authorized";
//! this tells the causes apart. Every FAIL about the decision comes from that evaluation; a
//! finding that does not change it is a WARN. The check ids and rules are listed in
//! `docs/CHECK.md`.
//!
//! The engine works on values, never on files or the network: [`run`] parses the texts it is
//! given (`inputs`), lints them (`lints`, `swapped`), evaluates each action (`eval`) and
//! explains the decisions as findings (`explain`, `fix`: the policy corrected as IAM accepts
//! it) in a [`report::Report`]. `task_request` reads the request itself from a task
//! definition's rolehop container, as `serve` would read it there. What reads IAM,
//! Organizations, STS and the environment lives in `crate::probe` and hands its results in
//! as `Inputs`.

pub mod action;
pub mod arns;
pub mod client_roles;
mod container_def;
pub mod denial;
pub mod ecs;
pub mod ecs_exec;
pub mod eval;
pub mod exit;
mod explain;
pub mod explain_message;
pub mod finding_id;
pub mod findings;
pub mod fix;
pub mod infer;
pub mod inputs;
pub mod isolation;
mod lints;
pub mod logs;
pub mod operator;
pub mod platform;
pub mod policy;
pub mod published;
pub mod report;
pub mod role_policies;
pub mod self_assume;
pub mod service_role;
mod swapped;
pub mod task_request;
pub mod tri;
pub mod verdict;

use std::collections::HashSet;

use eval::{ActionDecision, AssumeRole, Caller, Context, Tri};
use explain::Explain;
use findings::{Finding, FindingId, Status};
use inputs::{FlagArn, Parsed};
use report::{Report, Verdict};

pub use inputs::{File, Inputs, parse_context};
pub use lints::CHAINED_MAX_SECS;

/// Runs every check that its inputs allow, and the decision.
pub fn run(inputs: &Inputs) -> Report {
    let mut out = Vec::new();
    let parsed = Parsed::read(inputs, &mut out);
    let role = FlagArn::read(&inputs.role_arn, "--role-arn", &mut out);
    let source = FlagArn::read(&inputs.source_role_arn, "--source-role-arn", &mut out);
    lints::all(inputs, &parsed, &mut out);
    let swapped = swapped::hint(
        parsed.trust.as_ref(),
        parsed.identity.as_deref().unwrap_or_default(),
    );
    let files_swapped = swapped.as_ref().is_some_and(|f| f.status == Status::Fail);
    out.extend(swapped);

    // The decision.
    let Some(role_arn) = role.valid() else {
        for (given, id) in [
            (inputs.trust_policy.is_some(), FindingId::TrustAllows),
            (
                !inputs.identity_policies.is_empty(),
                FindingId::IdentityAssumeRole,
            ),
        ] {
            if given {
                out.push(Finding::new(
                    id,
                    Status::Unknown,
                    format!("whether the AssumeRole is allowed: {}", role.why_unknown()),
                ));
            }
        }
        // Without a role named there is no AssumeRole to decide (the files are only linted);
        // a role named but malformed is a FAIL above.
        let asked = inputs.role_arn.is_some();
        return Report::new(out, asked.then_some(Verdict::Unknown), Vec::new());
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
    let context = Context::assume_role(caller.as_ref(), &call, &inputs.context)
        .with_absent(&inputs.absent)
        .with_hidden(&inputs.hidden);
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
        call: &call,
        who: &who,
        source: &source,
        context: &context,
        swapped: files_swapped,
    };
    for d in &decisions {
        explain.findings(d, &mut out);
    }
    out.extend(self_assume::finding(
        inputs,
        &parsed,
        caller.as_ref(),
        role_arn,
        &decisions,
    ));
    settle(&mut out);
    let hop = explain.hop(&decisions, verdict);
    Report::new(out, Some(verdict), vec![hop])
}

/// Findings that another one makes redundant go.
fn settle(out: &mut Vec<Finding>) {
    // A statement that can never match is a warning, unless the decision failed for want of
    // it (then the FAIL says so).
    if out
        .iter()
        .any(|f| f.id == FindingId::TrustSourceCondition && f.status == Status::Fail)
    {
        out.retain(|f| !(f.id == FindingId::TrustSourceCondition && f.status == Status::Warn));
    }
    // Files given the wrong way round: the trust and identity FAILs follow from the swap
    // (`Explain::swapped`), so the swap is said first.
    if let Some(at) = out.iter().position(|f| f.id == FindingId::FilesSwapped) {
        let swapped = out.remove(at);
        out.insert(0, swapped);
    }
    // Several actions of one call may find the same cause; say it once.
    let mut seen = HashSet::new();
    out.retain(|f| seen.insert((f.id, f.status, f.message.clone())));
}
