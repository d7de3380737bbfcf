//! The AssumeRole's overall decision, below both the report that shows it and the exit code
//! that it sets.

use serde::Serialize;

use super::tri::Tri;

/// The AssumeRole's overall decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allowed,
    Denied,
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Denied => "denied",
            Verdict::Unknown => "unknown",
        }
    }
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
