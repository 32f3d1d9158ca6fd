#!/usr/bin/env bash
# Installs Wasmtime's C library for `--engine wasmtime`: PyPI's `wasmtime` wheel (which ships
# `_libwasmtime.so`, the C API) into .deps/wasmtime-py of this repository, where Wasmton looks
# for it. Idempotent; prints the library's path on stdout.
#
#   scripts/install-wasmtime.sh            # into ./.deps
#   WASMTIME_VERSION=50.0.1 DEPS=DIR scripts/install-wasmtime.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deps="${DEPS:-$root/.deps}"
version="${WASMTIME_VERSION:-50.0.1}"
wheel_dir="$deps/wasmtime-py"

python="$(command -v python3 || true)"
if [ -z "$python" ] || ! "$python" -m pip --version >/dev/null 2>&1; then
    echo "== installing python3-pip (apt)" >&2
    apt-get update -qq && apt-get install -y -qq python3 python3-pip >/dev/null
    python="$(command -v python3)"
fi

installed=""
for info in "$wheel_dir"/wasmtime-*.dist-info; do
    [ -d "$info" ] && installed="$(basename "$info" .dist-info)" && installed="${installed#wasmtime-}"
done
if [ "$installed" != "$version" ]; then
    echo "== installing wasmtime==$version from PyPI into $wheel_dir" >&2
    rm -rf "$wheel_dir"
    "$python" -m pip install --quiet --disable-pip-version-check --no-deps --target "$wheel_dir" "wasmtime==$version" >&2
fi
library="$(find "$wheel_dir/wasmtime" -name _libwasmtime.so | head -1)"
if [ -z "$library" ]; then
    echo "install-wasmtime.sh: the wasmtime $version wheel has no _libwasmtime.so for this platform" >&2
    exit 1
fi
echo "$library"
