//! Unit tests of the generated documents: their shape, and that `check` passes them for a
//! matrix of inputs (the integration tests run the binary and moto on the written files).

use clap::Parser;

use super::*;
use crate::cli::{Cli, Command};

const TASK: &str = "arn:aws:iam::111122223333:role/my-ECS-task-role";
const DEST: &str = "arn:aws:iam::555566667777:role/destination-account-role";
const HUB: &str = "arn:aws:iam::444455556666:role/team/hub";

fn args(extra: &[&str]) -> SetupArgs {
    let mut argv = vec![
        "rolehop",
        "setup",
        "--region",
        "us-east-1",
        "--out",
        "/tmp/x",
    ];
    argv.extend_from_slice(extra);
    match Cli::try_parse_from(argv).expect("parses").command {
        Command::Setup(a) => a,
        _ => unreachable!(),
    }
}

fn setup(extra: &[&str]) -> Setup {
    Setup::from_args(&args(extra)).expect("valid")
}

fn file(files: &[File], name: &str) -> serde_json::Value {
    let text = &files.iter().find(|f| f.name == name).expect(name).contents;
    serde_json::from_str(text).expect("json")
}

#[test]
fn one_hop_writes_the_seeds_policies_exactly() {
    let s = setup(&["--source-role-arn", TASK, "--role-arn", DEST]);
    let files = s.files();
    assert_eq!(
        file(&files, "trust-policy.json")["Statement"][0],
        serde_json::json!({
            "Sid": "RolehopTrustSourceRole",
            "Effect": "Allow",
            "Principal": {"AWS": TASK},
            "Action": "sts:AssumeRole",
        })
    );
    assert_eq!(
        file(&files, "identity-policy.json")["Statement"][0]["Resource"],
        DEST
    );
    let td = file(&files, "task-definition.json");
    assert_eq!(td["taskRoleArn"], TASK);
    assert_eq!(
        td["executionRoleArn"],
        "arn:aws:iam::111122223333:role/ecsTaskExecutionRole"
    );
    assert_eq!(
        container(&td, "rolehop")["secrets"][0]["valueFrom"],
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:rolehop/token"
    );
    verify(&s, &files).unwrap();
}

fn container<'a>(td: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    td["containerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no container {name}"))
}

