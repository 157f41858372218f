// Registry auth in-process: htpasswd Basic, and the built-in token service
// (Bearer JWTs scoped to repositories and actions).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { loadConfig } from '../../../src/registry/config.ts';
import { RegistryServer } from '../../../src/registry/server.ts';
import { makeImage, pushImage } from '../../helpers/oci.ts';

let dir: string;
const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

before(() => {
  dir = mkdtempSync(`${tmpdir()}/berth-regauth-`);
  writeFileSync(`${dir}/htpasswd`, `alice:${bcrypt.hashSync('s3cret', 4)}\n# comment\nbob:${bcrypt.hashSync('hunter2', 4)}\n`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function start(t: { after: (fn: () => Promise<void>) => void }, flags: { token?: boolean }, config?: object): Promise<string> {
  const root = mkdtempSync(`${dir}/root-`);
  if (config) writeFileSync(`${root}.json`, JSON.stringify(config));
  const s = new RegistryServer({ config: loadConfig({ listen: '127.0.0.1:0', root, htpasswd: `${dir}/htpasswd`, ...flags, ...(config ? { config: `${root}.json` } : {}) }) });
  const { port } = await s.listen();
  t.after(() => s.close());
  return `http://127.0.0.1:${port}`;
}

describe('registry auth', () => {
  test('htpasswd: Basic challenge, wrong password refused, right one accepted', async (t) => {
    const base = await start(t, {});
    const anon = await fetch(`${base}/v2/`);
    assert.equal(anon.status, 401);
    assert.equal(anon.headers.get('www-authenticate'), 'Basic realm="berth-registry"');
    assert.equal(((await anon.json()) as { errors: Array<{ code: string }> }).errors[0]!.code, 'UNAUTHORIZED');
    assert.equal((await fetch(`${base}/v2/`, { headers: basic('alice', 'nope') })).status, 401);
    assert.equal((await fetch(`${base}/v2/`, { headers: basic('mallory', 's3cret') })).status, 401);
    assert.equal((await fetch(`${base}/v2/`, { headers: basic('alice', 's3cret') })).status, 200);
    const img = await makeImage({ layers: [{ a: 'b' }] });
    await pushImage(base, 'team/app', 'v1', img, basic('bob', 'hunter2'));
    assert.equal((await fetch(`${base}/v2/team/app/tags/list`)).status, 401);
  });

  test('token: challenge names realm, service and scope; tokens carry only what was asked and granted', async (t) => {
    const base = await start(t, { token: true }, { auth: { token: { acl: [
      { account: 'alice', name: '*', actions: ['*'] },
      { account: 'bob', name: 'public/*', actions: ['pull'] },
    ] } } });
    const r = await fetch(`${base}/v2/team/app/tags/list`);
    assert.equal(r.status, 401);
    const ch = r.headers.get('www-authenticate')!;
    assert.equal(ch, `Bearer realm="${base}/auth/token",service="berth-registry",scope="repository:team/app:pull"`);
    const token = async (scope: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${base}/auth/token?service=berth-registry&scope=${encodeURIComponent(scope)}`, { headers });
      return { status: res.status, body: await res.json() as { token: string } };
    };
    assert.equal((await token('repository:team/app:pull', basic('alice', 'bad'))).status, 401);
    const alice = await token('repository:team/app:pull,push', basic('alice', 's3cret'));
    assert.equal(alice.status, 200);
    const bearer = (tk: string) => ({ Authorization: `Bearer ${tk}` });
    const img = await makeImage({ layers: [{ a: 'b' }] });
    await pushImage(base, 'team/app', 'v1', img, bearer(alice.body.token));
    // The same token opens no other repository.
    const other = await fetch(`${base}/v2/team/other/tags/list`, { headers: bearer(alice.body.token) });
    assert.equal(other.status, 401);
    assert.match(((await other.json()) as { errors: Array<{ message: string }> }).errors[0]!.message, /insufficient scope: repository:team\/other:pull/);
    // bob may pull public/* only: a token asked for team/app push grants nothing.
    const bob = await token('repository:team/app:pull,push', basic('bob', 'hunter2'));
    assert.equal((await fetch(`${base}/v2/team/app/tags/list`, { headers: bearer(bob.body.token) })).status, 401);
    assert.equal((await fetch(`${base}/v2/team/app/tags/list`, { headers: bearer('not.a.jwt') })).status, 401);
    const ok = await fetch(`${base}/v2/team/app/tags/list`, { headers: bearer(alice.body.token) });
    assert.deepEqual(await ok.json(), { name: 'team/app', tags: ['v1'] });
  });

  test('every write is refused without credentials or outside the token\'s scope, and nothing is stored', async (t) => {
    const base = await start(t, { token: true }, { auth: { token: { acl: [
      { account: 'alice', name: '*', actions: ['*'] },
      { account: 'bob', name: 'public/*', actions: ['pull'] },
    ] } } });
    const token = async (scope: string, user: string, pass: string) => {
      const res = await fetch(`${base}/auth/token?service=berth-registry&scope=${encodeURIComponent(scope)}`, { headers: basic(user, pass) });
      return ((await res.json()) as { token: string }).token;
    };
    const admin = { Authorization: `Bearer ${await token('repository:public/app:pull,push,delete registry:catalog:*', 'alice', 's3cret')}` };
    const img = await makeImage({ layers: [{ a: 'b' }] });
    await pushImage(base, 'public/app', 'v1', img, admin);
    const blob = 'sha256:' + '0'.repeat(64);
    const existing = img.manifestDigest;
    const body = Buffer.from('payload');
    const writes: Array<[string, string, Record<string, string>?]> = [
      ['POST', '/v2/public/app/blobs/uploads/'],
      ['POST', `/v2/public/app/blobs/uploads/?digest=${blob}`],
      ['POST', `/v2/public/app/blobs/uploads/?mount=${img.config.digest}&from=public/app`],
      ['PATCH', '/v2/public/app/blobs/uploads/11111111-2222-3333-4444-555555555555', { 'Content-Type': 'application/octet-stream' }],
      ['PUT', `/v2/public/app/blobs/uploads/11111111-2222-3333-4444-555555555555?digest=${blob}`],
      ['DELETE', '/v2/public/app/blobs/uploads/11111111-2222-3333-4444-555555555555'],
      ['PUT', '/v2/public/app/manifests/evil', { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' }],
      ['DELETE', `/v2/public/app/manifests/${existing}`],
      ['DELETE', `/v2/public/app/blobs/${img.config.digest}`],
      ['PUT', '/v2/newrepo/manifests/v1', { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' }],
    ];
    const pullOnly = { Authorization: `Bearer ${await token('repository:public/app:pull,push,delete', 'bob', 'hunter2')}` };
    const wrongRepo = { Authorization: `Bearer ${await token('repository:public/other:pull,push,delete', 'alice', 's3cret')}` };
    for (const [who, headers] of [['anonymous', {}], ['a pull-only token', pullOnly], ['a token for another repository', wrongRepo], ['a bad password', basic('alice', 'nope')]] as const) {
      for (const [method, path, extra] of writes) {
        const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...extra }, body: method === 'GET' || method === 'DELETE' ? undefined : body });
        assert.ok(res.status === 401 || res.status === 403, `${who}: ${method} ${path} answered ${res.status}`);
        const err = ((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!;
        assert.ok(['UNAUTHORIZED', 'DENIED'].includes(err.code), `${who}: ${method} ${path}: ${err.code}`);
      }
    }
    // Nothing changed: the one repository, its one tag, its manifest and blobs still there.
    assert.deepEqual(await (await fetch(`${base}/v2/_catalog`, { headers: admin })).json(), { repositories: ['public/app'] });
    assert.deepEqual(await (await fetch(`${base}/v2/public/app/tags/list`, { headers: admin })).json(), { name: 'public/app', tags: ['v1'] });
    assert.equal((await fetch(`${base}/v2/public/app/manifests/${existing}`, { method: 'HEAD', headers: admin })).status, 200);
    assert.equal((await fetch(`${base}/v2/public/app/blobs/${img.config.digest}`, { method: 'HEAD', headers: admin })).status, 200);
  });

  test('a bad htpasswd file is refused at start, naming the line', () => {
    writeFileSync(`${dir}/md5`, 'carol:$apr1$abc$def\n');
    assert.throws(() => new RegistryServer({ config: loadConfig({ listen: '127.0.0.1:0', root: `${dir}/x`, htpasswd: `${dir}/md5` }) }), /md5:1: only bcrypt entries/);
  });
});
