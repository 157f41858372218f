// The short run of the load generator (test/helpers/load.ts; stress/load.ts
// runs 200 clients for 60 s): 40 concurrent clients for 10 s against a
// private berthd, 36 reading (ps, inspect, images, version, info, logs of
// running containers) and 4 cycling busybox containers through create,
// start, stop and rm. Asserted: not one error or timeout, every churned
// container removed, the daemon's descriptors back to their baseline, and
// nothing failed in its log. Latencies are printed, not asserted: this
// machine is shared and its timing is not the daemon's.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type PrivateDaemon, skipUnlessRoot, startBerthd } from '../../helpers/daemon.ts';
import { apiRequest, ping } from '../../helpers/api.ts';
import { fdTargets, openFds, runLoad } from '../../helpers/load.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function started(d: PrivateDaemon, name: string, cmd: string[]): Promise<string> {
  const r = await apiRequest(d.socket, 'POST', `/containers/create?name=${name}`, { body: { Image: 'busybox', Cmd: cmd, HostConfig: { NetworkMode: 'none' } } });
  assert.equal(r.status, 201, r.body);
  const id = JSON.parse(r.body).Id as string;
  const s = await apiRequest(d.socket, 'POST', `/containers/${id}/start`, { timeout: 60_000 });
  assert.equal(s.status, 204, s.body);
  return id;
}

describe('load: concurrent clients reading and churning containers', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;

  before(async () => { d = await startBerthd(); });
  after(async () => { await d?.cleanup(); });

  test('40 clients for 10 s: no error, containers and descriptors back to where they were', async () => {
    const pid = d.pid!;
    // What berthd opens once and keeps (libc, the runtime's first start,
    // libuv's one inotify descriptor made by the first exit watch of a stop)
    // is opened before counting.
    const warm = await started(d, 'warm', ['sleep', '1000']);
    assert.equal((await apiRequest(d.socket, 'POST', `/containers/${warm}/stop?t=0`, { timeout: 60_000 })).status, 204);
    assert.equal((await apiRequest(d.socket, 'DELETE', `/containers/${warm}?force=1`, { timeout: 60_000 })).status, 204);
    await sleep(500);
    const baseline = openFds(pid);
    const before = fdTargets(pid);
    const targets = [];
    for (let i = 0; i < 2; i++) targets.push(await started(d, `target-${i}`, ['sh', '-c', 'while :; do echo tick; sleep 0.2; done']));

    const r = await runLoad({ socket: d.socket, clients: 40, seconds: 10, targets, pid, churnEvery: 10 });
    const lines = Object.entries(r.kinds).map(([k, s]) => `${k} n=${s.count} p50=${s.p50} p99=${s.p99} max=${s.max}`);
    console.log(`load: ${r.requests} requests, ${r.cycles} container cycles in ${r.ms} ms; ${lines.join('; ')}`);
    assert.deepEqual(r.errors.slice(0, 5), [], `${r.errors.length} errors`);
    assert.deepEqual(r.leftovers, []);
    assert.ok(r.cycles >= 4, `only ${r.cycles} container cycles completed`);
    for (const k of ['ps', 'inspect', 'images', 'version', 'info', 'logs'] as const) assert.ok((r.kinds[k]?.count ?? 0) > 0, `no ${k} request completed`);
    assert.ok(await ping(d.socket));

    for (const id of targets) assert.equal((await apiRequest(d.socket, 'DELETE', `/containers/${id}?force=1`, { timeout: 60_000 })).status, 204);
    const left = JSON.parse((await apiRequest(d.socket, 'GET', '/containers/json?all=1')).body) as unknown[];
    assert.equal(left.length, 0);
    let fds = openFds(pid);
    for (let i = 0; i < 150 && fds > baseline; i++) { await sleep(100); fds = openFds(pid); }
    if (fds > baseline) {
      const was = new Set(before);
      assert.fail(`berthd holds ${fds} descriptors, ${baseline} before the load; new: ${fdTargets(pid).filter((f) => !was.has(f)).join(', ')}`);
    }
    const findings = d.logs().split('\n').filter((l) => /"level":"(error|fatal)"|unhandled|uncaught/i.test(l));
    assert.deepEqual(findings.slice(0, 5), []);
  });
});
