//! IAM policy documents as `check` reads them: parsed from JSON into statements, with the
//! grammar problems a person makes by hand reported as findings (`policy.*`, and the elements a
//! trust policy cannot have: `trust.not-principal`, `trust.resource`). Every FAIL of [`parse`]
//! is a document IAM refuses to save, so [`iam_refuses`] (which `check`'s fixes must pass) is
//! the same rules. Sources: IAM User Guide, "IAM JSON policy element reference" (Version, Sid,
//! Effect, Principal, Action, Resource, Condition) and "IAM JSON policy grammar".

use std::collections::BTreeMap;

use serde_json::Value;

use super::findings::{Finding, FindingId, Status};
use super::operator::Operator;
use crate::suggest::edit_distance;

const TOP_ELEMENTS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// Which side of the AssumeRole decision a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A role's trust policy (a resource policy whose resource is the role).
    Trust,
    /// A policy of the source role.
    Identity,
    /// A permissions boundary.
    Boundary,
    /// A session policy.
    Session,
    /// A service control policy.
    Scp,
    /// A resource control policy.
    Rcp,
}

impl Kind {
    /// Policies whose statements IAM refuses without `Resource`/`NotResource` (IAM's own
    /// permission policies; Organizations' syntax for SCPs and RCPs is left to it).
    pub(super) fn needs_resource(self) -> bool {
        matches!(self, Kind::Identity | Kind::Boundary | Kind::Session)
    }

    /// Policies IAM itself stores (and whose grammar it enforces): all but SCPs and RCPs.
    fn iam_grammar(self) -> bool {
        !matches!(self, Kind::Scp | Kind::Rcp)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action`/`NotAction` or `Resource`/`NotResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patterns {
    pub negated: bool,
    pub items: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `"Principal": "*"`.
    Anyone,
    /// `{"AWS": [...], "Service": [...], ...}`.
    Named(Principals),
}

/// The principals of a `{"AWS": ..., "Service": ..., ...}` element, by kind; a kind is `None`
/// when its key is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principals {
    /// Accounts, roles, sessions, users, or `*`.
    pub aws: Option<Vec<String>>,
    /// Service principals (`ecs-tasks.amazonaws.com`).
    pub service: Option<Vec<String>>,
    /// `Federated`, `CanonicalUser` and any other key, as written: none of them is a role.
    pub others: BTreeMap<String, Vec<String>>,
}

impl Principal {
    /// The `AWS` principals it names (none for `"*"`).
    pub fn aws(&self) -> &[String] {
        match self {
            Principal::Anyone => &[],
            Principal::Named(p) => p.aws.as_deref().unwrap_or_default(),
        }
    }

