"""The guarantee checks of harness.py must notice violations: each is fed a clean history
(must pass) and one broken history per rule (must fail). Runs in a fraction of a second.

usage: selftest.py
"""

import sys

import harness as h

NAME = "checks-selftest"
MS = 1_000_000


def produced(offsets_by_key):
    return [h.Produced("t", 0, o, key, "") for key, offsets in offsets_by_key.items() for o in offsets]


def span(key, offset, start_ms, end_ms=None, source="p"):
    return h.Span(key, "t", 0, offset, start_ms * MS, None if end_ms is None else end_ms * MS, source)


def commit(offset, at_ms):
    return h.Commit("t", 0, offset, at_ms * MS, False, "p")


def main():
    records = produced({"a": [0, 2, 4], "b": [1, 3]})
    clean = [span("a", 0, 0, 1), span("b", 1, 1, 2), span("a", 2, 2, 3), span("b", 3, 3, 4), span("a", 4, 4, 5)]
    rewound = clean + [span("a", 2, 6, 7), span("a", 4, 8, 9)]
    cases = [
        ("clean at-least-once", h.check_at_least_once(records, clean), False),
        ("missing record", h.check_at_least_once(records, clean[:-1]), True),
        ("unfinished record", h.check_at_least_once(records, clean[:-1] + [span("a", 4, 4)]), True),
        ("clean ordering", h.check_key_ordering(records, clean)[0], False),
        ("ordering with a rewind", h.check_key_ordering(records, rewound)[0], False),
        ("skipped offset", h.check_key_ordering(records, [clean[0], clean[4]])[0], True),
        ("later before earlier", h.check_key_ordering(records, [span("a", 2, 0, 1), span("a", 0, 2, 3)])[0], True),
        ("rewind then jump", h.check_key_ordering(records, clean + [span("a", 0, 6, 7), span("a", 4, 8, 9)])[0], True),
        ("clean serial", h.check_key_serial(clean), False),
        ("overlap", h.check_key_serial([span("a", 0, 0, 5), span("a", 2, 3, 6)]), True),
        ("killed task ignored", h.check_key_serial([span("a", 0, 0), span("a", 0, 1, 2)]), False),
        ("commit then later offsets", h.check_commits_not_reprocessed([commit(3, 3)], clean), False),
        ("reprocessed below commit", h.check_commits_not_reprocessed([commit(3, 5)], rewound), True),
        ("commit after processing", h.check_commits_after_processing([commit(3, 4)], clean, {}), False),
        ("commit too early", h.check_commits_after_processing([commit(3, 2)], clean, {}), True),
        ("commit over a gap", h.check_commits_after_processing([commit(5, 9)], clean[:3] + clean[4:], {}), True),
    ]
    problems = [
        f"{name}: {'no violation found' if expect else found}"
        for name, found, expect in cases
        if bool(found) != expect
    ]
    commits = h.parse_commits(
        "2026-11-24T00:00:00+0000 debug wasmton.process: at_ns=17 offset=123 partition=my-topic/3 sync=false"
        " [WasmtonStreams] committed\n",
        "p",
    )
    if commits != [h.Commit("my-topic", 3, 123, 17, False, "p")]:
        problems.append(f"parse_commits: {commits}")
    return h.report(NAME, problems, {"cases": len(cases) + 1})


if __name__ == "__main__":
    sys.exit(main())
