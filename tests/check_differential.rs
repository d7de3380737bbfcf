//! The differential test (issue 15; docs/CHECK.md, "Differential test"): `rolehop check`'s
//! decision against an independent IAM evaluator, `@cloud-copilot/iam-simulate`
//! (`support::iam_oracle`), over seeded random cross-account `sts:AssumeRole` setups: identity
//! policies, the trust policy, SCPs per organization level, RCPs per level, a permissions
//! boundary, a session policy and request context, with wildcards, `NotAction`/`NotResource`,
//! several statements, Allow and Deny, and conditions of every family that applies.
//!
//! Both sides get the same facts: rolehop as flags and files (the real binary, a subprocess
//! per setup), the oracle as one `Simulation` per setup (one node process for the batch). The
//! keys the AssumeRole request itself defines (`aws:PrincipalArn`, `sts:ExternalId` only when
//! given...) reach rolehop as the flags they come from, so deriving them is part of what is
//! tested; every other key a policy may name is given to both with `--context`, or left out of
//! the request and stated with `--absent`, so `unknown` from rolehop is a disagreement like any
//! other. The setups that leave keys out run again without `--absent`: `unknown` is then
//! allowed, the other verdict never is.
//!
//! `ROLEHOP_DIFFERENTIAL_SEED` changes the seed, `ROLEHOP_DIFFERENTIAL_SETUPS` the count. The
//! figure goes to the failure message and to `target/check-differential.txt` (scripts/test
//! prints it: cargo shows nothing of a passing test).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::support::iam_oracle::{Answer, Oracle};
use crate::support::rolehop::BIN;

const SOURCE_ACCOUNT: &str = "111122223333";
const DESTINATION_ACCOUNT: &str = "555566667777";
const THIRD_ACCOUNT: &str = "444455556666";
const ENV_SEED: &str = "ROLEHOP_DIFFERENTIAL_SEED";
const ENV_SETUPS: &str = "ROLEHOP_DIFFERENTIAL_SETUPS";
const DEFAULT_SEED: u64 = 1515;
const DEFAULT_SETUPS: usize = 1200;
/// rolehop runs side by side (2 cores are shared with the rest of the suite).
const WORKERS: usize = 3;
/// Time spent shrinking disagreements before the rest are listed as generated.
const MINIMIZE_BUDGET: Duration = Duration::from_secs(90);

/// Disagreements the test accepts because AWS's documentation shows the oracle is wrong:
/// each names its paragraph in docs/CHECK.md ("Differential test") and decides, asking the
/// oracle again when it must, that a disagreement is exactly that case, in the direction the
/// documentation gives. Anything else fails the test.
struct Excused {
    reason: &'static str,
    covers: fn(&Value, &str, &str, &mut Oracle) -> bool,
}

const EXCUSED: &[Excused] = &[
    Excused {
        reason: "a trust policy naming the caller's session ARN is not limited by the session \
                 policy (docs/CHECK.md, Differential test, exception 1)",
        covers: session_grant_outside_session_policy,
    },
    Excused {
        reason: "no policy variables under Version 2008-10-17 (docs/CHECK.md, Differential \
                 test, exception 2)",
        covers: variables_under_2008,
    },
    Excused {
        reason: "a policy variable whose key is absent matches nothing, in a NotResource and \
                 under a negated operator too (docs/CHECK.md, Differential test, exception 3)",
        covers: variables_without_value,
    },
];

/// Text that no request value equals or is like, for a variable whose key is absent.
const NO_VALUE: &str = "NO-VALUE-FOR-THIS-VARIABLE";

/// Exception 3: a document holds `${KEY}` (no default) for a key the setup states absent.
/// IAM User Guide, "IAM policy elements: Variables and tags", "Policy variables with no
/// value": the value is "effectively null", with "no equal or like value"; in a `Resource` or
/// `NotResource` the entry "will not match any resource", and inverted operators
/// (`StringNotEquals`...) match. The oracle instead drops the statement. Excused when the
/// oracle, asked again with each such variable written as text no request value matches,
/// answers as rolehop did.
fn variables_without_value(setup: &Value, _want: &str, have: &str, oracle: &mut Oracle) -> bool {
    let mut text = setup.to_string();
    let mut changed = false;
    for key in setup["absent"].as_array().into_iter().flatten() {
        let variable = format!("${{{}}}", key.as_str().unwrap());
        if text.contains(&variable) {
            text = text.replace(&variable, NO_VALUE);
            changed = true;
        }
    }
    changed && verdict(&oracle.ask(&simulation(&serde_json::from_str(&text).unwrap()))) == have
}

/// Exception 2: a document of Version 2008-10-17 holds `${...}`, which IAM reads as plain
/// text there and the oracle substitutes anyway. Excused when the oracle, asked again with
/// those `${` written `$(` (text that matches the same nothing), answers as rolehop did.
fn variables_under_2008(setup: &Value, _want: &str, have: &str, oracle: &mut Oracle) -> bool {
    fn literal(value: &mut Value, changed: &mut bool) {
        if value["Version"] == "2008-10-17" {
            let text = value.to_string();
            if text.contains("${") {
                *value = serde_json::from_str(&text.replace("${", "$(")).unwrap();
                *changed = true;
            }
            return;
        }
        match value {
            Value::Array(items) => items.iter_mut().for_each(|v| literal(v, changed)),
            Value::Object(members) => members.values_mut().for_each(|v| literal(v, changed)),
            _ => {}
        }
    }
    let mut plain = setup.clone();
    let mut changed = false;
    literal(&mut plain, &mut changed);
    changed && verdict(&oracle.ask(&simulation(&plain))) == have
}

/// Exception 1: in one account, the trust policy names the caller's session ARN and the only
/// thing that stops the request in the oracle is the session policy's implicit deny (the
/// oracle allows once the session policy also allows everything, its Denys kept). AWS adds a
/// grant to the session ARN after the session policy, so rolehop's "allowed" is right.
fn session_grant_outside_session_policy(
    setup: &Value,
    want: &str,
    have: &str,
    oracle: &mut Oracle,
) -> bool {
    let source = setup["source_role_arn"].as_str().unwrap();
    let role = setup["role_arn"].as_str().unwrap();
    let caller = session_arn(source, setup["source_session_name"].as_str().unwrap());
    if want != "denied"
        || have != "allowed"
        || account_of(source) != account_of(role)
        || setup["session_policy"].is_null()
        || !setup["trust_policy"].to_string().contains(&caller)
    {
        return false;
    }
    let mut opened = setup.clone();
    let statements = &mut opened["session_policy"]["Statement"];
    if !statements.is_array() {
        *statements = json!([statements.take()]);
    }
    statements
        .as_array_mut()
        .unwrap()
        .push(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}));
    verdict(&oracle.ask(&simulation(&opened))) == "allowed"
}

