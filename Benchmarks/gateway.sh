#!/usr/bin/env bash
# Benchmarks/gateway.sh — requests/s and p50/p99 latency of `wasmton serve` under wrk, beside the
# same guests served by a minimal Node.js waPC host, measured in the same run.
#
# The baseline is Benchmarks/gateway/node_wapc_host.js: the book's node_cuckoo_http design
# (chapter 6) with Node's built-in WebAssembly and node:wasi instead of the npm packages
# @wapc/host and @msgpack/msgpack; one guest instance on Node's one JavaScript thread.
# Builds wasmton as the container image ships it (release, Swift runtime linked statically, as
# deploy/image/build.sh does) into .build-release (incremental), then for each row starts one
# server on loopback, checks one answer with curl, warms it up with wrk, measures with wrk, and
# stops it (only the server under test runs during a measurement):
#
#   check_word_exists  GET /?key={"name":"foo"} (the book's form; answers `true`) with
#                      guests/build/cuckoo_filter.wasm: wasmton serve --default-operation
#                      check_word_exists, and the Node host
#   echo               POST /v1/wapc_echo/echo with a small JSON body (converted to MessagePack,
#                      echoed, converted back to JSON) with guests/build/wapc_echo.wasm: both hosts
#   healthz            GET /healthz on both hosts: the HTTP stack alone, no guest call (what the
#                      rows above cost beyond it is the guest call and the payload conversions)
#   router rows        check_word_exists and healthz with --no-event-loop-answers: every request
#                      through Hummingbird's router, as before the event-loop path (#15)
#   check_word_exists  wasmton serve --pool-size 1 (one instance, as Node has), and
#                      wasmton serve --fresh-instance (a new instance per request)
#   wasmtime rows      check_word_exists, echo and --fresh-instance again with --engine wasmtime
#                      (Wasmtime 50's C library from PyPI's wheel, scripts/install-wasmtime.sh)
#
# wasmton runs with its default pool size (one instance per core) and --log-level warning (no
# access log). Every wrk run is bounded in time; a response with a status of 400 or more, a
# socket error, or a wrong answer fails the script (exit 1) after the table is printed.
# wrk, the server and anything else running share the machine's cores: the table gives nproc,
# the load average, the CPU the server, wrk and everything else used during each run, and the
# server's CPU time per request.
#
# Environment (defaults in brackets):
#   GATEWAY_BENCH_DURATION     seconds of each measured wrk run [10]
#   GATEWAY_BENCH_WARMUP       seconds of wrk warm-up per server before it [3]
#   GATEWAY_BENCH_THREADS      wrk threads [2]
#   GATEWAY_BENCH_CONNECTIONS  wrk connections [16]
#   GATEWAY_BENCH_REPEAT       runs of every row, interleaved; the table shows medians [1]
#   GATEWAY_BENCH_PORT         wasmton's port; the Node host uses the next one; 19140-19158 [19140]
#   GATEWAY_BENCH_WASMTON      a wasmton binary to use instead of building .build-release's
#   GATEWAY_BENCH_NODE         the node binary [node]
#   GATEWAY_BENCH_HALF         1: after each host's check_word_exists row, measure p50/p99 at about
#                              half of the rate it reached (#15 asks p99 ≤ 2 ms there); 0: skip [1]
#   GATEWAY_BENCH_HOSTS        which hosts to measure ["wasmton wasmtime node"] (wasmtime: wasmton on
#                              --engine wasmtime); "node" alone skips the build
#
# Output: the table on stdout (also saved, with the raw wrk output, each server's log and the
# JSON lines, in .build-release/gateway-bench/<date-time>/); progress on stderr.
set -euo pipefail
export SWIFT_DETERMINISTIC_HASHING=1

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$here/.." && pwd)
cd "$repo"

if [ $# -gt 0 ]; then
    case "$1" in
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" && exit 0 ;;
    *) echo "gateway.sh: no arguments (see --help; settings are environment variables)" >&2 && exit 2 ;;
    esac
fi

