#!/usr/bin/env bash
# deploy/image/build-deps.sh: the image's first build step (stage "build", on swift:6.3.1-bookworm).
#
# Installs the Debian packages that building the wasmton executable needs beyond the Swift
# toolchain image:
#   librdkafka-dev   headers and link library of the Kafka client (Sources/CRdKafka links -lrdkafka)
#   libsqlite3-dev   headers and link library of the state stores (Sources/CSQLite links -lsqlite3)
#   zlib1g-dev       the link library for -lz (swift-nio-extras' compression, under async-http-client)
#   binutils         strip (the toolchain image has it already; named so the host gets it too)
# Not the test-only ones of scripts/install-deps.sh (wabt, wasi-libc, libclang-rt-dev-wasm32,
# make): the committed guests/build/*.wasm are shipped as they are, nothing is compiled to Wasm.
# The toolchain image already has git and what Foundation and the linker need.
#
# scripts/check-deploy.sh runs this same script on the host.
set -euo pipefail
exec "$(dirname -- "${BASH_SOURCE[0]}")/apt-install.sh" librdkafka-dev libsqlite3-dev zlib1g-dev binutils