    /// Everyone: `"*"`, or `*` among the `AWS` principals.
    pub fn is_anyone(&self) -> bool {
        match self {
            Principal::Anyone => true,
            Principal::Named(p) => p.aws.iter().flatten().any(|p| p == "*"),
        }
    }
}

impl Principals {
    fn of(map: &serde_json::Map<String, Value>) -> Self {
        let mut out = Principals::default();
        for (kind, names) in map {
            let names = strings(names);
            match kind.as_str() {
                "AWS" => out.aws = Some(names),
                "Service" => out.service = Some(names),
                _ => {
                    out.others.insert(kind.clone(), names);
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub operator: Operator,
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// 1-based, as a person counts them.
    pub number: usize,
    pub sid: Option<String>,
    pub effect: Option<Effect>,
    pub principal: Option<Principal>,
    /// The principal came from `NotPrincipal` (everyone but those named).
    pub not_principal: bool,
    pub actions: Option<Patterns>,
    pub resources: Option<Patterns>,
    pub conditions: Vec<Condition>,
    /// Policy variables (`${aws:username}`) are on: the document's Version is 2012-10-17.
    pub variables: bool,
    /// It lacks or has an element IAM requires or refuses in this kind of policy (a trust
    /// statement without `Principal` or with `NotPrincipal`, a role's statement with a
    /// `Principal` or without `Resource`), so IAM refuses its whole document
    /// ([`check_required_elements`], whose FAILs say which).
    pub refused_by_iam: bool,
}

impl Statement {
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) => format!("statement {} ({sid})", self.number),
            None => format!("statement {}", self.number),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub kind: Kind,
    /// The file name, for messages.
    pub file: String,
    pub statements: Vec<Statement>,
    /// The document as given, to merge a fix into.
    pub document: Value,
}

/// The known element closest to a misspelt one (`Statment` → `Statement`), if any is near.
pub(super) fn closest(word: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .map(|k| {
            (
                edit_distance(&word.to_ascii_lowercase(), &k.to_ascii_lowercase()),
                *k,
            )
        })
        .min()
        .filter(|(d, _)| *d <= 3)
        .map(|(_, k)| k)
}

fn suggestion(word: &str, known: &[&'static str]) -> String {
    closest(word, known)
        .map(|k| format!("; did you mean `{k}`?"))
        .unwrap_or_else(|| format!("; the elements are {}", known.join(", ")))
}

/// The known top-level elements of a policy document.
pub(super) fn top_elements() -> &'static [&'static str] {
    &TOP_ELEMENTS
}

/// The known elements of a statement.
pub(super) fn statement_elements() -> &'static [&'static str] {
    &STATEMENT_ELEMENTS
}

/// A Sid IAM accepts: ASCII letters and digits only (IAM User Guide, "IAM JSON policy
/// elements: Sid": "supports ASCII uppercase letters (A-Z), lowercase letters (a-z), and
/// numbers (0-9)"; IAM refuses other characters, and an empty Sid, in its policies).
pub fn sid_is_valid(sid: &str) -> bool {
    !sid.is_empty() && sid.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Why IAM would refuse to save `document` as a policy of `kind` (the first reason), or
/// `None` when the grammar IAM enforces holds: [`parse`]'s FAILs, which are exactly those
/// rules.
pub fn iam_refuses(document: &Value, kind: Kind) -> Option<String> {
    let (_, findings) = parse(&document.to_string(), "the policy", kind);
    findings
        .into_iter()
        .find(|f| f.status == Status::Fail)
        .map(|f| f.message)
}

/// True for a string that reads as an action (`service:name`, globs in the name, or `*`).
pub(super) fn is_action_text(action: &str) -> bool {
    is_action(action)
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::String(s) => vec![s.clone()],
        Value::Bool(b) => vec![b.to_string()],
        Value::Number(n) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

/// True for `*` and `service:name` with globs in the name.
fn is_action(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
}

/// Reports a grammar problem IAM refuses.
type Fail<'a> = &'a mut dyn FnMut(FindingId, String);

/// Parses `text`; returns the policy (unless the JSON itself is broken) and the grammar findings.
pub fn parse(text: &str, file: &str, kind: Kind) -> (Option<Policy>, Vec<Finding>) {
    let mut findings = Vec::new();
    let mut fail =
        |id: FindingId, message: String| findings.push(Finding::new(id, Status::Fail, message));
    let Some(top) = document(text, file, &mut fail) else {
        return (None, findings);
    };
    for key in top.keys().filter(|k| !TOP_ELEMENTS.contains(&k.as_str())) {
        fail(
            FindingId::PolicyElement,
            format!(
                "{file} has an unknown element `{key}`{}",
                suggestion(key, &TOP_ELEMENTS)
            ),
        );
    }
    let warn_version = version(&top, file, &mut fail);
    let variables = top.get("Version").and_then(Value::as_str) == Some("2012-10-17");
    let mut statements = Vec::new();
    let mut sids = std::collections::HashSet::new();
    for (index, raw) in raw_statements(&top, file, &mut fail)
        .into_iter()
        .enumerate()
    {
        let number = index + 1;
        let Some(obj) = raw.as_object() else {
            fail(
                FindingId::PolicyElement,
                format!("{file}: statement {number} is not an object"),
            );
            continue;
        };
        if kind.iam_grammar() {
            check_sid(obj.get("Sid"), number, &mut sids, file, &mut fail);
        }
        statements.push(statement(obj, number, variables, file, kind, &mut fail));
    }
    if let Some(message) = warn_version {
        findings.push(Finding::new(
            FindingId::PolicyVersion,
            Status::Warn,
            message,
        ));
    }
    let policy = Policy {
        kind,
        file: file.to_owned(),
        statements,
        document: Value::Object(top),
    };
    (Some(policy), findings)
}

/// The document's top level, when it is a JSON object (what a policy is).
fn document(text: &str, file: &str, fail: Fail) -> Option<serde_json::Map<String, Value>> {
    let document: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            fail(
                FindingId::PolicyJson,
                format!(
                    "{file} is not valid JSON: {} at line {} column {}",
                    describe_json_error(&e),
                    e.line(),
                    e.column()
                ),
            );
            return None;
        }
    };
    match document {
        Value::Object(top) => Some(top),
        _ => {
            fail(
                FindingId::PolicyJson,
                format!(
                    "{file} is JSON but not an object; a policy is {{\"Version\": ..., \"Statement\": [...]}}"
                ),
            );
            None
        }
    }
}

/// The `Version` element: a wrong one fails; an old or missing one is the warning returned
/// (reported after the statements' problems).
fn version(top: &serde_json::Map<String, Value>, file: &str, fail: Fail) -> Option<String> {
    match top.get("Version").and_then(Value::as_str) {
        Some("2012-10-17") => None,
        Some("2008-10-17") => Some(format!(
            "{file} uses Version 2008-10-17, which turns policy variables off; use 2012-10-17"
        )),
        Some(other) => {
            fail(
                FindingId::PolicyVersion,
                format!("{file} has Version `{other}`; the only current version is 2012-10-17"),
            );
            None
        }
        None if top.contains_key("Version") => {
            fail(
                FindingId::PolicyVersion,
                format!(
                    "{file} has a Version that is not a string; write \"Version\": \"2012-10-17\""
                ),
            );
            None
        }
        None => Some(format!(
            "{file} has no Version, so IAM treats it as 2008-10-17 (no policy variables); add \"Version\": \"2012-10-17\""
        )),
    }
}

/// The `Statement` element as a list (one object stands for a list of one).
fn raw_statements<'a>(
    top: &'a serde_json::Map<String, Value>,
    file: &str,
    fail: Fail,
) -> Vec<&'a Value> {
    match top.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item @ Value::Object(_)) => vec![item],
        Some(_) => {
            fail(
                FindingId::PolicyElement,
                format!("{file}: Statement must be an object or a list of objects"),
            );
            Vec::new()
        }
        None => {
            // A misspelt Statement was reported above; say it once.
            if top.keys().all(|k| TOP_ELEMENTS.contains(&k.as_str())) {
                fail(FindingId::PolicyElement, format!("{file} has no Statement"));
            }
            Vec::new()
        }
    }
}

