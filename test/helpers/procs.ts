// Process table reads from /proc, for cleanup and the benchmark's RSS.
// Everything here selects processes by what they name (a private temp dir)
// or by parentage from those: never by program name alone, since other
// engineers run their own daemons, conmons and shims on the same machine.

import { readdirSync, readFileSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  argv: string[];
  /** Start time in clock ticks since boot: (pid, start) names a process across pid reuse. */
  start: number;
  /** /proc/<pid>/stat's state letter: R, S, D, T (stopped), Z... */
  state: string;
}

function readStat(pid: number): { ppid: number; comm: string; start: number; state: string } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm is in parentheses and may itself contain spaces or ')'.
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const rest = stat.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); ppid is field 4, starttime field 22.
  return { ppid: Number(rest[1]), comm, start: Number(rest[19]), state: rest[0] };
}

export function procInfo(pid: number): ProcInfo | null {
  const stat = readStat(pid);
  if (!stat) return null;
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv.at(-1) === '') argv.pop();
  } catch {
    return null;
  }
  return { pid, ppid: stat.ppid, comm: stat.comm, start: stat.start, state: stat.state, argv };
}

export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = procInfo(Number(name));
    if (info) out.push(info);
  }
  return out;
}

/**
 * True when an argument is `dir` or names something under it, also inside a
 * flag value (`--root=/dir/x`, `k8s-file:/dir/log`, `unix:///dir/sock`). The
 * dirs are unique temp paths, so a substring match of "dir/" is unambiguous.
 */
export function argvNames(argv: readonly string[], dir: string): boolean {
  const base = dir.replace(/\/+$/, '');
  return argv.some((a) => a === base || a.includes(`${base}/`) || a.endsWith(`=${base}`) || a.endsWith(`:${base}`));
}

/** Processes whose command line names `dir`, plus all their descendants. */
export function processesUnder(dir: string, except: ReadonlySet<number> = new Set()): ProcInfo[] {
  const all = listProcesses();
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of all) {
    const list = byParent.get(p.ppid) ?? [];
    list.push(p);
    byParent.set(p.ppid, list);
  }
  const picked = new Map<number, ProcInfo>();
  const visit = (p: ProcInfo) => {
    if (picked.has(p.pid) || except.has(p.pid)) return;
    picked.set(p.pid, p);
    for (const child of byParent.get(p.pid) ?? []) visit(child);
  };
  for (const p of all) {
    if (p.pid !== process.pid && argvNames(p.argv, dir)) visit(p);
  }
  return [...picked.values()];
}

export function isAlive(p: Pick<ProcInfo, 'pid' | 'start'>): boolean {
  const stat = readStat(p.pid);
  // A zombie still has a stat entry but is gone for our purposes.
  return stat !== null && stat.start === p.start && stat.state !== 'Z';
}

/** Sends SIGKILL to each process that is still the one we listed, then waits for them to go. */
export async function killAll(procs: readonly ProcInfo[], timeoutMs = 10_000): Promise<ProcInfo[]> {
  for (const p of procs) {
    if (!isAlive(p)) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {}
  }
  const deadline = Date.now() + timeoutMs;
  let left = procs.filter(isAlive);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50);
    left = left.filter(isAlive);
  }
  return left;
}

/** Resident set size of one process in KiB (VmRSS), or null when it is gone. */
export function vmRssKiB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
