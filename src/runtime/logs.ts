// Reading a container's log (conmon's k8s-file, see log-format.ts) for
// `docker logs`: all of it or the last N lines, between since and until,
// across the rotated files (log-rotate.ts), and with follow, what the
// container writes next until it stops.
//
// Where to start never costs a read of the whole log (log-seek.ts): tail
// scans backwards from the end, since binary-searches the files by time.
// follow watches the log's directory (the file may not exist yet: conmon
// creates it when it starts; a rotation replaces it), and ends when
// `stopped` resolves and the file has been drained, when `until` passes,
// or at once when `signal` aborts.

import fs from 'node:fs';
import path from 'node:path';
import type { LogEntry, LogReadOptions } from '../core/runtime.ts';
import { LineAssembler, parseRecord } from './log-format.ts';
import { lastMillis, sinceOffset, tailOffset } from './log-seek.ts';
import { inodeAt, inodeOf, openPlain, openRotated, type LogFile } from './log-source.ts';

const BLOCK = 256 * 1024;
const NL = 0x0a;

export { tailOffset };

export async function* readLogs(file: string, opts: LogReadOptions = {}): AsyncGenerator<LogEntry> {
  const since = opts.since?.getTime();
  const until = opts.until?.getTime();
  const wake = opts.follow ? new Wakeup(file, opts) : null;
  const assembler = new LineAssembler();
  let pastUntil = false;

  const accept = (e: LogEntry): boolean => {
    const t = e.time.getTime();
    if (until !== undefined && t > until) {
      pastUntil = true;
      return false;
    }
    return since === undefined || t >= since;
  };

  // Every file is opened before any is read: a rotation meanwhile renames nothing under us.
  const files: LogFile[] = [...await openRotated(file)];
  const live = await openPlain(file);
  if (live) files.push(live);
  try {
    const start = await startingPoint(files, opts.tail, since);
    let current: LogFile | null = live;
    let currentIno = live ? await inodeOf(live) : null;
    let rest: Buffer = Buffer.alloc(0);

    // One file from `offset` to its current end; returns where it stopped.
    async function* drain(f: LogFile, offset: number): AsyncGenerator<LogEntry, number> {
      const size = await f.size();
      while (offset < size && !pastUntil) {
        if (opts.signal?.aborted) return offset;
        const buf = Buffer.allocUnsafe(Math.min(BLOCK, size - offset));
        const got = await f.read(buf, offset);
        if (got <= 0) break;
        offset += got;
        const data = rest.length > 0 ? Buffer.concat([rest, buf.subarray(0, got)]) : buf.subarray(0, got);
        let from = 0;
        for (let nl = data.indexOf(NL); nl >= 0; nl = data.indexOf(NL, from)) {
          const rec = parseRecord(data.subarray(from, nl + 1));
          from = nl + 1;
          const entry = rec && assembler.push(rec);
          if (entry && accept(entry)) yield entry;
          if (pastUntil) break;
        }
        // Kept apart from the block: a record cut at the block's end is completed by the next read.
        rest = from < data.length ? Buffer.from(data.subarray(from)) : Buffer.alloc(0);
      }
      return offset;
    }

    let offset = 0;
    for (let i = start.file; i < files.length && !pastUntil; i++) {
      offset = yield* drain(files[i]!, i === start.file ? start.offset : 0);
      if (files[i] !== live && i < files.length - 1) rest = Buffer.alloc(0);
    }
    if (!live) offset = 0;

    while (wake && !pastUntil && !opts.signal?.aborted) {
      const finalPass = wake.stopped;
      if (current) offset = yield* drain(current, offset);
      // Rotated (or created): finish the old file above, then go on with the new one from its start.
      const ino = await inodeAt(file);
      if (ino !== null && ino !== currentIno) {
        if (current) offset = yield* drain(current, offset);
        const next = await openPlain(file);
        if (next) {
          if (current) await current.close();
          current = next;
          currentIno = await inodeOf(next);
          offset = 0;
          rest = Buffer.alloc(0);
          continue;
        }
      }
      if (finalPass) break;
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
    if (current && current !== live) await current.close();
  } finally {
    wake?.close();
    await Promise.all(files.map((f) => f.close().catch(() => {})));
  }
}

/** The file and offset to start from: the tail's first line, the first record at since, or the start. */
async function startingPoint(files: LogFile[], tail: number | undefined, since: number | undefined): Promise<{ file: number; offset: number }> {
  if (files.length === 0) return { file: 0, offset: 0 };
  let file = 0;
  let offset = 0;
  if (tail !== undefined && tail >= 0) {
    let wanted = tail;
    file = files.length;
    offset = 0;
    for (let i = files.length - 1; i >= 0; i--) {
      const t = await tailOffset(files[i]!, wanted, { continued: i < files.length - 1 });
      file = i;
      offset = t.offset;
      wanted -= t.lines;
      if (wanted <= 0) break;
    }
    if (file === files.length) return { file: files.length - 1, offset: await files[files.length - 1]!.size() };
  }
  if (since !== undefined) {
    // Skip the files that end before since, then search the first that does not.
    let i = file;
    while (i < files.length - 1) {
      const last = await lastMillis(files[i]!);
      if (last === null || last < since) i++;
      else break;
    }
    if (i > file) {
      file = i;
      offset = 0;
    }
    const at = await sinceOffset(files[file]!, since);
    if (at > offset) offset = at;
  }
  return { file, offset };
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
