//! What `check` reports: one finding per check, with a stable id, a status, one plain sentence
//! and, for a failure that a policy change fixes, the statement to add, the whole merged
//! document (the update commands replace the whole policy) and the command that applies it.

use serde::Serialize;
use serde_json::Value;

use super::tri::Tri;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Fail,
    Warn,
    Unknown,
    Pass,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Warn => "WARN",
            Status::Unknown => "????",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Fix {
    /// The statement to add.
    pub statement: Value,
    /// The whole policy document with the statement merged in.
    pub policy: Value,
    /// The command that applies `policy` (reading it from the file it names).
    pub command: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub status: Status,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl Finding {
    pub fn new(id: &'static str, status: Status, message: String) -> Self {
        Self {
            id,
            status,
            message,
            fix: None,
        }
    }

    pub fn with_fix(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix;
        self
    }
}

/// The AssumeRole's overall decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allowed,
    Denied,
    Unknown,
}

impl From<Tri> for Verdict {
    fn from(t: Tri) -> Self {
        match t {
            Tri::True => Verdict::Allowed,
            Tri::False => Verdict::Denied,
            Tri::Unknown => Verdict::Unknown,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// The decision of the last hop (the one the application's credentials come from); `None`
    /// when no AssumeRole was asked about (`null` in JSON).
    pub decision: Option<Verdict>,
    /// Per hop: the principal, the role, each action's decision and its decisive statements.
    pub hops: Vec<Value>,
}

impl Report {
    pub fn new(findings: Vec<Finding>, decision: Option<Verdict>, hops: Vec<Value>) -> Self {
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
        format!(
            "{} failed, {} warnings, {} unknown, {} passed",
            self.count(Status::Fail),
            self.count(Status::Warn),
            self.count(Status::Unknown),
            self.count(Status::Pass)
        )
    }

    pub fn to_json(&self) -> String {
        let body = serde_json::json!({
            "decision": self.decision,
            "hops": self.hops,
            "summary": {
                "fail": self.count(Status::Fail),
                "warn": self.count(Status::Warn),
                "unknown": self.count(Status::Unknown),
                "pass": self.count(Status::Pass),
            },
            "findings": self.findings,
        });
        serde_json::to_string_pretty(&body).expect("plain values serialise")
    }

    pub fn to_text(&self) -> String {
        let mut out = format!("rolehop check: {}\n", self.summary());
        for hop in &self.hops {
            out.push_str(&hop_line(hop));
        }
        let mut sorted: Vec<&Finding> = self.findings.iter().collect();
        sorted.sort_by_key(|f| f.status);
        for f in sorted {
            out.push_str(&format!(
                "\n{} {:<28} {}\n",
                f.status.label(),
                f.id,
                f.message
            ));
            if let Some(fix) = &f.fix {
                out.push_str("     add this statement:\n");
                out.push_str(&indent(
                    &serde_json::to_string_pretty(&fix.statement).unwrap_or_default(),
                    8,
                ));
                out.push_str("     the whole policy, merged:\n");
                out.push_str(&indent(
                    &serde_json::to_string_pretty(&fix.policy).unwrap_or_default(),
                    8,
                ));
                out.push_str(&format!("     apply it with:\n        {}\n", fix.command));
            }
        }
        out
    }
}

/// The decision and what decided it, for the text report.
fn hop_line(hop: &Value) -> String {
    let text = |v: &Value| v.as_str().unwrap_or("?").to_owned();
    let mut line = format!(
        "decision: {}: {} -> sts:AssumeRole on {}\n",
        text(&hop["decision"]).to_uppercase(),
        hop["principal"].as_str().unwrap_or("the source role"),
        text(&hop["role_arn"]),
    );
    for action in hop["actions"].as_array().into_iter().flatten() {
        let name = text(&action["action"]);
        for d in action["decisive"].as_array().into_iter().flatten() {
            let part = match (d["part"]["part"].as_str(), d["part"]["level"].as_u64()) {
                (Some("scp"), Some(l)) => format!("SCPs, level {l}"),
                (Some("rcp"), Some(l)) => format!("RCPs, level {l}"),
                (Some("permissions-boundary"), _) => "permissions boundary".into(),
                (Some("session-policy"), _) => "session policy".into(),
                (Some("identity"), _) => "identity policies".into(),
                (Some("trust"), _) => "trust policy".into(),
                _ => "?".into(),
            };
            let at = match d["statement"].as_str() {
                Some(s) => format!("{} {s}", text(&d["policy"])),
                None => format!("no statement of {} allows it", text(&d["policy"])),
            };
            line.push_str(&format!(
                "  {name}: {} by the {part}: {at}\n",
                match text(&d["effect"]).as_str() {
                    "Allow" => "allowed",
                    "Deny" => "denied explicitly",
                    _ => "denied",
                },
            ));
        }
        for key in action["unknown"].as_array().into_iter().flatten() {
            line.push_str(&format!("  {name}: hangs on {}\n", text(key)));
        }
    }
    line
}

fn indent(text: &str, by: usize) -> String {
    text.lines()
        .map(|l| format!("{}{l}\n", " ".repeat(by)))
        .collect()
}
