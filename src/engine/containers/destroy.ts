// Removal proper, once the container has no process: metadata first, then
// the filesystem, so a crash in between leaves only garbage (swept at the
// next boot, orphans.ts), never a record pointing at nothing.

import { mkdirSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerRecord } from '../../core/container.ts';
import type { EngineContext } from './context.ts';
import { releaseShm } from './shm.ts';
import { Laps, trackRuntimeCleanup } from './cleanups.ts';

/**
 * Removes the container unless `keep` (asked under the container's lock, so
 * no start can slip in between) says otherwise; true when it was removed.
 */
export async function removeNow(ctx: EngineContext, id: string, removeVolumes = false, keep?: (rec: ContainerRecord) => boolean, keepSnapshot = false): Promise<boolean> {
  const d = ctx.d;
  const t = new Laps();
  const rec = await ctx.mutex.run(id, async () => {
    t.lap('lockMs');
    const rec = d.containers.get(id);
    if (!rec || keep?.(rec)) return null;
    ctx.health.close(id);
    d.containers.delete(id);
    ctx.attach.endWaiting(id);
    // An auto-removal (`run --rm`, the CLI waiting on it) after conmon
    // reported the exit, with the runtime cleanup it started under way:
    // nothing of the container runs any more, so its cgroups, runtime state
    // and files may go after the answer (20-80 ms on a busy host); the
    // snapshot and the directory leave their names at once (renamed into a
    // trash). The daemon's shutdown waits for the rest; after a crash the
    // boot's reconcile and orphan sweep find what no record owns. An
    // explicit `rm` does it all before answering, as dockerd does.
    const later = rec.hostConfig.autoRemove === true && ctx.runtimeCleanups.has(id) && rec.state.status === 'exited';
    const deletions: Promise<unknown>[] = [];
    // Whatever the record says, a crash or a cut start may have left runtime
    // state, a monitor or cgroups behind: a forced delete removes them all.
    const runtimeGone = async () => {
      await d.runtime.delete(id, { force: true }).catch((err) => ctx.log.warn('runtime delete failed', { id, err }));
      await rm(ctx.bundle(id), { recursive: true, force: true }).catch(() => {});
    };
    if (later) {
      trackRuntimeCleanup(ctx, id, runtimeGone);
    } else {
      await ctx.runtimeCleanups.get(id);
      await runtimeGone();
    }
    t.lap('runtimeMs');
    if (d.network) {
      await d.network.tearDown(id).catch((err) => ctx.log.warn('network teardown failed', { id, err }));
      d.network.unregister(id);
    }
    t.lap('netMs');
    // The rootfs mount point lives in the container's directory: unmount first, then both trees go at once.
    await ctx.rootfs.drop(id).catch((err) => ctx.log.warn('unmount failed', { id, err }));
    await releaseShm(ctx, rec).catch((err) => ctx.log.warn('unmounting /dev/shm failed', { id, err }));
    t.lap('unmountMs');
    const dir = later ? moveAside(ctx.containerDir(id), containersTrash(ctx.d.dataRoot), ctx.log) : ctx.containerDir(id);
    const removeDir = rm(dir, { recursive: true, force: true });
    if (later) deletions.push(removeDir);
    await Promise.all([
      keepSnapshot ? null : d.images.snapshotter.remove(id, later ? { later: (p) => deletions.push(p) } : {})
        .catch((err) => ctx.log.warn('snapshot removal failed', { id, err })),
      later ? null : removeDir,
    ]);
    if (deletions.length > 0) {
      trackRuntimeCleanup(ctx, id, () => Promise.all(deletions).then(
        () => {}, (err) => ctx.log.warn('removing the files of a removed container failed', { id, err }),
      ));
    }
    t.lap('fsMs');
    await d.mounts?.release(rec, removeVolumes).catch((err) => ctx.log.warn('releasing volumes failed', { id, err }));
    return rec;
  });
  if (!rec) return false;
  ctx.log.debug('container removed', { id, ...t.fields() });
  ctx.manuallyStopped.delete(id);
  d.events.emit('container', 'destroy', id, ctx.attrs(rec));
  ctx.waiters.wasRemoved(id, rec.state.exitCode);
  return true;
}

/** Where removed containers' directories wait for deletion; emptied at boot (orphans.ts). */
export function containersTrash(dataRoot: string): string {
  return path.join(dataRoot, 'trash', 'containers');
}

/** Renames a removed container's directory into the trash; where that fails, it is deleted where it is. */
function moveAside(dir: string, trash: string, log: EngineContext['log']): string {
  const aside = path.join(trash, path.basename(dir));
  try {
    mkdirSync(trash, { recursive: true });
    renameSync(dir, aside);
    return aside;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.debug('moving a container directory aside failed', { dir, err });
    return dir;
  }
}
