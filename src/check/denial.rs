//! What STS's own refusal of an AssumeRole says, read from its message: the caller, the action,
//! the role, the policy type AWS named (and whether it denied explicitly or allowed nothing),
//! the policy's ARN when AWS appends one, and the STS limits with messages of their own. Every
//! message form is data in [`FORMS`] and [`LIMITS`], each with the page it comes from; the
//! parser only finds them in a text (an application's log line, an SDK's error, STS's XML).
//!
//! Sources (REFERENCE 11):
//! - IAM User Guide, "Troubleshoot access denied error messages"
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html>): the
//!   `User: ... is not authorized to perform: ACTION on resource: ARN` shape, the explicit
//!   (`with an explicit deny in a ...`) and implicit (`because no ... allows the ACTION action`)
//!   clauses per policy type, SCPs only in the explicit form, one type named when several deny,
//!   and `Encoded authorization failure message`.
//! - AWS Security Blog, the post announcing policy ARNs in access denied error messages: within
//!   one account or organization the clause is followed by the denying policy's ARN.
//! - STS API Reference, AssumeRole, Errors (`PackedPolicyTooLarge`: the message gives the packed
//!   size in percent of the limit) and `DurationSeconds` (role chaining: at most one hour; above
//!   the role's MaxSessionDuration: refused).

use serde::Serialize;

pub const IAM_GUIDE: &str = "IAM User Guide, \"Troubleshoot access denied error messages\"";
pub const POLICY_ARN_BLOG: &str =
    "AWS Security Blog, policy ARNs in access denied error messages (REFERENCE 11)";
pub const STS_ASSUME_ROLE: &str = "STS API Reference, AssumeRole (Errors, DurationSeconds)";

/// The policy type an AccessDenied names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyType {
    ServiceControlPolicy,
    ResourceControlPolicy,
    IdentityBasedPolicy,
    PermissionsBoundary,
    SessionPolicy,
    /// For sts:AssumeRole the resource-based policy is the role's trust policy.
    ResourceBasedPolicy,
    VpcEndpointPolicy,
}

/// Whether the named policy denied, or allowed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Deny {
    Explicit,
    Implicit,
}

/// One reason clause of an AccessDenied, as AWS writes it.
pub struct Form {
    /// The clause's words, matched case-insensitively (the implicit ones end before the action
    /// AWS repeats).
    pub words: &'static str,
    pub policy: PolicyType,
    pub deny: Deny,
    pub source: &'static str,
}

/// Every reason clause the IAM User Guide documents for a denial.
pub const FORMS: &[Form] = &[
    Form {
        words: "with an explicit deny in a service control policy",
        policy: PolicyType::ServiceControlPolicy,
        deny: Deny::Explicit,
        source: IAM_GUIDE,
    },
    Form {
        words: "with an explicit deny in a resource control policy",
        policy: PolicyType::ResourceControlPolicy,
        deny: Deny::Explicit,
        source: IAM_GUIDE,
    },
    Form {
        words: "with an explicit deny in an identity-based policy",
        policy: PolicyType::IdentityBasedPolicy,
        deny: Deny::Explicit,
        source: IAM_GUIDE,
    },
    Form {
        words: "with an explicit deny in a permissions boundary",
        policy: PolicyType::PermissionsBoundary,
        deny: Deny::Explicit,
        source: IAM_GUIDE,
    },
    Form {
        words: "with an explicit deny in a session policy",
        policy: PolicyType::SessionPolicy,
        deny: Deny::Explicit,
        source: IAM_GUIDE,
    },
    Form {
        words: "with an explicit deny in a resource-based policy",
        policy: PolicyType::ResourceBasedPolicy,
        deny: Deny::Explicit,
        source: IAM_GUIDE,
    },
    Form {
        words: "with an explicit deny in a VPC endpoint policy",
        policy: PolicyType::VpcEndpointPolicy,
        deny: Deny::Explicit,
        source: IAM_GUIDE,
    },
    Form {
        words: "because no identity-based policy allows the",
        policy: PolicyType::IdentityBasedPolicy,
        deny: Deny::Implicit,
        source: IAM_GUIDE,
    },
    Form {
        words: "because no permissions boundary allows the",
        policy: PolicyType::PermissionsBoundary,
        deny: Deny::Implicit,
        source: IAM_GUIDE,
    },
    Form {
        words: "because no session policy allows the",
        policy: PolicyType::SessionPolicy,
        deny: Deny::Implicit,
        source: IAM_GUIDE,
    },
    Form {
        words: "because no resource-based policy allows the",
        policy: PolicyType::ResourceBasedPolicy,
        deny: Deny::Implicit,
        source: IAM_GUIDE,
    },
    Form {
        words: "because no VPC endpoint policy allows the",
        policy: PolicyType::VpcEndpointPolicy,
        deny: Deny::Implicit,
        source: IAM_GUIDE,
    },
];

