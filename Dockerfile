# Wasmton's container image: the `wasmton` executable and the example guests on Debian 12 slim.
#
#   docker build -t wasmton:0.1.0 .
#   docker run --rm -p 8080:8080 -v "$PWD/wasmton.yaml:/etc/wasmton/wasmton.yaml:ro" wasmton:0.1.0
#
# Every RUN calls a script under deploy/image/. No Docker engine runs in CI, so
# scripts/check-deploy.sh runs those same scripts in this same order on the host and smoke-tests
# the result: each step of this recipe is proven there. Keep the two in step (it checks the order).
# Needs BuildKit (the default builder since Docker 23) for RUN --mount.

# ---- build: the Swift toolchain this repository uses (6.3.1) on Debian 12 ----
FROM swift:6.3.1-bookworm AS build
WORKDIR /src
# Build packages first, in a layer of their own that source changes do not invalidate.
RUN --mount=type=bind,source=deploy/image,target=/image /image/build-deps.sh
COPY . .
# The scratch directory is a cache mount: rebuilds are incremental; the result is staged outside it.
RUN --mount=type=cache,target=/src/.build-image deploy/image/build.sh /staging

# ---- runtime: librdkafka and CA certificates, a non-root user, no toolchain ----
FROM debian:bookworm-slim AS runtime
RUN --mount=type=bind,source=deploy/image,target=/image /image/runtime-deps.sh
# A separate layer on purpose: the packages above stay cached while the executable changes.
# The staged tree is bind-mounted, not copied, so it adds no layer of its own.
RUN --mount=type=bind,source=deploy/image,target=/image \
    --mount=type=bind,from=build,source=/staging,target=/staging \
    /image/install.sh /staging /
# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /opt/wasmton
# 8080: the HTTP gateway (serve), /healthz, /readyz, /metrics; 9090: a stream processor's metrics and /healthz.
EXPOSE 8080 9090
# No HEALTHCHECK: the image has no HTTP client, and Kubernetes' probes (deploy/k8s) are the real ones.
ENTRYPOINT ["/opt/wasmton/bin/wasmton"]
CMD ["serve", "--config", "/etc/wasmton/wasmton.yaml"]
