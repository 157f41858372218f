// The shared liveness sweep behind every container's exit wait: one timer
// for all waiters, waking only those whose process is gone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitDirWatcher, LivenessSweep, waitForFile } from '../../../src/runtime/exits.ts';
import { pidIsConmon } from '../../../src/runtime/conmon-files.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond` holds (timers run late on a loaded machine), failing after `ms`. */
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test('a sweep wakes the entries that are not alive, leaves the others, and stops when none is left', async () => {
  const sweep = new LivenessSweep(10);
  let aliveA = true;
  let wokeA = 0;
  let wokeB = 0;
  let asked = 0;
  const offA = sweep.add(() => { asked++; return aliveA; }, () => { wokeA++; });
  const offB = sweep.add(() => { throw new Error('unreadable'); }, () => { wokeB++; });
  try {
    await until(() => asked >= 3, 'three sweeps');
    assert.equal(wokeA, 0, 'a live entry is not woken');
    assert.ok(wokeB >= 2, 'an entry whose check throws counts as gone');
    aliveA = false;
    await until(() => wokeA >= 1, 'the entry that died to be woken');
  } finally {
    offA();
    offB();
  }
  assert.equal(sweep.size, 0);
  const before = asked;
  await sleep(50);
  assert.equal(asked, before, 'no sweep runs once every entry is gone');
});

test('waitForFile: resolves on the file, and asks again when the sweep finds the writer gone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-sweep-'));
  const watcher = new ExitDirWatcher(dir);
  const sweep = new LivenessSweep(10);
  // Keeps the directory watched between the two waits (a watch closed and
  // opened again at once is libuv's business, not what is tested here).
  const keep = watcher.subscribe('other', () => undefined);
  try {
    let checks = 0;
    let writerAlive = true;
    let answer: string | null = null;
    const waiting = waitForFile(watcher, 'x', async () => { checks++; return answer; }, { sweep, alive: () => writerAlive });
    await sleep(50);
    const quiet = checks;
    assert.ok(quiet <= 2, `a live writer is not re-checked on every sweep (${quiet} checks)`);
    // The writer dies without a word: the sweep wakes the check, which decides.
    answer = 'gone';
    writerAlive = false;
    assert.equal(await waiting, 'gone');
    assert.equal(sweep.size, 0, 'the waiter left the sweep');
    // A file written while waiting wakes it through the watcher.
    answer = null;
    const second = waitForFile(watcher, 'y', async () => answer, { sweep, alive: () => true });
    await sleep(20);
    answer = 'written';
    writeFileSync(join(dir, 'y'), '0');
    assert.equal(await second, 'written');
  } finally {
    keep();
    watcher.close();
    sweep.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pidIsConmon: this test process is not a conmon, a pid that does not exist is not one either', () => {
  assert.equal(pidIsConmon(process.pid), false);
  assert.equal(pidIsConmon(2 ** 22 + 7), false);
});