/// The head every AccessDenied of this shape has.
const NOT_AUTHORIZED: &str = " is not authorized to perform: ";
const USER: &str = "User: ";
const ON_RESOURCE: &str = " on resource: ";
/// An encoded message only `sts:DecodeAuthorizationMessage` turns into the reason.
pub const ENCODED: &str = "Encoded authorization failure message:";

/// An STS limit with a message of its own, not an authorization decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Limit {
    /// Session policies and tags packed above STS's limit.
    PackedPolicyTooLarge,
    /// DurationSeconds above one hour on a session assumed with role credentials.
    ChainedDuration,
    /// DurationSeconds above the role's MaxSessionDuration.
    MaxSessionDuration,
}

pub struct LimitForm {
    /// Words the message holds (case-insensitive).
    pub words: &'static str,
    pub limit: Limit,
    pub source: &'static str,
}

/// STS's limit messages. The packed size: `Packed size of session tags consumes 112% of
/// allotted space.` (tags) or `Packed policy consumes ...% of allotted space` (policies).
pub const LIMITS: &[LimitForm] = &[
    LimitForm {
        words: "% of allotted space",
        limit: Limit::PackedPolicyTooLarge,
        source: STS_ASSUME_ROLE,
    },
    LimitForm {
        words: "PackedPolicyTooLarge",
        limit: Limit::PackedPolicyTooLarge,
        source: STS_ASSUME_ROLE,
    },
    LimitForm {
        words: "exceeds the 1 hour session limit for roles assumed by role chaining",
        limit: Limit::ChainedDuration,
        source: STS_ASSUME_ROLE,
    },
    LimitForm {
        words: "exceeds the MaxSessionDuration set for this role",
        limit: Limit::MaxSessionDuration,
        source: STS_ASSUME_ROLE,
    },
];

/// What an STS refusal says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "form", rename_all = "kebab-case")]
pub enum Denial {
    /// `User: CALLER is not authorized to perform: ACTION on resource: ROLE [reason] [ARN]`.
    NotAuthorized {
        caller: String,
        action: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        resource: Option<String>,
        /// `None`: the bare form, no reason clause (a cross-account trust policy).
        #[serde(skip_serializing_if = "Option::is_none")]
        policy: Option<PolicyType>,
        #[serde(skip_serializing_if = "Option::is_none")]
        deny: Option<Deny>,
        #[serde(skip_serializing_if = "Option::is_none")]
        policy_arn: Option<String>,
        /// The encoded reason, when AWS gave one instead of a clause.
        #[serde(skip_serializing_if = "Option::is_none")]
        encoded: Option<String>,
    },
    /// Only an encoded reason, without the `User:` head.
    Encoded { encoded: String },
    Limit {
        limit: Limit,
        /// The packed size in percent of the limit, for `PackedPolicyTooLarge`.
        #[serde(skip_serializing_if = "Option::is_none")]
        percent: Option<u32>,
    },
}

/// Finds `needle` in `hay` ignoring ASCII case; the byte offset.
fn find(hay: &str, needle: &str) -> Option<usize> {
    hay.to_ascii_lowercase().find(&needle.to_ascii_lowercase())
}

/// The token starting at `text`'s start: up to whitespace, without trailing punctuation or
/// quotes a log line adds.
fn token(text: &str) -> &str {
    let end = text
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | ',' | ';' | ')'))
        .unwrap_or(text.len());
    text[..end].trim_end_matches(['.', ':'])
}

/// The first `arn:` token in `text`.
fn first_arn(text: &str) -> Option<String> {
    let at = text.find("arn:")?;
    let arn = token(&text[at..]);
    (arn.len() > "arn:".len()).then(|| arn.to_owned())
}

