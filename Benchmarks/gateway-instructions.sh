#!/usr/bin/env bash
# Benchmarks/gateway-instructions.sh — instructions per request of `wasmton serve`, repeatable.
#
# Starts `wasmton serve` under valgrind's callgrind, warms it up, zeroes the counters
# (callgrind_control -z), sends N keep-alive requests from one client, and dumps the counters
# (callgrind_control -d): every instruction the server ran for those N requests, on all its
# threads, divided by N. Counted in instructions rather than seconds, the figure repeats for one
# binary whatever else the machine does: use it to see what a change to the request path is
# worth before a timed run of Benchmarks/gateway.sh (which needs a quiet machine).
#
# Rows: check_word_exists at / (the book's form) and /healthz, each on the event-loop path
# (the default) and through Hummingbird's router (--no-event-loop-answers). Slices are set to
# 1 s so that valgrind's slowness does not move calls to guest threads.
#
#   Benchmarks/gateway-instructions.sh [ENGINE]     (wasmkit, the default, or wasmtime)
#
# Environment: GATEWAY_INSTRUCTIONS_REQUESTS [1000], GATEWAY_BENCH_WASMTON [.build-release/release/wasmton].
# The callgrind files stay in .build-release/gateway-instructions/ for callgrind_annotate.
set -euo pipefail
export SWIFT_DETERMINISTIC_HASHING=1

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$here/.." && pwd)
cd "$repo"

requests=${GATEWAY_INSTRUCTIONS_REQUESTS:-1000}
[[ $requests =~ ^[1-9][0-9]*$ ]] || { echo "gateway-instructions.sh: GATEWAY_INSTRUCTIONS_REQUESTS must be a positive integer" >&2; exit 2; }
engine=${1:-wasmkit}
wasmton=${GATEWAY_BENCH_WASMTON:-.build-release/release/wasmton}
out=.build-release/gateway-instructions
port=19159
mkdir -p "$out"

command -v valgrind >/dev/null && command -v objcopy >/dev/null || {
    echo "== installing valgrind and binutils" >&2
    SUDO=""
    [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq valgrind binutils >/dev/null
}
case $engine in
wasmkit) ;;
wasmtime) WASMTON_WASMTIME_LIB="$(scripts/install-wasmtime.sh)" && export WASMTON_WASMTIME_LIB ;;
*) echo "gateway-instructions.sh: unknown engine '$engine' (wasmkit or wasmtime)" >&2 && exit 2 ;;
esac
if [ ! -x "$wasmton" ]; then
    echo "== building wasmton (release)" >&2
    scripts/install-deps.sh >&2
    swift build -c release --product wasmton --static-swift-stdlib --scratch-path .build-release >&2
fi
objcopy --strip-debug "$wasmton" "$out/wasmton"

server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; true' EXIT

count() { # NAME PATH SERVE-ARGS... -> instructions per request
    local name=$1 path=$2
    shift 2
    local file="$out/callgrind.$engine.$name.out"
    rm -f "$file" "$file".*
    valgrind --tool=callgrind --callgrind-out-file="$file" "$out/wasmton" serve --host 127.0.0.1 --port $port \
        --log-level warning --call-slice 1s --engine "$engine" --module-cache off "$@" >"$file.log" 2>&1 &
    server=$!
    python3 - "$port" "$path" "$requests" "$server" <<'PY'
import http.client, subprocess, sys, time
port, path, n, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
deadline = time.time() + 300
while True:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("GET", "/healthz"); c.getresponse().read()
        break
    except OSError:
        if time.time() > deadline: sys.exit("the server did not start under valgrind in 300 s")
        time.sleep(1)
def send(count):
    for _ in range(count):
        c.request("GET", path); r = c.getresponse(); r.read()
        if r.status != 200: sys.exit(f"{path}: status {r.status}")
send(50)
subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
send(n)
subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
PY
    kill "$server" && wait "$server" 2>/dev/null || true
    server=""
    local total
    total=$(sed -n 's/^summary: //p' "$file".1)
    echo $((total / requests))
}

cuckoo=(guests/build/cuckoo_filter.wasm --default-operation check_word_exists)
key='/?key=%7B%22name%22%3A%22foo%22%7D'
echo "instructions per request, wasmton serve on $engine, $requests keep-alive requests from one client"
printf '  %-36s %10s %10s\n' "" "event loop" "router"
for row in "check_word_exists GET /?key=…|$key" "healthz|/healthz"; do
    label=${row%%|*} path=${row#*|}
    direct=$(count "${label%% *}-direct" "$path" "${cuckoo[@]}")
    routed=$(count "${label%% *}-router" "$path" "${cuckoo[@]}" --no-event-loop-answers)
    printf '  %-36s %10d %10d   (%.2fx)\n' "$label" "$direct" "$routed" "$(echo "$routed / $direct" | bc -l)"
done
echo "profiles: callgrind_annotate $out/callgrind.$engine.NAME.out.1"
