#!/usr/bin/env python3
"""Combine runtime-bench's and the Wasmtime harness's JSON lines into one table.

    report.py RESULTS.jsonl [--json] [--meta KEY=VALUE ...]

Every number is the median in microseconds per operation; p90 is beside it. Ratios are
medians divided: above 1 means the first engine is slower. When the file holds several runs
(run.sh --repeat N), each figure is the median of that figure over the runs.
"""
import json
import statistics
import sys

OPS = [
    ("load_validate_big", "load+validate big.wasm (1 MB)"),
    ("instantiate_big", "instantiate big.wasm"),
    ("call_noop", "host→guest call (noop)"),
    ("call_host_roundtrip", "guest→host→guest round trip"),
    ("call_run_workload", "workload: big.wasm run(1)"),
    ("call_memloop_workload", "workload: memloop(10000) load/store loop"),
]

VARIANTS = [
    ("wasmtime-fuel-limited", "Wasmtime engine + fuel limit"),
    ("software-bounds", "software bounds checks"),
    ("fuel-metered", "fuel metering on, no limit"),
    ("fuel-limited", "fuel metering on + fuel limit"),
]

RAW = [
    ("call_noop", "raw WasmKit noop"),
    ("call_host_roundtrip", "raw WasmKit round trip"),
]


