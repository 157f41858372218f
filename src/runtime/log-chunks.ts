// The plain read (`docker logs` without -t or --details, between since and
// until): conmon's k8s-file (log-format.ts) as runs of whole lines of one
// stream, each run one buffer, nothing built per line.
//
// Each record's text is moved down over the prefixes before it: the block
// is compacted in place, then lent out with its runs as views
// (log-blocks.ts). conmon stamps every record of one read from the
// container's pipe with the same time, so a block is a series of groups
// of records with one prefix each ("<stamp> stdout F "): the prefix is
// parsed (and, for since and until, its time judged) once per group, and
// the group's records are taken by log-compact.ts's kernel in one call.
// Records not in that form go through parseRecord one by one.
//
// Records are in time order in the file (conmon stamps them as it writes
// them), so once a record at or after `since` is seen, what follows is too.

import type { LogChunk, OutputStream } from '../core/runtime.ts';
import type { LogDecoder } from './log-decode.ts';
import { PREFIX_MAX, PREFIX_MIN, workOn } from './log-compact.ts';
import { parseRecord, recordMillis, stampMillis } from './log-format.ts';

const NL = 0x0a;
const SPACE = 0x20;

/** A record's prefix: "<stamp> <stdout|stderr> <F|P> ". */
export interface Prefix {
  /** Bytes up to the text. */
  len: number;
  /** Bytes of the stamp. */
  stampLen: number;
  stream: OutputStream;
  partial: boolean;
}

/** The prefix of the record at `p` (which ends before `end`), or null when the record is not in that form. */
export function prefixAt(b: Uint8Array, p: number, end: number): Prefix | null {
  const max = Math.min(end, p + PREFIX_MAX - 9);
  let s = p;
  while (s < max && b[s] !== SPACE && b[s] !== NL) s++;
  // The stamp: "YYYY-MM-DDTHH:MM:SS", maybe a fraction, and a zone (parsed only when its time is wanted).
  if (s >= max || b[s] !== SPACE || s - p < 20 || b[p + 10] !== 0x54 /* T */) return null;
  if (b[p + 4] !== 0x2d /* - */ || b[p + 7] !== 0x2d || b[p + 13] !== 0x3a /* : */ || b[p + 16] !== 0x3a) return null;
  if (b[s + 1] !== 0x73 /* s */ || b[s + 2] !== 0x74 /* t */ || b[s + 3] !== 0x64 /* d */ || b[s + 7] !== SPACE || b[s + 9] !== SPACE) return null;
  let stream: OutputStream;
  if (b[s + 4] === 0x6f && b[s + 5] === 0x75 && b[s + 6] === 0x74) stream = 'stdout';
  else if (b[s + 4] === 0x65 && b[s + 5] === 0x72 && b[s + 6] === 0x72) stream = 'stderr';
  else return null;
  const tag = b[s + 8];
  if (tag !== 0x46 /* F */ && tag !== 0x50 /* P */) return null;
  return { len: s + 10 - p, stampLen: s - p, stream, partial: tag === 0x50 };
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
    const work = workOn(data, end);
    const b = work.buf;
    let stream: OutputStream = 'stdout';
    let runStart = 0;
    let w = 0;
    let p = 0;
    // The prefix of the last group found to be before since (nothing is taken yet, so it is intact).
    let skipAt = -1;
    let skipLen = 0;
    while (p < end) {
      const f = prefixAt(b, p, end);
      if (f) {
        if (skipAt >= 0 && f.len === skipLen && b.compare(b, skipAt, skipAt + skipLen, p, p + f.len) === 0) {
          p = b.indexOf(NL, p) + 1;
          continue;
        }
        if (timed) {
          const t = stampMillis(b.toString('latin1', p, p + f.stampLen));
          const wanted = t !== null && this.#wanted(t);
          if (this.pastUntil) break;
          if (!wanted) {
            skipAt = p;
            skipLen = f.len;
            p = b.indexOf(NL, p) + 1;
            continue;
          }
        }
        if (f.len >= PREFIX_MIN) {
          if (f.stream !== stream) {
            pushRun(data, runStart, w, stream, out);
            runStart = w;
            stream = f.stream;
          }
          const next = work.kernel.compact(p, end, w, f.len, !f.partial);
          // The record at p always has its own prefix and ends before end: the kernel took at least it.
          if (next > p) {
            p = next;
            w = work.kernel.w;
            continue;
          }
        }
      }
      // One record the slow way.
      const nl = b.indexOf(NL, p);
      const rec = parseRecord(b.subarray(p, nl + 1));
      const wanted = rec !== null && this.#wanted(rec.time.getTime());
      if (this.pastUntil) break;
      if (wanted) {
        if (rec.stream !== stream) {
          pushRun(data, runStart, w, stream, out);
          runStart = w;
          stream = rec.stream;
        }
        const text = rec.partial ? rec.text : (rec.textNl ?? rec.text);
        const from = text.byteOffset - b.byteOffset;
        if (from !== w) b.copyWithin(w, from, from + text.length);
        w += text.length;
      }
      p = nl + 1;
    }
    work.done(w);
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

/** The text gathered in [from, to) of the block as one chunk. */
function pushRun(b: Buffer, from: number, to: number, stream: OutputStream, out: LogChunk[]): void {
  if (to > from) out.push({ stream, data: b.subarray(from, to) });
}
