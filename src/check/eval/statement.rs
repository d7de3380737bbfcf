//! One statement against the request (action, resource, principal, conditions) and a group
//! of policies that combine as one (any Allow counts, any Deny wins), with what nearly
//! matched for the explanation.

use serde::Serialize;

use super::condition::condition_with;
use super::context::{Caller, Context, Key};
use super::matching::{arn_like, glob};
use super::principal::principal_matches;
use super::variables::substitute;
use crate::check::policy::{Condition, Effect, Patterns, Policy, Statement};
use crate::check::tri::Tri;

/// Why an Allow statement did not apply, for the messages that explain a denial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    Action,
    Resource,
    Principal,
    /// Its document has a statement IAM refuses, so IAM would refuse the whole document.
    Refused,
    /// A condition was false: the condition and whether its key was absent.
    Condition {
        condition: Condition,
        absent: bool,
    },
}

/// A statement's verdict on a request: applies or not (or unknown), why not, and the keys it
/// hung on.
#[derive(Debug, Clone)]
pub struct Applies {
    pub tri: Tri,
    pub miss: Option<Miss>,
    pub unknown: Vec<String>,
}

/// One request as a statement sees it.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub caller: Option<&'a Caller>,
    pub context: &'a Context,
}

/// How a statement's patterns meet the request's value.
#[derive(Debug, Clone, Copy)]
enum Matching {
    /// An action: a case-insensitive glob.
    Action,
    /// A resource ARN, field by field (`ArnLike`), with the policy variables `${...}`
    /// resolved from the request first when the policy's version has them.
    Resource { variables: bool },
}

fn patterns_match(
    patterns: &Patterns,
    value: &str,
    matching: Matching,
    context: &Context,
    unknown: &mut Vec<String>,
) -> Tri {
    let mut any = Tri::False;
    for p in &patterns.items {
        let hit = match matching {
            Matching::Action => Tri::from(glob(p, value, true)),
            Matching::Resource { variables: false } => Tri::from(arn_like(p, value)),
            Matching::Resource { variables: true } => match substitute(p, context, unknown) {
                Ok(p) => Tri::from(arn_like(&p, value)),
                Err(t) => t,
            },
        };
        any = any.or(hit);
    }
    if patterns.negated { any.negate() } else { any }
}

/// Does `statement` apply to `request`?
pub fn applies(statement: &Statement, request: &Request) -> Applies {
    let mut unknown = Vec::new();
    let done = |tri, miss, unknown| Applies { tri, miss, unknown };
    let Some(actions) = &statement.actions else {
        return done(Tri::False, Some(Miss::Action), unknown);
    };
    if patterns_match(
        actions,
        request.action,
        Matching::Action,
        request.context,
        &mut unknown,
    ) == Tri::False
    {
        return done(Tri::False, Some(Miss::Action), unknown);
    }
    let mut tri = Tri::True;
    if let Some(resources) = &statement.resources {
        match patterns_match(
            resources,
            request.resource,
            Matching::Resource {
                variables: statement.variables,
            },
            request.context,
            &mut unknown,
        ) {
            Tri::False => return done(Tri::False, Some(Miss::Resource), unknown),
            t => tri = tri.and(t),
        }
    }
    if let Some(principal) = &statement.principal {
        let matched = match request.caller {
            Some(caller) => {
                let m = principal_matches(principal, caller);
                if m == Tri::Unknown {
                    unknown.push("the calling session's name, which a session principal (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION) names (give --source-session-name; for a task role ECS names it after the task id)".into());
                }
                if statement.not_principal {
                    m.negate()
                } else {
                    m
                }
            }
            None => {
                unknown.push("the source role (give --source-role-arn)".into());
                Tri::Unknown
            }
        };
        match matched {
            Tri::False => return done(Tri::False, Some(Miss::Principal), unknown),
            t => tri = tri.and(t),
        }
    }
    for c in &statement.conditions {
        let mut absent = false;
        if request.context.get(&c.key) == Key::Absent {
            absent = true;
        }
        match condition_with(c, request.context, &mut unknown, statement.variables) {
            Tri::False => {
                return done(
                    Tri::False,
                    Some(Miss::Condition {
                        condition: c.clone(),
                        absent,
                    }),
                    unknown,
                );
            }
            t => tri = tri.and(t),
        }
    }
    done(tri, None, unknown)
}

/// A statement of a file, as named in messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementRef {
    pub policy: String,
    pub statement: String,
}

impl std::fmt::Display for StatementRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.policy, self.statement)
    }
}

/// One group of documents that combine as one policy (a role's identity policies, the SCPs of
/// one level) evaluated for one request.
#[derive(Debug, Clone)]
pub struct GroupResult {
    pub deny: Tri,
    pub denied_by: Vec<StatementRef>,
    pub allow: Tri,
    pub allowed_by: Vec<StatementRef>,
    /// Allow statements that did not apply, with why.
    pub misses: Vec<(StatementRef, Miss)>,
    pub unknown: Vec<String>,
}

pub fn evaluate_group(policies: &[&Policy], request: &Request) -> GroupResult {
    let mut r = GroupResult {
        deny: Tri::False,
        denied_by: Vec::new(),
        allow: Tri::False,
        allowed_by: Vec::new(),
        misses: Vec::new(),
        unknown: Vec::new(),
    };
    for policy in policies {
        // IAM refuses a document with any statement it refuses, so the role cannot hold it:
        // none of its statements grants or denies anything (as one without `Effect`); the
        // `policy.element` FAILs say what to change.
        let refused = policy.statements.iter().any(|s| s.refused_by_iam);
        for s in &policy.statements {
            let at = StatementRef {
                policy: policy.file.clone(),
                statement: s.label(),
            };
            if refused {
                if s.effect == Some(Effect::Allow) {
                    r.misses.push((at, Miss::Refused));
                }
                continue;
            }
            let a = applies(s, request);
            match s.effect {
                Some(Effect::Deny) => {
                    if a.tri == Tri::True {
                        r.denied_by.push(at);
                    }
                    if a.tri == Tri::Unknown {
                        r.unknown.extend(a.unknown);
                    }
                    r.deny = r.deny.or(a.tri);
                }
                Some(Effect::Allow) => {
                    match a.tri {
                        Tri::True => r.allowed_by.push(at),
                        Tri::Unknown => r.unknown.extend(a.unknown),
                        Tri::False => r.misses.extend(a.miss.map(|m| (at, m))),
                    }
                    r.allow = r.allow.or(a.tri);
                }
                None => {}
            }
        }
    }
    r.unknown.sort();
    r.unknown.dedup();
    r
}
