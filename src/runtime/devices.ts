// Devices: the device cgroup rules Docker generates, and for privileged
// containers every device node of the host.
//
// runc always creates /dev/null, zero, full, random, urandom, tty and the
// /dev/ptmx link inside the container's /dev tmpfs; the cgroup rules below
// decide which device numbers the container may open or mknod.

import fs from 'node:fs';
import path from 'node:path';

export interface DeviceCgroupRule { allow: boolean; type?: 'a' | 'c' | 'b'; major?: number; minor?: number; access: string }
export interface LinuxDevice { path: string; type: 'c' | 'b'; major: number; minor: number; fileMode: number; uid: number; gid: number }

const c = (major: number, minor: number, allow = true): DeviceCgroupRule => ({ allow, type: 'c', major, minor, access: 'rwm' });

/** Docker's rules: deny all, then null, zero, full, random, urandom, tty, console, deny tun. */
export const DEFAULT_DEVICE_RULES: readonly DeviceCgroupRule[] = [
  { allow: false, access: 'rwm' },
  c(1, 5), // /dev/zero
  c(1, 3), // /dev/null
  c(1, 9), // /dev/urandom
  c(1, 8), // /dev/random
  c(5, 0), // /dev/tty
  c(5, 1), // /dev/console
  c(10, 229, false), // /dev/net/tun: explicitly denied, as Docker does
];

/** Privileged containers may use every device. */
export const PRIVILEGED_DEVICE_RULES: readonly DeviceCgroupRule[] = [{ allow: true, access: 'rwm' }];

// Not device nodes worth passing: pseudo-terminals and filesystems mounted
// on /dev are the container's own.
const SKIP_DIRS = new Set(['/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/fd', '/dev/.lxc', '/dev/.udev']);

/** Every char/block device under /dev (Docker's HostDevices), for --privileged. */
export function hostDevices(root = '/dev'): LinuxDevice[] {
  const out: LinuxDevice[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(p)) walk(p);
        continue;
      }
      if (!e.isCharacterDevice() && !e.isBlockDevice()) continue;
      if (p === '/dev/console') continue;
      let st: fs.BigIntStats;
      try {
        st = fs.lstatSync(p, { bigint: true });
      } catch {
        continue;
      }
      const { major, minor } = splitDev(st.rdev);
      out.push({
        path: p, type: e.isBlockDevice() ? 'b' : 'c', major, minor,
        fileMode: Number(st.mode & 0o777n), uid: Number(st.uid), gid: Number(st.gid),
      });
    }
  };
  walk(root);
  return out;
}

/** Linux's dev_t encoding (glibc's gnu_dev_major/minor). */
export function splitDev(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}
