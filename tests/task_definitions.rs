//! `task-definitions/*.json`: each registers against moto's ECS API through the real AWS CLI
//! (botocore validates the shape), and this test checks what registration does not: Fargate
//! cpu/memory pairs and `awsvpc`, health checks behind every `HEALTHY` dependency, and that
//! ports, variable names and the token wiring match rolehop's real flags.

use std::path::Path;

use serde_json::Value;

use crate::support::moto::Moto;
use crate::support::rolehop::{Rolehop, Workdir, base_env};

/// Fargate's valid (cpu, memory MiB) combinations.
fn fargate_pair_ok(cpu: u32, memory: u32) -> bool {
    let range = |lo: u32, hi: u32, step: u32| {
        memory >= lo && memory <= hi && (memory - lo).is_multiple_of(step)
    };
    match cpu {
        256 => [512, 1024, 2048].contains(&memory),
        512 => range(1024, 4096, 1024),
        1024 => range(2048, 8192, 1024),
        2048 => range(4096, 16384, 1024),
        4096 => range(8192, 30720, 1024),
        8192 => range(16384, 61440, 4096),
        16384 => range(32768, 122880, 8192),
        _ => false,
    }
}

fn env_of<'a>(container: &'a Value, name: &str) -> Option<&'a str> {
    for (list, key) in [("environment", "value"), ("secrets", "valueFrom")] {
        if let Some(v) = container[list]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["name"] == name)
        {
            return v[key].as_str();
        }
    }
    None
}

fn names(container: &Value) -> Vec<String> {
    ["environment", "secrets"]
        .iter()
        .flat_map(|list| container[list].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["name"].as_str().map(str::to_owned))
        .collect()
}

