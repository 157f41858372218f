import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LogEntry, LogReadOptions } from '../../../src/core/runtime.ts';
import { readLogs, tailOffset } from '../../../src/runtime/logs.ts';
import { PlainFile } from '../../../src/runtime/log-source.ts';
import { parseRecord, toDockerTimestamp } from '../../../src/runtime/log-format.ts';

function tmp(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-logs-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const ts = (sec: number, ns = 0) => `2024-05-01T10:00:${String(sec).padStart(2, '0')}.${String(ns).padStart(9, '0')}+00:00`;
const rec = (sec: number, stream: 'stdout' | 'stderr', tag: 'F' | 'P', text: string) => `${ts(sec)} ${stream} ${tag} ${text}\n`;

async function collect(file: string, opts: LogReadOptions = {}): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readLogs(file, opts)) out.push(e);
  return out;
}
const texts = (es: LogEntry[]) => es.map((e) => `${e.stream}:${e.data.toString()}`);

test('records: parse, timestamps in Docker form (UTC, 9 digits)', () => {
  const r = parseRecord(Buffer.from('2024-05-01T12:00:00.5+02:00 stderr P half'))!;
  assert.equal(r.stream, 'stderr');
  assert.equal(r.partial, true);
  assert.equal(r.text.toString(), 'half');
  assert.equal(r.timestamp, '2024-05-01T10:00:00.500000000Z');
  assert.equal(r.time.toISOString(), '2024-05-01T10:00:00.500Z');
  assert.equal(parseRecord(Buffer.from(`${ts(1)} stdout F `))!.text.length, 0);
  assert.equal(parseRecord(Buffer.from('garbage line')), null);
  assert.equal(parseRecord(Buffer.from(`${ts(1)} stdin F x`)), null);
  assert.equal(toDockerTimestamp('2024-05-01T10:00:00.123456789+00:00', new Date('2024-05-01T10:00:00.123Z')), '2024-05-01T10:00:00.123456789Z');
});

test('logs: full lines, partial lines joined per stream, interleaved streams', async (t) => {
  const file = path.join(tmp(t), 'c.log');
  fs.writeFileSync(file, [
    rec(1, 'stdout', 'F', 'one'),
    rec(2, 'stdout', 'P', 'two-a'),
    rec(3, 'stderr', 'F', 'err'),
    rec(4, 'stdout', 'P', 'two-b'),
    rec(5, 'stdout', 'F', 'two-c'),
    rec(6, 'stdout', 'F', ''),
    rec(7, 'stderr', 'P', 'no newline at exit'),
  ].join(''));
  const es = await collect(file);
  assert.deepEqual(texts(es), ['stdout:one\n', 'stderr:err\n', 'stdout:two-atwo-btwo-c\n', 'stdout:\n', 'stderr:no newline at exit']);
  // a joined line carries its first part's time
  assert.equal(es[2].timestamp, '2024-05-01T10:00:02.000000000Z');
});

test('logs: records of one read (the same prefix) share their parsed time; a new stream, tag or stamp is parsed', async (t) => {
  const file = path.join(tmp(t), 'r.log');
  fs.writeFileSync(file, [
    rec(1, 'stdout', 'F', 'a'),
    rec(1, 'stdout', 'F', 'b'),
    rec(1, 'stderr', 'F', 'c'),
    rec(1, 'stderr', 'P', 'd'),
    rec(1, 'stderr', 'F', 'e'),
    rec(2, 'stdout', 'F', 'f'),
    rec(2, 'stdout', 'F', 'g'),
    '2024-05-01T10:00:02.5+00:00 stdout F short stamp\n',
    '2024-05-01T10:00:02.5+00:00 stdout F again\n',
  ].join(''));
  const es = await collect(file);
  assert.deepEqual(texts(es), ['stdout:a\n', 'stdout:b\n', 'stderr:c\n', 'stderr:de\n', 'stdout:f\n', 'stdout:g\n', 'stdout:short stamp\n', 'stdout:again\n']);
  assert.deepEqual(es.map((e) => e.timestamp.slice(17, 29)), ['01.000000000', '01.000000000', '01.000000000', '01.000000000', '02.000000000', '02.000000000', '02.500000000', '02.500000000']);
  // One parse per read: the lines of a read carry the same time, not a copy each.
  assert.equal(es[1]!.time, es[0]!.time);
  assert.equal(es[5]!.time, es[4]!.time);
  assert.notEqual(es[4]!.time, es[0]!.time);
});

test('logs: a missing file is an empty log', async (t) => {
  assert.deepEqual(await collect(path.join(tmp(t), 'nope.log')), []);
  assert.deepEqual(await collect(path.join(tmp(t), 'nope.log'), { tail: 3 }), []);
});

test('logs: since / until filter by time (since inclusive)', async (t) => {
  const file = path.join(tmp(t), 'c.log');
  fs.writeFileSync(file, [1, 2, 3, 4, 5].map((s) => rec(s, 'stdout', 'F', `l${s}`)).join(''));
  const at = (s: number) => new Date(`2024-05-01T10:00:0${s}.000Z`);
  assert.deepEqual(texts(await collect(file, { since: at(3) })), ['stdout:l3\n', 'stdout:l4\n', 'stdout:l5\n']);
  assert.deepEqual(texts(await collect(file, { until: at(2) })), ['stdout:l1\n', 'stdout:l2\n']);
  assert.deepEqual(texts(await collect(file, { since: at(2), until: at(3) })), ['stdout:l2\n', 'stdout:l3\n']);
});

