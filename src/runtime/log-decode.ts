// Turning blocks of conmon's k8s-file (log-format.ts) into what a reader
// wants, between since and until:
//
// - EntryDecoder: one LogEntry per line, with its time and stamp (for
//   `logs -t`, `--details`, and the engine's own readers). A record with
//   the same prefix as the one before (the same read of the pipe) takes
//   its stream, tag and time from it: the stamp is parsed once per read.
// - ChunkDecoder: runs of whole lines of one stream as one buffer, for
//   `docker logs` without -t or --details, where nothing per line is
//   needed but the text. Each record's text is moved down over the
//   prefixes before it (the block is compacted in place, then lent out
//   with its runs of one stream as views, log-blocks.ts): no string and no Buffer per line. conmon
//   stamps every record of one read from the container's pipe with the
//   same time, and the prefix is fixed width ("<35-char stamp> stdout F ",
//   45 bytes), so a record whose prefix is the one before's needs no
//   check at all, and the time filters look at each read once. Records
//   not in that exact form go through parseRecord like the entry
//   decoder's.
//
// Records are in time order in the file (conmon stamps them as it writes
// them), so once a record at or after `since` is seen, what follows is too.

import type { LogChunk, LogEntry, OutputStream } from '../core/runtime.ts';
import { LineAssembler, type LogRecord, parseRecord, recordMillis, stampMillis } from './log-format.ts';

const NL = 0x0a;
const PREFIX = 45;

export interface LogDecoder<T> {
  /**
   * Present when the items are views of the block (which decode may
   * overwrite before the bytes it uses): the reader lends the block out
   * with them, `release` ending one item's hold, and reads into it again
   * once all are released (log-blocks.ts). Without it every block is new.
   */
  lend?(item: T, release: () => void): void;
  /** Set once a record past `until` is seen: nothing after it is wanted. */
  readonly pastUntil: boolean;
  /** Decodes the complete records of `data` (which starts at a record) into `out`; returns the bytes used. */
  decode(data: Buffer, out: T[]): number;
  /** The log's end: a last record cut short (no "\n"), then lines that never ended. */
  finish(rest: Buffer, out: T[]): void;
}

export class EntryDecoder implements LogDecoder<LogEntry> {
  pastUntil = false;
  readonly #assembler = new LineAssembler();
  readonly #since: number | undefined;
  readonly #until: number | undefined;

  constructor(since?: number, until?: number) {
    this.#since = since;
    this.#until = until;
  }