def main(argv):
    path = argv[1]
    want_json = "--json" in argv
    meta = {}
    for i, arg in enumerate(argv):
        if arg == "--meta" and i + 1 < len(argv) and "=" in argv[i + 1]:
            key, value = argv[i + 1].split("=", 1)
            meta[key] = value

    results = []
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if line.startswith("{"):
                results.append(json.loads(line))
    # With several runs (run.sh --repeat N), each number is the median over the runs.
    grouped = {}
    for r in results:
        grouped.setdefault((r["engine"], r["variant"], r["op"]), []).append(r)
    by_key = {}
    for key, runs in grouped.items():
        merged = dict(runs[0])
        for field in ("median_us", "p90_us", "mean_us", "min_us"):
            merged[field] = statistics.median(run[field] for run in runs)
        merged["runs"] = len(runs)
        by_key[key] = merged
    run_count = max((len(runs) for runs in grouped.values()), default=0)

    def get(engine, variant, op):
        return by_key.get((engine, variant, op))

    def cell(result):
        if result is None:
            return "—"
        return f"{fmt(result['median_us'])} (p90 {fmt(result['p90_us'])})"

    def ratio(a, b):
        if a is None or b is None or b["median_us"] <= 0:
            return None
        return a["median_us"] / b["median_us"]

    def ratio_cell(value):
        return "—" if value is None else f"{value:.2f}×" if value < 100 else f"{value:.0f}×"

    rows = []
    table = []

    def section(title):
        table.append(("", "", "", ""))
        table.append((title, "", "", ""))

    def add(label, left, right, versus, kind):
        value = ratio(left, right if versus is None else versus)
        table.append((label, cell(left), cell(right), ratio_cell(value)))
        rows.append({
            "measurement": label,
            "kind": kind,
            "median_us": left and left["median_us"],
            "p90_us": left and left["p90_us"],
            "wasmtime_median_us": right and right["median_us"],
            "wasmtime_p90_us": right and right["p90_us"],
            "ratio": value,
            "ratio_against": "wasmtime" if versus is None else "reference_median_us",
            "reference_median_us": (right if versus is None else versus or {}).get("median_us"),
        })

    section("Wasmton (fuel off, automatic bounds) vs Wasmtime (Cranelift, native code); ratio = Wasmton / Wasmtime")
    for op, label in OPS:
        add(label, get("wasmton", "baseline", op), get("wasmtime", "cranelift", op), None, "vs-wasmtime-cranelift")
    add("  load+validate, Wasmtime compiling on one thread",
        get("wasmton", "baseline", "load_validate_big"), get("wasmtime", "cranelift", "load_validate_big_serial"),
        None, "vs-wasmtime-cranelift")
    add("  host→guest call incl. export lookup by name",
        get("wasmton", "baseline", "call_noop_lookup"), get("wasmtime", "cranelift", "call_noop_lookup"), None,
        "vs-wasmtime-cranelift")

    if any(k[0] == "wasmton" and k[1] == "wasmtime" for k in by_key):
        # Like for like: the harness's default engine has no epoch checks, and neither has a Wasmton
        # runtime made with interruptible: false (`wasmton run` without --timeout).
        plain = "wasmtime-uninterruptible" if any(k[1] == "wasmtime-uninterruptible" for k in by_key) else "wasmtime"
        section("Wasmton on Wasmtime (--engine wasmtime, " + ("no epoch checks: interruptible false" if plain != "wasmtime"
                else "epoch checks on") + ") vs Wasmtime's own harness; ratio = Wasmton-on-Wasmtime / Wasmtime")
        for op, label in OPS:
            add(label, get("wasmton", plain, op), get("wasmtime", "cranelift", op), None, "wasmton-wasmtime-vs-wasmtime")
        add("  host→guest call incl. export lookup by name",
            get("wasmton", plain, "call_noop_lookup"), get("wasmtime", "cranelift", "call_noop_lookup"), None,
            "wasmton-wasmtime-vs-wasmtime")
        if any(k[0] == "wasmtime" and k[1] == "cranelift-epoch" for k in by_key):
            section("Wasmton on Wasmtime with epoch checks (as serve and process run it, for deadlines and slices) vs "
                    "Wasmtime's harness with epoch interruption on; ratio = Wasmton-on-Wasmtime / Wasmtime+epoch")
            for op, label in OPS:
                add(label, get("wasmton", "wasmtime", op), get("wasmtime", "cranelift-epoch", op), None,
                    "wasmton-wasmtime-vs-wasmtime-epoch")
        section("Wasmton on Wasmtime vs Wasmton on WasmKit; ratio = Wasmtime / WasmKit (below 1× = faster)")
        for op, label in OPS + [("fresh_wapc_request", "fresh waPC instance per request (cuckoo: instantiate, "
                                                        "start-up, check_word_exists, teardown; #16: ≤ 50 µs)")]:
            add(label, get("wasmton", "wasmtime", op), None, get("wasmton", "baseline", op), "wasmtime-vs-wasmkit")

    if any(k[2].startswith("deadline_300ms_") for k in by_key):
        section("A 300 ms timeout: how long each loop shape ran before it was stopped (µs); ratio = Wasmtime / WasmKit")
        for shape in ("calls", "tight", "arithmetic", "memory", "host_calls"):
            op = "deadline_300ms_" + shape
            add(f"{shape} loop, Wasmton on Wasmtime [WasmKit, fuel calibrated, in the ratio's base]",
                get("wasmton", "wasmtime", op), None, get("wasmton", "fuel-metered", op), "deadline")

    if any(k[1] == "pulley64" for k in by_key):
        section("Wasmton vs Wasmtime's Pulley interpreter (--target pulley64); ratio = Wasmton / Wasmtime-Pulley")
        for op, label in OPS:
            add(label, get("wasmton", "baseline", op), get("wasmtime", "pulley64", op), None, "vs-wasmtime-pulley")

    section("Wasmton variants; ratio = variant / Wasmton baseline (Wasmtime column empty)")
    for variant, vlabel in VARIANTS:
        for op, label in OPS:
            add(f"{label} [{vlabel}]", get("wasmton", variant, op), None, get("wasmton", "baseline", op),
                f"variant:{variant}")

    section("Raw WasmKit, no Wasmton layer (where the time goes); ratio = raw WasmKit / Wasmton baseline")
    for op, label in [("parse_big", "raw WasmKit parseWasm big.wasm (no body validation)"),
                      ("instantiate_big", "raw WasmKit instantiate big.wasm (new Store)")]:
        other = "load_validate_big" if op == "parse_big" else op
        add(label, get("wasmkit", "raw", op), None, get("wasmton", "baseline", other), f"raw:{op}")

    section("Raw WasmKit Function.invoke, no Wasmton layer; ratio = this row / one reused stack")
    for op, label in RAW:
        fresh = get("wasmkit", "raw", op + "_fresh_stack")
        reused = get("wasmkit", "raw", op + "_reused_stack")
        table.append((f"{label}: fresh 512 KiB stack per call", cell(fresh), "", ratio_cell(ratio(fresh, reused))))
        table.append((f"{label}: one reused stack", cell(reused), "", ""))
        for how, text in [("threaddict", "reused stack found via Thread.current.threadDictionary (as ExecutionStackCache)"),
                          ("pthreadkey", "reused stack found via a pthread key")]:
            found = get("wasmkit", "raw", f"{op}_{how}_stack")
            if found is not None:
                table.append((f"{label}: {text}", cell(found), "", ratio_cell(ratio(found, reused))))
                rows.append({"measurement": f"{label}: {text}", "kind": "stack-reuse",
                             "median_us": found["median_us"], "p90_us": found["p90_us"],
                             "ratio": ratio(found, reused), "ratio_against": "reference_median_us",
                             "reference_median_us": reused and reused["median_us"]})
        rows.append({"measurement": f"{label}: fresh stack per call", "kind": "stack-reuse",
                     "median_us": fresh and fresh["median_us"], "p90_us": fresh and fresh["p90_us"],
                     "ratio": ratio(fresh, reused), "ratio_against": "reference_median_us",
                     "reference_median_us": reused and reused["median_us"]})

    header = ("measurement", "Wasmton µs", "Wasmtime µs", "ratio")
    cells = [row for row in table if row[1] or row[2] or row[3]] + [header]
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    line = lambda row: "  ".join(
        (row[i].ljust(widths[i]) if i == 0 else row[i].rjust(widths[i])) for i in range(4)).rstrip()
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in table:
        if row[1] == "" and row[2] == "" and row[3] == "":
            print(row[0])
        else:
            print(line(row))
    print()
    print("µs per operation: median (p90). Calls are timed in batches of 1000, run(1) in batches of 20.")
    if run_count > 1:
        print(f"Each number is the median over {run_count} runs of both programs.")
    print("Wasmtime's load+validate is wasmtime_module_new: parse, validate AND compile every function")
    print("to native code with Cranelift (Pulley: to Pulley bytecode). Wasmton's is parse, validate and")
    print("translate every function to WasmKit's interpreter code; instantiation then translates lazily.")

    if want_json:
        meta["runs"] = run_count
        print(json.dumps({"meta": meta, "rows": rows, "results": results}, ensure_ascii=False))


def fmt(value):
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


if __name__ == "__main__":
    main(sys.argv)
