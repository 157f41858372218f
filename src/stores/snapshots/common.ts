// Pieces both snapshotters share: name validation, temp dirs, startup cleanup.

import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Snapshotter } from '../../core/snapshot.ts';
import { invalid, syscallError } from '../../core/errors.ts';
import { FS_TOPDIR_FL, MNT_DETACH, addInodeFlags, umount2 } from '../../sys/libc.ts';
import type { LayerLimits } from './apply.ts';
import type { IdMaps } from '../../core/idmap.ts';
import type { IdmappedLayers } from './idmapped.ts';

export interface SnapshotterOptions {
  limits?: Partial<LayerLimits>;
  /** --userns-remap: layers are unpacked owned by the mapped host IDs (unless idmapped). */
  idMaps?: IdMaps;
  /** overlay under --userns-remap where the kernel allows: layers keep the image's owners and are idmapped at mount. */
  idmapped?: IdmappedLayers;
}

/** What berth's own snapshotters offer beyond the contract: listing, for garbage collection. */
export interface ListingSnapshotter extends Snapshotter {
  /** Chain IDs of all committed layers. */
  listLayers(): Promise<string[]>;
  /** Keys of all writable snapshots. */
  listSnapshots(): Promise<string[]>;
  /** Releases what the snapshotter keeps for mounts (idmapped layer trees), at daemon shutdown. */
  close?(): void;
}

export function canList(s: Snapshotter): s is ListingSnapshotter {
  return typeof (s as Partial<ListingSnapshotter>).listLayers === 'function';
}

/** "sha256:<hex>" -> "<hex>" (the directory name). */
export function chainDir(chainId: string): string {
  const m = /^sha256:([a-f0-9]{64})$/.exec(chainId);
  if (!m) throw invalid(`invalid chain ID "${chainId}"`);
  return m[1];
}

export function checkKey(key: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(key)) throw invalid(`invalid snapshot key "${key}"`);
  return key;
}

export function tmpName(): string {
  return `.tmp-${randomBytes(6).toString('hex')}`;
}

export function readText(p: string): string | null {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export function exists(p: string): boolean {
  try { fs.lstatSync(p); return true; } catch { return false; }
}

/** Directory entries that are finished snapshots or layers (temp dirs excluded). */
export function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((n) => !n.startsWith('.'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Marks dir so that the file system places each directory made in it apart
 * from the others: ext4's FS_TOPDIR_FL (chattr +T) makes its Orlov
 * allocator treat them as top-level directories, each put in the (flex)
 * group with the fewest directories among those with at least average free
 * inodes and blocks, instead of in dir's own group. Layers are unrelated
 * trees. Without the flag every layer's inodes went into the group of the
 * data root, beside whatever was deleted there last, and ext4 without a
 * journal (this machine's) passes over inodes freed in the last 60 s (6 min
 * while their table block is dirty) when it allocates one, checking each
 * again for every new inode: a layer unpacked where another had just been
 * removed (pulled again after `rmi`, or under a /tmp where tests come and
 * go) spent seconds in the kernel's recently_deleted(). GNU tar extracting
 * the bench's Debian layer (7,769 entries) took 2.8-3.8 s (2.35 s system)
 * under such a parent and 0.5-0.6 s (0.28 s system) under one with the
 * flag. Returns whether the flag is set; file systems without it (tmpfs:
 * EOPNOTSUPP) are left as they are.
 */
export function spreadSubdirs(dir: string): boolean {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    addInodeFlags(fd, FS_TOPDIR_FL, dir);
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** Removes leftovers of interrupted work (".tmp-*" dirs) from a previous run. */
export function removeTemps(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('.tmp-')) fs.rmSync(`${dir}/${name}`, { recursive: true, force: true });
  }
}

/** Finishes removals a crash interrupted (trees renamed aside but not yet deleted). */
export function emptyTrash(dir: string): void {
  for (const name of fs.readdirSync(dir)) fs.rmSync(`${dir}/${name}`, { recursive: true, force: true });
}

/** Unmounts target; a target that is not mounted (or gone) is fine: cleanup must be repeatable. */
export function unmountPath(target: string): void {
  try {
    umount2(target, 0);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EINVAL' || code === 'ENOENT') return;
    if (code !== 'EBUSY') throw err;
    umount2(target, MNT_DETACH);
  }
}

/** writeFileSync whose failure names the file (a full disk: "write <path>: no space left on device"). */
export function writeText(path: string, text: string): void {
  try {
    fs.writeFileSync(path, text);
  } catch (err) {
    throw syscallError(err, path);
  }
}
