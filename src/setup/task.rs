//! The task side of a setup: a Fargate task definition in the pattern of
//! `task-definitions/fargate-unmodified-image.json` (rolehop as an essential, locked-down
//! sidecar with a health check; a `rolehop publish` init container sharing rolehop's binary and
//! an AWS config with the app, which names it with `AWS_CONFIG_FILE`/`AWS_PROFILE` and reads
//! the token from one Secrets Manager secret; or, with `--app-wiring full-uri`, an app whose
//! shell exports `AWS_CONTAINER_CREDENTIALS_FULL_URI`), and an AWS config file whose profiles
//! ask that sidecar through `credential_process`. Every app container is an ECS Exec target
//! (`crate::ecs_exec`): no credential variable in its definition, `initProcessEnabled`.

use serde_json::{Value, json};

use super::{File, LISTEN, Setup};
use crate::cli::{AppWiring, RoleArgs};
use crate::session::Tag;

pub const TASK_DEFINITION_FILE: &str = "task-definition.json";
pub const AWS_CONFIG_FILE: &str = "aws-config";
pub const SIDECAR: &str = "rolehop";
const APP: &str = "app";
/// The rolehop image's non-root user (`USER` in docker/Dockerfile).
pub const IMAGE_USER: &str = "65532:65532";

/// The rolehop profile name of hop `index` (0-based): the last hop is `default` (served at
/// `/v1/credentials`), the hops before it `hop1`, `hop2`...
pub fn profile_name(setup: &Setup, index: usize) -> String {
    if setup.per_container() {
        setup.containers[index].clone()
    } else if index + 1 == setup.hops.len() {
        crate::role_name::DEFAULT_ROLE.into()
    } else {
        format!("hop{}", index + 1)
    }
}

fn tags_value(tags: &[Tag]) -> String {
    tags.iter()
        .map(|t| format!("{}={}", t.key, t.value))
        .collect::<Vec<_>>()
        .join(",")
}

/// rolehop's configuration for a chain, in the config file syntax (`ROLEHOP_CONFIG_TEXT`).
pub fn config_text(setup: &Setup) -> String {
    let mut out = String::new();
    for (i, hop) in setup.hops.iter().enumerate() {
        let name = profile_name(setup, i);
        if name == crate::role_name::DEFAULT_ROLE {
            out.push_str("[default]\n");
        } else {
            out.push_str(&format!("[profile {name}]\n"));
        }
        out.push_str(&format!("role_arn = {hop}\n"));
        if i == 0 || setup.per_container() {
            out.push_str("credential_source = EcsContainer\n");
        } else {
            out.push_str(&format!(
                "source_profile = {}\n",
                profile_name(setup, i - 1)
            ));
        }
        if let Some(id) = &setup.external_id {
            out.push_str(&format!("external_id = {id}\n"));
        }
        if setup.per_container() {
            out.push_str(&format!(
                "rolehop_external_id_env = {}\n",
                external_id_env(&setup.containers[i])
            ));
        }
        if !setup.tags.is_empty() {
            out.push_str(&format!(
                "rolehop_session_tags = {}\n",
                tags_value(&setup.tags).replace(',', ", ")
            ));
        }
        if let Some(name) = &setup.source_identity {
            out.push_str(&format!("rolehop_source_identity = {name}\n"));
        }
        if i + 1 < setup.hops.len() {
            out.push('\n');
        }
    }
    for (i, name) in setup.containers.iter().enumerate() {
        out.push_str(&format!(
            "\n[client {name}]\ntoken_env = {}\nprofiles = {}\n",
            token_env(name),
            profile_name(setup, i)
        ));
    }
    out
}

/// The rolehop container's variable holding app container `name`'s token.
pub fn token_env(name: &str) -> String {
    format!(
        "ROLEHOP_TOKEN_{}",
        name.to_ascii_uppercase().replace('-', "_")
    )
}

/// The rolehop container's variable holding the external id app container `name`'s role
/// requires (`rolehop_external_id_env` of its profile); no app container gets it.
pub fn external_id_env(name: &str) -> String {
    format!(
        "ROLEHOP_EXTERNAL_ID_{}",
        name.to_ascii_uppercase().replace('-', "_")
    )
}

