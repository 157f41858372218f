// One layer of a pull, unpacked while it downloads:
//
//   registry --GET--> keyed ingest file
//                          |
//                          +--tail--> worker thread: sha256 of the blob; decompress --> tar --> snapshotter's dir
//
// The download appends to the ingest; the extraction reads the same file
// behind it (a tail that waits for more bytes), so download, decompression
// and unpacking overlap instead of following each other. A layer whose parent
// is not unpacked yet keeps downloading into the file, and its extraction
// catches up from there once the parent is in.
//
// Two pulls of the same layer (same registry and repository) share the keyed
// ingest: the second waits for the first to store the blob, then reads it.
//
// The blob's digest is computed by the unpacker's thread, from the bytes it
// reads back (the download's thread only receives and writes them): the
// unpack fails unless they match the layer's digest, so the snapshotter
// drops its temp dir and nothing becomes visible, and the ingest is
// committed under the digest the unpacker computed (fsynced and stored
// after the unpack; the pull fails if that fails, and what it unpacked is
// collected). A layer that is not unpacked from the tail (unpacked
// meanwhile by another pull, or its unpack failed) has its file hashed
// here before the commit. A download that fails for good reaches the
// unpacker as an error instead of an end.

import * as fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Descriptor } from '../../core/distribution.ts';
import { internal, isCode, unavailable, wrap } from '../../core/errors.ts';
import type { Snapshotter } from '../../core/snapshot.ts';
import type { ContentStore, Ingest } from '../../stores/content.ts';
import { CopyBehind, WriteBehind } from '../../stores/write-behind.ts';
import type { LeanResponse } from './lean-get.ts';
import { ReadBuffers, workerUnpacker } from '../unpack.ts';
import type { RegistryClient } from './client.ts';
import type { LayerProgress } from './progress.ts';

const READ_CHUNK = 1 << 20;
/** Read buffers kept for reuse: the unpacker's 8 MiB in flight and a few more. */
const SPARE_READS = 12;

/** Errors that retrying the same request cannot cure. */
const final = (err: unknown) => isCode(err, 'not_found') || isCode(err, 'unauthorized') || isCode(err, 'forbidden') || isCode(err, 'invalid_argument');

export class LayerDownload {
  readonly layer: Descriptor;
  readonly #content: ContentStore;
  readonly #client: RegistryClient;
  readonly #what: string;
  readonly #p: LayerProgress;
  #fd: fs.promises.FileHandle | null = null;
  /** The tail's read buffers, handed back by the unpacker once decompressed (so the read-back faults in no fresh memory). */
  readonly ring = new ReadBuffers(READ_CHUNK, SPARE_READS);
  /** Bytes in the ingest file a reader may take. */
  #written = 0;
  #opened = false;
  #committed = false;
  /** All bytes are in the ingest (not yet checked against the digest). */
  #fetched = false;
  /** The digest the unpacker computed from the ingest's bytes; 'self': hash the file here. */
  #hashed: string | null = null;
  /** Stored by a concurrent pull of the same layer while this one waited for the ingest: nothing fetched. */
  #stored = false;
  #error: Error | null = null;
  #cancelled: Error | null = null;
  #body: { destroy(err?: Error): void } | null = null;
  #wake: Array<() => void> = [];
  #run: Promise<void> | null = null;
  #finish: () => void = () => {};
  readonly #finished = new Promise<void>((r) => { this.#finish = r; });

  constructor(content: ContentStore, client: RegistryClient, what: string, layer: Descriptor, p: LayerProgress) {
    this.#content = content;
    this.#client = client;
    this.#what = what;
    this.layer = layer;
    this.#p = p;
  }

  /** Verified and stored as a blob. */
  get committed(): boolean { return this.#committed; }
  /** Why the download failed for good (already wrapped with image, layer and registry). */
  get error(): Error | null { return this.#error; }

  /** Runs the download once (later calls return the same promise). */
  start(): Promise<void> {
    this.#run ??= this.#download().then(() => this.#finish(), (err) => {
      this.#error = wrap(err, `pulling ${this.#what}: layer ${this.layer.digest} from ${this.#client.endpoint.host}`);
      this.#notify();
      this.#finish();
      throw this.#error;
    });
    return this.#run;
  }

