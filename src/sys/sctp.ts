// SCTP sockets, which Node lacks: only what a published sctp port needs,
// a socket bound to the host address and port so no one else takes it
// (dockerd's "dummy proxy" under --userland-proxy=false). The traffic
// itself goes through iptables DNAT to the container; this socket never
// listens, so a client the rules do not catch is refused by the kernel.
// A kernel built without SCTP (CONFIG_IP_SCTP unset) fails socket() with
// EPROTONOSUPPORT.

import { createRequire } from 'node:module';
import { isIPv6 } from 'node:net';
import { SysError } from './libc.ts';

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_SCTP = 132;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;

interface SockLibc {
  errno(): number;
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  getsockname(fd: number, addr: Buffer, len: Buffer): number;
  close(fd: number): number;
}

let lib: SockLibc | undefined;

function load(): SockLibc {
  if (lib) return lib;
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const c = koffi.load('libc.so.6');
  lib = {
    errno: () => koffi.errno(),
    socket: c.func('int socket(int domain, int type, int protocol)'),
    setsockopt: c.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)'),
    bind: c.func('int bind(int fd, const void *addr, uint32_t len)'),
    getsockname: c.func('int getsockname(int fd, _Out_ void *addr, _Inout_ void *len)'),
    close: c.func('int close(int fd)'),
  };
  return lib;
}

/** sockaddr_in or sockaddr_in6 for an address's 4 or 16 bytes and a port. */
function sockaddr(bytes: Buffer, port: number): Buffer {
  const b = Buffer.alloc(bytes.length === 16 ? 28 : 16);
  b.writeUInt16LE(bytes.length === 16 ? AF_INET6 : AF_INET, 0);
  b.writeUInt16BE(port, 2);
  bytes.copy(b, bytes.length === 16 ? 8 : 4);
  return b;
}

/**
 * An SCTP socket bound to ip (its text, and its 4 or 16 bytes) and port (0:
 * the kernel picks one); returns it and the port bound. An IPv6 one takes
 * only IPv6 (as dockerd's proxies hold each family apart). Throws SysError
 * (code EPROTONOSUPPORT, EADDRINUSE...).
 */
export function bindSctp(ip: string, bytes: Buffer, port: number): { fd: number; port: number } {
  const c = load();
  const what = `sctp ${isIPv6(ip) ? `[${ip}]` : ip}:${port}`;
  const fd = c.socket(isIPv6(ip) ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_SCTP);
  if (fd < 0) throw new SysError('socket', c.errno(), what);
  try {
    if (isIPv6(ip)) {
      const one = Buffer.alloc(4);
      one.writeInt32LE(1);
      if (c.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, one, 4) < 0) throw new SysError('setsockopt', c.errno(), what);
    }
    const addr = sockaddr(bytes, port);
    if (c.bind(fd, addr, addr.length) < 0) throw new SysError('bind', c.errno(), what);
    const out = Buffer.alloc(28);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(out.length);
    if (c.getsockname(fd, out, len) < 0) throw new SysError('getsockname', c.errno(), what);
    return { fd, port: out.readUInt16BE(2) };
  } catch (err) {
    c.close(fd);
    throw err;
  }
}

export function closeSctp(fd: number): void {
  load().close(fd);
}
