//! The fix for a part that denies for want of an Allow: the statement to add, the whole
//! policy with it merged in (the update commands replace the whole document), and the AWS CLI
//! command that applies it.

use serde_json::{Value, json};

use super::action::{StsAction, action_element};
use super::arns;
use super::findings::Fix;
use super::inputs::Inputs;
use super::policy::Policy;

/// The inline policy name under which the source role gets its AssumeRole on `role_name`
/// (the fix's command and `setup`'s scripts use the same).
pub fn assume_policy_name(role_name: &str) -> String {
    format!("rolehop-assume-{role_name}")
}

fn merged(policy: &Policy, statement: &Value) -> Value {
    let mut document = policy.document.clone();
    match document.get_mut("Statement") {
        Some(Value::Array(items)) => items.push(statement.clone()),
        Some(single @ Value::Object(_)) => *single = json!([single.clone(), statement.clone()]),
        _ => document["Statement"] = json!([statement.clone()]),
    }
    if document.get("Version").and_then(Value::as_str) != Some("2012-10-17") {
        document["Version"] = json!("2012-10-17");
    }
    document
}

pub(super) fn trust_fix(
    policy: &Policy,
    inputs: &Inputs,
    source: &str,
    role: Option<&str>,
    actions: Vec<StsAction>,
) -> Fix {
    let mut statement = json!({
        "Sid": "RolehopTrustSourceRole",
        "Effect": "Allow",
        "Principal": {"AWS": source},
        "Action": action_element(&actions),
    });
    if inputs.external_id.is_some() {
        statement["Condition"] = json!({"StringEquals": {"sts:ExternalId": EXTERNAL_ID_SHOWN}});
    }
    let name = role
        .and_then(arns::role_name)
        .unwrap_or("DESTINATION_ROLE_NAME");
    let mut policy = merged(policy, &statement);
    let hidden = hide_external_ids(&mut policy);
    let mut command = format!(
        "aws iam update-assume-role-policy --role-name {name} --policy-document file://trust-policy.json"
    );
    if hidden || inputs.external_id.is_some() {
        command.push_str(&format!(
            "   (first put each external id where {EXTERNAL_ID_SHOWN} stands: check never prints one)"
        ));
    }
    Fix {
        policy,
        statement,
        command,
    }
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

pub(super) fn identity_fix(
    policy: &Policy,
    source: Option<&str>,
    role: &str,
    actions: Vec<StsAction>,
) -> Fix {
    let statement = json!({
        "Sid": "RolehopAssumeDestinationRole",
        "Effect": "Allow",
        "Action": action_element(&actions),
        "Resource": role,
    });
    let source_name = source
        .and_then(arns::role_name)
        .unwrap_or("SOURCE_ROLE_NAME");
    let dest_name = arns::role_name(role).unwrap_or("destination");
    Fix {
        policy: merged(policy, &statement),
        statement,
        command: format!(
            "aws iam put-role-policy --role-name {source_name} --policy-name {} --policy-document file://identity-policy.json",
            assume_policy_name(dest_name)
        ),
    }
}
