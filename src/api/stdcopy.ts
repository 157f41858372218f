// Docker's multiplexed stream framing (pkg/stdcopy), used by logs and
// attach when the container has no TTY: every chunk is preceded by an
// 8-byte header [stream, 0, 0, 0, size as big-endian uint32].

import type { OutputStream } from '../core/runtime.ts';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
/** dockerd's "systemerr" stream: errors of the daemon itself, in band. */
export const SYSTEMERR = 3;

const MAX_FRAME = 0xffffffff;

export function streamId(s: OutputStream): number {
  return s === 'stderr' ? STDERR : STDOUT;
}

/** The frame(s) carrying `payload` on `stream` (more than one only past 4 GiB). */
export function frame(stream: number, payload: Buffer): Buffer {
  const parts: Buffer[] = [];
  let off = 0;
  do {
    const piece = payload.subarray(off, off + MAX_FRAME);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(piece.length, 4);
    parts.push(header, piece);
    off += MAX_FRAME;
  } while (off < payload.length);
  return Buffer.concat(parts);
}

export const MEDIA_RAW = 'application/vnd.docker.raw-stream';
export const MEDIA_MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';
