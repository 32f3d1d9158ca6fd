#!/usr/bin/env bash
# Benchmarks/proxy.sh — requests/s and p50/p99 latency of `wasmton proxy` under wrk: the upstream
# alone, the proxy without a filter, and the proxy with the book's header filter, in the same run.
#
# The upstream is Debian's nginx (nginx-light, installed with apt when missing), run by this script
# as the current user with its own configuration in a fresh directory (daemon off, one worker by
# default, keep-alive without a request cap, no access log) on 127.0.0.1, serving a 128-byte static
# file. Rows, each measured with wrk -t2 -c16 -d10s --latency after a warm-up:
#
#   upstream     wrk → nginx
#   nginx-proxy  wrk → nginx as a reverse proxy (its own instance, keep-alive upstream) → nginx:
#                the anchor the wasmton rows are compared with
#   proxy        wrk → wasmton proxy → nginx (no filter)
#   filter       wrk → wasmton proxy --filter guests/build/proxy_header_filter.wasm → nginx
#   filter-wasmtime  the same with --engine wasmtime (scripts/install-wasmtime.sh installs it)
#   filter-info  the same at --log-level info: the filter logs every request header at info level
#                (a line per header and one more: 6 lines per wrk request, to the proxy's stderr,
#                here a file), so this row is what that logging costs; every other wasmton row runs
#                at --log-level warning
#
# The filter is checked before and under load: wrk sends `x-bench-expect-hello: 1` on the filter
# rows (0 on the others) and nginx answers 412 unless the request's x-hello is exactly the filter's
# "Hello world from 127.0.0.1:PORT" (and absent on the other rows), so a request that missed the
# filter counts as a non-2xx response and fails the run. Before each row a curl of /x-hello (nginx
# echoes the x-hello it got) shows what the upstream sees.
# Builds wasmton as the container image ships it (release, Swift runtime linked statically, as
# deploy/image/build.sh does) into .build-release (incremental). Every step is bounded in time; a
# response of status 400 or more, a socket error, a wrong answer or a dead server fails the script
# (exit 1) after the table is printed. nginx is stopped at the end (also on error or Ctrl-C).
#
# Environment (defaults in brackets):
#   PROXY_BENCH_DURATION       seconds of each measured wrk run [10]
#   PROXY_BENCH_WARMUP         seconds of wrk warm-up before each row [3]
#   PROXY_BENCH_THREADS        wrk threads [2]
#   PROXY_BENCH_CONNECTIONS    wrk connections [16]
#   PROXY_BENCH_REPEAT         runs of every row, interleaved; the table shows medians [1]
#   PROXY_BENCH_PORT           nginx's port; the proxy listens on the next one, nginx as a proxy on the one after; 19180-19197 [19180]
#   PROXY_BENCH_WORKERS        wasmton proxy --workers (filter VMs) [the proxy's default: cores]
#   PROXY_BENCH_NGINX_WORKERS  nginx worker_processes [1]
#   PROXY_BENCH_ROWS           which rows to measure ["upstream nginx-proxy proxy filter filter-wasmtime filter-info"]
#   PROXY_BENCH_INFO           0: leave out the filter-info row whatever PROXY_BENCH_ROWS says [1]
#   PROXY_BENCH_WASMTON        a wasmton binary to use instead of building .build-release's
#   PROXY_BENCH_BUILD_TIMEOUT  seconds the release build may take [5400]
#
# Output: the table on stdout (also saved, with the raw wrk output, nginx's configuration and
# logs, the proxy's logs and the JSON lines, in .build-release/proxy-bench/<date-time>/); progress
# on stderr.
set -euo pipefail
export SWIFT_DETERMINISTIC_HASHING=1

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$here/.." && pwd)
cd "$repo"

if [ $# -gt 0 ]; then
    case "$1" in
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" && exit 0 ;;
    *) echo "proxy.sh: no arguments (see --help; settings are environment variables)" >&2 && exit 2 ;;
    esac
fi

