// The worker side of src/images/unpack.ts: one layer at a time, the bytes
// arrive as messages (compressed or not, as fetched), are decompressed,
// parsed and written here by applyTar (the same hostile-tar checks as in
// the daemon's thread), and only the result or the error goes back.
//
//   main -> worker   { t: 'start', job }   a layer begins
//                    { t: 'data', buf }    its next bytes (transferred, not copied)
//                    { t: 'end' }          no more bytes
//                    { t: 'abort', message }  the source failed: stop, write nothing more
//   worker -> main   { t: 'ack', n }       n bytes taken off the queue (flow control)
//                    { t: 'back', buf }    a chunk's buffer, decompressed and free again (job.recycle)
//                    { t: 'done', result, hashed? } | { t: 'error', code, message }
//
// A job with `hash` hashes each chunk as it arrives, whether the unpacker
// reads it or not (bytes after the tar's end count too), and answers 'done'
// only after 'end', with the digest of everything sent.
//
// The main thread waits for 'done' or 'error' before it touches the
// directory, so nothing is still writing when a failed layer's temp dir goes.

import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { BerthError } from '../core/errors.ts';
import { applyTar } from '../stores/snapshots/apply.ts';
import { TarReader } from '../stores/tar/reader.ts';
import { decompress } from './compression.ts';
import type { UnpackJob, ToMain, ToWorker } from './unpack.ts';

const port = parentPort!;

let queue: Uint8Array[] = [];
let ended = false;
let aborted: Error | null = null;
let wake: (() => void) | null = null;
let hash: Hash | null = null;
let hashAlgorithm = '';
let hashedBytes = 0;
/** With job.recycle: the buffers sent in this job, not yet given back. */
let lent = new Set<ArrayBuffer>();
let recycle = false;

/** The codec has finished with chunk: its buffer goes back to the main thread (transferred) if it was sent whole. */
function consumed(chunk: Buffer): void {
  const ab = chunk.buffer;
  if (!(ab instanceof ArrayBuffer) || !lent.delete(ab)) return;
  port.postMessage({ t: 'back', buf: ab } satisfies ToMain, [ab]);
}

async function* source(): AsyncGenerator<Buffer> {
  for (;;) {
    if (aborted) throw aborted;
    const buf = queue.shift();
    if (buf) {
      port.postMessage({ t: 'ack', n: buf.byteLength } satisfies ToMain);
      yield Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
      continue;
    }
    if (ended) return;
    await new Promise<void>((r) => { wake = r; });
  }
}

async function run(job: UnpackJob): Promise<void> {
  const src = source();
  let stream: NodeJS.ReadableStream & { destroy(): void } | null = null;
  try {
    const input = job.decompress
      ? (stream = (await decompress(src, job.decompress, job.recycle ? consumed : undefined)).stream)
      : src;
    const limits = job.limits;
    const result = job.root === null
      ? await digestOnly(input, limits.maxBytes)
      : await applyTar(input, { root: job.root, whiteouts: job.whiteouts, limits, ...(job.idMaps ? { idMaps: job.idMaps } : {}) });
    const hashed = hash ? await hashedAll() : undefined;
    port.postMessage({ t: 'done', result, ...(hashed ? { hashed } : {}) } satisfies ToMain);
  } catch (err) {
    const code = err instanceof BerthError ? err.code : 'internal';
    port.postMessage({ t: 'error', code, message: err instanceof Error ? err.message : String(err) } satisfies ToMain);
  } finally {
    stream?.destroy();
    void src.return(undefined).catch(() => {});
  }
}

/** Once the unpacker is done: takes (and acknowledges) the rest of the bytes up to 'end', answers their digest. */
async function hashedAll(): Promise<{ digest: string; size: number }> {
  for (;;) {
    if (aborted) throw aborted;
    for (let buf = queue.shift(); buf; buf = queue.shift()) port.postMessage({ t: 'ack', n: buf.byteLength } satisfies ToMain);
    if (ended) return { digest: `${hashAlgorithm}:${hash!.digest('hex')}`, size: hashedBytes };
    await new Promise<void>((r) => { wake = r; });
  }
}

async function digestOnly(input: AsyncIterable<Buffer> | NodeJS.ReadableStream, maxBytes?: number) {
  const r = new TarReader(input, { ...(maxBytes !== undefined ? { maxBytes } : {}), limitName: 'max-layer-size' });
  while (await r.next());
  return { diffId: r.digest(), size: 0 };
}

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'start':
      // Whatever came after the last layer's result (it may not have read all) is not this layer's.
      queue = [];
      ended = false;
      aborted = null;
      hash = m.job.hash ? createHash(m.job.hash) : null;
      hashAlgorithm = m.job.hash ?? '';
      hashedBytes = 0;
      lent = new Set();
      recycle = m.job.recycle === true;
      void run(m.job);
      return;
    case 'data':
      if (hash) {
        hash.update(m.buf);
        hashedBytes += m.buf.byteLength;
      }
      if (recycle && m.buf.buffer instanceof ArrayBuffer) lent.add(m.buf.buffer);
      queue.push(m.buf);
      break;
    case 'end': ended = true; break;
    case 'abort': aborted = new Error(m.message); break;
  }
  const w = wake;
  wake = null;
  w?.();
});
