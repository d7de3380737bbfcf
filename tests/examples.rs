//! Every file in `examples/` and `docker/` is exercised: the policies pass `rolehop check`, the
//! CloudFormation templates pass cfn-lint and their policies pass `rolehop check`, the
//! Dockerfile passes hadolint. (The AWS config file, the boto3 app and the config file are run
//! by real clients in `interfaces.rs` and `profiles.rs`; the demo is the README's first command.)

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::rolehop::{Rolehop, Workdir, base_env};
use crate::support::{DESTINATION_ROLE_ARN, TASK_ROLE_ARN, require_tool};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

async fn check(args: &[&str]) -> (i32, String) {
    let work = Workdir::new();
    let mut argv = vec!["check"];
    argv.extend_from_slice(args);
    let (code, stdout, _) = Rolehop::run(&argv, &base_env(work.dir.path())).await;
    (code, stdout)
}

#[tokio::test]
async fn the_example_policies_pass_check() {
    let p = |f: &str| {
        repo(&format!("examples/policies/{f}"))
            .display()
            .to_string()
    };
    let roles = [
        "--role-arn",
        DESTINATION_ROLE_ARN,
        "--source-role-arn",
        TASK_ROLE_ARN,
    ];
    let cases: Vec<Vec<String>> = vec![
        vec![
            "--trust-policy".into(),
            p("trust-policy.json"),
            "--identity-policy".into(),
            p("identity-policy.json"),
        ],
        vec![
            "--trust-policy".into(),
            p("trust-policy-external-id.json"),
            "--identity-policy".into(),
            p("identity-policy.json"),
            "--external-id".into(),
            "rolehop-demo-external-id".into(),
        ],
        vec![
            "--trust-policy".into(),
            p("trust-policy-session-tags.json"),
            "--identity-policy".into(),
            p("identity-policy-session-tags.json"),
            "--session-tags".into(),
            "--source-identity".into(),
        ],
    ];
    for case in cases {
        let mut args: Vec<&str> = case.iter().map(String::as_str).collect();
        args.extend_from_slice(&roles);
        let (code, report) = check(&args).await;
        assert_eq!(code, 0, "{args:?}:\n{report}");
        assert!(
            !report.contains("FAIL") && !report.contains("WARN"),
            "{report}"
        );
    }
    // The external-id variant really requires one.
    let (code, report) = check(&[
        "--trust-policy",
        &p("trust-policy-external-id.json"),
        "--source-role-arn",
        TASK_ROLE_ARN,
        "--role-arn",
        DESTINATION_ROLE_ARN,
    ])
    .await;
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("trust.external-id"), "{report}");
}

/// The `AWS::IAM::Role` of `template` named `name`.
fn role<'a>(template: &'a Value, name: &str) -> &'a Value {
    template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["Type"] == "AWS::IAM::Role" && r["Properties"]["RoleName"] == name)
        .unwrap_or_else(|| panic!("no role {name} in {template}"))
}

/// The document of `role`'s inline policy `name`.
fn inline_policy<'a>(role: &'a Value, name: &str) -> &'a Value {
    &role["Properties"]["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["PolicyName"] == name)
        .unwrap_or_else(|| panic!("no inline policy {name} in {role}"))["PolicyDocument"]
}

/// `examples/cloudformation/` is what `rolehop setup` writes (its regenerate.sh, run into a
/// scratch directory with this build's binary, reproduces both files byte for byte).
#[tokio::test]
async fn the_cloudformation_examples_are_what_setup_writes() {
    let work = Workdir::new();
    let mut env = base_env(work.dir.path());
    env.push(("ROLEHOP".into(), crate::support::rolehop::BIN.into()));
    let out = work.path("out");
    std::fs::create_dir_all(&out).unwrap();
    let (code, stdout, stderr) = crate::support::run_process(
        &repo("examples/cloudformation/regenerate.sh"),
        &[&out.display().to_string()],
        &env,
        std::time::Duration::from_secs(60),
    )
    .await;
    assert_eq!(code, 0, "regenerate.sh:\n{stdout}\n{stderr}");
    for name in ["source-account.json", "destination-account.json"] {
        let shipped = repo(&format!("examples/cloudformation/{name}"));
        assert!(
            std::fs::read_to_string(out.join(name)).unwrap()
                == std::fs::read_to_string(&shipped).unwrap(),
            "{} is not what rolehop setup writes: run examples/cloudformation/regenerate.sh",
            shipped.display()
        );
    }
}

