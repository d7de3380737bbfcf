//! `commands.sh`: the `aws iam`, `aws secretsmanager` and `aws ecs` commands that create or
//! update the roles, the token secret and the task definition, in dependency order (a trust
//! policy can only name a role that exists, so the source account comes first, then each hop).
//!
//! POSIX sh with `set -eu`. One function per account, each run with that account's
//! credentials: `SOURCE_PROFILE`, `HOP1_PROFILE`... for the hops before the last, and
//! `DESTINATION_PROFILE`, each passed to `--profile` when set (else the CLI's default chain).
//! Safe to run again: a role that exists gets only the statements it lacks (its trust policy and
//! inline policies are merged, never replaced; see [`super::preflight`], which also checks each
//! section's accounts and preconditions first), managed policies attached again (no-ops), the
//! secret is created only when missing. Registering the task definition makes a new revision
//! each run.

use super::policies::{self, EXECUTION_ROLE_POLICY_FILE, EXECUTION_ROLE_POLICY_NAME};
use super::shell::{hop_section, quote};
use super::{Setup, TokenSecret, preflight, task};
use crate::arn::RoleArn;

pub const FILE: &str = "commands.sh";

/// The IAM path of a role ARN (`/` when it has none): `role/team/app/NAME` → `/team/app/`.
pub fn role_path(arn: &RoleArn) -> String {
    let resource = arn.as_str().splitn(6, ':').nth(5).unwrap_or_default();
    let path = resource.trim_start_matches("role/");
    match path.rsplit_once('/') {
        Some((dirs, _)) => format!("/{dirs}/"),
        None => "/".into(),
    }
}

const HELPERS: &str = r#"# aws_as PROFILE ARGS...: the AWS CLI with that profile, or its default credentials when empty.
aws_as() {
    profile=$1
    shift
    if [ -n "$profile" ]; then
        aws --profile "$profile" --region "$REGION" "$@"
    else
        aws --region "$REGION" "$@"
    fi
}

# retry CMD...: a role created a moment ago may not yet be accepted as a principal in another
# account's trust policy ("Invalid principal"); retry that for a minute, fail on anything else.
retry() {
    attempt=1
    until err=$("$@" 2>&1 >/dev/null); do
        case $err in
        *"Invalid principal"*)
            if [ "$attempt" -lt 12 ]; then
                attempt=$((attempt + 1))
                sleep 5
                continue
            fi
            ;;
        esac
        printf '%s\n' "$err" >&2
        return 1
    done
}

# attach_policy PROFILE ROLE POLICY_ARN: attaching an attached managed policy is a no-op.
attach_policy() {
    echo "rolehop setup: attaching $3 to role $2"
    aws_as "$1" iam attach-role-policy --role-name "$2" --policy-arn "$3"
}

# ensure_random_secret PROFILE NAME WHAT DESCRIPTION: create the secret unless it exists. The
# value is 32 random bytes as 64 hex digits without a trailing newline (the SDKs do not trim
# tokens), written to a private temporary file and read by the CLI from there: never in argv,
# never printed.
ensure_random_secret() {
    if err=$(aws_as "$1" secretsmanager describe-secret --secret-id "$2" 2>&1 >/dev/null); then
        echo "rolehop setup: secret $2 exists; keeping its value"
        return 0
    fi
    case $err in
    *ResourceNotFoundException*) ;;
    *)
        printf '%s\n' "$err" >&2
        return 1
        ;;
    esac
    echo "rolehop setup: creating secret $2 with a random $3"
    token_file=$(umask 077 && mktemp)
    trap 'rm -f "$token_file"' EXIT
    od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$token_file"
    aws_as "$1" secretsmanager create-secret --name "$2" --description "$4" \
        --secret-string "file://$token_file" >/dev/null
    rm -f "$token_file"
    trap - EXIT
}

# ensure_token_secret PROFILE NAME: the clients' token secret.
ensure_token_secret() {
    ensure_random_secret "$1" "$2" token 'rolehop: the token the app sends to the rolehop sidecar'
}

