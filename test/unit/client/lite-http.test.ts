// The small HTTP/1.1 client the CLI uses for whole-answer requests
// (src/client/lite-http.ts), against a raw socket server that writes
// answers byte for byte: framing, keep-alive, retries and errors.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiteHttp } from '../../../src/client/lite-http.ts';

/** Each test runs on libuv's pipe handle (pipe-socket.ts, the CLI's path) and on node:net (its fallback). */
function both(name: string, fn: (t: TestContext) => Promise<void>): void {
  test(`${name} (pipe handle)`, fn);
  test(`${name} (node:net)`, async (t) => {
    process.env.BERTH_NO_NODE_BINDINGS = '1';
    try {
      await fn(t);
    } finally {
      delete process.env.BERTH_NO_NODE_BINDINGS;
    }
  });
}

interface Raw { path: string; connections: number; requests: string[]; server: Server }

/** A server that answers each request head with `answer(head, socket)`. */
async function rawServer(t: { after(fn: () => unknown): void }, answer: (head: string, sock: Socket) => void): Promise<Raw> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-lite-'));
  const raw: Raw = { path: join(dir, 's.sock'), connections: 0, requests: [], server: createServer() };
  const open = new Set<Socket>();
  raw.server.on('connection', (sock) => {
    raw.connections++;
    open.add(sock);
    sock.on('close', () => open.delete(sock));
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n\r\n'); i >= 0; i = buf.indexOf('\r\n\r\n')) {
        let head = buf.slice(0, i);
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < i + 4 + len) return;
        head += `\r\n\r\n${buf.slice(i + 4, i + 4 + len)}`;
        buf = buf.slice(i + 4 + len);
        raw.requests.push(head);
        answer(head, sock);
      }
    });
  });
  await new Promise<void>((resolve) => raw.server.listen(raw.path, resolve));
  t.after(async () => {
    for (const s of open) s.destroy();
    await new Promise((resolve) => raw.server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  return raw;
}

/** Writes `text` one byte per tick: every split point of a response is seen. */
function dribble(sock: Socket, text: string, then?: () => void): void {
  let i = 0;
  const next = () => {
    if (i >= text.length) { then?.(); return; }
    sock.write(text[i++], 'latin1');
    setImmediate(next);
  };
  next();
}

both('Content-Length answers; keep-alive: sequential requests share one connection', async (t) => {
  const raw = await rawServer(t, (head, sock) => {
    const body = JSON.stringify({ path: head.split(' ')[1] });
    sock.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nApi-Version: 1.56\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  });
  const c = new LiteHttp({ socketPath: raw.path });
  t.after(() => c.close());
  for (const p of ['/_ping', '/v1.56/version?a=1']) {
    const res = await c.request({ method: 'GET', path: p, headers: { 'User-Agent': 'berth/test' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.statusMessage, 'OK');
    assert.equal(res.headers['api-version'], '1.56');
    assert.deepEqual(JSON.parse(res.body.toString()), { path: p });
  }
  assert.equal(raw.connections, 1);
  assert.match(raw.requests[0], /^GET \/_ping HTTP\/1\.1\r\nHost: localhost\r\nUser-Agent: berth\/test\r\n/);
});

both('a JSON body goes with its length; a POST without one says Content-Length: 0', async (t) => {
  const raw = await rawServer(t, (_head, sock) => sock.write('HTTP/1.1 204 No Content\r\n\r\n'));
  const c = new LiteHttp({ socketPath: raw.path });
  t.after(() => c.close());
  const body = JSON.stringify({ Name: 'é' });
  assert.equal((await c.request({ method: 'POST', path: '/x', headers: { 'Content-Type': 'application/json' }, body })).statusCode, 204);
  assert.equal((await c.request({ method: 'POST', path: '/y', headers: {} })).body.length, 0);
  assert.match(raw.requests[0], new RegExp(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`));
  assert.ok(raw.requests[0].endsWith(Buffer.from(body).toString('latin1')));
  assert.match(raw.requests[1], /Content-Length: 0\r\n\r\n$/);
  assert.equal(raw.connections, 1);
});

both('chunked bodies split at every byte, with extensions and trailers; HEAD has no body', async (t) => {
  const raw = await rawServer(t, (head, sock) => {
    if (head.startsWith('HEAD')) {
      sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nApi-Version: 1.47\r\n\r\n');
      return;
    }
    dribble(sock, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nX-A: 2\r\n\r\n' +
      '5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n');
  });
  const c = new LiteHttp({ socketPath: raw.path });
  t.after(() => c.close());
  const head = await c.request({ method: 'HEAD', path: '/_ping', headers: {} });
  assert.equal(head.headers['api-version'], '1.47');
  assert.equal(head.body.length, 0);
  const res = await c.request({ method: 'GET', path: '/c', headers: {} });
  assert.equal(res.body.toString(), 'hello 0123456789');
  assert.equal(res.headers['x-a'], '1, 2');
  assert.equal((await c.request({ method: 'GET', path: '/c', headers: {} })).body.toString(), 'hello 0123456789');
  assert.equal(raw.connections, 1);
});

both('a body without length ends at close, and that connection is not reused', async (t) => {
  const raw = await rawServer(t, (_head, sock) => dribble(sock, 'HTTP/1.0 500 Internal Server Error\r\n\r\nplain failure\n', () => sock.end()));
  const c = new LiteHttp({ socketPath: raw.path });
  t.after(() => c.close());
  for (let i = 0; i < 2; i++) {
    const res = await c.request({ method: 'GET', path: '/e', headers: {} });
    assert.equal(res.statusCode, 500);
    assert.equal(res.body.toString(), 'plain failure\n');
  }
  assert.equal(raw.connections, 2);
});

both('a reused connection the server drops as the request arrives: a GET is retried on a new one, a POST is not', async (t) => {
  const seen = new WeakMap<Socket, number>();
  const raw = await rawServer(t, (head, sock) => {
    const n = (seen.get(sock) ?? 0) + 1;
    seen.set(sock, n);
    // A keep-alive timeout that fires just as the next request comes in.
    if (n > 1 && head.includes(' /drop')) sock.destroy();
    else sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
  const c = new LiteHttp({ socketPath: raw.path });
  t.after(() => c.close());
  await c.request({ method: 'GET', path: '/a', headers: {} });
  assert.equal((await c.request({ method: 'GET', path: '/drop-get', headers: {} })).body.toString(), 'ok');
  assert.equal(raw.connections, 2);
  await assert.rejects(c.request({ method: 'POST', path: '/drop-post', headers: {}, body: '{}' }), { code: 'ECONNRESET' });
  assert.equal(raw.connections, 2);
  assert.deepEqual(raw.requests.map((r) => r.split(' ').slice(0, 2).join(' ')), ['GET /a', 'GET /drop-get', 'GET /drop-get', 'POST /drop-post']);
});

both('errors: a hang-up mid-answer, an aborted signal, a body over the limit, a malformed status line', async (t) => {
  const raw = await rawServer(t, (head, sock) => {
    const path = head.split(' ')[1];
    if (path === '/hangup') sock.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    else if (path === '/big') sock.write(`HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n${'x'.repeat(100)}`);
    else if (path === '/garbage') sock.write('SSH-2.0-OpenSSH\r\n\r\n');
    // /slow: no answer at all
  });
  const c = new LiteHttp({ socketPath: raw.path }, 50);
  t.after(() => c.close());
  await assert.rejects(c.request({ method: 'GET', path: '/hangup', headers: {} }), { message: 'socket hang up', code: 'ECONNRESET' });
  await assert.rejects(c.request({ method: 'GET', path: '/big', headers: {} }), { message: 'response body exceeds 50 bytes' });
  await assert.rejects(c.request({ method: 'GET', path: '/garbage', headers: {} }), /malformed HTTP response/);
  const ac = new AbortController();
  const slow = c.request({ method: 'GET', path: '/slow', headers: {}, signal: ac.signal });
  setTimeout(() => ac.abort(), 20);
  await assert.rejects(slow, { name: 'AbortError' });
  await assert.rejects(c.request({ method: 'GET', path: '/slow', headers: {}, signal: ac.signal }), { name: 'AbortError' });
});

both('a missing socket is the socket error (ENOENT), for the transport to word', async () => {
  const c = new LiteHttp({ socketPath: '/nonexistent/berth-lite.sock' });
  await assert.rejects(c.request({ method: 'GET', path: '/_ping', headers: {} }), { code: 'ENOENT' });
  c.close();
});