/// The `ROLEHOP_*` variables `rolehop serve` reads: its help's `[env: ...]` names and
/// `ROLEHOP_TOKEN`.
pub async fn serve_variables(env: &[(String, String)]) -> Vec<String> {
    let (_, serve_help, _) = Rolehop::run(&["serve", "--help"], env).await;
    serve_help
        .split("[env: ")
        .skip(1)
        .map(|s| {
            s.chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect::<String>()
        })
        .chain(["ROLEHOP_TOKEN".to_owned()])
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_task_definition_registers_and_is_wired_to_rolehops_real_flags() {
    let moto = tokio::task::spawn_blocking(Moto::start).await.unwrap();
    let work = Workdir::new();
    let mut env = base_env(work.dir.path());
    env.extend([
        ("AWS_ACCESS_KEY_ID".into(), "AKIDTASKDEFTEST00000".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "x".into()),
    ]);
    let rolehop_vars = serve_variables(&env).await;
    assert!(
        rolehop_vars.contains(&"ROLEHOP_ROLE_ARN".to_owned()),
        "{rolehop_vars:?}"
    );

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("task-definitions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 2);
    for file in &files {
        assert_registers_and_is_wired(file, &env, &moto.url, &rolehop_vars).await;
    }
}

/// Registers `file` with moto's ECS API through the AWS CLI (`env` holds its keys) and checks
/// what registration does not: awsvpc, Fargate sizes, health checks behind `HEALTHY`, each app's
/// wiring to rolehop's listener, profiles and token, and `rolehop check --task-definition`.
pub async fn assert_registers_and_is_wired(
    file: &Path,
    env: &[(String, String)],
    moto_url: &str,
    rolehop_vars: &[String],
) {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let td: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();

    // Registration: the real CLI against moto.
    let aws = crate::support::require_tool("aws");
    let input = format!("file://{}", file.display());
    let (code, stdout, stderr) = crate::support::run_process(
        &aws,
        &[
            "ecs",
            "register-task-definition",
            "--cli-input-json",
            &input,
            "--endpoint-url",
            moto_url,
            "--output",
            "json",
        ],
        env,
        std::time::Duration::from_secs(60),
    )
    .await;
    assert_eq!(code, 0, "{name}: {stderr}");
    let registered: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        registered["taskDefinition"]["family"], td["family"],
        "{name}"
    );
    if td.get("runtimePlatform").is_some() {
        assert_eq!(
            registered["taskDefinition"]["runtimePlatform"], td["runtimePlatform"],
            "{name}: the platform ECS keeps"
        );
    }

    // What registration does not check.
    assert_eq!(
        td["networkMode"], "awsvpc",
        "{name}: awsvpc, so the app reaches rolehop on loopback"
    );
    let fargate = td["requiresCompatibilities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "FARGATE");
    if fargate {
        let cpu: u32 = td["cpu"].as_str().unwrap().parse().unwrap();
        let memory: u32 = td["memory"].as_str().unwrap().parse().unwrap();
        assert!(
            fargate_pair_ok(cpu, memory),
            "{name}: Fargate has no {cpu} CPU / {memory} MiB size"
        );
    }
    let containers = td["containerDefinitions"].as_array().unwrap();
    for c in containers {
        for dep in c["dependsOn"].as_array().into_iter().flatten() {
            if dep["condition"] == "HEALTHY" {
                let target = containers
                    .iter()
                    .find(|t| t["name"] == dep["containerName"])
                    .expect("dependsOn names a container");
                assert!(
                    target["healthCheck"].is_object(),
                    "{name}: {} waits for {} HEALTHY, which has no healthCheck",
                    c["name"],
                    target["name"]
                );
            }
        }
    }
    let rolehop = containers
        .iter()
        .find(|c| c["name"] == "rolehop")
        .expect("a rolehop container");
    // A client's token variable is named by its config section, a profile's external id
    // variable by its `rolehop_external_id_env`, not by a flag.
    let config_text = env_of(rolehop, "ROLEHOP_CONFIG_TEXT").unwrap_or_default();
    let token_envs: Vec<String> = client_sections(config_text)
        .into_iter()
        .map(|(_, var, _)| var)
        .chain(config_text.lines().filter_map(|l| {
            let (key, value) = l.split_once('=')?;
            (key.trim() == "rolehop_external_id_env").then(|| value.trim().to_owned())
        }))
        .collect();
    for var in names(rolehop)
        .iter()
        .filter(|n| n.starts_with("ROLEHOP_") && !token_envs.contains(n))
    {
        assert!(
            rolehop_vars.contains(var),
            "{name}: {var} is not a rolehop serve variable"
        );
    }
    assert_passes_security_hub(&name, rolehop);
    let listen = env_of(rolehop, "ROLEHOP_LISTEN").unwrap_or("127.0.0.1:9911");
    let health: Vec<&str> = rolehop["healthCheck"]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(health[1..3], ["/rolehop", "healthcheck"], "{name}");
    assert!(
        health.iter().any(|a| a.ends_with(listen)),
        "{name}: the health check asks {listen}: {health:?}"
    );
    // One token shared by rolehop and every app, or (per-container roles) each app container's
    // own: the `[client NAME]` section named after it, its `token_env` one of rolehop's secrets.
    let clients = client_sections(env_of(rolehop, "ROLEHOP_CONFIG_TEXT").unwrap_or_default());
    let shared = env_of(rolehop, "ROLEHOP_TOKEN");
    assert!(
        shared.is_some() == clients.is_empty(),
        "{name}: rolehop's token from a secret, or client sections (not both)"
    );
    let token_of = |app_name: &str| -> Option<&str> {
        match shared {
            Some(token) => Some(token),
            None => {
                let (_, var, _) = clients.iter().find(|(n, _, _)| n == app_name)?;
                env_of(rolehop, var)
            }
        }
    };
    // The profile `/v1/credentials` serves: `default`, or the app's client's first profile.
    let default_profile_of = |app_name: &str| -> String {
        clients
            .iter()
            .find(|(n, _, _)| n == app_name)
            .map_or("default".to_owned(), |(_, _, first)| first.clone())
    };
    // The profiles rolehop serves here: the config text's, or the flags' `default`.
    let profiles: Vec<String> = match env_of(rolehop, "ROLEHOP_CONFIG_TEXT") {
        Some(text) => text
            .lines()
            .filter_map(|l| {
                l.strip_prefix("[profile ")
                    .and_then(|p| p.strip_suffix(']'))
                    .map(str::to_owned)
                    .or_else(|| (l == "[default]").then(|| "default".to_owned()))
            })
            .collect(),
        None => vec!["default".to_owned()],
    };
    let app_dockerfile = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docker/app.Dockerfile"),
    )
    .unwrap();
    // `rolehop publish` init containers: locked down like rolehop's.
    let is_publisher = |c: &Value| c["command"][0] == "publish";
    for publisher in containers.iter().filter(|c| is_publisher(c)) {
        assert_passes_security_hub(&name, publisher);
    }
    for app in containers
        .iter()
        .filter(|c| c["name"] != "rolehop" && !is_publisher(c))
    {
        let app_name = app["name"].as_str().unwrap();
        let token = token_of(app_name)
            .unwrap_or_else(|| panic!("{name}/{app_name}: no client token of its own"));
        let entry = app["entryPoint"].to_string();
        if let Some(publisher) = published_to(app, containers) {
            assert_published_wiring(&name, app, publisher, &td, listen, &profiles, env).await;
            assert_eq!(
                env_of(app, "ROLEHOP_TOKEN"),
                Some(token),
                "{name}/{app_name}: rolehop's token"
            );
        } else if let Some(full) = exported_full_uri(app) {
            // FULL_URI + token: the app must drop the RELATIVE_URI ECS injects.
            let route = full
                .strip_prefix(&format!("http://{listen}/v1/credentials"))
                .unwrap_or_else(|| panic!("{name}/{app_name}: {full} is not rolehop's {listen}"));
            let default_profile = default_profile_of(app_name);
            let profile = match route.trim_start_matches('/') {
                "" => default_profile.as_str(),
                p => p,
            };
            assert!(
                profiles.iter().any(|p| p == profile),
                "{name}/{app_name}: {full} names profile {profile}, which rolehop does not serve ({profiles:?})"
            );
            assert_eq!(
                env_of(app, "AWS_CONTAINER_AUTHORIZATION_TOKEN"),
                Some(token),
                "{name}/{app_name}: rolehop's token"
            );
            assert!(
                app["command"]
                    .to_string()
                    .contains("unset AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
                "{name}/{app_name}: the app must drop RELATIVE_URI"
            );
        } else if entry.contains("\"rolehop\",\"exec\"") {
            // The exec wrapper: its endpoint and token are rolehop's.
            assert!(
                entry.contains(&format!("\"--endpoint\",\"http://{listen}\"")),
                "{name}/{app_name}: {entry}"
            );
            assert_eq!(
                env_of(app, "ROLEHOP_TOKEN"),
                Some(token),
                "{name}/{app_name}: rolehop's token"
            );
            assert!(
                app_dockerfile.contains("/usr/local/bin/rolehop"),
                "the app image carries rolehop"
            );
        } else {
            // A credential_process profile baked into the app image, fed by the environment.
            let profile = env_of(app, "AWS_PROFILE")
                .unwrap_or_else(|| panic!("{name}/{app_name}: no interface wired"));
            let config = env_of(app, "AWS_CONFIG_FILE").expect("the profile's file");
            let copied = app_dockerfile
                .lines()
                .find(|l| l.starts_with("COPY examples/aws-config/") && l.ends_with(config))
                .unwrap_or_else(|| panic!("docker/app.Dockerfile copies nothing to {config}"));
            let source = copied.split_whitespace().nth(1).unwrap();
            let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(source))
                .unwrap();
            assert!(
                text.contains(&format!("[profile {profile}]")),
                "{source} has no profile {profile}"
            );
            assert_eq!(
                env_of(app, "ROLEHOP_ENDPOINT"),
                Some(format!("http://{listen}").as_str()),
                "{name}/{app_name}"
            );
            assert_eq!(
                env_of(app, "ROLEHOP_TOKEN"),
                Some(token),
                "{name}/{app_name}: rolehop's token"
            );
        }
    }

    // rolehop's own linter agrees.
    let (code, stdout, _) = Rolehop::run(
        &["check", "--task-definition", &file.display().to_string()],
        env,
    )
    .await;
    assert_eq!(code, 0, "{name}: {stdout}");
    assert_ecs_exec_ready(file, &td, env).await;
}

/// The app's `FULL_URI`, exported by its shell at start (never in the definition's
/// `environment`, which the SSM agent of ECS Exec reads and would sign with).
fn exported_full_uri(app: &Value) -> Option<String> {
    assert!(
        env_of(app, "AWS_CONTAINER_CREDENTIALS_FULL_URI").is_none(),
        "{}: FULL_URI in the task definition takes ECS Exec away from the container",
        app["name"]
    );
    let script = app["command"][0].as_str()?;
    script.split(';').find_map(|part| {
        part.trim()
            .strip_prefix("export AWS_CONTAINER_CREDENTIALS_FULL_URI=")
            .map(str::to_owned)
    })
}

/// ECS Exec (src/ecs_exec.rs): `check --task-definition` reports no ECS Exec failure or warning;
/// where a container carries rolehop's binary (a published volume, or rolehop as its
/// entrypoint) it names a diagnosis container, which is not rolehop's own, and its command
/// passes `--exec-command`; otherwise it says it cannot tell. The task role's policy, when the
/// definition's README entry or setup gives one, is checked by the setup tests.
pub async fn assert_ecs_exec_ready(file: &Path, td: &Value, env: &[(String, String)]) {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let path = file.display().to_string();
    let (_, stdout, _) = Rolehop::run(
        &["check", "--task-definition", &path, "--format", "json"],
        env,
    )
    .await;
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let exec: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"].as_str().unwrap().starts_with("ecs-exec."))
        .collect();
    for f in &exec {
        assert!(
            f["status"] == "pass" || f["status"] == "unknown",
            "{name}: {f}"
        );
    }
    let target = exec
        .iter()
        .find(|f| f["id"] == "ecs-exec.target")
        .unwrap_or_else(|| panic!("{name}: no ecs-exec.target finding"));
    let containers = td["containerDefinitions"].as_array().unwrap();
    let carries_rolehop = containers.iter().any(|c| {
        c["entryPoint"][0] == "rolehop"
            || c["mountPoints"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|m| m["readOnly"] == true && m["containerPath"] == "/rolehop-shared")
    });
    if !carries_rolehop {
        assert_eq!(target["status"], "unknown", "{name}: {target}");
        return;
    }
    assert_eq!(target["status"], "pass", "{name}: {target}");
    let message = target["message"].as_str().unwrap();
    let container = message
        .split("--container ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap();
    let command = message
        .split("--command \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let chosen = containers.iter().find(|c| c["name"] == container).unwrap();
    assert!(
        !(chosen["command"][0] == "serve" || chosen["command"][0] == "publish"),
        "{name}: rolehop's own container is no ECS Exec target"
    );
    assert_ne!(chosen["readonlyRootFilesystem"], true, "{name}/{container}");
    // The command is what the SSM agent can run there: argv[0] absolute or this container's
    // own entrypoint word, no shell syntax.
    let argv0 = command.split_whitespace().next().unwrap();
    assert!(
        argv0.starts_with('/') || chosen["entryPoint"][0] == argv0,
        "{name}/{container}: {command}"
    );
    let (code, stdout, _) = Rolehop::run(
        &[
            "check",
            "--task-definition",
            &path,
            "--exec-command",
            command,
            "--exec-container",
            container,
        ],
        env,
    )
    .await;
    assert_eq!(code, 0, "{name}: {stdout}");
    assert!(stdout.contains("PASS ecs-exec.command"), "{name}: {stdout}");
}

/// The `[client NAME]` sections of a rolehop config text as (name, token_env, first profile).
fn client_sections(config: &str) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = Vec::new();
    let mut in_client = false;
    for line in config.lines().map(str::trim) {
        if let Some(header) = line.strip_prefix("[").and_then(|h| h.strip_suffix(']')) {
            in_client = header.starts_with("client ");
            if in_client {
                out.push((header[7..].trim().to_owned(), String::new(), String::new()));
            }
        } else if in_client && let Some((key, value)) = line.split_once('=') {
            let value = value.split('#').next().unwrap().trim();
            let last = out.last_mut().unwrap();
            match key.trim() {
                "token_env" => last.1 = value.to_owned(),
                "profiles" => last.2 = value.split(',').next().unwrap().trim().to_owned(),
                _ => {}
            }
        }
    }
    out
}

/// The `rolehop publish` container sharing a volume with `app`'s `AWS_CONFIG_FILE`, if any.
fn published_to<'a>(app: &Value, containers: &'a [Value]) -> Option<&'a Value> {
    let config = env_of(app, "AWS_CONFIG_FILE")?;
    let mount = app["mountPoints"]
        .as_array()?
        .iter()
        .find(|m| config.starts_with(&format!("{}/", m["containerPath"].as_str().unwrap())))?;
    containers.iter().find(|c| {
        c["command"][0] == "publish"
            && c["mountPoints"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|m| m["sourceVolume"] == mount["sourceVolume"])
    })
}

