//! The unmodified-image wiring (docs/WIRING.md) end to end: `rolehop publish` fills a directory
//! standing in for the task volume, and the AWS CLI, boto3 and the Rust SDK, run with the
//! environment ECS gives an app container (its `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`
//! included) plus the task definition's `AWS_CONFIG_FILE`/`AWS_PROFILE` and `ROLEHOP_TOKEN`
//! secret, get the destination account's role through the published profile, not the task
//! role.

use std::os::unix::fs::PermissionsExt;

use crate::support::ecs_agent::CREDENTIALS_PATH;
use crate::support::rolehop::Rolehop;
use crate::support::{DESTINATION_ROLE_ARN, Stack, clients};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmodified_app_gets_the_destination_role_from_the_published_profile() {
    let stack = Stack::start().await;
    let rolehop = stack.serve(&[]).await;
    rolehop.wait_ready().await;
    let volume = stack.work.path("rolehop-shared");
    std::fs::create_dir(&volume).unwrap();
    let dir = volume.display().to_string();

    // The init container, run twice as a restarted task would: the files are replaced whole.
    for _ in 0..2 {
        let (code, stdout, stderr) = Rolehop::run(
            &["publish", &dir, "--endpoint", &rolehop.base],
            &stack.base_env(),
        )
        .await;
        assert_eq!(code, 0, "{stdout}{stderr}");
    }
    let (binary, config) = (volume.join("rolehop"), volume.join("config"));
    assert_eq!(mode(&binary), 0o755, "the binary runs as any user");
    assert_eq!(
        mode(&config),
        0o644,
        "the profiles are readable by any user"
    );
    assert_eq!(
        std::fs::read(&binary).unwrap(),
        std::fs::read(crate::support::rolehop::BIN).unwrap(),
        "the sidecar's own binary"
    );
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        !text.contains(&stack.token()),
        "no token in the published profiles"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&volume)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "rolehop" && n != "config")
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // The app container: what ECS sets (RELATIVE_URI for the task role), what the task
    // definition adds (the profile, and the token from a secret), and nothing of rolehop's image.
    let mut app: Vec<(String, String)> = stack
        .base_env()
        .into_iter()
        .filter(|(k, _)| k != "AWS_CONFIG_FILE")
        .collect();
    app.extend([
        (
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI".to_owned(),
            CREDENTIALS_PATH.to_owned(),
        ),
        ("AWS_CONFIG_FILE".to_owned(), config.display().to_string()),
        ("AWS_PROFILE".to_owned(), "default".to_owned()),
        ("AWS_SDK_LOAD_CONFIG".to_owned(), "1".to_owned()),
        ("ROLEHOP_TOKEN".to_owned(), stack.token()),
        ("AWS_ENDPOINT_URL".to_owned(), stack.proxy.url.clone()),
    ]);
    let agent_requests = stack.agent.credential_requests();
    let destination = format!(
        "arn:aws:sts::555566667777:assumed-role/{}/",
        DESTINATION_ROLE_ARN.rsplit('/').next().unwrap()
    );
    for (client, identity) in [
        ("aws cli", clients::aws_cli_caller_identity(&app).await),
        ("boto3", clients::boto3_caller_identity(&app).await),
        ("rust sdk", clients::rust_sdk_caller_identity(&app).await),
    ] {
        assert_eq!(identity["Account"], "555566667777", "{client}: {identity}");
        assert!(
            identity["Arn"].as_str().unwrap().starts_with(&destination),
            "{client}: {identity}"
        );
    }
    assert_eq!(
        stack.agent.credential_requests(),
        agent_requests,
        "no client asked the ECS agent for the task role"
    );

    // The published binary without the app's token: one sentence, no credentials printed.
    let no_token: Vec<_> = app
        .iter()
        .filter(|(k, _)| k != "ROLEHOP_TOKEN")
        .cloned()
        .collect();
    let (code, stdout, stderr) = crate::support::run_process(
        &binary,
        &["credential-process", "--endpoint", &rolehop.base],
        &no_token,
        std::time::Duration::from_secs(30),
    )
    .await;
    assert_ne!(code, 0, "{stdout}");
    assert!(
        stdout.is_empty() && stderr.contains("ROLEHOP_TOKEN"),
        "{stderr}"
    );
}

/// `rolehop check --task-definition` on a per-container wiring: each container's roles, and a
/// container given another container's token fails the check (exit 1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_each_containers_roles_and_fails_a_borrowed_token() {
    let work = crate::support::rolehop::Workdir::new();
    let config = "[profile orders]\nrole_arn = arn:aws:iam::555566667777:role/orders\nrolehop_external_id_env = ROLEHOP_EXTERNAL_ID_ORDERS\n\n[profile reports]\nrole_arn = arn:aws:iam::555566667777:role/reports\nrolehop_external_id_env = ROLEHOP_EXTERNAL_ID_REPORTS\n\n[client web]\ntoken_env = ROLEHOP_TOKEN_WEB\nprofiles = orders\n\n[client batch]\ntoken_env = ROLEHOP_TOKEN_BATCH\nprofiles = reports\n";
    let definition = |batch_secret: &str| {
        serde_json::json!({
            "family": "per-container",
            "taskRoleArn": crate::support::TASK_ROLE_ARN,
            "containerDefinitions": [
                {"name": "rolehop",
                 "environment": [{"name": "ROLEHOP_CONFIG_TEXT", "value": config}],
                 "secrets": [
                     {"name": "ROLEHOP_TOKEN_WEB", "valueFrom": "arn:aws:secretsmanager:us-east-1:111122223333:secret:rolehop/web"},
                     {"name": "ROLEHOP_TOKEN_BATCH", "valueFrom": "arn:aws:secretsmanager:us-east-1:111122223333:secret:rolehop/batch"},
                     // Per-container roles hold against an app container only with an external
                     // id that rolehop's container alone receives (ecs.container-isolation).
                     {"name": "ROLEHOP_EXTERNAL_ID_ORDERS", "valueFrom": "arn:aws:secretsmanager:us-east-1:111122223333:secret:rolehop/web-external-id"},
                     {"name": "ROLEHOP_EXTERNAL_ID_REPORTS", "valueFrom": "arn:aws:secretsmanager:us-east-1:111122223333:secret:rolehop/batch-external-id"}]},
                {"name": "web", "linuxParameters": {"initProcessEnabled": true},
                 "secrets": [{"name": "ROLEHOP_TOKEN", "valueFrom": "arn:aws:secretsmanager:us-east-1:111122223333:secret:rolehop/web"}]},
                {"name": "batch", "linuxParameters": {"initProcessEnabled": true},
                 "secrets": [{"name": "ROLEHOP_TOKEN", "valueFrom": batch_secret}]}
            ]
        })
        .to_string()
    };
    let run = |text: String| {
        let path = work.path("td.json");
        std::fs::write(&path, text).unwrap();
        let env = crate::support::rolehop::base_env(work.dir.path());
        async move {
            Rolehop::run(
                &["check", "--task-definition", &path.display().to_string()],
                &env,
            )
            .await
        }
    };

    let (code, stdout, stderr) = run(definition(
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:rolehop/batch",
    ))
    .await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("container web can get orders (client web)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("container batch can get reports (client batch)"),
        "{stdout}"
    );

    let (code, stdout, stderr) = run(definition(
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:rolehop/web",
    ))
    .await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("container batch is given client web's token"),
        "{stdout}"
    );
}
