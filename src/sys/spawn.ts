// posix_spawn(3) through FFI: starting a detached helper (conmon) without
// fork()ing the daemon.
//
// Node's child_process (libuv) forks, then waits in the event loop's thread
// until the child has exec'd: the kernel copies the page tables of the whole
// ~100 MiB daemon first, 5-25 ms of a blocked loop per spawn on these
// machines. glibc's posix_spawn clones with CLONE_VM|CLONE_VFORK: nothing
// is copied and the caller is back once the child has exec'd (0.3-1 ms).
//
// What the child gets: fds 0 and 1 on /dev/null, each requested pipe end on
// the fd number asked for (every other descriptor of the daemon is
// close-on-exec), a new session (setsid), every signal at its default
// disposition and none blocked (the daemon ignores SIGPIPE; an exec keeps
// ignored signals ignored), the cwd and environment given.
//
// libuv reaps only the children it spawned, so these are reaped here, on
// SIGCHLD (and a slow poll, in case a signal was merged with one already
// handled), by waitpid on their own pids.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { SysError } from './libc.ts';

/** A pipe to the child: it reads what the parent writes, or writes what the parent reads. */
export type PipeDirection = 'to-child' | 'from-child';

export interface SpawnOptions {
  cwd: string;
  env: Record<string, string>;
  /** Child fd (2 and up) -> direction of the pipe put there. */
  pipes: Record<number, PipeDirection>;
}

export interface SpawnedProcess {
  pid: number;
  /** The parent's end of each pipe, by the child's fd number. */
  pipes: Map<number, net.Socket>;
  /** The exit code once the process is reaped (128 + n for a signal). */
  exited: Promise<number>;
}

const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
const O_RDONLY = 0;
const O_RDWR = 2;
const O_CLOEXEC = 0o2000000;
const F_DUPFD_CLOEXEC = 1030;
const WNOHANG = 1;
const EINTR = 4;
const ECHILD = 10;
/** Past the fds a child is given: a pipe end below it is moved up first, so no dup2 lands on another end. */
const FIRST_FREE_FD = 16;
/** Reaping does not rely on SIGCHLD alone: signals merge. */
const POLL_MS = 250;
// Opaque glibc types, given more room than x86_64's 80, 336 and 128 bytes.
const FILE_ACTIONS_SIZE = 256;
const ATTR_SIZE = 512;
const SIGSET_SIZE = 256;

