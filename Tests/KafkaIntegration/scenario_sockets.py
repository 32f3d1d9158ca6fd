"""Scenario f: guest network access (WASI sockets) through a Kafka topic.

A local HTTP server (http.server in threads, on 127.0.0.1, an ephemeral port) answers every
GET with a body that depends on the path. http_get.wasm (the article's network processor)
consumes records {"path": "/item/<i>"} with --env HTTP_HOST/HTTP_PORT.

- allowed run (--allow-connect 127.0.0.1:PORT, 4 partitions, --partition-concurrency 4):
  every path was requested at least once (duplicates are counted, at-least-once allows them),
  every answer body is on wasmton's stdout, no http_get error line and nothing retried or
  dead-lettered, the socket metrics count the connects and the bytes, and after SIGTERM the
  group's committed offsets are the end of every partition.
- denied runs (two at once, on topics of their own, --max-retries 1 --retry-backoff 200ms):
  no --allow-connect at all, and --allow-connect 127.0.0.1:OTHER_PORT (the right host, another
  port). Every record goes once to TOPIC-retry and then to TOPIC-dlq (wasmton-retry-count 2,
  "the processor asked to retry", the original topic/partition/offset, key and value kept);
  every attempt printed `http_get: connect 127.0.0.1:PORT: errno 2` (EACCES, not a refused
  connection); the denial is logged and counted in wasmton_socket_denied_total with the
  address and port the guest wanted; the main topic's offsets
  are committed to the end; and the HTTP server got no request at all while they ran.

usage: scenario_sockets.py BOOTSTRAP WORKDIR
"""

import collections
import hashlib
import http.server
import os
import re
import signal
import socket
import sys
import threading
import urllib.request

import harness as h

NAME = "f-sockets"
TOPIC = "sockets"
GROUP = "sockets-group"
PARTITIONS = 4
RECORDS = 60
CONCURRENCY = 4
DENIED_RECORDS = 20
DENIED_PARTITIONS = 2
MAX_RETRIES = 1
MODULE = os.path.join(h.GUESTS, "http_get.wasm")


# ---- the HTTP server -------------------------------------------------------


def body_of(path):
    """The answer to GET path: names the path and a digest of it, so no body is another's part."""
    return f"answer for {path} #{hashlib.sha256(path.encode()).hexdigest()[:12]}\n"


class CountingServer:
    """A threaded HTTP/1.0 server on 127.0.0.1 that counts requests per path."""

    def __init__(self):
        self._lock = threading.Lock()
        self.requests = collections.Counter()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with server._lock:
                    server.requests[self.path] += 1
                payload = body_of(self.path).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format, *args):
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def total(self):
        with self._lock:
            return sum(self.requests.values())

    def snapshot(self):
        with self._lock:
            return collections.Counter(self.requests)

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()


def free_port():
    """A port nothing listens on (bound and released; the kernel will not hand it out at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- wasmton ---------------------------------------------------------------


def scrape(port):
    """{(name, frozenset(labels)): value} from wasmton's /metrics ({} if it cannot be read)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            text = answer.read().decode()
    except OSError as error:
        h.log(NAME, f"metrics on {port}: {error}")
        return {}
    samples = {}
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$", line)
        if m:
            labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
            samples[(m.group(1), labels)] = float(m.group(3))
    return samples


