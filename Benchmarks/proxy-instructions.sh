#!/usr/bin/env bash
# Benchmarks/proxy-instructions.sh — instructions and syscalls per request of `wasmton proxy`, repeatable.
#
# Starts an nginx upstream (its own configuration in .build-release/proxy-instructions/nginx,
# serving a 128-byte file, as Benchmarks/proxy.sh does), then for each row starts
# `wasmton proxy` in front of it under valgrind's callgrind, warms it up, zeroes the counters
# (callgrind_control -z), sends N keep-alive requests from one client (the headers wrk sends in
# Benchmarks/proxy.sh), and dumps the counters (callgrind_control -d): every instruction the
# proxy ran for those N requests, on all its threads, divided by N. Then the same row once more
# without valgrind, with `strace -c -f` attached to all its threads for the N requests after the
# warm-up: syscalls per request. Counted rather than timed, the figures repeat for one binary whatever else the
# machine does: use them to see what a change to the proxy's path is worth before a timed run of
# Benchmarks/proxy.sh (which needs a quiet machine).
#
# Filters run with --inline-filter-budget 1s: under valgrind every event takes longer than the
# default 1 ms, and the chain would leave the event loop for guest threads, which it does not in a
# timed run. Rows: proxy (no filter), filter (guests/build/proxy_header_filter.wasm on WasmKit) and
# filter-wasmtime (the same with --engine wasmtime; scripts/install-wasmtime.sh installs it).
#
#   Benchmarks/proxy-instructions.sh [ROW...]     (default: proxy filter filter-wasmtime)
#
# Environment: PROXY_INSTRUCTIONS_REQUESTS [1000], PROXY_INSTRUCTIONS_STRACE [1: also count syscalls],
# PROXY_BENCH_WASMTON [.build-release/release/wasmton].
# The callgrind files stay in .build-release/proxy-instructions/ for callgrind_annotate.
set -euo pipefail
export SWIFT_DETERMINISTIC_HASHING=1

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$here/.." && pwd)
cd "$repo"

requests=${PROXY_INSTRUCTIONS_REQUESTS:-1000}
[[ $requests =~ ^[1-9][0-9]*$ ]] || { echo "proxy-instructions.sh: PROXY_INSTRUCTIONS_REQUESTS must be a positive integer" >&2; exit 2; }
count_syscalls=${PROXY_INSTRUCTIONS_STRACE:-1}
rows=${*:-proxy filter filter-wasmtime}
wasmton=${PROXY_BENCH_WASMTON:-.build-release/release/wasmton}
filter_wasm=guests/build/proxy_header_filter.wasm
out=$repo/.build-release/proxy-instructions
nginx_port=19198
proxy_port=19199
mkdir -p "$out/nginx/www" "$out/nginx/temp"

