//! `rolehop check --explain MESSAGE`, the corpus of STS's AssumeRole refusals
//! (`tests/explain-cases/*/`): each case's `message.txt` goes through the real binary (with the
//! case's policy files, named as in `tests/check-cases`), and its report must hold exactly the
//! expected non-pass findings, AWS's answer (`hops[-1].aws`) with the expected fields, and the
//! exit code. The corpus must contain every message form the parser's data (`denial::FORMS`,
//! `denial::LIMITS`) lists.

use std::path::{Path, PathBuf};

use rolehop::check::denial::{FORMS, LIMITS};

use crate::check_cases::findings_differ;
use crate::support::rolehop::{Rolehop, Workdir, base_env};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/explain-cases");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("tests/explain-cases exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn the_corpus_holds_every_message_form_the_parser_knows() {
    let messages: Vec<String> = cases()
        .iter()
        .map(|d| {
            std::fs::read_to_string(d.join("message.txt"))
                .unwrap()
                .to_lowercase()
        })
        .collect();
    let words = FORMS
        .iter()
        .map(|f| f.words)
        .chain(LIMITS.iter().map(|l| l.words))
        // The bare form and the encoded message have no clause of their own in the tables.
        .chain([
            "encoded authorization failure message",
            "sts:tagsession",
            "sts:setsourceidentity",
        ]);
    let missing: Vec<&str> = words
        .filter(|w| !messages.iter().any(|m| m.contains(&w.to_lowercase())))
        .collect();
    assert!(
        missing.is_empty(),
        "no case of the corpus holds: {missing:?}"
    );
}

#[tokio::test]
async fn every_message_is_explained_as_its_case_expects() {
    let dirs = cases();
    assert!(dirs.len() >= 25, "the corpus has {} cases", dirs.len());
    let work = Workdir::new();
    let env = base_env(work.dir.path());
    let mut mismatches = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap())
                .unwrap_or_else(|e| panic!("{name}/case.json: {e}"));
        let message = std::fs::read_to_string(dir.join("message.txt")).unwrap();
        let mut args: Vec<String> = vec!["check".into(), "--explain".into(), message.trim().into()];
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
        let exit = case["exit"].as_i64().unwrap() as i32;
        if code != exit {
            mismatches.push(format!("{name}: exit {code}, expected {exit}; {stderr}"));
        }
        if exit == 64 {
            if !stderr.contains("--explain") || stderr.lines().count() != 1 {
                mismatches.push(format!(
                    "{name}: not one sentence about --explain: {stderr}"
                ));
            }
            continue;
        }
        let report: serde_json::Value = match serde_json::from_str(&stdout) {
            Ok(r) => r,
            Err(e) => {
                mismatches.push(format!("{name}: no JSON report ({e}); stderr: {stderr}"));
                continue;
            }
        };
        mismatches.extend(
            crate::check_report_schema::violations(&report)
                .into_iter()
                .map(|v| format!("{name}: against docs/check-report.schema.json: {v}")),
        );
        if report["decision"] != "denied" {
            mismatches.push(format!("{name}: decision {}", report["decision"]));
        }
        let aws = &report["hops"]
            .as_array()
            .and_then(|h| h.last())
            .cloned()
            .unwrap_or_default()["aws"];
        for (key, want) in case["aws"].as_object().unwrap() {
            if aws[key] != *want {
                mismatches.push(format!(
                    "{name}: aws.{key} is {}, expected {want}",
                    aws[key]
                ));
            }
        }
        mismatches.extend(findings_differ(&name, &report, &case, |f| {
            f["status"] != "pass" || f["id"].as_str().unwrap().starts_with("aws.")
        }));
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ:\n{}",
        mismatches.len(),
        dirs.len(),
        mismatches.join("\n")
    );
}
