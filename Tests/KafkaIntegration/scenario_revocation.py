"""Scenario e: a revoked partition stops taking new work at once.

Member A processes a 1-partition topic with 4 sub-partitions and slow tasks (3 s each); member B
joins, so A's partitions are revoked. Decaton's contract on revocation: let the tasks in progress
finish, start no new ones, commit, hand over. Checks, from A's log: no task of the partition
starts after A began revoking it (its `state: rebalancing` line), and the revocation lasts about
one task, not one task per sub-partition; and per-key serial processing across A and B.

Why it matters: while a revocation drags on, the group may give the partition to another member
(e.g. after a missed session timeout), and then two members process the same keys at once.

usage: scenario_revocation.py BOOTSTRAP WORKDIR
"""

import datetime
import os
import re
import signal
import sys

import harness as h

NAME = "e-revocation"
TOPIC = "revocation"
GROUP = "revocation-group"
KEYS = 8
RECORDS = 48
TASK_SECONDS = 3
LANES = 4


def member(workdir, bootstrap, name):
    directory = os.path.join(workdir, name)
    os.makedirs(directory, exist_ok=True)
    return h.Wasmton(
        name,
        directory,
        os.path.join(h.GUESTS, "guarantee_probe.wasm"),
        bootstrap,
        TOPIC,
        GROUP,
        extra=["--partition-concurrency", str(LANES), "--dir", f"{directory}::.", "--env",
               f"GUARANTEE_BUSY_US={TASK_SECONDS * 1_000_000}", "--log-level", "debug"],
    ).start()


def seconds(line):
    return datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S%z").timestamp()


def first_revocation(text):
    """(began, ended) in whole seconds: the `state: rebalancing` line before the first
    `revoked:` line naming the topic's partition, and that line."""
    began = None
    for line in text.splitlines():
        if line.endswith("] state: rebalancing"):
            began = seconds(line)
        elif re.search(rf"\] revoked: .*\b{TOPIC}/0\b", line) and began is not None:
            return began, seconds(line)
    return None


def main():
    bootstrap, workdir = sys.argv[1], sys.argv[2]
    h.create_topics(bootstrap, {TOPIC: 1, f"{TOPIC}-retry": 4, f"{TOPIC}-dlq": 1})
    producer = h.RecordProducer(bootstrap)
    for i in range(RECORDS):
        producer.produce(TOPIC, f"key-{i % KEYS}", f"value-{i}")
    producer.flush(20)
    a = member(workdir, bootstrap, "A")
    problems, members = [], [a]
    try:
        a_log = os.path.join(a.workdir, "log")
        if not h.wait_until(lambda: sum(1 for s in h.parse_probe_log(a_log, "A") if s.end) >= LANES, 20):
            problems.append("A did not process its first tasks within 20 s")
        members.append(member(workdir, bootstrap, "B"))
        revocation = h.wait_until(lambda: first_revocation(a.stderr()), 20)
        for m in members:
            status = m.stop(signal.SIGTERM, timeout=15)
            if status != 0:
                problems.append(f"{m.name} exited with {status} after SIGTERM")
    finally:
        h.kill_leftovers(members)

    spans = [s for m in members for s in h.parse_probe_log(os.path.join(m.workdir, "log"), m.name)]
    figures = {"tasks": len(spans), "task_s": TASK_SECONDS, "lanes": LANES}
    if not revocation:
        problems.append("A never revoked the partition")
    else:
        began, ended = revocation
        late = [s for s in spans if s.source == "A" and (began + 1) * 1e9 <= s.start < ended * 1e9]
        figures["revocation_s"] = f"{ended - began:.0f}(±1)"
        figures["tasks_started_while_revoking"] = len(late)
        if late:
            problems.append(
                f"A started {len(late)} tasks of {TOPIC}/0 after it began revoking it"
                f" (offsets {sorted(s.offset for s in late)})"
            )
        if ended - began > TASK_SECONDS + 2:
            problems.append(
                f"revocation took {ended - began:.0f} s (±1) with {TASK_SECONDS} s tasks:"
                " the sub-partitions are stopped one after another"
            )
    problems += h.check_key_serial(spans)
    return h.report(NAME, problems, figures)


if __name__ == "__main__":
    sys.exit(main())
