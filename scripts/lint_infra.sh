#!/usr/bin/env bash
# Lints the deployment files: infra/template.yaml with cfn-lint, and the systemd units with
# `systemd-analyze verify` where systemd is installed (skipped, and said so, elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."

cfn-lint infra/template.yaml
echo "lint: infra/template.yaml passes cfn-lint $(cfn-lint --version | awk '{print $2}')"

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "lint: systemd-analyze not found; skipping the systemd unit check" >&2
    exit 0
fi
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cp infra/systemd/sweeparr.service infra/systemd/sweeparr.timer "$dir/"
# verify checks that ExecStart's binary exists: point it at one that does.
sed -i "s#/usr/local/bin/sweeparr#$(command -v true)#" "$dir/sweeparr.service"
out="$(cd "$dir" && systemd-analyze verify --man=no ./sweeparr.service ./sweeparr.timer 2>&1)" || {
    echo "$out" >&2
    exit 1
}
# verify exits 0 on unknown keys and bad values, but prints them.
if [ -n "$out" ]; then
    echo "$out" >&2
    echo "lint: systemd-analyze verify complained about infra/systemd/" >&2
    exit 1
fi
echo "lint: infra/systemd units pass systemd-analyze verify"
