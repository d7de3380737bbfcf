//! `rolehop exec -- CMD` and `rolehop env`: point an unmodified program's AWS SDKs at a running
//! rolehop. In a task with a task role, ECS injects `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`
//! into every container, and every client measured in docs/SDKS.md but the Go SDKs asks it
//! rather than `..._FULL_URI` when both are set (Go SDK v1 and Go SDK v2 before config v1.27.34
//! read FULL_URI first), so it is removed: unset,
//! not emptied, since botocore goes by whether it is set. So are static keys, a named profile
//! and web identity settings, which the SDKs' chains try before the container provider (a
//! `[default]` profile with keys in `~/.aws` would still win), and rolehop's own `ROLEHOP_*`
//! variables, the token among them. `exec` then replaces itself with CMD, so signals reach CMD
//! directly and CMD's exit status is the exit status. The endpoint is checked by the client rule
//! (`client::Endpoint`): loopback only; 127.0.0.1 and `localhost` are the hosts every client
//! that reads FULL_URI accepts (docs/SDKS.md).

use std::os::unix::process::CommandExt;

use super::CmdError;
use crate::cli::{ClientArgs, ExecArgs, exit};
use crate::client::{ClientConfig, ClientToken};
use crate::source::{
    ENV_AUTHORIZATION_TOKEN, ENV_AUTHORIZATION_TOKEN_FILE, ENV_FULL_URI, ENV_RELATIVE_URI,
};

/// The prefix of rolehop's own variables, which `exec` removes from the child.
const ROLEHOP_PREFIX: &str = "ROLEHOP_";

/// Variables that would win over rolehop in a child's credential chain (docs/SDKS.md): the ECS
/// agent's URI, static keys, a named profile, web identity.
pub const REMOVED: [&str; 9] = [
    ENV_RELATIVE_URI,
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_SESSION_NAME",
];

/// What `exec` and `env` change in the child's environment (besides [`REMOVED`]).
struct Settings {
    set: Vec<(&'static str, String)>,
    unset: Vec<&'static str>,
}

/// Whether the token itself goes into the child's `AWS_CONTAINER_AUTHORIZATION_TOKEN` beside
/// the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenVariable {
    Set,
    Withheld,
}

/// With a token file, `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` as an absolute path (the child
/// may change directory) and, unless withheld, the token in `AWS_CONTAINER_AUTHORIZATION_TOKEN`
/// too: the client table (`crate::sdk`) has clients that read only the variable (boto3 1.28, the
/// JavaScript SDK 3.350, Debian 12's Go SDK v1, Go SDK v2 before config v1.25.0), so the file alone leaves them without a
/// token. Clients that read both mostly prefer the file and follow a rotated one; the Java SDK
/// v2 prefers the variable, and clients reading only the variable keep the token of the moment
/// `exec` started (docs/SDKS.md). With `ROLEHOP_TOKEN`, the variable alone. Whatever is not set
/// is removed, so nothing inherited can win.
fn settings(client: &ClientConfig, variable: TokenVariable) -> Result<Settings, CmdError> {
    let mut set = vec![(ENV_FULL_URI, client.credentials_url())];
    let unset = match &client.token {
        ClientToken::File(path) => {
            let absolute = std::path::absolute(path).map_err(|e| {
                CmdError::usage(format!(
                    "cannot make --token-file {} an absolute path ({e}); give it as one",
                    path.display()
                ))
            })?;
            set.push((ENV_AUTHORIZATION_TOKEN_FILE, absolute.display().to_string()));
            match variable {
                TokenVariable::Set => {
                    let token = client.token_value().map_err(|e| CmdError::usage_of(&e))?;
                    set.push((ENV_AUTHORIZATION_TOKEN, token.expose().to_owned()));
                    Vec::new()
                }
                TokenVariable::Withheld => vec![ENV_AUTHORIZATION_TOKEN],
            }
        }
        ClientToken::Value(token) => {
            set.push((ENV_AUTHORIZATION_TOKEN, token.expose().to_owned()));
            vec![ENV_AUTHORIZATION_TOKEN_FILE]
        }
    };
    Ok(Settings { set, unset })
}

fn client(args: &ClientArgs) -> Result<ClientConfig, CmdError> {
    let env = |name: &str| std::env::var(name).ok();
    ClientConfig::from_args(args, &env).map_err(|messages| CmdError {
        code: exit::USAGE,
        messages,
    })
}

pub fn exec(args: &ExecArgs) -> Result<(), CmdError> {
    let client = client(&args.client)?;
    let variable = if args.no_token_variable {
        TokenVariable::Withheld
    } else {
        TokenVariable::Set
    };
    let settings = settings(&client, variable)?;
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let mut command = std::process::Command::new(program);
    command.args(rest);
    // rolehop's own variables (the token among them) stay with rolehop: the child reaches it
    // through the SDK variables alone.
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| n.starts_with(ROLEHOP_PREFIX)) {
            command.env_remove(name);
        }
    }
    for name in REMOVED.iter().chain(&settings.unset) {
        command.env_remove(name);
    }
    command.envs(settings.set);
    let err = command.exec();
    let code = if err.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    };
    Err(CmdError {
        code,
        messages: vec![format!(
            "cannot run {}: {err}; check the command after `--`",
            program.to_string_lossy()
        )],
    })
}

pub fn env(args: &ClientArgs) -> Result<(), CmdError> {
    let client = client(args)?;
    // `env` prints its settings, so the token itself is never among them.
    let settings = settings(&client, TokenVariable::Withheld)?;
    let mut out = format!("unset {}\n", REMOVED.join(" "));
    if !settings.unset.is_empty() {
        out.push_str(&format!("unset {}\n", settings.unset.join(" ")));
    }
    for (name, value) in settings.set {
        out.push_str(&format!("export {name}={}\n", shell_quote(&value)));
    }
    print!("{out}");
    Ok(())
}

/// Single-quotes `value` for POSIX shells.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(shell_quote("plain"), "'plain'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
