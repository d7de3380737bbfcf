# Sourced by scripts/test and scripts/demo: installs moto, the AWS CLI and boto3 from
# tests/requirements.txt into .tools/venv (once per change of that file) and puts them first
# on PATH. Needs python3 with venv and pip, and access to PyPI.

rolehop_tools() {
    local root venv req stamp
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    venv="$root/.tools/venv"
    req="$root/tests/requirements.txt"
    stamp="$venv/.installed-$(sha256sum "$req" | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        echo "scripts/tools.sh: installing moto, the AWS CLI and boto3 into .tools/venv" >&2
        rm -rf "$venv"
        python3 -m venv "$venv" || {
            echo "scripts/tools.sh: python3 -m venv failed; install python3-venv" >&2
            return 1
        }
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" || {
            echo "scripts/tools.sh: pip could not install tests/requirements.txt; check access to PyPI" >&2
            return 1
        }
        touch "$stamp"
    fi
    export PATH="$venv/bin:$PATH"
}
rolehop_tools
# The differential test's IAM oracle (node, test-only).
source "$(dirname "${BASH_SOURCE[0]}")/oracle-tools.sh"
