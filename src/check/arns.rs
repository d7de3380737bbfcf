//! ARN diagnostics at typo grade for what `check` reads: role ARNs, managed policy ARNs, and
//! whatever IAM ARN a policy names. Each problem is one sentence that says which field is wrong
//! and, when the intent is clear, the corrected ARN.

use crate::arn::{RoleArn, is_account_id};

/// AWS-managed policies for ECS and where they live (REFERENCE 8).
pub const ECS_MANAGED_POLICIES: [(&str, &str); 10] = [
    ("AmazonECSTaskExecutionRolePolicy", "service-role/"),
    ("AmazonEC2ContainerServiceforEC2Role", "service-role/"),
    ("AmazonEC2ContainerServiceEventsRole", "service-role/"),
    (
        "AmazonECSInfrastructureRolePolicyForVolumes",
        "service-role/",
    ),
    (
        "AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity",
        "service-role/",
    ),
    // At policy/ directly, unlike its two siblings (AWS's managed policy reference).
    ("AmazonECSInfrastructureRolePolicyForVpcLattice", ""),
    ("AmazonECS_FullAccess", ""),
    ("AWSCodeDeployRoleForECS", ""),
    ("AWSCodeDeployRoleForECSLimited", ""),
    ("AmazonECSInfrastructureRolePolicyForLoadBalancers", ""),
];

/// The ARN with the usual field slips repaired, when the repair is unambiguous.
fn repaired(arn: &str) -> Option<String> {
    let f: Vec<&str> = arn.split(':').collect();
    // arn:aws::iam::ACCOUNT:resource: an empty field slipped in after the partition.
    if f.len() == 7 && f[0] == "arn" && f[2].is_empty() && f[3] == "iam" && f[4].is_empty() {
        return Some(format!("arn:{}:iam::{}:{}", f[1], f[5], f[6]));
    }
    // arn:aws:iam:ACCOUNT:aws:policy/NAME: the account in the region field, `aws` where the
    // account goes; a customer-managed policy in ACCOUNT was meant.
    if f.len() == 6 && f[0] == "arn" && f[2] == "iam" && is_account_id(f[3]) && f[4] == "aws" {
        return Some(format!("arn:{}:iam::{}:{}", f[1], f[3], f[5]));
    }
    // arn:aws:iam:ACCOUNT:resource (one colon short).
    if f.len() == 5 && f[0] == "arn" && f[2] == "iam" && (is_account_id(f[3]) || f[3] == "aws") {
        return Some(format!("arn:{}:iam::{}:{}", f[1], f[3], f[4]));
    }
    None
}

fn with_repair(arn: &str, problem: String) -> String {
    match repaired(arn) {
        Some(fixed) => format!("{problem}; did you mean {fixed}?"),
        None => problem,
    }
}

/// A role ARN's problem, if any.
pub fn role_arn_problem(arn: &str) -> Option<String> {
    arn.parse::<RoleArn>()
        .err()
        .map(|e| with_repair(arn, e.to_string()))
}

/// A managed policy ARN's problem: `arn:PARTITION:iam::(ACCOUNT|aws):policy/[PATH/]NAME`. The
/// rule is [`crate::arn::policy_arn_problem`]'s; this adds the shape to copy and a repair.
pub fn policy_arn_problem(arn: &str) -> Option<String> {
    let what = crate::arn::policy_arn_problem(arn)?;
    Some(with_repair(
        arn,
        format!(
            "policy ARN `{arn}` {what}; a managed policy ARN looks like arn:aws:iam::aws:policy/NAME or arn:aws:iam::123456789012:policy/NAME"
        ),
    ))
}

