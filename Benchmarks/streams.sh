#!/usr/bin/env bash
# Benchmarks/streams.sh — stream-processing throughput of `wasmton process` on Kafka.
#
# Starts its own tansu broker (in-memory) on 127.0.0.1:$STREAMS_BENCH_PORT, builds the
# release wasmton if it is missing, then measures and prints one table:
#
#   1. trivial case: a 4-partition topic of STREAMS_BENCH_RECORDS records (1000 keys, 32-byte
#      values), consumed by a bare librdkafka C consumer (Benchmarks/streams/rawconsume.c,
#      the baseline) and by `wasmton process guests/build/noop_processor.wasm` at each
#      partition concurrency of STREAMS_BENCH_NOOP_CONCURRENCY; tasks/s first record to last,
#      ratio to the raw consumer and to kcat (Debian's librdkafka command-line consumer, run on the
#      same librdkafka 2.16 with the fetch.queue.backoff.ms=10 that the raw consumer and wasmton
#      use; with librdkafka's default of 1000 ms kcat waits on its fetch queue, not the CPU), and
#      Decaton's published 118k tasks/s (8 cores) beside them.
#   2. 10 ms I/O case: guests/build/sleep_processor.wasm (nanosleep 10 ms per task) at each
#      partition concurrency of STREAMS_BENCH_SLEEP_CONCURRENCY on its own 4-partition topic,
#      against the ideal partitions × concurrency / 10 ms.
#
#   3. the embedded default: `wasmton process noop_processor.wasm --input FILE` over a file of
#      STREAMS_BENCH_FILE_LINES lines, records / wall time of the whole run; and beside it the
#      stateful counter (state_counter.wasm, --state-dir, 1000 keys) over as many JSON lines.
#
# Every consumer uses a fresh group, every run is bounded in time, everything is on
# loopback. Per-run CPU use (the measured process, tansu, and unrelated load) is sampled
# from /proc by Benchmarks/streams/measure.py.
#
# Environment (defaults in brackets):
#   STREAMS_BENCH_RECORDS            records in the trivial case [1000000]
#   STREAMS_BENCH_NOOP_CONCURRENCY   partition concurrencies for noop ["1 4 8"]
#   STREAMS_BENCH_FILE_LINES         lines in the embedded-default (--input FILE) case [1000000]
#   STREAMS_BENCH_SLEEP_CONCURRENCY  partition concurrencies for the 10 ms case ["1 8 64"]
#   STREAMS_BENCH_SLEEP_SECONDS      target seconds per 10 ms run at the ideal rate [10]
#   STREAMS_BENCH_SLEEP_CAP          most records in one 10 ms run [128000]
#   STREAMS_BENCH_IO_KEYS            distinct keys in the 10 ms topics [1000, as the trivial case];
#                                    records of a key share one lane, so few keys per lane
#                                    leave lanes unevenly loaded (the table's "key bound")
#   STREAMS_BENCH_TIMEOUT            upper bound for one run, seconds [300]
#   STREAMS_BENCH_PORT               broker port, 19120-19139 [19120]
#   STREAMS_BENCH_METRICS_PORT       wasmton --metrics-port, 19120-19139 [19121]
#   STREAMS_BENCH_WASMTON            the wasmton binary [.build-release/release/wasmton]
#   STREAMS_BENCH_ENGINES            engines for the noop and file cases ["wasmkit wasmtime"]
#                                    (wasmtime: Wasmtime 50's C library, scripts/install-wasmtime.sh)
#
# Output: the table on stdout (also saved, with the raw JSON lines and each run's stderr,
# under .build-release/streams-bench/); progress on stderr.
set -euo pipefail
export SWIFT_DETERMINISTIC_HASHING=1

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$here/.." && pwd)
cd "$repo"

records=${STREAMS_BENCH_RECORDS:-1000000}
file_lines=${STREAMS_BENCH_FILE_LINES:-1000000}
noop_concurrency=${STREAMS_BENCH_NOOP_CONCURRENCY:-1 4 8}
engines=${STREAMS_BENCH_ENGINES:-wasmkit wasmtime}
for e in $engines; do [[ $e =~ ^(wasmkit|wasmtime)$ ]] || { echo "streams.sh: unknown engine '$e'" >&2; exit 2; }; done
if [[ " $engines " == *" wasmtime "* ]]; then
    WASMTON_WASMTIME_LIB="$(scripts/install-wasmtime.sh)"
    export WASMTON_WASMTIME_LIB
fi
sleep_concurrency=${STREAMS_BENCH_SLEEP_CONCURRENCY:-1 8 64}
sleep_seconds=${STREAMS_BENCH_SLEEP_SECONDS:-10}
sleep_cap=${STREAMS_BENCH_SLEEP_CAP:-128000}
io_keys=${STREAMS_BENCH_IO_KEYS:-1000}
keys=1000
run_timeout=${STREAMS_BENCH_TIMEOUT:-300}
port=${STREAMS_BENCH_PORT:-19120}
metrics_port=${STREAMS_BENCH_METRICS_PORT:-19121}
scratch="$repo/.build-release"
wasmton=${STREAMS_BENCH_WASMTON:-$scratch/release/wasmton}
partitions=4
value_bytes=32
kafka_x=(-X session.timeout.ms=2000 -X heartbeat.interval.ms=500)

