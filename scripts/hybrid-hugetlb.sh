#!/usr/bin/env bash
# crun 1.8 refuses a hybrid cgroup host (v1 controllers, cgroup2 mounted at
# /sys/fs/cgroup/unified) while the cgroup2 hierarchy still holds a
# controller: "cgroups in hybrid mode not supported, drop all controllers
# from cgroupv2". On Debian's hybrid layout the only such controller is
# hugetlb, which no v1 hierarchy mounts; mounting it as a v1 hierarchy (as
# systemd's hybrid layout does) moves it out of cgroup2 and crun runs.
#
# Does that, only when all of this holds, and says why not otherwise:
#   - root, crun installed, the host is hybrid;
#   - cgroup2's controllers are exactly "hugetlb" (anything else: not ours to move);
#   - no cgroup2 group has hugetlb enabled (the kernel refuses to move a controller in use);
#   - /sys/fs/cgroup/hugetlb is not mounted yet (idempotent).
# The mount does not survive a reboot: run this again (scripts/setup.sh does).
set -euo pipefail
root=/sys/fs/cgroup
unified=$root/unified
say() { echo "hybrid-hugetlb: $*"; }

command -v crun >/dev/null || { say "crun is not installed: nothing to do"; exit 0; }
[ "$(stat -f -c %T "$root")" != cgroup2fs ] || { say "pure cgroup v2 host: nothing to do"; exit 0; }
[ -d "$unified" ] && [ "$(stat -f -c %T "$unified")" = cgroup2fs ] || { say "cgroup v1 without a cgroup2 hierarchy: nothing to do"; exit 0; }
controllers=$(cat "$unified/cgroup.controllers")
if [ -z "$controllers" ]; then say "cgroup2 holds no controllers: crun runs as is"; exit 0; fi
if [ "$controllers" != hugetlb ]; then
  say "cgroup2 holds controllers other than hugetlb ($controllers): not moving them; crun will refuse this host (runc works)" >&2
  exit 0
fi
if grep -qw hugetlb "$unified/cgroup.subtree_control"; then
  say "hugetlb is enabled in $unified/cgroup.subtree_control (in use): not moving it; crun will refuse this host (runc works)" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then say "need root to mount the hugetlb hierarchy at $root/hugetlb" >&2; exit 1; fi
mkdir -p "$root/hugetlb"
mount -t cgroup -o hugetlb cgroup "$root/hugetlb"
say "mounted the hugetlb controller as a v1 hierarchy at $root/hugetlb (cgroup2 controllers now: '$(cat "$unified/cgroup.controllers")')"
