//! `rolehop check`: reads the files and flags, runs the offline engine, prints the report.
//! Exit 0 when nothing failed or warned, 1 on a failure, 2 on warnings only, 64 on usage errors.

use super::CmdError;
use crate::check::{self, Inputs};
use crate::cli::{CheckArgs, ReportFormat};

pub fn main(args: &CheckArgs) -> Result<(), CmdError> {
    let read = |path: &Option<std::path::PathBuf>,
                flag: &str|
     -> Result<Option<(String, String)>, CmdError> {
        path.as_ref()
            .map(|p| {
                std::fs::read_to_string(p)
                    .map(|text| (p.display().to_string(), text))
                    .map_err(|e| {
                        CmdError::usage(format!("cannot read {flag} {}: {e}", p.display()))
                    })
            })
            .transpose()
    };
    let inputs = Inputs {
        trust_policy: read(&args.trust_policy, "--trust-policy")?,
        identity_policy: read(&args.identity_policy, "--identity-policy")?,
        role_arn: args.role_arn.clone(),
        source_role_arn: args.source_role_arn.clone(),
        external_id: args.external_id.clone(),
        session_tags: args.session_tags,
        source_identity: args.source_identity,
        managed_policy_arns: args.managed_policy_arns.clone(),
    };
    if inputs.trust_policy.is_none()
        && inputs.identity_policy.is_none()
        && inputs.role_arn.is_none()
        && inputs.source_role_arn.is_none()
        && inputs.managed_policy_arns.is_empty()
    {
        return Err(CmdError::usage(
            "nothing to check: give --trust-policy, --identity-policy, --role-arn, --source-role-arn or --managed-policy-arn",
        ));
    }
    let report = check::run(&inputs);
    match args.format {
        ReportFormat::Text => print!("{}", report.to_text()),
        ReportFormat::Json => println!("{}", report.to_json()),
    }
    match report.exit_code() {
        0 => Ok(()),
        code => Err(CmdError {
            code,
            messages: Vec::new(),
        }),
    }
}
