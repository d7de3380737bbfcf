//! `rolehop check --task-definition` for ECS Exec: can the on-call engineer enter the task and
//! run `rolehop check` there? Per container, decided from the definition alone with the rules
//! of [`crate::ecs_exec`] (the SSM agent ECS Exec runs in the container): a `FULL_URI` (or
//! static keys) in the definition's environment that the agent would sign with, a read-only
//! root without writable volumes at the agent's paths, no `initProcessEnabled`; for the task
//! role (its policies given with `--identity-policy`) the `ssmmessages` actions; which
//! container the diagnosis runs in, and whether a `--command` would run there (argv[0]
//! absolute or on `PATH`, no shell syntax).
//!
//! rolehop's own containers (`serve`, `publish`) are not targets: they keep a read-only root
//! and no Linux capability (Security Hub ECS.4/ECS.5), and their image is a lone static binary
//! with no `PATH` entry for it. The diagnosis runs in an app container, which holds the
//! identity in question and, wired through `rolehop publish`, rolehop's binary at
//! `DIR/rolehop` on the shared volume. What amazon-ecs-exec-checker checks of a running task
//! (enableExecuteCommand, the platform or agent version, the agent's status, VPC endpoints,
//! the caller's `ecs:ExecuteCommand`) is not in a task definition and is not claimed here.

use serde_json::{Value, json};

use super::arns;
use super::container_def::{self, plain_env, variables};
use super::eval::{self, AssumeRole, Caller, Context, Request, Tri};
use super::findings::{Finding, FindingId, Fix, Status};
use super::policy::{self, Kind};
use super::role_policies::RolePolicies;
use crate::ecs_exec::{self as rules, split_command};

/// The inline policy name `check` proposes for the ECS Exec statement.
pub const POLICY_NAME: &str = "rolehop-ecs-exec";
/// The file the proposed policy is read from.
pub const POLICY_FILE: &str = "ecs-exec-policy.json";

/// The name rolehop's binary has in a `rolehop publish` directory.
const PUBLISHED_BINARY: &str = "rolehop";

/// What `--exec-command` / `--exec-container` ask about, when given.
#[derive(Debug, Clone, Default)]
pub struct Asked<'a> {
    pub command: Option<&'a str>,
    pub container: Option<&'a str>,
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn name(c: &Value) -> &str {
    c["name"].as_str().unwrap_or("(unnamed)")
}

/// rolehop's own containers: the rolehop image (entrypoint `/rolehop`) running `serve` or
/// `publish`, or a container configured with `serve`'s roles.
pub fn is_rolehops_own(c: &Value) -> bool {
    let runs_rolehop =
        c["entryPoint"].is_null() && matches!(c["command"][0].as_str(), Some("serve" | "publish"));
    let serves = ["ROLEHOP_ROLE_ARN", "ROLEHOP_CONFIG_TEXT", "ROLEHOP_CONFIG"]
        .iter()
        .any(|v| plain_env(c, v).is_some());
    runs_rolehop || serves
}

/// Where `rolehop publish` writes in this task: (volume, directory) of each publisher.
fn published_volumes(containers: &[&Value]) -> Vec<(String, String)> {
    containers
        .iter()
        .filter(|c| c["command"][0] == "publish")
        .filter_map(|c| {
            let dir = c["command"][1].as_str()?;
            let mount = c["mountPoints"]
                .as_array()?
                .iter()
                .find(|m| m["containerPath"] == dir)?;
            Some((mount["sourceVolume"].as_str()?.to_owned(), dir.to_owned()))
        })
        .collect()
}

/// rolehop's binary in container `c`: the absolute path on a published volume it mounts, or
/// `rolehop` when its own entrypoint or command starts `rolehop` (found on its `PATH`).
fn rolehop_binary(c: &Value, published: &[(String, String)]) -> Option<String> {
    for m in c["mountPoints"].as_array().into_iter().flatten() {
        if let Some((_, dir)) = published
            .iter()
            .find(|(volume, _)| m["sourceVolume"] == volume.as_str())
        {
            let at = m["containerPath"].as_str().unwrap_or(dir);
            return Some(format!("{at}/{PUBLISHED_BINARY}"));
        }
    }
    (first_word(c) == Some("rolehop")).then(|| "rolehop".to_owned())
}

