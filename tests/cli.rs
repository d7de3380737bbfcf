//! Usage errors: one sentence naming the fix, exit code 64, before any network call.

use crate::support::DESTINATION_ROLE_ARN;
use crate::support::rolehop::{Rolehop, Workdir, base_env};

fn env_with(work: &Workdir, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = base_env(work.dir.path());
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

#[tokio::test]
async fn unknown_flag_is_a_usage_error_with_a_suggestion() {
    let work = Workdir::new();
    let (code, _, stderr) = Rolehop::run(
        &["serve", "--rol-arn", DESTINATION_ROLE_ARN],
        &env_with(&work, &[]),
    )
    .await;
    assert_eq!(code, 64, "{stderr}");
    assert!(
        stderr.contains("unexpected argument '--rol-arn'"),
        "{stderr}"
    );
    assert!(stderr.contains("--role-arn"), "{stderr}");
}

#[tokio::test]
async fn help_and_version_exit_zero() {
    let work = Workdir::new();
    let (code, stdout, _) = Rolehop::run(&["serve", "--help"], &env_with(&work, &[])).await;
    assert_eq!(code, 0);
    assert!(
        stdout.contains("--role-arn") && stdout.contains("ROLEHOP_ROLE_ARN"),
        "{stdout}"
    );
    let (code, stdout, _) = Rolehop::run(&["--version"], &env_with(&work, &[])).await;
    assert_eq!(code, 0);
    assert!(stdout.starts_with("rolehop 0."), "{stdout}");
    assert!(
        stdout.contains(" (") && stdout.trim_end().ends_with(')'),
        "the git revision: {stdout}"
    );
    for sub in [
        "serve",
        "credential-process",
        "exec",
        "env",
        "check",
        "healthcheck",
        "setup",
    ] {
        let (code, help, _) = Rolehop::run(&[sub, "--help"], &env_with(&work, &[])).await;
        assert_eq!(code, 0, "{sub}");
        assert!(
            help.contains("Example"),
            "{sub} --help shows an example:\n{help}"
        );
    }
    let (code, _, _) = Rolehop::run(&[], &env_with(&work, &[])).await;
    assert_eq!(code, 64, "no subcommand is a usage error");
}

/// `rolehop ARGS` refused as a usage error (64) with nothing on stdout and three problems on
/// stderr, one a line: (the lines, all of stderr).
async fn refused_with_three_problems(
    args: &[&str],
    env: &[(String, String)],
) -> (Vec<String>, String) {
    let (code, stdout, stderr) = Rolehop::run(args, env).await;
    assert_eq!(code, 64, "{stderr}");
    assert!(stdout.is_empty());
    let lines: Vec<String> = stderr.lines().map(String::from).collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    (lines, stderr)
}

#[tokio::test]
async fn every_config_problem_is_reported_at_once() {
    let work = Workdir::new();
    let env = env_with(
        &work,
        &[(
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "/v2/credentials/x",
        )],
    );
    let (lines, stderr) = refused_with_three_problems(
        &[
            "serve",
            "--role-arn",
            "arn:aws::iam::555566667777:role/destination-account-role",
            "--duration",
            "7200",
        ],
        &env,
    )
    .await;
    assert!(
        lines[0].starts_with("rolehop: error: role ARN `arn:aws::iam::"),
        "{stderr}"
    );
    assert!(lines[0].contains("7 colon-separated fields"), "{stderr}");
    assert!(
        lines[1].contains("one-hour limit for role chaining"),
        "{stderr}"
    );
    assert!(lines[2].contains("--token-file PATH"), "{stderr}");
}

/// The region is a configuration problem like the others: with neither a token nor a region
/// (and a port too big), all three are reported at once, before any network call.
#[tokio::test]
async fn a_missing_region_is_reported_with_the_other_config_problems() {
    let work = Workdir::new();
    let env: Vec<(String, String)> = env_with(&work, &[])
        .into_iter()
        .filter(|(k, _)| !k.ends_with("_REGION"))
        .collect();
    let (lines, stderr) = refused_with_three_problems(
        &[
            "serve",
            "--role-arn",
            DESTINATION_ROLE_ARN,
            "--listen",
            "99999",
        ],
        &env,
    )
    .await;
    assert!(
        lines[0].contains("--listen `99999`: port 99999 is out of range; a port is 1 to 65535"),
        "{stderr}"
    );
    assert!(lines[1].contains("--token-file PATH"), "{stderr}");
    assert!(lines[2].contains("no AWS region is configured"), "{stderr}");
}

#[tokio::test]
async fn token_problems_are_usage_errors_that_never_echo_the_token() {
    let work = Workdir::new();
    let args = [
        "serve",
        "--role-arn",
        DESTINATION_ROLE_ARN,
        "--listen",
        "127.0.0.1:0",
    ];
    let (code, _, stderr) =
        Rolehop::run(&args, &env_with(&work, &[("ROLEHOP_TOKEN", "tiny-secret")])).await;
    assert_eq!(code, 64, "{stderr}");
    assert!(
        stderr.contains("ROLEHOP_TOKEN is shorter than 16 characters"),
        "{stderr}"
    );
    assert!(!stderr.contains("tiny-secret"), "{stderr}");

    let file = work.path("token-with-newline");
    std::fs::write(&file, "0123456789abcdef0123456789abcdef\n").unwrap();
    let mut with_file = args.to_vec();
    let file_arg = file.display().to_string();
    with_file.extend(["--token-file", &file_arg]);
    let (code, _, stderr) = Rolehop::run(&with_file, &env_with(&work, &[])).await;
    assert_eq!(code, 64, "{stderr}");
    assert!(stderr.contains("ends with a newline"), "{stderr}");
    assert!(!stderr.contains("0123456789abcdef"), "{stderr}");

    let (code, _, stderr) = Rolehop::run(
        &[&args[..], &["--token-file", "/nonexistent-dir/token"]].concat(),
        &env_with(&work, &[]),
    )
    .await;
    assert_eq!(code, 64, "{stderr}");
    assert!(
        stderr.contains("cannot create token file /nonexistent-dir/token"),
        "{stderr}"
    );
}

#[tokio::test]
async fn missing_region_is_named() {
    let work = Workdir::new();
    let env: Vec<(String, String)> =
        env_with(&work, &[("ROLEHOP_TOKEN", "leakcanary-client-token-0123")])
            .into_iter()
            .filter(|(k, _)| !k.ends_with("_REGION"))
            .collect();
    let (code, _, stderr) = Rolehop::run(
        &[
            "serve",
            "--role-arn",
            DESTINATION_ROLE_ARN,
            "--listen",
            "127.0.0.1:0",
        ],
        &env,
    )
    .await;
    assert_eq!(code, 64, "{stderr}");
    assert!(
        stderr.contains("no AWS region is configured; set AWS_REGION"),
        "{stderr}"
    );
}

#[tokio::test]
async fn healthcheck_fails_when_nothing_answers() {
    let work = Workdir::new();
    let closed = format!("http://127.0.0.1:{}", crate::support::free_port());
    let (code, stdout, stderr) = Rolehop::run(
        &["healthcheck", "--endpoint", &closed],
        &env_with(&work, &[]),
    )
    .await;
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("cannot reach rolehop at"), "{stderr}");
}

