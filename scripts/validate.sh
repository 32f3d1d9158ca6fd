#!/usr/bin/env bash
# Formats every tracked Swift file with swift-format (settings in .swift-format) and fails if
# that changed anything, so formatting never drifts. Run it before committing; CI runs it too.
set -euo pipefail
export SWIFT_DETERMINISTIC_HASHING=1
cd "$(dirname "$0")/.."
before="$(git diff -- '*.swift' | sha1sum)"
git ls-files -z '*.swift' | xargs -0 swift format format --parallel --in-place
after="$(git diff -- '*.swift' | sha1sum)"
if [[ "$before" != "$after" ]]; then
    echo "validate: swift-format reformatted files (see git diff); commit the formatted versions" >&2
    git --no-pager diff --stat -- '*.swift' >&2
    exit 1
fi
echo "validate: formatting ok"
