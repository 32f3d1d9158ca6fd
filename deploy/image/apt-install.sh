#!/usr/bin/env bash
# deploy/image/apt-install.sh PACKAGE...
#
# Installs those of the Debian packages PACKAGE... that are missing, without recommends, so the
# image and a host that runs the same step (scripts/check-deploy.sh) end up with the same set.
# Shared by build-deps.sh and runtime-deps.sh; not a step of its own.
#
# apt's package lists are left as found: where there were none (a fresh debian or swift image),
# the ones downloaded here are deleted again so they stay out of the image layer; a host keeps
# its own. Uses sudo when not root.
set -euo pipefail

(($#)) || { echo "apt-install: name the packages to install" >&2; exit 2; }

missing=()
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
    echo "apt-install: already installed: $*"
    exit 0
fi

sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
lists=/var/lib/apt/lists
had_lists=0
compgen -G "$lists/*_Packages*" >/dev/null && had_lists=1

apt_install() {
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

echo "apt-install: installing ${missing[*]}"
# Stale lists (a package version the mirror dropped) are refreshed once, as on a host.
if ((had_lists == 0)) || ! apt_install; then
    $sudo apt-get update -q
    apt_install
fi
if ((had_lists == 0)); then
    $sudo apt-get clean
    $sudo rm -rf "${lists:?}"/*
fi
