//! The one evaluator behind every verdict of `check`: IAM's decision for the exact AssumeRole
//! rolehop sends, over the whole policy set, in the order of the IAM User Guide's policy
//! evaluation logic for cross-account requests (REFERENCE 7):
//!
//! 1. an explicit Deny in any policy wins (identity, boundary, session, SCPs, RCPs, trust);
//! 2. every level of the caller's SCPs must allow (within a level the documents combine);
//! 3. the destination's RCPs (`RCPFullAWSAccess` is implicit, so only their Denies count);
//! 4. the caller's permissions boundary must allow, and its session policy;
//! 5. its identity policies must allow (across accounts; in one account a trust statement that
//!    names the role itself suffices);
//! 6. the destination role's trust policy must allow.
//!
//! Truth is three-valued: a condition on a key nobody gave is `Unknown`, carried with the key
//! and where its value comes from, never guessed.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use serde::Serialize;

use super::operator::{comparison, operator};
use super::policy::{Condition, Effect, Patterns, Policy, Principal, Statement};
pub use super::tri::Tri;

/// What a request context knows about one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Present(Vec<String>),
    Absent,
    /// Not given: the text says where its value comes from.
    Unknown(String),
}

/// The caller of AssumeRole: a role session.
#[derive(Debug, Clone)]
pub struct Caller {
    /// `arn:aws:iam::ACCOUNT:role/PATH/NAME`: what `aws:PrincipalArn` holds.
    pub role_arn: String,
    pub account: String,
    /// The session's own name, when known: its ARN is `arn:aws:sts::A:assumed-role/NAME/SESSION`.
    pub session_name: Option<String>,
}

impl Caller {
    pub fn of_role(role_arn: &str) -> Self {
        Caller {
            role_arn: role_arn.to_owned(),
            account: account_of(role_arn).to_owned(),
            session_name: None,
        }
    }

    fn role_name(&self) -> &str {
        self.role_arn.rsplit('/').next().unwrap_or_default()
    }
}

pub fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or_default()
}

/// The AssumeRole call rolehop makes.
#[derive(Debug, Clone, Default)]
pub struct AssumeRole {
    pub role_arn: String,
    pub external_id: Option<String>,
    /// The RoleSessionName of the new session.
    pub session_name: Option<String>,
    pub session_tags: bool,
    pub source_identity: bool,
}

impl AssumeRole {
    /// The actions IAM authorizes for this call: AssumeRole, plus TagSession with tags and
    /// SetSourceIdentity with a source identity.
    pub fn actions(&self) -> Vec<&'static str> {
        assume_role_actions(self.session_tags, self.source_identity)
    }
}

/// The actions IAM authorizes for an AssumeRole with session tags and a source identity or not.
pub fn assume_role_actions(session_tags: bool, source_identity: bool) -> Vec<&'static str> {
    let mut actions = vec!["sts:AssumeRole"];
    if session_tags {
        actions.push("sts:TagSession");
    }
    if source_identity {
        actions.push("sts:SetSourceIdentity");
    }
    actions
}

#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Lower-cased key → what is known.
    keys: HashMap<String, Key>,
}

/// Where the values of keys nobody gave come from (for UNKNOWN messages).
fn origin(key: &str) -> String {
    let k = key.to_ascii_lowercase();
    let from = if k == "aws:principalorgid" || k == "aws:principalorgpaths" {
        "the source account's organization (aws organizations describe-organization / list-parents, run in that account)"
    } else if k == "aws:resourceorgid" || k == "aws:resourceorgpaths" {
        "the destination account's organization (aws organizations describe-organization, run in that account)"
    } else if k.starts_with("aws:principaltag/") {
        "the source role's tags (aws iam list-role-tags) or the calling session's tags"
    } else if k.starts_with("aws:requesttag/") || k == "aws:tagkeys" {
        "the session tags rolehop passes (ROLEHOP_TAGS / tags in the config)"
    } else if k.starts_with("aws:resourcetag/") {
        "the destination role's tags (aws iam list-role-tags in its account)"
    } else if k == "aws:requestedregion" {
        "the region of rolehop's STS endpoint (AWS_REGION of the task)"
    } else if k == "aws:sourceip" {
        "the address the STS call leaves from (the task's NAT or public IP)"
    } else if k == "aws:sourcevpce" || k == "aws:sourcevpc" || k == "aws:vpcsourceip" {
        "the network path of the STS call (an STS VPC endpoint and its VPC, if the task uses one)"
    } else if k == "sts:rolesessionname" {
        "the session name rolehop uses (--session-name / ROLEHOP_SESSION_NAME)"
    } else if k == "sts:sourceidentity" {
        "the source identity rolehop passes (ROLEHOP_SOURCE_IDENTITY)"
    } else if k == "aws:userid" {
        "the source role's unique id (aws iam get-role, RoleId) and the calling session's name"
    } else {
        "the request: give it with --context KEY=VALUE"
    };
    format!("{key} (from {from})")
}

