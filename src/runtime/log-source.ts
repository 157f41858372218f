// The files of one container log as readers can use them: the rotated
// ones (oldest first; gzipped ones unpacked into memory) and the live one,
// each opened once, so a rotation while a reader works renames nothing
// under it (an open file keeps its inode).

import fsp from 'node:fs/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { rotatedFiles } from './log-rotate.ts';
import { isErrno } from './rootfs.ts';

const gunzip = promisify(zlib.gunzip);

/** Random access to one log file's bytes. */
export interface LogFile {
  readonly path: string;
  size(): Promise<number>;
  read(buf: Buffer, pos: number): Promise<number>;
  close(): Promise<void>;
}

export class PlainFile implements LogFile {
  readonly path: string;
  readonly fh: fsp.FileHandle;
  constructor(path: string, fh: fsp.FileHandle) {
    this.path = path;
    this.fh = fh;
  }
  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }
  async read(buf: Buffer, pos: number): Promise<number> {
    return (await this.fh.read(buf, 0, buf.length, pos)).bytesRead;
  }
  close(): Promise<void> {
    return this.fh.close();
  }
}

/** A gzipped rotated file: its descriptor is held from the start, unpacked into memory when first read. */
class GzipFile implements LogFile {
  readonly path: string;
  readonly #fh: fsp.FileHandle;
  #data: Promise<Buffer> | null = null;
  constructor(path: string, fh: fsp.FileHandle) {
    this.path = path;
    this.#fh = fh;
  }
  #unpacked(): Promise<Buffer> {
    this.#data ??= this.#fh.readFile().then((b) => gunzip(b));
    return this.#data;
  }
  async size(): Promise<number> {
    return (await this.#unpacked()).length;
  }
  async read(buf: Buffer, pos: number): Promise<number> {
    const data = await this.#unpacked();
    return pos >= data.length ? 0 : data.copy(buf, 0, pos, Math.min(data.length, pos + buf.length));
  }
  close(): Promise<void> {
    return this.#fh.close();
  }
}

/** Opens a plain file; null when it does not exist. */
export async function openPlain(path: string): Promise<PlainFile | null> {
  try {
    return new PlainFile(path, await fsp.open(path, 'r'));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

/** The inode at `path` now (null when missing): how a follower notices a rotation. */
export async function inodeAt(path: string): Promise<number | null> {
  try {
    return (await fsp.stat(path)).ino;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

export async function inodeOf(f: LogFile): Promise<number | null> {
  return f instanceof PlainFile ? (await f.fh.stat()).ino : null;
}

/** The rotated files of `logPath`, oldest first, opened (a file rotated away meanwhile is skipped). */
export async function openRotated(logPath: string): Promise<LogFile[]> {
  const out: LogFile[] = [];
  for (const p of rotatedFiles(logPath)) {
    const f = await openPlain(p);
    if (f) out.push(p.endsWith('.gz') ? new GzipFile(p, f.fh) : f);
  }
  return out;
}
