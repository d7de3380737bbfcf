//! `rolehop merge-policy`: reads two policy documents and prints the first with the second's
//! missing statements appended ([`crate::setup::merge`]), or nothing when none is missing.
//! `commands.sh` runs it on every role that exists, then shows and applies the result.

use std::io::Write;
use std::path::Path;

use super::CmdError;
use crate::cli::MergePolicyArgs;
use crate::setup::merge;

fn read(flag: &str, path: &Path) -> Result<serde_json::Value, CmdError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CmdError::usage(format!(
            "cannot read {flag} {}: {e}; give a readable policy document",
            path.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        CmdError::usage(format!(
            "{flag} {} is not JSON ({e}); give an IAM policy document",
            path.display()
        ))
    })
}

/// `statement` as shown: each `sts:ExternalId` condition value hidden (an external id is a
/// secret where it guards a per-container role).
fn redacted(statement: &serde_json::Value) -> serde_json::Value {
    let mut shown = statement.clone();
    crate::check::fix::hide_statement_external_ids(&mut shown);
    shown
}

pub fn main(args: &MergePolicyArgs) -> Result<(), CmdError> {
    let current = read("--current", &args.current)?;
    let add = read("--add", &args.add)?;
    let merged = merge::merge(&current, &add).map_err(|e| CmdError::usage_of(&e))?;
    if merged.added.is_empty() {
        return Ok(());
    }
    for statement in &merged.added {
        eprintln!(
            "rolehop setup: {}: adding statement {}",
            args.what,
            serde_json::to_string(&redacted(statement)).expect("plain values serialise")
        );
    }
    let mut text = serde_json::to_string_pretty(&merged.document).expect("plain values serialise");
    text.push('\n');
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| CmdError::failure(format!("cannot write the merged policy: {e}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn external_ids_are_not_shown() {
        let statement = serde_json::json!({"Effect": "Allow", "Condition": {"StringEquals": {"STS:externalid": "s3cr3t-value", "aws:SourceAccount": "111122223333"}}});
        let shown = super::redacted(&statement).to_string();
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(shown.contains("111122223333"), "{shown}");
    }
}
