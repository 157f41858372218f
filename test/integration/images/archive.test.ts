// docker save / load in-process over real stores: the archive berth writes
// (OCI layout + manifest.json), a round trip that keeps image ID, layer
// blobs and manifest digest, Docker 20's legacy layout (plain layer tars,
// a symlinked duplicate layer), a plain OCI layout with a nested index,
// and hostile or broken archives refused with nothing left behind.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import * as zlib from 'node:zlib';
import { isCode } from '../../../src/core/errors.ts';
import { nullLogger } from '../../../src/core/logger.ts';
import { ImageArchives } from '../../../src/images/archive/service.ts';
import type { ProgressMessage } from '../../../src/images/distribution/progress.ts';
import { goArch } from '../../../src/images/records.ts';
import { createImageService, type BerthImageService } from '../../../src/images/service.ts';
import { FileContentStore } from '../../../src/stores/content.ts';
import { openDatabase } from '../../../src/stores/metadata.ts';
import { createSnapshotter, type ListingSnapshotter } from '../../../src/stores/snapshots/index.ts';
import { TarReader } from '../../../src/stores/tar/reader.ts';
import { unmountUnder } from '../../helpers/mounts.ts';
import { skipUnlessRoot } from '../../helpers/root.ts';
import { tarBuffer, tempDir, type TestEntry } from '../stores/tars.ts';

interface Env { svc: BerthImageService; archives: ArchiveUnderTest; content: FileContentStore; snap: ListingSnapshotter; dir: string }
type ArchiveUnderTest = ImageArchives;

async function env(t: { after: (fn: () => Promise<void>) => void }): Promise<Env> {
  const { dir, cleanup } = tempDir('berth-archive-');
  const db = openDatabase(`${dir}/berth.db`);
  t.after(async () => {
    db.close();
    assert.deepEqual(await unmountUnder(dir), []);
    cleanup();
  });
  const content = new FileContentStore(`${dir}/content`);
  const snap = await createSnapshotter(`${dir}/snapshots`, 'copy');
  const svc = createImageService({
    dataRoot: dir, db, snapshotter: snap, content, logger: nullLogger,
    events: { emit: () => {} }, usersOfImage: async () => [],
  });
  return { svc, archives: new ImageArchives(svc), content, snap, dir };
}

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const layerTar = (files: Record<string, string>) => tarBuffer(Object.entries(files).map(([name, body]): TestEntry => ({ name, body, mode: 0o644 })));

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

async function files(tar: Buffer): Promise<Map<string, Buffer>> {
  const r = new TarReader(Readable.from([tar]));
  const out = new Map<string, Buffer>();
  for (let h = await r.next(); h; h = await r.next()) {
    if (h.type !== 'file') continue;
    const parts: Buffer[] = [];
    for await (const c of r.body()) parts.push(Buffer.from(c));
    out.set(h.name, Buffer.concat(parts));
  }
  return out;
}

async function load(e: Env, archive: Buffer, quiet = true): Promise<string[]> {
  const msgs: ProgressMessage[] = [];
  const p = await e.archives.read(Readable.from([archive]));
  await p.apply((m) => msgs.push(m), quiet);
  return msgs.map((m) => m.stream ?? m.status ?? '');
}

async function state(e: Env) {
  return {
    blobs: (await e.content.list()).map((b) => b.digest).sort(),
    layers: (await e.snap.listLayers()).sort(),
    ingest: fs.readdirSync(`${e.dir}/content/ingest`),
    images: (await e.svc.list({ all: true })).map((i) => i.id).sort(),
  };
}

function config(diffIds: string[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({
    architecture: goArch(), os: 'linux', created: '2024-01-02T03:04:05Z',
    config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIds }, ...extra,
  }));
}

