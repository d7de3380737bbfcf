//! `rolehop check`: offline on the files and ARNs given, online (the same roles as `serve`,
//! probed for real) when asked or when no file is given. Exit codes: `check::exit` (0 allowed
//! and clean, 1 denied or failed, 2 warnings, 3 undecided), 64 on usage errors.

use super::CmdError;
use crate::check::findings::{Finding, FindingId, Status};
use crate::check::report::Report;
use crate::check::role_policies::RolePolicies;
use crate::check::service_role::ServiceRoleKind;
use crate::check::{self, Inputs, denial, ecs, explain_message};
use crate::cli::{CheckArgs, ReportFormat, RoleArgs};
use crate::probe;
use std::path::{Path, PathBuf};

fn read(path: &Path, flag: &str) -> Result<(String, String), CmdError> {
    std::fs::read_to_string(path)
        .map(|text| (path.display().to_string(), text))
        .map_err(|e| CmdError::usage(format!("cannot read {flag} {}: {e}", path.display())))
}

pub fn main(args: &CheckArgs) -> Result<(), CmdError> {
    flag_arns(args)?;
    let env = |name: &str| std::env::var(name).ok();
    // AWS's own message first: one that says nothing AWS documents is a usage error.
    let mut aws = explained_message(args)?;
    let mut caller_role = aws
        .as_ref()
        .and_then(explain_message::call_of)
        .and_then(|(caller, _, _)| probe::role_of_session(caller));
    let mut inputs = inputs_from_flags(args)?;
    let task_definition = read_opt(&args.task_definition, "--task-definition")?;
    // The call AWS's message names, where the flags do not.
    if let Some((_, _, role)) = aws.as_ref().and_then(explain_message::call_of) {
        inputs.role_arn = inputs.role_arn.take().or(role.map(str::to_owned));
        inputs.source_role_arn = inputs.source_role_arn.take().or(caller_role.clone());
    }
    // The call rolehop's container makes, where the flags do not say.
    let request_from_task = task_definition
        .as_ref()
        .map(|(file, text)| check::task_request::apply(file, text, &mut inputs))
        .unwrap_or_default();
    let service_trusts = service_role_trusts(&args.service_role_trusts)?;
    let offline_given =
        policies_given(&inputs) || task_definition.is_some() || !service_trusts.is_empty();

    let mut report = Report::new(request_from_task, None, Vec::new());
    if offline_given {
        let offline = check::run(&inputs);
        report.findings.extend(offline.findings);
        report.decision = offline.decision;
        report.hops = offline.hops;
    }
    if let Some((file, text)) = &task_definition {
        let found = task_definition_findings(args, &inputs, file, text, &env)?;
        report.findings.extend(found);
    }
    for (kind, (file, text)) in &service_trusts {
        report
            .findings
            .extend(ecs::service_role_trust(*kind, file, text));
    }
    let roles_given =
        args.config.is_some() || args.role_arn.is_some() || env("ROLEHOP_CONFIG_TEXT").is_some();
    // In an app's container: which account each client would land in (`--clients`), and the
    // wiring to the sidecar (the ECS Exec target), which is all there is to check there.
    let clients = (args.clients
        || !args.apps.is_empty()
        || (!offline_given && !roles_given && env(crate::source::ENV_FULL_URI).is_some()))
    .then(|| probe::clients_here::answer(&env, &args.apps));
    if let Some(here) = &clients {
        report.findings.extend(here.findings.iter().cloned());
    }
    let in_app = (!offline_given && !roles_given && aws.is_none())
        .then(|| probe::in_app::wiring(&env))
        .flatten();
    if let Some(wiring) = &in_app {
        let here = probe::in_app::run(wiring, &env);
        report.findings.extend(here.findings);
        report.decision = Some(here.decision);
        // STS's refusal that rolehop relays is explained as rolehop's own probe explains it.
        if let Some(refusal) = here.refusal {
            if let Some((caller, _, role)) = explain_message::call_of(&refusal) {
                caller_role = probe::role_of_session(caller);
                inputs.role_arn = role.map(str::to_owned);
                inputs.source_role_arn = caller_role.clone();
            }
            aws = Some(refusal);
        }
    }
    if !offline_given && !roles_given && in_app.is_none() && clients.is_none() && aws.is_none() {
        return Err(CmdError::usage(
            "nothing to check: give policy files (--trust-policy, --identity-policy), --managed-policy-arn or --task-definition, the roles to probe online (--role-arn or --config, as for serve), or run it in an app container (its AWS_CONFIG_FILE/AWS_PROFILE profile running rolehop credential-process, or --clients)",
        ));
    }
    if (args.online || (!offline_given && aws.is_none())) && roles_given {
        probe_roles(args, &inputs, &env, &mut report)?;
    }
    if let Some(denial) = &aws {
        report.decision = Some(explain_message::apply(
            denial,
            caller_role.as_deref(),
            &inputs,
            &mut report.findings,
            &mut report.hops,
        ));
    }
    print_report(&report, args.format, clients.as_ref());
    if args.fix {
        write_fixes(&report, args.format)?;
    }
    match report.exit_code() {
        0 => Ok(()),
        code => Err(CmdError {
            code,
            messages: Vec::new(),
        }),
    }
}

