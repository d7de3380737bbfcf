//! What `check` returns: its findings, the decision of the AssumeRole and, per hop, what
//! decided each action. The text and JSON forms (`report/text.rs`, `Serialize`) read this
//! one value; nothing is patched after it is built. The JSON's field names are the ones
//! docs/CHECK.md describes.

mod text;

use serde::Serialize;

use super::action::StsAction;
use super::denial::Denial;
use super::eval::Part;
use super::findings::{Finding, Status};
use super::tri::Tri;

pub use super::verdict::Verdict;

/// One hop: the session that calls AssumeRole, the role, and each action's decision.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    pub role_arn: String,
    /// The calling role's ARN, when known.
    pub principal: Option<String>,
    /// The model's decision offline; online, STS's answer where it gave one.
    pub decision: Verdict,
    pub actions: Vec<ActionReport>,
    /// Online only: what STS answered and what the policies read say.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub online: Option<Observed>,
    /// What STS's own message said of this call (`--explain`, or a refusal the probe met).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws: Option<Denial>,
}

/// STS's answer beside the model's, for a hop probed online.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Observed {
    /// `None` when STS gave no answer on the decision (the call failed otherwise).
    pub observed: Option<Verdict>,
    pub model: Verdict,
}

/// One action of the AssumeRole.
#[derive(Debug, Clone, Serialize)]
pub struct ActionReport {
    pub action: StsAction,
    pub decision: Verdict,
    /// The statements that decided it (or the part that denied for want of an Allow).
    pub decisive: Vec<Decisive>,
    /// The keys the decision hangs on, with where their values come from.
    pub unknown: Vec<String>,
    pub parts: Vec<PartVerdict>,
}

/// What decided an action.
#[derive(Debug, Clone, Serialize)]
pub struct Decisive {
    /// Flat in JSON: `"part": "scp", "level": 1`.
    #[serde(flatten)]
    pub part: Part,
    pub effect: DecisiveEffect,
    /// The policy (file) of the statement, or the part's files for an implicit deny.
    pub policy: String,
    /// `None` for an implicit deny: no statement allows it.
    pub statement: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DecisiveEffect {
    Allow,
    Deny,
    ImplicitDeny,
}

/// One part's verdict on an action.
#[derive(Debug, Clone, Serialize)]
pub struct PartVerdict {
    /// Flat in JSON: `"part": "scp", "level": 1`.
    #[serde(flatten)]
    pub part: Part,
    /// `true`, `false`, or `null` when unknown.
    #[serde(serialize_with = "Tri::serialize_as_bool")]
    pub passes: Tri,
    pub not_needed: bool,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// The decision of the last hop (the one the application's credentials come from); `None`
    /// when no AssumeRole was asked about (`null` in JSON).
    pub decision: Option<Verdict>,
    pub hops: Vec<Hop>,
}

/// The JSON form: the decision, the hops, the counts, the findings.
#[derive(Serialize)]
struct Json<'a> {
    decision: Option<Verdict>,
    hops: &'a [Hop],
    summary: Summary,
    findings: &'a [Finding],
}

#[derive(Serialize)]
struct Summary {
    fail: usize,
    warn: usize,
    unknown: usize,
    pass: usize,
}

impl Report {
    pub fn new(findings: Vec<Finding>, decision: Option<Verdict>, hops: Vec<Hop>) -> Self {
        Self {
            findings,
            decision,
            hops,
        }
    }

    /// Findings only (no AssumeRole was evaluated).
    pub fn of_findings(findings: Vec<Finding>) -> Self {
        Self::new(findings, None, Vec::new())
    }

    fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }

    /// The exit code (`exit`: 0 clean, 1 denied or failed, 2 warnings, 3 undecided).
    pub fn exit_code(&self) -> u8 {
        super::exit::code(self.decision, self.findings.iter().map(|f| f.status))
    }

    pub fn summary(&self) -> String {
        let warned = self.count(Status::Warn);
        format!(
            "{} failed, {warned} warning{}, {} unknown, {} passed",
            self.count(Status::Fail),
            if warned == 1 { "" } else { "s" },
            self.count(Status::Unknown),
            self.count(Status::Pass)
        )
    }

    pub fn to_json(&self) -> String {
        let body = Json {
            decision: self.decision,
            hops: &self.hops,
            summary: Summary {
                fail: self.count(Status::Fail),
                warn: self.count(Status::Warn),
                unknown: self.count(Status::Unknown),
                pass: self.count(Status::Pass),
            },
            findings: &self.findings,
        };
        serde_json::to_string_pretty(&body).expect("plain values serialise")
    }

    pub fn to_text(&self) -> String {
        text::render(self)
    }
}
