#!/usr/bin/env bash
# Benchmarks/sockets.sh — tasks/s of the article's network processor through WASI sockets.
#
# guests/build/http_get.wasm (task {"path": …} -> `GET path HTTP/1.0` to a local server, answer
# copied to stdout) runs under `wasmton process --input FILE --input-format jsonl` (the embedded
# file source: one partition, no broker) at each partition concurrency of
# SOCKETS_BENCH_CONCURRENCY, against a local HTTP server that answers every request after
# SOCKETS_BENCH_DELAY_MS ms (a small epoll server in C, compiled here; one connection per
# request, as the guest makes).
# Beside it, in the same run and on the same input files:
#
#   - the server alone, driven by wrk (or a small Python asyncio client if wrk is missing) with
#     as many connections as the concurrency and `Connection: close`: what the server and
#     loopback allow on this machine, to show the server is not what limits wasmton;
#   - guests/build/sleep_processor.wasm, which sleeps the same time without any network: the
#     engine's own cost at that concurrency, so the socket overhead is the difference.
#
# Every record has a unique key ("task-<i>"), so the key router (FNV-1a of the key, modulo the
# lanes) spreads the records over the lanes; hashing is not perfectly even, so the table also
# gives the "key bound": the rate if only the busiest lane's tasks × delay limited the run.
# "ideal" is concurrency / delay. "seconds" is the run's wall time minus wasmton's start-up and
# exit (measured with a one-record run of the same module, best of 3), so a short run is not
# charged for loading the module. "CPU ms/task" is wasmton's user + system time per task.
#
# Environment (defaults in brackets):
#   SOCKETS_BENCH_CONCURRENCY   partition concurrencies ["1 8 64"]
#   SOCKETS_BENCH_TASKS         tasks at concurrency c: max(300, c × this) … [250]
#   SOCKETS_BENCH_CAP           … but at most this many [6000]
#   SOCKETS_BENCH_DELAY_MS      the server's answer delay, ms [10]
#   SOCKETS_BENCH_CLIENT_SECONDS  seconds of each server-alone measurement [3]
#   SOCKETS_BENCH_TIMEOUT       upper bound for one wasmton run, seconds [120]
#   SOCKETS_BENCH_PORT          the HTTP server's port, 19160-19179 [19160]
#   SOCKETS_BENCH_WASMTON       the wasmton binary [.build-release/release/wasmton, built
#                               (incrementally) with `swift build -c release` first]
#
# Output: the table on stdout (also saved, with each run's stderr, under
# .build-release/sockets-bench/); progress on stderr. Under a minute after the build.
set -euo pipefail
export SWIFT_DETERMINISTIC_HASHING=1

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$here/.." && pwd)
cd "$repo"

concurrency=${SOCKETS_BENCH_CONCURRENCY:-1 8 64}
per_lane=${SOCKETS_BENCH_TASKS:-250}
cap=${SOCKETS_BENCH_CAP:-6000}
delay_ms=${SOCKETS_BENCH_DELAY_MS:-10}
client_seconds=${SOCKETS_BENCH_CLIENT_SECONDS:-3}
run_timeout=${SOCKETS_BENCH_TIMEOUT:-120}
port=${SOCKETS_BENCH_PORT:-19160}
scratch="$repo/.build-release"
wasmton=${SOCKETS_BENCH_WASMTON:-}

say() { echo "== $*" >&2; }
die() { echo "sockets.sh: $*" >&2; exit 1; }

for v in per_lane cap delay_ms client_seconds run_timeout port; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
for c in $concurrency; do
    [[ $c =~ ^[1-9][0-9]*$ ]] || die "bad partition concurrency '$c'"
done
[ "$port" -ge 19160 ] && [ "$port" -le 19179 ] || die "the port must be in 19160-19179 (got $port)"
python=$(command -v python3) || die "python3 not found"
command -v cc >/dev/null || die "no C compiler (cc) found"
port_busy() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
if port_busy "$port"; then die "port $port is in use (SOCKETS_BENCH_PORT picks another in 19160-19179)"; fi

