// Many small pieces (log lines, stream frames) onto one HTTP response
// without a write per piece: a chunked response pays a syscall and a chunk
// header per write, which held `docker logs` to a few MB/s. A small piece
// is copied at once into the batch being filled (a line, its frame header
// and its stamp no longer live on as objects until the batch is written:
// at ~600k lines a second they outlived V8's young generation and most of
// a `logs -t` read was GC); a large one (a run of log lines) goes as it
// is. Batches are written once 64 KiB are waiting, or on the next turn of
// the event loop, so a follower still sees a lone line at once. A piece
// may come with a `release` (a log chunk lent from its reader's block,
// log-blocks.ts): called once its bytes are copied, or once the socket has
// written them, never before.

import { writeChunk } from './http.ts';

const HIGH_WATER = 64 * 1024;
/** Pieces below this are copied into the batch; larger ones are written as they are. */
const COPY_MAX = 16 * 1024;

export class BatchWriter {
  readonly #res: NodeJS.WritableStream & { destroyed?: boolean };
  #parts: Buffer[] = [];
  #releases: Array<(() => void) | undefined> = [];
  /**
   * Where small pieces are copied: the batch being filled is
   * [#accStart, #accLen); bytes before it belong to batches already queued
   * and are never written over (the next pieces go after them, or into a
   * new buffer once this one is full).
   */
  #acc: Buffer | null = null;
  #accStart = 0;
  #accLen = 0;
  #bytes = 0;
  #scheduled = false;
  #writing: Promise<void> = Promise.resolve();

  constructor(res: NodeJS.WritableStream & { destroyed?: boolean }) {
    this.#res = res;
  }

  /** Queues a piece; returns a promise (to await) only when the caller should wait for the client. */
  push(piece: Buffer, release?: () => void): Promise<void> | undefined {
    if (piece.length < COPY_MAX) {
      if (!this.#acc || this.#accLen + piece.length > this.#acc.length) {
        this.#seal();
        this.#acc = Buffer.allocUnsafe(HIGH_WATER);
        this.#accStart = 0;
        this.#accLen = 0;
      }
      piece.copy(this.#acc, this.#accLen);
      this.#accLen += piece.length;
      release?.();
    } else {
      this.#seal();
      this.#parts.push(piece);
      this.#releases.push(release);
    }
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

  /** Ends the batch being filled: what it holds is queued as one piece. */
  #seal(): void {
    if (!this.#acc || this.#accLen === this.#accStart) return;
    this.#parts.push(this.#acc.subarray(this.#accStart, this.#accLen));
    this.#releases.push(undefined);
    this.#accStart = this.#accLen;
  }

  /** Writes what is queued; resolves when the response has taken it (drain). */
  flush(): Promise<void> {
    if (this.#bytes === 0) return this.#writing;
    this.#seal();
    const parts = this.#parts;
    const releases = this.#releases;
    this.#parts = [];
    this.#releases = [];
    this.#bytes = 0;
    this.#writing = this.#writing.then(async () => {
      for (const [i, part] of parts.entries()) await writeChunk(this.#res, part, releases[i]);
    });
    return this.#writing;
  }
}
