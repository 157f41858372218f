// The plain read's fast path (log-chunks.ts with log-compact.ts's
// WebAssembly kernel) against a reference written here from the format
// alone: every record's text (with its "\n" for F records) in file order,
// adjacent texts of one stream joined. Logs with the kinds of records that
// matter to the kernel: groups of one prefix, stamps of every width,
// texts of every length around its 16-byte steps, empty and CRLF lines,
// P records, streams mixed, lines that are not records, and blocks cut
// anywhere (a record split across two reads of the file).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { LogChunk, OutputStream } from '../../../src/core/runtime.ts';
import { ChunkDecoder, prefixAt } from '../../../src/runtime/log-chunks.ts';
import { BlockPool } from '../../../src/runtime/log-blocks.ts';
import { blockBuffer, Kernel } from '../../../src/runtime/log-compact.ts';
import { readLogChunks } from '../../../src/runtime/logs.ts';

type Piece = [OutputStream, string];

function rng(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((x / 2 ** 31) * n);
  };
}

const STAMPS = [
  '2024-05-01T10:00:00.123456789+00:00',
  '2024-05-01T10:00:00.5+02:00',
  '2024-05-01T10:00:00Z',
  '2024-05-01T10:00:00.123456789012-05:30',
  '2024-05-01T10:00:01.000000001+00:00',
];

/** A text of n bytes: printable, CR, tab and bytes above 0x7f, never "\n". */
function text(rnd: (n: number) => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const k = rnd(20);
    s += k === 0 ? '\r' : k === 1 ? '\t' : k === 2 ? String.fromCharCode(0x80 + rnd(128)) : String.fromCharCode(0x20 + rnd(95));
  }
  return s;
}

/** A log of groups of records sharing a prefix, with odd lines among them; and what a reader must get from it. */
function makeLog(seed: number, groups: number): { log: Buffer; want: Piece[] } {
  const rnd = rng(seed);
  const lines: string[] = [];
  const want: Piece[] = [];
  const give = (stream: OutputStream, s: string) => {
    if (s.length === 0) return;
    const last = want.at(-1);
    if (last && last[0] === stream) last[1] += s;
    else want.push([stream, s]);
  };
  for (let g = 0; g < groups; g++) {
    const stamp = STAMPS[rnd(STAMPS.length)]!;
    const stream: OutputStream = rnd(3) === 0 ? 'stderr' : 'stdout';
    const tag = rnd(5) === 0 ? 'P' : 'F';
    const n = 1 + rnd(12);
    for (let i = 0; i < n; i++) {
      const len = [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65][rnd(11)]! + (rnd(4) === 0 ? rnd(300) : 0);
      let t = text(rnd, len);
      if (rnd(8) === 0) t += '\r';
      lines.push(`${stamp} ${stream} ${tag} ${t}\n`);
      give(stream, tag === 'F' ? `${t}\n` : t);
    }
    const odd = rnd(12);
    // Records in other forms (taken by the slow path) and lines that are not records (dropped).
    if (odd === 0) {
      lines.push(`${stamp} ${stream} F\n`);
      give(stream, '\n');
    } else if (odd === 1) {
      lines.push('not a record at all\n');
    } else if (odd === 2) {
      lines.push(`${stamp} stdin F nope\n`);
    } else if (odd === 3) {
      lines.push(`${stamp} ${stream}  F two spaces\n`);
    } else if (odd === 4) {
      lines.push('\n');
    }
  }
  return { log: Buffer.from(lines.join(''), 'latin1'), want };
}

/** One block reused (as the reader's pool does), a new one only when more room is needed. */
function reused(make: (size: number) => Buffer): (size: number) => Buffer {
  let b: Buffer | null = null;
  return (size) => (b && b.length >= size ? b : (b = make(Math.max(size, 128 * 1024))));
}

function joined(chunks: LogChunk[]): Piece[] {
  const out: Piece[] = [];
  for (const c of chunks) {
    assert.ok(c.data.length > 0, 'no empty chunk');
    const last = out.at(-1);
    if (last && last[0] === c.stream) last[1] += c.data.toString('latin1');
    else out.push([c.stream, c.data.toString('latin1')]);
  }
  return out;
}