# --- wasmton (release) and the guests --------------------------------------------------------
if [ -z "$wasmton" ]; then
    wasmton="$scratch/release/wasmton"
    say "swift build -c release --product wasmton --static-swift-stdlib --scratch-path ${scratch#"$repo"/} (10+ minutes the first time)"
    "$repo/scripts/install-deps.sh" >&2
    swift build -c release --product wasmton --static-swift-stdlib --scratch-path "$scratch" >&2
fi
[ -x "$wasmton" ] || die "no wasmton binary at $wasmton"
"$wasmton" process --help 2>&1 | grep -q -- --allow-connect || die "$wasmton has no --allow-connect (too old)"
for g in http_get sleep_processor; do
    [ -f "guests/build/$g.wasm" ] || die "no guests/build/$g.wasm (make -C guests)"
done

out="$scratch/sockets-bench"
mkdir -p "$out"
stamp=$(date +%Y%m%d-%H%M%S)
runs="$out/runs-$stamp"
mkdir -p "$runs"

# --- The HTTP server: every answer after the delay, one connection per request ---------------
# In C (epoll, one thread): a Python server tops out near 2,000 connections/s on a busy 2-core
# machine, under the 6,400/s that concurrency 64 needs.
cat >"$out/delay_server.c" <<'C'
/* HTTP/1.0 server for Benchmarks/sockets.sh: 127.0.0.1:PORT, one thread, epoll. Reads a request
 * head, answers `answer for PATH` DELAY_MS ms later (a FIFO of deadlines and a timerfd, since
 * every delay is the same) and closes. GET /__stats answers {"requests", "max_open"} at once,
 * uncounted. Exits on SIGTERM/SIGINT. usage: delay_server PORT DELAY_MS */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 65536
#define HEAD 4096

struct conn { char head[HEAD]; int len; int queued; };
static struct conn *conns[MAX_FDS];
static struct { int fd; struct timespec due; char path[256]; } *queue;
static size_t qhead, qtail, qcap = MAX_FDS;
static long requests, open_now, max_open;

static void drop(int fd) {
    free(conns[fd]);
    conns[fd] = NULL;
    close(fd);
    open_now--;
}

static void answer(int fd, const char *path) {
    char body[512], out[1024];
    int b = snprintf(body, sizeof body, "answer for %s\n", path);
    int n = snprintf(out, sizeof out,
                     "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s",
                     b, body);
    (void)!write(fd, out, (size_t)n); /* small: fits an empty send buffer; a gone client is ignored */
    drop(fd);
}

