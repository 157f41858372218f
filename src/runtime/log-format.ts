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
}

const SPACE = 0x20;

/** Parses one record (without its trailing "\n"); null for a malformed one. */
export function parseRecord(line: Buffer): LogRecord | null {
  const s1 = line.indexOf(SPACE);
  if (s1 <= 0) return null;
  const s2 = line.indexOf(SPACE, s1 + 1);
  if (s2 < 0) return null;
  const streamName = line.toString('latin1', s1 + 1, s2);
  if (streamName !== 'stdout' && streamName !== 'stderr') return null;
  const tag = line[s2 + 1];
  if (tag !== 0x46 /* F */ && tag !== 0x50 /* P */) return null;
  const textStart = Math.min(s2 + 3, line.length);
  const ts = line.toString('latin1', 0, s1);
  const time = new Date(ts);
  if (Number.isNaN(time.getTime())) return null;
  return { stream: streamName, partial: tag === 0x50, time, timestamp: toDockerTimestamp(ts, time), text: line.subarray(textStart) };
}

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
    const nl = Buffer.from('\n');
    if (!open) return { stream: rec.stream, time: rec.time, timestamp: rec.timestamp, data: Buffer.concat([rec.text, nl]) };
    delete this.#pending[rec.stream];
    return { stream: rec.stream, time: open.first.time, timestamp: open.first.timestamp, data: Buffer.concat([...open.parts, rec.text, nl]) };
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
