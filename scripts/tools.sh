# Sourced by scripts/test and scripts/demo: installs moto, the AWS CLI and boto3 from
# tests/requirements.txt into .tools/venv (once per change of that file) and puts them first
# on PATH, then the differential test's oracle (scripts/oracle-tools.sh). Needs python3 with
# venv and pip, and access to PyPI. Defines the two installers the other tool scripts use.

# rolehop_venv NAME REQUIREMENTS WHAT: a virtualenv .tools/NAME holding REQUIREMENTS (a path
# under the repository), made anew whenever that file changes.
rolehop_venv() {
    local root venv req stamp
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    venv="$root/.tools/$1"
    req="$root/$2"
    stamp="$venv/.installed-$(sha256sum "$req" | cut -c1-16)"
    [ -f "$stamp" ] && return 0
    echo "scripts/tools.sh: installing $3 into .tools/$1" >&2
    rm -rf "$venv"
    python3 -m venv "$venv" || {
        echo "scripts/tools.sh: python3 -m venv failed; install python3-venv" >&2
        return 1
    }
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" || {
        echo "scripts/tools.sh: pip could not install $2; check access to PyPI" >&2
        return 1
    }
    touch "$stamp"
}

# rolehop_npm NAME PACKAGE_DIR WHAT: `npm ci` of PACKAGE_DIR's package.json and
# package-lock.json (a directory under the repository) into .tools/NAME, made anew whenever
# either file changes.
rolehop_npm() {
    local root dir src stamp
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    dir="$root/.tools/$1"
    src="$root/$2"
    stamp="$dir/.installed-$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-16)"
    [ -f "$stamp" ] && return 0
    if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
        echo "scripts/tools.sh: node and npm are needed for $3; install them (apt-get install nodejs npm)" >&2
        return 1
    fi
    echo "scripts/tools.sh: installing $3 into .tools/$1" >&2
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$src/package.json" "$src/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) || {
        echo "scripts/tools.sh: npm ci could not install $2/package-lock.json; check access to the npm registry" >&2
        return 1
    }
    touch "$stamp"
}

rolehop_tools() {
    rolehop_venv venv tests/requirements.txt "moto, the AWS CLI and boto3" || return 1
    export PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools/venv/bin:$PATH"
}
rolehop_tools
# The differential test's IAM oracle (node, test-only).
source "$(dirname "${BASH_SOURCE[0]}")/oracle-tools.sh"
