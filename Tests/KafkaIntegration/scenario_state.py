"""Scenario g: a stateful processor's state is exact through kills, a rebalance and a broker cut.

Three members run guests/build/state_counter.wasm (a per-key count kept with --state-dir, each
member in a directory of its own) over 8 partitions x 100 keys while 10,000+ records are
produced. Mid-stream member 0 is SIGKILLed and restarted on its own directory, member 1 is
SIGKILLed and restarted on an EMPTY directory (its stores come back from the changelog), member 2
leaves with SIGTERM and comes back (a rebalance), and the connection to the broker is cut for 4 s
(everything goes through a proxy, as in scenario d). Once every offset is committed, the members
stop, and a fresh member with an empty state directory joins a new group: it restores every
partition from the changelog topic, then replays the whole topic from offset 0 (every change must
be dropped as already applied). Checks: `wasmton state --json` on that fresh directory gives every
key EXACTLY the number of records produced for it (not at least), the restore was logged for all 8
partitions, and both groups' commits reached the end of every partition.

usage: scenario_state.py OUTAGE_PORT PROXY_PORT WORKDIR
"""

import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import harness as h

NAME = "g-state"
TOPIC = "counted"
GROUP = "counted-group"
PARTITIONS = 8
KEYS = 100
RECORDS = 10_400
PRODUCE_SECONDS = 20
DRAIN_TIMEOUT = 90
# (seconds into production, member, action)
PLAN = [(4.0, 0, "kill"), (8.0, 1, "kill-wipe"), (12.0, 2, "term"), (15.0, None, "cut")]
CUT_SECONDS = 4


def record(i):
    return f"key-{i % KEYS:03d}", f"v{i}"


def member(workdir, bootstrap, index, incarnation, state_dir=None, group=GROUP):
    name = f"m{index}-{incarnation}"
    return h.Wasmton(
        name,
        os.path.join(workdir, name),
        os.path.join(h.GUESTS, "state_counter.wasm"),
        bootstrap,
        TOPIC,
        group,
        extra=[
            "--partition-concurrency", "2", "--state-dir", state_dir or os.path.join(workdir, f"state-m{index}"),
            "--commit-interval", "200ms",
        ],
    )


def run_plan(workdir, bootstrap, processes, proxy, started, events):
    for at, index, action in PLAN:
        time.sleep(max(0.0, started + at - time.monotonic()))
        if action == "cut":
            proxy.cut()
            events.append(f"cut@{at:.0f}s")
            time.sleep(CUT_SECONDS)
            proxy.restore()
            continue
        old = processes[index][-1]
        status = old.stop(signal.SIGKILL if action.startswith("kill") else signal.SIGTERM, timeout=30)
        events.append(f"{old.name}:{action}:{status}")
        if action == "kill-wipe":
            shutil.rmtree(os.path.join(workdir, f"state-m{index}"), ignore_errors=True)
        time.sleep(1.0)
        processes[index].append(member(workdir, bootstrap, index, len(processes[index])).start())


def committed_at_end(bootstrap, produced, group=GROUP):
    ends = h.end_offsets(produced)
    committed = h.committed_offsets(bootstrap, group, TOPIC, range(PARTITIONS))
    return all(committed.get(p, -1) >= ends.get(p, 0) for p in range(PARTITIONS)), committed


