// Pull over real stores from registries on loopback: berth's registry
// in-process for the good cases (gzip, zstd and plain layers; an OCI index
// resolved per platform; a second pull that moves nothing), and a registry
// that misbehaves on purpose (bytes that do not match their digest, a cut
// layer, garbage, silence) for the bad ones: a message naming registry and
// image, a timeout instead of a hang, and nothing left behind.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import * as zlib from 'node:zlib';
import { isCode } from '../../../src/core/errors.ts';
import { nullLogger } from '../../../src/core/logger.ts';
import { DistributionService } from '../../../src/images/distribution/service.ts';
import type { ProgressMessage } from '../../../src/images/distribution/progress.ts';
import { parseNormalized } from '../../../src/images/reference.ts';
import { createImageService, type BerthImageService } from '../../../src/images/service.ts';
import { loadConfig } from '../../../src/registry/config.ts';
import { RegistryServer } from '../../../src/registry/server.ts';
import { FileContentStore } from '../../../src/stores/content.ts';
import { openDatabase } from '../../../src/stores/metadata.ts';
import { createSnapshotter } from '../../../src/stores/snapshots/index.ts';
import { blob, sha, tarOf, type Blob } from '../../helpers/oci.ts';
import { skipUnlessRoot } from '../../helpers/root.ts';
import { tempDir } from '../stores/tars.ts';

interface Env { svc: BerthImageService; dist: DistributionService; content: FileContentStore; dir: string }

async function env(t: { after: (fn: () => Promise<void> | void) => void }, idleMs = 1500): Promise<Env> {
  const { dir, cleanup } = tempDir('berth-pull-');
  const db = openDatabase(`${dir}/berth.db`);
  const content = new FileContentStore(`${dir}/content`);
  const snap = await createSnapshotter(`${dir}/snapshots`, 'copy');
  const svc = createImageService({
    dataRoot: dir, db, snapshotter: snap, content, logger: nullLogger,
    events: { emit: () => {} }, usersOfImage: async () => [],
  });
  const dist = new DistributionService(svc, { timeouts: { headersMs: 1500, idleMs } });
  t.after(() => { db.close(); cleanup(); });
  return { svc, dist, content, dir };
}

async function pull(e: Env, ref: string, platform?: string): Promise<{ id: string; msgs: ProgressMessage[] }> {
  const msgs: ProgressMessage[] = [];
  const id = await e.dist.pull(parseNormalized(ref), platform ? { platform } : {}, (m) => msgs.push(m));
  return { id, msgs };
}

interface Image { manifest: Buffer; digest: string; config: Blob; layers: Blob[] }

async function image(layers: Array<{ files: Record<string, string>; compress: 'gzip' | 'zstd' | 'none' }>, arch = 'amd64'): Promise<Image> {
  const tars = await Promise.all(layers.map((l) => tarOf(l.files)));
  const blobs = tars.map((t, i) => {
    const c = layers[i]!.compress;
    if (c === 'gzip') return blob(zlib.gzipSync(t), 'application/vnd.oci.image.layer.v1.tar+gzip');
    if (c === 'zstd') return blob(zlib.zstdCompressSync(t), 'application/vnd.oci.image.layer.v1.tar+zstd');
    return blob(t, 'application/vnd.oci.image.layer.v1.tar');
  });
  const config = blob(Buffer.from(JSON.stringify({
    architecture: arch, os: 'linux', created: '2024-01-01T00:00:00Z', config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: tars.map((t) => sha(t)) },
  })), 'application/vnd.oci.image.config.v1+json');
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: blobs.map((b) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size })),
  }));
  return { manifest, digest: sha(manifest), config, layers: blobs };
}

