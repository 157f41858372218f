// Pull-through cache: a registry with an upstream (another registry on
// loopback, behind Basic auth) serves what it fetched, stores it verified,
// keeps serving it when the upstream is gone, lists the upstream's tags,
// and refuses pushes; bad upstream configuration is refused up front.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import bcrypt from 'bcryptjs';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../../src/registry/config.ts';
import { RegistryServer } from '../../../src/registry/server.ts';
import { makeImage, pushImage, sha } from '../../helpers/oci.ts';

const dirs: string[] = [];
const servers: RegistryServer[] = [];
after(async () => {
  for (const s of servers) await s.close().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dir(): string {
  const d = mkdtempSync(`${tmpdir()}/berth-registry-proxy-`);
  dirs.push(d);
  return d;
}

async function serve(config: ReturnType<typeof loadConfig>): Promise<{ server: RegistryServer; base: string }> {
  const server = new RegistryServer({ config });
  servers.push(server);
  const a = await server.listen();
  return { server, base: `http://127.0.0.1:${a.port}` };
}

async function json(r: Response): Promise<any> {
  return r.json();
}

describe('pull-through cache', () => {
  test('fetches, verifies and stores from an authenticated upstream; serves the cache when the upstream is gone', async () => {
    const up = dir();
    writeFileSync(`${up}/htpasswd`, `puller:${bcrypt.hashSync('s3cret', 4)}\n`);
    const upstream = await serve(loadConfig({ listen: '127.0.0.1:0', root: `${up}/root`, htpasswd: `${up}/htpasswd` }));
    const auth = { Authorization: `Basic ${Buffer.from('puller:s3cret').toString('base64')}` };
    const img = await makeImage({ layers: [{ 'bin/app': 'app' }, { 'etc/conf': 'conf' }] });
    await pushImage(upstream.base, 'lib/app', 'v1', img, auth);
    await pushImage(upstream.base, 'lib/app', 'v2', img, auth);

    const cache = dir();
    writeFileSync(`${cache}/config.json`, JSON.stringify({ proxy: { remoteurl: upstream.base, username: 'puller', password: 's3cret' } }));
    const proxy = await serve(loadConfig({ listen: '127.0.0.1:0', root: `${cache}/root`, config: `${cache}/config.json` }));

    const m = await fetch(`${proxy.base}/v2/lib/app/manifests/v1`, { headers: { Accept: img.mediaType } });
    assert.equal(m.status, 200);
    assert.equal(m.headers.get('docker-content-digest'), img.manifestDigest);
    assert.deepEqual(Buffer.from(await m.arrayBuffer()), img.manifest);
    for (const b of [img.config, ...img.layers]) {
      const head = await fetch(`${proxy.base}/v2/lib/app/blobs/${b.digest}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(b.size));
      const r = await fetch(`${proxy.base}/v2/lib/app/blobs/${b.digest}`);
      assert.equal(sha(Buffer.from(await r.arrayBuffer())), b.digest);
      assert.ok(existsSync(`${cache}/root/content/blobs/sha256/${b.digest.slice(7)}`), 'stored in the cache');
    }
    const tags = await fetch(`${proxy.base}/v2/lib/app/tags/list`);
    assert.deepEqual(await json(tags), { name: 'lib/app', tags: ['v1', 'v2'] });
    const missing = await fetch(`${proxy.base}/v2/lib/app/manifests/nope`);
    assert.equal(missing.status, 404);
    assert.equal((await json(missing)).errors[0].code, 'MANIFEST_UNKNOWN');
    const push = await fetch(`${proxy.base}/v2/lib/app/blobs/uploads/`, { method: 'POST' });
    assert.equal(push.status, 405);
    assert.equal((await json(push)).errors[0].code, 'UNSUPPORTED');

    // The upstream goes away: what was pulled is still served, the rest is 503.
    await upstream.server.close();
    const again = await fetch(`${proxy.base}/v2/lib/app/manifests/v1`, { headers: { Accept: img.mediaType } });
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('docker-content-digest'), img.manifestDigest);
    await again.body?.cancel();
    const layer = await fetch(`${proxy.base}/v2/lib/app/blobs/${img.layers[1]!.digest}`);
    assert.equal(sha(Buffer.from(await layer.arrayBuffer())), img.layers[1]!.digest);
    const byDigest = await fetch(`${proxy.base}/v2/lib/app/manifests/${img.manifestDigest}`);
    assert.equal(byDigest.status, 200);
    await byDigest.body?.cancel();
    const down = await fetch(`${proxy.base}/v2/lib/other/manifests/v1`);
    assert.equal(down.status, 503);
    assert.match((await json(down)).errors[0].message, /upstream 127\.0\.0\.1:\d+/);
  });

  test('wrong upstream credentials are an error naming the upstream, nothing cached', async () => {
    const up = dir();
    writeFileSync(`${up}/htpasswd`, `puller:${bcrypt.hashSync('s3cret', 4)}\n`);
    const upstream = await serve(loadConfig({ listen: '127.0.0.1:0', root: `${up}/root`, htpasswd: `${up}/htpasswd` }));
    const img = await makeImage({ layers: [{ x: 'x' }] });
    await pushImage(upstream.base, 'lib/x', 'v1', img, { Authorization: `Basic ${Buffer.from('puller:s3cret').toString('base64')}` });
    const cache = dir();
    const proxy = await serve(loadConfig({ listen: '127.0.0.1:0', root: `${cache}/root`, proxyUpstream: upstream.base }));
    const r = await fetch(`${proxy.base}/v2/lib/x/manifests/v1`);
    assert.equal(r.status, 503);
    assert.match((await json(r)).errors[0].message, /upstream 127\.0\.0\.1:\d+: .*(unauthorized|authentication required)/i);
    const b = await fetch(`${proxy.base}/v2/lib/x/blobs/${img.layers[0]!.digest}`);
    assert.equal(b.status, 503);
    await b.body?.cancel();
    assert.ok(!existsSync(`${cache}/root/content/blobs/sha256/${img.layers[0]!.digest.slice(7)}`));
  });

  test('bad proxy configuration is refused', () => {
    const d = dir();
    for (const bad of ['ftp://x', 'not a url', 'http://host:5000/path']) {
      assert.throws(() => loadConfig({ listen: '127.0.0.1:0', root: d, proxyUpstream: bad }), /invalid proxy upstream/);
    }
    writeFileSync(`${d}/c.json`, JSON.stringify({ proxy: { remoteurl: 'http://127.0.0.1:1', token: 'x' } }));
    assert.throws(() => loadConfig({ listen: '127.0.0.1:0', root: d, config: `${d}/c.json` }), /"proxy" takes only/);
  });
});
