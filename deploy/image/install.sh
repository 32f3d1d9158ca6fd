#!/usr/bin/env bash
# deploy/image/install.sh STAGING ROOT: the runtime stage's install step.
#
# Copies the tree that build.sh staged into the root prefix ROOT (/ in the image), owned by
# whoever runs this and read-only to everyone else, and creates /etc/wasmton, where the
# Kubernetes ConfigMap (or docker run -v) puts wasmton.yaml. As root with ROOT=/ (the image),
# it also creates the unprivileged user the container runs as: wasmton, uid and gid 10001, no
# home, no shell. Finally it runs the installed executable once, so a missing shared library
# fails here, at build time, not in the cluster.
#
# scripts/check-deploy.sh runs this same script on the host, into a temporary ROOT.
set -euo pipefail

if (($# != 2)); then
    echo "usage: deploy/image/install.sh STAGING ROOT" >&2
    exit 2
fi
staging=$1
root=$2
[[ -x $staging/opt/wasmton/bin/wasmton ]] || { echo "install: $staging has no opt/wasmton/bin/wasmton (run build.sh first)" >&2; exit 1; }

mkdir -p "$root/opt" "$root/etc/wasmton"
rm -rf "${root:?}/opt/wasmton"
cp -R "$staging/opt/wasmton" "$root/opt/wasmton"
chmod -R u=rwX,go=rX "$root/opt/wasmton"

if [[ $(id -u) -eq 0 && $(cd -- "$root" && pwd) == / ]]; then
    getent group wasmton >/dev/null || groupadd --system --gid 10001 wasmton
    getent passwd wasmton >/dev/null ||
        useradd --system --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin wasmton
fi

echo "install: $("$root/opt/wasmton/bin/wasmton" --version | head -n 1) installed in ${root%/}/opt/wasmton"
