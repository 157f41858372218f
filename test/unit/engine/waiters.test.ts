import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedMutex, Waiters } from '../../../src/engine/containers/waiters.ts';
import { matchesFilters, validateFilters } from '../../../src/engine/containers/filters.ts';
import { EventBus } from '../../../src/engine/events.ts';

test('waiters: next exit and removal wake the right waiters', async () => {
  const w = new Waiters();
  const exit = w.nextExit('a');
  const removed = w.removed('a');
  const other = w.nextExit('b');
  w.exited('a', 3);
  assert.equal(await exit, 3);
  w.wasRemoved('a', 3);
  assert.equal(await removed, 3);
  w.exited('b', 0);
  assert.equal(await other, 0);
});

test('waiters: an aborted wait rejects and is forgotten', async () => {
  const w = new Waiters();
  const ac = new AbortController();
  const p = w.nextExit('a', ac.signal);
  ac.abort();
  await assert.rejects(p, /cancelled/);
  w.exited('a', 1); // must not throw
});

test('mutex: work on one key is serialized, keys are independent', async () => {
  const m = new KeyedMutex();
  const order: string[] = [];
  const slow = m.run('k', async () => { await new Promise((r) => setTimeout(r, 20)); order.push('k1'); });
  const fast = m.run('k', async () => { order.push('k2'); });
  const other = m.run('o', async () => { order.push('o'); });
  await Promise.all([slow, fast, other]);
  assert.deepEqual(order, ['o', 'k1', 'k2']);
  await assert.rejects(m.run('k', async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await m.run('k', async () => 5), 5);
});

const rec = (over: any) => ({
  id: 'abcdef' + '0'.repeat(58), name: 'web', created: '2026-01-01T00:00:00.000Z', imageId: 'sha256:i',
  config: { labels: { tier: 'front', env: 'prod' } }, state: { status: 'running', exitCode: 0 }, ...over,
});

test('filters: docker ps semantics', () => {
  const r = rec({}) as any;
  assert.ok(matchesFilters(r, { id: ['abc'] }, {}));
  assert.ok(!matchesFilters(r, { id: ['xyz'] }, {}));
  assert.ok(matchesFilters(r, { name: ['we'] }, {}));
  assert.ok(matchesFilters(r, { name: ['^/web$'] }, {}));
  assert.ok(matchesFilters(r, { label: ['tier', 'env=prod'] }, {}));
  assert.ok(!matchesFilters(r, { label: ['env=dev'] }, {}));
  assert.ok(matchesFilters(r, { status: ['exited', 'running'] }, {}));
  assert.ok(!matchesFilters(rec({ state: { status: 'exited', exitCode: 3 } }) as any, { exited: ['0'] }, {}));
  assert.ok(matchesFilters(rec({ state: { status: 'exited', exitCode: 3 } }) as any, { exited: ['3'] }, {}));
  assert.throws(() => validateFilters({ status: ['sleeping'] }), /invalid filter 'status=sleeping'/);
});

test('event bus: live fan-out and replay since', () => {
  const bus = new EventBus(2);
  bus.emit('container', 'create', 'a');
  const seen: string[] = [];
  const off = bus.subscribe((e) => seen.push(e.action + ':' + e.id), { since: 0 });
  bus.emit('container', 'start', 'a');
  off();
  bus.emit('container', 'die', 'a');
  assert.deepEqual(seen, ['create:a', 'start:a']);
});
