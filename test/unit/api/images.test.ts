import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeImage } from './fakes.ts';
import { startApi, type Api } from './harness.ts';

const BB = 'sha256:' + 'a'.repeat(64);
const DEEP = 'sha256:' + '9'.repeat(64);

async function withImages(t: Parameters<typeof startApi>[0]): Promise<Api> {
  const api = await startApi(t);
  api.images.images.push(makeImage({ id: BB, tags: ['busybox:latest'] }));
  api.images.images.push(makeImage({ id: DEEP, tags: ['localhost:5000/a/b:t'], digests: ['localhost:5000/a/b@sha256:' + '1'.repeat(64)] }));
  api.images.images.push(makeImage({ id: 'sha256:' + '7'.repeat(64) }));
  return api;
}

interface Row {
  name: string;
  method: string;
  path: string;
  status: number;
  field?: [string, unknown];
  check?: (api: Api, json: any) => void;
}

const rows: Row[] = [
  { name: 'list', method: 'GET', path: '/images/json', status: 200,
    check: (api, json) => {
      assert.equal(json.length, 3);
      const bb = json[0];
      assert.equal(bb.Id, BB);
      assert.deepEqual(bb.RepoTags, ['busybox:latest']);
      assert.deepEqual(bb.RepoDigests, []);
      assert.equal(bb.ParentId, '');
      assert.equal(bb.Created, 1704067200);
      assert.equal(bb.Size, 1984234);
      assert.equal(bb.SharedSize, -1);
      assert.equal(bb.Containers, -1);
      assert.deepEqual(bb.Labels, {});
      assert.equal('VirtualSize' in bb, false);
      assert.deepEqual(json[2].RepoTags, []);
      assert.deepEqual(api.images.lastList, { all: false, filters: {} });
    } },
  { name: 'list on an old API', method: 'GET', path: '/v1.41/images/json?all=1', status: 200,
    check: (api, json) => {
      assert.equal(json[0].VirtualSize, 1984234);
      assert.deepEqual(json[2].RepoTags, ['<none>:<none>']);
      assert.deepEqual(json[2].RepoDigests, ['<none>@<none>']);
      assert.equal(api.images.lastList!.all, true);
    } },
  { name: 'list filters', method: 'GET', path: '/images/json?filters=' + encodeURIComponent('{"dangling":{"true":true},"reference":{"busy*":true},"label":["a=b"],"before":["busybox"]}'), status: 200,
    check: (api) => assert.deepEqual(api.images.lastList!.filters, { reference: ['busy*'], label: ['a=b'], dangling: true, before: 'busybox' }) },
  { name: 'list legacy filter param', method: 'GET', path: '/v1.24/images/json?filter=busybox', status: 200,
    check: (api) => assert.deepEqual(api.images.lastList!.filters, { reference: ['busybox'] }) },
  { name: 'list bad dangling', method: 'GET', path: '/images/json?filters=' + encodeURIComponent('{"dangling":["maybe"]}'), status: 400, field: ['message', "invalid filter 'dangling=maybe'"] },
  { name: 'list unknown filter', method: 'GET', path: '/images/json?filters=' + encodeURIComponent('{"color":["red"]}'), status: 400, field: ['message', "invalid filter 'color'"] },

  { name: 'inspect', method: 'GET', path: '/images/busybox/json', status: 200,
    check: (_api, i) => {
      assert.equal(i.Id, BB);
      assert.deepEqual(i.RepoTags, ['busybox:latest']);
      assert.equal(i.Created, '2024-01-01T00:00:00Z');
      assert.equal(i.Comment, 'Imported from -');
      assert.deepEqual(i.Config, { Cmd: ['sh'], Env: ['PATH=/bin'] });
      assert.equal(i.Architecture, 'amd64');
      assert.equal(i.Os, 'linux');
      assert.equal(i.Size, 1984234);
      assert.deepEqual(i.RootFS, { Type: 'layers', Layers: ['sha256:' + 'e'.repeat(64)] });
      assert.equal(i.GraphDriver.Name, 'overlay');
      assert.equal(typeof i.Metadata.LastTagTime, 'string');
      assert.equal('Parent' in i, false);
      assert.equal('ContainerConfig' in i, false);
    } },
  { name: 'inspect on an old API keeps the legacy fields', method: 'GET', path: '/v1.41/images/busybox:latest/json', status: 200,
    check: (_api, i) => {
      assert.equal(i.Parent, '');
      assert.equal(i.DockerVersion, '');
      assert.equal(i.Container, '');
      assert.equal(i.ContainerConfig.Image, '');
      assert.equal(i.VirtualSize, 1984234);
      assert.equal(i.Config.Entrypoint, null);
      assert.equal(i.Config.Hostname, '');
      assert.deepEqual(i.Config.Cmd, ['sh']);
    } },
  { name: 'inspect a name with slashes and a port', method: 'GET', path: '/images/localhost:5000/a/b:t/json', status: 200, field: ['Id', DEEP] },
  { name: 'inspect by ID, versioned', method: 'GET', path: `/v1.45/images/${BB}/json`, status: 200, field: ['Id', BB] },
  { name: 'inspect a name that ends in json', method: 'GET', path: '/images/json/json', status: 404, field: ['message', 'No such image: json'] },
  { name: 'inspect unknown', method: 'GET', path: '/images/nope/json', status: 404, field: ['message', 'No such image: nope'] },

  { name: 'history', method: 'GET', path: '/images/localhost:5000/a/b:t/history', status: 200,
    check: (_api, h) => assert.deepEqual(h, [{ Id: DEEP, Created: 1704067200, CreatedBy: '', Tags: ['localhost:5000/a/b:t'], Size: 1984234, Comment: 'Imported from -' }]) },
  { name: 'tag', method: 'POST', path: '/images/busybox/tag?repo=docker.io%2Fx%2Fy&tag=z', status: 201,
    check: (api) => assert.deepEqual(api.images.calls.at(-1), ['tag', 'busybox', 'docker.io/x/y', 'z']) },
  { name: 'tag without tag', method: 'POST', path: '/images/localhost:5000/a/b:t/tag?repo=mine', status: 201,
    check: (api) => assert.deepEqual(api.images.calls.at(-1), ['tag', 'localhost:5000/a/b:t', 'mine', undefined]) },
  { name: 'tag without repo', method: 'POST', path: '/images/busybox/tag', status: 400 },
  { name: 'tag unknown', method: 'POST', path: '/images/nope/tag?repo=x', status: 404 },
  { name: 'remove', method: 'DELETE', path: '/images/localhost:5000/a/b:t?force=1&noprune=1', status: 200,
    check: (api, json) => {
      assert.deepEqual(json, [{ Untagged: 'localhost:5000/a/b:t' }, { Deleted: DEEP }]);
      assert.deepEqual(api.images.calls.at(-1), ['remove', 'localhost:5000/a/b:t', { force: true, noprune: true }]);
    } },
  { name: 'remove unknown', method: 'DELETE', path: '/v1.41/images/nope', status: 404 },

  // Pulls themselves are covered against real registries (test/compat/pull-push.test.ts).
  { name: 'pull without a registry client', method: 'POST', path: '/images/create?fromImage=docker.io%2Flibrary%2Fnope&tag=latest', status: 503,
    check: (_api, json) => assert.match(json.message, /no registry client/) },
  { name: 'import from a URL', method: 'POST', path: '/images/create?fromSrc=http://example.com/x.tar', status: 400 },
];

