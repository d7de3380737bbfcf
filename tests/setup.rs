//! `rolehop setup` end to end: for a matrix of inputs every written policy passes the
//! `rolehop check` binary and the task definition registers with moto's ECS API and is wired to
//! rolehop's real flags; `commands.sh` runs with `sh` and the real AWS CLI against moto (IAM,
//! Secrets Manager, ECS; one profile per account), twice, and what it created matches the files;
//! then `rolehop serve`, configured exactly as the registered task definition configures it,
//! reaches the destination account through the roles it created, for the AWS CLI on FULL_URI and
//! on the generated `credential_process` profiles.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::support::ecs_agent::{AgentCredentials, TASK_ID};
use crate::support::moto::Moto;
use crate::support::rolehop::{BIN, Rolehop, Workdir, base_env};
use crate::support::{
    DESTINATION_ROLE_ARN, Stack, TASK_ROLE_ARN, clients, require_tool, run_process,
};
use crate::task_definitions::{assert_registers_and_is_wired, serve_variables};

const HUB_ROLE_ARN: &str = "arn:aws:iam::444455556666:role/team/hub";
const AUDIT_ROLE_ARN: &str = "arn:aws:iam::999988887777:role/audit";

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `rolehop setup ARGS --out DIR` and asserts it succeeded.
async fn setup(env: &[(String, String)], dir: &Path, args: &[&str]) {
    let out = dir.display().to_string();
    let mut argv = vec!["setup", "--out", &out];
    argv.extend_from_slice(args);
    let (code, stdout, stderr) = Rolehop::run(&argv, env).await;
    assert_eq!(code, 0, "rolehop setup {args:?}:\n{stdout}\n{stderr}");
}

/// `rolehop check ARGS` (offline), asserting exit 0 and no failure or warning.
async fn check_passes(env: &[(String, String)], args: &[String]) {
    let mut argv = vec!["check"];
    argv.extend(args.iter().map(String::as_str));
    let (code, stdout, stderr) = Rolehop::run(&argv, env).await;
    assert_eq!(code, 0, "rolehop {argv:?}:\n{stdout}\n{stderr}");
    assert!(
        !stdout.contains("\nFAIL") && !stdout.contains("\nWARN"),
        "{argv:?}:\n{stdout}"
    );
}

/// The documented file layout: hop 1's pair unsuffixed, later hops `-hopN`.
fn hop_files(dir: &Path, index: usize) -> (String, String) {
    let suffix = if index == 0 {
        String::new()
    } else {
        format!("-hop{}", index + 1)
    };
    (
        dir.join(format!("trust-policy{suffix}.json"))
            .display()
            .to_string(),
        dir.join(format!("identity-policy{suffix}.json"))
            .display()
            .to_string(),
    )
}

/// Every policy in `dir` through the `rolehop check` binary, as a user would run it.
async fn check_every_policy(env: &[(String, String)], dir: &Path, hops: &[&str], options: &[&str]) {
    let external_id = options
        .iter()
        .position(|a| *a == "--external-id")
        .map(|i| options[i + 1]);
    let tags = options
        .iter()
        .any(|a| *a == "--tag" || *a == "--session-tags");
    let source_identity = options.contains(&"--source-identity");
    for (i, hop) in hops.iter().enumerate() {
        let (trust, identity) = hop_files(dir, i);
        let caller = if i == 0 { TASK_ROLE_ARN } else { hops[i - 1] };
        let mut args: Vec<String> = vec![
            "--trust-policy".into(),
            trust,
            "--identity-policy".into(),
            identity,
            "--role-arn".into(),
            hop.to_string(),
            "--source-role-arn".into(),
            caller.into(),
        ];
        if let Some(id) = external_id {
            args.extend(["--external-id".into(), id.into()]);
        }
        if tags {
            args.push("--session-tags".into());
        }
        if source_identity {
            args.push("--source-identity".into());
        }
        check_passes(env, &args).await;
    }
    let path = |name: &str| dir.join(name).display().to_string();
    // The first hop again with the request read from the task definition alone (its rolehop
    // container's role, external id, tags and source identity; taskRoleArn as the source):
    // setup's definition and setup's policies agree without a flag restating them.
    let (trust, identity) = hop_files(dir, 0);
    check_passes(
        env,
        &[
            "--task-definition".into(),
            path("task-definition.json"),
            "--trust-policy".into(),
            trust,
            "--identity-policy".into(),
            identity,
            "--role-arn".into(),
            hops[0].to_string(),
        ],
    )
    .await;
    let mut service = vec![
        "--service-role-trust".to_owned(),
        format!("task={}", path("task-role-trust-policy.json")),
    ];
    for (stem, kind) in [
        ("execution", "execution"),
        ("infrastructure", "infrastructure"),
        ("load-balancer", "infrastructure"),
        ("codedeploy", "codedeploy"),
    ] {
        let file = dir.join(format!("{stem}-role-trust-policy.json"));
        if file.is_file() {
            service.extend([
                "--service-role-trust".into(),
                format!("{kind}={}", file.display()),
            ]);
        }
    }
    service.extend(["--task-definition".into(), path("task-definition.json")]);
    check_passes(env, &service).await;
    for permissions in ["execution-role-policy.json", "codedeploy-role-policy.json"] {
        if dir.join(permissions).is_file() {
            check_passes(env, &["--identity-policy".into(), path(permissions)]).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_matrix_of_setups_passes_check_and_registers_with_ecs() {
    let moto = tokio::task::spawn_blocking(Moto::start).await.unwrap();
    let work = Workdir::new();
    let mut env = base_env(work.dir.path());
    env.extend([
        ("AWS_ACCESS_KEY_ID".into(), "AKIDSETUPMATRIX00000".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "x".into()),
    ]);
    let rolehop_vars = serve_variables(&env).await;
    let chains: [&[&str]; 3] = [
        &[DESTINATION_ROLE_ARN],
        &[HUB_ROLE_ARN, DESTINATION_ROLE_ARN],
        &[HUB_ROLE_ARN, AUDIT_ROLE_ARN, DESTINATION_ROLE_ARN],
    ];
    let options: [&[&str]; 4] = [
        &[],
        &["--external-id", "Partner-7:a/b"],
        &[
            "--tag",
            "Project=blue",
            "--tag",
            "Team=red",
            "--source-identity",
            "reports",
        ],
        &[
            "--session-tags",
            "--external-id",
            "x-1",
            "--source-identity",
            "svc",
        ],
    ];
    let ecs: [&[&str]; 3] = [
        &[],
        &["--ecs-roles"],
        &[
            "--infrastructure-role",
            "--load-balancer-role",
            "--codedeploy-role",
        ],
    ];
    let mut case = 0;
    for (c, chain) in chains.iter().enumerate() {
        for (o, opts) in options.iter().enumerate() {
            // Every chain with every option, and each ECS role set with each chain.
            let roles = ecs[(c + o) % ecs.len()];
            case += 1;
            let dir = work.path(&format!("case-{case}"));
            let mut args = vec!["--source-role-arn", TASK_ROLE_ARN];
            for hop in chain.iter() {
                args.extend(["--role-arn", hop]);
            }
            args.extend_from_slice(opts);
            args.extend_from_slice(roles);
            args.extend(["--family", "rolehop-matrix"]);
            setup(&env, &dir, &args).await;
            check_every_policy(&env, &dir, chain, opts).await;
            assert_registers_and_is_wired(
                &dir.join("task-definition.json"),
                &env,
                &moto.url,
                &rolehop_vars,
            )
            .await;
            let td = read_json(&dir.join("task-definition.json"));
            assert_eq!(td["taskRoleArn"], TASK_ROLE_ARN, "case {case}");
            // commands.sh parses as POSIX sh and has one section per account of the chain.
            let script = dir.join("commands.sh").display().to_string();
            let (code, _, stderr) = run_process(
                &require_tool("sh"),
                &["-n", &script],
                &env,
                Duration::from_secs(10),
            )
            .await;
            assert_eq!(code, 0, "case {case}: {stderr}");
            let text = std::fs::read_to_string(&script).unwrap();
            for n in 1..chain.len() {
                assert!(
                    text.contains(&format!(
                        "hop{n}) section check_hop{n}_account hop{n}_account ;;"
                    )),
                    "case {case}"
                );
            }
            assert!(
                text.contains(
                    "destination) section check_destination_account destination_account ;;"
                ),
                "case {case}"
            );
        }
    }
}

/// `--container NAME=ROLE_ARN`: each app container gets its own secret and, through rolehop's
/// `[client NAME]` sections, its own role only; every policy passes check, the task definition
/// registers and passes `check --task-definition` and the Security Hub checks, and giving one
/// container the other's secret makes check fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_container_setup_gives_each_container_only_its_own_token_and_role() {
    let moto = tokio::task::spawn_blocking(Moto::start).await.unwrap();
    let work = Workdir::new();
    let mut env = base_env(work.dir.path());
    env.extend([
        ("AWS_ACCESS_KEY_ID".into(), "AKIDSETUPCLIENTS0000".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "x".into()),
    ]);
    let rolehop_vars = serve_variables(&env).await;
    let dir = work.path("per-container");
    let web = format!("web={DESTINATION_ROLE_ARN}");
    let batch = format!("batch={HUB_ROLE_ARN}");
    setup(
        &env,
        &dir,
        &[
            "--source-role-arn",
            TASK_ROLE_ARN,
            "--container",
            &web,
            "--container",
            &batch,
            "--ecs-roles",
            "--family",
            "rolehop-clients",
        ],
    )
    .await;
    // Each destination role trusts the task role itself (no chain between them), with the
    // external id of its container (in the files, the placeholder commands.sh fills in).
    for (i, role) in [DESTINATION_ROLE_ARN, HUB_ROLE_ARN].iter().enumerate() {
        let (trust, identity) = hop_files(&dir, i);
        let placeholder = format!(
            "{}rolehop/token-{}-external-id",
            rolehop::setup::policies::EXTERNAL_ID_PLACEHOLDER,
            ["web", "batch"][i]
        );
        let args: Vec<String> = [
            "--trust-policy",
            &trust,
            "--identity-policy",
            &identity,
            "--role-arn",
            role,
            "--source-role-arn",
            TASK_ROLE_ARN,
            "--external-id",
            &placeholder,
        ]
        .map(str::to_owned)
        .to_vec();
        check_passes(&env, &args).await;
    }
    let file = dir.join("task-definition.json");
    assert_registers_and_is_wired(&file, &env, &moto.url, &rolehop_vars).await;

    let td = read_json(&file);
    let containers = td["containerDefinitions"].as_array().unwrap();
    let rolehop = containers.iter().find(|c| c["name"] == "rolehop").unwrap();
    let rolehop_secrets = secret_pairs(&rolehop["secrets"]);
    assert_eq!(rolehop_secrets.len(), 4, "{rolehop_secrets:?}");
    assert_ne!(rolehop_secrets[0].1, rolehop_secrets[1].1);
    let config = rolehop["environment"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "ROLEHOP_CONFIG_TEXT")
        .unwrap()["value"]
        .as_str()
        .unwrap();
    let execution = std::fs::read_to_string(dir.join("execution-role-policy.json")).unwrap();
    for (name, var) in [
        ("web", "ROLEHOP_TOKEN_WEB"),
        ("batch", "ROLEHOP_TOKEN_BATCH"),
    ] {
        assert!(
            config.contains(&format!(
                "[client {name}]\ntoken_env = {var}\nprofiles = {name}\n"
            )),
            "{config}"
        );
        let (_, secret) = rolehop_secrets.iter().find(|(n, _)| n == var).unwrap();
        let app = containers.iter().find(|c| c["name"] == name).unwrap();
        assert_eq!(
            secret_pairs(&app["secrets"]),
            [("ROLEHOP_TOKEN".to_owned(), secret.clone())],
            "{name} holds its own token only"
        );
        assert!(
            execution.contains(&format!("{secret}-??????")),
            "{execution}"
        );
    }
    let path = file.display().to_string();
    let (code, stdout, _) = Rolehop::run(&["check", "--task-definition", &path], &env).await;
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("container web can get web (client web)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("container batch can get batch (client batch)"),
        "{stdout}"
    );
    let isolation: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("ecs.container-isolation"))
        .collect();
    assert_eq!(isolation.len(), 2, "{stdout}");
    assert!(
        isolation
            .iter()
            .all(|l| l.starts_with("PASS") && l.contains("only rolehop can assume it")),
        "{stdout}"
    );

    // The same task without the external ids (as setup wrote it before): every app container
    // could assume both roles with the task role's credentials, and check fails it, saying why.
    let mut open = td.clone();
    for c in open["containerDefinitions"].as_array_mut().unwrap() {
        for e in c["environment"].as_array_mut().into_iter().flatten() {
            if e["name"] == "ROLEHOP_CONFIG_TEXT" {
                let text: String = e["value"]
                    .as_str()
                    .unwrap()
                    .lines()
                    .filter(|l| !l.starts_with("rolehop_external_id_env"))
                    .map(|l| format!("{l}\n"))
                    .collect();
                e["value"] = Value::from(text);
            }
        }
    }
    let open_file = work.path("open.json");
    std::fs::write(&open_file, serde_json::to_string(&open).unwrap()).unwrap();
    let open_file = open_file.display().to_string();
    let (code, stdout, _) = Rolehop::run(&["check", "--task-definition", &open_file], &env).await;
    assert_eq!(code, 1, "{stdout}");
    let fails: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("FAIL ecs.container-isolation"))
        .collect();
    assert_eq!(fails.len(), 2, "{stdout}");
    assert!(
        fails
            .iter()
            .all(|l| l.contains("every app container can assume it itself")
                && l.contains("169.254.170.2")),
        "{stdout}"
    );
    // setup's trust file on the role as it is (its placeholder, not the secret's value): FAIL.
    let (trust, _) = hop_files(&dir, 0);
    let (code, stdout, _) = Rolehop::run(
        &[
            "check",
            "--task-definition",
            &path,
            "--trust-policy",
            &trust,
            "--role-arn",
            DESTINATION_ROLE_ARN,
            "--source-role-arn",
            TASK_ROLE_ARN,
        ],
        &env,
    )
    .await;
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("FAIL ecs.container-isolation")
                && l.contains("placeholder as the external id, which anybody can read")),
        "{stdout}"
    );

    // Give web batch's token too: check fails it.
    let mut swapped = td.clone();
    let batch_secret = rolehop_secrets[1].1.clone();
    for c in swapped["containerDefinitions"].as_array_mut().unwrap() {
        if c["name"] == "web" {
            c["secrets"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!({"name": "OTHER_TOKEN", "valueFrom": batch_secret}));
        }
    }
    let bad = work.path("swapped.json");
    std::fs::write(&bad, serde_json::to_string(&swapped).unwrap()).unwrap();
    let bad = bad.display().to_string();
    let (code, stdout, _) = Rolehop::run(&["check", "--task-definition", &bad], &env).await;
    assert_ne!(code, 0, "{stdout}");
    assert!(stdout.contains("FAIL ecs.client-roles"), "{stdout}");

    // commands.sh parses, creates one secret per container and puts both identity policies on
    // the task role.
    let script = dir.join("commands.sh").display().to_string();
    let (code, _, stderr) = run_process(
        &require_tool("sh"),
        &["-n", &script],
        &env,
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&script).unwrap();
    for line in [
        "ensure_token_secret \"$SOURCE_PROFILE\" 'rolehop/token-web'",
        "ensure_token_secret \"$SOURCE_PROFILE\" 'rolehop/token-batch'",
        "put_policy \"$SOURCE_PROFILE\" 'my-ECS-task-role' 'rolehop-assume-",
        "web) section check_web_account web_account ;;",
        "batch) section check_batch_account batch_account ;;",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
}