/// The word the container starts with: its entrypoint's first, else its command's.
fn first_word(c: &Value) -> Option<&str> {
    strings(&c["entryPoint"])
        .first()
        .or(strings(&c["command"]).first())
        .copied()
}

/// Directories of the container's `PATH` (its definition's, else Docker's default).
fn path_dirs(c: &Value) -> Vec<String> {
    plain_env(c, "PATH")
        .unwrap_or(rules::DEFAULT_PATH)
        .split(':')
        .map(str::to_owned)
        .collect()
}

/// Whether `command` runs in container `c` as the SSM agent runs it: `Ok` with what it
/// resolves to, or the status and the reason.
pub fn command_problem(
    c: &Value,
    command: &str,
    published: &[(String, String)],
) -> Result<String, (Status, String)> {
    let who = name(c);
    if let Some(bad) = rules::SHELL_ONLY.iter().find(|s| command.contains(*s)) {
        return Err((
            Status::Fail,
            format!(
                "`{command}` holds `{bad}`, which only a shell understands, and the SSM agent runs --command without one ({}); run one plain command, or `sh -c '...'` where the image has sh",
                rules::COMMAND_SOURCE
            ),
        ));
    }
    let words = match split_command(command) {
        Some(w) if !w.is_empty() => w,
        Some(_) => {
            return Err((Status::Fail, "the --command is empty; the SSM agent then starts sh, which rolehop's and many app images do not have; give the command to run".into()));
        }
        None => {
            return Err((
                Status::Fail,
                format!("`{command}` has an unclosed quote; the SSM agent cannot split it"),
            ));
        }
    };
    let argv0 = words[0].as_str();
    let binary = rolehop_binary(c, published);
    let is_rolehop = argv0 == "rolehop" || argv0.ends_with("/rolehop");
    if argv0.starts_with('/') {
        return match &binary {
            Some(b) if b == argv0 => Ok(argv0.to_owned()),
            Some(b) if is_rolehop && b.starts_with('/') => Err((
                Status::Fail,
                format!(
                    "{who} has rolehop at {b}, not {argv0}; use --command \"{b} {}\"",
                    words[1..].join(" ")
                ),
            )),
            _ if rolehops_own_path(c, argv0) => Ok(argv0.to_owned()),
            _ => Err((
                Status::Unknown,
                format!(
                    "whether {argv0} exists in {who}'s image cannot be told from the task definition"
                ),
            )),
        };
    }
    if argv0.contains('/') {
        return Err((
            Status::Fail,
            format!(
                "`{argv0}` is a relative path, and the SSM agent does not say which directory it starts in; give an absolute path"
            ),
        ));
    }
    if first_word(c) == Some(argv0) {
        return Ok(argv0.to_owned()); // the container itself started through PATH with it
    }
    let dirs = path_dirs(c);
    let path = dirs.join(":");
    if is_rolehop && let Some(b) = binary.as_deref().filter(|b| b.starts_with('/')) {
        return if dirs.iter().any(|d| format!("{d}/{argv0}") == b) {
            Ok(b.to_owned())
        } else {
            Err((
                Status::Fail,
                format!(
                    "`{argv0}` is looked up on {who}'s PATH ({path}) and rolehop is at {b}, which is not on it ({}); use --command \"{b} {}\"",
                    rules::COMMAND_SOURCE,
                    words[1..].join(" ")
                ),
            ))
        };
    }
    if is_rolehop && is_rolehops_own(c) {
        return Err((
            Status::Fail,
            format!(
                "`{argv0}` is looked up on PATH ({path}) and rolehop's image holds /rolehop only ({})",
                rules::COMMAND_SOURCE
            ),
        ));
    }
    Err((
        Status::Unknown,
        format!(
            "whether `{argv0}` is on {who}'s PATH ({path}) depends on its image; an absolute path removes the doubt"
        ),
    ))
}

/// rolehop's image has its binary at `/rolehop`.
fn rolehops_own_path(c: &Value, argv0: &str) -> bool {
    is_rolehops_own(c) && argv0 == "/rolehop"
}

