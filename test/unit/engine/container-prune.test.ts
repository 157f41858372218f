// container prune's choice (engine/containers/prune.ts) and the endpoint's
// decoding of its filters (api/handlers/containers.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchKVList, pruneSelects } from '../../../src/engine/containers/prune.ts';
import { makeView } from '../api/fakes.ts';
import { startApi } from '../api/harness.ts';

test("matchKVList is docker's: every value must hold, 'key' asks for presence, 'key=value' for the value", () => {
  const labels = { tier: 'old', keep: '' };
  assert.equal(matchKVList(undefined, labels), true);
  assert.equal(matchKVList([], {}), true);
  assert.equal(matchKVList(['tier'], labels), true);
  assert.equal(matchKVList(['tier=old'], labels), true);
  assert.equal(matchKVList(['tier=new'], labels), false);
  assert.equal(matchKVList(['tier=old', 'keep'], labels), true);
  assert.equal(matchKVList(['tier=old', 'nope'], labels), false);
  assert.equal(matchKVList(['keep='], labels), true);
  assert.equal(matchKVList(['tier='], labels), false);
  // A value may itself hold '=': only the first one splits.
  assert.equal(matchKVList(['eq=a=b'], { eq: 'a=b' }), true);
  assert.equal(matchKVList(['tier'], {}), false);
});

test('pruneSelects: until keeps what was created after it; label needs all, label! spares only when all match', () => {
  const at = (created: string, labels: Record<string, string> = {}) => {
    const v = makeView({ id: 'c'.repeat(64), name: 'x' });
    return { created, config: { ...v.config, labels } };
  };
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(pruneSelects(at('2026-01-01T00:00:00Z'), { until: t0 }), true, 'created exactly at until: pruned (dockerd keeps only After)');
  assert.equal(pruneSelects(at('2026-01-01T00:00:00.001Z'), { until: t0 }), false);
  assert.equal(pruneSelects(at('2025-12-31T23:59:59Z'), { until: t0 }), true);
  const both = at('2026-01-01T00:00:00Z', { a: '1', b: '2' });
  const onlyA = at('2026-01-01T00:00:00Z', { a: '1' });
  const none = at('2026-01-01T00:00:00Z');
  assert.equal(pruneSelects(both, { labels: ['a=1', 'b'] }), true);
  assert.equal(pruneSelects(onlyA, { labels: ['a=1', 'b'] }), false);
  assert.equal(pruneSelects(none, { labels: ['a'] }), false);
  assert.equal(pruneSelects(both, { labelsNot: ['a', 'b'] }), false);
  assert.equal(pruneSelects(onlyA, { labelsNot: ['a', 'b'] }), true);
  assert.equal(pruneSelects(none, { labelsNot: ['a'] }), true);
  assert.equal(pruneSelects(onlyA, { labelsNot: ['a=2'] }), true);
  assert.equal(pruneSelects(onlyA, { labels: ['a'], labelsNot: ['a=1'] }), false);
});

test('POST /containers/prune decodes until, label and label!, answers ContainersDeleted / SpaceReclaimed', async (t) => {
  const api = await startApi(t);
  const stopped = api.containers.add(makeView({ id: 'd'.repeat(64), name: 'old' }));
  stopped.sizeRw = 42;
  const up = api.containers.add(makeView({ id: 'e'.repeat(64), name: 'up' }));
  up.state = { ...up.state, status: 'running', pid: 7 };
  const filters = encodeURIComponent(JSON.stringify({ until: ['2026-01-01T00:00:00Z'], label: { 'a=1': true }, 'label!': ['b'] }));
  const r = await api.request('POST', `/containers/prune?filters=${filters}`);
  assert.equal(r.status, 200, r.body.toString());
  assert.deepEqual(r.json(), { ContainersDeleted: ['d'.repeat(64)], SpaceReclaimed: 42 });
  assert.deepEqual(api.containers.calls.at(-1), ['prune', { until: Date.parse('2026-01-01T00:00:00Z'), labels: ['a=1'], labelsNot: ['b'] }]);
  const empty = await api.request('POST', '/containers/prune');
  assert.deepEqual(empty.json(), { ContainersDeleted: null, SpaceReclaimed: 0 });
  assert.deepEqual(api.containers.calls.at(-1), ['prune', {}]);

  for (const [f, msg] of [
    [{ foo: ['x'] }, "invalid filter 'foo'"],
    [{ until: ['soon'] }, 'failed to parse value as time or duration: "soon"'],
    [{ until: ['1h', '2h'] }, 'more than one until filter specified'],
  ] as const) {
    const bad = await api.request('POST', `/containers/prune?filters=${encodeURIComponent(JSON.stringify(f))}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.json().message, msg);
  }
});