missing=()
command -v valgrind >/dev/null || missing+=(valgrind)
command -v objcopy >/dev/null || missing+=(binutils)
command -v strace >/dev/null || missing+=(strace)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if ((${#missing[@]})); then
    echo "== installing ${missing[*]}" >&2
    SUDO=""
    [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
nginx=$(command -v nginx || echo /usr/sbin/nginx)
for r in $rows; do
    case $r in
    proxy | filter) ;;
    filter-wasmtime) [ -n "${WASMTON_WASMTIME_LIB:-}" ] || { WASMTON_WASMTIME_LIB="$(scripts/install-wasmtime.sh)" && export WASMTON_WASMTIME_LIB; } ;;
    *) echo "proxy-instructions.sh: unknown row '$r' (proxy, filter, filter-wasmtime)" >&2 && exit 2 ;;
    esac
done
if [ ! -x "$wasmton" ]; then
    echo "== building wasmton (release)" >&2
    scripts/install-deps.sh >&2
    swift build -c release --product wasmton --static-swift-stdlib --scratch-path .build-release >&2
fi
objcopy --strip-debug "$wasmton" "$out/wasmton"

# --- nginx: the upstream ---------------------------------------------------------------------
ngx=$out/nginx
printf '%0127d\n' 0 | tr 0 x >"$ngx/www/index.html"
user_line=""
[[ $(id -u) -ne 0 ]] || user_line="user $(id -un) $(id -gn);"
cat >"$ngx/nginx.conf" <<NGINX
# Written by Benchmarks/proxy-instructions.sh.
daemon off;
master_process on;
worker_processes 1;
$user_line
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $ngx/temp/body;
    proxy_temp_path $ngx/temp/proxy;
    fastcgi_temp_path $ngx/temp/fastcgi;
    uwsgi_temp_path $ngx/temp/uwsgi;
    scgi_temp_path $ngx/temp/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$nginx_port;
        root $ngx/www;
        location = /x-hello { default_type text/plain; return 200 "\$http_x_hello"; }
    }
}
NGINX
server="" nginx_pid=""
cleanup() {
    [ -z "$server" ] || kill "$server" 2>/dev/null || true
    [ -z "$nginx_pid" ] || kill -QUIT "$nginx_pid" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT
"$nginx" -p "$ngx" -e "$ngx/error.log" -c "$ngx/nginx.conf" >"$ngx/stdout.log" 2>&1 &
nginx_pid=$!

# drive PID EXPECTED-HELLO MODE [TRACE]: waits for the proxy, checks what the upstream sees, sends
# 50 requests, then N more: MODE callgrind zeroes callgrind's counters before them and dumps them
# after; MODE strace attaches `strace -c -f` to every thread of PID before them (summary in TRACE)
# and detaches after.
drive() {
    python3 - "$proxy_port" "$requests" "$1" "$2" "$3" "${4:-}" <<'PY'
import os, signal, socket, subprocess, sys, time
port, n, pid, hello, mode, trace = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
deadline = time.time() + 300
while True:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        break
    except OSError:
        if time.time() > deadline: sys.exit("the proxy did not start in 300 s")
        time.sleep(0.5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile("rb")
def get(path):
    # The headers wrk sends (Benchmarks/proxy.sh).
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nx-bench-expect-hello: 0\r\n\r\n".encode())
    status = f.readline().split()[1]
    length = 0
    while True:
        line = f.readline()
        if line in (b"\r\n", b""): break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length": length = int(value)
    body = f.read(length)
    if status != b"200": sys.exit(f"{path}: status {status.decode()}: {body[:200]!r}")
    return body
seen = get("/x-hello").decode()
expected = f"Hello world from 127.0.0.1:{port}" if hello == "1" else ""
if seen != expected: sys.exit(f"the upstream saw x-hello {seen!r}, expected {expected!r}")
for _ in range(49): get("/index.html")
if mode == "callgrind":
    subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
else:
    tracer = subprocess.Popen(["strace", "-c", "-f", "-o", trace] + [a for t in os.listdir(f"/proc/{pid}/task") for a in ("-p", t)],
                              stderr=subprocess.DEVNULL)
    time.sleep(2)
for _ in range(n): get("/index.html")
if mode == "callgrind":
    subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
else:
    time.sleep(0.5)
    tracer.send_signal(signal.SIGINT)
    tracer.wait(timeout=30)
PY
}

# count ROW: "instructions syscalls" per request for one row.
count() {
    local row=$1 args=() hello=0
    case $row in
    filter) args=(--filter "$filter_wasm") hello=1 ;;
    filter-wasmtime) args=(--engine wasmtime --filter "$filter_wasm") hello=1 ;;
    esac
    local proxy=(proxy --listen "127.0.0.1:$proxy_port" --upstream "http://127.0.0.1:$nginx_port" --log-level warning --inline-filter-budget 1s "${args[@]}")
    local file="$out/callgrind.$row.out"
    rm -f "$file" "$file".*
    valgrind --tool=callgrind --callgrind-out-file="$file" "$out/wasmton" "${proxy[@]}" >"$file.log" 2>&1 &
    server=$!
    drive "$server" "$hello" callgrind
    kill "$server" && wait "$server" 2>/dev/null || true
    server=""
    local total syscalls="-"
    total=$(sed -n 's/^summary: //p' "$file".1)
    if [ "$count_syscalls" = 1 ]; then
        local trace="$out/strace.$row.txt"
        "$out/wasmton" "${proxy[@]}" >"$out/strace.$row.log" 2>&1 &
        server=$!
        drive "$server" "$hello" strace "$trace"
        kill "$server" && wait "$server" 2>/dev/null || true
        server=""
        # The total line: % time, seconds, usecs/call, calls, [errors,] "total".
        syscalls=$(awk '$NF == "total" { print $4 }' "$trace")
        syscalls=$(echo "scale=1; $syscalls / $requests" | bc -l)
    fi
    echo "$((total / requests)) $syscalls"
}

echo "per request, wasmton proxy → nginx, $requests keep-alive GETs from one client"
printf '  %-18s %14s %10s\n' "" "instructions" "syscalls"
for row in $rows; do
    read -r instructions syscalls < <(count "$row")
    printf '  %-18s %14d %10s\n' "$row" "$instructions" "$syscalls"
done
echo "profiles: callgrind_annotate --inclusive=yes $out/callgrind.ROW.out.1; syscalls: $out/strace.ROW.txt"
