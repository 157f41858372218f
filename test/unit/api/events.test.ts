import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, tick, type Api } from './harness.ts';

const T0 = 1_700_000_000;

function seed(api: Api): void {
  api.events.emit('container', 'create', 'c1'.padEnd(64, '0'), { image: 'busybox', name: 'web', a: 'b' }, T0 + 1);
  api.events.emit('image', 'tag', 'sha256:' + 'a'.repeat(64), { name: 'busybox:latest' }, T0 + 2);
  api.events.emit('container', 'start', 'c1'.padEnd(64, '0'), { image: 'busybox', name: 'web' }, T0 + 3.25);
  api.events.emit('container', 'exec_start: sh -c true', 'c2'.padEnd(64, '0'), { image: 'alpine:3', name: 'other' }, T0 + 4);
}

function lines(body: Buffer): any[] {
  return body.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

test('past events replay as docker event messages and the stream ends at until', async (t) => {
  const api = await startApi(t);
  seed(api);
  const r = await api.request('GET', `/v1.41/events?since=${T0}&until=${T0 + 10}`);
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json');
  const ev = lines(r.body);
  assert.equal(ev.length, 4);
  assert.deepEqual(ev[0], {
    status: 'create', id: 'c1'.padEnd(64, '0'), from: 'busybox',
    Type: 'container', Action: 'create',
    Actor: { ID: 'c1'.padEnd(64, '0'), Attributes: { image: 'busybox', name: 'web', a: 'b' } },
    scope: 'local', time: T0 + 1, timeNano: (T0 + 1) * 1e9,
  });
  assert.equal(ev[1].status, 'tag');
  assert.equal(ev[1].from, undefined);
  assert.equal(ev[2].timeNano, (T0 + 3.25) * 1e9);
});

test('from API 1.52 events drop the legacy fields and are JSON lines', async (t) => {
  const api = await startApi(t);
  seed(api);
  const r = await api.request('GET', `/events?since=${T0}&until=${T0 + 10}`);
  assert.equal(r.headers['content-type'], 'application/jsonl');
  const ev = lines(r.body);
  assert.equal(ev[0].status, undefined);
  assert.equal(ev[0].id, undefined);
  assert.equal(ev[0].Action, 'create');
});

const filterRows: Array<[string, Record<string, unknown>, string[]]> = [
  ['type', { type: ['image'] }, ['tag']],
  ['event (map form)', { event: { start: true } }, ['start']],
  ['event prefix before the colon', { event: ['exec_start'] }, ['exec_start: sh -c true']],
  ['container by name', { container: ['web'] }, ['create', 'start']],
  ['container by ID prefix', { container: ['c2'] }, ['exec_start: sh -c true']],
  ['image, for containers and images', { image: ['busybox'] }, ['create', 'tag', 'start']],
  ['image without its tag', { image: ['alpine'] }, ['exec_start: sh -c true']],
  ['label', { label: ['a=b'] }, ['create']],
  ['keys are AND-ed', { type: ['container'], event: ['create', 'tag'] }, ['create']],
];

for (const [name, filters, actions] of filterRows) {
  test(`events filter: ${name}`, async (t) => {
    const api = await startApi(t);
    seed(api);
    const r = await api.request('GET', `/events?since=${T0}&until=${T0 + 10}&filters=${encodeURIComponent(JSON.stringify(filters))}`);
    assert.equal(r.status, 200, r.body.toString());
    assert.deepEqual(lines(r.body).map((e) => e.Action), actions);
  });
}

test('since and until bound the replay to the nanosecond', async (t) => {
  const api = await startApi(t);
  seed(api);
  const r = await api.request('GET', `/events?since=${T0 + 2}.000000001&until=${T0 + 3}.250000000`);
  assert.deepEqual(lines(r.body).map((e) => e.Action), ['start']);
});

test('live events stream until the client leaves', async (t) => {
  const api = await startApi(t);
  const { res, req } = await api.open('GET', '/events?filters=' + encodeURIComponent('{"type":["container"]}'));
  assert.equal(res.statusCode, 200);
  assert.equal(api.events.subscribers, 1);
  const got: string[] = [];
  res.on('data', (c: Buffer) => got.push(c.toString()));
  api.events.emit('image', 'pull', 'busybox');
  api.events.emit('container', 'die', 'c9', { name: 'x', exitCode: '0' });
  for (let i = 0; i < 50 && got.length === 0; i++) await tick(10);
  const ev = lines(Buffer.from(got.join('')));
  assert.deepEqual(ev.map((e) => e.Action), ['die']);
  assert.equal(ev[0].Actor.Attributes.exitCode, '0');
  const info = await api.request('GET', '/info');
  assert.equal(info.json().NEventsListener, 1);
  req.destroy();
  for (let i = 0; i < 50 && api.events.subscribers > 0; i++) await tick(10);
  assert.equal(api.events.subscribers, 0);
});

test('an until in the future ends the live stream when it passes', async (t) => {
  const api = await startApi(t);
  const until = (Date.now() + 150) / 1000;
  const started = Date.now();
  const pending = api.request('GET', `/events?until=${until.toFixed(3)}`);
  await tick(30);
  api.events.emit('volume', 'create', 'v1', { driver: 'local' });
  const r = await pending;
  assert.ok(Date.now() - started >= 100);
  assert.deepEqual(lines(r.body).map((e) => `${e.Type}/${e.Action}`), ['volume/create']);
  assert.equal(api.events.subscribers, 0);
});

test('events refuses bad parameters', async (t) => {
  const api = await startApi(t);
  assert.equal((await api.request('GET', '/events?since=abc')).status, 400);
  const order = await api.request('GET', `/events?since=${T0 + 5}&until=${T0}`);
  assert.equal(order.status, 400);
  assert.match(order.json().message, /cannot be after `until` time/);
  assert.equal((await api.request('GET', '/events?filters=' + encodeURIComponent('{"colour":["x"]}'))).json().message, "invalid filter 'colour'");
});
