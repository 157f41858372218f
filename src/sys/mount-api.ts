// The new mount API (Linux 5.12+ for idmapped mounts): a detached copy of a
// directory tree, given an ID mapping and made read-only before anything
// sees it, then used by path (/proc/self/fd/N) or attached somewhere.
//
//   fd = openTreeClone('/layers/x/diff')       detached bind mount of the tree
//   setIdmapReadOnly(fd, usernsFd)             owners read through the namespace's maps
//   mount overlay lowerdir=/proc/self/fd/<fd>  (or moveMountTo(fd, dir) first on kernels
//                                              whose overlay refuses detached mounts)
//   close(fd)                                  the overlay holds its own private copy
//
// glibc 2.36 has the wrappers; like libc.ts, errors are SysError with the errno name.

import { createRequire } from 'node:module';
import { SysError } from './libc.ts';

interface MountApi {
  errno(): number;
  open_tree(dfd: number, path: string, flags: number): number;
  mount_setattr(dfd: number, path: string, flags: number, attr: Buffer, size: number): number;
  move_mount(fromDfd: number, fromPath: string, toDfd: number, toPath: string, flags: number): number;
}

let api: MountApi | undefined;

function load(): MountApi {
  if (api) return api;
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  api = {
    errno: () => koffi.errno(),
    open_tree: lib.func('int open_tree(int dfd, const char *path, unsigned int flags)'),
    mount_setattr: lib.func('int mount_setattr(int dfd, const char *path, unsigned int flags, void *attr, size_t size)'),
    move_mount: lib.func('int move_mount(int from_dfd, const char *from_path, int to_dfd, const char *to_path, unsigned int flags)'),
  };
  return api;
}

const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const AT_RECURSIVE = 0x8000;
const OPEN_TREE_CLONE = 1;
const O_CLOEXEC = 0o2000000;
const MOUNT_ATTR_RDONLY = 0x1n;
const MOUNT_ATTR_IDMAP = 0x00100000n;
const MOVE_MOUNT_F_EMPTY_PATH = 0x4;
/** sizeof(struct mount_attr): attr_set, attr_clr, propagation, userns_fd (u64 each). */
const MOUNT_ATTR_SIZE_VER0 = 32;

/** A detached recursive bind mount of path, as a descriptor (close-on-exec). */
export function openTreeClone(path: string): number {
  const c = load();
  const fd = c.open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE);
  if (fd < 0) throw new SysError('open_tree', c.errno(), path);
  return fd;
}

/** Gives the detached tree fd the ID mappings of the user namespace usernsFd, read-only. */
export function setIdmapReadOnly(fd: number, usernsFd: number, what: string): void {
  const c = load();
  const attr = Buffer.alloc(MOUNT_ATTR_SIZE_VER0);
  attr.writeBigUInt64LE(MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY, 0);
  attr.writeBigUInt64LE(BigInt(usernsFd), 24);
  if (c.mount_setattr(fd, '', AT_EMPTY_PATH | AT_RECURSIVE, attr, MOUNT_ATTR_SIZE_VER0) < 0) throw new SysError('mount_setattr', c.errno(), what);
}

/** Attaches the detached tree fd at target (an existing directory). */
export function moveMountTo(fd: number, target: string): void {
  const c = load();
  if (c.move_mount(fd, '', AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0) throw new SysError('move_mount', c.errno(), target);
}
