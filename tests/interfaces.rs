//! Every kind of client, unmodified, through one rolehop: `credential_process` (AWS CLI, boto3,
//! Rust SDK), IMDSv2 (boto3, Rust SDK), `exec` and `env` (boto3 with a wrong RELATIVE_URI
//! inherited), with the IMDS and credential-process failure cases. None of them calls STS for
//! the role while rolehop holds it.

use std::time::Duration;

use crate::support::rolehop::{BIN, Rolehop};
use crate::support::{Stack, clients, http};

const DESTINATION_ACCOUNT: &str = "555566667777";

fn assert_destination(identity: &serde_json::Value, client: &str) {
    assert_eq!(
        identity["Account"], DESTINATION_ACCOUNT,
        "{client}: {identity}"
    );
    assert!(
        identity["Arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:sts::555566667777:assumed-role/destination-account-role/"),
        "{client}: {identity}"
    );
}

/// A client environment with only `examples/aws-config/config`, pointed at this rolehop.
fn process_profile_env(stack: &Stack, rolehop: &Rolehop) -> Vec<(String, String)> {
    let example = include_str!("../examples/aws-config/config");
    let config = stack.work.path("aws-config");
    std::fs::write(
        &config,
        example
            .replace(
                "rolehop credential-process",
                &format!("{BIN} credential-process"),
            )
            .replace("http://127.0.0.1:9911", &rolehop.base)
            .replace("/rolehop/token", &stack.token_file().display().to_string()),
    )
    .unwrap();
    let mut env: Vec<(String, String)> = stack
        .base_env()
        .into_iter()
        .filter(|(k, _)| k != "AWS_CONFIG_FILE")
        .collect();
    env.push(("AWS_CONFIG_FILE".into(), config.display().to_string()));
    env.push(("AWS_PROFILE".into(), "cross-account".into()));
    env.push(("AWS_ENDPOINT_URL".into(), stack.proxy.url.clone()));
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_process_serves_the_aws_cli_boto3_and_the_rust_sdk() {
    let stack = Stack::start().await;
    let rolehop = stack.serve(&[]).await;
    rolehop.wait_ready().await;
    let env = process_profile_env(&stack, &rolehop);
    assert_destination(&clients::aws_cli_caller_identity(&env).await, "aws cli");
    assert_destination(&clients::boto3_caller_identity(&env).await, "boto3");
    assert_destination(&clients::rust_sdk_caller_identity(&env).await, "rust sdk");

    // The app image's profile: everything task-specific comes from the environment.
    let from_env = stack.work.path("aws-config-from-env");
    std::fs::write(
        &from_env,
        include_str!("../examples/aws-config/config-from-env").replace(
            "rolehop credential-process",
            &format!("{BIN} credential-process"),
        ),
    )
    .unwrap();
    let mut env_only: Vec<(String, String)> = env
        .iter()
        .filter(|(k, _)| k != "AWS_CONFIG_FILE")
        .cloned()
        .collect();
    env_only.extend([
        ("AWS_CONFIG_FILE".to_owned(), from_env.display().to_string()),
        ("ROLEHOP_ENDPOINT".to_owned(), rolehop.base.clone()),
        ("ROLEHOP_TOKEN".to_owned(), stack.token()),
    ]);
    assert_destination(
        &clients::aws_cli_caller_identity(&env_only).await,
        "aws cli, config-from-env",
    );
    assert_eq!(
        stack.proxy.count("AssumeRole"),
        1,
        "the clients never assumed the role themselves"
    );

    let (code, stdout, stderr) = Rolehop::run(
        &[
            "credential-process",
            "--endpoint",
            &rolehop.base,
            "--token-file",
            &stack.token_file().display().to_string(),
        ],
        &stack.base_env(),
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let out: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(out["Version"], 1);
    for key in [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ] {
        assert!(
            out[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key}: {out}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_process_failures_are_one_line_and_empty_stdout() {
    let stack = Stack::start().await;
    let rolehop = stack.serve(&[]).await;
    rolehop.wait_ready().await;
    let token = stack.token_file().display().to_string();
    let closed = format!("http://127.0.0.1:{}", crate::support::free_port());
    let mut wrong_token = stack.base_env();
    wrong_token.push(("ROLEHOP_TOKEN".into(), "not-the-token-0123456789".into()));
    type Case<'a> = (Vec<&'a str>, Vec<(String, String)>, i32, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec!["--endpoint", &closed, "--token-file", &token],
            stack.base_env(),
            1,
            "cannot reach rolehop at",
        ),
        (
            vec!["--endpoint", &rolehop.base],
            wrong_token,
            1,
            "answered 403 InvalidToken",
        ),
        (
            vec![
                "--endpoint",
                &rolehop.base,
                "--token-file",
                &token,
                "--role",
                "nope",
            ],
            stack.base_env(),
            1,
            "answered 404 UnknownRole",
        ),
        (
            vec![
                "--endpoint",
                &rolehop.base,
                "--token-file",
                "/nonexistent/token",
            ],
            stack.base_env(),
            1,
            "cannot read token file /nonexistent/token",
        ),
        (
            vec!["--token-file", &token],
            stack.base_env(),
            64,
            "--endpoint (ROLEHOP_ENDPOINT) is required",
        ),
        (
            vec!["--endpoint", "ftp://x", "--token-file", &token],
            stack.base_env(),
            64,
            "is not an http URL",
        ),
    ];
    for (args, env, expected_code, expected) in cases {
        let mut argv = vec!["credential-process"];
        argv.extend(args.iter().copied());
        let (code, stdout, stderr) = Rolehop::run(&argv, &env).await;
        assert_eq!(code, expected_code, "{argv:?}: {stderr}");
        assert!(
            stdout.is_empty(),
            "{argv:?}: stdout must stay empty, got {stdout}"
        );
        assert_eq!(
            stderr.lines().count(),
            1,
            "{argv:?}: one line, got {stderr}"
        );
        assert!(stderr.contains(expected), "{argv:?}: {stderr}");
        assert!(!stderr.contains("not-the-token-0123456789"), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_credential_process_assumes_once_and_caches_privately() {
    use std::os::unix::fs::PermissionsExt;
    let stack = Stack::start().await;
    let cache = stack.work.path("cache");
    let mut env = stack.rolehop_env();
    env.push(("ROLEHOP_CACHE_DIR".into(), cache.display().to_string()));
    let args = [
        "credential-process",
        "--role-arn",
        crate::support::DESTINATION_ROLE_ARN,
        "--session-name",
        "laptop",
    ];
    let (code, first, stderr) = Rolehop::run(&args, &env).await;
    assert_eq!(code, 0, "{stderr}");
    let (code, second, _) = Rolehop::run(&args, &env).await;
    assert_eq!(code, 0);
    assert_eq!(first, second, "the second run reuses the cached credential");
    assert_eq!(stack.proxy.count("AssumeRole"), 1);
    let files: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        std::fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777,
        0o700
    );

    // Different parameters, different cache entry.
    let other = [
        "credential-process",
        "--role-arn",
        crate::support::DESTINATION_ROLE_ARN,
        "--session-name",
        "other",
    ];
    let (code, third, _) = Rolehop::run(&other, &env).await;
    assert_eq!(code, 0);
    assert_ne!(first, third);
    assert_eq!(stack.proxy.count("AssumeRole"), 2);
    let identity = &stack.proxy.calls("AssumeRole")[1];
    assert_eq!(identity.param("RoleSessionName"), Some("other"));

    let (code, stdout, stderr) = Rolehop::run(
        &["credential-process", "--role-arn", "arn:aws:iam::1:role/x"],
        &env,
    )
    .await;
    assert_eq!((code, stdout.as_str()), (64, ""), "{stderr}");
    assert!(stderr.contains("exactly 12 digits"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imds_serves_boto3_and_the_rust_sdk() {
    let stack = Stack::start().await;
    let rolehop = stack.serve(&["--imds-listen", "127.0.0.1:0"]).await;
    rolehop.wait_ready().await;
    let mut env: Vec<(String, String)> = stack
        .base_env()
        .into_iter()
        .filter(|(k, _)| k != "AWS_EC2_METADATA_DISABLED")
        .collect();
    env.push((
        "AWS_EC2_METADATA_SERVICE_ENDPOINT".into(),
        format!("{}/", rolehop.imds_base()),
    ));
    env.push(("AWS_ENDPOINT_URL".into(), stack.proxy.url.clone()));
    assert_destination(
        &clients::boto3_caller_identity(&env).await,
        "boto3 via IMDS",
    );
    assert_destination(
        &clients::rust_sdk_caller_identity(&env).await,
        "rust sdk via IMDS",
    );
    assert_eq!(stack.proxy.count("AssumeRole"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imds_refuses_what_real_imds_refuses() {
    let stack = Stack::start().await;
    let rolehop = stack.serve(&["--imds-listen", "127.0.0.1:0"]).await;
    rolehop.wait_ready().await;
    let base = rolehop.imds_base();
    let client = http::client();
    let token_url = format!("{base}/latest/api/token");
    let list_url = format!("{base}/latest/meta-data/iam/security-credentials/");
    let role_url = format!("{list_url}default");
    let ttl = "x-aws-ec2-metadata-token-ttl-seconds";

    let put = http::request(&client, "PUT", &token_url, &[(ttl, "21600")], "").await;
    assert_eq!(put.status, 200);
    assert_eq!(put.headers[ttl], "21600", "the TTL header is echoed");
    let token = put.body.clone();
    let with_token = [("x-aws-ec2-metadata-token", token.as_str())];
    let listing = http::request(&client, "GET", &list_url, &with_token, "").await;
    assert_eq!((listing.status, listing.body.as_str()), (200, "default"));
    let creds = http::request(&client, "GET", &role_url, &with_token, "").await;
    assert_eq!(creds.status, 200);
    let body = creds.json();
    assert_eq!(body["Code"], "Success");
    assert_eq!(body["Type"], "AWS-HMAC");
    for key in ["LastUpdated", "Expiration"] {
        let t = body[key].as_str().unwrap();
        assert!(
            t.len() == 20 && t.ends_with('Z') && t.as_bytes()[10] == b'T',
            "{key}: {t}"
        );
    }

    // The same token with its last hex digit changed: a forgery that differs in one place.
    let last = token.chars().last().unwrap();
    let forged = format!(
        "{}{}",
        &token[..token.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    let short = http::request(&client, "PUT", &token_url, &[(ttl, "1")], "")
        .await
        .body;
    let other_role_url = format!("{list_url}other");
    let other_path_url = format!("{base}/latest/meta-data/");
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, u16);
    let cases: Vec<Case> = vec![
        ("PUT", &token_url, vec![], 400),
        ("PUT", &token_url, vec![(ttl, "0")], 400),
        ("PUT", &token_url, vec![(ttl, "21601")], 400),
        ("PUT", &token_url, vec![(ttl, "abc")], 400),
        (
            "PUT",
            &token_url,
            vec![(ttl, "60"), ("x-forwarded-for", "10.0.0.1")],
            403,
        ),
        (
            "GET",
            &role_url,
            vec![
                ("x-aws-ec2-metadata-token", &token),
                ("x-forwarded-for", "10.0.0.1"),
            ],
            403,
        ),
        ("GET", &list_url, vec![], 401),
        (
            "PUT",
            &token_url,
            vec![(ttl, "60"), ("host", "rebound.example.com")],
            403,
        ),
        (
            "GET",
            &role_url,
            vec![
                ("x-aws-ec2-metadata-token", &token),
                ("host", "rebound.example.com:80"),
            ],
            403,
        ),
        ("GET", &role_url, vec![], 401),
        (
            "GET",
            &role_url,
            vec![("x-aws-ec2-metadata-token", &forged)],
            401,
        ),
        (
            "GET",
            &role_url,
            vec![("x-aws-ec2-metadata-token", "garbage")],
            401,
        ),
        (
            "GET",
            &other_role_url,
            vec![("x-aws-ec2-metadata-token", &token)],
            404,
        ),
        (
            "GET",
            &other_path_url,
            vec![("x-aws-ec2-metadata-token", &token)],
            404,
        ),
        ("GET", &token_url, vec![], 405),
    ];
    for (method, url, headers, status) in cases {
        let reply = http::request(&client, method, url, &headers, "").await;
        assert_eq!(
            reply.status, status,
            "{method} {url} {headers:?}: {}",
            reply.body
        );
        assert!(
            !reply
                .body
                .contains(body["SecretAccessKey"].as_str().unwrap())
        );
    }
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let expired = http::request(
        &client,
        "GET",
        &role_url,
        &[("x-aws-ec2-metadata-token", &short)],
        "",
    )
    .await;
    assert_eq!(expired.status, 401, "an expired token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imds_v1_only_when_allowed() {
    let stack = Stack::start().await;
    let rolehop = stack
        .serve(&["--imds-listen", "127.0.0.1:0", "--imds-allow-v1"])
        .await;
    rolehop.wait_ready().await;
    let url = format!(
        "{}/latest/meta-data/iam/security-credentials/default",
        rolehop.imds_base()
    );
    let reply = http::get(&url, &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let forged = http::get(&url, &[("x-aws-ec2-metadata-token", "0000000000000001.00")]).await;
    assert_eq!(forged.status, 401, "a bad token is still refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_and_env_beat_an_inherited_relative_uri() {
    let stack = Stack::start().await;
    let rolehop = stack.serve(&[]).await;
    rolehop.wait_ready().await;
    let mut parent = stack.base_env();
    // What ECS injects into every container of a task with a task role; it would win.
    parent.push((
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI".into(),
        "/v2/credentials/wrong-task".into(),
    ));
    parent.push(("AWS_ACCESS_KEY_ID".into(), "AKIDSTATICKEYS000000".into()));
    parent.push(("AWS_SECRET_ACCESS_KEY".into(), "static-secret".into()));
    parent.push(("AWS_ENDPOINT_URL".into(), stack.proxy.url.clone()));
    let token = stack.token_file().display().to_string();
    // The example boto3 app, unmodified.
    let script = include_str!("../examples/app/whoami.py");
    let python = crate::support::require_tool("python3")
        .display()
        .to_string();

    let (code, stdout, stderr) = Rolehop::run(
        &[
            "exec",
            "--endpoint",
            &rolehop.base,
            "--token-file",
            &token,
            "--",
            &python,
            "-c",
            script,
        ],
        &parent,
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert_destination(&serde_json::from_str(&stdout).unwrap(), "boto3 under exec");

    // examples/aws-config/exec.sh, with the variables a task definition sets.
    let bin_dir = std::path::Path::new(BIN)
        .parent()
        .unwrap()
        .display()
        .to_string();
    let python_dir = std::path::Path::new(&python)
        .parent()
        .unwrap()
        .display()
        .to_string();
    let mut task_env: Vec<(String, String)> = parent
        .iter()
        .filter(|(k, _)| k != "PATH")
        .cloned()
        .collect();
    task_env.extend([
        (
            "PATH".to_owned(),
            format!("{bin_dir}:{python_dir}:/usr/bin:/bin"),
        ),
        ("ROLEHOP_ENDPOINT".to_owned(), rolehop.base.clone()),
        ("ROLEHOP_TOKEN_FILE".to_owned(), token.clone()),
    ]);
    let exec_sh = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/aws-config/exec.sh");
    let out = tokio::process::Command::new("sh")
        .arg(exec_sh)
        .env_clear()
        .envs(task_env)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "exec.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_destination(
        &serde_json::from_slice(&out.stdout).unwrap(),
        "examples/aws-config/exec.sh",
    );

    let (code, _, _) = Rolehop::run(
        &[
            "exec",
            "--endpoint",
            &rolehop.base,
            "--token-file",
            &token,
            "--",
            "sh",
            "-c",
            "exit 7",
        ],
        &parent,
    )
    .await;
    assert_eq!(code, 7, "the command's exit code is returned");
    let (code, _, stderr) = Rolehop::run(
        &[
            "exec",
            "--endpoint",
            &rolehop.base,
            "--token-file",
            &token,
            "--",
            "/nonexistent/cmd",
        ],
        &parent,
    )
    .await;
    assert_eq!(code, 127, "{stderr}");

    let (code, exports, stderr) = Rolehop::run(
        &["env", "--endpoint", &rolehop.base, "--token-file", &token],
        &parent,
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        exports.contains("unset AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
        "{exports}"
    );
    let shell = format!("eval \"$(cat <<'EOF'\n{exports}EOF\n)\"\nexec {python} -c \"$0\"");
    let (code, stdout, stderr) = crate::support::run_process(
        std::path::Path::new("/bin/sh"),
        &["-c", &shell, script],
        &parent,
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert_destination(
        &serde_json::from_str(&stdout).unwrap(),
        "boto3 after eval $(rolehop env)",
    );
    assert_eq!(stack.proxy.count("AssumeRole"), 1);
}
