//! The `rolehop check` fixture corpus (`tests/check-cases/*/`): each case's non-pass findings
//! must be exactly its expected ones, with the promised substrings, its exit code and (where
//! `case.json` names one) the AssumeRole's decision (`null`: none was asked about).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::rolehop::{Rolehop, Workdir, base_env};

/// The corpus's case directories, in name order.
fn case_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check-cases");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("tests/check-cases exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn read_case(dir: &Path) -> Value {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap())
        .unwrap_or_else(|e| panic!("{name}/case.json: {e}"))
}

/// A case's command line: its files by name (`scp-1.json`, `scp-2.json`... are the levels of
/// the organization path in order, `identity-2.json` a second identity policy,
/// `task-definition.json` a task definition), each path replaced where `replaced` maps the
/// file's name to another, then its `args`, as JSON.
fn case_args(dir: &Path, case: &Value, replaced: &BTreeMap<String, PathBuf>) -> Vec<String> {
    let mut args: Vec<String> = vec!["check".into()];
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
            "task" => "--task-definition",
            _ => continue,
        };
        let path = replaced
            .get(file)
            .cloned()
            .unwrap_or_else(|| dir.join(file));
        args.push(flag.into());
        args.push(path.display().to_string());
    }
    args.extend(
        case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned()),
    );
    args.extend(["--format".into(), "json".into()]);
    args
}

