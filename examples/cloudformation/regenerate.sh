#!/bin/sh
# Writes this directory's CloudFormation templates with `rolehop setup` (the walkthrough's two
# accounts, the ECS roles included), so they come from the same model as setup's other files.
# tests/examples.rs runs this into a scratch directory and compares, so they cannot drift.
#
#   examples/cloudformation/regenerate.sh [OUT_DIR]     (ROLEHOP=path/to/rolehop to pick the binary)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out_dir=${1:-$here}
rolehop=${ROLEHOP:-rolehop}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$rolehop" setup --out "$scratch/setup" \
    --source-role-arn arn:aws:iam::111122223333:role/my-ECS-task-role \
    --role-arn arn:aws:iam::555566667777:role/destination-account-role \
    --region us-east-1 \
    --ecs-roles >/dev/null
cp "$scratch/setup/cloudformation-111122223333.json" "$out_dir/source-account.json"
cp "$scratch/setup/cloudformation-555566667777.json" "$out_dir/destination-account.json"
