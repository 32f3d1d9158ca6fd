#!/usr/bin/env bash
# The whole test suite: formatting, reproducible guests, then every Swift test (the CLI tests
# run the real `wasmton` binary, so it is built first).
set -euo pipefail
export SWIFT_DETERMINISTIC_HASHING=1
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/validate.sh
make -C guests check
swift build --product wasmton
swift test
