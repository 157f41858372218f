// The tar stream of a context upload, read as TarReader (src/stores/tar)
// reads it, but passed on byte for byte: only the bodies ContextUpload
// takes (context-reuse.ts) are cut out, each replaced by a header-only
// placeholder entry. Everything else, malformed input included, reaches
// applyTar unchanged: at anything this reader does not follow (a bad
// checksum, an unknown entry type, a sparse file, the end marker) it stops
// taking and passes the rest through, and applyTar judges it.

import * as fs from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { internal, invalid } from '../core/errors.ts';
import { cleanEntryPath } from '../stores/snapshots/tree-paths.ts';
import {
  BLOCK, FLAG_TYPES, checksumOk, emptyHeader, encodeHeader, isZeroBlock, padLength, parsePax, readNumber, readString,
} from '../stores/tar/format.ts';
import type { FileHead, KeptContexts, KeptFile } from './context-keep.ts';

const MAX_META_SIZE = 1 << 20;
const WH = '.wh.';

/** A body taken out of the stream: where its content is now. */
export interface Taken {
  rel: string;
  head: FileHead;
  hash: string;
  /** The kept file it equals, or the stage file it was written to. */
  from: { kind: 'kept'; file: KeptFile } | { kind: 'written'; path: string };
  /** The placeholder's link in the stage dir, once applyTar made it. */
  hold?: string;
}

/** What the scanner asks of the upload it serves. */
export interface ScanSink {
  readonly kept: KeptContexts;
  /** Kept files to compare a regular-file entry with (none: it passes through). */
  fileEntry(rel: string, head: FileHead, xattrs: boolean): KeptFile[];
  /** A regular-file entry handed to applyTar (taken: its placeholder), in stream order. */
  queued(rel: string, head: FileHead, xattrs: boolean, taken: Taken | null): void;
  /** A hard-link entry's path. */
  link(rel: string): void;
  buffer(n: number): Buffer;
  stagePath(): string;
  track(fd: number): void;
  untrack(fd: number): void;
}

/** Whether applyTar makes a file (and calls onFile) for a regular-file entry at rel: mirrors Applier.entry. */
function makesFile(rel: string): boolean {
  const base = rel.slice(rel.lastIndexOf('/') + 1);
  return rel !== '' && !base.startsWith(WH) && !rel.startsWith(`${WH}${WH}`);
}

export class Scanner {
  readonly #u: ScanSink;
  #state: 'header' | 'meta' | 'body' | 'pad' | 'raw' = 'header';
  #partial: Buffer | null = null;
  #partialLen = 0;
  /** This entry's header bytes (extended headers included), passed on once it is known not to be taken. */
  #held: Buffer[] = [];
  #meta = { flag: '', size: 0, left: 0, data: [] as Buffer[] };
  #pax: Map<string, Buffer> | null = null;
  #longName: string | null = null;
  #bodyLeft = 0;
  #padLeft = 0;
  #body: Body | null = null;
  #entry: { rel: string; head: FileHead; xattrs: boolean } | null = null;
  #out: Buffer[] = [];

