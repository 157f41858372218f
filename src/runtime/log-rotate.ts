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
// it). While berthd is down nothing rotates; the daemon that restores the
// container resumes (ConmonRuntime.watchLog on waitExit).

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
}

export class LogRotator {
  readonly #watched = new Map<string, Watched>();
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
      rotate(w).catch((err: unknown) => {
        this.#log.warn('log rotation failed', { id, error: (err as Error).message });
      }).finally(() => { w.busy = false; });
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
  if (maxFiles > 1 && w.compress) await compress(`${logPath}.1`);
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