describe('image archives (save / load)', { skip: skipUnlessRoot() }, () => {
  test('save writes an OCI layout with manifest.json; load round-trips ID, blobs and manifest digest', async (t) => {
    const e = await env(t);
    const img = await e.svc.import(Readable.from([layerTar({ 'hello.txt': 'hi\n' })]), { reference: 'demo/app:v1', changes: ['CMD ["cat","/hello.txt"]'] });
    await e.svc.tag('demo/app:v1', 'demo/app', 'v2');
    const row = e.svc.row('demo/app:v1');
    // A bare name saves every tag of the repository.
    const tar = await collect(await e.archives.save(['demo/app']));
    const f = await files(tar);
    const manifest = JSON.parse(f.get('manifest.json')!.toString());
    assert.equal(manifest.length, 1);
    assert.deepEqual(manifest[0].RepoTags.sort(), ['demo/app:v1', 'demo/app:v2']);
    assert.equal(manifest[0].Config, `blobs/sha256/${img.id.slice(7)}`);
    assert.deepEqual(manifest[0].Layers, [`blobs/${row.layers[0]!.digest.replace(':', '/')}`]);
    const index = JSON.parse(f.get('index.json')!.toString());
    assert.equal(index.manifests.length, 2);
    assert.equal(index.manifests[0].digest, row.manifestDigest);
    assert.deepEqual(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations['io.containerd.image.name']).sort(),
      ['docker.io/demo/app:v1', 'docker.io/demo/app:v2']);
    assert.deepEqual(JSON.parse(f.get('oci-layout')!.toString()), { imageLayoutVersion: '1.0.0' });
    assert.deepEqual(Object.keys(JSON.parse(f.get('repositories')!.toString())), ['demo/app']);
    for (const [name, bytes] of f) if (name.startsWith('blobs/')) assert.equal(sha(bytes), name.slice(6).replace('/', ':'));

    await e.svc.remove(img.id, { force: true });
    assert.deepEqual((await state(e)).blobs, []);
    const out = await load(e, tar, false);
    assert.ok(out.includes('Loading layer'), out.join('|'));
    assert.deepEqual(out.filter((l) => l.startsWith('Loaded')).sort(), ['Loaded image: demo/app:v1\n', 'Loaded image: demo/app:v2\n']);
    const back = e.svc.row('demo/app:v2');
    assert.equal(back.id, img.id);
    assert.equal(back.manifestDigest, row.manifestDigest);
    assert.deepEqual(back.layers.map((l) => l.digest), row.layers.map((l) => l.digest));
    assert.deepEqual((await state(e)).blobs, [img.id, row.manifestDigest, row.layers[0]!.digest].sort());
    // Loading again moves nothing and says the same.
    assert.deepEqual((await load(e, tar)).sort(), ['Loaded image: demo/app:v1\n', 'Loaded image: demo/app:v2\n']);
});

  test("Docker 20's layout: plain layer tars, <hex>.json configs, a symlinked shared layer; untagged images by ID", async (t) => {
    const e = await env(t);
    const base = layerTar({ 'etc/base': 'base\n' });
    const top = layerTar({ 'etc/top': 'top\n' });
    const c1 = config([sha(base)]);
    const c2 = config([sha(base), sha(top)]);
    const archive = tarBuffer([
      { name: 'aaa/', type: 'dir' },
      { name: 'aaa/layer.tar', body: base },
      { name: 'aaa/VERSION', body: '1.0' },
      { name: 'aaa/json', body: '{}' },
      { name: 'bbb/layer.tar', type: 'symlink', linkname: '../aaa/layer.tar' },
      { name: 'ccc/layer.tar', body: top },
      { name: `${sha(c1).slice(7)}.json`, body: c1 },
      { name: `${sha(c2).slice(7)}.json`, body: c2 },
      { name: 'manifest.json', body: JSON.stringify([
        { Config: `${sha(c1).slice(7)}.json`, RepoTags: ['legacy:one'], Layers: ['aaa/layer.tar'] },
        { Config: `${sha(c2).slice(7)}.json`, RepoTags: null, Layers: ['bbb/layer.tar', 'ccc/layer.tar'] },
      ]) },
      { name: 'repositories', body: '{"legacy":{"one":"aaa"}}' },
    ]);
    const out = await load(e, archive);
    assert.deepEqual(out, ['Loaded image: legacy:one\n', `Loaded image ID: ${sha(c2)}\n`]);
    const one = e.svc.row('legacy:one');
    const two = e.svc.row(sha(c2));
    assert.equal(one.id, sha(c1));
    // Plain tars are kept gzip-compressed, the shared layer once.
    assert.equal(two.layers[0]!.digest, one.layers[0]!.digest);
    assert.equal(one.layers[0]!.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
    const s = await state(e);
    const expected = new Set([one.id, one.manifestDigest, two.id, two.manifestDigest, ...two.layers.map((l) => l.digest)]);
    assert.deepEqual(s.blobs, [...expected].sort(), 'no plain layer tar is left behind');
    assert.deepEqual(s.ingest, []);
    assert.equal(s.layers.length, 2);
});

  test('a plain OCI layout (no manifest.json): nested index resolved to this platform, names from annotations', async (t) => {
    const e = await env(t);
    const layer = zlib.gzipSync(layerTar({ 'oci.txt': 'oci\n' }));
    const cfg = config([sha(zlib.gunzipSync(layer))]);
    const man = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(cfg), size: cfg.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length }],
    }));
    const inner = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha('other'), size: 5, platform: { os: 'linux', architecture: 'nope' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(man), size: man.length, platform: { os: 'linux', architecture: goArch() } },
      ],
    }));
    const blob = (b: Buffer): TestEntry => ({ name: `blobs/sha256/${sha(b).slice(7)}`, body: b });
    const archive = tarBuffer([
      { name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' },
      { name: 'index.json', body: JSON.stringify({
        schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: sha(inner), size: inner.length,
          annotations: { 'org.opencontainers.image.ref.name': 'example.com/oci/img:1.2' } }],
      }) },
      blob(inner), blob(man), blob(cfg), blob(layer),
    ]);
    assert.deepEqual(await load(e, zlib.gzipSync(archive)), ['Loaded image: example.com/oci/img:1.2\n']);
    const row = e.svc.row('example.com/oci/img:1.2');
    assert.equal(row.id, sha(cfg));
    assert.equal(row.manifestDigest, sha(man), 'the layout\'s manifest is kept');
    assert.equal(row.layers[0]!.digest, sha(layer));
});

  test('bad archives are invalid_argument naming the problem, and leave nothing behind', async (t) => {
    const e = await env(t);
    await e.svc.import(Readable.from([layerTar({ keep: 'x' })]), { reference: 'keep:me' });
    const before = await state(e);
    const base = layerTar({ a: 'a' });
    const c = config([sha(base)]);
    const ok = (manifest: unknown, extra: TestEntry[] = []) => tarBuffer([
      { name: 'l/layer.tar', body: base }, { name: 'c.json', body: c }, ...extra,
      { name: 'manifest.json', body: JSON.stringify(manifest) },
    ]);
    const good = ok([{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['l/layer.tar'] }]);
    const cases: Array<[string, Buffer, RegExp]> = [
      ['garbage', Buffer.from('this is not a tar archive at all, not even close'.repeat(20)), /invalid image archive: .*(checksum|end of tar)/],
      ['empty tar', tarBuffer([]), /archive is empty/],
      ['truncated', good.subarray(0, 1200), /invalid image archive: unexpected end/],
      ['no manifest', tarBuffer([{ name: 'l/layer.tar', body: base }]), /no manifest\.json or index\.json/],
      ['missing layer', ok([{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['nope/layer.tar'] }]), /layer nope\/layer\.tar is not in the archive/],
      ['escaping entry', tarBuffer([{ name: '../evil', body: 'x' }]), /points outside the archive/],
      ['escaping link', ok([{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['z/layer.tar'] }], [{ name: 'z/layer.tar', type: 'symlink', linkname: '../../etc/passwd' }]), /points outside the archive/],
      ['layer count', ok([{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['l/layer.tar', 'l/layer.tar'] }]), /lists 1 layers .* archive gives 2/],
      ['bad tag', ok([{ Config: 'c.json', RepoTags: ['UPPER:1'], Layers: ['l/layer.tar'] }]), /invalid reference "UPPER:1"/],
      ['digest mismatch', tarBuffer([
        { name: 'index.json', body: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha('x'), size: 1 }] }) },
        { name: `blobs/sha256/${sha('x').slice(7)}`, body: 'y' },
      ]), /does not match its digest/],
    ];
    for (const [name, archive, re] of cases) {
      await assert.rejects(e.archives.read(Readable.from([archive])), (err: Error) => {
        assert.ok(isCode(err, 'invalid_argument'), `${name}: ${err.message}`);
        assert.match(err.message, re, name);
        return true;
      });
      assert.deepEqual(await state(e), before, `${name} left something behind`);
    }
    // The config's diffID disagrees with the layer: found while unpacking, still nothing left.
    const wrong = tarBuffer([
      { name: 'l/layer.tar', body: base }, { name: 'c.json', body: config([sha('other')]) },
      { name: 'manifest.json', body: JSON.stringify([{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['l/layer.tar'] }]) },
    ]);
    const p = await e.archives.read(Readable.from([wrong]));
    await assert.rejects(p.apply(() => {}, true), /unpacks to sha256:[a-f0-9]+, but the image config says/);
    assert.deepEqual(await state(e), before, 'a failed unpack left something behind');
    assert.equal((await load(e, good))[0], 'Loaded image: x:1\n');
  });
});
