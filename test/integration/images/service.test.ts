// The image service end to end over real stores: seed, import (every
// compression), resolve, tag, list filters, history, remove with Docker's
// conflicts and garbage collection, export, and failure cleanup.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import * as zlib from 'node:zlib';
import { isCode } from '../../../src/core/errors.ts';
import type { EngineEvent } from '../../../src/core/events.ts';
import { nullLogger } from '../../../src/core/logger.ts';
import { tarDirectory } from '../../../src/images/export.ts';
import { createImageService, type BerthImageService } from '../../../src/images/service.ts';
import { FileContentStore } from '../../../src/stores/content.ts';
import { openDatabase, type Database } from '../../../src/stores/metadata.ts';
import { createSnapshotter, type ListingSnapshotter } from '../../../src/stores/snapshots/index.ts';
import { TarReader } from '../../../src/stores/tar/reader.ts';
import { unmountUnder } from '../../helpers/mounts.ts';
import { skipUnlessRoot } from '../../helpers/root.ts';
import { tarBuffer, tempDir, type TestEntry } from '../stores/tars.ts';

interface Env {
  svc: BerthImageService;
  db: Database;
  content: FileContentStore;
  snap: ListingSnapshotter;
  events: Array<Pick<EngineEvent, 'type' | 'action' | 'id' | 'attributes'>>;
  users: Map<string, Array<{ id: string; state: { status: string } }>>;
  dir: string;
  merged: string;
}

async function env(t: { after: (fn: () => Promise<void>) => void }, kind: 'overlay' | 'copy', limits = {}): Promise<Env> {
  const { dir, cleanup } = tempDir(`berth-images-${kind}-`);
  const db = openDatabase(`${dir}/berth.db`);
  t.after(async () => {
    db.close();
    assert.deepEqual(await unmountUnder(dir), []);
    cleanup();
  });
  const content = new FileContentStore(`${dir}/content`);
  const snap = await createSnapshotter(`${dir}/snapshots`, kind);
  const events: Env['events'] = [];
  const users: Env['users'] = new Map();
  const svc = createImageService({
    dataRoot: dir, db, snapshotter: snap, content, logger: nullLogger, limits,
    events: { emit: (type, action, id, attributes = {}) => events.push({ type, action, id, attributes }) },
    usersOfImage: async (id) => users.get(id) ?? [],
  });
  const merged = `${dir}/merged`;
  fs.mkdirSync(merged);
  return { svc, db, content, snap, events, users, dir, merged };
}

const rootfs = (files: Record<string, string>): Buffer =>
  tarBuffer(Object.entries(files).map(([name, body]): TestEntry => ({ name, body, mode: 0o644 })));

async function withMounted<T>(e: Env, chainId: string | null, fn: (root: string) => Promise<T> | T): Promise<T> {
  const key = `t-${Math.random().toString(36).slice(2)}`;
  await e.snap.prepare(key, chainId);
  await e.snap.mount(key, e.merged);
  try {
    return await fn(e.merged);
  } finally {
    await e.snap.unmount(e.merged);
    await e.snap.remove(key);
  }
}

async function readTarNames(stream: NodeJS.ReadableStream): Promise<Map<string, { type: string; linkname: string; mode: number }>> {
  const r = new TarReader(stream);
  const out = new Map<string, { type: string; linkname: string; mode: number }>();
  for (let h = await r.next(); h; h = await r.next()) out.set(h.name, { type: h.type, linkname: h.linkname, mode: h.mode });
  return out;
}