/** Asserts got equals want, with a short message at the first difference (a full diff of megabytes takes minutes). */
function same(got: Piece[], want: Piece[], what: string): void {
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    const g = got[i];
    const w = want[i];
    if (g && w && g[0] === w[0] && g[1] === w[1]) continue;
    let at = 0;
    while (g && w && g[1][at] === w[1][at]) at++;
    const near = (x: Piece | undefined) => (x ? `${x[0]} ${JSON.stringify(x[1].slice(Math.max(0, at - 20), at + 20))}` : 'nothing');
    assert.fail(`${what}: piece ${i} of ${want.length} differs at ${at}: got ${near(g)}, want ${near(w)}`);
  }
}

/** Decodes `log` in blocks cut at the given lengths, as the reader does (the cut record carried into the next block). */
function decodeInBlocks(log: Buffer, cuts: (i: number) => number, makeBlock: (size: number) => Buffer): Piece[] {
  const d = new ChunkDecoder();
  const chunks: LogChunk[] = [];
  let rest = Buffer.alloc(0);
  let off = 0;
  for (let i = 0; off < log.length; i++) {
    const n = Math.min(cuts(i), log.length - off);
    const blk = makeBlock(rest.length + n);
    rest.copy(blk);
    log.copy(blk, rest.length, off, off + n);
    off += n;
    const data = blk.subarray(0, rest.length + n);
    const out: LogChunk[] = [];
    const used = d.decode(data, out);
    // Each chunk copied at once: the next block may be the same memory.
    for (const c of out) chunks.push({ stream: c.stream, data: Buffer.from(c.data) });
    rest = Buffer.from(data.subarray(used));
  }
  const out: LogChunk[] = [];
  d.finish(rest, out);
  chunks.push(...out);
  return joined(chunks);
}

test('kernel: groups of one prefix taken whole, texts of every length, P records without their "\\n"', () => {
  const k = new Kernel(4096);
  const pre = '2024-05-01T10:00:00.123456789+00:00 stdout F ';
  const texts = ['', 'a', 'x'.repeat(15), 'y'.repeat(16), 'z'.repeat(17), 'w\r', 'v'.repeat(100)];
  const body = texts.map((t) => `${pre}${t}\n`).join('') + `${pre.replace('stdout', 'stderr')}other\n`;
  k.data.write(body, 'latin1');
  const end = Buffer.byteLength(body, 'latin1');
  const next = k.compact(0, end, 0, pre.length, true);
  assert.equal(k.data.toString('latin1', 0, k.w), texts.map((t) => `${t}\n`).join(''));
  assert.equal(k.data.toString('latin1', next, next + pre.length), pre.replace('stdout', 'stderr'), 'stops at the first other prefix');
  // A P group: the "\n" that only ends the record is left out.
  k.data.write(`${pre}ab\n${pre}cd\n`, 'latin1');
  assert.equal(k.compact(0, 2 * (pre.length + 3), 0, pre.length, false), 2 * (pre.length + 3));
  assert.equal(k.data.toString('latin1', 0, k.w), 'abcd');
  // A record whose "\n" is not before end is left for the next block.
  k.data.write(`${pre}ab\n${pre}cd\n`, 'latin1');
  assert.equal(k.compact(0, 2 * (pre.length + 3) - 1, 0, pre.length, true), pre.length + 3);
  assert.equal(k.data.toString('latin1', 0, k.w), 'ab\n');
});

test('prefixAt: stamps of every width, both streams and tags; anything else is not a prefix', () => {
  const at = (s: string) => prefixAt(Buffer.from(s, 'latin1'), 0, s.length);
  assert.deepEqual(at('2024-05-01T10:00:00.5+02:00 stderr P x\n'), { len: 37, stampLen: 27, stream: 'stderr', partial: true });
  assert.deepEqual(at('2024-05-01T10:00:00Z stdout F \n'), { len: 30, stampLen: 20, stream: 'stdout', partial: false });
  for (const bad of ['2024-05-01T10:00:00Z stdin F x\n', '2024-05-01T10:00:00Z stdout X x\n', '2024-05-01 10:00:00Z stdout F x\n',
    '2024-05-01T10:00:00Z stdout F\n', '2024-05-01T10:00 stdout F x\n', 'garbage\n', '\n']) {
    assert.equal(at(bad), null, JSON.stringify(bad));
  }
});