/// For a valid AWS-managed ARN of a known ECS policy: wrong path, or a name spelt in another case.
pub fn managed_policy_path_problem(arn: &str) -> Option<String> {
    let f: Vec<&str> = arn.split(':').collect();
    if f.len() != 6 || f[4] != "aws" {
        return None;
    }
    let path_and_name = f[5].strip_prefix("policy/")?;
    let (path, name) = match path_and_name.rsplit_once('/') {
        Some((p, n)) => (format!("{p}/"), n),
        None => (String::new(), path_and_name),
    };
    let (known, known_path) = ECS_MANAGED_POLICIES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))?;
    let correct = format!("arn:{}:iam::aws:policy/{known_path}{known}", f[1]);
    if *known != name {
        return Some(format!(
            "`{name}` is spelt `{known}` (names are case-sensitive): use {correct}"
        ));
    }
    (path != *known_path).then(|| format!("{known} lives at {correct}, not at policy/{path}"))
}

/// Any IAM ARN a policy names (a `Resource`): syntax only, by its resource type.
pub fn iam_arn_problem(arn: &str) -> Option<String> {
    let f: Vec<&str> = arn.split(':').collect();
    let iam_like = f.len() >= 3 && (f[2] == "iam" || (f[2].is_empty() && f.get(3) == Some(&"iam")));
    if !iam_like || arn.contains('*') && f.len() == 6 {
        // Not IAM, or a glob this module does not second-guess.
        return None;
    }
    let resource = f.last().copied().unwrap_or_default();
    if resource.starts_with("policy/") {
        return policy_arn_problem(arn);
    }
    if resource.starts_with("role/") || f.len() != 6 {
        return role_arn_problem(arn);
    }
    None
}

/// The role name of a role ARN (`...:role/path/NAME`), if it is one.
pub fn role_name(arn: &str) -> Option<&str> {
    let resource = arn.split(':').nth(5)?;
    let path = resource.strip_prefix("role/")?;
    path.rsplit('/')
        .next()
        .filter(|n| !n.is_empty() && !n.contains('*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_typos_are_caught_and_repaired() {
        let shifted =
            policy_arn_problem("arn:aws::iam::aws:policy/AWSCodeDeployRoleForECS").unwrap();
        assert!(shifted.contains("7 colon-separated fields"), "{shifted}");
        assert!(
            shifted.contains("did you mean arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS?"),
            "{shifted}"
        );
        let missing =
            policy_arn_problem("arn:aws:iam:111122223333:aws:policy/cdTaskExecutionPolicy")
                .unwrap();
        assert!(
            missing
                .contains("did you mean arn:aws:iam::111122223333:policy/cdTaskExecutionPolicy?"),
            "{missing}"
        );
        let long = role_arn_problem("arn:aws:iam::1111222233334444:role/ecsTaskRole").unwrap();
        assert!(long.contains("exactly 12 digits"), "{long}");
        assert!(
            policy_arn_problem(
                "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
            )
            .is_none()
        );
        assert!(policy_arn_problem("arn:aws:iam::111122223333:policy/team/custom").is_none());
    }

    #[test]
    fn managed_policy_paths_and_spellings() {
        let wrong =
            managed_policy_path_problem("arn:aws:iam::aws:policy/AmazonECSTaskExecutionRolePolicy")
                .unwrap();
        assert!(
            wrong.contains("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"),
            "{wrong}"
        );
        let case =
            managed_policy_path_problem("arn:aws:iam::aws:policy/AWSCodedeployRoleForECS").unwrap();
        assert!(case.contains("`AWSCodeDeployRoleForECS`"), "{case}");
        assert!(
            managed_policy_path_problem("arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS")
                .is_none()
        );
        assert!(managed_policy_path_problem("arn:aws:iam::aws:policy/ReadOnlyAccess").is_none());
        assert!(
            managed_policy_path_problem(
                "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForVpcLattice"
            )
            .is_none()
        );
    }

    #[test]
    fn role_names_come_from_role_arns_only() {
        assert_eq!(
            role_name("arn:aws:iam::111122223333:role/team/ecsTaskRole"),
            Some("ecsTaskRole")
        );
        assert_eq!(role_name("arn:aws:iam::111122223333:role/*"), None);
        assert_eq!(role_name("arn:aws:iam::111122223333:root"), None);
    }
}