/// IAM User Guide, "IAM JSON policy elements: Sid": unique within a policy, letters and
/// digits only. (SCPs and RCPs follow Organizations' own rules; left to it.)
fn check_sid(
    sid: Option<&Value>,
    number: usize,
    seen: &mut std::collections::HashSet<String>,
    file: &str,
    fail: Fail,
) {
    match sid {
        Some(Value::String(sid)) if !sid_is_valid(sid) => fail(
            FindingId::PolicySid,
            format!(
                "{file}: statement {number} has Sid `{sid}`, which IAM refuses: a Sid holds only ASCII letters and digits (e.g. `{}`)",
                sid.chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
            ),
        ),
        Some(Value::String(sid)) if !seen.insert(sid.clone()) => fail(
            FindingId::PolicySid,
            format!(
                "{file}: statement {number} repeats Sid `{sid}`; IAM refuses a policy whose Sids are not unique, so rename one"
            ),
        ),
        Some(Value::String(_)) | None => {}
        Some(_) => fail(
            FindingId::PolicySid,
            format!("{file}: statement {number} has a Sid that is not a string"),
        ),
    }
}

/// One statement's elements, with the grammar problems IAM refuses reported through `fail`.
fn statement(
    obj: &serde_json::Map<String, Value>,
    number: usize,
    variables: bool,
    file: &str,
    kind: Kind,
    fail: Fail,
) -> Statement {
    let mut statement = Statement {
        number,
        sid: obj.get("Sid").and_then(Value::as_str).map(str::to_owned),
        effect: None,
        principal: None,
        not_principal: false,
        actions: None,
        resources: None,
        conditions: Vec::new(),
        variables,
        refused_by_iam: false,
    };
    let label = statement.label();
    let at = Site {
        file,
        label: &label,
    };
    for key in obj
        .keys()
        .filter(|k| !STATEMENT_ELEMENTS.contains(&k.as_str()))
    {
        fail(
            FindingId::PolicyElement,
            format!(
                "{file}: {label} has an unknown element `{key}`{}",
                suggestion(key, &STATEMENT_ELEMENTS)
            ),
        );
    }
    statement.effect = effect(obj, &at, fail);
    statement.actions = actions(obj, &at, fail);
    statement.resources = resources(obj, kind, &at, fail);
    statement.refused_by_iam = check_required_elements(obj, kind, &at, fail);
    (statement.principal, statement.not_principal) = principal(obj, &at, fail);
    if let Some(cond) = obj.get("Condition") {
        statement.conditions = conditions(cond, file, &label, fail);
    }
    statement
}

/// Where a statement's problem is: the file and the statement's label.
struct Site<'a> {
    file: &'a str,
    label: &'a str,
}

