// Slow clients: a connection that sends nothing, partial headers, or a body
// that never completes is closed by the header and request timeouts, while
// answers that last (events, attach) outlive both.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeView } from './fakes.ts';
import { startApi, tick } from './harness.ts';

const limits = { headersTimeoutMs: 300, requestTimeoutMs: 600 };

test('a connection that sends nothing, or partial headers, is closed after the headers timeout', async (t) => {
  const api = await startApi(t, { limits });
  const idle = await api.connect();
  const partial = await api.connect();
  partial.write('GET /_ping HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  const t0 = Date.now();
  const [a, b] = await Promise.all([idle.readToEnd(), partial.readToEnd()]);
  const ms = Date.now() - t0;
  assert.match(a.toString(), /^HTTP\/1\.1 408 /);
  assert.match(b.toString(), /^HTTP\/1\.1 408 /);
  assert.ok(ms >= 250 && ms < 1500, `closed after ${ms} ms`);
});

test('a body that does not arrive within the request timeout: 408 and closed; a prompt one is served', async (t) => {
  const api = await startApi(t, { limits });
  const slow = await api.connect();
  slow.write('POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"Ima');
  const out = (await slow.readToEnd()).toString();
  assert.match(out, /^HTTP\/1\.1 408 /);
  assert.match(out, /request body not received within 600 ms \(api-request-timeout\)/);
  assert.equal((await api.request('POST', '/containers/create', { body: { Image: 'busybox' } })).status, 201);
});

test('long answers outlive both timeouts: an events stream and an upgraded attach', async (t) => {
  const api = await startApi(t, { limits });
  api.containers.add(makeView({ id: 'a'.repeat(64), name: 'web' }));
  const events = await api.connect();
  events.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.match((await events.readHead()).statusLine, /^HTTP\/1\.1 200/);
  const attach = await api.connect();
  attach.write('POST /containers/web/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  assert.equal((await attach.readHead()).statusLine, 'HTTP/1.1 101 UPGRADED');
  await tick(1500);
  assert.equal(events.ended, false, 'events stream cut');
  assert.equal(attach.ended, false, 'attach cut');
  api.events.emit('container', 'start', 'x');
  assert.match((await events.readBytes(10)).toString(), /\w/);
});

test('request heads past api-max-header-size are answered 431; smaller ones are served', async (t) => {
  const api = await startApi(t, { limits: { maxHeaderSize: 2048 } });
  const big = await api.connect();
  big.write(`GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(3000)}\r\n\r\n`);
  assert.match((await big.readToEnd()).toString(), /^HTTP\/1\.1 431 /);
  const ok = await api.connect();
  ok.write(`GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Small: ${'a'.repeat(1500)}\r\n\r\n`);
  assert.match((await ok.readToEnd()).toString(), /^HTTP\/1\.1 200 /);
});
