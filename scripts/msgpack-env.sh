# shellcheck shell=bash
# scripts/msgpack-env.sh — source me:  . scripts/msgpack-env.sh
#
# Prepares the independent MessagePack implementation that the interop tests of
# WasmtonMessagePackTests compare against, idempotently, and exports:
#   WASMTON_MSGPACK_PYTHONPATH   a dir holding PyPI's msgpack (pinned), for PYTHONPATH
#
# Why: our codec must produce exactly the bytes of `msgpack.packb(v, use_bin_type=True)`
# and read everything msgpack writes; the tests run a small Python helper with this package.
#
# Installs: the msgpack wheel with `pip install --no-deps --only-binary=:all: --target
# .deps/msgpack/site` (no build from source). Also works when executed
# (`bash scripts/msgpack-env.sh`): it then prints the export.

_wasmton_msgpack_env() {
    local msgpack_version=1.1.2
    local repo here
    here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd) || return 1
    repo=$(cd -- "$here/.." && pwd) || return 1
    local dir="$repo/.deps/msgpack"
    local site="$dir/site"
    local stamp="$site/.installed-msgpack-$msgpack_version"

    local py
    py=$(command -v python3 || command -v python) || { echo "msgpack-env: python3 not found" >&2; return 1; }

    # The wheel (pinned), unpacked only; no dependencies, no build from source.
    if [ ! -f "$stamp" ]; then
        echo "msgpack-env: installing msgpack==$msgpack_version into $site" >&2
        rm -rf "$site.tmp" && mkdir -p "$dir" || return 1
        if ! PIP_ROOT_USER_ACTION=ignore "$py" -m pip install -q --disable-pip-version-check --no-deps --only-binary=:all: \
            --target "$site.tmp" "msgpack==$msgpack_version" >&2; then
            rm -rf "$site.tmp"
            echo "msgpack-env: pip install failed" >&2
            return 1
        fi
        rm -rf "$site" && mv "$site.tmp" "$site" && touch "$stamp" || return 1
    fi

    # Check that it imports with this python3 (a wheel for another Python version would not).
    if ! PYTHONPATH="$site" "$py" -c 'import msgpack, sys; sys.exit(0 if msgpack.version[:2] == (1, 1) else 1)' 2>/dev/null; then
        echo "msgpack-env: msgpack in $site does not import with $py; remove $site and retry" >&2
        return 1
    fi

    export WASMTON_MSGPACK_PYTHONPATH="$site"
    return 0
}

if _wasmton_msgpack_env; then
    unset -f _wasmton_msgpack_env
    if [ "${BASH_SOURCE[0]}" = "$0" ]; then
        # Executed rather than sourced: show what sourcing would export.
        printf 'export WASMTON_MSGPACK_PYTHONPATH=%q\n' "$WASMTON_MSGPACK_PYTHONPATH"
    fi
else
    unset -f _wasmton_msgpack_env
    echo "msgpack-env: FAILED" >&2
    # shellcheck disable=SC2317
    return 1 2>/dev/null || exit 1
fi
