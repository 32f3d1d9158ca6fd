#!/usr/bin/env bash
# Benchmarks/streams-instructions.sh — instructions per record of `wasmton process`, repeatable.
#
# Runs `wasmton process guests/build/noop_processor.wasm --input FILE` under valgrind's callgrind
# over N and 2N lines and prints (I(2N) - I(N)) / N, which takes start-up out: the stream
# engine's cost per record (coordinator, lane, engine call and the guest's poll_task), counted in
# instructions rather than seconds, so the figure repeats exactly for one binary and one input
# whatever else the machine does. Use it to see what a change to the hot path is worth before a
# timed run of Benchmarks/streams.sh (which needs a quiet machine).
#
# valgrind cannot read the debug info of Swift 6.3 binaries, so the binary is copied without it
# (objcopy --strip-debug); symbols stay, so callgrind_annotate still names every function.
#
#   Benchmarks/streams-instructions.sh [ENGINE...]     (default: wasmkit wasmtime)
#
# Environment: STREAMS_INSTRUCTIONS_LINES [20000], STREAMS_BENCH_WASMTON [.build-release/release/wasmton].
# The callgrind files stay in .build-release/streams-instructions/ for callgrind_annotate.
set -euo pipefail
export SWIFT_DETERMINISTIC_HASHING=1

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$here/.." && pwd)
cd "$repo"

lines=${STREAMS_INSTRUCTIONS_LINES:-20000}
[[ $lines =~ ^[1-9][0-9]*$ ]] || { echo "streams-instructions.sh: STREAMS_INSTRUCTIONS_LINES must be a positive integer" >&2; exit 2; }
engines=("$@")
[ ${#engines[@]} -gt 0 ] || engines=(wasmkit wasmtime)
wasmton=${STREAMS_BENCH_WASMTON:-.build-release/release/wasmton}
out=.build-release/streams-instructions
mkdir -p "$out"

for tool in valgrind objcopy callgrind_annotate; do
    command -v "$tool" >/dev/null || {
        echo "== installing valgrind and binutils" >&2
        SUDO=""
        [[ $(id -u) -eq 0 ]] || SUDO="sudo"
        $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq valgrind binutils >/dev/null
        break
    }
done
if [ ! -x "$wasmton" ]; then
    echo "== building wasmton (release)" >&2
    scripts/install-deps.sh >&2
    swift build -c release --product wasmton --static-swift-stdlib --scratch-path .build-release >&2
fi
for engine in "${engines[@]}"; do
    case $engine in
    wasmkit) ;;
    wasmtime)
        WASMTON_WASMTIME_LIB="$(scripts/install-wasmtime.sh)"
        export WASMTON_WASMTIME_LIB
        ;;
    *) echo "streams-instructions.sh: unknown engine '$engine'" >&2; exit 2 ;;
    esac
done

objcopy --strip-debug "$wasmton" "$out/wasmton"
python3 - "$lines" "$out" <<'EOF'
import sys
n, out = int(sys.argv[1]), sys.argv[2]
for count in (n, 2 * n):
    with open(f"{out}/lines-{count}.txt", "w") as f:
        f.writelines(f"record {i:08d} of the instruction count\n" for i in range(count))
EOF

count() { # ENGINE LINES -> instructions
    local file="$out/callgrind.$1.$2.out"
    valgrind --tool=callgrind --callgrind-out-file="$file" "$out/wasmton" process guests/build/noop_processor.wasm \
        --engine "$1" --module-cache off --input "$out/lines-$2.txt" --log-level warning >/dev/null 2>"$file.log" \
        || { echo "streams-instructions.sh: the run failed, see $file.log" >&2; exit 1; }
    sed -n 's/^==[0-9]*== Collected : //p' "$file.log"
}

echo "instructions per record, wasmton process noop_processor.wasm --input (lines $lines and $((2 * lines)))"
for engine in "${engines[@]}"; do
    small=$(count "$engine" "$lines")
    large=$(count "$engine" $((2 * lines)))
    printf '  %-9s %8d instructions/record   (%d and %d in all)\n' "$engine" $(((large - small) / lines)) "$small" "$large"
done
echo "profiles: callgrind_annotate --inclusive=yes $out/callgrind.ENGINE.$((2 * lines)).out"
