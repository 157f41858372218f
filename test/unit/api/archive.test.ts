import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeView } from './fakes.ts';
import { startApi } from './harness.ts';
import { goFileMode } from '../../../src/api/shapes/archive.ts';

const ID = 'a'.repeat(64);

test('goFileMode: unix st_mode becomes Go os.FileMode bits (what docker cp decodes)', () => {
  assert.equal(goFileMode(0o100644), 420);
  assert.equal(goFileMode(0o040755), 2147484141);
  assert.equal(goFileMode(0o120777), 134218239);
  assert.equal(goFileMode(0o020620), 2 ** 26 + 2 ** 21 + 0o620);
  assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755);
  assert.equal(goFileMode(0o041777), 2 ** 31 + 2 ** 20 + 0o777);
});

test('HEAD/GET/PUT /containers/{id}/archive', async (t) => {
  const api = await startApi(t);
  api.containers.add(makeView({ id: ID, name: 'web' }));
  const head = await api.request('HEAD', '/containers/web/archive?path=/etc/hostname');
  assert.equal(head.status, 200);
  const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString());
  assert.deepEqual(stat, { name: 'hostname', size: 13, mode: 420, mtime: '2026-01-02T03:04:05.5Z', linkTarget: '' });

  const get = await api.request('GET', '/v1.41/containers/web/archive?path=/etc/hostname');
  assert.equal(get.status, 200);
  assert.equal(get.headers['content-type'], 'application/x-tar');
  assert.equal(get.body.toString(), 'a tar');
  assert.ok(get.headers['x-docker-container-path-stat']);

  const missing = await api.request('GET', '/containers/web/archive?path=/missing');
  assert.equal(missing.status, 404);
  assert.equal(JSON.parse(missing.body.toString()).message, 'Could not find the file /missing in container web');

  const put = await api.request('PUT', '/containers/web/archive?path=/tmp&noOverwriteDirNonDir=true&copyUIDGID=1', { raw: 'tar bytes' });
  assert.equal(put.status, 200);
  assert.deepEqual(api.containers.lastPut, { path: '/tmp', body: Buffer.from('tar bytes'), opts: { noOverwriteDirNonDir: true, copyUIDGID: true } });

  const nobody = await api.request('PUT', '/containers/nope/archive?path=/tmp', { raw: 'x' });
  assert.equal(nobody.status, 404);
});