# ensure_external_id_secret PROFILE NAME: a per-container role's external id, which only the
# rolehop container receives (the task definition's secrets) and the role's trust policy requires.
ensure_external_id_secret() {
    ensure_random_secret "$1" "$2" 'external id' 'rolehop: the external id only the rolehop container holds, which the container'"'"'s role requires'
}

# with_external_id SECRET TRUST_FILE: $filled, a private temporary copy of TRUST_FILE with the
# placeholder for SECRET replaced by SECRET's value (read with SOURCE_PROFILE's credentials),
# removed on exit. The value goes from the CLI's output into the file through the shell's own
# read and printf: never in an argument, never printed.
with_external_id() {
    filled=$(umask 077 && mktemp)
    trap 'rm -f "$filled"' EXIT
    aws_as "$SOURCE_PROFILE" secretsmanager get-secret-value --secret-id "$1" \
        --query SecretString --output text >"$filled"
    external_id=
    IFS= read -r external_id <"$filled" || true
    if [ -z "$external_id" ]; then
        echo "rolehop setup: secret $1 is empty; delete it and run the source section again" >&2
        return 1
    fi
    placeholder="$EXTERNAL_ID_PLACEHOLDER$1"
    document=$(cat -- "$2")
    case $document in
    *"$placeholder"*) ;;
    *)
        echo "rolehop setup: $2 does not hold the external id placeholder of secret $1; run rolehop setup again" >&2
        return 1
        ;;
    esac
    printf '%s\n' "${document%%"$placeholder"*}$external_id${document#*"$placeholder"}" >"$filled"
    external_id=
    document=
}

# require_external_id PROFILE ROLE ROLE_ARN TASK_ROLE_ARN IDENTITY_FILE: the role's trust policy,
# as IAM now holds it, does not let the task role assume it without the external id (rolehop
# check's evaluator, which exits 1 on a denial). A statement kept from before that trusts the
# task role alone would let every app container, which can fetch the task role's credentials,
# assume the role itself.
require_external_id() {
    if ! "$ROLEHOP" --version >/dev/null 2>&1; then
        echo "rolehop setup: cannot run $ROLEHOP to check that role $2 requires its external id; check its trust policy by hand: every statement trusting $4 must require sts:ExternalId" >&2
        return 0
    fi
    current=$(umask 077 && mktemp)
    aws_as "$1" iam get-role --role-name "$2" --query Role.AssumeRolePolicyDocument --output json >"$current"
    code=0
    "$ROLEHOP" check --trust-policy "$current" --identity-policy "$5" --role-arn "$3" \
        --source-role-arn "$4" >/dev/null 2>&1 || code=$?
    rm -f "$current"
    if [ "$code" -ne 1 ]; then
        echo "rolehop setup: role $2's trust policy lets $4 assume it without the external id (a statement it had before, kept by the merge), so every app container could assume $2 itself; remove that statement, or run again with REPLACE_POLICIES=yes" >&2
        return 1
    fi
    echo "rolehop setup: role $2 requires its external id: the task role's credentials alone cannot assume it"
}
"#;

/// ECS Exec (`crate::ecs_exec`): the task role's statement is in identity-policy.json, but
/// the service or task must also be started with `--enable-execute-command`, which is not part
/// of a task definition; say so, with the command that diagnoses the running task.
fn ecs_exec_lines(setup: &Setup) -> String {
    if !setup.ecs_exec {
        return String::new();
    }
    let td = task::task_definition(setup);
    let Some((container, command)) = crate::check::ecs_exec::diagnosis(&td) else {
        return String::new();
    };
    let family = &setup.family;
    let lines = [
        "ECS Exec: start the task with it enabled, e.g.".to_owned(),
        format!(
            "  aws ecs create-service --cluster CLUSTER --service-name {family} --task-definition {family} --enable-execute-command ... (aws ecs update-service --enable-execute-command --force-new-deployment for a running service; aws ecs run-task --enable-execute-command for a task)"
        ),
        "then diagnose inside the running task with:".to_owned(),
        format!(
            "  aws ecs execute-command --cluster CLUSTER --task TASK_ID --container {container} --interactive --command \"{command}\""
        ),
    ];
    let mut out = String::new();
    for line in lines {
        out.push_str(&format!(
            "    echo {}\n",
            quote(&format!("rolehop setup: {line}"))
        ));
    }
    out
}

