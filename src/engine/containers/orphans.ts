// What a crash between a metadata commit and its filesystem cleanup leaves:
// writable snapshots and container directories that no record names. The
// daemon removes them at boot, before it serves any request that could
// create a container (daemon/boot-steps.ts).

import { readdir, rm } from 'node:fs/promises';
import type { Snapshotter } from '../../core/snapshot.ts';
import type { Logger } from '../../core/logger.ts';
import type { RootfsMounts } from './rootfs.ts';

export interface OrphanSweep {
  known: Set<string>;
  snapshotter: Snapshotter & { listSnapshots?: () => Promise<string[]> };
  rootfs: RootfsMounts;
  containersDir: string;
  /** Directories of removed containers whose deletion a crash cut short (destroy.ts). */
  trashDir: string;
  log: Logger;
}

export async function sweepOrphans(s: OrphanSweep): Promise<void> {
  await rm(s.trashDir, { recursive: true, force: true }).catch((err) => s.log.warn('emptying the trash failed', { dir: s.trashDir, err }));
  let dirs: string[] = [];
  try { dirs = await readdir(s.containersDir); } catch { /* none yet */ }
  for (const id of dirs.filter((d) => !s.known.has(d))) {
    await s.rootfs.drop(id).catch((err) => s.log.warn('orphan unmount failed', { id, err }));
    await rm(`${s.containersDir}/${id}`, { recursive: true, force: true }).catch(() => {});
    s.log.info('removed orphaned container directory', { id });
  }
  for (const key of (await s.snapshotter.listSnapshots?.()) ?? []) {
    if (s.known.has(key)) continue;
    await s.snapshotter.remove(key).then(
      () => s.log.info('removed orphaned snapshot', { key }),
      (err) => s.log.warn('orphan snapshot removal failed', { key, err }),
    );
  }
}
