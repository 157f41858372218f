// conmon's k8s-file log format, one record per line:
//
//   2024-05-01T10:00:00.123456789+00:00 stdout F hello\n
//   2024-05-01T10:00:00.123456789+00:00 stderr P a long line with no end yet\n
//   2024-05-01T10:00:00.200000000+00:00 stderr F  and its end\n
//
// F ("full") records end a line: the container wrote this text followed by
// "\n" (the newline is the record's own). P ("partial") records hold text
// that had no newline yet; conmon adds a "\n" only to end the record. A
// line is the P records of one stream followed by its F record; the
// streams may interleave. The timestamp is the local time with an offset;
// Docker prints UTC with 9 fixed fractional digits, so that is what
// LogEntry.timestamp carries.

import type { LogEntry, OutputStream } from '../core/runtime.ts';

export interface LogRecord {
  stream: OutputStream;
  partial: boolean;
  time: Date;
  timestamp: string;
  text: Buffer;
  /** The text and the record's "\n" as one view, when the record was given with it (saves a copy per line). */
  textNl?: Buffer;
}

const SPACE = 0x20;
const NL_BUF = Buffer.from('\n');


/** Parses one record (with or without its trailing "\n"); null for a malformed one. */
export function parseRecord(record: Buffer): LogRecord | null {
  const nl = record.length > 0 && record[record.length - 1] === 0x0a;
  const line = nl ? record.subarray(0, record.length - 1) : record;
  const s1 = line.indexOf(SPACE);
  if (s1 <= 0) return null;
  const s2 = line.indexOf(SPACE, s1 + 1);
  if (s2 < 0) return null;
  const len = s2 - s1 - 1;
  let streamName: OutputStream;
  if (len === 6 && line[s1 + 4] === 0x6f /* o */) streamName = 'stdout';
  else if (len === 6 && line[s1 + 4] === 0x65 /* e */) streamName = 'stderr';
  else return null;
  if (line[s1 + 1] !== 0x73 /* s */) return null;
  const tag = line[s2 + 1];
  if (tag !== 0x46 /* F */ && tag !== 0x50 /* P */) return null;
  const textStart = Math.min(s2 + 3, line.length);
  const ts = line.toString('latin1', 0, s1);
  const stamp = stamps.parse(ts);
  if (!stamp) return null;
  const rec: LogRecord = { stream: streamName, partial: tag === 0x50, time: new Date(stamp.ms), timestamp: stamp.docker, text: line.subarray(textStart) };
  if (nl && textStart <= line.length) rec.textNl = record.subarray(textStart);
  return rec;
}

/** The time of a record in ms since the epoch, without building the record; null for a malformed one. */
export function recordMillis(line: Buffer): number | null {
  const s1 = line.indexOf(SPACE);
  if (s1 <= 0) return null;
  return stamps.parse(line.toString('latin1', 0, s1))?.ms ?? null;
}

/** The time of a stamp ("2024-05-01T10:00:00.123456789+00:00") in ms since the epoch; null for a malformed one. */
export function stampMillis(ts: string): number | null {
  return stamps.parse(ts)?.ms ?? null;
}

/**
 * conmon's stamps ("2024-05-01T10:00:00.123456789+02:00") into ms and
 * Docker's form, remembering the last second seen: lines come in bursts
 * within one second, and Date.parse per line was most of a log read.
 */
class StampCache {
  #key = '';
  #baseMs = 0;
  #utcSecond = '';

  parse(ts: string): { ms: number; docker: string } | null {
    // <19 chars of date and time>[.<fraction>]<zone>
    if (ts.length < 20 || ts[10] !== 'T') return this.#slow(ts);
    let i = 19;
    let frac = '';
    if (ts[19] === '.') {
      i = 20;
      while (i < ts.length && ts.charCodeAt(i) >= 48 && ts.charCodeAt(i) <= 57) i++;
      frac = ts.slice(20, i);
    }
    const zone = ts.slice(i);
    const key = ts.slice(0, 19) + zone;
    if (key !== this.#key) {
      const base = Date.parse(ts.slice(0, 19) + (zone || 'Z'));
      if (Number.isNaN(base)) return this.#slow(ts);
      this.#key = key;
      this.#baseMs = base;
      this.#utcSecond = new Date(base).toISOString().slice(0, 19);
    }
    const ms = this.#baseMs + (frac ? Number((frac + '00').slice(0, 3)) : 0);
    return { ms, docker: `${this.#utcSecond}.${frac.length === 9 ? frac : frac.slice(0, 9).padEnd(9, '0')}Z` };
  }

  #slow(ts: string): { ms: number; docker: string } | null {
    const time = new Date(ts);
    if (Number.isNaN(time.getTime())) return null;
    return { ms: time.getTime(), docker: toDockerTimestamp(ts, time) };
  }
}

const stamps = new StampCache();

/** "2024-05-01T12:00:00.5+02:00" -> "2024-05-01T10:00:00.500000000Z". */
export function toDockerTimestamp(ts: string, time: Date): string {
  const frac = /\.(\d+)/.exec(ts)?.[1] ?? '';
  return `${time.toISOString().slice(0, 19)}.${frac.slice(0, 9).padEnd(9, '0')}Z`;
}

/**
 * Joins P records with the F record that completes them, per stream.
 * The joined entry carries the first part's time.
 */
export class LineAssembler {
  #pending: Partial<Record<OutputStream, { first: LogRecord; parts: Buffer[] }>> = {};

  /** Returns the entry this record completes, or null while the line is still open. */
  push(rec: LogRecord): LogEntry | null {
    const open = this.#pending[rec.stream];
    if (rec.partial) {
      if (open) open.parts.push(rec.text);
      else this.#pending[rec.stream] = { first: rec, parts: [rec.text] };
      return null;
    }
    if (!open) return { stream: rec.stream, time: rec.time, timestamp: rec.timestamp, data: rec.textNl ?? Buffer.concat([rec.text, NL_BUF]) };
    delete this.#pending[rec.stream];
    return { stream: rec.stream, time: open.first.time, timestamp: open.first.timestamp, data: Buffer.concat([...open.parts, rec.text, NL_BUF]) };
  }

  /** Lines that never got their end (the container exited mid-line), oldest first. */
  flush(): LogEntry[] {
    const out: LogEntry[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const open = this.#pending[stream];
      if (open) out.push({ stream, time: open.first.time, timestamp: open.first.timestamp, data: Buffer.concat(open.parts) });
    }
    delete this.#pending.stdout;
    delete this.#pending.stderr;
    return out.sort((a, b) => a.time.getTime() - b.time.getTime());
  }
}

/** Whether a raw record line is an F record, cheaply (for tail counting). */
export function isFullRecord(line: Buffer): boolean | null {
  const s1 = line.indexOf(SPACE);
  if (s1 <= 0) return null;
  const s2 = line.indexOf(SPACE, s1 + 1);
  if (s2 < 0 || s2 + 1 >= line.length) return null;
  const tag = line[s2 + 1];
  return tag === 0x46 ? true : tag === 0x50 ? false : null;
}
