# Sourced by scripts/test after scripts/tools.sh: installs the extra AWS SDKs tests/sdks.rs
# measures for docs/SDKS.md, each once per change of its lock file (the tests find them there).
#   .tools/venv-boto3-2023  boto3 from 2023 (tests/requirements-boto3-2023.txt)
#   .tools/sdk-js           the JavaScript SDK v3, current and 2023, side by side under aliases
#                           (tests/sdk-js/package.json and its package-lock.json; npm ci)
#   ruby + aws-sdk-core     Debian's packages (apt-get; needs root, as CI has)
# The current boto3 and the AWS CLI v1 come from scripts/tools.sh; the Rust SDK is aws-config.

rolehop_sdk_tools() {
    local root venv req stamp js lock
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

    venv="$root/.tools/venv-boto3-2023"
    req="$root/tests/requirements-boto3-2023.txt"
    stamp="$venv/.installed-$(sha256sum "$req" | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        echo "scripts/sdk-tools.sh: installing boto3 from 2023 into .tools/venv-boto3-2023" >&2
        rm -rf "$venv"
        python3 -m venv "$venv" &&
            "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" || {
            echo "scripts/sdk-tools.sh: could not install $req into $venv; check python3-venv and access to PyPI" >&2
            return 1
        }
        touch "$stamp"
    fi

    js="$root/.tools/sdk-js"
    lock="$root/tests/sdk-js/package-lock.json"
    stamp="$js/.installed-$(cat "$root/tests/sdk-js/package.json" "$lock" | sha256sum | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        echo "scripts/sdk-tools.sh: installing the JavaScript SDK v3 (two releases) into .tools/sdk-js" >&2
        command -v npm >/dev/null || {
            echo "scripts/sdk-tools.sh: npm is not on PATH; install Node.js 20 or later with npm" >&2
            return 1
        }
        rm -rf "$js"
        mkdir -p "$js"
        cp "$root/tests/sdk-js/package.json" "$lock" "$js/"
        (cd "$js" && npm ci --quiet --no-audit --no-fund >/dev/null) || {
            echo "scripts/sdk-tools.sh: npm ci failed in $js; check access to the npm registry" >&2
            return 1
        }
        touch "$stamp"
    fi

    if ! ruby -e 'require "aws-sdk-core"' >/dev/null 2>&1; then
        echo "scripts/sdk-tools.sh: installing Debian's ruby and ruby-aws-sdk-core (apt-get)" >&2
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ruby ruby-aws-sdk-core; } >/dev/null || {
            echo "scripts/sdk-tools.sh: apt-get could not install ruby and ruby-aws-sdk-core; install them (as root) or run on Debian 12" >&2
            return 1
        }
    fi
}
rolehop_sdk_tools
