//! IAM role ARNs, `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`, and managed policy ARNs,
//! `arn:PARTITION:iam::(ACCOUNT|aws):policy/[PATH/]NAME`.
//!
//! Parsing is strict and its errors say which field is wrong and what it should look like,
//! because a typo in a role ARN otherwise surfaces only as STS's generic "not authorized".

use std::fmt;
use std::str::FromStr;

/// A syntactically valid IAM role ARN.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RoleArn {
    arn: String,
    partition_len: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("role ARN `{arn}` {problem}; a role ARN looks like arn:aws:iam::123456789012:role/NAME")]
pub struct ArnError {
    arn: String,
    problem: String,
}

impl RoleArn {
    pub fn as_str(&self) -> &str {
        &self.arn
    }

    pub fn partition(&self) -> &str {
        &self.arn[4..4 + self.partition_len]
    }

    pub fn account_id(&self) -> &str {
        self.fields()[4]
    }

    /// The role name, without its path.
    pub fn name(&self) -> &str {
        self.fields()[5].rsplit('/').next().unwrap_or_default()
    }

    fn fields(&self) -> Vec<&str> {
        self.arn.splitn(6, ':').collect()
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

/// An AWS account id: exactly 12 digits.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The account field of any ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`), as
/// written; `None` when there are fewer fields.
pub fn account_field(arn: &str) -> Option<&str> {
    arn.split(':').nth(4)
}

/// Characters IAM allows in role names and in STS session names: `[\w+=,.@-]`.
pub fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-')
}

impl FromStr for RoleArn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fail = |problem: String| ArnError {
            arn: s.to_owned(),
            problem,
        };
        if s.trim() != s {
            return Err(fail("has leading or trailing whitespace".into()));
        }
        let fields: Vec<&str> = s.split(':').collect();
        if fields.len() == 1 && !s.is_empty() && !s.contains('/') {
            return Err(fail(format!(
                "is a role name, not an ARN: give arn:aws:iam::ACCOUNT:role/{s}, with the 12-digit account the role is in"
            )));
        }
        if fields.len() != 6 {
            return Err(fail(format!(
                "has {} colon-separated fields instead of 6 (arn, partition, iam, an empty region, account, role/NAME)",
                fields.len()
            )));
        }
        let [arn, partition, service, region, account, resource] = fields[..] else {
            unreachable!("length checked above")
        };
        if arn != "arn" {
            return Err(fail("does not start with `arn:`".into()));
        }
        if !(partition == "aws" || partition.starts_with("aws-"))
            || !partition
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-')
        {
            return Err(fail(format!(
                "has partition `{partition}`; use `aws` (or `aws-cn`, `aws-us-gov`)"
            )));
        }
        if service != "iam" {
            let hint = if service == "sts" {
                "; that is a session ARN, use the role's own IAM ARN"
            } else {
                ""
            };
            return Err(fail(format!(
                "names service `{service}` where `iam` belongs{hint}"
            )));
        }
        if !region.is_empty() {
            return Err(fail(format!(
                "has region `{region}`, but IAM ARNs have an empty region field (`iam::`)"
            )));
        }
        if !is_account_id(account) {
            return Err(fail(format!(
                "has account id `{account}`; an account id is exactly 12 digits"
            )));
        }
        let Some(path_and_name) = resource.strip_prefix("role/") else {
            return Err(fail(format!(
                "has resource `{resource}`, which is not `role/NAME`"
            )));
        };
        let name = path_and_name.rsplit('/').next().unwrap_or_default();
        if name.is_empty() || name.len() > 64 {
            return Err(fail(
                "has a role name that is empty or longer than 64 characters".into(),
            ));
        }
        if let Some(bad) = path_and_name
            .chars()
            .find(|&c| !is_iam_name_char(c) && c != '/')
        {
            return Err(fail(format!(
                "contains `{bad}`, which IAM does not allow in role names or paths"
            )));
        }
        if path_and_name.contains("//") {
            return Err(fail("has an empty path segment (`//`)".into()));
        }
        Ok(RoleArn {
            arn: s.to_owned(),
            partition_len: partition.len(),
        })
    }
}