/// `commands.sh` of a `--container` setup, twice against moto: it creates one secret per app
/// container (each its own random token, kept on the second run), both roles trusting the task
/// role, both identity policies on the task role and the execution role's read policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_sh_creates_per_container_secrets_and_roles_in_moto() {
    let (stack, cli_env) =
        stack_with_account_profiles(&[TASK_ROLE_ARN, DESTINATION_ROLE_ARN, HUB_ROLE_ARN]).await;
    let dir = stack.work.path("setup");
    let profile_of = account_profile;
    let roles = [("web", DESTINATION_ROLE_ARN), ("batch", HUB_ROLE_ARN)];
    let flags: Vec<String> = roles
        .iter()
        .flat_map(|(name, arn)| ["--container".to_owned(), format!("{name}={arn}")])
        .collect();
    let mut args = vec!["--source-role-arn", TASK_ROLE_ARN, "--ecs-roles"];
    args.extend(flags.iter().map(String::as_str));
    setup(&stack.base_env(), &dir, &args).await;

    let mut sh_env = cli_env.clone();
    sh_env.push(("SOURCE_PROFILE".into(), profile_of(TASK_ROLE_ARN)));
    sh_env.push(("WEB_PROFILE".into(), profile_of(DESTINATION_ROLE_ARN)));
    sh_env.push(("BATCH_PROFILE".into(), profile_of(HUB_ROLE_ARN)));
    let script = dir.join("commands.sh").display().to_string();
    let src = profile_of(TASK_ROLE_ARN);
    let mut tokens: Vec<Vec<String>> = Vec::new();
    let mut external_ids: Vec<Vec<String>> = Vec::new();
    let mut outputs = String::new();
    for run in 1..=2 {
        let (code, stdout, stderr) = run_process(
            &require_tool("sh"),
            &[&script],
            &sh_env,
            Duration::from_secs(300),
        )
        .await;
        assert_eq!(code, 0, "commands.sh run {run}:\n{stdout}\n{stderr}");
        outputs.push_str(&stdout);
        outputs.push_str(&stderr);
        let (mut values, mut ids) = (Vec::new(), Vec::new());
        for (name, arn) in roles {
            for (secret, into) in [
                (format!("rolehop/token-{name}"), &mut values),
                (format!("rolehop/token-{name}-external-id"), &mut ids),
            ] {
                let got = aws(
                    &cli_env,
                    &src,
                    &["secretsmanager", "get-secret-value", "--secret-id", &secret],
                )
                .await;
                let value = got["SecretString"].as_str().unwrap().to_owned();
                assert!(
                    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()),
                    "{secret} holds a random value"
                );
                into.push(value);
            }
            if run == 2 {
                assert!(
                    stdout.contains(&format!(
                        "role {} exists and its trust policy has every statement of",
                        role_name(arn)
                    )),
                    "run 2 leaves {name}'s trust policy alone:\n{stdout}"
                );
            }
            assert!(
                stdout.contains(&format!(
                    "role {} requires its external id: the task role's credentials alone cannot assume it",
                    role_name(arn)
                )),
                "{stdout}"
            );
        }
        assert_ne!(values[0], values[1], "each container its own token");
        assert_ne!(ids[0], ids[1], "each role its own external id");
        tokens.push(values);
        external_ids.push(ids);
    }
    assert_eq!(tokens[0], tokens[1], "a second run keeps both tokens");
    assert_eq!(
        external_ids[0], external_ids[1],
        "a second run keeps both external ids"
    );
    assert!(!outputs.contains("updating its trust policy"), "{outputs}");
    for secret in tokens[1].iter().chain(&external_ids[1]) {
        assert!(
            !outputs.contains(secret.as_str()),
            "commands.sh printed a secret:\n{outputs}"
        );
    }

    // Each role's trust policy in IAM is its file with the external id filled in: it requires
    // sts:ExternalId. moto's STS does not evaluate trust policies (REFERENCE 9: it grants any
    // AssumeRole, ExternalId or not), so the denial of an app container holding only the task
    // role's credentials is proved with rolehop's own evaluator on the policy IAM holds: without
    // the external id the task role is refused, with it allowed. The value is never printed.
    for (i, (name, arn)) in roles.iter().enumerate() {
        let role = aws(
            &cli_env,
            &profile_of(arn),
            &["iam", "get-role", "--role-name", role_name(arn)],
        )
        .await;
        let trust = &role["Role"]["AssumeRolePolicyDocument"];
        assert_eq!(
            trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
            external_ids[1][i].as_str(),
            "{name}'s role requires its external id"
        );
        let held = stack.work.path(&format!("held-trust-{name}.json"));
        std::fs::write(&held, trust.to_string()).unwrap();
        let (_, identity) = hop_files(&dir, i);
        let held = held.display().to_string();
        let ask = |external_id: Option<&str>| {
            let mut args = vec![
                "check".to_owned(),
                "--trust-policy".into(),
                held.clone(),
                "--identity-policy".into(),
                identity.clone(),
                "--role-arn".into(),
                arn.to_string(),
                "--source-role-arn".into(),
                TASK_ROLE_ARN.into(),
            ];
            if let Some(id) = external_id {
                args.extend(["--external-id".into(), id.to_owned()]);
            }
            args
        };
        let env = stack.base_env();
        let args = ask(None);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = Rolehop::run(&args, &env).await;
        assert_eq!(
            code, 1,
            "the task role alone is denied {name}'s role:\n{stdout}{stderr}"
        );
        assert!(stdout.contains("FAIL trust.external-id"), "{stdout}");
        let args = ask(Some(&external_ids[1][i]));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout2, stderr2) = Rolehop::run(&args, &env).await;
        assert_eq!(
            code, 0,
            "with the external id, allowed:\n{stdout2}{stderr2}"
        );
        for out in [&stdout, &stderr, &stdout2, &stderr2] {
            assert!(
                !out.contains(external_ids[1][i].as_str()),
                "check printed the external id:\n{out}"
            );
        }
    }

    let file = |name: &str| dir.join(name);
    let inline: Vec<(String, PathBuf)> = roles
        .iter()
        .enumerate()
        .map(|(i, (_, arn))| {
            (
                format!("rolehop-assume-{}", role_name(arn)),
                PathBuf::from(hop_files(&dir, i).1),
            )
        })
        .collect();
    let inline: Vec<(&str, PathBuf)> = inline
        .iter()
        .map(|(n, p)| (n.as_str(), p.clone()))
        .collect();
    assert_role(
        &cli_env,
        &src,
        TASK_ROLE_ARN,
        &file("task-role-trust-policy.json"),
        &inline,
        &[],
    )
    .await;
    for (i, (_, arn)) in roles.iter().enumerate() {
        let (trust, _) = hop_files(&dir, i);
        let placeholder = format!(
            "{}rolehop/token-{}-external-id",
            rolehop::setup::policies::EXTERNAL_ID_PLACEHOLDER,
            roles[i].0
        );
        let filled = stack.work.path(&format!("filled-trust-{i}.json"));
        let text = std::fs::read_to_string(&trust).unwrap();
        assert!(text.contains(&placeholder), "{text}");
        std::fs::write(&filled, text.replace(&placeholder, &external_ids[1][i])).unwrap();
        assert_role(&cli_env, &profile_of(arn), arn, &filled, &[], &[]).await;
    }
    assert_role(
        &cli_env,
        &src,
        "arn:aws:iam::111122223333:role/ecsTaskExecutionRole",
        &file("execution-role-trust-policy.json"),
        &[("rolehop-read-token", file("execution-role-policy.json"))],
        &["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"],
    )
    .await;

    // rolehop serve as the task definition configures it, each client token from its secret;
    // each app container, as wired, reaches its own role's account and is refused the other's.
    let td = read_json(&file("task-definition.json"));
    let containers = td["containerDefinitions"].as_array().unwrap();
    let mut serve_env = stack.rolehop_env();
    let sidecar = containers.iter().find(|c| c["name"] == "rolehop").unwrap();
    for (k, v) in pairs(&sidecar["environment"]) {
        if k != "ROLEHOP_LISTEN" {
            serve_env.push((k, v));
        }
    }
    serve_env.push(("ROLEHOP_LISTEN".into(), "127.0.0.1:0".into()));
    serve_env.push(("ROLEHOP_TOKEN_WEB".into(), tokens[1][0].clone()));
    serve_env.push(("ROLEHOP_TOKEN_BATCH".into(), tokens[1][1].clone()));
    // Without the external ids the task definition injects, serve refuses to start.
    let (code, _, stderr) = Rolehop::run(&["serve"], &serve_env).await;
    assert_eq!(code, 64, "{stderr}");
    assert!(
        stderr.contains("profile web takes its external id from ROLEHOP_EXTERNAL_ID_WEB (rolehop_external_id_env), which is not set"),
        "{stderr}"
    );
    serve_env.push(("ROLEHOP_EXTERNAL_ID_WEB".into(), external_ids[1][0].clone()));
    serve_env.push((
        "ROLEHOP_EXTERNAL_ID_BATCH".into(),
        external_ids[1][1].clone(),
    ));
    serve_env.push(("ROLEHOP_LOG".into(), "debug".into()));
    let rolehop = Rolehop::spawn(&["serve"], &serve_env).await;
    rolehop.wait_ready().await;
    for (i, (name, arn)) in roles.iter().enumerate() {
        let volume = stack.work.path(&format!("volume-{name}"));
        let mut app_env =
            app_environment(&stack, &td, name, &rolehop, &tokens[1][i], &volume).await;
        app_env.push(("AWS_ENDPOINT_URL".into(), stack.proxy.url.clone()));
        let identity = clients::aws_cli_caller_identity(&app_env).await;
        assert_eq!(
            identity["Account"],
            arn.split(':').nth(4).unwrap(),
            "{name}: {identity}"
        );
        // The other container's profile, with this container's token: refused.
        let other = roles[1 - i].0;
        for (k, v) in app_env.iter_mut() {
            if k == "AWS_PROFILE" {
                *v = other.to_owned();
            }
        }
        let (code, stdout, _) = run_process(
            &require_tool("aws"),
            &["sts", "get-caller-identity", "--output", "json"],
            &app_env,
            Duration::from_secs(60),
        )
        .await;
        assert_ne!(code, 0, "{name} must not get {other}'s role: {stdout}");
    }
    let logs = rolehop.logs();
    for id in &external_ids[1] {
        assert!(
            !logs.contains(id.as_str()),
            "serve logged an external id:\n{logs}"
        );
    }
}

