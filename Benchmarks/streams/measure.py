#!/usr/bin/env python3
"""Measurement helper for Benchmarks/streams.sh (standard library only).

  measure.py raw RESULTS TAGS TANSU_PID -- RAWCONSUME_COMMAND...
  measure.py wasmton RESULTS TAGS TANSU_PID RECORDS METRICS_PORT TIMEOUT -- WASMTON_COMMAND...

TAGS is a JSON object copied into the result (label, case, concurrency).
  measure.py kcat RESULTS TAGS TANSU_PID RECORDS -- KCAT_COMMAND...
  measure.py file RESULTS TAGS RECORDS -- WASMTON_COMMAND...
  measure.py table RESULTS [KEY=VALUE...]

`raw` runs the librdkafka baseline (Benchmarks/streams/rawconsume.c), which prints
FIRST when the first record arrives and a RAW line after the last.

`wasmton` starts `wasmton process … --metrics-port METRICS_PORT`, polls
http://127.0.0.1:METRICS_PORT/metrics every 50 ms and sums
wasmton_tasks_processed_total. The measured window runs from the first poll that
sees a processed task to the first poll that sees RECORDS (rate = tasks processed
inside the window / its length), bounded by TIMEOUT seconds (then the partial
rate is kept and the row is marked). Then one SIGTERM (graceful), 30 s grace,
SIGKILL; the last stderr line (`wasmton: processed N, …`) is kept.

Both modes also sample CPU over the window: the measured process (utime+stime
of all its threads), the tansu broker, and the whole machine (/proc/stat), so
"others" = machine busy - measured process - tansu - this helper: CPU taken by
unrelated work on the machine (contention). Each mode appends one JSON object
to RESULTS. `table` prints the results as the benchmark's table.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

TICK = os.sysconf("SC_CLK_TCK")
DECATON_REFERENCE = 118_000  # tasks/s, Decaton's published figure on 8 cores


def proc_cpu(pid):
    """utime+stime (seconds) of a process and all its threads, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, ValueError, IndexError):
        return None


def machine_busy():
    """(busy seconds summed over CPUs, number of CPUs) from /proc/stat."""
    cpus = 0
    busy = 0
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu "):
                v = [int(x) for x in line.split()[1:]]
                # user nice system idle iowait irq softirq steal
                busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)
            elif line.startswith("cpu"):
                cpus += 1
    return busy / TICK, cpus


class Sample:
    def __init__(self, pid, tansu_pid, processed=0):
        self.t = time.monotonic()
        self.processed = processed
        self.cpu = proc_cpu(pid) or 0.0
        self.tansu = (proc_cpu(tansu_pid) or 0.0) if tansu_pid else 0.0
        self.machine, self.cpus = machine_busy()
        self.me = sum(os.times()[:2])


def window(first, last):
    dt = last.t - first.t
    if dt <= 0:
        return {}
    measured = (last.cpu - first.cpu) / dt
    tansu = (last.tansu - first.tansu) / dt
    machine = (last.machine - first.machine) / dt
    me = (last.me - first.me) / dt
    return {
        "cores_measured": measured,
        "cores_tansu": tansu,
        "cores_machine": machine,
        "cores_others": max(0.0, machine - measured - tansu - me),
        "cpus": last.cpus,
        "cpu_seconds": last.cpu - first.cpu,
    }


def append(results, obj):
    with open(results, "a") as f:
        f.write(json.dumps(obj) + "\n")
    print("  " + json.dumps(obj), file=sys.stderr)


def run_raw(results, tags, tansu_pid, cmd):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    first = last = None
    raw = {}
    for line in proc.stdout:
        if line.startswith("FIRST"):
            first = Sample(proc.pid, tansu_pid)
        elif line.startswith("RAW"):
            last = Sample(proc.pid, tansu_pid)
            raw = dict(kv.split("=", 1) for kv in line.split()[1:])
    rc = proc.wait()
    out = dict(tags, kind="raw", ok=rc == 0)
    out.update({ "records": int(raw.get("records", 0)),
           "seconds": float(raw.get("seconds", 0)), "rate": float(raw.get("rate", 0)),
                "window_records": max(0, int(raw.get("records", 0)) - 1), "librdkafka": raw.get("librdkafka", "?")})
    if first and last:
        out.update(window(first, last))
        # the consumer's own first-to-last CPU time, from getrusage
        out["cpu_seconds"] = float(raw.get("cpu_seconds", out.get("cpu_seconds", 0)))
        out["cores_measured"] = out["cpu_seconds"] / out["seconds"] if out["seconds"] > 0 else 0
    append(results, out)
    return rc


