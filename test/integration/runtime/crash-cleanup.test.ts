// The conmon driver when things go wrong: a runc error longer than a pipe
// (which used to wedge runc and conmon until the 120 s timeout), a create
// given up half-way, and a forced delete of a container whose runc state
// is gone but whose `runc init` and cgroups are not.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { conflict, isCode } from '../../../src/core/errors.ts';
import { cgroupMounts, cgroupsPathFor } from '../../../src/runtime/cgroups.ts';
import { Collector, World, skipReason } from './fixture.ts';

/** Live (non-zombie) processes whose command line names `id`, or that sit in its cgroups. */
function processesOf(id: string): string[] {
  const out = new Set<string>();
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (/\) [ZX] /.test(stat)) continue;
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(id)) out.add(`${pid}: ${cmd.slice(0, 100)}`);
    } catch {}
  }
  for (const dir of cgroupDirs(id)) {
    try {
      for (const pid of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) out.add(`${pid} (in ${dir})`);
    } catch {}
  }
  return [...out];
}

function cgroupDirs(id: string): string[] {
  return cgroupMounts().map((mp) => path.join(mp, cgroupsPathFor(id, '/berth-test'))).filter((d) => fs.existsSync(d));
}

/** Everything of `id` under the runtime's root. */
function runtimeFiles(w: World, id: string): string[] {
  const candidates = ['c', 'exits', 's', 'state/runc'].map((d) => path.join(w.runtimeRoot, d, id));
  return candidates.filter((p) => fs.existsSync(p));
}

function assertGone(w: World, id: string): void {
  assert.deepEqual(processesOf(id), [], 'no process left');
  assert.deepEqual(cgroupDirs(id), [], 'no cgroup left');
  assert.deepEqual(runtimeFiles(w, id), [], 'no runtime state or conmon file left');
}

describe('conmon runtime: failures and forced cleanup', { skip: skipReason }, () => {
  let w: World;
  before(() => { w = new World(); });
  after(async () => { await w.cleanup(); });

  test('a runc error longer than a pipe fails the create within seconds, with a readable message', { timeout: 30_000 }, async () => {
    const id = w.newId();
    // runc quotes the directory it could not enter: 70,000 characters of error.
    const spec = w.spec(id, ['true'], { config: { workingDir: '/' + 'w'.repeat(70_000) } });
    const t0 = Date.now();
    const err = await w.runtime.create({ id, bundle: w.bundle(id), spec, logPath: w.logPath(id), tty: false, openStdin: false }).then(
      () => null, (e: unknown) => e as Error);
    const ms = Date.now() - t0;
    assert.ok(err, 'create failed');
    assert.ok(ms < 10_000, `failed after ${ms} ms`);
    assert.match(err.message, /^OCI runtime create failed: .*\/w{199}\.\.\. \(7000\d characters\).*file name too long/);
    assert.ok(err.message.length < 1000, `message of ${err.message.length} characters`);
    assert.ok(isCode(err, 'invalid_argument'), 'the directory is the caller\'s: 400');
    assertGone(w, id);
  });

  test('a create given up through its signal kills conmon and runc and removes their state', { timeout: 30_000 }, async () => {
    const id = w.newId();
    const ac = new AbortController();
    const spec = w.spec(id, ['sleep', '100']);
    // A createContainer hook holds `runc create` open for 20 s: runc init runs
    // it in the container's cgroup, so the abort lands mid-create however
    // loaded the host is (a create alone can finish before a poll sees it).
    spec.hooks = { createContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'sleep 20', `hook-${id}`] }] };
    const pending = w.runtime.create({ id, bundle: w.bundle(id), spec, logPath: w.logPath(id), tty: false, openStdin: false, signal: ac.signal });
    const deadline = Date.now() + 15_000;
    while (!processesOf(id).some((p) => p.includes(`hook-${id}`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(processesOf(id).some((p) => p.includes('runc')), `runc create is under way: ${processesOf(id).join('; ')}`);
    ac.abort(conflict('removed while starting'));
    const err = await pending.then(() => null, (e: unknown) => e as Error);
    assert.ok(err && isCode(err, 'conflict'), `rejected with the abort reason: ${err?.message}`);
    assertGone(w, id);
  });

  test('a forced delete removes a created container whose conmon died and whose runc state is gone', { timeout: 30_000 }, async () => {
    const id = w.newId();
    const spec = w.spec(id, ['sleep', '100']);
    const { pid } = await w.runtime.create({ id, bundle: w.bundle(id), spec, logPath: w.logPath(id), tty: false, openStdin: false });
    assert.ok((await w.runtime.ids()).includes(id));
    // What a crash can leave: `runc init` waiting for a start, re-parented to pid 1, runc's state lost.
    const conmonPid = Number(fs.readFileSync(path.join(w.runtimeRoot, 'c', id, 'conmon.pid'), 'utf8'));
    process.kill(conmonPid, 'SIGKILL');
    fs.rmSync(path.join(w.runtimeRoot, 'state/runc', id), { recursive: true });
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(fs.existsSync(`/proc/${pid}`), 'runc init still waits');
    assert.ok(cgroupDirs(id).length > 0, 'its cgroups are still there');
    await w.runtime.delete(id, { force: true });
    assertGone(w, id);
    assert.ok(!(await w.runtime.ids()).includes(id));
  });

  test('a forced delete of a running container leaves nothing', { timeout: 30_000 }, async () => {
    const id = w.newId();
    const spec = w.spec(id, ['sleep', '100']);
    await w.runtime.create({ id, bundle: w.bundle(id), spec, logPath: w.logPath(id), tty: false, openStdin: false });
    const c = new Collector();
    await w.runtime.attach(id, c);
    await w.runtime.start(id);
    assert.equal((await w.runtime.state(id))?.status, 'running');
    await w.runtime.delete(id, { force: true });
    assertGone(w, id);
  });
});
