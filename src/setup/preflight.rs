//! The parts of `commands.sh` that keep it from damaging an account: it changes a role that
//! exists only by adding to it, it checks every precondition of a section before that section's
//! first write, and it says what was and was not done when it stops.
//!
//! - **Merge, never replace.** `ensure_role` and `put_policy` read the document a role already
//!   has and run `rolehop merge-policy` (the binary that wrote the script, `ROLEHOP` to use
//!   another), which appends only the statements setup needs that are missing and shows each on
//!   stderr before the script applies it; a document that has them all is left alone, so a
//!   second run changes nothing. `REPLACE_POLICIES=yes` replaces the whole document instead.
//!   Merging JSON needs a JSON tool, and the one sure to be at hand is rolehop itself (`jq` is
//!   not on every machine, and a second implementation of the merge rule in jq would be a second
//!   copy of it).
//! - **Preflight.** Before a section writes anything, STS says which account each profile acts
//!   in (the source profile must be in the task role's account, each hop's in that hop's), the
//!   roles that must already exist exist (the execution role without `--ecs-roles`), the secret
//!   given with `--token-secret-arn` exists, and rolehop runs. Every problem is printed; any one
//!   stops the script with nothing changed. `sh commands.sh` checks every section before the
//!   first; `sh commands.sh SECTION` checks that one.
//! - **Sections one process each.** `all` runs each section as its own `sh` (so `set -e` holds in
//!   it) and, when one fails, says which sections are done, which stopped and which did not run.

use super::shell::{hop_section, quote};
use super::{Setup, TokenSecret};

/// The variables and shell functions of this part of the script.
pub fn helpers(setup: &Setup) -> String {
    let rolehop = std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(str::to_owned))
        .unwrap_or_else(|| "rolehop".into());
    let mut s = String::new();
    s.push_str(
        "\n# ROLEHOP: the rolehop binary that merges setup's statements into the policies of roles that\n\
         # exist (default: the one that wrote this script). REPLACE_POLICIES=yes replaces those\n\
         # documents with setup's instead, removing every other statement: only on purpose.\n",
    );
    s.push_str(&format!("ROLEHOP=${{ROLEHOP:-{}}}\n", quote(&rolehop)));
    s.push_str("REPLACE_POLICIES=${REPLACE_POLICIES:-}\n");
    s.push_str(SHELL);
    s.push_str(&checks(setup));
    s
}

const SHELL: &str = r#"
# policy_update WHAT CURRENT_FILE WANTED_FILE: prints the name of a temporary file holding the
# document to put (CURRENT with WANTED's missing statements, each shown on stderr; or WANTED with
# REPLACE_POLICIES=yes), or nothing when CURRENT already has every statement of WANTED.
policy_update() {
    update=$(mktemp)
    if [ "$REPLACE_POLICIES" = yes ]; then
        echo "rolehop setup: $1: replacing the whole document with $3 (REPLACE_POLICIES=yes); it was (external ids redacted):" >&2
        sed 's/\("[Ss][Tt][Ss]:[Ee][Xx][Tt][Ee][Rr][Nn][Aa][Ll][Ii][Dd]"[[:space:]]*:[[:space:]]*\)"[^"]*"/\1"** redacted **"/' "$2" >&2
        cp "$3" "$update"
    elif ! "$ROLEHOP" merge-policy --current "$2" --add "$3" --what "$1" >"$update"; then
        rm -f "$update"
        return 1
    fi
    if [ -s "$update" ]; then
        printf '%s\n' "$update"
    else
        rm -f "$update"
    fi
}

