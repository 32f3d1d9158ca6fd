#!/usr/bin/env bash
# deploy/image/runtime-deps.sh: the runtime stage's first step (on debian:bookworm-slim).
#
# Installs what the wasmton executable needs at run time beyond debian:bookworm-slim:
#   librdkafka1       the Kafka client, linked dynamically (librdkafka.so.1)
#   libsqlite3-0      the stateful processors' stores (process --state-dir), linked dynamically
#   ca-certificates   trust roots for TLS: Kafka brokers (security.protocol=SSL/SASL_SSL) and the
#                     HTTPS upstreams of `wasmton proxy`
# The Swift runtime and Foundation are linked statically (build.sh, --static-swift-stdlib); what
# else the executable links (libc6, libstdc++6, libgcc-s1, zlib1g) is part of bookworm-slim
# already, as scripts/check-deploy.sh verifies on the built binary.
#
# scripts/check-deploy.sh runs this same script on the host.
set -euo pipefail
exec "$(dirname -- "${BASH_SOURCE[0]}")/apt-install.sh" librdkafka1 libsqlite3-0 ca-certificates
