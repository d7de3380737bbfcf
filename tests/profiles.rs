//! `rolehop serve --config`: several roles and a chain from one AWS-syntax config file (the
//! README's example), every AssumeRole parameter checked at the STS proxy, one call per hop.

use crate::support::ecs_agent::TASK_ID;
use crate::support::rolehop::Rolehop;
use crate::support::{Stack, clients, http};

const EXAMPLE: &str = include_str!("../examples/rolehop.config");
/// A second profile chained from `hub`, to show the hop is shared.
const SHARED_HOP: &str = "\n[profile audit-readonly]\nrole_arn = arn:aws:iam::999988887777:role/audit-readonly\nsource_profile = hub\n";

async fn serve_config(stack: &Stack, text: &str) -> Rolehop {
    let path = stack.work.path("rolehop.config");
    std::fs::write(&path, text).unwrap();
    let (config, token) = (
        path.display().to_string(),
        stack.token_file().display().to_string(),
    );
    Rolehop::spawn(
        &[
            "serve",
            "--config",
            &config,
            "--listen",
            "127.0.0.1:0",
            "--token-file",
            &token,
        ],
        &stack.rolehop_env(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_profile_answers_with_its_own_account_and_role() {
    let stack = Stack::start().await;
    let rolehop = serve_config(&stack, &format!("{EXAMPLE}{SHARED_HOP}")).await;
    rolehop.wait_ready().await;

    let expected = [
        (
            "/v1/credentials",
            "555566667777",
            "destination-account-role",
            TASK_ID,
        ),
        (
            "/v1/credentials/default",
            "555566667777",
            "destination-account-role",
            TASK_ID,
        ),
        (
            "/v1/credentials/reports",
            "555566667777",
            "reports-reader",
            "reports-batch",
        ),
        ("/v1/credentials/hub", "444455556666", "hub", TASK_ID),
        ("/v1/credentials/audit", "999988887777", "audit", TASK_ID),
        (
            "/v1/credentials/audit-readonly",
            "999988887777",
            "audit-readonly",
            TASK_ID,
        ),
    ];
    for (path, account, role, session) in expected {
        let identity = clients::boto3_caller_identity(&stack.client_env(&rolehop, path)).await;
        assert_eq!(identity["Account"], account, "{path}: {identity}");
        assert_eq!(
            identity["Arn"],
            format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),
            "{path}"
        );
    }
    let audit =
        clients::aws_cli_caller_identity(&stack.client_env(&rolehop, "/v1/credentials/audit"))
            .await;
    assert_eq!(audit["Account"], "999988887777", "{audit}");

    // One AssumeRole per hop, the shared hub included; each hop signed by the one before it.
    let token = stack.token();
    let key_of = |profile: &'static str| {
        let url = format!("{}/v1/credentials/{profile}", rolehop.base);
        let token = token.clone();
        async move {
            http::get(&url, &[("Authorization", &token)]).await.json()["AccessKeyId"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let task_key = stack.agent.credentials().access_key_id;
    let hub_key = key_of("hub").await;
    for (role, signer) in [
        (
            "arn:aws:iam::555566667777:role/destination-account-role",
            &task_key,
        ),
        ("arn:aws:iam::555566667777:role/reports-reader", &task_key),
        ("arn:aws:iam::444455556666:role/hub", &task_key),
        ("arn:aws:iam::999988887777:role/audit", &hub_key),
        ("arn:aws:iam::999988887777:role/audit-readonly", &hub_key),
    ] {
        let calls = stack.proxy.assume_calls(role);
        assert_eq!(calls.len(), 1, "{role}");
        assert_eq!(
            &calls[0].access_key, signer,
            "{role} signed by the previous hop"
        );
    }
    assert_eq!(stack.proxy.count("AssumeRole"), 5);
    assert_eq!(
        stack.agent.credential_requests(),
        1,
        "one source fetch shared by every chain"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_assume_role_parameter_reaches_sts_exactly() {
    let stack = Stack::start().await;
    let rolehop = serve_config(&stack, EXAMPLE).await;
    rolehop.wait_ready().await;

    let default = &stack
        .proxy
        .assume_calls("arn:aws:iam::555566667777:role/destination-account-role")[0];
    assert_eq!(
        default.param("ExternalId"),
        Some("rolehop-demo-external-id")
    );
    assert_eq!(default.param("RoleSessionName"), Some(TASK_ID));
    assert_eq!(default.param("DurationSeconds"), Some("3600"));
    assert_eq!(default.param("Tags.member.1.Key"), None);

    let reports = &stack
        .proxy
        .assume_calls("arn:aws:iam::555566667777:role/reports-reader")[0];
    let expected = [
        ("RoleSessionName", "reports-batch"),
        ("DurationSeconds", "1800"),
        ("Tags.member.1.Key", "Project"),
        ("Tags.member.1.Value", "blue"),
        ("Tags.member.2.Key", "CostCenter"),
        ("Tags.member.2.Value", "42"),
        ("TransitiveTagKeys.member.1", "Project"),
        ("SourceIdentity", "reports-service"),
        (
            "PolicyArns.member.1.arn",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
        ),
    ];
    for (name, value) in expected {
        assert_eq!(reports.param(name), Some(value), "{name}");
    }
    assert_eq!(reports.param("ExternalId"), None);
    let policy: serde_json::Value =
        serde_json::from_str(reports.param("Policy").expect("Policy sent")).unwrap();
    assert_eq!(
        policy,
        serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]})
    );
    assert!(
        !rolehop.logs().contains("rolehop-demo-external-id"),
        "the external id is not logged"
    );
}

#[tokio::test]
async fn config_errors_name_file_and_line_and_exit_64() {
    let work = crate::support::rolehop::Workdir::new();
    let path = work.path("bad.config");
    std::fs::write(
        &path,
        "[profile a]\nrole_arn = arn:aws:iam::555566667777:role/a\nsource_profile = b\n\n[profile b]\nrole_arn = arn:aws:iam::555566667777:role/b\nsource_profile = a\nexternal_idd = x\n",
    )
    .unwrap();
    let mut env = crate::support::rolehop::base_env(work.dir.path());
    env.push((
        "ROLEHOP_TOKEN".into(),
        "leakcanary-client-token-0123".into(),
    ));
    let config = path.display().to_string();
    let (code, _, stderr) = Rolehop::run(&["serve", "--config", &config], &env).await;
    assert_eq!(code, 64, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{config}:7: source_profile makes a cycle (a -> b -> a)"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{config}:8: unknown key `external_idd`; did you mean `external_id`?"
        )),
        "{stderr}"
    );

    let (code, _, stderr) = Rolehop::run(
        &[
            "serve",
            "--config",
            &config,
            "--role-arn",
            "arn:aws:iam::555566667777:role/a",
        ],
        &env,
    )
    .await;
    assert_eq!(code, 64);
    assert!(
        stderr.contains("--config (ROLEHOP_CONFIG) and role flags"),
        "{stderr}"
    );
}

#[test]
fn the_readme_shows_the_example_file_as_it_is() {
    let readme = include_str!("../README.md");
    let block = readme
        .split("```ini\n")
        .filter_map(|rest| rest.split("```").next())
        .find(|block| block.starts_with("[default]"))
        .expect("README has the config example as an ini block");
    let file_lines: Vec<&str> = EXAMPLE
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    let shown: Vec<&str> = block.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        file_lines
            .windows(shown.len())
            .any(|w| w == shown.as_slice()),
        "the README's ini block is not the start of examples/rolehop.config"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_can_come_from_the_environment_for_task_definitions() {
    let stack = Stack::start().await;
    let token = stack.token_file().display().to_string();
    let mut env = stack.rolehop_env();
    env.push(("ROLEHOP_CONFIG_TEXT".into(), EXAMPLE.into()));
    let rolehop = Rolehop::spawn(
        &["serve", "--listen", "127.0.0.1:0", "--token-file", &token],
        &env,
    )
    .await;
    rolehop.wait_ready().await;
    let identity =
        clients::boto3_caller_identity(&stack.client_env(&rolehop, "/v1/credentials/audit")).await;
    assert_eq!(identity["Account"], "999988887777", "{identity}");

    env.retain(|(k, _)| k != "ROLEHOP_CONFIG_TEXT");
    env.push((
        "ROLEHOP_CONFIG_TEXT".into(),
        "[profile a]\nrole_arn = arn:aws:iam::1:role/a\n".into(),
    ));
    let (code, _, stderr) = Rolehop::run(&["serve", "--token-file", &token], &env).await;
    assert_eq!(code, 64);
    assert!(
        stderr.contains("ROLEHOP_CONFIG_TEXT:2: role ARN"),
        "{stderr}"
    );
}

/// Runs `rolehop serve --config` on `text` with its address space capped at 256 MiB:
/// (exit code, stderr).
async fn serve_config_capped(text: &str) -> (i32, String) {
    use crate::support::rolehop::{BIN, Workdir, base_env};
    let work = Workdir::new();
    let config = work.path("rolehop.config");
    std::fs::write(&config, text).unwrap();
    let token = work.path("token").display().to_string();
    let script = format!(
        "ulimit -v 262144; exec \"$0\" serve --config '{}' --token-file '{token}'",
        config.display()
    );
    let mut env = base_env(work.dir.path());
    env.extend([
        ("AWS_ACCESS_KEY_ID".to_owned(), "AKIDEXAMPLE".to_owned()),
        (
            "AWS_SECRET_ACCESS_KEY".to_owned(),
            "not-a-secret".to_owned(),
        ),
    ]);
    let (code, _, stderr) = crate::support::run_process(
        std::path::Path::new("/bin/sh"),
        &["-c", &script, BIN],
        &env,
        std::time::Duration::from_secs(30),
    )
    .await;
    (code, stderr)
}

/// A config file is often pasted together from a credentials file: a line without `=` may be a
/// secret key, and a runaway key may be megabytes long. The error names the line, never echoes
/// its text, and the "did you mean" suggestion stays cheap (within the 256 MiB cap, where
/// comparing a 2 MB key against every known key would take hundreds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_errors_name_lines_without_echoing_them_and_long_keys_stay_cheap() {
    const ROLE: &str = "[profile a]\nrole_arn = arn:aws:iam::555566667777:role/a\ncredential_source = Environment\n";
    const PASTED: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
    let (code, stderr) = serve_config_capped(&format!("{ROLE}{PASTED}\n")).await;
    assert_eq!(code, 64, "{stderr}");
    assert!(!stderr.contains(&PASTED[..8]), "{stderr}");
    assert!(stderr.contains("rolehop.config:4: "), "{stderr}");

    let long_key = format!("rolehop_{}", "x".repeat(2 * 1024 * 1024));
    let (code, stderr) = serve_config_capped(&format!("{ROLE}{long_key} = 1\n")).await;
    let head = &stderr[..stderr.len().min(2000)];
    assert_eq!(code, 64, "{head}");
    assert!(
        stderr.len() < 2000,
        "stderr is {} bytes: {head}",
        stderr.len()
    );
    assert!(stderr.contains("rolehop.config:4: "), "{head}");
}
