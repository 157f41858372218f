// The lean blob GET (one reused read buffer, Content-Length bodies only)
// and the slab writer behind it: bytes arrive whole and in order however
// the server cuts them and however slowly the consumer writes; a cut body,
// a silent server and anything but a plain body are said so, not hidden.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { isCode } from '../../../src/core/errors.ts';
import { leanGet } from '../../../src/images/distribution/lean-get.ts';
import type { Ingest } from '../../../src/stores/content.ts';
import { CopyBehind } from '../../../src/stores/write-behind.ts';

const T = { headersMs: 1000, idleMs: 500 };

/** A TCP server that answers every connection with `answer` (raw bytes, in the pieces given, a pause between). */
async function serve(t: { after: (fn: () => Promise<void>) => void }, answer: (req: string) => Buffer[], close = true): Promise<string> {
  const socks = new Set<Socket>();
  const server: Server = createServer((sock) => {
    socks.add(sock);
    let req = '';
    sock.on('data', async (d) => {
      req += d.toString('latin1');
      if (!req.includes('\r\n\r\n')) return;
      for (const piece of answer(req)) {
        if (sock.destroyed) return;
        sock.write(piece);
        await new Promise((r) => setTimeout(r, 2));
      }
      if (close) sock.end();
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { server.close(() => r()); for (const s of socks) s.destroy(); }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const head = (status: string, headers: string[]) => Buffer.from(`HTTP/1.1 ${status}\r\n${headers.join('\r\n')}\r\n\r\n`);

function pieces(b: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let p = 0;
  for (let i = 0; p < b.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(b.subarray(p, p + n));
    p += n;
  }
  return out;
}

describe('leanGet', () => {
  test('a Content-Length body arrives whole, the head split anywhere, a slow consumer waited for', async (t) => {
    const body = randomBytes(3 * 1024 * 1024 + 17);
    let asked = '';
    const url = await serve(t, (req) => {
      asked = req;
      return pieces(Buffer.concat([head('200 OK', [`Content-Length: ${body.length}`, 'X-Twice: a', 'X-Twice: b']), body]), [7, 100_000, 1, 777_777]);
    });
    const r = await leanGet(`${url}/v2/a/blobs/sha256:x?q=1`, { Range: 'bytes=0-', Authorization: 'Bearer tok' }, T);
    assert.ok(r);
    assert.equal(r.status, 200);
    assert.equal(r.length, body.length);
    assert.equal(r.headers['x-twice'], 'a, b');
    assert.match(asked, /^GET \/v2\/a\/blobs\/sha256:x\?q=1 HTTP\/1\.1\r\n/);
    assert.match(asked, /\r\nAuthorization: Bearer tok\r\n/);
    assert.match(asked, /\r\nRange: bytes=0-\r\n/);
    const got: Buffer[] = [];
    let n = 0;
    // Every fourth piece "writes" slowly: reading must wait, and the lent piece must stay intact until then.
    await r.pump((c) => {
      got.push(Buffer.from(c));
      return ++n % 4 === 0 ? new Promise((res) => setTimeout(res, 5)) : null;
    });
    assert.ok(Buffer.concat(got).equals(body));
  });

  test('a body cut short rejects as unavailable, naming how far it got', async (t) => {
    const url = await serve(t, () => [head('200 OK', ['Content-Length: 1000']), Buffer.alloc(400, 1)]);
    const r = await leanGet(`${url}/b`, {}, T);
    assert.ok(r);
    let got = 0;
    await assert.rejects(r.pump((c) => { got += c.length; return null; }),
      (err) => isCode(err, 'unavailable') && /closed after 400 of 1000 bytes/.test((err as Error).message));
    assert.equal(got, 400);
  });

  test('a server that stops sending mid-body fails after the idle timeout', async (t) => {
    const url = await serve(t, () => [head('200 OK', ['Content-Length: 1000']), Buffer.alloc(10)], false);
    const r = await leanGet(`${url}/b`, {}, T);
    assert.ok(r);
    await assert.rejects(r.pump(() => null), (err) => isCode(err, 'unavailable') && /127\.0\.0\.1:\d+ stopped sending/.test((err as Error).message));
  });

  test('no head in time fails; a chunked body and other answers come back for the caller to redo', async (t) => {
    const silent = await serve(t, () => [], false);
    await assert.rejects(leanGet(`${silent}/b`, {}, T), (err) => isCode(err, 'unavailable') && /no response from 127\.0\.0\.1:\d+ within 1s/.test((err as Error).message));
    const chunked = await serve(t, () => [head('200 OK', ['Transfer-Encoding: chunked']), Buffer.from('3\r\nabc\r\n0\r\n\r\n')]);
    const c = await leanGet(`${chunked}/b`, {}, T);
    assert.equal(c?.length, null);
    c!.destroy();
    const redirect = await serve(t, () => [head('307 Temporary Redirect', ['Location: http://elsewhere/b', 'Content-Length: 0'])]);
    const d = await leanGet(`${redirect}/b`, {}, T);
    assert.equal(d?.status, 307);
    assert.equal(d?.headers.location, 'http://elsewhere/b');
    d!.destroy();
  });

  test('https and header values with line breaks are not sent this way', async () => {
    assert.equal(await leanGet('https://127.0.0.1:1/b', {}, T), null);
    assert.equal(await leanGet('http://127.0.0.1:1/b', { Authorization: 'Bearer x\r\nEvil: 1' }, T), null);
  });
});

/** An ingest that only appends (slowly) into memory, or fails at the nth write. */
function memIngest(failAt = Infinity): Ingest & { bytes: () => Buffer; writes: number } {
  const parts: Buffer[] = [];
  let offset = 0;
  const ing = {
    writes: 0,
    get offset() { return offset; },
    path: '/dev/null',
    bytes: () => Buffer.concat(parts),
    async write(chunk: Buffer | readonly Buffer[]) {
      if (++ing.writes >= failAt) throw new Error('disk full');
      await new Promise((r) => setTimeout(r, 1));
      for (const c of Buffer.isBuffer(chunk) ? [chunk] : chunk) { parts.push(Buffer.from(c)); offset += c.length; }
    },
    commit: async () => ({ digest: '', size: offset }),
    release: async () => {},
    abort: async () => {},
  };
  return ing as unknown as Ingest & { bytes: () => Buffer; writes: number };
}

describe('CopyBehind', () => {
  test('lent chunks of any size land whole and in order; the lender is reused after each push', async () => {
    const ing = memIngest();
    let written = 0;
    const w = new CopyBehind(ing, () => { written = ing.offset; }, 1000);
    const want = randomBytes(50_000);
    const lent = Buffer.alloc(3000);
    for (const size of [1, 999, 1000, 1001, 2999, 3000, 7]) {
      for (let p = 0; p < 7_000; p += size) {
        const n = Math.min(size, want.length);
        const off = (p * 7 + size) % (want.length - n);
        want.copy(lent, 0, off, off + n);
        const wait = w.push(lent.subarray(0, n));
        if (wait) await wait;
        lent.fill(0xee);
      }
    }
    await w.flush();
    // Rebuild what was pushed, the same way.
    const expect: Buffer[] = [];
    for (const size of [1, 999, 1000, 1001, 2999, 3000, 7]) {
      for (let p = 0; p < 7_000; p += size) {
        const n = Math.min(size, want.length);
        const off = (p * 7 + size) % (want.length - n);
        expect.push(want.subarray(off, off + n));
      }
    }
    assert.ok(ing.bytes().equals(Buffer.concat(expect)));
    assert.equal(written, ing.offset);
    assert.ok(ing.writes > 10);
  });

  test('a failed write is thrown by flush and by the next push', async () => {
    const ing = memIngest(2);
    const w = new CopyBehind(ing, () => {}, 100);
    let threw: unknown = null;
    try {
      for (let i = 0; i < 50; i++) {
        const wait = w.push(Buffer.alloc(60, i));
        if (wait) await wait;
      }
    } catch (err) {
      threw = err;
    }
    assert.match(String(threw), /disk full/);
    await assert.rejects(w.flush(), /disk full/);
  });
});
