//! The decision IAM makes for one request against one policy (REFERENCE 7): explicit Deny
//! first, then any Allow, else implicit deny; with a third answer, `Unknown`, whenever the
//! outcome hangs on a condition key that cannot be known offline. Never guesses "allowed".

use std::collections::HashMap;

use super::policy::{Condition, Effect, Patterns, Policy, Principal, Statement};

/// Three-valued truth: a condition on an unknowable key is neither true nor false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::Unknown, _) | (_, Tri::Unknown) => Tri::Unknown,
            _ => Tri::True,
        }
    }

    fn from(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
}

/// What a request context knows about one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Present(Vec<String>),
    Absent,
    Unknown,
}

/// The caller of AssumeRole: a role session.
#[derive(Debug, Clone)]
pub struct Caller {
    pub role_arn: String,
    pub account: String,
}

#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Lower-cased key → what is known.
    keys: HashMap<String, Key>,
}

impl Context {
    /// The keys of an AssumeRole made by `caller` with these options (REFERENCE 7.6).
    pub fn assume_role(
        caller: Option<&Caller>,
        external_id: Option<&str>,
        session_tags: bool,
        source_identity: bool,
    ) -> Self {
        let mut keys = HashMap::new();
        if let Some(c) = caller {
            keys.insert(
                "aws:principalarn".into(),
                Key::Present(vec![c.role_arn.clone()]),
            );
            keys.insert(
                "aws:principalaccount".into(),
                Key::Present(vec![c.account.clone()]),
            );
            keys.insert(
                "aws:principaltype".into(),
                Key::Present(vec!["AssumedRole".into()]),
            );
        }
        keys.insert(
            "aws:securetransport".into(),
            Key::Present(vec!["true".into()]),
        );
        keys.insert(
            "aws:viaawsservice".into(),
            Key::Present(vec!["false".into()]),
        );
        keys.insert(
            "sts:externalid".into(),
            external_id.map_or(Key::Absent, |id| Key::Present(vec![id.to_owned()])),
        );
        // Only calls made by AWS services carry these.
        keys.insert("aws:sourceaccount".into(), Key::Absent);
        keys.insert("aws:sourcearn".into(), Key::Absent);
        keys.insert("aws:sourceorgid".into(), Key::Absent);
        keys.insert("aws:multifactorauthpresent".into(), Key::Absent);
        if !session_tags {
            keys.insert("aws:tagkeys".into(), Key::Absent);
        }
        if !source_identity {
            keys.insert("sts:sourceidentity".into(), Key::Absent);
        }
        Self { keys }
    }

    pub fn get(&self, key: &str) -> Key {
        let key = key.to_ascii_lowercase();
        if let Some(k) = self.keys.get(&key) {
            return k.clone();
        }
        if key.starts_with("aws:requesttag/") && !self.keys.contains_key("aws:tagkeys") {
            return Key::Unknown;
        }
        if key.starts_with("aws:requesttag/") {
            return Key::Absent;
        }
        // aws:PrincipalOrgID, principal tags, source IPs, times...: not knowable offline.
        Key::Unknown
    }
}

/// One request: an action on a resource (identity side) by a caller (trust side).
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: Option<&'a str>,
    pub caller: Option<&'a Caller>,
    pub context: &'a Context,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow {
        statement: usize,
    },
    ExplicitDeny {
        statement: usize,
    },
    ImplicitDeny,
    /// Hangs on keys that cannot be known offline.
    Unknown {
        keys: Vec<String>,
    },
}