#[test]
fn rolehop_check_agrees_with_an_independent_iam_evaluator() {
    let seed = std::env::var(ENV_SEED).map_or(DEFAULT_SEED, |s| {
        s.parse()
            .unwrap_or_else(|_| panic!("{ENV_SEED}={s:?} is not a whole number"))
    });
    let count = std::env::var(ENV_SETUPS).map_or(DEFAULT_SETUPS, |s| {
        s.parse()
            .unwrap_or_else(|_| panic!("{ENV_SETUPS}={s:?} is not a whole number"))
    });
    let setups: Vec<Value> = (0..count).map(|i| generate(seed, i)).collect();
    let mut oracle = Oracle::start();
    let expected = oracle.ask_all(&setups.iter().map(simulation).collect::<Vec<_>>());
    let got = run_all(&setups);
    // The setups that leave keys out, run again without stating them: rolehop may then not
    // know, but it must never give the other verdict (an undecided AssumeRole exits 3).
    let unstated: Vec<(usize, Value)> = setups
        .iter()
        .enumerate()
        .filter(|(_, s)| s["absent"].as_array().is_some_and(|a| !a.is_empty()))
        .map(|(i, s)| {
            let mut s = s.clone();
            s["absent"] = json!([]);
            (i, s)
        })
        .collect();
    let got_unstated = run_all(&unstated.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>());

    let refused: Vec<String> = expected
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.as_ref().err().map(|e| format!("setup {i}: {e}")))
        .collect();
    assert!(
        refused.is_empty(),
        "the oracle refused {} generated setups (a generator bug: they must be policies IAM \
         saves):\n{}",
        refused.len(),
        refused.join("\n")
    );

    let (mut allowed, mut allowed_agree, mut denied, mut denied_agree) = (0, 0, 0, 0);
    let mut excused: BTreeMap<&str, usize> = BTreeMap::new();
    let mut excused_setups = Vec::new();
    let mut disagreements = Vec::new();
    for (i, (want, have)) in expected.iter().zip(&got).enumerate() {
        let want = verdict(want);
        if want == "allowed" {
            allowed += 1;
        } else {
            denied += 1;
        }
        if *have == want {
            if want == "allowed" {
                allowed_agree += 1;
            } else {
                denied_agree += 1;
            }
        } else if let Some(e) = EXCUSED
            .iter()
            .find(|e| (e.covers)(&setups[i], want, have, &mut oracle))
        {
            *excused.entry(e.reason).or_default() += 1;
            excused_setups.push(i);
        } else {
            disagreements.push(i);
        }
    }
    let mut summary = format!(
        "differential: allowed {allowed_agree} of {allowed}, denied {denied_agree} of {denied} \
         agree (seed {seed}, {count} setups; {ENV_SEED} / {ENV_SETUPS} change them)"
    );
    summary.push('\n');
    summary.push_str(&coverage(&setups, &expected));
    for (reason, n) in &excused {
        summary.push_str(&format!("\n  {n} excused: {reason}"));
    }

    let mut report = Vec::new();
    let started = Instant::now();
    for &i in &disagreements {
        let want = verdict(&expected[i]).to_owned();
        let have = got[i].clone();
        let shown = if started.elapsed() < MINIMIZE_BUDGET {
            minimize(&setups[i], &want, &have, &mut oracle)
        } else {
            setups[i].clone()
        };
        report.push(format!(
            "setup {i} (seed {seed}): oracle {want}, rolehop {have}\n{}",
            serde_json::to_string_pretty(&shown).unwrap()
        ));
    }
    let mut undecided = 0;
    for ((i, unstated), have) in unstated.iter().zip(&got_unstated) {
        let want = verdict(&expected[*i]);
        // An excused setup keeps its excuse: the oracle's answer there is not AWS's.
        if have.starts_with("unknown") || excused_setups.contains(i) {
            undecided += 1;
        } else if have != want {
            report.push(format!(
                "setup {i} (seed {seed}) without its --absent flags: oracle {want}, rolehop {have}\n{}",
                serde_json::to_string_pretty(unstated).unwrap()
            ));
        }
    }
    summary.push_str(&format!(
        "\n  without their --absent flags, the {} setups that leave keys out: {undecided} unknown, \
         the rest agree or are excused above",
        unstated.len()
    ));
    let text = if report.is_empty() {
        format!("{summary}\n")
    } else {
        format!(
            "{summary}\n{} disagreements:\n{}\n",
            report.len(),
            report.join("\n\n")
        )
    };
    let _ = std::fs::write(target_dir().join("check-differential.txt"), &text);
    assert!(report.is_empty(), "{text}");
}

/// How many setups exercise each feature, so a generator change that loses one shows.
fn coverage(setups: &[Value], expected: &[Answer]) -> String {
    let count = |f: &dyn Fn(&Value, &str) -> bool| {
        setups
            .iter()
            .filter(|s| f(s, &serde_json::to_string(s).unwrap()))
            .count()
    };
    let has = |s: &Value, key: &str| match &s[key] {
        Value::Array(a) => !a.is_empty(),
        v => !v.is_null(),
    };
    let explicit = expected
        .iter()
        .filter(|a| a.as_deref() == Ok("ExplicitlyDenied"))
        .count();
    let features: Vec<(&str, usize)> = vec![
        (
            "same account",
            count(&|s, _| account_of(s["role_arn"].as_str().unwrap()) == SOURCE_ACCOUNT),
        ),
        ("external id", count(&|s, _| has(s, "external_id"))),
        ("SCPs", count(&|s, _| has(s, "scp_levels"))),
        ("RCPs", count(&|s, _| has(s, "rcp_levels"))),
        ("boundary", count(&|s, _| has(s, "permissions_boundary"))),
        ("session policy", count(&|s, _| has(s, "session_policy"))),
        ("keys stated absent", count(&|s, _| has(s, "absent"))),
        ("NotAction", count(&|_, t| t.contains("\"NotAction\""))),
        ("NotResource", count(&|_, t| t.contains("\"NotResource\""))),
        ("a ? wildcard", count(&|_, t| t.contains('?'))),
        ("IfExists", count(&|_, t| t.contains("IfExists\""))),
        ("Null", count(&|_, t| t.contains("\"Null\""))),
        (
            "ForAnyValue/ForAllValues",
            count(&|_, t| t.contains("ForAnyValue:") || t.contains("ForAllValues:")),
        ),
        (
            "Date/Numeric",
            count(&|_, t| t.contains("\"Date") || t.contains("\"Numeric")),
        ),
        ("a policy variable", count(&|_, t| t.contains("${"))),
        (
            "Version 2008-10-17",
            count(&|_, t| t.contains("2008-10-17")),
        ),
        (
            "a session-ARN principal",
            count(&|_, t| t.contains("\"arn:aws:sts::")),
        ),
    ];
    let listed: Vec<String> = features
        .iter()
        .map(|(name, n)| format!("{n} {name}"))
        .collect();
    format!(
        "  setups with: {}; the oracle's denials: {explicit} explicit, the rest implicit",
        listed.join(", ")
    )
}

/// The oracle's answer as rolehop spells decisions.
fn verdict(answer: &Answer) -> &'static str {
    match answer.as_deref() {
        Ok("Allowed") => "allowed",
        _ => "denied",
    }
}

/// `target/` (the test binary lives in `target/debug/deps/`).
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

// ---------------------------------------------------------------------------------------------
// The two sides.