def metric(samples, name, **labels):
    """The sum of name's samples whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def start(name, workdir, bootstrap, topic, group, server_port, metrics_port, extra):
    return h.Wasmton(
        name,
        os.path.join(workdir, name),
        MODULE,
        bootstrap,
        topic,
        group,
        extra=["--env", "HTTP_HOST=127.0.0.1", "--env", f"HTTP_PORT={server_port}",
               "--metrics-port", str(metrics_port), "--log-level", "debug"] + list(extra),
    ).start()


def stdout_of(process):
    try:
        with open(os.path.join(process.workdir, "stdout.log"), errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def produce(bootstrap, topic, count):
    producer = h.RecordProducer(bootstrap)
    for i in range(count):
        producer.produce(topic, f"item-{i}", f'{{"path": "/item/{i}"}}')
    return producer.flush(30)


def check_committed(bootstrap, group, topic, partitions, produced):
    ends = h.end_offsets(produced)
    committed = h.committed_offsets(bootstrap, group, topic, range(partitions))
    problems = [
        f"{topic}/{p}: committed {committed.get(p)}, end {ends[p]}"
        for p in range(partitions)
        if committed.get(p) != ends[p]
    ]
    return problems, ",".join(str(committed.get(p)) for p in range(partitions))


def guest_errors(stderr):
    """The http_get error messages in stderr, wherever they start (to the end of the line or the next one)."""
    return re.findall(r"http_get: (?:(?!http_get: )[^\n])*", stderr)


_SUMMARY = re.compile(r"wasmton: processed (\d+), discarded (\d+), retried (\d+), dead-lettered (\d+)")


# ---- the allowed run -------------------------------------------------------


def allowed_run(bootstrap, workdir, server):
    produced = produce(bootstrap, TOPIC, RECORDS)
    paths = [f"/item/{i}" for i in range(RECORDS)]
    metrics_port = free_port()
    process = start("allowed", workdir, bootstrap, TOPIC, GROUP, server.port, metrics_port,
                    ["--allow-connect", f"127.0.0.1:{server.port}", "--partition-concurrency", str(CONCURRENCY)])
    problems = []
    try:
        requested = h.wait_until(lambda: all(server.snapshot()[p] > 0 for p in paths) or not process.alive(), 60)
        answered = h.wait_until(lambda: all(body_of(p) in stdout_of(process) for p in paths), 15)
        h.log(NAME, f"allowed: all requested {requested}, all answers on stdout {answered}")
        samples = scrape(metrics_port)
        status = process.stop(signal.SIGTERM, timeout=30)
    finally:
        h.kill_leftovers([process])
    if status != 0:
        problems.append(f"allowed: exit status {status} after SIGTERM (expected 0)")
    requests = server.snapshot()
    never = [p for p in paths if requests[p] == 0]
    if never:
        problems.append(f"allowed: {len(never)} paths never requested, first: {never[:5]}")
    strangers = sorted(set(requests) - set(paths))
    if strangers:
        problems.append(f"allowed: requests for paths no record names: {strangers[:5]}")
    out = stdout_of(process)
    missing = [p for p in paths if body_of(p) not in out]
    if missing:
        problems.append(f"allowed: {len(missing)} answers not on stdout, first: {missing[:5]}")
    if "HTTP/1.0 200" not in out:
        problems.append("allowed: no status line 'HTTP/1.0 200' on stdout (the guest copies the whole answer)")
    stderr = process.stderr()
    errors = guest_errors(stderr)
    if errors:
        problems.append(f"allowed: {len(errors)} http_get errors, first: {errors[0]!r}")
    summary = _SUMMARY.search(stderr)
    if summary is None:
        problems.append("allowed: no 'wasmton: processed …' summary line on stderr")
    elif int(summary.group(3)) or int(summary.group(4)):
        problems.append(f"allowed: summary {summary.group(0)!r}: retried or dead-lettered records")
    connects = metric(samples, "wasmton_socket_connects_total", module="http_get", outcome="ok")
    sent = metric(samples, "wasmton_socket_sent_bytes_total", module="http_get")
    received = metric(samples, "wasmton_socket_received_bytes_total", module="http_get")
    if connects < RECORDS:
        problems.append(f"allowed: wasmton_socket_connects_total{{outcome=ok}} {connects:g} < {RECORDS}")
    least_sent = sum(len(f"GET {p} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n") for p in paths)
    if sent < least_sent:
        problems.append(f"allowed: wasmton_socket_sent_bytes_total {sent:g} < {least_sent} (the requests)")
    least_received = sum(len(body_of(p)) for p in paths)
    if received < least_received:
        problems.append(f"allowed: wasmton_socket_received_bytes_total {received:g} < {least_received} (the bodies)")
    committed_problems, committed = check_committed(bootstrap, GROUP, TOPIC, PARTITIONS, produced)
    problems += [f"allowed: {p}" for p in committed_problems]
    problems += h.stderr_problems(stderr, "allowed")
    figures = {
        "records": len(produced),
        "requests": sum(requests.values()),
        "duplicates": sum(n - 1 for n in requests.values() if n > 1),
        "connects": f"{connects:g}",
        "committed": committed,
    }
    return problems, figures


# ---- the denied runs -------------------------------------------------------


def check_denied(name, bootstrap, topic, produced, process, status, dead, retried, samples, server_port, denied_port):
    problems = []
    if status != 0:
        problems.append(f"{name}: exit status {status} after SIGTERM (expected 0)")
    expected = {(r.partition, r.offset): r for r in produced}
    seen = collections.Counter()
    for m in dead:
        headers = h.headers_of(m)
        origin = h.origin_of(headers)
        seen[origin] += 1
        record = expected.get(origin)
        if record is None:
            problems.append(f"{name}: dead letter from {origin}: not one of the records")
            continue
        if headers.get("wasmton-original-topic") != topic:
            problems.append(f"{name}: dead letter from {origin}: wasmton-original-topic {headers.get('wasmton-original-topic')!r}")
        if headers.get("wasmton-retry-count") != str(MAX_RETRIES + 1):
            problems.append(f"{name}: dead letter from {origin}: wasmton-retry-count {headers.get('wasmton-retry-count')!r}")
        if headers.get("wasmton-failure") != "the processor asked to retry":
            problems.append(f"{name}: dead letter from {origin}: wasmton-failure {headers.get('wasmton-failure')!r}")
        if (m.value() or b"").decode() != record.value or (m.key() or b"").decode() != record.key:
            problems.append(f"{name}: dead letter from {origin}: key/value {m.key()!r}/{m.value()!r}")
    for origin in expected:
        if seen[origin] != 1:
            problems.append(f"{name}: record {origin} dead-lettered {seen[origin]} times (expected once)")
    retry_counts = collections.Counter(h.origin_of(h.headers_of(m)) for m in retried)
    wrong = [o for o in expected if retry_counts[o] != MAX_RETRIES]
    if wrong or sum(retry_counts.values()) != MAX_RETRIES * len(expected):
        problems.append(
            f"{name}: {sum(retry_counts.values())} retry records (expected {MAX_RETRIES} per record),"
            f" wrong for {wrong[:5]}"
        )
    stderr = process.stderr()
    # Searched anywhere, not per line: the guest's line reaches stderr in two writes (wasi-libc's
    # unbuffered stderr), so another thread's log line can land in the middle of it.
    errors = guest_errors(stderr)
    attempt = f"http_get: connect 127.0.0.1:{server_port}: errno 2 ("
    eacces = sum(1 for e in errors if e.startswith(attempt))
    if eacces != len(errors) or eacces != (MAX_RETRIES + 1) * len(expected):
        other = [e for e in errors if not e.startswith(attempt)]
        problems.append(
            f"{name}: {eacces} 'errno 2' connect errors (expected {(MAX_RETRIES + 1) * len(expected)}),"
            f" others: {other[:3]}"
        )
    if "guest network access denied by the allow-list" not in stderr:
        problems.append(f"{name}: no 'guest network access denied' log line")
    denials = metric(samples, "wasmton_socket_denied_total", module="http_get", address="127.0.0.1", port=denied_port)
    if denials < (MAX_RETRIES + 1) * len(expected):
        problems.append(
            f"{name}: wasmton_socket_denied_total{{address=127.0.0.1,port={denied_port}}} {denials:g}"
            f" < {(MAX_RETRIES + 1) * len(expected)}"
        )
    if metric(samples, "wasmton_socket_connects_total", module="http_get", outcome="ok"):
        problems.append(f"{name}: wasmton_socket_connects_total{{outcome=ok}} is not 0")
    committed_problems, committed = check_committed(bootstrap, f"{topic}-group", topic, DENIED_PARTITIONS, produced)
    problems += [f"{name}: {p}" for p in committed_problems]
    problems += h.stderr_problems(stderr, name)
    return problems, {f"{name}_dead_letters": len(dead), f"{name}_retries": len(retried),
                      f"{name}_denials": f"{denials:g}", f"{name}_committed": committed}


def denied_runs(bootstrap, workdir, server):
    # (name, topic, extra options, the port the denial is counted under)
    other = free_port()
    while other == server.port:
        other = free_port()
    runs = [
        ("denied-none", f"{TOPIC}-none", [], str(server.port)),
        ("denied-port", f"{TOPIC}-port", ["--allow-connect", f"127.0.0.1:{other}"], str(server.port)),
    ]
    produced = {name: produce(bootstrap, topic, DENIED_RECORDS) for name, topic, _, _ in runs}
    before = server.total()
    processes = {}
    results = {}
    try:
        for name, topic, extra, _ in runs:
            metrics_port = free_port()
            processes[name] = (
                start(name, workdir, bootstrap, topic, f"{topic}-group", server.port, metrics_port,
                      extra + ["--max-retries", str(MAX_RETRIES), "--retry-backoff", "200ms",
                               "--partition-concurrency", "2"]),
                metrics_port,
            )
        for name, topic, _, _ in runs:
            process, metrics_port = processes[name]
            dead = h.read_topic(bootstrap, f"{topic}-dlq", DENIED_RECORDS, timeout=60)
            retried = h.read_topic(bootstrap, f"{topic}-retry", MAX_RETRIES * DENIED_RECORDS, timeout=20)
            h.log(NAME, f"{name}: {len(dead)} dead letters, {len(retried)} retry records")
            results[name] = (dead, retried, scrape(metrics_port))
        statuses = {name: processes[name][0].stop(signal.SIGTERM, timeout=30) for name, _, _, _ in runs}
    finally:
        h.kill_leftovers([p for p, _ in processes.values()])
    problems, figures = [], {}
    during = server.total() - before
    if during:
        problems.append(f"denied: the HTTP server got {during} requests while nothing was allowed to reach it")
    figures["denied_requests"] = during
    for name, topic, _, denied_port in runs:
        dead, retried, samples = results[name]
        p, f = check_denied(name, bootstrap, topic, produced[name], processes[name][0], statuses[name], dead, retried,
                            samples, server.port, denied_port)
        problems += p
        figures.update(f)
    return problems, figures


def main():
    bootstrap, workdir = sys.argv[1], sys.argv[2]
    topics = {TOPIC: PARTITIONS, f"{TOPIC}-retry": 2, f"{TOPIC}-dlq": 1}
    for suffix in ("none", "port"):
        topics.update({f"{TOPIC}-{suffix}": DENIED_PARTITIONS, f"{TOPIC}-{suffix}-retry": 2, f"{TOPIC}-{suffix}-dlq": 1})
    h.create_topics(bootstrap, topics)
    server = CountingServer()
    h.log(NAME, f"HTTP server on 127.0.0.1:{server.port}")
    try:
        problems, figures = allowed_run(bootstrap, workdir, server)
        denied_problems, denied_figures = denied_runs(bootstrap, workdir, server)
    finally:
        server.stop()
    problems += denied_problems
    figures.update(denied_figures)
    return h.report(NAME, problems, figures)


if __name__ == "__main__":
    sys.exit(main())
