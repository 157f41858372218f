// Turning blocks of conmon's k8s-file (log-format.ts) into what a reader
// wants, between since and until:
//
// - EntryDecoder: one LogEntry per line, with its time and stamp (for
//   `logs -t`, `--details`, and the engine's own readers).
// - ChunkDecoder: runs of whole lines of one stream as one buffer, for
//   `docker logs` without -t or --details, where nothing per line is
//   needed but the text. conmon stamps every record of one read from the
//   container's pipe with the same time, and the prefix is fixed width
//   ("<35-char stamp> stdout F ", 45 bytes), so the lines of one read
//   share one prefix: one native replaceAll of "\n" + prefix strips a
//   whole read's worth of lines (~8 KiB of output), and the time filters
//   look at each read once. A line per read (a service logging slowly)
//   costs a slice per line; records not in that exact form go through
//   parseRecord like the entry decoder's.
//
// Records are in time order in the file (conmon stamps them as it writes
// them), so once a record at or after `since` is seen, what follows is too.

import type { LogChunk, LogEntry, OutputStream } from '../core/runtime.ts';
import { LineAssembler, parseRecord, recordMillis, stampMillis } from './log-format.ts';

const NL = 0x0a;
const PREFIX = 45;

export interface LogDecoder<T> {
  /** False when what it decodes never points into the block: the reader may reuse its buffer. */
  readonly keepsData: boolean;
  /** Set once a record past `until` is seen: nothing after it is wanted. */
  readonly pastUntil: boolean;
  /** Decodes the complete records of `data` (which starts at a record) into `out`; returns the bytes used. */
  decode(data: Buffer, out: T[]): number;
  /** The log's end: a last record cut short (no "\n"), then lines that never ended. */
  finish(rest: Buffer, out: T[]): void;
}

