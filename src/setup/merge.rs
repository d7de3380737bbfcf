//! Merging the statements `setup` needs into a policy document a role already has, so that
//! `commands.sh` never removes what someone else put there (`rolehop merge-policy`, which
//! `commands.sh` runs on every role that exists).
//!
//! The rule: every statement of the document already there stays as it is, in its place; each
//! statement `setup` needs that is not already there (the same statement, whatever its `Sid`) is
//! appended, under its own `Sid` when that is free, else the first free `Sid2`, `Sid3`...
//! (IAM requires the `Sid`s of one document to differ). Merging the result again adds nothing,
//! so a second run of `commands.sh` changes nothing.

use serde_json::{Map, Value};

/// The merged document and the statements it adds (none: the document already had them).
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub document: Value,
    pub added: Vec<Value>,
}

/// Which of the two documents a [`MergeError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// The role's current policy (`--current`).
    Current,
    /// The policy `setup` wants (`--add`).
    Wanted,
}

impl std::fmt::Display for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Document::Current => "the role's current policy",
            Document::Wanted => "setup's policy",
        })
    }
}

/// A document that is not an IAM policy document, so nothing is merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("{0} is not a JSON object; give an IAM policy document")]
    NotAnObject(Document),
    #[error(
        "{0}'s Statement is neither a statement nor a list of them; give an IAM policy document"
    )]
    BadStatement(Document),
}

/// A policy document's statements (IAM accepts one statement object in place of the list).
fn statements(document: &Value, which: Document) -> Result<Vec<&Value>, MergeError> {
    let Some(object) = document.as_object() else {
        return Err(MergeError::NotAnObject(which));
    };
    match object.get("Statement") {
        Some(Value::Array(list)) => Ok(list.iter().collect()),
        Some(one @ Value::Object(_)) => Ok(vec![one]),
        None => Ok(Vec::new()),
        Some(_) => Err(MergeError::BadStatement(which)),
    }
}

/// A statement without its `Sid`, for comparing what statements do.
fn without_sid(statement: &Value) -> Value {
    match statement {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| *k != "Sid")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

fn sid(statement: &Value) -> Option<&str> {
    statement.get("Sid").and_then(Value::as_str)
}

/// Adds to `current` every statement of `wanted` it does not have (see the module doc).
pub fn merge(current: &Value, wanted: &Value) -> Result<Merged, MergeError> {
    let have = statements(current, Document::Current)?;
    let want = statements(wanted, Document::Wanted)?;
    let mut out: Vec<Value> = have.iter().map(|s| (*s).clone()).collect();
    let mut added = Vec::new();
    for statement in want {
        let bare = without_sid(statement);
        if out.iter().any(|s| without_sid(s) == bare) {
            continue;
        }
        let mut statement = statement.clone();
        if let Some(base) = sid(&statement).map(str::to_owned) {
            let taken = |candidate: &str| out.iter().any(|s| sid(s) == Some(candidate));
            let free = std::iter::once(base.clone())
                .chain((2..).map(|n| format!("{base}{n}")))
                .find(|candidate| !taken(candidate))
                .expect("an unbounded sequence has a free name");
            statement["Sid"] = Value::String(free);
        }
        out.push(statement.clone());
        added.push(statement);
    }
    let mut document = current.clone();
    if !added.is_empty() {
        if document.get("Version").is_none() {
            document["Version"] = wanted
                .get("Version")
                .cloned()
                .unwrap_or_else(|| Value::String("2012-10-17".into()));
        }
        document["Statement"] = Value::Array(out);
    }
    Ok(Merged { document, added })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn trust(sid: &str, principal: &str) -> Value {
        json!({"Sid": sid, "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"})
    }

    #[test]
    fn keeps_every_statement_there_and_adds_only_what_is_missing() {
        let other = trust("PartnerAccess", "arn:aws:iam::222233334444:role/partner");
        let ours = trust(
            "RolehopTrustSourceRole",
            "arn:aws:iam::111122223333:role/task",
        );
        let current = json!({"Version": "2012-10-17", "Statement": [other.clone()]});
        let wanted = json!({"Version": "2012-10-17", "Statement": [ours.clone()]});
        let merged = merge(&current, &wanted).unwrap();
        assert_eq!(merged.document["Statement"], json!([other, ours.clone()]));
        assert_eq!(merged.added, [ours]);
        let again = merge(&merged.document, &wanted).unwrap();
        assert!(again.added.is_empty(), "a second merge adds nothing");
        assert_eq!(again.document, merged.document);
    }

    #[test]
    fn a_taken_sid_gets_a_number_and_an_equal_statement_under_another_sid_counts() {
        let theirs = trust(
            "RolehopTrustSourceRole",
            "arn:aws:iam::222233334444:role/old",
        );
        let ours = trust(
            "RolehopTrustSourceRole",
            "arn:aws:iam::111122223333:role/task",
        );
        let current = json!({"Version": "2012-10-17", "Statement": theirs.clone()});
        let wanted = json!({"Version": "2012-10-17", "Statement": [ours.clone()]});
        let merged = merge(&current, &wanted).unwrap();
        let list = merged.document["Statement"].as_array().unwrap();
        assert_eq!(list[0], theirs);
        assert_eq!(list[1]["Sid"], "RolehopTrustSourceRole2");
        assert!(merge(&merged.document, &wanted).unwrap().added.is_empty());

        let renamed = trust("Mine", "arn:aws:iam::111122223333:role/task");
        let current = json!({"Version": "2012-10-17", "Statement": [renamed]});
        assert!(merge(&current, &wanted).unwrap().added.is_empty());
    }

    #[test]
    fn a_document_that_is_not_a_policy_is_refused_in_one_sentence() {
        let wanted = json!({"Statement": []});
        let e = merge(&json!([1]), &wanted).unwrap_err();
        assert_eq!(e, MergeError::NotAnObject(Document::Current));
        assert!(e.to_string().contains("not a JSON object"), "{e}");
        let e = merge(&json!({"Statement": 3}), &wanted).unwrap_err();
        assert_eq!(e, MergeError::BadStatement(Document::Current));
        assert!(e.to_string().contains("neither a statement"), "{e}");
        assert_eq!(
            merge(&wanted, &json!("x")).unwrap_err(),
            MergeError::NotAnObject(Document::Wanted)
        );
    }
}
