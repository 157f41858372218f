// Rotation of container logs (Docker's max-size / max-file / compress).
//
// conmon writes the log and berthd is not in the output's path, so
// rotation is done beside it: the rotator looks at the size of each
// watched log every POLL_MS, and past max-size it renames
//   <log>.<n-2> -> <log>.<n-1>, ..., <log>.1 -> <log>.2, <log> -> <log>.1
// (dropping the oldest) and asks conmon through its ctl FIFO to reopen
// the log ("2 0 0\n"); conmon then starts a new <log>. Output written
// between the rename and the reopen lands at the end of <log>.1, so no
// line is lost or cut. With compress, <log>.1 is gzipped into
// <log>.1.gz once conmon has let go of it.
//
// A log may pass max-size by what the container writes in one poll
// interval (Docker's json-file rotates before the write that would pass
// it), or by far more while berthd was down (nothing rotates then; the
// daemon that restores the container resumes, ConmonRuntime.watchLog on
// waitExit). So a rotated file over max-size is cut at line boundaries
// into pieces of at most max-size, of which only as many as max-file
// allows are kept, the older rotated files moved past them: the disk holds
// about max-file x max-size, as under Docker, whatever the writer's pace.
// When the container exits (finish), its last log is cut the same way
// (conmon is gone, so the live file itself may be rewritten): a container
// that wrote 15 KB in 50 ms with max-size 1k keeps 3 KB, as under Docker.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { Logger } from '../core/logger.ts';
import type { LogFileOptions } from '../core/runtime.ts';
import { isErrno } from './rootfs.ts';

const POLL_MS = 250;
const REOPEN_WAIT_MS = 2000;

interface Watched {
  logPath: string;
  ctl: string;
  maxSize: number;
  maxFiles: number;
  compress: boolean;
  busy: boolean;
  /** The rotation under way, if any. */
  running?: Promise<void>;
}