def main():
    outage_port, proxy_port, workdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    bootstrap = f"127.0.0.1:{proxy_port}"
    proxy = h.CuttableProxy(proxy_port, outage_port)
    proxy.start()
    h.create_topics(bootstrap, {TOPIC: PARTITIONS, f"{TOPIC}-retry": 4, f"{TOPIC}-dlq": 1})
    processes = [[member(workdir, bootstrap, i, 0).start()] for i in range(3)]
    problems, figures, events = [], {}, []
    fresh, produced, expected = None, [], collections.Counter()
    fresh_dir = os.path.join(workdir, "state-fresh")
    try:
        if not h.wait_until(lambda: all(ps[0].is_running_state() for ps in processes), 30):
            problems.append("members not running after 30 s")
        producer = h.RecordProducer(bootstrap)
        started = time.monotonic()
        threads = [
            threading.Thread(
                target=h.paced_production, args=(producer, TOPIC, RECORDS, PRODUCE_SECONDS, record), daemon=True
            ),
            threading.Thread(
                target=run_plan, args=(workdir, bootstrap, processes, proxy, started, events), daemon=True
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(PRODUCE_SECONDS + 60)
        produced = producer.flush(60)
        h.log(NAME, f"produced {len(produced)}; events {events}; waiting for the commits")
        done = h.wait_until(lambda: committed_at_end(bootstrap, produced)[0], DRAIN_TIMEOUT, interval=1.0)
        _, committed = committed_at_end(bootstrap, produced)
        if not done:
            problems.append(f"commits did not reach the end within {DRAIN_TIMEOUT} s: {committed}")
        # What the topic holds, not what the producer was told: during the broker cut librdkafka may
        # write a record whose delivery it reported as failed, and then write it again.
        in_topic = h.read_topic(bootstrap, TOPIC, sum(max(o, 0) for o in committed.values()), 60)
        if len(in_topic) != sum(max(o, 0) for o in committed.values()):
            problems.append(f"read {len(in_topic)} records of {TOPIC}, its ends add up to {sum(committed.values())}")
        expected = collections.Counter(m.key().decode() for m in in_topic)
        for incarnations in processes:
            status = incarnations[-1].stop(signal.SIGTERM, timeout=30)
            if status != 0:
                problems.append(f"{incarnations[-1].name} exited {status} after SIGTERM")

        # A fresh member with an empty state directory, in a new group: it restores every partition
        # from the changelog before its first record, then reads the whole topic again from offset 0,
        # and every one of those changes must be dropped as already applied.
        fresh = member(workdir, bootstrap, 9, 0, state_dir=fresh_dir, group=f"{GROUP}-fresh").start()
        restored = lambda: len(set(re.findall(r"state of counted/(\d+) restored", fresh.stderr())))
        if not h.wait_until(lambda: restored() == PARTITIONS, 60):
            problems.append(f"the fresh member restored {restored()} of {PARTITIONS} partitions in 60 s")
        if not h.wait_until(lambda: committed_at_end(bootstrap, produced, f"{GROUP}-fresh")[0], 60, interval=1.0):
            problems.append("the fresh member did not read the topic through within 60 s")
        status = fresh.stop(signal.SIGTERM, timeout=30)
        if status != 0:
            problems.append(f"the fresh member exited {status} after SIGTERM")
    finally:
        h.kill_leftovers([p for ps in processes for p in ps] + ([fresh] if fresh else []))
        proxy.close()

    inspect = subprocess.run(
        [h.WASMTON, "state", "--state-dir", fresh_dir, "--json"], capture_output=True, text=True, timeout=60
    )
    if inspect.returncode != 0:
        problems.append(f"wasmton state: exit {inspect.returncode}: {inspect.stderr.strip()}")
        state = {}
    else:
        state = json.loads(inspect.stdout)
    wrong = [(k, state.get(k), n) for k, n in sorted(expected.items()) if state.get(k) != str(n)]
    extra = sorted(set(state) - set(expected))
    if wrong:
        problems.append(f"{len(wrong)} keys with a wrong count (key, state, produced): {wrong[:5]}")
    if extra:
        problems.append(f"keys never produced: {extra[:5]}")
    rates = [float(r) for r in re.findall(r"changes in [0-9.]+ s \((\d+) records/s\)", fresh.stderr() if fresh else "")]
    for ps in processes:
        for p in ps:
            problems += h.stderr_problems(p.stderr(), p.name)
    if len(produced) < 10_000:
        problems.append(f"only {len(produced)} records produced")
    figures.update(
        {
            "records": len(produced),
            "written_twice_by_producer": sum(expected.values()) - len(produced),
            "keys": len(expected),
            "exact_keys": len(expected) - len(wrong),
            "events": ",".join(events),
            "restored_changes": sum(int(n) for n in re.findall(r"restored from \S+: (\d+) changes", fresh.stderr() if fresh else "")),
            "restore_rate_per_partition": f"{min(rates, default=0):.0f}-{max(rates, default=0):.0f}/s",
        }
    )
    return h.report(NAME, problems, figures)


if __name__ == "__main__":
    sys.exit(main())