static void arm(int tfd) {
    struct itimerspec spec = {0};
    if (qhead != qtail) spec.it_value = queue[qhead % qcap].due;
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &spec, NULL);
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: delay_server PORT DELAY_MS\n"); return 2; }
    int port = atoi(argv[1]);
    long delay_ns = atol(argv[2]) * 1000000L;
    signal(SIGPIPE, SIG_IGN);
    queue = calloc(qcap, sizeof *queue);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 4096) != 0) {
        perror("delay_server: bind/listen");
        return 1;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    ev.data.fd = tfd;
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
    fprintf(stderr, "delay_server: listening on 127.0.0.1:%d, answers after %s ms\n", port, argv[2]);
    struct epoll_event events[256];
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);
        if (n < 0) { if (errno == EINTR) continue; perror("epoll_wait"); return 1; }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == lfd) {
                int c;
                while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    if (c >= MAX_FDS) { close(c); continue; }
                    conns[c] = calloc(1, sizeof **conns);
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    if (++open_now > max_open) max_open = open_now;
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                }
            } else if (fd == tfd) {
                uint64_t ticks;
                (void)!read(tfd, &ticks, sizeof ticks);
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                while (qhead != qtail) {
                    typeof(*queue) *q = &queue[qhead % qcap];
                    if (q->due.tv_sec > now.tv_sec || (q->due.tv_sec == now.tv_sec && q->due.tv_nsec > now.tv_nsec)) break;
                    answer(q->fd, q->path);
                    qhead++;
                }
                arm(tfd);
            } else {
                struct conn *c = conns[fd];
                if (c == NULL || c->queued) continue;
                ssize_t r = read(fd, c->head + c->len, HEAD - 1 - (size_t)c->len);
                if (r <= 0) {
                    if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                    drop(fd);
                    continue;
                }
                c->len += (int)r;
                c->head[c->len] = '\0';
                if (strstr(c->head, "\r\n\r\n") == NULL) {
                    if (c->len >= HEAD - 1) drop(fd);
                    continue;
                }
                char path[256] = "/";
                sscanf(c->head, "%*s %255s", path);
                epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
                if (strcmp(path, "/__stats") == 0) {
                    char stats[128];
                    snprintf(stats, sizeof stats, "{\"requests\": %ld, \"max_open\": %ld}", requests, max_open);
                    char out[256];
                    int m = snprintf(out, sizeof out, "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n%s", strlen(stats), stats);
                    (void)!write(fd, out, (size_t)m);
                    drop(fd);
                    continue;
                }
                requests++;
                c->queued = 1;
                typeof(*queue) *q = &queue[qtail % qcap];
                q->fd = fd;
                strcpy(q->path, path);
                clock_gettime(CLOCK_MONOTONIC, &q->due);
                q->due.tv_nsec += delay_ns;
                while (q->due.tv_nsec >= 1000000000L) { q->due.tv_nsec -= 1000000000L; q->due.tv_sec++; }
                if (qhead == qtail++) arm(tfd);
            }
        }
    }
}
C
cc -std=gnu11 -O2 -Wall -Wextra -o "$out/delay_server" "$out/delay_server.c"

say "HTTP server on 127.0.0.1:$port, answers after $delay_ms ms"
"$out/delay_server" "$port" "$delay_ms" 2>"$out/server-$stamp.log" &
server_pid=$!
cleanup() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for _ in $(seq 50); do port_busy "$port" && break; sleep 0.1; done
port_busy "$port" || die "the HTTP server did not start (see $out/server-$stamp.log)"

# --- Measurements and the table --------------------------------------------------------------
cat >"$out/bench.py" <<'PY'
"""Drives the runs and prints the table; see Benchmarks/sockets.sh."""
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

(wasmton, port, delay_ms, concurrencies, per_lane, cap, client_seconds, run_timeout, runs, notes) = sys.argv[1:]
port, delay_ms, per_lane, cap = int(port), int(delay_ms), int(per_lane), int(cap)
client_seconds, run_timeout = int(client_seconds), int(run_timeout)
concurrencies = [int(c) for c in concurrencies.split()]
delay = delay_ms / 1000
GUESTS = "guests/build"


def say(text):
    print(f"== {text}", file=sys.stderr, flush=True)


def server_stats():
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__stats", timeout=5) as answer:
        return json.loads(answer.read())


def fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def busiest_lane(n, lanes):
    counts = [0] * lanes
    for i in range(n):
        counts[fnv1a(f"task-{i}".encode()) % lanes] += 1
    return max(counts)


def input_file(n):
    path = os.path.join(runs, f"tasks-{n}.jsonl")
    if not os.path.exists(path):
        with open(path, "w") as f:
            for i in range(n):
                f.write(json.dumps({"key": f"task-{i}", "value": {"path": f"/item/{i}"}}) + "\n")
    return path


# ---- the server alone ----


async def python_client(connections, seconds):
    done = 0
    deadline = time.monotonic() + seconds

    async def loop():
        nonlocal done
        while time.monotonic() < deadline:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /probe HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            await writer.drain()
            await reader.read()
            writer.close()
            done += 1

    start = time.monotonic()
    await asyncio.gather(*(loop() for _ in range(connections)))
    return done, time.monotonic() - start


