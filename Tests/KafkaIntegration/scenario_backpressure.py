"""Scenario c: back-pressure.

--max-pending-records 8 --partition-concurrency 1 with the guarantee probe over 2,000 records
already waiting in 2 partitions. Checks: wasmton logs pauses and resumes; every record is
processed at least once; per-key ordering and serial processing hold; commits never precede
the processing they cover.

usage: scenario_backpressure.py BOOTSTRAP WORKDIR
"""

import datetime
import os
import re
import signal
import sys

import harness as h

NAME = "c-back-pressure"
TOPIC = "pressure"
GROUP = "pressure-group"
PARTITIONS = 2
RECORDS = 2_000
KEYS = 20
MAX_PENDING = 8


def produce(bootstrap):
    producer = h.RecordProducer(bootstrap)
    for i in range(RECORDS):
        producer.produce(TOPIC, f"key-{i % KEYS:02d}", f"value-{i}")
    return producer.flush(30)


def all_processed(process, produced):
    wanted = {(r.topic, r.partition, r.offset) for r in produced}

    def done():
        spans = h.parse_probe_log(os.path.join(process.workdir, "log"), process.name)
        return wanted <= {(s.topic, s.partition, s.offset) for s in spans if s.end is not None}

    return done


_PAUSE = re.compile(r"^(\S+) debug .*\b(paused \(max pending records reached\)|resumed): \[(.*)\]")


def pause_intervals(text):
    """[(partition, paused at s, resumed at s)] from the log's whole-second timestamps."""
    paused, intervals = {}, []
    for line in text.splitlines():
        m = _PAUSE.match(line)
        if not m:
            continue
        at = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S%z").timestamp()
        for name in re.findall(r'"([^"]+)"', m.group(3)):
            partition = int(name.rpartition("/")[2])
            if m.group(2) == "resumed":
                if partition in paused:
                    intervals.append((partition, paused.pop(partition), at))
            else:
                paused[partition] = at
    return intervals


def started_while_paused(intervals, spans):
    """Per pause, how many tasks of the partition started surely inside it (whole seconds strictly
    after the pause line's second, before the resume line's): all were pending when it paused,
    since a paused partition fetches nothing. A lower bound of the pending count at the pause."""
    counts = []
    for partition, paused, resumed in intervals:
        low, high = (paused + 1) * 1e9, resumed * 1e9
        counts.append(sum(1 for s in spans if s.partition == partition and low <= s.start < high))
    return max(counts, default=0)


def main():
    bootstrap, workdir = sys.argv[1], sys.argv[2]
    h.create_topics(bootstrap, {TOPIC: PARTITIONS, f"{TOPIC}-retry": 4, f"{TOPIC}-dlq": 1})
    produced = produce(bootstrap)
    process = h.Wasmton(
        "pressure",
        workdir,
        os.path.join(h.GUESTS, "guarantee_probe.wasm"),
        bootstrap,
        TOPIC,
        GROUP,
        extra=["--max-pending-records", str(MAX_PENDING), "--partition-concurrency", "1", "--dir", f"{workdir}::.",
               "--env", "GUARANTEE_BUSY_US=1500", "--log-level", "debug"],
    ).start()
    problems = []
    try:
        if not h.wait_until(all_processed(process, produced), 30, interval=1.0):
            problems.append("not every record processed within 30 s")
        status = process.stop(signal.SIGTERM, timeout=30)
    finally:
        h.kill_leftovers([process])
    if status != 0:
        problems.append(f"exit status {status} after SIGTERM (expected 0)")

    text = process.stderr()
    pauses = text.count("paused (max pending records reached)")
    resumes = text.count("resumed: [")
    if pauses == 0:
        problems.append("no 'paused (max pending records reached)' line")
    if resumes == 0:
        problems.append("no 'resumed:' line")
    spans = h.parse_probe_log(os.path.join(workdir, "log"), process.name)
    commits = h.parse_commits(text, process.name)
    problems += h.check_at_least_once(produced, spans)
    ordering, rewinds = h.check_key_ordering(produced, spans)
    problems += ordering
    problems += h.check_key_serial(spans)
    problems += h.check_commits_after_processing(commits, spans, {(TOPIC, p): 0 for p in range(PARTITIONS)})
    problems += h.stderr_problems(text, process.name)
    return h.report(
        NAME,
        problems,
        {
            "records": len(produced),
            "tasks": len(spans),
            "reprocessed": h.reprocessed_count(spans),
            "pauses": pauses,
            "resumes": resumes,
            "commits": len(commits),
            "pending_at_pause_at_least": started_while_paused(pause_intervals(text), spans),
        },
    )


if __name__ == "__main__":
    sys.exit(main())
