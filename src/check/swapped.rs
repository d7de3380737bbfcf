//! `files.swapped`: the trust policy and the identity policy given the wrong way round. A
//! trust policy names who may assume the role (`Principal`) and has no `Resource` (the role is
//! the resource); a role's identity policy names the resources and no principal (IAM User
//! Guide, "IAM JSON policy elements: Principal" and "Resource"). A `--trust-policy` that reads
//! like an identity policy, or an `--identity-policy` that reads like a trust policy, is
//! almost always a swap, and the FAILs it causes (`trust.resource`, `policy.element`) do not
//! say so.

use super::findings::{Finding, FindingId, Status};
use super::policy::Policy;

/// Every statement names resources and no principal.
fn reads_like_identity(p: &Policy) -> bool {
    !p.statements.is_empty()
        && p.statements
            .iter()
            .all(|s| s.resources.is_some() && s.principal.is_none())
}

/// Every statement names a principal and no resources.
fn reads_like_trust(p: &Policy) -> bool {
    !p.statements.is_empty()
        && p.statements
            .iter()
            .all(|s| s.principal.is_some() && s.resources.is_none())
}

/// The hint, when the files look swapped (or one of them is given with the other's flag).
pub(super) fn hint(trust: Option<&Policy>, identity: &[Policy]) -> Option<Finding> {
    let wrong_trust = trust.filter(|t| reads_like_identity(t));
    let wrong_identity: Vec<&Policy> = identity.iter().filter(|p| reads_like_trust(p)).collect();
    // Both files reading like the other kind is a swap beyond doubt, and every other FAIL
    // follows from it: a FAIL, shown first. One file alone may be a wrong file: a warning.
    let status = if wrong_trust.is_some() && !wrong_identity.is_empty() {
        Status::Fail
    } else {
        Status::Warn
    };
    let message = match (wrong_trust, wrong_identity.as_slice()) {
        (None, []) => return None,
        (Some(t), [i, ..]) => format!(
            "the files look swapped: --trust-policy {} reads like an identity policy (Resource, no Principal) and --identity-policy {} like a trust policy (Principal, no Resource); give {} with --trust-policy and {} with --identity-policy",
            t.file, i.file, i.file, t.file
        ),
        (Some(t), []) => format!(
            "--trust-policy {} reads like an identity policy (its statements have Resource and no Principal); a trust policy names who may assume the role. Give this file with --identity-policy, and the destination role's trust policy (aws iam get-role --query Role.AssumeRolePolicyDocument) with --trust-policy",
            t.file
        ),
        (None, [i, ..]) => format!(
            "--identity-policy {} reads like a trust policy (its statements have Principal and no Resource); give it with --trust-policy, and the source role's own policies with --identity-policy",
            i.file
        ),
    };
    Some(Finding::new(FindingId::FilesSwapped, status, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::policy::{Kind, parse};

    const TRUST: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/a"}, "Action": "sts:AssumeRole"}]}"#;
    const IDENTITY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::555566667777:role/b"}]}"#;

    fn policy(text: &str, file: &str, kind: Kind) -> Policy {
        parse(text, file, kind).0.unwrap()
    }

    #[test]
    fn swapped_files_are_named() {
        let trust = policy(IDENTITY, "trust.json", Kind::Trust);
        let identity = policy(TRUST, "identity.json", Kind::Identity);
        let f = hint(Some(&trust), &[identity]).unwrap();
        assert_eq!((f.id, f.status), (FindingId::FilesSwapped, Status::Fail));
        assert!(
            f.message.contains("give identity.json with --trust-policy"),
            "{}",
            f.message
        );
    }

    #[test]
    fn files_the_right_way_round_say_nothing() {
        let trust = policy(TRUST, "trust.json", Kind::Trust);
        let identity = policy(IDENTITY, "identity.json", Kind::Identity);
        assert!(hint(Some(&trust), &[identity]).is_none());
        let only = policy(IDENTITY, "t.json", Kind::Trust);
        assert!(
            hint(Some(&only), &[])
                .unwrap()
                .message
                .contains("reads like an identity policy")
        );
    }
}
