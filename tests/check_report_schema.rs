//! `check --format json` against its schema, `docs/check-report.schema.json`: every report the
//! fixture corpus, the `--explain` cases and the online probe produce is validated there
//! (`check_cases`, `check_explain` and `check_online` call [`violations`]); here the validator
//! itself is shown to refuse the report's old shapes, and docs/CHECK.md to describe every field
//! the schema has.
//!
//! No JSON Schema crate is in the dependency tree, so this reads the subset the schema uses:
//! `type` (one or a list), `enum`, `properties`, `required`, `additionalProperties: false`,
//! `items`, `minimum` and `$ref` to `#/$defs/NAME`. A keyword outside it fails the test rather
//! than being skipped.

use std::path::Path;

use serde_json::{Value, json};

const KNOWN_KEYWORDS: [&str; 12] = [
    "$schema",
    "$ref",
    "$defs",
    "title",
    "description",
    "type",
    "enum",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minimum",
];

pub fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/check-report.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the schema is in docs/"))
        .expect("the schema is JSON")
}

/// Where `report` breaks the schema: one line per violation, with its JSON path.
pub fn violations(report: &Value) -> Vec<String> {
    let schema = schema();
    let mut out = Vec::new();
    check(&schema, &schema, report, "$", &mut out);
    out
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        other => panic!("the schema names a type this validator does not know: {other}"),
    }
}

fn check(root: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let Some(rules) = schema.as_object() else {
        panic!("{at}: a schema is an object");
    };
    for key in rules.keys() {
        assert!(
            KNOWN_KEYWORDS.contains(&key.as_str()),
            "the schema uses `{key}`, which this validator does not read"
        );
    }
    if let Some(reference) = rules.get("$ref").and_then(Value::as_str) {
        let name = reference
            .strip_prefix("#/$defs/")
            .unwrap_or_else(|| panic!("only #/$defs/ references: {reference}"));
        let target = &root["$defs"][name];
        assert!(target.is_object(), "{reference} is not defined");
        check(root, target, value, at, out);
    }
    if let Some(types) = rules.get("type") {
        let names: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(several) => several.iter().filter_map(Value::as_str).collect(),
            other => panic!("{at}: `type` is {other}"),
        };
        if !names.iter().any(|n| type_matches(n, value)) {
            out.push(format!("{at}: {value} is not {}", names.join(" or ")));
            return;
        }
    }
    if let Some(allowed) = rules.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        out.push(format!(
            "{at}: {value} is not one of {}",
            Value::from(allowed.clone())
        ));
    }
    if let (Some(minimum), Some(n)) = (rules.get("minimum").and_then(Value::as_f64), value.as_f64())
        && n < minimum
    {
        out.push(format!("{at}: {n} is below {minimum}"));
    }
    if let Some(object) = value.as_object() {
        let properties = rules.get("properties").and_then(Value::as_object);
        for name in rules
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(name) {
                out.push(format!("{at}: `{name}` is missing"));
            }
        }
        for (name, field) in object {
            match properties.and_then(|p| p.get(name)) {
                Some(rule) => check(root, rule, field, &format!("{at}.{name}"), out),
                None if rules.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    out.push(format!("{at}: `{name}` is not a field of the report"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(array)) = (rules.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check(root, items, item, &format!("{at}[{i}]"), out);
        }
    }
}

/// A report in today's shape, with every optional field the schema describes.
fn a_full_report() -> Value {
    json!({
        "decision": "denied",
        "hops": [{
            "role_arn": "arn:aws:iam::555566667777:role/destination-account-role",
            "principal": null,
            "decision": "denied",
            "observed": null,
            "model": "unknown",
            "aws": {"form": "not-authorized", "caller": "c", "action": "sts:AssumeRole", "deny": "implicit"},
            "actions": [{
                "action": "sts:AssumeRole",
                "decision": "denied",
                "decisive": [
                    {"part": "scp", "level": 2, "effect": "Deny", "policy": "scp-2.json", "statement": "1"},
                    {"part": "trust", "effect": "ImplicitDeny", "policy": "trust.json", "statement": null}
                ],
                "unknown": ["aws:SourceIp"],
                "parts": [
                    {"part": "scp", "level": 1, "passes": true, "not_needed": false},
                    {"part": "trust", "passes": null, "not_needed": false}
                ]
            }]
        }],
        "summary": {"fail": 1, "warn": 0, "unknown": 0, "pass": 0},
        "findings": [{"id": "trust.allows", "status": "fail", "message": "m",
                      "fix": {"statement": {}, "policy": {}, "command": "aws iam ..."}}]
    })
}

#[test]
fn the_validator_takes_todays_shape_and_refuses_the_old_one() {
    let report = a_full_report();
    assert_eq!(violations(&report), Vec::<String>::new());

    // Before: the part nested in an object, `passes` a string, `????`-era statuses.
    let mut old = report.clone();
    old["hops"][0]["actions"][0]["parts"][0] =
        json!({"part": {"part": "scp", "level": 1}, "passes": "true", "not_needed": false});
    old["hops"][0]["actions"][0]["decisive"][1]["part"] = json!({"part": "trust"});
    let found = violations(&old);
    assert!(
        found.iter().any(|v| v.contains("parts[0].part"))
            && found.iter().any(|v| v.contains("parts[0].passes"))
            && found.iter().any(|v| v.contains("decisive[1].part")),
        "{found:#?}"
    );

    let mut extra = report.clone();
    extra["summary"]["skipped"] = json!(0);
    extra["findings"][0]["status"] = json!("????");
    assert_eq!(violations(&extra).len(), 2, "{:#?}", violations(&extra));
}

/// docs/CHECK.md's table of the JSON report names every field the schema has.
#[test]
fn docs_check_md_describes_every_field_of_the_schema() {
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/CHECK.md"))
        .unwrap();
    let section = docs
        .split("### The JSON report")
        .nth(1)
        .expect("docs/CHECK.md has a `### The JSON report` section")
        .split("\n#")
        .next()
        .unwrap();
    let mut names = Vec::new();
    fn collect(schema: &Value, names: &mut Vec<String>) {
        match schema {
            Value::Object(map) => {
                if let Some(Value::Object(props)) = map.get("properties") {
                    names.extend(props.keys().cloned());
                }
                map.values().for_each(|v| collect(v, names));
            }
            Value::Array(items) => items.iter().for_each(|v| collect(v, names)),
            _ => {}
        }
    }
    collect(&schema(), &mut names);
    names.sort();
    names.dedup();
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !section.contains(&format!("`{n}`")) && !section.contains(&format!(".{n}`")))
        .collect();
    assert!(missing.is_empty(), "not in docs/CHECK.md: {missing:?}");
}
