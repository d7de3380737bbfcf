//! The fix for a part that denies for want of an Allow: the whole policy corrected, as IAM would
//! accept it and as `check` itself allows it. The statement that is broken is corrected in
//! place — the near-miss principal (`my-ECS-taks-role`) or resource replaced, the missing
//! action (`sts:TagSession`) added to the statement that allows the AssumeRole — and a new
//! statement is added only when no statement can be corrected. What IAM refuses to save is
//! repaired on the way (a misspelt element, `Effect` case, a duplicate Sid, a Resource in a
//! trust policy), Sids stay unique, and each candidate is kept only when the evaluator says the
//! part then passes (`passes`). The corrected document goes to `NAME.fixed.json` beside the
//! checked file (`--fix` writes it), and the command that applies it names that file.

use serde_json::{Map, Value, json};

use super::action::{StsAction, action_element};
use super::arns;
use super::eval::glob;
use super::findings::Fix;
use super::policy::{self, Kind, Policy};
use crate::suggest::edit_distance;

/// The inline policy name under which the source role gets its AssumeRole on `role_name`
/// (the fix's command and `setup`'s scripts use the same).
pub fn assume_policy_name(role_name: &str) -> String {
    format!("rolehop-assume-{role_name}")
}

/// Where the corrected `checked` file is written: beside it, `NAME.fixed.json`
/// (`trust-typo.json` → `trust-typo.fixed.json`); a policy read online (no file) gets
/// `fallback.fixed.json` in the current directory.
pub fn fixed_file(checked: &str, fallback: &str) -> String {
    match checked.strip_suffix(".json") {
        Some(stem) if !stem.is_empty() && !checked.contains(char::is_whitespace) => {
            format!("{stem}.fixed.json")
        }
        _ => format!("{fallback}.fixed.json"),
    }
}

/// Whether the part passes with this document in place of the checked one.
pub(super) type Passes<'a> = dyn Fn(&Value) -> bool + 'a;

/// A document being corrected, with what was changed, in words.
struct Draft {
    doc: Value,
    changes: Vec<String>,
}

impl Draft {
    fn statements(&mut self) -> &mut Vec<Value> {
        self.doc["Statement"]
            .as_array_mut()
            .expect("repair makes Statement a list")
    }
}

/// A Sid not yet used in `statements`: `base`, else `base2`, `base3`...
fn unique_sid(statements: &[Value], base: &str) -> String {
    let used = |sid: &str| statements.iter().any(|s| s["Sid"] == sid);
    (1..)
        .map(|n| {
            if n == 1 {
                base.to_owned()
            } else {
                format!("{base}{n}")
            }
        })
        .find(|sid| !used(sid))
        .expect("some suffix is free")
}

