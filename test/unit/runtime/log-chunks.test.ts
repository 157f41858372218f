// readLogChunks (runs of lines, no per-line parse) against readLogs (line
// by line): the same text per stream, in the same order, for conmon-like
// logs (one stamp per read, P records at the cut, stamps per line) and
// hand-made ones (one stamp for interleaved streams), with since, until
// and tail, across block boundaries.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { LogReadOptions, OutputStream } from '../../../src/core/runtime.ts';
import { readLogChunks, readLogs } from '../../../src/runtime/logs.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Collects what earlier tests left (chunks never released count against the shared pool until collected). */
async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}

function tmp(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-logchunks-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const BASE = Date.UTC(2024, 4, 1, 10);
const stamp = (us: number) => `${new Date(BASE + Math.floor(us / 1000)).toISOString().slice(0, 19)}.${String((us % 1_000_000) * 1000).padStart(9, '0')}+00:00`;

/** A deterministic pseudo-random log: reads of 1-40 lines sharing a stamp, text cut into P records now and then. */
function makeLog(seed: number, reads: number, opts: { perLine?: boolean; sameStamp?: boolean; mixed?: boolean; whole?: boolean } = {}): { log: string; us: number[] } {
  let x = seed;
  const rnd = (n: number) => { x = (x * 1103515245 + 12345) % 2 ** 31; return x % n; };
  const out: string[] = [];
  const times: number[] = [];
  let us = 0;
  for (let r = 0; r < reads; r++) {
    us += 1 + rnd(3000);
    const stream: OutputStream = opts.mixed && rnd(3) === 0 ? 'stderr' : 'stdout';
    const lines = 1 + rnd(40);
    for (let i = 0; i < lines; i++) {
      if (opts.perLine) us += 1;
      const s = stamp(opts.sameStamp ? 0 : us);
      const text = `r${r} l${i} ${'abcdefghij'.repeat(rnd(12))}${rnd(20) === 0 ? ' stdout F ' : ''}`;
      const tag = !opts.whole && i === lines - 1 && rnd(4) === 0 ? 'P' : 'F';
      out.push(`${s} ${stream} ${tag} ${text}\n`);
      times.push(opts.sameStamp ? 0 : us);
    }
  }
  return { log: out.join(''), us: times };
}

async function both(file: string, opts: LogReadOptions): Promise<{ lines: Record<OutputStream, string>; chunks: Record<OutputStream, string>; order: [string, string] }> {
  const lines = { stdout: '', stderr: '' };
  const chunks = { stdout: '', stderr: '' };
  let lineOrder = '';
  let chunkOrder = '';
  for await (const e of readLogs(file, opts)) {
    lines[e.stream] += e.data.toString('latin1');
    if (!lineOrder.endsWith(e.stream[3]!)) lineOrder += e.stream[3];
  }
  for await (const c of readLogChunks(file, opts)) {
    assert.ok(c.data.length > 0);
    chunks[c.stream] += c.data.toString('latin1');
    if (!chunkOrder.endsWith(c.stream[3]!)) chunkOrder += c.stream[3];
  }
  return { lines, chunks, order: [lineOrder, chunkOrder] };
}

test('chunks: the same text as line by line, for every kind of log and filter', async (t) => {
  const dir = tmp(t);
  const kinds = [
    { name: 'reads', reads: 2_500, opts: {} },
    { name: 'per-line stamps', reads: 2_500, opts: { perLine: true } },
    { name: 'mixed streams', reads: 2_000, opts: { mixed: true } },
    { name: 'mixed, per line', reads: 2_000, opts: { mixed: true, perLine: true } },
    { name: 'one stamp for all', reads: 300, opts: { mixed: true, sameStamp: true } },
    { name: 'whole lines only', reads: 2_000, opts: { mixed: true, whole: true } },
    { name: 'whole lines, per line', reads: 2_000, opts: { perLine: true, whole: true } },
  ];
  for (const [k, kind] of kinds.entries()) {
    const file = path.join(dir, `${k}.log`);
    const { log, us } = makeLog(k + 7, kind.reads, kind.opts);
    fs.writeFileSync(file, log, 'latin1');
    const mid = us[Math.floor(us.length / 2)]!;
    const late = us[us.length - 50]!;
    const at = (u: number) => new Date(BASE + u / 1000);
    // A line cut into P records across reads is filtered by its first part's time line by line, by each
    // part's time in chunks (as dockerd's json-file does): the same only where no line is cut.
    const filters: LogReadOptions[] = kind.opts.whole ? [{ since: at(mid) }, { until: at(mid) }, { since: at(mid / 2), until: at(late) }, { tail: 3, since: at(late) }] : [];
    for (const opts of [{}, { tail: 1000 }, ...filters]) {
      const r = await both(file, opts);
      const what = `${kind.name} ${JSON.stringify(opts)}`;
      assert.equal(r.chunks.stdout, r.lines.stdout, `${what}: stdout`);
      assert.equal(r.chunks.stderr, r.lines.stderr, `${what}: stderr`);
      if (!kind.opts.mixed) assert.equal(r.order[1], r.order[0], `${what}: order`);
    }
    if (k === 0) assert.ok(fs.statSync(file).size > 1.5 * 2 ** 20, 'spans several of the line reader\'s blocks (the chunk reader\'s cuts: log-compact.test.ts)');
  }
});

test('chunks: a last record without its newline; an empty and a missing log', async (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'c.log');
  fs.writeFileSync(file, `${stamp(1)} stdout F a\n${stamp(2)} stdout F b\n${stamp(3)} stdout P cut`);
  const r = await both(file, {});
  assert.equal(r.chunks.stdout, 'a\nb\ncut');
  assert.equal(r.lines.stdout, 'a\nb\ncut');
  fs.writeFileSync(file, '');
  assert.deepEqual((await both(file, {})).chunks, { stdout: '', stderr: '' });
  assert.deepEqual((await both(path.join(dir, 'none.log'), { tail: 5 })).chunks, { stdout: '', stderr: '' });
});