fn effect(obj: &serde_json::Map<String, Value>, at: &Site, fail: Fail) -> Option<Effect> {
    let Site { file, label } = at;
    match obj.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Some(Effect::Allow),
        Some("Deny") => Some(Effect::Deny),
        Some(other) => {
            fail(
                FindingId::PolicyEffect,
                format!(
                    "{file}: {label} has Effect `{other}`; it must be exactly `Allow` or `Deny` (case matters)"
                ),
            );
            None
        }
        None => {
            fail(
                FindingId::PolicyEffect,
                format!("{file}: {label} has no Effect; add \"Effect\": \"Allow\" or \"Deny\""),
            );
            None
        }
    }
}

/// `Action` or `NotAction` (the latter wins when both are written).
fn actions(obj: &serde_json::Map<String, Value>, at: &Site, fail: Fail) -> Option<Patterns> {
    let Site { file, label } = at;
    let mut actions = None;
    for (element, negated) in [("Action", false), ("NotAction", true)] {
        if let Some(v) = obj.get(element) {
            let items = strings(v);
            for bad in items.iter().filter(|a| !is_action(a)) {
                fail(
                    FindingId::PolicyAction,
                    format!(
                        "{file}: {label} has action `{bad}`, which is not service:action (e.g. sts:AssumeRole)"
                    ),
                );
            }
            actions = Some(Patterns { negated, items });
        }
    }
    actions
}

/// `Resource` or `NotResource` (the latter wins when both are written).
fn resources(
    obj: &serde_json::Map<String, Value>,
    kind: Kind,
    at: &Site,
    fail: Fail,
) -> Option<Patterns> {
    let Site { file, label } = at;
    let mut resources = None;
    for (element, negated) in [("Resource", false), ("NotResource", true)] {
        if let Some(v) = obj.get(element) {
            if kind == Kind::Trust {
                fail(
                    FindingId::TrustResource,
                    format!(
                        "{file}: {label} has {element}, which a trust policy cannot have (the resource is the role itself); remove it"
                    ),
                );
            }
            resources = Some(Patterns {
                negated,
                items: strings(v),
            });
        }
    }
    resources
}

/// The elements IAM requires or refuses in this kind of policy; whether the statement lacks
/// or has one of those that decide who and what it is about (`Principal`, `NotPrincipal`,
/// `Resource`), so that IAM refuses its document. SCPs and RCPs keep Organizations' grammar.
fn check_required_elements(
    obj: &serde_json::Map<String, Value>,
    kind: Kind,
    at: &Site,
    fail: Fail,
) -> bool {
    let Site { file, label } = at;
    let no_resource =
        kind.needs_resource() && !obj.contains_key("Resource") && !obj.contains_key("NotResource");
    if no_resource {
        fail(
            FindingId::PolicyElement,
            format!(
                "{file}: {label} has no Resource, which IAM requires in this kind of policy; add \"Resource\": \"*\" or the role ARNs"
            ),
        );
    }
    // IAM User Guide, "IAM JSON policy elements: Principal": a resource-based policy (a role's
    // trust policy) must name its principals; an identity-based policy cannot (IAM answers
    // "Has prohibited field Principal").
    // A misspelt element (`Principle`, `Actions`) is reported above; say it once.
    let misspelt = |elements: [&str; 2]| {
        obj.keys().any(|k| {
            !STATEMENT_ELEMENTS.contains(&k.as_str())
                && closest(k, &STATEMENT_ELEMENTS).is_some_and(|c| elements.contains(&c))
        })
    };
    let names_principal = obj.contains_key("Principal") || obj.contains_key("NotPrincipal");
    if kind == Kind::Trust && !names_principal && !misspelt(["Principal", "NotPrincipal"]) {
        fail(
            FindingId::PolicyElement,
            format!(
                "{file}: {label} has no Principal, which IAM requires in a trust policy; name who may assume the role (\"Principal\": {{\"AWS\": \"ROLE_ARN\"}})"
            ),
        );
    }
    if kind.needs_resource() && names_principal {
        fail(
            FindingId::PolicyElement,
            format!(
                "{file}: {label} has a Principal, which IAM refuses in a policy attached to a role (the principal is the role); remove it, or put the statement in the other role's trust policy"
            ),
        );
    }
    // "IAM JSON policy elements: Action": each statement has Action or NotAction.
    if kind.iam_grammar()
        && !obj.contains_key("Action")
        && !obj.contains_key("NotAction")
        && !misspelt(["Action", "NotAction"])
    {
        fail(
            FindingId::PolicyElement,
            format!(
                "{file}: {label} has no Action; add \"Action\": \"sts:AssumeRole\" (or the actions it grants)"
            ),
        );
    }
    let not_principal_in_trust = obj.contains_key("NotPrincipal") && kind == Kind::Trust;
    if not_principal_in_trust {
        fail(
            FindingId::TrustNotPrincipal,
            format!(
                "{file}: {label} uses NotPrincipal, which trust policies do not support; name the principals to trust in Principal instead"
            ),
        );
    }
    no_resource
        || not_principal_in_trust
        || (kind == Kind::Trust && !obj.contains_key("Principal"))
        || (kind.needs_resource() && names_principal)
}

