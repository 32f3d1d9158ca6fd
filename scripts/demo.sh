#!/usr/bin/env bash
# Wasmton's main job on the embedded default, no broker needed: build the CLI, then run the
# example guests (a WASI command, the book's calc and call_indirect modules) and show a trap
# and a deadline being caught.
set -euo pipefail
export SWIFT_DETERMINISTIC_HASHING=1
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --product wasmton
wasmton=.build/debug/wasmton
set -x
$wasmton run --env GREETING="hello from the host" guests/build/hello.wasm -- first second
$wasmton invoke guests/build/calc.wasm add 1 2
$wasmton invoke guests/build/table.wasm callByIndex 0 56 34
$wasmton inspect guests/build/calc.wasm
set +x
echo "+ $wasmton invoke guests/build/traps.wasm div_zero   (a guest failure: one line, exit 134)"
$wasmton invoke guests/build/traps.wasm div_zero || echo "exit status $?"
echo "+ $wasmton invoke --timeout 500ms guests/build/traps.wasm infinite_loop"
$wasmton invoke --timeout 500ms guests/build/traps.wasm infinite_loop || echo "exit status $?"
