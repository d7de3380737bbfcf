use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;
use rolehop::cli::{Cli, exit};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::from(exit::OK),
                _ => ExitCode::from(exit::USAGE),
            };
        }
    };
    rolehop::cmd::run(cli)
}
