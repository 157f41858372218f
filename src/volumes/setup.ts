// At container start: the container's mounts as OCI mount entries. Volumes
// with driver options are mounted on their _data first; an empty volume
// receives the image's content at its destination (read through the
// rootfs with every symlink resolved inside it, so an image cannot point
// the copy at the host); a -v bind's missing host directory is created;
// rshared/rslave binds need a source mount that propagates.
//
// The destination itself is handed to runc, which resolves it inside the
// rootfs (securejoin) before mounting: a symlink planted in the image
// cannot send the mount onto the host.

import { execFile } from 'node:child_process';
import { chown, chmod, lstat, mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { ContainerMount, ContainerRecord } from '../core/container.ts';
import { invalid, internal } from '../core/errors.ts';
import type { OciSpec } from '../core/runtime.ts';
import { resolveInRoot } from '../runtime/rootfs.ts';
import { mountOf } from './mountinfo.ts';
import { parseTmpfs } from './specs.ts';

export type OciMount = OciSpec['mounts'][number];

const run = promisify(execFile);

/** Docker's defaults for a tmpfs, before the user's options (which may override them). */
const TMPFS_DEFAULTS = ['noexec', 'nosuid', 'nodev', 'rprivate'];

export function tmpfsEntry(destination: string, data: string): OciMount {
  return { destination, type: 'tmpfs', source: 'tmpfs', options: [...TMPFS_DEFAULTS, ...data.split(',').filter(Boolean)] };
}

export function ociEntry(m: ContainerMount): OciMount {
  switch (m.type) {
    case 'volume':
      return { destination: m.destination, type: 'bind', source: m.source, options: ['rbind', ...(m.rw ? [] : ['ro'])] };
    case 'bind':
      return {
        destination: m.destination, type: 'bind', source: m.source,
        options: [m.nonRecursive ? 'bind' : 'rbind', ...(m.rw ? [] : ['ro']), m.propagation || 'rprivate'],
      };
    case 'tmpfs':
      return tmpfsEntry(m.destination, m.tmpfsOptions ?? '');
  }
}

/** HostConfig.Tmpfs entries, which inspect's Mounts does not list. */
export function hostTmpfsEntries(rec: ContainerRecord): OciMount[] {
  return Object.entries(rec.hostConfig.tmpfs ?? {}).map(([target, data]) => {
    const i = parseTmpfs(target, data);
    return tmpfsEntry(i.target, data);
  });
}

/** Creates a -v bind's missing source directory; refuses propagation the source mount cannot give. */
export async function prepareBind(m: ContainerMount, owner: { uid: number; gid: number } | null = null): Promise<void> {
  if (m.createSource) {
    try {
      await lstat(m.source);
    } catch {
      await mkdir(m.source, { recursive: true, mode: 0o755 });
      if (owner) await chown(m.source, owner.uid, owner.gid);
    }
  }
  const p = m.propagation;
  if (p === 'shared' || p === 'rshared' || p === 'slave' || p === 'rslave') {
    const info = await mountOf(m.source);
    const shared = info.optional.some((o) => o.startsWith('shared:'));
    const slave = info.optional.some((o) => o.startsWith('master:'));
    if ((p === 'shared' || p === 'rshared') && !shared) {
      throw invalid(`path ${m.source} is mounted on ${info.mountPoint} but it is not a shared mount`);
    }
    if ((p === 'slave' || p === 'rslave') && !shared && !slave) {
      throw invalid(`path ${m.source} is mounted on ${info.mountPoint} but it is not a shared or slave mount`);
    }
  }
}

/**
 * Copies the image's directory at `destination` (inside `rootfs`) into an
 * empty volume, with owners, modes, links and xattrs, then gives the
 * volume's root the directory's owner and mode (dockerd's copyExistingContents).
 */
export async function copyImageContent(rootfs: string, destination: string, volumeDir: string): Promise<boolean> {
  const src = resolveInRoot(rootfs, destination);
  let st;
  try {
    st = await lstat(src);
  } catch {
    return false;
  }
  if (!st.isDirectory()) return false;
  try {
    await run('cp', ['-a', '--', `${src}/.`, `${volumeDir}/`]);
  } catch (err) {
    throw internal(`copying the image's ${destination} into its volume failed: ${(err as { stderr?: string }).stderr || (err as Error).message}`, err);
  }
  await chown(volumeDir, st.uid, st.gid);
  await chmod(volumeDir, st.mode & 0o7777);
  return true;
}
