//! One module per subcommand; each returns `Ok` or a [`CmdError`] carrying its exit code.

pub mod check;
pub mod credential_process;
pub mod exec;
pub mod healthcheck;
pub mod merge_policy;
pub mod publish;
pub mod serve;
pub mod setup;

use std::process::ExitCode;

use crate::cli::{Cli, Command, exit};

/// A failure to report as `rolehop: error: ...` lines, with its exit code.
#[derive(Debug)]
pub struct CmdError {
    pub code: u8,
    pub messages: Vec<String>,
}

impl CmdError {
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: exit::USAGE,
            messages: vec![message.into()],
        }
    }

    pub fn failure(message: impl Into<String>) -> Self {
        Self {
            code: exit::FAILURE,
            messages: vec![message.into()],
        }
    }

    /// A usage error whose message is `err`'s sentence, then its causes (`crate::readable`).
    pub fn usage_of(err: &(dyn std::error::Error + 'static)) -> Self {
        Self::usage(crate::readable::sentence(err))
    }

    /// A failure whose message is `err`'s sentence, then its causes (`crate::readable`).
    pub fn failure_of(err: &(dyn std::error::Error + 'static)) -> Self {
        Self::failure(crate::readable::sentence(err))
    }
}

/// The async runtime every command runs on.
pub fn runtime() -> Result<tokio::runtime::Runtime, CmdError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CmdError::failure(format!("cannot start the async runtime: {e}")))
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => serve::main(&args),
        Command::CredentialProcess(args) => credential_process::main(&args),
        Command::Exec(args) => exec::exec(&args),
        Command::Env(args) => exec::env(&args),
        Command::Check(args) => check::main(&args),
        Command::Healthcheck(args) => healthcheck::main(&args),
        Command::Setup(args) => setup::main(&args),
        Command::Publish(args) => publish::main(&args),
        Command::MergePolicy(args) => merge_policy::main(&args),
    };
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(err) => {
            for message in &err.messages {
                eprintln!("rolehop: error: {message}");
            }
            ExitCode::from(err.code)
        }
    }
}
