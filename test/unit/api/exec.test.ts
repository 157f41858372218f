// The exec endpoints in-process: create/inspect/resize as JSON, start as
// the docker CLI drives it (a JSON body, then the connection taken over).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { internal } from '../../../src/core/errors.ts';
import { startApi, tick, type Api, type RawConn } from './harness.ts';

async function create(api: Api, body: Record<string, unknown>, version = 'v1.44'): Promise<string> {
  const r = await api.request('POST', `/${version}/containers/web/exec`, { body });
  assert.equal(r.status, 201, r.body.toString());
  return r.json().Id as string;
}

function startRequest(id: string, body: unknown, version = 'v1.44', extra = ''): string {
  const json = JSON.stringify(body);
  return `POST /${version}/exec/${id}/start HTTP/1.1\r\nHost: api.moby.localhost\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n${json}${extra}`;
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await tick(10);
  assert.ok(cond(), what);
}

async function upgradeStart(api: Api, id: string, body: unknown, version = 'v1.44', extra = ''): Promise<{ conn: RawConn; headers: Record<string, string> }> {
  const conn = await api.connect();
  conn.write(startRequest(id, body, version, extra));
  const { statusLine, headers } = await conn.readHead();
  assert.equal(statusLine, 'HTTP/1.1 101 UPGRADED');
  return { conn, headers };
}

test('create decodes Docker\'s ExecConfig and answers 201 {Id}', async (t) => {
  const api = await startApi(t);
  const id = await create(api, {
    Cmd: ['sh', '-c', 'exit 3'], Env: ['A=1'], User: 'nobody', WorkingDir: '/tmp', Tty: true, Privileged: true,
    AttachStdin: true, AttachStdout: true, AttachStderr: false, DetachKeys: 'ctrl-x,y', ConsoleSize: [30, 100],
  });
  assert.deepEqual(api.execs.get(id).config, {
    cmd: ['sh', '-c', 'exit 3'], env: ['A=1'], user: 'nobody', workingDir: '/tmp', tty: true, privileged: true,
    attachStdin: true, attachStdout: true, attachStderr: false, detachKeys: 'ctrl-x,y', consoleSize: { height: 30, width: 100 },
  });
});

test('create refuses what dockerd refuses, with its words and codes', async (t) => {
  const api = await startApi(t);
  const cases: Array<[unknown, number, string]> = [
    [{}, 400, 'No exec command specified'],
    [{ Cmd: [] }, 400, 'No exec command specified'],
    [{ Cmd: ['true'], DetachKeys: 'ctrl-' }, 400, 'Invalid escape keys (ctrl-) provided'],
    [{ Cmd: 'true', Tty: 'yes' }, 400, 'invalid JSON: cannot use "yes" as Tty: expected a boolean'],
  ];
  for (const [body, status, message] of cases) {
    const r = await api.request('POST', '/v1.44/containers/web/exec', { body });
    assert.equal(r.status, status, JSON.stringify(body));
    assert.equal(r.json().message, message);
  }
  const stopped = await api.request('POST', '/v1.44/containers/stopped/exec', { body: { Cmd: ['true'] } });
  assert.equal(stopped.status, 409);
  assert.equal(stopped.json().message, `Container ${'c'.repeat(64)} is not running`);
  const r = await api.request('POST', '/v1.44/containers/nosuch/exec', { body: { Cmd: ['true'] } });
  assert.equal(r.status, 404);
});

test('inspect has dockerd\'s shape; an unknown id is a 404 naming it', async (t) => {
  const api = await startApi(t);
  const id = await create(api, { Cmd: ['sh', '-c', 'true'], AttachStdout: true, DetachKeys: 'ctrl-p,ctrl-q' });
  const r = await api.request('GET', `/v1.44/exec/${id}/json`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json(), {
    ID: id, Running: false, ExitCode: null,
    ProcessConfig: { tty: false, entrypoint: 'sh', arguments: ['-c', 'true'], privileged: false },
    OpenStdin: false, OpenStderr: false, OpenStdout: true, CanRemove: false, ContainerID: 'c'.repeat(64),
    DetachKeys: Buffer.from([16, 17]).toString('base64'), Pid: 0,
  });
  const missing = await api.request('GET', '/v1.44/exec/nosuchid/json');
  assert.equal(missing.status, 404);
  assert.equal(missing.json().message, 'No such exec instance: nosuchid');
});

test('start detached: an empty 200 once running; a second start is a 409', async (t) => {
  const api = await startApi(t);
  const id = await create(api, { Cmd: ['sleep', '1'] });
  const r = await api.request('POST', `/v1.44/exec/${id}/start`, { body: { Detach: true, Tty: false } });
  assert.equal(r.status, 200);
  assert.equal(r.body.length, 0);
  assert.deepEqual(api.execs.get(id).started, { detach: true, consoleSize: undefined });
  api.execs.exit(id, 0);
  const again = await api.request('POST', `/v1.44/exec/${id}/start`, { body: { Detach: true } });
  assert.equal(again.status, 409);
  assert.equal(again.json().message, `Error: Exec command ${id} has already run`);
});

test('start detached that cannot run is an ordinary error answer', async (t) => {
  const api = await startApi(t);
  const id = await create(api, { Cmd: ['nosuch'] });
  api.execs.failStart = internal('OCI runtime exec failed: boom: unknown');
  const r = await api.request('POST', `/v1.44/exec/${id}/start`, { body: { Detach: true } });
  assert.equal(r.status, 500);
  assert.equal(r.json().message, 'OCI runtime exec failed: boom: unknown');
});

