// Reading a container's log (conmon's k8s-file, see log-format.ts) for
// `docker logs`: all of it or the last N lines, between since and until,
// and with follow, what the container writes next until it stops.
//
// tail never reads the whole file: it scans backwards from the end, block
// by block, counting complete lines, and then reads forward from there.
// follow watches the log's directory (the file may not exist yet: conmon
// creates it when it starts) and ends when `stopped` resolves and the file
// has been drained, when `until` passes, or at once when `signal` aborts.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { LogEntry, LogReadOptions } from '../core/runtime.ts';
import { LineAssembler, isFullRecord, parseRecord } from './log-format.ts';
import { isErrno } from './rootfs.ts';

const BLOCK = 64 * 1024;
const NL = 0x0a;

export async function* readLogs(file: string, opts: LogReadOptions = {}): AsyncGenerator<LogEntry> {
  const since = opts.since?.getTime();
  const until = opts.until?.getTime();
  const follow = !!opts.follow;
  const wake = follow ? new Wakeup(file, opts) : null;
  const assembler = new LineAssembler();
  let fh: fsp.FileHandle | null = null;
  let offset = -1;
  let rest: Buffer = Buffer.alloc(0);
  let pastUntil = false;

  const accept = (e: LogEntry): boolean => {
    const t = e.time.getTime();
    if (until !== undefined && t > until) {
      pastUntil = true;
      return false;
    }
    return since === undefined || t >= since;
  };

  try {
    for (;;) {
      const finalPass = wake?.stopped ?? true;
      if (opts.signal?.aborted) return;
      if (!fh) {
        fh = await openIfExists(file);
        // A log that appears while we follow is all new: no tail to apply.
        if (!fh) offset = 0;
      }
      if (fh) {
        if (offset < 0) offset = opts.tail !== undefined && opts.tail >= 0 ? await tailOffset(fh, opts.tail) : 0;
        const size = (await fh.stat()).size;
        if (size < offset) {
          // Truncated underneath us: start over.
          offset = 0;
          rest = Buffer.alloc(0);
        }
        while (offset < size && !pastUntil) {
          const buf = Buffer.allocUnsafe(Math.min(BLOCK, size - offset));
          const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          let data = rest.length > 0 ? Buffer.concat([rest, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
          let start = 0;
          for (let nl = data.indexOf(NL); nl >= 0; nl = data.indexOf(NL, start)) {
            const rec = parseRecord(data.subarray(start, nl));
            start = nl + 1;
            const entry = rec && assembler.push(rec);
            if (entry && accept(entry)) yield entry;
            if (pastUntil) break;
          }
          data = data.subarray(start);
          rest = Buffer.from(data);
        }
      }
      if (finalPass || pastUntil || !wake) break;
      await wake.next();
    }
    if (opts.signal?.aborted) return;
    // A record cut short, then lines that never ended (output without a final newline).
    if (rest.length > 0 && !pastUntil) {
      const rec = parseRecord(rest);
      const entry = rec && assembler.push({ ...rec, partial: true });
      if (entry && accept(entry)) yield entry;
    }
    if (!pastUntil) for (const e of assembler.flush()) if (accept(e)) yield e;
  } finally {
    wake?.close();
    await fh?.close();
  }
}

async function openIfExists(file: string): Promise<fsp.FileHandle | null> {
  try {
    return await fsp.open(file, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

/**
 * The offset where the last `n` lines start. A line is complete at its F
 * record; P records after the last F (a line still being written) count
 * as one line. A record still being written (no "\n" yet) is not counted.
 */
export async function tailOffset(fh: fsp.FileHandle, n: number): Promise<number> {
  const size = (await fh.stat()).size;
  if (n <= 0 || size === 0) return size;
  let bufStart = size;
  let buf: Buffer = Buffer.alloc(0);
  let lineEnd = -1; // file offset just past the "\n" of the line being looked at
  let count = 0;
  let sawFull = false;
  let trailingCounted = false;

  // Counts the record [from, lineEnd - 1); true when it is the (n+1)-th line's end.
  const classify = (rec: Buffer): boolean => {
    const full = isFullRecord(rec);
    if (full === true) {
      sawFull = true;
      return ++count === n + 1;
    }
    if (full === false && !sawFull && !trailingCounted) {
      trailingCounted = true;
      count++;
    }
    return false;
  };

  while (bufStart > 0) {
    const readLen = Math.min(BLOCK, bufStart);
    const block = Buffer.allocUnsafe(readLen);
    await fh.read(block, 0, readLen, bufStart - readLen);
    bufStart -= readLen;
    // buf holds only the bytes of the line not classified yet (or the
    // unterminated tail before the first "\n" is found).
    buf = Buffer.concat([block, buf]);
    for (let i = readLen - 1; i >= 0; i--) {
      if (buf[i] !== NL) continue;
      const abs = bufStart + i;
      if (lineEnd >= 0) {
        if (classify(buf.subarray(i + 1, lineEnd - bufStart - 1))) return lineEnd;
      }
      lineEnd = abs + 1;
      buf = buf.subarray(0, i + 1);
    }
  }
  if (lineEnd > 0 && classify(buf.subarray(0, lineEnd - 1))) return lineEnd;
  return 0;
}

/** Follow's waiting: file changes, container stop, until, abort. */
class Wakeup {
  stopped = false;
  #resolve: (() => void) | null = null;
  #dirty = false;
  #watcher: fs.FSWatcher | null = null;
  #poll: NodeJS.Timeout | null = null;
  #untilTimer: NodeJS.Timeout | null = null;
  #signal: AbortSignal | undefined;
  #onAbort = () => this.#fire();

  constructor(file: string, opts: LogReadOptions) {
    const base = path.basename(file);
    try {
      this.#watcher = fs.watch(path.dirname(file), (_ev, name) => {
        if (name === null || name.toString() === base) this.#fire();
      });
      this.#watcher.on('error', () => this.#startPolling());
    } catch {
      this.#startPolling();
    }
    opts.stopped?.then(() => this.#stop(), () => this.#stop());
    this.#signal = opts.signal;
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (opts.until) {
      const ms = opts.until.getTime() - Date.now();
      if (ms <= 0) this.stopped = true;
      else this.#untilTimer = setTimeout(() => this.#stop(), ms);
    }
  }

  /** Resolves at the next change (at once if one happened since the last call). */
  next(): Promise<void> {
    if (this.#dirty || this.stopped || this.#signal?.aborted) {
      this.#dirty = false;
      return Promise.resolve();
    }
    return new Promise((r) => { this.#resolve = r; });
  }

  close(): void {
    this.#watcher?.close();
    if (this.#poll) clearInterval(this.#poll);
    if (this.#untilTimer) clearTimeout(this.#untilTimer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  #stop(): void {
    this.stopped = true;
    this.#fire();
  }

  #fire(): void {
    const r = this.#resolve;
    this.#resolve = null;
    if (r) r();
    else this.#dirty = true;
  }

  #startPolling(): void {
    this.#watcher?.close();
    this.#watcher = null;
    // The directory is not there yet (or vanished): fall back to a slow poll.
    this.#poll ??= setInterval(() => this.#fire(), 250);
  }
}
