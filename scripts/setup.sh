#!/usr/bin/env bash
# Installs everything berth needs on a Debian machine, idempotently:
# Debian packages (runtime, monitor, networking, seccomp profile, busybox for
# the embedded image) and the npm dependencies (Node 24 among them).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

# xz-utils and bzip2 decompress imported archives in those formats; git
# clones build contexts given as git URLs.
pkgs=(runc crun conmon busybox-static containernetworking-plugins iptables golang-github-containers-common xz-utils bzip2 git)
# For tests and benchmarks: the reference engine and the reference registry
# (distribution) to compare against, skopeo, and wrk (bench/distribution.ts).
# openssl makes the certificates of the TLS tests.
if [ "${1:-}" = "--dev" ]; then pkgs+=(docker.io skopeo docker-registry python3-docker docker-compose openssl wrk); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "setup: need root to install: ${missing[*]}" >&2; exit 1; fi
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x node_modules/node/bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
# Debian's docker-registry package enables a system service on :5000; tests start their own.
if [ "${1:-}" = "--dev" ] && command -v systemctl >/dev/null && systemctl is-enabled docker-registry >/dev/null 2>&1; then
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi
# Members of the berth group may use berthd's socket (mode 0660 root:berth), as docker's group does for dockerd.
if [ "$(id -u)" = 0 ] && ! getent group berth >/dev/null; then
  groupadd --system berth && echo "setup: created group berth (add users to it to give them the API socket)"
fi
# crun on a hybrid cgroup host needs hugetlb moved to a v1 hierarchy (docs/runtime.md).
[ "$(id -u)" != 0 ] || bash scripts/hybrid-hugetlb.sh
bash scripts/build.sh
echo "setup: ok ($(bin/node24 --version), $(runc --version | head -1), $(crun --version | head -1), $(conmon --version | head -1))"
