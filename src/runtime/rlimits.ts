// Resource limits for the container's process.
//
// Docker asks for RLIMIT_NOFILE 1048576:1048576. runc applies rlimits with
// setrlimit in the container's init, which is refused when the value is
// above the hard limit berthd (and so runc) holds: these machines cap
// "Max open files" at 20000, and podman fails to start anything here
// because of it. So every requested limit is clamped to the host's hard
// limit, read once from /proc/self/limits.

import fs from 'node:fs';

export interface Rlimit { type: string; soft: number; hard: number }

/** Docker's defaults for a container's process. */
export const DEFAULT_RLIMITS: readonly Rlimit[] = [
  { type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 },
];

/** /proc/self/limits row names -> RLIMIT_* names. */
const ROWS: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU',
  'Max file size': 'RLIMIT_FSIZE',
  'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK',
  'Max core file size': 'RLIMIT_CORE',
  'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC',
  'Max open files': 'RLIMIT_NOFILE',
  'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS',
  'Max file locks': 'RLIMIT_LOCKS',
  'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE',
  'Max nice priority': 'RLIMIT_NICE',
  'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

/** Host limits by RLIMIT_* name; Infinity for "unlimited". */
export type HostLimits = Record<string, { soft: number; hard: number }>;

export function parseProcLimits(text: string): HostLimits {
  const out: HostLimits = {};
  for (const line of text.split('\n')) {
    for (const [row, name] of Object.entries(ROWS)) {
      if (!line.startsWith(row + ' ')) continue;
      const fields = line.slice(row.length).trim().split(/\s+/);
      const num = (s: string | undefined) => (s === 'unlimited' ? Infinity : Number(s));
      const soft = num(fields[0]);
      const hard = num(fields[1]);
      if (!Number.isNaN(soft) && !Number.isNaN(hard)) out[name] = { soft, hard };
    }
  }
  return out;
}

let hostCache: HostLimits | undefined;

/** This process's limits (what runc will inherit), read once. */
export function hostLimits(): HostLimits {
  hostCache ??= parseProcLimits(fs.readFileSync('/proc/self/limits', 'utf8'));
  return hostCache;
}

/** Clamps each limit to the host's hard limit (soft never above hard). */
export function clampRlimits(wanted: readonly Rlimit[], host: HostLimits = hostLimits()): Rlimit[] {
  return wanted.map((r) => {
    const cap = host[r.type]?.hard ?? Infinity;
    const hard = Math.min(r.hard, cap);
    const soft = Math.min(r.soft, hard);
    return { type: r.type, soft, hard };
  });
}
