#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian machine:
# qbittorrent-nox and mktorrent (Debian packages), moto_server (PyPI moto[server]) and
# cargo-lambda (PyPI cargo-lambda, for the Lambda end-to-end tests).
# Safe to run again: it only installs what is missing.
#
#   scripts/setup.sh          the tests' tools
#   scripts/setup.sh lint     only cfn-lint (PyPI), to lint infra/template.yaml
#   scripts/setup.sh lambda   only what `make lambda` needs: cargo-lambda, ziglang (PyPI, the
#                             C cross linker cargo-lambda uses), Rust's aarch64-unknown-linux-gnu std
#
# SWEEPARR_SETUP_DYNAMO=0 skips the cloud test tools (moto_server, cargo-lambda).
set -euo pipefail

# pip_install COMMAND PACKAGE WHY: installs PACKAGE from PyPI unless COMMAND already runs
# ("-": always).
pip_install() {
    local cmd="$1" pkg="$2" why="$3"
    if [ "$cmd" = "-" ] || ! command -v "$cmd" >/dev/null 2>&1; then
        echo "setup: installing $pkg ($why)" >&2
        python3 -m pip install --quiet --disable-pip-version-check "$pkg" \
            || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$pkg"
        hash -r
    fi
}

for extra in "$@"; do
    case "$extra" in
        lint)
            pip_install cfn-lint cfn-lint "CloudFormation linter"
            ;;
        lambda)
            pip_install cargo-lambda cargo-lambda "builds the Lambda zip"
            if ! python3 -m ziglang version >/dev/null 2>&1; then
                pip_install - ziglang "cross linker for the arm64 Lambda build"
            fi
            if command -v rustup >/dev/null 2>&1 \
                && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
                echo "setup: adding Rust target aarch64-unknown-linux-gnu" >&2
                rustup target add aarch64-unknown-linux-gnu
            fi
            ;;
        *)
            echo "setup: unknown extra '$extra' (lint, lambda)" >&2
            exit 2
            ;;
    esac
done
[ "$#" -eq 0 ] || exit 0

need_apt=()
command -v qbittorrent-nox >/dev/null 2>&1 || need_apt+=(qbittorrent-nox)
command -v mktorrent >/dev/null 2>&1 || need_apt+=(mktorrent)
if [ "${#need_apt[@]}" -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "setup: need root or sudo to install ${need_apt[*]}" >&2; exit 1; }
        sudo="sudo"
    fi
    echo "setup: installing ${need_apt[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ "${SWEEPARR_SETUP_DYNAMO:-1}" = "1" ]; then
    pip_install moto_server 'moto[server]' "DynamoDB and SSM emulator for the tests"
    pip_install cargo-lambda cargo-lambda "Lambda runtime emulator for the Lambda tests"
fi

exit 0
