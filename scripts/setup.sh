#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian machine:
# qbittorrent-nox and mktorrent (Debian packages), moto_server (PyPI moto[server]),
# cargo-lambda (PyPI cargo-lambda, for the Lambda end-to-end tests), and the two extra
# qBittorrent builds the tests also run against: Debian 13 "trixie" and Debian "testing",
# each unpacked with debootstrap (Debian package) into the build cache, no containers.
# Safe to run again: it only installs what is missing.
#
#   scripts/setup.sh          the tests' tools
#   scripts/setup.sh lint     only cfn-lint (PyPI), to lint infra/template.yaml
#   scripts/setup.sh lambda   only what `make lambda` needs: cargo-lambda, ziglang (PyPI, the
#                             C cross linker cargo-lambda uses), Rust's aarch64-unknown-linux-gnu std
#
# SWEEPARR_SETUP_DYNAMO=0 skips the cloud test tools (moto_server, cargo-lambda).
# SWEEPARR_SETUP_QBT_BUILDS=0 skips the extra qBittorrent builds (the demo needs none).
# SWEEPARR_QBT_BUILDS="trixie testing" names the builds to install (default: all three,
#   bookworm trixie testing; bookworm is the system qbittorrent-nox, always installed).
# SWEEPARR_QBT_CACHE is the build cache (default $HOME/.cache/sweeparr/qbt): build NAME is
#   unpacked in NAME/ (about 350 MB, a few minutes) with its launcher NAME/run-qbittorrent-nox,
#   which runs that build's qbittorrent-nox with its own loader and libraries ("$@" passed on).
#   A present build is reused as it is; testing moves on, so remove testing/ to take a newer one.
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

# as_root WHY: sets $sudo to "" (root) or "sudo", or fails explaining WHY root is needed.
as_root() {
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "setup: need root or sudo to $1" >&2; exit 1; }
        sudo="sudo"
    fi
}

# The extra qBittorrent builds wanted (Debian suite names).
qbt_builds=()
if [ "${SWEEPARR_SETUP_QBT_BUILDS:-1}" = "1" ]; then
    for build in ${SWEEPARR_QBT_BUILDS:-bookworm trixie testing}; do
        build="${build//,/ }"
        for b in $build; do
            case "$b" in
                bookworm) ;;
                trixie | testing) qbt_builds+=("$b") ;;
                *)
                    echo "setup: unknown qBittorrent build '$b' in SWEEPARR_QBT_BUILDS (bookworm, trixie, testing)" >&2
                    exit 2
                    ;;
            esac
        done
    done
fi

need_apt=()
command -v qbittorrent-nox >/dev/null 2>&1 || need_apt+=(qbittorrent-nox)
command -v mktorrent >/dev/null 2>&1 || need_apt+=(mktorrent)
if [ "${#qbt_builds[@]}" -gt 0 ] && ! command -v debootstrap >/dev/null 2>&1 \
    && [ ! -x /usr/sbin/debootstrap ]; then
    need_apt+=(debootstrap)
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
    as_root "install ${need_apt[*]}"
    echo "setup: installing ${need_apt[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# write_launcher ROOT: ROOT/run-qbittorrent-nox starts ROOT's qbittorrent-nox with ROOT's
# own dynamic loader and libraries (nothing of the host's but the kernel), from any folder.
write_launcher() {
    local root="$1" multiarch loader launcher tmp
    multiarch="$(uname -m)-linux-gnu"
    [ -d "$root/usr/lib/$multiarch" ] || multiarch=""
    loader="$(cd "$root" && ls lib64/ld-linux-*.so.* usr/lib64/ld-linux-*.so.* \
        "usr/lib/$multiarch"/ld-linux-*.so.* 2>/dev/null | head -n 1)"
    if [ -z "$multiarch" ] || [ -z "$loader" ] || [ ! -x "$root/usr/bin/qbittorrent-nox" ]; then
        echo "setup: $root has no qbittorrent-nox, libraries or loader; remove it and run again" >&2
        return 1
    fi
    launcher="$root/run-qbittorrent-nox"
    tmp="$(mktemp)"
    cat >"$tmp" <<LAUNCHER
#!/bin/sh
# Made by scripts/setup.sh: runs the qbittorrent-nox of the Debian root this file is in,
# with that root's loader and libraries. Arguments are passed on.
root="\$(dirname "\$(readlink -f "\$0")")"
lib="\$root/usr/lib/$multiarch"
QT_PLUGIN_PATH="\$lib/qt6/plugins"
export QT_PLUGIN_PATH
exec "\$root/$loader" --library-path "\$lib:\$root/lib/$multiarch:\$lib/libproxy" \\
    "\$root/usr/bin/qbittorrent-nox" "\$@"
LAUNCHER
    if ! cmp -s "$tmp" "$launcher"; then
        if [ -w "$root" ]; then
            install -m 0755 "$tmp" "$launcher"
        else
            as_root "write $launcher"
            $sudo install -m 0755 "$tmp" "$launcher"
        fi
    fi
    rm -f "$tmp"
}

# install_qbt_build NAME: unpacks Debian NAME with qbittorrent-nox into the cache unless it
# is there. Built in NAME.tmp and renamed when complete, so an interrupted run starts again.
install_qbt_build() {
    local name="$1" cache root tmp log script=""
    cache="${SWEEPARR_QBT_CACHE:-$HOME/.cache/sweeparr/qbt}"
    root="$cache/$name"
    if [ ! -d "$root" ]; then
        tmp="$root.tmp"
        log="$cache/$name.log"
        mkdir -p "$cache"
        as_root "unpack Debian $name with debootstrap"
        if [ -e "$tmp" ]; then
            # Left by an interrupted run: unmount what debootstrap may have mounted in it,
            # then remove it without crossing into other file systems.
            local mounts m
            mounts="$(findmnt -rn -o TARGET | grep -F "$tmp/" | sort -r || true)"
            for m in $mounts; do
                $sudo umount -l "$m" || true
            done
            $sudo rm -rf --one-file-system "$tmp"
        fi
        # debootstrap names "testing" after the rolling suite's script.
        [ "$name" = "testing" ] && script=/usr/share/debootstrap/scripts/sid
        echo "setup: unpacking qBittorrent of Debian $name into $root (a few minutes; log: $log)" >&2
        if ! $sudo "$(command -v debootstrap || echo /usr/sbin/debootstrap)" --variant=minbase \
            --include=qbittorrent-nox,ca-certificates "$name" "$tmp" \
            http://deb.debian.org/debian $script >"$log" 2>&1; then
            echo "setup: debootstrap of Debian $name failed; the end of $log:" >&2
            tail -n 20 "$log" >&2
            exit 1
        fi
        mv "$tmp" "$root"
    fi
    write_launcher "$root"
    local version
    if ! version="$("$root/run-qbittorrent-nox" --version 2>&1)"; then
        echo "setup: the qBittorrent of $root does not run: $version" >&2
        exit 1
    fi
    case "$version" in
        *qBittorrent\ v*) ;;
        *) echo "setup: $root/run-qbittorrent-nox --version printed: $version" >&2; exit 1 ;;
    esac
}

for build in ${qbt_builds[@]+"${qbt_builds[@]}"}; do
    install_qbt_build "$build"
done

if [ "${SWEEPARR_SETUP_DYNAMO:-1}" = "1" ]; then
    pip_install moto_server 'moto[server]' "DynamoDB and SSM emulator for the tests"
    pip_install cargo-lambda cargo-lambda "Lambda runtime emulator for the Lambda tests"
fi

exit 0
