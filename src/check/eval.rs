//! The one evaluator behind every verdict of `check`: IAM's decision for the exact AssumeRole
//! rolehop sends, over the whole policy set, in the order of the IAM User Guide's policy
//! evaluation logic for cross-account requests (REFERENCE 7):
//!
//! 1. an explicit Deny in any policy wins (identity, boundary, session, SCPs, RCPs, trust);
//! 2. every level of the caller's SCPs must allow (within a level the documents combine);
//! 3. the destination's RCPs (`RCPFullAWSAccess` is implicit, so only their Denies count);
//! 4. the caller's permissions boundary must allow, and its session policy;
//! 5. its identity policies must allow (across accounts; in one account a trust statement that
//!    names the role itself suffices);
//! 6. the destination role's trust policy must allow.
//!
//! Truth is three-valued: a condition on a key nobody gave is `Unknown`, carried with the key
//! and where its value comes from, never guessed.

//!
//! The files below, in the order a request meets them: `context` (the caller, the call, what
//! each key holds), `variables`, `matching`, `date`, `condition`, `principal`, `statement`
//! (one statement, one group of policies); this file holds the decision procedure.

mod condition;
mod context;
mod date;
mod matching;
mod principal;
mod statement;
mod variables;

use serde::Serialize;

pub use super::action::StsAction;
use super::policy::{Effect, Policy, Statement};
pub use super::tri::Tri;
pub use condition::condition;
pub use context::{AssumeRole, Caller, Context, Key, account_of};
#[cfg(test)]
use date::{epoch, iso8601};
pub use matching::{arn_like, glob};
pub use principal::principal_matches;
use principal::{names_anyone, names_directly, names_session};
pub use statement::{Applies, GroupResult, Miss, Request, StatementRef, applies, evaluate_group};

/// The parts of the decision, in AWS's order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case", tag = "part", content = "level")]
pub enum Part {
    Scp(usize),
    Rcp(usize),
    PermissionsBoundary,
    SessionPolicy,
    Identity,
    Trust,
}

impl Part {
    pub fn describe(&self) -> String {
        match self {
            Part::Scp(l) => {
                format!("the source account's SCPs at level {l} of its organization path")
            }
            Part::Rcp(l) => {
                format!("the destination account's RCPs at level {l} of its organization path")
            }
            Part::PermissionsBoundary => "the source role's permissions boundary".into(),
            Part::SessionPolicy => "the calling session's session policy".into(),
            Part::Identity => "the source role's identity policies".into(),
            Part::Trust => "the destination role's trust policy".into(),
        }
    }
}

/// Everything that decides the AssumeRole, as parsed policies; `None` where not given.
#[derive(Debug, Clone, Default)]
pub struct PolicySet<'a> {
    pub identity: Option<Vec<&'a Policy>>,
    pub boundary: Option<&'a Policy>,
    pub session: Option<&'a Policy>,
    /// One entry per level of the source account's organization path.
    /// `None` for a level whose file could not be read.
    pub scps: Vec<Option<Vec<&'a Policy>>>,
    pub rcps: Vec<Option<Vec<&'a Policy>>>,
    pub trust: Option<&'a Policy>,
    /// Parts whose file was given but could not be read as a policy (trust, identity,
    /// boundary, session policy): each is unknown, never left out as if not given.
    pub unreadable: &'a [Part],
}

/// One part's contribution to one action's decision.
#[derive(Debug, Clone)]
pub struct PartResult {
    pub part: Part,
    /// Whether this part lets the request through: `False` when it denies (explicitly or for
    /// want of an Allow it needs).
    pub passes: Tri,
    pub group: Option<GroupResult>,
    /// Its Allow is not needed (one account, the trust policy names the role itself).
    pub not_needed: bool,
    /// Not given: what would decide it.
    pub missing: Option<String>,
}

/// The decision on one action of the AssumeRole.
#[derive(Debug, Clone)]
pub struct ActionDecision {
    pub action: StsAction,
    pub decision: Tri,
    pub parts: Vec<PartResult>,
}

impl ActionDecision {
    pub fn part(&self, part: &Part) -> Option<&PartResult> {
        self.parts.iter().find(|p| p.part == *part)
    }

