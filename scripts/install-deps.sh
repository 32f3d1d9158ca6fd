#!/usr/bin/env bash
# Installs the Debian packages Wasmton's scripts need, only those missing, so the README's
# commands work on a fresh Debian 12 machine that has the Swift toolchain.
#   wabt                     wasm-objdump / wat2wasm: differential tests and guest builds
#   wasi-libc, libclang-rt-dev-wasm32   C guests (clang --target=wasm32-wasi)
#   librdkafka-dev           the Kafka client (headers and link library)
#   libsqlite3-dev           the stream engine's state stores (--state-dir)
#   zlib1g-dev               zlib for a wasmton linked with the Swift runtime statically (the
#                            container image's build, and the benchmarks, which build it so)
set -euo pipefail
packages=(wabt wasi-libc libclang-rt-dev-wasm32 make librdkafka-dev libsqlite3-dev zlib1g-dev)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "install-deps: installing ${missing[*]}"
    SUDO=""
    [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "install-deps: the Swift 6 toolchain must be on PATH (swift.org)" >&2; exit 1; }
