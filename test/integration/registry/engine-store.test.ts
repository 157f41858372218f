// berthd's image store served as a registry (EngineStore behind the same
// RegistryServer as `berth registry serve`), in-process: another engine
// pulls a tagged image and gets the same image ID; catalog and tags list
// the engine's names; a repository serves only its own images' blobs;
// every write is 405 UNSUPPORTED; an image whose stored manifest is gone
// is served with a generated one, never written (same ID on the other side); htpasswd
// auth refuses the unauthenticated.

import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { nullLogger } from '../../../src/core/logger.ts';
import { DistributionService } from '../../../src/images/distribution/service.ts';
import { parseNormalized } from '../../../src/images/reference.ts';
import { createImageService, type BerthImageService } from '../../../src/images/service.ts';
import { loadConfig } from '../../../src/registry/config.ts';
import { EngineStore } from '../../../src/registry/engine-store.ts';
import { RegistryServer } from '../../../src/registry/server.ts';
import { FileContentStore } from '../../../src/stores/content.ts';
import { type Database, openDatabase } from '../../../src/stores/metadata.ts';
import { createSnapshotter } from '../../../src/stores/snapshots/index.ts';
import { skipUnlessRoot } from '../../helpers/root.ts';
import { tempDir } from '../stores/tars.ts';

interface Engine { svc: BerthImageService; dist: DistributionService; content: FileContentStore; db: Database; dir: string }

async function engine(t: { after: (fn: () => Promise<void> | void) => void }): Promise<Engine> {
  const { dir, cleanup } = tempDir('berth-engine-reg-');
  const db = openDatabase(`${dir}/berth.db`);
  const content = new FileContentStore(`${dir}/content`);
  const snap = await createSnapshotter(`${dir}/snapshots`, 'copy');
  const svc = createImageService({
    dataRoot: dir, db, snapshotter: snap, content, logger: nullLogger,
    events: { emit: () => {} }, usersOfImage: async () => [],
  });
  t.after(() => { db.close(); cleanup(); });
  return { svc, dist: new DistributionService(svc, {}), content, db, dir };
}

async function serve(t: { after: (fn: () => Promise<void> | void) => void }, e: Engine, flags: Record<string, string> = {}): Promise<string> {
  const config = loadConfig({ listen: '127.0.0.1:0', root: `${e.dir}/unused-root`, ...flags });
  const server = new RegistryServer({ config: { ...config, readOnly: true }, store: new EngineStore(e.db.images, e.content) });
  const { port } = await server.listen();
  t.after(() => server.close());
  return `127.0.0.1:${port}`;
}

const json = async (r: Response) => JSON.parse(await r.text());