/// The writable-path rule for a container with a read-only root: the agent's paths not under a
/// writable mount.
fn unwritable_paths(c: &Value) -> Vec<&'static str> {
    if c["readonlyRootFilesystem"] != true {
        return Vec::new();
    }
    let writable: Vec<&str> = c["mountPoints"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["readOnly"] != true)
        .filter_map(|m| m["containerPath"].as_str())
        .collect();
    rules::WRITABLE_PATHS
        .into_iter()
        .filter(|p| {
            !writable.iter().any(|w| {
                let w = w.trim_end_matches('/');
                *p == w || p.starts_with(&format!("{w}/"))
            })
        })
        .collect()
}

/// The ECS Exec findings of one container that is a possible target; `true` when ECS Exec can
/// enter it and its session can connect.
fn container_findings(file: &str, c: &Value, out: &mut Vec<Finding>) -> bool {
    let who = name(c);
    let vars = variables(c);
    let mut enterable = true;
    if vars.contains(&rules::AGENT_OVERRIDE_VARIABLE) {
        enterable = false;
        out.push(Finding::new(
            FindingId::EcsExecCredentials,
            Status::Fail,
            format!("{file}: container {who} sets {} in its task definition, and the SSM agent ECS Exec starts there reads it before the task role's {} ({}): it signs its ssmmessages calls as whatever that endpoint serves (rolehop's: the destination account's role) and the session fails with TargetNotConnectedException; set the variable at run time instead (sh -c 'export {}=...; unset {}; exec APP', or rolehop exec), or wire {who} through the published profile (AWS_CONFIG_FILE and AWS_PROFILE, docs/WIRING.md)", rules::AGENT_OVERRIDE_VARIABLE, rules::AGENT_CREDENTIAL_VARIABLES[1], rules::CREDENTIALS_SOURCE, rules::AGENT_OVERRIDE_VARIABLE, rules::AGENT_CREDENTIAL_VARIABLES[1]),
        ));
    }
    let keys: Vec<&str> = rules::STATIC_KEY_VARIABLES
        .into_iter()
        .filter(|k| vars.contains(k))
        .collect();
    if !keys.is_empty() {
        out.push(Finding::new(
            FindingId::EcsExecStaticKeys,
            Status::Warn,
            format!("{file}: container {who} sets {} in its task definition; SSM agents before 3.1.1260 sign ECS Exec's calls with them instead of the task role (aws/amazon-ssm-agent#435: the session does not connect), later ones ignore them; remove them: the task role is the container's identity", keys.join(", ")),
        ));
    }
    let missing = unwritable_paths(c);
    if !missing.is_empty() {
        enterable = false;
        out.push(Finding::new(
            FindingId::EcsExecReadOnlyRoot,
            Status::Fail,
            format!("{file}: container {who} has a read-only root filesystem, which ECS Exec does not support ({}): the SSM agent cannot write {}; set readonlyRootFilesystem to false, or mount a writable task volume at each of those paths ({})", rules::GUIDE, missing.join(", "), rules::READ_ONLY_ROOT_ISSUE),
        ));
    }
    if c["linuxParameters"][rules::INIT_PROCESS_FIELD] != true {
        out.push(Finding::new(
            FindingId::EcsExecInitProcess,
            Status::Warn,
            format!("{file}: container {who} has no linuxParameters.{}: true, which ECS Exec recommends so the processes a session leaves are reaped ({}); add it", rules::INIT_PROCESS_FIELD, rules::GUIDE),
        ));
    }
    enterable
}

/// Does the task role's policy set allow every ECS Exec action? The missing ones.
fn missing_actions(
    task_role: &str,
    policies: &RolePolicies,
    out: &mut Vec<Finding>,
) -> Option<Vec<&'static str>> {
    let mut parsed = Vec::new();
    for (name, text) in policies.files() {
        let (p, findings) = policy::parse(text, name, Kind::Identity);
        // A given policy that does not parse is reported by the main check; one read from
        // IAM is seen by no other check.
        if policies.from_iam() {
            out.extend(findings);
        }
        parsed.push(p?);
    }
    let refs: Vec<&policy::Policy> = parsed.iter().collect();
    let caller = Caller::of_role(task_role);
    let context = Context::assume_role(
        Some(&caller),
        &AssumeRole {
            role_arn: task_role.to_owned(),
            external_id: None,
            session_name: None,
            session_tags: false,
            source_identity: false,
        },
        &[],
    );
    let mut missing = Vec::new();
    for action in rules::TASK_ROLE_ACTIONS {
        let r = eval::evaluate_group(
            &refs,
            &Request {
                action,
                resource: "*",
                caller: Some(&caller),
                context: &context,
            },
        );
        match (r.deny, r.allow) {
            (Tri::False, Tri::True) => {}
            (Tri::False, Tri::False) | (Tri::True, _) => missing.push(action),
            _ => {
                out.push(Finding::new(
                    FindingId::EcsExecTaskRole,
                    Status::Unknown,
                    format!(
                        "whether the task role's policies allow {action}: it depends on {}",
                        r.unknown.join(", ")
                    ),
                ));
            }
        }
    }
    Some(missing)
}

