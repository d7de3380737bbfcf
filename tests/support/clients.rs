//! The real clients: the AWS CLI, boto3, and the Rust SDK (aws-config, through the
//! `caller_identity` example), each run as its own process with only the environment given.

use std::path::PathBuf;
use std::time::Duration;

/// Environment that points a client's container credentials provider at rolehop.
pub fn via_rolehop(
    base_env: &[(String, String)],
    rolehop_base: &str,
    role_path: &str,
    token_file: &std::path::Path,
    sts_url: &str,
) -> Vec<(String, String)> {
    let mut env = base_env.to_vec();
    env.extend([
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI".into(),
            format!("{rolehop_base}{role_path}"),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE".into(),
            token_file.display().to_string(),
        ),
        ("AWS_ENDPOINT_URL".into(), sts_url.into()),
    ]);
    env
}

async fn run(program: PathBuf, args: &[&str], env: &[(String, String)]) -> serde_json::Value {
    let (code, stdout, stderr) =
        super::run_process(&program, args, env, Duration::from_secs(60)).await;
    assert!(
        code == 0,
        "{} {args:?} failed (exit {code}):\nstdout: {stdout}\nstderr: {stderr}",
        program.display(),
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{} printed no JSON ({e}): {stdout}", program.display()))
}

/// `aws sts get-caller-identity` → `{"Account","Arn","UserId"}`.
pub async fn aws_cli_caller_identity(env: &[(String, String)]) -> serde_json::Value {
    run(
        super::require_tool("aws"),
        &["sts", "get-caller-identity", "--output", "json"],
        env,
    )
    .await
}

/// boto3's default chain → `{"Account","Arn","UserId"}`.
pub async fn boto3_caller_identity(env: &[(String, String)]) -> serde_json::Value {
    let script = "import json, boto3\nr = boto3.client('sts').get_caller_identity()\nprint(json.dumps({k: r[k] for k in ('Account', 'Arn', 'UserId')}))";
    run(super::require_tool("python3"), &["-c", script], env).await
}

/// The Rust SDK's default chain (aws-config) → `{"Account","Arn","UserId"}`.
pub async fn rust_sdk_caller_identity(env: &[(String, String)]) -> serde_json::Value {
    let exe = std::path::Path::new(super::rolehop::BIN)
        .parent()
        .expect("target dir")
        .join("examples/caller_identity");
    assert!(
        exe.is_file(),
        "{} is missing; build it with `cargo build --examples` (scripts/test does)",
        exe.display()
    );
    run(exe, &[], env).await
}
