// Healthchecks against a private berthd through the API: the probe runs as
// the container's user, in its working directory, with its environment; a
// hanging probe's process is gone once its timeout killed it and nothing
// runs after the container's removal; no probe runs while it is paused; a
// berthd killed with SIGKILL and started again resumes the monitors of the
// containers it re-adopts; bad settings are a 400 that leaves nothing behind.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { type PrivateDaemon, skipUnlessRoot, startBerthd } from '../../helpers/daemon.ts';
import { apiRequest } from '../../helpers/api.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MS = 1_000_000;

interface Health { Status: string; FailingStreak: number; Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }> }

async function create(d: PrivateDaemon, body: Record<string, unknown>): Promise<string> {
  const r = await apiRequest(d.socket, 'POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['sleep', '1000'], ...body } });
  assert.equal(r.status, 201, r.body);
  const id = JSON.parse(r.body).Id as string;
  assert.equal((await apiRequest(d.socket, 'POST', `/containers/${id}/start`)).status, 204);
  return id;
}

async function health(d: PrivateDaemon, id: string): Promise<Health | undefined> {
  const r = await apiRequest(d.socket, 'GET', `/containers/${id}/json`);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body).State.Health as Health | undefined;
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Host processes whose command line contains `needle`. */
function processesWith(needle: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').includes(needle)) out.push(Number(p));
    } catch { /* gone */ }
  }
  return out;
}

async function execEvents(d: PrivateDaemon, id: string, since: number, until: number): Promise<number> {
  const filters = encodeURIComponent(JSON.stringify({ container: [id], event: ['exec_create'] }));
  const r = await apiRequest(d.socket, 'GET', `/events?since=${since / 1000}&until=${until / 1000}&filters=${filters}`);
  return r.body.split('\n').filter(Boolean).length;
}

describe('healthchecks on a private berthd', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  before(async () => { d = await startBerthd(); });
  after(async () => { await d?.cleanup(); });

  test('a probe runs with the container\'s user, working directory and environment', async () => {
    const id = await create(d, {
      User: '1234', WorkingDir: '/tmp', Env: ['GREETING=hello'],
      Healthcheck: { Test: ['CMD-SHELL', 'echo "$(id -u) $(pwd) $GREETING"'], Interval: 200 * MS },
    });
    const h = await until('a probe result', async () => (await health(d, id))?.Log.length ? health(d, id) : undefined);
    assert.equal(h!.Log[0]!.Output, '1234 /tmp hello\n');
    assert.equal(h!.Status, 'healthy');
    assert.equal((await apiRequest(d.socket, 'DELETE', `/containers/${id}?force=1`)).status, 204);
  });

  test('a hanging probe is killed at its timeout; removal ends the monitor and its probe', async () => {
    const id = await create(d, { Healthcheck: { Test: ['CMD', 'sleep', '4321'], Interval: 300 * MS, Timeout: 300 * MS, Retries: 1 } });
    const h = await until('two timeouts', async () => {
      const x = await health(d, id);
      return x && x.Log.length >= 2 ? x : undefined;
    });
    assert.equal(h.Status, 'unhealthy');
    assert.deepEqual(h.Log.map((l) => [l.ExitCode, l.Output]).slice(0, 2), [[-1, 'Health check exceeded timeout (300ms)'], [-1, 'Health check exceeded timeout (300ms)']]);
    // Only the probe in flight may run; every timed-out one was killed.
    assert.ok(processesWith('sleep 4321').length <= 1, `probes alive: ${processesWith('sleep 4321').length}`);
    assert.equal((await apiRequest(d.socket, 'DELETE', `/containers/${id}?force=1`)).status, 204);
    // From the answer on: a probe may start while a slow removal is still under way (CI saw one
    // 200 ms after the request was sent), none once the removal has answered.
    const removed = Date.now();
    await sleep(1000);
    assert.deepEqual(processesWith('sleep 4321'), []);
    assert.equal(await execEvents(d, id, removed, Date.now()), 0, 'no probe after removal');
  });

  test('no probe runs while paused; the monitor resumes at unpause', async () => {
    const id = await create(d, { Healthcheck: { Test: ['CMD', 'true'], Interval: 200 * MS } });
    await until('healthy', async () => (await health(d, id))?.Status === 'healthy');
    assert.equal((await apiRequest(d.socket, 'POST', `/containers/${id}/pause`)).status, 204);
    const paused = Date.now();
    assert.equal((await health(d, id))?.Status, 'unhealthy');
    await sleep(1500);
    assert.equal(await execEvents(d, id, paused + 300, Date.now()), 0);
    assert.equal((await apiRequest(d.socket, 'POST', `/containers/${id}/unpause`)).status, 204);
    await until('healthy again', async () => (await health(d, id))?.Status === 'healthy');
    assert.equal((await apiRequest(d.socket, 'DELETE', `/containers/${id}?force=1`)).status, 204);
  });

  test('after a berthd crash the re-adopted container is probed again', async () => {
    const id = await create(d, { Healthcheck: { Test: ['CMD-SHELL', 'echo up'], Interval: 300 * MS } });
    await until('healthy', async () => (await health(d, id))?.Status === 'healthy');
    await d.kill9();
    await d.start();
    const restarted = Date.now();
    const h = await until('a probe after the restart', async () => {
      const x = await health(d, id);
      return x && x.Log.some((l) => Date.parse(l.Start) >= restarted - 50) && x.Status === 'healthy' ? x : undefined;
    });
    assert.equal(h.Log.at(-1)!.Output, 'up\n');
    assert.equal((await apiRequest(d.socket, 'DELETE', `/containers/${id}?force=1`)).status, 204);
  });

  test('bad settings are a 400 naming the field, nothing created', async () => {
    const before = JSON.parse((await apiRequest(d.socket, 'GET', '/containers/json?all=1')).body).length;
    for (const [hc, msg] of [
      [{ Test: ['CMD', 'true'], Interval: 1000 }, 'Interval in Healthcheck cannot be less than 1ms'],
      [{ Test: ['CMD', 'true'], Timeout: -5 }, 'Timeout in Healthcheck cannot be less than 1ms'],
      [{ Test: ['CMD', 'true'], Retries: -1 }, 'Retries in Healthcheck cannot be negative'],
      [{ Test: ['CMD', 'true'], StartPeriod: 10 }, 'StartPeriod in Healthcheck cannot be less than 1ms'],
      [{ Test: ['CMD', 'true'], StartInterval: 10 }, 'StartInterval in Healthcheck cannot be less than 1ms'],
    ] as const) {
      const r = await apiRequest(d.socket, 'POST', '/containers/create', { body: { Image: 'busybox', Healthcheck: hc } });
      assert.equal(r.status, 400, r.body);
      assert.equal(JSON.parse(r.body).message, msg);
    }
    assert.equal(JSON.parse((await apiRequest(d.socket, 'GET', '/containers/json?all=1')).body).length, before);
  });
});