test('logs: tail counts complete lines from the end, partials included', async (t) => {
  const file = path.join(tmp(t), 'c.log');
  fs.writeFileSync(file, [
    rec(1, 'stdout', 'F', 'a'),
    rec(2, 'stdout', 'P', 'b1'),
    rec(3, 'stdout', 'F', 'b2'),
    rec(4, 'stderr', 'F', 'c'),
    rec(5, 'stdout', 'F', 'd'),
  ].join(''));
  assert.deepEqual(texts(await collect(file, { tail: 2 })), ['stderr:c\n', 'stdout:d\n']);
  assert.deepEqual(texts(await collect(file, { tail: 3 })), ['stdout:b1b2\n', 'stderr:c\n', 'stdout:d\n']);
  assert.deepEqual(texts(await collect(file, { tail: 0 })), []);
  assert.equal((await collect(file, { tail: 100 })).length, 4);
  assert.equal((await collect(file, { tail: -1 })).length, 4);
  // a trailing unfinished line counts as one
  fs.appendFileSync(file, rec(6, 'stdout', 'P', 'e-start'));
  assert.deepEqual(texts(await collect(file, { tail: 2 })), ['stdout:d\n', 'stdout:e-start']);
});

test('logs: tail on a large file reads from the end', async (t) => {
  const file = path.join(tmp(t), 'big.log');
  const n = 200_000;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(rec(i % 60, 'stdout', 'F', `line ${i} ${'x'.repeat(i % 50)}`));
  fs.writeFileSync(file, lines.join(''));
  const size = fs.statSync(file).size;
  assert.ok(size > 10 << 20);
  const fh = await fsp.open(file, 'r');
  let bytesRead = 0;
  const origRead = fh.read.bind(fh);
  (fh as unknown as { read: typeof fh.read }).read = (async (...args: Parameters<typeof fh.read>) => {
    const r = await (origRead as (...a: unknown[]) => Promise<{ bytesRead: number; buffer: Buffer }>)(...args);
    bytesRead += r.bytesRead;
    return r;
  }) as typeof fh.read;
  try {
    const { offset: off, lines: found } = await tailOffset(new PlainFile(file, fh), 5);
    assert.ok(bytesRead < 256 * 1024, `read ${bytesRead} bytes for tail 5`);
    assert.ok(off > size - 1000);
    assert.equal(found, 5);
  } finally {
    await fh.close();
  }
  const es = await collect(file, { tail: 5 });
  assert.deepEqual(es.map((e) => e.data.toString().split(' ').slice(0, 2).join(' ')), [195, 196, 197, 198, 199].map((i) => `line ${i + 199800}`));
});

test('logs: follow streams new lines (file created later) and ends once stopped and drained', async (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'later.log');
  let stop!: () => void;
  const stopped = new Promise<void>((r) => { stop = r; });
  const seen: string[] = [];
  const reader = (async () => {
    for await (const e of readLogs(file, { follow: true, stopped })) seen.push(e.data.toString());
  })();
  await new Promise((r) => setTimeout(r, 30));
  fs.writeFileSync(file, rec(1, 'stdout', 'F', 'first'));
  await waitFor(() => seen.length === 1);
  fs.appendFileSync(file, rec(2, 'stdout', 'P', 'sec'));
  fs.appendFileSync(file, rec(3, 'stdout', 'F', 'ond'));
  await waitFor(() => seen.length === 2);
  // written just before the stop: still delivered (drain), then the reader ends
  fs.appendFileSync(file, rec(4, 'stdout', 'F', 'last'));
  stop();
  await reader;
  assert.deepEqual(seen, ['first\n', 'second\n', 'last\n']);
});

test('logs: follow with tail starts at the end; abort ends at once', async (t) => {
  const file = path.join(tmp(t), 'c.log');
  fs.writeFileSync(file, rec(1, 'stdout', 'F', 'old1') + rec(2, 'stdout', 'F', 'old2'));
  const ac = new AbortController();
  const seen: string[] = [];
  const reader = (async () => {
    for await (const e of readLogs(file, { follow: true, tail: 1, signal: ac.signal, stopped: new Promise(() => {}) })) seen.push(e.data.toString());
  })();
  await waitFor(() => seen.length === 1);
  fs.appendFileSync(file, rec(3, 'stderr', 'F', 'new'));
  await waitFor(() => seen.length === 2);
  ac.abort();
  await reader;
  assert.deepEqual(seen, ['old2\n', 'new\n']);
});

test('logs: follow ends when until passes', async (t) => {
  const file = path.join(tmp(t), 'c.log');
  fs.writeFileSync(file, rec(1, 'stdout', 'F', 'x'));
  const t0 = Date.now();
  const es = await collect(file, { follow: true, until: new Date(Date.now() + 150), stopped: new Promise(() => {}) });
  assert.equal(es.length, 1);
  assert.ok(Date.now() - t0 >= 100);
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
