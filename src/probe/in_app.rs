//! `rolehop check` in an app container (part of the probe: it reads this container's environment, files and the sidecar): where ECS Exec takes the on-call engineer
//! (`crate::ecs_exec`; rolehop's own container is locked down and not a target). Such a container
//! has no `ROLEHOP_*` role settings, only its wiring to the sidecar: `AWS_CONFIG_FILE` and
//! `AWS_PROFILE` naming a profile whose `credential_process` is `rolehop credential-process
//! --endpoint URL --role NAME` (what `rolehop publish` writes), and the token in `ROLEHOP_TOKEN`
//! or `--token-file`. From that environment alone it checks what this container's SDKs will do:
//! the profile and the binary it names, the environment traps, then asks the sidecar for the
//! role exactly as the profile does and reports the identity it got, or rolehop's own account
//! of why it has none (STS's error with its likely causes, a refused token, no listener), with
//! STS's refusal, when rolehop relays one, for `check` to explain (`check::explain_message`).

use std::path::{Path, PathBuf};

use crate::check::denial::Denial;
use crate::check::findings::{Finding, FindingId, Status};
use crate::check::report::Verdict;
use crate::cli::ClientArgs;
use crate::client::ClientConfig;
use crate::ecs_exec::split_command;

/// The client wiring found in the environment.
#[derive(Debug, Clone)]
pub struct Wiring {
    /// Where it was found, for messages.
    pub place: String,
    /// The words of the client command (`rolehop credential-process ...`), argv[0] first.
    pub command: Vec<String>,
}

/// This container's wiring to rolehop: the profile SDKs use here (`AWS_PROFILE`, else
/// `AWS_DEFAULT_PROFILE`, else `default`) in `AWS_CONFIG_FILE` when its `credential_process`
/// runs `rolehop credential-process`; else `ROLEHOP_ENDPOINT` (the client helpers' contract,
/// as an app under `rolehop exec` or with rolehop's `credential_process` in its image has it).
pub fn wiring(env: &dyn Fn(&str) -> Option<String>) -> Option<Wiring> {
    let from_profile = || -> Option<Wiring> {
        let config_file = PathBuf::from(env("AWS_CONFIG_FILE")?);
        let profile = env("AWS_PROFILE")
            .or_else(|| env("AWS_DEFAULT_PROFILE"))
            .unwrap_or_else(|| "default".into());
        let text = std::fs::read_to_string(&config_file).ok()?;
        let command = split_command(&credential_process(&text, &profile)?)?;
        let is_rolehop = command.first().is_some_and(|c| c.ends_with("rolehop"))
            && command.get(1).is_some_and(|c| c == "credential-process");
        is_rolehop.then(|| Wiring {
            place: format!("profile {profile} of {}", config_file.display()),
            command,
        })
    };
    from_profile().or_else(|| {
        env("ROLEHOP_ENDPOINT").map(|_| Wiring {
            place: "ROLEHOP_ENDPOINT".into(),
            command: Vec::new(),
        })
    })
}

/// The `credential_process` value of `profile` in an AWS config file's text.
fn credential_process(text: &str, profile: &str) -> Option<String> {
    let header = if profile == "default" {
        "[default]".to_owned()
    } else {
        format!("[profile {profile}]")
    };
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == header;
        } else if inside
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "credential_process"
        {
            return Some(value.trim().to_owned());
        }
    }
    None
}

/// The value of `--flag VALUE` or `--flag=VALUE` in `words`.
fn flag(words: &[String], name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    words.iter().enumerate().find_map(|(i, w)| {
        if w == name {
            words.get(i + 1).cloned()
        } else {
            w.strip_prefix(&prefix).map(str::to_owned)
        }
    })
}

fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What `rolehop check` found in an app container.
pub struct InApp {
    pub findings: Vec<Finding>,
    /// Allowed when rolehop served this container a role.
    pub decision: Verdict,
    /// STS's refusal, when rolehop's answer relays one: `check` explains it as it explains the
    /// refusal its own probe meets in rolehop's container (`check::explain_message`).
    pub refusal: Option<Denial>,
}

