// Upload bodies of 1 MiB and more are read past Node's HTTP parser, from
// the socket itself (src/registry/raw-body.ts): the same bytes land in the
// blob whether the parser had some of them first or none, the connection is
// closed after the answer (the parser was left mid-body), a cut body keeps
// what arrived for a resume, and small bodies keep their keep-alive. And big
// GETs by sendfile, whole and ranged, with a client that leaves mid-body.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../../src/registry/config.ts';
import { RegistryServer } from '../../../src/registry/server.ts';
import { sha } from '../../helpers/oci.ts';

let root: string;
let server: RegistryServer;
let port: number;
let base: string;

before(async () => {
  root = mkdtempSync(`${tmpdir()}/berth-registry-raw-`);
  server = new RegistryServer({ config: loadConfig({ listen: '127.0.0.1:0', root }) });
  port = (await server.listen()).port;
  base = `http://127.0.0.1:${port}`;
});

after(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

/** closed: the server closed the connection (not the test's timer). */
interface RawAnswer { status: number; headers: Record<string, string>; closed: boolean }

/**
 * Sends a request by hand: the head, then each piece of the body after a
 * pause (so the server's parser sees only the first); resolves with the
 * answer's head, and whether the server then closed the connection.
 */
function rawRequest(method: string, path: string, headers: Record<string, string>, pieces: Buffer[], cutAfter = false): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    let answer: RawAnswer | null = null;
    let byUs = false;
    s.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      const end = got.indexOf('\r\n\r\n');
      if (answer || end < 0) return;
      const [line, ...rest] = got.subarray(0, end).toString('latin1').split('\r\n');
      const hs: Record<string, string> = {};
      for (const l of rest) hs[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      answer = { status: Number(/^HTTP\/1\.1 (\d+)/.exec(line!)![1]), headers: hs, closed: false };
    });
    s.on('error', (err) => { if (!cutAfter) reject(err); });
    s.on('close', () => {
      if (answer) resolve({ ...answer, closed: !byUs });
      else if (cutAfter) resolve({ status: 0, headers: {}, closed: true });
      else reject(new Error('closed without an answer'));
    });
    s.on('connect', async () => {
      const head = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      s.write(`${head.join('\r\n')}\r\n\r\n`);
      for (const p of pieces) {
        s.write(p);
        await new Promise((r) => setTimeout(r, 50));
      }
      if (cutAfter) s.destroy();
      // Else: the answer comes, then the server closes (or, kept alive, the test's timer does).
      else setTimeout(() => { byUs = true; s.destroy(); }, 1000).unref();
    });
  });
}

async function openUpload(repo: string): Promise<string> {
  const r = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(r.status, 202);
  return r.headers.get('location')!;
}

const blobFile = (d: string) => `${root}/content/blobs/sha256/${d.slice('sha256:'.length)}`;