duration=${PROXY_BENCH_DURATION:-10}
warmup=${PROXY_BENCH_WARMUP:-3}
threads=${PROXY_BENCH_THREADS:-2}
connections=${PROXY_BENCH_CONNECTIONS:-16}
repeat=${PROXY_BENCH_REPEAT:-1}
nginx_port=${PROXY_BENCH_PORT:-19180}
proxy_port=$((nginx_port + 1))
# nginx as a reverse proxy (the anchor the wasmton rows are compared with): its own instance.
nginx_proxy_port=$((nginx_port + 2))
workers=${PROXY_BENCH_WORKERS:-}
nginx_workers=${PROXY_BENCH_NGINX_WORKERS:-1}
info_row=${PROXY_BENCH_INFO:-1}
rows=${PROXY_BENCH_ROWS:-upstream nginx-proxy proxy filter filter-wasmtime filter-info}
build_timeout=${PROXY_BENCH_BUILD_TIMEOUT:-5400}
filter_wasm=guests/build/proxy_header_filter.wasm
scratch="$repo/.build-release"
wasmton=${PROXY_BENCH_WASMTON:-$scratch/release/wasmton}

say() { echo "== $*" >&2; }
die() { echo "proxy.sh: $*" >&2; exit 1; }

for v in duration warmup threads connections repeat nginx_port nginx_workers build_timeout; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ -z "$workers" ] || [[ $workers =~ ^[1-9][0-9]*$ ]] || die "PROXY_BENCH_WORKERS must be a positive integer (got '$workers')"
[[ $info_row =~ ^[01]$ ]] || die "PROXY_BENCH_INFO must be 0 or 1 (got '$info_row')"
[ "$nginx_port" -ge 19180 ] && [ "$nginx_port" -le 19197 ] || die "PROXY_BENCH_PORT must be in 19180-19197 (got $nginx_port)"
[ "$connections" -ge "$threads" ] || die "wrk needs at least as many connections as threads"
for r in $rows; do [[ $r =~ ^(upstream|nginx-proxy|proxy|filter|filter-wasmtime|filter-info)$ ]] || die "PROXY_BENCH_ROWS: unknown row '$r' (upstream, nginx-proxy, proxy, filter, filter-wasmtime, filter-info)"; done
if [ "$info_row" = 0 ]; then rows=" $rows "; rows=${rows// filter-info / }; fi
measures() { [[ " $rows " == *" $1 "* ]]; }

# --- Tools: wrk, curl and nginx from apt when missing; python3 must be there -------------------
# (Debian's nginx package starts the system nginx on port 80 after installing it, unless
# policy-rc.d forbids it, as in containers; this script uses only its own instance.)
find_nginx() { command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; }; }
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
find_nginx >/dev/null || missing+=(nginx-light)
if ((${#missing[@]})); then
    say "installing ${missing[*]} (apt)"
    SUDO=""
    [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    timeout 300 $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive timeout 600 $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python=$(command -v python3) || die "python3 not found"
nginx=$(find_nginx) || die "nginx not found (apt-get install nginx-light)"
nginx_version=$("$nginx" -v 2>&1 | sed 's/^nginx version: //')

# --- wasmton (release) and the filter ----------------------------------------------------------
if [ -z "${PROXY_BENCH_WASMTON:-}" ]; then
    say "building wasmton (release) into $scratch — 10+ minutes the first time, incremental after"
    "$repo/scripts/install-deps.sh" >&2
    timeout -k 10 "$build_timeout" swift build -c release --product wasmton --static-swift-stdlib --scratch-path "$scratch" 2>&1 | tail -n 3 >&2 ||
        die "swift build failed or took more than ${build_timeout}s"
fi
[ -x "$wasmton" ] || die "no wasmton binary at $wasmton"
if measures filter-wasmtime; then
    WASMTON_WASMTIME_LIB="$("$repo/scripts/install-wasmtime.sh")" || die "cannot install Wasmtime's library"
    export WASMTON_WASMTIME_LIB
fi
timeout 30 "$wasmton" proxy --help >/dev/null 2>&1 || die "$wasmton has no working 'proxy' command"
[ -f "$filter_wasm" ] || die "$filter_wasm is missing (make -C guests)"

stamp=$(date +%Y%m%d-%H%M%S)
out="$scratch/proxy-bench/$stamp"
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
uptime_before=$(uptime)

# --- Processes ---------------------------------------------------------------------------------
port_busy() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
wait_port_free() {
    for _ in $(seq 50); do port_busy "$1" || return 0; sleep 0.2; done
    die "port $1 is in use"
}
# stop PID: SIGTERM (SIGQUIT for nginx: graceful), then SIGKILL after 10 s.
stop_pid() {
    local pid=$1 signal=${2:-TERM}
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill "-$signal" "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
proxy_pid="" nginx_pid=""
cleanup() {
    stop_pid "$proxy_pid"
    proxy_pid=""
    stop_pid "$nginx_pid" QUIT
    nginx_pid=""
    stop_pid "${nginx_proxy_pid:-}" QUIT
    nginx_proxy_pid=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- nginx: the upstream -----------------------------------------------------------------------
ngx="$out/nginx"
mkdir -p "$ngx/www" "$ngx/temp"
printf '%0127d\n' 0 | tr 0 x >"$ngx/www/index.html" # 128 bytes
file_bytes=$(wc -c <"$ngx/www/index.html")
user_line=""
[[ $(id -u) -ne 0 ]] || user_line="user $(id -un) $(id -gn);" # else the workers would run as nobody
# nginx_head DIR PURPOSE: the start of an nginx.conf whose files live in DIR, up to inside `http {`.
nginx_head() {
    cat <<NGINX
# Written by Benchmarks/proxy.sh: $2.
daemon off;
master_process on;
worker_processes $nginx_workers;
$user_line
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $1/temp/body;
    proxy_temp_path $1/temp/proxy;
    fastcgi_temp_path $1/temp/fastcgi;
    uwsgi_temp_path $1/temp/uwsgi;
    scgi_temp_path $1/temp/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
NGINX
}
{ nginx_head "$ngx" "the benchmark's upstream"; cat <<NGINX
    default_type application/octet-stream;
    # 1 (412 below) unless x-hello is what the request says to expect: the filter's value with
    # x-bench-expect-hello: 1, nothing with 0; requests without x-bench-expect-hello pass.
    map "\$http_x_bench_expect_hello:\$http_x_hello" \$bad_hello {
        default 1;
        "~^:" 0;
        "0:" 0;
        "1:Hello world from 127.0.0.1:$proxy_port" 0;
    }
    server {
        listen 127.0.0.1:$nginx_port;
        root $ngx/www;
        if (\$bad_hello) { return 412 "unexpected x-hello: '\$http_x_hello'\n"; }
        location = /x-hello { default_type text/plain; return 200 "\$http_x_hello"; }
    }
}
NGINX
} >"$ngx/nginx.conf"
wait_port_free "$nginx_port"
wait_port_free "$proxy_port"
timeout 30 "$nginx" -p "$ngx" -e "$ngx/error.log" -c "$ngx/nginx.conf" -t >"$ngx/config-test.log" 2>&1 ||
    { cat "$ngx/config-test.log" >&2; die "nginx rejected its configuration"; }
say "starting nginx ($nginx_version, $nginx_workers worker(s)) on 127.0.0.1:$nginx_port"
"$nginx" -p "$ngx" -e "$ngx/error.log" -c "$ngx/nginx.conf" >"$ngx/stdout.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 100); do
    kill -0 "$nginx_pid" 2>/dev/null || { cat "$ngx/error.log" >&2; die "nginx exited"; }
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$nginx_port/index.html" 2>/dev/null && break
    sleep 0.1
done
curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$nginx_port/index.html" || die "nginx is not answering after 10 s"
nginx_pids=$nginx_pid
for p in $(pgrep -P "$nginx_pid"); do nginx_pids="$nginx_pids,$p"; done

# --- nginx: the reverse proxy the wasmton rows are measured against ----------------------------
# Same worker count as the upstream, keep-alive to the upstream (as wasmton's client pool), the
# same forwarded headers wasmton adds, no buffering to disk.
ngp="$out/nginx-proxy"
mkdir -p "$ngp/temp"
{ nginx_head "$ngp" "nginx as a reverse proxy to the benchmark's upstream"; cat <<NGINX
    upstream bench_upstream { server 127.0.0.1:$nginx_port; keepalive 64; }
    server {
        listen 127.0.0.1:$nginx_proxy_port;
        location / {
            proxy_pass http://bench_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto http;
        }
    }
}
NGINX
} >"$ngp/nginx.conf"
nginx_proxy_pid=""
if measures nginx-proxy; then
    wait_port_free "$nginx_proxy_port"
    timeout 30 "$nginx" -p "$ngp" -e "$ngp/error.log" -c "$ngp/nginx.conf" -t >"$ngp/config-test.log" 2>&1 ||
        { cat "$ngp/config-test.log" >&2; die "nginx (reverse proxy) rejected its configuration"; }
    "$nginx" -p "$ngp" -e "$ngp/error.log" -c "$ngp/nginx.conf" >"$ngp/stdout.log" 2>&1 &
    nginx_proxy_pid=$!
    for _ in $(seq 100); do
        curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$nginx_proxy_port/index.html" 2>/dev/null && break
        sleep 0.1
    done
fi

# --- Rows --------------------------------------------------------------------------------------
wrk_base=(wrk "-t$threads" "-c$connections" --timeout 5s --latency -s "$here/gateway/wrk.lua")
failed=0
notes=()

# check URL PATH EXPECTED: one curl; the answer must be 200 with this body.
check() {
    local answer
    answer=$(curl -sS --max-time 10 -w '\n%{http_code}' "$1$2") || true
    answer="${answer##*$'\n'} $(sed -e '$d' <<<"$answer" | tr -d '\n')"
    [ "$answer" = "200 $3" ] || die "GET $1$2 answered '$answer', expected '200 $3'"
}

# bench ROW LABEL LOG_LEVEL [--filter FILE]: one row: starts the proxy (except for the upstream
# row), checks the answers, warms up, measures, stops the proxy.
bench() {
    local row=$1 label=$2 level=$3
    shift 3
    measures "$row" || return 0
    local slug="$row-r$run" url expect=0 hello="" pid="-"
    local tags
    tags=$(printf '{"label": "%s", "row": "%s", "run": %d, "log_level": "%s"}' "$label" "$row" "$run" "$level")
    say "$label (run $run of $repeat)"
    if [ "$row" = upstream ]; then
        url="http://127.0.0.1:$nginx_port"
    elif [ "$row" = nginx-proxy ]; then
        url="http://127.0.0.1:$nginx_proxy_port"
        pid=$nginx_proxy_pid
        for p in $(pgrep -P "$nginx_proxy_pid"); do pid="$pid,$p"; done
    else
        url="http://127.0.0.1:$proxy_port"
        local cmd=("$wasmton" proxy --listen "127.0.0.1:$proxy_port" --upstream "http://127.0.0.1:$nginx_port"
            --log-level "$level" ${workers:+--workers "$workers"} "$@")
        echo "${cmd[*]}" >"$out/proxy-$slug.cmd"
        wait_port_free "$proxy_port"
        "${cmd[@]}" >"$out/proxy-$slug.log" 2>&1 &
        proxy_pid=$!
        pid=$proxy_pid
        local ready=0
        for _ in $(seq 300); do
            if ! kill -0 "$proxy_pid" 2>/dev/null; then
                # A row that cannot start is reported as failed; the other rows are still measured.
                tail -n 5 "$out/proxy-$slug.log" >&2
                wait "$proxy_pid" 2>/dev/null || true
                proxy_pid=""
                "$python" "$here/proxy/measure.py" failed "$results" "$tags" \
                    "the proxy exited before it was ready: $(grep -m1 '^error' "$out/proxy-$slug.log" || tail -n 1 "$out/proxy-$slug.log")"
                failed=1
                return 0
            fi
            curl -fsS -o /dev/null --max-time 1 "$url/index.html" 2>/dev/null && { ready=1; break; }
            sleep 0.1
        done
        [ "$ready" = 1 ] || { tail -n 20 "$out/proxy-$slug.log" >&2; die "the proxy is not answering after 30 s: ${cmd[*]}"; }
    fi
    if [ "$#" -gt 0 ]; then expect=1 hello="Hello world from 127.0.0.1:$proxy_port"; fi
    check "$url" /x-hello "$hello" # what the upstream saw
    check "$url" /index.html "$(tr -d '\n' <"$ngx/www/index.html")"
    local wrk_args=(-H "x-bench-expect-hello: $expect" "$url/index.html")
    timeout -k 5 $((warmup + 30)) "${wrk_base[@]}" "-d${warmup}s" "${wrk_args[@]}" >"$out/warmup-$slug.txt" 2>&1 ||
        say "warm-up wrk failed (see $out/warmup-$slug.txt)"
    local bytes_before=0 lines_before=0
    [ "$pid" = "-" ] || [ "$row" = nginx-proxy ] || { bytes_before=$(wc -c <"$out/proxy-$slug.log"); lines_before=$(wc -l <"$out/proxy-$slug.log"); }
    "$python" "$here/proxy/measure.py" run "$results" "$tags" "$pid" "$nginx_pids" $((duration + 30)) "$out/wrk-$slug.txt" -- \
        "${wrk_base[@]}" "-d${duration}s" "${wrk_args[@]}" || failed=1
    if [ "$pid" != "-" ] && [ "$row" != nginx-proxy ]; then
        kill -0 "$proxy_pid" 2>/dev/null || { failed=1; say "the proxy died during the run (see $out/proxy-$slug.log)"; }
        stop_pid "$proxy_pid"
        proxy_pid=""
        # What the proxy logged during the measured run (the shutdown adds a line or two).
        local log_bytes log_lines requests
        log_bytes=$(($(wc -c <"$out/proxy-$slug.log") - bytes_before))
        log_lines=$(($(wc -l <"$out/proxy-$slug.log") - lines_before))
        requests=$(tail -n 1 "$results" | "$python" -c 'import json, sys; print(json.load(sys.stdin).get("requests", 0))')
        if [ "$log_lines" -gt 0 ]; then
            notes+=("$label, run $run: the proxy logged $log_lines lines ($(awk -v b="$log_bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }')) during the measured run, $(awk -v l="$log_lines" -v r="$requests" 'BEGIN { printf "%.1f", r ? l / r : 0 }') per request; first lines: proxy-$slug.log")
        fi
        if [ "$level" = info ] && [ "$(wc -l <"$out/proxy-$slug.log")" -gt 1000 ]; then # keep its first 1000 lines
            head -n 1000 "$out/proxy-$slug.log" >"$out/proxy-$slug.log.head" && mv "$out/proxy-$slug.log.head" "$out/proxy-$slug.log"
        fi
    fi
    kill -0 "$nginx_pid" 2>/dev/null || die "nginx died (see $ngx/error.log)"
}

for run in $(seq 1 "$repeat"); do
    bench upstream "nginx alone (upstream)" -
    bench nginx-proxy "nginx as a reverse proxy" -
    bench proxy "wasmton proxy, no filter" warning
    bench filter "wasmton proxy + header filter" warning --filter "$filter_wasm"
    bench filter-wasmtime "wasmton proxy --engine wasmtime + header filter" warning --engine wasmtime --filter "$filter_wasm"
    bench filter-info "wasmton proxy + header filter, log info" info --filter "$filter_wasm"
done
cleanup

# --- Table -------------------------------------------------------------------------------------
cores=$(nproc)
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
revision=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$repo" status --porcelain -- Sources Package.swift 2>/dev/null)" ] || revision="$revision + uncommitted changes"
built="built from $revision"
[ -z "${PROXY_BENCH_WASMTON:-}" ] || built="given by PROXY_BENCH_WASMTON (not built here; the tree is at $revision)"
notes+=("uptime before: $uptime_before" "uptime after:  $(uptime)")
status=0
"$python" "$here/proxy/measure.py" table "$results" \
    "wrk=wrk -t$threads -c$connections -d${duration}s --latency GET /index.html (${file_bytes} B), loopback" \
    "warmup=${warmup}s" "repeat=$repeat" "cores=$cores" "cpu=${cpu_model:-unknown CPU}" \
    "load_before=$load_before" "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" \
    "upstream=$nginx_version, $nginx_workers worker(s), static file, no access log" \
    "proxy=${wasmton#"$repo"/} proxy --log-level warning (filter-info: info), --workers ${workers:-default (cores)}, $built" \
    "filter=$filter_wasm (the book's filter: logs every header at info, sets x-hello; nginx answered 412 to any request without it)" \
    "when=$(date -u '+%Y-%m-%d %H:%M UTC')" "notes=$(IFS='|'; echo "${notes[*]}")" | tee "$out/table.txt" || status=$?
say "raw results, wrk output, nginx's configuration and the proxy's logs: $out/"
[ "$failed" = 0 ] && [ "$status" = 0 ] || die "some runs failed (errors, non-2xx responses or socket errors): see above"
