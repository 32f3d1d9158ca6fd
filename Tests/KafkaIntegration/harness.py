"""Shared helpers for the Kafka integration scenarios (Tests/KafkaIntegration/run.sh).

Topics and clients (confluent_kafka from the wheel that scripts/kafka-env.sh installs),
`wasmton process` control, a TCP proxy that can cut the connection, parsing of the
guarantee probe's log and of wasmton's commit lines, and the guarantee checks.
Standard library otherwise.
"""

import bisect
import collections
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
WASMTON = os.environ.get("WASMTON_BINARY") or os.path.join(REPO, ".build", "debug", "wasmton")
GUESTS = os.path.join(REPO, "guests", "build")

# Tansu needs short group timings; every consumer (wasmton's and ours) uses them.
GROUP_TIMINGS = {"session.timeout.ms": "2000", "heartbeat.interval.ms": "500"}


# SIGTERM (run.sh's `timeout`) unwinds like an exception, so `finally` blocks stop the processes.
signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

# ---- output ----------------------------------------------------------------

_T0 = time.monotonic()


def log(scenario, message):
    """Progress on stderr, with seconds since the script started."""
    print(f"[{scenario} +{time.monotonic() - _T0:6.1f}s] {message}", file=sys.stderr, flush=True)


def report(scenario, problems, figures):
    """The one result line on stdout; returns the exit status."""
    text = " ".join(f"{k}={v}" for k, v in figures.items())
    if problems:
        print(f"FAIL {scenario}: {text}", flush=True)
        for problem in problems[:20]:
            print(f"     - {problem}", flush=True)
        if len(problems) > 20:
            print(f"     - ... {len(problems) - 20} more", flush=True)
        return 1
    print(f"PASS {scenario}: {text}", flush=True)
    return 0


def wait_until(predicate, timeout, interval=0.5):
    """Polls predicate until it is true or timeout seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def now_ns():
    return time.time_ns()


# ---- topics and clients ----------------------------------------------------


def create_topics(bootstrap, topics, timeout=20):
    """topics: {name: partitions}. Waits until each exists with that many partitions."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=n, replication_factor=1) for name, n in topics.items()],
        operation_timeout=timeout,
    )
    for name, future in futures.items():
        future.result(timeout=timeout)

    def visible():
        metadata = admin.list_topics(timeout=5)
        return all(
            name in metadata.topics and len(metadata.topics[name].partitions) == n for name, n in topics.items()
        )

    if not wait_until(visible, timeout):
        raise RuntimeError(f"topics {sorted(topics)} not visible after {timeout}s")


@dataclass(frozen=True)
class Produced:
    topic: str
    partition: int
    offset: int
    key: str
    value: str


class RecordProducer:
    """A producer that remembers where every delivered record landed."""

    def __init__(self, bootstrap, **config):
        settings = {"bootstrap.servers": bootstrap, "linger.ms": "5", "acks": "all"}
        settings.update(config)
        self._producer = Producer(settings)
        self._lock = threading.Lock()
        self.delivered = []
        self.errors = []

    def _on_delivery(self, error, message):
        with self._lock:
            if error is not None:
                self.errors.append(str(error))
                return
            self.delivered.append(
                Produced(
                    message.topic(),
                    message.partition(),
                    message.offset(),
                    (message.key() or b"").decode(),
                    (message.value() or b"").decode(),
                )
            )

    def produce(self, topic, key, value, headers=None):
        while True:
            try:
                self._producer.produce(topic, key=key, value=value, headers=headers, on_delivery=self._on_delivery)
                break
            except BufferError:
                self._producer.poll(0.05)
        self._producer.poll(0)

    def flush(self, timeout):
        remaining = self._producer.flush(timeout)
        if remaining:
            raise RuntimeError(f"{remaining} records not delivered after {timeout}s")
        with self._lock:
            return list(self.delivered)