#[tokio::test]
async fn the_cloudformation_templates_lint_clean_and_their_policies_pass_check() {
    let source = repo("examples/cloudformation/source-account.json");
    let destination = repo("examples/cloudformation/destination-account.json");
    let lint = tokio::process::Command::new(require_tool("cfn-lint"))
        .arg(&source)
        .arg(&destination)
        .output()
        .await
        .unwrap();
    assert!(
        lint.status.success(),
        "cfn-lint: {}",
        String::from_utf8_lossy(&lint.stdout)
    );

    let load = |path: &Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let src = load(&source);
    let dst = load(&destination);
    let task_role = role(&src, "my-ECS-task-role");
    let execution_role = role(&src, "ecsTaskExecutionRole");
    let work = Workdir::new();
    let write = |name: &str, doc: &Value| {
        let path = work.path(name);
        std::fs::write(&path, doc.to_string()).unwrap();
        path.display().to_string()
    };
    let identity = write(
        "identity.json",
        inline_policy(task_role, "rolehop-assume-destination-account-role"),
    );
    let trust = write(
        "trust.json",
        &role(&dst, "destination-account-role")["Properties"]["AssumeRolePolicyDocument"],
    );
    let task_trust = write(
        "task-trust.json",
        &task_role["Properties"]["AssumeRolePolicyDocument"],
    );
    let execution_trust = write(
        "execution-trust.json",
        &execution_role["Properties"]["AssumeRolePolicyDocument"],
    );
    let managed = execution_role["Properties"]["ManagedPolicyArns"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let (code, report) = check(&[
        "--trust-policy",
        &trust,
        "--identity-policy",
        &identity,
        "--role-arn",
        DESTINATION_ROLE_ARN,
        "--source-role-arn",
        TASK_ROLE_ARN,
        "--service-role-trust",
        &format!("task={task_trust}"),
        "--service-role-trust",
        &format!("execution={execution_trust}"),
        "--managed-policy-arn",
        &managed,
    ])
    .await;
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains("PASS trust.allows") && report.contains("PASS identity.assume-role"),
        "{report}"
    );

    // The execution role's log-group policy, for each shipped definition's group (as
    // task-definitions/README.md documents it): with it the definition passes, without it fails.
    let logs = inline_policy(execution_role, "rolehop-create-log-group").to_string();
    let template_group = "/ecs/rolehop-cross-account";
    assert!(
        logs.contains(&format!("log-group:{template_group}\"")),
        "{logs}"
    );
    let other = write(
        "execution-other.json",
        &serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}),
    );
    for entry in std::fs::read_dir(repo("task-definitions")).unwrap() {
        let td = entry.unwrap().path();
        if td.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let group =
            load(&td)["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-group"]
                .as_str()
                .unwrap()
                .to_owned();
        let logs = write(
            "execution-logs.json",
            &serde_json::from_str(&logs.replace(template_group, &group)).unwrap(),
        );
        let td = td.display().to_string();
        for (policy, want) in [(&logs, 0), (&other, 1)] {
            let (code, report) =
                check(&["--task-definition", &td, "--execution-role-policy", policy]).await;
            let status = if want == 0 { "PASS" } else { "FAIL" };
            assert!(
                code == want && report.contains(&format!("{status} ecs.log-permissions")),
                "{td} with {policy}:\n{report}"
            );
        }
    }
}

#[tokio::test]
async fn the_dockerfiles_pass_hadolint() {
    for file in ["docker/Dockerfile", "docker/app.Dockerfile"] {
        let out = tokio::process::Command::new(require_tool("hadolint"))
            .arg(repo(file))
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "hadolint {file}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn the_imds_example_agrees_with_its_listener_flag_and_the_readme() {
    let example = include_str!("../examples/aws-config/imds.env");
    let endpoint = example
        .lines()
        .find_map(|l| l.strip_prefix("AWS_EC2_METADATA_SERVICE_ENDPOINT="))
        .expect("the variable");
    let addr = endpoint.trim_start_matches("http://").trim_end_matches('/');
    assert!(
        example.contains(&format!("--imds-listen {addr}")),
        "{example}"
    );
    let readme = include_str!("../README.md");
    assert!(
        readme.contains(&format!("--imds-listen {addr}")) && readme.contains(endpoint),
        "README shows another address"
    );
}

/// Every inline identity policy the documentation puts (`--policy-name` before an
/// `identity-policy*.json` document) has the name `rolehop check`'s fix and `setup`'s
/// commands.sh use (`rolehop-assume-ROLE`): under another name, applying check's fix would add a
/// second policy and leave the broken one in place.
#[test]
fn documented_identity_policies_have_the_name_checks_fix_uses() {
    let mut docs = vec![repo("README.md"), repo("examples/policies/README.md")];
    for dir in ["docs", "task-definitions"] {
        for entry in std::fs::read_dir(repo(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md") {
                docs.push(path);
            }
        }
    }
    let mut seen = 0;
    for doc in docs {
        let text = std::fs::read_to_string(&doc).unwrap().replace("\\\n", " ");
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let arg = |flag: &str| {
                words
                    .iter()
                    .position(|w| *w == flag)
                    .and_then(|i| words.get(i + 1))
            };
            let (Some(name), Some(document)) = (arg("--policy-name"), arg("--policy-document"))
            else {
                continue;
            };
            if !document.contains("identity-policy") {
                continue;
            }
            seen += 1;
            // The name ends in the role assumed, which the line does not say: its prefix.
            let prefix = rolehop::check::fix::assume_policy_name("");
            assert!(
                name.starts_with(&prefix) && name.len() > prefix.len(),
                "{}: {line}",
                doc.display()
            );
        }
    }
    assert!(
        seen >= 2,
        "the README's fix and the policies' README put one"
    );
}
