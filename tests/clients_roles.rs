//! Per-container roles: two `[client]` sections, each granted one profile in its own account.
//! Through the AWS CLI, boto3 and the Rust SDK each client reaches its own account and is
//! refused the other's; rotating one client's token file leaves the other working and retires
//! the old token within 10 s. Without `[client]` sections the single token works as before.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::rolehop::Rolehop;
use crate::support::{LEAK_MARKER, Stack, clients, http, require_tool, run_process};

const ORDERS_ACCOUNT: &str = "555566667777";
const REPORTS_ACCOUNT: &str = "999988887777";
const PROFILES: &str = "\
[profile orders]
role_arn = arn:aws:iam::555566667777:role/orders
credential_source = EcsContainer

[profile reports]
role_arn = arn:aws:iam::999988887777:role/reports
credential_source = EcsContainer
";
const WEB_TOKEN: &str = "leakcanary-web-token-0123456789";
const BATCH_TOKEN: &str = "leakcanary-batch-token-0123456789";
const BATCH_ROTATED: &str = "leakcanary-batch-rotated-0123456789";

/// A token file as an operator (or a secrets agent) writes it: private, replaced atomically.
fn write_token(path: &Path, token: &str) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, token).unwrap();
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

struct Scoped {
    stack: Stack,
    rolehop: Rolehop,
    /// The web container's copy of its token (rolehop reads it from a variable).
    web_file: std::path::PathBuf,
    /// rolehop's `token_file` for batch, which the batch container also reads.
    batch_file: std::path::PathBuf,
}

async fn serve_scoped() -> Scoped {
    let stack = Stack::start().await;
    let (web_file, batch_file) = (stack.work.path("web-token"), stack.work.path("batch"));
    write_token(&web_file, WEB_TOKEN);
    write_token(&batch_file, BATCH_TOKEN);
    let config = format!(
        "{PROFILES}
[client web]
token_env = ROLEHOP_TOKEN_WEB      # an ECS `secrets` entry
profiles = orders

[client batch]
token_file = {}    # or a file
profiles = reports
",
        batch_file.display()
    );
    let mut env = stack.rolehop_env();
    env.push(("ROLEHOP_TOKEN_WEB".into(), WEB_TOKEN.into()));
    env.push(("ROLEHOP_CONFIG_TEXT".into(), config));
    let rolehop = Rolehop::spawn(&["serve", "--listen", "127.0.0.1:0"], &env).await;
    rolehop.wait_ready().await;
    Scoped {
        stack,
        rolehop,
        web_file,
        batch_file,
    }
}

impl Scoped {
    fn env(&self, token_file: &Path, path: &str) -> Vec<(String, String)> {
        clients::via_rolehop(
            &self.stack.base_env(),
            &self.rolehop.base,
            path,
            token_file,
            &self.stack.proxy.url,
        )
    }

    async fn get(&self, path: &str, token: &str) -> http::Reply {
        let url = format!("{}{path}", self.rolehop.base);
        http::get(&url, &[("Authorization", token)]).await
    }
}

