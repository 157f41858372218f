// Reading a log across rotated (and gzipped) files, finding `since` by
// binary search without reading the file, the rotator's renames.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { LogEntry, LogReadOptions } from '../../../src/core/runtime.ts';
import { readLogs } from '../../../src/runtime/logs.ts';
import { sinceOffset } from '../../../src/runtime/log-seek.ts';
import { PlainFile } from '../../../src/runtime/log-source.ts';
import { rotatedFiles, spreadTail } from '../../../src/runtime/log-rotate.ts';

function tmp(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-logfiles-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Line i is stamped i ms after 10:00:00.
const stamp = (i: number) => new Date(Date.UTC(2024, 4, 1, 10) + i).toISOString().replace('Z', '000000+00:00');
const rec = (i: number, tag: 'F' | 'P' = 'F', text = `line ${i}`) => `${stamp(i)} stdout ${tag} ${text}\n`;
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => rec(a + k)).join('');

async function texts(file: string, opts: LogReadOptions = {}): Promise<string[]> {
  const out: LogEntry[] = [];
  for await (const e of readLogs(file, opts)) out.push(e);
  return out.map((e) => e.data.toString().trimEnd());
}

test('rotated files: listed oldest first, read in order with the live one, gzipped ones unpacked', async (t) => {
  const dir = tmp(t);
  const log = path.join(dir, 'ctr.log');
  fs.writeFileSync(`${log}.3.gz`, zlib.gzipSync(range(0, 10)));
  fs.writeFileSync(`${log}.2`, range(10, 20));
  // A line split across a rotation: its P record ends one file, its F record starts the next.
  fs.writeFileSync(`${log}.1`, range(20, 29) + rec(29, 'P', 'split '));
  fs.writeFileSync(log, rec(30, 'F', 'end') + range(31, 40));
  fs.writeFileSync(`${log}.x`, 'not a rotated file');
  assert.deepEqual(rotatedFiles(log).map((p) => path.basename(p)), ['ctr.log.3.gz', 'ctr.log.2', 'ctr.log.1']);
  const all = await texts(log);
  assert.equal(all.length, 39);
  assert.equal(all[0], 'line 0');
  assert.equal(all[29], 'split end');
  assert.equal(all.at(-1), 'line 39');
  // tail reaches back through the files.
  assert.deepEqual(await texts(log, { tail: 3 }), ['line 37', 'line 38', 'line 39']);
  const t15 = await texts(log, { tail: 15 });
  assert.equal(t15.length, 15);
  assert.equal(t15[0], 'line 24');
  assert.equal((await texts(log, { tail: 100 })).length, 39);
  // since skips whole files, then searches the one it falls in.
  const since = new Date(Date.UTC(2024, 4, 1, 10) + 15);
  const s15 = await texts(log, { since });
  assert.equal(s15[0], 'line 15');
  assert.equal(s15.length, 24);
});

test('since: a binary search reads a few blocks of a large log, not all of it', async (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'big.log');
  const n = 300_000;
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(rec(i, 'F', `line ${i} ${'x'.repeat(i % 40)}`));
  fs.writeFileSync(file, parts.join(''));
  const size = fs.statSync(file).size;
  const fh = await fs.promises.open(file, 'r');
  let bytesRead = 0;
  const f = new PlainFile(file, fh);
  const read = f.read.bind(f);
  f.read = async (buf, pos) => { const got = await read(buf, pos); bytesRead += got; return got; };
  try {
    for (const target of [0, 1, 150_000, 299_990, n + 5]) {
      bytesRead = 0;
      const at = await sinceOffset(f, Date.UTC(2024, 4, 1, 10) + target);
      assert.ok(bytesRead < 1 << 20, `since ${target}: read ${bytesRead} of ${size} bytes`);
      // The offset starts a record at or before the first record at `since`, within one search block.
      const head = Buffer.alloc(80);
      await fh.read(head, 0, 80, at);
      const first = at === 0 ? 0 : Number(/line (\d+)/.exec(head.toString())?.[1]);
      assert.ok(first <= target, `since ${target}: starts at line ${first}`);
      if (target > 0 && target < n) assert.ok(target - first < 2000, `since ${target}: starts at line ${first}`);
    }
  } finally {
    await fh.close();
  }
  const tail = await texts(file, { since: new Date(Date.UTC(2024, 4, 1, 10) + n - 3) });
  assert.deepEqual(tail.map((l) => l.split(' ').slice(0, 2).join(' ')), ['line 299997', 'line 299998', 'line 299999']);
});