export class EntryDecoder implements LogDecoder<LogEntry> {
  readonly keepsData = true;
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
    for (let nl = data.indexOf(NL); nl >= 0 && !this.pastUntil; nl = data.indexOf(NL, from)) {
      const rec = parseRecord(data.subarray(from, nl + 1));
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

const STDOUT_F = /\n[^ \n]+ stdout F /g;
const STDERR_F = /\n[^ \n]+ stderr F /g;

/** Whether the record after the one at p (which ends before `end`) has the same prefix: the same read. */
function sharesPrefix(b: Buffer, p: number, end: number): boolean {
  const next = b.indexOf(NL, p) + 1;
  // The nanoseconds' last digit first: lines stamped one by one mostly differ there.
  return next + PREFIX <= end && b[next + 28] === b[p + 28] && b.compare(b, next, next + PREFIX, p, p + PREFIX) === 0;
}

/** The time of the last record before `end`, or NaN. */
function lastMillis(b: Buffer, end: number): number {
  const start = end >= 2 ? b.lastIndexOf(NL, end - 2) + 1 : 0;
  return recordMillis(b.subarray(start, Math.min(end, start + 64))) ?? Number.NaN;
}

/**
 * The stream when every record before `end` is a full line of one stream
 * (the other stream's name and a P record of this one appear nowhere,
 * not even in the text, which merely sends a block the slower way), else null.
 */
function oneStreamOfFullLines(b: Buffer, end: number): OutputStream | null {
  const stream = end > PREFIX ? fixedForm(b, 0) : null;
  if (stream === null || b[43] !== 0x46) return null;
  const other = stream === 'stdout' ? ' stderr ' : ' stdout ';
  const partial = stream === 'stdout' ? ' stdout P ' : ' stderr P ';
  const o = b.indexOf(other, 0, 'latin1');
  const q = b.indexOf(partial, 0, 'latin1');
  return (o < 0 || o >= end) && (q < 0 || q >= end) ? stream : null;
}

/**
 * Text gathered for one stream at a time in a scratch buffer (nothing
 * lives on in the JS heap: the strings die young), copied out into one
 * buffer when the stream changes or the block ends.
 */
class Chunks {
  readonly #out: LogChunk[];
  readonly #scratch: Buffer;
  #stream: OutputStream = 'stdout';
  #start = 0;
  #at = 0;

  /** `scratch` holds at least as many bytes as the block's text can take. */
  constructor(out: LogChunk[], scratch: Buffer) {
    this.#out = out;
    this.#scratch = scratch;
  }

  /** A piece of text: a latin1 string or bytes of the block. */
  add(stream: OutputStream, text: string | Buffer): void {
    if (text.length === 0) return;
    if (stream !== this.#stream) this.close();
    this.#stream = stream;
    this.#at += typeof text === 'string' ? this.#scratch.write(text, this.#at, 'latin1') : text.copy(this.#scratch, this.#at);
  }

  close(): void {
    if (this.#at === this.#start) return;
    const data = Buffer.allocUnsafe(this.#at - this.#start);
    this.#scratch.copy(data, 0, this.#start, this.#at);
    this.#out.push({ stream: this.#stream, data });
    this.#start = this.#at;
  }
}

export class ChunkDecoder implements LogDecoder<LogChunk> {
  readonly keepsData = false;
  pastUntil = false;
  #since: number | undefined;
  readonly #until: number | undefined;
  /** How far ahead to look for the end of a read's lines (grows with what the log shows). */
  #window = 16 * 1024;
  /** Records before this offset of the current block go one by one (a run that failed its check). */
  #singlesUntil = 0;
  /** Where a block's text is gathered (its text is never longer than the block). */
  #scratch: Buffer = Buffer.alloc(0);

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
    if (this.#scratch.length < end) this.#scratch = Buffer.allocUnsafe(end);
    const chunks = new Chunks(out, this.#scratch);
    // Times matter only until since is met, and for until only in the block that passes it.
    const timed = this.#since !== undefined || (this.#until !== undefined && !(lastMillis(data, end) <= this.#until));
    const only = timed ? null : oneStreamOfFullLines(data, end);
    if (only && !sharesPrefix(data, 0, end)) {
      // A line per read (stamps differ per line): one regex pass takes every prefix off.
      chunks.add(only, `\n${data.toString('latin1', 0, end)}`.replace(only === 'stdout' ? STDOUT_F : STDERR_F, '\n').slice(1));
      chunks.close();
      return end;
    }
    this.#singlesUntil = 0;
    let p = 0;
    while (p < end && !this.pastUntil) p = this.#record(data, p, end, chunks, timed);
    chunks.close();
    return p;
  }

  /** Takes the record at p (and the rest of its read when it has one); returns where the next starts. */
  #record(b: Buffer, p: number, end: number, chunks: Chunks, timed: boolean): number {
    const nl = b.indexOf(NL, p);
    const next = nl + 1;
    const stream = nl >= p + PREFIX - 1 ? fixedForm(b, p) : null;
    if (stream === null) {
      const rec = parseRecord(b.subarray(p, next));
      if (rec && this.#wanted(rec.time.getTime())) chunks.add(rec.stream, rec.partial ? rec.text : (rec.textNl ?? rec.text));
      return this.pastUntil ? p : next;
    }
    if (timed) {
      const t = stampMillis(b.toString('latin1', p, p + 35));
      if (t === null || !this.#wanted(t)) return this.pastUntil ? p : next;
    }
    const partial = b[p + 43] === 0x50;
    if (partial || p < this.#singlesUntil || !sharesPrefix(b, p, end)) {
      chunks.add(stream, b.subarray(p + PREFIX, partial ? nl : next));
      return next;
    }
    // The same prefix goes on: find the last record of this read, looking ahead in a growing window.
    const pattern = `\n${b.toString('latin1', p, p + PREFIX)}`;
    let last = next;
    for (;;) {
      // A match at or before end - 2 starts a record that ends (in a "\n") within the block.
      const i = b.lastIndexOf(pattern, Math.min(end - 2, last + this.#window), 'latin1');
      if (i + 1 > last) last = i + 1;
      const after = b.indexOf(NL, last) + 1;
      if (after + PREFIX <= end && b.compare(b, p, p + PREFIX, after, after + PREFIX) === 0) {
        last = after;
        this.#window *= 2;
        continue;
      }
      const text = b.toString('latin1', p + PREFIX, after).replaceAll(pattern, '\n');
      // Another record inside (another stream, a P record, a stamp out of order) would keep its " stdout "/" stderr ".
      if (text.includes(' stdout ') || text.includes(' stderr ')) {
        this.#singlesUntil = after;
        chunks.add(stream, b.subarray(p + PREFIX, next));
        return next;
      }
      // The next read is likely as long as this one: a window just past it keeps the backward search short.
      this.#window = after - p + 1024;
      chunks.add(stream, text);
      return after;
    }
  }

  finish(rest: Buffer, out: LogChunk[]): void {
    if (this.pastUntil || rest.length === 0) return;
    const rec = parseRecord(rest);
    if (rec && this.#wanted(rec.time.getTime()) && rec.text.length > 0) out.push({ stream: rec.stream, data: Buffer.from(rec.text) });
  }
}
