// Unpacking a layer in a worker thread. A pull's thread receives, hashes
// and stores the compressed bytes; decompressing them, parsing the tar,
// hashing it for the diffID and tens of thousands of synchronous file
// writes all happen in the worker (unpack-worker.ts), and so does their
// garbage: the worker has its own heap with a young generation sized for
// streaming (the daemon's own is kept at 1 MiB for its resident size).
//
//   const u = workerUnpacker(bytes, { maxRatio });     // bytes: AsyncIterable<Buffer>
//   await snapshotter.applyLayer(chainId, parent, u);  // the snapshotter picks the directory
//
// With `verify`, the worker also hashes every byte it is sent (the
// compressed blob as downloaded: a pull's download then need not hash on
// its own thread) and the unpack fails unless digest and size match, so a
// layer from bytes that do not match is never committed.
//
// The bytes go over as transferred ArrayBuffers (no copy when a chunk owns
// its buffer), at most IN_FLIGHT bytes ahead of what the worker has taken.
// Given a ReadBuffers ring, the source's chunks that are views of the ring's
// buffers go over whole (no copy for a short read), and once the worker's
// codec has finished with one (decompressed it: gzip and zstd only) the
// worker transfers it back into the ring, so a source that reads into
// ring.take() reuses a few buffers instead of a fresh one (a page fault per
// 4 KiB) per chunk. A buffer that does not come back is garbage as before.
// A source that fails aborts the worker, and unpack() settles only once the
// worker has stopped: the snapshotter then removes its temp dir with no
// writer left in it. Workers are kept a few seconds for the next layer.

import { Worker } from 'node:worker_threads';
import type { ApplyResult, LayerUnpacker } from '../core/snapshot.ts';
import { BerthError, type ErrorCode, internal, invalid } from '../core/errors.ts';
import type { DecompressLimits } from './compression.ts';
import type { IdMaps } from '../core/idmap.ts';

export interface UnpackJob {
  root: string | null;
  whiteouts: 'overlay' | 'delete';
  limits: Partial<Record<'maxBytes' | 'maxFiles' | 'maxRatio', number>>;
  /** Detect and decompress the bytes with these limits; null: they are a plain tar. */
  decompress: DecompressLimits | null;
  /** --userns-remap: owners shifted to the mapped host IDs. */
  idMaps?: IdMaps;
  /** Hash every byte sent with this algorithm and answer the digest once they have all come. */
  hash?: string;
  /** Send each chunk's buffer back ('back') once the codec has finished with it. */
  recycle?: boolean;
}

/** The source's own digest and size, checked by the unpack; onHashed hears what was computed, match or not. */
export interface VerifySource {
  digest: string;
  size: number;
  onHashed(digest: string, size: number): void;
}

export type ToWorker =
  | { t: 'start'; job: UnpackJob }
  | { t: 'data'; buf: Uint8Array }
  | { t: 'end' }
  | { t: 'abort'; message: string };

export type ToMain =
  | { t: 'ack'; n: number }
  | { t: 'back'; buf: ArrayBuffer }
  | { t: 'done'; result: ApplyResult; hashed?: { digest: string; size: number } }
  | { t: 'error'; code: ErrorCode; message: string };

const IN_FLIGHT = 8 << 20;
const IDLE_MS = 10_000;
const MAX_IDLE = 2;
/** The worker's young generation: big enough that streaming 1 MiB chunks does not scavenge at every few chunks. */
const YOUNG_MB = 48;

const workerFile = new URL(import.meta.url.endsWith('.ts') ? './unpack-worker.ts' : './unpack-worker.js', import.meta.url);

const idle: Array<{ w: Worker; timer: NodeJS.Timeout }> = [];

function take(): Worker {
  const got = idle.pop();
  if (got) {
    clearTimeout(got.timer);
    got.w.ref();
    return got.w;
  }
  return new Worker(workerFile, { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB } });
}

function giveBack(w: Worker): void {
  if (idle.length >= MAX_IDLE) { void w.terminate(); return; }
  w.unref();
  const timer = setTimeout(() => {
    const i = idle.findIndex((e) => e.w === w);
    if (i >= 0) idle.splice(i, 1);
    void w.terminate();
  }, IDLE_MS);
  timer.unref();
  idle.push({ w, timer });
}

/** Read buffers of one size that the unpacker's worker hands back once it has decompressed them. */
export class ReadBuffers {
  readonly #size: number;
  readonly #max: number;
  readonly #spare: ArrayBuffer[] = [];
  readonly #ours = new WeakSet<ArrayBuffer>();
  #allocated = 0;

  /** size: bytes per buffer; max: most kept spare (the rest are left to the GC). */
  constructor(size: number, max: number) {
    this.#size = size;
    this.#max = max;
  }

