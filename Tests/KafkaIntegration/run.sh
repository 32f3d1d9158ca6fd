#!/usr/bin/env bash
# Tests/KafkaIntegration/run.sh — the stream engine against real brokers (tansu).
#
# Starts its own brokers, runs every scenario, prints one PASS/FAIL line per scenario with
# its figures (details of a failure indented below it), stops the brokers, exits 1 if any
# scenario failed. About 3 minutes; each scenario is bounded (`timeout`), 12 minutes in all.
#
#   checks-selftest       the guarantee checks catch hand-made violations (no broker)
#   a-guarantees          3 members, restarts (SIGTERM, SIGKILL, SIGTERM) mid-stream:
#                         at-least-once, per-key ordering, per-key serial, commits
#   b-retry-dead-letter   retry topic, dead-letter topic and headers, output topic, commits
#   c-back-pressure       --max-pending-records pauses and resumes partitions
#   d-broker-unreachable  the connection to the broker is cut for 6 s mid-stream
#   e-revocation          a revoked partition starts no new task (slow tasks, 4 sub-partitions)
#   f-sockets             http_get.wasm against a local HTTP server: allowed (every path requested,
#                         every answer on stdout, commits) and denied (retry, dead letters, EACCES,
#                         no request reaches the server)
#   g-state               a counting processor with --state-dir over 8 partitions x 100 keys: kills (one
#                         on a wiped state dir), a rebalance and a 4 s broker cut; every key's count is
#                         exact, and a fresh member restores it from the changelog topic
#   h-replay              `capture` and `replay` (from Kafka, --from-time, and from the capture) read a
#                         topic without moving the group's committed offsets or creating topics, and
#                         list exactly the records pricing_v2 prices differently from pricing_v1
#
# Each scenario is a Python script (harness.py holds what they share) that prints one
# PASS/FAIL line; its progress and librdkafka's chatter go to WORK/NAME/progress.log, and each
# wasmton's stderr and the guarantee probe's log to WORK/NAME/.
#
# Environment:
#   WASMTON_BINARY         wasmton to test (default .build/debug/wasmton; must exist)
#   WASMTON_IT_PORT        first of three ports: broker, outage broker, its proxy (default 19100)
#   WASMTON_IT_WORK        where logs go (default a new /tmp/wasmton-kafka-it.XXXXXX, kept)
#   WASMTON_IT_SCENARIOS   which to run, e.g. "a d" (default: all: a b c d e f g h)
# Needs python3 and what scripts/kafka-env.sh installs (tansu, confluent-kafka wheel).
set -uo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$here/../.." && pwd)
export SWIFT_DETERMINISTIC_HASHING=1 PYTHONDONTWRITEBYTECODE=1

# shellcheck source=../../scripts/kafka-env.sh
. "$repo/scripts/kafka-env.sh" || exit 1
export PYTHONPATH="$WASMTON_KAFKA_DIR/site${PYTHONPATH:+:$PYTHONPATH}"
export WASMTON_BINARY=${WASMTON_BINARY:-$repo/.build/debug/wasmton}
if [ ! -x "$WASMTON_BINARY" ]; then
    echo "kafka-it: no wasmton at $WASMTON_BINARY (swift build --product wasmton)" >&2
    exit 1
fi

port=${WASMTON_IT_PORT:-19100}
outage_port=$((port + 1))
proxy_port=$((port + 2))
work=${WASMTON_IT_WORK:-$(mktemp -d /tmp/wasmton-kafka-it.XXXXXX)}
scenarios=${WASMTON_IT_SCENARIOS:-a b c d e f g h}
mkdir -p "$work"
echo "kafka-it: logs in $work" >&2

brokers_started=()
stop_brokers() {
    local p
    for p in "${brokers_started[@]}"; do
        "$repo/scripts/kafka-broker.sh" stop "$p" >>"$work/brokers.log" 2>&1 || true
    done
}
trap stop_brokers EXIT
trap 'exit 130' INT TERM

# A fresh (empty) broker: restart, so topics of an earlier run cannot collide.
start_broker() { # PORT [ADVERTISED_PORT]
    brokers_started+=("$1")
    WASMTON_KAFKA_ADVERTISED_PORT=${2:-$1} "$repo/scripts/kafka-broker.sh" restart "$1" >>"$work/brokers.log" 2>&1
}

failed=0
# run_scenario LETTER NAME LIMIT_SECONDS COMMAND...: runs it with stdout/stderr in its dir.
run_scenario() {
    local letter=$1 name=$2 limit=$3
    shift 3
    case " $scenarios " in *" $letter "*) ;; *) return 0 ;; esac
    local dir="$work/$name"
    mkdir -p "$dir"
    local started=$SECONDS rc=0
    (cd "$here" && timeout -k 10 "$limit" "$@" "$dir" >"$dir/result.txt" 2>"$dir/progress.log") || rc=$?
    if grep -q '^\(PASS\|FAIL\) ' "$dir/result.txt"; then
        sed -n '/^\(PASS\|FAIL\) /,$p' "$dir/result.txt" | sed "1s/\$/ time=$((SECONDS - started))s/"
    elif [ "$rc" = 124 ]; then
        echo "FAIL $name: no result after ${limit}s (killed); see $dir/progress.log"
    else
        echo "FAIL $name: exit $rc without a result; see $dir/progress.log"
        tail -n 5 "$dir/progress.log" | sed 's/^/     | /'
    fi
    [ "$rc" = 0 ] || failed=1
}

python3 "$here/selftest.py" || failed=1

if ! start_broker "$port"; then
    echo "FAIL brokers: could not start tansu on $port; see $work/brokers.log"
    exit 1
fi
if ! start_broker "$outage_port" "$proxy_port"; then
    echo "FAIL brokers: could not start tansu on $outage_port; see $work/brokers.log"
    exit 1
fi

bootstrap="127.0.0.1:$port"
# Limits add up to 11.5 minutes; a typical run takes a third of that.
run_scenario a a-guarantees 120 python3 scenario_guarantees.py "$bootstrap"
run_scenario b b-retry-dead-letter 45 python3 scenario_retry.py "$bootstrap"
run_scenario c c-back-pressure 45 python3 scenario_backpressure.py "$bootstrap"
run_scenario d d-broker-unreachable 75 python3 scenario_outage.py "$outage_port" "$proxy_port"
run_scenario e e-revocation 45 python3 scenario_revocation.py "$bootstrap"
run_scenario f f-sockets 60 python3 scenario_sockets.py "$bootstrap"
run_scenario g g-state 180 python3 scenario_state.py "$outage_port" "$proxy_port"
run_scenario h h-replay 120 python3 scenario_replay.py "$bootstrap"

exit "$failed"
