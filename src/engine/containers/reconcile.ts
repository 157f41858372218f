// Boot-time reconciliation of the container records with the runtime's
// state, beside live restore (restore.ts), which re-adopts the running
// containers and records the exits that happened while berthd was down.
// What a SIGKILL of berthd can leave, and what happens to it:
//
//   record "created" or "exited", but conmon and a `runc init` waiting on
//   their exec fifo, the rootfs mounted, a bundle (a start cut by the kill):
//       the start was never acknowledged (the 204 goes out only after the
//       record says "running"), so the runtime container is deleted with
//       everything it holds (processes, monitor, cgroups, runc state,
//       conmon's files), the bundle removed, the rootfs unmounted; the
//       container stays "created" (or "exited"), as after a failed start.
//   record "running", runc "created" (the start was acknowledged, runc's
//       start was not done): restore() finishes the start.
//   runtime state or a bundle with no record at all (a `rm -f` cut after
//       its metadata commit, a create or start cut before or after its
//       own): removed, processes and cgroups included.
//
// Runs at boot once the API serves reads, before any request that changes
// something is served (daemon/boot-steps.ts), one container at a time under
// the container's lock; the containers live restore registered are its
// own (re-adopted, or their exits handled, beside this), so they are skipped.

import { readdir, rm } from 'node:fs/promises';
import type { ContainerRecord } from '../../core/container.ts';
import type { ContainerRuntime } from '../../core/runtime.ts';
import type { Logger } from '../../core/logger.ts';
import type { RootfsMounts } from './rootfs.ts';

export interface Reconcile {
  records(): ReadonlyArray<Readonly<ContainerRecord>>;
  /** Containers someone else handles (live restore's): left alone, and never orphans. */
  skip?: ReadonlySet<string>;
  get(id: string): ContainerRecord | undefined;
  runtime: ContainerRuntime;
  rootfs: RootfsMounts;
  /** <execRoot>/containers: one bundle directory per container. */
  bundlesDir: string;
  log: Logger;
  lock<T>(id: string, fn: () => Promise<T>): Promise<T>;
}

function hasProcess(rec: Readonly<ContainerRecord>): boolean {
  return rec.state.status === 'running' || rec.state.status === 'paused' || rec.state.status === 'restarting';
}

export async function reconcileRuntime(r: Reconcile): Promise<void> {
  const traced = new Set(await r.runtime.ids());
  let bundles: string[] = [];
  try { bundles = await readdir(r.bundlesDir); } catch { /* none yet */ }
  const known = new Set<string>(r.skip);

  for (const rec of r.records()) {
    known.add(rec.id);
    if (hasProcess(rec)) continue;
    await r.lock(rec.id, async () => {
      const fresh = r.get(rec.id);
      if (!fresh || hasProcess(fresh)) return;
      // Also without a trace: cgroups a cut removal left behind are found by name.
      await r.runtime.delete(rec.id, { force: true });
      if (traced.has(rec.id)) r.log.info('removed the runtime state of a container that is not running', { id: rec.id, status: fresh.state.status });
      await rm(`${r.bundlesDir}/${rec.id}`, { recursive: true, force: true });
      await r.rootfs.drop(rec.id);
    }).catch((err) => r.log.error('reconciling container failed', { id: rec.id, err }));
  }

  for (const id of traced) {
    if (known.has(id)) continue;
    await r.runtime.delete(id, { force: true }).then(
      () => r.log.info('removed orphaned runtime state', { id }),
      (err) => r.log.error('removing orphaned runtime state failed', { id, err }),
    );
  }
  for (const id of bundles) {
    if (known.has(id)) continue;
    await rm(`${r.bundlesDir}/${id}`, { recursive: true, force: true });
    r.log.info('removed orphaned bundle', { id });
  }
}