fn assert_account(identity: &serde_json::Value, account: &str, role: &str, what: &str) {
    assert_eq!(identity["Account"], account, "{what}: {identity}");
    let arn = identity["Arn"].as_str().unwrap_or_default();
    assert!(
        arn.starts_with(&format!("arn:aws:sts::{account}:assumed-role/{role}/")),
        "{what}: {identity}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_client_reaches_its_own_account_and_is_refused_the_other() {
    let s = serve_scoped().await;
    // web through /v1/credentials alone (its first profile); batch by name.
    let web = s.env(&s.web_file, "/v1/credentials");
    let batch = s.env(&s.batch_file, "/v1/credentials/reports");
    for (who, env, account, role) in [
        ("web", &web, ORDERS_ACCOUNT, "orders"),
        ("batch", &batch, REPORTS_ACCOUNT, "reports"),
    ] {
        let cli = clients::aws_cli_caller_identity(env).await;
        assert_account(&cli, account, role, &format!("{who} via the AWS CLI"));
        let boto3 = clients::boto3_caller_identity(env).await;
        assert_account(&boto3, account, role, &format!("{who} via boto3"));
        let rust = clients::rust_sdk_caller_identity(env).await;
        assert_account(&rust, account, role, &format!("{who} via the Rust SDK"));
    }

    // Each client asking for the other's profile: every real client fails...
    let web_wrong = s.env(&s.web_file, "/v1/credentials/reports");
    let batch_wrong = s.env(&s.batch_file, "/v1/credentials/orders");
    let rust_sdk = Path::new(crate::support::rolehop::BIN)
        .parent()
        .unwrap()
        .join("examples/caller_identity");
    let python = "import boto3\nboto3.client('sts').get_caller_identity()";
    for env in [&web_wrong, &batch_wrong] {
        for (program, args) in [
            (require_tool("aws"), vec!["sts", "get-caller-identity"]),
            (require_tool("python3"), vec!["-c", python]),
            (rust_sdk.clone(), vec![]),
        ] {
            let (code, stdout, _) =
                run_process(&program, &args, env, Duration::from_secs(60)).await;
            assert_ne!(code, 0, "{} got credentials: {stdout}", program.display());
            assert!(!stdout.contains(ORDERS_ACCOUNT) && !stdout.contains(REPORTS_ACCOUNT));
        }
    }
    // ...because rolehop answers 403 with one sentence naming the client and the profile.
    let refused = s.get("/v1/credentials/reports", WEB_TOKEN).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.json()["code"], "ProfileNotGranted");
    assert_eq!(
        refused.json()["message"],
        "client web is not granted profile reports; grant it in the client's profiles in rolehop's config, or ask for a profile the client is granted"
    );
    let refused = s.get("/v1/credentials", BATCH_TOKEN).await;
    assert_eq!(
        refused.status, 200,
        "batch's first profile: {}",
        refused.body
    );
    let refused = s.get("/v1/credentials/orders", BATCH_TOKEN).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("client batch is not granted profile orders;")
    );
    // Only client tokens count; a refused body never carries one.
    let wrong = s
        .get("/v1/credentials/orders", "leakcanary-no-such-client-0123")
        .await;
    assert_eq!(wrong.status, 403);
    assert_eq!(wrong.json()["code"], "InvalidToken");
    for body in [&refused.body, &wrong.body] {
        assert!(!body.contains(LEAK_MARKER), "{body}");
    }

    // Logs and /metrics name the client, never its token.
    let metrics = http::get(&format!("{}/metrics", s.rolehop.base), &[])
        .await
        .body;
    for series in [
        "rolehop_client_requests_total{client=\"web\",outcome=\"refused\"}",
        "rolehop_client_requests_total{client=\"batch\",outcome=\"refused\"}",
        "rolehop_client_token_rotations_total{client=\"batch\"} 0",
    ] {
        assert!(metrics.contains(series), "{series} missing:\n{metrics}");
    }
    let served = metrics
        .lines()
        .find(|l| l.starts_with("rolehop_client_requests_total{client=\"web\",outcome=\"served\"}"))
        .and_then(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .unwrap_or_default();
    assert!(served >= 3, "web was served once per SDK: {metrics}");
    let logs = s.rolehop.logs();
    assert!(
        logs.lines().any(|l| l.contains("refused a request")
            && l.contains("ProfileNotGranted")
            && l.contains("web")),
        "{logs}"
    );
    assert!(
        !logs.contains(LEAK_MARKER),
        "a token reached the logs:\n{logs}"
    );
    assert!(!metrics.contains(LEAK_MARKER));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_one_token_file_leaves_the_other_client_working() {
    let s = serve_scoped().await;
    assert_eq!(s.get("/v1/credentials", BATCH_TOKEN).await.status, 200);
    let written = Instant::now();
    write_token(&s.batch_file, BATCH_ROTATED);
    loop {
        let old = s.get("/v1/credentials/reports", BATCH_TOKEN).await.status;
        let new = s.get("/v1/credentials/reports", BATCH_ROTATED).await.status;
        if (old, new) == (403, 200) {
            break;
        }
        assert!(
            written.elapsed() < Duration::from_secs(10),
            "10 s after the rotation: old token {old}, new token {new}\n{}",
            s.rolehop.logs()
        );
        // web is never disturbed meanwhile.
        assert_eq!(s.get("/v1/credentials", WEB_TOKEN).await.status, 200);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The batch container reads the same file, so its SDK follows the rotation; web still works.
    let batch =
        clients::boto3_caller_identity(&s.env(&s.batch_file, "/v1/credentials/reports")).await;
    assert_account(&batch, REPORTS_ACCOUNT, "reports", "batch after rotation");
    let web = clients::aws_cli_caller_identity(&s.env(&s.web_file, "/v1/credentials")).await;
    assert_account(&web, ORDERS_ACCOUNT, "orders", "web after batch's rotation");
    let logs = s.rolehop.logs();
    assert!(
        logs.lines()
            .any(|l| l.contains("client token changed") && l.contains("batch")),
        "{logs}"
    );
    assert!(
        !logs.contains(LEAK_MARKER),
        "a token reached the logs:\n{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_client_sections_the_single_token_serves_every_profile() {
    let stack = Stack::start().await;
    let path = stack.work.path("rolehop.config");
    std::fs::write(&path, PROFILES).unwrap();
    let (config, token_file) = (
        path.display().to_string(),
        stack.token_file().display().to_string(),
    );
    let rolehop = Rolehop::spawn(
        &[
            "serve",
            "--config",
            &config,
            "--listen",
            "127.0.0.1:0",
            "--token-file",
            &token_file,
        ],
        &stack.rolehop_env(),
    )
    .await;
    rolehop.wait_ready().await;
    for (profile, account) in [("orders", ORDERS_ACCOUNT), ("reports", REPORTS_ACCOUNT)] {
        let env = stack.client_env(&rolehop, &format!("/v1/credentials/{profile}"));
        let identity = clients::boto3_caller_identity(&env).await;
        assert_account(&identity, account, profile, profile);
    }
    let metrics = http::get(&format!("{}/metrics", rolehop.base), &[])
        .await
        .body;
    assert!(!metrics.contains("rolehop_client_"), "{metrics}");
}

/// Client sections, rolehop's variables, extra flags, the expected sentence.
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
    &'static str,
);

/// Each refused configuration stops rolehop before it listens, with every sentence at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_client_configuration_is_refused_before_any_network_call() {
    let stack = Stack::start().await;
    let batch_file = stack.work.path("batch");
    write_token(&batch_file, BATCH_TOKEN);
    let cases: [Case; 6] = [
        (
            "[client web]\ntoken = leakcanary-literal-0123456789\nprofiles = orders\n",
            &[],
            &[],
            "client web sets `token` in the config text, which rolehop never reads a token from",
        ),
        (
            "[client web]\ntoken_env = ROLEHOP_TOKEN_WEB\nprofiles = orders, nope\n",
            &[("ROLEHOP_TOKEN_WEB", WEB_TOKEN)],
            &[],
            "client web is granted profile nope, which is not a profile with a role_arn",
        ),
        (
            "[client web]\ntoken_env = SAME\nprofiles = orders\n[client batch]\ntoken_env = SAME\nprofiles = reports\n",
            &[("SAME", WEB_TOKEN)],
            &[],
            "clients web and batch both read token_env = SAME",
        ),
        (
            "[client web]\ntoken_env = ROLEHOP_TOKEN_WEB\nprofiles = orders\n",
            &[("ROLEHOP_TOKEN_WEB", "")],
            &[],
            "client web: ROLEHOP_TOKEN_WEB is shorter than 16 characters",
        ),
        (
            "[client web]\ntoken_env = ROLEHOP_TOKEN_WEB\nprofiles = orders\n",
            &[("ROLEHOP_TOKEN_WEB", WEB_TOKEN)],
            &["--imds-listen", "127.0.0.1:0", "--imds-role", "orders"],
            "the IMDS listener would serve profile orders to every local process without a token, but it is granted to client web",
        ),
        (
            "[client web]\ntoken_env = ROLEHOP_TOKEN_WEB\nprofiles = orders\n",
            &[("ROLEHOP_TOKEN_WEB", WEB_TOKEN)],
            &["--token-file", "/tmp/rolehop-unused"],
            "--token-file (ROLEHOP_TOKEN_FILE) is set, but the config file has [client] sections",
        ),
    ];
    for (clients_text, vars, flags, expected) in cases {
        let mut env = stack.rolehop_env();
        env.push((
            "ROLEHOP_CONFIG_TEXT".into(),
            format!("{PROFILES}\n{clients_text}"),
        ));
        env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(flags);
        let (code, stdout, stderr) = Rolehop::run(&args, &env).await;
        assert_eq!(code, 64, "{clients_text}: exit {code}\n{stdout}{stderr}");
        assert!(
            stderr.contains(expected),
            "{clients_text}: expected {expected:?} in\n{stderr}"
        );
        assert!(!stderr.contains(LEAK_MARKER), "{stderr}");
    }
    assert_eq!(stack.proxy.count("AssumeRole"), 0, "no STS call was made");
    assert_eq!(
        stack.agent.credential_requests(),
        0,
        "no source fetch was made"
    );
}
