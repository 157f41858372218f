// /dev/shm of shareable IPC namespaces, as dockerd does it: a container
// started with `--ipc shareable` gets its /dev/shm from a tmpfs berthd
// mounts on the host (<data-root>/containers/<id>/shm, size --shm-size), and
// a container started with `--ipc container:<it>` binds that same tmpfs, so
// both see the same files as well as the same SysV IPC objects. A donor with
// `--ipc host` gives its joiners the host's /dev/shm. Private containers keep
// the tmpfs runc mounts inside their own mount namespace.
//
// The host tmpfs lives while the donor runs: it is unmounted when the donor
// exits (a joiner still running keeps its bind, so the files stay readable
// to it until it ends, as under Docker) and before its directory is removed.

import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerRecord } from '../../core/container.ts';
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, mount, umount2 } from '../../sys/libc.ts';
import type { EngineContext } from './context.ts';

const MNT_DETACH = 2;
const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

export function shmPath(ctx: EngineContext, id: string): string {
  return path.join(ctx.containerDir(id), 'shm');
}

async function isMountPoint(dir: string): Promise<boolean> {
  try {
    const [a, b] = await Promise.all([stat(dir), stat(path.dirname(dir))]);
    return a.dev !== b.dev;
  } catch {
    return false;
  }
}

/**
 * The host directory to bind at the container's /dev/shm, mounting the
 * shareable container's tmpfs first; undefined: runc's own tmpfs (or none).
 */
export async function setupShm(ctx: EngineContext, rec: ContainerRecord): Promise<string | undefined> {
  const mode = rec.hostConfig.resources?.ipcMode ?? '';
  if (mode === 'shareable') {
    const dir = shmPath(ctx, rec.id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (!await isMountPoint(dir)) {
      const size = rec.hostConfig.shmSize > 0 ? rec.hostConfig.shmSize : DEFAULT_SHM_SIZE;
      mount('shm', dir, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, `mode=1777,size=${size}`);
    }
    return dir;
  }
  if (mode.startsWith('container:')) {
    // namespaceTargets (start.ts) has checked the donor runs and shares its IPC.
    const donor = ctx.d.containers.resolve(mode.slice(10));
    const donorMode = donor.hostConfig.resources?.ipcMode;
    if (donorMode === 'host') return '/dev/shm';
    const dir = shmPath(ctx, donor.id);
    if (donorMode === 'shareable' && await isMountPoint(dir)) return dir;
  }
  return undefined;
}

/** Unmounts a shareable container's /dev/shm tmpfs, if it has one (idempotent). */
export async function releaseShm(ctx: EngineContext, rec: ContainerRecord): Promise<void> {
  if (rec.hostConfig.resources?.ipcMode !== 'shareable') return;
  const dir = shmPath(ctx, rec.id);
  if (!await isMountPoint(dir)) return;
  umount2(dir, MNT_DETACH);
}
