"""Scenario b: retry topic and dead-letter topic.

task_probe with --max-retries 2 --retry-backoff 200ms over records with values "trap" and
"retry" among ordinary ones. Checks: the dead-letter topic holds exactly the failing records,
each with wasmton-retry-count 3, the failure text and the original topic/partition/offset; the
retry topic got two records per failing one; every ordinary record reached --output-topic; after
SIGTERM the group's committed offsets are the end of every main-topic partition.

usage: scenario_retry.py BOOTSTRAP WORKDIR
"""

import collections
import os
import signal
import sys

import harness as h

NAME = "b-retry-dead-letter"
TOPIC = "failures"
GROUP = "failures-group"
RETRY, DLQ, OUT = f"{TOPIC}-retry", f"{TOPIC}-dlq", f"{TOPIC}-out"
PARTITIONS = 4
RECORDS = 120
MAX_RETRIES = 2


def value_of(i):
    if i % 20 == 3:
        return "trap"
    if i % 20 == 11:
        return "retry"
    return f"ok-{i}"


def produce(bootstrap):
    producer = h.RecordProducer(bootstrap)
    for i in range(RECORDS):
        producer.produce(TOPIC, f"k{i % 7}", value_of(i))
    return producer.flush(30)


def check_dead_letters(dead, failing):
    problems = []
    expected = {(r.partition, r.offset): r for r in failing}
    seen = collections.Counter()
    for m in dead:
        headers = h.headers_of(m)
        origin = h.origin_of(headers)
        seen[origin] += 1
        record = expected.get(origin)
        where = f"dead letter from {origin}"
        if record is None:
            problems.append(f"{where}: not a failing record (value {m.value()!r})")
            continue
        if headers.get("wasmton-original-topic") != TOPIC:
            problems.append(f"{where}: wasmton-original-topic {headers.get('wasmton-original-topic')!r}")
        if headers.get("wasmton-retry-count") != str(MAX_RETRIES + 1):
            problems.append(f"{where}: wasmton-retry-count {headers.get('wasmton-retry-count')!r}")
        if (m.value() or b"").decode() != record.value or (m.key() or b"").decode() != record.key:
            problems.append(f"{where}: key/value {m.key()!r}/{m.value()!r}, expected {record.key}/{record.value}")
        failure = headers.get("wasmton-failure", "")
        if record.value == "trap" and "unreachable" not in failure:
            problems.append(f"{where}: wasmton-failure {failure!r} does not mention 'unreachable'")
        if record.value == "retry" and not failure:
            problems.append(f"{where}: no wasmton-failure header")
    for origin in expected:
        if seen[origin] != 1:
            problems.append(f"record {origin} dead-lettered {seen[origin]} times (expected once)")
    return problems


def check_retries(retried, failing):
    counts = collections.Counter()
    problems = []
    for m in retried:
        headers = h.headers_of(m)
        if headers.get("wasmton-retry-count") not in [str(n) for n in range(1, MAX_RETRIES + 1)]:
            problems.append(f"retry record with wasmton-retry-count {headers.get('wasmton-retry-count')!r}")
        if not headers.get("wasmton-retry-not-before", "").isdigit():
            problems.append(f"retry record without wasmton-retry-not-before: {headers}")
        counts[h.origin_of(headers)] += 1
    for r in failing:
        if counts[(r.partition, r.offset)] != MAX_RETRIES:
            problems.append(f"record {r.partition}@{r.offset}: {counts[(r.partition, r.offset)]} retry records")
    extra = sum(counts.values()) - MAX_RETRIES * len(failing)
    if extra:
        problems.append(f"{extra} retry records too many")
    return problems


def check_outputs(outputs, ordinary):
    values = collections.Counter((m.value() or b"").decode() for m in outputs)
    problems = []
    for r in ordinary:
        expected = f"{TOPIC}/{r.partition}/{r.offset}:{r.key}:{r.value}"
        if values[expected] < 1:
            problems.append(f"no output for {r.partition}@{r.offset} (expected value {expected!r})")
    return problems


def check_committed(bootstrap, produced):
    ends = h.end_offsets(produced)
    committed = h.committed_offsets(bootstrap, GROUP, TOPIC, range(PARTITIONS))
    return [
        f"{TOPIC}/{p}: committed {committed.get(p)}, end {ends[p]}"
        for p in range(PARTITIONS)
        if committed.get(p) != ends[p]
    ], committed


def main():
    bootstrap, workdir = sys.argv[1], sys.argv[2]
    h.create_topics(bootstrap, {TOPIC: PARTITIONS, RETRY: 4, DLQ: 2, OUT: 2})
    produced = produce(bootstrap)
    failing = [r for r in produced if r.value in ("trap", "retry")]
    ordinary = [r for r in produced if r not in failing]
    process = h.Wasmton(
        "retry",
        workdir,
        os.path.join(h.GUESTS, "task_probe.wasm"),
        bootstrap,
        TOPIC,
        GROUP,
        extra=["--max-retries", str(MAX_RETRIES), "--retry-backoff", "200ms", "--output-topic", OUT,
               "--partition-concurrency", "2", "--log-level", "debug"],
    ).start()
    problems = []
    try:
        dead = h.read_topic(bootstrap, DLQ, len(failing), timeout=60)
        outputs = h.read_topic(bootstrap, OUT, len(ordinary), timeout=30)
        retried = h.read_topic(bootstrap, RETRY, MAX_RETRIES * len(failing), timeout=30)
        status = process.stop(signal.SIGTERM, timeout=30)
    finally:
        h.kill_leftovers([process])
    if status != 0:
        problems.append(f"exit status {status} after SIGTERM (expected 0)")
    problems += check_dead_letters(dead, failing)
    problems += check_retries(retried, failing)
    problems += check_outputs(outputs, ordinary)
    committed_problems, committed = check_committed(bootstrap, produced)
    problems += committed_problems
    problems += h.stderr_problems(process.stderr(), process.name)
    return h.report(
        NAME,
        problems,
        {
            "records": len(produced),
            "failing": len(failing),
            "dead_letters": len(dead),
            "retry_records": len(retried),
            "outputs": len(outputs),
            "committed": ",".join(str(committed.get(p)) for p in range(PARTITIONS)),
        },
    )


if __name__ == "__main__":
    sys.exit(main())
