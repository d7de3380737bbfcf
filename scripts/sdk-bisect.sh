#!/usr/bin/env bash
# Finds, by measurement, the releases where a client's container-credentials behaviours of the
# client table (src/sdk.rs) changed: token file read, newline handling, plain-http hosts
# accepted, empty RELATIVE_URI. Bisects the published releases between two it is given,
# installing each release it probes into .tools/releases (scripts/sdk-releases.sh, kept for
# later runs) and measuring it with a probe in tests/sdk-probe/ inside a network namespace of
# its own (unshare -n; needs root, as CI has).
#
#   scripts/sdk-bisect.sh botocore [OLD NEW]   PyPI botocore (default 1.31.0 1.43.11)
#   scripts/sdk-bisect.sh js [OLD NEW]         npm @aws-sdk/credential-provider-node, the
#                                              JavaScript SDK v3's default chain
#                                              (default 3.350.0 3.972.99)
#   scripts/sdk-bisect.sh awscli VERSION...    measure AWS CLI v1 releases, each through the
#                                              botocore it pins
#   scripts/sdk-bisect.sh --probe KIND DIR     one measurement (KIND botocore or js)
#
# Prints, per behaviour, every change found: the last release with the old value and the first
# with the new one. It finds each change between releases whose values differ, and assumes a
# value that is the same at both ends of a range holds inside it (no A -> B -> A).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh >/dev/null
source scripts/sdk-releases.sh

# probe KIND DIR: runs KIND's probe against the release installed in DIR, in a namespace of its
# own with every probed host on its loopback device.
probe() {
    local run
    case "$1" in
        botocore) run='PYTHONPATH="$0" exec .tools/venv/bin/python3 tests/sdk-probe/botocore_probe.py' ;;
        js) run='exec node tests/sdk-probe/js_probe.cjs "$0"' ;;
        *) echo "scripts/sdk-bisect.sh: unknown probe $1" >&2; return 1 ;;
    esac
    unshare -n sh -c "ip link set lo up &&
        ip addr add 169.254.170.2/32 dev lo && ip addr add 169.254.170.23/32 dev lo &&
        ip addr add 192.0.2.10/32 dev lo && ip -6 addr add fd00:ec2::23/128 dev lo && $run" "$2"
}

case "${1:-}" in
    --probe)
        probe "$2" "$3"
        exit 0
        ;;
    awscli)
        shift
        for v in "$@"; do
            rolehop_sdk_release awscli "$v"
            dir="$PWD/.tools/releases/awscli-$v"
            botocore=$(sed -n 's/^Version: //p' "$dir"/botocore-*.dist-info/METADATA)
            echo "awscli $v (botocore $botocore): $(probe botocore "$dir")"
        done
        exit 0
        ;;
    botocore)
        export KIND=botocore PACKAGE=botocore OLD=${2:-1.31.0} NEW=${3:-1.43.11}
        ;;
    js)
        export KIND=js PACKAGE=credential-provider-node OLD=${2:-3.350.0} NEW=${3:-3.972.99}
        ;;
    *)
        sed -n '2,19p' "$0" >&2
        exit 64
        ;;
esac

.tools/venv/bin/python3 - <<'EOF'
import json, os, re, subprocess

kind, package, old, new = (os.environ[k] for k in ("KIND", "PACKAGE", "OLD", "NEW"))
key = lambda v: tuple(int(p) for p in v.split("."))
if kind == "botocore":
    out = subprocess.run(
        [".tools/venv/bin/pip", "index", "versions", package, "--disable-pip-version-check"],
        capture_output=True, text=True, check=True,
    ).stdout
    listed = re.search(r"Available versions: (.*)", out).group(1).split(", ")
else:
    listed = json.loads(subprocess.run(
        ["npm", "view", "@aws-sdk/" + package, "versions", "--json"],
        capture_output=True, text=True, check=True,
    ).stdout)
releases = sorted(
    (v for v in listed if re.fullmatch(r"\d+\.\d+\.\d+", v) and key(old) <= key(v) <= key(new)),
    key=key,
)
seen = {}

def measure(i):
    v = releases[i]
    if v not in seen:
        subprocess.run(["bash", "-c", 'source scripts/sdk-releases.sh && rolehop_sdk_release "$0" "$1"', package, v], check=True)
        dir = os.path.abspath(f".tools/releases/{package}-{v}")
        out = subprocess.run(["scripts/sdk-bisect.sh", "--probe", kind, dir], capture_output=True, text=True, check=True).stdout
        seen[v] = json.loads(out)
        print(f"  {package} {v}: {out.strip()}", flush=True)
    return seen[v]

def changes(behaviour, lo, hi):
    """The (last before, first after) pairs in releases[lo..hi] where `behaviour` changed."""
    if measure(lo)[behaviour] == measure(hi)[behaviour]:
        return []
    if hi - lo == 1:
        return [(lo, hi)]
    mid = (lo + hi) // 2
    return changes(behaviour, lo, mid) + changes(behaviour, mid, hi)

print(f"{package}: {len(releases)} releases from {releases[0]} to {releases[-1]}", flush=True)
last = len(releases) - 1
for behaviour in measure(0):
    found = changes(behaviour, 0, last)
    if not found:
        print(f"{behaviour}: {json.dumps(measure(0)[behaviour])} throughout")
    for lo, hi in found:
        print(f"{behaviour}: {json.dumps(measure(lo)[behaviour])} through {releases[lo]}, "
              f"{json.dumps(measure(hi)[behaviour])} from {releases[hi]}")
EOF
