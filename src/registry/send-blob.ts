// A stored blob as a response body. On a plain TCP connection the bytes go
// from the file to the socket by sendfile(2) (src/sys/send-file-range.ts),
// never through JavaScript: the server's own cost per byte is what limits
// big blob GETs. TLS connections, and a response not yet given its socket (a pipelined
// request), stream through node:fs as usual.

import * as fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import { rawSocket, sendFileRange } from '../sys/send-file-range.ts';

/**
 * Writes status and headers, then `length` bytes of the file at `path` from
 * `start`, and ends the response. A client that goes away ends it early
 * (the connection is destroyed); resolves either way.
 */
export async function sendFileBody(
  res: ServerResponse, status: number, headers: Record<string, string | number>, path: string, start: number, length: number,
): Promise<void> {
  const raw = rawSocket(res.socket);
  if (!raw) return streamBody(res, status, headers, path, start, length);
  const fileFd = fs.openSync(path, 'r');
  try {
    res.writeHead(status, headers);
    res.flushHeaders();
    await sendFileRange(raw, fileFd, start, length);
    if (raw.sock.destroyed) return;
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
