// berthd as a process: the data-root lock, graceful shutdown that leaves
// containers running, bad requests that do not hurt the daemon, and failed
// creates that leave nothing behind.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { startBerthd, BERTHD, skipUnlessRoot, type PrivateDaemon } from '../../helpers/daemon.ts';
import { apiRequest, ping } from '../../helpers/api.ts';
import { mountsUnder } from '../../helpers/mounts.ts';
import { DatabaseSync } from 'node:sqlite';

function ls(dir: string): string[] {
  try { return readdirSync(dir).sort(); } catch { return []; }
}

describe('berthd process', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  before(async () => { d = await startBerthd(); });
  after(async () => { await d?.cleanup(); });

  test('a second daemon on the same data root is refused, naming the owner', () => {
    const r = spawnSync(BERTHD, ['-H', `unix://${d.dir}/second.sock`, '--data-root', d.dataRoot, '--exec-root', `${d.dir}/exec2`,
      '--pidfile', `${d.dir}/second.pid`, '--config-file', `${d.dir}/berthd.json`], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`another berthd \\(pid ${d.pid}\\) is already using data root`));
    assert.ok(!existsSync(`${d.dir}/second.sock`));
  });

  test('malformed and invalid requests get 4xx with a message; the daemon keeps serving', async () => {
    const bad = await apiRequest(d.socket, 'POST', '/containers/create', { body: undefined });
    assert.ok(bad.status >= 400 && bad.status < 500, `status ${bad.status}`);
    const raw = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ default: http }) => {
        const req = http.request({ socketPath: d.socket, method: 'POST', path: '/containers/create', headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end('{"Image": "busybox", ');
      });
    });
    assert.equal(raw, 400);
    const noImage = await apiRequest(d.socket, 'POST', '/containers/create', { body: { Image: 'nosuchimage:1', Cmd: ['true'] } });
    assert.equal(noImage.status, 404);
    assert.match(JSON.parse(noImage.body).message, /No such image: nosuchimage:1/);
    assert.ok(await ping(d.socket));
  });

  test('failed creates leave no row, snapshot, directory or conmon behind', async () => {
    const snapshots = () => ls(`${d.dataRoot}/snapshots/overlay/active`).concat(ls(`${d.dataRoot}/snapshots/copy/active`));
    // A successful create shows up where we look, so the emptiness checks below mean something.
    const ok = JSON.parse((await apiRequest(d.socket, 'POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['true'] } })).body);
    assert.ok(snapshots().includes(ok.Id) && ls(`${d.dataRoot}/containers`).includes(ok.Id));
    assert.equal((await apiRequest(d.socket, 'DELETE', `/containers/${ok.Id}`)).status, 204);
    assert.ok(!snapshots().includes(ok.Id) && !ls(`${d.dataRoot}/containers`).includes(ok.Id));
    const snapshotsBefore = snapshots();
    const containersBefore = ls(`${d.dataRoot}/containers`);
    const cases: Array<[unknown, string, number]> = [
      [{ Image: 'busybox', Cmd: ['true'] }, '?name=-bad', 400],
      [{ Image: 'busybox', Cmd: ['true'], WorkingDir: 'relative' }, '', 400],
      [{ Image: 'busybox', Cmd: [], Entrypoint: [''] }, '', 400],
      [{ Image: 'busybox', Cmd: ['true'], Env: ['=x'] }, '', 400],
      [{ Image: 'busybox', Cmd: ['true'], NetworkingConfig: { EndpointsConfig: { bridge: { IPAMConfig: { IPv4Address: '10.66.0.9' } } } } }, '', 400],
      [{ Image: 'busybox', Cmd: ['true'], HostConfig: { RestartPolicy: { Name: 'sometimes' } } }, '', 400],
    ];
    for (const [body, query, status] of cases) {
      const r = await apiRequest(d.socket, 'POST', `/containers/create${query}`, { body });
      assert.equal(r.status, status, `${JSON.stringify(body)} -> ${r.status} ${r.body}`);
      assert.ok(JSON.parse(r.body).message, 'error has a message');
    }
    const list = await apiRequest(d.socket, 'GET', '/containers/json?all=1');
    assert.deepEqual(JSON.parse(list.body), []);
    assert.deepEqual(ls(`${d.dataRoot}/containers`), containersBefore);
    assert.deepEqual(snapshots(), snapshotsBefore);
    assert.deepEqual(mountsUnder(d.dir), []);
  });

  test('SIGTERM stops the daemon cleanly; containers keep running and are re-adopted', async () => {
    const created = await apiRequest(d.socket, 'POST', '/containers/create?name=survivor', { body: { Image: 'busybox', Cmd: ['sleep', '300'] } });
    assert.equal(created.status, 201, created.body);
    const { Id: id } = JSON.parse(created.body);
    assert.equal((await apiRequest(d.socket, 'POST', `/containers/${id}/start`)).status, 204);
    await d.stop();
    assert.ok(!existsSync(d.socket), 'socket removed');
    assert.ok(!existsSync(d.pidfile), 'pidfile removed');
    assert.match(d.logs(), /shutting down; containers keep running/);
    await d.start();
    const inspect = JSON.parse((await apiRequest(d.socket, 'GET', `/containers/${id}/json`)).body);
    assert.equal(inspect.State.Status, 'running');
    assert.ok(inspect.State.Pid > 0);
    assert.ok(existsSync(`/proc/${inspect.State.Pid}`), 'the container process survived the daemon');
    const stop = await apiRequest(d.socket, 'POST', `/containers/${id}/stop?t=1`, { timeout: 30_000 });
    assert.equal(stop.status, 204);
    const after = JSON.parse((await apiRequest(d.socket, 'GET', `/containers/${id}/json`)).body);
    assert.equal(after.State.Status, 'exited');
    assert.equal((await apiRequest(d.socket, 'DELETE', `/containers/${id}`)).status, 204);
    assert.deepEqual(mountsUnder(d.dir), []);
  });

  test('a crash between metadata commit and cleanup leaves garbage that the next start sweeps', async () => {
    const created = await apiRequest(d.socket, 'POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['true'] } });
    const { Id: id } = JSON.parse(created.body);
    await d.stop();
    // What a crash right after the row's deletion would leave: the snapshot and the directory.
    const db = new DatabaseSync(`${d.dataRoot}/berth.db`);
    db.prepare('DELETE FROM containers WHERE id = ?').run(id);
    db.close();
    assert.ok(ls(`${d.dataRoot}/containers`).includes(id));
    assert.ok(ls(`${d.dataRoot}/snapshots/overlay/active`).includes(id));
    await d.start();
    assert.ok(!ls(`${d.dataRoot}/containers`).includes(id), 'container dir swept');
    assert.ok(!ls(`${d.dataRoot}/snapshots/overlay/active`).includes(id), 'snapshot swept');
    assert.match(d.logs(), /removed orphaned snapshot/);
  });
});