fn task_role_findings(file: &str, td: &Value, policies: &RolePolicies, out: &mut Vec<Finding>) {
    let Some(task_role) = td["taskRoleArn"].as_str() else {
        out.push(Finding::new(
            FindingId::EcsExecTaskRole,
            Status::Fail,
            format!("{file} has no taskRoleArn, and ECS Exec's SSM agent signs as the task role ({}); give the task a role with the ssmmessages actions", rules::GUIDE),
        ));
        return;
    };
    if arns::role_arn_problem(task_role).is_some() {
        return; // ecs.task-definition says why
    }
    if let Some(why) = policies.unread() {
        out.push(Finding::new(
            FindingId::EcsExecTaskRole,
            Status::Unknown,
            format!(
                "whether the task role {task_role} allows {}: {why}",
                rules::TASK_ROLE_ACTIONS.join(", ")
            ),
        ));
        return;
    }
    let origin = policies.origin();
    let Some(missing) = missing_actions(task_role, policies, out) else {
        return;
    };
    let role_name = task_role.rsplit('/').next().unwrap_or(task_role);
    if missing.is_empty() {
        out.push(Finding::new(
            FindingId::EcsExecTaskRole,
            Status::Pass,
            format!(
                "the task role's policies ({origin}) allow {} on *, which an ECS Exec session needs",
                rules::TASK_ROLE_ACTIONS.join(", ")
            ),
        ));
    } else {
        let statement = rules::task_role_statement();
        out.push(
            Finding::new(
                FindingId::EcsExecTaskRole,
                Status::Fail,
                format!("the task role's policies ({origin}) do not allow {} on *, so an ECS Exec session into this task cannot connect ({}); put the statement below on {role_name}", missing.join(", "), rules::GUIDE),
            )
            .with_fix(Some(Fix {
                statement: statement.clone(),
                changes: vec![format!("a new inline policy {POLICY_NAME} on {role_name}")],
                policy: json!({"Version": "2012-10-17", "Statement": [statement]}),
                file: POLICY_FILE.to_owned(),
                command: format!("aws iam put-role-policy --role-name {role_name} --policy-name {POLICY_NAME} --policy-document file://{POLICY_FILE}"),
            })),
        );
    }
}

/// The first of `targets` holding rolehop's binary where `--command` finds it and wired
/// through a profile (`AWS_CONFIG_FILE`) or `ROLEHOP_ENDPOINT`, which `rolehop check` reads
/// there, with the command that runs it.
fn pick<'a>(targets: &[&'a Value], published: &[(String, String)]) -> Option<(&'a Value, String)> {
    targets.iter().find_map(|c| {
        // `rolehop check` there reads the container's wiring (`probe::in_app`).
        let vars = variables(c);
        if !vars.contains(&"AWS_CONFIG_FILE") && !vars.contains(&"ROLEHOP_ENDPOINT") {
            return None;
        }
        let binary = rolehop_binary(c, published)?;
        let command = format!("{binary} check");
        command_problem(c, &command, published).ok()?;
        Some((*c, command))
    })
}

/// The container a diagnosis runs in and the `--command` that runs it there, for a task
/// definition that passes the ECS Exec rules (the one `ecs-exec.target` names).
pub fn diagnosis(td: &Value) -> Option<(String, String)> {
    let containers = container_def::containers(td);
    let published = published_volumes(&containers);
    let targets: Vec<&Value> = containers
        .iter()
        .filter(|c| !is_rolehops_own(c) && container_findings("", c, &mut Vec::new()))
        .copied()
        .collect();
    pick(&targets, &published).map(|(c, command)| (name(c).to_owned(), command))
}

