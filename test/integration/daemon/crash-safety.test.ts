// Bad timing and crashes around a container's start and removal: a command
// that could never run, `rm -f` during a stuck start, berthd killed (SIGKILL)
// in the middle of a start or of a removal. After each, nothing of the
// container may be left that its state does not explain: no conmon, no
// `runc init`, no cgroup, runtime state, bundle, mount or directory.
// (A runtime error longer than a pipe, which wedged runc and conmon, is in
// test/integration/runtime/crash-cleanup.test.ts: the API now refuses the
// values that produced one.)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { startBerthd, skipUnlessRoot, type PrivateDaemon } from '../../helpers/daemon.ts';
import { apiRequest } from '../../helpers/api.ts';
import { audit, runtimeTraces, cgroupsOf, type ContainerSummary } from '../../helpers/leftovers.ts';
import { processesUnder, sleep } from '../../helpers/procs.ts';

async function api(d: PrivateDaemon, method: string, path: string, body?: unknown, timeout = 30_000) {
  const r = await apiRequest(d.socket, method, path, { body, timeout });
  return { status: r.status, json: r.body ? JSON.parse(r.body) : null, body: r.body };
}

async function create(d: PrivateDaemon, body: Record<string, unknown>): Promise<string> {
  const r = await api(d, 'POST', '/containers/create', { Image: 'busybox', ...body });
  assert.equal(r.status, 201, r.body);
  return r.json.Id;
}

async function list(d: PrivateDaemon): Promise<ContainerSummary[]> {
  const r = await api(d, 'GET', '/containers/json?all=1');
  const out: ContainerSummary[] = [];
  for (const c of r.json) {
    const i = (await api(d, 'GET', `/containers/${c.Id}/json`)).json;
    out.push({ id: c.Id, status: i.State.Status, pid: i.State.Pid });
  }
  return out;
}

async function waitUntil(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

function runcStatus(d: PrivateDaemon, id: string): string {
  try {
    return JSON.parse(execFileSync('/usr/sbin/runc', ['--root', `${d.execRoot}/runtime/state/runc`, 'state', id], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })).status;
  } catch {
    return '';
  }
}

describe('crash safety of start and remove', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  const ids: string[] = [];
  // A runtime that stops itself (SIGSTOP) on `create`, then is runc: a start
  // wedged in `runc create` every time. Polling /proc for the real, short-lived
  // `runc create` missed it on a loaded host (a scan takes 50-100 ms there).
  // Named runc so berth drives it with runc's start protocol.
  const wedge = mkdtempSync('/tmp/bt-wedge-');
  writeFileSync(`${wedge}/runc`, '#!/bin/sh\nfor a in "$@"; do [ "$a" = create ] && kill -STOP $$; done\nexec /usr/sbin/runc "$@"\n', { mode: 0o755 });
  before(async () => { d = await startBerthd({ config: { runtimes: { wedged: { path: `${wedge}/runc` } } } }); });
  after(async () => { await d?.cleanup(); rmSync(wedge, { recursive: true, force: true }); });

  async function clean(): Promise<void> {
    const problems = audit(d, await list(d), ids);
    assert.deepEqual(problems, []);
  }

  test('a command the kernel could never execute is refused at create, naming the limit', async () => {
    const long = await api(d, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['x'.repeat(70_000)] });
    assert.equal(long.status, 400);
    assert.match(long.json.message, /is 70000 bytes; the kernel takes at most 255 per file name \(NAME_MAX\)/);
    const arg = await api(d, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['echo', 'y'.repeat(140_000)] });
    assert.equal(arg.status, 400);
    assert.match(arg.json.message, /140000 bytes.*MAX_ARG_STRLEN/);
    // Long but executable: fine.
    const ok = await create(d, { Cmd: ['echo', 'z'.repeat(70_000)] });
    ids.push(ok);
    assert.equal((await api(d, 'POST', `/containers/${ok}/start`)).status, 204);
    assert.equal((await api(d, 'POST', `/containers/${ok}/wait`)).json.StatusCode, 0);
    assert.equal((await api(d, 'DELETE', `/containers/${ok}`)).status, 204);
  });

  test('rm -f of a container whose start is stuck does not wait for it', async () => {
    const id = await create(d, { Cmd: ['sleep', '100'], HostConfig: { Runtime: 'wedged' } });
    ids.push(id);
    const start = api(d, 'POST', `/containers/${id}/start`, undefined, 60_000);
    // The wedged runtime stops itself in `create`.
    await waitUntil('runc create stopped', () => processesUnder(d.dir).some((p) =>
      p.argv.includes('create') && p.argv.includes(id) && p.argv.some((a) => a.startsWith(wedge)) && p.state === 'T'), 60_000);
    const t0 = Date.now();
    const rm = await api(d, 'DELETE', `/containers/${id}?force=1`);
    assert.equal(rm.status, 204, rm.body);
    assert.ok(Date.now() - t0 < 10_000, `rm -f took ${Date.now() - t0} ms`);
    const s = await start;
    assert.equal(s.status, 409, s.body);
    assert.match(s.json.message, /removed while it was starting/);
    await clean();
  });

  test('a start cut by kill -9 is undone at restart; the container starts again', async () => {
    const id = await create(d, { Cmd: ['sleep', '100'] });
    ids.push(id);
    const start = api(d, 'POST', `/containers/${id}/start`).catch(() => null);
    // Freeze berthd as soon as conmon runs, let runc create finish, then kill berthd.
    await waitUntil('conmon', () => processesUnder(d.dir).some((p) => p.comm === 'conmon' && p.argv.includes(id)));
    process.kill(d.pid!, 'SIGSTOP');
    await waitUntil('runc created', () => runcStatus(d, id) === 'created');
    await d.kill9();
    await start;
    assert.ok(cgroupsOf(id).length > 0 && runtimeTraces(d, id).length > 0, 'the kill left a created runtime container');
    await d.start();
    const after = (await list(d)).find((c) => c.id === id);
    assert.equal(after?.status, 'created');
    await clean();
    assert.equal((await api(d, 'POST', `/containers/${id}/start`)).status, 204);
    assert.equal((await list(d)).find((c) => c.id === id)?.status, 'running');
    await clean();
    assert.equal((await api(d, 'DELETE', `/containers/${id}?force=1`)).status, 204);
    await clean();
  });

  test('a rm -f cut by kill -9 after its metadata commit is finished at restart', async () => {
    const id = await create(d, { Cmd: ['sleep', '100'] });
    ids.push(id);
    assert.equal((await api(d, 'POST', `/containers/${id}/start`)).status, 204);
    await d.kill9();
    // What the kill leaves right after rm -f committed the row's deletion.
    const db = new DatabaseSync(`${d.dataRoot}/berth.db`);
    db.prepare('DELETE FROM containers WHERE id = ?').run(id);
    db.close();
    await d.start();
    assert.deepEqual((await list(d)).map((c) => c.id).filter((x) => x === id), []);
    await clean();
  });
});
