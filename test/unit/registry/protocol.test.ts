// The registry server over HTTP, in-process: the distribution spec's
// endpoints, status codes, headers and error codes, and what bad input
// leaves behind (nothing visible).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../../src/registry/config.ts';
import { RegistryServer } from '../../../src/registry/server.ts';
import { makeImage, pushImage, sha, type TestImage } from '../../helpers/oci.ts';

let root: string;
let server: RegistryServer;
let base: string;
let img: TestImage;

async function errCode(r: Response): Promise<string> {
  const body = await r.json() as { errors: Array<{ code: string; message: string }> };
  assert.ok(Array.isArray(body.errors) && body.errors.length === 1, JSON.stringify(body));
  return body.errors[0]!.code;
}

before(async () => {
  root = mkdtempSync(`${tmpdir()}/berth-registry-`);
  server = new RegistryServer({ config: loadConfig({ listen: '127.0.0.1:0', root }) });
  const a = await server.listen();
  base = `http://127.0.0.1:${a.port}`;
  img = await makeImage({ layers: [{ 'bin/hello': 'hello' }, { 'etc/motd': 'hi there' }] });
});

after(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

describe('registry protocol', () => {
  test('/v2/ answers 200 with the API version header', async () => {
    const r = await fetch(`${base}/v2/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
    const bad = await fetch(`${base}/nope`);
    assert.equal(bad.status, 404);
    assert.equal(await errCode(bad), 'UNSUPPORTED');
  });

  test('monolithic upload, HEAD and GET with Range', async () => {
    const data = Buffer.from('0123456789abcdef');
    const d = sha(data);
    const up = await fetch(`${base}/v2/mono/blobs/uploads/?digest=${d}`, { method: 'POST', body: data });
    assert.equal(up.status, 201);
    assert.equal(up.headers.get('location'), `/v2/mono/blobs/${d}`);
    assert.equal(up.headers.get('docker-content-digest'), d);
    const head = await fetch(`${base}/v2/mono/blobs/${d}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '16');
    assert.equal(head.headers.get('docker-content-digest'), d);
    const get = await fetch(`${base}/v2/mono/blobs/${d}`);
    assert.equal(Buffer.from(await get.arrayBuffer()).toString(), data.toString());
    const part = await fetch(`${base}/v2/mono/blobs/${d}`, { headers: { Range: 'bytes=4-7' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 4-7/16');
    assert.equal(await part.text(), '4567');
    const tail = await fetch(`${base}/v2/mono/blobs/${d}`, { headers: { Range: 'bytes=-3' } });
    assert.equal(await tail.text(), 'def');
    const unsat = await fetch(`${base}/v2/mono/blobs/${d}`, { headers: { Range: 'bytes=99-' } });
    assert.equal(unsat.status, 416);
    assert.equal(unsat.headers.get('content-range'), 'bytes */16');
    await unsat.body?.cancel();
    // The blob is linked to "mono" only.
    const other = await fetch(`${base}/v2/other/blobs/${d}`);
    assert.equal(other.status, 404);
    assert.equal(await errCode(other), 'BLOB_UNKNOWN');
  });

  test('a monolithic upload whose bytes do not match its digest is refused and leaves nothing', async () => {
    const wrong = sha('something else');
    const r = await fetch(`${base}/v2/mono/blobs/uploads/?digest=${wrong}`, { method: 'POST', body: 'these bytes' });
    assert.equal(r.status, 400);
    assert.equal(await errCode(r), 'DIGEST_INVALID');
    assert.equal(existsSync(`${root}/content/blobs/sha256/${wrong.slice(7)}`), false);
    assert.equal(existsSync(`${root}/content/blobs/sha256/${sha('these bytes').slice(7)}`), false);
    assert.deepEqual(readdirSync(`${root}/content/ingest`), []);
  });

  test('chunked upload: POST, PATCH with Content-Range, status, PUT', async () => {
    const a = Buffer.alloc(100_000, 1);
    const b = Buffer.alloc(50_000, 2);
    const d = sha(Buffer.concat([a, b]));
    const start = await fetch(`${base}/v2/chunky/blobs/uploads/`, { method: 'POST' });
    assert.equal(start.status, 202);
    const loc = start.headers.get('location')!;
    assert.match(loc, /^\/v2\/chunky\/blobs\/uploads\/[0-9a-f-]{36}$/);
    assert.equal(start.headers.get('range'), '0-0');
    assert.ok(start.headers.get('docker-upload-uuid'));
    const p1 = await fetch(`${base}${loc}`, { method: 'PATCH', body: a, headers: { 'Content-Range': `0-${a.length - 1}`, 'Content-Type': 'application/octet-stream' } });
    assert.equal(p1.status, 202);
    assert.equal(p1.headers.get('range'), `0-${a.length - 1}`);
    // Out of order: 416, and the upload keeps its bytes.
    const bad = await fetch(`${base}${loc}`, { method: 'PATCH', body: b, headers: { 'Content-Range': `5-${5 + b.length - 1}` } });
    assert.equal(bad.status, 416);
    assert.equal(await errCode(bad), 'RANGE_INVALID');
    const mismatch = await fetch(`${base}${loc}`, { method: 'PATCH', body: b, headers: { 'Content-Range': `${a.length}-${a.length + 10}` } });
    assert.equal(mismatch.status, 416);
    await mismatch.body?.cancel();
    const status = await fetch(`${base}${loc}`);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), `0-${a.length - 1}`);
    const p2 = await fetch(`${base}${loc}`, { method: 'PATCH', body: b, headers: { 'Content-Range': `${a.length}-${a.length + b.length - 1}` } });
    assert.equal(p2.status, 202);
    const put = await fetch(`${base}${loc}?digest=${d}`, { method: 'PUT' });
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('docker-content-digest'), d);
    const head = await fetch(`${base}/v2/chunky/blobs/${d}`, { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), '150000');
    // The session is gone once committed.
    const again = await fetch(`${base}${loc}`);
    assert.equal(again.status, 404);
    assert.equal(await errCode(again), 'BLOB_UPLOAD_UNKNOWN');
  });

  test('a chunked upload committed with the wrong digest is refused and gone; cancel removes an upload', async () => {
    const start = await fetch(`${base}/v2/chunky/blobs/uploads/`, { method: 'POST' });
    const loc = start.headers.get('location')!;
    await (await fetch(`${base}${loc}`, { method: 'PATCH', body: 'abc' })).body?.cancel();
    const put = await fetch(`${base}${loc}?digest=${sha('abd')}`, { method: 'PUT' });
    assert.equal(put.status, 400);
    assert.equal(await errCode(put), 'DIGEST_INVALID');
    assert.equal((await fetch(`${base}/v2/chunky/blobs/${sha('abc')}`, { method: 'HEAD' })).status, 404);
    const noDigest = await fetch(`${base}/v2/chunky/blobs/uploads/`, { method: 'POST' });
    const loc2 = noDigest.headers.get('location')!;
    const put2 = await fetch(`${base}${loc2}`, { method: 'PUT' });
    assert.equal(await errCode(put2), 'DIGEST_INVALID');
    const del = await fetch(`${base}${loc2}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.equal((await fetch(`${base}${loc2}`)).status, 404);
    // Another repository's name cannot reach the session.
    const s3 = await fetch(`${base}/v2/chunky/blobs/uploads/`, { method: 'POST' });
    const uuid = s3.headers.get('docker-upload-uuid')!;
    assert.equal((await fetch(`${base}/v2/elsewhere/blobs/uploads/${uuid}`)).status, 404);
    assert.equal((await fetch(`${base}${s3.headers.get('location')}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual(readdirSync(`${root}/content/ingest`), []);
  });

  test('cross-repository mount links a blob the source repository has; otherwise an upload opens', async () => {
    const data = Buffer.from('mount me');
    await (await fetch(`${base}/v2/src/repo/blobs/uploads/?digest=${sha(data)}`, { method: 'POST', body: data })).body?.cancel();
    const m = await fetch(`${base}/v2/dst/repo/blobs/uploads/?mount=${sha(data)}&from=src/repo`, { method: 'POST' });
    assert.equal(m.status, 201);
    assert.equal(m.headers.get('location'), `/v2/dst/repo/blobs/${sha(data)}`);
    assert.equal((await fetch(`${base}/v2/dst/repo/blobs/${sha(data)}`, { method: 'HEAD' })).status, 200);
    const miss = await fetch(`${base}/v2/dst/repo/blobs/uploads/?mount=${sha('nope')}&from=src/repo`, { method: 'POST' });
    assert.equal(miss.status, 202);
    assert.equal((await fetch(`${base}${miss.headers.get('location')}`, { method: 'DELETE' })).status, 204);
  });

  test('manifests: refused while a blob is missing, then by tag and digest with their media type', async () => {
    const early = await fetch(`${base}/v2/team/app/manifests/v1`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': img.mediaType } });
    assert.equal(early.status, 400);
    assert.equal(await errCode(early), 'MANIFEST_BLOB_UNKNOWN');
    await pushImage(base, 'team/app', 'v1', img);
    for (const ref of ['v1', img.manifestDigest]) {
      const r = await fetch(`${base}/v2/team/app/manifests/${ref}`, { headers: { Accept: img.mediaType } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), img.mediaType);
      assert.equal(r.headers.get('docker-content-digest'), img.manifestDigest);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), img.manifest);
    }
    const head = await fetch(`${base}/v2/team/app/manifests/v1`, { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), String(img.manifest.length));
    const unknown = await fetch(`${base}/v2/team/app/manifests/v2`);
    assert.equal(unknown.status, 404);
    assert.equal(await errCode(unknown), 'MANIFEST_UNKNOWN');
    const noRepo = await fetch(`${base}/v2/no/such/manifests/v1`);
    assert.equal(await errCode(noRepo), 'NAME_UNKNOWN');
    // Blobs the manifest names are linked to the repository.
    assert.equal((await fetch(`${base}/v2/team/app/blobs/${img.layers[0]!.digest}`, { method: 'HEAD' })).status, 200);
  });

  test('bad manifests and names: the spec codes', async () => {
    const put = (path: string, body: string | Buffer, ct = img.mediaType) => fetch(`${base}/v2/${path}`, { method: 'PUT', body, headers: { 'Content-Type': ct } });
    assert.equal(await errCode(await put(`team/app/manifests/${sha('x')}`, img.manifest)), 'DIGEST_INVALID');
    assert.equal(await errCode(await put('team/app/manifests/v9', '{not json')), 'MANIFEST_INVALID');
    assert.equal(await errCode(await put('team/app/manifests/v9', '{"schemaVersion":1,"name":"x"}')), 'MANIFEST_INVALID');
    assert.equal(await errCode(await put('team/app/manifests/v9', img.manifest, 'application/vnd.oci.image.index.v1+json')), 'MANIFEST_INVALID');
    assert.equal(await errCode(await put(`team/app/manifests/${'t'.repeat(129)}`, img.manifest)), 'TAG_INVALID');
    assert.equal(await errCode(await put('Team/App/manifests/v1', img.manifest)), 'NAME_INVALID');
    assert.equal(await errCode(await put(`${'a'.repeat(256)}/manifests/v1`, img.manifest)), 'NAME_INVALID');
    assert.equal(await errCode(await fetch(`${base}/v2/team/app/blobs/sha256:zz`)), 'DIGEST_INVALID');
    const big = await put('team/app/manifests/huge', Buffer.alloc(5 << 20, 0x20));
    assert.equal(big.status, 400);
    assert.equal(await errCode(big), 'SIZE_INVALID');
    assert.equal((await fetch(`${base}/v2/team/app/tags/list`).then((r) => r.json()) as { tags: string[] }).tags.includes('v9'), false);
  });

  test('indexes need their manifests in the repository', async () => {
    const index = (digest: string) => Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: img.mediaType, digest, size: img.manifest.length, platform: { architecture: 'amd64', os: 'linux' } }],
    }));
    const bad = await fetch(`${base}/v2/team/app/manifests/multi`, { method: 'PUT', body: index(sha('nothing')), headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' } });
    assert.equal(await errCode(bad), 'MANIFEST_BLOB_UNKNOWN');
    const good = await fetch(`${base}/v2/team/app/manifests/multi`, { method: 'PUT', body: index(img.manifestDigest), headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' } });
    assert.equal(good.status, 201);
    const r = await fetch(`${base}/v2/team/app/manifests/multi`);
    assert.equal(r.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
    await r.body?.cancel();
  });

  test('tag listing and catalog paginate with n/last and a Link header', async () => {
    for (const t of ['a', 'b', 'c', 'd', 'e']) {
      const r = await fetch(`${base}/v2/paged/manifests/${t}`, { method: 'PUT', body: img.manifest, headers: { 'Content-Type': img.mediaType } });
      if (r.status === 400) { await pushImage(base, 'paged', t, img); continue; }
      assert.equal(r.status, 201);
    }
    const p1 = await fetch(`${base}/v2/paged/tags/list?n=2`);
    assert.deepEqual(await p1.json(), { name: 'paged', tags: ['a', 'b'] });
    assert.equal(p1.headers.get('link'), '</v2/paged/tags/list?last=b&n=2>; rel="next"');
    const p3 = await fetch(`${base}/v2/paged/tags/list?n=2&last=d`);
    assert.deepEqual(await p3.json(), { name: 'paged', tags: ['e'] });
    assert.equal(p3.headers.get('link'), null);
    assert.equal(await errCode(await fetch(`${base}/v2/paged/tags/list?n=-1`)), 'PAGINATION_NUMBER_INVALID');
    assert.equal(await errCode(await fetch(`${base}/v2/nothing/here/tags/list`)), 'NAME_UNKNOWN');
    const all = await (await fetch(`${base}/v2/_catalog`)).json() as { repositories: string[] };
    assert.deepEqual(all.repositories, [...all.repositories].sort());
    assert.ok(all.repositories.includes('paged') && all.repositories.includes('team/app'));
    const c1 = await fetch(`${base}/v2/_catalog?n=1`);
    assert.equal((await c1.json() as { repositories: string[] }).repositories.length, 1);
    assert.match(c1.headers.get('link')!, /^<\/v2\/_catalog\?last=[^&]+&n=1>; rel="next"$/);
  });

  test('referrers: manifests with a subject, filtered by artifactType', async () => {
    const empty = Buffer.from('{}');
    await (await fetch(`${base}/v2/team/app/blobs/uploads/?digest=${sha(empty)}`, { method: 'POST', body: empty })).body?.cancel();
    const artifact = (type: string) => Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: type,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha(empty), size: 2 },
      layers: [],
      subject: { mediaType: img.mediaType, digest: img.manifestDigest, size: img.manifest.length },
      annotations: { kind: type },
    }));
    for (const t of ['application/vnd.example.sbom', 'application/vnd.example.sig']) {
      const body = artifact(t);
      const r = await fetch(`${base}/v2/team/app/manifests/${sha(body)}`, { method: 'PUT', body, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(r.status, 201);
      assert.equal(r.headers.get('oci-subject'), img.manifestDigest);
    }
    const all = await fetch(`${base}/v2/team/app/referrers/${img.manifestDigest}`);
    assert.equal(all.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
    const idx = await all.json() as { manifests: Array<{ artifactType: string; annotations: Record<string, string> }> };
    assert.deepEqual(idx.manifests.map((m) => m.artifactType).sort(), ['application/vnd.example.sbom', 'application/vnd.example.sig']);
    const f = await fetch(`${base}/v2/team/app/referrers/${img.manifestDigest}?artifactType=application/vnd.example.sig`);
    assert.equal(f.headers.get('oci-filters-applied'), 'artifactType');
    const fi = await f.json() as { manifests: Array<{ annotations: Record<string, string> }> };
    assert.deepEqual(fi.manifests.map((m) => m.annotations.kind), ['application/vnd.example.sig']);
    const none = await (await fetch(`${base}/v2/team/app/referrers/${sha('unrelated')}`)).json() as { manifests: unknown[] };
    assert.deepEqual(none.manifests, []);
  });

  test('deletion: a tag alone, a manifest with its tags, a blob link', async () => {
    await pushImage(base, 'del/me', 'one', img);
    await pushImage(base, 'del/me', 'two', img);
    const untag = await fetch(`${base}/v2/del/me/manifests/one`, { method: 'DELETE' });
    assert.equal(untag.status, 202);
    assert.deepEqual((await (await fetch(`${base}/v2/del/me/tags/list`)).json() as { tags: string[] }).tags, ['two']);
    assert.equal((await fetch(`${base}/v2/del/me/manifests/${img.manifestDigest}`, { method: 'HEAD' })).status, 200);
    assert.equal((await fetch(`${base}/v2/del/me/manifests/${img.manifestDigest}`, { method: 'DELETE' })).status, 202);
    assert.deepEqual((await (await fetch(`${base}/v2/del/me/tags/list`)).json() as { tags: string[] }).tags, []);
    assert.equal((await fetch(`${base}/v2/del/me/manifests/two`, { method: 'HEAD' })).status, 404);
    const again = await fetch(`${base}/v2/del/me/manifests/${img.manifestDigest}`, { method: 'DELETE' });
    assert.equal(await errCode(again), 'MANIFEST_UNKNOWN');
    assert.equal((await fetch(`${base}/v2/del/me/blobs/${img.config.digest}`, { method: 'DELETE' })).status, 202);
    assert.equal((await fetch(`${base}/v2/del/me/blobs/${img.config.digest}`, { method: 'HEAD' })).status, 404);
    // Other repositories keep their link.
    assert.equal((await fetch(`${base}/v2/team/app/blobs/${img.config.digest}`, { method: 'HEAD' })).status, 200);
  });

  test('an upload cut by a restart leaves no blob and no ingest file', async () => {
    const r2 = mkdtempSync(`${tmpdir()}/berth-registry-crash-`);
    try {
      const s = new RegistryServer({ config: loadConfig({ listen: '127.0.0.1:0', root: r2 }) });
      const { port } = await s.listen();
      const start = await fetch(`http://127.0.0.1:${port}/v2/x/blobs/uploads/`, { method: 'POST' });
      await (await fetch(`http://127.0.0.1:${port}${start.headers.get('location')}`, { method: 'PATCH', body: 'partial' })).body?.cancel();
      assert.equal(readdirSync(`${r2}/content/ingest`).length, 1);
      // No close(): as if killed. A new server on the same root starts clean.
      const s2 = new RegistryServer({ config: loadConfig({ listen: '127.0.0.1:0', root: r2 }) });
      assert.deepEqual(readdirSync(`${r2}/content/ingest`), []);
      assert.deepEqual(readdirSync(`${r2}/content/blobs/sha256`), []);
      await s2.close();
      await s.close();
    } finally {
      rmSync(r2, { recursive: true, force: true });
    }
  });
});