/// The rolehop container's environment: the role flags' twins for one role, the config text
/// for a chain.
fn rolehop_environment(setup: &Setup) -> Vec<(String, String)> {
    let mut env = Vec::new();
    if setup.hops.len() == 1 && !setup.per_container() {
        env.push(("ROLEHOP_ROLE_ARN".into(), setup.hops[0].to_string()));
        if let Some(id) = &setup.external_id {
            env.push(("ROLEHOP_EXTERNAL_ID".into(), id.clone()));
        }
        if !setup.tags.is_empty() {
            env.push(("ROLEHOP_TAGS".into(), tags_value(&setup.tags)));
        }
        if let Some(name) = &setup.source_identity {
            env.push(("ROLEHOP_SOURCE_IDENTITY".into(), name.clone()));
        }
    } else {
        env.push(("ROLEHOP_CONFIG_TEXT".into(), config_text(setup)));
    }
    env.push(("ROLEHOP_LISTEN".into(), LISTEN.into()));
    env
}

fn environment(pairs: &[(String, String)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect(),
    )
}

fn log_configuration(setup: &Setup, prefix: &str) -> Value {
    json!({
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": super::logs::log_group(setup),
            "awslogs-region": setup.region,
            "awslogs-stream-prefix": prefix,
            "awslogs-create-group": "true",
        },
    })
}

/// The task volume `rolehop publish` writes into and the app containers read.
pub const SHARED_VOLUME: &str = "rolehop-shared";
/// Where that volume is mounted, in the publisher and (read-only) in the app containers.
pub const SHARED_DIR: &str = "/rolehop-shared";
/// The init container that runs `rolehop publish`.
pub const PUBLISHER: &str = "rolehop-publish";

/// The rolehop image's locked-down container settings (AWS Security Hub's ECS.4 and ECS.5):
/// the image's non-root user, a read-only root, no Linux capability. rolehop writes no file
/// but the publisher's volume and binds no low port; ECS Exec does not enter these containers
/// (the app containers are its targets: `check::ecs_exec`).
fn locked_down(container: &mut Value) {
    container["user"] = json!(IMAGE_USER);
    container["readonlyRootFilesystem"] = json!(true);
    container["linuxParameters"] = json!({"capabilities": {"drop": ["ALL"]}});
}

/// The profile each app container names (`AWS_PROFILE`) and the publisher writes: the
/// destination (`default`) for a chain, each container's own for per-container roles.
fn app_profiles(setup: &Setup) -> Vec<String> {
    if setup.per_container() {
        (0..setup.containers.len())
            .map(|i| profile_name(setup, i))
            .collect()
    } else {
        vec![crate::role_name::DEFAULT_ROLE.into()]
    }
}

/// The `rolehop publish` init container: rolehop's binary and an AWS config with one
/// `credential_process` profile per app profile, into the shared volume.
fn publisher(setup: &Setup, endpoint: &str) -> Value {
    let mut command = vec![
        "publish".to_owned(),
        SHARED_DIR.to_owned(),
        "--endpoint".to_owned(),
        endpoint.to_owned(),
    ];
    for profile in app_profiles(setup) {
        command.extend(["--profile".to_owned(), profile]);
    }
    let mut c = json!({
        "name": PUBLISHER,
        "image": setup.image,
        "essential": false,
        "command": command,
        "mountPoints": [{"sourceVolume": SHARED_VOLUME, "containerPath": SHARED_DIR, "readOnly": false}],
        "logConfiguration": log_configuration(setup, PUBLISHER),
    });
    locked_down(&mut c);
    c
}

