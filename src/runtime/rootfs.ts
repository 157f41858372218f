// Reading files of a container's rootfs from the host, safely.
//
// The rootfs belongs to an image, and an image is hostile: its /etc/passwd
// may be a symlink to the host's /etc/shadow, an absolute symlink, or a
// chain of `..`. Every path is therefore walked one component at a time,
// symlinks are resolved by hand with the rootfs as "/", and `..` never
// climbs above it (what chroot would do, and what runc's securejoin does).
// The rootfs is not running yet when the spec is built, so nothing inside
// can race the walk.

import fs from 'node:fs';
import path from 'node:path';

const MAX_SYMLINKS = 40;

/**
 * Resolves `p` (interpreted inside `root`) to a host path that stays under
 * `root`. Missing components are fine: the result names where the file
 * would be.
 */
export function resolveInRoot(root: string, p: string): string {
  const rootAbs = path.resolve(root);
  let pending = splitComponents(p);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = path.join(rootAbs, ...resolved, part);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(candidate);
    } catch {
      st = undefined;
    }
    if (st?.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw new Error(`too many levels of symbolic links resolving ${p} in ${root}`);
      const target = fs.readlinkSync(candidate);
      if (target.startsWith('/')) resolved.length = 0;
      pending = [...splitComponents(target), ...pending];
      continue;
    }
    resolved.push(part);
  }
  return path.join(rootAbs, ...resolved);
}

/** The content of a regular file inside the rootfs, or null when there is none. */
export function readFileInRoot(root: string, p: string): Buffer | null {
  const hostPath = resolveInRoot(root, p);
  let fd: number;
  try {
    fd = fs.openSync(hostPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR') || isErrno(err, 'ELOOP')) return null;
    throw err;
  }
  try {
    // A FIFO or device planted as /etc/passwd must not hang or feed us.
    if (!fs.fstatSync(fd).isFile()) return null;
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function splitComponents(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}