/// `*` and `?` globs; `case_insensitive` for actions.
pub fn glob(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if case_insensitive {
        (
            pattern.to_lowercase().chars().collect(),
            text.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn patterns_match(patterns: &Patterns, value: &str, case_insensitive: bool) -> bool {
    let any = patterns
        .items
        .iter()
        .any(|p| glob(p, value, case_insensitive));
    any != patterns.negated
}

/// Does a trust statement's Principal name this caller? Account principals delegate to the
/// account; role ARNs must match exactly; service principals never match a role.
pub fn principal_matches(principal: &Principal, caller: &Caller) -> bool {
    match principal {
        Principal::Anyone => true,
        Principal::Map(map) => map.get("AWS").into_iter().flatten().any(|p| {
            p == "*"
                || *p == caller.account
                || *p == format!("arn:aws:iam::{}:root", caller.account)
                || *p == caller.role_arn
        }),
    }
}

/// The operator's base name and its modifiers.
struct Operator<'a> {
    base: &'a str,
    for_all: bool,
    for_any: bool,
    if_exists: bool,
}

fn operator(raw: &str) -> Operator<'_> {
    let (for_all, for_any, rest) = if let Some(r) = raw.strip_prefix("ForAllValues:") {
        (true, false, r)
    } else if let Some(r) = raw.strip_prefix("ForAnyValue:") {
        (false, true, r)
    } else {
        (false, false, raw)
    };
    let (if_exists, base) = match rest.strip_suffix("IfExists") {
        Some(b) => (true, b),
        None => (false, rest),
    };
    Operator {
        base,
        for_all,
        for_any,
        if_exists,
    }
}

/// One condition (key with its values ORed).
pub fn condition(cond: &Condition, context: &Context) -> Tri {
    let op = operator(&cond.operator);
    let negated = op.base.contains("Not") && op.base != "Null";
    match context.get(&cond.key) {
        Key::Unknown => Tri::Unknown,
        Key::Absent => {
            if op.base == "Null" {
                return Tri::from(cond.values.iter().any(|v| v.eq_ignore_ascii_case("true")));
            }
            if op.if_exists || op.for_all {
                return Tri::True;
            }
            if op.for_any {
                return Tri::False;
            }
            Tri::from(negated)
        }
        Key::Present(actual) => {
            if op.base == "Null" {
                return Tri::from(cond.values.iter().any(|v| v.eq_ignore_ascii_case("false")));
            }
            let positive = op.base.replace("Not", "");
            let matches_one = |a: &str| -> Option<bool> {
                let hit = |v: &String| match positive.as_str() {
                    "StringEquals" => Some(a == v),
                    "StringEqualsIgnoreCase" => Some(a.eq_ignore_ascii_case(v)),
                    "StringLike" => Some(glob(v, a, false)),
                    "ArnEquals" | "ArnLike" => Some(glob(v, a, false)),
                    "Bool" => Some(a.eq_ignore_ascii_case(v)),
                    _ => None,
                };
                let results: Option<Vec<bool>> = cond.values.iter().map(hit).collect();
                results.map(|r| r.into_iter().any(|b| b))
            };
            let per_value: Option<Vec<bool>> = actual.iter().map(|a| matches_one(a)).collect();
            let Some(per_value) = per_value else {
                // Numeric, Date, IpAddress, Binary: not evaluated offline.
                return Tri::Unknown;
            };
            let positive_result = if op.for_all {
                per_value.iter().all(|b| *b)
            } else {
                per_value.iter().any(|b| *b)
            };
            Tri::from(positive_result != negated)
        }
    }
}

/// Does `statement` apply to `request`?
pub fn applies(statement: &Statement, request: &Request) -> Tri {
    let Some(actions) = &statement.actions else {
        return Tri::False;
    };
    if !patterns_match(actions, request.action, true) {
        return Tri::False;
    }
    if let (Some(resources), Some(resource)) = (&statement.resources, request.resource)
        && !patterns_match(resources, resource, false)
    {
        return Tri::False;
    }
    if let Some(principal) = &statement.principal {
        match request.caller {
            Some(caller) if principal_matches(principal, caller) != statement.not_principal => {}
            Some(_) => return Tri::False,
            None => return Tri::Unknown,
        }
    }
    statement
        .conditions
        .iter()
        .fold(Tri::True, |acc, c| acc.and(condition(c, request.context)))
}

/// IAM's decision for `request` under `policy` alone.
pub fn decide(policy: &Policy, request: &Request) -> Decision {
    let mut unknown_keys = Vec::new();
    let mut allow = None;
    let mut unknown_deny = false;
    for statement in &policy.statements {
        let result = applies(statement, request);
        let unknown_here = || {
            statement
                .conditions
                .iter()
                .filter(|c| request.context.get(&c.key) == Key::Unknown)
                .map(|c| c.key.clone())
                .collect::<Vec<_>>()
        };
        match (statement.effect, result) {
            (Some(Effect::Deny), Tri::True) => {
                return Decision::ExplicitDeny {
                    statement: statement.number,
                };
            }
            (Some(Effect::Deny), Tri::Unknown) => {
                unknown_deny = true;
                unknown_keys.extend(unknown_here());
            }
            (Some(Effect::Allow), Tri::True) => allow = allow.or(Some(statement.number)),
            (Some(Effect::Allow), Tri::Unknown) => unknown_keys.extend(unknown_here()),
            _ => {}
        }
    }
    unknown_keys.sort();
    unknown_keys.dedup();
    match (allow, unknown_deny, unknown_keys.is_empty()) {
        (Some(_), true, _) => Decision::Unknown { keys: unknown_keys },
        (Some(statement), false, _) => Decision::Allow { statement },
        (None, _, false) => Decision::Unknown { keys: unknown_keys },
        (None, _, true) => Decision::ImplicitDeny,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::policy::{Kind, parse};

    fn caller() -> Caller {
        Caller {
            role_arn: "arn:aws:iam::111122223333:role/my-ECS-task-role".into(),
            account: "111122223333".into(),
        }
    }

    fn trust_decision(statement: &str, external_id: Option<&str>) -> Decision {
        let text = format!(r#"{{"Version": "2012-10-17", "Statement": [{statement}]}}"#);
        let (policy, findings) = parse(&text, "trust.json", Kind::Trust);
        assert!(findings.is_empty(), "{findings:?}");
        let c = caller();
        let context = Context::assume_role(Some(&c), external_id, false, false);
        decide(
            &policy.unwrap(),
            &Request {
                action: "sts:AssumeRole",
                resource: None,
                caller: Some(&c),
                context: &context,
            },
        )
    }

    const ALLOW: &str =
        r#"{"Effect": "Allow", "Principal": {"AWS": "PRINCIPAL"}, "Action": "sts:AssumeRole""#;

    fn allow(principal: &str, rest: &str) -> String {
        format!("{}{rest}}}", ALLOW.replace("PRINCIPAL", principal))
    }

    #[test]
    fn principal_forms() {
        for p in [
            "arn:aws:iam::111122223333:role/my-ECS-task-role",
            "111122223333",
            "arn:aws:iam::111122223333:root",
            "*",
        ] {
            assert_eq!(
                trust_decision(&allow(p, ""), None),
                Decision::Allow { statement: 1 },
                "{p}"
            );
        }
        for p in [
            "arn:aws:iam::111122223333:role/my-ecs-task-role",
            "arn:aws:iam::444455556666:root",
            "AROA3X42LBCDXTJWVUKB3",
        ] {
            assert_eq!(
                trust_decision(&allow(p, ""), None),
                Decision::ImplicitDeny,
                "{p}"
            );
        }
    }

    #[test]
    fn conditions_follow_the_missing_key_rules() {
        let cases = [
            (
                r#", "Condition": {"StringEquals": {"sts:ExternalId": "x"}}"#,
                None,
                false,
            ),
            (
                r#", "Condition": {"StringEquals": {"sts:ExternalId": ["y", "x"]}}"#,
                Some("x"),
                true,
            ),
            (
                r#", "Condition": {"StringNotEquals": {"sts:ExternalId": "x"}}"#,
                None,
                true,
            ),
            (
                r#", "Condition": {"StringEqualsIfExists": {"sts:ExternalId": "x"}}"#,
                None,
                true,
            ),
            (
                r#", "Condition": {"Null": {"sts:ExternalId": "true"}}"#,
                None,
                true,
            ),
            (
                r#", "Condition": {"Null": {"sts:ExternalId": "true"}}"#,
                Some("x"),
                false,
            ),
            (
                r#", "Condition": {"Bool": {"aws:SecureTransport": "true"}}"#,
                None,
                true,
            ),
            (
                r#", "Condition": {"ForAnyValue:StringEquals": {"sts:ExternalId": "x"}}"#,
                None,
                false,
            ),
            (
                r#", "Condition": {"ForAllValues:StringEquals": {"sts:ExternalId": "x"}}"#,
                None,
                true,
            ),
            (
                r#", "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/my-ECS-*"}}"#,
                None,
                true,
            ),
            (
                r#", "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}"#,
                None,
                false,
            ),
            (
                r#", "Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333", "sts:ExternalId": "x"}}"#,
                Some("x"),
                true,
            ),
        ];
        for (condition, external_id, allowed) in cases {
            let d = trust_decision(&allow("*", condition), external_id);
            assert_eq!(
                matches!(d, Decision::Allow { .. }),
                allowed,
                "{condition} with {external_id:?}: {d:?}"
            );
        }
    }

    #[test]
    fn deny_wins_and_unknown_keys_never_pass() {
        let deny = r#"{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:*"}"#;
        assert_eq!(
            trust_decision(&format!("{},{deny}", allow("*", "")), None),
            Decision::ExplicitDeny { statement: 2 }
        );
        let org = allow(
            "*",
            r#", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}"#,
        );
        assert_eq!(
            trust_decision(&org, None),
            Decision::Unknown {
                keys: vec!["aws:PrincipalOrgID".into()]
            }
        );
    }

    #[test]
    fn globs() {
        assert!(glob("sts:Assume*", "sts:AssumeRole", true));
        assert!(glob("STS:assumerole", "sts:AssumeRole", true));
        assert!(!glob("sts:AssumeRole", "sts:AssumeRoleWithSAML", true));
        assert!(glob(
            "arn:aws:iam::*:role/a?c",
            "arn:aws:iam::1:role/abc",
            false
        ));
        assert!(!glob(
            "arn:aws:iam::1:role/ABC",
            "arn:aws:iam::1:role/abc",
            false
        ));
    }
}
