#!/usr/bin/env python3
"""Measurement helper for Benchmarks/gateway.sh (standard library only).

  measure.py run RESULTS TAGS SERVER_PID TIMEOUT RAW_OUT -- WRK_COMMAND...
  measure.py table RESULTS [KEY=VALUE...]

`run` runs one wrk command (bounded by TIMEOUT seconds), keeps its output in RAW_OUT, and
appends one JSON object to RESULTS: TAGS (a JSON object: label, case, host, …), the figures
parsed from wrk's report (Requests/sec, the 50% and 99% lines of --latency, "Non-2xx or 3xx
responses", socket errors) and the exact ones of Benchmarks/gateway/wrk.lua's WRK_RESULT line,
plus CPU use over the run from /proc: the server process (all threads), wrk, and the whole
machine, in percent of one core. A run with a non-2xx response, a socket error, or no report is
marked failed (exit status 3), and the row says why.

`table` prints the results (medians over repeated runs of a label) and, for every case measured
on both hosts, the ratios wasmton / node. KEY=VALUE pairs go into the header. Exits 1 if any run
failed.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def proc_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime (the whole process)
    except (OSError, IndexError, ValueError):
        return None


def machine_ticks():
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values[:8]) - idle


UNITS = {"us": 1, "ms": 1000, "s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000}


def duration_us(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def parse_wrk(output):
    """wrk's text report, and the WRK_RESULT line of wrk.lua."""
    parsed = {}
    m = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.M)
    if m:
        parsed["requests_per_s_text"] = float(m.group(1))
    for q in ("50", "99"):
        m = re.search(rf"^\s+{q}%\s+(\S+)", output, re.M)
        if m:
            parsed[f"p{q}_us_text"] = duration_us(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    parsed["non_2xx_3xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    parsed["socket_errors"] = sum(int(g) for g in m.groups()) if m else 0
    m = re.search(r"^WRK_RESULT (\{.*\})$", output, re.M)
    if m:
        parsed["wrk"] = json.loads(m.group(1))
    return parsed


def run(argv):
    results, tags, server_pid, limit, raw_out = argv[:5]
    assert argv[5] == "--"
    command = argv[6:]
    record = json.loads(tags)
    server_before, machine_before, wall_before = proc_ticks(server_pid), machine_ticks(), time.monotonic()
    try:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output, _ = child.communicate(timeout=float(limit))
        status = child.returncode
    except subprocess.TimeoutExpired:
        child.kill()
        output, _ = child.communicate()
        status = "timeout"
    wall = time.monotonic() - wall_before
    server_after, machine_after = proc_ticks(server_pid), machine_ticks()
    children = os.times()  # wrk is this helper's only child
    wrk_cpu = (children.children_user + children.children_system) / wall * 100 if wall >= 1 else None
    with open(raw_out, "w") as f:
        f.write(output)
    parsed = parse_wrk(output)
    record.update(parsed)
    record["wall_s"] = round(wall, 3)
    if server_before is not None and server_after is not None:
        record["server_cpu_pct"] = round((server_after - server_before) / TICK / wall * 100, 1)
    record["machine_cpu_pct"] = round((machine_after - machine_before) / TICK / wall * 100, 1)
    record["wrk_cpu_pct"] = round(wrk_cpu, 1) if wrk_cpu is not None else None
    if record.get("server_cpu_pct") is not None and wrk_cpu is not None:
        # Everything else the machine did meanwhile (other processes; this helper's share is nil).
        record["other_cpu_pct"] = round(max(0.0, record["machine_cpu_pct"] - record["server_cpu_pct"] - wrk_cpu), 1)
    failures = []
    if status != 0:
        failures.append(f"wrk exited {status}")
    w = parsed.get("wrk")
    if w is None:
        failures.append("no WRK_RESULT line in wrk's output")
    else:
        record["requests_per_s"] = w["requests"] / (w["duration_us"] / 1e6) if w["duration_us"] else 0.0
        record["p50_us"] = w["latency_us"]["p50"]
        record["p99_us"] = w["latency_us"]["p99"]
        if w["errors"]["status"]:
            failures.append(f"{w['errors']['status']} responses with status >= 400")
        socket = sum(w["errors"][k] for k in ("connect", "read", "write", "timeout"))
        if socket:
            kinds = ", ".join(f"{k} {w['errors'][k]}" for k in ("connect", "read", "write", "timeout"))
            failures.append(f"{socket} socket errors ({kinds})")
        if w["requests"] == 0:
            failures.append("no requests completed")
    if parsed["non_2xx_3xx"]:
        failures.append(f"{parsed['non_2xx_3xx']} non-2xx/3xx responses")
    if record.get("server_cpu_pct") is not None and record.get("requests_per_s"):
        record["server_cpu_us_per_request"] = round(record["server_cpu_pct"] / 100 / record["requests_per_s"] * 1e6, 1)
    record["failures"] = failures
    with open(results, "a") as f:
        f.write(json.dumps(record) + "\n")
    summary = (f"{record['label']}: {record.get('requests_per_s', 0):,.0f} req/s, "
               f"p50 {fmt_us(record.get('p50_us'))}, p99 {fmt_us(record.get('p99_us'))}, "
               f"CPU: server {record.get('server_cpu_pct', '?')}%, wrk {record.get('wrk_cpu_pct', '?')}%, "
               f"others {record.get('other_cpu_pct', '?')}%")
    print(summary + ("" if not failures else "  FAILED: " + "; ".join(failures)), file=sys.stderr)
    return 3 if failures else 0


def fmt_us(us):
    if us is None:
        return "-"
    if us < 1000:
        return f"{us:.0f} µs"
    if us < 100_000:
        return f"{us / 1000:.2f} ms"
    return f"{us / 1000:.0f} ms"


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}×"


def grouped(results):
    """The JSON rows of RESULTS by label: the labels in first-seen order, and the rows of each."""
    rows = [json.loads(line) for line in open(results) if line.strip()]
    order, groups = [], {}
    for r in rows:
        if r["label"] not in groups:
            order.append(r["label"])
            groups[r["label"]] = []
        groups[r["label"]].append(r)
    return order, groups


def med(group, key):
    """The median of KEY over the rows of a group that have it, or None."""
    values = [r[key] for r in group if r.get(key) is not None]
    return statistics.median(values) if values else None


def table(argv):
    results = argv[0]
    meta = dict(a.split("=", 1) for a in argv[1:])
    order, groups = grouped(results)

    print(f"Gateway benchmark: {meta.get('wrk', 'wrk')}; warm-up {meta.get('warmup', '?')} per server; "
          f"{meta.get('repeat', '1')} run(s) per row{' (medians)' if meta.get('repeat', '1') != '1' else ''}")
    print(f"machine: {meta.get('cores', '?')} cores ({meta.get('cpu', '?')}), shared by wrk, the server and whatever else runs; "
          f"load average before {meta.get('load_before', '?')}, after {meta.get('load_after', '?')}")
    print("CPU columns: percent of one core over the measured run, from /proc (server = all its threads; "
          "others = the rest of the machine's busy time); server CPU/req = server CPU time per request, "
          "the figure least moved by the other load when the cores are saturated")
    for key in ("wasmton", "node", "when"):
        if key in meta:
            print(f"{key}: {meta[key]}")
    print()
    header = ("case", "host", "req/s", "p50", "p99", "server CPU/req", "CPU: server", "wrk", "others", "non-2xx")
    lines = []
    failed = []
    for label in order:
        g = groups[label]
        rps = [r.get("requests_per_s") for r in g if r.get("requests_per_s") is not None]
        spread = f" ({min(rps):,.0f}–{max(rps):,.0f})" if len(rps) > 1 else ""
        bad = sum(r.get("wrk", {}).get("errors", {}).get("status", 0) for r in g)
        bad = max(bad, sum(r.get("non_2xx_3xx", 0) for r in g))
        cpu = lambda key: "-" if med(g, key) is None else f"{med(g, key):.0f}%"
        lines.append((g[0]["case"], g[0]["host_label"],
                      ("-" if med(g, "requests_per_s") is None else f"{med(g, 'requests_per_s'):,.0f}") + spread,
                      fmt_us(med(g, "p50_us")), fmt_us(med(g, "p99_us")), fmt_us(med(g, "server_cpu_us_per_request")),
                      cpu("server_cpu_pct"), cpu("wrk_cpu_pct"), cpu("other_cpu_pct"), str(bad)))
        for r in g:
            if r.get("failures"):
                failed.append(f"{label}: {'; '.join(r['failures'])}")
    widths = [max(len(str(x[i])) for x in [header] + lines) for i in range(len(header))]
    numeric = {2, 3, 4, 5, 6, 7, 8, 9}
    for n, line in enumerate([header] + lines):
        print("  ".join(str(c).rjust(w) if i in numeric else str(c).ljust(w) for i, (c, w) in enumerate(zip(line, widths))).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))

    # wasmton / node for every case both hosts ran, with the default wasmton configuration.
    pairs = []
    # One line per engine: host "wasmton" is WasmKit, host "wasmtime" is wasmton --engine wasmtime.
    for case in dict.fromkeys(groups[l][0]["case"] for l in order):
        for host, variant, engine in (("wasmton", "default", "wasmkit"), ("wasmtime", "wasmtime", "wasmtime")):
            w = [groups[l] for l in order if groups[l][0]["case"] == case and groups[l][0].get("host") == host and groups[l][0].get("variant") == variant]
            n = [groups[l] for l in order if groups[l][0]["case"] == case and groups[l][0].get("host") == "node"]
            if w and n:
                ratio = lambda key: (med(w[0], key) / med(n[0], key)) if med(w[0], key) and med(n[0], key) else None
                pairs.append((f"{case} ({engine})", fmt_ratio(ratio("requests_per_s")), fmt_ratio(ratio("p50_us")), fmt_ratio(ratio("p99_us")),
                              fmt_ratio(ratio("server_cpu_us_per_request"))))
    if pairs:
        print()
        print("wasmton / node, measured in the same run (req/s above 1× = wasmton serves more; "
              "latency or CPU below 1× = wasmton answers faster or cheaper):")
        head = ("case", "req/s", "p50", "p99", "server CPU/req")
        widths = [max(len(x[i]) for x in [head] + pairs) for i in range(len(head))]
        for n, line in enumerate([head] + pairs):
            print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))).rstrip())
            if n == 0:
                print("  ".join("-" * w for w in widths))
    for note in meta.get("notes", "").split("|"):
        if note:
            print(note)
    if failed:
        print()
        print("FAILED — these runs had errors, their figures are not valid:")
        for f in failed:
            print(f"  {f}")
        return 1
    return 0


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "table"):
        print(__doc__, file=sys.stderr)
        return 2
    return run(sys.argv[2:]) if sys.argv[1] == "run" else table(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