#[tokio::test]
async fn a_taken_port_is_a_runtime_failure() {
    let work = Workdir::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let env = env_with(
        &work,
        &[
            ("ROLEHOP_TOKEN", "leakcanary-client-token-0123"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ],
    );
    let (code, _, stderr) = Rolehop::run(
        &[
            "serve",
            "--role-arn",
            DESTINATION_ROLE_ARN,
            "--listen",
            &addr,
        ],
        &env,
    )
    .await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")) && stderr.contains("--listen"),
        "{stderr}"
    );
}

#[tokio::test]
async fn check_service_role_trust_of_an_unknown_kind_is_a_usage_error() {
    let work = Workdir::new();
    let trust = work.dir.path().join("trust.json");
    std::fs::write(
        &trust,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#,
    )
    .unwrap();
    let flag = format!("lambda={}", trust.display());
    let (code, stdout, stderr) = Rolehop::run(
        &["check", "--service-role-trust", &flag],
        &env_with(&work, &[]),
    )
    .await;
    assert_eq!(code, 64, "{stdout}{stderr}");
    assert!(
        stderr.contains("--service-role-trust kind `lambda`")
            && stderr.contains("task, execution, infrastructure, codedeploy, instance"),
        "{stderr}"
    );
    assert!(
        stdout.is_empty(),
        "no report before the flags are valid: {stdout}"
    );
}
