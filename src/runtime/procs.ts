// Finding and killing the processes of one container, whatever state a
// crash left them in: conmon and everything below it (`runc create`,
// `runc init`, the container's process), a `runc init` re-parented to pid
// 1 when its conmon died, and anything inside the container's cgroups.
// Processes are named by (pid, start time), so a pid reused between the
// listing and the kill is never hit.

import fs from 'node:fs';
import path from 'node:path';

export interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  /** Start time in clock ticks since boot. */
  start: number;
}

export function readProc(pid: number): Proc | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "<pid> (<comm>) <state> <ppid> ...": comm may hold spaces and ')'.
  const close = stat.lastIndexOf(')');
  const rest = stat.slice(close + 2).split(' ');
  if (rest[0] === 'Z' || rest[0] === 'X') return null;
  return { pid, ppid: Number(rest[1]), comm: stat.slice(stat.indexOf('(') + 1, close), start: Number(rest[19]) };
}

function allProcs(): Proc[] {
  const out: Proc[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) out.push(p);
  }
  return out;
}

/** The given processes and all their descendants. */
export function withDescendants(roots: readonly Proc[]): Proc[] {
  if (roots.length === 0) return [];
  const byParent = new Map<number, Proc[]>();
  for (const p of allProcs()) {
    const list = byParent.get(p.ppid) ?? [];
    list.push(p);
    byParent.set(p.ppid, list);
  }
  const picked = new Map<number, Proc>();
  const stack = [...roots];
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (picked.has(p.pid) || p.pid <= 1 || p.pid === process.pid) continue;
    picked.set(p.pid, p);
    stack.push(...(byParent.get(p.pid) ?? []));
  }
  return [...picked.values()];
}

/** Every process in a cgroup directory and its sub-cgroups (v1 or v2). */
export function procsInCgroup(dir: string): Proc[] {
  const out: Proc[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      for (const line of fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n')) {
        const p = line ? readProc(Number(line)) : null;
        if (p) out.push(p);
      }
    } catch {}
    for (const e of entries) if (e.isDirectory()) walk(path.join(d, e.name));
  };
  walk(dir);
  return out;
}

function alive(p: Proc): boolean {
  const now = readProc(p.pid);
  return now !== null && now.start === p.start;
}

/** SIGKILLs every listed process that is still itself; resolves with those still alive after `timeoutMs`. */
export async function killProcs(procs: readonly Proc[], timeoutMs = 5_000): Promise<Proc[]> {
  for (const p of procs) {
    if (!alive(p)) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {}
  }
  const deadline = Date.now() + timeoutMs;
  let left = procs.filter(alive);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    left = left.filter(alive);
  }
  return left;
}
