#!/usr/bin/env bash
# Installs what berth needs, starts berthd (if it is not running) on the
# default socket, and runs a container from the embedded busybox image.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
bash scripts/setup.sh
sock=/run/berth/berth.sock
if ! bin/berth -H "unix://$sock" version >/dev/null 2>&1; then
  mkdir -p /var/log
  echo "quickstart: starting berthd (log: /var/log/berthd.log)"
  setsid bin/berthd >>/var/log/berthd.log 2>&1 < /dev/null &
  for _ in $(seq 1 100); do [ -S "$sock" ] && bin/berth -H "unix://$sock" version >/dev/null 2>&1 && break; sleep 0.1; done
fi
bin/berth -H "unix://$sock" run --rm busybox echo "hello from berth"
