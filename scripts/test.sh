#!/usr/bin/env bash
# The whole test suite: formatting, reproducible guests, every Swift test (the CLI tests run the
# real `wasmton` binary, so it is built first; the Kafka tests run against a real tansu broker
# started here on 127.0.0.1), the engine-facing suites once more on Wasmtime, then the Kafka integration suite (guarantees, retries, back-pressure,
# broker outage, stateful processors, read-only replay) against brokers of its own, and last the container recipe (scripts/check-deploy.sh).
set -euo pipefail
export SWIFT_DETERMINISTIC_HASHING=1
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/validate.sh
make -C guests check
swift build --product wasmton

# The broker and librdkafka 2.16 (LD_LIBRARY_PATH) for the Kafka tests; see scripts/kafka-env.sh.
. scripts/kafka-env.sh
port=${WASMTON_KAFKA_PORT:-19092}
scripts/kafka-broker.sh start "$port"
trap 'scripts/kafka-broker.sh stop "$port" >/dev/null' EXIT
export WASMTON_KAFKA_BOOTSTRAP="127.0.0.1:$port"

# PyPI's msgpack, the independent implementation the MessagePack interop tests compare against.
. scripts/msgpack-env.sh
export WASMTON_MSGPACK_PYTHONPATH

swift test

# The engine-facing suites again on Wasmtime (its C library from PyPI's wheel, into .deps/):
# every guest of the Runtime, Contracts, Streams and Gateway tests runs on both engines.
WASMTON_WASMTIME_LIB="$(scripts/install-wasmtime.sh)"
export WASMTON_WASMTIME_LIB
WASMTON_TEST_ENGINE=wasmtime swift test --skip-build \
    --filter 'WasmtonRuntimeTests|WasmtonContractsTests|WasmtonStreamsTests|WasmtonGatewayTests'

Tests/KafkaIntegration/run.sh

# The container recipe and the Kubernetes manifests: hadolint, kubernetes-validate, then every
# Dockerfile step run on the host and a smoke test of the installed tree (deploy/README.md).
scripts/check-deploy.sh
