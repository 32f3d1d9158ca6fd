"""Scenario h: replay and capture read a topic without touching the group's offsets.

`wasmton process pricing_v1.wasm` consumes a 2-partition topic with a group and commits; more
records are produced afterwards (so the group's committed offsets sit below the end). Then
`wasmton capture` copies a range of partition 0 to a file, `wasmton replay` compares pricing_v2
with pricing_v1 straight from Kafka (both partitions, and --from-time) and from the capture.
Checks: the group's committed offsets are exactly as `process` left them, no topic was created,
the capture holds exactly the range (offsets, keys, values, headers, timestamps), and the
replays list exactly the records v2 prices differently (10+ items, or 0 items).

usage: scenario_replay.py BOOTSTRAP WORKDIR
"""

import base64
import json
import os
import signal
import subprocess
import sys
import time

import harness as h
from confluent_kafka.admin import AdminClient

NAME = "h-replay"
TOPIC = "replay-orders"
GROUP = "replay-orders-group"
PARTITIONS = 2
FIRST, SECOND = 40, 12


def order(i):
    quantity = [3, 10, 0, 2, 12, 1, 5][i % 7]
    return f"c{i % 5}", f"sku{i},{quantity},{100 + i}"


def differs(value):
    quantity = int(value.split(",")[1])
    return quantity >= 10 or quantity == 0


def produce(bootstrap, start, count):
    producer = h.RecordProducer(bootstrap)
    for i in range(start, start + count):
        key, value = order(i)
        producer.produce(TOPIC, key, value, headers=[("x-batch", str(start).encode())])
    return producer.flush(30)


def run(args, workdir, name):
    env = dict(os.environ, SWIFT_DETERMINISTIC_HASHING="1")
    with open(os.path.join(workdir, f"{name}.command.txt"), "w") as f:
        f.write(" ".join(args) + "\n")
    done = subprocess.run([h.WASMTON] + args, env=env, capture_output=True, timeout=120)
    with open(os.path.join(workdir, f"{name}.stderr.log"), "wb") as f:
        f.write(done.stderr)
    with open(os.path.join(workdir, f"{name}.stdout.log"), "wb") as f:
        f.write(done.stdout)
    return done


def topics(bootstrap):
    return sorted(AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics)


def check_replay(done, expected, label):
    problems = []
    if done.returncode != 1:
        problems.append(f"{label}: exit {done.returncode}, expected 1; stderr {done.stderr.decode()[-300:]!r}")
        return problems, 0
    report = json.loads(done.stdout)
    got = sorted((d["partition"], d["offset"]) for d in report["differences"])
    want = sorted((r.partition, r.offset) for r in expected if differs(r.value))
    if got != want:
        problems.append(f"{label}: differing records {got}, expected {want}")
    if report["total"] != len(expected):
        problems.append(f"{label}: replayed {report['total']} records, expected {len(expected)}")
    for d in report["differences"]:
        record = next((r for r in expected if (r.partition, r.offset) == (d["partition"], d["offset"])), None)
        if record is not None and d.get("key") != record.key:
            problems.append(f"{label}: {d['partition']}@{d['offset']} key {d.get('key')!r}, expected {record.key!r}")
    return problems, report["total"]


def main():
    bootstrap, workdir = sys.argv[1], sys.argv[2]
    h.create_topics(bootstrap, {TOPIC: PARTITIONS})
    first = produce(bootstrap, 0, FIRST)
    process = h.Wasmton(
        "process", workdir, os.path.join(h.GUESTS, "pricing_v1.wasm"), bootstrap, TOPIC, GROUP,
        extra=["--commit-interval", "200ms"],
    ).start()
    problems = []
    ends = h.end_offsets(first)
    try:
        committed_all = h.wait_until(
            lambda: h.committed_offsets(bootstrap, GROUP, TOPIC, range(PARTITIONS)) == dict(ends), timeout=60
        )
        status = process.stop(signal.SIGTERM, timeout=30)
    finally:
        h.kill_leftovers([process])
    if not committed_all or status != 0:
        problems.append(f"process did not commit the end {dict(ends)} (exit {status})")
    before = h.committed_offsets(bootstrap, GROUP, TOPIC, range(PARTITIONS))
    time.sleep(1.5)
    boundary_ms = int(time.time() * 1000)
    time.sleep(1.5)
    second = produce(bootstrap, FIRST, SECOND)
    everything = first + second
    topics_before = topics(bootstrap)

    # capture: partition 0, offsets 3..10
    capture = os.path.join(workdir, "orders.capture")
    done = run(
        ["capture", "--bootstrap-servers", bootstrap, "--topic", TOPIC, "--partition", "0", "--from-offset", "3",
         "--count", "8", "--output", capture], workdir, "capture")
    captured = []
    if done.returncode != 0:
        problems.append(f"capture: exit {done.returncode}: {done.stderr.decode()[-300:]!r}")
    else:
        with open(capture) as f:
            lines = [json.loads(line) for line in f if line.strip()]
        if lines[0] != {"kind": "records", "wasmton-capture": 1}:
            problems.append(f"capture header {lines[0]!r}")
        captured = lines[1:]
        want = sorted((r for r in everything if r.partition == 0), key=lambda r: r.offset)
        want = [r for r in want if 3 <= r.offset < 11]
        got = [(c["partition"], c["offset"], base64.b64decode(c["key"]).decode(), base64.b64decode(c["value"]).decode())
               for c in captured]
        if got != [(r.partition, r.offset, r.key, r.value) for r in want]:
            problems.append(f"capture holds {got}, expected {[(r.partition, r.offset, r.key, r.value) for r in want]}")
        for c in captured:
            if c.get("timestamp") is None or c.get("topic") != TOPIC or not c.get("headers"):
                problems.append(f"capture entry without timestamp, topic or headers: {c}")
                break
            if c["headers"][0]["name"] != "x-batch":
                problems.append(f"capture header {c['headers'][0]!r}")
                break

    v1 = os.path.join(h.GUESTS, "pricing_v1.wasm")
    v2 = os.path.join(h.GUESTS, "pricing_v2.wasm")
    kafka = ["--bootstrap-servers", bootstrap, "--topic", TOPIC]
    replay_problems, replayed = check_replay(
        run(["replay", v2, "--baseline", v1, *kafka, "--json"], workdir, "replay-kafka"), everything, "replay from Kafka")
    problems += replay_problems
    time_problems, replayed_since = check_replay(
        run(["replay", v2, "--baseline", v1, *kafka, "--from-time", str(boundary_ms), "--json"], workdir, "replay-time"),
        second, "replay --from-time")
    problems += time_problems
    if captured:
        in_capture = [r for r in everything if r.partition == 0 and 3 <= r.offset < 11]
        capture_problems, _ = check_replay(
            run(["replay", v2, "--baseline", v1, "--input", capture, "--json"], workdir, "replay-capture"),
            in_capture, "replay of the capture")
        problems += capture_problems

    after = h.committed_offsets(bootstrap, GROUP, TOPIC, range(PARTITIONS))
    if after != before:
        problems.append(f"committed offsets moved: {before} -> {after}")
    topics_after = topics(bootstrap)
    if topics_after != topics_before:
        problems.append(f"topics changed: {topics_before} -> {topics_after}")
    return h.report(
        NAME,
        problems,
        {
            "records": len(everything),
            "captured": len(captured),
            "replayed": replayed,
            "replayed_since": replayed_since,
            "committed": ",".join(str(after.get(p)) for p in range(PARTITIONS)),
        },
    )


if __name__ == "__main__":
    sys.exit(main())
