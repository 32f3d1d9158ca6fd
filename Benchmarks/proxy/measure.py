#!/usr/bin/env python3
"""Measurement helper for Benchmarks/proxy.sh (standard library only).

  measure.py run RESULTS TAGS PROXY_PID UPSTREAM_PIDS TIMEOUT RAW_OUT -- WRK_COMMAND...
  measure.py failed RESULTS TAGS REASON
  measure.py table RESULTS [KEY=VALUE...]

`run` runs one wrk command (bounded by TIMEOUT seconds), keeps its output in RAW_OUT, and
appends one JSON object to RESULTS: TAGS (a JSON object: label, row, run), the figures of wrk's
report and of the WRK_RESULT line of Benchmarks/gateway/wrk.lua (parsed by
Benchmarks/gateway/measure.py), and CPU use over the run from /proc, in percent of one core: the
proxy (PROXY_PID: comma separated, all their threads; "-" when there is none), the upstream (UPSTREAM_PIDS, comma
separated: nginx's master and workers), wrk, and the rest of the machine. A run with a response
of status 400 or more, a non-2xx/3xx response, a socket error, or no report is marked failed
(exit status 3).

`failed` appends a failed row that could not be measured (e.g. the proxy did not start).

`table` prints the rows (medians over repeated runs of a label) and the ratios of every row to
the upstream alone (row "upstream"), to nginx as a reverse proxy (row "nginx-proxy", the anchor)
and to wasmton's proxy without a filter (row "proxy").
KEY=VALUE pairs go into the header; notes=A|B adds lines under the tables. Exits 1 if any run
failed.
"""
import importlib.util
import json
import os
import subprocess
import sys
import time

_here = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("gateway_measure", os.path.join(_here, "..", "gateway", "measure.py"))
gateway = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gateway)
TICK, proc_ticks, machine_ticks = gateway.TICK, gateway.proc_ticks, gateway.machine_ticks
parse_wrk, fmt_us, fmt_ratio = gateway.parse_wrk, gateway.fmt_us, gateway.fmt_ratio


def ticks_of(pids):
    """CPU ticks of these processes, or None if any of them is gone."""
    total = 0
    for pid in pids:
        t = proc_ticks(pid)
        if t is None:
            return None
        total += t
    return total


def run(argv):
    results, tags, proxy_pid, upstream_pids, limit, raw_out = argv[:6]
    assert argv[6] == "--"
    command = argv[7:]
    record = json.loads(tags)
    proxy = [] if proxy_pid == "-" else [p for p in proxy_pid.split(",") if p]
    upstream = [p for p in upstream_pids.split(",") if p]
    proxy_before, upstream_before = ticks_of(proxy), ticks_of(upstream)
    machine_before, wall_before = machine_ticks(), time.monotonic()
    try:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output, _ = child.communicate(timeout=float(limit))
        status = child.returncode
    except subprocess.TimeoutExpired:
        child.kill()
        output, _ = child.communicate()
        status = "timeout"
    wall = time.monotonic() - wall_before
    proxy_after, upstream_after, machine_after = ticks_of(proxy), ticks_of(upstream), machine_ticks()
    children = os.times()  # wrk is this helper's only child
    wrk_cpu = (children.children_user + children.children_system) / wall * 100 if wall >= 1 else None
    with open(raw_out, "w") as f:
        f.write(output)
    parsed = parse_wrk(output)
    record.update(parsed)
    record["wall_s"] = round(wall, 3)
    pct = lambda before, after: None if before is None or after is None else round((after - before) / TICK / wall * 100, 1)
    record["proxy_cpu_pct"] = pct(proxy_before, proxy_after) if proxy else None
    record["upstream_cpu_pct"] = pct(upstream_before, upstream_after)
    record["machine_cpu_pct"] = pct(machine_before, machine_after)
    record["wrk_cpu_pct"] = round(wrk_cpu, 1) if wrk_cpu is not None else None
    parts = [record[k] for k in ("upstream_cpu_pct", "wrk_cpu_pct") if record[k] is not None]
    if record["proxy_cpu_pct"] is not None:
        parts.append(record["proxy_cpu_pct"])
    if record["machine_cpu_pct"] is not None and record["upstream_cpu_pct"] is not None and wrk_cpu is not None:
        # Everything else the machine did meanwhile (other processes; this helper's share is nil).
        record["other_cpu_pct"] = round(max(0.0, record["machine_cpu_pct"] - sum(parts)), 1)
    failures = []
    if status != 0:
        failures.append(f"wrk exited {status}")
    w = parsed.get("wrk")
    if w is None:
        failures.append("no WRK_RESULT line in wrk's output")
    else:
        record["requests"] = w["requests"]
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
    rps = record.get("requests_per_s")
    for who in ("proxy", "upstream"):
        if record.get(f"{who}_cpu_pct") is not None and rps:
            record[f"{who}_cpu_us_per_request"] = round(record[f"{who}_cpu_pct"] / 100 / rps * 1e6, 1)
    record["failures"] = failures
    with open(results, "a") as f:
        f.write(json.dumps(record) + "\n")
    cpu = lambda k: "-" if record.get(k) is None else f"{record[k]}%"
    summary = (f"{record['label']}: {rps or 0:,.0f} req/s, p50 {fmt_us(record.get('p50_us'))}, "
               f"p99 {fmt_us(record.get('p99_us'))}, CPU: proxy {cpu('proxy_cpu_pct')}, nginx {cpu('upstream_cpu_pct')}, "
               f"wrk {cpu('wrk_cpu_pct')}, others {cpu('other_cpu_pct')}")
    print(summary + ("" if not failures else "  FAILED: " + "; ".join(failures)), file=sys.stderr)
    return 3 if failures else 0


