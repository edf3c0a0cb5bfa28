#!/usr/bin/env bash
# `make invoke EVENT=events/dry-run.json`: starts the function under `cargo lambda watch` on
# loopback, sends one event with `cargo lambda invoke`, prints the summary it returns, and
# stops the emulator and the function. Config as for `sweeparr run`: $SWEEPARR_CONFIG,
# $SWEEPARR_CONFIG_TOML, or ./sweeparr.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
event="${1:-events/dry-run.json}"
[ -f "$event" ] || { echo "invoke: no event file $event" >&2; exit 2; }
command -v cargo-lambda >/dev/null 2>&1 || scripts/setup.sh lambda

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$(mktemp)"
# A process group of its own, so stopping it also stops the function it started.
setsid cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$port" --ignore-changes \
    >"$log" 2>&1 &
watch_pid=$!
stop() {
    kill -TERM -- "-$watch_pid" 2>/dev/null || true
    wait "$watch_pid" 2>/dev/null || true
    echo "--- function logs ---" >&2
    cat "$log" >&2
    rm -f "$log"
}
trap stop EXIT

for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$watch_pid" 2>/dev/null || { echo "invoke: cargo lambda watch exited" >&2; exit 1; }
    sleep 0.2
done
cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port "$port" \
    --data-file "$event" --output-format json