def server_alone(c):
    before = server_stats()["requests"]
    wrk = shutil.which("wrk")
    if wrk:
        threads = min(c, 2)
        result = subprocess.run(
            [wrk, f"-t{threads}", f"-c{c}", f"-d{client_seconds}s", "-H", "Connection: close",
             f"http://127.0.0.1:{port}/probe"],
            capture_output=True, text=True, timeout=client_seconds + 30)
        m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", result.stdout)
        if not m:
            raise RuntimeError(f"cannot read wrk's output:\n{result.stdout}{result.stderr}")
        errors = re.search(r"Socket errors: (.*)", result.stdout)
        seconds = float(m.group(2)) / (1000 if m.group(3) == "ms" else 1)
        tasks, client = int(m.group(1)), "wrk"
        note = f"wrk socket errors: {errors.group(1)}" if errors else ""
    else:
        tasks, seconds = asyncio.run(python_client(c, client_seconds))
        client, note = "python client", ""
    served = server_stats()["requests"] - before
    return {"label": f"server alone ({client})", "c": c, "tasks": tasks, "seconds": seconds,
            "note": note + (f" server counted {served}" if abs(served - tasks) > c else "")}


# ---- wasmton ----

SUMMARY = re.compile(r"wasmton: processed (\d+), discarded (\d+), retried (\d+), dead-lettered (\d+)")


def wasmton_once(module, path, c, tag):
    args = [wasmton, "process", os.path.join(GUESTS, module), "--input", path, "--input-format", "jsonl",
            "--partition-concurrency", str(c), "--max-retries", "0", "--log-level", "warning"]
    if module == "http_get.wasm":
        args += ["--env", "HTTP_HOST=127.0.0.1", "--env", f"HTTP_PORT={port}",
                 "--allow-connect", f"127.0.0.1:{port}"]
    stdout_path = os.path.join(runs, f"{tag}.stdout")
    stderr_path = os.path.join(runs, f"{tag}.stderr")
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        start = time.monotonic()
        process = subprocess.Popen(args, stdout=out, stderr=err)
        try:
            _, code, usage = wait4_with_timeout(process, run_timeout)
        finally:
            if process.returncode is None and process.poll() is None:
                process.kill()
                process.wait()
        seconds = time.monotonic() - start
    status = os.waitstatus_to_exitcode(code)
    with open(stderr_path, errors="replace") as f:
        summary = SUMMARY.search(f.read())
    return seconds, status, summary, stdout_path, usage.ru_utime + usage.ru_stime


def wait4_with_timeout(process, limit):
    """os.wait4 on the process (its CPU time, user + system), killing it after `limit` seconds."""
    deadline = time.monotonic() + limit
    while True:
        pid, code, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(code)
            return pid, code, usage
        if time.monotonic() > deadline:
            process.kill()
            pid, code, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(code)
            return pid, code, usage
        time.sleep(0.01)


def startup(module):
    """Wall time of a one-task run minus the task's delay: wasmton's start-up and exit."""
    path = input_file(1)
    best = min(wasmton_once(module, path, 1, f"startup-{module}-{k}")[0] for k in range(3))
    return max(0.0, best - delay)


def wasmton_run(module, c, n, overhead):
    label = module.removesuffix(".wasm")
    say(f"wasmton process {module} --partition-concurrency {c} ({n} tasks)")
    before = server_stats()["requests"]
    seconds, status, summary, stdout_path, cpu = wasmton_once(module, input_file(n), c, f"{label}-c{c}")
    problems = []
    if status != 0:
        problems.append(f"exit status {status}")
    if summary is None or int(summary.group(1)) != n:
        problems.append(f"summary {summary.group(0) if summary else 'missing'}")
    if module == "http_get.wasm":
        served = server_stats()["requests"] - before
        with open(stdout_path, "rb") as f:
            answers = f.read().count(b"HTTP/1.0 200 OK")
        if served != n or answers != n:
            problems.append(f"server counted {served} requests, {answers} answers on stdout")
    return {"label": f"wasmton {label}", "c": c, "tasks": n, "seconds": max(seconds - overhead, 1e-6),
            "wall": seconds, "cpu": cpu, "note": "; ".join(problems)}


