// The websocket attach in-process: handshake after the container check,
// binary or text messages by API version, stdin, detach keys, version rules
// for the stream parameters.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { ContainerConfig } from '../../../src/core/container.ts';
import { makeView, type FakeSession } from './fakes.ts';
import { startApi, tick, type Api } from './harness.ts';

const ID = 'a'.repeat(64);

async function withContainer(t: Parameters<typeof startApi>[0], config: Partial<ContainerConfig> = {}, opts: Parameters<typeof startApi>[1] = {}): Promise<Api> {
  const api = await startApi(t, opts);
  const v = api.containers.add(makeView({ id: ID, name: 'web' }));
  v.config = { ...v.config, ...config };
  return api;
}

function open(api: Api, path: string): Promise<{ ws: WebSocket; messages: Array<{ binary: boolean; text: string }>; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws+unix://${api.socket}:${path}`);
    const messages: Array<{ binary: boolean; text: string }> = [];
    ws.on('message', (d: Buffer, binary: boolean) => messages.push({ binary, text: d.toString() }));
    const closed = new Promise<void>((r) => ws.on('close', () => r()));
    ws.on('open', () => resolve({ ws, messages, closed }));
    ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.on('error', () => {});
  });
}

async function session(api: Api): Promise<FakeSession> {
  for (let i = 0; i < 100 && api.containers.sessions.length === 0; i++) await tick(5);
  const s = api.containers.sessions.at(-1);
  assert.ok(s, 'the service got no attach');
  return s;
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await tick(10);
  assert.ok(cond(), what);
}

test('ws attach: binary messages, raw (never framed), stdin in, end closes', async (t) => {
  const api = await withContainer(t, { openStdin: true });
  const c = await open(api, '/v1.44/containers/web/attach/ws?stream=1&stdin=1&stdout=1&stderr=1');
  const s = await session(api);
  assert.deepEqual(s.opts, { stdin: true, stdout: true, stderr: true, stream: true, logs: false });
  s.out.data('stdout', Buffer.from('out'));
  s.out.data('stderr', Buffer.from('err'));
  c.ws.send('in\n');
  await until('input reached the container', () => Buffer.concat(s.written).toString() === 'in\n');
  await until('two messages', () => c.messages.length === 2);
  assert.deepEqual(c.messages, [{ binary: true, text: 'out' }, { binary: true, text: 'err' }]);
  s.out.end();
  await c.closed;
});

test('ws attach: text messages below 1.28; every stream below 1.42 whatever the query says', async (t) => {
  const api = await withContainer(t);
  const c = await open(api, '/v1.27/containers/web/attach/ws?stream=1');
  const s = await session(api);
  assert.deepEqual(s.opts, { stdin: true, stdout: true, stderr: true, stream: true, logs: false });
  s.out.data('stdout', Buffer.from('x'));
  await until('a message', () => c.messages.length === 1);
  assert.deepEqual(c.messages, [{ binary: false, text: 'x' }]);
  c.ws.close();
});

test('ws attach: detach keys on a TTY end the session; an unknown container is a 404 before the handshake', async (t) => {
  const api = await withContainer(t, { tty: true, openStdin: true }, { detachKeys: 'ctrl-y' });
  const c = await open(api, '/v1.44/containers/web/attach/ws?stream=1&stdin=1&stdout=1');
  const s = await session(api);
  c.ws.send('ls\r\x19');
  await c.closed;
  assert.equal(Buffer.concat(s.written).toString(), 'ls\r');
  assert.equal(s.detached, true);
  await assert.rejects(open(api, '/v1.44/containers/nosuch/attach/ws?stream=1'), (e: { status?: number }) => e.status === 404);
});