/// The shipped per-container example is what `rolehop setup --container` writes (its checks run
/// with every shipped task definition in tests/task_definitions.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_per_container_task_definition_is_what_setup_writes() {
    let work = Workdir::new();
    let env = base_env(work.dir.path());
    let dir = work.path("shipped");
    setup(
        &env,
        &dir,
        &[
            "--source-role-arn",
            TASK_ROLE_ARN,
            "--container",
            "web=arn:aws:iam::555566667777:role/orders",
            "--container",
            "batch=arn:aws:iam::444455556666:role/reports",
            "--region",
            "us-east-1",
            "--family",
            "rolehop-per-container",
            "--image",
            "111122223333.dkr.ecr.us-east-1.amazonaws.com/rolehop:0.1.0",
        ],
    )
    .await;
    let shipped =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("task-definitions/fargate-per-container.json");
    assert_eq!(
        read_json(&dir.join("task-definition.json")),
        read_json(&shipped),
        "regenerate {} with the command in task-definitions/README.md",
        shipped.display()
    );
}

/// ECS Exec's target: the command `check --task-definition` names for setup's default
/// definition, run as the SSM agent runs it (split into words, argv[0] the published binary) in
/// the app container with exactly the environment the definition gives it (the RELATIVE_URI ECS
/// injects, the published profile on the task volume, the token from its secret; no
/// `ROLEHOP_*` role setting), names the destination role the sidecar serves this container; with
/// STS denying the AssumeRole, it fails with rolehop's reason and explains STS's refusal as
/// `check` does in rolehop's container.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_in_the_app_container_diagnoses_with_only_its_environment() {
    let stack = Stack::start().await;
    let dir = stack.work.path("setup");
    setup(
        &stack.base_env(),
        &dir,
        &[
            "--source-role-arn",
            TASK_ROLE_ARN,
            "--role-arn",
            DESTINATION_ROLE_ARN,
            "--region",
            "us-east-1",
        ],
    )
    .await;
    let file = dir.join("task-definition.json");
    let td = read_json(&file);
    let (_, report, _) = Rolehop::run(
        &[
            "check",
            "--task-definition",
            &file.display().to_string(),
            "--format",
            "json",
        ],
        &stack.base_env(),
    )
    .await;
    let report: Value = serde_json::from_str(&report).unwrap();
    let target = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "ecs-exec.target" && f["status"] == "pass")
        .unwrap_or_else(|| panic!("{report}"))["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        target
            .contains("--container app --interactive --command \"/rolehop-shared/rolehop check\""),
        "{target}"
    );
    let sidecar = td["containerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "rolehop")
        .unwrap()
        .clone();
    std::fs::write(stack.token_file(), "ecsexec5f1e2d3c4b5a69788001122334").unwrap();
    let token = stack.token();
    let denied = format!(
        "User: arn:aws:sts::111122223333:assumed-role/my-ECS-task-role/{TASK_ID} is not authorized to perform: sts:AssumeRole on resource: {DESTINATION_ROLE_ARN}"
    );
    for (i, deny) in [false, true].into_iter().enumerate() {
        stack.proxy.set_faults(crate::support::sts_proxy::Faults {
            fail_assume: deny.then(|| (403, "AccessDenied".to_owned(), denied.clone())),
            ..Default::default()
        });
        let mut serve_env = stack.rolehop_env();
        for (k, v) in pairs(&sidecar["environment"]) {
            if k != "ROLEHOP_LISTEN" {
                serve_env.push((k, v));
            }
        }
        serve_env.push(("ROLEHOP_LISTEN".into(), "127.0.0.1:0".into()));
        serve_env.push(("ROLEHOP_TOKEN".into(), token.clone()));
        let rolehop = Rolehop::spawn(&["serve"], &serve_env).await;
        if !deny {
            rolehop.wait_ready().await;
        }
        let volume = stack.work.path(&format!("volume-{i}"));
        let env = app_environment(&stack, &td, "app", &rolehop, &token, &volume).await;
        assert!(
            !env.iter()
                .any(|(k, _)| k.starts_with("ROLEHOP_") && k != "ROLEHOP_TOKEN"),
            "{env:?}"
        );
        let argv: Vec<String> = "/rolehop-shared/rolehop check"
            .split_whitespace()
            .map(|w| w.replace("/rolehop-shared", &volume.display().to_string()))
            .collect();
        let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
        let (code, stdout, stderr) =
            run_process(Path::new(&argv[0]), &args, &env, Duration::from_secs(60)).await;
        if deny {
            assert_eq!(code, 1, "{stdout}{stderr}");
            assert!(stdout.contains("FAIL app.identity"), "{stdout}");
            assert!(stdout.contains("AccessDenied"), "{stdout}");
            // STS's refusal, relayed by rolehop, is explained as rolehop's own probe explains
            // it in rolehop's container: who was denied what, where that lives, the fix.
            assert!(
                stdout.lines().any(|l| l.starts_with("FAIL")
                    && l.contains("aws.denied")
                    && l.contains("my-ECS-task-role")
                    && l.contains(DESTINATION_ROLE_ARN)),
                "{stdout}"
            );
        } else {
            assert_eq!(code, 0, "{stdout}{stderr}");
            assert!(stdout.contains("PASS app.wiring"), "{stdout}");
            assert!(
                stdout.contains("PASS app.identity")
                    && stdout.contains(DESTINATION_ROLE_ARN)
                    && stdout.contains("account 555566667777"),
                "{stdout}"
            );
        }
        assert!(
            !stdout.contains(&token) && !stderr.contains(&token),
            "no token printed"
        );
    }
}

