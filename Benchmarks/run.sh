#!/usr/bin/env bash
# Runs Wasmton's runtime benchmark beside the same measurements on Wasmtime and prints one table.
#
#   Benchmarks/run.sh [--quick] [--json] [--no-pulley] [--repeat N]
#
#   --quick      a tenth of the samples (a smoke run; numbers are rougher)
#   --repeat N   run both programs N times (about 2 minutes each) and report medians over the runs
#   --json       also print the combined results as one JSON line at the end
#   --no-pulley  skip the Wasmtime Pulley-interpreter pass
#
# Installs what it needs on first use: Wasmtime's C library from PyPI's `wasmtime` wheel into
# Benchmarks/.deps (WASMTIME_VERSION picks the version), a C compiler from apt if there is none.
# Builds `runtime-bench` in release (incremental after the first time) and the C harness, runs
# them one after the other (never together: they would share 2 cores), and keeps the raw JSON
# lines in Benchmarks/out/results.jsonl.
set -euo pipefail
export SWIFT_DETERMINISTIC_HASHING=1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
deps="$here/.deps"
out="$here/out"
wasmtime_version="${WASMTIME_VERSION:-50.0.1}"

quick=()
json=()
pulley=1
repeat=1
while [ $# -gt 0 ]; do
    argument="$1"
    shift
    case "$argument" in
    --repeat)
        repeat="${1:-}"
        shift || true
        if ! [[ "$repeat" =~ ^[1-9][0-9]*$ ]]; then
            echo "run.sh: --repeat needs a positive number" >&2
            exit 2
        fi
        ;;
    --quick) quick=(--quick) ;;
    --json) json=(--json) ;;
    --no-pulley) pulley=0 ;;
    -h | --help)
        sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "run.sh: unknown argument $argument" >&2
        exit 2
        ;;
    esac
done

say() { echo "== $*" >&2; }

# --- Tools ---------------------------------------------------------------------------------
python="$(command -v python3 || true)"
if [ -z "$python" ]; then
    say "installing python3 (apt)"
    apt-get update -qq && apt-get install -y -qq python3 python3-pip >/dev/null
    python="$(command -v python3)"
fi
cc="${CC:-$(command -v cc || command -v gcc || command -v clang || true)}"
if [ -z "$cc" ]; then
    say "installing gcc (apt)"
    apt-get update -qq && apt-get install -y -qq gcc libc6-dev >/dev/null
    cc="$(command -v gcc)"
fi

# --- Wasmtime's C library, from the PyPI wheel (the same installer as --engine wasmtime's) ------
libwasmtime="$(DEPS="$deps" WASMTIME_VERSION="$wasmtime_version" "$root/scripts/install-wasmtime.sh")" ||
    { echo "run.sh: could not install Wasmtime's C library" >&2; exit 1; }
libdir="$(dirname "$libwasmtime")"
# runtime-bench measures Wasmton on Wasmtime too (--engine wasmtime's variants), on this library.
export WASMTON_WASMTIME_LIB="$libwasmtime"

# --- Builds --------------------------------------------------------------------------------
harness="$deps/harness"
if [ ! -x "$harness" ] || [ "$here/wasmtime/harness.c" -nt "$harness" ] || [ "$root/Sources/CWasmtime/include/CWasmtime.h" -nt "$harness" ] || [ "$libwasmtime" -nt "$harness" ]; then
    say "building the Wasmtime harness"
    "$cc" -O2 -std=c11 -Wall -Wextra -o "$harness" "$here/wasmtime/harness.c" \
        -L"$libdir" -l:_libwasmtime.so -Wl,-rpath,"$libdir"
fi

say "building runtime-bench (release; the first build takes several minutes)"
swift build -c release --package-path "$here" --product runtime-bench 2>&1 | tail -n 3 >&2
bench="$(swift build -c release --package-path "$here" --product runtime-bench --show-bin-path)/runtime-bench"

# --- Runs ----------------------------------------------------------------------------------
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"
guests="$root/guests/build"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

for run in $(seq 1 "$repeat"); do
    say "run $run of $repeat: runtime-bench (Wasmton)"
    "$bench" --guests "$guests" "${quick[@]}" | tee -a "$results" >&2
    say "run $run of $repeat: the Wasmtime harness (Cranelift)"
    "$harness" "$guests" --memloop "$here/guests/memloop.wat" "${quick[@]}" | tee -a "$results" >&2
    say "run $run of $repeat: the Wasmtime harness (Cranelift, epoch interruption on as Wasmton runs it)"
    "$harness" "$guests" --memloop "$here/guests/memloop.wat" --epoch "${quick[@]}" | tee -a "$results" >&2
    if [ "$pulley" = 1 ]; then
        say "run $run of $repeat: the Wasmtime harness (Pulley interpreter)"
        "$harness" "$guests" --memloop "$here/guests/memloop.wat" --target pulley64 "${quick[@]}" |
            tee -a "$results" >&2 || say "Pulley pass failed; its rows are left out"
    fi
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo
echo "Wasmton runtime benchmark: $(nproc) cores ($cpu); wasmtime $wasmtime_version (PyPI wheel's _libwasmtime.so);"
echo "$(swift --version 2>/dev/null | head -1)"
echo "load average before: $load_before, after: $load_after${quick:+; --quick run (rough numbers)}"
echo
"$python" "$here/report.py" "$results" "${json[@]}" \
    --meta "wasmtime_version=$wasmtime_version" --meta "cores=$(nproc)" --meta "cpu=$cpu" \
    --meta "loadavg_before=$load_before" --meta "loadavg_after=$load_after" \
    --meta "quick=${quick:+1}"