/// rolehop's decision for each setup, several subprocesses at a time.
fn run_all(setups: &[Value]) -> Vec<String> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(vec![String::new(); setups.len()]);
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= setups.len() {
                        break;
                    }
                    let decision = rolehop_decision(&setups[i]);
                    results.lock().unwrap()[i] = decision;
                }
            });
        }
    });
    results.into_inner().unwrap()
}

/// `rolehop check --format json` on one setup, its files in a fresh directory: the report's
/// `decision`, or what went wrong instead.
fn rolehop_decision(setup: &Value) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args: Vec<String> = vec!["check".into(), "--format".into(), "json".into()];
    let mut file = |name: String, flag: &str, content: &Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_string_pretty(content).unwrap()).unwrap();
        args.push(flag.into());
        args.push(path.display().to_string());
    };
    for (i, doc) in setup["identity_policies"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        file(format!("identity-{i}.json"), "--identity-policy", doc);
    }
    file(
        "trust.json".into(),
        "--trust-policy",
        &setup["trust_policy"],
    );
    if !setup["permissions_boundary"].is_null() {
        file(
            "boundary.json".into(),
            "--permissions-boundary",
            &setup["permissions_boundary"],
        );
    }
    if !setup["session_policy"].is_null() {
        file(
            "session.json".into(),
            "--session-policy",
            &setup["session_policy"],
        );
    }
    for (kind, flag) in [("scp_levels", "--scp"), ("rcp_levels", "--rcp")] {
        for (i, level) in setup[kind].as_array().unwrap().iter().enumerate() {
            file(format!("{kind}-{i}.json"), flag, level);
        }
    }
    for (flag, key) in [
        ("--source-role-arn", "source_role_arn"),
        ("--role-arn", "role_arn"),
        ("--session-name", "session_name"),
        ("--source-session-name", "source_session_name"),
        ("--external-id", "external_id"),
    ] {
        if let Some(value) = setup[key].as_str() {
            args.push(flag.into());
            args.push(value.into());
        }
    }
    for (key, values) in setup["context"].as_object().unwrap() {
        for value in values.as_array().unwrap() {
            args.push("--context".into());
            args.push(format!("{key}={}", value.as_str().unwrap()));
        }
    }
    for key in setup["absent"].as_array().into_iter().flatten() {
        args.push("--absent".into());
        args.push(key.as_str().unwrap().into());
    }
    let out = std::process::Command::new(BIN)
        .args(&args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run rolehop check");
    // The directory differs per run; answers are compared across runs while shrinking.
    let here = dir.path().display().to_string();
    let stdout = String::from_utf8_lossy(&out.stdout).replace(&here, "DIR");
    match serde_json::from_str::<Value>(&stdout) {
        Ok(report) => match report["decision"].as_str() {
            Some(decision) => {
                if decision == "unknown" {
                    format!("unknown ({})", unknown_reason(&report))
                } else {
                    decision.to_owned()
                }
            }
            None => format!("no decision (exit {:?})", out.status.code()),
        },
        Err(_) => format!(
            "error (exit {:?}): {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
                .trim()
                .replace(&here, "DIR")
        ),
    }
}

/// The messages of the report's unknown findings, to show why rolehop could not decide.
fn unknown_reason(report: &Value) -> String {
    let reasons: Vec<&str> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["status"] == "unknown")
        .filter_map(|f| f["message"].as_str())
        .collect();
    reasons.join("; ")
}

/// The oracle's view of the same setup: the AssumeRole of the source role's session, with the
/// request context the AssumeRole defines plus the given keys.
fn simulation(setup: &Value) -> Value {
    let source = setup["source_role_arn"].as_str().unwrap();
    let role = setup["role_arn"].as_str().unwrap();
    let caller = setup["source_session_name"].as_str().unwrap();
    let mut context = Map::new();
    for (key, values) in setup["context"].as_object().unwrap() {
        context.insert(key.clone(), values.clone());
    }
    for (key, value) in request_keys(setup) {
        context.insert(key.into(), json!([value]));
    }
    let named = |kind: &str, docs: &Value| -> Vec<Value> {
        docs.as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, doc)| json!({"name": format!("{kind}-{i}"), "policy": doc}))
            .collect()
    };
    let levels = |kind: &str| -> Vec<Value> {
        setup[format!("{kind}_levels")]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, level)| {
                let docs = if level.is_array() {
                    level.clone()
                } else {
                    json!([level])
                };
                json!({
                    "orgIdentifier": format!("{kind}-level-{i}"),
                    "policies": named(&format!("{kind}-{i}"), &docs),
                })
            })
            .collect()
    };
    let mut simulation = json!({
        "request": {
            "principal": session_arn(source, caller),
            "action": "sts:AssumeRole",
            "resource": {"resource": role, "accountId": account_of(role)},
            "contextVariables": context,
        },
        "identityPolicies": named("identity", &setup["identity_policies"]),
        "serviceControlPolicies": levels("scp"),
        "resourceControlPolicies": levels("rcp"),
        "resourcePolicy": setup["trust_policy"],
    });
    if !setup["permissions_boundary"].is_null() {
        simulation["permissionBoundaryPolicies"] =
            json!([{"name": "boundary", "policy": setup["permissions_boundary"]}]);
    }
    if !setup["session_policy"].is_null() {
        simulation["sessionPolicy"] = setup["session_policy"].clone();
    }
    simulation
}

/// The keys the AssumeRole request of a role session defines by itself (rolehop derives them
/// from its flags; the oracle must be told).
fn request_keys(setup: &Value) -> Vec<(&'static str, String)> {
    let source = setup["source_role_arn"].as_str().unwrap();
    let mut keys = vec![
        ("aws:PrincipalArn", source.to_owned()),
        ("aws:PrincipalAccount", account_of(source).to_owned()),
        ("aws:PrincipalType", "AssumedRole".to_owned()),
        ("aws:PrincipalIsAWSService", "false".to_owned()),
        (
            "sts:RoleSessionName",
            setup["session_name"].as_str().unwrap().to_owned(),
        ),
    ];
    if let Some(external_id) = setup["external_id"].as_str() {
        keys.push(("sts:ExternalId", external_id.to_owned()));
    }
    keys
}

fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or_default()
}

/// `arn:aws:sts::A:assumed-role/NAME/SESSION` (the role's path is not part of it).
fn session_arn(role_arn: &str, session: &str) -> String {
    let name = role_arn.rsplit('/').next().unwrap();
    format!(
        "arn:aws:sts::{}:assumed-role/{name}/{session}",
        account_of(role_arn)
    )
}

// ---------------------------------------------------------------------------------------------
// Shrinking a disagreement.

/// The smallest setup found by dropping array elements and optional members one at a time
/// while both sides keep their answers.
fn minimize(setup: &Value, want: &str, have: &str, oracle: &mut Oracle) -> Value {
    let mut best = setup.clone();
    let mut tries = 0;
    'outer: loop {
        let candidates = shrinks(&best);
        for candidate in candidates {
            tries += 1;
            if tries > 400 {
                break 'outer;
            }
            let Ok(answer) = oracle.ask(&simulation(&candidate)) else {
                continue;
            };
            if verdict(&Ok(answer)) == want && rolehop_decision(&candidate) == have {
                best = candidate;
                continue 'outer;
            }
        }
        break;
    }
    best
}