def print_table(header, lines, numeric_from=1):
    widths = [max(len(str(x[i])) for x in [header] + lines) for i in range(len(header))]
    for n, line in enumerate([header] + lines):
        print("  ".join(str(c).rjust(w) if i >= numeric_from else str(c).ljust(w)
                        for i, (c, w) in enumerate(zip(line, widths))).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def table(argv):
    results = argv[0]
    meta = dict(a.split("=", 1) for a in argv[1:])
    order, groups = gateway.grouped(results)
    med = gateway.med

    repeat = meta.get("repeat", "1")
    print(f"Proxy benchmark: {meta.get('wrk', 'wrk')}; warm-up {meta.get('warmup', '?')} per row; "
          f"{repeat} run(s) per row{' (medians; req/s range in brackets)' if repeat != '1' else ''}")
    print(f"machine: {meta.get('cores', '?')} cores ({meta.get('cpu', '?')}), shared by wrk, nginx, the proxy and whatever "
          f"else runs; load average before {meta.get('load_before', '?')}, after {meta.get('load_after', '?')}")
    print("CPU columns: percent of one core over the measured run, from /proc (proxy = all its threads; nginx = master "
          "and workers; others = the rest of the machine's busy time); proxy CPU/req = the proxy's CPU time per request")
    for key in ("upstream", "proxy", "filter", "when"):
        if key in meta:
            print(f"{key}: {meta[key]}")
    print()
    header = ("row", "req/s", "p50", "p99", "proxy CPU/req", "CPU: proxy", "nginx", "wrk", "others", "non-2xx")
    lines, failed = [], []
    for label in order:
        g = groups[label]
        rps = [r.get("requests_per_s") for r in g if r.get("requests_per_s") is not None]
        spread = f" ({min(rps):,.0f}–{max(rps):,.0f})" if len(rps) > 1 else ""
        bad = max(sum(r.get("wrk", {}).get("errors", {}).get("status", 0) for r in g), sum(r.get("non_2xx_3xx", 0) for r in g))
        cpu = lambda key: "-" if med(g, key) is None else f"{med(g, key):.0f}%"
        if not any("wrk" in r for r in g):
            bad = "-"
        lines.append((label, ("-" if med(g, "requests_per_s") is None else f"{med(g, 'requests_per_s'):,.0f}") + spread,
                      fmt_us(med(g, "p50_us")), fmt_us(med(g, "p99_us")), fmt_us(med(g, "proxy_cpu_us_per_request")),
                      cpu("proxy_cpu_pct"), cpu("upstream_cpu_pct"), cpu("wrk_cpu_pct"), cpu("other_cpu_pct"), str(bad)))
        for r in g:
            if r.get("failures"):
                failed.append(f"{label} (run {r.get('run', '?')}): {'; '.join(r['failures'])}")
    print_table(header, lines)

    by_row = {groups[l][0].get("row"): groups[l] for l in order}
    ratios = []
    for label in order:
        g = groups[label]
        if g[0].get("row") == "upstream":
            continue
        line = [label]
        for base in ("upstream", "nginx-proxy", "proxy"):
            b = by_row.get(base)
            for key in ("requests_per_s", "p50_us", "p99_us"):
                line.append(fmt_ratio(med(g, key) / med(b, key)) if b and b is not g and med(g, key) and med(b, key) else "-")
        ratios.append(tuple(line))
    if any(x != "-" for line in ratios for x in line[1:]):
        print()
        print("ratios of medians (req/s below 1× = fewer requests per second; latency above 1× = slower):")
        print_table(("row", "req/s vs upstream", "p50", "p99", "req/s vs nginx proxy", "p50", "p99",
                     "req/s vs wasmton proxy", "p50", "p99"), ratios)
    notes = [n for n in meta.get("notes", "").split("|") if n]
    if notes:
        print()
        for note in notes:
            print(note)
    if failed:
        print()
        print("FAILED — these runs had errors, their figures are not valid:")
        for f in failed:
            print(f"  {f}")
        return 1
    return 0


def failed(argv):
    results, tags, reason = argv[:3]
    record = json.loads(tags)
    record["failures"] = [reason]
    with open(results, "a") as f:
        f.write(json.dumps(record) + "\n")
    print(f"{record['label']}: FAILED: {reason}", file=sys.stderr)
    return 0


def main():
    commands = {"run": run, "failed": failed, "table": table}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