rows = []
say("start-up of each module (one-task runs, best of 3)")
overheads = {m: startup(m) for m in ("sleep_processor.wasm", "http_get.wasm")}
for c in concurrencies:
    n = min(max(300, c * per_lane), cap)
    say(f"server alone, {c} connections, {client_seconds} s")
    rows.append(server_alone(c))
    for module in ("sleep_processor.wasm", "http_get.wasm"):
        row = wasmton_run(module, c, n, overheads[module])
        row["busiest"] = busiest_lane(n, c)
        rows.append(row)
max_open = server_stats()["max_open"]

header = ["", "concurrency", "tasks", "seconds", "tasks/s", "ideal", "% of ideal", "key bound", "CPU ms/task"]
lines = []
for r in rows:
    rate = r["tasks"] / r["seconds"]
    ideal = r["c"] / delay
    bound = f"{r['tasks'] / (r['busiest'] * delay):,.0f}" if "busiest" in r else ""
    lines.append([r["label"], str(r["c"]), f"{r['tasks']:,}", f"{r['seconds']:.2f}", f"{rate:,.0f}",
                  f"{ideal:,.0f}", f"{100 * rate / ideal:.0f}%", bound,
                  f"{1000 * r['cpu'] / r['tasks']:.3f}" if "cpu" in r else ""])
widths = [max(len(x[i]) for x in [header] + lines) for i in range(len(header))]


def fmt(cols):
    return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cols, widths)))


print(f"WASI sockets benchmark: tasks/s of guests/build/http_get.wasm (one GET per task) vs sleep_processor.wasm,")
print(f"`wasmton process --input FILE` (one partition), HTTP server (C, epoll) answering after {delay_ms} ms.")
print(notes)
print()
print(fmt(header))
print(fmt(["-" * w for w in widths]))
previous = None
for r, cols in zip(rows, lines):
    if previous is not None and r["c"] != previous:
        print()
    previous = r["c"]
    print(fmt(cols))
print()
print(f"ideal = concurrency / {delay_ms} ms; key bound = tasks / (busiest lane's tasks × {delay_ms} ms), the best a")
print(f"run can do with this key spread (unique keys \"task-<i>\", FNV-1a modulo the lanes).")
print(f"seconds = wall time minus start-up and exit (one-task run, best of 3): "
      + ", ".join(f"{m.removesuffix('.wasm')} {s * 1000:.0f} ms" for m, s in overheads.items())
      + f"; wall: " + ", ".join(f"{r['label'].split()[-1]} c={r['c']} {r['wall']:.2f} s" for r in rows if "wall" in r))
print(f"CPU ms/task = wasmton's user + system CPU time over the run (start-up included) / tasks: on a machine")
print(f"with other load, a run whose CPU share is smaller than tasks/s × CPU per task is CPU-bound, not I/O-bound.")
print(f"most connections the server held open at once: {max_open}")
for r in rows:
    if r["note"]:
        print(f"note: {r['label']} c={r['c']}: {r['note']}")
sys.exit(1 if any(r["note"] and r["label"].startswith("wasmton") for r in rows) else 0)
PY

cores=$(nproc)
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
notes="$cores cores (${cpu_model:-unknown CPU}); wasmton=${wasmton#"$repo"/}; $(date -u '+%Y-%m-%d %H:%M UTC'); load average before $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
"$python" "$out/bench.py" "$wasmton" "$port" "$delay_ms" "$concurrency" "$per_lane" "$cap" "$client_seconds" \
    "$run_timeout" "$runs" "$notes" | tee "$out/table-$stamp.txt" || status=$?
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/table-$stamp.txt"
say "runs (stderr, stdout, inputs): $runs"
exit "$status"