/// Every setup one step smaller than `setup`.
fn shrinks(setup: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for key in ["permissions_boundary", "session_policy"] {
        if !setup[key].is_null() {
            let mut s = setup.clone();
            s[key] = Value::Null;
            out.push(s);
        }
    }
    shrink_in(setup, &mut Vec::new(), setup, &mut out);
    out
}

/// Walks `value` (at `path` inside `root`), adding `root` with one element or optional member
/// of it removed.
fn shrink_in(root: &Value, path: &mut Vec<PathStep>, value: &Value, out: &mut Vec<Value>) {
    // Top-level lists may become empty; inside a policy a list keeps one element.
    let min_len = if path.len() == 1 { 0 } else { 1 };
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if items.len() > min_len {
                    let mut s = root.clone();
                    if let Some(Value::Array(a)) = at_mut(&mut s, path) {
                        a.remove(i);
                    }
                    out.push(s);
                }
                path.push(PathStep::Index(i));
                shrink_in(root, path, item, out);
                path.pop();
            }
        }
        Value::Object(members) => {
            for (key, member) in members {
                let optional = matches!(key.as_str(), "Condition" | "Sid")
                    || path
                        .last()
                        .is_some_and(|p| matches!(p, PathStep::Key(k) if k == "Condition"))
                    || path
                        .iter()
                        .rev()
                        .nth(1)
                        .is_some_and(|p| matches!(p, PathStep::Key(k) if k == "Condition"));
                if optional {
                    let mut s = root.clone();
                    if let Some(Value::Object(m)) = at_mut(&mut s, path) {
                        m.remove(key);
                        // A condition operator left with no key is removed as a whole.
                        if m.is_empty() && path.len() >= 2 {
                            continue;
                        }
                    }
                    out.push(s);
                }
                path.push(PathStep::Key(key.clone()));
                shrink_in(root, path, member, out);
                path.pop();
            }
        }
        _ => {}
    }
}

enum PathStep {
    Index(usize),
    Key(String),
}

fn at_mut<'a>(value: &'a mut Value, path: &[PathStep]) -> Option<&'a mut Value> {
    let mut here = value;
    for step in path {
        here = match step {
            PathStep::Index(i) => here.get_mut(*i)?,
            PathStep::Key(k) => here.get_mut(k.as_str())?,
        };
    }
    Some(here)
}

// ---------------------------------------------------------------------------------------------
// The generator.

/// splitmix64: small, seedable, the same on every platform.
struct Rng(u64);

