//! The `rolehop check` fixture corpus (`tests/check-cases/*/`): each case's non-pass findings
//! must be exactly its expected ones, with the promised substrings, its exit code and (where
//! `case.json` names one) the AssumeRole's decision (`null`: none was asked about).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::rolehop::{Rolehop, Workdir, base_env};

#[tokio::test]
async fn every_fixture_yields_exactly_its_expected_findings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check-cases");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("tests/check-cases exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.json").is_file())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 40,
        "the corpus has {} cases; it needs at least 40",
        dirs.len()
    );
    let work = Workdir::new();
    let env = base_env(work.dir.path());
    let mut mismatches = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap())
                .unwrap_or_else(|e| panic!("{name}/case.json: {e}"));
        let mut args: Vec<String> = vec!["check".into()];
        // Files by name: `scp-1.json`, `scp-2.json`... are the levels of the organization path
        // in order, and `identity-2.json` a second identity policy.
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        for file in &files {
            let flag = match file.split(['-', '.']).next().unwrap_or_default() {
                "trust" => "--trust-policy",
                "identity" => "--identity-policy",
                "boundary" => "--permissions-boundary",
                "session" => "--session-policy",
                "scp" => "--scp",
                "rcp" => "--rcp",
                _ => continue,
            };
            args.push(flag.into());
            args.push(dir.join(file).display().to_string());
        }
        args.extend(
            case["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_owned()),
        );
        args.extend(["--format".into(), "json".into()]);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = Rolehop::run(&argv, &env).await;
        let report: serde_json::Value = match serde_json::from_str(&stdout) {
            Ok(r) => r,
            Err(e) => {
                mismatches.push(format!(
                    "{name}: no JSON report ({e}); exit {code}; stderr: {stderr}"
                ));
                continue;
            }
        };
        mismatches.extend(
            crate::check_report_schema::violations(&report)
                .into_iter()
                .map(|v| format!("{name}: against docs/check-report.schema.json: {v}")),
        );
        mismatches.extend(findings_differ(&name, &report, &case, |f| {
            f["status"] != "pass"
        }));
        // `"decision": null`: no AssumeRole was asked about.
        if let Some(decision) = case.get("decision")
            && report["decision"] != *decision
        {
            mismatches.push(format!(
                "{name}: decision {}, expected {decision}",
                report["decision"]
            ));
        }
        let exit = case["exit"].as_i64().unwrap() as i32;
        if code != exit {
            mismatches.push(format!("{name}: exit {code}, expected {exit}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ:\n{}",
        mismatches.len(),
        dirs.len(),
        mismatches.join("\n")
    );
}

/// The first ```text block after `heading` in the README's troubleshooting section.
fn readme_report(heading: &str) -> &'static str {
    let readme = include_str!("../README.md");
    let section = readme
        .split("## Troubleshooting: `rolehop check`")
        .nth(1)
        .expect("the section");
    section
        .split(heading)
        .nth(1)
        .expect("the heading")
        .split("```text\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a text block")
}

/// `rolehop check ARGS` in `examples/policies/DIR`, as the README shows it: (exit, stdout).
async fn run_in_example(dir: &str, args: &[&str]) -> (Option<i32>, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/policies")
        .join(dir);
    let out = tokio::process::Command::new(crate::support::rolehop::BIN)
        .current_dir(&dir)
        .arg("check")
        .args(args)
        .args([
            "--role-arn",
            "arn:aws:iam::555566667777:role/destination-account-role",
            "--source-role-arn",
            "arn:aws:iam::111122223333:role/my-ECS-task-role",
        ])
        .env_clear()
        .output()
        .await
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn the_readme_troubleshooting_report_is_what_rolehop_prints() {
    let (code, stdout) = run_in_example(
        "broken",
        &[
            "--trust-policy",
            "trust-policy.json",
            "--identity-policy",
            "identity-policy.json",
        ],
    )
    .await;
    assert_eq!(code, Some(1));
    assert_eq!(
        stdout,
        readme_report("`examples/policies/broken/`"),
        "README shows a stale report"
    );
}

#[tokio::test]
async fn the_readme_scp_denial_is_what_rolehop_prints() {
    let (code, stdout) = run_in_example(
        "scp-denied",
        &[
            "--trust-policy",
            "trust-policy.json",
            "--identity-policy",
            "identity-policy.json",
            "--scp",
            "scp-root.json",
            "--scp",
            "scp-workloads-ou.json",
            "--context",
            "aws:RequestedRegion=us-east-1",
        ],
    )
    .await;
    assert_eq!(code, Some(1));
    let shown = readme_report("### An SCP denial");
    assert_eq!(stdout, shown, "README shows a stale report");
    assert!(
        shown.contains("decision: DENIED") && shown.contains("DenyOutsideApprovedRegions"),
        "{shown}"
    );
    // In an approved region the same setup is allowed.
    let (code, stdout) = run_in_example(
        "scp-denied",
        &[
            "--trust-policy",
            "trust-policy.json",
            "--identity-policy",
            "identity-policy.json",
            "--scp",
            "scp-root.json",
            "--scp",
            "scp-workloads-ou.json",
            "--context",
            "aws:RequestedRegion=eu-west-1",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(code, Some(0), "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["decision"], "allowed");
}

/// How a report's findings differ from a case's `findings` (each `id` and `status` as often as
/// listed, each `contains` in one of them), over the findings `counted` keeps.
pub fn findings_differ(
    name: &str,
    report: &Value,
    case: &Value,
    counted: impl Fn(&Value) -> bool,
) -> Vec<String> {
    let mut mismatches = Vec::new();
    let mut got: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        if counted(f) {
            got.entry((
                f["id"].as_str().unwrap().into(),
                f["status"].as_str().unwrap().into(),
            ))
            .or_default()
            .push(f["message"].as_str().unwrap().into());
        }
    }
    let mut expected: BTreeMap<(String, String), usize> = BTreeMap::new();
    for f in case["findings"].as_array().unwrap() {
        let key = (
            f["id"].as_str().unwrap().to_owned(),
            f["status"].as_str().unwrap().to_owned(),
        );
        *expected.entry(key.clone()).or_default() += 1;
        if let Some(text) = f["contains"].as_str()
            && !got
                .get(&key)
                .is_some_and(|msgs| msgs.iter().any(|m| m.contains(text)))
        {
            mismatches.push(format!(
                "{name}: no {key:?} finding contains {text:?}; got {:?}",
                got.get(&key)
            ));
        }
    }
    let got_counts: BTreeMap<(String, String), usize> =
        got.iter().map(|(k, v)| (k.clone(), v.len())).collect();
    if got_counts != expected {
        mismatches.push(format!("{name}: expected {expected:?}\n    got {got:#?}"));
    }
    mismatches
}