/// Reads what STS's message in `text` says, or `None` when it holds no form AWS documents.
pub fn parse(text: &str) -> Option<Denial> {
    if let Some(form) = LIMITS.iter().find(|f| find(text, f.words).is_some()) {
        let percent = (form.limit == Limit::PackedPolicyTooLarge)
            .then(|| {
                let at = text.find("% of allotted space")?;
                let digits: String = text[..at]
                    .chars()
                    .rev()
                    .take_while(char::is_ascii_digit)
                    .collect();
                digits.chars().rev().collect::<String>().parse().ok()
            })
            .flatten();
        return Some(Denial::Limit {
            limit: form.limit,
            percent,
        });
    }
    let encoded =
        find(text, ENCODED).map(|at| token(text[at + ENCODED.len()..].trim_start()).to_owned());
    let Some(head) = text.find(NOT_AUTHORIZED) else {
        return encoded
            .filter(|e| !e.is_empty())
            .map(|encoded| Denial::Encoded { encoded });
    };
    let caller = text[..head]
        .rfind(USER)
        .map(|at| text[at + USER.len()..head].trim().to_owned())
        .or_else(|| text[..head].split_whitespace().last().map(str::to_owned))?;
    let rest = &text[head + NOT_AUTHORIZED.len()..];
    let action = token(rest).to_owned();
    let rest = &rest[action.len()..];
    let resource = rest
        .strip_prefix(ON_RESOURCE)
        .map(|r| token(r).to_owned())
        .filter(|r| !r.is_empty());
    let clause = FORMS
        .iter()
        .filter_map(|f| find(rest, f.words).map(|at| (at, f)))
        .min_by_key(|(at, _)| *at);
    let policy_arn = clause.and_then(|(at, f)| {
        let after = &rest[at + f.words.len()..];
        // The implicit clause repeats the action (`... allows the sts:AssumeRole action`).
        let after = match f.deny {
            Deny::Implicit => after.split_once(" action").map_or("", |(_, a)| a),
            Deny::Explicit => after,
        };
        let after = after.trim_start_matches([':', ' ']);
        after
            .starts_with("arn:")
            .then(|| first_arn(after))
            .flatten()
    });
    Some(Denial::NotAuthorized {
        caller,
        action,
        resource,
        policy: clause.map(|(_, f)| f.policy),
        deny: clause.map(|(_, f)| f.deny),
        policy_arn,
        encoded: encoded.filter(|e| !e.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALLER: &str = "arn:aws:sts::111122223333:assumed-role/my-ECS-task-role/abc";
    const ROLE: &str = "arn:aws:iam::555566667777:role/destination-account-role";

    fn head() -> String {
        format!("User: {CALLER} is not authorized to perform: sts:AssumeRole on resource: {ROLE}")
    }

    #[test]
    fn every_documented_clause_is_read_with_its_policy_type() {
        for form in FORMS {
            let words = match form.deny {
                Deny::Explicit => form.words.to_owned(),
                Deny::Implicit => format!("{} sts:AssumeRole action", form.words),
            };
            let got = parse(&format!(
                "An error occurred (AccessDenied) when calling the AssumeRole operation: {} {words}",
                head()
            ));
            let Some(Denial::NotAuthorized {
                caller,
                action,
                resource,
                policy,
                deny,
                policy_arn,
                ..
            }) = got
            else {
                panic!("{}: {got:?}", form.words)
            };
            assert_eq!(caller, CALLER);
            assert_eq!(action, "sts:AssumeRole");
            assert_eq!(resource.as_deref(), Some(ROLE));
            assert_eq!((policy, deny), (Some(form.policy), Some(form.deny)));
            assert_eq!(policy_arn, None);
        }
    }

    #[test]
    fn the_bare_form_names_no_policy_and_a_trailing_arn_is_kept() {
        let bare = parse(&format!("{}.", head())).unwrap();
        assert!(matches!(
            bare,
            Denial::NotAuthorized { policy: None, ref resource, .. } if resource.as_deref() == Some(ROLE)
        ));
        let scp = "arn:aws:organizations::111122223333:policy/o-a1b2c3d4e5/service_control_policy/p-abcd1234";
        let got = parse(&format!(
            "{} with an explicit deny in a service control policy: {scp}",
            head()
        ));
        assert!(
            matches!(got, Some(Denial::NotAuthorized { policy_arn: Some(ref a), .. }) if a == scp)
        );
    }

    #[test]
    fn limits_carry_their_numbers() {
        assert_eq!(
            parse(
                "An error occurred (PackedPolicyTooLarge) when calling the AssumeRole operation: Packed size of session tags consumes 112% of allotted space."
            ),
            Some(Denial::Limit {
                limit: Limit::PackedPolicyTooLarge,
                percent: Some(112)
            })
        );
        assert_eq!(
            parse(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
            ),
            Some(Denial::Limit {
                limit: Limit::ChainedDuration,
                percent: None
            })
        );
        assert_eq!(parse("something else entirely"), None);
    }
}