  #accept(e: LogEntry): boolean {
    const t = e.time.getTime();
    if (this.#until !== undefined && t > this.#until) {
      this.pastUntil = true;
      return false;
    }
    return this.#since === undefined || t >= this.#since;
  }

  decode(data: Buffer, out: LogEntry[]): number {
    let from = 0;
    // The last record in conmon's exact form: one with the same 45-byte prefix has its stream, tag and time.
    let prev = -1;
    let prevRec: LogRecord | null = null;
    for (let nl = data.indexOf(NL); nl >= 0 && !this.pastUntil; nl = data.indexOf(NL, from)) {
      let rec: LogRecord | null;
      if (prevRec && nl >= from + PREFIX && samePrefix(data, prev, from)) {
        rec = {
          stream: prevRec.stream, partial: prevRec.partial, time: prevRec.time, timestamp: prevRec.timestamp,
          text: data.subarray(from + PREFIX, nl), textNl: data.subarray(from + PREFIX, nl + 1),
        };
      } else {
        rec = parseRecord(data.subarray(from, nl + 1));
        const fixed = rec !== null && nl >= from + PREFIX && fixedForm(data, from) !== null;
        prev = fixed ? from : -1;
        prevRec = fixed ? rec : null;
      }
      from = nl + 1;
      const entry = rec && this.#assembler.push(rec);
      if (entry && this.#accept(entry)) out.push(entry);
    }
    return from;
  }

  finish(rest: Buffer, out: LogEntry[]): void {
    if (this.pastUntil) return;
    const rec = rest.length > 0 ? parseRecord(rest) : null;
    const entry = rec && this.#assembler.push({ ...rec, partial: true });
    if (entry && this.#accept(entry)) out.push(entry);
    if (!this.pastUntil) for (const e of this.#assembler.flush()) if (this.#accept(e)) out.push(e);
  }
}

/** The stream of a record in conmon's exact form at `p`, or null. */
function fixedForm(b: Buffer, p: number): OutputStream | null {
  if (b[p + 10] !== 0x54 /* T */ || b[p + 19] !== 0x2e /* . */ || b[p + 35] !== 0x20 || b[p + 42] !== 0x20 || b[p + 44] !== 0x20) return null;
  const tag = b[p + 43];
  if ((tag !== 0x46 /* F */ && tag !== 0x50 /* P */) || b[p + 36] !== 0x73 /* s */ || b[p + 37] !== 0x74 /* t */ || b[p + 38] !== 0x64 /* d */) return null;
  if (b[p + 39] === 0x6f && b[p + 40] === 0x75 && b[p + 41] === 0x74) return 'stdout';
  if (b[p + 39] === 0x65 && b[p + 40] === 0x72 && b[p + 41] === 0x72) return 'stderr';
  return null;
}

export class ChunkDecoder implements LogDecoder<LogChunk> {
  pastUntil = false;
  #since: number | undefined;
  readonly #until: number | undefined;

  constructor(since?: number, until?: number) {
    this.#since = since;
    this.#until = until;
  }

  /** Whether a record stamped `t` is wanted; marks pastUntil. */
  #wanted(t: number): boolean {
    if (this.#until !== undefined && t > this.#until) {
      this.pastUntil = true;
      return false;
    }
    if (this.#since === undefined) return true;
    if (t < this.#since) return false;
    this.#since = undefined;
    return true;
  }

  decode(data: Buffer, out: LogChunk[]): number {
    const end = data.lastIndexOf(NL) + 1;
    if (end === 0) return 0;
    // Times matter only until since is met, and for until only in the block that passes it.
    const timed = this.#since !== undefined || (this.#until !== undefined && !(lastMillis(data, end) <= this.#until));
    let stream: OutputStream = 'stdout';
    let runStart = 0;
    let w = 0;
    // The last record in conmon's exact form (-1: none yet), and whether its text was taken.
    let prev = -1;
    let prevTaken = false;
    let p = 0;
    while (p < end) {
      const nl = data.indexOf(NL, p);
      let from: number;
      let to: number;
      let recStream: OutputStream;
      if (prev >= 0 && nl >= p + PREFIX && samePrefix(data, prev, p)) {
        // The same stamp, stream and tag as the record before (the same read of the pipe): judged already.
        if (!prevTaken) {
          p = nl + 1;
          continue;
        }
        recStream = data[p + 39] === 0x6f ? 'stdout' : 'stderr';
        from = p + PREFIX;
        to = data[p + 43] === 0x50 ? nl : nl + 1;
      } else {
        const fixed = nl >= p + PREFIX ? fixedForm(data, p) : null;
        if (fixed !== null) {
          prev = p;
          prevTaken = true;
          if (timed) {
            const t = stampMillis(data.toString('latin1', p, p + 35));
            prevTaken = t !== null && this.#wanted(t);
          }
          if (this.pastUntil) break;
          if (!prevTaken) {
            p = nl + 1;
            continue;
          }
          recStream = fixed;
          from = p + PREFIX;
          to = data[p + 43] === 0x50 ? nl : nl + 1;
        } else {
          prev = -1;
          const rec = parseRecord(data.subarray(p, nl + 1));
          const wanted = rec !== null && this.#wanted(rec.time.getTime());
          if (this.pastUntil) break;
          if (!wanted) {
            p = nl + 1;
            continue;
          }
          recStream = rec.stream;
          const text = rec.partial ? rec.text : (rec.textNl ?? rec.text);
          from = text.byteOffset - data.byteOffset;
          to = from + text.length;
        }
      }
      if (recStream !== stream) {
        pushRun(data, runStart, w, stream, out);
        runStart = w;
        stream = recStream;
      }
      // The text moves down over the prefixes already passed: the block is compacted in place.
      if (from !== w) data.copyWithin(w, from, to);
      w += to - from;
      p = nl + 1;
    }
    pushRun(data, runStart, w, stream, out);
    return p;
  }

  lend(item: LogChunk, release: () => void): void {
    item.release = release;
  }

  finish(rest: Buffer, out: LogChunk[]): void {
    if (this.pastUntil || rest.length === 0) return;
    const rec = parseRecord(rest);
    if (rec && this.#wanted(rec.time.getTime()) && rec.text.length > 0) out.push({ stream: rec.stream, data: Buffer.from(rec.text) });
  }
}

/** The time of the last record before `end`, or NaN. */
function lastMillis(b: Buffer, end: number): number {
  const start = end >= 2 ? b.lastIndexOf(NL, end - 2) + 1 : 0;
  return recordMillis(b.subarray(start, Math.min(end, start + 64))) ?? Number.NaN;
}

/** Whether the records at a and b start with the same 45 bytes (compared from the nanoseconds' end: where stamps differ). */
function samePrefix(b: Buffer, a: number, c: number): boolean {
  for (let i = PREFIX - 1; i >= 0; i--) if (b[a + i] !== b[c + i]) return false;
  return true;
}

/** The text gathered in [from, to) of the block as one chunk. */
function pushRun(b: Buffer, from: number, to: number, stream: OutputStream, out: LogChunk[]): void {
  if (to > from) out.push({ stream, data: b.subarray(from, to) });
}
