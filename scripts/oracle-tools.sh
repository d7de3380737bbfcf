# Sourced by scripts/tools.sh: installs the differential test's oracle, the independent IAM
# evaluator @cloud-copilot/iam-simulate pinned by tests/support/iam_oracle/package-lock.json,
# into .tools/iam-oracle (once per change of that lock file) and exports ROLEHOP_IAM_ORACLE
# (the node_modules directory tests/check_differential.rs runs the oracle with). Needs node
# and npm, and access to the npm registry. Test-only: the oracle is AGPL and never part of
# rolehop's build or image.

rolehop_oracle_tools() {
    local root dir lock stamp
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    dir="$root/.tools/iam-oracle"
    lock="$root/tests/support/iam_oracle/package-lock.json"
    stamp="$dir/.installed-$(sha256sum "$lock" | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
            echo "scripts/oracle-tools.sh: node and npm are needed for the differential test's oracle; install them (apt-get install nodejs npm)" >&2
            return 1
        fi
        echo "scripts/oracle-tools.sh: installing the IAM oracle (@cloud-copilot/iam-simulate) into .tools/iam-oracle" >&2
        rm -rf "$dir"
        mkdir -p "$dir"
        cp "$root/tests/support/iam_oracle/package.json" "$lock" "$dir/"
        (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || {
            echo "scripts/oracle-tools.sh: npm ci could not install tests/support/iam_oracle/package-lock.json; check access to the npm registry" >&2
            return 1
        }
        touch "$stamp"
    fi
    export ROLEHOP_IAM_ORACLE="$dir/node_modules"
}
rolehop_oracle_tools