/// The unmodified-image wiring: the app mounts the publisher's volume read-only at the same
/// path, waits for it to succeed, and names a profile the publisher writes and rolehop serves;
/// the publisher's own command, run here into a directory, writes that profile.
async fn assert_published_wiring(
    name: &str,
    app: &Value,
    publisher: &Value,
    td: &Value,
    listen: &str,
    served: &[String],
    env: &[(String, String)],
) {
    let app_name = app["name"].as_str().unwrap();
    let config = env_of(app, "AWS_CONFIG_FILE").unwrap();
    let command: Vec<&str> = publisher["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let dir = command[1];
    assert_eq!(config, format!("{dir}/config"), "{name}/{app_name}");
    let app_mount = app["mountPoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["containerPath"] == dir)
        .unwrap_or_else(|| {
            panic!("{name}/{app_name}: mount the volume at {dir}, as the publisher does")
        });
    assert_eq!(
        app_mount["readOnly"], true,
        "{name}/{app_name}: the app only reads it"
    );
    let volume = td["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == app_mount["sourceVolume"])
        .expect("the shared volume is declared");
    assert!(
        volume["host"]["sourcePath"].is_null(),
        "{name}: a task-scoped volume, not a host path (Fargate has none)"
    );
    assert!(
        app["dependsOn"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["containerName"] == publisher["name"] && d["condition"] == "SUCCESS"),
        "{name}/{app_name}: waits for the publisher's SUCCESS"
    );
    assert_eq!(publisher["essential"], false, "{name}: the publisher exits");
    let mut published = Vec::new();
    for pair in command.windows(2) {
        match pair[0] {
            "--endpoint" => assert_eq!(pair[1], format!("http://{listen}"), "{name}"),
            "--profile" => published.extend(pair[1].split(',')),
            _ => {}
        }
    }
    if published.is_empty() {
        published.push("default");
    }
    for profile in &published {
        assert!(
            served.iter().any(|p| p == profile),
            "{name}: publishes {profile}, which rolehop does not serve ({served:?})"
        );
    }
    let wanted = env_of(app, "AWS_PROFILE").unwrap_or(published[0]);
    assert!(published.contains(&wanted), "{name}/{app_name}: {wanted}");

    // The publisher's own arguments, into a directory here.
    let work = Workdir::new();
    let here = work.path("shared").display().to_string();
    std::fs::create_dir(&here).unwrap();
    let mut args = vec!["publish", here.as_str()];
    args.extend_from_slice(&command[2..]);
    let (code, stdout, stderr) = Rolehop::run(&args, env).await;
    assert_eq!(code, 0, "{name}: {stdout}{stderr}");
    let text = std::fs::read_to_string(work.path("shared/config")).unwrap();
    let header = if wanted == published[0] {
        "[default]".to_owned()
    } else {
        format!("[profile {wanted}]")
    };
    assert!(text.contains(&header), "{name}: {text}");
}

/// AWS Security Hub's ECS controls on rolehop's container: not privileged (ECS.4), a read-only
/// root filesystem (ECS.5), no credential in plain environment (ECS.8), a log configuration
/// (ECS.9); and every Linux capability dropped, as the image's own non-root user.
fn assert_passes_security_hub(name: &str, rolehop: &Value) {
    assert_ne!(rolehop["privileged"], true, "{name}: ECS.4, privileged");
    assert_eq!(
        rolehop["readonlyRootFilesystem"], true,
        "{name}: ECS.5, readonlyRootFilesystem"
    );
    for plain in rolehop["environment"].as_array().into_iter().flatten() {
        let var = plain["name"].as_str().unwrap();
        assert!(
            ![
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
                "ECS_ENGINE_AUTH_DATA",
                "ROLEHOP_TOKEN",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            ]
            .contains(&var),
            "{name}: ECS.8, {var} in plain environment (use secrets)"
        );
    }
    assert!(
        rolehop["logConfiguration"]["logDriver"].is_string(),
        "{name}: ECS.9, a logConfiguration"
    );
    assert_eq!(
        rolehop["linuxParameters"]["capabilities"]["drop"],
        serde_json::json!(["ALL"]),
        "{name}: every Linux capability dropped"
    );
    let dockerfile =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docker/Dockerfile"))
            .unwrap();
    let image_user = dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("USER "))
        .next_back()
        .expect("docker/Dockerfile sets a USER");
    assert_ne!(
        image_user.split(':').next(),
        Some("0"),
        "a non-root image user"
    );
    assert_eq!(
        rolehop["user"].as_str(),
        Some(image_user.trim()),
        "{name}: the image's non-root user"
    );
}

/// Each ECS Exec fault has a fixture `check --task-definition` fails (exit 1), naming the
/// fault; the fixed form passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_fails_each_ecs_exec_fault() {
    let work = Workdir::new();
    let env = base_env(work.dir.path());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = |name: &str| {
        root.join("tests/fixtures/ecs-exec")
            .join(name)
            .display()
            .to_string()
    };
    let shipped = root
        .join("task-definitions/fargate-unmodified-image.json")
        .display()
        .to_string();
    let run = |args: Vec<String>| {
        let env = env.clone();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let (code, stdout, _) = Rolehop::run(&args, &env).await;
            (code, stdout)
        }
    };
    let td = |file: &str, more: &[&str]| -> Vec<String> {
        let mut v = vec![
            "check".to_owned(),
            "--task-definition".to_owned(),
            file.to_owned(),
        ];
        v.extend(more.iter().map(|s| s.to_string()));
        v
    };
    let cases: Vec<(Vec<String>, &str, &str)> = vec![
        (
            td(&fixture("full-uri-app.json"), &[]),
            "FAIL ecs-exec.credentials",
            "TargetNotConnectedException",
        ),
        (
            td(&fixture("read-only-app.json"), &[]),
            "FAIL ecs-exec.read-only-root",
            "/var/lib/amazon/ssm, /var/log/amazon/ssm, /managed-agents",
        ),
        (
            td(
                &shipped,
                &[
                    "--identity-policy",
                    &fixture("task-role-without-ssmmessages.json"),
                ],
            ),
            "FAIL ecs-exec.task-role",
            "ssmmessages:CreateControlChannel, ssmmessages:CreateDataChannel, ssmmessages:OpenControlChannel, ssmmessages:OpenDataChannel",
        ),
        (
            td(
                &shipped,
                &[
                    "--identity-policy",
                    &fixture("task-role-control-channel-only.json"),
                ],
            ),
            "FAIL ecs-exec.task-role",
            "do not allow ssmmessages:CreateDataChannel, ssmmessages:OpenDataChannel on *",
        ),
        (
            td(
                &shipped,
                &["--exec-command", "rolehop check", "--exec-container", "app"],
            ),
            "FAIL ecs-exec.command",
            "use --command \"/rolehop-shared/rolehop check\"",
        ),
        (
            td(
                &shipped,
                &[
                    "--exec-command",
                    "rolehop check",
                    "--exec-container",
                    "rolehop",
                ],
            ),
            "FAIL ecs-exec.command",
            "rolehop's image holds /rolehop only",
        ),
        (
            td(
                &shipped,
                &["--exec-command", "/rolehop-shared/rolehop check | head"],
            ),
            "FAIL ecs-exec.command",
            "only a shell understands",
        ),
    ];
    for (args, id, says) in cases {
        let (code, stdout) = run(args.clone()).await;
        assert_eq!(code, 1, "{args:?}: {stdout}");
        assert!(stdout.contains(id), "{args:?}: {stdout}");
        assert!(stdout.contains(says), "{args:?}: {stdout}");
    }
    // The fixed forms: writable volumes at the agent's paths, the statement setup writes.
    let (code, stdout) = run(td(&fixture("read-only-app-with-volumes.json"), &[])).await;
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("PASS ecs-exec.target"), "{stdout}");
    let with_exec = work.path("task-role.json");
    let mut policy: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("task-role-without-ssmmessages.json")).unwrap(),
    )
    .unwrap();
    let (_, fix_stdout) = run(td(
        &shipped,
        &[
            "--identity-policy",
            &fixture("task-role-without-ssmmessages.json"),
            "--format",
            "json",
        ],
    ))
    .await;
    let report: Value = serde_json::from_str(&fix_stdout).unwrap();
    let statement = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "ecs-exec.task-role")
        .unwrap()["fix"]["statement"]
        .clone();
    policy["Statement"].as_array_mut().unwrap().push(statement);
    std::fs::write(&with_exec, policy.to_string()).unwrap();
    let with_exec = with_exec.display().to_string();
    let (code, stdout) = run(td(&shipped, &["--identity-policy", &with_exec])).await;
    assert!(stdout.contains("PASS ecs-exec.task-role"), "{stdout}");
    assert_ne!(code, 1, "{stdout}");
}