/// Renames an element to the known one it misspells, or drops it when none is near.
fn repair_elements(
    object: &mut Map<String, Value>,
    known: &[&'static str],
    what: &str,
    changes: &mut Vec<String>,
) {
    let unknown: Vec<String> = object
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .cloned()
        .collect();
    for key in unknown {
        let value = object.remove(&key).expect("listed above");
        match policy::closest(&key, known).filter(|k| !object.contains_key(*k)) {
            Some(right) => {
                changes.push(format!("{what}: `{key}` renamed `{right}`"));
                object.insert(right.to_owned(), value);
            }
            None => changes.push(format!("{what}: unknown element `{key}` removed")),
        }
    }
}

/// The document with what IAM refuses to save repaired: Version, misspelt elements, `Effect`
/// case, actions written `sts-AssumeRole`, Sids (letters and digits, unique), the elements a
/// trust policy or a role's own policy cannot have. `Statement` becomes a list.
fn repaired(document: &Value, kind: Kind) -> Draft {
    let mut changes = Vec::new();
    let mut doc = match document {
        Value::Object(o) => o.clone(),
        _ => Map::new(),
    };
    repair_elements(&mut doc, policy::top_elements(), "the policy", &mut changes);
    if doc.get("Version").and_then(Value::as_str) != Some("2012-10-17") {
        changes.push("Version set to 2012-10-17".into());
        doc.insert("Version".into(), json!("2012-10-17"));
    }
    let mut statements: Vec<Value> = match doc.remove("Statement") {
        Some(Value::Array(items)) => items.into_iter().filter(Value::is_object).collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    let mut seen = Vec::new();
    for (i, statement) in statements.iter_mut().enumerate() {
        let what = format!("statement {}", i + 1);
        let s = statement.as_object_mut().expect("objects only");
        repair_elements(s, policy::statement_elements(), &what, &mut changes);
        repair_effect(s, &what, &mut changes);
        repair_actions(s, &what, &mut changes);
        remove_prohibited(s, kind, &what, &mut changes);
        repair_sid(s, &what, &mut seen, &mut changes);
    }
    remove_refused(&mut statements, kind, &mut changes);
    doc.insert("Statement".into(), Value::Array(statements));
    Draft {
        doc: Value::Object(doc),
        changes,
    }
}

/// `Effect` in the case IAM requires (`allow` → `Allow`).
fn repair_effect(s: &mut Map<String, Value>, what: &str, changes: &mut Vec<String>) {
    if let Some(Value::String(effect)) = s.get_mut("Effect") {
        for right in ["Allow", "Deny"] {
            if effect.eq_ignore_ascii_case(right) && effect != right {
                changes.push(format!("{what}: Effect `{effect}` written `{right}`"));
                *effect = right.to_owned();
            }
        }
    }
}

/// Actions written with another separator (`sts-AssumeRole` → `sts:AssumeRole`).
fn repair_actions(s: &mut Map<String, Value>, what: &str, changes: &mut Vec<String>) {
    for element in ["Action", "NotAction"] {
        let Some(value) = s.get_mut(element) else {
            continue;
        };
        let mut items: Vec<&mut Value> = match value {
            Value::Array(items) => items.iter_mut().collect(),
            one => vec![one],
        };
        for item in items.iter_mut() {
            let Some(text) = item.as_str() else { continue };
            if policy::is_action_text(text) {
                continue;
            }
            let right = text.replacen(['-', '.', '/'], ":", 1);
            if policy::is_action_text(&right) {
                changes.push(format!("{what}: action `{text}` written `{right}`"));
                **item = json!(right);
            }
        }
    }
}

/// The elements IAM refuses in this kind of policy.
fn remove_prohibited(
    s: &mut Map<String, Value>,
    kind: Kind,
    what: &str,
    changes: &mut Vec<String>,
) {
    let prohibited: &[&str] = match kind {
        Kind::Trust if s.contains_key("Principal") => &["Resource", "NotResource", "NotPrincipal"],
        Kind::Trust => &["Resource", "NotResource"],
        Kind::Identity | Kind::Boundary | Kind::Session => &["Principal", "NotPrincipal"],
        Kind::Scp | Kind::Rcp => &[],
    };
    for element in prohibited {
        if s.remove(*element).is_some() {
            changes.push(format!(
                "{what}: {element} removed (IAM refuses it in this kind of policy)"
            ));
        }
    }
}

/// A Sid of letters and digits only, unique among the Sids `seen` before it.
fn repair_sid(
    s: &mut Map<String, Value>,
    what: &str,
    seen: &mut Vec<String>,
    changes: &mut Vec<String>,
) {
    if let Some(Value::String(sid)) = s.get("Sid").cloned() {
        let mut right: String = sid.chars().filter(char::is_ascii_alphanumeric).collect();
        if right.is_empty() {
            right = "Statement".into();
        }
        let base = right.clone();
        let mut n = 1;
        while seen.contains(&right) {
            n += 1;
            right = format!("{base}{n}");
        }
        if right != sid {
            changes.push(format!("{what}: Sid `{sid}` renamed `{right}` (IAM requires unique Sids of letters and digits)"));
            s.insert("Sid".into(), json!(right));
        }
        seen.push(right);
    }
}

/// Drops the statements IAM refuses whatever their values, which no edit of a value can save.
fn remove_refused(statements: &mut Vec<Value>, kind: Kind, changes: &mut Vec<String>) {
    let mut number = 0;
    statements.retain(|s| {
        number += 1;
        let has = |e: &str| s.get(e).is_some();
        let why = if !has("Action") && !has("NotAction") {
            Some("it has no Action")
        } else if kind == Kind::Trust && !has("Principal") {
            Some("a trust statement needs Principal (NotPrincipal is not supported there)")
        } else if kind.needs_resource() && !has("Resource") && !has("NotResource") {
            Some("a role's own policy needs Resource")
        } else {
            None
        };
        if let Some(why) = why {
            changes.push(format!(
                "statement {number} removed: {why}, so IAM refuses it"
            ));
        }
        why.is_none()
    });
}

fn strings_of(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// One string for one item, else a list: as people write the elements.
fn element_of(items: Vec<String>) -> Value {
    match items.as_slice() {
        [one] => json!(one),
        _ => json!(items),
    }
}

/// The statement with the `needed` actions its `Action` does not grant added; `None` when it
/// grants them all or is not an Allow with `Action`.
fn with_actions(statement: &Value, needed: &[StsAction]) -> Option<(Value, Vec<StsAction>)> {
    if statement["Effect"] != "Allow" {
        return None;
    }
    let mut items = strings_of(statement.get("Action")?);
    let missing: Vec<StsAction> = needed
        .iter()
        .copied()
        .filter(|a| !items.iter().any(|p| glob(p, a.as_str(), true)))
        .collect();
    if missing.is_empty() {
        return None;
    }
    items.extend(missing.iter().map(|a| a.as_str().to_owned()));
    let mut out = statement.clone();
    out["Action"] = element_of(items);
    Some((out, missing))
}

/// A value that is `right` misspelt: an ARN within three edits of it, or the same role name
/// (in any case, path or account), or an account id within two edits.
pub(super) fn near_miss(written: &str, right: &str) -> bool {
    if written == right || written == "*" {
        return false;
    }
    let name = |arn: &str| arns::role_name(arn).map(str::to_ascii_lowercase);
    edit_distance(written, right) <= 3
        || (written.contains(":role/") && name(written).is_some() && name(written) == name(right))
}

/// The statement with each near miss of `right` in `element` (`Principal`'s `AWS`, or
/// `Resource`) replaced by `right`; `None` when it has none.
fn with_corrected(statement: &Value, element: &str, right: &str) -> Option<(Value, Vec<String>)> {
    if statement["Effect"] != "Allow" {
        return None;
    }
    let mut out = statement.clone();
    let slot = match element {
        "Principal" => out.get_mut("Principal")?.get_mut("AWS")?,
        other => out.get_mut(other)?,
    };
    let items = strings_of(slot);
    let wrong: Vec<String> = items
        .iter()
        .filter(|i| near_miss(i, right))
        .cloned()
        .collect();
    if wrong.is_empty() {
        return None;
    }
    let mut fixed: Vec<String> = Vec::new();
    for item in items {
        let item = if wrong.contains(&item) {
            right.to_owned()
        } else {
            item
        };
        if !fixed.contains(&item) {
            fixed.push(item);
        }
    }
    *slot = element_of(fixed);
    Some((out, wrong))
}

fn label(statement: &Value, index: usize) -> String {
    match statement["Sid"].as_str() {
        Some(sid) => format!("statement {} ({sid})", index + 1),
        None => format!("statement {}", index + 1),
    }
}

/// The first correction of one statement that lets the part pass: the near-miss `value` of
/// `element` replaced, and/or the missing actions added.
fn correct_in_place(
    draft: &mut Draft,
    element: &str,
    value: &str,
    actions: &[StsAction],
    passes: &Passes,
) -> Option<Value> {
    let statements = draft.statements().clone();
    for (i, s) in statements.iter().enumerate() {
        let corrected = with_corrected(s, element, value);
        let base = corrected.as_ref().map_or(s, |(c, _)| c);
        let added = with_actions(base, actions);
        if corrected.is_none() && added.is_none() {
            continue;
        }
        let candidate = added.as_ref().map_or(base, |(a, _)| a).clone();
        let mut doc = draft.doc.clone();
        doc["Statement"][i] = candidate.clone();
        if !passes(&doc) {
            continue;
        }
        let at = label(s, i);
        if let Some((_, wrong)) = &corrected {
            let wrong = wrong.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>();
            draft
                .changes
                .push(format!("{at}: {} corrected to `{value}`", wrong.join(", ")));
        }
        if let Some((_, missing)) = &added {
            let missing: Vec<&str> = missing.iter().map(|a| a.as_str()).collect();
            draft
                .changes
                .push(format!("{at}: {} added to its actions", missing.join(", ")));
        }
        draft.doc = doc;
        return Some(candidate);
    }
    None
}

/// `statement` appended with a Sid the document does not use yet.
fn append(draft: &mut Draft, mut statement: Value, sid: &str) -> Value {
    let sid = unique_sid(draft.statements(), sid);
    statement["Sid"] = json!(sid);
    // Sid first, as people write it.
    let mut ordered = Map::new();
    ordered.insert("Sid".into(), json!(sid));
    for (k, v) in statement.as_object().expect("an object") {
        if k != "Sid" {
            ordered.insert(k.clone(), v.clone());
        }
    }
    let statement = Value::Object(ordered);
    draft.statements().push(statement.clone());
    let number = draft.statements().len();
    draft
        .changes
        .push(format!("statement {number} ({sid}) added"));
    statement
}

/// Whether a fix may add a statement, or only correct one in place (a near miss, a missing
/// action): a statement added without the condition another statement's owner put on the
/// caller would widen the policy past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Growth {
    MayAdd,
    InPlaceOnly,
}

/// The trust policy corrected so that `source` may make the call (`actions`).
pub(super) fn trust_fix(
    policy: &Policy,
    external_id: Option<&str>,
    source: &str,
    role: Option<&str>,
    actions: Vec<StsAction>,
    passes: &Passes,
    growth: Growth,
) -> Option<Fix> {
    let mut draft = repaired(&policy.document, Kind::Trust);
    let statement = match correct_in_place(&mut draft, "Principal", source, &actions, passes) {
        Some(s) => s,
        None if growth == Growth::InPlaceOnly => return None,
        None => {
            let mut statement = json!({
                "Effect": "Allow",
                "Principal": {"AWS": source},
                "Action": action_element(&actions),
            });
            if external_id.is_some() {
                statement["Condition"] =
                    json!({"StringEquals": {"sts:ExternalId": EXTERNAL_ID_SHOWN}});
            }
            append(&mut draft, statement, "RolehopTrustSourceRole")
        }
    };
    let name = role
        .and_then(arns::role_name)
        .unwrap_or("DESTINATION_ROLE_NAME");
    let file = fixed_file(&policy.file, "trust-policy");
    let mut doc = draft.doc;
    let hidden = hide_external_ids(&mut doc);
    let mut command = format!(
        "aws iam update-assume-role-policy --role-name {name} --policy-document file://{file}"
    );
    if hidden || external_id.is_some() {
        command.push_str(&format!(
            "   (first put each external id where {EXTERNAL_ID_SHOWN} stands: check never prints one)"
        ));
    }
    Some(Fix {
        command,
        file,
        statement,
        changes: draft.changes,
        policy: doc,
    })
}

/// What a fix shows in place of an external id (a secret where it guards a per-container role).
pub const EXTERNAL_ID_SHOWN: &str = "EXTERNAL_ID";

/// Replaces every `sts:ExternalId` condition value of `document`'s statements with
/// [`EXTERNAL_ID_SHOWN`]; whether there was one.
fn hide_external_ids(document: &mut Value) -> bool {
    match document.get_mut("Statement") {
        Some(Value::Array(items)) => items
            .iter_mut()
            .map(hide_statement_external_ids)
            .fold(false, |a, b| a | b),
        Some(one @ Value::Object(_)) => hide_statement_external_ids(one),
        _ => false,
    }
}

/// Replaces `statement`'s `sts:ExternalId` condition values with [`EXTERNAL_ID_SHOWN`], for
/// showing it (here and in `rolehop merge-policy`); whether there was one.
pub fn hide_statement_external_ids(statement: &mut Value) -> bool {
    let mut hidden = false;
    let Some(operators) = statement
        .get_mut("Condition")
        .and_then(Value::as_object_mut)
    else {
        return false;
    };
    for keys in operators.values_mut().filter_map(Value::as_object_mut) {
        for (key, value) in keys.iter_mut() {
            if key.eq_ignore_ascii_case("sts:ExternalId") {
                *value = match value {
                    Value::Array(items) => json!(vec![EXTERNAL_ID_SHOWN; items.len()]),
                    _ => json!(EXTERNAL_ID_SHOWN),
                };
                hidden = true;
            }
        }
    }
    hidden
}

/// The source role's policy corrected so that it may make the call on `role`: the document
/// of `docs` whose statement can be corrected, else the first with a statement added.
/// `passes(file, document)`.
pub(super) fn identity_fix(
    docs: &[&Policy],
    source: Option<&str>,
    role: &str,
    actions: Vec<StsAction>,
    passes: &dyn Fn(&str, &Value) -> bool,
    growth: Growth,
) -> Option<Fix> {
    let mut chosen = None;
    for doc in docs {
        let mut draft = repaired(&doc.document, Kind::Identity);
        let passes_here = |d: &Value| passes(&doc.file, d);
        if let Some(s) = correct_in_place(&mut draft, "Resource", role, &actions, &passes_here) {
            chosen = Some((*doc, draft, s));
            break;
        }
    }
    let (doc, draft, statement) = match chosen {
        Some(found) => found,
        None if growth == Growth::InPlaceOnly => return None,
        None => {
            let first = docs.first()?;
            let mut draft = repaired(&first.document, Kind::Identity);
            let statement = json!({
                "Effect": "Allow",
                "Action": action_element(&actions),
                "Resource": role,
            });
            let statement = append(&mut draft, statement, "RolehopAssumeDestinationRole");
            (*first, draft, statement)
        }
    };
    let source_name = source
        .and_then(arns::role_name)
        .unwrap_or("SOURCE_ROLE_NAME");
    let dest_name = arns::role_name(role).unwrap_or("destination");
    let file = fixed_file(&doc.file, "identity-policy");
    Some(Fix {
        command: format!(
            "aws iam put-role-policy --role-name {source_name} --policy-name {} --policy-document file://{file}",
            assume_policy_name(dest_name)
        ),
        file,
        statement,
        changes: draft.changes,
        policy: draft.doc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "arn:aws:iam::111122223333:role/my-ECS-task-role";

    fn trust(text: &str) -> Policy {
        policy::parse(text, "trust-typo.json", Kind::Trust)
            .0
            .unwrap()
    }

    /// The fix of trust policy `text` for [`SOURCE`] and `actions`; `passes` is whether a
    /// statement corrected in place would pass.
    fn fix_trust(text: &str, actions: &[StsAction], passes: bool) -> Fix {
        trust_fix(
            &trust(text),
            None,
            SOURCE,
            None,
            actions.to_vec(),
            &|_| passes,
            Growth::MayAdd,
        )
        .expect("a fix may add a statement")
    }

    /// IAM would save the fixed document.
    fn assert_iam_accepts(fix: &Fix) {
        assert_eq!(
            policy::iam_refuses(&fix.policy, Kind::Trust),
            None,
            "{:#}",
            fix.policy
        );
    }

    #[test]
    fn the_file_is_written_beside_the_input() {
        assert_eq!(
            fixed_file("trust-typo.json", "trust-policy"),
            "trust-typo.fixed.json"
        );
        assert_eq!(
            fixed_file("/x/y/id.json", "identity-policy"),
            "/x/y/id.fixed.json"
        );
        assert_eq!(
            fixed_file("the trust policy of role r", "trust-policy"),
            "trust-policy.fixed.json"
        );
    }

    #[test]
    fn a_typo_in_the_principal_is_corrected_in_place() {
        let fix = fix_trust(
            r#"{"Version": "2012-10-17", "Statement": [{"Sid": "RolehopTrustSourceRole", "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:role/my-ECS-taks-role"}, "Action": "sts:AssumeRole"}]}"#,
            &[StsAction::AssumeRole],
            true,
        );
        let statements = fix.policy["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 1, "{:#}", fix.policy);
        assert_eq!(statements[0]["Principal"]["AWS"], SOURCE);
        assert_eq!(statements[0]["Sid"], "RolehopTrustSourceRole");
        assert!(
            fix.command.ends_with("file://trust-typo.fixed.json"),
            "{}",
            fix.command
        );
        assert_iam_accepts(&fix);
    }

    #[test]
    fn a_missing_action_goes_into_the_statement_that_needs_it() {
        let fix = fix_trust(
            r#"{"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:role/my-ECS-task-role"}, "Action": "sts:AssumeRole"}]}"#,
            &[StsAction::AssumeRole, StsAction::TagSession],
            true,
        );
        let statements = fix.policy["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 1);
        assert_eq!(
            statements[0]["Action"],
            json!(["sts:AssumeRole", "sts:TagSession"])
        );
        assert!(
            fix.changes[0].contains("sts:TagSession added"),
            "{:?}",
            fix.changes
        );
    }

    #[test]
    fn an_unrelated_principal_is_kept_and_a_statement_with_a_new_sid_added() {
        let fix = fix_trust(
            r#"{"Version": "2012-10-17", "Statement": [{"Sid": "RolehopTrustSourceRole", "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::999988887777:role/other"}, "Action": "sts:AssumeRole"}]}"#,
            &[StsAction::AssumeRole],
            false,
        );
        let statements = fix.policy["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 2);
        assert_eq!(
            statements[0]["Principal"]["AWS"],
            "arn:aws:iam::999988887777:role/other"
        );
        assert_eq!(statements[1]["Sid"], "RolehopTrustSourceRole2");
        assert_iam_accepts(&fix);
    }

    #[test]
    fn a_statement_iam_refuses_whatever_its_values_is_removed() {
        let fix = fix_trust(
            r#"{"Version": "2012-10-17", "Statement": [
                {"Sid": "NoPrincipal", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
                {"Sid": "Other", "Effect": "Allow", "NotPrincipal": {"AWS": "x"}, "Action": "sts:AssumeRole"}]}"#,
            &[StsAction::AssumeRole],
            false,
        );
        assert_iam_accepts(&fix);
        assert_eq!(fix.policy["Statement"].as_array().unwrap().len(), 1);
        assert!(
            fix.changes
                .iter()
                .any(|c| c.contains("statement 2 removed")),
            "{:?}",
            fix.changes
        );
    }

    #[test]
    fn what_iam_refuses_is_repaired() {
        let text = r#"{"Version": "2012-10-18", "Statment": [], "Statement": [
                {"Sid": "a-b", "Effect": "allow", "Principal": {"AWS": "x"}, "Action": "sts-AssumeRole", "Resource": "*"},
                {"Sid": "ab", "Effect": "Allow", "Principal": {"AWS": "y"}, "Action": "sts:AssumeRole"}]}"#;
        assert!(policy::iam_refuses(&trust(text).document, Kind::Trust).is_some());
        assert_iam_accepts(&fix_trust(text, &[StsAction::AssumeRole], false));
    }
}