for (const row of rows) {
  test(`images table: ${row.name}`, async (t) => {
    const api = await withImages(t);
    const r = await api.request(row.method, row.path);
    assert.equal(r.status, row.status, `${row.method} ${row.path}: ${r.body.toString()}`);
    const json = r.body.length ? r.json() : undefined;
    if (row.status >= 400) assert.equal(typeof json.message, 'string');
    if (row.field) assert.deepEqual(json[row.field[0]], row.field[1]);
    row.check?.(api, json);
  });
}

test('import reads the body and answers with the ID as the last status line', async (t) => {
  const api = await withImages(t);
  const tarBytes = Buffer.alloc(3000, 7);
  const r = await api.request('POST', '/images/create?fromSrc=-&repo=imp%3A1&message=msg&changes=ENV+A%3D1&changes=CMD+%5B%22sh%22%5D',
    { raw: tarBytes, headers: { 'Content-Type': 'text/plain' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.body.toString(), `{"status":"sha256:${'f'.repeat(64)}"}\r\n`);
  assert.deepEqual(api.images.imported!.bytes, tarBytes);
  assert.deepEqual(api.images.imported!.opts, { reference: 'imp:1', changes: ['ENV A=1', 'CMD ["sh"]'], message: 'msg' });

  await api.request('POST', '/images/create?fromSrc=-&repo=imp&tag=2', { raw: 'x' });
  assert.deepEqual(api.images.imported!.opts, { reference: 'imp:2', changes: [], message: 'Imported from -' });
  await api.request('POST', '/images/create?fromSrc=-', { raw: 'x' });
  assert.deepEqual(api.images.imported!.opts, { changes: [], message: 'Imported from -' });
});

test('POST /images/prune: filters decoded at the edge, the report in docker\'s shape, bad filters a 400', async (t) => {
  const api = await startApi(t);
  const f = (o: unknown) => encodeURIComponent(JSON.stringify(o));
  const before = Date.now();
  const r = await api.request('POST', `/images/prune?filters=${f({ dangling: ['false'], until: ['1h'], label: ['a=b'], 'label!': ['c'] })}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json(), { ImagesDeleted: [{ Untagged: 'old:1' }, { Deleted: 'sha256:' + 'e'.repeat(64) }], SpaceReclaimed: 1234 });
  const call = api.images.calls.find((c) => c[0] === 'prune')![1] as { danglingOnly: boolean; until: number; labels: string[]; labelsNot: string[] };
  assert.equal(call.danglingOnly, false);
  assert.ok(Math.abs(call.until - (before - 3600_000)) < 5000, String(call.until));
  assert.deepEqual(call.labels, ['a=b']);
  assert.deepEqual(call.labelsNot, ['c']);
  const d = await api.request('POST', '/images/prune');
  assert.equal(d.status, 200);
  assert.equal((api.images.calls.filter((c) => c[0] === 'prune')[1]![1] as { danglingOnly: boolean }).danglingOnly, true);
  for (const [filters, msg] of [
    [{ foo: ['x'] }, "invalid filter 'foo'"],
    [{ dangling: ['maybe'] }, "invalid filter 'dangling=maybe'"],
    [{ until: ['soon'] }, 'failed to parse value as time or duration: "soon"'],
  ] as const) {
    const bad = await api.request('POST', `/images/prune?filters=${f(filters)}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.json().message, msg);
  }
});
