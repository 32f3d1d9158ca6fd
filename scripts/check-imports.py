#!/usr/bin/env python3
"""Fails when a target imports a module it does not declare as a direct dependency.

SwiftPM's `--explicit-target-dependency-import-check` (run by scripts/validate.sh as well)
accepts a module that arrives through another dependency, so `import WasmtonKafka` in the CLI
passed while only the stream layer declared it. This check is strict: every `import X` in a
target's sources must name a direct dependency in Package.swift (a target or a product), or a
module of the toolchain. It reads `swift package dump-package`, so it never drifts from the
manifest.
"""
import json
import pathlib
import re
import subprocess
import sys

TOOLCHAIN = {"Foundation", "FoundationEssentials", "Dispatch", "Synchronization", "Glibc", "Testing", "XCTest",
             "_Concurrency", "Darwin", "os"}
IMPORT = re.compile(r"^\s*(?:@[\w()]+\s+)*(?:public |package |internal |fileprivate |private )?import\s+(?:(?:struct|class|enum|func|protocol|typealias|var|let)\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.M)

root = pathlib.Path(__file__).resolve().parent.parent
package = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True,
                                    capture_output=True, text=True).stdout)
problems = []
for target in package["targets"]:
    if target["type"] in ("system", "binary", "plugin"):
        continue
    allowed = set(TOOLCHAIN) | {target["name"]}
    for dependency in target["dependencies"]:
        kind, value = next(iter(dependency.items()))
        allowed.add(value[0])
    default = "Tests" if target["type"] == "test" else "Sources"
    folder = root / (target.get("path") or f"{default}/{target['name']}")
    for source in sorted(folder.rglob("*.swift")):
        for module in IMPORT.findall(source.read_text()):
            if module not in allowed:
                problems.append(f"{source.relative_to(root)}: imports {module}, which target {target['name']} "
                                f"does not declare in Package.swift")
for problem in problems:
    print(f"check-imports: {problem}", file=sys.stderr)
if problems:
    sys.exit(1)
print("check-imports: every import is a declared dependency")
