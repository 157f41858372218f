// Where the memory of running containers sits, for the scale benches: the
// growth of /proc/meminfo's fields since a base, and the PSS of the
// processes each container brings (its monitor: conmon for berthd,
// containerd-shim for dockerd; and the container's own processes, the
// monitor's children), plus the daemons' own growth.

import { readdirSync, readFileSync } from 'node:fs';

/** /proc/meminfo in KiB by field. */
export function meminfo(): Record<string, number> {
  return Object.fromEntries(readFileSync('/proc/meminfo', 'utf8').split('\n').filter(Boolean)
    .map((l) => { const [k, v] = l.split(/:\s+/); return [k!, parseInt(v!, 10)]; }));
}

/** The meminfo fields that split the used memory. */
export const FIELDS = ['AnonPages', 'Shmem', 'SUnreclaim', 'SReclaimable', 'KernelStack', 'PageTables', 'Percpu', 'Cached'] as const;

const pssOf = (pid: string) => Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);

interface Proc { comm: string; ppid: string }

function processes(): Map<string, Proc> {
  const procs = new Map<string, Proc>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      procs.set(pid, { comm: stat.slice(stat.indexOf('(') + 1, close), ppid: stat.slice(close + 2).split(' ')[1]! });
    } catch { /* gone */ }
  }
  return procs;
}

/** PSS (KiB) of the monitors named `monitorComm` and of their children; the count of monitors. */
export function monitorPss(monitorComm: string): { monitors: number; monitorKiB: number; containerKiB: number } {
  const procs = processes();
  let monitors = 0; let monitorKiB = 0; let containerKiB = 0;
  for (const [pid, p] of procs) {
    try {
      if (p.comm === monitorComm) { monitorKiB += pssOf(pid); monitors++; } else if (procs.get(p.ppid)?.comm === monitorComm) containerKiB += pssOf(pid);
    } catch { /* gone */ }
  }
  return { monitors, monitorKiB, containerKiB };
}

/** Summed PSS (KiB) of the given pids (the daemons). */
export function pssOfPids(pids: number[]): number {
  let kib = 0;
  for (const pid of pids) { try { kib += pssOf(String(pid)); } catch { /* gone */ } }
  return kib;
}

export interface MemorySplit {
  /** KiB per running container. */
  used: number;
  fields: Record<string, number>;
  monitor: number;
  container: number;
  daemon: number;
}

/** KiB per running container since `base` (meminfo) and `baseDaemonKiB` (the daemons' PSS then). */
export function memorySplit(base: Record<string, number>, baseDaemonKiB: number, daemonPids: number[], monitorComm: string, running: number): MemorySplit {
  const m = meminfo();
  const per = (kib: number) => Math.round(kib / Math.max(1, running));
  const fields: Record<string, number> = {};
  for (const f of FIELDS) fields[f] = per(m[f]! - base[f]!);
  const mon = monitorPss(monitorComm);
  return {
    used: per((m.MemTotal! - m.MemAvailable!) - (base.MemTotal! - base.MemAvailable!)),
    fields,
    monitor: per(mon.monitorKiB),
    container: per(mon.containerKiB),
    daemon: per(pssOfPids(daemonPids) - baseDaemonKiB),
  };
}