interface SpawnLibc {
  errno(): number;
  posixSpawn(pid: [number], path: string, fa: Buffer, attr: Buffer, argv: (string | null)[], envp: (string | null)[]): number;
  faInit(fa: Buffer): number;
  faDestroy(fa: Buffer): number;
  faAddOpen(fa: Buffer, fd: number, path: string, oflag: number, mode: number): number;
  faAddDup2(fa: Buffer, fd: number, newfd: number): number;
  faAddChdir(fa: Buffer, path: string): number;
  attrInit(attr: Buffer): number;
  attrDestroy(attr: Buffer): number;
  attrSetFlags(attr: Buffer, flags: number): number;
  attrSetSigDefault(attr: Buffer, set: Buffer): number;
  attrSetSigMask(attr: Buffer, set: Buffer): number;
  sigfillset(set: Buffer): number;
  sigemptyset(set: Buffer): number;
  pipe2(fds: Buffer, flags: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  waitpid(pid: number, status: [number], options: number): number;
}

let lib: SpawnLibc | undefined;

function load(): SpawnLibc {
  if (lib) return lib;
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const c = koffi.load('libc.so.6');
  lib = {
    errno: () => koffi.errno(),
    posixSpawn: c.func('int posix_spawn(_Out_ int *pid, const char *path, void *fa, void *attr, const char **argv, const char **envp)'),
    faInit: c.func('int posix_spawn_file_actions_init(void *fa)'),
    faDestroy: c.func('int posix_spawn_file_actions_destroy(void *fa)'),
    faAddOpen: c.func('int posix_spawn_file_actions_addopen(void *fa, int fd, const char *path, int oflag, uint32_t mode)'),
    faAddDup2: c.func('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)'),
    faAddChdir: c.func('int posix_spawn_file_actions_addchdir_np(void *fa, const char *path)'),
    attrInit: c.func('int posix_spawnattr_init(void *attr)'),
    attrDestroy: c.func('int posix_spawnattr_destroy(void *attr)'),
    attrSetFlags: c.func('int posix_spawnattr_setflags(void *attr, short flags)'),
    attrSetSigDefault: c.func('int posix_spawnattr_setsigdefault(void *attr, void *set)'),
    attrSetSigMask: c.func('int posix_spawnattr_setsigmask(void *attr, void *set)'),
    sigfillset: c.func('int sigfillset(void *set)'),
    sigemptyset: c.func('int sigemptyset(void *set)'),
    pipe2: c.func('int pipe2(void *fds, int flags)'),
    fcntl: c.func('int fcntl(int fd, int cmd, int arg)'),
    waitpid: c.func('int waitpid(int pid, _Out_ int *status, int options)'),
  };
  return lib;
}

/** posix_spawn's own calls answer an error number, not -1 and errno. */
function ok(rc: number, call: string, what: string): void {
  if (rc !== 0) throw new SysError(call, rc, what);
}

/** A pipe whose ends are close-on-exec and numbered FIRST_FREE_FD or above: [read, write]. */
function pipe(c: SpawnLibc): [number, number] {
  const fds = Buffer.alloc(8);
  if (c.pipe2(fds, O_CLOEXEC) < 0) throw new SysError('pipe2', c.errno(), 'pipe');
  return [fds.readInt32LE(0), fds.readInt32LE(4)].map((fd) => {
    if (fd >= FIRST_FREE_FD) return fd;
    const moved = c.fcntl(fd, F_DUPFD_CLOEXEC, FIRST_FREE_FD);
    const errno = c.errno();
    fs.closeSync(fd);
    if (moved < 0) throw new SysError('fcntl', errno, `fd ${fd}`);
    return moved;
  }) as [number, number];
}

/**
 * Starts `file` (an absolute path) detached with `args` (argv[1..]): see
 * the head of this module for what it inherits. Throws SysError when the
 * process cannot be started (ENOENT, EACCES: no such program).
 */
export function spawnDetached(file: string, args: string[], opts: SpawnOptions): SpawnedProcess {
  const c = load();
  const ours: number[] = [];
  const theirs: number[] = [];
  const ends = new Map<number, number>();
  const fa = Buffer.alloc(FILE_ACTIONS_SIZE);
  const attr = Buffer.alloc(ATTR_SIZE);
  let faReady = false;
  let attrReady = false;
  try {
    for (const [fdText, dir] of Object.entries(opts.pipes)) {
      const [r, w] = pipe(c);
      const [parent, child] = dir === 'from-child' ? [r, w] : [w, r];
      ours.push(parent);
      theirs.push(child);
      ends.set(Number(fdText), parent);
    }
    ok(c.faInit(fa), 'posix_spawn_file_actions_init', file);
    faReady = true;
    ok(c.faAddOpen(fa, 0, '/dev/null', O_RDONLY, 0), 'posix_spawn_file_actions_addopen', '/dev/null');
    ok(c.faAddOpen(fa, 1, '/dev/null', O_RDWR, 0), 'posix_spawn_file_actions_addopen', '/dev/null');
    Object.keys(opts.pipes).forEach((fdText, i) => ok(c.faAddDup2(fa, theirs[i]!, Number(fdText)), 'posix_spawn_file_actions_adddup2', file));
    ok(c.faAddChdir(fa, opts.cwd), 'posix_spawn_file_actions_addchdir_np', opts.cwd);
    ok(c.attrInit(attr), 'posix_spawnattr_init', file);
    attrReady = true;
    const all = Buffer.alloc(SIGSET_SIZE);
    const none = Buffer.alloc(SIGSET_SIZE);
    c.sigfillset(all);
    c.sigemptyset(none);
    ok(c.attrSetSigDefault(attr, all), 'posix_spawnattr_setsigdefault', file);
    ok(c.attrSetSigMask(attr, none), 'posix_spawnattr_setsigmask', file);
    ok(c.attrSetFlags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID), 'posix_spawnattr_setflags', file);
    const env = Object.entries(opts.env).map(([k, v]) => `${k}=${v}`);
    const pid: [number] = [0];
    watchChildren();
    ok(c.posixSpawn(pid, file, fa, attr, [file, ...args, null], [...env, null]), 'posix_spawn', file);
    const pipes = new Map<number, net.Socket>();
    for (const [childFd, fd] of ends) {
      const fromChild = opts.pipes[childFd] === 'from-child';
      pipes.set(childFd, new net.Socket({ fd, readable: fromChild, writable: !fromChild }));
    }
    ours.length = 0;
    return { pid: pid[0], pipes, exited: reapLater(pid[0]) };
  } finally {
    if (faReady) c.faDestroy(fa);
    if (attrReady) c.attrDestroy(attr);
    for (const fd of [...theirs, ...ours]) fs.closeSync(fd);
  }
}

const pending = new Map<number, (code: number) => void>();
let watching = false;
let poll: NodeJS.Timeout | undefined;

function watchChildren(): void {
  if (watching) return;
  watching = true;
  // A signal listener does not keep the daemon alive (Node unrefs it).
  process.on('SIGCHLD', reap);
}

function reapLater(pid: number): Promise<number> {
  return new Promise((resolve) => {
    pending.set(pid, resolve);
    poll ??= setInterval(reap, POLL_MS).unref();
    // It may be gone already (a SIGCHLD handled before it was listed).
    setImmediate(reap);
  });
}

function reap(): void {
  const c = load();
  for (const [pid, resolve] of pending) {
    const status: [number] = [0];
    const rc = c.waitpid(pid, status, WNOHANG);
    if (rc === 0) continue;
    if (rc < 0) {
      const errno = c.errno();
      if (errno === EINTR) continue;
      // ECHILD: someone else reaped it; nothing more will be learned.
      if (errno !== ECHILD) continue;
      pending.delete(pid);
      resolve(255);
      continue;
    }
    pending.delete(pid);
    const s = status[0];
    resolve((s & 0x7f) === 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f));
  }
  if (pending.size === 0 && poll) {
    clearInterval(poll);
    poll = undefined;
  }
}
