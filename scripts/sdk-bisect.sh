#!/usr/bin/env bash
# Finds, by measurement, the botocore release where each container-credentials behaviour of the
# client table (src/sdk.rs) changed: token file read, newline handling, plain-http hosts
# accepted, empty RELATIVE_URI. Bisects PyPI's releases between two it is given, installing each
# release it probes into .tools/releases (scripts/sdk-releases.sh, kept for later runs) and
# measuring it with tests/sdk-probe/botocore_probe.py inside a network namespace of its own
# (unshare -n; needs root, as CI has).
#
#   scripts/sdk-bisect.sh [OLD NEW]          botocore between OLD and NEW (default 1.31.0 1.43.11)
#   scripts/sdk-bisect.sh awscli VERSION...  measure AWS CLI v1 releases (each with the botocore
#                                            it pins): which botocore, and the same behaviours
#
# Prints, per behaviour, the last release with the old value and the first with the new one.
# Assumes a behaviour changes once in the range (it checks both ends and each probe).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh >/dev/null
source scripts/sdk-releases.sh

# Runs the probe (with ARGS) against one installed release directory, in a namespace of its own.
probe() {
    unshare -n sh -c 'ip link set lo up &&
        ip addr add 169.254.170.2/32 dev lo && ip addr add 169.254.170.23/32 dev lo &&
        ip addr add 192.0.2.10/32 dev lo && ip -6 addr add fd00:ec2::23/128 dev lo &&
        PYTHONPATH="$0" exec .tools/venv/bin/python3 tests/sdk-probe/botocore_probe.py "$@"' "$@"
}

if [ "${1:-}" = --probe ]; then
    shift
    probe "$@"
    exit 0
fi

if [ "${1:-}" = awscli ]; then
    shift
    for v in "$@"; do
        rolehop_sdk_release awscli "$v"
        dir=".tools/releases/awscli-$v"
        botocore=$(sed -n 's/^Version: //p' "$dir"/botocore-*.dist-info/METADATA)
        echo "awscli $v (botocore $botocore): $(probe "$PWD/$dir")"
    done
    exit 0
fi

OLD=${1:-1.31.0}
NEW=${2:-1.43.11}
export OLD NEW
.tools/venv/bin/python3 - <<'EOF'
import json, os, re, subprocess

old, new = os.environ["OLD"], os.environ["NEW"]
key = lambda v: tuple(int(p) for p in v.split("."))
out = subprocess.run(
    [".tools/venv/bin/pip", "index", "versions", "botocore", "--disable-pip-version-check"],
    capture_output=True, text=True, check=True,
).stdout
listed = re.search(r"Available versions: (.*)", out).group(1).split(", ")
releases = sorted(
    (v for v in listed if re.fullmatch(r"\d+\.\d+\.\d+", v) and key(old) <= key(v) <= key(new)),
    key=key,
)
seen = {}

def measure(v):
    if v not in seen:
        subprocess.run(["bash", "-c", 'source scripts/sdk-releases.sh && rolehop_sdk_release botocore "$0"', v], check=True)
        out = subprocess.run(
            ["scripts/sdk-bisect.sh", "--probe", os.path.abspath(".tools/releases/botocore-" + v)],
            capture_output=True, text=True, check=True,
        ).stdout
        seen[v] = json.loads(out)
        print(f"  botocore {v}: {out.strip()}", flush=True)
    return seen[v]

print(f"botocore: {len(releases)} releases from {releases[0]} to {releases[-1]}")
first, last = measure(releases[0]), measure(releases[-1])
for behaviour in first:
    a, b = first[behaviour], last[behaviour]
    if a == b:
        print(f"{behaviour}: {json.dumps(a)} throughout")
        continue
    lo, hi = 0, len(releases) - 1  # lo has the old value, hi the new
    while hi - lo > 1:
        mid = (lo + hi) // 2
        value = measure(releases[mid])[behaviour]
        if value == a:
            lo = mid
        elif value == b:
            hi = mid
        else:
            raise SystemExit(f"{behaviour}: {releases[mid]} has {value!r}, neither end's value: changed more than once")
    print(f"{behaviour}: {json.dumps(a)} through {releases[lo]}, {json.dumps(b)} from {releases[hi]}")
EOF