export class LogRotator {
  readonly #watched = new Map<string, Watched>();
  readonly #finishing = new Map<string, Promise<void>>();
  readonly #log: Logger;
  #timer: NodeJS.Timeout | null = null;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Starts (or keeps) rotating the log of `id`; a no-op for a log without max-size. */
  watch(id: string, logPath: string, ctl: string, opts: LogFileOptions | undefined): void {
    if (!opts?.keep || !opts.maxSize) return;
    if (this.#watched.has(id)) return;
    this.#watched.set(id, {
      logPath, ctl, maxSize: opts.maxSize, maxFiles: Math.max(1, opts.maxFiles ?? 1), compress: !!opts.compress, busy: false,
    });
    this.#timer ??= setInterval(() => this.#tick(), POLL_MS).unref();
  }

  /**
   * The container exited (conmon is gone): its log is cut to the limits one
   * last time, and it is no longer watched. A new conmon for the same log
   * waits for that (settled), so nothing it writes lands in a file being
   * replaced.
   */
  finish(id: string): void {
    const w = this.#watched.get(id);
    if (!w) return;
    this.unwatch(id);
    const cut = (w.running ?? Promise.resolve()).then(async () => {
      for (const f of await spreadTail(w, 0)) if (w.compress) await compress(f);
    }).catch((err: unknown) => {
      this.#log.warn('cutting the log to its limits failed', { id, error: (err as Error).message });
    }).finally(() => { if (this.#finishing.get(id) === cut) this.#finishing.delete(id); });
    this.#finishing.set(id, cut);
  }

  /** Resolves once the last cut of this container's log (finish) is done. */
  async settled(id: string): Promise<void> {
    await this.#finishing.get(id);
  }

  unwatch(id: string): void {
    this.#watched.delete(id);
    if (this.#watched.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  close(): void {
    this.#watched.clear();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #tick(): void {
    for (const [id, w] of this.#watched) {
      if (w.busy) continue;
      let size: number;
      try {
        size = fs.statSync(w.logPath).size;
      } catch {
        continue;
      }
      if (size < w.maxSize) continue;
      w.busy = true;
      w.running = rotate(w).catch((err: unknown) => {
        this.#log.warn('log rotation failed', { id, error: (err as Error).message });
      }).finally(() => { w.busy = false; w.running = undefined; });
    }
  }
}

/** The rotated files of a log, oldest first, as they are on disk (.N[.gz] ... .1[.gz]). */
export function rotatedFiles(logPath: string): string[] {
  const dir = logPath.slice(0, logPath.lastIndexOf('/'));
  const base = logPath.slice(logPath.lastIndexOf('/') + 1);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const found: Array<{ n: number; path: string }> = [];
  for (const name of names) {
    if (!name.startsWith(base + '.')) continue;
    const m = /^(\d+)(\.gz)?$/.exec(name.slice(base.length + 1));
    if (m) found.push({ n: Number(m[1]), path: `${dir}/${name}` });
  }
  return found.sort((a, b) => b.n - a.n).map((f) => f.path);
}

async function rotate(w: Watched): Promise<void> {
  const { logPath, maxFiles } = w;
  if (maxFiles > 1) {
    const gz = w.compress ? '.gz' : '';
    await rmIfExists(`${logPath}.${maxFiles - 1}${gz}`);
    for (let n = maxFiles - 2; n >= 1; n--) await renameIfExists(`${logPath}.${n}${gz}`, `${logPath}.${n + 1}${gz}`);
    await fsp.rename(logPath, `${logPath}.1`);
  }
  // With max-file 1 there is nothing to keep: conmon's reopen starts the log afresh.
  const before = maxFiles > 1 ? null : (await fsp.stat(logPath)).ino;
  await reopen(w.ctl, logPath, before);
  if (maxFiles > 1) {
    // conmon writes the new log now: .1 is ours to cut to the limits.
    const cut = await spreadTail(w, 1);
    if (w.compress) for (const f of cut.length > 0 ? cut : [`${logPath}.1`]) await compress(f);
  }
}

/**
 * Cuts the file at `index` (the live log 0, or .1) into pieces of at most
 * max-size bytes of whole records, keeping only the newest that fit from
 * `index` to max-file; the rotated files after `index` move past the new
 * pieces (dropped past the last kept name). Returns the rotated files
 * written (to compress); nothing when the file is within max-size. The
 * pieces are copied in blocks (a log past its size while berthd was down
 * may be gigabytes: only what is kept is read).
 */
export async function spreadTail(w: Pick<Watched, 'logPath' | 'maxSize' | 'maxFiles'>, index: 0 | 1): Promise<string[]> {
  const name = (n: number, gz: boolean) => (n === 0 ? w.logPath : `${w.logPath}.${n}${gz ? '.gz' : ''}`);
  const src = name(index, false);
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(src, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  const tmps: Array<{ tmp: string; to: string }> = [];
  try {
    const size = (await fh.stat()).size;
    if (size <= w.maxSize) return [];
    // Piece boundaries from the end: [cuts[i + 1], cuts[i]) is the i-th newest.
    const cuts = [size];
    while (cuts.length <= w.maxFiles - index && cuts.at(-1)! > 0) cuts.push(await pieceStart(fh, cuts.at(-1)!, w.maxSize));
    const pieces = cuts.length - 1;
    for (let i = 0; i < pieces; i++) {
      const to = name(index + i, false);
      const tmp = `${to}.cut`;
      await copyRange(fh, cuts[i + 1]!, cuts[i]!, tmp);
      tmps.push({ tmp, to });
    }
    const extra = pieces - 1;
    for (let n = w.maxFiles - 1; n > index && extra > 0; n--) {
      for (const gz of [false, true]) {
        const from = name(n, gz);
        if (!fs.existsSync(from)) continue;
        if (n + extra > w.maxFiles - 1) await fsp.rm(from, { force: true });
        else await fsp.rename(from, name(n + extra, gz));
      }
    }
    for (const t of tmps.splice(0)) await fsp.rename(t.tmp, t.to);
    return Array.from({ length: pieces }, (_, i) => name(index + i, false)).filter((f) => f !== w.logPath);
  } finally {
    await fh.close();
    for (const t of tmps) await fsp.rm(t.tmp, { force: true });
  }
}

const SCAN = 64 * 1024;

/**
 * Where the piece that ends at `end` (a record's end) starts: the first
 * record starting at or after end - max; a record longer than max alone.
 */
async function pieceStart(fh: fsp.FileHandle, end: number, max: number): Promise<number> {
  if (end <= max) return 0;
  const buf = Buffer.allocUnsafe(SCAN);
  // The first "\n" at or after end - max - 1 ends the record before the piece's first.
  for (let pos = end - max - 1; pos < end - 1; pos += SCAN) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(SCAN, end - 1 - pos), pos);
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    if (nl >= 0) return pos + nl + 1;
    if (bytesRead <= 0) break;
  }
  // One record longer than max: it is the piece, from its start.
  for (let pos = end - 1; pos > 0;) {
    const from = Math.max(0, pos - SCAN);
    const { bytesRead } = await fh.read(buf, 0, pos - from, from);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (nl >= 0) return from + nl + 1;
    pos = from;
  }
  return 0;
}

async function copyRange(fh: fsp.FileHandle, from: number, to: number, dest: string): Promise<void> {
  const out = await fsp.open(dest, 'w', 0o600);
  try {
    const buf = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(1, to - from)));
    for (let pos = from; pos < to;) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, to - pos), pos);
      if (bytesRead <= 0) break;
      await out.write(buf, 0, bytesRead);
      pos += bytesRead;
    }
  } finally {
    await out.close();
  }
}

/** Asks conmon to reopen the log and waits until a new file is in place. */
async function reopen(ctl: string, logPath: string, oldIno: number | null): Promise<void> {
  const fresh = async () => {
    try {
      const st = await fsp.stat(logPath);
      return oldIno === null || st.ino !== oldIno;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    // Non-blocking: with conmon gone the open fails (ENXIO) instead of hanging.
    const fh = await fsp.open(ctl, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    try {
      await fh.write('2 0 0\n');
    } finally {
      await fh.close();
    }
    // conmon handles one ctl line per read: a resize read together with this one can swallow it, so check and ask again.
    for (const until = Date.now() + REOPEN_WAIT_MS / 2; Date.now() < until;) {
      if (await fresh()) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  throw new Error(`conmon did not reopen ${logPath}`);
}

async function compress(file: string): Promise<void> {
  const tmp = `${file}.gz.tmp`;
  await pipeline(fs.createReadStream(file), zlib.createGzip(), fs.createWriteStream(tmp, { mode: 0o600 }));
  await fsp.rename(tmp, `${file}.gz`);
  await fsp.rm(file, { force: true });
}

async function rmIfExists(p: string): Promise<void> {
  await fsp.rm(p, { force: true });
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await fsp.rename(from, to);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}