#[tokio::test]
async fn every_fixture_yields_exactly_its_expected_findings() {
    let dirs = case_dirs();
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
        let case = read_case(dir);
        let args = case_args(dir, &case, &BTreeMap::new());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = Rolehop::run(&argv, &env).await;
        // A flag check refuses before any work: exit 64, no report, one sentence per problem.
        if let Some(usage) = case.get("usage").and_then(|u| u.as_array()) {
            if code != 64 || !stdout.is_empty() {
                mismatches.push(format!(
                    "{name}: exit {code} with stdout {stdout:?}, expected a usage error (64) and no report"
                ));
            }
            for part in usage.iter().filter_map(|p| p.as_str()) {
                if !stderr.contains(part) {
                    mismatches.push(format!("{name}: stderr lacks {part:?}: {stderr}"));
                }
            }
            continue;
        }
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

/// Every fix the corpus produces is a document IAM accepts (no duplicate Sid, nothing
/// `policy::iam_refuses` names) and, applied, makes `check` allow the AssumeRole.
#[tokio::test]
async fn every_fix_of_the_corpus_is_a_policy_check_allows() {
    use rolehop::check::policy::{Kind, iam_refuses};
    let work = Workdir::new();
    let env = base_env(work.dir.path());
    let mut fixed_cases = 0;
    let mut problems = Vec::new();
    for dir in case_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let case = read_case(&dir);
        let args = case_args(&dir, &case, &BTreeMap::new());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, stdout, _) = Rolehop::run(&argv, &env).await;
        let Ok(report) = serde_json::from_str::<Value>(&stdout) else {
            continue; // the corpus test reports it
        };
        // Each corrected document once, under the name of the file it replaces.
        let mut replaced = BTreeMap::new();
        let out = work.dir.path().join(&name);
        std::fs::create_dir_all(&out).unwrap();
        for fix in report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f.get("fix"))
        {
            let fixed = Path::new(fix["file"].as_str().unwrap());
            let original = fixed
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace(".fixed.json", ".json");
            // Fixes of the files checked (not ECS Exec's new policy for the task role).
            let kind = match original.split(['-', '.']).next().unwrap() {
                "trust" => Kind::Trust,
                "identity" => Kind::Identity,
                _ => continue,
            };
            let policy = &fix["policy"];
            if let Ok(text) = std::fs::read_to_string(dir.join(&original))
                && let Ok(before) = serde_json::from_str::<Value>(&text)
                && let Some(widened) = widens_past_a_condition(&before, policy, kind)
            {
                problems.push(format!("{name}: the fixed {original} {widened}"));
            }
            if let Some(why) = iam_refuses(policy, kind) {
                problems.push(format!(
                    "{name}: IAM would refuse the fixed {original}: {why}"
                ));
            }
            let sids: Vec<&str> = policy["Statement"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["Sid"].as_str())
                .collect();
            let unique: std::collections::BTreeSet<&&str> = sids.iter().collect();
            if unique.len() != sids.len() {
                problems.push(format!(
                    "{name}: the fixed {original} repeats a Sid: {sids:?}"
                ));
            }
            // check never prints an external id: the fix holds a placeholder the user fills
            // in, as its command says; do the same with the case's --external-id.
            let mut text = policy.to_string();
            let given = args
                .iter()
                .position(|a| a == "--external-id")
                .map(|i| &args[i + 1]);
            if let Some(id) = given {
                text = text.replace(
                    &format!("\"{}\"", rolehop::check::fix::EXTERNAL_ID_SHOWN),
                    &Value::String(id.clone()).to_string(),
                );
            }
            let path = out.join(&original);
            std::fs::write(&path, text).unwrap();
            replaced.insert(original, path);
        }
        if replaced.is_empty() {
            continue;
        }
        fixed_cases += 1;
        let args = case_args(&dir, &case, &replaced);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, stdout, stderr) = Rolehop::run(&argv, &env).await;
        let again: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{name} fixed: no JSON report ({e}): {stderr}"));
        if again["decision"] != "allowed" {
            problems.push(format!(
                "{name}: with the fixes applied the decision is {}: {:#}",
                again["decision"], again["findings"]
            ));
        }
    }
    assert!(
        fixed_cases >= 15,
        "only {fixed_cases} cases have a fix; the corpus should exercise many"
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// A statement the fix adds that allows, without conditions, a principal (trust) or resource
/// (identity) that a conditioned Allow of the original document names: the fix would let
/// through what the owner's condition (an external id, an organization, a tag) keeps out.
fn widens_past_a_condition(
    before: &Value,
    after: &Value,
    kind: rolehop::check::policy::Kind,
) -> Option<String> {
    use rolehop::check::policy::Kind;
    let statements = |doc: &Value| -> Vec<Value> {
        match &doc["Statement"] {
            Value::Array(items) => items.clone(),
            one @ Value::Object(_) => vec![one.clone()],
            _ => Vec::new(),
        }
    };
    let names = |s: &Value| -> Vec<String> {
        let element = match kind {
            Kind::Trust => &s["Principal"]["AWS"],
            _ => &s["Resource"],
        };
        match element {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => many
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            _ => Vec::new(),
        }
    };
    let without_sid = |s: &Value| {
        let mut s = s.clone();
        if let Some(o) = s.as_object_mut() {
            o.remove("Sid");
        }
        s
    };
    let original = statements(before);
    let guarded: Vec<String> = original
        .iter()
        .filter(|s| s["Effect"] == "Allow" && s.get("Condition").is_some())
        .flat_map(names)
        .collect();
    statements(after)
        .iter()
        .filter(|s| s["Effect"] == "Allow" && s.get("Condition").is_none())
        .filter(|s| !original.iter().any(|o| without_sid(o) == without_sid(s)))
        .flat_map(names)
        .find(|name| guarded.contains(name))
        .map(|name| format!("adds an unconditioned Allow for {name}, which the original allows only under a condition"))
}

/// `--fix` writes each corrected document beside the file checked and prints the command
/// that applies it, naming that file; the broken statement is corrected, not duplicated.
#[tokio::test]
async fn check_fix_writes_the_corrected_files_and_names_them_in_the_commands() {
    let work = Workdir::new();
    let env = base_env(work.dir.path());
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check-cases");
    let dir = work.dir.path();
    let trust = dir.join("trust-typo.json");
    let identity = dir.join("identity-policy.json");
    std::fs::copy(cases.join("14-trust-role-name-typo/trust.json"), &trust).unwrap();
    // The identity policy names the role with a typo too.
    let broken = std::fs::read_to_string(cases.join("14-trust-role-name-typo/identity.json"))
        .unwrap()
        .replace("destination-account-role", "destination-acount-role");
    std::fs::write(&identity, broken).unwrap();
    let (code, stdout, stderr) = Rolehop::run(
        &[
            "check",
            "--trust-policy",
            trust.to_str().unwrap(),
            "--identity-policy",
            identity.to_str().unwrap(),
            "--role-arn",
            "arn:aws:iam::555566667777:role/destination-account-role",
            "--source-role-arn",
            "arn:aws:iam::111122223333:role/my-ECS-task-role",
            "--session-tags",
            "--fix",
        ],
        &env,
    )
    .await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    let trust_fixed = dir.join("trust-typo.fixed.json");
    let identity_fixed = dir.join("identity-policy.fixed.json");
    for command in [
        format!(
            "aws iam update-assume-role-policy --role-name destination-account-role --policy-document file://{}",
            trust_fixed.display()
        ),
        format!(
            "aws iam put-role-policy --role-name my-ECS-task-role --policy-name rolehop-assume-destination-account-role --policy-document file://{}",
            identity_fixed.display()
        ),
    ] {
        assert_eq!(
            stdout
                .matches(&format!("apply it with:\n  {command}\n"))
                .count(),
            1,
            "--fix prints {command} once:\n{stdout}"
        );
    }
    let read = |p: &Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(p).expect("--fix wrote it")).unwrap()
    };
    let t = read(&trust_fixed);
    assert_eq!(
        t["Statement"],
        serde_json::json!([{"Sid": "TrustTaskRole", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:role/my-ECS-task-role"},
            "Action": ["sts:AssumeRole", "sts:TagSession"]}]),
        "the broken statement is corrected in place"
    );
    let i = read(&identity_fixed);
    assert_eq!(i["Statement"].as_array().unwrap().len(), 1, "{i:#}");
    assert_eq!(
        i["Statement"][0]["Resource"],
        "arn:aws:iam::555566667777:role/destination-account-role"
    );
    // Applied, they are allowed.
    let (code, stdout, _) = Rolehop::run(
        &[
            "check",
            "--trust-policy",
            trust_fixed.to_str().unwrap(),
            "--identity-policy",
            identity_fixed.to_str().unwrap(),
            "--role-arn",
            "arn:aws:iam::555566667777:role/destination-account-role",
            "--source-role-arn",
            "arn:aws:iam::111122223333:role/my-ECS-task-role",
            "--session-tags",
        ],
        &env,
    )
    .await;
    assert_eq!(code, 0, "{stdout}");
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
