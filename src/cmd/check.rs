//! `rolehop check`: offline on the files and ARNs given, online (the same roles as `serve`,
//! probed for real) when asked or when no file is given. Exit 0 when nothing failed or warned,
//! 1 on a failure, 2 on warnings only, 64 on usage errors.

use super::CmdError;
use crate::check::findings::{Finding, Report, Status};
use crate::check::{self, Inputs, ecs, online};
use crate::cli::{CheckArgs, ReportFormat, RoleArgs};
use crate::credentials::Secret;

fn read(path: &std::path::Path, flag: &str) -> Result<(String, String), CmdError> {
    std::fs::read_to_string(path)
        .map(|text| (path.display().to_string(), text))
        .map_err(|e| CmdError::usage(format!("cannot read {flag} {}: {e}", path.display())))
}

/// A list from a `ROLEHOP_*` variable (comma-separated), as the serve flags read it.
fn env_list(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Vec<String> {
    env(name)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

pub fn main(args: &CheckArgs) -> Result<(), CmdError> {
    let env = |name: &str| std::env::var(name).ok();
    let inputs = Inputs {
        trust_policy: args
            .trust_policy
            .as_deref()
            .map(|p| read(p, "--trust-policy"))
            .transpose()?,
        identity_policy: args
            .identity_policy
            .as_deref()
            .map(|p| read(p, "--identity-policy"))
            .transpose()?,
        role_arn: args.role_arn.clone(),
        source_role_arn: args.source_role_arn.clone(),
        external_id: args.external_id.clone(),
        session_tags: args.session_tags,
        source_identity: args.source_identity,
        managed_policy_arns: args.managed_policy_arns.clone(),
    };
    let task_definition = args
        .task_definition
        .as_deref()
        .map(|p| read(p, "--task-definition"))
        .transpose()?;
    let mut service_trusts = Vec::new();
    for raw in &args.service_role_trusts {
        let Some((kind, file)) = raw.split_once('=') else {
            return Err(CmdError::usage(format!(
                "--service-role-trust `{raw}` is not KIND=FILE (e.g. execution=trust.json)"
            )));
        };
        service_trusts.push((
            kind.to_owned(),
            read(std::path::Path::new(file), "--service-role-trust")?,
        ));
    }
    let offline_given = inputs.trust_policy.is_some()
        || inputs.identity_policy.is_some()
        || !inputs.managed_policy_arns.is_empty()
        || task_definition.is_some()
        || !service_trusts.is_empty();

    let mut findings: Vec<Finding> = Vec::new();
    if offline_given {
        findings.extend(check::run(&inputs).findings);
    }
    if let Some((file, text)) = &task_definition {
        findings.extend(ecs::task_definition(file, text));
        findings.extend(check::clients::task_definition(file, text));
    }
    for (kind, (file, text)) in &service_trusts {
        findings.extend(ecs::service_role_trust(kind, file, text));
    }
    let roles_given =
        args.config.is_some() || args.role_arn.is_some() || env("ROLEHOP_CONFIG_TEXT").is_some();
    if !offline_given && !roles_given {
        return Err(CmdError::usage(
            "nothing to check: give policy files (--trust-policy, --identity-policy), --managed-policy-arn or --task-definition, or the roles to probe online (--role-arn or --config, as for serve)",
        ));
    }
    if (args.online || !offline_given) && roles_given {
        findings.extend(online::environment_traps(&env));
        let role_args = RoleArgs {
            config: args.config.clone(),
            config_text: env("ROLEHOP_CONFIG_TEXT").map(Secret::new),
            role_arn: args.role_arn.clone(),
            external_id: args.external_id.clone(),
            session_name: args.session_name.clone(),
            duration: args.duration,
            tags: env_list(&env, "ROLEHOP_TAGS"),
            transitive_tag_keys: env_list(&env, "ROLEHOP_TRANSITIVE_TAG_KEYS"),
            source_identity: env("ROLEHOP_SOURCE_IDENTITY"),
            policy_file: env("ROLEHOP_POLICY_FILE").map(Into::into),
            policy_arns: env_list(&env, "ROLEHOP_POLICY_ARNS"),
        };
        let mut errors = Vec::new();
        let roles = crate::config::roles_from_args(&role_args, &env, &mut errors);
        for e in errors {
            findings.push(Finding::new("config.valid", Status::Fail, e));
        }
        if !roles.is_empty() {
            let probed =
                super::runtime()?.block_on(online::probe(&roles, args.external_id.as_ref()));
            findings.extend(probed);
        }
    }
    let report = Report { findings };
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
