//! Hardening round 3 (issue 25): what an adversarial review of `publish`, `[client]` tokens,
//! `setup --container` and the IMDS listener got through, now refused.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use crate::support::http::raw_exchange as status_of;
use crate::support::rolehop::{Rolehop, Workdir, base_env};
use crate::support::{Stack, require_tool, run_process};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imds_takes_one_host_that_is_a_local_literal_and_no_forwarding_header() {
    let stack = Stack::start().await;
    let rolehop = stack.serve(&["--imds-listen", "127.0.0.1:0"]).await;
    rolehop.wait_ready().await;
    let addr: SocketAddr = rolehop
        .imds_base()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let put = |target: &str, headers: &str| {
        format!(
            "PUT {target} HTTP/1.1\r\n{headers}x-aws-ec2-metadata-token-ttl-seconds: 60\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    };
    let token = "/latest/api/token";
    for host in [
        addr.to_string(),
        "127.0.0.1".into(),
        "[::1]:80".into(),
        "169.254.169.254".into(),
    ] {
        let (status, answer) = status_of(addr, &put(token, &format!("Host: {host}\r\n"))).await;
        assert_eq!(status, 200, "Host {host}: {answer}");
    }
    let refused = [
        put(token, "Host: [::1]evil.example\r\n"),
        put(token, "Host: 127.0.0.1:evil.example\r\n"),
        put(token, "Host: localhost\r\n"),
        put(token, "Host: 127.0.0.1\r\nHost: evil.example\r\n"),
        put(token, "Host: evil.example\r\nHost: 127.0.0.1\r\n"),
        put(
            "http://evil.example/latest/api/token",
            "Host: 127.0.0.1\r\n",
        ),
        put(token, "Host: 127.0.0.1\r\nForwarded: for=10.0.0.1\r\n"),
        put(token, "Host: 127.0.0.1\r\nVia: 1.1 proxy\r\n"),
        put(token, "Host: 127.0.0.1\r\nX-Real-IP: 10.0.0.1\r\n"),
        put(
            token,
            "Host: 127.0.0.1\r\nX-Forwarded-Host: evil.example\r\n",
        ),
        put(token, "Host: 127.0.0.1\r\nX-Forwarded-For: 10.0.0.1\r\n"),
    ];
    for request in refused {
        let (status, answer) = status_of(addr, &request).await;
        // 403 from rolehop, or 400 from hyper for what HTTP/1.1 itself forbids.
        assert!(
            status == 403 || status == 400,
            "{request:?} got {status}: {answer}"
        );
        assert!(!answer.contains("\r\n\r\n0000"), "a token: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_refuses_a_shell_endpoint_and_warns_on_a_directory_others_can_write() {
    let work = Workdir::new();
    let env = base_env(work.dir.path());
    let dir = work.path("shared");
    std::fs::create_dir(&dir).unwrap();
    let shown = dir.display().to_string();
    for endpoint in [
        "http://127.0.0.1:9911/$(id)",
        "http://127.0.0.1:9911/x;id",
        "http://127.0.0.1:9911/'x'",
    ] {
        let (code, stdout, stderr) = Rolehop::run(
            &[
                "publish",
                &shown,
                "--endpoint",
                endpoint,
                "--profile",
                "default",
            ],
            &env,
        )
        .await;
        assert_eq!(code, 64, "{endpoint}: {stdout}{stderr}");
        assert!(stderr.contains("some SDKs run through a shell"), "{stderr}");
        assert!(
            !dir.join("config").exists(),
            "nothing written for {endpoint}"
        );
    }
    let argv = [
        "publish",
        shown.as_str(),
        "--endpoint",
        "http://127.0.0.1:9911",
        "--profile",
        "default",
    ];
    let publish = || Rolehop::run(&argv, &env);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, _, stderr) = publish().await;
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (code, _, stderr) = publish().await;
    assert_eq!(code, 0, "a warning, not a refusal: {stderr}");
    assert!(
        stderr.contains("is writable by group or others (mode 0777)"),
        "{stderr}"
    );
}

/// `rolehop check --task-definition FILE` on `td`: (exit code, stdout).
async fn check_td(work: &Workdir, td: &serde_json::Value) -> (i32, String) {
    let file = work.path("td.json");
    std::fs::write(&file, td.to_string()).unwrap();
    let file = file.display().to_string();
    let (code, stdout, stderr) = Rolehop::run(
        &["check", "--task-definition", &file],
        &base_env(work.dir.path()),
    )
    .await;
    (code, format!("{stdout}{stderr}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_fails_a_writable_published_volume_and_a_config_text_that_does_not_parse() {
    let work = Workdir::new();
    let shipped: serde_json::Value = serde_json::from_str(include_str!(
        "../task-definitions/fargate-unmodified-image.json"
    ))
    .unwrap();
    let (code, out) = check_td(&work, &shipped).await;
    assert!(!out.contains("ecs.published-volume"), "{out}");
    assert_eq!(code, 0, "{out}");
    let mut writable = shipped.clone();
    for c in writable["containerDefinitions"].as_array_mut().unwrap() {
        if c["command"][0] != "publish" {
            for m in c["mountPoints"].as_array_mut().into_iter().flatten() {
                m["readOnly"] = false.into();
            }
        }
    }
    let (code, out) = check_td(&work, &writable).await;
    assert!(out.contains("FAIL ecs.published-volume"), "{out}");
    assert_ne!(code, 0, "{out}");

    let per_container: serde_json::Value = serde_json::from_str(include_str!(
        "../task-definitions/fargate-per-container.json"
    ))
    .unwrap();
    let mut broken = per_container.clone();
    for c in broken["containerDefinitions"].as_array_mut().unwrap() {
        for e in c["environment"].as_array_mut().into_iter().flatten() {
            if e["name"] == "ROLEHOP_CONFIG_TEXT" {
                let text = e["value"].as_str().unwrap();
                let text = text.replacen("\n[client", "\n[client broken\n[client", 1);
                e["value"] = text.into();
            }
        }
    }
    assert_ne!(broken, per_container, "the config text was broken");
    let (code, out) = check_td(&work, &broken).await;
    assert!(
        out.contains("FAIL ecs.client-roles") && out.contains("not valid config file syntax"),
        "{out}"
    );
    assert_ne!(code, 0, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_client_token_file_costs_no_memory() {
    let stack = Stack::start().await;
    let file = stack.work.path("batch-token");
    std::fs::write(&file, "leakcanary-batch-token-0123456789").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let config = format!(
        "[profile reports]\nrole_arn = arn:aws:iam::999988887777:role/reports\ncredential_source = EcsContainer\n\n[client batch]\ntoken_file = {}\nprofiles = reports\n",
        file.display()
    );
    let mut env = stack.rolehop_env();
    env.push(("ROLEHOP_CONFIG_TEXT".into(), config));
    let rolehop = Rolehop::spawn(&["serve", "--listen", "127.0.0.1:0"], &env).await;
    rolehop.wait_ready().await;
    // Replaced by a sparse gigabyte, as the review did: the next re-read refuses it.
    let big = stack.work.path("batch-token.new");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    std::fs::set_permissions(&big, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::rename(&big, &file).unwrap();
    crate::support::wait_for("the re-read's warning", Duration::from_secs(15), || {
        rolehop
            .logs()
            .contains("longer than 4096 bytes")
            .then_some(())
    });
    let status = std::fs::read_to_string(format!("/proc/{}/status", rolehop.pid())).unwrap();
    let peak_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    assert!(
        peak_kb < 200 * 1024,
        "rolehop's peak memory reached {peak_kb} kB reading the token file"
    );
}

/// Values an attacker would give a flag to run a command when `commands.sh` runs: each creates
/// `mark` if the shell ever executes it.
fn payloads(mark: &Path) -> Vec<String> {
    let m = mark.display();
    vec![
        format!("\ntouch {m}\n"),
        format!("$(touch {m})"),
        format!("`touch {m}`"),
        format!("';touch {m};'"),
        format!("\";touch {m};\""),
        format!(";touch {m} #"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_setup_values_never_run_in_commands_sh() {
    const TASK: &str = "arn:aws:iam::111122223333:role/my-ECS-task-role";
    const DEST: &str = "arn:aws:iam::555566667777:role/destination-account-role";
    const SECRET: &str =
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:rolehop/token-AbCdEf";
    let work = Workdir::new();
    let bin = work.path("bin");
    std::fs::create_dir(&bin).unwrap();
    let stub = bin.join("aws");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/stub-aws"),
        &stub,
    )
    .unwrap();
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let sh = require_tool("sh");
    let mark = work.path("pwned");
    let log = work.path("aws-calls");
    let mut env = base_env(work.dir.path());
    env.retain(|(k, _)| k != "AWS_REGION" && k != "PATH");
    env.push(("PATH".into(), format!("{}:/usr/bin:/bin", bin.display())));
    env.push(("STUB_AWS_LOG".into(), log.display().to_string()));
    // The stub answers get-caller-identity with the account a profile's name ends with.
    env.push(("SOURCE_PROFILE".into(), "acct-111122223333".into()));
    env.push(("DESTINATION_PROFILE".into(), "acct-555566667777".into()));

    // (flag, how a payload goes into its value); the other flags keep valid values.
    type ValueOf = Box<dyn Fn(&str) -> String>;
    let flags: Vec<(&str, ValueOf)> = vec![
        ("--source-role-arn", Box::new(|p| format!("{TASK}{p}"))),
        ("--role-arn", Box::new(|p| format!("{DEST}{p}"))),
        ("--container", Box::new(|p| format!("web{p}={DEST}"))),
        ("--container", Box::new(|p| format!("web={DEST}{p}"))),
        ("--external-id", Box::new(|p| format!("id-0123456789{p}"))),
        ("--tag", Box::new(|p| format!("team=a{p}"))),
        ("--tag", Box::new(|p| format!("a{p}=b"))),
        ("--source-identity", Box::new(|p| format!("ops{p}"))),
        (
            "--execution-role-arn",
            Box::new(|p| format!("arn:aws:iam::111122223333:role/exec{p}")),
        ),
        ("--region", Box::new(|p| format!("us-east-1{p}"))),
        ("--image", Box::new(|p| format!("rolehop:1{p}"))),
        ("--app-image", Box::new(|p| format!("app:1{p}"))),
        ("--family", Box::new(|p| format!("rolehop{p}"))),
        (
            "--token-secret-name",
            Box::new(|p| format!("rolehop/token{p}")),
        ),
        ("--token-secret-arn", Box::new(|p| format!("{SECRET}{p}"))),
        (
            "ROLEHOP_TOKEN_SECRET_ARN",
            Box::new(|p| format!("{SECRET}{p}")),
        ),
        ("--out", Box::new(|p| format!("out{p}"))),
    ];
    let (mut refused, mut written) = (0, 0);
    for (n, (flag, value_of)) in flags.iter().enumerate() {
        for (k, payload) in payloads(&mark).iter().enumerate() {
            let value = value_of(payload);
            let out = work.path(&format!("case-{n}-{k}"));
            let out = if *flag == "--out" {
                out.join(&value)
            } else {
                out.join("out")
            };
            let mut argv: Vec<String> = vec![
                "setup".into(),
                "--ecs-roles".into(),
                "--codedeploy-role".into(),
            ];
            argv.extend(["--out".into(), out.display().to_string()]);
            // The valid values of the flags not under test (clap refuses a flag given twice).
            for (other, valid) in [("--region", "us-east-1"), ("--source-role-arn", TASK)] {
                if *flag != other {
                    argv.extend([other.to_owned(), valid.to_owned()]);
                }
            }
            if *flag != "--container" && *flag != "--role-arn" {
                argv.extend(["--role-arn".into(), DEST.into()]);
            }
            let mut case_env = env.clone();
            if *flag == "ROLEHOP_TOKEN_SECRET_ARN" {
                case_env.push((flag.to_string(), value.clone()));
            } else if *flag != "--out" {
                argv.extend([flag.to_string(), value.clone()]);
            }
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            let (code, stdout, stderr) = Rolehop::run(&argv, &case_env).await;
            let script = out.join("commands.sh");
            match code {
                64 => {
                    assert!(!script.exists(), "{flag} {value:?}: refused, yet written");
                    refused += 1;
                    continue;
                }
                0 => written += 1,
                _ => panic!("{flag} {value:?}: exit {code}\n{stdout}{stderr}"),
            }
            let _ = std::fs::remove_file(&log);
            let (code, stdout, stderr) = run_process(
                &sh,
                &[script.to_str().unwrap()],
                &case_env,
                Duration::from_secs(30),
            )
            .await;
            assert_eq!(
                code, 0,
                "{flag} {value:?}: commands.sh failed:\n{stdout}{stderr}"
            );
            assert!(
                !mark.exists(),
                "{flag} {value:?}: commands.sh ran the payload\n{stdout}{stderr}"
            );
            let calls = std::fs::read_to_string(&log).unwrap_or_default();
            assert!(
                calls.contains("register-task-definition"),
                "{flag} {value:?}: the script ran to its end: {calls}"
            );
        }
    }
    // Both outcomes happen: the test is not vacuous either way.
    assert!(
        refused > 0 && written > 0,
        "{refused} refused, {written} written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_and_check_fails_a_grant_that_chains_into_an_ungranted_profile() {
    let stack = Stack::start().await;
    let config = "\
[profile hub]
role_arn = arn:aws:iam::444455556666:role/hub
credential_source = EcsContainer

[profile ledger]
role_arn = arn:aws:iam::555566667777:role/ledger
source_profile = hub

[client web]
token_env = ROLEHOP_TOKEN_WEB
profiles = hub
";
    let mut env = stack.rolehop_env();
    env.push(("ROLEHOP_TOKEN_WEB".into(), "0123456789abcdef-web".into()));
    env.push(("ROLEHOP_CONFIG_TEXT".into(), config.into()));
    let (code, _, stderr) = Rolehop::run(&["serve", "--listen", "127.0.0.1:0"], &env).await;
    assert_eq!(code, 64, "{stderr}");
    assert!(
        stderr.contains("client web can get profile ledger without being granted it"),
        "{stderr}"
    );
    let (code, stdout, stderr) = Rolehop::run(&["check"], &env).await;
    assert_ne!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("FAIL config.valid")
            && stdout.contains("client web can get profile ledger"),
        "{stdout}{stderr}"
    );
    // Granted too, the same config starts.
    let granted = config.replace("profiles = hub", "profiles = hub, ledger");
    env.retain(|(k, _)| k != "ROLEHOP_CONFIG_TEXT");
    env.push(("ROLEHOP_CONFIG_TEXT".into(), granted));
    let rolehop = Rolehop::spawn(&["serve", "--listen", "127.0.0.1:0"], &env).await;
    drop(rolehop);
}
