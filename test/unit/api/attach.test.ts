// The hijacked attach, driven over a raw socket the way the docker CLI does.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerConfig } from '../../../src/core/container.ts';
import { makeView, type FakeSession } from './fakes.ts';
import { startApi, tick, type Api, type RawConn } from './harness.ts';

const ID = 'a'.repeat(64);

async function withContainer(t: Parameters<typeof startApi>[0], config: Partial<ContainerConfig> = {}): Promise<Api> {
  const api = await startApi(t);
  const v = api.containers.add(makeView({ id: ID, name: 'web' }));
  v.config = { ...v.config, ...config };
  return api;
}

function upgradeRequest(path: string, extra = ''): string {
  return `POST ${path} HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: Docker-Client/28.2.2 (linux)\r\n` +
    'Content-Length: 0\r\nConnection: Upgrade\r\nContent-Type: text/plain\r\nUpgrade: tcp\r\n\r\n' + extra;
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

async function upgrade(conn: RawConn, path: string, extra = ''): Promise<Record<string, string>> {
  conn.write(upgradeRequest(path, extra));
  const { statusLine, headers } = await conn.readHead();
  assert.equal(statusLine, 'HTTP/1.1 101 UPGRADED');
  assert.equal(headers['connection'], 'Upgrade');
  assert.equal(headers['upgrade'], 'tcp');
  return headers;
}

test('attach -i without TTY: 101, framed output, stdin in, half-close closes stdin', async (t) => {
  const api = await withContainer(t, { openStdin: true, stdinOnce: true, attachStdin: true });
  const conn = await api.connect();
  const headers = await upgrade(conn, '/v1.44/containers/web/attach?stream=1&stdin=1&stdout=1&stderr=1');
  assert.equal(headers['content-type'], 'application/vnd.docker.multiplexed-stream');
  const s = await session(api);
  assert.deepEqual(s.opts, { stdin: true, stdout: true, stderr: true, stream: true, logs: false });

  s.out.data('stdout', Buffer.from('hello\n'));
  s.out.data('stderr', Buffer.from('oops\n'));
  assert.deepEqual(await conn.readFrame(), { stream: 1, data: 'hello\n' });
  assert.deepEqual(await conn.readFrame(), { stream: 2, data: 'oops\n' });

  conn.write('to stdin\n');
  await until('stdin reached the container', () => Buffer.concat(s.written).toString() === 'to stdin\n');
  conn.socket.end();
  await until('stdin closed', () => s.stdinClosed);
  assert.equal(s.detached, false, 'StdinOnce keeps the output flowing after stdin closes');

  s.out.data('stdout', Buffer.from('bye\n'));
  assert.deepEqual(await conn.readFrame(), { stream: 1, data: 'bye\n' });
  s.out.end();
  assert.equal((await conn.readToEnd()).length, 0);
});

test('attach below API 1.42 says raw-stream but frames a non-TTY container', async (t) => {
  const api = await withContainer(t);
  const conn = await api.connect();
  const headers = await upgrade(conn, '/v1.41/containers/web/attach?stream=1&stdout=1&stderr=1');
  assert.equal(headers['content-type'], 'application/vnd.docker.raw-stream');
  const s = await session(api);
  s.out.data('stdout', Buffer.from('x'));
  assert.deepEqual(await conn.readFrame(), { stream: 1, data: 'x' });
});

test('attach with a TTY is raw both ways and honours the detach keys', async (t) => {
  const api = await withContainer(t, { tty: true, openStdin: true, stdinOnce: true });
  const conn = await api.connect();
  const headers = await upgrade(conn, '/containers/web/attach?stream=1&stdin=1&stdout=1&stderr=1');
  assert.equal(headers['content-type'], 'application/vnd.docker.raw-stream');
  const s = await session(api);
  s.out.data('stdout', Buffer.from('$ '));
  assert.equal((await conn.readBytes(2)).toString(), '$ ');
  // ctrl-p alone is held back, then released when the next byte is not ctrl-q.
  conn.write('ls\x10');
  await tick(30);
  assert.equal(Buffer.concat(s.written).toString(), 'ls');
  conn.write('x\x10\x11ignored');
  await until('detached', () => s.detached);
  assert.equal(Buffer.concat(s.written).toString(), 'ls\x10x');
  assert.equal((await conn.readToEnd()).length, 0);
});

test('custom detachKeys, and invalid ones refused before the hijack', async (t) => {
  const api = await withContainer(t, { tty: true, openStdin: true });
  const bad = await api.connect();
  bad.write(upgradeRequest('/containers/web/attach?stream=1&stdin=1&detachKeys=ctrl-%3F%3F'));
  const head = await bad.readHead();
  assert.equal(head.statusLine, 'HTTP/1.1 400 Bad Request');
  assert.equal(JSON.parse((await bad.readToEnd()).toString()).message, 'Invalid detach keys (ctrl-??) provided');

  const conn = await api.connect();
  await upgrade(conn, '/containers/web/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-a,x');
  const s = await session(api);
  conn.write('a\x01x');
  await until('detached', () => s.detached);
  assert.equal(Buffer.concat(s.written).toString(), 'a');
});

test('bytes sent right behind the request headers reach stdin', async (t) => {
  const api = await withContainer(t, { openStdin: true, stdinOnce: true });
  const conn = await api.connect();
  await upgrade(conn, '/containers/web/attach?stream=1&stdin=1&stdout=1', 'early bytes');
  const s = await session(api);
  await until('early input forwarded', () => Buffer.concat(s.written).toString() === 'early bytes');
});

test('output delivered before the attach resolves follows the 101 in order', async (t) => {
  const api = await withContainer(t);
  api.containers.replayOnAttach = [['stdout', 'old line\n'], ['stderr', 'old err\n']];
  const conn = await api.connect();
  await upgrade(conn, '/containers/web/attach?logs=1&stream=1&stdout=1&stderr=1');
  const s = await session(api);
  s.out.data('stdout', Buffer.from('new\n'));
  assert.deepEqual(await conn.readFrame(), { stream: 1, data: 'old line\n' });
  assert.deepEqual(await conn.readFrame(), { stream: 2, data: 'old err\n' });
  assert.deepEqual(await conn.readFrame(), { stream: 1, data: 'new\n' });
});

test('without stdin the client\'s half-close changes nothing', async (t) => {
  const api = await withContainer(t, { openStdin: true });
  const conn = await api.connect();
  await upgrade(conn, '/containers/web/attach?stream=1&stdout=1&stderr=1');
  const s = await session(api);
  conn.write('ignored');
  conn.socket.end();
  await tick(50);
  assert.equal(s.stdinClosed, false);
  assert.equal(s.detached, false);
  assert.deepEqual(s.written, []);
  s.out.data('stdout', Buffer.from('still here'));
  assert.deepEqual(await conn.readFrame(), { stream: 1, data: 'still here' });
});

test('without StdinOnce the end of input ends the session (dockerd)', async (t) => {
  const api = await withContainer(t, { openStdin: true, stdinOnce: false });
  const conn = await api.connect();
  await upgrade(conn, '/containers/web/attach?stream=1&stdin=1&stdout=1');
  const s = await session(api);
  conn.socket.end();
  await until('detached', () => s.detached);
  assert.equal(s.stdinClosed, false);
  await conn.readToEnd();
});

test('a client that goes away detaches from the container', async (t) => {
  const api = await withContainer(t);
  const conn = await api.connect();
  await upgrade(conn, '/containers/web/attach?stream=1&stdout=1');
  const s = await session(api);
  conn.socket.destroy();
  // A closed peer looks like a half-close until the next write fails (EPIPE).
  await tick(30);
  s.out.data('stdout', Buffer.from('anyone there?'));
  await until('detached', () => s.detached);
});

test('attach to an unknown container is an HTTP 404 on the raw connection', async (t) => {
  const api = await withContainer(t);
  const conn = await api.connect();
  conn.write(upgradeRequest('/containers/nope/attach?stream=1&stdout=1'));
  const { statusLine, headers } = await conn.readHead();
  assert.equal(statusLine, 'HTTP/1.1 404 Not Found');
  assert.equal(headers['content-type'], 'application/json');
  assert.equal(headers['api-version'], '1.56');
  assert.deepEqual(JSON.parse((await conn.readToEnd()).toString()), { message: 'No such container: nope' });
});

test('an upgrade to a version out of range is refused on the raw connection', async (t) => {
  const api = await withContainer(t);
  const conn = await api.connect();
  conn.write(upgradeRequest('/v1.12/containers/web/attach?stream=1'));
  assert.equal((await conn.readHead()).statusLine, 'HTTP/1.1 400 Bad Request');
  assert.match(JSON.parse((await conn.readToEnd()).toString()).message, /client version 1.12 is too old/);
});

test('an upgrade request to an ordinary route is served as a plain request', async (t) => {
  const api = await withContainer(t);
  const conn = await api.connect();
  conn.write('GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  const { statusLine } = await conn.readHead();
  assert.equal(statusLine, 'HTTP/1.1 200 OK');
});

test('attach without upgrade streams the output as an ordinary 200 body', async (t) => {
  const api = await withContainer(t);
  const { res } = await api.open('POST', '/containers/web/attach?stream=1&stdout=1&stderr=1');
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/vnd.docker.raw-stream');
  const s = await session(api);
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((resolve) => res.on('end', resolve));
  s.out.data('stderr', Buffer.from('e'));
  s.out.end();
  await ended;
  assert.deepEqual([...Buffer.concat(chunks)], [2, 0, 0, 0, 0, 0, 0, 1, 'e'.charCodeAt(0)]);
});

test('a failing session ends the attach instead of the daemon', async (t) => {
  const api = await withContainer(t, { openStdin: true, stdinOnce: true });
  api.containers.failWrites = true;
  const conn = await api.connect();
  await upgrade(conn, '/containers/web/attach?stream=1&stdin=1&stdout=1');
  const s = await session(api);
  conn.write('boom');
  await until('detached', () => s.detached);
  await conn.readToEnd();
  assert.equal((await api.request('GET', '/_ping')).status, 200);
});