def paced_production(producer, topic, count, seconds, record, stop=None):
    """Produces count records evenly over about `seconds` (record(i) -> (key, value))."""
    start = time.monotonic()
    for i in range(count):
        if stop is not None and stop.is_set():
            return i
        due = start + seconds * i / count
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        key, value = record(i)
        producer.produce(topic, key, value)
    return count


def partitions_of(bootstrap, topic):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    return sorted(admin.list_topics(topic, timeout=10).topics[topic].partitions)


def read_topic(bootstrap, topic, expected, timeout):
    """All records of topic from the beginning (no group), until `expected` are read or timeout.

    Returns a list of confluent_kafka Messages."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"reader-{topic}-{os.getpid()}", "enable.auto.commit": "false"}
    )
    try:
        consumer.assign(
            [TopicPartition(topic, p, -2) for p in partitions_of(bootstrap, topic)]  # -2: OFFSET_BEGINNING
        )
        messages = []
        deadline = time.monotonic() + timeout
        while len(messages) < expected and time.monotonic() < deadline:
            for message in consumer.consume(100, 0.5):
                if message.error() is None:
                    messages.append(message)
        # A short grace period to notice more than expected.
        for message in consumer.consume(100, 1.0):
            if message.error() is None:
                messages.append(message)
        return messages
    finally:
        consumer.close()


def committed_offsets(bootstrap, group, topic, partitions):
    """{partition: committed offset (negative: none)} of a group."""
    settings = {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": "false"}
    settings.update(GROUP_TIMINGS)
    consumer = Consumer(settings)
    try:
        result = consumer.committed([TopicPartition(topic, p) for p in partitions], timeout=10)
        return {tp.partition: tp.offset for tp in result}
    finally:
        consumer.close()


def headers_of(message):
    return {name: (value or b"").decode() for name, value in (message.headers() or [])}


def end_offsets(produced):
    """Per partition, the offset after the last produced record: what a finished consumer commits."""
    ends = collections.Counter()
    for r in produced:
        ends[r.partition] = max(ends[r.partition], r.offset + 1)
    return ends


def origin_of(headers):
    """The (partition, offset) a retry or dead-letter record came from, by its wasmton headers."""
    return (int(headers.get("wasmton-original-partition", -1)), int(headers.get("wasmton-original-offset", -1)))


# ---- wasmton process -------------------------------------------------------


class Wasmton:
    """One `wasmton process` run, stderr and stdout in files under workdir."""

    def __init__(self, name, workdir, module, bootstrap, topic, group, extra=(), env=None):
        self.name = name
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.stderr_path = os.path.join(workdir, "stderr.log")
        self.args = [WASMTON, "process", module, "--bootstrap-servers", bootstrap, "--topic", topic, "--group", group]
        for key, value in GROUP_TIMINGS.items():
            self.args += ["-X", f"{key}={value}"]
        self.args += list(extra)
        self.env = dict(os.environ, SWIFT_DETERMINISTIC_HASHING="1", **(env or {}))
        self.process = None
        self.signalled_ns = None

    def start(self):
        with open(os.path.join(self.workdir, "command.txt"), "w") as f:
            f.write(" ".join(self.args) + "\n")
        self.process = subprocess.Popen(
            self.args,
            cwd=self.workdir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(self.workdir, "stdout.log"), "ab"),
            stderr=open(self.stderr_path, "ab"),
        )
        return self

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def send(self, signum):
        self.signalled_ns = now_ns()
        if self.alive():
            self.process.send_signal(signum)

    def stop(self, signum=signal.SIGTERM, timeout=30):
        """Signals and waits; SIGKILL if it does not exit in time. Returns the exit status."""
        self.send(signum)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            return f"hung(>{timeout}s, killed)"

    def stderr(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def is_running_state(self):
        return "state: running" in self.stderr()


def kill_leftovers(processes):
    for p in processes:
        if p.alive():
            p.process.kill()
            try:
                p.process.wait(10)
            except subprocess.TimeoutExpired:
                pass


# ---- logs ------------------------------------------------------------------


@dataclass
class Span:
    """One task as the guarantee probe logged it: start, end (None if never ended), source."""

    key: str
    topic: str
    partition: int
    offset: int
    start: int
    end: int | None
    source: str


def parse_probe_log(path, source):
    """Spans from a guarantee_probe log, pairing each E with the open S of the same record."""
    spans = []
    open_spans = {}
    try:
        f = open(path, errors="replace")
    except FileNotFoundError:
        return spans
    with f:
        for line in f:
            parts = line.split()
            if len(parts) != 6 or parts[0] not in ("S", "E"):
                continue
            mark, key, topic, partition, offset, ns = parts
            record = (key, topic, int(partition), int(offset))
            if mark == "S":
                span = Span(key, topic, int(partition), int(offset), int(ns), None, source)
                open_spans[record] = span
                spans.append(span)
            elif record in open_spans:
                open_spans.pop(record).end = int(ns)
    return spans


@dataclass(frozen=True)
class Commit:
    topic: str
    partition: int
    offset: int
    at_ns: int
    sync: bool
    source: str


_COMMIT = re.compile(r"\bcommitted$")
_FIELD = re.compile(r"\b(at_ns|offset|partition|sync)=(\S+)")


def parse_commits(text, source):
    """`committed` debug lines of wasmton's stderr."""
    commits = []
    for line in text.splitlines():
        if not _COMMIT.search(line.rstrip()):
            continue
        fields = dict(_FIELD.findall(line))
        if not {"at_ns", "offset", "partition", "sync"} <= fields.keys():
            continue
        topic, _, partition = fields["partition"].rpartition("/")
        commits.append(
            Commit(topic, int(partition), int(fields["offset"]), int(fields["at_ns"]), fields["sync"] == "true", source)
        )
    return commits