test('follow goes on into the new file after a rotation, losing nothing', async (t) => {
  const dir = tmp(t);
  const log = path.join(dir, 'ctr.log');
  fs.writeFileSync(log, range(0, 3));
  let stop!: () => void;
  const stopped = new Promise<void>((r) => { stop = r; });
  const seen: string[] = [];
  const reader = (async () => {
    for await (const e of readLogs(log, { follow: true, stopped })) seen.push(e.data.toString().trimEnd());
  })();
  const until = async (n: number) => {
    for (const end = Date.now() + 3000; seen.length < n;) {
      if (Date.now() > end) throw new Error(`saw ${seen.join(',')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await until(3);
  // What conmon does: the writer still appends to the renamed file until it reopens.
  fs.renameSync(log, `${log}.1`);
  fs.appendFileSync(`${log}.1`, range(3, 5));
  fs.writeFileSync(log, range(5, 7));
  await until(7);
  fs.appendFileSync(log, range(7, 8));
  stop();
  await reader;
  assert.deepEqual(seen, Array.from({ length: 8 }, (_, i) => `line ${i}`));
});

test('a log past max-size is cut at records into pieces of at most max-size; only max-file of them stay, older rotated files move past', async (t) => {
  const dir = tmp(t);
  const log = path.join(dir, 'ctr.log');
  const size = Buffer.byteLength(rec(100));
  // The live log holds 100 records (~5 KB); max-size 4 records' worth, 3 files.
  fs.writeFileSync(log, range(0, 100));
  fs.writeFileSync(`${log}.1`, range(-20, -10));
  const w = { logPath: log, maxSize: 4 * size, maxFiles: 3 };
  assert.deepEqual(await spreadTail(w, 0), [`${log}.1`, `${log}.2`]);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['ctr.log', 'ctr.log.1', 'ctr.log.2']);
  for (const f of [log, `${log}.1`, `${log}.2`]) assert.ok(fs.statSync(f).size <= w.maxSize, f);
  // Read back in order, the newest records, consecutive, ending with the last.
  assert.deepEqual(await texts(log), Array.from({ length: 12 }, (_, k) => `line ${88 + k}`));
  // At .1 (after a rotation): the rotated file past it moves on, the one past max-file goes.
  fs.writeFileSync(log, range(200, 201));
  fs.writeFileSync(`${log}.1`, range(100, 110));
  fs.writeFileSync(`${log}.2.gz`, zlib.gzipSync(range(90, 100)));
  const w4 = { logPath: log, maxSize: 4 * size, maxFiles: 4 };
  assert.deepEqual(await spreadTail(w4, 1), [`${log}.1`, `${log}.2`, `${log}.3`]);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['ctr.log', 'ctr.log.1', 'ctr.log.2', 'ctr.log.3']);
  assert.deepEqual(await texts(log), [...Array.from({ length: 10 }, (_, k) => `line ${100 + k}`), 'line 200']);
  // Within the limit: nothing happens.
  assert.deepEqual(await spreadTail(w4, 0), []);
});

test('a record longer than max-size is a piece of its own, kept whole', async (t) => {
  const dir = tmp(t);
  const log = path.join(dir, 'ctr.log');
  const long = rec(5, 'F', 'x'.repeat(300));
  fs.writeFileSync(log, range(0, 5) + long + range(6, 8));
  const size = Buffer.byteLength(rec(0));
  await spreadTail({ logPath: log, maxSize: 2 * size + 1, maxFiles: 3 }, 0);
  assert.deepEqual(fs.readFileSync(`${log}.1`, 'utf8'), long);
  assert.deepEqual(fs.readFileSync(log, 'utf8'), range(6, 8));
  assert.deepEqual(fs.readFileSync(`${log}.2`, 'utf8'), range(3, 5));
});
