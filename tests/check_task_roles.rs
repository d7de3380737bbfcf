//! `check --task-definition FILE --online` reads the task role's and the execution role's
//! policies from IAM (moto) when no `--identity-policy`/`--execution-role-policy` is given, so
//! ECS Exec's `ssmmessages` check and the log group's `logs:CreateLogGroup` check decide online,
//! and each finding says where the policies came from.

use serde_json::Value;

use crate::support::moto::iam_in;
use crate::support::rolehop::Rolehop;
use crate::support::{Stack, TASK_ROLE_ARN};

const TASK_DEFINITION: &str = "task-definitions/fargate-unmodified-image.json";

/// `rolehop check --task-definition FILE --format json ARGS` in the stand-in task (its task
/// role's credentials, IAM and STS in moto): the findings of `id` as (status, message).
async fn check(stack: &Stack, file: &str, args: &[&str], id: &str) -> Vec<(String, String)> {
    let mut env = stack.rolehop_env();
    env.push(("AWS_ENDPOINT_URL".into(), stack.moto.url.clone()));
    let mut argv = vec!["check", "--task-definition", file, "--format", "json"];
    argv.extend_from_slice(args);
    let (_, stdout, stderr) = Rolehop::run(&argv, &env).await;
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("no report ({e}): {stdout}\n{stderr}"));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id)
        .map(|f| {
            (
                f["status"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn statuses(findings: &[(String, String)]) -> Vec<&str> {
    findings.iter().map(|(s, _)| s.as_str()).collect()
}

fn repo(path: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_the_task_definitions_roles_are_read_from_iam() {
    let stack = Stack::start().await;
    let a = iam_in(&stack.moto.url, "111122223333").await;
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    for role in ["my-ECS-task-role", "ecsTaskExecutionRole"] {
        a.create_role()
            .role_name(role)
            .assume_role_policy_document(trust)
            .send()
            .await
            .unwrap();
    }
    let assume = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::555566667777:role/destination-account-role"}]}"#;
    a.put_role_policy()
        .role_name("my-ECS-task-role")
        .policy_name("assume-destination")
        .policy_document(assume)
        .send()
        .await
        .unwrap();
    let read_token = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
    a.put_role_policy()
        .role_name("ecsTaskExecutionRole")
        .policy_name("read-token")
        .policy_document(read_token)
        .send()
        .await
        .unwrap();
    let td = repo(TASK_DEFINITION);

    // Offline: neither role's policies are known.
    let exec = check(&stack, &td, &[], "ecs-exec.task-role").await;
    assert_eq!(statuses(&exec), ["unknown"], "{exec:?}");
    let logs = check(&stack, &td, &[], "ecs.log-permissions").await;
    assert!(
        statuses(&logs).iter().all(|s| *s == "unknown") && logs.len() == 3,
        "{logs:?}"
    );

    // Online: read from IAM, and neither role grants what the task needs.
    let exec = check(&stack, &td, &["--online"], "ecs-exec.task-role").await;
    assert_eq!(statuses(&exec), ["fail"], "{exec:?}");
    assert!(
        exec[0].1.contains(
            "the policies IAM shows on my-ECS-task-role (inline policy assume-destination of my-ECS-task-role)"
        ) && exec[0].1.contains("ssmmessages:CreateControlChannel"),
        "{}",
        exec[0].1
    );
    let logs = check(&stack, &td, &["--online"], "ecs.log-permissions").await;
    assert_eq!(statuses(&logs), ["fail"; 3], "{logs:?}");
    assert!(
        logs[0]
            .1
            .contains("the policies IAM shows on ecsTaskExecutionRole (inline policy read-token of ecsTaskExecutionRole)"),
        "{}",
        logs[0].1
    );

    // The ECS Exec statement as an attached managed policy, the log group as an inline one.
    let exec_policy = serde_json::json!({"Version": "2012-10-17",
        "Statement": [rolehop::ecs_exec::task_role_statement()]});
    let created = a
        .create_policy()
        .policy_name("ecs-exec")
        .policy_document(exec_policy.to_string())
        .send()
        .await
        .unwrap();
    let arn = created.policy.unwrap().arn.unwrap();
    a.attach_role_policy()
        .role_name("my-ECS-task-role")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    let create_group = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:CreateLogGroup","Resource":"arn:aws:logs:us-east-1:111122223333:log-group:/ecs/rolehop-unmodified-app:*"}]}"#;
    a.put_role_policy()
        .role_name("ecsTaskExecutionRole")
        .policy_name("create-log-group")
        .policy_document(create_group)
        .send()
        .await
        .unwrap();
    let exec = check(&stack, &td, &["--online"], "ecs-exec.task-role").await;
    assert_eq!(statuses(&exec), ["pass"], "{exec:?}");
    assert!(
        exec[0].1.contains(&format!("managed policy {arn}")),
        "{}",
        exec[0].1
    );
    let logs = check(&stack, &td, &["--online"], "ecs.log-permissions").await;
    assert_eq!(statuses(&logs), ["pass"; 3], "{logs:?}");

    // Files given outrank IAM: an empty policy fails ECS Exec even though IAM would pass it.
    let empty = stack.work.path("empty.json");
    std::fs::write(
        &empty,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#,
    )
    .unwrap();
    let empty = empty.display().to_string();
    let exec = check(
        &stack,
        &td,
        &["--online", "--identity-policy", &empty],
        "ecs-exec.task-role",
    )
    .await;
    assert_eq!(statuses(&exec), ["fail"], "{exec:?}");
    assert!(
        exec[0]
            .1
            .contains("the policies given with --identity-policy"),
        "{}",
        exec[0].1
    );

    // A role IAM does not show (another account's, or none by that name) stays unknown, with
    // the reason.
    let mut other: Value = serde_json::from_str(&std::fs::read_to_string(&td).unwrap()).unwrap();
    other["taskRoleArn"] = "arn:aws:iam::555566667777:role/my-ECS-task-role".into();
    other["executionRoleArn"] = "arn:aws:iam::111122223333:role/ecsNoSuchRole".into();
    let other_file = stack.work.path("other.json");
    std::fs::write(&other_file, other.to_string()).unwrap();
    let other_file = other_file.display().to_string();
    let exec = check(&stack, &other_file, &["--online"], "ecs-exec.task-role").await;
    assert_eq!(statuses(&exec), ["unknown"], "{exec:?}");
    assert!(
        exec[0].1.contains(&format!(
            "act as arn:aws:sts::111122223333:assumed-role/{}",
            TASK_ROLE_ARN.rsplit('/').next().unwrap()
        )) && exec[0].1.contains("not 555566667777's"),
        "{}",
        exec[0].1
    );
    let logs = check(&stack, &other_file, &["--online"], "ecs.log-permissions").await;
    assert!(
        statuses(&logs).iter().all(|s| *s == "unknown")
            && logs[0].1.contains("NoSuchEntity")
            && logs[0].1.contains("--execution-role-policy"),
        "{logs:?}"
    );
}