# ---- checks (each returns a list of problems) ------------------------------


def check_at_least_once(produced, spans):
    done = {(s.topic, s.partition, s.offset) for s in spans if s.end is not None}
    missing = sorted((r.topic, r.partition, r.offset) for r in produced if (r.topic, r.partition, r.offset) not in done)
    if not missing:
        return []
    return [f"{len(missing)} records never processed to the end, first: {missing[:5]}"]


def reprocessed_count(spans):
    """Records that were started more than once."""
    counts = collections.Counter((s.topic, s.partition, s.offset) for s in spans)
    return sum(1 for n in counts.values() if n > 1)


def check_key_ordering(produced, spans):
    """Per key, in order of start time: the next offset of the key, or a rewind to an offset at or
    before the last one started (reprocessing), after which the sequence goes on in order."""
    offsets = collections.defaultdict(list)
    for r in produced:
        offsets[(r.topic, r.key)].append(r.offset)
    position = {}
    for (topic, key), list_ in offsets.items():
        list_.sort()
        for i, offset in enumerate(list_):
            position[(topic, key, offset)] = i
    by_key = collections.defaultdict(list)
    for s in spans:
        by_key[(s.topic, s.key)].append(s)
    problems = []
    rewinds = 0
    for (topic, key), key_spans in sorted(by_key.items()):
        key_spans.sort(key=lambda s: s.start)
        cursor = -1
        for s in key_spans:
            index = position.get((topic, key, s.offset))
            if index is None:
                continue  # not one of the produced records (e.g. a duplicate from a producer retry)
            if index == cursor + 1:
                pass
            elif index <= cursor:
                rewinds += 1
            else:
                expected = offsets[(topic, key)][cursor + 1]
                problems.append(
                    f"key {key}: offset {s.offset} ({s.source}) started before offset {expected}"
                    f" (after offset {offsets[(topic, key)][cursor] if cursor >= 0 else 'none'})"
                )
            cursor = index
    return problems, rewinds


