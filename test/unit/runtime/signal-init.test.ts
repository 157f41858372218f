// `kill` of a running container without the runtime's process
// (runtime/signal-init.ts): the init recorded in runc's or crun's state
// files gets the signal through a pidfd, and only while it is the process
// the runtime started (same start time); everything else is left to the
// runtime. A child of this test stands in for the container's init.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProc } from '../../../src/runtime/procs.ts';
import { signalInit } from '../../../src/runtime/signal-init.ts';

const root = mkdtempSync(join(tmpdir(), 'berth-siginit-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

function init(): { child: ChildProcess; exited: Promise<NodeJS.Signals | null> } {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, sig) => r(sig)));
  return { child, exited };
}

function crun(id: string, pid: number, start: number, extra: string[] = []): void {
  mkdirSync(join(root, id), { recursive: true });
  writeFileSync(join(root, id, 'status'), JSON.stringify({ pid, 'process-start-time': start, 'cgroup-path': '' }));
  for (const f of extra) writeFileSync(join(root, id, f), '');
}

const alive = (c: ChildProcess) => readProc(c.pid!) !== null;

test('a running init (crun and runc layouts) gets the signal directly', async (t) => {
  const a = init();
  const b = init();
  t.after(() => { a.child.kill('SIGKILL'); b.child.kill('SIGKILL'); });
  crun('a', a.child.pid!, readProc(a.child.pid!)!.start);
  assert.equal(await signalInit({ root }, 'a', 15), true);
  assert.equal(await a.exited, 'SIGTERM');
  mkdirSync(join(root, 'b'), { recursive: true });
  writeFileSync(join(root, 'b', 'state.json'), JSON.stringify({ init_process_pid: b.child.pid, init_process_start: readProc(b.child.pid!)!.start, cgroup_paths: {} }));
  assert.equal(await signalInit({ root }, 'b', 9), true);
  assert.equal(await b.exited, 'SIGKILL');
  // Now gone: the runtime is asked (and says "not running").
  assert.equal(await signalInit({ root }, 'b', 9), false);
});

test('left to the runtime: a reused pid (other start time), a created or paused container, no state, an unknown layout', async (t) => {
  const c = init();
  t.after(() => { c.child.kill('SIGKILL'); });
  const start = readProc(c.child.pid!)!.start;
  crun('reused', c.child.pid!, start + 1);
  assert.equal(await signalInit({ root }, 'reused', 9), false);
  crun('created', c.child.pid!, start, ['exec.fifo']);
  assert.equal(await signalInit({ root }, 'created', 9), false);
  const freezer = join(root, 'freezer');
  mkdirSync(freezer, { recursive: true });
  writeFileSync(join(freezer, 'freezer.state'), 'FROZEN\n');
  mkdirSync(join(root, 'paused'), { recursive: true });
  writeFileSync(join(root, 'paused', 'state.json'), JSON.stringify({ init_process_pid: c.child.pid, init_process_start: start, cgroup_paths: { freezer } }));
  assert.equal(await signalInit({ root }, 'paused', 9), false);
  assert.equal(await signalInit({ root }, 'nosuch', 9), false);
  mkdirSync(join(root, 'odd'), { recursive: true });
  writeFileSync(join(root, 'odd', 'state.json'), JSON.stringify({ pid: 'x' }));
  assert.equal(await signalInit({ root }, 'odd', 9), false);
  assert.equal(alive(c.child), true, 'nothing was signalled');
});