describe('the engine as a registry (in-process)', { skip: skipUnlessRoot() }, () => {
  test('pulled by another engine with the same image ID; listings; blobs per repository; writes refused', async (t) => {
    const a = await engine(t);
    await a.svc.seedDefault();
    await a.svc.tag('busybox:latest', 'team/app', 'v1');
    await a.svc.tag('busybox:latest', 'team/app', 'v2');
    await a.svc.tag('busybox:latest', 'localhost:5000/ported', 'x');
    const id = a.db.images.tagTarget('docker.io/team/app:v1')!;
    const row = a.db.images.get(id)!;
    const host = await serve(t, a);
    const base = `http://${host}`;

    assert.deepEqual(await json(await fetch(`${base}/v2/_catalog`)), { repositories: ['busybox', 'team/app'] });
    const page = await fetch(`${base}/v2/_catalog?n=1`);
    assert.match(page.headers.get('link') ?? '', /last=busybox/);
    assert.deepEqual(await json(await fetch(`${base}/v2/team/app/tags/list`)), { name: 'team/app', tags: ['v1', 'v2'] });
    assert.equal((await fetch(`${base}/v2/nothere/tags/list`)).status, 404);

    const m = await fetch(`${base}/v2/team/app/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(m.status, 200);
    assert.equal(m.headers.get('docker-content-digest'), row.manifestDigest);
    const manifest = await json(m);
    assert.equal(manifest.config.digest, id);
    const layer = row.layers[0]!.digest;
    const b = await fetch(`${base}/v2/team/app/blobs/${layer}`);
    assert.equal(b.status, 200);
    assert.equal(Number(b.headers.get('content-length')), row.layers[0]!.size);
    await b.arrayBuffer();
    const ranged = await fetch(`${base}/v2/team/app/blobs/${layer}`, { headers: { Range: 'bytes=0-9' } });
    assert.equal(ranged.status, 206);
    assert.equal((await ranged.arrayBuffer()).byteLength, 10);
    // A repository serves only its own images' blobs, whatever the store holds.
    const elsewhere = await fetch(`${base}/v2/nothere/blobs/${layer}`);
    assert.equal(elsewhere.status, 404);
    assert.equal((await json(elsewhere)).errors[0].code, 'BLOB_UNKNOWN');
    const unknown = await fetch(`${base}/v2/team/app/blobs/sha256:${'0'.repeat(64)}`);
    assert.equal(unknown.status, 404);
    assert.equal((await json(unknown)).errors[0].code, 'BLOB_UNKNOWN');

    for (const [method, path] of [
      ['POST', '/v2/team/app/blobs/uploads/'], ['PUT', '/v2/team/app/manifests/v3'],
      ['DELETE', `/v2/team/app/manifests/${row.manifestDigest}`], ['DELETE', `/v2/team/app/blobs/${layer}`],
      ['PATCH', '/v2/team/app/blobs/uploads/abc'], ['PUT', '/v2/team/app/blobs/uploads/abc?digest=' + layer],
    ] as const) {
      const r = await fetch(base + path, { method, body: method === 'DELETE' ? null : '{}' });
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal((await json(r)).errors[0].code, 'UNSUPPORTED', `${method} ${path}`);
    }

    const b2 = await engine(t);
    const got = await b2.dist.pull(parseNormalized(`${host}/team/app:v1`), {}, () => {});
    assert.equal(got, id);
    assert.equal(b2.db.images.get(got)!.manifestDigest, row.manifestDigest);

    // The stored manifest gone: one is generated from the stored config and layers (a fresh
    // server: nothing cached). An imported image's manifest was generated the same way: same bytes.
    rmSync(a.content.path(row.manifestDigest));
    const fresh = `http://${await serve(t, a)}`;
    const gen = await fetch(`${fresh}/v2/team/app/manifests/v2`);
    assert.equal(gen.status, 200);
    assert.equal(gen.headers.get('docker-content-digest'), row.manifestDigest);
    assert.equal((await json(gen)).config.digest, id);
    assert.ok(!existsSync(a.content.path(row.manifestDigest)), 'a generated manifest is not written');
    const b3 = await engine(t);
    assert.equal(await b3.dist.pull(parseNormalized(`${fresh.slice(7)}/team/app:v2`), {}, () => {}), id);

    // A tag removed is gone at once.
    a.db.images.removeTag('docker.io/team/app:v1');
    assert.equal((await fetch(`${base}/v2/team/app/manifests/v1`)).status, 404);
  });

  test('htpasswd: unauthenticated refused, the right user pulls', async (t) => {
    const a = await engine(t);
    await a.svc.seedDefault();
    writeFileSync(`${a.dir}/htpasswd`, `ci:${bcrypt.hashSync('pa55word', 4)}\n`);
    const host = await serve(t, a, { htpasswd: `${a.dir}/htpasswd` });
    const anon = await fetch(`http://${host}/v2/busybox/manifests/latest`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    const bad = await fetch(`http://${host}/v2/_catalog`, { headers: { Authorization: `Basic ${Buffer.from('ci:nope').toString('base64')}` } });
    assert.equal(bad.status, 401);
    const b = await engine(t);
    const id = await b.dist.pull(parseNormalized(`${host}/busybox:latest`), { credentials: { username: 'ci', password: 'pa55word' } }, () => {});
    assert.equal(id, a.db.images.tagTarget('docker.io/library/busybox:latest'));
  });
});