/// ECS Exec (crate::ecs_exec): the task role's statement unless --no-ecs-exec, the app wired
/// through the published profile with no credential variable in its definition and an init
/// process; with --app-wiring full-uri, FULL_URI exported by the app's shell.
#[test]
fn the_default_task_is_ready_for_ecs_exec() {
    let base = ["--source-role-arn", TASK, "--role-arn", DEST];
    let s = setup(&base);
    let files = s.files();
    verify(&s, &files).unwrap();
    let identity = file(&files, "identity-policy.json");
    assert_eq!(
        identity["Statement"][1],
        crate::ecs_exec::task_role_statement()
    );
    let td = file(&files, "task-definition.json");
    let app = container(&td, "app");
    assert_eq!(app["linuxParameters"]["initProcessEnabled"], true);
    assert_eq!(app["mountPoints"][0]["containerPath"], task::SHARED_DIR);
    assert_eq!(app["mountPoints"][0]["readOnly"], true);
    let env = app["environment"].to_string();
    assert!(
        env.contains("AWS_CONFIG_FILE") && !env.contains("AWS_CONTAINER_CREDENTIALS"),
        "{env}"
    );
    assert_eq!(container(&td, task::PUBLISHER)["command"][0], "publish");
    assert_eq!(
        crate::check::ecs_exec::diagnosis(&td),
        Some(("app".into(), "/rolehop-shared/rolehop check".into()))
    );
    let script = &files
        .iter()
        .find(|f| f.name == "commands.sh")
        .unwrap()
        .contents;
    assert!(script.contains("--enable-execute-command"), "{script}");
    assert!(
        script
            .contains("--container app --interactive --command \"/rolehop-shared/rolehop check\""),
        "{script}"
    );

    let mut args = base.to_vec();
    args.push("--no-ecs-exec");
    let s = setup(&args);
    let files = s.files();
    verify(&s, &files).unwrap();
    assert_eq!(
        file(&files, "identity-policy.json")["Statement"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let mut args = base.to_vec();
    args.extend(["--app-wiring", "full-uri"]);
    let s = setup(&args);
    let files = s.files();
    verify(&s, &files).unwrap();
    let td = file(&files, "task-definition.json");
    let app = container(&td, "app");
    assert!(app["environment"].is_null(), "{app}");
    assert!(
        app["command"][0]
            .as_str()
            .unwrap()
            .starts_with("export AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:9911/v1/credentials; unset AWS_CONTAINER_CREDENTIALS_RELATIVE_URI; exec "),
        "{app}"
    );
    assert!(td["volumes"].is_null());
    assert_eq!(td["containerDefinitions"].as_array().unwrap().len(), 2);
}

#[test]
fn options_add_exactly_their_permissions() {
    let s = setup(&[
        "--source-role-arn",
        TASK,
        "--role-arn",
        DEST,
        "--external-id",
        "Partner-7:a/b",
        "--tag",
        "Project=blue",
        "--source-identity",
        "reports",
    ]);
    let files = s.files();
    let trust = file(&files, "trust-policy.json");
    assert_eq!(
        trust["Statement"][0]["Action"],
        serde_json::json!(["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"])
    );
    assert_eq!(
        trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        "Partner-7:a/b"
    );
    verify(&s, &files).unwrap();
}

#[test]
fn a_chain_trusts_each_previous_hop_and_configures_rolehop_with_it() {
    let s = setup(&[
        "--source-role-arn",
        TASK,
        "--role-arn",
        HUB,
        "--role-arn",
        DEST,
    ]);
    let files = s.files();
    assert_eq!(
        file(&files, "trust-policy.json")["Statement"][0]["Principal"]["AWS"],
        TASK
    );
    assert_eq!(
        file(&files, "identity-policy.json")["Statement"][0]["Resource"],
        HUB
    );
    assert_eq!(
        file(&files, "trust-policy-hop2.json")["Statement"][0]["Principal"]["AWS"],
        HUB
    );
    assert_eq!(
        file(&files, "identity-policy-hop2.json")["Statement"][0]["Resource"],
        DEST
    );
    let td = file(&files, "task-definition.json");
    let text = container(&td, "rolehop")["environment"][0]["value"]
        .as_str()
        .unwrap();
    assert!(text.contains("[profile hop1]\nrole_arn = arn:aws:iam::444455556666:role/team/hub\ncredential_source = EcsContainer\n"), "{text}");
    assert!(text.contains("[default]\nrole_arn = arn:aws:iam::555566667777:role/destination-account-role\nsource_profile = hop1\n"), "{text}");
    let script = &files
        .iter()
        .find(|f| f.name == "commands.sh")
        .unwrap()
        .contents;
    assert!(
        script.contains("ensure_role \"$HOP1_PROFILE\" 'hub' '/team/' trust-policy.json"),
        "{script}"
    );
    assert!(script.contains("put_policy \"$HOP1_PROFILE\" 'hub' 'rolehop-assume-destination-account-role' identity-policy-hop2.json"), "{script}");
    verify(&s, &files).unwrap();
}

#[test]
fn ecs_roles_trust_their_service_with_the_managed_policies_on_their_paths() {
    let s = setup(&[
        "--source-role-arn",
        TASK,
        "--role-arn",
        DEST,
        "--infrastructure-role",
        "--load-balancer-role",
        "--codedeploy-role",
    ]);
    let files = s.files();
    let kinds: Vec<(&str, &str)> = s
        .service_roles
        .iter()
        .map(|r| (r.arn.name(), r.kind.service_principal()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("ecsTaskExecutionRole", "ecs-tasks.amazonaws.com"),
            ("ecsInfrastructureRole", "ecs.amazonaws.com"),
            ("ecsInfrastructureRoleForLoadBalancers", "ecs.amazonaws.com"),
            ("ecsCodeDeployRole", "codedeploy.amazonaws.com"),
        ]
    );
    for arn in s.service_roles.iter().flat_map(|r| &r.managed_policies) {
        assert!(check::arns::policy_arn_problem(arn).is_none(), "{arn}");
        assert!(
            check::arns::managed_policy_path_problem(arn).is_none(),
            "{arn}"
        );
    }
    assert_eq!(
        file(&files, "codedeploy-role-trust-policy.json")["Statement"][0]["Principal"]["Service"],
        "codedeploy.amazonaws.com"
    );
    verify(&s, &files).unwrap();
}

#[test]
fn bad_input_is_reported_all_at_once() {
    let errors = Setup::from_args(&args(&[
        "--source-role-arn",
        "arn:aws:iam::1111222233334444:role/my-ECS-task-role",
        "--role-arn",
        "arn:aws::iam::555566667777:role/destination-account-role",
        "--tag",
        "no-equals",
    ]))
    .unwrap_err();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].contains("exactly 12 digits"), "{errors:?}");
    assert!(
        errors[1].contains("did you mean arn:aws:iam::555566667777:role/destination-account-role?"),
        "{errors:?}"
    );
    assert!(errors[2].contains("not KEY=VALUE"), "{errors:?}");
    let errors = Setup::from_args(&args(&[
        "--source-role-arn",
        TASK,
        "--role-arn",
        DEST,
        "--role-arn",
        DEST,
        "--execution-role-arn",
        "arn:aws:iam::555566667777:role/ecsTaskExecutionRole",
    ]))
    .unwrap_err();
    assert!(errors[0].contains("appears twice"), "{errors:?}");
    assert!(
        errors[1].contains("not in the task role's account"),
        "{errors:?}"
    );
}

