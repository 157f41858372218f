// Decompression bombs through every path that unpacks: import, load (a
// gzip-compressed `docker save` archive and an OCI layout with a gzip
// layer), cp into a container, a build context, and pull. Two daemons:
// one with a small max-layer-size (16 MiB, so a 64 MiB layer of zeros is
// over it), one with the defaults, where the compression-ratio check must
// stop 300 MiB of zeros in ~300 KiB of gzip long before the 32 GiB size
// limit. Each must answer a clear 4xx (or a stream error naming the
// limit), stay alive, and leave nothing: no ingest, build context, layer,
// temporary snapshot or blob, no file in the container.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { type PrivateDaemon, skipUnlessRoot, startBerthd } from '../../helpers/daemon.ts';
import { ping } from '../../helpers/api.ts';
import { dataRootLeftovers, json, outcome, raw, snapshotListing, type Outcome } from '../../helpers/hostile-paths.ts';
import { type Bomb, type BombRegistry, contextBomb, ociArchiveBomb, savedArchiveBomb, serveBombs, zeroBomb } from '../../helpers/bombs.ts';

const MiB = 1024 * 1024;
type Path = 'import' | 'load-saved' | 'load-oci' | 'cp' | 'build' | 'pull';
const PATHS: Path[] = ['import', 'load-saved', 'load-oci', 'cp', 'build', 'pull'];

function blobs(dataRoot: string): string[] {
  try { return fs.readdirSync(`${dataRoot}/content/blobs/sha256`).sort(); } catch { return []; }
}

interface Setup {
  name: string;
  config: Record<string, unknown>;
  size: number;
  message: RegExp;
}

const SETUPS: Setup[] = [
  { name: 'max-layer-size 16MiB', config: { 'max-layer-size': '16MiB' }, size: 64 * MiB, message: /limit of 16777216 uncompressed bytes \(max-layer-size\)/ },
  { name: 'defaults (ratio check)', config: {}, size: 300 * MiB, message: /expands more than 100 times .*decompression bomb \(max-compression-ratio 100\)/ },
];

for (const s of SETUPS) {
  describe(`decompression bombs, ${s.name}`, { skip: skipUnlessRoot() }, () => {
    let d: PrivateDaemon;
    let reg: BombRegistry;
    let bomb: Bomb;
    const payloads = new Map<Path, Buffer>();
    let snapshots0: string[];
    let blobs0: string[];

    before(async () => {
      bomb = await zeroBomb(s.size);
      payloads.set('import', bomb.bytes);
      payloads.set('cp', bomb.bytes);
      payloads.set('load-saved', await savedArchiveBomb(s.size, 'bomb:saved'));
      payloads.set('load-oci', await ociArchiveBomb(bomb, 'bomb:oci'));
      payloads.set('build', (await contextBomb(s.size)).bytes);
      reg = await serveBombs({ zeros: bomb });
      d = await startBerthd({ config: s.config });
      snapshots0 = snapshotListing(d.dataRoot);
      blobs0 = blobs(d.dataRoot);
    });
    after(async () => {
      await reg?.close();
      await d?.cleanup();
    });

    async function send(path: Path): Promise<{ out: Outcome; container?: string }> {
      const body = payloads.get(path);
      const tarType = { 'content-type': 'application/x-tar' };
      switch (path) {
        case 'import': return { out: outcome(await raw(d.socket, 'POST', '/images/create?fromSrc=-&repo=bomb&tag=import', body, tarType)) };
        case 'load-saved': case 'load-oci': return { out: outcome(await raw(d.socket, 'POST', '/images/load?quiet=1', body, tarType)) };
        case 'build': return { out: outcome(await raw(d.socket, 'POST', '/build?t=bomb:build&rm=1&forcerm=1', body, tarType, 120_000)) };
        case 'pull': return { out: outcome(await raw(d.socket, 'POST', `/images/create?fromImage=${reg.host}/bomb&tag=zeros`, undefined, {}, 120_000)) };
        case 'cp': {
          const c = await raw(d.socket, 'POST', '/containers/create', json({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } }), { 'content-type': 'application/json' });
          assert.equal(c.status, 201, c.body.toString());
          const id = (JSON.parse(c.body.toString()) as { Id: string }).Id;
          return { out: outcome(await raw(d.socket, 'PUT', `/containers/${id}/archive?path=/tmp`, body, tarType)), container: id };
        }
      }
    }

    for (const path of PATHS) {
      test(`${path}: refused with the limit named, nothing left`, async () => {
        const t0 = Date.now();
        const { out, container } = await send(path);
        const ms = Date.now() - t0;
        console.log(`${s.name} ${path}: ${out.status} in ${ms} ms: ${out.error}`);
        assert.ok(out.status < 500, `${out.status} ${out.error}`);
        assert.ok(out.status >= 400 || out.error !== null, `${path} loaded the bomb`);
        assert.match(out.error ?? '', s.message);
        assert.ok(await ping(d.socket), 'berthd stopped answering');
        if (container) {
          // Nothing of the archive reached the container's filesystem.
          const head = await raw(d.socket, 'HEAD', `/containers/${container}/archive?path=/tmp/zero`);
          assert.equal(head.status, 404, 'the bomb\'s file is in the container');
          assert.equal((await raw(d.socket, 'DELETE', `/containers/${container}?force=1`)).status, 204);
        }
        let left = dataRootLeftovers(d.dataRoot);
        for (let i = 0; left.length && i < 50; i++) {
          await new Promise((r) => setTimeout(r, 100));
          left = dataRootLeftovers(d.dataRoot);
        }
        assert.deepEqual(left, []);
        assert.deepEqual(snapshotListing(d.dataRoot), snapshots0, 'a layer or snapshot was left');
        let extra = blobs(d.dataRoot).filter((b) => !blobs0.includes(b));
        for (let i = 0; extra.length && i < 50; i++) {
          await new Promise((r) => setTimeout(r, 100));
          extra = blobs(d.dataRoot).filter((b) => !blobs0.includes(b));
        }
        assert.deepEqual(extra, [], 'blobs were left in the content store');
        const images = JSON.parse((await raw(d.socket, 'GET', '/images/json?all=1')).body.toString()) as unknown[];
        assert.equal(images.length, 1, 'only busybox');
      });
    }
  });
}