async function push(base: string, repo: string, img: Image, ref: string): Promise<void> {
  for (const b of [img.config, ...img.layers]) {
    const r = await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${b.digest}`, { method: 'POST', body: b.data });
    assert.equal(r.status, 201);
  }
  const r = await fetch(`${base}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(r.status, 201, await r.text());
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A registry that serves img but answers some paths its own (wrong) way. */
function badRegistry(img: Image, override: (req: IncomingMessage, res: ServerResponse) => boolean): Server {
  return createServer((req, res) => {
    if (override(req, res)) return;
    const url = req.url ?? '';
    if (url === '/v2/') { res.writeHead(200).end('{}'); return; }
    if (url.includes('/manifests/')) {
      res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Docker-Content-Digest': img.digest }).end(img.manifest);
      return;
    }
    const b = [img.config, ...img.layers].find((x) => url.endsWith(x.digest));
    if (b) { res.writeHead(200, { 'Content-Length': b.size }).end(b.data); return; }
    res.writeHead(404).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}');
  });
}

/** Where the snapshotter is unpacking (or has unpacked) a file of that name, if anywhere yet. */
function unpacked(e: Env, name: string): string | undefined {
  const layers = `${e.dir}/snapshots/copy/layers`;
  if (!existsSync(layers)) return undefined;
  return readdirSync(layers).map((d) => `${layers}/${d}/fs/${name}`).find((p) => existsSync(p));
}

function assertNothingLeft(e: Env, img: Image): void {
  const blobs = readdirSync(`${e.dir}/content/blobs/sha256`);
  for (const b of [img.config, ...img.layers]) assert.ok(!blobs.includes(b.digest.slice(7)), `blob ${b.digest} left behind`);
  assert.ok(!blobs.includes(img.digest.slice(7)), 'manifest left behind');
}

describe('pull', { skip: skipUnlessRoot() }, () => {
  test('gzip, zstd and plain layers; an index per platform; a second pull moves nothing', async (t) => {
    const e = await env(t);
    const root = tempDir('berth-pull-reg-');
    const reg = new RegistryServer({ config: loadConfig({ listen: '127.0.0.1:0', root: root.dir }) });
    const { port } = await reg.listen();
    t.after(async () => { await reg.close(); root.cleanup(); });
    const base = `http://127.0.0.1:${port}`;
    const amd = await image([
      { files: { 'bin/a': 'layer one' }, compress: 'gzip' },
      { files: { 'etc/b': 'layer two' }, compress: 'zstd' },
      { files: { 'etc/c': 'layer three' }, compress: 'none' },
    ]);
    const arm = await image([{ files: { 'bin/a': 'arm' }, compress: 'gzip' }], 'arm64');
    await push(base, 'multi/app', amd, amd.digest);
    await push(base, 'multi/app', arm, arm.digest);
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: arm.digest, size: arm.manifest.length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: amd.digest, size: amd.manifest.length, platform: { os: 'linux', architecture: 'amd64' } },
      ],
    }));
    const r = await fetch(`${base}/v2/multi/app/manifests/v1`, { method: 'PUT', body: index, headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' } });
    assert.equal(r.status, 201);

    const name = `127.0.0.1:${port}/multi/app:v1`;
    const first = await pull(e, name, 'linux/amd64');
    assert.equal(first.id, amd.config.digest);
    const statuses = first.msgs.map((m) => `${m.id ?? ''} ${m.status ?? ''}`);
    assert.ok(statuses.includes('v1 Pulling from multi/app'), statuses.join('\n'));
    assert.equal(statuses.filter((s) => s.endsWith('Pull complete')).length, 3);
    assert.ok(first.msgs.some((m) => m.status === 'Downloading' && m.progressDetail?.total && m.progress?.startsWith('[')));
    assert.ok(statuses.includes(` Digest: ${sha(index)}`));
    assert.ok(statuses.includes(` Status: Downloaded newer image for ${name}`));
    // Layers are kept as fetched: the zstd blob is there under its own digest.
    assert.equal(await e.content.has(amd.layers[1]!.digest), true);
    const rec = await e.svc.resolve(name);
    assert.deepEqual(rec.digests, [`127.0.0.1:${port}/multi/app@${sha(index)}`]);
    const row = e.svc.row(name);
    assert.deepEqual(row.layers.map((l) => l.mediaType), amd.layers.map((l) => l.mediaType));

    const second = await pull(e, name, 'linux/amd64');
    assert.equal(second.msgs.filter((m) => m.status === 'Already exists').length, 3);
    assert.ok(second.msgs.some((m) => m.status === `Status: Image is up to date for ${name}`));

    const armPull = await pull(e, `127.0.0.1:${port}/multi/app@${sha(index)}`, 'linux/arm64');
    assert.equal(armPull.id, arm.config.digest);
    await assert.rejects(pull(e, name, 'linux/s390x'), (err) => isCode(err, 'not_found') && /no matching manifest for linux\/s390x/.test((err as Error).message));
  });

  test('a layer whose bytes do not match its digest fails naming registry and image; nothing stays', async (t) => {
    const e = await env(t);
    const img = await image([{ files: { 'x': 'good' }, compress: 'gzip' }]);
    const layer = img.layers[0]!;
    const server = badRegistry(img, (req, res) => {
      if (req.url?.endsWith(layer.digest)) {
        const wrong = Buffer.from(layer.data);
        wrong[wrong.length - 1] ^= 0xff;
        res.writeHead(200, { 'Content-Length': wrong.length }).end(wrong);
        return true;
      }
      return false;
    });
    const host = await listen(server);
    t.after(() => { server.close(); });
    await assert.rejects(pull(e, `${host}/bad/digest:v1`), (err) => {
      const msg = (err as Error).message;
      assert.match(msg, new RegExp(`${host}/bad/digest:v1`));
      assert.match(msg, new RegExp(host));
      assert.match(msg, /does not match/);
      return true;
    });
    assertNothingLeft(e, img);
    await assert.rejects(e.svc.resolve(`${host}/bad/digest:v1`), (err) => isCode(err, 'not_found'));
    assert.deepEqual(readdirSync(`${e.dir}/content/ingest`), []);
  });

  test('a layer cut short every time fails after retries; garbage manifests and silence fail with a timeout', async (t) => {
    const e = await env(t);
    const img = await image([{ files: { 'x': 'x'.repeat(50_000) }, compress: 'none' }]);
    const layer = img.layers[0]!;
    let hits = 0;
    const cut = badRegistry(img, (req, res) => {
      if (req.url?.endsWith(layer.digest)) {
        hits++;
        res.writeHead(200, { 'Content-Length': layer.size });
        res.write(layer.data.subarray(0, 1000));
        setTimeout(() => res.destroy(), 20);
        return true;
      }
      return false;
    });
    const cutHost = await listen(cut);
    t.after(() => { cut.close(); });
    await assert.rejects(pull(e, `${cutHost}/cut/layer:v1`), (err) => new RegExp(`cut/layer:v1.*${cutHost}`).test((err as Error).message));
    assert.ok(hits >= 2, `retried (${hits} requests)`);
    assertNothingLeft(e, img);

    const garbage = badRegistry(img, (req, res) => {
      if (req.url?.includes('/manifests/')) { res.writeHead(200, { 'Content-Type': 'application/json' }).end('<html>not a registry</html>'); return true; }
      return false;
    });
    const gHost = await listen(garbage);
    t.after(() => { garbage.close(); });
    await assert.rejects(pull(e, `${gHost}/garbage/app:v1`), (err) => /garbage\/app:v1: invalid manifest/.test((err as Error).message));

    const silent = badRegistry(img, (req) => !!req.url?.includes('/manifests/'));
    const sHost = await listen(silent);
    t.after(() => { silent.closeAllConnections(); silent.close(); });
    const t0 = Date.now();
    await assert.rejects(pull(e, `${sHost}/silent/app:v1`), (err) => new RegExp(`no response from ${sHost}`).test((err as Error).message));
    assert.ok(Date.now() - t0 < 10_000);

    const stalls = badRegistry(img, (req, res) => {
      if (req.url?.endsWith(layer.digest)) { res.writeHead(200, { 'Content-Length': layer.size }); res.write(layer.data.subarray(0, 10)); return true; }
      return false;
    });
    const stHost = await listen(stalls);
    t.after(() => { stalls.closeAllConnections(); stalls.close(); });
    await assert.rejects(pull(e, `${stHost}/stall/app:v1`), (err) => new RegExp(`${stHost} stopped sending`).test((err as Error).message));
    assertNothingLeft(e, img);
  });

  test('a cut download resumes with a Range request for the missing bytes only', async (t) => {
    const e = await env(t);
    const img = await image([{ files: { 'x': 'y'.repeat(80_000) }, compress: 'none' }]);
    const layer = img.layers[0]!;
    const ranges: string[] = [];
    const server = badRegistry(img, (req, res) => {
      if (!req.url?.endsWith(layer.digest)) return false;
      const range = req.headers.range;
      ranges.push(range ?? '');
      if (!range) {
        res.writeHead(200, { 'Content-Length': layer.size });
        res.write(layer.data.subarray(0, 30_000));
        setTimeout(() => res.destroy(), 50);
        return true;
      }
      const start = Number(/bytes=(\d+)-/.exec(range)![1]);
      res.writeHead(206, { 'Content-Length': layer.size - start, 'Content-Range': `bytes ${start}-${layer.size - 1}/${layer.size}` });
      res.end(layer.data.subarray(start));
      return true;
    });
    const host = await listen(server);
    t.after(() => { server.close(); });
    const r = await pull(e, `${host}/resume/app:v1`);
    assert.equal(r.id, img.config.digest);
    assert.deepEqual(ranges, ['', 'bytes=30000-']);
    assert.equal(await e.content.has(layer.digest), true);
  });

  test('a layer unpacks while it downloads: its first file is on disk before the rest of the bytes are sent', async (t) => {
    const e = await env(t, 30_000);
    const img = await image([{ files: { first: 'f'.repeat(4000), second: 's'.repeat(300_000) }, compress: 'none' }]);
    const layer = img.layers[0]!;
    let sawFirst = false;
    const server = badRegistry(img, (req, res) => {
      if (!req.url?.endsWith(layer.digest)) return false;
      res.writeHead(200, { 'Content-Length': layer.size });
      // The first entry (512-byte header, 4000 bytes, padding) and a little of the second.
      res.write(layer.data.subarray(0, 6000));
      void (async () => {
        for (let waited = 0; waited < 20_000 && !sawFirst; waited += 50) {
          sawFirst = unpacked(e, 'first') !== undefined;
          if (!sawFirst) await new Promise((r) => setTimeout(r, 50));
        }
        res.end(layer.data.subarray(6000));
      })();
      return true;
    });
    const host = await listen(server);
    t.after(() => { server.close(); });
    const r = await pull(e, `${host}/stream/app:v1`);
    assert.equal(r.id, img.config.digest);
    assert.ok(sawFirst, 'the first file was not unpacked while the layer was still downloading');
    assert.equal(await e.content.has(layer.digest), true);
  });

  test('a layer that unpacks cleanly but does not match its digest leaves no layer, blob or ingest', async (t) => {
    const e = await env(t);
    const img = await image([{ files: { etc: 'good' }, compress: 'none' }]);
    const layer = img.layers[0]!;
    // A well-formed tar of the same size: only the digest check can tell.
    const evil = await tarOf({ etc: 'evil' });
    assert.equal(evil.length, layer.size);
    const server = badRegistry(img, (req, res) => {
      if (!req.url?.endsWith(layer.digest)) return false;
      res.writeHead(200, { 'Content-Length': evil.length }).end(evil);
      return true;
    });
    const host = await listen(server);
    t.after(() => { server.close(); });
    await assert.rejects(pull(e, `${host}/evil/app:v1`), (err) => {
      assert.match((err as Error).message, new RegExp(`evil/app:v1: layer ${layer.digest} from ${host}: .*does not match`));
      return true;
    });
    assertNothingLeft(e, img);
    assert.deepEqual(readdirSync(`${e.dir}/snapshots/copy/layers`), [], 'an unverified layer was left unpacked');
    assert.deepEqual(readdirSync(`${e.dir}/content/ingest`), []);
    await assert.rejects(e.svc.resolve(`${host}/evil/app:v1`), (err) => isCode(err, 'not_found'));
  });

  test('two concurrent pulls of the same image share one download: one GET of the layer, an intact blob, no ingest left', async (t) => {
    const e = await env(t, 30_000);
    // Incompressible, so the gzip blob is as big as the file and takes a while to send.
    const img = await image([{ files: { data: randomBytes(600_000).toString('base64') }, compress: 'gzip' }]);
    const layer = img.layers[0]!;
    let gets = 0;
    let firstSent: () => void = () => {};
    const sending = new Promise<void>((r) => { firstSent = r; });
    const server = badRegistry(img, (req, res) => {
      if (!req.url?.endsWith(layer.digest) || req.method !== 'GET') return false;
      gets++;
      res.writeHead(200, { 'Content-Length': layer.size });
      // Slowly, in 32 pieces: both pulls are inside the download at once.
      void (async () => {
        const piece = Math.ceil(layer.size / 32);
        for (let off = 0; off < layer.size; off += piece) {
          res.write(layer.data.subarray(off, off + piece));
          firstSent();
          await new Promise((r) => setTimeout(r, 25));
        }
        res.end();
      })();
      return true;
    });
    const host = await listen(server);
    t.after(() => { server.close(); });
    const a = pull(e, `${host}/twice/app:v1`);
    await sending;
    const b = pull(e, `${host}/twice/app:v1`);
    const [ra, rb] = await Promise.all([a, b]);
    assert.equal(ra.id, img.config.digest);
    assert.equal(rb.id, img.config.digest);
    assert.equal(gets, 1, 'the layer was downloaded more than once');
    const stored = readFileSync(`${e.dir}/content/blobs/sha256/${layer.digest.slice(7)}`);
    assert.equal(stored.length, layer.size);
    assert.equal(sha(stored), layer.digest);
    assert.deepEqual(readdirSync(`${e.dir}/content/ingest`), []);
    assert.ok(unpacked(e, 'data'), 'the layer was not unpacked');
  });
});