def scrape(port):
    """Sum of wasmton_tasks_processed_total and of the task duration histogram's sum/count."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
        text = r.read().decode()
    processed = 0
    dsum = 0.0
    dcount = 0
    for line in text.splitlines():
        if line.startswith("wasmton_tasks_processed_total{"):
            processed += int(float(line.rsplit(" ", 1)[1]))
        elif line.startswith("wasmton_task_process_duration_seconds_sum{"):
            dsum += float(line.rsplit(" ", 1)[1])
        elif line.startswith("wasmton_task_process_duration_seconds_count{"):
            dcount += int(float(line.rsplit(" ", 1)[1]))
    return processed, dsum, dcount


def run_wasmton(results, tags, tansu_pid, records, port, timeout, cmd):
    err_path = f"{results}.{tags.get('label', 'wasmton').replace(' ', '_').replace(',', '')}.stderr"
    with open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    start = time.monotonic()
    deadline = start + timeout
    first = last = None
    processed = 0
    dsum, dcount = 0.0, 0
    status = "ok"
    while True:
        if proc.poll() is not None:
            status = f"exited early (status {proc.returncode})"
            break
        now = time.monotonic()
        if now > deadline:
            status = f"timeout after {timeout:.0f} s"
            break
        try:
            processed, dsum, dcount = scrape(port)
        except OSError:
            time.sleep(0.05)
            continue
        if processed > 0:
            s = Sample(proc.pid, tansu_pid, processed)
            if first is None:
                first = s
            last = s
            if processed >= records:
                break
        time.sleep(0.05)
    stop_started = time.monotonic()
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            status += "; killed after 30 s of SIGTERM"
    stop_seconds = time.monotonic() - stop_started
    with open(err_path) as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    out = dict(tags, kind="wasmton")
    out.update({"ok": status == "ok", "status": status, "records": records,
           "processed": processed, "stop_seconds": stop_seconds,
           "summary": lines[-1] if lines else "", "stderr_lines": len(lines),
           "mean_task_seconds": dsum / dcount if dcount else 0.0,
           "startup_seconds": (first.t - start) if first else 0.0})
    if first and last and last.t > first.t:
        out["seconds"] = last.t - first.t
        out["window_records"] = last.processed - first.processed
        out["rate"] = out["window_records"] / (last.t - first.t)
        out.update(window(first, last))
    else:
        out["seconds"] = 0.0
        out["rate"] = 0.0
    if not out["ok"]:
        out["stderr_tail"] = lines[-5:]
    append(results, out)
    return 0 if out["ok"] else 1


def key_bound(records, keys, partitions, lanes, task_seconds=0.010):
    """Best first-to-last tasks/s for this key set. Wasmton routes a key with records in flight to
    their lane and any other key to the least loaded lane (Sources/WasmtonStreams/Engine/KeyRouter.swift),
    so the run lasts at least the larger of (records of the busiest partition / lanes) and (records of
    the busiest key), times task_seconds. Records follow Benchmarks/streams/produce.c: record i has key
    "key-<i % keys>", key k in partition k % partitions."""
    per_key = [records // keys + (1 if k < records % keys else 0) for k in range(keys)]
    per_partition = [0] * partitions
    for k, n in enumerate(per_key):
        per_partition[k % partitions] += n
    busiest = max(max(per_partition) / lanes, max(per_key) if per_key else 0)
    return records / (busiest * task_seconds) if busiest else 0.0


def run_kcat(results, tags, tansu_pid, records, cmd):
    """kcat printing one byte per record: the window runs from its first output to its last."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    first = None
    count = 0
    while True:
        chunk = proc.stdout.read1(65536)
        if not chunk:
            break
        if first is None:
            first = Sample(proc.pid, tansu_pid)
            first_count = len(chunk)
        count += len(chunk)
    last = Sample(proc.pid, tansu_pid)
    rc = proc.wait()
    out = dict(tags, kind="kcat", ok=rc == 0 and count >= records, records=count)
    if first:
        seconds = last.t - first.t
        out.update(window(first, last))
        out["seconds"] = seconds
        out["window_records"] = max(0, count - first_count)
        out["rate"] = out["window_records"] / seconds if seconds > 0 else 0.0
    else:
        out.update(seconds=0.0, window_records=0, rate=0.0)
    append(results, out)
    return rc