/// The ARM64 sidecar is the x86_64 one on Graviton: the same containers and wiring, its own
/// family and log group, and the `runtimePlatform` rolehop's image is built for.
#[test]
fn the_arm64_sidecar_is_the_sidecar_with_an_arm64_runtime_platform() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("task-definitions");
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    let x86 = read("fargate-sidecar.json");
    let mut arm = read("fargate-sidecar-arm64.json");
    assert_eq!(
        arm["runtimePlatform"],
        serde_json::json!({"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"})
    );
    assert!(
        x86.get("runtimePlatform").is_none(),
        "x86_64 is ECS's default"
    );
    let family = x86["family"].as_str().unwrap();
    assert_eq!(arm["family"], format!("{family}-arm64"));

    arm.as_object_mut().unwrap().remove("runtimePlatform");
    arm["family"] = x86["family"].clone();
    for container in arm["containerDefinitions"].as_array_mut().unwrap() {
        container["logConfiguration"]["options"]["awslogs-group"] = format!("/ecs/{family}").into();
    }
    assert_eq!(
        arm, x86,
        "fargate-sidecar-arm64.json differs from fargate-sidecar.json beyond its platform, family and log group"
    );
}

/// The README's table of which variable each app wiring gets the token secret as: every app
/// container of every definition here is named by one row (the `-arm64` twin by its x86
/// definition's), and has that row's variable among its secrets.
#[test]
fn the_readmes_token_table_names_each_app_containers_token_variable() {
    const TOKEN_VARIABLES: [&str; 2] = ["ROLEHOP_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"];
    let readme = include_str!("../README.md");
    let table = readme
        .split("| The app reaches rolehop through |")
        .nth(1)
        .expect("the README has the token table");
    // (definition, container or None for all its app containers) -> variable
    let mut named: Vec<(String, Option<String>, String)> = Vec::new();
    for row in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let ticked = |cell: &str| -> Vec<String> {
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect()
        };
        let variable = ticked(cells[1]).into_iter().next().expect("a variable");
        assert!(TOKEN_VARIABLES.contains(&variable.as_str()), "{row}");
        // `a` and `b` in `file.json`, `file.json`, ...
        for group in cells[2].split(", ") {
            let items = ticked(group);
            let Some(file) = items.iter().find(|i| i.ends_with(".json")) else {
                continue;
            };
            let containers: Vec<&String> = items.iter().take_while(|i| *i != file).collect();
            if group.contains(" in ") {
                named.extend(
                    containers
                        .into_iter()
                        .map(|c| (file.clone(), Some(c.clone()), variable.clone())),
                );
            } else {
                named.push((file.clone(), None, variable.clone()));
            }
        }
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("task-definitions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    for file in files {
        let td: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(&file)).unwrap()).unwrap();
        let row_name = file.replace("-arm64.json", ".json");
        for c in td["containerDefinitions"].as_array().unwrap() {
            let name = c["name"].as_str().unwrap();
            if name.starts_with("rolehop") {
                continue;
            }
            let variable = named
                .iter()
                .find(|(f, c, _)| *f == row_name && c.as_deref().is_none_or(|c| c == name))
                .map(|(_, _, v)| v)
                .unwrap_or_else(|| {
                    panic!("no row of the README's token table names {name} in {file}")
                });
            let secrets = names(c);
            assert!(
                secrets.contains(variable),
                "{file} {name}: the README says {variable}, it has {secrets:?}"
            );
            for other in TOKEN_VARIABLES.iter().filter(|v| *v != variable) {
                assert!(
                    !secrets.iter().any(|s| s == other),
                    "{file} {name}: the README says {variable}, it also has {other}"
                );
            }
        }
    }
}
