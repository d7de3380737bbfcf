//! A task definition's role and where `check` got its policies: given as files
//! (`--identity-policy` for the task role, `--execution-role-policy` for the execution role),
//! read from IAM online (`crate::probe::task_roles`), or not read at all, with the reason. The
//! checks that need a role's policies (ECS Exec's `ssmmessages` actions on the task role, the
//! log group the execution role must create) decide on [`RolePolicies::files`] and say in
//! their message where those came from ([`RolePolicies::origin`]).

use super::File;

/// One role's policies, and where they came from.
#[derive(Debug, Clone)]
pub enum RolePolicies {
    /// Given on the command line: the files, and the flag that gave them.
    Given {
        flag: &'static str,
        files: Vec<File>,
    },
    /// Read from IAM: the role's inline and attached managed policies (none is a real answer:
    /// the role has no policy).
    FromIam { role: String, files: Vec<File> },
    /// Neither given nor read; what to do about it (the flag to give, or IAM's refusal).
    Unread(String),
}

impl RolePolicies {
    /// `files` from `flag`; none given is [`RolePolicies::Unread`], pointing at the flag and
    /// at `--online`.
    pub fn given(flag: &'static str, files: Vec<File>) -> Self {
        if files.is_empty() {
            Self::Unread(format!(
                "give its policies with {flag}, or run with --online to read them from IAM"
            ))
        } else {
            Self::Given { flag, files }
        }
    }

    /// The policies to decide on (none when unread).
    pub fn files(&self) -> &[File] {
        match self {
            Self::Given { files, .. } | Self::FromIam { files, .. } => files,
            Self::Unread(_) => &[],
        }
    }

    /// Where the policies came from, for a message: "the policies given with --identity-policy",
    /// "the policies IAM shows on ROLE (NAMES)".
    pub fn origin(&self) -> String {
        match self {
            Self::Given { flag, .. } => format!("the policies given with {flag}"),
            Self::FromIam { role, files } if files.is_empty() => {
                format!("the policies IAM shows on {role} (none)")
            }
            Self::FromIam { role, files } => {
                format!("the policies IAM shows on {role} ({})", names(files))
            }
            Self::Unread(why) => format!("its policies were not read: {why}"),
        }
    }

    /// Whether the policies came from IAM (so no other check has parsed them yet).
    pub fn from_iam(&self) -> bool {
        matches!(self, Self::FromIam { .. })
    }

    /// The reason they were not read, when they were not.
    pub fn unread(&self) -> Option<&str> {
        match self {
            Self::Unread(why) => Some(why),
            _ => None,
        }
    }
}

fn names(files: &[File]) -> String {
    files
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_origin_says_where_the_policies_came_from() {
        let file = ("p.json".to_owned(), "{}".to_owned());
        let none = RolePolicies::given("--identity-policy", Vec::new());
        assert!(none.files().is_empty());
        assert!(
            none.unread()
                .is_some_and(|w| w.contains("--identity-policy") && w.contains("--online"))
        );
        let given = RolePolicies::given("--identity-policy", vec![file.clone()]);
        assert_eq!(given.origin(), "the policies given with --identity-policy");
        assert!(!given.from_iam());
        let read = RolePolicies::FromIam {
            role: "my-ECS-task-role".into(),
            files: vec![file],
        };
        assert_eq!(
            read.origin(),
            "the policies IAM shows on my-ECS-task-role (p.json)"
        );
        assert!(read.from_iam() && read.unread().is_none());
        let empty = RolePolicies::FromIam {
            role: "r".into(),
            files: Vec::new(),
        };
        assert_eq!(empty.origin(), "the policies IAM shows on r (none)");
    }
}
