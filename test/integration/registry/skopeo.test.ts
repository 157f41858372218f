// `berth registry serve` as a real process, driven by skopeo (a client
// nobody here wrote): copy in from an OCI layout and a docker-archive, copy
// between repositories and out again, inspect, list-tags, delete.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeImage, sha, writeOciLayout, type TestImage } from '../../helpers/oci.ts';
import { startBerthRegistry, type RunningRegistry } from '../../helpers/registry.ts';
import { run, runOk } from '../../helpers/run.ts';

const SKOPEO = '/usr/bin/skopeo';
const skip = existsSync(SKOPEO) ? false : 'skopeo is not installed (scripts/setup.sh --dev)';

describe('registry server with skopeo', { skip }, () => {
  let reg: RunningRegistry;
  let dir: string;
  let img: TestImage;
  const sk = (...args: string[]) => runOk(SKOPEO, ['--insecure-policy', ...args], { timeout: 60_000 });
  const tls = '--tls-verify=false';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-skopeo-'));
    reg = await startBerthRegistry();
    img = await makeImage({ layers: [{ 'bin/app': 'app v1' }, { 'etc/conf': 'x=1' }] });
    writeOciLayout(join(dir, 'oci'), img, 'v1');
  });

  after(async () => {
    await reg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('copy in from an OCI layout, inspect, list-tags', async () => {
    await sk('copy', '--dest-tls-verify=false', `oci:${dir}/oci:v1`, `docker://${reg.host}/team/app:v1`);
    const raw = JSON.parse((await sk('inspect', tls, '--raw', `docker://${reg.host}/team/app:v1`)).stdout);
    assert.equal(raw.config.digest, img.config.digest);
    const info = JSON.parse((await sk('inspect', tls, `docker://${reg.host}/team/app:v1`)).stdout);
    assert.equal(info.Digest, img.manifestDigest);
    assert.deepEqual(info.Layers, img.layers.map((l) => l.digest));
    const tags = JSON.parse((await sk('list-tags', tls, `docker://${reg.host}/team/app`)).stdout);
    assert.deepEqual(tags.Tags, ['v1']);
  });

  test('copy between repositories as Docker schema2, out to a docker-archive and back in', async () => {
    await sk('copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--format', 'v2s2',
      `docker://${reg.host}/team/app:v1`, `docker://${reg.host}/other/app:v2`);
    const m = JSON.parse((await sk('inspect', tls, '--raw', `docker://${reg.host}/other/app:v2`)).stdout);
    assert.equal(m.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    await sk('copy', '--src-tls-verify=false', `docker://${reg.host}/other/app:v2`, `docker-archive:${dir}/out.tar:x/y:z`);
    assert.ok(readFileSync(`${dir}/out.tar`).length > 1000);
    await sk('copy', '--dest-tls-verify=false', `docker-archive:${dir}/out.tar`, `docker://${reg.host}/from/archive:latest`);
    const back = JSON.parse((await sk('inspect', tls, `docker://${reg.host}/from/archive:latest`)).stdout);
    assert.equal(back.Layers.length, 2);
    await sk('copy', '--src-tls-verify=false', `docker://${reg.host}/team/app:v1`, `oci:${dir}/out-oci:v1`);
    const idx = JSON.parse(readFileSync(`${dir}/out-oci/index.json`, 'utf8'));
    assert.equal(idx.manifests[0].digest, img.manifestDigest);
  });

  test('an OCI index copied in with --all: served as that index (its digest and type), each platform inspectable, copied out whole', async () => {
    const arm = await makeImage({ layers: [{ 'bin/app': 'app v1 arm64' }], arch: 'arm64' });
    const layout = join(dir, 'multi');
    writeOciLayout(layout, arm, 'unused');
    writeOciLayout(join(dir, 'multi-amd'), img, 'unused');
    for (const b of [img.config, ...img.layers]) writeFileSync(join(layout, 'blobs/sha256', b.digest.slice(7)), b.data);
    writeFileSync(join(layout, 'blobs/sha256', img.manifestDigest.slice(7)), img.manifest);
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: img.mediaType, digest: img.manifestDigest, size: img.manifest.length, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: arm.mediaType, digest: arm.manifestDigest, size: arm.manifest.length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      ],
    }));
    writeFileSync(join(layout, 'blobs/sha256', sha(index).slice(7)), index);
    writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [
      { mediaType: 'application/vnd.oci.image.index.v1+json', digest: sha(index), size: index.length, annotations: { 'org.opencontainers.image.ref.name': 'multi' } },
    ] }));
    await sk('copy', '--all', '--dest-tls-verify=false', `oci:${layout}:multi`, `docker://${reg.host}/multi/app:v1`);
    const got = await fetch(`${reg.url}/v2/multi/app/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.index.v1+json' } });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
    assert.equal(got.headers.get('docker-content-digest'), sha(index));
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), index);
    const amdInfo = JSON.parse((await sk('inspect', tls, '--override-arch', 'amd64', `docker://${reg.host}/multi/app:v1`)).stdout);
    // skopeo reports the index's digest, and the image of the platform asked for.
    assert.equal(amdInfo.Digest, sha(index));
    assert.equal(amdInfo.Architecture, 'amd64');
    assert.deepEqual(amdInfo.Layers, img.layers.map((l) => l.digest));
    const armInfo = JSON.parse((await sk('inspect', tls, '--override-arch', 'arm64', `docker://${reg.host}/multi/app:v1`)).stdout);
    assert.equal(armInfo.Architecture, 'arm64');
    assert.deepEqual(armInfo.Layers, arm.layers.map((l) => l.digest));
    await sk('copy', '--all', '--src-tls-verify=false', `docker://${reg.host}/multi/app:v1`, `oci:${dir}/multi-out:v1`);
    const out = JSON.parse(readFileSync(`${dir}/multi-out/index.json`, 'utf8'));
    assert.equal(out.manifests[0].digest, sha(index));
    for (const b of [arm.config, ...arm.layers, img.config, ...img.layers]) assert.ok(existsSync(`${dir}/multi-out/blobs/sha256/${b.digest.slice(7)}`));
  });

  test('delete removes the manifest; inspect then fails with manifest unknown', async () => {
    await sk('copy', '--dest-tls-verify=false', `oci:${dir}/oci:v1`, `docker://${reg.host}/gone/app:v1`);
    await sk('delete', tls, `docker://${reg.host}/gone/app:v1`);
    const r = await run(SKOPEO, ['inspect', tls, `docker://${reg.host}/gone/app:v1`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /manifest unknown/i);
    const tags = JSON.parse((await sk('list-tags', tls, `docker://${reg.host}/gone/app`)).stdout);
    assert.deepEqual(tags.Tags, []);
  });
});

describe('registry server over TLS', { skip }, () => {
  test('--tls-cert/--tls-key: skopeo copies in and lists tags over https; plain http is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-tls-'));
    let reg: RunningRegistry | undefined;
    try {
      await runOk('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`]);
      reg = await startBerthRegistry({ args: ['--tls-cert', `${dir}/cert.pem`, '--tls-key', `${dir}/key.pem`], scheme: 'https' });
      const img = await makeImage({ layers: [{ 'bin/tls': 'over tls' }] });
      writeOciLayout(join(dir, 'oci'), img, 'v1');
      await runOk(SKOPEO, ['--insecure-policy', 'copy', '--dest-cert-dir', dir, '--dest-tls-verify=false', `oci:${dir}/oci:v1`, `docker://${reg.host}/secure/app:v1`]);
      const tags = JSON.parse((await runOk(SKOPEO, ['list-tags', '--tls-verify=false', `docker://${reg.host}/secure/app`])).stdout);
      assert.deepEqual(tags.Tags, ['v1']);
      const plain = await fetch(`http://${reg.host}/v2/`).then(() => 'answered', () => 'refused');
      assert.equal(plain, 'refused');
    } finally {
      await reg?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