/// An app container reading `profile` with the token from `secret`, wired as `--app-wiring`
/// says. Nothing it gets from the definition names an endpoint the SSM agent would sign with
/// (`crate::ecs_exec::AGENT_OVERRIDE_VARIABLE`), and its init process reaps what an ECS Exec
/// session leaves.
fn app(setup: &Setup, name: &str, profile: &str, secret: &str, endpoint: &str) -> Value {
    let mut c = json!({
        "name": name,
        "image": setup.app_image,
        "essential": true,
        "linuxParameters": {crate::ecs_exec::INIT_PROCESS_FIELD: true},
        "logConfiguration": log_configuration(setup, name),
    });
    let default_image = setup.app_image == super::DEFAULT_APP_IMAGE;
    match setup.app_wiring {
        AppWiring::Published => {
            c["dependsOn"] = json!([
                {"containerName": PUBLISHER, "condition": "SUCCESS"},
                {"containerName": SIDECAR, "condition": "HEALTHY"},
            ]);
            if default_image {
                // The AWS CLI image's entrypoint is `aws`: it prints the identity it gets.
                c["command"] = json!(["sts", "get-caller-identity"]);
            }
            c["mountPoints"] = json!([{"sourceVolume": SHARED_VOLUME, "containerPath": SHARED_DIR, "readOnly": true}]);
            c["environment"] = environment(&[
                ("AWS_CONFIG_FILE".into(), format!("{SHARED_DIR}/config")),
                ("AWS_PROFILE".into(), profile.to_owned()),
                // Go SDK v1 reads AWS_CONFIG_FILE only with it (docs/WIRING.md).
                ("AWS_SDK_LOAD_CONFIG".into(), "1".into()),
            ]);
            c["secrets"] = json!([{"name": crate::token::ENV_ROLEHOP_TOKEN, "valueFrom": secret}]);
        }
        AppWiring::FullUri => {
            c["dependsOn"] = json!([{"containerName": SIDECAR, "condition": "HEALTHY"}]);
            c["entryPoint"] = json!(["sh", "-c"]);
            // ECS injects RELATIVE_URI (the task role), which every client measured in
            // docs/SDKS.md asks rather than FULL_URI, and a task definition cannot unset it;
            // FULL_URI is exported here, not in `environment`, because the SSM agent of ECS
            // Exec reads the definition's environment and would sign with it.
            c["command"] = json!([format!(
                "export {}={endpoint}/v1/credentials; unset {}; exec aws sts get-caller-identity",
                crate::source::ENV_FULL_URI,
                crate::source::ENV_RELATIVE_URI
            )]);
            c["secrets"] =
                json!([{"name": crate::source::ENV_AUTHORIZATION_TOKEN, "valueFrom": secret}]);
        }
    }
    c
}

/// The task definition in the form `aws ecs register-task-definition --cli-input-json` takes.
pub fn task_definition(setup: &Setup) -> Value {
    let endpoint = format!("http://{LISTEN}");
    let secret = setup.token_secret_arn();
    let mut rolehop = json!({
        "name": SIDECAR,
        "image": setup.image,
        "essential": true,
        "command": ["serve"],
        "environment": environment(&rolehop_environment(setup)),
        "secrets": [{"name": crate::token::ENV_ROLEHOP_TOKEN, "valueFrom": secret}],
        "healthCheck": {
            "command": ["CMD", "/rolehop", "healthcheck", "--endpoint", endpoint],
            "interval": 10,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 10,
        },
        "logConfiguration": log_configuration(setup, SIDECAR),
    });
    locked_down(&mut rolehop);
    let mut containers = Vec::new();
    if setup.app_wiring == AppWiring::Published {
        containers.push(publisher(setup, &endpoint));
    }
    containers.push(rolehop);
    if setup.per_container() {
        // rolehop reads every client's token and every role's external id, each app
        // container its own token only.
        let tokens = setup.containers.iter().enumerate().map(
            |(i, name)| json!({"name": token_env(name), "valueFrom": setup.container_secret_arn(i)}),
        );
        let external_ids = setup.containers.iter().enumerate().map(|(i, name)| {
            json!({"name": external_id_env(name), "valueFrom": setup.external_id_secret_arn(i)})
        });
        containers.last_mut().expect("rolehop")["secrets"] =
            Value::Array(tokens.chain(external_ids).collect());
        for (i, name) in setup.containers.iter().enumerate() {
            containers.push(app(
                setup,
                name,
                &profile_name(setup, i),
                &setup.container_secret_arn(i),
                &endpoint,
            ));
        }
    } else {
        containers.push(app(
            setup,
            APP,
            crate::role_name::DEFAULT_ROLE,
            &secret,
            &endpoint,
        ));
    }
    let mut td = json!({
        "family": setup.family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "runtimePlatform": {
            "cpuArchitecture": setup.arch.ecs_name(),
            "operatingSystemFamily": crate::platform::OS_FAMILY,
        },
        "taskRoleArn": setup.source_role.as_str(),
        "executionRoleArn": setup.execution_role.as_str(),
    });
    if setup.app_wiring == AppWiring::Published {
        td["volumes"] = json!([{"name": SHARED_VOLUME}]);
    }
    td["containerDefinitions"] = Value::Array(containers);
    td
}

