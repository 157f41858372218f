// Streaming tar writer: entries in, a Readable of tar bytes out, with
// backpressure (the generator only advances when the consumer reads).

import { Readable } from 'node:stream';
import { END_OF_ARCHIVE, encodeHeader, padLength, type TarHeader } from './format.ts';

export interface TarEntry {
  header: TarHeader;
  /** Regular files only: exactly header.size bytes (shorter bodies are zero-filled, longer ones cut). */
  body?: Buffer | AsyncIterable<Buffer>;
}

export async function* tarChunks(entries: AsyncIterable<TarEntry> | Iterable<TarEntry>): AsyncGenerator<Buffer> {
  for await (const { header, body } of entries) {
    yield encodeHeader(header);
    if (header.type !== 'file' || header.size === 0) continue;
    let left = header.size;
    if (Buffer.isBuffer(body)) {
      yield body.subarray(0, left);
      left -= Math.min(left, body.length);
    } else if (body) {
      for await (const chunk of body) {
        if (left === 0) continue; // the file grew while being read: the header already said how much
        const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
        left -= part.length;
        yield part;
      }
    }
    // The file shrank while being read: keep the archive well-formed.
    while (left > 0) {
      const n = Math.min(left, 65536);
      yield Buffer.alloc(n);
      left -= n;
    }
    const pad = padLength(header.size);
    if (pad) yield Buffer.alloc(pad);
  }
  yield END_OF_ARCHIVE;
}

export function tarStream(entries: AsyncIterable<TarEntry> | Iterable<TarEntry>): Readable {
  return Readable.from(tarChunks(entries), { objectMode: false });
}
