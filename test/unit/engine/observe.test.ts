import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePsOutput, validatePsArgs } from '../../../src/engine/containers/top.ts';
import { StatsSampler } from '../../../src/engine/containers/stats/sampler.ts';
import type { ContainerStats, CpuSample } from '../../../src/core/stats.ts';
import { toDockerStats } from '../../../src/api/shapes/stats.ts';

const PS = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 10:00 ?        00:00:01 /sbin/init
root         100      90  0 10:01 ?        00:00:00 sleep 1000
root         101     100  0 10:01 ?        00:00:00 sh -c while true; do x; done
`;

test('top: ps output becomes titles and the container\'s rows, the last column keeping its spaces', () => {
  const r = parsePsOutput(PS, new Set([100, 101]));
  assert.deepEqual(r.titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.deepEqual(r.processes, [
    ['root', '100', '90', '0', '10:01', '?', '00:00:00', 'sleep 1000'],
    ['root', '101', '100', '0', '10:01', '?', '00:00:00', 'sh -c while true; do x; done'],
  ]);
  assert.throws(() => parsePsOutput('USER CMD\nroot x\n', new Set([1])), /Couldn't find PID field in ps output/);
});

test('top: renaming the PID column is refused like dockerd', () => {
  validatePsArgs('-o pid,comm');
  validatePsArgs('-o pid=PID');
  assert.throws(() => validatePsArgs('-o user=PID'), /specifying "user=PID" is not allowed/);
});

function figures(total: number): ContainerStats {
  return {
    read: new Date().toISOString(),
    cpu: { total, perCpu: [total], kernel: 0, user: 0, system: total * 10, onlineCpus: 2, throttling: { periods: 0, throttledPeriods: 0, throttledTime: 0 } },
    memory: { usage: 1000, limit: 4000, stats: { inactive_file: 100 } },
    pids: { current: 3 },
    blkio: { serviceBytes: [{ major: 8, minor: 0, op: 'Read', value: 5 }], serviced: [] },
  };
}

test('stats sampler: 200 concurrent one-shot reads share two passes over all containers', async () => {
  const ids = Array.from({ length: 200 }, (_, i) => `c${i}`);
  let passes = 0;
  let reads = 0;
  const sampler = new StatsSampler({
    targets: () => ids.map((id) => ({ id, pid: 1, ownNetwork: false })),
    readAll: (targets) => { passes++; reads += targets.length; return new Map(targets.map((t) => [t.id, figures(passes * 100)])); },
    pairGapMs: 20,
  });
  const pairs = await Promise.all(ids.map((id) => sampler.pair(id)));
  assert.equal(passes, 2);
  assert.equal(reads, 400);
  for (const p of pairs) {
    assert.equal(p.previous?.cpu.total, 100);
    assert.equal(p.current?.cpu.total, 200);
  }
  // Fresh passes answer the next request without reading again.
  await sampler.pair('c7');
  assert.equal(passes, 2);
  sampler.stop();
});

/** A sampler whose full passes count in `full`, CPU-only ones in `cpu`; figures carry the pass number as CPU total. */
function countingSampler(ids: string[], opts: { gap?: number; interval?: number; failFull?: () => boolean } = {}) {
  const n = { full: 0, cpu: 0, pass: 0 };
  const sampler = new StatsSampler({
    targets: () => ids.map((id) => ({ id, pid: 1, ownNetwork: false })),
    readAll: (targets) => {
      if (opts.failFull?.()) throw new Error('pass failed');
      n.full++;
      n.pass++;
      return new Map(targets.map((t) => [t.id, figures(n.pass * 100)]));
    },
    readCpu: (targets) => {
      n.cpu++;
      n.pass++;
      return new Map(targets.map((t): [string, CpuSample] => [t.id, { read: new Date().toISOString(), cpu: figures(n.pass * 100).cpu }]));
    },
    pairGapMs: opts.gap ?? 20,
    intervalMs: opts.interval ?? 1000,
  });
  return { sampler, n };
}

const isFull = (s: unknown) => typeof s === 'object' && s !== null && 'memory' in s && 'blkio' in s && 'pids' in s;

test('stats sampler: a cold pair reads only CPU files first, and answers current figures from the full pass after it', async () => {
  const ids = Array.from({ length: 200 }, (_, i) => `c${i}`);
  const { sampler, n } = countingSampler(ids);
  const pairs = await Promise.all(ids.map((id) => sampler.pair(id)));
  assert.deepEqual({ cpu: n.cpu, full: n.full }, { cpu: 1, full: 1 });
  for (const p of pairs) {
    assert.equal(p.previous?.cpu.total, 100);
    assert.equal(p.current?.cpu.total, 200);
    assert.ok(isFull(p.current));
    assert.ok(!isFull(p.previous), 'the previous figures are the CPU-only pass');
  }
  // A fresh pair answers the next request without a pass; so does a one-shot read, from the full pass.
  assert.equal((await sampler.pair('c7')).current?.cpu.total, 200);
  const one = await sampler.pair('c8', { oneShot: true });
  assert.equal(one.current?.cpu.total, 200);
  assert.ok(isFull(one.current));
  assert.deepEqual({ cpu: n.cpu, full: n.full }, { cpu: 1, full: 1 });
  sampler.stop();
});

test('stats sampler: nothing answers current figures from a CPU-only pass (one-shot in the gap, a failed full pass)', async () => {
  let fail = false;
  const { sampler, n } = countingSampler(['a'], { gap: 60, failFull: () => fail });
  const pairing = sampler.pair('a');
  // The CPU-only pass ran before pair() returned; in the gap a one-shot read runs a full pass of its own.
  assert.deepEqual({ cpu: n.cpu, full: n.full }, { cpu: 1, full: 0 });
  const one = await sampler.pair('a', { oneShot: true });
  assert.ok(isFull(one.current));
  assert.equal(one.current?.cpu.total, 200);
  const p = await pairing;
  // The pair's full pass follows the one-shot's: both full, the later one current.
  assert.equal(p.previous?.cpu.total, 200);
  assert.equal(p.current?.cpu.total, 300);

  // A cold pair whose full pass fails leaves a CPU-only pass last; the next request must not answer from it.
  const cold = countingSampler(['b'], { gap: 5, failFull: () => fail });
  fail = true;
  await assert.rejects(cold.sampler.pair('b'), /pass failed/);
  assert.deepEqual({ cpu: cold.n.cpu, full: cold.n.full }, { cpu: 1, full: 0 });
  fail = false;
  const again = await cold.sampler.pair('b');
  assert.ok(isFull(again.current));
  assert.equal(again.previous?.cpu.total, 100, 'the fresh CPU-only pass starts the interval');
  assert.equal(again.current?.cpu.total, 200);
  assert.deepEqual({ cpu: cold.n.cpu, full: cold.n.full }, { cpu: 1, full: 1 });
  sampler.stop();
  cold.sampler.stop();
});

test('stats sampler: a stream\'s passes after a cold pair pair full with full; one in the gap pairs with the CPU-only pass', async () => {
  const { sampler, n } = countingSampler(['a'], { gap: 100, interval: 40 });
  const pairing = sampler.pair('a');
  const heard: Array<{ current?: ContainerStats; previous?: CpuSample }> = [];
  const off = sampler.subscribe(() => { heard.push(sampler.latest('a')); });
  await pairing;
  while (heard.length < 3) await new Promise((r) => setTimeout(r, 10));
  off();
  // Every listener call and the pair see full current figures.
  for (const h of heard) assert.ok(isFull(h.current));
  // The first tick (40 ms, in the 100 ms gap) follows the CPU-only pass: its previous is that pass's CPU figures.
  assert.equal(heard[0]!.previous?.cpu.total, 100);
  assert.ok(!isFull(heard[0]!.previous));
  // Later ticks follow full passes only.
  const last = heard.at(-1)!;
  assert.ok(isFull(last.previous));
  assert.equal(last.previous!.cpu.total + 100, last.current!.cpu.total);
  assert.equal(n.cpu, 1);
  sampler.stop();
});

test('stats sampler: a slow pass stays fresh for twice its length, so requests arriving one after another do not each run one', async () => {
  let passes = 0;
  const busy = (ms: number) => { const end = performance.now() + ms; while (performance.now() < end) { /* a pass over thousands of containers */ } };
  const sampler = new StatsSampler({
    targets: () => [{ id: 'a', pid: 1, ownNetwork: false }],
    readAll: (targets) => { passes++; busy(200); return new Map(targets.map((t) => [t.id, figures(passes)])); },
    intervalMs: 20,
    pairGapMs: 5,
  });
  await sampler.pair('a');
  assert.equal(passes, 2);
  // Later than the interval, sooner than twice the pass: the last pass answers.
  await new Promise((r) => setTimeout(r, 30));
  await sampler.pair('a');
  assert.equal(passes, 2, 'a 200 ms pass is still fresh 30 ms later although the interval is 20 ms');
  sampler.stop();
});

test('stats sampler: streaming listeners share one pass per interval and stop it when they leave', async () => {
  let passes = 0;
  const sampler = new StatsSampler({
    targets: () => [{ id: 'a', pid: 1, ownNetwork: false }, { id: 'b', pid: 2, ownNetwork: false }],
    readAll: (targets) => { passes++; return new Map(targets.map((t) => [t.id, figures(passes)])); },
    intervalMs: 30,
  });
  let heard = 0;
  const started = Date.now();
  const offs = Array.from({ length: 50 }, () => sampler.subscribe(() => { heard++; }));
  // At least two passes (however slow the machine), then everyone leaves.
  while (passes < 2 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 10));
  for (const off of offs) off();
  const after = passes;
  const intervals = Math.ceil((Date.now() - started) / 30);
  // One pass per interval for all 50 listeners: a pass per listener would be 50 times as many.
  assert.ok(after >= 2 && after <= intervals + 1, `passes ${after} in ${intervals} intervals`);
  assert.equal(heard, after * 50);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(passes, after, 'no pass without listeners');
});

test('stats sampler: what passes keep open is released once no pass runs for two intervals', async () => {
  let released = 0;
  const sampler = new StatsSampler({
    targets: () => [{ id: 'a', pid: 1, ownNetwork: false }],
    readAll: (targets) => new Map(targets.map((t) => [t.id, figures(1)])),
    release: () => { released++; },
    intervalMs: 20,
  });
  await sampler.pair('a', { oneShot: true });
  assert.equal(released, 0, 'kept for the next pass');
  await new Promise((r) => setTimeout(r, 70));
  assert.equal(released, 1, 'a one-shot reader left: released');
  const off = sampler.subscribe(() => {});
  await new Promise((r) => setTimeout(r, 90));
  assert.equal(released, 1, 'not while a stream listens');
  off();
  await new Promise((r) => setTimeout(r, 70));
  assert.equal(released, 2, 'the last stream closed: released');
  sampler.stop();
});

test('stats JSON: docker\'s field names, precpu from the previous pass, empty for a stopped container', () => {
  const j = toDockerStats({ id: 'x', name: 'web', current: figures(200), previous: figures(100) }) as any;
  assert.equal(j.name, '/web');
  assert.equal(j.cpu_stats.cpu_usage.total_usage, 200);
  assert.equal(j.precpu_stats.cpu_usage.total_usage, 100);
  assert.deepEqual(j.cpu_stats.cpu_usage.percpu_usage, [200]);
  assert.equal(j.cpu_stats.online_cpus, 2);
  assert.deepEqual(j.memory_stats, { usage: 1000, stats: { inactive_file: 100 }, limit: 4000 });
  assert.deepEqual(j.pids_stats, { current: 3 });
  assert.deepEqual(j.blkio_stats.io_service_bytes_recursive, [{ major: 8, minor: 0, op: 'Read', value: 5 }]);
  assert.equal(j.networks, undefined);
  // precpu_stats and preread are the same whether the previous pass read everything or only CPU.
  const [cur, prev] = [figures(200), figures(100)];
  assert.deepEqual(toDockerStats({ id: 'x', name: 'web', current: cur, previous: { read: prev.read, cpu: prev.cpu } }),
    toDockerStats({ id: 'x', name: 'web', current: cur, previous: prev }));
  const empty = toDockerStats({ id: 'x', name: 'web' }) as any;
  assert.equal(empty.read, '0001-01-01T00:00:00Z');
  assert.deepEqual(empty.memory_stats, {});
  assert.equal(empty.blkio_stats.io_service_bytes_recursive, null);
});
