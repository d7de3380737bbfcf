//! `rolehop check`: offline on the files and ARNs given, online (the same roles as `serve`,
//! probed for real) when asked or when no file is given. Exit 0 when nothing failed or warned,
//! 1 on a failure, 2 on warnings only, 64 on usage errors.

use super::CmdError;
use crate::check::findings::{Finding, Report, Status, Verdict};
use crate::check::{self, Inputs, ecs, online};
use crate::cli::{CheckArgs, ReportFormat, RoleArgs};

fn read(path: &std::path::Path, flag: &str) -> Result<(String, String), CmdError> {
    std::fs::read_to_string(path)
        .map(|text| (path.display().to_string(), text))
        .map_err(|e| CmdError::usage(format!("cannot read {flag} {}: {e}", path.display())))
}

pub fn main(args: &CheckArgs) -> Result<(), CmdError> {
    let env = |name: &str| std::env::var(name).ok();
    let read_all = |paths: &[std::path::PathBuf], flag: &str| {
        paths
            .iter()
            .map(|p| read(p, flag))
            .collect::<Result<Vec<_>, _>>()
    };
    let read_opt = |path: &Option<std::path::PathBuf>, flag: &str| {
        path.as_deref().map(|p| read(p, flag)).transpose()
    };
    let inputs = Inputs {
        trust_policy: read_opt(&args.trust_policy, "--trust-policy")?,
        identity_policies: read_all(&args.identity_policy, "--identity-policy")?,
        permissions_boundary: read_opt(&args.permissions_boundary, "--permissions-boundary")?,
        session_policy: read_opt(&args.session_policy, "--session-policy")?,
        scps: read_all(&args.scps, "--scp")?,
        rcps: read_all(&args.rcps, "--rcp")?,
        context: check::parse_context(&args.context).map_err(CmdError::usage)?,
        role_arn: args.role_arn.clone(),
        source_role_arn: args.source_role_arn.clone(),
        external_id: args.external_id.clone(),
        session_name: args.session_name.clone(),
        source_session_name: args.source_session_name.clone(),
        session_tags: args.session_tags,
        source_identity: args.source_identity,
        duration: args.duration,
        max_session_duration: args.max_session_duration,
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
        || !inputs.identity_policies.is_empty()
        || inputs.permissions_boundary.is_some()
        || inputs.session_policy.is_some()
        || !inputs.scps.is_empty()
        || !inputs.rcps.is_empty()
        || !inputs.managed_policy_arns.is_empty()
        || task_definition.is_some()
        || !service_trusts.is_empty();

    let mut findings: Vec<Finding> = Vec::new();
    let mut decision = Verdict::Unknown;
    let mut hops = Vec::new();
    if offline_given {
        let report = check::run(&inputs);
        findings.extend(report.findings);
        decision = report.decision;
        hops = report.hops;
    }
    if let Some((file, text)) = &task_definition {
        findings.extend(ecs::task_definition(file, text));
        findings.extend(check::clients::task_definition(file, text));
        findings.extend(check::platform::task_definition(file, text));
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
        // The roles exactly as `serve` reads its ROLEHOP_* variables (through the same flag
        // definitions), with check's own flags taking precedence.
        let from_env = RoleArgs::from_vars(&env).map_err(|e| {
            CmdError::usage(format!(
                "rolehop serve would refuse this environment's ROLEHOP_* variables: {}",
                e.render().to_string().lines().next().unwrap_or_default()
            ))
        })?;
        let role_args = RoleArgs {
            config: args.config.clone().or(from_env.config),
            role_arn: args.role_arn.clone().or(from_env.role_arn),
            external_id: args.external_id.clone().or(from_env.external_id),
            session_name: args.session_name.clone().or(from_env.session_name),
            duration: args.duration.or(from_env.duration),
            ..from_env
        };
        let mut errors = Vec::new();
        let roles = crate::config::roles_from_args(&role_args, &env, &mut errors);
        for e in errors {
            findings.push(Finding::new("config.valid", Status::Fail, e));
        }
        if !roles.is_empty() {
            let probed = super::runtime()?.block_on(online::probe(
                &roles,
                args.external_id.as_ref(),
                &inputs,
            ));
            findings.extend(probed.findings);
            decision = probed.decision;
            hops.extend(probed.hops);
        }
    }
    let report = Report::new(findings, decision, hops);
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
