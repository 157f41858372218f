// The end of a container under conmon: waiting for conmon to finish its
// last writes, removing a cgroup nobody else will, and the forced purge.

import fsp from 'node:fs/promises';
import path from 'node:path';
import { internal } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { OciSpec } from '../core/runtime.ts';
import { removeCgroup } from './cgroups.ts';
import { isConmonAlive } from './conmon-files.ts';
import type { ConmonLayout, ContainerMeta } from './conmon-layout.ts';
import { purgeContainer } from './conmon-purge.ts';
import { isErrno } from './rootfs.ts';

const DELETE_WAIT_MS = 10_000;

/** Waits (up to 10 s) for conmon to write the exit file and exit. */
export async function waitConmonGone(
  ctrDir: string, waitExit: (signal: AbortSignal) => Promise<unknown>, log: Logger, id: string,
): Promise<void> {
  if (!isConmonAlive(ctrDir)) return;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error('timeout')), DELETE_WAIT_MS);
  try {
    await waitExit(ac.signal);
    // The exit file is conmon's last write; it exits right after.
    for (let i = 0; i < 100 && isConmonAlive(ctrDir); i++) await new Promise((r) => setTimeout(r, 5));
  } catch {
    log.warn('conmon did not finish after delete', { id });
  } finally {
    clearTimeout(timer);
  }
}

/** runc removes the cgroup with its state; without state (lost in a crash) nobody else will. */
export async function removeLeftoverCgroup(id: string, meta: ContainerMeta, log: Logger): Promise<void> {
  try {
    const spec = JSON.parse(await fsp.readFile(path.join(meta.bundle, 'config.json'), 'utf8')) as OciSpec;
    const cg = spec.linux?.cgroupsPath;
    if (typeof cg !== 'string' || cg === '' || cg.includes(':')) return;
    const { busy } = removeCgroup(cg);
    if (busy.length > 0) log.warn('leftover cgroup still in use', { id, busy });
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) log.warn('removing leftover cgroup failed', { id, error: (err as Error).message });
  }
}

/** Removes every trace of the container whatever its state; fails, keeping them, if something resists. */
export async function purge(
  layout: ConmonLayout, id: string, meta: ContainerMeta | null, defaultCgroupsPath: string, log: Logger,
): Promise<void> {
  const { survivors, busyCgroups } = await purgeContainer({
    id, root: layout.root, bundle: meta?.bundle ?? null, defaultCgroupsPath, ...(meta?.cgroupsPath ? { cgroupsPath: meta.cgroupsPath } : {}),
  });
  if (survivors.length > 0 || busyCgroups.length > 0) {
    log.warn('container left processes or cgroups behind', { id, survivors, busyCgroups });
    throw internal(`removing container ${id}: ${survivors.length > 0 ? `processes ${survivors.join(', ')} survived SIGKILL` : `cgroups still populated: ${busyCgroups.join(', ')}`}`);
  }
}
