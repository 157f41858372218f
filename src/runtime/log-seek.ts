// Finding where to start reading a log without reading all of it.
//
// tail: scan backwards from the end, block by block, counting complete
// lines. since: the records of one file are in time order (conmon stamps
// each write as it makes it), so a binary search over byte offsets, each
// probe reading the first whole record after the offset, finds the first
// record at or after `since` in O(log size) reads of one block: the file
// is its own index by time. A 1 GiB log takes ~30 probes.

import { isFullRecord, recordMillis } from './log-format.ts';
import type { LogFile } from './log-source.ts';

const BLOCK = 64 * 1024;
/** tail reads backwards in blocks growing from BLOCK to this (100,000 lines of a busy log are a few of them). */
const TAIL_BLOCK_MAX = 1024 * 1024;
const PROBE = 16 * 1024;
const NL = 0x0a;

/**
 * Where the last `n` lines start, and how many of them this file holds
 * (fewer than n: the rest are in older files). A line is complete at its F
 * record; P records after the last F (a line still being written) count
 * as one line, unless `continued` (the line goes on in the next file). A
 * record still being written (no "\n" yet) is not counted.
 */
export async function tailOffset(file: LogFile, n: number, opts: { continued?: boolean } = {}): Promise<{ offset: number; lines: number }> {
  const size = await file.size();
  if (n <= 0 || size === 0) return { offset: size, lines: 0 };
  let bufStart = size;
  let blockLen = BLOCK;
  let buf: Buffer = Buffer.alloc(0);
  let lineEnd = -1; // file offset just past the "\n" of the record being looked at
  let count = 0;
  let sawFull = false;
  // A rotated file's trailing P records are a line the next file ends (and counts).
  let trailingCounted = opts.continued === true;

  // Counts the record buf[start, end); true when it ends the (n+1)-th line from the end.
  const classify = (start: number, end: number): boolean => {
    // conmon's fixed-width prefix puts the tag at 43; anything else is parsed.
    const full = end - start >= 44 && buf[start + 35] === 0x20 && buf[start + 44] === 0x20 && buf[start + 42] === 0x20
      ? (buf[start + 43] === 0x46 ? true : buf[start + 43] === 0x50 ? false : null)
      : isFullRecord(buf.subarray(start, end));
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
    const readLen = Math.min(blockLen, bufStart);
    blockLen = Math.min(2 * blockLen, TAIL_BLOCK_MAX);
    const block = Buffer.allocUnsafe(readLen);
    await file.read(block, bufStart - readLen);
    bufStart -= readLen;
    // buf holds only the bytes of the record not classified yet.
    buf = buf.length ? Buffer.concat([block, buf]) : block;
    let i = readLen;
    for (;;) {
      i = buf.lastIndexOf(NL, i - 1);
      if (i < 0) break;
      if (lineEnd >= 0 && classify(i + 1, lineEnd - bufStart - 1)) return { offset: lineEnd, lines: n };
      lineEnd = bufStart + i + 1;
      buf = buf.subarray(0, i + 1);
      if (i === 0) break;
    }
  }
  if (lineEnd > 0 && classify(0, lineEnd - 1)) return { offset: lineEnd, lines: n };
  // The first line of the file is complete only if the file starts at a record (it does: offset 0).
  return { offset: 0, lines: Math.min(count, n) };
}

/** The time of the first whole record starting at or after `pos`, and where it starts; null past the last. */
async function recordAfter(file: LogFile, pos: number, size: number): Promise<{ at: number; ms: number } | null> {
  let at = pos;
  if (pos > 0) {
    // Find the end of the record `pos` is in (the byte before pos may be its "\n").
    let scan = pos - 1;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(PROBE, size - scan));
      const got = await file.read(buf, scan);
      if (got <= 0) return null;
      const nl = buf.subarray(0, got).indexOf(NL);
      if (nl >= 0) {
        at = scan + nl + 1;
        // The record's stamp is mostly in the same read: no second one.
        const ms = nl + 1 + 64 <= got ? recordMillis(buf.subarray(nl + 1, nl + 1 + 64)) : null;
        if (ms !== null) return { at, ms };
        break;
      }
      scan += got;
      if (scan >= size) return null;
    }
  }
  if (at >= size) return null;
  const head = Buffer.allocUnsafe(Math.min(64, size - at));
  const got = await file.read(head, at);
  const ms = recordMillis(head.subarray(0, got));
  return ms === null ? null : { at, ms };
}

/**
 * The offset of a record starting at or before the first record stamped
 * at or after `sinceMs`, so that reading on from it and filtering by time
 * misses nothing. 0 when the file starts after since.
 */
export async function sinceOffset(file: LogFile, sinceMs: number): Promise<number> {
  const size = await file.size();
  let lo = 0; // a record start known to be before since (or 0)
  let hi = size; // everything from here on is at or after since
  while (hi - lo > BLOCK) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const r = await recordAfter(file, mid, size);
    if (!r || r.at >= hi) {
      hi = mid;
    } else if (r.ms < sinceMs) {
      lo = r.at;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/** The time of the file's last record, or null when it holds none. */
export async function lastMillis(file: LogFile): Promise<number | null> {
  const size = await file.size();
  if (size === 0) return null;
  const { offset } = await tailOffset(file, 1);
  if (offset >= size) return null;
  const head = Buffer.allocUnsafe(Math.min(64, size - offset));
  const got = await file.read(head, offset);
  return recordMillis(head.subarray(0, got));
}
