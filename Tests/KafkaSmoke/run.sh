#!/usr/bin/env bash
# Tests/KafkaSmoke/run.sh [BENCH_MESSAGES]
#
# Builds smoke.c against Debian's librdkafka headers, starts a tansu broker on
# 127.0.0.1:$WASMTON_KAFKA_PORT (default 19092) unless one is already running
# there, runs the smoke test with the confluent-kafka wheel's librdkafka first on
# LD_LIBRARY_PATH, and stops the broker again if it started it.
#   BENCH_MESSAGES  messages for the consume-rate benchmark (default 200000, 0 = skip)
#   SMOKE_ONLY=bench  skip the functional phases
#   SMOKE_DEBUG=cgrp,fetch  librdkafka debug contexts
#   SMOKE_TIMEOUT   overall limit in seconds (default 300)
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$here/../.." && pwd)
port=${WASMTON_KAFKA_PORT:-19092}
bench=${1:-200000}

# shellcheck source=../../scripts/kafka-env.sh
. "$repo/scripts/kafka-env.sh"

build="$WASMTON_KAFKA_DIR/build"
mkdir -p "$build"
# Compile and link against Debian's librdkafka-dev (NEEDED librdkafka.so.1).
gcc -std=c11 -O2 -Wall -Wextra -Werror -o "$build/smoke" "$here/smoke.c" -lrdkafka
resolved=$(ldd "$build/smoke" | awk '$1 == "librdkafka.so.1" { print $3 }')
echo "smoke: librdkafka.so.1 resolves to $resolved -> $(readlink -f "$resolved")"

started=0
if ! "$repo/scripts/kafka-broker.sh" status "$port" >/dev/null; then
    "$repo/scripts/kafka-broker.sh" start "$port"
    started=1
fi
cleanup() {
    if [ "$started" = 1 ]; then
        "$repo/scripts/kafka-broker.sh" stop "$port" || true
    fi
}
trap cleanup EXIT

rc=0
timeout -k 5 "${SMOKE_TIMEOUT:-300}" "$build/smoke" "127.0.0.1:$port" "$bench" || rc=$?
if [ "$rc" = 124 ]; then
    echo "FAIL smoke: killed after ${SMOKE_TIMEOUT:-300} s"
fi
exit "$rc"