fn read_all(paths: &[PathBuf], flag: &str) -> Result<Vec<check::File>, CmdError> {
    paths.iter().map(|p| read(p, flag)).collect()
}

fn read_opt(path: &Option<PathBuf>, flag: &str) -> Result<Option<check::File>, CmdError> {
    path.as_deref().map(|p| read(p, flag)).transpose()
}

/// `--explain`: AWS's message, parsed.
fn explained_message(args: &CheckArgs) -> Result<Option<denial::Denial>, CmdError> {
    args.explain
        .as_deref()
        .map(|message| {
            denial::parse(message).ok_or_else(|| {
                CmdError::usage(
                    "--explain: the message is none of the AssumeRole errors STS writes (`User: ARN is not authorized to perform: sts:AssumeRole on resource: ARN ...`, `Encoded authorization failure message: ...`, PackedPolicyTooLarge, the DurationSeconds limits); paste STS's message as the log has it",
                )
            })
        })
        .transpose()
}

/// The ARNs the flags give, parsed before any work: a malformed one is a usage error (exit
/// 64), each named with its repair where the slip is clear. ARNs read from files (a task
/// definition, AWS's message) stay findings (`arn.syntax`).
fn flag_arns(args: &CheckArgs) -> Result<(), CmdError> {
    let roles = [
        ("--role-arn", &args.role_arn),
        ("--source-role-arn", &args.source_role_arn),
    ];
    let mut problems: Vec<String> = roles
        .iter()
        .filter_map(|(flag, arn)| {
            let problem = check::arns::role_arn_problem(arn.as_deref()?)?;
            Some(format!("{flag}: {problem}"))
        })
        .collect();
    problems.extend(args.managed_policy_arns.iter().filter_map(|arn| {
        check::arns::policy_arn_problem(arn).map(|p| format!("--managed-policy-arn: {p}"))
    }));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CmdError {
            code: crate::cli::exit::USAGE,
            messages: problems,
        })
    }
}