say() { echo "== $*" >&2; }
die() { echo "streams.sh: $*" >&2; exit 1; }

for v in records file_lines sleep_seconds sleep_cap io_keys run_timeout port metrics_port; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
for c in $noop_concurrency $sleep_concurrency; do
    [[ $c =~ ^[1-9][0-9]*$ ]] || die "bad partition concurrency '$c'"
done
for p in "$port" "$metrics_port"; do
    [ "$p" -ge 19120 ] && [ "$p" -le 19139 ] || die "ports must be in 19120-19139 (got $p)"
done
[ "$port" != "$metrics_port" ] || die "broker and metrics ports must differ"

python=$(command -v python3) || die "python3 not found"
command -v cc >/dev/null || die "no C compiler (cc) found"

# --- Dependencies: librdkafka headers + 2.16 runtime, tansu ---------------------------------
# shellcheck source=../scripts/kafka-env.sh
. "$repo/scripts/kafka-env.sh" || die "kafka-env.sh failed"

if ! command -v kcat >/dev/null; then
    say "installing kcat (Debian's librdkafka command-line client)"
    SUDO=""
    [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq kcat >/dev/null
fi
command -v kcat >/dev/null || die "kcat is missing and could not be installed"

# --- wasmton (release), guests, helpers ------------------------------------------------------
if [ ! -x "$wasmton" ]; then
    say "building wasmton (release) into $scratch — this takes 10+ minutes the first time"
    "$repo/scripts/install-deps.sh" >&2
    swift build -c release --product wasmton --static-swift-stdlib --scratch-path "$scratch" >&2
fi
[ -x "$wasmton" ] || die "no wasmton binary at $wasmton"
for g in noop_processor sleep_processor; do
    if [ ! -f "guests/build/$g.wasm" ]; then
        say "building guests (make -C guests)"
        make -C guests >&2
    fi
done

out="$scratch/streams-bench"
mkdir -p "$out"
for tool in produce rawconsume; do
    # Debian's librdkafka-dev headers, run against the wheel's 2.16 (LD_LIBRARY_PATH).
    cc -std=c11 -O2 -Wall -Wextra -o "$out/$tool" "$here/streams/$tool.c" -lrdkafka
done
stamp=$(date +%Y%m%d-%H%M%S)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
results="$out/results-$stamp.jsonl"
: >"$results"

# --- Broker ----------------------------------------------------------------------------------
port_busy() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
if port_busy "$metrics_port"; then die "metrics port $metrics_port is in use"; fi
say "starting tansu on 127.0.0.1:$port (fresh, in memory)"
"$repo/scripts/kafka-broker.sh" restart "$port" >/dev/null
cleanup() {
    "$repo/scripts/kafka-broker.sh" stop "$port" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bootstrap="127.0.0.1:$port"
tansu_pid=$(cat "$WASMTON_KAFKA_DIR/tansu-$port.pid")
run_id="$stamp-$$"

produce() { # TOPIC RECORDS KEYS
    say "producing $2 records to $1 ($partitions partitions, $3 keys, $value_bytes B values)"
    timeout -k 5 180 "$out/produce" "$bootstrap" "$1" "$partitions" "$2" "$value_bytes" "$3" >&2
}

# wasmton_run TAGS_JSON TOPIC RECORDS MODULE CONCURRENCY TIMEOUT [ENGINE]
wasmton_run() {
    local tags=$1 topic=$2 n=$3 module=$4 concurrency=$5 limit=$6 engine=${7:-wasmkit}
    local group="wasmton-$topic-c$concurrency-$engine"
    say "wasmton process --engine $engine $(basename "$module") --partition-concurrency $concurrency ($n records, up to ${limit}s)"
    while port_busy "$metrics_port"; do sleep 0.2; done # the previous run's endpoint is gone
    "$python" "$here/streams/measure.py" wasmton "$results" "$tags" "$tansu_pid" "$n" "$metrics_port" "$limit" -- \
        "$wasmton" process "$module" --engine "$engine" --bootstrap-servers "$bootstrap" --topic "$topic" --group "$group" \
        "${kafka_x[@]}" --partition-concurrency "$concurrency" --max-retries 0 --log-level warning \
        --metrics-port "$metrics_port" || say "run did not complete cleanly (see the table's note)"
}

# --- 1. Trivial processor --------------------------------------------------------------------
topic="bench-trivial-$run_id"
produce "$topic" "$records" "$keys"
say "raw librdkafka consumer ($records records, up to ${run_timeout}s)"
timeout -k 5 $((run_timeout + 30)) "$python" "$here/streams/measure.py" raw "$results" \
    "{\"label\": \"raw librdkafka consumer\", \"case\": \"trivial\", \"keys\": $keys, \"partitions\": $partitions}" "$tansu_pid" -- \
    "$out/rawconsume" "$bootstrap" "$topic" "raw-$topic" "$records" "$run_timeout" \
    session.timeout.ms=2000 heartbeat.interval.ms=500 || say "raw consumer did not complete"
say "kcat consumer ($records records, up to ${run_timeout}s)"
timeout -k 5 $((run_timeout + 30)) "$python" "$here/streams/measure.py" kcat "$results" \
    "{\"label\": \"kcat\", \"case\": \"trivial\", \"keys\": $keys, \"partitions\": $partitions}" "$tansu_pid" "$records" -- \
    kcat -C -b "$bootstrap" -t "$topic" -o beginning -e -q -c "$records" -f '.' -X fetch.queue.backoff.ms=10 \
    || say "kcat did not complete"
for engine in $engines; do
    name="wasmton noop"
    [ "$engine" = wasmkit ] || name="wasmton noop ($engine)"
    for c in $noop_concurrency; do
        wasmton_run "{\"label\": \"$name, concurrency $c\", \"case\": \"trivial\", \"concurrency\": $c, \"keys\": $keys, \"partitions\": $partitions}" \
            "$topic" "$records" guests/build/noop_processor.wasm "$c" "$run_timeout" "$engine"
    done
done

# --- 3. The embedded default: a local file -------------------------------------------------------
lines_file="$out/lines-$file_lines.txt"
if [ ! -s "$lines_file" ]; then
    "$python" -c "import sys
n = int(sys.argv[1])
with open(sys.argv[2], 'w') as f:
    f.writelines(f'record {i:08d} of the embedded benchmark\n' for i in range(n))" "$file_lines" "$lines_file"
fi
for engine in $engines; do
    name="wasmton noop, --input FILE"
    [ "$engine" = wasmkit ] || name="wasmton noop ($engine), --input FILE"
    say "wasmton process --engine $engine noop_processor.wasm --input ($file_lines lines)"
    "$python" "$here/streams/measure.py" file "$results" \
        "{\"label\": \"$name\", \"case\": \"file\"}" "$file_lines" -- \
        timeout -k 5 "$run_timeout" "$wasmton" process guests/build/noop_processor.wasm --engine "$engine" \
        --input "$lines_file" --log-level warning || say "file run did not complete cleanly"
done
# The stateful counter (guests/build/state_counter.wasm) over as many JSON lines with 1000 keys, on
# an empty --state-dir: a state read and write per record, applied in batched SQLite transactions.
# STATE_COUNTER_QUIET: it emits nothing, like the no-op (1M outputs through the file sink's JSON
# writer would cost more than the state itself).
keyed_file="$out/keyed-$file_lines.jsonl"
if [ ! -s "$keyed_file" ]; then
    "$python" -c "import sys
n = int(sys.argv[1])
with open(sys.argv[2], 'w') as f:
    f.writelines(f'{{\"key\":\"key-{i % 1000:04d}\",\"value\":\"record {i:08d}\"}}\n' for i in range(n))" "$file_lines" "$keyed_file"
fi
for engine in $engines; do
    name="wasmton stateful counter, --input FILE --state-dir"
    [ "$engine" = wasmkit ] || name="wasmton stateful counter ($engine), --input FILE --state-dir"
    rm -rf "$out/state-bench"
    say "wasmton process --engine $engine state_counter.wasm --input ($file_lines keyed lines) --state-dir"
    "$python" "$here/streams/measure.py" file "$results" \
        "{\"label\": \"$name\", \"case\": \"file\"}" "$file_lines" -- \
        timeout -k 5 "$run_timeout" "$wasmton" process guests/build/state_counter.wasm --engine "$engine" \
        --input "$keyed_file" --input-format jsonl --state-dir "$out/state-bench" --env STATE_COUNTER_QUIET=1 \
        --log-level warning || say "stateful file run did not complete cleanly"
done

# --- 2. 10 ms I/O processor ------------------------------------------------------------------
for c in $sleep_concurrency; do
    ideal=$((partitions * c * 100))
    n=$((ideal * sleep_seconds))
    [ "$n" -le "$sleep_cap" ] || n=$sleep_cap
    limit=$((3 * n / ideal + 60))
    [ "$limit" -le "$run_timeout" ] || limit=$run_timeout
    topic="bench-io-c$c-$run_id"
    produce "$topic" "$n" "$io_keys"
    wasmton_run "{\"label\": \"wasmton sleep, concurrency $c\", \"case\": \"io\", \"concurrency\": $c, \"keys\": $io_keys, \"partitions\": $partitions}" \
        "$topic" "$n" guests/build/sleep_processor.wasm "$c" "$limit"
done

# --- Table -----------------------------------------------------------------------------------
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
"$python" "$here/streams/measure.py" table "$results" "records=$records" "value_bytes=$value_bytes" "keys=$keys" \
    "port=$port" "wasmton=${wasmton#"$repo"/}" "when=$(date -u '+%Y-%m-%d %H:%M UTC'); load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)" \
    "cpu=${cpu_model:-unknown CPU}" | tee "$out/table-$stamp.txt"
say "raw results: $results"
