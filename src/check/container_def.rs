//! Reading one container definition of an ECS task definition (its `environment` and
//! `secrets`), for the checks of `check --task-definition` that look inside containers.

use serde_json::Value;

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