def run_file(results, tags, records, cmd):
    """`wasmton process --input FILE`: records / wall time of the whole run (start-up included)."""
    start = time.monotonic()
    before = os.times()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.monotonic() - start
    after = os.times()
    cpu = (after[2] - before[2]) + (after[3] - before[3])
    tail = proc.stderr.strip().splitlines()[-1:] if proc.stderr.strip() else []
    out = dict(tags, kind="file", ok=proc.returncode == 0, records=records, seconds=seconds,
               rate=records / seconds if seconds > 0 else 0.0, window_records=records, cpu_seconds=cpu,
               cores_measured=cpu / seconds if seconds > 0 else 0.0, last_line=tail)
    append(results, out)
    return proc.returncode


def fmt_int(x):
    return f"{x:,.0f}"


def table(results, params):
    rows = [json.loads(l) for l in open(results) if l.strip()]
    p = dict(kv.split("=", 1) for kv in params)
    cpus = next((r.get("cpus") for r in rows if r.get("cpus")), os.cpu_count())
    librdkafka = next((r.get("librdkafka") for r in rows if r.get("librdkafka")), "?")
    out = []
    w = out.append
    w("")
    w(f"Wasmton stream benchmark — {p.get('when', '')}")
    w(f"  machine: {cpus} CPUs ({p.get('cpu', '?')}); broker: tansu (memory storage) on 127.0.0.1:{p.get('port', '?')}; "
      f"client: librdkafka {librdkafka}")
    w(f"  wasmton: {p.get('wasmton', '?')} (WasmKit 0.4.2 interpreter, or Wasmtime 50 on the rows marked so); every consumer in a fresh group, from the earliest offset")
    w("  cores = average CPU cores used during the measured window (first to last record);"
      " 'others' = machine busy minus the measured process, tansu and the helper (unrelated load).")

    triv = [r for r in rows if r.get("case") == "trivial"]
    if triv:
        raw = next((r for r in triv if r["kind"] == "raw"), None)
        w("")
        w(f"Trivial processor — {fmt_int(int(p.get('records', 0)))} records, 4 partitions, "
          f"{p.get('value_bytes', '?')} B values, 1000 keys (noop_processor.wasm: poll_task into a buffer, return)")
        hdr = f"  {'consumer':<34}{'records/s':>11}{'vs raw':>9}{'seconds':>9}{'µs CPU/rec':>12}{'cores':>7}{'tansu':>7}{'others':>8}{'task µs':>9}  note"
        w(hdr)
        w("  " + "-" * (len(hdr) - 2))
        for r in triv:
            name = "raw librdkafka consumer (C)" if r["kind"] == "raw" else r["label"]
            if r["kind"] == "kcat":
                name = "kcat -C (librdkafka CLI)"
            ratio = f"{100 * r['rate'] / raw['rate']:.1f}%" if raw and raw.get("rate") else "-"
            n = r.get("window_records", 0)
            cpu_rec = 1e6 * r.get("cpu_seconds", 0) / n if n else 0
            task = f"{1e6 * r['mean_task_seconds']:.1f}" if r.get("mean_task_seconds") else "-"
            note = "" if r.get("ok") else r.get("status", "FAILED")
            w(f"  {name:<34}{fmt_int(r['rate']):>11}{ratio:>9}{r.get('seconds', 0):>9.2f}{cpu_rec:>12.1f}"
              f"{r.get('cores_measured', 0):>7.2f}{r.get('cores_tansu', 0):>7.2f}{r.get('cores_others', 0):>8.2f}{task:>9}  {note}")
        w(f"  {'Decaton (published, JVM, 8 cores)':<34}{fmt_int(DECATON_REFERENCE):>11}{'':>9}"
          f"  reference only, not measured here")
        w("  task µs = mean of wasmton_task_process_duration_seconds (the guest call as the engine times it).")

    kcat = next((r for r in triv if r["kind"] == "kcat"), None)
    files = [r for r in rows if r.get("case") == "file"]
    if files:
        w("")
        w("Embedded default — wasmton process noop_processor.wasm --input FILE (one partition, keyless lines),"
          " records / wall time of the whole run, start-up included")
        for r in files:
            note = "" if r.get("ok") else "FAILED"
            w(f"  {r['label']:<34}{fmt_int(r['rate']):>11} records/s{r['seconds']:>9.2f} s"
              f"{1e6 * r.get('cpu_seconds', 0) / max(1, r['records']):>8.1f} µs CPU/rec  {note}")

    io = [r for r in rows if r.get("case") == "io"]
    if io:
        w("")
        w("10 ms I/O processor — 4 partitions (sleep_processor.wasm: poll_task, then nanosleep 10 ms = "
          f"WASI poll_oneoff clock wait; {p.get('sleep_note', 'blocks without burning CPU')})")
        hdr = (f"  {'concurrency':>11}{'records':>10}{'keys':>8}{'ideal/s':>9}{'key bound':>10}{'tasks/s':>9}{'% ideal':>9}"
               f"{'% bound':>9}{'seconds':>9}{'cores':>7}{'tansu':>7}{'others':>8}{'task ms':>9}  note")
        w(hdr)
        w("  " + "-" * (len(hdr) - 2))
        for r in io:
            parts = r.get("partitions", 4)
            ideal = parts * r["concurrency"] / 0.010
            bound = key_bound(r["records"], r.get("keys", 1000), parts, r["concurrency"])
            task = f"{1e3 * r['mean_task_seconds']:.2f}" if r.get("mean_task_seconds") else "-"
            note = "" if r.get("ok") else r.get("status", "FAILED")
            w(f"  {r['concurrency']:>11}{fmt_int(r['records']):>10}{fmt_int(r.get('keys', 1000)):>8}{fmt_int(ideal):>9}"
              f"{fmt_int(bound):>10}{fmt_int(r['rate']):>9}{100 * r['rate'] / ideal:>8.1f}%{100 * r['rate'] / bound:>8.1f}%"
              f"{r.get('seconds', 0):>9.2f}{r.get('cores_measured', 0):>7.2f}"
              f"{r.get('cores_tansu', 0):>7.2f}{r.get('cores_others', 0):>8.2f}{task:>9}  {note}")
        w("  ideal = partitions × concurrency / 10 ms. key bound = the best this key set allows: records of one key")
        w("  run one at a time, so the run lasts at least max(records per partition / concurrency, records of the")
        w("  busiest key) × 10 ms. task ms = mean guest call time (10 ms sleep + wake-up and scheduling delay).")

    w("")
    w("Summary")
    if triv:
        raw = next((r for r in triv if r["kind"] == "raw"), None)
        for r in triv:
            if r["kind"] != "wasmton":
                continue
            rel = f"{100 * r['rate'] / raw['rate']:.1f}% of the raw consumer's {fmt_int(raw['rate'])}/s" if raw and raw.get("rate") else "no raw baseline"
            if kcat and kcat.get("rate"):
                rel += f", {r['rate'] / kcat['rate']:.2f}× kcat's {fmt_int(kcat['rate'])}/s"
            w(f"  trivial, {r['label']}: {fmt_int(r['rate'])} tasks/s = {rel}, "
              f"{100 * r['rate'] / DECATON_REFERENCE:.1f}% of Decaton's 118k/s (8 cores) on {cpus} shared CPUs"
              + ("" if r.get("ok") else f" [{r.get('status')}]"))
    for r in io:
        parts = r.get("partitions", 4)
        ideal = parts * r["concurrency"] / 0.010
        bound = key_bound(r["records"], r.get("keys", 1000), parts, r["concurrency"])
        w(f"  10 ms I/O, concurrency {r['concurrency']}: {fmt_int(r['rate'])} tasks/s of an ideal {fmt_int(ideal)} "
          f"({100 * r['rate'] / ideal:.1f}%; {100 * r['rate'] / bound:.1f}% of the {fmt_int(bound)}/s its "
          f"{fmt_int(r.get('keys', 1000))} keys allow)" + ("" if r.get("ok") else f" [{r.get('status')}]"))
    others = [r.get("cores_others", 0) for r in rows if "cores_others" in r]
    if others:
        worst = max(others)
        w(f"  contention: unrelated processes used {min(others):.2f}–{worst:.2f} of {cpus} cores during the runs"
          + (" — figures are depressed by other work on the machine" if worst > 0.3 else ""))
    print("\n".join(out))


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "table":
        table(sys.argv[2], sys.argv[3:])
        return 0
    if "--" not in sys.argv:
        print(__doc__, file=sys.stderr)
        return 2
    sep = sys.argv.index("--")
    args, cmd = sys.argv[2:sep], sys.argv[sep + 1:]
    if mode == "raw":
        results, tags, tansu = args
        return run_raw(results, json.loads(tags), int(tansu), cmd)
    if mode == "kcat":
        results, tags, tansu, records = args
        return run_kcat(results, json.loads(tags), int(tansu), int(records), cmd)
    if mode == "file":
        results, tags, records = args
        return run_file(results, json.loads(tags), int(records), cmd)
    if mode == "wasmton":
        results, tags, tansu, records, port, timeout = args
        return run_wasmton(results, json.loads(tags), int(tansu), int(records), int(port), float(timeout), cmd)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