duration=${GATEWAY_BENCH_DURATION:-10}
warmup=${GATEWAY_BENCH_WARMUP:-3}
threads=${GATEWAY_BENCH_THREADS:-2}
connections=${GATEWAY_BENCH_CONNECTIONS:-16}
repeat=${GATEWAY_BENCH_REPEAT:-1}
wasmton_port=${GATEWAY_BENCH_PORT:-19140}
node_port=$((wasmton_port + 1))
node=${GATEWAY_BENCH_NODE:-node}
hosts=${GATEWAY_BENCH_HOSTS:-wasmton wasmtime node}
half=${GATEWAY_BENCH_HALF:-1}
scratch="$repo/.build-release"
wasmton=${GATEWAY_BENCH_WASMTON:-$scratch/release/wasmton}

say() { echo "== $*" >&2; }
die() { echo "gateway.sh: $*" >&2; exit 1; }

for v in duration warmup threads connections repeat wasmton_port; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ "$wasmton_port" -ge 19140 ] && [ "$wasmton_port" -le 19158 ] || die "GATEWAY_BENCH_PORT must be in 19140-19158 (got $wasmton_port)"
[ "$connections" -ge "$threads" ] || die "wrk needs at least as many connections as threads"
for h in $hosts; do [[ $h =~ ^(wasmton|wasmtime|node)$ ]] || die "GATEWAY_BENCH_HOSTS: unknown host '$h' (wasmton, wasmtime, node)"; done
measures() { [[ " $hosts " == *" $1 "* ]]; }