  /** All the layer's bytes are in the ingest. */
  get fetched(): boolean { return this.#fetched; }

  /** Resolves once the bytes are all in or the download failed: its slot may go to the next layer. */
  untilFetched(): Promise<void> {
    return new Promise<void>((resolve) => {
      const check = () => {
        if (this.#fetched || this.#stored || this.#error || this.#cancelled) resolve();
        else this.#wake.push(check);
      };
      check();
    });
  }

  /** The unpacker hashed the tail: digest of the bytes it read (checked against the layer's at commit). */
  hashed(digest: string): void {
    this.#hashed ??= digest;
    this.#notify();
  }

  /** No unpacker will hash the tail (the layer is unpacked already, or its unpack failed): the commit hashes the file. */
  hashItself(): void {
    this.#hashed ??= 'self';
    this.#notify();
  }

  /** Resolves once the download has finished, whichever way (it does not start it); never rejects. */
  settled(): Promise<void> {
    return this.#finished;
  }

  /** Stops the download (another layer failed): its ingest is kept for a later pull to resume. */
  cancel(reason: Error): void {
    if (this.#cancelled) return;
    this.#cancelled = reason;
    this.#body?.destroy(reason);
    this.#notify();
  }

  /**
   * The layer's bytes as the download writes them; ends after the digest
   * was checked (commit may still be under way), fails if it does not match
   * or the download fails.
   * onRead gets the count of bytes read so far.
   */
  async *tail(onRead: (n: number) => void): AsyncGenerator<Buffer> {
    let pos = 0;
    for (;;) {
      if (this.#error) throw this.#error;
      if (this.#stored) {
        for await (const c of this.#content.createReadStream(this.layer.digest) as AsyncIterable<Buffer>) {
          pos += c.length;
          onRead(pos);
          yield c;
        }
        return;
      }
      if (this.#opened && pos < this.#written) {
        const n = Math.min(this.#written - pos, READ_CHUNK);
        const buf = this.ring.take();
        const { bytesRead } = await this.#fd!.read(buf, 0, n, pos);
        if (bytesRead === 0) throw internal(`ingest of ${this.layer.digest} is shorter than the ${this.#written} bytes written`);
        pos += bytesRead;
        onRead(pos);
        yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
        continue;
      }
      if (this.#fetched) return;
      if (this.#cancelled) throw this.#cancelled;
      await new Promise<void>((r) => this.#wake.push(r));
    }
  }

  /** Closes the reading side; call once no tail is read any more. */
  async dispose(): Promise<void> {
    await this.#fd?.close().catch(() => {});
    this.#fd = null;
  }

  #notify(): void {
    for (const w of this.#wake.splice(0)) w();
  }

  #check(): void {
    if (this.#cancelled) throw this.#cancelled;
  }

  async #download(): Promise<void> {
    this.#check();
    const l = this.layer;
    const ingest = await this.#content.openIngest({
      key: `pull:${this.#client.endpoint.host}/${this.#client.repo}@${l.digest}`, algorithm: l.digest.split(':')[0]!, maxSize: l.size,
      hash: false,
    });
    try {
      this.#check();
      // Another pull of this layer held the ingest until it stored the blob: read that instead.
      if (await this.#content.has(l.digest)) {
        await ingest.abort();
        this.#stored = true;
        this.#fetched = true;
        this.#committed = true;
        this.#notify();
        this.#p.status('Download complete');
        return;
      }
      // Opened before any commit can rename the file: the descriptor follows it.
      this.#fd = await fs.promises.open(ingest.path, 'r');
      this.#written = ingest.offset;
      this.#opened = true;
      this.#notify();
      // A resumed ingest may hold every byte already (cut while it waited for its digest).
      if (ingest.offset < l.size) await this.#fetch(ingest);
      this.#p.status('Verifying Checksum');
      this.#fetched = true;
      this.#notify();
      this.#p.status('Download complete');
      // Flushed to disk while the unpacker finishes rather than after it (commit fsyncs what is left).
      const synced = ingest.syncEarly().catch(() => {});
      while (this.#hashed === null) {
        this.#check();
        await new Promise<void>((r) => this.#wake.push(r));
      }
      await synced;
      await ingest.commit({ digest: l.digest, size: l.size }, undefined, this.#hashed === 'self' ? undefined : this.#hashed);
      this.#committed = true;
      this.#notify();
    } catch (err) {
      // A blob that failed verification must not be resumed from; a cut one is kept for the next pull.
      if (isCode(err, 'invalid_argument')) await ingest.abort().catch(() => {});
      else await ingest.release().catch(() => {});
      throw err;
    }
  }

  /**
   * Appends the blob to the ingest; a cut connection resumes from what is there (three tries).
   * Over plain http the body is read into one reused buffer and copied into two slabs written in
   * turn (lean-get.ts: no buffer allocated per socket read); otherwise (https, a redirect, a
   * chunked body) through Node's client, the socket read while the previous bytes are written
   * (src/stores/write-behind.ts).
   */
  async #fetch(ingest: Ingest): Promise<void> {
    const l = this.layer;
    const onWritten = () => {
      this.#written = ingest.offset;
      this.#notify();
      this.#p.update('Downloading', ingest.offset, l.size);
    };
    for (let attempts = 1; ; attempts++) {
      this.#check();
      let w: { flush(): Promise<void> } | null = null;
      try {
        const lean = await this.#client.leanBlob(l.digest, ingest.offset);
        if (lean) {
          const cw = new CopyBehind(ingest, onWritten);
          w = cw;
          await this.#pump(ingest, lean.offset, lean.res, (c) => cw.push(c));
        } else {
          const ww = new WriteBehind(ingest, onWritten);
          w = ww;
          const { body, offset } = await this.#client.getBlob(l.digest, ingest.offset);
          await this.#pump(ingest, offset, streamBody(body), (c) => {
            ww.push(c);
            return ww.full ? ww.flush() : null;
          });
        }
        await w.flush();
        this.#check();
        if (ingest.offset < l.size) throw unavailable(`connection closed after ${ingest.offset} of ${l.size} bytes`);
        return;
      } catch (err) {
        // What did arrive is good: in the ingest before a resume asks for the rest.
        const wrote = w ? await w.flush().then(() => null, (e: unknown) => e) : null;
        this.#check();
        if (wrote) throw wrote;
        if (final(err) || attempts >= 3) throw err;
        await new Promise((r) => setTimeout(r, 200 * attempts));
      }
    }
  }

  /** Feeds a body that starts at `offset` to push, from the ingest's end on (a registry that ignores the Range sends it all again). */
  async #pump(ingest: Ingest, offset: number, body: BlobBody, push: (c: Buffer) => Promise<void> | null): Promise<void> {
    this.#body = body;
    if (this.#cancelled) body.destroy(this.#cancelled);
    let skip = offset === 0 ? ingest.offset : 0;
    try {
      await body.pump((chunk) => {
        let c = chunk;
        if (skip) {
          if (c.length <= skip) { skip -= c.length; return null; }
          c = c.subarray(skip);
          skip = 0;
        }
        return push(c);
      });
    } finally {
      this.#body = null;
    }
  }
}

/** A response body fed chunk by chunk; reading waits while the consumer's promise is pending. */
type BlobBody = Pick<LeanResponse, 'pump' | 'destroy'>;

/**
 * Node's response as a BlobBody: 'data' events rather than an async iterator (no promise and
 * no buffer concatenation per socket read). A connection closed early ends it too: the
 * caller's size check says so.
 */
function streamBody(body: IncomingMessage): BlobBody {
  return {
    destroy: (err) => body.destroy(err),
    pump: (onChunk) => new Promise<void>((resolve, reject) => {
      body.on('data', (chunk: Buffer) => {
        let wait: Promise<void> | null;
        try {
          wait = onChunk(chunk);
        } catch (err) {
          body.destroy();
          reject(err);
          return;
        }
        if (wait) {
          body.pause();
          wait.then(() => body.resume(), (err: unknown) => { body.destroy(); reject(err); });
        }
      });
      body.once('error', reject);
      body.once('end', resolve);
      body.once('close', resolve);
    }),
  };
}

export interface ExtractDeps {
  snapshotter: Snapshotter;
  content: ContentStore;
  maxCompressionRatio?: number;
}

/**
 * Unpacks one layer as chainId on parent, from its download's tail or, when
 * the blob was already stored, from the blob; returns the unpacked size.
 * Extraction progress is shown once the download is complete (before that
 * the layer shows its download).
 */
export async function extractLayer(
  deps: ExtractDeps, l: Descriptor, chainId: string, parent: string | null, diffId: string, what: string,
  p: LayerProgress, from: LayerDownload | null,
): Promise<number> {
  let restarted = false;
  const onRead = (n: number) => {
    if (from && !from.fetched) return;
    if (!restarted) { p.restart(); restarted = true; }
    p.update('Extracting', n, l.size);
  };
  const src = from ? from.tail(onRead) : countBytes(deps.content.createReadStream(l.digest) as AsyncIterable<Buffer>, onRead);
  // The download's blob is hashed by the unpacker's thread, and checked there.
  const verify = from ? { digest: l.digest, size: l.size, onHashed: (d: string) => from.hashed(d) } : undefined;
  let res;
  try {
    res = await deps.snapshotter.applyLayer(chainId, parent, workerUnpacker(src, { maxRatio: deps.maxCompressionRatio ?? 0 }, verify, from?.ring));
  } catch (err) {
    // A download that failed explains a failed extraction better than the unpacker does.
    if (from) {
      from.hashItself();
      await from.settled();
      if (from.error) throw from.error;
    }
    throw wrap(err, `pulling ${what}: extracting layer ${l.digest}`);
  } finally {
    void src.return(undefined).catch(() => {});
  }
  if (res.diffId !== diffId) {
    await deps.snapshotter.removeLayer(chainId).catch(() => {});
    throw internal(`pulling ${what}: layer ${l.digest} unpacks to ${res.diffId}, but the image config says ${diffId}`);
  }
  p.update('Extracting', l.size, l.size, true);
  return res.size;
}

async function* countBytes(src: AsyncIterable<Buffer>, onRead: (n: number) => void): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const c of src) {
    n += c.length;
    onRead(n);
    yield c;
  }
}
