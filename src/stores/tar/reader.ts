// Streaming tar reader. Every byte that passes through is hashed (the
// layer's diffID is the sha256 of the whole uncompressed stream as
// delivered, trailing padding included) and counted against a byte limit,
// so a decompression bomb stops at the limit instead of filling the disk.
//
//   const r = new TarReader(stream, { maxBytes });
//   for (let h = await r.next(); h; h = await r.next()) {
//     for await (const chunk of r.body()) ...   // optional: skipped otherwise
//   }
//   r.digest()  // "sha256:..." once next() returned null

import { createHash, type Hash } from 'node:crypto';
import { invalid } from '../../core/errors.ts';
import {
  BLOCK, FLAG_TYPES, checksumOk, isZeroBlock, padLength, parsePax, readNumber, readString,
  type TarHeader,
} from './format.ts';

const MAX_META_SIZE = 1 << 20;

export interface TarReaderOptions {
  /** Maximum uncompressed bytes; exceeding it fails with an error naming the limit. */
  maxBytes?: number;
  /** How the byte limit is named in the error (for example "maxBytes"). */
  limitName?: string;
  /** Hash the stream (default true); false for a build context, whose digest nothing uses. */
  digest?: boolean;
}

export class TarReader {
  readonly #source: AsyncIterator<Buffer | string>;
  readonly #hash: Hash | null;
  readonly #maxBytes: number;
  readonly #limitName: string;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #total = 0;
  #eof = false;
  #bodyLeft = 0;
  #padLeft = 0;
  #done = false;
  #digest = '';

  constructor(source: AsyncIterable<Buffer | string> | NodeJS.ReadableStream, opts: TarReaderOptions = {}) {
    this.#source = (source as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
    this.#maxBytes = opts.maxBytes ?? Number.MAX_SAFE_INTEGER;
    this.#limitName = opts.limitName ?? 'maxBytes';
    this.#hash = opts.digest === false ? null : createHash('sha256');
  }