/// What is wrong with a managed policy ARN (`arn:PARTITION:iam::(ACCOUNT|aws):policy/[PATH/]NAME`),
/// as the tail of a sentence that starts with the ARN; `None` when it is valid. The one rule for
/// session policy ARNs and for the policy ARNs `check` reads.
pub fn policy_arn_problem(arn: &str) -> Option<String> {
    let f: Vec<&str> = arn.split(':').collect();
    if f.len() != 6 {
        return Some(format!(
            "has {} colon-separated fields instead of 6",
            f.len()
        ));
    }
    if f[0] != "arn" || !(f[1] == "aws" || f[1].starts_with("aws-")) {
        return Some("does not start with arn:aws:".into());
    }
    if f[2] != "iam" {
        return Some(format!("names service `{}` where `iam` belongs", f[2]));
    }
    if !f[3].is_empty() {
        return Some(format!(
            "has `{}` in the region field, which is empty in IAM ARNs",
            f[3]
        ));
    }
    if f[4] != "aws" && !is_account_id(f[4]) {
        return Some(format!(
            "has account `{}`, which is neither `aws` (AWS-managed) nor 12 digits",
            f[4]
        ));
    }
    let Some(path) = f[5].strip_prefix("policy/") else {
        return Some(format!("has resource `{}`, which is not policy/NAME", f[5]));
    };
    if path.is_empty() || !path.chars().all(|c| is_iam_name_char(c) || c == '/') {
        return Some("has an empty or invalid policy name".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_and_pathed_roles() {
        let arn: RoleArn = "arn:aws:iam::555566667777:role/destination-account-role"
            .parse()
            .unwrap();
        assert_eq!(arn.account_id(), "555566667777");
        assert_eq!(arn.name(), "destination-account-role");
        assert_eq!(arn.partition(), "aws");
        let pathed: RoleArn = "arn:aws-cn:iam::111122223333:role/team/app/reader"
            .parse()
            .unwrap();
        assert_eq!(pathed.name(), "reader");
        assert_eq!(pathed.partition(), "aws-cn");
    }

    #[test]
    fn policy_arns_name_the_wrong_field() {
        assert_eq!(
            policy_arn_problem(
                "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
            ),
            None
        );
        assert_eq!(
            policy_arn_problem("arn:aws-cn:iam::111122223333:policy/team/x"),
            None
        );
        for (bad, expected) in [
            ("arn:aws::iam::aws:policy/X", "7 colon-separated fields"),
            (
                "arn:azure:iam::aws:policy/X",
                "does not start with arn:aws:",
            ),
            ("arn:aws:s3::aws:policy/X", "service `s3`"),
            ("arn:aws:iam:us-east-1:aws:policy/X", "region field"),
            ("arn:aws:iam::1234:policy/X", "account `1234`"),
            ("arn:aws:iam::aws:role/X", "resource `role/X`"),
            ("arn:aws:iam::aws:policy/", "empty or invalid policy name"),
        ] {
            let problem = policy_arn_problem(bad).unwrap_or_default();
            assert!(problem.contains(expected), "{bad}: {problem:?}");
        }
    }

    #[test]
    fn typos_name_the_wrong_field() {
        let cases = [
            (
                "arn:aws::iam::555566667777:role/x",
                "7 colon-separated fields",
            ),
            (
                "arn:aws:iam:555566667777:role/x",
                "5 colon-separated fields",
            ),
            ("arn:aws:iam::5555666677777:role/x", "exactly 12 digits"),
            ("arn:aws:iam::55556666777:role/x", "exactly 12 digits"),
            ("arn:aws:sts::555566667777:assumed-role/x/s", "session ARN"),
            ("arn:aws:iam:us-east-1:555566667777:role/x", "empty region"),
            ("arn:aws:iam::555566667777:user/x", "not `role/NAME`"),
            ("arn:aws:iam::555566667777:role/", "empty"),
            ("arn:aws:iam::555566667777:role/bad name", "contains ` `"),
            (
                "arm:aws:iam::555566667777:role/x",
                "does not start with `arn:`",
            ),
            (" arn:aws:iam::555566667777:role/x", "whitespace"),
            ("arn:AWS:iam::555566667777:role/x", "partition"),
            (
                "destination-account-role",
                "a role name, not an ARN: give arn:aws:iam::ACCOUNT:role/destination-account-role",
            ),
        ];
        for (input, expected) in cases {
            let err = input.parse::<RoleArn>().unwrap_err().to_string();
            assert!(err.contains(expected), "{input}: {err}");
            assert!(err.contains("arn:aws:iam::123456789012:role/NAME"), "{err}");
        }
    }
}