test('start checks the body, then the session, before taking the connection over', async (t) => {
  const api = await startApi(t);
  const noBody = await api.request('POST', '/v1.44/exec/nosuchid/start');
  assert.equal(noBody.status, 400);
  assert.equal(noBody.json().message, 'got EOF while reading request body');
  const conn = await api.connect();
  conn.write(startRequest('nosuchid', { Detach: false, Tty: false }));
  const { statusLine } = await conn.readHead();
  assert.match(statusLine, /^HTTP\/1.1 404 /);
  assert.match((await conn.readToEnd()).toString(), /No such exec instance: nosuchid/);
});

test('attached without a tty: 101, framed output, stdin behind the body, half-close closes stdin', async (t) => {
  const api = await startApi(t);
  const id = await create(api, { Cmd: ['cat'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
  const { conn, headers } = await upgradeStart(api, id, { Detach: false, Tty: false }, 'v1.44', 'early\n');
  assert.equal(headers['content-type'], 'application/vnd.docker.multiplexed-stream');
  const e = api.execs.get(id);
  await until('input sent with the request reached the process', () => Buffer.concat(e.written).toString() === 'early\n');
  conn.write('more\n');
  await until('later input too', () => Buffer.concat(e.written).toString() === 'early\nmore\n');
  e.out!.data('stdout', Buffer.from('out\n'));
  e.out!.data('stderr', Buffer.from('err\n'));
  assert.deepEqual(await conn.readFrame(), { stream: 1, data: 'out\n' });
  assert.deepEqual(await conn.readFrame(), { stream: 2, data: 'err\n' });
  conn.socket.end();
  await until('stdin closed', () => e.stdinClosed);
  e.out!.data('stdout', Buffer.from('last\n'));
  assert.deepEqual(await conn.readFrame(), { stream: 1, data: 'last\n' });
  api.execs.exit(id, 0);
  assert.equal((await conn.readToEnd()).length, 0);
});

test('attached below API 1.42: raw-stream content type, still framed', async (t) => {
  const api = await startApi(t);
  const id = await create(api, { Cmd: ['echo'], AttachStdout: true }, 'v1.41');
  const { conn, headers } = await upgradeStart(api, id, { Detach: false, Tty: false }, 'v1.41');
  assert.equal(headers['content-type'], 'application/vnd.docker.raw-stream');
  api.execs.get(id).out!.data('stdout', Buffer.from('x'));
  assert.deepEqual(await conn.readFrame(), { stream: 1, data: 'x' });
});

test('attached with a tty: raw both ways, console size passed, detach keys end the session', async (t) => {
  const api = await startApi(t);
  const id = await create(api, { Cmd: ['sh'], Tty: true, AttachStdin: true, AttachStdout: true, DetachKeys: 'ctrl-x' });
  const { conn, headers } = await upgradeStart(api, id, { Detach: false, Tty: true, ConsoleSize: [24, 80] });
  assert.equal(headers['content-type'], 'application/vnd.docker.raw-stream');
  const e = api.execs.get(id);
  assert.deepEqual(e.started, { detach: false, consoleSize: { height: 24, width: 80 } });
  e.out!.data('stdout', Buffer.from('$ '));
  assert.equal((await conn.readBytes(2)).toString(), '$ ');
  conn.write('ls\r\x18');
  await conn.readToEnd();
  assert.equal(Buffer.concat(e.written).toString(), 'ls\r');
  assert.equal(e.detached, true);
});

test('attached start that fails writes the error into the stream, on stdout', async (t) => {
  const api = await startApi(t);
  const id = await create(api, { Cmd: ['nosuch'], AttachStdout: true });
  api.execs.failStart = internal('OCI runtime exec failed: exec failed: nope: unknown');
  const { conn } = await upgradeStart(api, id, { Detach: false, Tty: false });
  assert.deepEqual(await conn.readFrame(), { stream: 1, data: 'OCI runtime exec failed: exec failed: nope: unknown\r\n' });
  assert.equal((await conn.readToEnd()).length, 0);
});

test('resize passes h and w; bad values and unknown sessions are refused', async (t) => {
  const api = await startApi(t);
  const id = await create(api, { Cmd: ['sh'], Tty: true });
  await api.request('POST', `/v1.44/exec/${id}/start`, { body: { Detach: true, Tty: true } });
  const ok = await api.request('POST', `/v1.44/exec/${id}/resize?h=40&w=120`);
  assert.equal(ok.status, 200);
  assert.deepEqual(api.execs.get(id).resized, [{ height: 40, width: 120 }]);
  assert.equal((await api.request('POST', `/v1.44/exec/${id}/resize?h=x&w=1`)).status, 400);
  const missing = await api.request('POST', '/v1.44/exec/nosuchid/resize?h=1&w=1');
  assert.equal(missing.status, 404);
  assert.equal(missing.json().message, 'No such exec instance: nosuchid');
});

test('the daemon\'s default detach keys apply when the session names none', async (t) => {
  const api = await startApi(t, { detachKeys: 'ctrl-y' });
  const id = await create(api, { Cmd: ['sh'], Tty: true, AttachStdin: true, AttachStdout: true });
  const { conn } = await upgradeStart(api, id, { Detach: false, Tty: true });
  conn.write('a\x10\x11b\x19');
  await conn.readToEnd();
  assert.equal(Buffer.concat(api.execs.get(id).written).toString(), 'a\x10\x11b', 'ctrl-p ctrl-q is input; ctrl-y detaches');
});
