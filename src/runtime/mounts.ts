// The container's mount table: Docker's default kernel filesystems, the
// per-container /etc files, and the user's binds ("src:dst[:opts]").
//
// Order matters to runc (it mounts in list order): defaults first, then
// user mounts sorted by depth so a parent is mounted before its children.
// A user mount on the same destination as a default replaces it
// (`-v /host/shm:/dev/shm` wins over the tmpfs).

import fs from 'node:fs';
import path from 'node:path';
import { invalid } from '../core/errors.ts';
import type { OciSpec } from '../core/runtime.ts';

export type OciMount = OciSpec['mounts'][number];

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** Docker's masked paths (read as empty / not accessible inside). */
export const MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi',
  '/sys/firmware', '/sys/devices/virtual/powercap',
];

/** Docker's read-only paths. */
export const READONLY_PATHS: readonly string[] = [
  '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
];

export function defaultMounts(opts: { shmSize?: number; privileged?: boolean }): OciMount[] {
  const shm = opts.shmSize && opts.shmSize > 0 ? opts.shmSize : DEFAULT_SHM_SIZE;
  const ro = opts.privileged ? [] : ['ro'];
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ...ro] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [...ro, 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shm}`] },
  ];
}

/** Bind mounts of the container's own resolv.conf, hostname and hosts files. */
export function etcMounts(files: { resolvConfPath?: string; hostnamePath?: string; hostsPath?: string }): OciMount[] {
  const out: OciMount[] = [];
  const add = (dst: string, src?: string) => {
    if (src) out.push({ destination: dst, type: 'bind', source: src, options: ['rbind', 'rprivate'] });
  };
  add('/etc/resolv.conf', files.resolvConfPath);
  add('/etc/hostname', files.hostnamePath);
  add('/etc/hosts', files.hostsPath);
  return out;
}

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];

/**
 * Parses one HostConfig.binds entry ("/src:/dst", "/src:/dst:ro",
 * "/src:/dst:rw,rshared"). Named volumes must have been resolved to host
 * paths by the caller.
 */
export function parseBind(bind: string): OciMount {
  const parts = bind.split(':');
  if (parts.length < 2 || parts.length > 3 || parts[0] === '' || parts[1] === '') {
    throw invalid(`invalid volume specification: '${bind}'`);
  }
  const [src, dst, mode = ''] = parts;
  if (!path.isAbsolute(src)) {
    throw invalid(`invalid volume specification: '${bind}': bind source path must be absolute: "${src}"`);
  }
  if (!path.isAbsolute(dst)) {
    throw invalid(`invalid volume specification: '${bind}': mount path must be absolute`);
  }
  if (path.normalize(dst) === '/') {
    throw invalid(`invalid volume specification: '${bind}': destination can't be '/'`);
  }
  let ro = false;
  let propagation = 'rprivate';
  for (const opt of mode.split(',').filter(Boolean)) {
    if (opt === 'ro') ro = true;
    else if (opt === 'rw') ro = false;
    else if (PROPAGATIONS.includes(opt)) propagation = opt;
    else if (opt === 'z' || opt === 'Z' || opt === 'nocopy' || opt === 'consistent' || opt === 'cached' || opt === 'delegated') continue;
    else throw invalid(`invalid volume specification: '${bind}': invalid mode: ${opt}`);
  }
  if (!fs.existsSync(src)) {
    throw invalid(`invalid mount config for type "bind": bind source path does not exist: ${src} (in '${bind}')`);
  }
  const options = ['rbind', propagation];
  if (ro) options.push('ro');
  return { destination: path.normalize(dst), type: 'bind', source: path.normalize(src), options };
}

/** Defaults first (minus those a user mount replaces), then user mounts by depth. */
export function mergeMounts(defaults: OciMount[], user: OciMount[]): OciMount[] {
  const taken = new Set(user.map((m) => m.destination));
  const seen = new Set<string>();
  for (const m of user) {
    if (seen.has(m.destination)) throw invalid(`Duplicate mount point: ${m.destination}`);
    seen.add(m.destination);
  }
  const depth = (p: string) => p.split('/').filter(Boolean).length;
  const sorted = [...user].sort((a, b) => depth(a.destination) - depth(b.destination));
  return [...defaults.filter((m) => !taken.has(m.destination)), ...sorted];
}
