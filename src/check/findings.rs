//! What `check` finds: one finding per check, with a stable id, a status, one plain sentence
//! and, for a failure that a policy change fixes, the statement corrected (or added), the whole
//! corrected document (the update commands replace the whole policy), the file `--fix` writes
//! it to and the command that applies it.

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
    /// The statement corrected in place, or added when none could be.
    pub statement: Value,
    /// What was changed, one sentence each (`statement 1 (Trust): sts:TagSession added to its
    /// actions`).
    pub changes: Vec<String>,
    /// The whole policy document, corrected: a document IAM accepts.
    pub policy: Value,
    /// Where `--fix` writes `policy`: beside the checked file, `NAME.fixed.json`.
    pub file: String,
    /// The command that applies `policy`, reading it from `file`.
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
