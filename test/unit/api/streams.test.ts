import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeView } from './fakes.ts';
import { parseFrames, startApi, tick, type Api } from './harness.ts';

const ID = 'a'.repeat(64);

async function withContainer(t: Parameters<typeof startApi>[0], tty = false): Promise<Api> {
  const api = await startApi(t);
  const v = api.containers.add(makeView({ id: ID, name: 'web' }));
  v.config = { ...v.config, tty };
  api.containers.logEntries = [
    { stream: 'stdout', time: new Date('2024-05-01T10:00:00.123Z'), timestamp: '2024-05-01T12:00:00.123456789+02:00', data: Buffer.from('out 1\n') },
    { stream: 'stderr', time: new Date('2024-05-01T10:00:01.000Z'), timestamp: '2024-05-01T10:00:01Z', data: Buffer.from('err 1\n') },
    { stream: 'stdout', time: new Date('2024-05-01T10:00:02.000Z'), timestamp: '2024-05-01T10:00:02.5Z', data: Buffer.from('partial') },
  ];
  return api;
}

async function readAll(res: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('wait sends its headers at once and the body when the container exits', async (t) => {
  const api = await withContainer(t);
  const { res } = await api.open('POST', '/containers/web/wait?condition=next-exit');
  // We only get here once the headers arrived, while the container still "runs".
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/json');
  assert.equal(api.containers.waiters.length, 1);
  assert.equal(api.containers.waiters[0]!.condition, 'next-exit');
  const body = readAll(res);
  await tick();
  api.containers.exit(ID, 3);
  assert.deepEqual(JSON.parse((await body).toString()), { StatusCode: 3 });
});

test('wait reports the engine\'s error and defaults to not-running', async (t) => {
  const api = await withContainer(t);
  const { res } = await api.open('POST', '/v1.41/containers/web/wait');
  assert.equal(api.containers.waiters[0]!.condition, 'not-running');
  const body = readAll(res);
  api.containers.exit(ID, 127, 'exec: "nope": executable file not found');
  assert.deepEqual(JSON.parse((await body).toString()), { StatusCode: 127, Error: { Message: 'exec: "nope": executable file not found' } });
});

test('wait on an unknown container is a 404 before any 200', async (t) => {
  const api = await withContainer(t);
  const r = await api.request('POST', '/containers/nope/wait');
  assert.equal(r.status, 404);
  assert.equal(r.json().message, 'No such container: nope');
  const bad = await api.request('POST', '/containers/web/wait?condition=sometime');
  assert.equal(bad.status, 400);
  assert.equal(bad.json().message, 'invalid condition: "sometime"');
});

test('a client that disconnects aborts the wait', async (t) => {
  const api = await withContainer(t);
  const { req } = await api.open('POST', '/containers/web/wait?condition=removed');
  const signal = api.containers.waiters[0]!.signal!;
  assert.equal(signal.aborted, false);
  req.destroy();
  for (let i = 0; i < 50 && !signal.aborted; i++) await tick(10);
  assert.equal(signal.aborted, true);
});

test('wait below API 1.30 answers only at the end, ignoring condition', async (t) => {
  const api = await withContainer(t);
  const pending = api.request('POST', '/v1.29/containers/web/wait?condition=removed');
  for (let i = 0; i < 50 && api.containers.waiters.length === 0; i++) await tick(10);
  assert.equal(api.containers.waiters[0]!.condition, 'not-running');
  api.containers.exit(ID, 0);
  const r = await pending;
  assert.equal(r.status, 200);
  assert.deepEqual(r.json(), { StatusCode: 0 });
});

test('logs without a TTY are multiplexed frames', async (t) => {
  const api = await withContainer(t);
  const r = await api.request('GET', '/containers/web/logs?stdout=1&stderr=1');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
  assert.deepEqual(parseFrames(r.body), [
    { stream: 1, data: 'out 1\n' },
    { stream: 2, data: 'err 1\n' },
    { stream: 1, data: 'partial' },
  ]);
  // The first frame's header, byte by byte.
  assert.deepEqual([...r.body.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 6]);
});

test('logs below API 1.42 are labelled raw-stream but still framed', async (t) => {
  const api = await withContainer(t);
  const r = await api.request('GET', '/v1.41/containers/web/logs?stderr=1');
  assert.equal(r.headers['content-type'], 'application/vnd.docker.raw-stream');
  assert.deepEqual(parseFrames(r.body), [{ stream: 2, data: 'err 1\n' }]);
});

test('logs with a TTY are the raw bytes', async (t) => {
  const api = await withContainer(t, true);
  const r = await api.request('GET', '/containers/web/logs?stdout=1&stderr=1');
  assert.equal(r.headers['content-type'], 'application/vnd.docker.raw-stream');
  assert.equal(r.body.toString(), 'out 1\nerr 1\npartial');
});

test('logs timestamps are fixed-width UTC RFC 3339 with nanoseconds', async (t) => {
  const api = await withContainer(t);
  const r = await api.request('GET', '/containers/web/logs?stdout=1&stderr=1&timestamps=1');
  assert.deepEqual(parseFrames(r.body).map((f) => f.data), [
    '2024-05-01T10:00:00.123456789Z out 1\n',
    '2024-05-01T10:00:01.000000000Z err 1\n',
    '2024-05-01T10:00:02.500000000Z partial',
  ]);
});

test('logs decode follow, tail, since and until', async (t) => {
  const api = await withContainer(t);
  const r = await api.request('GET', '/containers/web/logs?stdout=1&follow=1&tail=2&since=1714557600.5&until=1714557700');
  assert.equal(r.status, 200);
  const o = api.containers.lastLogs!;
  assert.equal(o.follow, true);
  assert.equal(o.tail, 2);
  assert.equal((o.since as Date).toISOString(), '2024-05-01T10:00:00.500Z');
  assert.equal((o.until as Date).toISOString(), '2024-05-01T10:01:40.000Z');
  assert.ok(o.signal instanceof AbortSignal);

  await api.request('GET', '/containers/web/logs?stdout=1&tail=all&until=0');
  assert.equal(api.containers.lastLogs!.tail, undefined);
  assert.equal(api.containers.lastLogs!.until, undefined);
});

test('logs refuses requests dockerd refuses', async (t) => {
  const api = await withContainer(t);
  const none = await api.request('GET', '/containers/web/logs');
  assert.equal(none.status, 400);
  assert.equal(none.json().message, "must specify at least one of 'stdout' or 'stderr'");
  const since = await api.request('GET', '/containers/web/logs?stdout=1&since=yesterday');
  assert.equal(since.status, 400);
  assert.match(since.json().message, /invalid value for "since"/);
  assert.equal((await api.request('GET', '/containers/nope/logs?stdout=1')).status, 404);
});
