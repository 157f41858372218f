// `berth registry serve` with auth on, driven by skopeo (a client nobody
// here wrote): htpasswd Basic auth, and Docker's bearer-token flow through
// the built-in token service (skopeo reads the challenge, asks the realm for
// a token with its credentials and the scope of each repository). Copy in,
// inspect, list-tags and delete with credentials; refused without them, and
// refused where the token's scope does not reach (another repository, an
// action the account is not granted), with nothing stored.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { makeImage, writeOciLayout, type TestImage } from '../../helpers/oci.ts';
import { startBerthRegistry, type RunningRegistry } from '../../helpers/registry.ts';
import { run, runOk } from '../../helpers/run.ts';

const SKOPEO = '/usr/bin/skopeo';
const skip = existsSync(SKOPEO) ? false : 'skopeo is not installed (scripts/setup.sh --dev)';
const sk = (...args: string[]) => runOk(SKOPEO, ['--insecure-policy', ...args], { timeout: 60_000 });
const skFails = async (...args: string[]) => {
  const r = await run(SKOPEO, ['--insecure-policy', ...args], { timeout: 60_000 });
  assert.notEqual(r.code, 0, `skopeo ${args.join(' ')} succeeded`);
  return r.stderr;
};
const tls = '--tls-verify=false';

let dir: string;
let img: TestImage;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-skopeo-auth-'));
  writeFileSync(`${dir}/htpasswd`, `alice:${bcrypt.hashSync('s3cret', 4)}\nbob:${bcrypt.hashSync('hunter2', 4)}\n`);
  img = await makeImage({ layers: [{ 'bin/app': 'app v1' }, { 'etc/conf': 'x=1' }] });
  writeOciLayout(join(dir, 'oci'), img, 'v1');
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The tags a repository lists over HTTP with these headers (status, tags). */
async function tagsOver(reg: RunningRegistry, repo: string, headers: Record<string, string> = {}): Promise<{ status: number; tags: string[] }> {
  const r = await fetch(`${reg.url}/v2/${repo}/tags/list`, { headers });
  const body = await r.json() as { tags?: string[] };
  return { status: r.status, tags: body.tags ?? [] };
}

describe('skopeo against a registry with htpasswd (Basic) auth', { skip }, () => {
  let reg: RunningRegistry;
  before(async () => { reg = await startBerthRegistry({ args: ['--htpasswd', `${dir}/htpasswd`] }); });
  after(async () => { await reg?.stop(); });

  test('without credentials or with a wrong password: refused, nothing stored', async () => {
    assert.match(await skFails('copy', '--dest-tls-verify=false', `oci:${dir}/oci:v1`, `docker://${reg.host}/team/app:v1`), /unauthorized|authentication required/i);
    assert.match(await skFails('copy', '--dest-tls-verify=false', '--dest-creds', 'alice:wrong', `oci:${dir}/oci:v1`, `docker://${reg.host}/team/app:v1`), /unauthorized|authentication required/i);
    const basic = { Authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` };
    assert.equal((await tagsOver(reg, 'team/app', basic)).status, 404, 'no repository was created');
  });

  test('with credentials: copy in, inspect, list-tags, delete; reads without them refused', async () => {
    const creds = 'alice:s3cret';
    await sk('copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${dir}/oci:v1`, `docker://${reg.host}/team/app:v1`);
    const info = JSON.parse((await sk('inspect', tls, '--creds', creds, `docker://${reg.host}/team/app:v1`)).stdout);
    assert.equal(info.Digest, img.manifestDigest);
    assert.deepEqual(info.Layers, img.layers.map((l) => l.digest));
    assert.deepEqual(JSON.parse((await sk('list-tags', tls, '--creds', 'bob:hunter2', `docker://${reg.host}/team/app`)).stdout).Tags, ['v1']);
    assert.match(await skFails('inspect', tls, `docker://${reg.host}/team/app:v1`), /unauthorized|authentication required/i);
    assert.match(await skFails('list-tags', tls, `docker://${reg.host}/team/app`), /unauthorized|authentication required/i);
    assert.match(await skFails('delete', tls, `docker://${reg.host}/team/app:v1`), /unauthorized|authentication required/i);
    await sk('delete', tls, '--creds', creds, `docker://${reg.host}/team/app:v1`);
    assert.match(await skFails('inspect', tls, '--creds', creds, `docker://${reg.host}/team/app:v1`), /manifest unknown/i);
  });
});

