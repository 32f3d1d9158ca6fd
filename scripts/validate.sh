#!/usr/bin/env bash
# Checks what a reviewer should not have to: formatting (swift-format with .swift-format; fails
# if it changed anything, so formatting never drifts), layer edges (every import declared;
# builds the debug products and tests once) and the DocC documentation (scripts/docs.sh). Run it
# before committing; CI runs it too.
set -euo pipefail
export SWIFT_DETERMINISTIC_HASHING=1
cd "$(dirname "$0")/.."
before="$(git diff -- '*.swift' | sha1sum)"
git ls-files -z --cached --others --exclude-standard '*.swift' | xargs -0 swift format format --parallel --in-place
after="$(git diff -- '*.swift' | sha1sum)"
if [[ "$before" != "$after" ]]; then
    echo "validate: swift-format reformatted files (see git diff); commit the formatted versions" >&2
    git --no-pager diff --stat -- '*.swift' >&2
    exit 1
fi
echo "validate: formatting ok"

# Layer edges: every import names a dependency its target declares (the check SwiftPM's flag
# below is too lenient for: it accepts modules that arrive through another dependency).
python3 scripts/check-imports.py
swift build --build-tests --explicit-target-dependency-import-check error
echo "validate: imports ok"

# Documentation: a DocC archive per library target, failing on any warning.
scripts/docs.sh
