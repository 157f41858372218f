// A container's runtime state read from runc's and crun's files (live
// restore reads these instead of running `runc state` per container),
// checked against trees laid out as each runtime writes them, with this
// test's own process standing in for the container's init.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProc } from '../../../src/runtime/procs.ts';
import { readStateFiles } from '../../../src/runtime/state-files.ts';

const root = mkdtempSync(join(tmpdir(), 'berth-statefiles-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const me = readProc(process.pid)!;

function runc(id: string, state: Record<string, unknown>, extra: Record<string, string> = {}): void {
  mkdirSync(join(root, 'runc', id), { recursive: true });
  writeFileSync(join(root, 'runc', id, 'state.json'), JSON.stringify({ id, created: '2026-12-05T00:00:00Z', config: {}, ...state }));
  for (const [f, text] of Object.entries(extra)) writeFileSync(join(root, 'runc', id, f), text);
}

test('runc: running, created (exec.fifo), paused (v1 freezer), stopped (pid reused or gone), absent', async () => {
  const freezer = join(root, 'freezer-a');
  mkdirSync(freezer, { recursive: true });
  writeFileSync(join(freezer, 'freezer.state'), 'THAWED\n');
  runc('a', { init_process_pid: me.pid, init_process_start: me.start, cgroup_paths: { freezer } });
  const opts = { root: join(root, 'runc') };
  assert.deepEqual(await readStateFiles(opts, 'a'), { status: 'running', pid: me.pid });
  writeFileSync(join(freezer, 'freezer.state'), 'FROZEN\n');
  assert.deepEqual(await readStateFiles(opts, 'a'), { status: 'paused', pid: me.pid });
  runc('b', { init_process_pid: me.pid, init_process_start: String(me.start) }, { 'exec.fifo': '' });
  assert.deepEqual(await readStateFiles(opts, 'b'), { status: 'created', pid: me.pid });
  runc('c', { init_process_pid: me.pid, init_process_start: me.start + 1 });
  assert.deepEqual(await readStateFiles(opts, 'c'), { status: 'stopped', pid: 0 }, 'same pid, another start time: reused');
  runc('d', { init_process_pid: 2 ** 22 + 1, init_process_start: 1 });
  assert.deepEqual(await readStateFiles(opts, 'd'), { status: 'stopped', pid: 0 });
  assert.equal(await readStateFiles(opts, 'nope'), null);
  mkdirSync(join(root, 'runc', 'half'));
  assert.equal(await readStateFiles(opts, 'half'), undefined, 'a directory without a state file: the runtime is asked');
});

test('runc on cgroup v2 (cgroup.freeze), crun (status, cgroup-path under the mount)', async () => {
  const v2 = join(root, 'v2cg');
  mkdirSync(v2, { recursive: true });
  writeFileSync(join(v2, 'cgroup.freeze'), '1\n');
  runc('e', { init_process_pid: me.pid, init_process_start: me.start, cgroup_paths: { '': v2 } });
  assert.deepEqual(await readStateFiles({ root: join(root, 'runc') }, 'e'), { status: 'paused', pid: me.pid });

  const cg = join(root, 'cgmount');
  mkdirSync(join(cg, 'freezer', 'berth', 'f'), { recursive: true });
  writeFileSync(join(cg, 'freezer', 'berth', 'f', 'freezer.state'), 'THAWED\n');
  mkdirSync(join(root, 'crun', 'f'), { recursive: true });
  writeFileSync(join(root, 'crun', 'f', 'status'), JSON.stringify({ pid: me.pid, 'process-start-time': me.start, 'cgroup-path': '/berth/f', bundle: '/x' }));
  const crun = { root: join(root, 'crun'), cgroupRoot: cg, unified: false };
  assert.deepEqual(await readStateFiles(crun, 'f'), { status: 'running', pid: me.pid });
  writeFileSync(join(cg, 'freezer', 'berth', 'f', 'freezer.state'), 'FROZEN\n');
  assert.deepEqual(await readStateFiles(crun, 'f'), { status: 'paused', pid: me.pid });
  writeFileSync(join(root, 'crun', 'f', 'status'), JSON.stringify({ pid: me.pid, 'process-start-time': me.start + 5 }));
  assert.deepEqual(await readStateFiles(crun, 'f'), { status: 'stopped', pid: 0 });
});
