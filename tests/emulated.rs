//! The arm64 (Graviton) binary the image ships for linux/arm64, run on an x86_64 machine under
//! qemu's user-mode emulation (natively on an aarch64 one): `--version`, `healthcheck`, and
//! `serve` answering the AWS CLI with the destination role through moto, as `tests/serve.rs`
//! does with the native binary. `scripts/image-check` builds the binary and installs qemu;
//! `scripts/test` names the binary in `ROLEHOP_ARM64_BIN`. A missing binary fails the test.

use std::path::PathBuf;
use std::time::Duration;

use crate::support::ecs_agent::TASK_ID;
use crate::support::rolehop::{BIN, Workdir, base_env};
use crate::support::{DESTINATION_ROLE_ARN, Stack, clients, run_process};

/// The variable naming the arm64 binary; unset, the path scripts/image-check builds it at.
const ENV_ARM64_BIN: &str = "ROLEHOP_ARM64_BIN";
/// ELF's e_machine for AArch64.
const EM_AARCH64: u16 = 183;

/// The command line that runs the arm64 binary here: the binary, after qemu on other machines.
fn arm64() -> Vec<String> {
    let bin = std::env::var_os(ENV_ARM64_BIN).map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target/aarch64-unknown-linux-musl/release/rolehop")
        },
        PathBuf::from,
    );
    let elf = std::fs::read(&bin).unwrap_or_else(|e| {
        panic!(
            "the arm64 binary {} is missing ({e}); build it with scripts/image-check (scripts/test runs it first)",
            bin.display()
        )
    });
    assert!(
        elf.starts_with(b"\x7fELF") && elf.len() > 20,
        "{} is not an ELF binary",
        bin.display()
    );
    assert_eq!(
        u16::from_le_bytes([elf[18], elf[19]]),
        EM_AARCH64,
        "{} is not an arm64 binary",
        bin.display()
    );
    let mut command = Vec::new();
    if std::env::consts::ARCH != "aarch64" {
        let qemu = "qemu-aarch64-static";
        let path = std::env::var_os("PATH").unwrap_or_default();
        let found = std::env::split_paths(&path).any(|d| d.join(qemu).is_file());
        assert!(
            found,
            "`{qemu}` is not on PATH; scripts/image-check installs it (Debian's qemu-user-static)"
        );
        command.push(qemu.to_owned());
    }
    command.push(bin.display().to_string());
    command
}

async fn run(program: &[String], args: &[&str], env: &[(String, String)]) -> (i32, String, String) {
    let all: Vec<&str> = program[1..]
        .iter()
        .map(String::as_str)
        .chain(args.iter().copied())
        .collect();
    run_process(
        std::path::Path::new(&program[0]),
        &all,
        env,
        Duration::from_secs(60),
    )
    .await
}

#[tokio::test]
async fn the_arm64_binary_runs_and_reports_the_same_version() {
    let arm64 = arm64();
    let work = Workdir::new();
    let env = base_env(work.dir.path());
    let (code, version, stderr) = run(&arm64, &["--version"], &env).await;
    assert_eq!(code, 0, "{stderr}");
    let (_, native, _) = run(&[BIN.to_owned()], &["--version"], &env).await;
    // The version, not the commit build.rs stamps (the two may be built at different commits).
    let release = |v: &str| v.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    assert_eq!(
        release(&version),
        release(&native),
        "the arm64 binary is this version of rolehop"
    );
    let (code, _, stderr) = run(
        &arm64,
        &["healthcheck", "--endpoint", "http://127.0.0.1:9"],
        &env,
    )
    .await;
    assert_eq!(code, 1, "a health check of nothing fails: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_arm64_binary_serves_the_destination_role_to_the_aws_cli() {
    let arm64 = arm64();
    let program: Vec<&str> = arm64.iter().map(String::as_str).collect();
    let stack = Stack::start().await;
    let rolehop = stack.serve_as(&program, &[], &[]).await;
    rolehop.wait_ready().await;

    let env = stack.client_env(&rolehop, "/v1/credentials");
    let identity = clients::aws_cli_caller_identity(&env).await;
    assert_eq!(identity["Account"], "555566667777", "{identity}");
    assert_eq!(
        identity["Arn"],
        format!("arn:aws:sts::555566667777:assumed-role/destination-account-role/{TASK_ID}"),
        "{identity}"
    );
    let calls = stack.proxy.calls("AssumeRole");
    assert_eq!(calls.len(), 1, "one AssumeRole, by the arm64 rolehop");
    assert_eq!(calls[0].param("RoleArn"), Some(DESTINATION_ROLE_ARN));

    // The image's health check, as ECS runs it, by the arm64 binary against itself.
    let (code, _, stderr) = run(
        &arm64,
        &["healthcheck", "--endpoint", &rolehop.base],
        &stack.base_env(),
    )
    .await;
    assert_eq!(
        code, 0,
        "healthcheck of the serving arm64 rolehop: {stderr}"
    );
}