/// The whole script: its header, the helpers, one function per account, and the dispatch.
pub fn script(setup: &Setup) -> String {
    let mut s = header(setup);
    s.push_str(HELPERS);
    s.push_str(&preflight::helpers(setup));
    s.push_str(&source_account(setup));
    for i in 0..setup.hops.len() {
        s.push_str(&hop_account(setup, i));
    }
    s.push_str(&preflight::dispatch(setup));
    s
}

/// The comment that says what the script does and in which order, and its variables.
fn header(setup: &Setup) -> String {
    let mut s = String::new();
    let account = setup.account();
    s.push_str("#!/bin/sh\n");
    s.push_str(&format!(
        "# Generated by `rolehop setup` (rolehop {}): creates or updates the IAM roles of a\n",
        env!("CARGO_PKG_VERSION")
    ));
    s.push_str(
        "# cross-account rolehop setup and registers its ECS task definition, from the files beside\n\
         # this script (every policy passed `rolehop check` before it was written).\n#\n\
         # Each section runs with one account's credentials: set the profile for each (or leave it\n\
         # empty for the AWS CLI's default credentials), then run every section in order with\n\
         # `sh commands.sh`, or one at a time with `sh commands.sh SECTION` in this order:\n",
    );
    s.push_str(&format!(
        "#   source       SOURCE_PROFILE       account {account}: {} (the task role){}, the token secret, the task definition\n",
        setup.source_role.name(),
        setup
            .service_roles
            .iter()
            .map(|r| format!(", {}", r.arn.name()))
            .collect::<String>(),
    ));
    for (i, hop) in setup.hops.iter().enumerate() {
        let (_, arg, var) = hop_section(setup, i);
        s.push_str(&format!(
            "#   {arg:<12} {var:<20} account {}: {}\n",
            hop.account_id(),
            hop.name()
        ));
    }
    s.push_str(
        "#\n# Safe to run again: before a section changes anything it checks which account each\n\
         # profile acts in and that what must exist exists (else it changes nothing); a role that\n\
         # exists keeps every statement of its trust and inline policies and gets only those it\n\
         # lacks (shown first; REPLACE_POLICIES=yes replaces them), attaching an attached managed\n\
         # policy changes nothing, and the token secret is created only when missing. Registering\n\
         # the task definition makes a new revision on every run.\n",
    );
    // `$(...)` drops trailing newlines, which a directory's name may end with: the `.` keeps
    // them, and `%??` then drops dirname's own newline and the `.`.
    s.push_str("set -eu\nhere=$(dirname -- \"$0\"; echo .)\ncd -- \"${here%??}\"\n\n");
    s.push_str(&format!("REGION={}\n", quote(&setup.region)));
    s.push_str("SOURCE_PROFILE=${SOURCE_PROFILE:-}\n");
    if setup.per_container() {
        s.push_str(&format!(
            "# What each trust-policy file holds where its role's external id goes, before the secret's name.\nEXTERNAL_ID_PLACEHOLDER={}\n",
            quote(policies::EXTERNAL_ID_PLACEHOLDER)
        ));
    }
    for i in 0..setup.hops.len() {
        let (_, _, var) = hop_section(setup, i);
        s.push_str(&format!("{var}=${{{var}:-}}\n"));
    }
    s.push('\n');
    s
}