/// `Principal`, or `NotPrincipal` (then the flag is true) when there is no `Principal`.
fn principal(
    obj: &serde_json::Map<String, Value>,
    at: &Site,
    fail: Fail,
) -> (Option<Principal>, bool) {
    let Site { file, label } = at;
    let (element, not_principal) = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (Some(p), _) => (p, false),
        (None, Some(p)) => (p, true),
        (None, None) => return (None, false),
    };
    let principal = match element {
        Value::String(s) if s == "*" => Principal::Anyone,
        Value::Object(map) => Principal::Named(Principals::of(map)),
        _ => {
            fail(
                FindingId::PolicyElement,
                format!(
                    "{file}: {label} has a Principal that is neither \"*\" nor an object like {{\"AWS\": \"ARN\"}}"
                ),
            );
            Principal::Named(Principals::default())
        }
    };
    (Some(principal), not_principal)
}

/// A statement's `Condition`: one condition per operator and key, the operator parsed.
fn conditions(cond: &Value, file: &str, label: &str, fail: Fail) -> Vec<Condition> {
    let mut out = Vec::new();
    match cond.as_object() {
        Some(ops) => {
            for (operator, keys) in ops {
                match keys.as_object() {
                    Some(keys) => {
                        let parsed = Operator::parse(operator);
                        if !parsed.is_known() {
                            fail(
                                FindingId::PolicyCondition,
                                format!(
                                    "{file}: {label}: `{operator}` is not a condition operator IAM knows (e.g. StringEquals, StringLike, ArnLike, Bool, Null, with ForAnyValue:/ForAllValues: and ...IfExists)"
                                ),
                            );
                        }
                        out.extend(keys.iter().map(|(key, values)| Condition {
                            operator: parsed.clone(),
                            key: key.clone(),
                            values: strings(values),
                        }))
                    }
                    None => fail(
                        FindingId::PolicyElement,
                        format!("{file}: {label}: condition `{operator}` must map keys to values"),
                    ),
                }
            }
        }
        None => fail(
            FindingId::PolicyElement,
            format!("{file}: {label}: Condition must be an object"),
        ),
    }
    out
}

fn describe_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    // serde_json appends " at line L column C"; the caller says where.
    text.split(" at line ").next().unwrap_or(&text).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(findings: &[Finding]) -> Vec<(&str, Status)> {
        findings.iter().map(|f| (f.id.as_str(), f.status)).collect()
    }

    #[test]
    fn a_broken_document_names_line_and_column() {
        let (policy, findings) = parse(
            "{\n  \"Version\": \"2012-10-17\"\n  \"Statement\": []\n}",
            "trust.json",
            Kind::Trust,
        );
        assert!(policy.is_none());
        assert_eq!(ids(&findings), [("policy.json", Status::Fail)]);
        assert!(
            findings[0].message.contains("line 3 column 3"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn grammar_mistakes_are_named() {
        let text = r#"{"Version": "2012-10-18", "Statment": [], "Statement": [
            {"Effect": "allow", "Action": "sts-AssumeRole", "Principal": {"AWS": "*"}, "Resource": "*", "Conditon": {}},
            {"Effect": "Allow", "NotPrincipal": {"AWS": "x"}, "Action": "sts:AssumeRole"}]}"#;
        let (_, findings) = parse(text, "trust.json", Kind::Trust);
        let got = ids(&findings);
        for expected in [
            "policy.version",
            "policy.element",
            "policy.effect",
            "policy.action",
            "trust.resource",
            "trust.not-principal",
        ] {
            assert!(
                got.iter()
                    .any(|(id, s)| *id == expected && *s == Status::Fail),
                "{expected} in {got:?}"
            );
        }
        assert!(
            findings
                .iter()
                .any(|f| f.message.contains("did you mean `Statement`?"))
        );
        assert!(
            findings
                .iter()
                .any(|f| f.message.contains("did you mean `Condition`?"))
        );
    }

    #[test]
    fn a_missing_version_warns() {
        let (policy, findings) = parse(
            r#"{"Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}}"#,
            "id.json",
            Kind::Identity,
        );
        assert_eq!(ids(&findings), [("policy.version", Status::Warn)]);
        assert_eq!(policy.unwrap().statements.len(), 1);
    }
}