  constructor(u: ScanSink) { this.#u = u; }

  /** The bytes to pass on for this chunk of input. */
  feed(chunk: Buffer): Buffer[] {
    let off = 0;
    while (off < chunk.length) {
      const avail = chunk.length - off;
      switch (this.#state) {
        case 'raw':
          this.#emit(chunk.subarray(off));
          off = chunk.length;
          break;
        case 'header': {
          const n = Math.min(BLOCK - this.#partialLen, avail);
          let block: Buffer;
          if (this.#partialLen === 0 && n === BLOCK) {
            block = chunk.subarray(off, off + BLOCK);
          } else {
            this.#partial ??= Buffer.alloc(BLOCK);
            chunk.copy(this.#partial, this.#partialLen, off, off + n);
            this.#partialLen += n;
            off += n;
            if (this.#partialLen < BLOCK) break;
            block = this.#partial;
            this.#partial = null;
            this.#partialLen = 0;
            this.#held.push(block);
            this.#header(block);
            break;
          }
          off += n;
          this.#held.push(block);
          this.#header(block);
          break;
        }
        case 'meta': {
          const n = Math.min(this.#meta.left, avail);
          const piece = chunk.subarray(off, off + n);
          this.#held.push(piece);
          this.#meta.data.push(piece);
          this.#meta.left -= n;
          off += n;
          if (this.#meta.left === 0) this.#endMeta();
          break;
        }
        case 'body': {
          const n = Math.min(this.#bodyLeft, avail);
          const piece = chunk.subarray(off, off + n);
          if (this.#body) this.#body.feed(piece); else this.#emit(piece);
          this.#bodyLeft -= n;
          off += n;
          if (this.#bodyLeft === 0) this.#afterBody();
          break;
        }
        case 'pad': {
          const n = Math.min(this.#padLeft, avail);
          if (!this.#body) this.#emit(chunk.subarray(off, off + n));
          this.#padLeft -= n;
          off += n;
          if (this.#padLeft === 0) this.#endEntry();
          break;
        }
      }
    }
    return this.#out.splice(0);
  }

  /** The input ended. */
  end(): Buffer[] {
    if (this.#body) throw invalid('unexpected end of tar archive inside a file');
    this.#emitHeld();
    if (this.#partialLen > 0) this.#emit(this.#partial!.subarray(0, this.#partialLen));
    return this.#out.splice(0);
  }

  #header(block: Buffer): void {
    if (isZeroBlock(block) || !checksumOk(block)) return this.#raw();
    try {
      const flag = String.fromCharCode(block[156]!);
      const size = readNumber(block, 124, 12);
      if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
        if (size > MAX_META_SIZE) return this.#raw();
        this.#meta = { flag, size, left: size + padLength(size), data: [] };
        this.#state = 'meta';
        if (this.#meta.left === 0) this.#endMeta();
        return;
      }
      this.#main(block, flag, size);
    } catch {
      this.#raw();
    }
  }

  #endMeta(): void {
    const m = this.#meta;
    this.#state = 'header';
    const data = Buffer.concat(m.data).subarray(0, m.size);
    try {
      if (m.flag === 'x') this.#pax = parsePax(data);
      else if (m.flag === 'L') this.#longName = readString(data, 0, data.length);
    } catch {
      this.#raw();
    }
  }

  /** A main header: its fields as TarReader#header reads them. */
  #main(block: Buffer, flag: string, blockSize: number): void {
    const pax = this.#pax;
    let name = readString(block, 0, 100);
    if (block.toString('latin1', 257, 263) === 'ustar\0' && block[345] !== 0) name = `${readString(block, 345, 155)}/${name}`;
    if (this.#longName !== null) name = this.#longName;
    this.#pax = null;
    this.#longName = null;
    const head: FileHead = {
      size: blockSize, mode: readNumber(block, 100, 8) & 0o7777, uid: readNumber(block, 108, 8), gid: readNumber(block, 116, 8), mtime: readNumber(block, 136, 12),
    };
    let xattrs = false;
    for (const [key, value] of pax ?? []) {
      const v = value.toString('utf8');
      if (key === 'path') name = v;
      else if (key === 'size') head.size = paxInt(v);
      else if (key === 'uid') head.uid = paxInt(v);
      else if (key === 'gid') head.gid = paxInt(v);
      else if (key === 'mtime') head.mtime = Number(v) || 0;
      else if (key.startsWith('SCHILY.xattr.')) xattrs = true;
      else if (key.startsWith('GNU.sparse.')) return this.#raw();
    }
    const type = FLAG_TYPES[flag];
    if (!type || name.includes('\0')) return this.#raw();
    this.#bodyLeft = head.size;
    this.#padLeft = padLength(head.size);
    const isFile = type === 'file' && !name.endsWith('/');
    if (name.length > 1) name = name.replace(/\/+$/, '');
    const rel = cleanEntryPath(name);
    if (type === 'link') this.#u.link(rel);
    if (isFile && makesFile(rel)) {
      const files = this.#u.fileEntry(rel, head, xattrs);
      const body = files.length ? new Body(this.#u, files) : null;
      if (body?.comparing) {
        this.#held = [];
        this.#body = body;
        this.#entry = { rel, head, xattrs };
        this.#state = 'body';
        return;
      }
      this.#u.queued(rel, head, xattrs, null);
    }
    this.#emitHeld();
    this.#state = 'body';
    if (this.#bodyLeft === 0) this.#afterBody();
  }

  #afterBody(): void {
    this.#state = 'pad';
    if (this.#padLeft === 0) this.#endEntry();
  }

  #endEntry(): void {
    this.#state = 'header';
    if (!this.#body) return;
    const { rel, head, xattrs } = this.#entry!;
    const taken = this.#body.end(rel, head);
    this.#body = null;
    this.#entry = null;
    // An empty file where the body goes; context-reuse.ts fills it once applyTar is done.
    this.#emit(encodeHeader({ ...emptyHeader(rel, 'file'), mode: 0 }));
    this.#u.queued(rel, head, xattrs, taken);
  }

  /** Stops taking: the rest of the stream goes to applyTar as it is. */
  #raw(): void {
    this.#emitHeld();
    this.#state = 'raw';
  }

  #emitHeld(): void {
    for (const b of this.#held.splice(0)) this.#emit(b);
  }

  /** Adds bytes to pass on, joined with the previous piece when they follow it in the same buffer. */
  #emit(b: Buffer): void {
    if (b.length === 0) return;
    const last = this.#out[this.#out.length - 1];
    if (last && last.buffer === b.buffer && last.byteOffset + last.length === b.byteOffset) {
      this.#out[this.#out.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + b.length);
    } else {
      this.#out.push(b);
    }
  }
}

function paxInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw invalid(`invalid PAX number "${v}"`);
  return n;
}

function readFull(fd: number, buf: Buffer, n: number, pos: number): boolean {
  for (let got = 0; got < n;) {
    const k = fs.readSync(fd, buf, got, n - got, pos + got);
    if (k === 0) return false;
    got += k;
  }
  return true;
}

function writeFull(fd: number, b: Buffer): void {
  for (let off = 0; off < b.length;) off += fs.writeSync(fd, b, off);
}

/**
 * One taken body: compared with the kept files that share its header; from
 * the first byte none of them has, written to a stage file (the equal
 * prefix copied from the kept file) and hashed.
 */
class Body {
  readonly #u: ScanSink;
  readonly #cands: Array<{ file: KeptFile; fd: number }> = [];
  #pos = 0;
  #out: { fd: number; path: string; hash: Hash } | null = null;

  constructor(u: ScanSink, files: KeptFile[]) {
    this.#u = u;
    for (const file of files) {
      let fd: number;
      try { fd = fs.openSync(file.abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW); } catch { continue; }
      u.track(fd);
      if (this.#unchanged(file, fd)) this.#cands.push({ file, fd });
      else this.#close(fd);
    }
  }

  get comparing(): boolean { return this.#cands.length > 0; }

  #unchanged(file: KeptFile, fd: number): boolean { return this.#u.kept.valid(file.key, fs.fstatSync(fd, { bigint: true })); }

  #close(fd: number): void {
    this.#u.untrack(fd);
    fs.closeSync(fd);
  }

  feed(piece: Buffer): void {
    if (!this.#out) {
      const buf = this.#u.buffer(piece.length);
      let last = -1;
      for (let i = this.#cands.length - 1; i >= 0; i--) {
        const c = this.#cands[i]!;
        if (readFull(c.fd, buf, piece.length, this.#pos) && buf.compare(piece, 0, piece.length, 0, piece.length) === 0) continue;
        this.#cands.splice(i, 1);
        if (last >= 0) this.#close(last);
        last = c.fd;
      }
      if (last >= 0) {
        if (this.#cands.length === 0) this.#startWriting(last);
        this.#close(last);
      }
    }
    if (this.#out) {
      this.#out.hash.update(piece);
      writeFull(this.#out.fd, piece);
    }
    this.#pos += piece.length;
  }

  /** No kept file has this piece: the equal prefix comes from the last one compared. */
  #startWriting(from: number): void {
    const path = this.#u.stagePath();
    const fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    this.#u.track(fd);
    const out = { fd, path, hash: createHash('sha256') };
    const buf = this.#u.buffer(1 << 20);
    for (let at = 0; at < this.#pos;) {
      const n = Math.min(buf.length, this.#pos - at);
      if (!readFull(from, buf, n, at)) throw internal('a kept context file shrank while it was compared');
      out.hash.update(buf.subarray(0, n));
      writeFull(fd, buf.subarray(0, n));
      at += n;
    }
    this.#out = out;
  }

  /** The body ended: where its content is. */
  end(rel: string, head: FileHead): Taken {
    if (this.#out) {
      const { fd, path, hash } = this.#out;
      // As applyTar sets a file's metadata: owner before mode (chown clears set-ID bits).
      fs.fchownSync(fd, head.uid, head.gid);
      fs.fchmodSync(fd, head.mode & 0o7777);
      fs.futimesSync(fd, head.mtime, head.mtime);
      this.#close(fd);
      return { rel, head, hash: hash.digest('hex'), from: { kind: 'written', path } };
    }
    // Equal to every kept file still here: the first still unchanged gives the hash.
    const c = this.#cands.find((x) => this.#unchanged(x.file, x.fd));
    for (const x of this.#cands) this.#close(x.fd);
    if (!c) throw internal(`the kept copy of "${rel}" changed while it was compared`);
    return { rel, head, hash: c.file.hash, from: { kind: 'kept', file: c.file } };
  }
}
