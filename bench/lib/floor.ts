// The floor an engine's `docker run --rm ... true` sits on: the OCI runtime
// alone running `true` in a copy of the bundle berthd wrote (create, start,
// wait, delete; seccomp and masks included), plus the docker CLI's own part.
// Shared by bench/runtime-latency.ts and bench/bridge-run.ts.

import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type PrivateDaemon, run } from '../../test/helpers/daemon.ts';

export const RUNTIME_BIN: Record<string, string> = { runc: '/usr/sbin/runc', crun: '/usr/bin/crun' };

/** A copy of berthd's bundle of a running container, running `true` in a cgroup of its own under /berth-floor. */
export function floorBundle(d: PrivateDaemon, id: string, dir: string): string {
  const spec = JSON.parse(readFileSync(join(d.execRoot, 'containers', id, 'config.json'), 'utf8')) as Record<string, any>;
  spec.process = { ...spec.process, args: ['true'], terminal: false };
  spec.linux = { ...spec.linux, cgroupsPath: `/berth-floor/${id.slice(0, 12)}` };
  // Namespaces given by path (the network's) stay: the floor joins the running container's, cheaper than making one.
  spec.root = { ...spec.root, path: spec.root.path.startsWith('/') ? spec.root.path : join(d.execRoot, 'containers', id, spec.root.path) };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}

/** Wall time (ms) of the runtime binary run with its own state root. */
export async function timedRuntime(rt: string, args: string[], root: string): Promise<number> {
  const r = await run(RUNTIME_BIN[rt]!, ['--root', root, ...args], { timeout: 60_000 });
  if (r.code !== 0) throw new Error(`${rt} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.ms;
}

/** The runtimes remove each floor container's cgroup; the empty parent is left: remove it. */
export function removeFloorCgroups(): void {
  for (const m of ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'hugetlb', 'net_cls', 'net_prio', 'perf_event', 'rdma', 'misc', 'systemd', 'unified']) {
    try { rmdirSync(`/sys/fs/cgroup/${m}/berth-floor`); } catch {}
  }
}
