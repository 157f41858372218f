// Turning blocks of conmon's k8s-file (log-format.ts) into what a reader
// wants, between since and until:
//
// - EntryDecoder: one LogEntry per line, with its time and stamp (for
//   `logs -t`, `--details`, and the engine's own readers). A record with
//   the same prefix as the one before (the same read of the pipe) takes
//   its stream, tag and time from it: the stamp is parsed once per read.
// - ChunkDecoder (log-chunks.ts): runs of whole lines of one stream as
//   one buffer, for `docker logs` without -t or --details.
//
// Records are in time order in the file (conmon stamps them as it writes
// them), so once a record at or after `since` is seen, what follows is too.

import type { LogEntry, OutputStream } from '../core/runtime.ts';
import { LineAssembler, type LogRecord, parseRecord } from './log-format.ts';

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

/** Whether the records at a and b start with the same 45 bytes (compared from the nanoseconds' end: where stamps differ). */
function samePrefix(b: Buffer, a: number, c: number): boolean {
  for (let i = PREFIX - 1; i >= 0; i--) if (b[a + i] !== b[c + i]) return false;
  return true;
}