/// Every ECS Exec finding for a task definition's text. `task_role_policies` are the task
/// role's policies (`--identity-policy`, or read from IAM online), or why they are not known.
pub fn task_definition(
    file: &str,
    text: &str,
    task_role_policies: &RolePolicies,
    asked: &Asked,
) -> Vec<Finding> {
    let Ok(td) = container_def::parse(text) else {
        return Vec::new(); // ecs::task_definition reports invalid JSON
    };
    let containers = container_def::containers(&td);
    let published = published_volumes(&containers);
    let mut out = Vec::new();
    task_role_findings(file, &td, task_role_policies, &mut out);

    let own: Vec<&str> = containers
        .iter()
        .filter(|c| is_rolehops_own(c))
        .map(|c| name(c))
        .collect();
    let mut targets = Vec::new();
    for c in containers.iter().filter(|c| !is_rolehops_own(c)) {
        if container_findings(file, c, &mut out) {
            targets.push(*c);
        }
    }
    let not_targets = match own.as_slice() {
        [] => String::new(),
        [one] => format!(
            "; {one} (rolehop's own) keeps a read-only root and no capabilities and is not an ECS Exec target"
        ),
        many => format!(
            "; {} (rolehop's own) keep a read-only root and no capabilities and are not ECS Exec targets",
            many.join(", ")
        ),
    };
    let chosen = pick(&targets, &published);
    match &chosen {
        Some((c, command)) => out.push(Finding::new(
            FindingId::EcsExecTarget,
            Status::Pass,
            format!("{file}: diagnose in container {}, which holds the identity in question and rolehop's binary: aws ecs execute-command --cluster CLUSTER --task TASK_ID --container {} --interactive --command \"{command}\"{not_targets}", name(c), name(c)),
        )),
        None if targets.is_empty() && !containers.is_empty() => out.push(Finding::new(
            FindingId::EcsExecTarget,
            Status::Fail,
            format!("{file}: ECS Exec can enter no container of this task (see the ecs-exec findings above){not_targets}; fix one app container so the diagnosis can run there"),
        )),
        None => out.push(Finding::new(
            FindingId::EcsExecTarget,
            Status::Unknown,
            format!("{file}: no container is known to carry rolehop's binary for `rolehop check` (mount the volume of a `rolehop publish` container, as task-definitions/fargate-unmodified-image.json does){not_targets}"),
        )),
    }
    if let Some(command) = asked.command {
        let c = match asked.container {
            Some(wanted) => containers.iter().find(|c| name(c) == wanted).copied(),
            None => chosen
                .as_ref()
                .map(|(c, _)| *c)
                .or(targets.first().copied()),
        };
        match c {
            None => out.push(Finding::new(
                FindingId::EcsExecCommand,
                Status::Fail,
                format!(
                    "{file} has no container {} to run `{command}` in",
                    asked.container.unwrap_or("that ECS Exec can enter")
                ),
            )),
            Some(c) => {
                let (status, message) = match command_problem(c, command, &published) {
                    Ok(resolved) => (
                        Status::Pass,
                        format!("`{command}` runs in container {} ({resolved})", name(c)),
                    ),
                    Err((status, why)) => (
                        status,
                        format!("`{command}` in container {}: {why}", name(c)),
                    ),
                };
                out.push(Finding::new(FindingId::EcsExecCommand, status, message));
                if is_rolehops_own(c) {
                    out.push(Finding::new(
                        FindingId::EcsExecCommand,
                        Status::Fail,
                        format!("{file}: container {} is rolehop's own, with a read-only root and no shell or PATH entry for its binary; ECS Exec does not enter it: run the diagnosis in an app container", name(c)),
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TD: &str = include_str!("../../task-definitions/fargate-unmodified-image.json");

    fn ids(findings: &[Finding]) -> Vec<(FindingId, Status)> {
        findings.iter().map(|f| (f.id, f.status)).collect()
    }

    fn unread() -> RolePolicies {
        RolePolicies::given("--identity-policy", Vec::new())
    }

    fn with_app(change: impl Fn(&mut Value)) -> String {
        let mut td: Value = serde_json::from_str(TD).unwrap();
        for c in td["containerDefinitions"].as_array_mut().unwrap() {
            if c["name"] == "app" {
                change(c);
            }
        }
        td.to_string()
    }

    #[test]
    fn the_published_app_is_the_target_and_rolehop_is_not() {
        let f = task_definition("td.json", TD, &unread(), &Asked::default());
        assert_eq!(
            ids(&f),
            [
                (FindingId::EcsExecTaskRole, Status::Unknown),
                (FindingId::EcsExecTarget, Status::Pass)
            ],
            "{f:#?}"
        );
        assert!(
            f[1].message.contains(
                "--container app --interactive --command \"/rolehop-shared/rolehop check\""
            )
        );
        assert!(
            f[1].message
                .contains("rolehop-publish, rolehop (rolehop's own)")
        );
        let td: Value = serde_json::from_str(TD).unwrap();
        assert_eq!(
            diagnosis(&td),
            Some(("app".into(), "/rolehop-shared/rolehop check".into()))
        );
    }

    #[test]
    fn each_fault_is_named() {
        let full = with_app(|c| {
            c["environment"]
                .as_array_mut()
                .unwrap()
                .push(json!({"name": rules::AGENT_OVERRIDE_VARIABLE, "value": "http://127.0.0.1:9911/v1/credentials"}));
        });
        let f = task_definition("td.json", &full, &unread(), &Asked::default());
        assert!(
            ids(&f).contains(&(FindingId::EcsExecCredentials, Status::Fail)),
            "{f:#?}"
        );
        assert!(
            ids(&f).contains(&(FindingId::EcsExecTarget, Status::Fail)),
            "{f:#?}"
        );

        let keys = with_app(|c| {
            c["secrets"]
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "AWS_ACCESS_KEY_ID", "valueFrom": "arn:x"}));
        });
        let f = task_definition("td.json", &keys, &unread(), &Asked::default());
        assert!(
            ids(&f).contains(&(FindingId::EcsExecStaticKeys, Status::Warn)),
            "{f:#?}"
        );

        let ro = with_app(|c| c["readonlyRootFilesystem"] = json!(true));
        let f = task_definition("td.json", &ro, &unread(), &Asked::default());
        let fail = f
            .iter()
            .find(|f| f.id == FindingId::EcsExecReadOnlyRoot)
            .unwrap();
        assert_eq!(fail.status, Status::Fail);
        assert!(fail.message.contains(&rules::WRITABLE_PATHS.join(", ")));
        // A writable mount above a path covers it.
        let covered = with_app(|c| {
            c["readonlyRootFilesystem"] = json!(true);
            let mounts = c["mountPoints"].as_array_mut().unwrap();
            for p in ["/var/lib/amazon", "/var/log/amazon/ssm/", "/managed-agents"] {
                mounts.push(json!({"sourceVolume": "v", "containerPath": p}));
            }
        });
        let f = task_definition("td.json", &covered, &unread(), &Asked::default());
        assert!(
            !f.iter().any(|f| f.id == FindingId::EcsExecReadOnlyRoot),
            "{f:#?}"
        );

        let no_init = with_app(|c| c["linuxParameters"] = json!({}));
        let f = task_definition("td.json", &no_init, &unread(), &Asked::default());
        assert!(
            ids(&f).contains(&(FindingId::EcsExecInitProcess, Status::Warn)),
            "{f:#?}"
        );
    }

    #[test]
    fn the_task_role_needs_every_channel_action() {
        let policy = |statements: Value| {
            RolePolicies::given(
                "--identity-policy",
                vec![(
                    "p.json".into(),
                    json!({"Version": "2012-10-17", "Statement": statements}).to_string(),
                )],
            )
        };
        let role = |f: &[Finding]| {
            f.iter()
                .filter(|f| f.id == FindingId::EcsExecTaskRole)
                .map(|f| (f.status, f.message.clone()))
                .collect::<Vec<_>>()
        };
        let none =
            policy(json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]));
        let f = task_definition("td.json", TD, &none, &Asked::default());
        let r = role(&f);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].0, Status::Fail);
        assert!(
            r[0].1.contains(&rules::TASK_ROLE_ACTIONS.join(", ")),
            "{}",
            r[0].1
        );
        let fix = f
            .iter()
            .find(|f| f.id == FindingId::EcsExecTaskRole)
            .unwrap()
            .fix
            .clone()
            .unwrap();
        assert_eq!(fix.statement, rules::task_role_statement());

        let glob = policy(json!([{"Effect": "Allow", "Action": "ssmmessages:*", "Resource": "*"}]));
        assert_eq!(
            role(&task_definition("td.json", TD, &glob, &Asked::default()))[0].0,
            Status::Pass
        );
        let denied = policy(json!([
            {"Effect": "Allow", "Action": "ssmmessages:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "ssmmessages:OpenDataChannel", "Resource": "*"}
        ]));
        let r = role(&task_definition("td.json", TD, &denied, &Asked::default()));
        assert_eq!(r[0].0, Status::Fail);
        assert!(
            r[0].1
                .contains("do not allow ssmmessages:OpenDataChannel on *"),
            "{}",
            r[0].1
        );

        // Read from IAM: the message says so, and a document that does not parse (no other
        // check saw it) is reported here and leaves the decision open.
        let read = RolePolicies::FromIam {
            role: "my-ECS-task-role".into(),
            files: glob.files().to_vec(),
        };
        let r = role(&task_definition("td.json", TD, &read, &Asked::default()));
        assert_eq!(r[0].0, Status::Pass);
        assert!(
            r[0].1
                .contains("the policies IAM shows on my-ECS-task-role (p.json)"),
            "{}",
            r[0].1
        );
        let broken = RolePolicies::FromIam {
            role: "my-ECS-task-role".into(),
            files: vec![(
                "inline policy x of my-ECS-task-role".into(),
                "{'Version': '2012-10-17'}".into(),
            )],
        };
        let f = task_definition("td.json", TD, &broken, &Asked::default());
        assert!(
            f.iter()
                .any(|f| f.id == FindingId::PolicyJson && f.status == Status::Fail),
            "{f:#?}"
        );
        assert!(role(&f).is_empty(), "{f:#?}");
        let not_read = role(&task_definition(
            "td.json",
            TD,
            &unread(),
            &Asked::default(),
        ));
        assert_eq!(not_read[0].0, Status::Unknown);
        assert!(
            not_read[0]
                .1
                .contains("--identity-policy, or run with --online"),
            "{}",
            not_read[0].1
        );

        let no_role = TD.replace("\"taskRoleArn\"", "\"unusedRoleArn\"");
        assert_eq!(
            role(&task_definition(
                "td.json",
                &no_role,
                &unread(),
                &Asked::default()
            ))[0]
                .0,
            Status::Fail
        );
    }

    #[test]
    fn commands_are_checked_as_the_agent_runs_them() {
        let td: Value = serde_json::from_str(TD).unwrap();
        let containers: Vec<&Value> = td["containerDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .collect();
        let published = published_volumes(&containers);
        let app = containers.iter().find(|c| c["name"] == "app").unwrap();
        let rolehop = containers.iter().find(|c| c["name"] == "rolehop").unwrap();
        let status = |c: &Value, cmd: &str| match command_problem(c, cmd, &published) {
            Ok(_) => Status::Pass,
            Err((s, _)) => s,
        };
        assert_eq!(status(app, "/rolehop-shared/rolehop check"), Status::Pass);
        assert_eq!(status(app, "rolehop check"), Status::Fail);
        assert_eq!(status(app, "/usr/local/bin/rolehop check"), Status::Fail);
        assert_eq!(
            status(app, "/rolehop-shared/rolehop check | head"),
            Status::Fail
        );
        assert_eq!(status(app, "bin/rolehop check"), Status::Fail);
        assert_eq!(status(app, ""), Status::Fail);
        assert_eq!(status(app, "/bin/sh"), Status::Unknown);
        assert_eq!(status(app, "aws sts get-caller-identity"), Status::Unknown);
        assert_eq!(status(rolehop, "rolehop check"), Status::Fail);
        assert_eq!(status(rolehop, "/rolehop check"), Status::Pass);
        // A PATH holding the published directory finds it.
        let mut on_path = (*app).clone();
        on_path["environment"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "PATH", "value": "/rolehop-shared:/usr/bin"}));
        assert_eq!(status(&on_path, "rolehop check"), Status::Pass);
        let asked = Asked {
            command: Some("rolehop check"),
            container: Some("rolehop"),
        };
        let f = task_definition("td.json", TD, &unread(), &asked);
        let command: Vec<_> = f
            .iter()
            .filter(|f| f.id == FindingId::EcsExecCommand)
            .map(|f| f.status)
            .collect();
        assert_eq!(command, [Status::Fail, Status::Fail], "{f:#?}");
    }
}