#[test]
fn a_case_slip_between_roles_is_caught_by_check() {
    let s = setup(&[
        "--source-role-arn",
        TASK,
        "--role-arn",
        "arn:aws:iam::555566667777:role/my-ecs-task-role",
    ]);
    let problems = verify(&s, &s.files()).unwrap_err();
    assert!(problems[0].contains("arn.case"), "{problems:?}");
}

#[test]
fn the_matrix_passes_check() {
    let chains: [&[&str]; 3] = [
        &[DEST],
        &[HUB, DEST],
        &[HUB, "arn:aws:iam::999988887777:role/audit", DEST],
    ];
    let options: [&[&str]; 5] = [
        &[],
        &["--external-id", "Partner-7"],
        &["--session-tags"],
        &["--tag", "Project=blue,Team=red", "--source-identity", "svc"],
        &[
            "--external-id",
            "x-y",
            "--session-tags",
            "--source-identity",
            "svc",
        ],
    ];
    let ecs: [&[&str]; 3] = [
        &[],
        &["--ecs-roles"],
        &[
            "--codedeploy-role",
            "--infrastructure-role",
            "--load-balancer-role",
        ],
    ];
    for chain in chains {
        for opts in options {
            for roles in ecs {
                let mut argv = vec!["--source-role-arn", TASK];
                for hop in chain {
                    argv.extend(["--role-arn", hop]);
                }
                argv.extend_from_slice(opts);
                argv.extend_from_slice(roles);
                let s = setup(&argv);
                let files = s.files();
                let found = findings(&s, &files);
                assert!(
                    found.iter().all(|f| f.status == Status::Pass),
                    "{argv:?}: {found:#?}"
                );
                verify(&s, &files).unwrap_or_else(|e| panic!("{argv:?}: {e:?}"));
            }
        }
    }
}

#[test]
fn an_existing_token_secret_is_referenced_and_never_created() {
    let arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:team/rolehop-AbCdEf";
    let s = setup(&[
        "--source-role-arn",
        TASK,
        "--role-arn",
        DEST,
        "--token-secret-arn",
        arn,
        "--execution-role-arn",
        "arn:aws:iam::111122223333:role/ops/exec",
    ]);
    let files = s.files();
    let td = file(&files, "task-definition.json");
    assert_eq!(
        td["executionRoleArn"],
        "arn:aws:iam::111122223333:role/ops/exec"
    );
    for c in td["containerDefinitions"].as_array().unwrap() {
        if c["name"] != task::PUBLISHER {
            assert_eq!(c["secrets"][0]["valueFrom"], arn);
        }
    }
    assert_eq!(
        file(&files, "execution-role-policy.json")["Statement"][0]["Resource"][0],
        arn
    );
    let script = &files
        .iter()
        .find(|f| f.name == "commands.sh")
        .unwrap()
        .contents;
    assert!(!script.contains("    ensure_token_secret "), "{script}");
    assert!(script.contains("put_policy \"$SOURCE_PROFILE\" 'exec' 'rolehop-read-token'"));
    verify(&s, &files).unwrap();

    let errors = Setup::from_args(&args(&[
        "--source-role-arn",
        TASK,
        "--role-arn",
        DEST,
        "--token-secret-arn",
        "arn:aws:secretsmanager:us-east-1:555566667777:secret:x",
    ]))
    .unwrap_err();
    assert!(
        errors[0].contains("not in the source account 111122223333"),
        "{errors:?}"
    );
}