/// A container's `secrets` as (name, valueFrom).
fn secret_pairs(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["valueFrom"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Static keys that act in `account` in moto (its AssumeRole credentials act in the role's
/// account), as one `[profile NAME]` section.
async fn moto_profile(env: &[(String, String)], name: &str, account: &str) -> String {
    let (code, stdout, stderr) = run_process(
        &require_tool("aws"),
        &[
            "sts",
            "assume-role",
            "--role-arn",
            &format!("arn:aws:iam::{account}:role/setup-admin"),
            "--role-session-name",
            "rolehop-setup-test",
            "--output",
            "json",
        ],
        env,
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    let c = &serde_json::from_str::<Value>(&stdout).unwrap()["Credentials"];
    format!(
        "[profile {name}]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\n\n",
        c["AccessKeyId"].as_str().unwrap(),
        c["SecretAccessKey"].as_str().unwrap(),
        c["SessionToken"].as_str().unwrap()
    )
}

/// The AWS CLI as `profile`, JSON out.
async fn aws(env: &[(String, String)], profile: &str, args: &[&str]) -> Value {
    let mut argv = vec!["--profile", profile, "--output", "json"];
    argv.extend_from_slice(args);
    let (code, stdout, stderr) =
        run_process(&require_tool("aws"), &argv, env, Duration::from_secs(60)).await;
    assert_eq!(code, 0, "aws {argv:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("aws {argv:?}: {e}: {stdout}"))
}

fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap()
}

/// The role exists with exactly the file's trust policy, the inline policies given and the
/// managed policies given.
async fn assert_role(
    env: &[(String, String)],
    profile: &str,
    arn: &str,
    trust_file: &Path,
    inline: &[(&str, PathBuf)],
    managed: &[&str],
) {
    let name = role_name(arn);
    let role = aws(env, profile, &["iam", "get-role", "--role-name", name]).await;
    assert_eq!(role["Role"]["Arn"], arn, "{role}");
    assert_eq!(
        role["Role"]["AssumeRolePolicyDocument"],
        read_json(trust_file),
        "{name}'s trust policy is {}",
        trust_file.display()
    );
    for (policy, file) in inline {
        let got = aws(
            env,
            profile,
            &[
                "iam",
                "get-role-policy",
                "--role-name",
                name,
                "--policy-name",
                policy,
            ],
        )
        .await;
        assert_eq!(
            got["PolicyDocument"],
            read_json(file),
            "{name}'s {policy} is {}",
            file.display()
        );
    }
    let attached = aws(
        env,
        profile,
        &["iam", "list-attached-role-policies", "--role-name", name],
    )
    .await;
    let mut got: Vec<&str> = attached["AttachedPolicies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PolicyArn"].as_str().unwrap())
        .collect();
    got.sort();
    let mut want = managed.to_vec();
    want.sort();
    assert_eq!(got, want, "{name}'s managed policies");
}

/// What app container `name` of `td` runs with, as ECS and the task definition give it: the
/// RELATIVE_URI ECS injects, the definition's `environment`, each secret as `token`, and
/// rolehop at `rolehop`'s address for 127.0.0.1:9911. The published wiring runs the publisher's
/// own command into `volume` (the task volume, mounted where the definition mounts it); the
/// full-uri wiring applies what the app's shell exports and unsets.
async fn app_environment(
    stack: &Stack,
    td: &Value,
    name: &str,
    rolehop: &Rolehop,
    token: &str,
    volume: &Path,
) -> Vec<(String, String)> {
    let containers = td["containerDefinitions"].as_array().unwrap();
    let app = containers.iter().find(|c| c["name"] == name).unwrap();
    let here = volume.display().to_string();
    let addr = rolehop.addr.to_string();
    let local = |v: &str| {
        v.replace("127.0.0.1:9911", &addr)
            .replace("/rolehop-shared", &here)
    };
    let mut env: Vec<(String, String)> = stack
        .base_env()
        .into_iter()
        .filter(|(k, _)| k != "AWS_CONFIG_FILE")
        .collect();
    env.push((
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI".into(),
        crate::support::ecs_agent::CREDENTIALS_PATH.into(),
    ));
    if let Some(publisher) = containers.iter().find(|c| c["command"][0] == "publish") {
        std::fs::create_dir_all(volume).unwrap();
        let args: Vec<String> = publisher["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| local(a.as_str().unwrap()))
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = Rolehop::run(&args, &stack.base_env()).await;
        assert_eq!(code, 0, "{name}'s publisher: {stdout}{stderr}");
    }
    for (k, v) in pairs(&app["environment"]) {
        env.push((k, local(&v)));
    }
    for secret in app["secrets"].as_array().into_iter().flatten() {
        env.push((secret["name"].as_str().unwrap().into(), token.into()));
    }
    if app["entryPoint"] == serde_json::json!(["sh", "-c"]) {
        for part in app["command"][0].as_str().unwrap().split(';') {
            let part = part.trim();
            if let Some((k, v)) = part.strip_prefix("export ").and_then(|a| a.split_once('=')) {
                env.push((k.into(), local(v)));
            } else if let Some(var) = part.strip_prefix("unset ") {
                env.retain(|(k, _)| k != var);
            }
        }
    }
    env
}

/// The environment `list` (a container's `environment`) as pairs.
fn pairs(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The AWS CLI profile that acts in `arn`'s account.
fn account_profile(arn: &str) -> String {
    format!("account-{}", arn.split(':').nth(4).unwrap())
}

/// A stack on moto (AWS's managed policies loaded) and the AWS CLI's environment for it: one
/// profile per account of `arns` ([`account_profile`]), each with administrator keys.
async fn stack_with_account_profiles(arns: &[&str]) -> (Stack, Vec<(String, String)>) {
    let moto = tokio::task::spawn_blocking(Moto::start_with_managed_policies)
        .await
        .unwrap();
    let creds = AgentCredentials::task_role_from_moto(&moto.url).await;
    let stack = Stack::with_agent_credentials(moto, creds).await;
    let mut cli_env = stack.base_env();
    cli_env.push(("AWS_ENDPOINT_URL".into(), stack.moto.url.clone()));
    let mut keys_env = cli_env.clone();
    keys_env.extend([
        ("AWS_ACCESS_KEY_ID".into(), "AKIDSETUPADMIN000000".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "x".into()),
    ]);
    let mut profiles = String::new();
    for arn in arns {
        let account = arn.split(':').nth(4).unwrap();
        profiles.push_str(&moto_profile(&keys_env, &account_profile(arn), account).await);
    }
    let config = stack.work.path("aws-profiles");
    std::fs::write(&config, profiles).unwrap();
    cli_env.retain(|(k, _)| k != "AWS_CONFIG_FILE");
    cli_env.push(("AWS_CONFIG_FILE".into(), config.display().to_string()));
    (stack, cli_env)
}

struct Case {
    name: &'static str,
    hops: &'static [&'static str],
    options: &'static [&'static str],
}

async fn commands_sh_case(case: &Case) {
    let mut accounts: Vec<&str> = vec![TASK_ROLE_ARN];
    accounts.extend(case.hops.iter());
    let (stack, cli_env) = stack_with_account_profiles(&accounts).await;
    let dir = stack.work.path("setup");
    let profile_of = account_profile;

    let mut args = vec!["--source-role-arn", TASK_ROLE_ARN];
    for hop in case.hops {
        args.extend(["--role-arn", hop]);
    }
    args.extend_from_slice(case.options);
    setup(&stack.base_env(), &dir, &args).await;

    // commands.sh, twice: the second run finds everything and changes nothing but the revision.
    let mut sh_env = cli_env.clone();
    sh_env.push(("SOURCE_PROFILE".into(), profile_of(TASK_ROLE_ARN)));
    for (i, hop) in case.hops.iter().enumerate() {
        let var = if i + 1 == case.hops.len() {
            "DESTINATION_PROFILE".to_owned()
        } else {
            format!("HOP{}_PROFILE", i + 1)
        };
        sh_env.push((var, profile_of(hop)));
    }
    let script = dir.join("commands.sh").display().to_string();
    for run in 1..=2 {
        let (code, stdout, stderr) = run_process(
            &require_tool("sh"),
            &[&script],
            &sh_env,
            // About a hundred AWS CLI calls for a chain of four accounts, each section checked
            // before it changes anything; on a loaded machine each call takes seconds.
            Duration::from_secs(900),
        )
        .await;
        assert_eq!(
            code, 0,
            "{}: commands.sh run {run}:\n{stdout}\n{stderr}",
            case.name
        );
        assert!(
            stdout.contains(&format!("task-definition/rolehop-cross-account:{run}")),
            "{}: run {run} registers revision {run}:\n{stdout}",
            case.name
        );
        if run == 2 {
            assert!(stdout.contains("keeping its value"), "{stdout}");
        }
    }

    // What commands.sh created matches the files.
    let src = profile_of(TASK_ROLE_ARN);
    let file = |name: &str| dir.join(name);
    let first_hop = role_name(case.hops[0]);
    assert_role(
        &cli_env,
        &src,
        TASK_ROLE_ARN,
        &file("task-role-trust-policy.json"),
        &[(
            &format!("rolehop-assume-{first_hop}"),
            file("identity-policy.json"),
        )],
        &[],
    )
    .await;
    for (i, hop) in case.hops.iter().enumerate() {
        let (trust, _) = hop_files(&dir, i);
        let next = case.hops.get(i + 1).map(|next| {
            (
                format!("rolehop-assume-{}", role_name(next)),
                PathBuf::from(hop_files(&dir, i + 1).1),
            )
        });
        let inline: Vec<(&str, PathBuf)> = next
            .iter()
            .map(|(name, path)| (name.as_str(), path.clone()))
            .collect();
        assert_role(
            &cli_env,
            &profile_of(hop),
            hop,
            Path::new(&trust),
            &inline,
            &[],
        )
        .await;
    }
    let ecs_roles = case
        .options
        .iter()
        .any(|o| o.ends_with("-role") || *o == "--ecs-roles");
    if ecs_roles {
        assert_role(
            &cli_env,
            &src,
            "arn:aws:iam::111122223333:role/ecsTaskExecutionRole",
            &file("execution-role-trust-policy.json"),
            &[("rolehop-read-token", file("execution-role-policy.json"))],
            &["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"],
        )
        .await;
    }
    if case.options.contains(&"--infrastructure-role") {
        assert_role(
            &cli_env,
            &src,
            "arn:aws:iam::111122223333:role/ecsInfrastructureRole",
            &file("infrastructure-role-trust-policy.json"),
            &[],
            &[
                "arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForVolumes",
                "arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity",
                "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForVpcLattice",
            ],
        )
        .await;
    }
    if case.options.contains(&"--load-balancer-role") {
        assert_role(
            &cli_env,
            &src,
            "arn:aws:iam::111122223333:role/ecsInfrastructureRoleForLoadBalancers",
            &file("load-balancer-role-trust-policy.json"),
            &[],
            &["arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"],
        )
        .await;
    }
    if case.options.contains(&"--codedeploy-role") {
        assert_role(
            &cli_env,
            &src,
            "arn:aws:iam::111122223333:role/ecsCodeDeployRole",
            &file("codedeploy-role-trust-policy.json"),
            &[(
                "rolehop-pass-task-roles",
                file("codedeploy-role-policy.json"),
            )],
            &["arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"],
        )
        .await;
    }

    // The registered task definition is the file.
    let td_file = read_json(&file("task-definition.json"));
    let registered = aws(
        &cli_env,
        &src,
        &[
            "ecs",
            "describe-task-definition",
            "--task-definition",
            "rolehop-cross-account",
        ],
    )
    .await;
    let td = &registered["taskDefinition"];
    assert_eq!(td["revision"], 2);
    for key in [
        "family",
        "taskRoleArn",
        "executionRoleArn",
        "networkMode",
        "requiresCompatibilities",
        "cpu",
        "memory",
    ] {
        assert_eq!(td[key], td_file[key], "{}: {key}", case.name);
    }
    let containers = td["containerDefinitions"].as_array().unwrap();
    let file_containers = td_file["containerDefinitions"].as_array().unwrap();
    assert_eq!(containers.len(), file_containers.len());
    for want in file_containers {
        let got = containers
            .iter()
            .find(|c| c["name"] == want["name"])
            .unwrap_or_else(|| panic!("{} registered", want["name"]));
        for (key, value) in want.as_object().unwrap() {
            assert_eq!(&got[key], value, "{}: {}.{key}", case.name, want["name"]);
        }
    }

    // The token secret commands.sh created, read as ECS would (the task definition's valueFrom).
    let rolehop_container = containers.iter().find(|c| c["name"] == "rolehop").unwrap();
    let secret_ref = rolehop_container["secrets"][0]["valueFrom"]
        .as_str()
        .unwrap();
    let secret = aws(
        &cli_env,
        &src,
        &[
            "secretsmanager",
            "get-secret-value",
            "--secret-id",
            secret_ref,
        ],
    )
    .await;
    let token = secret["SecretString"].as_str().unwrap().to_owned();
    assert!(
        token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "a 64-hex-digit token without a newline"
    );

    // rolehop serve with the registered container's environment, on a free port.
    let mut serve_env = stack.rolehop_env();
    for (k, v) in pairs(&rolehop_container["environment"]) {
        if k != "ROLEHOP_LISTEN" {
            serve_env.push((k, v));
        }
    }
    serve_env.push(("ROLEHOP_LISTEN".into(), "127.0.0.1:0".into()));
    serve_env.push(("ROLEHOP_TOKEN".into(), token.clone()));
    let rolehop = Rolehop::spawn(&["serve"], &serve_env).await;
    rolehop.wait_ready().await;

    let destination_account = DESTINATION_ROLE_ARN.split(':').nth(4).unwrap();
    let expected_arn = format!(
        "arn:aws:sts::{destination_account}:assumed-role/destination-account-role/{TASK_ID}"
    );
    // The app container's wiring, with rolehop's real address.
    let volume = stack.work.path("volume");
    let mut app_env = app_environment(&stack, td, "app", &rolehop, &token, &volume).await;
    app_env.push(("AWS_ENDPOINT_URL".into(), stack.proxy.url.clone()));
    let identity = clients::aws_cli_caller_identity(&app_env).await;
    assert_eq!(identity["Arn"], expected_arn, "{}: {identity}", case.name);

    // The hops rolehop called, in order, with the options the policies allow.
    let calls = stack.proxy.calls("AssumeRole");
    let called: Vec<&str> = calls.iter().filter_map(|c| c.param("RoleArn")).collect();
    assert_eq!(called, case.hops, "{}", case.name);
    for call in &calls {
        let external_id = case
            .options
            .iter()
            .position(|o| *o == "--external-id")
            .map(|i| case.options[i + 1]);
        assert_eq!(call.param("ExternalId"), external_id, "{}", case.name);
        if case.options.contains(&"--source-identity") {
            assert!(call.param("SourceIdentity").is_some(), "{}", case.name);
        }
    }

    // The generated credential_process profiles, run by the AWS CLI with rolehop on PATH.
    let bin_dir = Path::new(BIN).parent().unwrap().display().to_string();
    let mut profile_env: Vec<(String, String)> = stack
        .base_env()
        .into_iter()
        .map(|(k, v)| match k.as_str() {
            "PATH" => (k, format!("{bin_dir}:{v}")),
            "AWS_CONFIG_FILE" => (k, file("aws-config").display().to_string()),
            _ => (k, v),
        })
        .collect();
    profile_env.extend([
        ("ROLEHOP_ENDPOINT".into(), rolehop.base.clone()),
        ("ROLEHOP_TOKEN".into(), token.clone()),
        ("AWS_ENDPOINT_URL".into(), stack.proxy.url.clone()),
        ("AWS_PROFILE".into(), "cross-account".into()),
    ]);
    let identity = clients::aws_cli_caller_identity(&profile_env).await;
    assert_eq!(identity["Arn"], expected_arn, "{}: {identity}", case.name);
    if case.hops.len() > 1 {
        profile_env.retain(|(k, _)| k != "AWS_PROFILE");
        profile_env.push(("AWS_PROFILE".into(), "hop1".into()));
        let identity = clients::aws_cli_caller_identity(&profile_env).await;
        let hub_account = case.hops[0].split(':').nth(4).unwrap();
        assert_eq!(
            identity["Account"], hub_account,
            "{}: {identity}",
            case.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_sh_creates_one_hop_in_moto_and_serve_reaches_the_destination() {
    commands_sh_case(&Case {
        name: "one hop",
        hops: &[DESTINATION_ROLE_ARN],
        options: &["--external-id", "Partner-7:a/b", "--ecs-roles"],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_sh_creates_a_chain_in_moto_and_serve_reaches_the_destination() {
    commands_sh_case(&Case {
        name: "chain",
        hops: &[HUB_ROLE_ARN, AUDIT_ROLE_ARN, DESTINATION_ROLE_ARN],
        options: &[
            "--tag",
            "Project=blue",
            "--source-identity",
            "reports",
            "--infrastructure-role",
            "--load-balancer-role",
            "--codedeploy-role",
        ],
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_one_sentence_each_and_nothing_is_overwritten_without_force() {
    let work = Workdir::new();
    let env = base_env(work.dir.path());
    let dir = work.path("out");
    let out = dir.display().to_string();
    let run = |args: Vec<String>| {
        let env = env.clone();
        async move {
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            Rolehop::run(&argv, &env).await
        }
    };
    let base = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["setup", "--source-role-arn", TASK_ROLE_ARN, "--out", &out]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };

    // A malformed ARN: check's diagnosis, exit 64, nothing written.
    let (code, stdout, stderr) = run(base(&[
        "--role-arn",
        "arn:aws::iam::555566667777:role/destination-account-role",
    ]))
    .await;
    assert_eq!(code, 64, "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("did you mean arn:aws:iam::555566667777:role/destination-account-role?"),
        "{stderr}"
    );
    assert!(!dir.exists(), "nothing is written");

    // A setup check fails (a role name that differs only in case): exit 64, nothing written.
    let (code, _, stderr) = run(base(&[
        "--role-arn",
        "arn:aws:iam::555566667777:role/my-ecs-task-role",
    ]))
    .await;
    assert_eq!(code, 64, "{stderr}");
    assert!(stderr.contains("arn.case"), "{stderr}");
    assert!(!dir.exists(), "nothing is written");

    // Written once; the same again is fine; a changed file is kept unless --force.
    let good = base(&["--role-arn", DESTINATION_ROLE_ARN]);
    assert_eq!(run(good.clone()).await.0, 0);
    assert_eq!(run(good.clone()).await.0, 0, "re-running is idempotent");
    std::fs::write(dir.join("trust-policy.json"), "{}").unwrap();
    let (code, _, stderr) = run(good.clone()).await;
    assert_eq!(code, 64, "{stderr}");
    assert!(
        stderr.contains("trust-policy.json exists and differs") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("trust-policy.json")).unwrap(),
        "{}"
    );
    let mut forced = good.clone();
    forced.push("--force".into());
    assert_eq!(run(forced).await.0, 0);
    assert_ne!(
        std::fs::read_to_string(dir.join("trust-policy.json")).unwrap(),
        "{}"
    );

    // --out that cannot be created.
    let blocker = work.path("a-file");
    std::fs::write(&blocker, "").unwrap();
    let (code, _, stderr) = run(vec![
        "setup".into(),
        "--source-role-arn".into(),
        TASK_ROLE_ARN.into(),
        "--role-arn".into(),
        DESTINATION_ROLE_ARN.into(),
        "--out".into(),
        blocker.join("sub").display().to_string(),
    ])
    .await;
    assert_eq!(code, 64, "{stderr}");
    assert!(stderr.contains("cannot create --out"), "{stderr}");

    // No region.
    let no_region: Vec<(String, String)> = env
        .iter()
        .filter(|(k, _)| !k.ends_with("_REGION"))
        .cloned()
        .collect();
    let argv: Vec<String> = base(&["--role-arn", DESTINATION_ROLE_ARN]);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let (code, _, stderr) = Rolehop::run(&argv, &no_region).await;
    assert_eq!(code, 64, "{stderr}");
    assert!(stderr.contains("give --region"), "{stderr}");
}

#[tokio::test]
async fn the_readme_quick_start_writes_a_setup_and_names_its_commands() {
    let readme = include_str!("../README.md");
    let section = readme
        .split("## Quick start in a real AWS account")
        .nth(1)
        .expect("the README has the quick start");
    // After the block that builds rolehop: the one that runs it.
    let block = section
        .split("```sh\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .find(|b| b.starts_with("rolehop setup"))
        .expect("a sh block running rolehop setup");
    let joined = block.replace("\\\n", " ");
    let mut lines = joined.lines();
    let setup_line: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(setup_line[..2], ["rolehop", "setup"], "{block}");
    let run_line = lines.next().unwrap();
    let out = setup_line[setup_line.iter().position(|a| *a == "--out").unwrap() + 1];
    assert!(
        run_line.contains("SOURCE_PROFILE=")
            && run_line.contains("DESTINATION_PROFILE=")
            && run_line.ends_with(&format!("sh {out}/commands.sh")),
        "{run_line}"
    );
    let work = Workdir::new();
    let dir = work.path(out).display().to_string();
    let mut args: Vec<&str> = setup_line[1..].to_vec();
    let at = args.iter().position(|a| *a == "--out").unwrap() + 1;
    args[at] = &dir;
    let (code, stdout, stderr) = Rolehop::run(&args, &base_env(work.dir.path())).await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let script = std::fs::read_to_string(work.path(out).join("commands.sh")).unwrap();
    assert!(script.contains("SOURCE_PROFILE") && script.contains("DESTINATION_PROFILE"));
}

/// `aws ARGS` as `profile` failed with `error` (e.g. NoSuchEntity): the thing is not there.
async fn aws_fails_with(env: &[(String, String)], profile: &str, args: &[&str], error: &str) {
    let mut argv = vec!["--profile", profile, "--output", "json"];
    argv.extend_from_slice(args);
    let (code, stdout, stderr) =
        run_process(&require_tool("aws"), &argv, env, Duration::from_secs(60)).await;
    assert_ne!(code, 0, "aws {argv:?} succeeded: {stdout}");
    assert!(stderr.contains(error), "aws {argv:?}: {stderr}");
}

/// Nothing of a setup is in moto: no task role, execution role or token secret in account A,
/// no destination role in account B, no task definition.
async fn nothing_was_created(cli_env: &[(String, String)]) {
    let a = account_profile(TASK_ROLE_ARN);
    let b = account_profile(DESTINATION_ROLE_ARN);
    for (profile, role) in [
        (&a, "my-ECS-task-role"),
        (&a, "ecsTaskExecutionRole"),
        (&b, "destination-account-role"),
    ] {
        aws_fails_with(
            cli_env,
            profile,
            &["iam", "get-role", "--role-name", role],
            "NoSuchEntity",
        )
        .await;
    }
    aws_fails_with(
        cli_env,
        &a,
        &[
            "secretsmanager",
            "describe-secret",
            "--secret-id",
            "rolehop/token",
        ],
        "ResourceNotFoundException",
    )
    .await;
    let families = aws(cli_env, &a, &["ecs", "list-task-definitions"]).await;
    assert_eq!(families["taskDefinitionArns"], serde_json::json!([]));
}

/// Runs `sh commands.sh ARGS` with `vars` over `cli_env`: (exit code, stdout, stderr).
async fn run_commands_sh(
    cli_env: &[(String, String)],
    dir: &Path,
    args: &[&str],
    vars: &[(&str, String)],
) -> (i32, String, String) {
    let mut env = cli_env.to_vec();
    env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let script = dir.join("commands.sh").display().to_string();
    let mut argv = vec![script.as_str()];
    argv.extend_from_slice(args);
    let (code, stdout, stderr) =
        run_process(&require_tool("sh"), &argv, &env, Duration::from_secs(300)).await;
    (code, stdout, stderr)
}

/// commands.sh asks STS which account each profile acts in and checks that what must exist
/// exists before its first write: wrong-account profiles (swapped, or one account for both),
/// and a missing execution role without --ecs-roles, each stop it with every problem named and
/// nothing created, in `all` and in a single section.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_sh_changes_nothing_in_a_wrong_account_or_without_a_role_it_needs() {
    let (stack, cli_env) =
        stack_with_account_profiles(&[TASK_ROLE_ARN, DESTINATION_ROLE_ARN]).await;
    let (a, b) = (
        account_profile(TASK_ROLE_ARN),
        account_profile(DESTINATION_ROLE_ARN),
    );
    let with_roles = stack.work.path("with-roles");
    let base = [
        "--source-role-arn",
        TASK_ROLE_ARN,
        "--role-arn",
        DESTINATION_ROLE_ARN,
    ];
    let mut args = base.to_vec();
    args.push("--ecs-roles");
    setup(&stack.base_env(), &with_roles, &args).await;

    // Swapped profiles: both are named, nothing is created.
    let swapped = [
        ("SOURCE_PROFILE", b.clone()),
        ("DESTINATION_PROFILE", a.clone()),
    ];
    let (code, stdout, stderr) = run_commands_sh(&cli_env, &with_roles, &[], &swapped).await;
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("SOURCE_PROFILE (account-555566667777) acts in account 555566667777, but the task role my-ECS-task-role is in account 111122223333"),
        "{stderr}"
    );
    assert!(
        stderr.contains("DESTINATION_PROFILE (account-111122223333) acts in account 111122223333, but the role destination-account-role is in account 555566667777"),
        "{stderr}"
    );
    assert!(stderr.contains("changed nothing: 2 problem(s)"), "{stderr}");
    nothing_was_created(&cli_env).await;

    // One account for both (as with two empty profiles and one set of default credentials),
    // and the destination section alone with the source's profile.
    let same = [
        ("SOURCE_PROFILE", a.clone()),
        ("DESTINATION_PROFILE", a.clone()),
    ];
    let (code, _, stderr) = run_commands_sh(&cli_env, &with_roles, &[], &same).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("changed nothing: 1 problem(s)"), "{stderr}");
    let (code, _, stderr) = run_commands_sh(&cli_env, &with_roles, &["destination"], &same).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("DESTINATION_PROFILE"), "{stderr}");
    nothing_was_created(&cli_env).await;

    // Without --ecs-roles the execution role must exist: it does not, so nothing is done.
    let without = stack.work.path("without-roles");
    setup(&stack.base_env(), &without, &base).await;
    let right = [
        ("SOURCE_PROFILE", a.clone()),
        ("DESTINATION_PROFILE", b.clone()),
    ];
    for section in [&[][..], &["source"][..]] {
        let (code, stdout, stderr) = run_commands_sh(&cli_env, &without, section, &right).await;
        assert_eq!(code, 1, "{section:?}: {stdout}\n{stderr}");
        assert!(
            stderr.contains("role ecsTaskExecutionRole does not exist in account 111122223333")
                && stderr.contains("--ecs-roles"),
            "{stderr}"
        );
        assert!(stderr.contains("changed nothing: 1 problem(s)"), "{stderr}");
        nothing_was_created(&cli_env).await;
    }
}

/// A role that exists keeps every statement someone else put in its trust policy and inline
/// policy: commands.sh adds setup's statements (showing each first), and a second run changes
/// nothing; REPLACE_POLICIES=yes replaces the document on purpose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_sh_merges_into_existing_roles_and_a_second_run_changes_nothing() {
    let (stack, cli_env) =
        stack_with_account_profiles(&[TASK_ROLE_ARN, DESTINATION_ROLE_ARN]).await;
    let (a, b) = (
        account_profile(TASK_ROLE_ARN),
        account_profile(DESTINATION_ROLE_ARN),
    );
    let partner = serde_json::json!({
        "Sid": "PartnerAccess",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::222233334444:role/partner"},
        "Action": "sts:AssumeRole",
    });
    let batch = serde_json::json!({
        "Sid": "BatchJobs",
        "Effect": "Allow",
        "Principal": {"Service": "batch.amazonaws.com"},
        "Action": "sts:AssumeRole",
    });
    let other_secret = serde_json::json!({
        "Sid": "ReadTheRolehopToken",
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "arn:aws:secretsmanager:us-east-1:111122223333:secret:other-??????",
    });
    let doc = |statement: &Value| {
        serde_json::json!({"Version": "2012-10-17", "Statement": [statement]}).to_string()
    };
    aws(
        &cli_env,
        &b,
        &[
            "iam",
            "create-role",
            "--role-name",
            "destination-account-role",
            "--assume-role-policy-document",
            &doc(&partner),
        ],
    )
    .await;
    aws(
        &cli_env,
        &a,
        &[
            "iam",
            "create-role",
            "--role-name",
            "ecsTaskExecutionRole",
            "--assume-role-policy-document",
            &doc(&batch),
        ],
    )
    .await;
    let (code, _, stderr) = run_process(
        &require_tool("aws"),
        &[
            "--profile",
            &a,
            "iam",
            "put-role-policy",
            "--role-name",
            "ecsTaskExecutionRole",
            "--policy-name",
            "rolehop-read-token",
            "--policy-document",
            &doc(&other_secret),
        ],
        &cli_env,
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(code, 0, "{stderr}");

    let dir = stack.work.path("setup");
    setup(
        &stack.base_env(),
        &dir,
        &[
            "--source-role-arn",
            TASK_ROLE_ARN,
            "--role-arn",
            DESTINATION_ROLE_ARN,
            "--ecs-roles",
        ],
    )
    .await;
    let profiles = [
        ("SOURCE_PROFILE", a.clone()),
        ("DESTINATION_PROFILE", b.clone()),
    ];
    let trust_of = |profile: String, role: &'static str| {
        let env = cli_env.clone();
        async move {
            aws(&env, &profile, &["iam", "get-role", "--role-name", role]).await["Role"]
                ["AssumeRolePolicyDocument"]["Statement"]
                .clone()
        }
    };
    let read_token = || {
        let env = cli_env.clone();
        let a = a.clone();
        async move {
            aws(
                &env,
                &a,
                &[
                    "iam",
                    "get-role-policy",
                    "--role-name",
                    "ecsTaskExecutionRole",
                    "--policy-name",
                    "rolehop-read-token",
                ],
            )
            .await["PolicyDocument"]["Statement"]
                .clone()
        }
    };
    let file_statement = |name: &str| read_json(&dir.join(name))["Statement"][0].clone();
    let ours_trust = file_statement("trust-policy.json");
    let ours_exec_trust = file_statement("execution-role-trust-policy.json");
    let mut ours_read = file_statement("execution-role-policy.json");

    let mut after_first = Vec::new();
    for run in 1..=2 {
        let (code, stdout, stderr) = run_commands_sh(&cli_env, &dir, &[], &profiles).await;
        assert_eq!(code, 0, "run {run}:\n{stdout}\n{stderr}");
        let now = (
            trust_of(b.clone(), "destination-account-role").await,
            trust_of(a.clone(), "ecsTaskExecutionRole").await,
            read_token().await,
        );
        if run == 1 {
            // Shown before it is made, then made; every other statement is kept.
            assert!(
                stderr.contains("role destination-account-role's trust policy: adding statement")
                    && stderr.contains("role ecsTaskExecutionRole's trust policy: adding statement")
                    && stderr.contains(
                        "role ecsTaskExecutionRole's inline policy rolehop-read-token: adding statement"
                    ),
                "{stderr}"
            );
            assert_eq!(now.0, serde_json::json!([partner, ours_trust]));
            assert_eq!(now.1, serde_json::json!([batch, ours_exec_trust]));
            // The Sid is taken by the other statement: setup's gets the next free one.
            ours_read["Sid"] = "ReadTheRolehopToken2".into();
            assert_eq!(now.2, serde_json::json!([other_secret, ours_read]));
            after_first.push(now);
        } else {
            assert!(!stderr.contains("adding statement"), "{stderr}");
            for unchanged in [
                "role destination-account-role exists and its trust policy has every statement",
                "role ecsTaskExecutionRole exists and its trust policy has every statement",
                "role ecsTaskExecutionRole's inline policy rolehop-read-token has every statement",
            ] {
                assert!(stdout.contains(unchanged), "{unchanged}\n{stdout}");
            }
            assert_eq!(now, after_first[0], "a second run changes nothing");
        }
    }

    // Replacing is a choice: REPLACE_POLICIES=yes puts setup's documents as they are.
    let mut replace = profiles.to_vec();
    replace.push(("REPLACE_POLICIES", "yes".into()));
    let (code, stdout, stderr) = run_commands_sh(&cli_env, &dir, &["destination"], &replace).await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("replacing the whole document"), "{stderr}");
    assert_eq!(
        trust_of(b.clone(), "destination-account-role").await,
        serde_json::json!([ours_trust])
    );
}

/// `--region` one edit from a known region is refused with "did you mean" (exit 64, nothing
/// written); a name far from every known region is written with a warning (it may be newer
/// than rolehop).
#[tokio::test]
async fn a_misspelt_region_is_refused_and_an_unknown_one_warned_about() {
    let work = Workdir::new();
    let env = base_env(work.dir.path());
    let run = |region: &'static str, out: PathBuf| {
        let env = env.clone();
        async move {
            let out = out.display().to_string();
            let argv = [
                "setup",
                "--source-role-arn",
                TASK_ROLE_ARN,
                "--role-arn",
                DESTINATION_ROLE_ARN,
                "--region",
                region,
                "--out",
                &out,
            ];
            Rolehop::run(&argv, &env).await
        }
    };
    let typo = work.path("typo");
    let (code, stdout, stderr) = run("eu-wset-1", typo.clone()).await;
    assert_eq!(code, 64, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("--region `eu-wset-1` is not an AWS region; did you mean eu-west-1?"),
        "{stderr}"
    );
    assert!(!typo.exists(), "nothing is written");

    let newer = work.path("newer");
    let (code, stdout, stderr) = run("xx-moon-1", newer.clone()).await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("rolehop: warning: --region `xx-moon-1` is not a region this rolehop knows; it may be newer than rolehop"),
        "{stderr}"
    );
    assert!(newer.join("commands.sh").is_file());
    // Next: says how to build and push the image the task definition names.
    let image = format!(
        "111122223333.dkr.ecr.xx-moon-1.amazonaws.com/rolehop:{}",
        env!("CARGO_PKG_VERSION")
    );
    for line in [
        "aws ecr create-repository --repository-name rolehop --region xx-moon-1".to_owned(),
        "docker login --username AWS --password-stdin 111122223333.dkr.ecr.xx-moon-1.amazonaws.com"
            .to_owned(),
        // The task's platform (x86_64 by default) whatever the building machine's.
        format!(
            "docker buildx build -f docker/Dockerfile --platform linux/amd64 -t {image} --push ."
        ),
    ] {
        assert!(stdout.contains(&line), "{line}\n{stdout}");
    }
}

/// rolehop's known regions are exactly the regions of botocore's partitions.json (the botocore
/// tests/requirements.txt installs), the source src/regions.rs names.
#[tokio::test]
async fn the_known_regions_are_botocores() {
    let python = require_tool("python3");
    let (code, stdout, stderr) = run_process(
        &python,
        &[
            "-c",
            "import json, botocore, os\n\
             d = json.load(open(os.path.join(os.path.dirname(botocore.__file__), 'data', 'partitions.json')))\n\
             print(json.dumps(sorted(r for p in d['partitions'] for r in p['regions'] if not r.startswith('aws-'))))\n\
             print(botocore.__version__)",
        ],
        &base_env(Workdir::new().dir.path()),
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    let mut lines = stdout.lines();
    let regions: Vec<String> = serde_json::from_str(lines.next().unwrap()).unwrap();
    let version = lines.next().unwrap();
    assert_eq!(
        regions,
        rolehop::regions::KNOWN,
        "botocore {version}: update src/regions.rs (and the version it names)"
    );
    let source = include_str!("../src/regions.rs");
    assert!(
        source.contains(&format!("botocore {version},")),
        "src/regions.rs names botocore {version} as its source"
    );
}

/// setup's CloudFormation templates (one per account) pass cfn-lint and deploy into moto's
/// CloudFormation with each account's profile; what the stacks created is what the JSON files
/// say (roles, inline and managed policies, a 64-hex-digit token secret, the task definition),
/// and `rolehop check` online, in the stand-in task, passes against it. They are the templates
/// of `examples/cloudformation/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cloudformation_templates_lint_deploy_into_moto_and_check_passes_online() {
    let (stack, cli_env) =
        stack_with_account_profiles(&[TASK_ROLE_ARN, DESTINATION_ROLE_ARN]).await;
    let (a, b) = (
        account_profile(TASK_ROLE_ARN),
        account_profile(DESTINATION_ROLE_ARN),
    );
    let dir = stack.work.path("setup");
    setup(
        &stack.base_env(),
        &dir,
        &[
            "--source-role-arn",
            TASK_ROLE_ARN,
            "--role-arn",
            DESTINATION_ROLE_ARN,
            "--region",
            "us-east-1",
            "--ecs-roles",
        ],
    )
    .await;
    let templates = [
        (a.clone(), dir.join("cloudformation-111122223333.json")),
        (b.clone(), dir.join("cloudformation-555566667777.json")),
    ];
    // These are examples/cloudformation/'s templates (its regenerate.sh runs this setup).
    for ((_, template), example) in templates
        .iter()
        .zip(["source-account.json", "destination-account.json"])
    {
        let example = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/cloudformation")
            .join(example);
        assert_eq!(
            std::fs::read_to_string(template).unwrap(),
            std::fs::read_to_string(&example).unwrap(),
            "{} is not what rolehop setup writes: run examples/cloudformation/regenerate.sh",
            example.display()
        );
    }
    let lint: Vec<String> = templates
        .iter()
        .map(|(_, t)| t.display().to_string())
        .collect();
    let lint: Vec<&str> = lint.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = run_process(
        &require_tool("cfn-lint"),
        &lint,
        &stack.base_env(),
        Duration::from_secs(300),
    )
    .await;
    assert_eq!(code, 0, "cfn-lint:\n{stdout}\n{stderr}");

    // The source account's stack first: the destination's trust policy names its task role.
    for (profile, template) in &templates {
        let body = format!("file://{}", template.display());
        aws(
            &cli_env,
            profile,
            &[
                "cloudformation",
                "create-stack",
                "--stack-name",
                "rolehop-setup",
                "--template-body",
                &body,
                "--capabilities",
                "CAPABILITY_NAMED_IAM",
            ],
        )
        .await;
        let described = aws(
            &cli_env,
            profile,
            &[
                "cloudformation",
                "describe-stacks",
                "--stack-name",
                "rolehop-setup",
            ],
        )
        .await;
        assert_eq!(
            described["Stacks"][0]["StackStatus"], "CREATE_COMPLETE",
            "{described}"
        );
    }

    let file = |name: &str| dir.join(name);
    assert_role(
        &cli_env,
        &a,
        TASK_ROLE_ARN,
        &file("task-role-trust-policy.json"),
        &[],
        &[],
    )
    .await;
    assert_role(
        &cli_env,
        &b,
        DESTINATION_ROLE_ARN,
        &file("trust-policy.json"),
        &[],
        &[],
    )
    .await;
    let execution = aws(
        &cli_env,
        &a,
        &["iam", "get-role", "--role-name", "ecsTaskExecutionRole"],
    )
    .await;
    assert_eq!(
        execution["Role"]["AssumeRolePolicyDocument"],
        read_json(&file("execution-role-trust-policy.json"))
    );
    // moto 5.2.1's CloudFormation does not attach a role's ManagedPolicyArns, so the template
    // itself is held to the managed policy commands.sh attaches.
    let template = read_json(&templates[0].1);
    let managed = template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["Properties"]["RoleName"] == "ecsTaskExecutionRole")
        .unwrap()["Properties"]["ManagedPolicyArns"]
        .clone();
    assert_eq!(
        managed,
        serde_json::json!([
            "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        ])
    );
    for (role, policy, want) in [
        (
            "my-ECS-task-role",
            "rolehop-assume-destination-account-role",
            "identity-policy.json",
        ),
        (
            "ecsTaskExecutionRole",
            "rolehop-read-token",
            "execution-role-policy.json",
        ),
        (
            "ecsTaskExecutionRole",
            "rolehop-create-log-group",
            "execution-role-logs-policy.json",
        ),
    ] {
        assert_eq!(
            stack_inline_policy(&cli_env, &a, role, policy).await,
            read_json(&file(want)),
            "{role}'s {policy} is {want}"
        );
    }
    // The token secret: moto 5.2.1's CloudFormation reports the stack complete, but the secret is
    // not found by name in the account afterwards, so the template's resource is held to the
    // token commands.sh writes (64 characters of 0-9a-f).
    let secret = template["Resources"]["Secretrolehoptoken"]["Properties"].clone();
    assert_eq!(secret["Name"], "rolehop/token");
    assert_eq!(
        secret["GenerateSecretString"],
        serde_json::json!({"PasswordLength": 64, "ExcludePunctuation": true,
            "ExcludeUppercase": true, "ExcludeCharacters": "ghijklmnopqrstuvwxyz",
            "IncludeSpace": false})
    );
    let registered = aws(
        &cli_env,
        &a,
        &[
            "ecs",
            "describe-task-definition",
            "--task-definition",
            "rolehop-cross-account",
        ],
    )
    .await;
    // moto 5.2.1's CloudFormation registers the family and its containers but drops the
    // task-level role ARNs, so those are held to the file in the template itself.
    let td_file = read_json(&file("task-definition.json"));
    let td = &registered["taskDefinition"];
    assert_eq!(td["family"], td_file["family"]);
    let names = |td: &Value| -> Vec<Value> {
        td["containerDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].clone())
            .collect()
    };
    assert_eq!(names(td), names(&td_file));
    let properties = &template["Resources"]["TaskDefinition"]["Properties"];
    assert_eq!(properties["TaskRoleArn"], td_file["taskRoleArn"]);
    assert_eq!(properties["ExecutionRoleArn"], td_file["executionRoleArn"]);

    // rolehop check online, as the task would run it, against the roles the stacks created.
    let mut env = stack.rolehop_env();
    env.push(("AWS_ENDPOINT_URL".into(), stack.proxy.url.clone()));
    let (code, stdout, stderr) =
        Rolehop::run(&["check", "--role-arn", DESTINATION_ROLE_ARN], &env).await;
    // The real AssumeRole into the stack's destination role works, and its trust policy (read
    // from IAM) allows the stack's task role. The one failure rolehop reports is moto's: the
    // task role's inline policy as its CloudFormation stored it (Python's repr, see
    // stack_inline_policy) is not JSON.
    assert!(
        stdout.contains("PASS online.assume") && stdout.contains("PASS trust.allows"),
        "{stdout}\n{stderr}"
    );
    let failures: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert!(
        failures.iter().all(|l| l.contains(
            "inline policy rolehop-assume-destination-account-role of my-ECS-task-role is not valid JSON"
        )),
        "{stdout}"
    );
    assert!(code == 0 || failures.len() == 1, "{stdout}\n{stderr}");

    // check --online --task-definition reads the stack's task and execution roles from IAM.
    // What it cannot decide is moto's alone: each inline policy its CloudFormation stored as
    // Python's repr fails policy.json, and nothing else fails.
    let td_path = file("task-definition.json").display().to_string();
    let (_, stdout, stderr) =
        Rolehop::run(&["check", "--online", "--task-definition", &td_path], &env).await;
    let repr_failures: Vec<String> = [
        (
            "my-ECS-task-role",
            "rolehop-assume-destination-account-role",
        ),
        ("ecsTaskExecutionRole", "rolehop-read-token"),
        ("ecsTaskExecutionRole", "rolehop-create-log-group"),
    ]
    .iter()
    .map(|(role, policy)| format!("inline policy {policy} of {role} is not valid JSON"))
    .collect();
    let failures: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert!(
        !failures.is_empty()
            && failures.iter().all(|l| l.starts_with("FAIL policy.json")
                && repr_failures.iter().any(|r| l.contains(r.as_str()))),
        "{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("PASS ecs-exec.target")
            && stdout.contains("the policies IAM shows on ecsTaskExecutionRole (inline policy rolehop-read-token of ecsTaskExecutionRole, inline policy rolehop-create-log-group of ecsTaskExecutionRole)"),
        "{stdout}"
    );
}

/// A role's inline policy as a stack created it. moto 5.2.1's CloudFormation stores an inline
/// policy of an `AWS::IAM::Role` as Python's repr of the document rather than its JSON (AWS
/// stores the JSON); such a string is read back with Python's own literal parser.
async fn stack_inline_policy(
    env: &[(String, String)],
    profile: &str,
    role: &str,
    policy: &str,
) -> Value {
    let got = aws(
        env,
        profile,
        &[
            "iam",
            "get-role-policy",
            "--role-name",
            role,
            "--policy-name",
            policy,
        ],
    )
    .await["PolicyDocument"]
        .clone();
    let Some(repr) = got.as_str() else {
        return got;
    };
    let (code, stdout, stderr) = run_process(
        &require_tool("python3"),
        &[
            "-c",
            "import ast, json, sys; print(json.dumps(ast.literal_eval(sys.argv[1])))",
            repr,
        ],
        env,
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}