describe('upload bodies read from the socket', () => {
  test('a monolithic PUT of 5 MiB, the parser given its first 100 KiB: the blob is exact, the connection closed', async () => {
    const data = randomBytes(5 << 20);
    const d = sha(data);
    const loc = await openUpload('raw/mono');
    const a = await rawRequest('PUT', `${loc}?digest=${d}`, { 'Content-Length': String(data.length) },
      [data.subarray(0, 100_000), data.subarray(100_000)]);
    assert.equal(a.status, 201);
    assert.equal(a.headers['docker-content-digest'], d);
    assert.equal(a.headers.connection, 'close');
    assert.ok(a.closed);
    assert.ok(readFileSync(blobFile(d)).equals(data));
    // The next request, on a new connection, is served as ever.
    const head = await fetch(`${base}/v2/raw/mono/blobs/${d}`, { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), String(data.length));
  });

  test('chunked: PATCHes of 3 MiB and 2 MiB through fetch, then PUT; a small PATCH keeps its connection', async () => {
    const a = randomBytes(3 << 20);
    const b = randomBytes(2 << 20);
    const c = randomBytes(1000);
    const d = sha(Buffer.concat([a, b, c]));
    const loc = await openUpload('raw/chunked');
    const p1 = await fetch(`${base}${loc}`, { method: 'PATCH', body: a, headers: { 'Content-Range': `0-${a.length - 1}` } });
    assert.equal(p1.status, 202);
    assert.equal(p1.headers.get('range'), `0-${a.length - 1}`);
    assert.equal(p1.headers.get('connection'), 'close');
    const p2 = await fetch(`${base}${loc}`, { method: 'PATCH', body: b, headers: { 'Content-Range': `${a.length}-${a.length + b.length - 1}` } });
    assert.equal(p2.status, 202);
    const small = await rawRequest('PATCH', loc, { 'Content-Length': String(c.length), 'Content-Range': `${a.length + b.length}-${a.length + b.length + c.length - 1}` }, [c]);
    assert.equal(small.status, 202);
    assert.notEqual(small.headers.connection, 'close');
    assert.equal(small.closed, false);
    const put = await fetch(`${base}${loc}?digest=${d}`, { method: 'PUT' });
    assert.equal(put.status, 201);
    assert.ok(readFileSync(blobFile(d)).equals(Buffer.concat([a, b, c])));
  });

  test('a body cut off keeps what arrived; the upload resumes from there', async () => {
    const data = randomBytes(4 << 20);
    const d = sha(data);
    const loc = await openUpload('raw/cut');
    const half = 2 << 20;
    await rawRequest('PATCH', loc, { 'Content-Length': String(data.length), 'Content-Range': `0-${data.length - 1}` },
      [data.subarray(0, 10_000), data.subarray(10_000, half)], true);
    let range = '';
    for (let i = 0; i < 50 && range !== `0-${half - 1}`; i++) {
      await new Promise((r) => setTimeout(r, 100));
      range = (await fetch(`${base}${loc}`)).headers.get('range') ?? '';
    }
    assert.equal(range, `0-${half - 1}`);
    const rest = await fetch(`${base}${loc}`, { method: 'PATCH', body: data.subarray(half), headers: { 'Content-Range': `${half}-${data.length - 1}` } });
    assert.equal(rest.status, 202);
    const put = await fetch(`${base}${loc}?digest=${d}`, { method: 'PUT' });
    assert.equal(put.status, 201);
    assert.ok(readFileSync(blobFile(d)).equals(data));
  });

  test('a big body that does not match its digest is refused and leaves no blob and no ingest file', async () => {
    const data = randomBytes(2 << 20);
    const wrong = sha(Buffer.from('something else'));
    const before = readdirSync(`${root}/content/blobs/sha256`).length;
    const r = await fetch(`${base}/v2/raw/bad/blobs/uploads/?digest=${wrong}`, { method: 'POST', body: data });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { errors: Array<{ code: string }> }).errors[0]!.code, 'DIGEST_INVALID');
    assert.equal(readdirSync(`${root}/content/blobs/sha256`).length, before);
    assert.deepEqual(readdirSync(`${root}/content/ingest`), []);
  });
});

describe('big blob GETs (sendfile)', () => {
  test('a 9 MiB blob: whole, a Range of 8.5 MiB, and 6 at once, byte for byte; the connection serves the next request', async () => {
    const data = randomBytes(9 << 20);
    const d = sha(data);
    const up = await fetch(`${base}/v2/raw/get/blobs/uploads/?digest=${d}`, { method: 'POST', body: data });
    assert.equal(up.status, 201);
    const whole = await fetch(`${base}/v2/raw/get/blobs/${d}`);
    assert.equal(whole.status, 200);
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(data));
    const from = 100_000;
    const to = from + (17 << 19) - 1;
    const part = await fetch(`${base}/v2/raw/get/blobs/${d}`, { headers: { Range: `bytes=${from}-${to}` } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes ${from}-${to}/${data.length}`);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(data.subarray(from, to + 1)));
    const many = await Promise.all(Array.from({ length: 6 }, async () => Buffer.from(await (await fetch(`${base}/v2/raw/get/blobs/${d}`)).arrayBuffer())));
    for (const m of many) assert.ok(m.equals(data));
    // And a small request after them.
    const head = await fetch(`${base}/v2/raw/get/blobs/${d}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });

  test('a client that goes away mid-body leaves the server serving', async () => {
    const data = randomBytes(16 << 20);
    const d = sha(data);
    assert.equal((await fetch(`${base}/v2/raw/gone/blobs/uploads/?digest=${d}`, { method: 'POST', body: data })).status, 201);
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(`GET /v2/raw/gone/blobs/${d} HTTP/1.1\r\nHost: x\r\n\r\n`));
      let n = 0;
      s.on('data', (c: Buffer) => { n += c.length; if (n > 1 << 20) s.destroy(); });
      s.on('close', () => resolve());
      s.on('error', () => {});
    });
    const again = await fetch(`${base}/v2/raw/gone/blobs/${d}`);
    assert.ok(Buffer.from(await again.arrayBuffer()).equals(data));
  });
});
