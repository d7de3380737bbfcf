//! Reading an ECS task definition's container definitions (their `environment` and
//! `secrets`), for the checks of `check --task-definition` that look inside containers.

use serde_json::Value;

/// The task definition in a file's text: the document itself, or the `taskDefinition` that
/// `aws ecs describe-task-definition` wraps it in. Text that is not JSON is
/// `ecs::task_definition`'s finding; the other checks read nothing from it.
pub(super) fn parse(text: &str) -> Result<Value, serde_json::Error> {
    let mut value: Value = serde_json::from_str(text)?;
    Ok(match value.get_mut("taskDefinition") {
        Some(td) => td.take(),
        None => value,
    })
}

/// A task definition's container definitions, in order.
pub(super) fn containers(td: &Value) -> Vec<&Value> {
    td["containerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .collect()
}

/// The container running rolehop with its config in its plain environment
/// (`ROLEHOP_CONFIG_TEXT`), and that config's text.
pub(super) fn rolehop_with_config<'a>(containers: &[&'a Value]) -> Option<(&'a Value, &'a str)> {
    containers
        .iter()
        .find_map(|c| Some((*c, plain_env(c, "ROLEHOP_CONFIG_TEXT")?)))
}

/// The app containers: every container but rolehop's.
pub(super) fn apps<'a>(containers: &[&'a Value], rolehop: &Value) -> Vec<&'a Value> {
    containers
        .iter()
        .copied()
        .filter(|c| c["name"] != rolehop["name"])
        .collect()
}

/// `(name, valueFrom)` of a container's `secrets`.
pub(super) fn secrets(container: &Value) -> Vec<(&str, &str)> {
    container["secrets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| Some((s["name"].as_str()?, s["valueFrom"].as_str()?)))
        .collect()
}

/// The value of `name` in a container's plain `environment`.
pub(super) fn plain_env<'a>(container: &'a Value, name: &str) -> Option<&'a str> {
    container["environment"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)?["value"]
        .as_str()
}

/// Variable names a container gets from its definition (`environment` and `secrets`).
pub(super) fn variables(container: &Value) -> Vec<&str> {
    ["environment", "secrets"]
        .iter()
        .flat_map(|list| container[*list].as_array().into_iter().flatten())
        .filter_map(|e| e["name"].as_str())
        .collect()
}
