"""Scenario a: Decaton's guarantees with restarts mid-stream.

Three `wasmton process` members of one group (partition concurrency 4) consume an 8-partition
topic while ≥10,000 records of 100 keys are produced over ~16 s; each member is restarted once
mid-stream (one with SIGKILL, two with SIGTERM). Checks, from the guarantee probe's logs and the
members' commit lines: at-least-once, per-key process ordering, per-key serial processing, and
that no offset below a commit is started after that commit.

usage: scenario_guarantees.py BOOTSTRAP WORKDIR
"""

import os
import signal
import sys
import threading
import time

import harness as h

NAME = "a-guarantees"
TOPIC = "guarantees"
GROUP = "guarantees-group"
PARTITIONS = 8
KEYS = 100
RECORDS = 10_400
PRODUCE_SECONDS = 16
MEMBERS = 3
# (member, seconds into production, signal): every member restarts once, one of them killed.
RESTARTS = [h.Restart(0, 4.0, signal.SIGTERM), h.Restart(1, 8.0, signal.SIGKILL), h.Restart(2, 12.0, signal.SIGTERM)]
# Async commits a SIGKILLed member requested this shortly before dying may never reach the broker.
KILL_GRACE_NS = 1_000_000_000
DRAIN_TIMEOUT = 60


def member(workdir, bootstrap, index, incarnation):
    directory = os.path.join(workdir, f"member{index}-{incarnation}")
    os.makedirs(directory, exist_ok=True)
    return h.Wasmton(
        f"member{index}-{incarnation}",
        directory,
        os.path.join(h.GUESTS, "guarantee_probe.wasm"),
        bootstrap,
        TOPIC,
        GROUP,
        extra=["--partition-concurrency", "4", "--dir", f"{directory}::.", "--log-level", "debug"],
        env={},
    )


def record(i):
    return f"key-{i % KEYS:03d}", f"value-{i}"


def restart(processes, workdir, bootstrap, plan, started, exits):
    """Waits for the plan's time, stops the member (waiting for it to exit), starts a new one."""
    delay = started + plan.at - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    old = processes[plan.index][-1]
    status = old.stop(plan.signum, timeout=30)
    exits.append((old.name, signal.Signals(plan.signum).name, status))
    h.log(NAME, f"{old.name} stopped with {signal.Signals(plan.signum).name}: exit {status}")
    new = member(workdir, bootstrap, plan.index, len(processes[plan.index])).start()
    processes[plan.index].append(new)


def produce_with_restarts(bootstrap, workdir, processes, exits):
    """Produces while every planned restart runs on its own schedule (a slow shutdown of one
    member does not delay the others)."""
    producer = h.RecordProducer(bootstrap)
    started = time.monotonic()
    threads = [
        threading.Thread(
            target=h.paced_production, args=(producer, TOPIC, RECORDS, PRODUCE_SECONDS, record), daemon=True
        )
    ] + [
        threading.Thread(target=restart, args=(processes, workdir, bootstrap, plan, started, exits), daemon=True)
        for plan in RESTARTS
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, started + PRODUCE_SECONDS + 60 - time.monotonic()))
    return producer.flush(30)


def unassigned(processes):
    """Names of the current members that were never assigned a partition of the topic."""
    return [ps[-1].name for ps in processes if f"assigned: {TOPIC}/" not in ps[-1].stderr()]


def collect(processes):
    spans, commits = [], []
    for incarnations in processes:
        for p in incarnations:
            spans += h.parse_probe_log(os.path.join(p.workdir, "log"), p.name)
            commits += h.parse_commits(p.stderr(), p.name)
    return spans, commits


def wait_for_all_processed(processes, produced):
    wanted = {(r.topic, r.partition, r.offset) for r in produced}

    def done():
        spans, _ = collect(processes)
        finished = {(s.topic, s.partition, s.offset) for s in spans if s.end is not None}
        return wanted <= finished

    return h.wait_until(done, DRAIN_TIMEOUT, interval=1.0)


def trusted_commits(commits, processes):
    """Drops the async commits a SIGKILLed member made just before it died (possibly lost)."""
    killed = {}
    for plan in RESTARTS:
        if plan.signum == signal.SIGKILL:
            p = processes[plan.index][0]
            killed[p.name] = p.signalled_ns
    kept = [c for c in commits if not (c.source in killed and c.at_ns > killed[c.source] - KILL_GRACE_NS)]
    return kept, len(commits) - len(kept)


def main():
    bootstrap, workdir = sys.argv[1], sys.argv[2]
    h.create_topics(bootstrap, {TOPIC: PARTITIONS, f"{TOPIC}-retry": 4, f"{TOPIC}-dlq": 1})
    processes = [[member(workdir, bootstrap, i, 0).start()] for i in range(MEMBERS)]
    problems, exits = [], []
    try:
        if not h.wait_until(lambda: all(ps[0].is_running_state() for ps in processes), 30):
            problems.append("members not running after 30 s")
        produced = produce_with_restarts(bootstrap, workdir, processes, exits)
        h.log(NAME, f"produced {len(produced)} records; waiting until all are processed")
        if not wait_for_all_processed(processes, produced):
            problems.append(f"not every record processed within {DRAIN_TIMEOUT} s")
            if len(unassigned(processes)) == MEMBERS:
                problems.append(
                    f"no restarted member was ever assigned a partition: the group did not rebalance"
                    f" ({', '.join(unassigned(processes))} ran {DRAIN_TIMEOUT} s+ without an assignment)"
                )
        for incarnations in processes:
            p = incarnations[-1]
            status = p.stop(signal.SIGTERM, timeout=30)
            exits.append((p.name, "SIGTERM", status))
    finally:
        h.kill_leftovers([p for ps in processes for p in ps])

    for name, how, status in exits:
        if how == "SIGTERM" and status != 0:
            problems.append(f"{name} exited with {status} after SIGTERM (expected 0)")
    spans, commits = collect(processes)
    trusted, exempt = trusted_commits(commits, processes)
    first_offsets = {(TOPIC, p): 0 for p in range(PARTITIONS)}
    problems += h.check_at_least_once(produced, spans)
    ordering, rewinds = h.check_key_ordering(produced, spans)
    problems += ordering
    problems += h.check_key_serial(spans)
    problems += h.check_commits_not_reprocessed(trusted, spans)
    problems += h.check_commits_after_processing(commits, spans, first_offsets)
    for ps in processes:
        for p in ps:
            problems += h.stderr_problems(p.stderr(), p.name)
    if len(produced) < 10_000:
        problems.append(f"only {len(produced)} records produced")
    return h.report(
        NAME,
        problems,
        {
            "records": len(produced),
            "keys": KEYS,
            "tasks": len(spans),
            "reprocessed": h.reprocessed_count(spans),
            "rewinds": rewinds,
            "commits": len(commits),
            "commits_exempt_after_kill": exempt,
            "restarts": "SIGTERM,SIGKILL,SIGTERM",
        },
    )


if __name__ == "__main__":
    sys.exit(main())
