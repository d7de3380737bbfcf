//! A hop whose caller already is the role it assumes (`trust.self-assume`). Until 2022 a role
//! trusted itself implicitly: its identity policy alone let it assume itself again. AWS ended
//! that (AWS Security Blog, "Announcing an update to IAM role trust policy behavior",
//! 2022-09-21); now the role's trust policy must allow it like any other principal, by naming
//! the role's ARN (which grants on its own within one account) or its account (which
//! delegates to the role's identity policies; IAM User Guide, "Update a role trust policy").
//! The evaluator decides such a hop like any other same-account AssumeRole, with no implicit
//! trust; this module only says that the caller is the role, and which statement to add.

use super::action::StsAction;
use super::eval::{ActionDecision, Caller, Part, Tri, account_of};
use super::findings::{Finding, FindingId, Status};
use super::fix::{Growth, trust_fix};
use super::inputs::{Inputs, Parsed};

/// Whether `caller` is the role `role_arn` names (account and name; a role's name is unique
/// in its account, whatever its path).
pub fn is_self(caller: &Caller, role_arn: &str) -> bool {
    let name = |arn: &str| arn.rsplit('/').next().unwrap_or_default().to_owned();
    caller.account == account_of(role_arn) && name(&caller.role_arn) == name(role_arn)
}

/// The finding for a hop whose caller is the role it assumes, from the evaluator's decision on
/// its `sts:AssumeRole`; `None` for any other hop.
pub(super) fn finding(
    inputs: &Inputs,
    parsed: &Parsed,
    caller: Option<&Caller>,
    role_arn: &str,
    decisions: &[ActionDecision],
) -> Option<Finding> {
    let caller = caller.filter(|c| is_self(c, role_arn))?;
    let assume = decisions
        .iter()
        .find(|d| d.action == StsAction::AssumeRole)?;
    let passes = |part: Part| assume.part(&part).map(|p| p.passes);
    let trust = passes(Part::Trust);
    let identity = passes(Part::Identity);
    let me = &caller.role_arn;
    let since = "roles stopped trusting themselves implicitly in 2022 (AWS Security Blog, \"Announcing an update to IAM role trust policy behavior\")";
    let (status, message) = if trust == Some(Tri::False) || identity == Some(Tri::False) {
        let why = if trust == Some(Tri::False) {
            "its trust policy does not name it"
        } else {
            "its trust policy names only its account, which leaves the decision to its identity policies, and they do not allow it"
        };
        (
            Status::Fail,
            format!(
                "{me} assumes itself and {why}; {since}, so the trust policy must allow the role's own ARN: add the statement below"
            ),
        )
    } else if assume.decision == Tri::True {
        (
            Status::Pass,
            format!("{me} assumes itself, and its trust policy allows it explicitly, as {since}"),
        )
    } else {
        return None;
    };
    let fix = (status == Status::Fail)
        .then(|| {
            parsed.trust.as_ref().and_then(|t| {
                trust_fix(
                    t,
                    inputs.external_id.as_ref().map(|s| s.expose()),
                    me,
                    Some(role_arn),
                    vec![StsAction::AssumeRole],
                    // The statement added names the role itself: nothing to verify it against.
                    &|_| true,
                    Growth::MayAdd,
                )
            })
        })
        .flatten();
    Some(Finding::new(FindingId::TrustSelfAssume, status, message).with_fix(fix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Inputs, run};

    const ROLE: &str = "arn:aws:iam::111122223333:role/ecs/my-ECS-task-role";

    fn check(trust: &str, identity: &str) -> Vec<Finding> {
        let inputs = Inputs {
            trust_policy: Some(("trust.json".into(), trust.into())),
            identity_policies: vec![("identity.json".into(), identity.into())],
            role_arn: Some(ROLE.into()),
            source_role_arn: Some(ROLE.into()),
            ..Inputs::default()
        };
        run(&inputs)
            .findings
            .into_iter()
            .filter(|f| f.id == FindingId::TrustSelfAssume)
            .collect()
    }

    fn trust(principal: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
        )
    }

    const ALLOW_SELF: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
    const NOTHING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

    #[test]
    fn an_identity_allow_alone_no_longer_lets_a_role_assume_itself() {
        let found = check(&trust("arn:aws:iam::111122223333:role/other"), ALLOW_SELF);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].status, Status::Fail);
        let fix = found[0].fix.as_ref().expect("the statement to add");
        assert_eq!(fix.statement["Principal"]["AWS"], ROLE);
    }

    #[test]
    fn naming_the_role_or_its_account_with_an_identity_allow_passes() {
        for (principal, identity) in [
            (ROLE, NOTHING),
            ("arn:aws:iam::111122223333:root", ALLOW_SELF),
        ] {
            let found = check(&trust(principal), identity);
            assert!(
                found.len() == 1 && found[0].status == Status::Pass,
                "{principal}: {found:?}"
            );
        }
        let found = check(&trust("arn:aws:iam::111122223333:root"), NOTHING);
        assert!(
            found.len() == 1 && found[0].status == Status::Fail,
            "{found:?}"
        );
    }

    #[test]
    fn another_role_is_not_self() {
        let other = Caller::of_role("arn:aws:iam::111122223333:role/other");
        assert!(!is_self(&other, ROLE));
        let same = Caller::of_role("arn:aws:iam::111122223333:role/my-ECS-task-role");
        assert!(is_self(&same, ROLE));
    }
}
