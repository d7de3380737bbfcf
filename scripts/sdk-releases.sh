# Sourced by scripts/sdk-tools.sh and scripts/sdk-bisect.sh (after scripts/tools.sh, whose
# .tools/venv it uses): installs one past release of a client into .tools/releases, once.
#
#   rolehop_sdk_release botocore VERSION   .tools/releases/botocore-VERSION (pip --target)
#   rolehop_sdk_release awscli VERSION     .tools/releases/awscli-VERSION, with the botocore
#                                          that release pins
#   rolehop_sdk_release credential-provider-node VERSION
#                                          .tools/releases/credential-provider-node-VERSION:
#                                          the JavaScript SDK v3's default chain (npm), with
#                                          the dependencies that release pins
#
# A Python one is a directory to put first on PYTHONPATH (tests/sdk-probe/botocore_probe.py
# measures it), a JavaScript one a directory to resolve from (tests/sdk-probe/js_probe.cjs).
# A release is installed once and kept (a release never changes), so CI pays for it only when
# the cache of .tools is cold.

rolehop_sdk_release() {
    local root dir pip
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    dir="$root/.tools/releases/$1-$2"
    [ -f "$dir/.installed" ] && return 0
    pip="$root/.tools/venv/bin/pip"
    [ -x "$pip" ] || {
        echo "scripts/sdk-releases.sh: .tools/venv is missing; source scripts/tools.sh first" >&2
        return 1
    }
    echo "scripts/sdk-releases.sh: installing $1 $2 into .tools/releases/$1-$2" >&2
    rm -rf "$dir"
    case "$1" in
        botocore | awscli)
            "$pip" install --quiet --disable-pip-version-check --no-compile --no-warn-conflicts --target "$dir" "$1==$2" >/dev/null
            ;;
        credential-provider-node)
            npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error "@aws-sdk/$1@$2" >/dev/null
            ;;
        *)
            echo "scripts/sdk-releases.sh: unknown package $1 (botocore, awscli or credential-provider-node)" >&2
            false
            ;;
    esac || {
        echo "scripts/sdk-releases.sh: could not install $1 $2; check access to PyPI or npm" >&2
        rm -rf "$dir"
        return 1
    }
    touch "$dir/.installed"
}
