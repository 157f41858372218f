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
import type { LogChunk, LogEntry, LogReadOptions } from '../core/runtime.ts';
import { ChunkDecoder } from './log-chunks.ts';
import { EntryDecoder, type LogDecoder } from './log-decode.ts';
import { lastMillis, sinceOffset, tailOffset } from './log-seek.ts';
import { BlockPool } from './log-blocks.ts';
import { blockBuffer } from './log-compact.ts';
import { inodeAt, inodeOf, openPlain, openRotated, type LogFile } from './log-source.ts';

/** Entries are parsed line by line: a smaller read keeps the first lines quick. */
const ENTRY_BLOCK = 256 * 1024;
/**
 * Chunks cost little per line: large reads, large writes to the client (each
 * read is a round trip to libuv's thread pool; 2 MiB against 1 MiB: a few %
 * less CPU per whole read, within the noise of a shared machine).
 */
const CHUNK_BLOCK = 2 * 1024 * 1024;

/** Room in a lent block for the cut record carried over from the one before. */
const CARRY_ROOM = 64 * 1024;
/**
 * The blocks of every plain read, shared: in the compaction kernel's memory
 * (log-compact.ts), each a WebAssembly memory that reserves gigabytes of
 * address space, of which a process gets about a hundred: 16 at most (34
 * MiB), plain Buffers past that. A reader holds blocks only until its
 * chunks are written, so idle followers hold none, and the idle ones are
 * let go a few seconds after the last read.
 */
const chunkBlocks = new BlockPool(CHUNK_BLOCK + CARRY_ROOM, { alloc: blockBuffer, max: 16 });

export { tailOffset };

/** The log line by line, each line with its time. */
export function readLogs(file: string, opts: LogReadOptions = {}): AsyncGenerator<LogEntry> {
  return readWith(file, opts, new EntryDecoder(opts.since?.getTime(), opts.until?.getTime()), ENTRY_BLOCK, null);
}

/** The log as runs of whole lines of one stream (see log-decode.ts): the same text, without per-line times. */
export function readLogChunks(file: string, opts: LogReadOptions = {}): AsyncGenerator<LogChunk> {
  return readWith(file, opts, new ChunkDecoder(opts.since?.getTime(), opts.until?.getTime()), CHUNK_BLOCK, chunkBlocks);
}

/** A block's read from the file, started ahead of its use. */
interface PendingRead { blk: ReturnType<BlockPool['take']> | null; buf: Buffer; carried: number; read: Promise<number> }

/** `pool`: where a lending decoder's blocks come from (without one, every block is new). */
async function* readWith<T>(file: string, opts: LogReadOptions, decoder: LogDecoder<T>, block: number, pool: BlockPool | null): AsyncGenerator<T> {
  const since = opts.since?.getTime();
  const wake = opts.follow ? new Wakeup(file, opts) : null;

  // Every file is opened before any is read: a rotation meanwhile renames nothing under us.
  const files: LogFile[] = [...await openRotated(file)];
  const live = await openPlain(file);
  if (live) files.push(live);
  try {
    const start = await startingPoint(files, opts.tail, since);
    let current: LogFile | null = live;
    let currentIno = live ? await inodeOf(live) : null;
    // The bytes of a record cut at the end of the last read, completed by the next.
    let rest: Buffer = Buffer.alloc(0);
    const out: T[] = [];

    // One file from `offset` to its current end; returns where it stopped. The next block's read is
    // started before this block's items are handed out, so the thread pool reads it while the
    // consumer writes this one to its socket.
    async function* drain(f: LogFile, offset: number): AsyncGenerator<T, number> {
      const size = await f.size();
      const startRead = (): PendingRead | null => {
        if (offset >= size || decoder.pastUntil || opts.signal?.aborted) return null;
        const want = rest.length + Math.min(block, size - offset);
        // A lending decoder's blocks come back to be read into again (log-blocks.ts), with room for
        // the record carried over from the block before (most blocks have one).
        const blk = decoder.lend ? pool?.take(want) ?? null : null;
        const buf = blk?.buf ?? Buffer.allocUnsafe(want);
        rest.copy(buf);
        return { blk, buf, carried: rest.length, read: f.read(buf.subarray(rest.length, want), offset) };
      };
      let next = startRead();
      try {
        while (next) {
          const cur = next;
          next = null;
          const got = await cur.read;
          if (got <= 0) {
            cur.blk?.drop();
            break;
          }
          offset += got;
          const data = cur.buf.subarray(0, cur.carried + got);
          const used = decoder.decode(data, out);
          rest = used < data.length ? Buffer.from(data.subarray(used)) : Buffer.alloc(0);
          if (cur.blk) {
            for (const item of out) decoder.lend!(item, cur.blk.hold());
            cur.blk.drop();
          }
          next = startRead();
          for (const item of out) yield item;
          out.length = 0;
        }
      } finally {
        // A consumer that stopped early: the read in flight ends before the file is closed.
        if (next) {
          const pending = next;
          await pending.read.catch(() => 0);
          pending.blk?.drop();
        }
      }
      return offset;
    }

    let offset = 0;
    for (let i = start.file; i < files.length && !decoder.pastUntil; i++) {
      offset = yield* drain(files[i]!, i === start.file ? start.offset : 0);
      if (files[i] !== live && i < files.length - 1) rest = Buffer.alloc(0);
    }
    if (!live) offset = 0;

    while (wake && !decoder.pastUntil && !opts.signal?.aborted) {
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
    decoder.finish(rest, out);
    for (const item of out) yield item;
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
