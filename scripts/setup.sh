#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian machine:
# qbittorrent-nox and mktorrent (Debian packages) and moto_server (PyPI moto[server]).
# Safe to run again: it only installs what is missing.
set -euo pipefail

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

if [ "${SWEEPARR_SETUP_DYNAMO:-1}" = "1" ] && ! command -v moto_server >/dev/null 2>&1; then
    echo "setup: installing moto[server] (DynamoDB emulator for the tests)" >&2
    python3 -m pip install --quiet --disable-pip-version-check 'moto[server]' \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages 'moto[server]'
    hash -r
fi
exit 0
