# Sourced by scripts/tools.sh: installs the differential test's oracle, the independent IAM
# evaluator @cloud-copilot/iam-simulate pinned by tests/support/iam_oracle/package-lock.json,
# into .tools/iam-oracle (once per change of its package files) and exports ROLEHOP_IAM_ORACLE
# (the node_modules directory tests/check_differential.rs runs the oracle with). Needs node
# and npm, and access to the npm registry. Test-only: the oracle is AGPL and never part of
# rolehop's build or image.

rolehop_oracle_tools() {
    rolehop_npm iam-oracle tests/support/iam_oracle \
        "the differential test's IAM oracle (@cloud-copilot/iam-simulate)" || return 1
    export ROLEHOP_IAM_ORACLE
    ROLEHOP_IAM_ORACLE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools/iam-oracle/node_modules"
}
rolehop_oracle_tools
