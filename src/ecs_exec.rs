//! ECS Exec and the SSM agent it runs in a container: the platform's rules as data, each with
//! its source, in one place. `check --task-definition` (`check::ecs_exec`), `setup` (the task
//! role's ECS Exec statement, `initProcessEnabled`) and the tests read them from here; nothing
//! else states them. None of this can run here (no ECS, no SSM agent): where the sources
//! disagree, the rule says so (REFERENCE 10).
//!
//! Sources:
//! - [`GUIDE`]: the ECS developer guide's ECS Exec page (prerequisites, considerations, the
//!   task role's permissions).
//! - amazon-ssm-agent: its ECS identity's credentials (package `credentialproviders`,
//!   `GetRemoteCreds` → the vendored aws-sdk-go v1 `defaults.RemoteCredProvider`, which reads `FULL_URI` before
//!   `RELATIVE_URI`), `agent/session/shell/shell_unix.go` (container mode: the command split
//!   like a shell, executed without one).
//! - aws/containers-roadmap#1359 (a read-only root filesystem is unsupported; the writable
//!   paths that work around it) and aws/amazon-ssm-agent#435 (static keys in the environment
//!   made the agent sign as another identity).

/// The ECS developer guide's ECS Exec page.
pub const GUIDE: &str = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html";
/// The open request for read-only root filesystems, with the community workaround.
pub const READ_ONLY_ROOT_ISSUE: &str = "https://github.com/aws/containers-roadmap/issues/1359";
/// The SSM agent source that picks its credentials.
pub const CREDENTIALS_SOURCE: &str = "amazon-ssm-agent, package credentialproviders: GetRemoteCreds -> the vendored aws-sdk-go v1 defaults.RemoteCredProvider";
/// The SSM agent source that runs `--command`.
pub const COMMAND_SOURCE: &str = "amazon-ssm-agent agent/session/shell/shell_unix.go";

/// The variables the SSM agent takes its credentials from, in the order it reads them (the
/// first set wins); after them, EC2 instance metadata. It ignores `AWS_PROFILE`,
/// `AWS_CONFIG_FILE` and `credential_process`, and it sees the container's task-definition
/// environment (`environment` and `secrets`) plus what the ECS agent injects, never what an
/// entrypoint exports at run time. Source: [`CREDENTIALS_SOURCE`].
pub const AGENT_CREDENTIAL_VARIABLES: [&str; 2] =
    [crate::source::ENV_FULL_URI, crate::source::ENV_RELATIVE_URI];

/// The variable of [`AGENT_CREDENTIAL_VARIABLES`] that a task definition must not set: the ECS
/// agent injects `RELATIVE_URI` (the task role), and a `FULL_URI` outranks it, so the agent
/// signs its `ssmmessages` calls with whatever `FULL_URI` serves (with rolehop's endpoint: the
/// destination account's role, which has no ECS Exec permissions for this task, and the
/// session fails with TargetNotConnectedException).
pub const AGENT_OVERRIDE_VARIABLE: &str = AGENT_CREDENTIAL_VARIABLES[0];

/// Static keys the agent signed with before the task role (aws/amazon-ssm-agent#435); REFERENCE
/// 10 records that agents since 3.1.1260 ignore them. The sources disagree by version, so
/// `check` warns rather than fails.
pub const STATIC_KEY_VARIABLES: [&str; 3] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// Paths the SSM agent writes in the container: with `readonlyRootFilesystem` each needs a
/// writable volume mounted there (or above it). Source: [`READ_ONLY_ROOT_ISSUE`]; the guide
/// lists a read-only root filesystem as unsupported.
pub const WRITABLE_PATHS: [&str; 3] = [
    "/var/lib/amazon/ssm",
    "/var/log/amazon/ssm",
    "/managed-agents",
];

/// The actions the task role needs for an ECS Exec session to connect, on `Resource: "*"`
/// (ssmmessages has no resource-level permissions). Source: [`GUIDE`]. Logging sessions to
/// CloudWatch or S3, or encrypting them with KMS, needs more (the cluster's exec
/// configuration, not visible in a task definition).
pub const TASK_ROLE_ACTIONS: [&str; 4] = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
];

/// The `Sid` of the task role's ECS Exec statement that `setup` writes.
pub const TASK_ROLE_STATEMENT_SID: &str = "EcsExecSessions";

/// The task role's ECS Exec statement: [`TASK_ROLE_ACTIONS`] on `*`.
pub fn task_role_statement() -> serde_json::Value {
    serde_json::json!({
        "Sid": TASK_ROLE_STATEMENT_SID,
        "Effect": "Allow",
        "Action": TASK_ROLE_ACTIONS,
        "Resource": "*",
    })
}

/// `initProcessEnabled` (the guide recommends it: the agent's child processes are reaped).
pub const INIT_PROCESS_FIELD: &str = "initProcessEnabled";

/// `PATH` when the image sets none (Docker's default), where the agent looks up a bare
/// `--command` word. Source: [`COMMAND_SOURCE`] (exec.LookPath in the container's environment).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Characters that only a shell gives meaning to: the agent runs `--command` without one, so
/// with any of these the command does not do what it says. Source: [`COMMAND_SOURCE`].
pub const SHELL_ONLY: [&str; 9] = ["|", ";", "&", "$", ">", "<", "`", "*", "~"];

/// `command` split as the SSM agent splits `--command` (shell words: quotes and backslashes,
/// no expansion); `None` when the quoting is unbalanced.
pub fn split_command(command: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => word.push(chars.next()?),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next()?);
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_like_shell_words() {
        assert_eq!(
            split_command("/rolehop-shared/rolehop check --format json").unwrap(),
            ["/rolehop-shared/rolehop", "check", "--format", "json"]
        );
        assert_eq!(
            split_command(r#"sh -c 'a b' "c d" e\ f"#).unwrap(),
            ["sh", "-c", "a b", "c d", "e f"]
        );
        assert_eq!(split_command("  ").unwrap(), Vec::<String>::new());
        assert_eq!(split_command("echo 'open"), None);
    }

    #[test]
    fn the_statement_holds_every_action_on_star() {
        let s = task_role_statement();
        assert_eq!(s["Resource"], "*");
        assert_eq!(
            s["Action"].as_array().unwrap().len(),
            TASK_ROLE_ACTIONS.len()
        );
    }
}