impl Context {
    /// These keys (lower-cased) are known absent from the request (`infer::absent_keys`).
    pub fn with_absent(mut self, absent: &[String]) -> Self {
        for k in absent {
            self.keys.insert(k.to_ascii_lowercase(), Key::Absent);
        }
        self
    }

    /// The keys of the AssumeRole `call` made by `caller`, then `given` (`--context`) over them.
    pub fn assume_role(
        caller: Option<&Caller>,
        call: &AssumeRole,
        given: &[(String, String)],
    ) -> Self {
        let mut keys = HashMap::new();
        let mut set = |k: &str, v: Key| {
            keys.insert(k.to_owned(), v);
        };
        if let Some(c) = caller {
            set("aws:principalarn", Key::Present(vec![c.role_arn.clone()]));
            set(
                "aws:principalaccount",
                Key::Present(vec![c.account.clone()]),
            );
            set(
                "aws:principaltype",
                Key::Present(vec!["AssumedRole".into()]),
            );
        }
        set(
            "aws:principalisawsservice",
            Key::Present(vec!["false".into()]),
        );
        set("aws:securetransport", Key::Present(vec!["true".into()]));
        set("aws:viaawsservice", Key::Present(vec!["false".into()]));
        if !call.role_arn.is_empty() {
            set(
                "aws:resourceaccount",
                Key::Present(vec![account_of(&call.role_arn).to_owned()]),
            );
        }
        set(
            "sts:externalid",
            call.external_id
                .clone()
                .map_or(Key::Absent, |id| Key::Present(vec![id])),
        );
        if let Some(name) = &call.session_name {
            set("sts:rolesessionname", Key::Present(vec![name.clone()]));
        }
        // Only calls made by AWS services, or by other kinds of principal, carry these.
        for k in [
            "aws:sourceaccount",
            "aws:sourcearn",
            "aws:sourceorgid",
            "aws:sourceorgpaths",
            "aws:principalservicename",
            "aws:principalservicenameslist",
            "aws:calledvia",
            "aws:calledviafirst",
            "aws:calledvialast",
            "aws:multifactorauthpresent",
            "aws:multifactorauthage",
            "aws:username",
            "aws:federatedprovider",
            "sts:transitivetagkeys",
        ] {
            set(k, Key::Absent);
        }
        if !call.session_tags {
            set("aws:tagkeys", Key::Absent);
        }
        if !call.source_identity {
            set("sts:sourceidentity", Key::Absent);
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        set("aws:epochtime", Key::Present(vec![now.to_string()]));
        set("aws:currenttime", Key::Present(vec![iso8601(now as i64)]));
        let mut given_keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in given {
            given_keys
                .entry(k.to_ascii_lowercase())
                .or_default()
                .push(v.clone());
        }
        for (k, v) in given_keys {
            keys.insert(k, Key::Present(v));
        }
        Self { keys }
    }

    pub fn get(&self, key: &str) -> Key {
        let lower = key.to_ascii_lowercase();
        if let Some(k) = self.keys.get(&lower) {
            return k.clone();
        }
        if lower.starts_with("aws:requesttag/")
            && self.keys.get("aws:tagkeys") == Some(&Key::Absent)
        {
            return Key::Absent;
        }
        Key::Unknown(origin(key))
    }
}

/// Why an Allow statement did not apply, for the messages that explain a denial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    Action,
    Resource,
    Principal,
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

/// Literal `*` and `?` from `${*}` and `${?}` (policy variables), kept apart from globs.
const LITERAL_STAR: char = '\u{E000}';
const LITERAL_QUESTION: char = '\u{E001}';

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
    let same = |pc: char, tc: char| {
        pc == tc || (pc == LITERAL_STAR && tc == '*') || (pc == LITERAL_QUESTION && tc == '?')
    };
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && same(p[pi], t[ti]))) {
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

/// ARN matching (Resource, `ArnLike`): each of the six colon-separated fields separately, with
/// globs inside a field; the last field (the resource) holds any further colons.
pub fn arn_like(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let a: Vec<&str> = arn.splitn(6, ':').collect();
    if p.len() != 6 || a.len() != 6 {
        return glob(pattern, arn, false);
    }
    p.iter().zip(&a).all(|(p, a)| glob(p, a, false))
}

/// Replaces `${key}` policy variables (Version 2012-10-17). `Err(Tri::False)` when a key is
/// absent without a default (the element matches nothing), `Err(Unknown)` with the key.
fn substitute(text: &str, context: &Context, unknown: &mut Vec<String>) -> Result<String, Tri> {
    if !text.contains("${") {
        return Ok(text.to_owned());
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let inner = &rest[start + 2..start + end];
        rest = &rest[start + end + 1..];
        match inner {
            "*" => out.push(LITERAL_STAR),
            "?" => out.push(LITERAL_QUESTION),
            "$" => out.push('$'),
            _ => {
                let (key, default) = match inner.split_once(',') {
                    Some((k, d)) => (k.trim(), Some(d.trim().trim_matches('\'').to_owned())),
                    None => (inner.trim(), None),
                };
                match (context.get(key), default) {
                    (Key::Present(v), _) if v.len() == 1 => out.push_str(&v[0]),
                    (Key::Present(_), _) => return Err(Tri::False),
                    (Key::Absent, Some(d)) => out.push_str(&d),
                    (Key::Absent, None) => return Err(Tri::False),
                    (Key::Unknown(o), _) => {
                        unknown.push(o);
                        return Err(Tri::Unknown);
                    }
                }
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Does a Principal element name this caller?
pub fn principal_matches(principal: &Principal, caller: &Caller) -> Tri {
    match principal {
        Principal::Anyone => Tri::True,
        Principal::Map(map) => map
            .get("AWS")
            .into_iter()
            .flatten()
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

/// The operator's base name and its modifiers.
fn compare(kind: &str, actual: &str, wanted: &str) -> bool {
    match kind {
        "StringEquals" => {
            actual
                == wanted
                    .replace(LITERAL_STAR, "*")
                    .replace(LITERAL_QUESTION, "?")
        }
        "StringEqualsIgnoreCase" => actual.eq_ignore_ascii_case(wanted),
        "StringLike" => glob(wanted, actual, false),
        "ArnLike" => arn_like(wanted, actual),
        "Bool" => actual.eq_ignore_ascii_case(wanted),
        "BinaryEquals" => actual == wanted,
        "IpAddress" => ip_in(actual, wanted),
        k if k.starts_with("Numeric") => match (actual.parse::<f64>(), wanted.parse::<f64>()) {
            (Ok(a), Ok(w)) => ordered(&k["Numeric".len()..], a.partial_cmp(&w)),
            _ => false,
        },
        k if k.starts_with("Date") => match (epoch(actual), epoch(wanted)) {
            (Some(a), Some(w)) => ordered(&k["Date".len()..], Some(a.cmp(&w))),
            _ => false,
        },
        _ => false,
    }
}

fn ordered(relation: &str, order: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::*;
    match (relation, order) {
        (_, None) => false,
        ("Equals", Some(o)) => o == Equal,
        ("LessThan", Some(o)) => o == Less,
        ("LessThanEquals", Some(o)) => o != Greater,
        ("GreaterThan", Some(o)) => o == Greater,
        ("GreaterThanEquals", Some(o)) => o != Less,
        _ => false,
    }
}

fn ip_in(actual: &str, cidr: &str) -> bool {
    let (net, bits) = match cidr.split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (cidr, None),
    };
    let (Ok(a), Ok(n)) = (actual.parse::<IpAddr>(), net.parse::<IpAddr>()) else {
        return false;
    };
    let (a, n, width) = match (a, n) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u32::from(a) as u128, u32::from(n) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (u128::from(a), u128::from(n), 128),
        _ => return false,
    };
    let bits = bits.unwrap_or(width).min(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (a >> shift) == (n >> shift)
}

/// Seconds since the epoch of an ISO 8601 date (`2026-12-02`, `2026-12-02T04:00:00Z`) or of a
/// number of seconds.
fn epoch(text: &str) -> Option<i64> {
    if let Ok(n) = text.parse::<i64>() {
        return Some(n);
    }
    let (date, time) = text.split_once('T').unwrap_or((text, "00:00:00Z"));
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.trim_end_matches('Z');
    let time = time.split(['+']).next().unwrap_or(time);
    let mut t = time.split(':');
    let h: i64 = t.next()?.parse().ok()?;
    let min: i64 = t.next().unwrap_or("0").parse().ok()?;
    let sec: f64 = t.next().unwrap_or("0").parse().ok()?;
    Some(days_from_civil(y, m, day) * 86_400 + h * 3600 + min * 60 + sec as i64)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn iso8601(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// One condition (one key, its values ORed), with the unknown keys it hung on.
pub fn condition(cond: &Condition, context: &Context, unknown: &mut Vec<String>) -> Tri {
    condition_with(cond, context, unknown, true)
}

/// [`condition`], with policy variables on or off (off before Version 2012-10-17).
fn condition_with(
    cond: &Condition,
    context: &Context,
    unknown: &mut Vec<String>,
    variables: bool,
) -> Tri {
    let op = operator(&cond.operator);
    let actual = match context.get(&cond.key) {
        Key::Unknown(o) => {
            unknown.push(o);
            return Tri::Unknown;
        }
        Key::Absent => None,
        Key::Present(v) => Some(v),
    };
    if op.base == "Null" {
        let wants_absent = cond.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        return Tri::from(wants_absent == actual.is_none());
    }
    let Some((negated, kind)) = comparison(op.base) else {
        // An operator IAM does not know: IAM refuses the policy (policy.condition says so).
        return Tri::False;
    };
    let Some(actual) = actual else {
        return Tri::from(op.if_exists || op.for_all || (negated && !op.for_any));
    };
    let mut wanted = Vec::new();
    let mut unknown_value = false;
    for v in &cond.values {
        if !variables {
            wanted.push(v.clone());
            continue;
        }
        match substitute(v, context, unknown) {
            Ok(s) => wanted.push(s),
            Err(Tri::Unknown) => unknown_value = true,
            Err(_) => {}
        }
    }
    // One context value against the policy's values (ORed), before negation.
    let hits = |a: &str| -> Tri {
        let hit = wanted.iter().any(|w| compare(kind, a, w));
        if hit {
            Tri::True
        } else if unknown_value {
            Tri::Unknown
        } else {
            Tri::False
        }
    };
    let per_value = |a: &String| {
        let h = hits(a);
        if negated { h.negate() } else { h }
    };
    if op.for_all {
        actual.iter().map(per_value).fold(Tri::True, Tri::and)
    } else if op.for_any {
        actual.iter().map(per_value).fold(Tri::False, Tri::or)
    } else {
        let any = actual.iter().map(|a| hits(a)).fold(Tri::False, Tri::or);
        if negated { any.negate() } else { any }
    }
}

fn patterns_match(
    patterns: &Patterns,
    value: &str,
    arn: bool,
    variables: bool,
    context: &Context,
    unknown: &mut Vec<String>,
) -> Tri {
    let mut any = Tri::False;
    for p in &patterns.items {
        let hit = if arn && !variables {
            Tri::from(arn_like(p, value))
        } else if arn {
            match substitute(p, context, unknown) {
                Ok(p) => Tri::from(arn_like(&p, value)),
                Err(t) => t,
            }
        } else {
            Tri::from(glob(p, value, true))
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
        false,
        false,
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
            true,
            statement.variables,
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
        for s in &policy.statements {
            let a = applies(s, request);
            let at = StatementRef {
                policy: policy.file.clone(),
                statement: s.label(),
            };
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

/// The parts of the decision, in AWS's order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case", tag = "part", content = "level")]
pub enum Part {
    Scp(usize),
    Rcp(usize),
    PermissionsBoundary,
    SessionPolicy,
    Identity,
    Trust,
}

impl Part {
    pub fn describe(&self) -> String {
        match self {
            Part::Scp(l) => {
                format!("the source account's SCPs at level {l} of its organization path")
            }
            Part::Rcp(l) => {
                format!("the destination account's RCPs at level {l} of its organization path")
            }
            Part::PermissionsBoundary => "the source role's permissions boundary".into(),
            Part::SessionPolicy => "the calling session's session policy".into(),
            Part::Identity => "the source role's identity policies".into(),
            Part::Trust => "the destination role's trust policy".into(),
        }
    }
}

/// Everything that decides the AssumeRole, as parsed policies; `None` where not given.
#[derive(Debug, Clone, Default)]
pub struct PolicySet<'a> {
    pub identity: Option<Vec<&'a Policy>>,
    pub boundary: Option<&'a Policy>,
    pub session: Option<&'a Policy>,
    /// One entry per level of the source account's organization path.
    /// `None` for a level whose file could not be read.
    pub scps: Vec<Option<Vec<&'a Policy>>>,
    pub rcps: Vec<Option<Vec<&'a Policy>>>,
    pub trust: Option<&'a Policy>,
}

/// One part's contribution to one action's decision.
#[derive(Debug, Clone)]
pub struct PartResult {
    pub part: Part,
    /// Whether this part lets the request through: `False` when it denies (explicitly or for
    /// want of an Allow it needs).
    pub passes: Tri,
    pub group: Option<GroupResult>,
    /// Its Allow is not needed (one account, the trust policy names the role itself).
    pub not_needed: bool,
    /// Not given: what would decide it.
    pub missing: Option<String>,
}

/// The decision on one action of the AssumeRole.
#[derive(Debug, Clone)]
pub struct ActionDecision {
    pub action: &'static str,
    pub decision: Tri,
    pub parts: Vec<PartResult>,
}

impl ActionDecision {
    pub fn part(&self, part: &Part) -> Option<&PartResult> {
        self.parts.iter().find(|p| p.part == *part)
    }

    pub fn unknown_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .parts
            .iter()
            .filter(|p| p.passes == Tri::Unknown)
            .flat_map(|p| {
                p.group
                    .iter()
                    .flat_map(|g| g.unknown.clone())
                    .chain(p.missing.clone())
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

/// IAM's decision on `action` of `call` by `caller` under `set`.
pub fn decide(
    set: &PolicySet,
    caller: Option<&Caller>,
    call: &AssumeRole,
    action: &'static str,
    context: &Context,
) -> ActionDecision {
    let request = Request {
        action,
        resource: &call.role_arn,
        caller,
        context,
    };
    let mut parts = Vec::new();
    let group = |part: Part, policies: &[&Policy], implicit_allow: bool| {
        let g = evaluate_group(policies, &request);
        let allow = if implicit_allow { Tri::True } else { g.allow };
        PartResult {
            part,
            passes: g.deny.negate().and(allow),
            group: Some(g),
            not_needed: false,
            missing: None,
        }
    };
    let unreadable = |part: Part| PartResult {
        missing: Some(format!(
            "{} (its file could not be read as policies; see policy.json)",
            part.describe()
        )),
        part,
        passes: Tri::Unknown,
        group: None,
        not_needed: false,
    };
    for (i, level) in set.scps.iter().enumerate() {
        parts.push(match level {
            Some(level) => group(Part::Scp(i + 1), level, false),
            None => unreadable(Part::Scp(i + 1)),
        });
    }
    for (i, level) in set.rcps.iter().enumerate() {
        parts.push(match level {
            Some(level) => group(Part::Rcp(i + 1), level, true),
            None => unreadable(Part::Rcp(i + 1)),
        });
    }
    if let Some(b) = set.boundary {
        parts.push(group(Part::PermissionsBoundary, &[b], false));
    }
    if let Some(s) = set.session {
        parts.push(group(Part::SessionPolicy, &[s], false));
    }
    let trust = match set.trust {
        Some(t) => group(Part::Trust, &[t], false),
        None => PartResult {
            part: Part::Trust,
            passes: Tri::Unknown,
            group: None,
            not_needed: false,
            missing: Some("the destination role's trust policy (give --trust-policy)".into()),
        },
    };
    let mut identity = match &set.identity {
        Some(docs) => group(Part::Identity, docs, false),
        None => PartResult {
            part: Part::Identity,
            passes: Tri::Unknown,
            group: None,
            not_needed: false,
            missing: Some("the source role's policies (give --identity-policy)".into()),
        },
    };
    // One account: a trust statement naming the role (or its session) itself is enough; an
    // account principal delegates to the identity policies (REFERENCE 7.3).
    let same_account = caller.is_some_and(|c| c.account == account_of(&call.role_arn));
    if same_account && let (Some(t), Some(c)) = (set.trust, caller) {
        // One account: a trust statement naming the role, its session or everyone grants on
        // its own (the identity side needs no Allow, only no Deny); one naming the session
        // itself is not capped by an implicit deny of the boundary or the session policy
        // either (IAM User Guide, policy evaluation logic within one account).
        let direct = |names: fn(&Statement, &Caller) -> bool| {
            t.statements
                .iter()
                .filter(|s| s.effect == Some(Effect::Allow) && names(s, c))
                .map(|s| applies(s, &request).tri)
                .fold(Tri::False, Tri::or)
        };
        let grants = direct(names_directly);
        if grants != Tri::False
            && let Some(g) = &identity.group
        {
            let passes = g.deny.negate().and(g.allow.or(grants));
            if passes == Tri::True && g.allow != Tri::True {
                identity.not_needed = true;
            }
            identity.passes = passes;
        }
        // A wildcard principal names the session as much as its ARN does; the differential
        // oracle reads it so for the boundary, and the IAM User Guide says nothing of session
        // policies there, so those stay capped by it.
        let session = direct(names_session) == Tri::True;
        let anyone = direct(names_anyone) == Tri::True;
        if session || anyone {
            for p in parts.iter_mut().filter(|p| match p.part {
                Part::PermissionsBoundary => true,
                Part::SessionPolicy => session,
                _ => false,
            }) {
                if let Some(g) = &p.group {
                    p.passes = g.deny.negate();
                    p.not_needed = g.allow != Tri::True && p.passes == Tri::True;
                }
            }
        }
    }
    parts.push(identity);
    parts.push(trust);
    let decision = parts.iter().map(|p| p.passes).fold(Tri::True, Tri::and);
    ActionDecision {
        action,
        decision,
        parts,
    }
}

/// A trust statement's Principal names the caller's role or session (or everyone), not just
/// its account: in one account such a grant needs no identity-side Allow, like any resource
/// policy that names its principal.
fn names_directly(statement: &Statement, caller: &Caller) -> bool {
    if statement.not_principal {
        return false;
    }
    match &statement.principal {
        Some(Principal::Anyone) => true,
        Some(Principal::Map(m)) => m.get("AWS").into_iter().flatten().any(|p| {
            p == "*"
                || *p == caller.role_arn
                || p.starts_with(&format!("arn:aws:sts::{}:assumed-role/", caller.account))
        }),
        _ => false,
    }
}

/// A trust statement's Principal is everyone.
fn names_anyone(statement: &Statement, _caller: &Caller) -> bool {
    !statement.not_principal
        && match &statement.principal {
            Some(Principal::Anyone) => true,
            Some(Principal::Map(m)) => m.get("AWS").is_some_and(|v| v.iter().any(|p| p == "*")),
            None => false,
        }
}

/// A trust statement's Principal names the caller's session exactly.
fn names_session(statement: &Statement, caller: &Caller) -> bool {
    let Some(session) = &caller.session_name else {
        return false;
    };
    let arn = format!(
        "arn:aws:sts::{}:assumed-role/{}/{session}",
        caller.account,
        caller.role_name()
    );
    !statement.not_principal
        && matches!(&statement.principal, Some(Principal::Map(m))
            if m.get("AWS").is_some_and(|v| v.contains(&arn)))
}

#[cfg(test)]
mod tests;
