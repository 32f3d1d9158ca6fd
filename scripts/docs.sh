#!/usr/bin/env bash
# Builds the DocC documentation of every library target (Sources/TARGET/TARGET.docc plus the
# doc comments of its public symbols) into .build/docs/TARGET.doccarchive, and fails on any
# warning: a link to a symbol that moved, or a parameter left undocumented. Uses the toolchain's
# own `docc` and `swift package dump-symbol-graph`, so the package needs no documentation plugin.
# Run by scripts/validate.sh.
set -euo pipefail
export SWIFT_DETERMINISTIC_HASHING=1
cd "$(dirname "$0")/.."
targets=(WasmtonRuntime WasmtonContracts WasmtonStreams WasmtonKafka WasmtonMessagePack WasmtonCapture WasmtonGateway WasmtonTools WasmtonCLI)
swift package dump-symbol-graph --minimum-access-level public >/dev/null
graphs="$(swift build --show-bin-path)/../symbolgraph"
work=.build/docs
rm -rf "$work"
mkdir -p "$work"
for target in "${targets[@]}"; do
    mkdir -p "$work/graphs/$target"
    cp "$graphs/$target".symbols.json "$work/graphs/$target/"
    cp "$graphs/$target"@*.symbols.json "$work/graphs/$target/" 2>/dev/null || true
    if ! docc convert "Sources/$target/$target.docc" --additional-symbol-graph-dir "$work/graphs/$target" \
        --output-path "$work/$target.doccarchive" --fallback-display-name "$target" \
        --fallback-bundle-identifier "org.wasmton.$target" --warnings-as-errors >"$work/$target.log" 2>&1; then
        cat "$work/$target.log" >&2
        echo "docs: $target's documentation has warnings or errors (above)" >&2
        exit 1
    fi
done
echo "docs: ${#targets[@]} archives in $work"