#[test]
fn per_container_roles_give_each_container_its_own_secret_and_client() {
    let web = format!("web={DEST}");
    let batch = format!("batch-jobs={HUB}");
    let s = setup(&[
        "--source-role-arn",
        TASK,
        "--container",
        &web,
        "--container",
        &batch,
    ]);
    let files = s.files();
    verify(&s, &files).expect("passes check");
    // Both roles trust the task role itself, not each other.
    for trust in ["trust-policy.json", "trust-policy-hop2.json"] {
        assert_eq!(
            file(&files, trust)["Statement"][0]["Principal"]["AWS"],
            TASK
        );
    }
    let td = file(&files, "task-definition.json");
    let names: Vec<&str> = td["containerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["rolehop-publish", "rolehop", "web", "batch-jobs"]);
    let secret = |name: &str| {
        format!("arn:aws:secretsmanager:us-east-1:111122223333:secret:rolehop/token-{name}")
    };
    // rolehop alone gets each role's external id, from its own secret.
    assert_eq!(
        container(&td, "rolehop")["secrets"],
        serde_json::json!([
            {"name": "ROLEHOP_TOKEN_WEB", "valueFrom": secret("web")},
            {"name": "ROLEHOP_TOKEN_BATCH_JOBS", "valueFrom": secret("batch-jobs")},
            {"name": "ROLEHOP_EXTERNAL_ID_WEB", "valueFrom": secret("web-external-id")},
            {"name": "ROLEHOP_EXTERNAL_ID_BATCH_JOBS", "valueFrom": secret("batch-jobs-external-id")},
        ])
    );
    assert_eq!(
        container(&td, "batch-jobs")["secrets"],
        serde_json::json!([{"name": "ROLEHOP_TOKEN", "valueFrom": secret("batch-jobs")}])
    );
    let config = task::config_text(&s);
    assert!(
        config.contains(
            "[client batch-jobs]\ntoken_env = ROLEHOP_TOKEN_BATCH_JOBS\nprofiles = batch-jobs\n"
        ),
        "{config}"
    );
    assert!(
        config.contains("rolehop_external_id_env = ROLEHOP_EXTERNAL_ID_BATCH_JOBS\n"),
        "{config}"
    );
    assert_eq!(
        file(&files, "execution-role-policy.json")["Statement"][0]["Resource"],
        serde_json::json!([
            format!("{}-??????", secret("web")),
            format!("{}-??????", secret("web-external-id")),
            format!("{}-??????", secret("batch-jobs")),
            format!("{}-??????", secret("batch-jobs-external-id")),
        ])
    );
    // Each trust policy requires its placeholder, which names the secret commands.sh reads.
    assert_eq!(
        file(&files, "trust-policy-hop2.json")["Statement"][0]["Condition"],
        serde_json::json!({"StringEquals": {"sts:ExternalId": format!(
            "{}rolehop/token-batch-jobs-external-id",
            policies::EXTERNAL_ID_PLACEHOLDER
        )}})
    );
    let isolation: Vec<_> = findings(&s, &files)
        .into_iter()
        .filter(|f| f.id == FindingId::EcsContainerIsolation)
        .collect();
    assert_eq!(isolation.len(), 2, "{isolation:?}");
    assert!(
        isolation.iter().all(|f| f.status == Status::Pass),
        "{isolation:?}"
    );
}

/// The hop section of a per-container commands.sh: the trust policy goes on the role from a
/// private copy with the secret's value, then the role is held to requiring it.
#[test]
fn commands_sh_fills_in_each_external_id_from_its_secret_and_checks_the_role() {
    let s = setup(&[
        "--source-role-arn",
        TASK,
        "--container",
        &format!("web={DEST}"),
    ]);
    let script = commands::script(&s);
    for line in [
        "    ensure_external_id_secret \"$SOURCE_PROFILE\" 'rolehop/token-web-external-id'\n",
        "    with_external_id 'rolehop/token-web-external-id' trust-policy.json\n    ensure_role \"$WEB_PROFILE\" 'destination-account-role' '/' \"$filled\"\n",
        "    require_external_id \"$WEB_PROFILE\" 'destination-account-role' 'arn:aws:iam::555566667777:role/destination-account-role' 'arn:aws:iam::111122223333:role/my-ECS-task-role' identity-policy.json\n",
    ] {
        assert!(script.contains(line), "{line}\n{script}");
    }
    // A chain keeps its plain trust files.
    let chain = commands::script(&setup(&["--source-role-arn", TASK, "--role-arn", DEST]));
    assert!(!chain.contains("with_external_id '"), "{chain}");
    // One shared --external-id does not go with per-container roles.
    let errors = Setup::from_args(&args(&[
        "--source-role-arn",
        TASK,
        "--container",
        &format!("web={DEST}"),
        "--external-id",
        "x-1",
    ]))
    .unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("--external-id is one value")),
        "{errors:?}"
    );
    let errors = Setup::from_args(&args(&[
        "--source-role-arn",
        TASK,
        "--container",
        &format!("web={DEST}"),
        "--container",
        &format!("web-external-id={HUB}"),
    ]))
    .unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("would be the external id secret")),
        "{errors:?}"
    );
}

