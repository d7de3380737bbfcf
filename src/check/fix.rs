//! The fix for a part that denies for want of an Allow: the statement to add, the whole
//! policy with it merged in (the update commands replace the whole document), and the AWS CLI
//! command that applies it.

use serde_json::{Value, json};

use super::action::{StsAction, action_element};
use super::arns;
use super::findings::Fix;
use super::inputs::Inputs;
use super::policy::Policy;
use crate::credentials::Secret;

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
    if let Some(id) = inputs.external_id.as_ref().map(Secret::expose) {
        statement["Condition"] = json!({"StringEquals": {"sts:ExternalId": id}});
    }
    let name = role
        .and_then(arns::role_name)
        .unwrap_or("DESTINATION_ROLE_NAME");
    Fix {
        policy: merged(policy, &statement),
        statement,
        command: format!(
            "aws iam update-assume-role-policy --role-name {name} --policy-document file://trust-policy.json"
        ),
    }
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