test('chunks: a chunk kept by the reader is never overwritten by the blocks read after it', async (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'kept.log');
  const { log } = makeLog(11, 6_000, { mixed: true });
  fs.writeFileSync(file, log, 'latin1');
  assert.ok(fs.statSync(file).size > 3 * 2 ** 20, 'spans several blocks');
  const kept: Array<{ stream: OutputStream; data: Buffer; copy: string }> = [];
  for await (const c of readLogChunks(file, {})) kept.push({ ...c, copy: c.data.toString('latin1') });
  for (const [i, c] of kept.entries()) assert.equal(c.data.toString('latin1'), c.copy, `chunk ${i} changed after it was yielded`);
  const lines = { stdout: '', stderr: '' };
  for await (const e of readLogs(file, {})) lines[e.stream] += e.data.toString('latin1');
  assert.equal(kept.filter((c) => c.stream === 'stdout').map((c) => c.copy).join(''), lines.stdout);
  assert.equal(kept.filter((c) => c.stream === 'stderr').map((c) => c.copy).join(''), lines.stderr);
});

test('chunks: a released chunk gives its block back to be read into again; one kept is never overwritten', async (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'lent.log');
  const { log } = makeLog(13, 6_000, { mixed: true });
  fs.writeFileSync(file, log, 'latin1');
  const lines = { stdout: '', stderr: '' };
  for await (const e of readLogs(file, {})) lines[e.stream] += e.data.toString('latin1');
  await collectGarbage();
  // Released at once: the text is read before the release, and every block after the first comes back.
  const text = { stdout: '', stderr: '' };
  const buffers = new Set<ArrayBufferLike>();
  let n = 0;
  for await (const c of readLogChunks(file, {})) {
    assert.ok(c.release, 'a chunk of a block says how to give it back');
    text[c.stream] += c.data.toString('latin1');
    buffers.add(c.data.buffer);
    n++;
    c.release();
    c.release();
  }
  assert.deepEqual(text, lines);
  assert.ok(n > 4 && buffers.size <= 2, `${n} chunks from ${buffers.size} buffers`);
  // Every other chunk kept (never released): its bytes stay while later blocks are read.
  const kept: Array<{ data: Buffer; copy: string }> = [];
  let i = 0;
  for await (const c of readLogChunks(file, {})) {
    if (i++ % 2 === 0) kept.push({ data: c.data, copy: c.data.toString('latin1') });
    else c.release?.();
  }
  assert.ok(kept.length > 4);
  for (const [j, k] of kept.entries()) assert.equal(k.data.toString('latin1'), k.copy, `kept chunk ${j} changed`);
});

test('a reader that stops early with the next block being read: no file left open, and later reads get every line', async (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'ctr.log');
  // Several 2 MiB blocks, so that a read of the next one is in flight when the reader stops.
  const line = `${stamp(1)} stdout F ${'x'.repeat(100)}\n`;
  fs.writeFileSync(file, line.repeat(Math.ceil((7 * 1024 * 1024) / line.length)));
  const fds = () => fs.readdirSync('/proc/self/fd').length;
  const before = fds();
  for (let round = 0; round < 3; round++) {
    let seen = 0;
    for await (const chunk of readLogChunks(file)) {
      seen += chunk.data.length;
      chunk.release?.();
      break;
    }
    assert.ok(seen > 0);
  }
  assert.equal(fds(), before, 'a file left open');
  // A whole read afterwards still gets every line.
  let total = 0;
  for await (const chunk of readLogChunks(file)) {
    total += chunk.data.length;
    chunk.release?.();
  }
  assert.equal(total, Math.ceil((7 * 1024 * 1024) / line.length) * 101);
});
