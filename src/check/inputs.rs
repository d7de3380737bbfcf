//! What `check` is given (`Inputs`: policy files as text, flags as values) and its first step:
//! the files parsed into policies (`Parsed`), the ARN flags checked (`FlagArn`), `--context`
//! read into pairs. Nothing here reads a file or the network; the command edge and the online
//! probe hand the texts in.

use serde_json::Value;

use super::arns;
use super::eval::{Part, PolicySet};
use super::findings::{Finding, FindingId, Status};
use super::policy::{self, Kind, Policy};
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
    /// Keys absent from the request: `--absent` and what `infer` derives from `context`.
    pub absent: Vec<String>,
    /// Keys in the request whose values are not known here (an external id from a task
    /// definition's secret): (key, where its value comes from).
    pub hidden: Vec<(String, String)>,
    pub role_arn: Option<String>,
    pub source_role_arn: Option<String>,
    /// `role_arn` / `source_role_arn` came from the operator's flags (and may be the misspelt
    /// side of a near miss), not from what the task observed.
    pub role_arn_told: bool,
    pub source_role_arn_told: bool,
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
pub(super) enum FlagArn {
    Missing(&'static str),
    Malformed(&'static str),
    Valid(String),
}

impl FlagArn {
    pub fn read(value: &Option<String>, flag: &'static str, out: &mut Vec<Finding>) -> Self {
        match value {
            None => FlagArn::Missing(flag),
            Some(arn) => match arns::role_arn_problem(arn) {
                Some(problem) => {
                    out.push(Finding::new(
                        FindingId::ArnSyntax,
                        Status::Fail,
                        format!("{flag}: {problem}"),
                    ));
                    FlagArn::Malformed(flag)
                }
                None => FlagArn::Valid(arn.clone()),
            },
        }
    }

    pub fn valid(&self) -> Option<&str> {
        match self {
            FlagArn::Valid(arn) => Some(arn),
            _ => None,
        }
    }

    /// Why a check that needs this ARN cannot be decided.
    pub fn why_unknown(&self) -> String {
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

/// A `--context` value that is not `KEY=VALUE`: a usage error naming it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--context `{0}` is not KEY=VALUE (e.g. aws:PrincipalOrgID=o-a1b2c3d4e5)")]
pub struct ContextNotKeyValue(pub String);

/// `KEY=VALUE` pairs of `--context`; a usage error names the bad one.
pub fn parse_context(raw: &[String]) -> Result<Vec<(String, String)>, ContextNotKeyValue> {
    raw.iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
            _ => Err(ContextNotKeyValue(kv.clone())),
        })
        .collect()
}

/// Everything parsed, for one hop's evaluation.
pub(super) struct Parsed {
    pub trust: Option<Policy>,
    /// `None` when not given, or when one of the files could not be read.
    pub identity: Option<Vec<Policy>>,
    /// The parts whose file was given but could not be read as a policy (one identity file
    /// that cannot be read makes the identity part unreadable).
    pub unreadable: Vec<Part>,
    pub boundary: Option<Policy>,
    pub session: Option<Policy>,
    pub scps: Vec<Option<Vec<Policy>>>,
    pub rcps: Vec<Option<Vec<Policy>>>,
}

impl Parsed {
    /// Parses every policy file given; their grammar findings go to `out`.
    pub fn read(inputs: &Inputs, out: &mut Vec<Finding>) -> Self {
        let trust = parse_one(&inputs.trust_policy, Kind::Trust, out);
        let mut identity_docs = Vec::new();
        let mut identity_unreadable = false;
        for file in &inputs.identity_policies {
            match parse_one(&Some(file.clone()), Kind::Identity, out) {
                Some(p) => identity_docs.push(p),
                None => identity_unreadable = true,
            }
        }
        let boundary = parse_one(&inputs.permissions_boundary, Kind::Boundary, out);
        let session = parse_one(&inputs.session_policy, Kind::Session, out);
        let unreadable = [
            (
                Part::Trust,
                inputs.trust_policy.is_some() && trust.is_none(),
            ),
            (Part::Identity, identity_unreadable),
            (
                Part::PermissionsBoundary,
                inputs.permissions_boundary.is_some() && boundary.is_none(),
            ),
            (
                Part::SessionPolicy,
                inputs.session_policy.is_some() && session.is_none(),
            ),
        ]
        .into_iter()
        .filter_map(|(part, unreadable)| unreadable.then_some(part))
        .collect();
        Parsed {
            identity: (!inputs.identity_policies.is_empty() && !identity_unreadable)
                .then_some(identity_docs),
            unreadable,
            boundary,
            session,
            scps: inputs
                .scps
                .iter()
                .map(|f| parse_level(f, Kind::Scp, out))
                .collect(),
            rcps: inputs
                .rcps
                .iter()
                .map(|f| parse_level(f, Kind::Rcp, out))
                .collect(),
            trust,
        }
    }

    /// Every policy parsed, in a fixed order, for finding a statement by reference.
    pub fn all(&self) -> impl Iterator<Item = &Policy> {
        self.trust
            .iter()
            .chain(self.identity.iter().flatten())
            .chain(&self.boundary)
            .chain(&self.session)
            .chain(self.scps.iter().flatten().flatten())
            .chain(self.rcps.iter().flatten().flatten())
    }

    pub fn set(&self) -> PolicySet<'_> {
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
            unreadable: &self.unreadable,
        }
    }
}
