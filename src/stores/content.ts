// Content store: immutable blobs addressed by digest (containerd's layout).
//
//   <root>/blobs/sha256/<hex>   finished blobs, never modified
//   <root>/ingest/<random>      blobs being written
//   <root>/ingest/k-<sha256(key)>  keyed ingests (a pull's layer): kept
//                                  across restarts so a cut download resumes
//
// A write streams into an ingest file while hashing, checks digest and size
// against what the caller expected, fsyncs, and renames into place (then
// fsyncs the directory). A reader therefore never sees a half-written blob
// under its name, and a crash leaves at most an ingest file, removed on the
// next start.

import * as fs from 'node:fs';
import { createHash, type Hash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { internal, invalid, notFound, syscallError } from '../core/errors.ts';
import { ALGORITHMS, parseDigest } from './digest.ts';

export { parseDigest };

export interface BlobInfo {
  digest: string;   // "sha256:<hex>"
  size: number;
}

export interface Expected {
  digest?: string;
  size?: number;
}

/** The reading role: what pull/push/export code needs. */
export interface ContentReader {
  has(digest: string): Promise<boolean>;
  /** Throws not_found for a missing blob. */
  info(digest: string): Promise<BlobInfo>;
  readBlob(digest: string): Promise<Buffer>;
  /** range: inclusive byte offsets, as fs.createReadStream takes them. */
  createReadStream(digest: string, range?: { start: number; end: number }): NodeJS.ReadableStream;
  /** Where a stored blob's bytes are on disk, for readers that hand them to the kernel (sendfile); absent for stores not kept in files. */
  path?(digest: string): string;
}

/**
 * One blob being written: appended chunk by chunk (across requests, for a
 * registry's chunked upload), hashed as it goes, and only visible under its
 * digest once commit() has checked digest and size.
 */
export interface Ingest {
  /** Bytes written so far (where a resumed keyed ingest starts). */
  readonly offset: number;
  /**
   * The file holding the bytes written so far, until commit or abort moves or
   * removes it: a reader that follows the write (a pull unpacking a layer as
   * it downloads) opens it before then and reads below `offset`.
   */
  readonly path: string;
  /** Appends; several chunks go out in one writev (no copy into one buffer). */
  write(chunk: Buffer | readonly Buffer[]): Promise<void>;
  /**
   * Verifies, fsyncs and renames into place; the ingest is gone afterwards,
   * whether it succeeds or not. `hold` runs once the digest is known and
   * before the blob becomes visible: a caller takes its lease there, so a
   * collection can never remove the blob (or an identical one already
   * stored) between the rename and the lease.
   * `hashed`: for an ingest opened with `hash: false`, the digest of the
   * file's bytes as the caller computed it while reading them back; without
   * it the file is read and hashed here.
   */
  commit(expected?: Expected, hold?: Hold, hashed?: string): Promise<BlobInfo>;
  /**
   * Flushes the bytes written so far to disk now, while the caller still
   * waits for something else (a pull's unpack): commit's own fsync then
   * finds little left to write. Durability still comes from commit.
   */
  syncEarly(): Promise<void>;
  /** Drops the bytes written. */
  abort(): Promise<void>;
  /** Closes without dropping: a keyed ingest stays to be resumed. */
  release(): Promise<void>;
}

export interface IngestOptions {
  /**
   * Resumable: reopening the same key continues after the bytes already
   * there. A key has one writer at a time: opening a key that is open waits
   * until that ingest commits, aborts or is released (two pulls of one layer
   * would otherwise append to the same file).
   */
  key?: string;
  /** Hash algorithm (default sha256). */
  algorithm?: string;
  /** Bounds offset; write() refuses more. */
  maxSize?: number;
  /**
   * false: write() does not hash (a resumed ingest does not re-read its
   * file either). For a writer whose bytes another thread reads back from
   * the file anyway and hashes there (a pull's unpacker); commit takes the
   * digest it computed, or hashes the file itself.
   */
  hash?: boolean;
}

/** Called with a verified blob just before it becomes visible (see Ingest.commit). */
export type Hold = (blob: BlobInfo) => Promise<void>;

/** The writing role. Writes are idempotent: an existing blob is kept. */
export interface ContentWriter {
  writeBlob(data: Buffer | string, expected?: Expected): Promise<BlobInfo>;
  ingest(src: NodeJS.ReadableStream | AsyncIterable<Buffer>, expected?: Expected, hold?: Hold): Promise<BlobInfo>;
  openIngest(opts?: IngestOptions): Promise<Ingest>;
}

export interface ContentStore extends ContentReader, ContentWriter {
  /** Missing is not an error. */
  delete(digest: string): Promise<void>;
  list(): Promise<BlobInfo[]>;
}

export class FileContentStore implements ContentStore {
  readonly #root: string;
  /** Keyed ingests open in this process: each resolves once its ingest is finished. */
  readonly #keyed = new Map<string, Promise<void>>();

  /** keepIngests: another process owns this store's writes (registry gc beside serve): leave its ingests alone. */
  constructor(root: string, opts: { keepIngests?: boolean } = {}) {
    this.#root = root;
    for (const alg of Object.keys(ALGORITHMS)) fs.mkdirSync(`${root}/blobs/${alg}`, { recursive: true });
    fs.mkdirSync(`${root}/ingest`, { recursive: true });
    if (opts.keepIngests) return;
    // Unkeyed ingests belong to writes that died with the process; keyed ones wait a day for their resume.
    const stale = Date.now() - KEYED_INGEST_TTL_MS;
    for (const name of fs.readdirSync(`${root}/ingest`)) {
      const p = `${root}/ingest/${name}`;
      if (!name.startsWith('k-') || (fs.statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? 0) < stale) fs.rmSync(p, { force: true });
    }
  }

  get root(): string { return this.#root; }

  /** Path of a blob (for callers that hand it to another process). */
  path(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return `${this.#root}/blobs/${algorithm}/${hex}`;
  }

  async has(digest: string): Promise<boolean> {
    try {
      await fs.promises.access(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  async info(digest: string): Promise<BlobInfo> {
    try {
      const st = await fs.promises.stat(this.path(digest));
      return { digest, size: st.size };
    } catch (err) {
      throw missing(err, digest);
    }
  }

  async readBlob(digest: string): Promise<Buffer> {
    try {
      return await fs.promises.readFile(this.path(digest));
    } catch (err) {
      throw missing(err, digest);
    }
  }

  createReadStream(digest: string, range?: { start: number; end: number }): NodeJS.ReadableStream {
    const p = this.path(digest);
    // Check now, so a missing blob is a not_found error at the call, not a stream error later.
    if (!fs.existsSync(p)) throw notFound(`blob ${digest} not found`);
    return fs.createReadStream(p, range ? { start: range.start, end: range.end, highWaterMark: 256 * 1024 } : { highWaterMark: 256 * 1024 });
  }

  async writeBlob(data: Buffer | string, expected?: Expected): Promise<BlobInfo> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    return this.ingest(Readable.from([buf]), expected);
  }

  async ingest(src: NodeJS.ReadableStream | AsyncIterable<Buffer>, expected: Expected = {}, hold?: Hold): Promise<BlobInfo> {
    const w = await this.openIngest({
      ...(expected.digest ? { algorithm: parseDigest(expected.digest).algorithm } : {}),
      ...(expected.size !== undefined ? { maxSize: expected.size } : {}),
    });
    try {
      for await (const c of src as AsyncIterable<Buffer | string>) await w.write(typeof c === 'string' ? Buffer.from(c) : c);
    } catch (err) {
      await w.abort();
      throw err;
    }
    return w.commit(expected, hold);
  }

  async openIngest(opts: IngestOptions = {}): Promise<Ingest> {
    const algorithm = opts.algorithm ?? 'sha256';
    if (!ALGORITHMS[algorithm]) throw invalid(`unsupported digest algorithm "${algorithm}"`);
    if (!opts.key) {
      const tmp = `${this.#root}/ingest/${randomBytes(8).toString('hex')}`;
      // Read back at commit when not hashed as written.
      const fh = await fs.promises.open(tmp, opts.hash === false ? 'wx+' : 'wx', 0o644);
      return new FileIngest(this, tmp, fh, opts.hash === false ? null : createHash(algorithm), 0, algorithm, opts.maxSize, () => {});
    }
    const name = `k-${createHash('sha256').update(opts.key).digest('hex')}`;
    for (let busy = this.#keyed.get(name); busy; busy = this.#keyed.get(name)) await busy;
    let unlock: () => void = () => {};
    const lock = new Promise<void>((r) => { unlock = r; });
    this.#keyed.set(name, lock);
    const done = () => {
      if (this.#keyed.get(name) === lock) this.#keyed.delete(name);
      unlock();
    };
    const tmp = `${this.#root}/ingest/${name}`;
    const hash = opts.hash === false ? null : createHash(algorithm);
    let offset: number;
    let fh: fs.promises.FileHandle | undefined;
    try {
      fh = await fs.promises.open(tmp, 'a+', 0o644);
      // Resuming: what is there already is hashed again (a hash state cannot be saved).
      if (hash) offset = await hashFile(fh, hash);
      else offset = (await fh.stat()).size;
    } catch (err) {
      await fh?.close().catch(() => {});
      done();
      throw err;
    }
    return new FileIngest(this, tmp, fh, hash, offset, algorithm, opts.maxSize, done);
  }

  /** Moves a verified ingest file into place (called by FileIngest.commit). */
  async place(tmp: string, digest: string): Promise<void> {
    const final = this.path(digest);
    await fs.promises.rename(tmp, final);
    await syncDir(final.slice(0, final.lastIndexOf('/')));
  }

  async delete(digest: string): Promise<void> {
    await fs.promises.rm(this.path(digest), { force: true });
  }

  async list(): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    for (const alg of Object.keys(ALGORITHMS)) {
      const dir = `${this.#root}/blobs/${alg}`;
      for (const hex of await fs.promises.readdir(dir)) {
        const st = await fs.promises.stat(`${dir}/${hex}`).catch(() => null);
        if (st?.isFile()) out.push({ digest: `${alg}:${hex}`, size: st.size });
      }
    }
    return out;
  }
}

/** How long a keyed ingest (a cut download) waits for its resume; a pull's lease lasts as long. */
export const KEYED_INGEST_TTL_MS = 24 * 3600 * 1000;

class FileIngest implements Ingest {
  readonly #store: FileContentStore;
  readonly #tmp: string;
  readonly #fh: fs.promises.FileHandle;
  /** null: opened with hash: false. */
  readonly #hash: Hash | null;
  readonly #algorithm: string;
  readonly #maxSize: number | undefined;
  /** Lets the next writer of the same key in (after commit, abort or release). */
  readonly #unlock: () => void;
  #offset: number;
  #done = false;

  constructor(store: FileContentStore, tmp: string, fh: fs.promises.FileHandle, hash: Hash | null,
    offset: number, algorithm: string, maxSize: number | undefined, unlock: () => void) {
    this.#store = store;
    this.#tmp = tmp;
    this.#fh = fh;
    this.#hash = hash;
    this.#offset = offset;
    this.#algorithm = algorithm;
    this.#maxSize = maxSize;
    this.#unlock = unlock;
  }

  get offset(): number { return this.#offset; }

  get path(): string { return this.#tmp; }

  async write(chunk: Buffer | readonly Buffer[]): Promise<void> {
    if (this.#done) throw invalid('write to a finished ingest');
    const chunks = Buffer.isBuffer(chunk) ? [chunk] : chunk;
    const n = chunks.reduce((a, c) => a + c.length, 0);
    if (this.#maxSize !== undefined && this.#offset + n > this.#maxSize) {
      throw invalid(`blob is larger than the expected ${this.#maxSize} bytes`);
    }
    try {
      let rest = chunks.filter((c) => c.length > 0);
      while (rest.length) {
        const r = rest.length === 1 ? await this.#fh.write(rest[0]!, 0, rest[0]!.length) : await this.#fh.writev(rest);
        rest = afterBytes(rest, r.bytesWritten);
      }
    } catch (err) {
      // A full disk may take part of the chunk: cut the file back to what the hash holds, so a
      // keyed ingest resumes (or a later write goes on) from a consistent offset.
      await this.#fh.truncate(this.#offset).catch(() => {});
      throw syscallError(err, this.#tmp);
    }
    if (this.#hash) for (const c of chunks) this.#hash.update(c);
    this.#offset += n;
  }

  /** The digest of the bytes written: the running hash's, the caller's, or the file's read back. */
  async #digest(hashed: string | undefined): Promise<string> {
    if (this.#hash) return `${this.#algorithm}:${this.#hash.digest('hex')}`;
    if (hashed !== undefined) return hashed;
    const h = createHash(this.#algorithm);
    const n = await hashFile(this.#fh, h);
    if (n !== this.#offset) throw internal(`ingest ${this.#tmp} holds ${n} bytes, ${this.#offset} were written`);
    return `${this.#algorithm}:${h.digest('hex')}`;
  }

  async commit(expected: Expected = {}, hold?: Hold, hashed?: string): Promise<BlobInfo> {
    if (this.#done) throw invalid('ingest already finished');
    this.#done = true;
    try {
      const digest = await this.#digest(hashed);
      const size = this.#offset;
      checkBlob(digest, size, expected);
      await this.#fh.sync();
      await this.#fh.close();
      await hold?.({ digest, size });
      await this.#store.place(this.#tmp, digest);
      return { digest, size };
    } finally {
      await this.#fh.close().catch(() => {});
      await fs.promises.rm(this.#tmp, { force: true }).finally(this.#unlock);
    }
  }

  async syncEarly(): Promise<void> {
    if (!this.#done) await this.#fh.datasync();
  }

  async release(): Promise<void> {
    this.#done = true;
    await this.#fh.close().catch(() => {}).finally(this.#unlock);
  }

  async abort(): Promise<void> {
    this.#done = true;
    await this.#fh.close().catch(() => {});
    await fs.promises.rm(this.#tmp, { force: true }).finally(this.#unlock);
  }
}

/** Feeds the whole file to hash; answers its size. */
async function hashFile(fh: fs.promises.FileHandle, hash: Hash): Promise<number> {
  let n = 0;
  for await (const c of fh.createReadStream({ autoClose: false, start: 0, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(c);
    n += c.length;
  }
  return n;
}

/** What is left of chunks once n bytes of them were written. */
function afterBytes(chunks: readonly Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const c of chunks) {
    if (n >= c.length) { n -= c.length; continue; }
    out.push(n > 0 ? c.subarray(n) : c);
    n = 0;
  }
  return out;
}

function checkBlob(digest: string, size: number, expected: Expected): void {
  if (expected.size !== undefined && size !== expected.size) {
    throw invalid(`blob size ${size} does not match the expected ${expected.size} bytes`);
  }
  if (expected.digest && digest !== expected.digest) {
    throw invalid(`blob digest ${digest} does not match the expected ${expected.digest}`);
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fs.promises.open(dir, 'r');
  try { await fh.sync(); } finally { await fh.close(); }
}

function missing(err: unknown, digest: string): Error {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return notFound(`blob ${digest} not found`);
  return err as Error;
}

export function openContentStore(root: string): FileContentStore {
  return new FileContentStore(root);
}