    pub fn unknown_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .parts
            .iter()
            .filter(|p| p.passes == Tri::Unknown)
            .flat_map(|p| {
                p.group
                    .iter()
                    .flat_map(|g| g.unknown.clone())
                    .chain(p.missing.clone())
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

/// IAM's decision on `action` of `call` by `caller` under `set`.
pub fn decide(
    set: &PolicySet,
    caller: Option<&Caller>,
    call: &AssumeRole,
    action: StsAction,
    context: &Context,
) -> ActionDecision {
    let request = Request {
        action: action.as_str(),
        resource: &call.role_arn,
        caller,
        context,
    };
    let mut parts = Vec::new();
    let group = |part: Part, policies: &[&Policy], implicit_allow: bool| {
        let g = evaluate_group(policies, &request);
        let allow = if implicit_allow { Tri::True } else { g.allow };
        PartResult {
            part,
            passes: g.deny.negate().and(allow),
            group: Some(g),
            not_needed: false,
            missing: None,
        }
    };
    let unreadable = |part: Part| PartResult {
        missing: Some(format!(
            "{} (its file could not be read as policies; see policy.json)",
            part.describe()
        )),
        part,
        passes: Tri::Unknown,
        group: None,
        not_needed: false,
    };
    for (i, level) in set.scps.iter().enumerate() {
        parts.push(match level {
            Some(level) => group(Part::Scp(i + 1), level, false),
            None => unreadable(Part::Scp(i + 1)),
        });
    }
    for (i, level) in set.rcps.iter().enumerate() {
        parts.push(match level {
            Some(level) => group(Part::Rcp(i + 1), level, true),
            None => unreadable(Part::Rcp(i + 1)),
        });
    }
    if let Some(b) = set.boundary {
        parts.push(group(Part::PermissionsBoundary, &[b], false));
    } else if set.unreadable.contains(&Part::PermissionsBoundary) {
        parts.push(unreadable(Part::PermissionsBoundary));
    }
    if let Some(s) = set.session {
        parts.push(group(Part::SessionPolicy, &[s], false));
    } else if set.unreadable.contains(&Part::SessionPolicy) {
        parts.push(unreadable(Part::SessionPolicy));
    }
    let trust = match set.trust {
        Some(t) => group(Part::Trust, &[t], false),
        None if set.unreadable.contains(&Part::Trust) => unreadable(Part::Trust),
        None => PartResult {
            part: Part::Trust,
            passes: Tri::Unknown,
            group: None,
            not_needed: false,
            missing: Some("the destination role's trust policy (give --trust-policy)".into()),
        },
    };
    let mut identity = match &set.identity {
        Some(docs) => group(Part::Identity, docs, false),
        None if set.unreadable.contains(&Part::Identity) => unreadable(Part::Identity),
        None => PartResult {
            part: Part::Identity,
            passes: Tri::Unknown,
            group: None,
            not_needed: false,
            missing: Some("the source role's policies (give --identity-policy)".into()),
        },
    };
    // One account: a trust statement naming the role (or its session) itself is enough; an
    // account principal delegates to the identity policies (REFERENCE 7.3).
    let same_account = caller.is_some_and(|c| c.account == account_of(&call.role_arn));
    if same_account && let (Some(t), Some(c)) = (set.trust, caller) {
        one_account(t, c, &request, &mut identity, &mut parts);
    }
    parts.push(identity);
    parts.push(trust);
    let decision = parts.iter().map(|p| p.passes).fold(Tri::True, Tri::and);
    ActionDecision {
        action,
        decision,
        parts,
    }
}

/// In one account, the trust statements that name the role, its session or everyone grant on
/// their own: the identity side then needs no Allow, only no Deny, and a statement naming the
/// session lifts the boundary's (and the session policy's) implicit deny.
fn one_account(
    trust: &Policy,
    caller: &Caller,
    request: &Request,
    identity: &mut PartResult,
    parts: &mut [PartResult],
) {
    // One account: a trust statement naming the role, its session or everyone grants on
    // its own (the identity side needs no Allow, only no Deny); one naming the session
    // itself is not capped by an implicit deny of the boundary or the session policy
    // either (IAM User Guide, policy evaluation logic within one account).
    let direct = |names: fn(&Statement, &Caller) -> bool| {
        trust
            .statements
            .iter()
            .filter(|s| s.effect == Some(Effect::Allow) && names(s, caller))
            .map(|s| applies(s, request).tri)
            .fold(Tri::False, Tri::or)
    };
    let grants = direct(names_directly);
    if grants != Tri::False
        && let Some(g) = &identity.group
    {
        let passes = g.deny.negate().and(g.allow.or(grants));
        if passes == Tri::True && g.allow != Tri::True {
            identity.not_needed = true;
        }
        identity.passes = passes;
    }
    // A wildcard principal names the session as much as its ARN does; the differential
    // oracle reads it so for the boundary, and the IAM User Guide says nothing of session
    // policies there, so those stay capped by it.
    let session = direct(names_session) == Tri::True;
    let anyone = direct(names_anyone) == Tri::True;
    if session || anyone {
        for p in parts.iter_mut().filter(|p| match p.part {
            Part::PermissionsBoundary => true,
            Part::SessionPolicy => session,
            _ => false,
        }) {
            if let Some(g) = &p.group {
                p.passes = g.deny.negate();
                p.not_needed = g.allow != Tri::True && p.passes == Tri::True;
            }
        }
    }
}

#[cfg(test)]
mod tests;
