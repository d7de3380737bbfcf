//! `rolehop exec -- CMD` and `rolehop env`: point an unmodified program's AWS SDKs at a running
//! rolehop. In a task with a task role, ECS injects `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`
//! into every container and every SDK prefers it over `..._FULL_URI` (REFERENCE 1), so it is
//! removed; so are static keys, a named profile and web identity settings, which every SDK's
//! chain would try first (a `[default]` profile with keys in `~/.aws` would still win). `exec` then replaces
//! itself with CMD, so signals reach CMD directly and CMD's exit status is the exit status.

use std::os::unix::process::CommandExt;

use super::CmdError;
use crate::cli::{ClientArgs, ExecArgs, exit};
use crate::client::{ClientConfig, ClientToken};
use crate::source::{
    ENV_AUTHORIZATION_TOKEN, ENV_AUTHORIZATION_TOKEN_FILE, ENV_FULL_URI, ENV_RELATIVE_URI,
};

/// Variables that would win over rolehop in a child's credential chain: the ECS agent's URI,
/// static keys, a named profile, web identity.
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

/// The variables to set, in order. The token variable is set even with a token file, because
/// the JavaScript SDK reads only `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
fn settings(client: &ClientConfig) -> Result<Vec<(&'static str, String)>, CmdError> {
    crate::source::SourceKind::detect(&|name| {
        (name == ENV_FULL_URI).then(|| client.credentials_url())
    })
    .map_err(|e| CmdError::usage(format!("--endpoint: {e}")))?;
    let mut vars = vec![(ENV_FULL_URI, client.credentials_url())];
    match &client.token {
        ClientToken::File(path) => {
            vars.push((ENV_AUTHORIZATION_TOKEN_FILE, path.display().to_string()));
            // When the file is not there yet, the SDKs still read it at their first fetch.
            if let Ok(token) = client.token_value() {
                vars.push((ENV_AUTHORIZATION_TOKEN, token.expose().to_owned()));
            }
        }
        ClientToken::Value(token) => {
            vars.push((ENV_AUTHORIZATION_TOKEN, token.expose().to_owned()))
        }
    }
    Ok(vars)
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
    let vars = settings(&client)?;
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let mut command = std::process::Command::new(program);
    command.args(rest);
    for name in REMOVED {
        command.env_remove(name);
    }
    if !vars
        .iter()
        .any(|(name, _)| *name == ENV_AUTHORIZATION_TOKEN_FILE)
    {
        // An inherited token file would win over the token variable.
        command.env_remove(ENV_AUTHORIZATION_TOKEN_FILE);
    }
    command.envs(vars);
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
    let vars = settings(&client)?;
    let mut out = format!("unset {}\n", REMOVED.join(" "));
    if !vars
        .iter()
        .any(|(name, _)| *name == ENV_AUTHORIZATION_TOKEN_FILE)
    {
        out.push_str(&format!("unset {ENV_AUTHORIZATION_TOKEN_FILE}\n"));
    }
    for (name, value) in vars {
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
