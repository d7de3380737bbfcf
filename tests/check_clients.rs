//! `rolehop check --clients` in an app's environment, against a real rolehop and moto: the
//! source each client of the table would use, the token it would send, and the account that
//! source serves, asked for real; the releases installed in `--app` directories.

use crate::support::rolehop::Rolehop;
use crate::support::{DESTINATION_ROLE_ARN, Stack};

const TOOLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.tools");

fn client<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["clients"]
        .as_array()
        .expect("a top-level clients list")
        .iter()
        .find(|c| c["client"] == name)
        .unwrap_or_else(|| panic!("no client {name} in {report:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_says_which_account_each_client_here_would_be_in() {
    let stack = Stack::start().await;
    let server = stack.serve(&[]).await;
    server.wait_ready().await;
    let account = DESTINATION_ROLE_ARN.split(':').nth(4).unwrap();
    let boto3_2023 = format!("{TOOLS}/venv-boto3-2023");
    assert!(
        std::path::Path::new(&boto3_2023).is_dir(),
        "{boto3_2023} is missing: run `source scripts/sdk-tools.sh` first (scripts/test does)"
    );

    // The token file alone beside FULL_URI, as `rolehop exec --no-token-variable` leaves it.
    let mut env = stack.base_env();
    env.extend([
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI".to_owned(),
            format!("{}/v1/credentials", server.base),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE".to_owned(),
            stack.token_file().display().to_string(),
        ),
    ]);
    let (code, out, err) = Rolehop::run(
        &[
            "check",
            "--clients",
            "--format",
            "json",
            "--app",
            &boto3_2023,
        ],
        &env,
    )
    .await;
    let report: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    let current = client(&report, "boto3");
    assert_eq!(current["source"], "container-full", "{current:#}");
    assert_eq!(current["sends"], "token-file", "{current:#}");
    assert_eq!(current["account"], account, "{current:#}");
    assert_eq!(current["as_intended"], true, "{current:#}");
    let old = client(&report, "boto3 (2023)");
    assert_eq!(old["source"], "container-full", "{old:#}");
    assert_eq!(old["sends"], "no-token", "{old:#}");
    assert_eq!(old["as_intended"], false, "{old:#}");
    assert!(
        old["problem"]
            .as_str()
            .unwrap()
            .contains("401 MissingToken"),
        "{old:#}"
    );
    assert_eq!(old["installed"][0]["package"], "botocore", "{old:#}");
    assert_eq!(old["installed"][0]["version"], "1.31.0", "{old:#}");
    assert_eq!(
        code, 1,
        "an installed client lands nowhere: a failure\n{out}"
    );

    // With the variable too and the task's RELATIVE_URI inherited (an app not run under exec):
    // RELATIVE_URI wins where the table says it does, FULL_URI in the Go SDK v1.
    env.extend([
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN".to_owned(),
            stack.token(),
        ),
        (
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI".to_owned(),
            "/v2/credentials/task".to_owned(),
        ),
    ]);
    let (_, out, err) = Rolehop::run(&["check", "--clients", "--format", "json"], &env).await;
    let report: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    let current = client(&report, "boto3");
    assert_eq!(current["source"], "container-relative", "{current:#}");
    assert_eq!(current["as_intended"], false, "{current:#}");
    assert!(
        current["problem"]
            .as_str()
            .unwrap()
            .contains("rolehop exec"),
        "{current:#}"
    );
    let go = client(&report, "Go SDK v1");
    assert_eq!(go["source"], "container-full", "{go:#}");
    assert_eq!(go["account"], account, "{go:#}");
    assert!(
        !out.contains(&stack.token()),
        "the token must not appear in check's report"
    );
}
