// While a restarted daemon's start-up steps run in the background (sweeps,
// network reconcile), reads of the records are served and every request
// that may change something waits for the steps (daemon/boot-steps.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routes } from '../../../src/api/routes.ts';
import { startApi } from './harness.ts';

const tick = (ms: number) => new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), ms));

test('during boot: reads answer at once, a change waits for the start-up steps and is then served', async (t) => {
  let release!: () => void;
  let pending: Promise<void> | null = new Promise<void>((r) => { release = r; });
  const api = await startApi(t, { booting: () => pending });
  for (const p of ['/_ping', '/version', '/info', '/containers/json?all=1', '/images/json']) {
    assert.equal((await api.request('GET', p)).status, 200, `GET ${p} during boot`);
  }
  const create = api.request('POST', '/containers/create?name=early', { body: { Image: 'busybox', Cmd: ['true'] } });
  const remove = api.request('DELETE', '/containers/nosuch');
  assert.equal(await Promise.race([create.then(() => 'answered'), tick(150)]), 'waiting', 'a create is held while the sweeps run');
  assert.equal(await Promise.race([remove.then(() => 'answered'), tick(10)]), 'waiting', 'a removal is held too');
  pending = null;
  release();
  assert.equal((await create).status, 201);
  assert.equal((await remove).status, 404);
  // Once the steps are done nothing waits.
  assert.equal((await api.request('POST', '/containers/create?name=late', { body: { Image: 'busybox', Cmd: ['true'] } })).status, 201);
});

test('only reads are served during boot', () => {
  const early = routes.filter((r) => r.duringBoot);
  assert.ok(early.length >= 10);
  for (const r of early) assert.ok(r.method === 'GET' || r.method === 'HEAD', `${r.method} ${r.path} marked duringBoot`);
  for (const path of ['/containers/create', '/containers/{id}/start', '/containers/{id}', '/containers/{id}/archive', '/build', '/images/create', '/networks/create']) {
    for (const r of routes.filter((x) => x.path === path)) assert.ok(!r.duringBoot, `${r.method} ${path} waits for the boot`);
  }
});
