// Resizes through conmon's ctl FIFO: conmon 2.1.6 applies only the first of
// the lines one read returns, so the last size written must arrive on its
// own. A slow reader here reads whatever piled up, like a busy conmon.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isConmonGone, writeResize } from '../../../src/runtime/conmon-ctl.ts';

function fifo(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-ctl-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const p = path.join(dir, 'ctl');
  execFileSync('mkfifo', [p]);
  return p;
}

/** What conmon would apply: the first line of each read. */
function applied(reads: string[]): string[] {
  return reads.map((r) => r.split('\n')[0]!);
}

test('a burst of resizes ends with the last size read alone', async (t) => {
  const ctl = fifo(t);
  const fd = fs.openSync(ctl, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  t.after(() => fs.closeSync(fd));
  const reads: string[] = [];
  const buf = Buffer.alloc(200);
  const timer = setInterval(() => {
    try {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n > 0) reads.push(buf.subarray(0, n).toString());
    } catch {}
  }, 120);
  t.after(() => clearInterval(timer));
  await Promise.all([
    writeResize(ctl, { height: 21, width: 71 }),
    writeResize(ctl, { height: 20, width: 70 }),
  ]);
  await writeResize(ctl, { height: 30, width: 90 });
  await new Promise((r) => setTimeout(r, 700));
  assert.ok(reads.length > 0);
  assert.equal(applied(reads).at(-1), '1 30 90', `reads: ${JSON.stringify(reads)}`);
});

test('a single resize is written once', async (t) => {
  const ctl = fifo(t);
  const fd = fs.openSync(ctl, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  t.after(() => fs.closeSync(fd));
  await writeResize(ctl, { height: 5, width: 6 });
  await new Promise((r) => setTimeout(r, 300));
  const buf = Buffer.alloc(200);
  const n = fs.readSync(fd, buf, 0, buf.length, null);
  assert.equal(buf.subarray(0, n).toString(), '1 5 6\n');
});

test('without a reader (conmon gone) the write fails at once, recognisably', async (t) => {
  const ctl = fifo(t);
  await assert.rejects(writeResize(ctl, { height: 1, width: 1 }), (e: unknown) => isConmonGone(e));
  await assert.rejects(writeResize(path.join(path.dirname(ctl), 'missing'), { height: 1, width: 1 }), (e: unknown) => isConmonGone(e));
});
