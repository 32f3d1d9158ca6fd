#!/usr/bin/env bash
# deploy/image/build.sh STAGING [SCRATCH]: the image's build step (stage "build").
#
# Builds the wasmton executable in release mode with the Swift runtime and Foundation linked
# statically, so the runtime image needs no Swift toolchain, and stages the tree the runtime
# image gets:
#   STAGING/opt/wasmton/bin/wasmton         the executable (debug info stripped)
#   STAGING/opt/wasmton/guests/*.wasm       the committed example guests (guests/build), as they are
# SCRATCH is SwiftPM's build directory (default: .build-image in the source tree, never .build).
# The source tree is the one this script is in.
#
# scripts/check-deploy.sh runs this same script on the host.
set -euo pipefail
export SWIFT_DETERMINISTIC_HASHING=1

if (($# < 1 || $# > 2)); then
    echo "usage: deploy/image/build.sh STAGING [SCRATCH]" >&2
    exit 2
fi
src=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
staging=$1
scratch=${2:-$src/.build-image}

flags=(-c release --product wasmton --static-swift-stdlib --scratch-path "$scratch")
cd "$src"
echo "build: swift build ${flags[*]}"
swift build "${flags[@]}"
bin="$(swift build "${flags[@]}" --show-bin-path)/wasmton"
[[ -x $bin ]] || { echo "build: no executable at $bin" >&2; exit 1; }

guests=("$src"/guests/build/*.wasm)
[[ -f ${guests[0]} ]] || { echo "build: no guests/build/*.wasm to ship" >&2; exit 1; }

rm -rf "${staging:?}/opt/wasmton"
mkdir -p "$staging/opt/wasmton/bin" "$staging/opt/wasmton/guests"
# Symbols stay (readable backtraces); DWARF goes (most of the size).
strip --strip-debug -o "$staging/opt/wasmton/bin/wasmton" "$bin"
chmod 0755 "$staging/opt/wasmton/bin/wasmton"
install -m 0644 "${guests[@]}" "$staging/opt/wasmton/guests/"
echo "build: staged $(du -sh "$staging/opt/wasmton/bin/wasmton" | cut -f1) wasmton and ${#guests[@]} guests in $staging/opt/wasmton"
