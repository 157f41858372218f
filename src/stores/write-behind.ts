// Appending a socket's bytes to an ingest without holding the socket back:
// the next reads go on while the previous bytes are written, and what came
// meanwhile is written next in one writev. A write per 64 KiB socket read,
// each a thread pool round trip awaited before the next read, held a pull's
// download and a registry's upload back on a busy machine.
//
//   const w = new WriteBehind(ingest, () => progress(ingest.offset));
//   body.on('data', (c) => { w.push(c); if (w.full) { body.pause(); w.flush().then(() => body.resume()); } });
//   ...
//   await w.flush();              // everything queued is in the ingest
//
// appendStream(ingest, readable) does exactly that for a whole stream.
//
// CopyBehind is the same for a reader whose chunks are only lent (a buffer
// read into again): each is copied into one of two slabs, one is written
// while the other fills, and the reader waits only when both are busy. The slabs are reused, so a 200 MB blob costs no allocation per read.

import type { Readable } from 'node:stream';
import type { Ingest } from './content.ts';

/** Bytes queued before the reader is asked to pause. */
const WRITE_BEHIND = 8 << 20;

/** Writes chunks to an ingest one batch at a time while more arrive. */
export class WriteBehind {
  readonly #ingest: Ingest;
  readonly #onWritten: () => void;
  #pending: Buffer[] = [];
  #bytes = 0;
  #writing: Promise<void> | null = null;
  #error: unknown = null;

  constructor(ingest: Ingest, onWritten: () => void = () => {}) {
    this.#ingest = ingest;
    this.#onWritten = onWritten;
  }

  /** Queues c (throws a failed write's error); the caller stops reading while full. */
  push(c: Buffer): void {
    if (this.#error) throw this.#error;
    this.#pending.push(c);
    this.#bytes += c.length;
    this.#writing ??= this.#drain();
  }

  get full(): boolean { return this.#bytes >= WRITE_BEHIND; }

  /** Everything queued is written (or the write's error thrown). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (this.#error) throw this.#error;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length && !this.#error) {
        const batch = this.#pending;
        this.#pending = [];
        this.#bytes = 0;
        await this.#ingest.write(batch);
        this.#onWritten();
      }
    } catch (err) {
      this.#error = err;
      this.#pending = [];
      this.#bytes = 0;
    } finally {
      this.#writing = null;
    }
  }
}

const SLAB = 4 << 20;

/** Copies lent chunks into two reused slabs, writing one while the other fills. */
export class CopyBehind {
  readonly #ingest: Ingest;
  readonly #onWritten: () => void;
  #slab: Buffer;
  #spare: Buffer;
  #fill = 0;
  #writing: Promise<void> | null = null;
  #error: unknown = null;
  #waiting: Array<() => void> = [];

  /** slabs: their size, or the two buffers themselves (a caller's reused pair, of one size). */
  constructor(ingest: Ingest, onWritten: () => void = () => {}, slabs: number | readonly [Buffer, Buffer] = SLAB) {
    this.#ingest = ingest;
    this.#onWritten = onWritten;
    [this.#slab, this.#spare] = typeof slabs === 'number' ? [Buffer.allocUnsafe(slabs), Buffer.allocUnsafe(slabs)] : slabs;
  }

  /**
   * Copies c in; null when the reader may go on at once, else a promise to
   * wait for (c must stay as it is until then; rejects with a write's error).
   */
  push(c: Buffer): Promise<void> | null {
    if (this.#error) throw this.#error;
    let p = 0;
    while (p < c.length) {
      if (this.#fill === this.#slab.length) {
        return new Promise<void>((r) => this.#waiting.push(r)).then(() => this.push(c.subarray(p)) ?? undefined);
      }
      const n = c.copy(this.#slab, this.#fill, p);
      this.#fill += n;
      p += n;
      // An idle writer takes what there is now (a reader of the file sees it at once).
      if (!this.#writing) this.#rotate();
    }
    return null;
  }

  /** Everything pushed is written (or the write's error thrown). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (this.#error) throw this.#error;
  }

  /** Starts writing the filled part of the slab; the spare one takes the next bytes. When done, what came meanwhile goes next. */
  #rotate(): void {
    const full = this.#slab.subarray(0, this.#fill);
    [this.#slab, this.#spare] = [this.#spare, this.#slab];
    this.#fill = 0;
    this.#writing = this.#ingest.write(full).then(this.#onWritten, (err: unknown) => { this.#error = err; }).then(() => {
      this.#writing = null;
      if (!this.#error && this.#fill > 0) this.#rotate();
      // A failed write wakes them too: their push throws it.
      for (const w of this.#waiting.splice(0)) w();
    });
  }
}

/**
 * Appends all of src to the ingest; resolves once every byte that arrived
 * is written. A stream that fails or ends early rejects, after what did
 * arrive is written (a resumable upload keeps it). A write that fails
 * destroys src and rejects with the write's error.
 */
export async function appendStream(ingest: Ingest, src: Readable): Promise<void> {
  const w = new WriteBehind(ingest);
  const read = new Promise<void>((resolve, reject) => {
    src.on('data', (c: Buffer | string) => {
      try {
        w.push(typeof c === 'string' ? Buffer.from(c) : c);
      } catch (err) {
        src.destroy();
        reject(err);
        return;
      }
      if (w.full) {
        src.pause();
        w.flush().then(() => src.resume(), (err: unknown) => { src.destroy(); reject(err); });
      }
    });
    src.once('error', reject);
    src.once('end', resolve);
    // Closed without 'end': the request was cut (aborted client).
    src.once('close', () => reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
  });
  let failed: unknown = null;
  await read.catch((err: unknown) => { failed = err; });
  await w.flush();
  if (failed) throw failed;
}