  /** A buffer of `size` bytes to read into: a returned one when there is one. */
  take(): Buffer {
    let ab = this.#spare.pop();
    if (!ab) {
      ab = new ArrayBuffer(this.#size);
      this.#ours.add(ab);
      this.#allocated++;
    }
    return Buffer.from(ab, 0, this.#size);
  }

  /** Buffers allocated so far (the rest of take()'s were reused). */
  get allocated(): number { return this.#allocated; }

  /** Whether ab is one of this ring's buffers. */
  owns(ab: ArrayBufferLike): boolean {
    return ab instanceof ArrayBuffer && this.#ours.has(ab);
  }

  /** ab, one of this ring's buffers come back from the worker (a new object for the same memory), is free again. */
  give(ab: ArrayBuffer): void {
    if (this.#spare.length >= this.#max || ab.byteLength !== this.#size) return;
    this.#ours.add(ab);
    this.#spare.push(ab);
  }
}

/** A layer unpacker that reads `bytes` (compressed or not when decompress is given) in a worker thread. */
export function workerUnpacker(
  bytes: AsyncIterable<Buffer>, decompress: DecompressLimits | null, verify?: VerifySource, ring?: ReadBuffers,
): LayerUnpacker {
  const hash = verify ? { hash: verify.digest.slice(0, verify.digest.indexOf(':')) } : {};
  return {
    unpack: (to) => unpackInWorker(bytes, { ...to, decompress, ...hash, ...(ring ? { recycle: true } : {}) }, verify, ring),
  };
}

function checkHashed(m: Extract<ToMain, { t: 'done' }>, verify: VerifySource): void {
  if (!m.hashed) throw internal('the layer unpacker thread did not hash the layer');
  verify.onHashed(m.hashed.digest, m.hashed.size);
  if (m.hashed.size !== verify.size) throw invalid(`blob size ${m.hashed.size} does not match the expected ${verify.size} bytes`);
  if (m.hashed.digest !== verify.digest) throw invalid(`blob digest ${m.hashed.digest} does not match the expected ${verify.digest}`);
}

async function unpackInWorker(bytes: AsyncIterable<Buffer>, job: UnpackJob, verify?: VerifySource, ring?: ReadBuffers): Promise<ApplyResult> {
  const w = take();
  let inFlight = 0;
  let wake: (() => void) | null = null;
  let settled = false;
  let sourceError: unknown = null;
  let healthy = true;
  const outcome = new Promise<ApplyResult>((resolve, reject) => {
    const finish = (fn: () => void) => {
      settled = true;
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
      fn();
      const k = wake;
      wake = null;
      k?.();
    };
    const onMessage = (m: ToMain) => {
      if (m.t === 'ack') {
        inFlight -= m.n;
        const k = wake;
        wake = null;
        k?.();
      } else if (m.t === 'back') {
        ring?.give(m.buf);
      } else if (m.t === 'done') {
        finish(() => {
          try {
            if (verify) checkHashed(m, verify);
            resolve(m.result);
          } catch (err) {
            reject(err);
          }
        });
      } else {
        finish(() => reject(new BerthError(m.code, m.message)));
      }
    };
    const onError = (err: Error) => { healthy = false; finish(() => reject(internal(`layer unpacker thread failed: ${err.message}`, err))); };
    const onExit = (code: number) => { healthy = false; finish(() => reject(internal(`layer unpacker thread exited (${code})`))); };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
  });
  // Read by the caller below; a rejection seen only here must not count as unhandled.
  outcome.catch(() => {});
  w.postMessage({ t: 'start', job } satisfies ToWorker);
  const it = bytes[Symbol.asyncIterator]();
  try {
    while (!settled) {
      const r = await it.next();
      if (r.done || settled) break;
      const buf = ownBuffer(r.value, ring);
      inFlight += buf.byteLength;
      w.postMessage({ t: 'data', buf } satisfies ToWorker, [buf.buffer as ArrayBuffer]);
      while (inFlight > IN_FLIGHT && !settled) await new Promise<void>((k) => { wake = k; });
    }
    if (!settled) w.postMessage({ t: 'end' } satisfies ToWorker);
  } catch (err) {
    sourceError = err;
    if (!settled) w.postMessage({ t: 'abort', message: err instanceof Error ? err.message : String(err) } satisfies ToWorker);
  } finally {
    if (settled) void it.return?.(undefined)?.catch(() => {});
  }
  try {
    const result = await outcome;
    if (sourceError) throw sourceError;
    return result;
  } catch (err) {
    // The source's failure explains the worker's (it was told to stop).
    throw sourceError ?? err;
  } finally {
    // A worker whose layer failed may hold state nobody wants to reason about: a fresh one next time.
    if (healthy && !sourceError && await outcome.then(() => true, () => false)) giveBack(w);
    else if (healthy) void w.terminate();
  }
}

/**
 * A Uint8Array over an ArrayBuffer of its own, which can be transferred (a
 * copy when the chunk is a slice of a pool); a view of a ring's buffer as it is.
 */
function ownBuffer(c: Buffer, ring?: ReadBuffers): Uint8Array {
  if (ring?.owns(c.buffer)) return new Uint8Array(c.buffer as ArrayBuffer, c.byteOffset, c.byteLength);
  if (c.byteOffset === 0 && c.byteLength === c.buffer.byteLength && c.buffer instanceof ArrayBuffer) {
    return new Uint8Array(c.buffer, 0, c.byteLength);
  }
  return new Uint8Array(c);
}