describe('skopeo against a registry with the bearer token flow', { skip }, () => {
  let reg: RunningRegistry;
  before(async () => {
    writeFileSync(`${dir}/token.json`, JSON.stringify({ auth: { token: { acl: [
      { account: 'alice', name: '*', actions: ['*'] },
      { account: 'bob', name: 'public/*', actions: ['pull'] },
    ] } } }));
    reg = await startBerthRegistry({ args: ['--config', `${dir}/token.json`, '--htpasswd', `${dir}/htpasswd`, '--token'] });
  });
  after(async () => { await reg?.stop(); });

  const token = async (scope: string, user: string, pass: string): Promise<string> => {
    const r = await fetch(`${reg.url}/auth/token?service=berth-registry&scope=${encodeURIComponent(scope)}`, {
      headers: { Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` },
    });
    assert.equal(r.status, 200);
    return ((await r.json()) as { token: string }).token;
  };

  test('the account granted everything: copy in, inspect, list-tags, delete through tokens', async () => {
    const creds = 'alice:s3cret';
    await sk('copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${dir}/oci:v1`, `docker://${reg.host}/team/app:v1`);
    await sk('copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${dir}/oci:v1`, `docker://${reg.host}/public/app:v1`);
    const info = JSON.parse((await sk('inspect', tls, '--creds', creds, `docker://${reg.host}/team/app:v1`)).stdout);
    assert.equal(info.Digest, img.manifestDigest);
    assert.deepEqual(JSON.parse((await sk('list-tags', tls, '--creds', creds, `docker://${reg.host}/team/app`)).stdout).Tags, ['v1']);
    await sk('copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${dir}/oci:v1`, `docker://${reg.host}/team/app:gone`);
    await sk('delete', tls, '--creds', creds, `docker://${reg.host}/team/app:gone`);
    assert.match(await skFails('inspect', tls, '--creds', creds, `docker://${reg.host}/team/app:gone`), /manifest unknown/i);
  });

  test('refused without credentials, outside the account\'s grant, and with a token scoped to another repository', async () => {
    // Anonymous: the token service grants nothing, the registry answers 401.
    assert.match(await skFails('inspect', tls, `docker://${reg.host}/public/app:v1`), /unauthorized|authentication required|denied/i);
    assert.match(await skFails('copy', '--dest-tls-verify=false', `oci:${dir}/oci:v1`, `docker://${reg.host}/anon/app:v1`), /unauthorized|authentication required|denied/i);
    // bob pulls public/* only: reading public/app works, team/app and any push do not.
    const bob = 'bob:hunter2';
    assert.equal(JSON.parse((await sk('inspect', tls, '--creds', bob, `docker://${reg.host}/public/app:v1`)).stdout).Digest, img.manifestDigest);
    assert.match(await skFails('inspect', tls, '--creds', bob, `docker://${reg.host}/team/app:v1`), /unauthorized|authentication required|denied/i);
    assert.match(await skFails('copy', '--dest-tls-verify=false', '--dest-creds', bob, `oci:${dir}/oci:v1`, `docker://${reg.host}/public/bob:v1`), /unauthorized|authentication required|denied/i);
    assert.match(await skFails('delete', tls, '--creds', bob, `docker://${reg.host}/public/app:v1`), /unauthorized|authentication required|denied/i);
    // A token alice got for public/app opens nothing in team/app.
    const scoped = await token('repository:public/app:pull,push,delete', 'alice', 's3cret');
    assert.equal((await tagsOver(reg, 'public/app', { Authorization: `Bearer ${scoped}` })).status, 200);
    assert.equal((await tagsOver(reg, 'team/app', { Authorization: `Bearer ${scoped}` })).status, 401);
    // Nothing the refused pushes sent is a repository; public/app is still there.
    const all = await token('repository:anon/app:pull repository:public/bob:pull repository:public/app:pull', 'alice', 's3cret');
    assert.equal((await tagsOver(reg, 'anon/app', { Authorization: `Bearer ${all}` })).status, 404);
    assert.equal((await tagsOver(reg, 'public/bob', { Authorization: `Bearer ${all}` })).status, 404);
    assert.deepEqual((await tagsOver(reg, 'public/app', { Authorization: `Bearer ${all}` })).tags, ['v1']);
  });
});