/// AWS CLI / SDK profiles that ask the sidecar through `credential_process`.
pub fn aws_config(setup: &Setup) -> String {
    let mut out = format!(
        "# Generated by rolehop setup. AWS CLI / SDK profiles for an app image you build with\n\
         # rolehop on PATH and this file as its AWS_CONFIG_FILE, next to the rolehop sidecar of\n\
         # task-definition.json. task-definition.json itself does not use this file: its app\n\
         # reads the config `rolehop publish` writes into {SHARED_DIR} (profile default), which\n\
         # needs nothing in the app image. To use this file instead, set in the app container's\n\
         # definition AWS_CONFIG_FILE (where the image has this file), AWS_PROFILE (a profile\n\
         # below), ROLEHOP_ENDPOINT=http://{LISTEN} and the token secret as ROLEHOP_TOKEN, as\n\
         # task-definitions/fargate-sidecar.json's app-credential-process container has them.\n\
         # credential_process asks the sidecar, so no process calls STS itself.\n"
    );
    for (i, hop) in setup.hops.iter().enumerate() {
        let rolehop_profile = profile_name(setup, i);
        let aws_profile = if rolehop_profile == crate::role_name::DEFAULT_ROLE {
            "cross-account".to_owned()
        } else {
            rolehop_profile.clone()
        };
        out.push_str(&format!(
            "\n# {hop}\n[profile {aws_profile}]\ncredential_process = rolehop credential-process --role {rolehop_profile}\nregion = {}\n",
            setup.region
        ));
    }
    out
}

/// rolehop's own parser on the rolehop container's environment, as `serve` would read it in
/// the task (where ECS sets `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`).
pub fn rolehop_config_problems(setup: &Setup, files: &[File]) -> Vec<String> {
    let Some(td) = files
        .iter()
        .find(|f| f.name == TASK_DEFINITION_FILE)
        .and_then(|f| serde_json::from_str::<Value>(&f.contents).ok())
    else {
        return vec![format!("{TASK_DEFINITION_FILE} was not generated as JSON")];
    };
    let container = td["containerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == SIDECAR);
    let vars: Vec<(String, String)> = container
        .and_then(|c| c["environment"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some((
                e["name"].as_str()?.to_owned(),
                e["value"].as_str()?.to_owned(),
            ))
        })
        .collect();
    let var = |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let args = match RoleArgs::from_vars(&var) {
        Ok(args) => args,
        Err(e) => {
            return vec![format!(
                "the generated task definition's rolehop configuration is refused by rolehop serve: {e}"
            )];
        }
    };
    // ECS sets RELATIVE_URI and injects rolehop's `secrets` (here a stand-in value each).
    let secrets: Vec<&str> = container
        .and_then(|c| c["secrets"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|e| e["name"].as_str())
        .collect();
    let env = |name: &str| {
        if name == "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" {
            Some("/v2/credentials/setup".into())
        } else {
            secrets
                .contains(&name)
                .then(|| "stand-in-for-the-secret".into())
        }
    };
    let mut errors = Vec::new();
    let roles = crate::config::roles_from_args(&args, &env, &mut errors);
    let mut out: Vec<String> = errors
        .into_iter()
        .map(|e| format!("the generated task definition's rolehop configuration is refused by rolehop serve: {e}"))
        .collect();
    if out.is_empty() {
        let served: Vec<(&str, &str)> = roles
            .iter()
            .map(|r| (r.name.as_str(), r.role_arn.as_str()))
            .collect();
        for (i, hop) in setup.hops.iter().enumerate() {
            let name = profile_name(setup, i);
            if !served.contains(&(name.as_str(), hop.as_str())) {
                out.push(format!("the generated task definition's rolehop does not serve {hop} as {name} (it serves {served:?})"));
            }
        }
    }
    out
}
