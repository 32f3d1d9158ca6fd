#!/usr/bin/env bash
# Wasmton's main job on the embedded default, no broker needed: build the CLI, run the Decaton
# article's stream processor (C, guests/src/message_processor.c) over a local file of records
# with `wasmton process --input`, show retries and dead letters, then the module tools.
set -euo pipefail
export SWIFT_DETERMINISTIC_HASHING=1
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --product wasmton
wasmton=.build/debug/wasmton
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
set -x
$wasmton process guests/build/message_processor.wasm --input examples/messages.jsonl --input-format jsonl \
    --partition-concurrency 4 --dir "$out::."
cat "$out/messages"
set +x
echo "+ $wasmton process guests/build/task_probe.wasm --input (a trap and a retry status: retried, then dead-lettered)"
printf 'first\ntrap\nretry\nlast\n' >"$out/records.txt"
$wasmton process guests/build/task_probe.wasm --input "$out/records.txt" --max-retries 1 --retry-backoff 200ms \
    --dead-letter-file "$out/dead-letters.jsonl" || echo "exit status $? (records were dead-lettered)"
cat "$out/dead-letters.jsonl"
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
