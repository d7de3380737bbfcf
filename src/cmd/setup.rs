//! `rolehop setup`: validate the flags, render the files, prove them with the offline `check`
//! engine, then write them into `--out`, each atomically, never replacing a file that differs
//! without `--force`. Nothing is written unless everything passed.

use std::io::Write;
use std::path::Path;

use super::CmdError;
use crate::cli::{SetupArgs, exit};
use crate::setup::{self, File, Setup};

fn usage(messages: Vec<String>) -> CmdError {
    CmdError {
        code: exit::USAGE,
        messages,
    }
}

/// Files that would replace a differing one without `--force`.
fn conflicts(dir: &Path, files: &[File]) -> Vec<String> {
    files
        .iter()
        .filter_map(|f| {
            let path = dir.join(&f.name);
            let existing = std::fs::read(&path).ok()?;
            (existing != f.contents.as_bytes()).then(|| {
                format!(
                    "{} exists and differs from what rolehop setup writes; move it away, or pass --force to overwrite it",
                    path.display()
                )
            })
        })
        .collect()
}

pub fn main(args: &SetupArgs) -> Result<(), CmdError> {
    let setup = Setup::from_args(args).map_err(usage)?;
    if let Some(warning) = crate::regions::warning("--region", &setup.region) {
        eprintln!("rolehop: warning: {warning}");
    }
    let files = setup.files();
    setup::verify(&setup, &files).map_err(|mut problems| {
        problems.push("rolehop setup wrote nothing; fix the ARNs or options above (or report a bug in rolehop setup if they are right)".into());
        usage(problems)
    })?;
    let dir = &args.out;
    std::fs::create_dir_all(dir).map_err(|e| {
        CmdError::usage(format!(
            "cannot create --out {}: {e}; choose a directory you can write to",
            dir.display()
        ))
    })?;
    if !args.force {
        let conflicts = conflicts(dir, &files);
        if !conflicts.is_empty() {
            return Err(usage(conflicts));
        }
    }
    let mut unchanged = 0;
    for file in &files {
        let path = dir.join(&file.name);
        if std::fs::read(&path).is_ok_and(|existing| existing == file.contents.as_bytes()) {
            unchanged += 1;
            continue;
        }
        crate::files::write_atomically(&path, file.contents.as_bytes()).map_err(|e| {
            CmdError::usage(format!(
                "cannot write {}: {e}; choose an --out directory you can write to",
                path.display()
            ))
        })?;
    }
    let mut report = format!(
        "rolehop setup: wrote {} files into {} ({unchanged} already identical); every policy passed rolehop check.\n",
        files.len() - unchanged,
        dir.display()
    );
    for file in &files {
        report.push_str(&format!("  {}\n", file.name));
    }
    let mut profiles = vec![format!(
        "SOURCE_PROFILE (account {})",
        setup.source_role.account_id()
    )];
    for (i, hop) in setup.hops.iter().enumerate() {
        let (_, _, var) = setup::shell::hop_section(&setup, i);
        profiles.push(format!("{var} (account {})", hop.account_id()));
    }
    report.push_str(&format!(
        "Next: set {} to AWS CLI profiles of those accounts (empty: the default credentials), then run: sh {}\n",
        profiles.join(", "),
        dir.join(setup::commands::FILE).display()
    ));
    report.push_str(&setup::image::next_steps(&setup));
    // The files are written; a closed stdout (`| head`) is no reason to fail.
    let _ = std::io::stdout().write_all(report.as_bytes());
    Ok(())
}
