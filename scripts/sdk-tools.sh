# Sourced by scripts/test after scripts/tools.sh (whose rolehop_venv and rolehop_npm it uses):
# installs the extra AWS SDKs tests/sdks.rs
# measures for docs/SDKS.md, each once per change of its lock file (the tests find them there).
#   .tools/venv-boto3-2023  boto3 from 2023 (tests/requirements-boto3-2023.txt)
#   .tools/sdk-js           the JavaScript SDK v3, current and 2023, side by side under aliases
#                           (tests/sdk-js/package.json and its package-lock.json; npm ci)
#   ruby + aws-sdk-core     Debian's packages (apt-get; needs root, as CI has)
# The current boto3 and the AWS CLI v1 come from scripts/tools.sh; the Rust SDK is aws-config.

rolehop_sdk_tools() {
    rolehop_venv venv-boto3-2023 tests/requirements-boto3-2023.txt "boto3 from 2023" || return 1
    rolehop_npm sdk-js tests/sdk-js "the JavaScript SDK v3 (two releases)" || return 1

    if ! ruby -e 'require "aws-sdk-core"' >/dev/null 2>&1; then
        echo "scripts/sdk-tools.sh: installing Debian's ruby and ruby-aws-sdk-core (apt-get)" >&2
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ruby ruby-aws-sdk-core; } >/dev/null || {
            echo "scripts/sdk-tools.sh: apt-get could not install ruby and ruby-aws-sdk-core; install them (as root) or run on Debian 12" >&2
            return 1
        }
    fi
}
rolehop_sdk_tools