/// The policy files and the AssumeRole's fields as the flags give them.
fn inputs_from_flags(args: &CheckArgs) -> Result<Inputs, CmdError> {
    let mut inputs = Inputs {
        trust_policy: read_opt(&args.trust_policy, "--trust-policy")?,
        identity_policies: read_all(&args.identity_policy, "--identity-policy")?,
        permissions_boundary: read_opt(&args.permissions_boundary, "--permissions-boundary")?,
        session_policy: read_opt(&args.session_policy, "--session-policy")?,
        scps: read_all(&args.scps, "--scp")?,
        rcps: read_all(&args.rcps, "--rcp")?,
        context: check::parse_context(&args.context).map_err(|e| CmdError::usage_of(&e))?,
        absent: Vec::new(),
        hidden: Vec::new(),
        role_arn: args.role_arn.clone(),
        source_role_arn: args.source_role_arn.clone(),
        role_arn_told: args.role_arn.is_some(),
        source_role_arn_told: args.source_role_arn.is_some(),
        external_id: args.external_id.clone(),
        session_name: args.session_name.clone(),
        source_session_name: args.source_session_name.clone(),
        session_tags: args.session_tags,
        source_identity: args.source_identity,
        duration: args.duration,
        max_session_duration: args.max_session_duration,
        managed_policy_arns: args.managed_policy_arns.clone(),
    };
    inputs.absent = check::infer::absent_keys(&inputs.context, &args.absent)
        .map_err(|e| CmdError::usage_of(&e))?;
    Ok(inputs)
}

/// `--service-role-trust KIND=FILE`, each file read.
fn service_role_trusts(raw: &[String]) -> Result<Vec<(ServiceRoleKind, check::File)>, CmdError> {
    let mut trusts = Vec::new();
    for raw in raw {
        let Some((kind, file)) = raw.split_once('=') else {
            return Err(CmdError::usage(format!(
                "--service-role-trust `{raw}` is not KIND=FILE (e.g. execution=trust.json)"
            )));
        };
        let kind: ServiceRoleKind = kind.parse().map_err(|e| CmdError::usage(format!("{e}")))?;
        trusts.push((kind, read(Path::new(file), "--service-role-trust")?));
    }
    Ok(trusts)
}

/// Whether any policy to check offline was given (files or managed policy ARNs).
fn policies_given(inputs: &Inputs) -> bool {
    inputs.trust_policy.is_some()
        || !inputs.identity_policies.is_empty()
        || inputs.permissions_boundary.is_some()
        || inputs.session_policy.is_some()
        || !inputs.scps.is_empty()
        || !inputs.rcps.is_empty()
        || !inputs.managed_policy_arns.is_empty()
}

