// A range of a file written onto a plain TCP socket by sendfile(2), the
// bytes never passing through JavaScript: a registry's blob GET answers with
// it, a push's upload bodies go out with it. When the socket buffer is full,
// one small chunk is written the ordinary way, so libuv's event loop does the
// waiting until the peer reads (no thread is parked on a slow peer), then
// sendfile goes on.
//
//   const sock = rawSocket(res.socket);          // null: TLS, or not Linux
//   if (sock) await sendFileRange(sock, fd, start, length);

import * as fs from 'node:fs';
import type { Socket } from 'node:net';
import { sendfileNonBlocking } from './sendfile.ts';

/** Bytes written the ordinary way when the socket is full (lets libuv wait for room). */
const WAIT_CHUNK = 64 * 1024;
/** Sent in one go before the event loop gets a turn. */
const SLICE = 8 << 20;

type RawSocket = Socket & { _handle?: { fd?: number }; encrypted?: boolean };

/** The socket and its descriptor when sendfile can write to it: plain TCP on Linux, still open. */
export function rawSocket(sock: Socket | null | undefined): { sock: Socket; fd: number } | null {
  if (process.platform !== 'linux') return null;
  const s = sock as RawSocket | null | undefined;
  if (!s || s.encrypted || s.destroyed) return null;
  const fd = s._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? { sock: s, fd } : null;
}

function written(sock: Socket, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => sock.write(chunk, (err) => (err ? reject(err) : resolve())));
}

/** What Node still holds for the socket (headers written through it) is on the wire before sendfile writes around it. */
export async function drained(sock: Socket): Promise<void> {
  if (sock.writableLength > 0 || sock.writableCorked) await written(sock, Buffer.alloc(0));
}

/**
 * A synchronous read: the bytes are in the page cache (sendfile's
 * read-ahead put them there), and a hop through libuv's thread pool would add two thread
 * wake-ups to every wait for socket room, each a scheduling delay on a
 * loaded host.
 */
function readAt(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  return buf.subarray(0, fs.readSync(fd, buf, 0, length, position));
}

/**
 * Writes `length` bytes of fileFd from `start` onto the socket (after what
 * Node holds for it). Rejects when the peer goes (EPIPE, ECONNRESET: a
 * SysError) or the file is shorter than asked.
 */
export async function sendFileRange(raw: { sock: Socket; fd: number }, fileFd: number, start: number, length: number): Promise<void> {
  const { sock, fd } = raw;
  await drained(sock);
  let pos = start;
  let left = length;
  let slice = 0;
  while (left > 0) {
    if (sock.destroyed) throw new Error('socket closed');
    const n = sendfileNonBlocking(fd, fileFd, pos, Math.min(left, SLICE));
    if (n > 0) {
      pos += n;
      left -= n;
      slice += n;
      if (slice >= SLICE) {
        slice = 0;
        await new Promise((r) => setImmediate(r));
      }
      continue;
    }
    slice = 0;
    const chunk = readAt(fileFd, Math.min(WAIT_CHUNK, left), pos);
    if (chunk.length === 0) throw new Error(`file ended ${left} bytes early`);
    await written(sock, chunk);
    pos += chunk.length;
    left -= chunk.length;
  }
}