test('chunks fast path: the reference text for random logs, blocks cut anywhere, in kernel blocks and plain buffers', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const { log, want } = makeLog(seed, 400);
    const rnd = rng(seed * 31);
    const sizes = [() => 1 + rnd(200), () => 1000 + rnd(5000), () => 65536];
    for (const [i, size] of sizes.entries()) {
      same(decodeInBlocks(log, size, reused(blockBuffer)), want, `seed ${seed}, cuts ${i}, kernel blocks`);
    }
    same(decodeInBlocks(log, () => 3000 + rnd(3000), reused(Buffer.alloc)), want, `seed ${seed}, plain buffers`);
  }
});

test('chunks fast path: a last record without its "\\n" and lines that never ended', () => {
  const s = '2024-05-01T10:00:00.000000001+00:00';
  const log = Buffer.from(`${s} stdout P half \n${s} stderr F e\r\n${s} stdout F one\n${s} stdout P cut`, 'latin1');
  assert.deepEqual(decodeInBlocks(log, () => 7, reused(blockBuffer)), [['stdout', 'half '], ['stderr', 'e\r\n'], ['stdout', 'one\ncut']]);
});

test('chunks fast path: through the reader, a log of many blocks of conmon-like reads', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-logcompact-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'c.log');
  const { log, want } = makeLog(99, 10_000);
  assert.ok(log.length > 4.5 * 2 ** 20, 'spans three blocks');
  fs.writeFileSync(file, log);
  const chunks: LogChunk[] = [];
  for await (const c of readLogChunks(file, {})) {
    chunks.push({ stream: c.stream, data: Buffer.from(c.data) });
    c.release?.();
  }
  same(joined(chunks), want, 'through the reader');
});

test('block pool: at most `max` blocks of its own kind alive; plain Buffers past that and for larger asks, never kept', () => {
  const made: Buffer[] = [];
  const pool = new BlockPool(1024, {
    alloc: (n) => {
      const b = blockBuffer(n);
      made.push(b);
      return b;
    },
    max: 2,
  });
  const a = pool.take(100);
  const b = pool.take(100);
  const c = pool.take(100);
  assert.equal(pool.alive, 2);
  assert.deepEqual([made.includes(a.buf), made.includes(b.buf), made.includes(c.buf)], [true, true, false]);
  // Larger than the usual block: plain, of the size asked, never counted, never kept.
  const big = pool.take(4096);
  assert.equal(made.includes(big.buf), false);
  assert.equal(big.buf.length, 4096);
  big.drop();
  c.drop();
  assert.equal(pool.idle, 0, 'plain buffers are not kept');
  a.drop();
  assert.equal(pool.take(100).buf, a.buf, 'an idle block is reused');
  // A block asked larger than usual leaves the idle ones be.
  b.drop();
  assert.equal(made.includes(pool.take(2000).buf), false);
  assert.deepEqual([pool.idle, pool.alive], [1, 2]);
  assert.equal(pool.take(100).buf, b.buf);
});

test('block pool: idle blocks are let go once none was taken or given back for idleMs', async () => {
  const pool = new BlockPool(1024, { alloc: blockBuffer, max: 4, idleMs: 50 });
  const a = pool.take(10);
  const b = pool.take(10);
  a.drop();
  b.drop();
  assert.deepEqual([pool.idle, pool.alive], [2, 2]);
  // In use meanwhile: kept.
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 20));
    pool.take(10).drop();
  }
  assert.deepEqual([pool.idle, pool.alive], [2, 2]);
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual([pool.idle, pool.alive], [0, 0]);
  const c = pool.take(10);
  assert.equal(pool.alive, 1, 'made anew');
  c.drop();
});

test('block pool: a block lent and never given back stops counting once it is garbage', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const pool = new BlockPool(1024, { alloc: blockBuffer, max: 2 });
  const kept: Array<Buffer | null> = [pool.take(10).buf.subarray(0, 10), pool.take(10).buf.subarray(0, 10)];
  assert.equal(pool.alive, 2);
  assert.equal(pool.take(10).buf.length, 10, 'at the cap: plain');
  // Still referenced (a view of each): counted.
  gc();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(pool.alive, 2);
  assert.equal(kept.filter((k) => k !== null).length, 2);
  kept.fill(null);
  for (let i = 0; i < 20 && pool.alive > 0; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(pool.alive, 0);
  assert.equal(pool.take(10).buf.length, 1024, 'room again: a block of its own kind');
});