/// The CloudFormation template of a hop account takes each per-container role's external id as
/// a NoEcho parameter; the source account's creates its secret.
#[test]
fn cloudformation_takes_external_ids_as_no_echo_parameters() {
    let s = setup(&[
        "--source-role-arn",
        TASK,
        "--container",
        &format!("web={DEST}"),
    ]);
    let templates = cloudformation::templates(&s);
    let (_, hop) = templates
        .iter()
        .find(|(name, _)| name == "cloudformation-555566667777.json")
        .unwrap();
    assert_eq!(hop["Parameters"]["ExternalIdweb"]["NoEcho"], true);
    let role = hop["Resources"]["Roledestinationaccountrole"]["Properties"].clone();
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"],
        serde_json::json!({"StringEquals": {"sts:ExternalId": {"Ref": "ExternalIdweb"}}})
    );
    let (_, source) = &templates[0];
    assert_eq!(
        source["Resources"]["Secretrolehoptokenwebexternalid"]["Properties"]["Name"],
        "rolehop/token-web-external-id"
    );
    assert!(source.get("Parameters").is_none(), "{source}");

    // A role in the source account reads its stack's own secret.
    let s = setup(&[
        "--source-role-arn",
        TASK,
        "--container",
        "web=arn:aws:iam::111122223333:role/orders",
    ]);
    let templates = cloudformation::templates(&s);
    assert_eq!(templates.len(), 1);
    let (_, source) = &templates[0];
    assert!(source.get("Parameters").is_none(), "{source}");
    assert_eq!(
        source["Resources"]["Roleorders"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
            ["Condition"]["StringEquals"]["sts:ExternalId"],
        serde_json::json!({"Fn::Sub": "{{resolve:secretsmanager:${Secretrolehoptokenwebexternalid}:SecretString}}"})
    );
}

#[test]
fn bad_container_flags_are_one_sentence_each() {
    let errors = Setup::from_args(&args(&[
        "--source-role-arn",
        TASK,
        "--container",
        "web",
        "--container",
        &format!("rolehop={DEST}"),
        "--container",
        &format!("a-b={DEST}"),
        "--container",
        &format!("a_b={HUB}"),
    ]))
    .unwrap_err();
    let all = errors.join("\n");
    assert!(
        all.contains("--container `web` is not NAME=ROLE_ARN"),
        "{all}"
    );
    assert!(all.contains("is the sidecar's own name"), "{all}");
    assert!(
        all.contains("would both read rolehop's ROLEHOP_TOKEN_A_B"),
        "{all}"
    );
    let errors = Setup::from_args(&args(&[
        "--source-role-arn",
        TASK,
        "--container",
        &format!("web={DEST}"),
        "--token-secret-arn",
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:t",
    ]))
    .unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("--token-secret-arn is one token")),
        "{errors:?}"
    );
}

