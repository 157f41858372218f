// Removal proper, once the container has no process: metadata first, then
// the filesystem, so a crash in between leaves only garbage (swept at the
// next boot, orphans.ts), never a record pointing at nothing.

import { rm } from 'node:fs/promises';
import type { ContainerRecord } from '../../core/container.ts';
import type { EngineContext } from './context.ts';
import { releaseShm } from './shm.ts';

/**
 * Removes the container unless `keep` (asked under the container's lock, so
 * no start can slip in between) says otherwise; true when it was removed.
 */
export async function removeNow(ctx: EngineContext, id: string, removeVolumes = false, keep?: (rec: ContainerRecord) => boolean, keepSnapshot = false): Promise<boolean> {
  const d = ctx.d;
  const t0 = performance.now();
  const rec = await ctx.mutex.run(id, async () => {
    const rec = d.containers.get(id);
    if (!rec || keep?.(rec)) return null;
    ctx.health.close(id);
    d.containers.delete(id);
    ctx.attach.endWaiting(id);
    // Whatever the record says, a crash or a cut start may have left runtime
    // state, a monitor or cgroups behind: a forced delete removes them all.
    await ctx.runtimeCleanups.get(id);
    await d.runtime.delete(id, { force: true }).catch((err) => ctx.log.warn('runtime delete failed', { id, err }));
    await rm(ctx.bundle(id), { recursive: true, force: true }).catch(() => {});
    if (d.network) {
      await d.network.tearDown(id).catch((err) => ctx.log.warn('network teardown failed', { id, err }));
      d.network.unregister(id);
    }
    // The rootfs mount point lives in the container's directory: unmount first, then both trees go at once.
    await ctx.rootfs.drop(id).catch((err) => ctx.log.warn('unmount failed', { id, err }));
    await releaseShm(ctx, rec).catch((err) => ctx.log.warn('unmounting /dev/shm failed', { id, err }));
    await Promise.all([
      keepSnapshot ? null : d.images.snapshotter.remove(id).catch((err) => ctx.log.warn('snapshot removal failed', { id, err })),
      rm(ctx.containerDir(id), { recursive: true, force: true }),
    ]);
    await d.mounts?.release(rec, removeVolumes).catch((err) => ctx.log.warn('releasing volumes failed', { id, err }));
    return rec;
  });
  if (!rec) return false;
  ctx.log.debug('container removed', { id, ms: Math.round(performance.now() - t0) });
  ctx.manuallyStopped.delete(id);
  d.events.emit('container', 'destroy', id, ctx.attrs(rec));
  ctx.waiters.wasRemoved(id, rec.state.exitCode);
  return true;
}