/// The source account's function: the task role, the service roles, the token secrets and the
/// task definition.
fn source_account(setup: &Setup) -> String {
    let mut s = String::new();
    let account = setup.account();
    let p = "\"$SOURCE_PROFILE\"";
    let task_role = quote(setup.source_role.name());
    s.push_str(&format!(
        "\n# Account {account}, with SOURCE_PROFILE's credentials.\nsource_account() {{\n"
    ));
    s.push_str(&format!(
        "    ensure_role {p} {task_role} {} {}\n",
        quote(&role_path(&setup.source_role)),
        policies::TASK_ROLE_TRUST_FILE
    ));
    let task_role_hops = if setup.per_container() {
        setup.hops.len()
    } else {
        1
    };
    for (i, hop) in setup.hops.iter().enumerate().take(task_role_hops) {
        s.push_str(&format!(
            "    put_policy {p} {task_role} {} {}\n",
            quote(&policies::identity_policy_name(hop)),
            policies::identity_file(i)
        ));
    }
    for role in &setup.service_roles {
        let name = quote(role.arn.name());
        s.push_str(&format!(
            "    ensure_role {p} {name} {} {}\n",
            quote(&role_path(&role.arn)),
            policies::service_trust_file(role)
        ));
        for arn in &role.managed_policies {
            s.push_str(&format!("    attach_policy {p} {name} {}\n", quote(arn)));
        }
        if let Some((policy_name, file)) = &role.inline_policy {
            s.push_str(&format!(
                "    put_policy {p} {name} {} {file}\n",
                quote(policy_name)
            ));
        }
    }
    if !setup.creates_execution_role() {
        s.push_str(&format!(
            "    # {} must exist (rolehop setup --ecs-roles creates it).\n",
            setup.execution_role
        ));
    }
    s.push_str(&format!(
        "    put_policy {p} {} {} {EXECUTION_ROLE_POLICY_FILE}\n",
        quote(setup.execution_role.name()),
        quote(EXECUTION_ROLE_POLICY_NAME),
    ));
    s.push_str(&super::logs::put_line(setup));
    match &setup.token_secret {
        TokenSecret::Create { .. } if setup.per_container() => {
            for i in 0..setup.containers.len() {
                s.push_str(&format!(
                    "    ensure_token_secret {p} {}\n",
                    quote(&setup.container_secret_name(i))
                ));
                s.push_str(&format!(
                    "    ensure_external_id_secret {p} {}\n",
                    quote(&setup.external_id_secret_name(i))
                ));
            }
        }
        TokenSecret::Create { name } => {
            s.push_str(&format!("    ensure_token_secret {p} {}\n", quote(name)))
        }
        TokenSecret::Existing { arn } => s.push_str(&format!(
            "    # The token secret is {}, given to rolehop setup; it is left as it is.\n",
            quote(arn)
        )),
    }
    s.push_str(&ecs_exec_lines(setup));
    s.push_str(&format!(
        "    # Every registration makes a new revision of the family {}.\n\
         \x20   echo \"rolehop setup: registering {} (a new revision)\"\n\
         \x20   aws_as {p} ecs register-task-definition --cli-input-json file://{} \\\n\
         \x20       --query taskDefinition.taskDefinitionArn --output text\n}}\n",
        setup.family,
        task::TASK_DEFINITION_FILE,
        task::TASK_DEFINITION_FILE
    ));
    s
}

/// Hop `i`'s function, in the hop's own account: its role, trusting the caller before it.
fn hop_account(setup: &Setup, i: usize) -> String {
    let mut s = String::new();
    let hop = &setup.hops[i];
    let (function, _, var) = hop_section(setup, i);
    let p = format!("\"${var}\"");
    let name = quote(hop.name());
    s.push_str(&format!(
        "\n# Account {}, with {var}'s credentials: {} trusts {}.\n{function}() {{\n",
        hop.account_id(),
        hop.name(),
        setup.caller_of(i)
    ));
    if setup.per_container() {
        // The trust policy with the external id from its secret, in a file of its own.
        s.push_str(&format!(
            "    with_external_id {} {}\n    ensure_role {p} {name} {} \"$filled\"\n    rm -f \"$filled\"\n    trap - EXIT\n",
            quote(&setup.external_id_secret_name(i)),
            policies::trust_file(i),
            quote(&role_path(hop)),
        ));
        s.push_str(&format!(
            "    require_external_id {p} {name} {} {} {}\n",
            quote(hop.as_str()),
            quote(setup.source_role.as_str()),
            policies::identity_file(i)
        ));
    } else {
        s.push_str(&format!(
            "    ensure_role {p} {name} {} {}\n",
            quote(&role_path(hop)),
            policies::trust_file(i)
        ));
    }
    if let Some(next) = setup.hops.get(i + 1).filter(|_| !setup.per_container()) {
        s.push_str(&format!(
            "    put_policy {p} {name} {} {}\n",
            quote(&policies::identity_policy_name(next)),
            policies::identity_file(i + 1)
        ));
    }
    s.push_str("}\n");
    s
}
