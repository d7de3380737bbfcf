# Sourced by scripts/test after scripts/tools.sh (whose rolehop_venv and rolehop_npm it uses):
# installs the extra AWS SDKs tests/sdks.rs
# measures for docs/SDKS.md, each once per change of its lock file (the tests find them there).
#   .tools/venv-boto3-2023  boto3 from 2023 (tests/requirements-boto3-2023.txt)
#   .tools/sdk-js           the JavaScript SDK v3, current and 2023, side by side under aliases
#                           (tests/sdk-js/package.json and its package-lock.json; npm ci)
#   ruby + aws-sdk-core     Debian's packages (apt-get; needs root, as CI has)
#   .tools/sdk-go/v1, v2    tests/sdk-go/{v1,v2}/main.go compiled against Debian's Go SDKs
#                           (golang-github-aws-aws-sdk-go-dev and -v2-dev, GOPATH mode, offline),
#                           rebuilt when a source or the packages' version changes
#   .tools/releases/botocore-1.31.85, -1.32.0
#                           the two botocore releases either side of the boundary tests/sdks.rs
#                           holds (src/sdk.rs, BOUNDARIES), through scripts/sdk-releases.sh
# The current boto3 and the AWS CLI v1 come from scripts/tools.sh; the Rust SDK is aws-config.

source "$(dirname "${BASH_SOURCE[0]}")/sdk-releases.sh"

rolehop_sdk_tools() {
    rolehop_venv venv-boto3-2023 tests/requirements-boto3-2023.txt "boto3 from 2023" || return 1
    rolehop_npm sdk-js tests/sdk-js "the JavaScript SDK v3 (two releases)" || return 1
    rolehop_sdk_release botocore 1.31.85 || return 1
    rolehop_sdk_release botocore 1.32.0 || return 1

    if ! ruby -e 'require "aws-sdk-core"' >/dev/null 2>&1; then
        echo "scripts/sdk-tools.sh: installing Debian's ruby and ruby-aws-sdk-core (apt-get)" >&2
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ruby ruby-aws-sdk-core; } >/dev/null || {
            echo "scripts/sdk-tools.sh: apt-get could not install ruby and ruby-aws-sdk-core; install them (as root) or run on Debian 12" >&2
            return 1
        }
    fi

    if ! dpkg -s golang-go golang-github-aws-aws-sdk-go-dev golang-github-aws-aws-sdk-go-v2-dev >/dev/null 2>&1; then
        echo "scripts/sdk-tools.sh: installing Debian's Go and its Go SDKs v1 and v2 (apt-get)" >&2
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go golang-github-aws-aws-sdk-go-dev golang-github-aws-aws-sdk-go-v2-dev; } >/dev/null || {
            echo "scripts/sdk-tools.sh: apt-get could not install golang-go and Debian's Go SDKs; install them (as root) or run on Debian 12" >&2
            return 1
        }
    fi
    local version stamp
    version=$(dpkg-query -W -f '${Version} ' golang-go golang-github-aws-aws-sdk-go-dev golang-github-aws-aws-sdk-go-v2-dev)
    for v in v1 v2; do
        stamp="$version $(sha256sum "tests/sdk-go/$v/main.go" | cut -d' ' -f1)"
        if [ -x ".tools/sdk-go/$v" ] && [ "$(cat ".tools/sdk-go/$v.stamp" 2>/dev/null)" = "$stamp" ]; then
            continue
        fi
        echo "scripts/sdk-tools.sh: building the Go SDK $v test program" >&2
        mkdir -p .tools/sdk-go
        (cd "tests/sdk-go/$v" && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE="$PWD/../../../.tools/sdk-go/cache" go build -o "../../../.tools/sdk-go/$v" .) || {
            echo "scripts/sdk-tools.sh: could not build tests/sdk-go/$v; see the go output above" >&2
            return 1
        }
        printf '%s' "$stamp" > ".tools/sdk-go/$v.stamp"
    done
}
rolehop_sdk_tools
