//! What `check` finds: one finding per check, with a stable id, a status, one plain sentence
//! and, for a failure that a policy change fixes, the statement to add, the whole merged
//! document (the update commands replace the whole policy) and the command that applies it.

use serde::Serialize;
use serde_json::Value;

pub use super::finding_id::FindingId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Fail,
    Warn,
    Unknown,
    Pass,
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
    pub id: FindingId,
    pub status: Status,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl Finding {
    pub fn new(id: FindingId, status: Status, message: String) -> Self {
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
