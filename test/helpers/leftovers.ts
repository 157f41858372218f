// Auditing a private berthd against what it says it has: every running
// container has its process under its own conmon, nothing (conmon, `runc
// init`, cgroup, runtime state, bundle, mount, directory, snapshot) exists
// for a container that is not running or not there at all.
// Used by the crash-safety tests and by stress/kill9.ts.
//
// cgroups live in host-wide hierarchies shared with other daemons: only the
// directories named for ids this daemon created (`ids`) are looked at.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mountsUnder } from './mounts.ts';
import { procInfo, processesUnder } from './procs.ts';
import type { PrivateDaemon } from './private-daemon.ts';

export interface ContainerSummary {
  id: string;
  /** Docker's State.Status: created, running, exited... */
  status: string;
  pid: number;
}

function ls(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export function cgroupMountPoints(): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0];
    if (fstype === 'cgroup' || fstype === 'cgroup2') out.push(line.split(' ')[4]!);
  }
  return out;
}

/** cgroup directories of container `id` (berth's cgroupfs layout: <parent>/<id> in every hierarchy). */
export function cgroupsOf(id: string, parent = '/berth'): string[] {
  return cgroupMountPoints().map((mp) => join(mp, parent, id)).filter((d) => existsSync(d));
}

/** Names of the cgroups under `parent`, in any hierarchy. */
export function cgroupChildren(parent: string): string[] {
  const out = new Set<string>();
  for (const mp of cgroupMountPoints()) {
    for (const e of ls(join(mp, parent))) if (existsSync(join(mp, parent, e, 'cgroup.procs'))) out.add(e);
  }
  return [...out];
}

function pidsInCgroups(dirs: string[]): number[] {
  const pids = new Set<number>();
  const walk = (d: string) => {
    try {
      for (const p of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) pids.add(Number(p));
    } catch {}
    for (const e of ls(d)) if (existsSync(join(d, e, 'cgroup.procs'))) walk(join(d, e));
  };
  dirs.forEach(walk);
  return [...pids].filter((p) => {
    try {
      return !/\) [ZX] /.test(readFileSync(`/proc/${p}/stat`, 'utf8'));
    } catch {
      return false;
    }
  });
}

/** Runtime traces of `id` under the daemon's exec root. */
export function runtimeTraces(d: PrivateDaemon, id: string): string[] {
  const rt = join(d.execRoot, 'runtime');
  const paths = [join(rt, 'c', id), join(rt, 'exits', id), join(rt, 's', id), join(d.execRoot, 'containers', id),
    ...ls(join(rt, 'state')).map((r) => join(rt, 'state', r, id))];
  return paths.filter((p) => existsSync(p));
}

function conmonFor(d: PrivateDaemon, id: string): number[] {
  return processesUnder(d.dir).filter((p) => p.comm === 'conmon' && p.argv.includes(id)).map((p) => p.pid);
}

/**
 * Problems found, empty when the daemon's disk, mounts, cgroups and
 * processes match `list` (every container it reports). `ids` are all ids
 * the caller ever created on this daemon (removed ones included).
 */
export function audit(d: PrivateDaemon, list: ContainerSummary[], ids: Iterable<string>, cgroupParent = '/berth'): string[] {
  const problems: string[] = [];
  const listed = new Map(list.map((c) => [c.id, c]));
  const running = new Set(list.filter((c) => c.status === 'running').map((c) => c.id));
  const short = (id: string) => id.slice(0, 12);

  for (const c of list.filter((x) => running.has(x.id))) {
    const p = procInfo(c.pid);
    const parent = p ? procInfo(p.ppid) : null;
    if (!p) problems.push(`${short(c.id)} running but its pid ${c.pid} is gone`);
    else if (!parent || parent.comm !== 'conmon' || !parent.argv.includes(c.id)) {
      problems.push(`${short(c.id)} running but pid ${c.pid}'s parent is ${parent ? `${parent.pid} ${parent.comm}` : 'gone'}, not its conmon`);
    }
  }
  const all = new Set([...ids, ...listed.keys()]);
  for (const id of all) {
    if (running.has(id)) continue;
    const what = listed.has(id) ? `${listed.get(id)!.status} container ${short(id)}` : `removed container ${short(id)}`;
    const conmons = conmonFor(d, id);
    if (conmons.length) problems.push(`${what} has conmon ${conmons.join(', ')}`);
    const cg = cgroupsOf(id, cgroupParent);
    const inside = pidsInCgroups(cg);
    if (inside.length) problems.push(`${what} has processes in its cgroups: ${inside.map((p) => `${p} ${procInfo(p)?.argv.join(' ').slice(0, 40) ?? ''}`).join(', ')}`);
    if (cg.length) problems.push(`${what} has ${cg.length} cgroup directories (${cg[0]}...)`);
    const traces = runtimeTraces(d, id);
    if (traces.length) problems.push(`${what} has runtime state: ${traces.join(', ')}`);
  }
  const onDisk = (dir: string) => new Set(ls(dir));
  const dirs = onDisk(join(d.dataRoot, 'containers'));
  const snaps = new Set([...onDisk(join(d.dataRoot, 'snapshots/overlay/active')), ...onDisk(join(d.dataRoot, 'snapshots/copy/active'))]);
  for (const id of listed.keys()) {
    if (!dirs.has(id)) problems.push(`${short(id)} has no container directory`);
    if (!snaps.has(id)) problems.push(`${short(id)} has no snapshot`);
  }
  for (const id of dirs) if (!listed.has(id)) problems.push(`container directory ${short(id)} has no container`);
  for (const id of snaps) if (!listed.has(id)) problems.push(`snapshot ${short(id)} has no container`);
  for (const id of ls(join(d.execRoot, 'containers'))) if (!running.has(id)) problems.push(`bundle ${short(id)} of a container not running`);
  for (const m of mountsUnder(d.dir)) {
    // A running container's rootfs, and its network namespace (bind-mounted by the network layer).
    const id = /\/containers\/([0-9a-f]{64})\/rootfs$|\/netns\/([0-9a-f]{64})$/.exec(m.mountPoint)?.slice(1).find(Boolean);
    if (!id || !running.has(id)) problems.push(`mount ${m.mountPoint} of a container not running`);
  }
  return problems;
}

/** What must be true once every container is removed and the daemon stopped: nothing at all. */
export function auditEmpty(d: PrivateDaemon, ids: Iterable<string>, cgroupParent = '/berth'): string[] {
  const problems = audit(d, [], ids, cgroupParent);
  const left = processesUnder(d.dir);
  if (left.length) problems.push(`processes left: ${left.map((p) => `${p.pid} ${p.argv.join(' ').slice(0, 60)}`).join('; ')}`);
  const rt = join(d.execRoot, 'runtime');
  for (const sub of ['c', 'exits', 's', ...ls(join(rt, 'state')).map((r) => `state/${r}`)]) {
    const entries = ls(join(rt, sub));
    if (entries.length) problems.push(`runtime/${sub} not empty: ${entries.join(', ')}`);
  }
  return problems;
}
