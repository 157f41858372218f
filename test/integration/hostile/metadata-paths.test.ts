// save and push never read a host file through what an image's metadata
// records (Docker 20.10 leaked host files that way). Images are loaded from
// archives whose metadata names host files everywhere it can: layer paths
// inside the archive that spell a host path, a docker save LayerSources
// entry and OCI descriptors whose urls point at a host file (file://), OCI
// title annotations naming one. The host files sit on a tmpfs mounted
// strictatime, so any read shows as a changed access time; they also hold
// a marker that must never appear in a saved archive or a pushed blob.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { join } from 'node:path';
import { type PrivateDaemon, skipUnlessRoot, startBerthd } from '../../helpers/daemon.ts';
import { json, outcome, raw } from '../../helpers/hostile-paths.ts';
import { archiveTar, sha256 } from '../../helpers/hostile-tars.ts';
import { startBerthRegistry, type RunningRegistry } from '../../helpers/registry.ts';

const MARKER = `HOST-SECRET-${randomBytes(8).toString('hex')}`;

function atimes(dir: string): Record<string, number> {
  return Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.statSync(join(dir, f)).atimeMs]));
}

/** Bytes as stored, and their content when gzip-compressed (layers are pushed and may be saved compressed). */
function plain(b: Buffer): Buffer {
  return b[0] === 0x1f && b[1] === 0x8b ? Buffer.concat([b, zlib.gunzipSync(b)]) : b;
}

/** Every file of a tar archive, each decompressed when it is gzip. */
function tarFiles(archive: Buffer): Buffer[] {
  const names = execFileSync('tar', ['-tf', '-'], { input: archive, encoding: 'utf8' }).split('\n').filter((n) => n && !n.endsWith('/'));
  return names.map((n) => plain(execFileSync('tar', ['-xOf', '-', n], { input: archive, maxBuffer: 64 << 20 })));
}

/** Every blob the registry stored, decompressed when gzip. */
function registryBlobs(root: string): Buffer[] {
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
    .map((e) => plain(fs.readFileSync(join(e.parentPath, e.name))));
}

describe('save and push read no host file through layer metadata', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  let reg: RunningRegistry;
  let host: string;
  let hostLayer: Buffer;

  before(async () => {
    host = fs.mkdtempSync('/tmp/bt-hostmeta-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,strictatime,mode=0700', 'tmpfs', host]);
    // What a leak would pick up: a valid layer holding the marker, and a plain file.
    hostLayer = archiveTar([{ name: 'leaked.txt', body: `${MARKER}\n` }]);
    fs.writeFileSync(join(host, 'layer.tar'), hostLayer);
    fs.writeFileSync(join(host, 'secret'), `${MARKER}\n`);
    d = await startBerthd();
    reg = await startBerthRegistry();
  });
  after(async () => {
    await reg?.stop();
    await d?.cleanup();
    if (host) {
      try { execFileSync('umount', [host]); } catch { /* not mounted */ }
      fs.rmSync(host, { recursive: true, force: true });
    }
  });

  /** Archives whose real layer is in the archive, while their metadata names the host's files. */
  function archives(): Array<{ name: string; bytes: Buffer }> {
    const layer = archiveTar([{ name: 'inside.txt', body: 'from the archive\n' }]);
    const config = Buffer.from(json({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/none'] }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
    const hostPath = join(host, 'layer.tar');
    const save = (name: string, layerPath: string, extra: Record<string, unknown> = {}) => ({
      name,
      bytes: archiveTar([
        { name: 'manifest.json', body: json([{ Config: 'config.json', RepoTags: [`meta:${name}`], Layers: [layerPath], ...extra }]) },
        { name: 'config.json', body: config },
        { name: layerPath, body: layer },
      ]),
    });
    // An OCI layout whose layer descriptor also says where else the blob is, and what it is called.
    const hex = (b: Buffer) => sha256(b).slice(7);
    const manifest = Buffer.from(json({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{
        mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length,
        urls: [`file://${hostPath}`], annotations: { 'org.opencontainers.image.title': join(host, 'secret') },
      }],
    }));
    const oci = archiveTar([
      { name: 'oci-layout', body: json({ imageLayoutVersion: '1.0.0' }) },
      { name: 'index.json', body: json({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length, annotations: { 'io.containerd.image.name': 'docker.io/library/meta:oci', 'org.opencontainers.image.ref.name': 'oci' } }] }) },
      { name: `blobs/sha256/${hex(manifest)}`, body: manifest },
      { name: `blobs/sha256/${hex(config)}`, body: config },
      { name: `blobs/sha256/${hex(layer)}`, body: layer },
    ]);
    return [
      // The layer's path inside the archive spells the host file's path.
      save('host-path', `${hostPath.slice(1)}`),
      // docker save's LayerSources: a foreign layer's descriptor, its urls pointing at the host file.
      save('layer-sources', 'l/layer.tar', {
        LayerSources: { [sha256(layer)]: { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar', size: hostLayer.length, digest: sha256(hostLayer), urls: [`file://${hostPath}`] } },
      }),
      { name: 'oci', bytes: oci },
    ];
  }

  test('loaded, saved and pushed: the archive\'s layer, never the host file', async () => {
    const atimes0 = atimes(host);
    const failures: string[] = [];
    for (const a of archives()) {
      const load = outcome(await raw(d.socket, 'POST', '/images/load?quiet=1', a.bytes, { 'content-type': 'application/x-tar' }));
      assert.ok(load.status === 200 && !load.error, `load ${a.name}: ${load.status} ${load.error}`);
      const ref = `meta:${a.name}`;
      // save: the archive holds the loaded layer, no marker.
      const saved = await raw(d.socket, 'GET', `/images/${encodeURIComponent(ref)}/get`);
      assert.equal(saved.status, 200, `save ${a.name}`);
      const files = tarFiles(saved.body);
      if (files.some((f) => f.includes(MARKER))) failures.push(`save ${a.name}: the host file is in the archive`);
      if (!files.some((f) => f.includes('from the archive'))) failures.push(`save ${a.name}: the loaded layer is not in the archive`);
      // push: every blob the registry stored is the image's own.
      const target = `${reg.host}/meta/${a.name}:latest`;
      const tag = await raw(d.socket, 'POST', `/images/${encodeURIComponent(ref)}/tag?repo=${encodeURIComponent(`${reg.host}/meta/${a.name}`)}&tag=latest`);
      assert.equal(tag.status, 201, `tag ${a.name}: ${tag.body}`);
      const push = outcome(await raw(d.socket, 'POST', `/images/${encodeURIComponent(`${reg.host}/meta/${a.name}`)}/push?tag=latest`, undefined, { 'X-Registry-Auth': 'e30=' }));
      if (push.status !== 200 || push.error) failures.push(`push ${target}: ${push.status} ${push.error}`);
    }
    const blobs = registryBlobs(reg.root);
    assert.equal(blobs.filter((b) => b.includes(MARKER)).length, 0, 'the registry holds the host file');
    assert.ok(blobs.some((b) => b.includes('from the archive')), 'the archive\'s layer was pushed');
    assert.deepEqual(failures, []);
    // Not even opened for reading (strictatime: every read moves the access time)...
    assert.deepEqual(atimes(host), atimes0);
    // ...which this mount does show.
    fs.readFileSync(join(host, 'secret'));
    assert.notEqual(atimes(host).secret, atimes0.secret, 'a read did not move the access time: the check above proves nothing');
  });
});
