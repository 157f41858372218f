// Many small pieces (log lines, stream frames) onto one HTTP response
// without a write per piece: a chunked response pays a syscall and a chunk
// header per write, which held `docker logs` to a few MB/s. Pieces are
// gathered and written together once 64 KiB are waiting, or on the next
// turn of the event loop, so a follower still sees a lone line at once.
// A piece may come with a `release` (a log chunk lent from its reader's
// block, log-blocks.ts): called once the piece's bytes are copied into a
// joined write or the socket has written them, never before.

import { writeChunk } from './http.ts';

const HIGH_WATER = 64 * 1024;

export class BatchWriter {
  readonly #res: NodeJS.WritableStream & { destroyed?: boolean };
  #parts: Buffer[] = [];
  #releases: Array<(() => void) | undefined> = [];
  #bytes = 0;
  #scheduled = false;
  #writing: Promise<void> = Promise.resolve();

  constructor(res: NodeJS.WritableStream & { destroyed?: boolean }) {
    this.#res = res;
  }

  /** Queues a piece; returns a promise (to await) only when the caller should wait for the client. */
  push(piece: Buffer, release?: () => void): Promise<void> | undefined {
    this.#parts.push(piece);
    this.#releases.push(release);
    this.#bytes += piece.length;
    if (this.#bytes >= HIGH_WATER) return this.flush();
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        void this.flush();
      });
    }
    return undefined;
  }

  /** Writes what is queued; resolves when the response has taken it (drain). */
  flush(): Promise<void> {
    if (this.#bytes === 0) return this.#writing;
    const parts = this.#parts;
    const releases = this.#releases;
    const bytes = this.#bytes;
    this.#parts = [];
    this.#releases = [];
    this.#bytes = 0;
    // Small pieces are joined; a large one (a run of log lines) goes as it is, not copied again.
    const pieces: Array<{ data: Buffer; release?: () => void }> = [];
    let small: number[] = [];
    const join = () => {
      if (small.length === 1) pieces.push({ data: parts[small[0]!]!, release: releases[small[0]!] });
      else if (small.length > 1) {
        pieces.push({ data: Buffer.concat(small.map((i) => parts[i]!)) });
        for (const i of small) releases[i]?.();
      }
      small = [];
    };
    if (parts.length === 1 || bytes < HIGH_WATER) {
      small = parts.map((_p, i) => i);
      join();
    } else {
      for (const [i, p] of parts.entries()) {
        if (p.length >= HIGH_WATER) {
          join();
          pieces.push({ data: p, release: releases[i] });
        } else {
          small.push(i);
        }
      }
      join();
    }
    this.#writing = this.#writing.then(async () => {
      for (const piece of pieces) await writeChunk(this.#res, piece.data, piece.release);
    });
    return this.#writing;
  }
}