# ensure_role PROFILE NAME PATH TRUST_FILE: create the role with TRUST_FILE; when it exists, add
# the statements of TRUST_FILE its trust policy lacks, keeping every statement already there.
ensure_role() {
    current=$(mktemp)
    if err=$(aws_as "$1" iam get-role --role-name "$2" --query Role.AssumeRolePolicyDocument --output json 2>&1 >"$current"); then
        update=$(policy_update "role $2's trust policy" "$current" "$4")
        rm -f "$current"
        if [ -z "$update" ]; then
            echo "rolehop setup: role $2 exists and its trust policy has every statement of $4; unchanged"
            return 0
        fi
        echo "rolehop setup: role $2 exists; updating its trust policy"
        retry aws_as "$1" iam update-assume-role-policy --role-name "$2" --policy-document "file://$update"
        rm -f "$update"
        return 0
    fi
    rm -f "$current"
    case $err in
    *NoSuchEntity*)
        echo "rolehop setup: creating role $2 with $4"
        retry aws_as "$1" iam create-role --role-name "$2" --path "$3" --assume-role-policy-document "file://$4"
        ;;
    *)
        printf '%s\n' "$err" >&2
        return 1
        ;;
    esac
}

# put_policy PROFILE ROLE POLICY_NAME FILE: the role's inline policy of that name: FILE when the
# role has none, else the statements of FILE it lacks added to it.
put_policy() {
    current=$(mktemp)
    if err=$(aws_as "$1" iam get-role-policy --role-name "$2" --policy-name "$3" --query PolicyDocument --output json 2>&1 >"$current"); then
        update=$(policy_update "role $2's inline policy $3" "$current" "$4")
        rm -f "$current"
        if [ -z "$update" ]; then
            echo "rolehop setup: role $2's inline policy $3 has every statement of $4; unchanged"
            return 0
        fi
        echo "rolehop setup: updating role $2's inline policy $3"
        aws_as "$1" iam put-role-policy --role-name "$2" --policy-name "$3" --policy-document "file://$update"
        rm -f "$update"
        return 0
    fi
    rm -f "$current"
    case $err in
    *NoSuchEntity*)
        echo "rolehop setup: putting $4 on role $2 as $3"
        aws_as "$1" iam put-role-policy --role-name "$2" --policy-name "$3" --policy-document "file://$4"
        ;;
    *)
        printf '%s\n' "$err" >&2
        return 1
        ;;
    esac
}

# problem TEXT: one precondition that does not hold.
problem() {
    echo "rolehop setup: $*" >&2
    problems=$((problems + 1))
}

# expect_account PROFILE VARIABLE ACCOUNT WHAT: the profile acts in ACCOUNT (STS says).
expect_account() {
    if ! got=$(aws_as "$1" sts get-caller-identity --query Account --output text 2>&1); then
        problem "cannot tell which account $2 (${1:-the default credentials}) acts in: $got"
    elif [ "$got" != "$3" ]; then
        problem "$2 (${1:-the default credentials}) acts in account $got, but $4 is in account $3; set $2 to a profile of account $3"
    fi
}

# require_role PROFILE NAME ACCOUNT FIX: the role exists.
require_role() {
    if ! err=$(aws_as "$1" iam get-role --role-name "$2" 2>&1 >/dev/null); then
        case $err in
        *NoSuchEntity*) problem "role $2 does not exist in account $3; $4" ;;
        *) problem "cannot read role $2 in account $3: $err" ;;
        esac
    fi
}

# require_secret PROFILE ARN: the secret exists.
require_secret() {
    if ! err=$(aws_as "$1" secretsmanager describe-secret --secret-id "$2" 2>&1 >/dev/null); then
        problem "cannot find the token secret $2 given to rolehop setup: $err"
    fi
}

# preflight CHECK...: every check of the sections about to run; any problem stops the script
# before its first change.
preflight() {
    problems=0
    if [ "$REPLACE_POLICIES" != yes ] && ! "$ROLEHOP" --version >/dev/null 2>&1; then
        problem "cannot run $ROLEHOP, which merges setup's statements into roles that exist; set ROLEHOP to a rolehop binary (or REPLACE_POLICIES=yes to replace their policies instead)"
    fi
    for check in "$@"; do
        "$check"
    done
    if [ "$problems" -gt 0 ]; then
        echo "rolehop setup: changed nothing: $problems problem(s) above; fix them and run again" >&2
        exit 1
    fi
}

