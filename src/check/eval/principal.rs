//! Principals: whether a `Principal` element names the caller, and the one-account rules
//! that tell a statement naming the role or its session from one naming only its account.

use super::context::Caller;
use crate::check::policy::{Principal, Statement};
use crate::check::tri::Tri;

/// Does a Principal element name this caller?
pub fn principal_matches(principal: &Principal, caller: &Caller) -> Tri {
    match principal {
        Principal::Anyone => Tri::True,
        Principal::Named(_) => principal
            .aws()
            .iter()
            .map(|p| aws_principal_matches(p, caller))
            .fold(Tri::False, Tri::or),
    }
}

fn aws_principal_matches(p: &str, caller: &Caller) -> Tri {
    if p == "*" || *p == caller.account || *p == format!("arn:aws:iam::{}:root", caller.account) {
        return Tri::True;
    }
    if *p == caller.role_arn {
        return Tri::True;
    }
    // A session principal: arn:aws:sts::A:assumed-role/NAME/SESSION.
    let session_prefix = format!(
        "arn:aws:sts::{}:assumed-role/{}/",
        caller.account,
        caller.role_name()
    );
    if let Some(session) = p.strip_prefix(&session_prefix) {
        return match &caller.session_name {
            Some(name) => Tri::from(name == session),
            None => Tri::Unknown,
        };
    }
    Tri::False
}

/// A trust statement's Principal names the caller's role or session (or everyone), not just
/// its account: in one account such a grant needs no identity-side Allow, like any resource
/// policy that names its principal.
pub(super) fn names_directly(statement: &Statement, caller: &Caller) -> bool {
    if statement.not_principal {
        return false;
    }
    match &statement.principal {
        Some(Principal::Anyone) => true,
        Some(p @ Principal::Named(_)) => p.aws().iter().any(|p| {
            p == "*"
                || *p == caller.role_arn
                || p.starts_with(&format!("arn:aws:sts::{}:assumed-role/", caller.account))
        }),
        _ => false,
    }
}

/// A trust statement's Principal is everyone.
pub(super) fn names_anyone(statement: &Statement, _caller: &Caller) -> bool {
    !statement.not_principal
        && statement
            .principal
            .as_ref()
            .is_some_and(Principal::is_anyone)
}

/// A trust statement's Principal names the caller's session exactly.
pub(super) fn names_session(statement: &Statement, caller: &Caller) -> bool {
    let Some(session) = &caller.session_name else {
        return false;
    };
    let arn = format!(
        "arn:aws:sts::{}:assumed-role/{}/{session}",
        caller.account,
        caller.role_name()
    );
    !statement.not_principal
        && statement
            .principal
            .as_ref()
            .is_some_and(|p| p.aws().contains(&arn))
}
