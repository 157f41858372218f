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
  poll(fds: Buffer, nfds: number, timeout: number): number;
  fcntl(fd: number, cmd: number, ...args: unknown[]): number;
  statx(dirfd: number, path: string, flags: number, mask: number, buf: Buffer): number;
  ioctl(fd: number, request: number, ...args: unknown[]): number;
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
    poll: lib.func('int poll(_Inout_ void *fds, unsigned long nfds, int timeout)'),
    fcntl: lib.func('int fcntl(int fd, int cmd, ...)'),
    statx: lib.func('int statx(int dirfd, const char *path, int flags, unsigned int mask, _Out_ void *buf)'),
    ioctl: lib.func('int ioctl(int fd, unsigned long request, ...)'),
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

const POLLHUP = 0x10;

/**
 * Whether the peer of a connected socket has closed it entirely (POLLHUP),
 * as opposed to only shutting down its writing side (which reads as EOF
 * just the same). Node reports both as 'end'; poll(2) tells them apart.
 */
export function peerHungUp(fd: number): boolean {
  const pfd = Buffer.alloc(8);
  pfd.writeInt32LE(fd, 0);
  pfd.writeInt16LE(POLLHUP, 4);
  const rc = check(load().poll(pfd, 1, 0), 'poll', `fd ${fd}`);
  return rc > 0 && (pfd.readInt16LE(6) & POLLHUP) !== 0;
}

const F_DUPFD_CLOEXEC = 1030;

/**
 * A second descriptor for the same open socket or file, closed on exec (no
 * child process inherits it). Closing it leaves the original open.
 */
export function dupCloexec(fd: number): number {
  return check(load().fcntl(fd, F_DUPFD_CLOEXEC, 'int', 3), 'fcntl', `fd ${fd}`);
}

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const STATX_ATTR_MOUNT_ROOT = 0x2000n;
const ENOENT = 2;

/**
 * Whether `path` is the root of a mount (statx's STATX_ATTR_MOUNT_ROOT,
 * Linux 5.8): no read of /proc/self/mountinfo, which is hundreds of KB on a
 * host with many containers. false when the path does not exist; null when
 * the kernel cannot tell.
 */
export function isMountPoint(path: string): boolean | null {
  const c = load();
  const buf = Buffer.alloc(256);
  if (c.statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, buf) < 0) {
    const e = c.errno();
    if (e === ENOENT) return false;
    throw new SysError('statx', e, path);
  }
  const attributes = buf.readBigUInt64LE(8);
  const known = buf.readBigUInt64LE(56);
  if ((known & STATX_ATTR_MOUNT_ROOT) === 0n) return null;
  return (attributes & STATX_ATTR_MOUNT_ROOT) !== 0n;
}

// Inode flags (linux/fs.h), chattr's: FS_IOC_GETFLAGS / FS_IOC_SETFLAGS take an int.
const FS_IOC_GETFLAGS = 0x80086601;
const FS_IOC_SETFLAGS = 0x40086602;
/** chattr +T: ext4's Orlov allocator treats each subdirectory as a top-level one (placed in a group of its own). */
export const FS_TOPDIR_FL = 0x20000;

/** The inode flags of the open file or directory fd (what lsattr shows); `path` names it in errors. */
export function inodeFlags(fd: number, path: string): number {
  const buf = Buffer.alloc(8);
  check(load().ioctl(fd, FS_IOC_GETFLAGS, '_Inout_ void *', buf), 'ioctl(FS_IOC_GETFLAGS)', path);
  return buf.readUInt32LE(0);
}

/** Adds inode flags to the open file or directory fd (chattr +...). File systems without them answer ENOTTY or EOPNOTSUPP. */
export function addInodeFlags(fd: number, flags: number, path: string): void {
  const have = inodeFlags(fd, path);
  if ((have & flags) === flags) return;
  const buf = Buffer.alloc(8);
  buf.writeUInt32LE((have | flags) >>> 0, 0);
  check(load().ioctl(fd, FS_IOC_SETFLAGS, '_Inout_ void *', buf), 'ioctl(FS_IOC_SETFLAGS)', path);
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

// openat2(2) (linux/openat2.h): path resolution the kernel confines to a root.
export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;
export const O_PATH = 0o10000000;

// openat2 and the pidfd calls have one number on every architecture (new syscalls share the table).
const SYS_openat2 = 437;
const SYS_pidfd_send_signal = 424;
const SYS_pidfd_open = 434;

let syscall: ((...args: unknown[]) => number) | undefined;

function rawSyscall(): (...args: unknown[]) => number {
  if (!syscall) {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    syscall = koffi.load('libc.so.6').func('long syscall(long number, ...)') as (...args: unknown[]) => number;
  }
  return syscall;
}

/**
 * pidfd_open(2): a descriptor naming the process `pid` is now, which no
 * later reuse of the number can redirect (close it with fs.closeSync).
 * ESRCH: no such process.
 */
export function pidfdOpen(pid: number): number {
  const c = load();
  const fd = Number(rawSyscall()(SYS_pidfd_open, 'int', pid, 'unsigned int', 0));
  if (fd < 0) throw new SysError('pidfd_open', c.errno(), String(pid));
  return fd;
}

/** pidfd_send_signal(2): the signal to the process the descriptor names (ESRCH once it has exited). */
export function pidfdSendSignal(pidfd: number, signal: number): void {
  const c = load();
  const rc = Number(rawSyscall()(SYS_pidfd_send_signal, 'int', pidfd, 'int', signal, 'void *', null, 'unsigned int', 0));
  if (rc < 0) throw new SysError('pidfd_send_signal', c.errno(), String(pidfd));
}

/**
 * openat2(2): opens `path` relative to `dirfd` with `resolve` flags
 * (RESOLVE_IN_ROOT: every "..", absolute path and symlink is resolved as if
 * dirfd were "/", so nothing outside it is ever reached, races included).
 * Returns a new descriptor (O_CLOEXEC is always added); `what` names the
 * path in errors.
 */
export function openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number, what = path): number {
  const c = load();
  const syscall = rawSyscall();
  const how = Buffer.alloc(24);
  how.writeBigUInt64LE(BigInt(flags | 0o2000000), 0);
  how.writeBigUInt64LE(BigInt(mode), 8);
  how.writeBigUInt64LE(BigInt(resolve), 16);
  for (;;) {
    const fd = Number(syscall(SYS_openat2, 'int', dirfd, 'const char *', path, 'void *', how, 'size_t', 24));
    if (fd >= 0) return fd;
    const e = c.errno();
    // EAGAIN: a rename raced the lookup; the kernel asks for a retry.
    if (e !== 11) throw new SysError('openat2', e, what);
  }
}
