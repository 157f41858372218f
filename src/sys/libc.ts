// The one module that calls libc through FFI (koffi). Node has no mount,
// umount, mknod or l*xattr; everything else stays in node:fs.
//
// Every wrapper is synchronous (these syscalls are short), throws SysError
// on failure with the errno name and the path, and loads libc on first use
// so that importing this module costs nothing where it is never called.

import { createRequire } from 'node:module';
import { getSystemErrorMessage, getSystemErrorName } from 'node:util';

// mount(2) flags (linux/mount.h).
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_MOVE = 0x2000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 1 << 18;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;

// umount2(2) flags.
export const MNT_FORCE = 0x1;
export const MNT_DETACH = 0x2;
export const UMOUNT_NOFOLLOW = 0x8;

// mknod(2) file types (sys/stat.h).
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

// setxattr(2) flags.
export const XATTR_CREATE = 0x1;
export const XATTR_REPLACE = 0x2;

/** A failed libc call: `code` is the errno name ("EPERM"), like Node's own fs errors. */
export class SysError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  readonly path: string;
  constructor(syscall: string, errno: number, path: string, detail?: string) {
    const name = errnoName(errno);
    super(`${syscall} ${detail ?? path}: ${name} (${errnoMessage(errno)})`);
    this.name = 'SysError';
    this.errno = errno;
    this.code = name;
    this.syscall = syscall;
    this.path = path;
  }
}

function errnoName(errno: number): string {
  try { return getSystemErrorName(-errno); } catch { return `errno ${errno}`; }
}

function errnoMessage(errno: number): string {
  try { return getSystemErrorMessage(-errno); } catch { return 'unknown error'; }
}

interface Libc {
  errno(): number;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): number;
  umount2(target: string, flags: number): number;
  mknod(path: string, mode: number, dev: bigint): number;
  lsetxattr(path: string, name: string, value: Buffer, size: number, flags: number): number;
  lgetxattr(path: string, name: string, value: Buffer | null, size: number): number;
  llistxattr(path: string, list: Buffer | null, size: number): number;
  lremovexattr(path: string, name: string): number;
  flock(fd: number, operation: number): number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  // koffi is CommonJS; createRequire keeps this module loadable without it until first use.
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  libc = {
    errno: () => koffi.errno(),
    mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    umount2: lib.func('int umount2(const char *target, int flags)'),
    mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
    lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
    lgetxattr: lib.func('long lgetxattr(const char *path, const char *name, void *value, size_t size)'),
    llistxattr: lib.func('long llistxattr(const char *path, char *list, size_t size)'),
    lremovexattr: lib.func('int lremovexattr(const char *path, const char *name)'),
    flock: lib.func('int flock(int fd, int operation)'),
  };
  return libc;
}

function check(rc: number, syscall: string, path: string, detail?: string): number {
  if (rc < 0) throw new SysError(syscall, load().errno(), path, detail);
  return rc;
}

export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
  const c = load();
  check(c.mount(source, target, fstype, flags, data), 'mount', target, `${fstype ?? 'none'} ${source ?? 'none'} on ${target}`);
}

export function umount2(target: string, flags = 0): void {
  const c = load();
  check(c.umount2(target, flags), 'umount2', target);
}

export const LOCK_EX = 2;
export const LOCK_NB = 4;

/** flock(2) on an open descriptor; `path` only names it in errors (EWOULDBLOCK: someone else holds it). */
export function flock(fd: number, operation: number, path: string): void {
  const c = load();
  check(c.flock(fd, operation), 'flock', path);
}

/** glibc's makedev(3). */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** mode includes the file type (S_IFCHR, S_IFBLK, S_IFIFO) and permission bits. */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  const c = load();
  check(c.mknod(path, mode, makedev(major, minor)), 'mknod', path);
}

export function lsetxattr(path: string, name: string, value: Buffer, flags = 0): void {
  const c = load();
  check(c.lsetxattr(path, name, value, value.length, flags), 'lsetxattr', path, `${path} ${name}`);
}

const ENODATA = 61;
const ERANGE = 34;

/** The value of one extended attribute, or null when the file does not have it. */
export function lgetxattr(path: string, name: string): Buffer | null {
  const c = load();
  // Size first, then read; retry if it grew in between (ERANGE).
  for (;;) {
    const size = c.lgetxattr(path, name, null, 0);
    if (size < 0) {
      const e = c.errno();
      if (e === ENODATA) return null;
      throw new SysError('lgetxattr', e, path, `${path} ${name}`);
    }
    const buf = Buffer.alloc(size);
    if (size === 0) return buf;
    const n = c.lgetxattr(path, name, buf, size);
    if (n >= 0) return buf.subarray(0, n);
    const e = c.errno();
    if (e === ENODATA) return null;
    if (e !== ERANGE) throw new SysError('lgetxattr', e, path, `${path} ${name}`);
  }
}

/** Names of all extended attributes of path (not following a final symlink). */
export function llistxattr(path: string): string[] {
  const c = load();
  for (;;) {
    const size = check(c.llistxattr(path, null, 0), 'llistxattr', path);
    if (size === 0) return [];
    const buf = Buffer.alloc(size);
    const n = c.llistxattr(path, buf, size);
    if (n < 0) {
      const e = c.errno();
      if (e === ERANGE) continue;
      throw new SysError('llistxattr', e, path);
    }
    return buf.subarray(0, n).toString('utf8').split('\0').filter(Boolean);
  }
}

export function lremovexattr(path: string, name: string): void {
  const c = load();
  check(c.lremovexattr(path, name), 'lremovexattr', path, `${path} ${name}`);
}

/** Extended attributes as name -> value. */
export function lgetxattrs(path: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of llistxattr(path)) {
    const v = lgetxattr(path, name);
    if (v) out.set(name, v);
  }
  return out;
}
