// Content store: immutable blobs addressed by digest (containerd's layout).
//
//   <root>/blobs/sha256/<hex>   finished blobs, never modified
//   <root>/ingest/<random>      blobs being written
//
// A write streams into an ingest file while hashing, checks digest and size
// against what the caller expected, fsyncs, and renames into place (then
// fsyncs the directory). A reader therefore never sees a half-written blob
// under its name, and a crash leaves at most an ingest file, removed on the
// next start.

import * as fs from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { invalid, notFound } from '../core/errors.ts';

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
  createReadStream(digest: string): NodeJS.ReadableStream;
}

/** The writing role. Writes are idempotent: an existing blob is kept. */
export interface ContentWriter {
  writeBlob(data: Buffer | string, expected?: Expected): Promise<BlobInfo>;
  ingest(src: NodeJS.ReadableStream | AsyncIterable<Buffer>, expected?: Expected): Promise<BlobInfo>;
}

export interface ContentStore extends ContentReader, ContentWriter {
  /** Missing is not an error. */
  delete(digest: string): Promise<void>;
  list(): Promise<BlobInfo[]>;
}

const ALGORITHMS: Record<string, number> = { sha256: 64, sha512: 128 };

/** Splits and validates "alg:hex". */
export function parseDigest(digest: string): { algorithm: string; hex: string } {
  const i = digest.indexOf(':');
  const algorithm = digest.slice(0, i);
  const hex = digest.slice(i + 1);
  const len = ALGORITHMS[algorithm];
  if (i < 0 || !len || hex.length !== len || !/^[a-f0-9]+$/.test(hex)) throw invalid(`invalid digest "${digest}"`);
  return { algorithm, hex };
}

export class FileContentStore implements ContentStore {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
    for (const alg of Object.keys(ALGORITHMS)) fs.mkdirSync(`${root}/blobs/${alg}`, { recursive: true });
    fs.mkdirSync(`${root}/ingest`, { recursive: true });
    for (const name of fs.readdirSync(`${root}/ingest`)) fs.rmSync(`${root}/ingest/${name}`, { force: true });
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

  createReadStream(digest: string): NodeJS.ReadableStream {
    const p = this.path(digest);
    // Check now, so a missing blob is a not_found error at the call, not a stream error later.
    if (!fs.existsSync(p)) throw notFound(`blob ${digest} not found`);
    return fs.createReadStream(p);
  }

  async writeBlob(data: Buffer | string, expected?: Expected): Promise<BlobInfo> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    return this.ingest(Readable.from([buf]), expected);
  }

  async ingest(src: NodeJS.ReadableStream | AsyncIterable<Buffer>, expected: Expected = {}): Promise<BlobInfo> {
    const algorithm = expected.digest ? parseDigest(expected.digest).algorithm : 'sha256';
    const tmp = `${this.#root}/ingest/${randomBytes(8).toString('hex')}`;
    const fh = await fs.promises.open(tmp, 'wx', 0o644);
    let closed = false;
    try {
      const hash = createHash(algorithm);
      let size = 0;
      for await (const c of src as AsyncIterable<Buffer | string>) {
        const chunk = typeof c === 'string' ? Buffer.from(c) : c;
        size += chunk.length;
        if (expected.size !== undefined && size > expected.size) {
          throw invalid(`blob is larger than the expected ${expected.size} bytes`);
        }
        hash.update(chunk);
        await fh.write(chunk);
      }
      const digest = `${algorithm}:${hash.digest('hex')}`;
      if (expected.size !== undefined && size !== expected.size) {
        throw invalid(`blob size ${size} does not match the expected ${expected.size} bytes`);
      }
      if (expected.digest && digest !== expected.digest) {
        throw invalid(`blob digest ${digest} does not match the expected ${expected.digest}`);
      }
      await fh.sync();
      await fh.close();
      closed = true;
      const final = this.path(digest);
      await fs.promises.rename(tmp, final);
      await syncDir(final.slice(0, final.lastIndexOf('/')));
      return { digest, size };
    } finally {
      if (!closed) await fh.close().catch(() => {});
      await fs.promises.rm(tmp, { force: true });
    }
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