def check_key_serial(spans):
    """No two finished tasks of one key overlap in time."""
    by_key = collections.defaultdict(list)
    for s in spans:
        if s.end is not None:
            by_key[(s.topic, s.key)].append(s)
    problems = []
    for (topic, key), key_spans in sorted(by_key.items()):
        key_spans.sort(key=lambda s: s.start)
        latest = None
        for s in key_spans:
            if latest is not None and s.start < latest.end:
                problems.append(
                    f"key {key}: offset {s.offset} ({s.source}) started {latest.end - s.start} ns before"
                    f" offset {latest.offset} ({latest.source}) ended"
                )
            if latest is None or s.end > latest.end:
                latest = s
    return problems


def check_commits_not_reprocessed(commits, spans):
    """No task of a partition starts below a committed offset after that commit was made."""
    by_partition = collections.defaultdict(list)
    for s in spans:
        by_partition[(s.topic, s.partition)].append(s)
    index = {}
    for tp, list_ in by_partition.items():
        list_.sort(key=lambda s: s.start)
        starts = [s.start for s in list_]
        suffix_min = [None] * len(list_)  # the span with the lowest offset from i on
        best = None
        for i in range(len(list_) - 1, -1, -1):
            if best is None or list_[i].offset < best.offset:
                best = list_[i]
            suffix_min[i] = best
        index[tp] = (starts, suffix_min)
    problems = []
    for c in commits:
        starts, suffix_min = index.get((c.topic, c.partition), ([], []))
        i = bisect.bisect_right(starts, c.at_ns)
        if i < len(starts) and suffix_min[i].offset < c.offset:
            s = suffix_min[i]
            problems.append(
                f"{c.topic}/{c.partition}: offset {s.offset} started by {s.source}"
                f" {(s.start - c.at_ns) / 1e6:.1f} ms after {c.source} committed {c.offset}"
            )
    return problems


def check_commits_after_processing(commits, spans, first_offsets):
    """Every offset below a committed offset had finished processing before the commit was made.

    first_offsets: {(topic, partition): the partition's first offset}."""
    finished = {}
    for s in spans:
        if s.end is not None:
            k = (s.topic, s.partition, s.offset)
            finished[k] = min(finished.get(k, s.end), s.end)
    problems = []
    for c in commits:
        first = first_offsets.get((c.topic, c.partition), 0)
        for offset in range(first, c.offset):
            end = finished.get((c.topic, c.partition, offset))
            if end is None or end > c.at_ns:
                state = "never finished" if end is None else f"finished {(end - c.at_ns) / 1e6:.1f} ms later"
                problems.append(
                    f"{c.source} committed {c.topic}/{c.partition}@{c.offset} but offset {offset} {state}"
                )
                break
    return problems


# ---- a TCP proxy that can be cut -------------------------------------------


class CuttableProxy:
    """Forwards 127.0.0.1:listen_port to 127.0.0.1:target_port. cut() closes every connection
    and stops listening (new connections are refused); restore() listens again."""

    def __init__(self, listen_port, target_port):
        self.listen_port = listen_port
        self.target_port = target_port
        self._lock = threading.Lock()
        self._sockets = set()
        self._listener = None
        self.connections = 0

    def start(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.listen_port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    restore = start

    def cut(self):
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        for s in ([listener] if listener else []) + list(sockets):
            _shut(s)

    close = cut

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                _shut(client)
                continue
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    _shut(client)
                    _shut(upstream)
                    return
                self._sockets.update((client, upstream))
                self.connections += 1
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source, destination):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                destination.sendall(data)
        except OSError:
            pass
        for s in (source, destination):
            with self._lock:
                self._sockets.discard(s)
            _shut(s)


def _shut(s):
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass


# ---- misc ------------------------------------------------------------------


@dataclass(frozen=True)
class Restart:
    """A planned restart of one of the processes, `at` seconds into production."""

    index: int
    at: float
    signum: int


def stderr_problems(text, source):
    """Lines that should never appear in a healthy run."""
    return [f"{source}: {line.strip()}" for line in text.splitlines() if " critical " in line or "Fatal error" in line]