  /** Bytes read from the source so far. */
  get bytesRead(): number { return this.#total; }

  /** sha256 of the whole stream; available after next() returned null. */
  digest(): string {
    if (!this.#done) throw new Error('tar stream not fully read');
    if (!this.#hash) throw new Error('tar stream read without a digest');
    return this.#digest;
  }

  async #pull(): Promise<boolean> {
    if (this.#eof) return false;
    const r = await this.#source.next();
    if (r.done) { this.#eof = true; return false; }
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    if (chunk.length === 0) return true;
    this.#total += chunk.length;
    if (this.#total > this.#maxBytes) {
      throw invalid(`archive exceeds the limit of ${this.#maxBytes} uncompressed bytes (${this.#limitName})`);
    }
    this.#hash?.update(chunk);
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    return true;
  }

  async #fill(n: number): Promise<boolean> {
    while (this.#buffered < n) if (!(await this.#pull())) return false;
    return true;
  }

  /** Exactly n bytes (the caller has filled them). */
  #take(n: number): Buffer {
    const first = this.#chunks[0];
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift(); else this.#chunks[0] = first.subarray(n);
      this.#buffered -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.#chunks[0];
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.#chunks.shift(); else this.#chunks[0] = c.subarray(k);
    }
    this.#buffered -= n;
    return out;
  }

  async #read(n: number, what: string): Promise<Buffer> {
    if (!(await this.#fill(n))) throw invalid(`unexpected end of tar archive while reading ${what}`);
    return this.#take(n);
  }

  async #skip(n: number): Promise<void> {
    while (n > 0) {
      if (this.#buffered === 0 && !(await this.#pull())) throw invalid('unexpected end of tar archive');
      const k = Math.min(n, this.#buffered);
      this.#take(k);
      n -= k;
    }
  }

  /** The current entry's body, in chunks as they arrive. */
  async *body(): AsyncGenerator<Buffer> {
    while (this.#bodyLeft > 0) {
      if (this.#buffered === 0 && !(await this.#pull())) throw invalid('unexpected end of tar archive inside a file');
      const k = Math.min(this.#bodyLeft, this.#chunks[0].length);
      this.#bodyLeft -= k;
      yield this.#take(k);
    }
  }

  /** The next entry's header, or null at the end of the archive. */
  async next(): Promise<TarHeader | null> {
    if (this.#done) return null;
    await this.#skip(this.#bodyLeft + this.#padLeft);
    this.#bodyLeft = 0;
    this.#padLeft = 0;
    let pax: Map<string, Buffer> | null = null;
    let longName: string | null = null;
    let longLink: string | null = null;
    for (;;) {
      if (!(await this.#fill(BLOCK))) {
        if (this.#buffered === 0) return this.#finish(); // no end marker: tolerated, like GNU tar
        throw invalid('unexpected end of tar archive in a header');
      }
      const block = this.#take(BLOCK);
      if (isZeroBlock(block)) return this.#finish();
      if (!checksumOk(block)) throw invalid('invalid tar header checksum (not a tar archive, or corrupted)');
      const flag = String.fromCharCode(block[156]);
      const size = readNumber(block, 124, 12);
      if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
        if (size > MAX_META_SIZE) throw invalid(`tar extended header of ${size} bytes is too large`);
        const data = await this.#read(size, 'an extended header');
        await this.#skip(padLength(size));
        if (flag === 'x') pax = parsePax(data);
        else if (flag === 'L') longName = readString(data, 0, data.length);
        else if (flag === 'K') longLink = readString(data, 0, data.length);
        // 'g' (global PAX) is ignored, as Docker does.
        continue;
      }
      return this.#header(block, flag, size, pax, longName, longLink);
    }
  }

  #header(block: Buffer, flag: string, size: number, pax: Map<string, Buffer> | null,
    longName: string | null, longLink: string | null): TarHeader {
    let name = readString(block, 0, 100);
    const ustar = block.toString('latin1', 257, 263) === 'ustar\0';
    if (ustar && block[345] !== 0) name = `${readString(block, 345, 155)}/${name}`;
    if (longName !== null) name = longName;
    const h: TarHeader = {
      name, type: 'file', mode: readNumber(block, 100, 8) & 0o7777,
      uid: readNumber(block, 108, 8), gid: readNumber(block, 116, 8), size,
      mtime: readNumber(block, 136, 12), linkname: longLink ?? readString(block, 157, 100),
      uname: readString(block, 265, 32), gname: readString(block, 297, 32),
      devmajor: readNumber(block, 329, 8), devminor: readNumber(block, 337, 8), xattrs: new Map(),
    };
    if (pax) {
      for (const [key, value] of pax) {
        const v = value.toString('utf8');
        if (key === 'path') h.name = v;
        else if (key === 'linkpath') h.linkname = v;
        else if (key === 'size') h.size = paxInt(key, v);
        else if (key === 'uid') h.uid = paxInt(key, v);
        else if (key === 'gid') h.gid = paxInt(key, v);
        else if (key === 'mtime') h.mtime = Number(v) || 0;
        else if (key === 'uname') h.uname = v;
        else if (key === 'gname') h.gname = v;
        else if (key.startsWith('SCHILY.xattr.')) h.xattrs.set(key.slice('SCHILY.xattr.'.length), value);
        else if (key.startsWith('GNU.sparse.')) throw invalid(`sparse file ${h.name} in tar archive is not supported`);
      }
    }
    const type = FLAG_TYPES[flag];
    if (!type) {
      if (flag === 'S') throw invalid(`sparse file ${h.name} in tar archive is not supported`);
      throw invalid(`unsupported tar entry type '${flag}' for ${h.name}`);
    }
    h.type = type;
    if (h.name.includes('\0') || h.linkname.includes('\0')) throw invalid('tar entry name contains a NUL byte');
    // Old tars mark directories only by a trailing slash.
    if (type === 'file' && h.name.endsWith('/')) h.type = 'dir';
    if (h.name.length > 1) h.name = h.name.replace(/\/+$/, '');
    // Only regular files carry a body; a size on anything else is still skipped.
    this.#bodyLeft = h.size;
    this.#padLeft = padLength(h.size);
    if (h.type !== 'file') h.size = 0;
    return h;
  }

  async #finish(): Promise<null> {
    // Drain whatever follows the end marker: it is part of the diffID.
    this.#chunks = [];
    this.#buffered = 0;
    while (await this.#pull()) { this.#chunks = []; this.#buffered = 0; }
    this.#done = true;
    this.#digest = this.#hash ? `sha256:${this.#hash.digest('hex')}` : '';
    return null;
  }
}

function paxInt(key: string, v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw invalid(`invalid PAX ${key} "${v}" in tar archive`);
  return n;
}
