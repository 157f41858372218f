// The FFI half of berth's in-process network plumbing: netlink sockets and
// network namespaces (socket, send, recv, setns, unshare), which Node lacks.
// Message encoding lives in src/network/rtnl.ts; this module only moves
// bytes and switches the calling thread's network namespace.
//
// Why not `ip` or the CNI plugins: one exec costs 13-17 ms on these
// machines, and a container on a bridge needs several (docs/network.md);
// the same work over a netlink socket takes well under a millisecond.

import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { SysError } from './libc.ts';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
export const CLONE_NEWNET = 0x40000000;

interface NetLibc {
  errno(): number;
  socket(domain: number, type: number, protocol: number): number;
  send(fd: number, buf: Buffer, len: number, flags: number): number;
  recv(fd: number, buf: Buffer, len: number, flags: number): number;
  close(fd: number): number;
  setns(fd: number, nstype: number): number;
  unshare(flags: number): number;
}

let lib: NetLibc | undefined;

function load(): NetLibc {
  if (lib) return lib;
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const c = koffi.load('libc.so.6');
  lib = {
    errno: () => koffi.errno(),
    socket: c.func('int socket(int domain, int type, int protocol)'),
    send: c.func('long send(int fd, const void *buf, size_t len, int flags)'),
    recv: c.func('long recv(int fd, _Out_ void *buf, size_t len, int flags)'),
    close: c.func('int close(int fd)'),
    setns: c.func('int setns(int fd, int nstype)'),
    unshare: c.func('int unshare(int flags)'),
  };
  return lib;
}

function check(rc: number, syscall: string, what: string): number {
  if (rc < 0) throw new SysError(syscall, load().errno(), what);
  return rc;
}

/** A NETLINK_ROUTE socket in the calling thread's current network namespace. */
export function openRouteSocket(): number {
  return check(load().socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), 'socket', 'netlink');
}

export function sendAll(fd: number, buf: Buffer): void {
  const n = check(load().send(fd, buf, buf.length, 0), 'send', 'netlink');
  if (n !== buf.length) throw new SysError('send', 5, 'netlink', `netlink: short send ${n}/${buf.length}`);
}

/** One datagram (blocking); returns the bytes read. */
export function recvInto(fd: number, buf: Buffer): number {
  return check(load().recv(fd, buf, buf.length, 0), 'recv', 'netlink');
}

export function closeFd(fd: number): void {
  load().close(fd);
}

let hostNs: number | undefined;

/** The daemon's own network namespace (opened once: the main thread's at first use). */
function hostNamespaceFd(): number {
  hostNs ??= openSync('/proc/thread-self/ns/net', 'r');
  return hostNs;
}

/**
 * Runs fn with the calling thread inside another network namespace, then
 * returns to the daemon's own. fn must be synchronous: nothing else may run
 * on this thread while it is elsewhere.
 */
export function inNamespace<T>(nsPath: string, fn: () => T): T {
  const home = hostNamespaceFd();
  const fd = openSync(nsPath, 'r');
  try {
    check(load().setns(fd, CLONE_NEWNET), 'setns', nsPath);
    try {
      return fn();
    } finally {
      check(load().setns(home, CLONE_NEWNET), 'setns', 'host network namespace');
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * A new network namespace: the calling thread moves into it, fn runs there
 * (to bind-mount /proc/thread-self/ns/net somewhere, open sockets...), then
 * the thread comes back. Synchronous for the same reason as inNamespace.
 */
export function inNewNamespace<T>(fn: () => T): T {
  const home = hostNamespaceFd();
  check(load().unshare(CLONE_NEWNET), 'unshare', 'CLONE_NEWNET');
  try {
    return fn();
  } finally {
    check(load().setns(home, CLONE_NEWNET), 'setns', 'host network namespace');
  }
}