for (const kind of ['overlay', 'copy'] as const) {
  describe(`image service (${kind})`, { skip: skipUnlessRoot() }, () => {
    test('seeds a runnable busybox:latest once, deterministically', async (t) => {
      const e = await env(t, kind);
      await e.svc.seedDefault();
      const img = await e.svc.resolve('busybox');
      assert.deepEqual(img.tags, ['busybox:latest']);
      assert.deepEqual(img.config.config?.Cmd, ['sh']);
      assert.deepEqual(img.config.config?.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
      assert.equal(img.config.os, 'linux');
      assert.equal(img.config.history?.[0].created_by, 'BUSYBOX seeded from host /bin/busybox');
      assert.equal(img.config.rootfs.diff_ids.length, 1);
      assert.equal(img.chainId, img.config.rootfs.diff_ids[0]);
      assert.ok(img.size >= fs.statSync('/bin/busybox').size);
      const events = e.events.map((x) => x.action);
      assert.deepEqual(events, ['import', 'tag']);
      await e.svc.seedDefault();
      assert.equal(e.events.length, 2, 'a second seed is skipped');
      assert.equal((await e.svc.list({})).length, 1);
      await withMounted(e, img.chainId, (root) => {
        assert.equal(fs.readlinkSync(`${root}/bin/sh`), 'busybox', 'applets link to busybox');
        assert.equal(fs.readlinkSync(`${root}/usr/bin/env`), '../../bin/busybox');
        assert.ok(fs.lstatSync(`${root}/bin/busybox`).isFile());
        assert.match(fs.readFileSync(`${root}/etc/passwd`, 'utf8'), /^root:x:0:0:root:\/root:\/bin\/sh\n[\s\S]*nobody:x:65534:65534:/);
        assert.match(fs.readFileSync(`${root}/etc/group`, 'utf8'), /nogroup:x:65534:/);
        assert.equal(fs.statSync(`${root}/tmp`).mode & 0o7777, 0o1777);
        assert.equal(fs.statSync(`${root}/root`).mode & 0o7777, 0o700);
        const out = execFileSync('chroot', [root, '/bin/sh', '-c', 'echo hello from $(id -un) | /usr/bin/env tr a-z A-Z'], { encoding: 'utf8' });
        assert.equal(out, 'HELLO FROM ROOT\n');
      });
      // Same host busybox, fresh data root: the same image ID.
      const other = await env(t, kind);
      await other.svc.seedDefault();
      assert.equal((await other.svc.resolve('busybox:latest')).id, img.id);
    });

    test('imports plain, gzip, zstd and xz tars as one gzip layer with config and manifest', async (t) => {
      const e = await env(t, kind);
      const tar = rootfs({ 'etc/motd': 'hi\n', 'opt/app/run.sh': 'echo app\n' });
      const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
      const xz = spawnSync('xz', ['-c'], { input: tar }).stdout;
      const inputs: Array<[string, Buffer]> = [
        ['plain', tar], ['gzip', zlib.gzipSync(tar)], ['zstd', zlib.zstdCompressSync(tar)], ['xz', xz],
      ];
      for (const [name, data] of inputs) {
        const img = await e.svc.import(Readable.from([data]), {
          reference: `imp:${name}`, message: `from ${name}`, changes: ['CMD ["/bin/sh"]', 'ENV APP=1', 'WORKDIR /opt/app'],
        });
        assert.deepEqual(img.config.rootfs.diff_ids, [diffId], name);
        assert.equal(img.chainId, diffId);
        assert.deepEqual(img.tags, [`imp:${name}`]);
        assert.deepEqual(img.config.config, { Cmd: ['/bin/sh'], Env: ['APP=1'], WorkingDir: '/opt/app' });
        assert.deepEqual(img.config.history, [{ created: img.created, comment: `from ${name}` }]);
        assert.equal(img.config.architecture, process.arch === 'x64' ? 'amd64' : process.arch);
        const manifest = JSON.parse((await e.content.readBlob(img.manifestDigest)).toString());
        assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
        assert.equal(manifest.config.digest, img.id);
        assert.equal(manifest.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
        const layer = await e.content.readBlob(manifest.layers[0].digest);
        assert.equal(`sha256:${createHash('sha256').update(zlib.gunzipSync(layer)).digest('hex')}`, diffId, 'the blob unpacks to the diffID');
        const config = await e.content.readBlob(img.id);
        assert.equal(`sha256:${createHash('sha256').update(config).digest('hex')}`, img.id, 'the image ID is the config digest');
      }
      await withMounted(e, diffId, (root) => assert.equal(fs.readFileSync(`${root}/etc/motd`, 'utf8'), 'hi\n'));
      assert.deepEqual(e.events.filter((x) => x.action === 'tag').map((x) => x.attributes.name), ['imp:plain', 'imp:gzip', 'imp:zstd', 'imp:xz']);
    });

    test('a failed import leaves no image, layer, blob or temp file', async (t) => {
      const e = await env(t, kind, { maxLayerBytes: 8 * 1024 * 1024 });
      await e.svc.seedDefault();
      const blobs = (await e.content.list()).map((b) => b.digest).sort();
      const layers = (await e.snap.listLayers()).sort();
      const snapshotDir = `${e.dir}/snapshots/${kind}`;
      const gz = zlib.gzipSync(rootfs({ a: 'b'.repeat(5000) }));
      const zstd = zlib.zstdCompressSync(rootfs({ a: 'b'.repeat(5000) }));
      const failures: Array<[Buffer | string, string[], RegExp]> = [
        ['this is not a tar archive\n'.repeat(40), [], /checksum/],
        [tarBuffer([{ name: 'x', type: 'symlink', linkname: '/etc' }, { name: 'x/passwd', body: 'pwned' }]), [], /refusing to write through/],
        [zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024)), [], /max-layer-size/],
        [rootfs({ a: 'b' }), ['RUN rm -rf /'], /run is not a valid change command/],
        // Damaged archives are the sender's: 400s naming the codec, not 500s with zlib's bare words.
        [gz.subarray(0, gz.length - 10), [], /^the gzip archive is damaged: unexpected end of file \(the archive is truncated\)$/],
        [Buffer.concat([gz.subarray(0, 20), Buffer.alloc(200, 7)]), [], /^the gzip archive is damaged: /],
        [Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(200, 0xa5)]), [], /^the zstd archive is damaged: /],
        [zstd.subarray(0, zstd.length - 4), [], /^the zstd archive is damaged: /],
        [Buffer.from('BZh91AY&SYgarbage'), [], /^the bzip2 archive is damaged: Compressed file ends unexpectedly$/],
      ];
      for (const [data, changes, msg] of failures) {
        await assert.rejects(e.svc.import(Readable.from([Buffer.from(data)]), { reference: 'broken:1', changes }),
          (err) => isCode(err, 'invalid_argument') && msg.test((err as Error).message), String(msg));
      }
      await assert.rejects(e.svc.import(Readable.from([rootfs({})]), { reference: 'bad:tag:x' }), /invalid reference format/);
      await assert.rejects(e.svc.import(Readable.from([rootfs({})]), { platform: 'windows/amd64' }), /unsupported platform/);
      await assert.rejects(e.svc.resolve('broken:1'), (err) => isCode(err, 'not_found') && (err as Error).message === 'No such image: broken:1');
      assert.deepEqual((await e.content.list()).map((b) => b.digest).sort(), blobs);
      assert.deepEqual((await e.snap.listLayers()).sort(), layers);
      assert.deepEqual(fs.readdirSync(`${e.dir}/content/ingest`), []);
      assert.deepEqual(fs.readdirSync(`${snapshotDir}/layers`).filter((n) => n.startsWith('.')), []);
      assert.equal((await e.svc.list({ all: true })).length, 1);
    });

    test('resolve, tag and list filters', async (t) => {
      const e = await env(t, kind);
      const a = await e.svc.import(Readable.from([rootfs({ a: '1' })]), { reference: 'alpha', changes: ['LABEL team=core tier=1'] });
      await new Promise((r) => setTimeout(r, 10));
      const b = await e.svc.import(Readable.from([rootfs({ b: '2' })]), { reference: 'localhost:5000/team/beta:v2' });
      await new Promise((r) => setTimeout(r, 10));
      const c = await e.svc.import(Readable.from([rootfs({ c: '3' })]), {});
      for (const ref of [a.id, a.id.slice(7), a.id.slice(7, 19), `sha256:${a.id.slice(7, 12)}`, 'alpha', 'alpha:latest', 'docker.io/library/alpha']) {
        assert.equal((await e.svc.resolve(ref)).id, a.id, ref);
      }
      assert.equal((await e.svc.resolve('localhost:5000/team/beta:v2')).id, b.id);
      await assert.rejects(e.svc.resolve('beta'), (err) => (err as Error).message === 'No such image: beta:latest');
      await assert.rejects(e.svc.resolve(`sha256:${'f'.repeat(64)}`), (err) => isCode(err, 'not_found'));
      await e.svc.tag('alpha', 'alpha', 'v1');
      await e.svc.tag(a.id.slice(7, 19), 'user/alpha:edge');
      assert.deepEqual((await e.svc.resolve('alpha')).tags.sort(), ['alpha:latest', 'alpha:v1', 'user/alpha:edge']);
      assert.equal(e.events.at(-1)?.action, 'tag');
      assert.equal(e.events.at(-1)?.attributes.name, 'user/alpha:edge');
      assert.equal(e.events.at(-1)?.attributes.team, 'core', 'image labels ride on image events');
      await assert.rejects(e.svc.tag('alpha', 'x:bad:tag'), /invalid reference format/);
      await assert.rejects(e.svc.tag('alpha', `x@sha256:${'a'.repeat(64)}`), /refusing to create a tag with a digest reference/);
      await assert.rejects(e.svc.tag('alpha', 'x', '-bad'), /invalid tag format/);
      await assert.rejects(e.svc.tag('nosuch', 'x'), /No such image: nosuch:latest/);

      const ids = async (opts: Parameters<BerthImageService['list']>[0]) => (await e.svc.list(opts)).map((i) => i.id);
      assert.deepEqual(await ids({}), [c.id, b.id, a.id], 'newest first');
      assert.deepEqual(await ids({ filters: { dangling: true } }), [c.id]);
      assert.deepEqual(await ids({ filters: { dangling: false } }), [b.id, a.id]);
      assert.deepEqual(await ids({ filters: { label: ['team'] } }), [a.id]);
      assert.deepEqual(await ids({ filters: { label: ['team=core', 'tier=1'] } }), [a.id]);
      assert.deepEqual(await ids({ filters: { label: ['team=other'] } }), []);
      assert.deepEqual(await ids({ filters: { before: b.id } }), [a.id]);
      assert.deepEqual(await ids({ filters: { since: 'alpha' } }), [c.id, b.id]);
      const byRef = await e.svc.list({ filters: { reference: ['alph*:v*'] } });
      assert.deepEqual(byRef.map((i) => i.tags), [['alpha:v1']], 'only matching tags are shown');
      assert.deepEqual((await e.svc.list({ filters: { reference: ['alpha'] } }))[0].tags, ['alpha:latest', 'alpha:v1']);
      assert.deepEqual(await ids({ filters: { reference: ['localhost:5000/*/*'] } }), [b.id]);
    });

    test('history: newest first, the top entry with ID and tags, sizes from layers', async (t) => {
      const e = await env(t, kind);
      const img = await e.svc.import(Readable.from([rootfs({ f: 'x'.repeat(1000) })]), { reference: 'h:1', message: 'msg' });
      const h = await e.svc.history('h:1');
      assert.deepEqual(h, [{ id: img.id, created: Math.floor(Date.parse(img.created) / 1000), createdBy: '', tags: ['h:1'], size: 1000, comment: 'msg' }]);
    });

    test('remove: untag, delete with the last tag, conflicts, force, and collection', async (t) => {
      const e = await env(t, kind);
      const tar = rootfs({ shared: 'layer' });
      const one = await e.svc.import(Readable.from([tar]), { reference: 'one:a', changes: ['ENV N=1'] });
      const two = await e.svc.import(Readable.from([tar]), { reference: 'two', changes: ['ENV N=2'] });
      assert.equal(one.chainId, two.chainId, 'same layer, two images');
      await e.svc.tag('one:a', 'one', 'b');

      assert.deepEqual(await e.svc.remove('one:a', {}), [{ untagged: 'one:a' }]);
      const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
      await e.svc.tag('one:b', 'one', 'c');
      await assert.rejects(e.svc.remove(short(one.id), {}), (err) => isCode(err, 'conflict')
        && (err as Error).message === `conflict: unable to delete ${short(one.id)} (must be forced) - image is referenced in multiple repositories`);

      const ctr = `c${'0'.repeat(63)}`;
      e.users.set(one.id, [{ id: ctr, state: { status: 'exited' } }]);
      await e.svc.remove('one:c', {});
      await assert.rejects(e.svc.remove('one:b', {}), (err) => isCode(err, 'conflict')
        && (err as Error).message === `conflict: unable to remove repository reference "one:b" (must force) - container ${short(ctr)} is using its referenced image ${short(one.id)}`);
      e.users.set(one.id, [{ id: ctr, state: { status: 'running' } }]);
      assert.deepEqual(await e.svc.remove('one:b', { force: true }), [{ untagged: 'one:b' }], 'a running user keeps the image, silently');
      await assert.rejects(e.svc.remove(one.id, { force: true }), (err) => isCode(err, 'conflict')
        && /\(cannot be forced\) - image is being used by running container/.test((err as Error).message));
      e.users.set(one.id, [{ id: ctr, state: { status: 'exited' } }]);
      await assert.rejects(e.svc.remove(one.id, {}), /\(must be forced\) - image is being used by stopped container/);
      e.users.delete(one.id);

      const before = e.events.length;
      assert.deepEqual(await e.svc.remove(short(one.id), {}), [{ deleted: one.id }]);
      assert.deepEqual(e.events.slice(before).map((x) => [x.action, x.id]), [['delete', one.id]]);
      assert.equal(await e.snap.hasLayer(two.chainId!), true, 'the layer two still uses stays');
      assert.equal(await e.content.has(one.id), false, 'the config blob went');
      assert.equal(await e.content.has(one.manifestDigest), false);

      const layerBlob = JSON.parse((await e.content.readBlob(two.manifestDigest)).toString()).layers[0].digest;
      assert.deepEqual(await e.svc.remove('two', {}), [{ untagged: 'two:latest' }, { deleted: two.id }, { deleted: two.chainId! }]);
      assert.equal(await e.snap.hasLayer(two.chainId!), false);
      assert.equal(await e.content.has(layerBlob), false);
      assert.deepEqual(await e.content.list(), []);
      await assert.rejects(e.svc.remove('two', {}), /No such image: two:latest/);
    });

    test('a layer under a container snapshot survives a forced removal, and goes later', async (t) => {
      const e = await env(t, kind);
      const img = await e.svc.import(Readable.from([rootfs({ f: 'x' })]), { reference: 'pinned' });
      await e.snap.prepare('ctr-x', img.chainId);
      e.users.set(img.id, [{ id: `a${'0'.repeat(63)}`, state: { status: 'created' } }]);
      const res = await e.svc.remove('pinned', { force: true });
      assert.deepEqual(res, [{ untagged: 'pinned:latest' }, { deleted: img.id }]);
      assert.equal(await e.snap.hasLayer(img.chainId!), true);
      await e.snap.remove('ctr-x');
      // The next removal takes it along, without listing it as its own.
      const other = await e.svc.import(Readable.from([rootfs({ g: 'y' })]), { reference: 'other' });
      assert.deepEqual(await e.svc.remove('other', {}), [{ untagged: 'other:latest' }, { deleted: other.id }, { deleted: other.chainId! }]);
      assert.equal(await e.snap.hasLayer(img.chainId!), false);
      // The boot sweep gets whatever nothing reaches.
      const orphan = await e.content.writeBlob('orphan');
      await e.snap.applyLayer(`sha256:${'1'.repeat(64)}`, null, Readable.from([tarBuffer([{ name: 'o', body: 'o' }])]));
      const swept = await e.svc.gc();
      assert.deepEqual(swept.chainIds, [`sha256:${'1'.repeat(64)}`]);
      assert.deepEqual(swept.blobs, [orphan.digest]);
      assert.deepEqual(await e.content.list(), []);
      assert.deepEqual(await e.snap.listLayers(), []);
    });

    test('export of a mounted image round-trips through import', async (t) => {
      const e = await env(t, kind);
      await e.svc.seedDefault();
      const bb = await e.svc.resolve('busybox');
      const names = await withMounted(e, bb.chainId, async (root) => {
        fs.writeFileSync(`${root}/written`, 'by a container');
        fs.symlinkSync('/etc/passwd', `${root}/abs-link`);
        fs.rmSync(`${root}/etc/group`);
        return readTarNames(tarDirectory(root));
      });
      assert.deepEqual(names.get('bin/busybox'), { type: 'file', linkname: '', mode: 0o755 });
      assert.deepEqual(names.get('bin/sh'), { type: 'symlink', linkname: 'busybox', mode: 0o777 });
      assert.deepEqual(names.get('abs-link'), { type: 'symlink', linkname: '/etc/passwd', mode: 0o777 });
      assert.equal(names.get('tmp')?.mode, 0o1777);
      assert.equal(names.has('etc/group'), false);
      assert.equal(names.has('written'), true);
      assert.ok(![...names.keys()].some((n) => n.split('/').pop()!.startsWith('.wh.')));

      const exported = await withMounted(e, bb.chainId, async (root) => {
        const chunks: Buffer[] = [];
        for await (const c of tarDirectory(root) as AsyncIterable<Buffer>) chunks.push(c);
        return Buffer.concat(chunks);
      });
      const back = await e.svc.import(Readable.from([exported]), { reference: 'roundtrip', changes: ['CMD ["sh"]'] });
      await withMounted(e, back.chainId, (root) => {
        const out = execFileSync('chroot', [root, '/bin/sh', '-c', 'ls /bin/busybox && cat /etc/passwd | head -1'], { encoding: 'utf8' });
        assert.equal(out, '/bin/busybox\nroot:x:0:0:root:/root:/bin/sh\n');
      });
    });
  });
}
