import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_VERSION, MIN_API_VERSION } from '../../../src/core/system.ts';
import { startApi } from './harness.ts';

test('GET and HEAD /_ping answer OK with dockerd\'s headers', async (t) => {
  const api = await startApi(t);
  for (const method of ['GET', 'HEAD']) {
    const r = await api.request(method, '/_ping');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), method === 'GET' ? 'OK' : '');
    assert.equal(r.headers['api-version'], API_VERSION);
    assert.equal(r.headers['docker-experimental'], 'false');
    assert.equal(r.headers['ostype'], 'linux');
    assert.match(String(r.headers['server']), /^Berth\/0\.1\.0 \(linux\)$/);
    assert.equal(r.headers['cache-control'], 'no-cache, no-store, must-revalidate');
    assert.equal(r.headers['pragma'], 'no-cache');
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
  }
});

const table: Array<{ name: string; method: string; path: string; status: number; field?: [string, unknown] }> = [
  { name: 'version', method: 'GET', path: '/version', status: 200, field: ['ApiVersion', API_VERSION] },
  { name: 'versioned version', method: 'GET', path: '/v1.41/version', status: 200, field: ['MinAPIVersion', MIN_API_VERSION] },
  { name: 'lowest version', method: 'GET', path: `/v${MIN_API_VERSION}/_ping`, status: 200 },
  { name: 'highest version', method: 'GET', path: `/v${API_VERSION}/info`, status: 200, field: ['ServerVersion', '0.1.0'] },
  { name: 'too old', method: 'GET', path: '/v1.20/version', status: 400,
    field: ['message', `client version 1.20 is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`] },
  { name: 'too new', method: 'GET', path: '/v9.99/containers/json', status: 400,
    field: ['message', `client version 9.99 is too new. Maximum supported API version is ${API_VERSION}`] },
  { name: 'unknown route', method: 'GET', path: '/nope', status: 404, field: ['message', 'page not found'] },
  { name: 'unknown versioned route', method: 'GET', path: '/v1.41/nope', status: 404, field: ['message', 'page not found'] },
  { name: 'wrong method', method: 'PUT', path: '/version', status: 404, field: ['message', 'page not found'] },
  { name: 'malformed version prefix', method: 'GET', path: '/vX/version', status: 404, field: ['message', 'page not found'] },
];

for (const row of table) {
  test(`system table: ${row.name}`, async (t) => {
    const api = await startApi(t);
    const r = await api.request(row.method, row.path);
    assert.equal(r.status, row.status, r.body.toString());
    if (row.field) assert.deepEqual(r.json()[row.field[0]], row.field[1]);
    if (row.status >= 400) assert.equal(r.headers['content-type'], 'application/json');
  });
}

test('/version carries the Engine component and platform', async (t) => {
  const api = await startApi(t);
  const v = (await api.request('GET', '/version')).json();
  assert.equal(v.Version, '0.1.0');
  assert.equal(v.Components[0].Name, 'Engine');
  assert.equal(v.Components[0].Details.ApiVersion, API_VERSION);
  assert.equal(v.Os, 'linux');
  assert.equal(v.Arch, 'amd64');
  assert.equal(v.GoVersion, 'node24.0.0');
  assert.equal(typeof v.Platform.Name, 'string');
});

test('/info has docker\'s shape and the service\'s values', async (t) => {
  const api = await startApi(t);
  const i = (await api.request('GET', '/info')).json();
  assert.equal(i.ID, 'BERTH-ID');
  assert.equal(i.Containers, 3);
  assert.equal(i.ContainersRunning, 1);
  assert.equal(i.ContainersStopped, 2);
  assert.equal(i.Images, 4);
  assert.equal(i.Driver, 'overlay');
  assert.equal(i.DockerRootDir, '/var/lib/berth');
  assert.equal(i.CgroupVersion, '1');
  assert.equal(i.NCPU, 2);
  assert.equal(i.MemTotal, 2 ** 34);
  assert.equal(i.OSVersion, '12');
  assert.deepEqual(Object.keys(i.Runtimes), ['runc', 'crun']);
  assert.equal(i.DefaultRuntime, 'runc');
  assert.equal(i.LoggingDriver, 'json-file');
  assert.deepEqual(i.SecurityOptions, ['name=seccomp,profile=builtin']);
  assert.equal(i.Swarm.LocalNodeState, 'inactive');
  assert.equal(i.Warnings, null);
  // Version-dependent fields.
  assert.equal(i.ContainerdCommit.Expected, undefined);
  const old = (await api.request('GET', '/v1.41/info')).json();
  assert.equal(old.ContainerdCommit.Expected, '');
  assert.equal(old.BridgeNfIptables, false);
  assert.deepEqual(old.Runtimes.runc, { path: 'runc' });
});
