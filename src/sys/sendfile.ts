// sendfile(2) through FFI: a file's bytes into a socket without passing
// through JavaScript (Node has no sendfile). The registry serves big blobs
// this way: the reference registry (Go) does too, and copying every byte
// into user space and back costs Node 3-4x the CPU time per GiB.
//
// The socket is libuv's and non-blocking: a call sends what fits in the
// socket buffer and answers how much; 0 with `full` means "wait until the
// socket is writable" (the caller lets libuv do that waiting).

import { createRequire } from 'node:module';
import { SysError } from './libc.ts';

const EAGAIN = 11;
const EINTR = 4;

interface SendfileLibc {
  errno(): number;
  sendfile(outFd: number, inFd: number, offset: [number | bigint], count: number): number;
}

let lib: SendfileLibc | undefined;

function load(): SendfileLibc {
  if (lib) return lib;
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const c = koffi.load('libc.so.6');
  lib = {
    errno: () => koffi.errno(),
    sendfile: c.func('long sendfile(int out_fd, int in_fd, _Inout_ int64_t *offset, size_t count)'),
  };
  return lib;
}

/**
 * Sends up to `count` bytes of `fileFd` from `offset` into `socketFd`
 * without blocking. Returns the bytes sent; 0 when the socket buffer is
 * full. Throws SysError for anything else (EPIPE, ECONNRESET: the peer left).
 */
export function sendfileNonBlocking(socketFd: number, fileFd: number, offset: number, count: number): number {
  const c = load();
  for (;;) {
    const off: [number | bigint] = [offset];
    const n = c.sendfile(socketFd, fileFd, off, count);
    if (n >= 0) return n;
    const errno = c.errno();
    if (errno === EAGAIN) return 0;
    if (errno === EINTR) continue;
    throw new SysError('sendfile', errno, `fd ${socketFd}`);
  }
}