# section CHECK FUNCTION: one section, its checks first (unless `all` has run them).
section() {
    [ "${PREFLIGHT_DONE:-}" = yes ] || preflight "$1"
    "$2"
}

# run_sections SECTION...: each section as its own sh (set -e holds in it); when one fails, say
# what was and was not done.
run_sections() {
    done_sections=
    while [ $# -gt 0 ]; do
        if ! PREFLIGHT_DONE=yes sh "./$(basename "$0")" "$1"; then
            shift
            echo "rolehop setup: section $1 stopped at the error above; done: ${done_sections:-no section}; in $1, the steps printed before the error were done; not run: ${*:-none}. Fix the error and run again: what is done is kept" >&2
            exit 1
        fi
        done_sections="$done_sections $1"
        shift
    done
}
"#;

/// (check function, section function, section argument) of every section, in order.
fn sections(setup: &Setup) -> Vec<(String, String, String)> {
    std::iter::once(("source_account".to_owned(), "source".to_owned()))
        .chain((0..setup.hops.len()).map(|i| {
            let (function, arg, _) = hop_section(setup, i);
            (function, arg)
        }))
        .map(|(function, arg)| (format!("check_{function}"), function, arg))
        .collect()
}

/// One check function per section: what must hold before its first write.
fn checks(setup: &Setup) -> String {
    let mut s = String::new();
    let account = setup.account();
    s.push_str(&format!(
        "\n# What account {account} must have before the source section changes anything.\ncheck_source_account() {{\n"
    ));
    s.push_str(&format!(
        "    expect_account \"$SOURCE_PROFILE\" SOURCE_PROFILE {account} {}\n",
        quote(&format!("the task role {}", setup.source_role.name()))
    ));
    if !setup.creates_execution_role() {
        s.push_str(&format!(
            "    require_role \"$SOURCE_PROFILE\" {} {account} {}\n",
            quote(setup.execution_role.name()),
            quote("create it, or run rolehop setup again with --ecs-roles (its commands.sh creates it) or --execution-role-arn")
        ));
    }
    if let TokenSecret::Existing { arn } = &setup.token_secret {
        s.push_str(&format!(
            "    require_secret \"$SOURCE_PROFILE\" {}\n",
            quote(arn)
        ));
    }
    s.push_str("}\n");
    for (i, hop) in setup.hops.iter().enumerate() {
        let (function, _, var) = hop_section(setup, i);
        s.push_str(&format!(
            "\ncheck_{function}() {{\n    expect_account \"${var}\" {var} {} {}\n}}\n",
            hop.account_id(),
            quote(&format!("the role {}", hop.name()))
        ));
    }
    s
}

/// The end of the script: `sh commands.sh [all|SECTION]`, each checked before it runs.
pub fn dispatch(setup: &Setup) -> String {
    let sections = sections(setup);
    let all_checks: Vec<&str> = sections.iter().map(|(c, _, _)| c.as_str()).collect();
    let all_args: Vec<&str> = sections.iter().map(|(_, _, a)| a.as_str()).collect();
    let mut s = String::from("\ncase ${1:-all} in\nall)\n");
    s.push_str(&format!("    preflight {}\n", all_checks.join(" ")));
    s.push_str(&format!("    run_sections {}\n", all_args.join(" ")));
    s.push_str("    ;;\n");
    for (check, function, arg) in &sections {
        s.push_str(&format!("{arg}) section {check} {function} ;;\n"));
    }
    s.push_str(&format!(
        "*)\n    echo \"usage: sh commands.sh [all|{}]\" >&2\n    exit 64\n    ;;\nesac\n",
        all_args.join("|")
    ));
    s
}
