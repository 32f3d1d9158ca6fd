"""Scenario d: the broker becomes unreachable mid-stream.

A broker on OUTAGE_PORT advertises PROXY_PORT; this script runs a TCP proxy PROXY_PORT ->
OUTAGE_PORT that it cuts (every connection closed, new ones refused) for ~6 s once some records
are processed, then restores. wasmton and the test's own clients all go through the proxy while
records are produced throughout. Checks: wasmton stays up during the outage, resumes by itself,
processes every record, never commits an offset before everything below it was processed, and
ends with the group's committed offsets at the end of every partition.

usage: scenario_outage.py OUTAGE_PORT PROXY_PORT WORKDIR
"""

import collections
import os
import signal
import sys
import threading
import time

import harness as h

NAME = "d-broker-unreachable"
TOPIC = "outage"
GROUP = "outage-group"
PARTITIONS = 4
KEYS = 40
RECORDS = 3_200
PRODUCE_SECONDS = 16
PROCESSED_BEFORE_CUT = 300
OUTAGE_SECONDS = 6
DRAIN_TIMEOUT = 40


def processed(process):
    return h.parse_probe_log(os.path.join(process.workdir, "log"), process.name)


def finished_count(process):
    return sum(1 for s in processed(process) if s.end is not None)


def record(i):
    return f"key-{i % KEYS:02d}", f"value-{i}"


def outage(proxy, process, figures, problems):
    """Cuts the proxy once enough records are processed; returns (cut_ns, restore_ns)."""
    if not h.wait_until(lambda: finished_count(process) >= PROCESSED_BEFORE_CUT, 40, interval=0.2):
        problems.append(f"fewer than {PROCESSED_BEFORE_CUT} records processed before the cut (40 s)")
    figures["processed_before_cut"] = finished_count(process)
    cut_ns = h.now_ns()
    proxy.cut()
    h.log(NAME, f"proxy cut after {figures['processed_before_cut']} records")
    for _ in range(OUTAGE_SECONDS * 10):
        time.sleep(0.1)
        if not process.alive():
            problems.append(f"wasmton exited during the outage with status {process.process.returncode}")
            break
    proxy.restore()
    restore_ns = h.now_ns()
    h.log(NAME, "proxy restored")
    return cut_ns, restore_ns


def first_new_start(spans, restore_ns):
    """When the first record that was not started before the restore started (None: never):
    a record fetched after the outage."""
    latest = collections.defaultdict(lambda: -1)
    for s in spans:
        if s.start <= restore_ns:
            latest[s.partition] = max(latest[s.partition], s.offset)
    starts = [s.start for s in spans if s.start > restore_ns and s.offset > latest[s.partition]]
    return min(starts, default=None)


def check_final_commits(bootstrap, produced, spans):
    ends = h.end_offsets(produced)
    committed = h.committed_offsets(bootstrap, GROUP, TOPIC, range(PARTITIONS))
    problems = [
        f"{TOPIC}/{p}: committed {committed.get(p)} after SIGTERM, end {ends[p]}"
        for p in range(PARTITIONS)
        if committed.get(p, -1) < ends[p]
    ]
    finished = {(s.partition, s.offset) for s in spans if s.end is not None}
    for p in range(PARTITIONS):
        missing = [o for o in range(0, max(committed.get(p, 0), 0)) if (p, o) not in finished]
        if missing:
            problems.append(f"{TOPIC}/{p}: offsets below committed {committed[p]} never processed: {missing[:5]}")
    return problems, committed


def main():
    outage_port, proxy_port, workdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    bootstrap = f"127.0.0.1:{proxy_port}"
    proxy = h.CuttableProxy(proxy_port, outage_port)
    proxy.start()
    h.create_topics(bootstrap, {TOPIC: PARTITIONS, f"{TOPIC}-retry": 4, f"{TOPIC}-dlq": 1})
    process = h.Wasmton(
        "outage",
        workdir,
        os.path.join(h.GUESTS, "guarantee_probe.wasm"),
        bootstrap,
        TOPIC,
        GROUP,
        extra=["--partition-concurrency", "2", "--dir", f"{workdir}::.", "--env", "GUARANTEE_BUSY_US=1500",
               "--log-level", "debug"],
    ).start()
    problems, figures = [], {}
    producer = h.RecordProducer(bootstrap)
    thread = threading.Thread(
        target=h.paced_production, args=(producer, TOPIC, RECORDS, PRODUCE_SECONDS, record), daemon=True
    )
    try:
        thread.start()
        cut_ns, restore_ns = outage(proxy, process, figures, problems)
        thread.join(PRODUCE_SECONDS + 60)
        produced = producer.flush(60)
        wanted = {(r.partition, r.offset) for r in produced}
        all_done = h.wait_until(
            lambda: wanted <= {(s.partition, s.offset) for s in processed(process) if s.end is not None},
            DRAIN_TIMEOUT,
            interval=1.0,
        )
        if not all_done:
            problems.append(f"not every record processed within {DRAIN_TIMEOUT} s after production")
        if not process.alive():
            problems.append(f"wasmton exited on its own with status {process.process.returncode}")
        status = process.stop(signal.SIGTERM, timeout=30)
        if status != 0:
            problems.append(f"exit status {status} after SIGTERM (expected 0)")
    finally:
        h.kill_leftovers([process])
        producer_done = not thread.is_alive()

    spans = processed(process)
    text = process.stderr()
    commits = h.parse_commits(text, process.name)
    resumed = first_new_start(spans, restore_ns)
    if resumed is None:
        problems.append("no new record processed after the proxy was restored")
    problems += h.check_at_least_once(produced, spans)
    problems += h.check_commits_after_processing(commits, spans, {(TOPIC, p): 0 for p in range(PARTITIONS)})
    final_problems, committed = check_final_commits(bootstrap, produced, spans)
    problems += final_problems
    problems += h.stderr_problems(text, process.name)
    if not producer_done:
        problems.append("producer thread did not finish")
    proxy.close()
    figures.update(
        {
            "records": len(produced),
            "tasks": len(spans),
            "reprocessed": h.reprocessed_count(spans),
            "outage_s": f"{(restore_ns - cut_ns) / 1e9:.1f}",
            "new_records_after_s": f"{(resumed - restore_ns) / 1e9:.1f}" if resumed else "never",
            "commits": len(commits),
            "commits_logged_during_outage": sum(1 for c in commits if cut_ns <= c.at_ns <= restore_ns),
            "commit_failures_logged": text.count("commit failed") + text.count("commit of "),
            "committed": ",".join(str(committed.get(p)) for p in range(PARTITIONS)),
        }
    )
    return h.report(NAME, problems, figures)


if __name__ == "__main__":
    sys.exit(main())