# --- Tools: wrk and curl from apt when missing; node and python3 must be there --------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
    say "installing ${missing[*]} (apt)"
    SUDO=""
    [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python=$(command -v python3) || die "python3 not found"
node=$(command -v "$node") || die "node not found (Node.js 20 or newer; apt-get install nodejs gives Debian's)"
node_version=$("$node" --version)
[[ $node_version =~ ^v([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 20 ] || die "node $node_version is too old: node:wasi preview1 needs Node.js 20"

# --- wasmton (release) and guests -------------------------------------------------------------
if measures wasmtime; then
    WASMTON_WASMTIME_LIB="$(scripts/install-wasmtime.sh)"
    export WASMTON_WASMTIME_LIB
fi
if { measures wasmton || measures wasmtime; } && [ -z "${GATEWAY_BENCH_WASMTON:-}" ]; then
    say "building wasmton (release) into $scratch — 10+ minutes the first time, incremental after"
    "$repo/scripts/install-deps.sh" >&2
    swift build -c release --product wasmton --static-swift-stdlib --scratch-path "$scratch" 2>&1 | tail -n 3 >&2 ||
        die "swift build failed"
fi
if measures wasmton || measures wasmtime; then
    [ -x "$wasmton" ] || die "no wasmton binary at $wasmton"
    "$wasmton" serve --help >/dev/null 2>&1 || die "$wasmton has no working 'serve' command"
fi
for g in cuckoo_filter wapc_echo; do
    [ -f "guests/build/$g.wasm" ] || die "guests/build/$g.wasm is missing (make -C guests)"
done

stamp=$(date +%Y%m%d-%H%M%S)
out="$scratch/gateway-bench/$stamp"
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- Servers -----------------------------------------------------------------------------------
port_busy() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
server_pid=""
stop_server() {
    [ -n "$server_pid" ] || return 0
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# start_server PORT LOG COMMAND…: starts it in the background and waits for /readyz.
start_server() {
    local port=$1 log=$2
    shift 2
    for _ in $(seq 50); do port_busy "$port" || break; sleep 0.2; done
    port_busy "$port" && die "port $port is in use"
    "$@" >"$log" 2>&1 &
    server_pid=$!
    for _ in $(seq 300); do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            tail -n 20 "$log" >&2
            die "the server exited before it was ready: $*"
        fi
        curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/readyz" 2>/dev/null && return 0
        sleep 0.1
    done
    tail -n 20 "$log" >&2
    die "not ready after 30 s: $*"
}

get_path='/?key=%7B%22name%22%3A%22foo%22%7D' # key={"name":"foo"}
echo_body='{"message":"hello, wasm","n":42,"ok":true}'
wrk_base=(wrk "-t$threads" "-c$connections" --timeout 5s --latency -s "$here/gateway/wrk.lua")
failed=0

# bench CASE HOST VARIANT HOST_LABEL PORT COMMAND…: one row (one server, one measured wrk run).
bench() {
    local case=$1 host=$2 variant=$3 host_label=$4 port=$5
    shift 5
    measures "$host" || return 0
    local url expected answer
    local wrk_args=()
    local slug="$case-$host-$variant-r$run"
    if [ "$case" = echo ]; then
        url="http://127.0.0.1:$port/v1/wapc_echo/echo"
        wrk_args=("$url" -- POST "$echo_body")
        expected="200 $echo_body"
    elif [ "$case" = healthz ]; then
        url="http://127.0.0.1:$port/healthz"
        wrk_args=("$url")
        expected="200 ok"
    else
        url="http://127.0.0.1:$port$get_path"
        wrk_args=("$url")
        expected="200 true"
    fi
    say "$case on $host_label (run $run of $repeat)"
    start_server "$port" "$out/server-$slug.log" "$@"
    # The answer must be right before it is timed (curl strips the trailing newline of wasmton's JSON).
    if [ "$case" = echo ]; then
        answer=$(curl -sS --max-time 10 -H 'Content-Type: application/json' -d "$echo_body" -w '\n%{http_code}' "$url") || true
    else
        answer=$(curl -sS --max-time 10 -w '\n%{http_code}' "$url") || true
    fi
    answer="${answer##*$'\n'} $(sed -e '$d' <<<"$answer" | tr -d '\n')"
    [ "$answer" = "$expected" ] || die "$host_label answered '$answer' to $case, expected '$expected' (log: $out/server-$slug.log)"
    timeout -k 5 $((warmup + 30)) "${wrk_base[@]}" "-d${warmup}s" "${wrk_args[@]}" >"$out/warmup-$slug.txt" 2>&1 ||
        say "warm-up wrk failed (see $out/warmup-$slug.txt)"
    local tags
    tags=$(printf '{"label": "%s — %s", "case": "%s", "host": "%s", "variant": "%s", "host_label": "%s", "run": %d}' \
        "$case" "$host_label" "$case" "$host" "$variant" "$host_label" "$run")
    "$python" "$here/gateway/measure.py" run "$results" "$tags" "$server_pid" $((duration + 30)) "$out/wrk-$slug.txt" -- \
        "${wrk_base[@]}" "-d${duration}s" "${wrk_args[@]}" || failed=1
    # Latency at half of the load just measured: 64 connections, each pausing between requests so
    # that together they ask for about half the rate (wrk's delay() is whole milliseconds).
    if [ "$half" = 1 ] && [ "$case" = check_word_exists ] && [[ $variant =~ ^(default|wasmtime)$ ]]; then
        local rps pace
        rps=$("$python" -c 'import json, sys; print(int(json.loads(sys.stdin.readlines()[-1]).get("requests_per_s") or 0))' <"$results")
        pace=$((rps > 0 ? 64 * 1000 * 2 / rps : 10))
        [ "$pace" -ge 1 ] || pace=1
        tags=$(printf '{"label": "%s — %s at half load", "case": "%s", "host": "%s", "variant": "%s-half", "host_label": "%s at half load (64 conn, %d ms apart)", "run": %d}' \
            "$case" "$host_label" "$case" "$host" "$variant" "$host_label" "$pace" "$run")
        WRK_PACE_MS=$pace "$python" "$here/gateway/measure.py" run "$results" "$tags" "$server_pid" $((duration + 30)) \
            "$out/wrk-$slug-half.txt" -- wrk "-t$threads" -c64 --timeout 5s --latency -s "$here/gateway/wrk.lua" \
            "-d${duration}s" "${wrk_args[@]}" || failed=1
    fi
    stop_server
}

serve=("$wasmton" serve --host 127.0.0.1 --port "$wasmton_port" --log-level warning)
node_host=("$node" "$here/gateway/node_wapc_host.js")
cuckoo=guests/build/cuckoo_filter.wasm
echo_wasm=guests/build/wapc_echo.wasm
cores=$(nproc)

for run in $(seq 1 "$repeat"); do
    bench check_word_exists wasmton default "wasmton serve (pool $cores)" "$wasmton_port" \
        "${serve[@]}" "$cuckoo" --default-operation check_word_exists
    bench check_word_exists node default "node_wapc_host.js (1 instance)" "$node_port" \
        "${node_host[@]}" "$cuckoo" check_word_exists "$node_port"
    bench echo wasmton default "wasmton serve (pool $cores)" "$wasmton_port" \
        "${serve[@]}" "$echo_wasm"
    bench echo node default "node_wapc_host.js (1 instance)" "$node_port" \
        "${node_host[@]}" "$echo_wasm" echo "$node_port"
    bench healthz wasmton default "wasmton serve (pool $cores)" "$wasmton_port" \
        "${serve[@]}" "$echo_wasm"
    bench healthz node default "node_wapc_host.js (1 instance)" "$node_port" \
        "${node_host[@]}" "$echo_wasm" echo "$node_port"
    bench check_word_exists wasmton router "wasmton serve --no-event-loop-answers" "$wasmton_port" \
        "${serve[@]}" "$cuckoo" --default-operation check_word_exists --no-event-loop-answers
    bench healthz wasmton router "wasmton serve --no-event-loop-answers" "$wasmton_port" \
        "${serve[@]}" "$echo_wasm" --no-event-loop-answers
    bench check_word_exists wasmton pool1 "wasmton serve --pool-size 1" "$wasmton_port" \
        "${serve[@]}" "$cuckoo" --default-operation check_word_exists --pool-size 1
    bench check_word_exists wasmton fresh "wasmton serve --fresh-instance" "$wasmton_port" \
        "${serve[@]}" "$cuckoo" --default-operation check_word_exists --fresh-instance
    bench check_word_exists wasmtime wasmtime "wasmton serve --engine wasmtime (pool $cores)" "$wasmton_port" \
        "${serve[@]}" --engine wasmtime "$cuckoo" --default-operation check_word_exists
    bench echo wasmtime wasmtime "wasmton serve --engine wasmtime (pool $cores)" "$wasmton_port" \
        "${serve[@]}" --engine wasmtime "$echo_wasm"
    bench check_word_exists wasmtime wasmtime-fresh "wasmton serve --engine wasmtime --fresh-instance" "$wasmton_port" \
        "${serve[@]}" --engine wasmtime "$cuckoo" --default-operation check_word_exists --fresh-instance
done

# --- Table -------------------------------------------------------------------------------------
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
status=0
wasmton_meta="" node_meta=""
revision=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$repo" status --porcelain -- Sources Package.swift 2>/dev/null)" ] || revision="$revision + uncommitted changes"
measures wasmton && wasmton_meta="wasmton=${wasmton#"$repo"/} serve --log-level warning (default pool size: one instance per core), built from $revision"
measures node && node_meta="node=$node_version ${here#"$repo"/}/gateway/node_wapc_host.js: one instance, one JavaScript thread"
"$python" "$here/gateway/measure.py" table "$results" \
    "wrk=wrk -t$threads -c$connections -d${duration}s --latency, loopback" "warmup=${warmup}s" "repeat=$repeat" \
    "cores=$cores" "cpu=${cpu_model:-unknown CPU}" "load_before=$load_before" "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" \
    ${wasmton_meta:+"$wasmton_meta"} ${node_meta:+"$node_meta"} \
    "when=$(date -u '+%Y-%m-%d %H:%M UTC')" | tee "$out/table.txt" || status=$?
say "raw results, wrk output and server logs: $out/"
[ "$failed" = 0 ] && [ "$status" = 0 ] || die "some runs failed (errors, non-2xx responses or socket errors): see above"
