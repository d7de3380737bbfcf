//! The STS actions one AssumeRole asks IAM to authorize (REFERENCE 7): `sts:AssumeRole`, plus
//! `sts:TagSession` when session tags are passed and `sts:SetSourceIdentity` with a source
//! identity. Each is authorized on its own and all must be allowed. `setup`'s policies grant
//! the same list.

use std::fmt;

use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StsAction {
    AssumeRole,
    TagSession,
    SetSourceIdentity,
}

impl StsAction {
    /// The action as policies name it.
    pub fn as_str(self) -> &'static str {
        match self {
            StsAction::AssumeRole => "sts:AssumeRole",
            StsAction::TagSession => "sts:TagSession",
            StsAction::SetSourceIdentity => "sts:SetSourceIdentity",
        }
    }

    /// The actions IAM authorizes for an AssumeRole with session tags and a source identity
    /// or not, AssumeRole first.
    pub fn of_call(session_tags: bool, source_identity: bool) -> Vec<StsAction> {
        let mut actions = vec![StsAction::AssumeRole];
        if session_tags {
            actions.push(StsAction::TagSession);
        }
        if source_identity {
            actions.push(StsAction::SetSourceIdentity);
        }
        actions
    }
}

impl fmt::Display for StsAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for StsAction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The `Action` element granting `actions`: a string for one, a list for several.
pub fn action_element(actions: &[StsAction]) -> serde_json::Value {
    match actions {
        [one] => serde_json::json!(one.as_str()),
        several => serde_json::json!(several.iter().map(|a| a.as_str()).collect::<Vec<_>>()),
    }
}
