// A stored blob as a response body. On a plain TCP connection the bytes go
// from the file to the socket by sendfile(2) (src/sys/sendfile.ts), never
// through JavaScript: the server's own cost per byte is what limits big
// blob GETs. When the socket buffer is full, one small chunk is written the
// ordinary way, so libuv's event loop does the waiting until the client
// reads (no thread is parked on a slow client), then sendfile goes on.
// TLS connections, and a response not yet given its socket (a pipelined
// request), stream through node:fs as usual.

import * as fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { sendfileNonBlocking } from '../sys/sendfile.ts';

/** Bytes written the ordinary way when the socket is full (lets libuv wait for room). */
const WAIT_CHUNK = 64 * 1024;
/** Sent in one go before the event loop gets a turn. */
const SLICE = 8 << 20;

type RawSocket = Socket & { _handle?: { fd?: number }; encrypted?: boolean };

function rawFd(res: ServerResponse): { sock: RawSocket; fd: number } | null {
  if (process.platform !== 'linux') return null;
  const sock = res.socket as RawSocket | null;
  if (!sock || sock.encrypted || sock.destroyed) return null;
  const fd = sock._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? { sock, fd } : null;
}

function written(sock: Socket, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => sock.write(chunk, (err) => (err ? reject(err) : resolve())));
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
 * Writes status and headers, then `length` bytes of the file at `path` from
 * `start`, and ends the response. A client that goes away ends it early
 * (the connection is destroyed); resolves either way.
 */
export async function sendFileBody(
  res: ServerResponse, status: number, headers: Record<string, string | number>, path: string, start: number, length: number,
): Promise<void> {
  const raw = rawFd(res);
  if (!raw) return streamBody(res, status, headers, path, start, length);
  const fileFd = fs.openSync(path, 'r');
  try {
    res.writeHead(status, headers);
    res.flushHeaders();
    const { sock, fd } = raw;
    // The header bytes must be on the wire before the body goes around Node.
    if (sock.writableLength > 0 || sock.writableCorked) await written(sock, Buffer.alloc(0));
    let pos = start;
    let left = length;
    let slice = 0;
    while (left > 0) {
      if (sock.destroyed) return;
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
      if (chunk.length === 0) throw new Error(`${path} ended ${left} bytes early`);
      await written(sock, chunk);
      pos += chunk.length;
      left -= chunk.length;
    }
    res.end();
  } catch {
    // The peer left (EPIPE, ECONNRESET) or the file went: nothing more can be said on this connection.
    res.destroy();
  } finally {
    fs.closeSync(fileFd);
  }
}

async function streamBody(
  res: ServerResponse, status: number, headers: Record<string, string | number>, path: string, start: number, length: number,
): Promise<void> {
  const stream = fs.createReadStream(path, { start, end: start + length - 1, highWaterMark: 1 << 20 });
  await new Promise<void>((resolve) => {
    stream.once('open', () => {
      res.writeHead(status, headers);
      stream.pipe(res);
    });
    stream.on('error', () => { res.destroy(); resolve(); });
    res.on('close', () => { stream.destroy(); resolve(); });
  });
}
