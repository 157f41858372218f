// --rm honoured when the container exits while berthd is down: berthd is
// killed (SIGKILL, only the pid this test started), the container's process
// ends meanwhile (conmon records the exit), and at the next start live
// restore finds the exit and removes the container as AutoRemove asks:
// record, writable layer, rootfs mount, bundle, runtime state, cgroups and
// its anonymous volume, with the die and destroy events.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startBerthd, skipUnlessRoot, type PrivateDaemon } from '../../helpers/daemon.ts';
import { apiRequest } from '../../helpers/api.ts';
import { audit } from '../../helpers/leftovers.ts';
import { mountsUnder } from '../../helpers/mounts.ts';
import { processesUnder, sleep } from '../../helpers/procs.ts';

let d: PrivateDaemon;
before(async () => { if (!skipUnlessRoot()) d = await startBerthd(); });
after(async () => { await d?.cleanup(); });

async function api(method: string, path: string, body?: unknown) {
  const r = await apiRequest(d.socket, method, path, { body, timeout: 30_000 });
  return { status: r.status, json: r.body ? JSON.parse(r.body) : null, body: r.body };
}

test('a --rm container that exits while berthd is down is removed when berthd comes back', { skip: skipUnlessRoot(), timeout: 120_000 }, async () => {
  const c = await api('POST', '/containers/create', {
    Image: 'busybox', Cmd: ['sh', '-c', 'echo data > /data/f; sleep 3'], Volumes: { '/data': {} }, HostConfig: { AutoRemove: true },
  });
  assert.equal(c.status, 201, c.body);
  const id: string = c.json.Id;
  assert.equal((await api('POST', `/containers/${id}/start`)).status, 204);
  const info = (await api('GET', `/containers/${id}/json`)).json;
  assert.equal(info.HostConfig.AutoRemove, true);
  const volume: string = info.Mounts.find((m: { Destination: string }) => m.Destination === '/data').Name;
  const since = Math.floor(Date.now() / 1000) - 1;

  await d.kill9();
  // The container outlives berthd (conmon holds it) and then exits on its own.
  const conmon = () => processesUnder(d.dir).some((p) => p.comm === 'conmon' && p.argv.includes(id));
  assert.ok(conmon(), 'the container kept running after berthd was killed');
  const deadline = Date.now() + 30_000;
  while (conmon()) {
    assert.ok(Date.now() < deadline, 'the container did not exit');
    await sleep(100);
  }
  assert.ok(existsSync(`${d.dataRoot}/containers/${id}`), 'nothing removed it while berthd was down');

  await d.start();
  // Live restore runs in the background once the API serves: the removal follows within moments.
  const w = await api('POST', `/containers/${id}/wait?condition=removed`);
  assert.ok(w.status === 200 || w.status === 404, `${w.status} ${w.body}`);
  assert.equal((await api('GET', `/containers/${id}/json`)).status, 404);
  // A 404: the removal had already dropped the record (metadata first) and may still be
  // cleaning up its files; a 200 comes only once it has finished.
  for (let i = 0; w.status === 404 && i < 100 && audit(d, [], [id]).length > 0; i++) await sleep(100);
  assert.deepEqual(audit(d, [], [id]), []);
  assert.deepEqual(mountsUnder(d.dir).filter((m) => m.mountPoint.includes(id)), []);
  assert.equal(existsSync(`${d.dataRoot}/containers/${id}`), false);
  assert.equal((await api('GET', `/volumes/${volume}`)).status, 404, 'the anonymous volume goes with it, as docker run --rm does');
  const ev = await apiRequest(d.socket, 'GET', `/events?since=${since}&until=${Math.floor(Date.now() / 1000) + 1}&filters=${encodeURIComponent(JSON.stringify({ container: [id] }))}`);
  const actions = ev.body.split('\n').filter(Boolean).map((l: string) => JSON.parse(l).Action);
  assert.deepEqual(actions.slice(-2), ['die', 'destroy']);
});
