// Many small pieces (log lines, stream frames) onto one HTTP response
// without a write per piece: a chunked response pays a syscall and a chunk
// header per write, which held `docker logs` to a few MB/s. Pieces are
// gathered and written together once 64 KiB are waiting, or on the next
// turn of the event loop, so a follower still sees a lone line at once.

import { writeChunk } from './http.ts';

const HIGH_WATER = 64 * 1024;

export class BatchWriter {
  readonly #res: NodeJS.WritableStream & { destroyed?: boolean };
  #parts: Buffer[] = [];
  #bytes = 0;
  #scheduled = false;
  #writing: Promise<void> = Promise.resolve();

  constructor(res: NodeJS.WritableStream & { destroyed?: boolean }) {
    this.#res = res;
  }

  /** Queues a piece; returns a promise (to await) only when the caller should wait for the client. */
  push(piece: Buffer): Promise<void> | undefined {
    this.#parts.push(piece);
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
    const bytes = this.#bytes;
    this.#parts = [];
    this.#bytes = 0;
    // Small pieces are joined; a large one (a run of log lines) goes as it is, not copied again.
    const pieces: Buffer[] = [];
    let small: Buffer[] = [];
    const join = () => {
      if (small.length > 0) pieces.push(small.length === 1 ? small[0]! : Buffer.concat(small));
      small = [];
    };
    if (parts.length === 1 || bytes < HIGH_WATER) {
      pieces.push(parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes));
    } else {
      for (const p of parts) {
        if (p.length >= HIGH_WATER) {
          join();
          pieces.push(p);
        } else {
          small.push(p);
        }
      }
      join();
    }
    this.#writing = this.#writing.then(async () => {
      for (const piece of pieces) await writeChunk(this.#res, piece);
    });
    return this.#writing;
  }
}