/// The findings of this container's wiring, and the decision (allowed when rolehop served it).
pub fn run(wiring: &Wiring, env: &dyn Fn(&str) -> Option<String>) -> InApp {
    let (findings, decision, refusal) = run_parts(wiring, env);
    InApp {
        findings,
        decision,
        refusal,
    }
}

fn run_parts(
    wiring: &Wiring,
    env: &dyn Fn(&str) -> Option<String>,
) -> (Vec<Finding>, Verdict, Option<Denial>) {
    let mut out = super::environment_traps(env);
    let place = &wiring.place;
    if let Some(binary) = wiring.command.first().map(Path::new)
        && binary.is_absolute()
        && !executable(binary)
    {
        out.push(Finding::new(
            FindingId::AppWiring,
            Status::Fail,
            format!("{place} runs {}, which is not an executable file here; did the rolehop publish container exit 0 (dependsOn SUCCESS) and is its volume mounted at the same path?", binary.display()),
        ));
        return (out, Verdict::Unknown, None);
    }
    let args = ClientArgs {
        endpoint: flag(&wiring.command, "--endpoint").or_else(|| env("ROLEHOP_ENDPOINT")),
        role: flag(&wiring.command, "--role")
            .or_else(|| env("ROLEHOP_ROLE"))
            .unwrap_or_else(|| crate::role_name::DEFAULT_ROLE.into()),
        token_file: flag(&wiring.command, "--token-file")
            .or_else(|| env("ROLEHOP_TOKEN_FILE"))
            .map(PathBuf::from),
    };
    let client = match ClientConfig::from_args(&args, env) {
        Ok(c) => c,
        Err(problems) => {
            for p in problems {
                out.push(Finding::new(
                    FindingId::AppWiring,
                    Status::Fail,
                    format!("{place}: {p}"),
                ));
            }
            return (out, Verdict::Unknown, None);
        }
    };
    out.push(Finding::new(
        FindingId::AppWiring,
        Status::Pass,
        format!(
            "{place} asks rolehop at {} for role {}",
            client.credentials_url(),
            args.role
        ),
    ));
    match client.fetch() {
        Ok(creds) => {
            let who = creds.role_arn.clone().unwrap_or_else(|| "a role".into());
            let account = creds
                .account_id
                .clone()
                .or_else(|| {
                    creds
                        .role_arn
                        .as_deref()
                        .map(|a| crate::check::eval::account_of(a).to_owned())
                })
                .unwrap_or_default();
            let left = creds
                .expiration
                .and_then(|e| e.duration_since(std::time::SystemTime::now()).ok())
                .map(|d| format!(", {} min left", d.as_secs() / 60))
                .unwrap_or_default();
            out.push(Finding::new(
                FindingId::AppIdentity,
                Status::Pass,
                format!("this container's SDKs get {who} (account {account}) from rolehop{left}"),
            ));
            (out, Verdict::Allowed, None)
        }
        Err(why) => {
            let why = crate::readable::sentence(&why);
            out.push(Finding::new(
                FindingId::AppIdentity,
                Status::Fail,
                format!("this container's SDKs get no credentials: {why}"),
            ));
            (out, Verdict::Unknown, crate::check::denial::parse(&why))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_is_read_as_the_sdks_pick_it() {
        let text = "[default]\ncredential_process = /rolehop-shared/rolehop credential-process --endpoint http://127.0.0.1:9911 --role default\n\n[profile web]\ncredential_process = /rolehop-shared/rolehop credential-process --endpoint http://127.0.0.1:9911 --role web\n";
        let words = split_command(&credential_process(text, "web").unwrap()).unwrap();
        assert_eq!(flag(&words, "--role").as_deref(), Some("web"));
        assert_eq!(
            flag(&words, "--endpoint").as_deref(),
            Some("http://127.0.0.1:9911")
        );
        assert!(credential_process(text, "batch").is_none());
        assert!(
            credential_process(text, "default")
                .unwrap()
                .ends_with("--role default")
        );
    }
}