/// Every check of `--task-definition` on its own: the definition, per-container roles and
/// isolation, what it publishes, ECS Exec, logging and the image's platform.
fn task_definition_findings(
    args: &CheckArgs,
    inputs: &Inputs,
    file: &str,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Finding>, CmdError> {
    let mut findings = ecs::task_definition(file, text);
    findings.extend(check::client_roles::task_definition(file, text));
    // The trust policy given is the role's of --role-arn.
    let trusts: Vec<(String, check::File)> = inputs
        .role_arn
        .iter()
        .zip(&inputs.trust_policy)
        .map(|(role, trust)| (role.clone(), trust.clone()))
        .collect();
    findings.extend(check::isolation::task_definition(
        file, text, &trusts, false,
    ));
    findings.extend(check::published::task_definition(file, text));
    let asked = check::ecs_exec::Asked {
        command: args.exec_command.as_deref(),
        container: args.exec_container.as_deref(),
    };
    let mut task_role = RolePolicies::given("--identity-policy", inputs.identity_policies.clone());
    let mut execution_role = RolePolicies::given(
        "--execution-role-policy",
        read_all(&args.execution_role_policy, "--execution-role-policy")?,
    );
    // Online, what was not given is read from IAM.
    if args.online && (task_role.unread().is_some() || execution_role.unread().is_some()) {
        let (task, execution) = super::runtime()?.block_on(probe::task_roles::read(text, env));
        if task_role.unread().is_some() {
            task_role = task.unwrap_or(task_role);
        }
        if execution_role.unread().is_some() {
            execution_role = execution.unwrap_or(execution_role);
        }
    }
    findings.extend(check::ecs_exec::task_definition(
        file, text, &task_role, &asked,
    ));
    findings.extend(check::logs::execution_role_permissions(
        file,
        text,
        &execution_role,
    ));
    findings.extend(check::platform::task_definition(file, text));
    Ok(findings)
}

/// Online: the roles `serve` would assume in this environment, probed for real.
fn probe_roles(
    args: &CheckArgs,
    inputs: &Inputs,
    env: &dyn Fn(&str) -> Option<String>,
    report: &mut Report,
) -> Result<(), CmdError> {
    report.findings.extend(probe::environment_traps(env));
    // The roles exactly as `serve` reads its ROLEHOP_* variables (through the same flag
    // definitions), with check's own flags taking precedence.
    let from_env = RoleArgs::from_vars(env).map_err(|e| {
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
    let file = crate::config::file_from_args(&role_args, env, &mut errors);
    errors.extend(chain_grant_problems(&file, env));
    for e in errors {
        report
            .findings
            .push(Finding::new(FindingId::ConfigValid, Status::Fail, e));
    }
    if !file.roles.is_empty() {
        let probed = super::runtime()?.block_on(probe::probe(
            &file.roles,
            args.external_id.as_ref(),
            inputs,
        ));
        report.findings.extend(probed.findings);
        report.decision = Some(probed.decision);
        report.hops.extend(probed.hops);
    }
    Ok(())
}

/// The report on stdout; with `--clients`, each client's answer after it (text) or in it (JSON).
fn print_report(
    report: &Report,
    format: ReportFormat,
    clients: Option<&probe::clients_here::Answer>,
) {
    match (format, clients) {
        (ReportFormat::Text, here) => {
            print!("{}", report.to_text());
            if let Some(here) = here {
                print!("{}", here.text);
            }
        }
        (ReportFormat::Json, None) => println!("{}", report.to_json()),
        (ReportFormat::Json, Some(here)) => {
            let mut body: serde_json::Value =
                serde_json::from_str(&report.to_json()).expect("the report is JSON");
            body["clients"] = here.clients.clone();
            println!(
                "{}",
                serde_json::to_string_pretty(&body).expect("plain values serialise")
            );
        }
    }
}

/// What `serve` refuses about grants over chains ([`crate::config::grants`]), with the IMDS
/// listener as `serve` would read it from this environment.
fn chain_grant_problems(
    file: &crate::config::file::FileConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<String> {
    let imds_role = env("ROLEHOP_IMDS_LISTEN").map(|_| {
        env("ROLEHOP_IMDS_ROLE").unwrap_or_else(|| crate::role_name::DEFAULT_ROLE.to_owned())
    });
    crate::config::grants::problems(
        &file.roles,
        &file.clients,
        imds_role.as_deref(),
        &file.imds_shared,
    )
}

/// `--fix`: each corrected document once, beside the file checked, and the command that
/// applies it (on stderr with `--format json`, whose stdout is the report alone).
fn write_fixes(report: &Report, format: ReportFormat) -> Result<(), CmdError> {
    let mut written: Vec<&str> = Vec::new();
    let mut lines = String::new();
    for fix in report.findings.iter().filter_map(|f| f.fix.as_ref()) {
        if written.contains(&fix.file.as_str()) {
            continue;
        }
        let text = serde_json::to_string_pretty(&fix.policy).expect("plain values serialise");
        std::fs::write(&fix.file, text + "\n")
            .map_err(|e| CmdError::failure(format!("--fix: cannot write {}: {e}", fix.file)))?;
        written.push(&fix.file);
        lines.push_str(&format!(
            "\nrolehop check --fix: wrote {}; apply it with:\n  {}\n",
            fix.file, fix.command
        ));
    }
    if written.is_empty() {
        lines = "\nrolehop check --fix: no policy to correct\n".into();
    }
    match format {
        ReportFormat::Text => print!("{lines}"),
        ReportFormat::Json => eprint!("{lines}"),
    }
    Ok(())
}