impl Rng {
    fn for_setup(seed: u64, index: usize) -> Self {
        let mut rng = Rng(seed ^ (index as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// The facts of one setup the policies are written against.
struct World {
    source_role_arn: String,
    role_arn: String,
    role_account: String,
    role_path: String,
    role_name: String,
    /// The caller's own session (ECS names a task role's session after the task id), not
    /// the one the AssumeRole asks for (`sts:RoleSessionName`, `--session-name`).
    source_session_name: String,
    /// Every key a condition may name, with its values (none: absent from the request).
    context: BTreeMap<&'static str, Vec<String>>,
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Identity,
    Scp,
    Trust,
    Rcp,
}

const ORG: &str = "o-a1b2c3d4e5";
const OTHER_ORG: &str = "o-f9e8d7c6b5";

fn generate(seed: u64, index: usize) -> Value {
    let rng = &mut Rng::for_setup(seed, index);
    let source_path = if rng.percent(20) { "/ecs/" } else { "/" };
    let source_role_arn =
        format!("arn:aws:iam::{SOURCE_ACCOUNT}:role{source_path}my-ECS-task-role");
    let role_account = if rng.percent(15) {
        SOURCE_ACCOUNT
    } else {
        DESTINATION_ACCOUNT
    };
    let role_path = if rng.percent(20) { "team/" } else { "" };
    let role_name = rng.pick(&["destination-account-role", "DeployRole"]);
    let role_arn = format!("arn:aws:iam::{role_account}:role/{role_path}{role_name}");
    let session_name = rng
        .pick(&["rolehop", "rolehop-1764640000", "web.7"])
        .to_owned();
    let source_session_name = rng
        .pick(&["2f9a7c1e8b3d4a6f9e0c1b2a3d4e5f60", "web.7"])
        .to_owned();
    let external_id = rng
        .percent(40)
        .then(|| rng.pick(&["ext-1a2b3c", "Partner-Ext-77"]).to_owned());

    let mut context: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let org = if rng.percent(85) { ORG } else { OTHER_ORG };
    context.insert("aws:PrincipalOrgID", vec![org.into()]);
    let resource_org = if rng.percent(80) { ORG } else { OTHER_ORG };
    context.insert("aws:ResourceOrgID", vec![resource_org.into()]);
    let mut paths = vec![format!("{org}/r-ab12/ou-ab12-11111111/")];
    if rng.percent(40) {
        paths.push(format!("{org}/r-ab12/ou-ab12-22222222/ou-ab12-33333333/"));
    }
    context.insert("aws:PrincipalOrgPaths", paths);
    context.insert(
        "aws:SourceVpce",
        vec![
            rng.pick(&["vpce-0a1b2c3d4e5f67890", "vpce-11112222333344445"])
                .into(),
        ],
    );
    context.insert(
        "aws:SourceIp",
        vec![
            rng.pick(&["10.20.30.40", "192.0.2.10", "203.0.113.77"])
                .into(),
        ],
    );
    context.insert(
        "aws:RequestedRegion",
        vec![
            rng.pick(&["us-east-1", "eu-west-1", "ap-southeast-2"])
                .into(),
        ],
    );
    context.insert(
        "aws:PrincipalTag/team",
        vec![rng.pick(&["platform", "data"]).into()],
    );
    context.insert(
        "aws:PrincipalTag/env",
        vec![rng.pick(&["prod", "dev"]).into()],
    );
    let target = if rng.percent(70) {
        role_name
    } else {
        "other-role"
    };
    context.insert("aws:PrincipalTag/target", vec![target.into()]);
    context.insert("aws:SecureTransport", vec!["true".into()]);
    context.insert("aws:CurrentTime", vec!["2026-12-02T04:30:00Z".into()]);
    context.insert("aws:EpochTime", vec!["1764649800".into()]);
    // Keys the request does not carry (no organization, no VPC endpoint, an untagged role):
    // rolehop is told with `--absent`, the oracle by their absence from the context.
    let mut absent: Vec<&'static str> = Vec::new();
    if rng.percent(40) {
        for _ in 0..1 + rng.below(3) {
            let key = rng.pick(ABSENT_CANDIDATES);
            if !absent.contains(&key) {
                absent.push(key);
            }
        }
        // No organization means neither its id nor its paths.
        if absent.contains(&"aws:PrincipalOrgID") && !absent.contains(&"aws:PrincipalOrgPaths") {
            absent.push("aws:PrincipalOrgPaths");
        }
        for key in &absent {
            context.insert(key, Vec::new());
        }
    }
    let given: Vec<&'static str> = context
        .iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(key, _)| *key)
        .collect();
    context.insert("aws:PrincipalArn", vec![source_role_arn.clone()]);
    context.insert("aws:PrincipalAccount", vec![SOURCE_ACCOUNT.into()]);
    context.insert("aws:PrincipalType", vec!["AssumedRole".into()]);
    context.insert("aws:PrincipalIsAWSService", vec!["false".into()]);
    context.insert("sts:RoleSessionName", vec![session_name.clone()]);
    context.insert("sts:ExternalId", external_id.iter().cloned().collect());
    context.insert("aws:SourceAccount", vec![]);

    let has_session_policy = rng.percent(25);
    let world = World {
        source_role_arn: source_role_arn.clone(),
        role_arn: role_arn.clone(),
        role_account: role_account.into(),
        role_path: role_path.into(),
        role_name: role_name.into(),
        source_session_name: source_session_name.clone(),
        context,
    };

    // Which parts let the request through: all of them for about half the setups, and one
    // or two parts that stop it for the rest.
    let scp_levels = if rng.percent(60) { 1 + rng.below(3) } else { 0 };
    let rcp_levels = if rng.percent(50) { 1 + rng.below(3) } else { 0 };
    let has_boundary = rng.percent(35);
    let mut parts = vec!["identity", "trust"];
    if scp_levels > 0 {
        parts.push("scp");
    }
    if rcp_levels > 0 {
        parts.push("rcp");
    }
    if has_boundary {
        parts.push("boundary");
    }
    if has_session_policy {
        parts.push("session");
    }
    let mut blocked: Vec<&str> = Vec::new();
    if !rng.percent(55) {
        blocked.push(rng.pick(&parts));
        if rng.percent(25) {
            blocked.push(rng.pick(&parts));
        }
    }
    let permits = |part: &str| !blocked.contains(&part);

    let mut identity = vec![policy(rng, &world, Side::Identity, permits("identity"))];
    for _ in 0..rng.below(3) {
        identity.push(decoy_policy(rng, &world, Side::Identity));
    }
    rng.shuffle(&mut identity);
    let trust = policy(rng, &world, Side::Trust, permits("trust"));
    let levels = |rng: &mut Rng, side: Side, n: usize, part: &str| -> Vec<Value> {
        let stopper = rng.below(n.max(1));
        (0..n)
            .map(|level| {
                let mut docs = vec![policy(rng, &world, side, permits(part) || level != stopper)];
                if rng.percent(40) {
                    docs.push(decoy_policy(rng, &world, side));
                }
                rng.shuffle(&mut docs);
                if docs.len() == 1 && rng.percent(50) {
                    docs.remove(0)
                } else {
                    Value::Array(docs)
                }
            })
            .collect()
    };
    let scp = levels(rng, Side::Scp, scp_levels, "scp");
    let rcp = levels(rng, Side::Rcp, rcp_levels, "rcp");
    let boundary = has_boundary.then(|| policy(rng, &world, Side::Identity, permits("boundary")));
    let session =
        has_session_policy.then(|| policy(rng, &world, Side::Identity, permits("session")));

    let given_context: Map<String, Value> = given
        .iter()
        .map(|k| (k.to_string(), json!(world.context[k])))
        .collect();
    json!({
        "source_role_arn": source_role_arn,
        "role_arn": role_arn,
        "session_name": session_name,
        "source_session_name": source_session_name,
        "external_id": external_id,
        "identity_policies": identity,
        "trust_policy": trust,
        "permissions_boundary": boundary,
        "session_policy": session,
        "scp_levels": scp,
        "rcp_levels": rcp,
        "context": given_context,
        "absent": absent,
    })
}

/// The keys a setup may leave out of the request (and state absent with `--absent`).
const ABSENT_CANDIDATES: &[&str] = &[
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:ResourceOrgID",
    "aws:SourceVpce",
    "aws:SourceIp",
    "aws:PrincipalTag/team",
    "aws:PrincipalTag/env",
    "aws:PrincipalTag/target",
];

/// One policy document for `side`: with `permits`, a statement that lets the request through
/// and none that stops it; without, either no statement that lets it through or one that
/// denies it. Plus statements that do not apply to the request.
fn policy(rng: &mut Rng, world: &World, side: Side, permits: bool) -> Value {
    let mut statements = Vec::new();
    let deny_only = side == Side::Rcp;
    if deny_only {
        if !permits {
            statements.push(statement(rng, world, side, "Deny", true));
        }
        statements.push(statement(rng, world, side, "Deny", false));
    } else if permits || rng.percent(50) {
        if side == Side::Scp && rng.percent(40) {
            statements.push(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}));
        } else {
            statements.push(statement(rng, world, side, "Allow", true));
        }
        if !permits {
            statements.push(statement(rng, world, side, "Deny", true));
        }
    } else {
        statements.push(statement(rng, world, side, "Allow", false));
    }
    for _ in 0..rng.below(3) {
        let effect = if deny_only || rng.percent(50) {
            "Deny"
        } else {
            "Allow"
        };
        statements.push(statement(rng, world, side, effect, false));
    }
    rng.shuffle(&mut statements);
    statement_list(rng, side, statements)
}

/// A document none of whose statements applies to the request.
fn decoy_policy(rng: &mut Rng, world: &World, side: Side) -> Value {
    let statements: Vec<Value> = (0..1 + rng.below(2))
        .map(|_| {
            let effect = if side == Side::Rcp || rng.percent(50) {
                "Deny"
            } else {
                "Allow"
            };
            statement(rng, world, side, effect, false)
        })
        .collect();
    statement_list(rng, side, statements)
}

/// A document of `statements`; one statement is now and then written as an object, not a list.
fn statement_list(rng: &mut Rng, side: Side, mut statements: Vec<Value>) -> Value {
    let one = statements.len() == 1 && rng.percent(30);
    let statements = if one {
        statements.remove(0)
    } else {
        Value::Array(statements)
    };
    // Now and then the old version, under which IAM reads `${...}` as plain text (not in
    // organization policies, which must be 2012-10-17).
    let version = if matches!(side, Side::Identity | Side::Trust) && rng.percent(6) {
        "2008-10-17"
    } else {
        "2012-10-17"
    };
    json!({"Version": version, "Statement": statements})
}

/// One statement that applies to the request (action, resource, principal and condition all
/// match) or, with `applies` false, one whose action, resource, principal or condition does
/// not.
fn statement(rng: &mut Rng, world: &World, side: Side, effect: &str, applies: bool) -> Value {
    let mut parts = vec!["action", "condition"];
    if side == Side::Trust {
        parts.push("principal");
    } else {
        parts.push("resource");
    }
    let misses = if applies { "" } else { rng.pick(&parts) };
    let mut s = Map::new();
    if rng.percent(25) {
        s.insert("Sid".into(), json!(format!("S{}", rng.below(100))));
    }
    s.insert("Effect".into(), json!(effect));
    match side {
        Side::Trust => {
            s.insert(
                "Principal".into(),
                principal(rng, world, misses != "principal"),
            );
        }
        Side::Rcp => {
            s.insert("Principal".into(), json!("*"));
        }
        _ => {}
    }
    let (key, actions) = actions(rng, side, misses != "action");
    s.insert(key.into(), actions);
    if side != Side::Trust {
        let (key, resources) = resources(rng, world, side, misses != "resource");
        s.insert(key.into(), resources);
    }
    if misses == "condition" || rng.percent(45) || side == Side::Rcp {
        s.insert(
            "Condition".into(),
            condition(rng, world, side, misses != "condition"),
        );
    }
    Value::Object(s)
}

/// `Action` or `NotAction` with values that do (or do not) cover sts:AssumeRole.
fn actions(rng: &mut Rng, side: Side, matching: bool) -> (&'static str, Value) {
    let (hits, misses): (&[&str], &[&str]) = if side == Side::Trust {
        (
            &[
                "sts:AssumeRole",
                "sts:AssumeRole",
                "sts:*",
                "sts:Assume*",
                "sts:AssumeRol?",
                "STS:assumerole",
                "*",
            ],
            &[
                "sts:TagSession",
                "sts:SetSourceIdentity",
                "sts:AssumeRoleWithWebIdentity",
                "sts:AssumeRoleWithSAML",
            ],
        )
    } else {
        (
            &[
                "sts:AssumeRole",
                "sts:AssumeRole",
                "sts:*",
                "*",
                "sts:Assume*",
                "sts:AssumeRol?",
                "sts:assumerole",
                "sts:?ssumeRole",
                "sts:*Role",
                "sts:AssumeRole*",
            ],
            &[
                "sts:AssumeRoleWithSAML",
                "sts:TagSession",
                "s3:GetObject",
                "sts:AssumeRole?",
                "sts:Get*",
                "iam:PassRole",
                "sts:AssumeRoleWith*",
                "ec2:*",
            ],
        )
    };
    // RCPs take neither NotAction nor `*` actions, and only the services RCPs cover.
    let rcp_ok = |a: &&str| !a.contains('*') || a.starts_with("sts:");
    let (hits, misses): (Vec<&str>, Vec<&str>) = if side == Side::Rcp {
        (
            hits.iter().copied().filter(rcp_ok).collect(),
            misses
                .iter()
                .copied()
                .filter(|a| rcp_ok(a) && (a.starts_with("sts:") || a.starts_with("s3:")))
                .collect(),
        )
    } else {
        (hits.to_vec(), misses.to_vec())
    };
    let not = match side {
        Side::Trust => rng.percent(10),
        Side::Rcp => false,
        _ => rng.percent(25),
    };
    // NotAction covers the request when none of its values does.
    let want_hit = matching != not;
    (
        if not { "NotAction" } else { "Action" },
        values(rng, &hits, &misses, want_hit),
    )
}

/// `Resource` or `NotResource` with values that do (or do not) cover the role's ARN.
fn resources(rng: &mut Rng, world: &World, side: Side, matching: bool) -> (&'static str, Value) {
    let (a, path, name) = (&world.role_account, &world.role_path, &world.role_name);
    let glob = glob_of(rng, name);
    let prefix: String = name.chars().take(1 + rng.below(name.len())).collect();
    let mut hits = [
        world.role_arn.clone(),
        world.role_arn.clone(),
        "*".into(),
        format!("arn:aws:iam::{a}:role/*"),
        "arn:aws:iam::*:role/*".into(),
        format!("arn:aws:iam::{a}:role/{path}{glob}"),
        format!("arn:aws:iam::{a}:*"),
        format!("arn:aws:iam::*:role/{path}{prefix}*"),
        format!("arn:aws:iam::{a}:role/*{}", &name[name.len() - 3..]),
    ]
    .to_vec();
    let mut misses = vec![
        format!("arn:aws:iam::{a}:role/other-role"),
        format!("arn:aws:iam::{THIRD_ACCOUNT}:role/{path}{name}"),
        format!("{}?", world.role_arn),
        format!("arn:aws:iam::{a}:role/{path}{}", swap_case(name)),
        "arn:aws:s3:::example-bucket/*".into(),
        format!("arn:aws:iam::{a}:user/*"),
    ];
    if !path.is_empty() {
        misses.push(format!("arn:aws:iam::{a}:role/{name}"));
    }
    // A policy variable in the resource part (the oracle does not substitute one in the
    // account field, so none is written there): covers the role when the tag names it.
    let variable = format!("arn:aws:iam::{a}:role/{path}${{aws:PrincipalTag/target}}");
    if world.context["aws:PrincipalTag/target"] == [name.clone()] {
        hits.push(variable);
    } else {
        misses.push(variable);
    }
    let not = rng.percent(if side == Side::Rcp { 5 } else { 25 });
    let want_hit = matching != not;
    let hits: Vec<&str> = hits.iter().map(String::as_str).collect();
    let misses: Vec<&str> = misses.iter().map(String::as_str).collect();
    (
        if not { "NotResource" } else { "Resource" },
        values(rng, &hits, &misses, want_hit),
    )
}

/// A trust statement's `Principal` that does (or does not) cover the caller's session.
fn principal(rng: &mut Rng, world: &World, matching: bool) -> Value {
    let a = SOURCE_ACCOUNT;
    let hits = [
        json!("*"),
        json!({"AWS": "*"}),
        json!({"AWS": a}),
        json!({"AWS": format!("arn:aws:iam::{a}:root")}),
        json!({"AWS": world.source_role_arn}),
        json!({"AWS": world.source_role_arn}),
        json!({"AWS": [format!("arn:aws:iam::{THIRD_ACCOUNT}:root"), world.source_role_arn]}),
        json!({"AWS": session_arn(&world.source_role_arn, &world.source_session_name)}),
    ];
    let misses = [
        json!({"AWS": session_arn(&world.source_role_arn, "another-session")}),
        json!({"AWS": THIRD_ACCOUNT}),
        json!({"AWS": format!("arn:aws:iam::{THIRD_ACCOUNT}:root")}),
        json!({"AWS": format!("arn:aws:iam::{a}:role/other-role")}),
        json!({"Service": "ecs-tasks.amazonaws.com"}),
        json!({"AWS": [format!("arn:aws:iam::{a}:role/other-role"), THIRD_ACCOUNT]}),
    ];
    if matching {
        rng.pick(&hits)
    } else {
        rng.pick(&misses)
    }
}

/// One value, or a list of up to three, that contains a hit exactly when `hit`.
fn values(rng: &mut Rng, hits: &[&str], misses: &[&str], hit: bool) -> Value {
    let mut out: Vec<&str> = Vec::new();
    if hit {
        out.push(rng.pick(hits));
    }
    let extra = if hit { rng.below(3) } else { 1 + rng.below(2) };
    for _ in 0..extra {
        let m = rng.pick(misses);
        if !out.contains(&m) {
            out.push(m);
        }
    }
    rng.shuffle(&mut out);
    if out.len() == 1 && rng.percent(70) {
        json!(out[0])
    } else {
        json!(out)
    }
}

/// `name` with one or two characters replaced by `?` or a run by `*`: still matches it.
fn glob_of(rng: &mut Rng, name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let i = rng.below(chars.len());
    if rng.percent(50) {
        let mut c = chars.clone();
        c[i] = '?';
        c.into_iter().collect()
    } else {
        let j = i + rng.below(chars.len() - i);
        let mut s: String = chars[..i].iter().collect();
        s.push('*');
        s.extend(&chars[j..]);
        s
    }
}

fn swap_case(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_uppercase() {
                c.to_ascii_lowercase()
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Conditions.

#[derive(Clone, Copy, PartialEq)]
enum KeyKind {
    Text,
    Arn,
    Ip,
    Bool,
    Multi,
    Date,
    Number,
}

fn kind_of(key: &str) -> KeyKind {
    match key {
        "aws:PrincipalArn" => KeyKind::Arn,
        "aws:SourceIp" => KeyKind::Ip,
        "aws:SecureTransport" | "aws:PrincipalIsAWSService" => KeyKind::Bool,
        "aws:PrincipalOrgPaths" => KeyKind::Multi,
        "aws:CurrentTime" => KeyKind::Date,
        "aws:EpochTime" => KeyKind::Number,
        _ => KeyKind::Text,
    }
}

/// The keys a condition on `side` draws from (repeats weigh the usual ones).
fn keys_for(side: Side) -> &'static [&'static str] {
    match side {
        Side::Trust => &[
            "sts:ExternalId",
            "sts:ExternalId",
            "sts:ExternalId",
            "aws:PrincipalOrgID",
            "aws:PrincipalArn",
            "aws:PrincipalArn",
            "aws:PrincipalAccount",
            "aws:PrincipalTag/team",
            "aws:SourceIp",
            "aws:SourceVpce",
            "sts:RoleSessionName",
            "aws:PrincipalOrgPaths",
            "aws:SourceAccount",
            "aws:PrincipalType",
            "aws:SecureTransport",
            "aws:CurrentTime",
        ],
        Side::Rcp => &[
            "aws:PrincipalOrgID",
            "aws:PrincipalOrgID",
            "aws:PrincipalOrgID",
            "aws:PrincipalIsAWSService",
            "aws:SecureTransport",
            "aws:SourceVpce",
            "aws:SourceIp",
            "aws:PrincipalArn",
            "aws:PrincipalAccount",
            "aws:ResourceOrgID",
            "aws:PrincipalOrgPaths",
            "sts:ExternalId",
        ],
        Side::Scp => &[
            "aws:RequestedRegion",
            "aws:RequestedRegion",
            "aws:RequestedRegion",
            "aws:ResourceOrgID",
            "aws:ResourceOrgID",
            "aws:PrincipalTag/team",
            "aws:PrincipalTag/env",
            "aws:SourceVpce",
            "aws:SourceIp",
            "aws:PrincipalArn",
            "sts:ExternalId",
            "sts:RoleSessionName",
            "aws:PrincipalOrgPaths",
            "aws:CurrentTime",
        ],
        Side::Identity => &[
            "aws:RequestedRegion",
            "aws:ResourceOrgID",
            "aws:PrincipalTag/team",
            "aws:PrincipalTag/env",
            "aws:PrincipalOrgID",
            "aws:SourceVpce",
            "aws:SourceIp",
            "aws:PrincipalArn",
            "aws:PrincipalAccount",
            "sts:ExternalId",
            "sts:RoleSessionName",
            "aws:SecureTransport",
            "aws:PrincipalOrgPaths",
            "aws:CurrentTime",
            "aws:EpochTime",
        ],
    }
}

/// A `Condition` block that holds (or not) for the request: one to three key tests, all
/// holding, or all but one.
fn condition(rng: &mut Rng, world: &World, side: Side, holds: bool) -> Value {
    let n = match rng.below(10) {
        0..=5 => 1,
        6..=8 => 2,
        _ => 3,
    };
    let failing = if holds { usize::MAX } else { rng.below(n) };
    let mut block: Map<String, Value> = Map::new();
    for i in 0..n {
        let want = i != failing;
        for _ in 0..500 {
            let (op, key, vals) = key_test(rng, world, side);
            // IAM reads condition keys case-insensitively; now and then write one otherwise.
            let written = match rng.below(12) {
                0 => key.to_ascii_lowercase(),
                1 => key.to_ascii_uppercase(),
                _ => key.to_owned(),
            };
            let taken = block
                .get(&op)
                .and_then(Value::as_object)
                .is_some_and(|m| m.keys().any(|k| k.eq_ignore_ascii_case(key)));
            if taken || test_holds(&op, &vals, &world.context[key]) != want {
                continue;
            }
            let entry = block.entry(op).or_insert_with(|| json!({}));
            entry[written.as_str()] = if vals.len() == 1 && rng.percent(60) {
                json!(vals[0])
            } else {
                json!(vals)
            };
            break;
        }
    }
    Value::Object(block)
}

/// A random test of one key: operator, key, values.
fn key_test(rng: &mut Rng, world: &World, side: Side) -> (String, &'static str, Vec<String>) {
    let key = rng.pick(keys_for(side));
    let actual = &world.context[key];
    if rng.percent(8) {
        return (
            "Null".into(),
            key,
            vec![rng.pick(&["true", "false"]).into()],
        );
    }
    let kind = kind_of(key);
    let (op, pool): (String, Vec<String>) = match kind {
        KeyKind::Text => {
            let mut op: String = rng
                .pick(&[
                    "StringEquals",
                    "StringNotEquals",
                    "StringEqualsIgnoreCase",
                    "StringNotEqualsIgnoreCase",
                    "StringLike",
                    "StringNotLike",
                ])
                .into();
            if rng.percent(25) {
                op.push_str("IfExists");
            } else if rng.percent(5) {
                op = format!("{}:{op}", rng.pick(&["ForAnyValue", "ForAllValues"]));
            }
            (op, text_pool(rng, key, actual))
        }
        KeyKind::Arn => {
            let mut op: String = rng
                .pick(&[
                    "ArnEquals",
                    "ArnLike",
                    "ArnNotEquals",
                    "ArnNotLike",
                    "StringLike",
                    "StringEquals",
                ])
                .into();
            if rng.percent(20) {
                op.push_str("IfExists");
            }
            let a = SOURCE_ACCOUNT;
            let arn = &world.source_role_arn;
            let pool = vec![
                arn.clone(),
                format!("arn:aws:iam::{a}:role/*"),
                "arn:aws:iam::*:role/*my-ECS-*".into(),
                format!("{}?", &arn[..arn.len() - 1]),
                format!("arn:aws:iam::{a}:role/my-ECS-task-role"),
                format!("arn:aws:iam::{a}:role/ecs/my-ECS-task-role"),
                format!("arn:aws:iam::{a}:role/other-role"),
                format!("arn:aws:iam::{THIRD_ACCOUNT}:role/*"),
                format!("arn:aws:iam::{a}:role/MY-ECS-TASK-ROLE"),
            ];
            (op, pool)
        }
        KeyKind::Ip => (
            rng.pick(&["IpAddress", "NotIpAddress"]).into(),
            [
                "10.0.0.0/8",
                "10.20.30.0/24",
                "192.0.2.0/24",
                "203.0.113.77/32",
                "172.16.0.0/12",
                "198.51.100.0/24",
            ]
            .map(String::from)
            .to_vec(),
        ),
        KeyKind::Date => (
            rng.pick(&[
                "DateGreaterThan",
                "DateLessThan",
                "DateGreaterThanEquals",
                "DateLessThanEqualsIfExists",
                "DateEquals",
                "DateNotEquals",
            ])
            .into(),
            [
                "2026-01-01T00:00:00Z",
                "2026-12-02T04:30:00Z",
                "2027-06-30T23:59:59Z",
                "2025-05-01",
            ]
            .map(String::from)
            .to_vec(),
        ),
        KeyKind::Number => (
            rng.pick(&[
                "NumericLessThan",
                "NumericGreaterThanEquals",
                "NumericEquals",
                "NumericNotEquals",
                "NumericLessThanEqualsIfExists",
            ])
            .into(),
            ["1764649800", "1700000000", "1800000000"]
                .map(String::from)
                .to_vec(),
        ),
        KeyKind::Bool => (
            rng.pick(&["Bool", "BoolIfExists"]).into(),
            vec!["true".into(), "false".into()],
        ),
        KeyKind::Multi => (
            rng.pick(&[
                "ForAnyValue:StringLike",
                "ForAllValues:StringLike",
                "ForAnyValue:StringEquals",
                "ForAnyValue:StringNotLike",
            ])
            .into(),
            vec![
                format!("{ORG}/*"),
                format!("{ORG}/r-ab12/ou-ab12-11111111/*"),
                format!("{ORG}/r-ab12/ou-ab12-11111111/"),
                format!("{ORG}/r-ab12/ou-ab12-22222222/*"),
                format!("{OTHER_ORG}/*"),
                format!("{ORG}/r-ab12/ou-ab12-2222222?/*"),
            ],
        ),
    };
    let n = 1 + rng.below(if kind == KeyKind::Bool { 1 } else { 3 });
    let mut vals: Vec<String> = Vec::new();
    for _ in 0..n {
        let v = rng.pick(&pool);
        if !vals.contains(&v) {
            vals.push(v);
        }
    }
    (op, key, vals)
}

/// Values a text key's test may use: its actual value, others of its kind, and globs.
fn text_pool(rng: &mut Rng, key: &str, actual: &[String]) -> Vec<String> {
    let mut pool: Vec<String> = match key {
        "aws:PrincipalOrgID" | "aws:ResourceOrgID" => vec![ORG.into(), OTHER_ORG.into()],
        "aws:SourceVpce" => vec!["vpce-0a1b2c3d4e5f67890".into(), "vpce-1*".into()],
        "aws:RequestedRegion" => vec![
            "us-east-1".into(),
            "eu-west-1".into(),
            "eu-*".into(),
            "us-*".into(),
        ],
        "aws:PrincipalTag/team" => vec![
            "platform".into(),
            "data".into(),
            "${aws:PrincipalTag/env}".into(),
            "${sts:ExternalId, 'platform'}".into(),
        ],
        "aws:PrincipalTag/env" => vec!["prod".into(), "dev".into()],
        "aws:PrincipalAccount" | "aws:SourceAccount" => vec![
            SOURCE_ACCOUNT.into(),
            THIRD_ACCOUNT.into(),
            "${aws:PrincipalAccount}".into(),
        ],
        "aws:PrincipalType" => vec!["AssumedRole".into(), "User".into()],
        "sts:RoleSessionName" => vec![
            "rolehop".into(),
            "rolehop-*".into(),
            "web.?".into(),
            "${aws:PrincipalTag/team}*".into(),
        ],
        "sts:ExternalId" => vec![
            "ext-1a2b3c".into(),
            "Partner-Ext-77".into(),
            "ext-*".into(),
            "other-id".into(),
        ],
        _ => vec!["x".into()],
    };
    if let Some(v) = actual.first() {
        pool.push(v.clone());
        pool.push(swap_case(v));
        pool.push(glob_of(rng, v));
        pool.push(format!("{v}?"));
    }
    pool
}

/// Whether `op` over `values` holds for a key with `actual` values (none: absent) — IAM's
/// rules as the generator understands them, only to aim at an outcome; the oracle decides.
fn test_holds(op: &str, values: &[String], actual: &[String]) -> bool {
    let (set, rest) = match op.split_once(':') {
        Some((set, rest)) => (set, rest),
        None => ("", op),
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    if base == "Null" {
        return (values[0] == "true") == actual.is_empty();
    }
    let negated = base.starts_with("StringNot")
        || base.starts_with("ArnNot")
        || base == "NotIpAddress"
        || base == "DateNotEquals"
        || base == "NumericNotEquals";
    if actual.is_empty() {
        return if_exists || set == "ForAllValues" || (set.is_empty() && negated);
    }
    if let Some(op) = base
        .strip_prefix("Date")
        .or_else(|| base.strip_prefix("Numeric"))
    {
        // Dates compare by their digits in the one format the generator writes them in.
        let number = |v: &str| -> f64 {
            v.parse().unwrap_or_else(|_| {
                let digits: String = v.chars().filter(char::is_ascii_digit).collect();
                format!("{digits:0<14}").parse().unwrap_or(0.0)
            })
        };
        let a = number(&actual[0]);
        return values.iter().any(|v| {
            let w = number(v);
            match op {
                "Equals" => a == w,
                "NotEquals" => a != w,
                "LessThan" => a < w,
                "LessThanEquals" => a <= w,
                "GreaterThan" => a > w,
                _ => a >= w,
            }
        });
    }
    let positive = base
        .replace("StringNot", "String")
        .replace("ArnNot", "Arn")
        .replace("NotIpAddress", "IpAddress");
    let matches = |pattern: &str, value: &str| match positive.as_str() {
        "StringEquals" => pattern == value,
        "StringEqualsIgnoreCase" | "Bool" => pattern.eq_ignore_ascii_case(value),
        "StringLike" | "ArnLike" | "ArnEquals" => glob(pattern, value),
        "IpAddress" => in_cidr(pattern, value),
        _ => false,
    };
    let one = |value: &str| values.iter().any(|p| matches(p, value)) != negated;
    match set {
        "ForAnyValue" => actual.iter().any(|v| one(v)),
        "ForAllValues" => actual.iter().all(|v| one(v)),
        _ => one(&actual[0]),
    }
}

/// `*` any run, `?` any one character.
fn glob(pattern: &str, value: &str) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    let (mut pi, mut vi, mut star, mut mark) = (0, 0, None, 0);
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = vi;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            vi = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn in_cidr(cidr: &str, ip: &str) -> bool {
    let parse = |s: &str| s.parse::<std::net::Ipv4Addr>().ok().map(u32::from);
    let Some((net, bits)) = cidr.split_once('/') else {
        return false;
    };
    let (Some(net), Some(ip), Ok(bits)) = (parse(net), parse(ip), bits.parse::<u32>()) else {
        return false;
    };
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    net & mask == ip & mask
}