#[test]
fn container_names_commands_sh_uses_or_cannot_use_are_refused() {
    for (name, says) in [
        ("source", "commands.sh's own `source` section"),
        ("Source", "commands.sh's own `source` section"),
        ("all", "commands.sh's own `all` section"),
        ("destination", "commands.sh's own `destination` section"),
        ("1web", "does not start with a letter"),
        ("_web", "does not start with a letter"),
        ("-web", "does not start with a letter"),
    ] {
        let errors = Setup::from_args(&args(&[
            "--source-role-arn",
            TASK,
            &format!("--container={name}={DEST}"),
        ]))
        .unwrap_err();
        assert!(
            errors.iter().any(|e| e.contains(says)),
            "{name}: {errors:?}"
        );
    }
    let s = setup(&[
        "--source-role-arn",
        TASK,
        "--container",
        &format!("web-1={DEST}"),
        "--container",
        &format!("sources={HUB}"),
    ]);
    assert_eq!(s.containers, ["web-1", "sources"]);
}

#[test]
fn a_token_secret_arn_is_a_secrets_manager_arn_and_reaches_commands_sh_quoted() {
    for hostile in [
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:t\n$(touch /tmp/pwned)",
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:t;id",
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:t'x",
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:t #x",
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:t`id`",
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:",
    ] {
        let errors = Setup::from_args(&args(&[
            "--source-role-arn",
            TASK,
            "--role-arn",
            DEST,
            "--token-secret-arn",
            hostile,
        ]))
        .unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("is not a Secrets Manager secret ARN")),
            "{hostile:?}: {errors:?}"
        );
    }
    let arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:team/rolehop-token-AbCdEf";
    let s = setup(&[
        "--source-role-arn",
        TASK,
        "--role-arn",
        DEST,
        "--token-secret-arn",
        arn,
    ]);
    assert!(
        commands::script(&s).contains(&format!("# The token secret is '{arn}', given")),
        "quoted in commands.sh"
    );
}

#[test]
fn arch_writes_the_runtime_platform_and_defaults_to_x86_64() {
    for (extra, ecs) in [(&[][..], "X86_64"), (&["--arch", "arm64"][..], "ARM64")] {
        let mut argv = vec!["--source-role-arn", TASK, "--role-arn", DEST];
        argv.extend_from_slice(extra);
        let td = file(&setup(&argv).files(), "task-definition.json");
        assert_eq!(
            td["runtimePlatform"],
            serde_json::json!({"cpuArchitecture": ecs, "operatingSystemFamily": "LINUX"}),
            "{extra:?}"
        );
        // One finding per container running rolehop's image (the publisher and the sidecar),
        // each a pass.
        let findings = crate::check::platform::task_definition("td.json", &td.to_string());
        assert_eq!(
            findings.iter().map(|f| f.status).collect::<Vec<_>>(),
            [crate::check::findings::Status::Pass; 2],
            "{extra:?}"
        );
    }
    for (alias, arch) in [
        ("amd64", crate::platform::Arch::X86_64),
        ("aarch64", crate::platform::Arch::Arm64),
    ] {
        assert_eq!(
            args(&[
                "--source-role-arn",
                TASK,
                "--role-arn",
                DEST,
                "--arch",
                alias
            ])
            .arch,
            arch,
            "Docker's and Rust's names"
        );
    }
    let argv = [
        "rolehop",
        "setup",
        "--source-role-arn",
        TASK,
        "--role-arn",
        DEST,
        "--out",
        "/tmp/x",
        "--arch",
        "riscv64",
    ];
    assert!(Cli::try_parse_from(argv).is_err(), "no image for riscv64");
}

#[test]
fn next_builds_the_image_for_the_tasks_platform_whatever_machine_builds_it() {
    for (extra, platform) in [
        (&[][..], "linux/amd64"),
        (&["--arch", "arm64"][..], "linux/arm64"),
    ] {
        let mut argv = vec!["--source-role-arn", TASK, "--role-arn", DEST];
        argv.extend_from_slice(extra);
        let s = setup(&argv);
        let next = image::next_steps(&s);
        let build = format!(
            "docker buildx build -f docker/Dockerfile --platform {platform} -t {} --push .",
            s.image
        );
        assert!(next.contains(&build), "{extra:?}\n{next}");
        assert!(!next.contains("docker build "), "{extra:?}\n{next}");
    }
}
