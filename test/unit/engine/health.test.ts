// Healthchecks without a container: dockerd's merge and validation of the
// config, the probe state machine, and the monitor loop driven by a fake
// probe runner (timeouts, stop while probing, stale results, events).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  healthTimings, imageHealthConfig, mergeHealthConfig, probeCommand, validateHealthConfig,
} from '../../../src/engine/containers/health-config.ts';
import {
  applyProbeResult, HealthMonitors, nextDelayMs, startingHealth, stoppedHealth,
} from '../../../src/engine/containers/health.ts';
import type { ContainerRecord } from '../../../src/core/container.ts';
import type { HealthConfig, HealthResult, HealthState } from '../../../src/core/health.ts';
import { isCode } from '../../../src/core/errors.ts';
import { healthConfig } from '../../../src/cli/options/health.ts';
import { formatGoDuration as goDuration, parseGoDuration } from '../../../src/core/duration.ts';

const S = 1e9;
const MS = 1e6;

test('merge: the container\'s non-zero fields over the image\'s', () => {
  const image = imageHealthConfig({ Healthcheck: { Test: ['CMD', 'echo', 'img'], Interval: 2 * S, Timeout: 3 * S, Retries: 4 } });
  assert.deepEqual(mergeHealthConfig(undefined, image), { test: ['CMD', 'echo', 'img'], interval: 2 * S, timeout: 3 * S, retries: 4 });
  assert.deepEqual(mergeHealthConfig({ interval: S }, image), { test: ['CMD', 'echo', 'img'], interval: S, timeout: 3 * S, retries: 4 });
  assert.deepEqual(mergeHealthConfig({ test: ['CMD-SHELL', 'exit 0'] }, image), { test: ['CMD-SHELL', 'exit 0'], interval: 2 * S, timeout: 3 * S, retries: 4 });
  // --no-healthcheck keeps the image's timings (as dockerd shows them) and runs nothing.
  const none = mergeHealthConfig({ test: ['NONE'] }, image);
  assert.deepEqual(none, { test: ['NONE'], interval: 2 * S, timeout: 3 * S, retries: 4 });
  assert.equal(probeCommand(none), null);
  assert.deepEqual(mergeHealthConfig({ interval: S }, undefined), { interval: S });
  assert.equal(mergeHealthConfig(undefined, imageHealthConfig({})), undefined);
});

test('probe command: CMD as given, CMD-SHELL through /bin/sh -c, nothing otherwise', () => {
  assert.deepEqual(probeCommand({ test: ['CMD', 'curl', '-f', 'x'] }), ['curl', '-f', 'x']);
  assert.deepEqual(probeCommand({ test: ['CMD-SHELL', 'a && b'] }), ['/bin/sh', '-c', 'a && b']);
  assert.deepEqual(probeCommand({ test: ['CMD-SHELL', 'a && b'] }, ['/bin/bash', '-e', '-c']), ['/bin/bash', '-e', '-c', 'a && b'], 'the container\'s Config.Shell');
  assert.deepEqual(probeCommand({ test: ['CMD', 'a'] }, ['/bin/bash', '-c']), ['a'], 'CMD takes no shell');
  assert.equal(probeCommand({ test: ['NONE'] }), null);
  assert.equal(probeCommand({ interval: S }), null);
  assert.equal(probeCommand({ test: ['BOGUS', 'x'] }), null);
  assert.equal(probeCommand(undefined), null);
});

test('validation: dockerd\'s messages, a 400', () => {
  const refuses = (h: HealthConfig, msg: string) => assert.throws(() => validateHealthConfig(h), (e: Error) => isCode(e, 'invalid_argument') && e.message === msg);
  refuses({ interval: 500_000 }, 'Interval in Healthcheck cannot be less than 1ms');
  refuses({ interval: -S }, 'Interval in Healthcheck cannot be less than 1ms');
  refuses({ timeout: 1 }, 'Timeout in Healthcheck cannot be less than 1ms');
  refuses({ retries: -1 }, 'Retries in Healthcheck cannot be negative');
  refuses({ startPeriod: 10 }, 'StartPeriod in Healthcheck cannot be less than 1ms');
  refuses({ startInterval: 10 }, 'StartInterval in Healthcheck cannot be less than 1ms');
  validateHealthConfig({ test: ['CMD', 'true'], interval: MS, timeout: MS, retries: 0, startPeriod: 0 });
  validateHealthConfig(undefined);
});

test('timings: dockerd\'s defaults, Go\'s duration text', () => {
  assert.deepEqual(healthTimings({ test: ['CMD', 'x'] }), {
    intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, startIntervalMs: 5000, retries: 3, timeoutText: '30s',
  });
  const t = healthTimings({ interval: S / 2, timeout: 1500 * MS, retries: 7, startPeriod: 10 * S, startInterval: 100 * MS });
  assert.deepEqual([t.intervalMs, t.timeoutMs, t.retries, t.startPeriodMs, t.startIntervalMs, t.timeoutText], [500, 1500, 7, 10_000, 100, '1.5s']);
  const cases: Array<[number, string]> = [[S, '1s'], [60 * S, '1m0s'], [90 * S, '1m30s'], [3600 * S + 1, '1h0m0.000000001s'], [500 * MS, '500ms'], [1500, '1.5µs'], [12, '12ns'], [0, '0s']];
  for (const [ns, text] of cases) assert.equal(goDuration(ns), text, String(ns));
});

function result(exitCode: number, start = '2026-01-01T00:00:10Z'): HealthResult {
  return { start, end: start, exitCode, output: String(exitCode) };
}

test('state machine: healthy on success, unhealthy after retries, streak reset, log of 5', () => {
  const opts = { retries: 2, startPeriodMs: 0, startedAt: '2026-01-01T00:00:00Z' };
  let h: HealthState = { status: 'starting', failingStreak: 0, log: [] };
  h = applyProbeResult(h, result(1), opts);
  assert.deepEqual([h.status, h.failingStreak], ['starting', 1]);
  h = applyProbeResult(h, result(1), opts);
  assert.deepEqual([h.status, h.failingStreak], ['unhealthy', 2]);
  h = applyProbeResult(h, result(0), opts);
  assert.deepEqual([h.status, h.failingStreak], ['healthy', 0]);
  h = applyProbeResult(h, result(-1), opts);
  assert.deepEqual([h.status, h.failingStreak], ['healthy', 1]);
  for (let i = 0; i < 4; i++) h = applyProbeResult(h, result(2), opts);
  assert.deepEqual([h.status, h.failingStreak, h.log.length], ['unhealthy', 5, 5]);
  assert.deepEqual(h.log.map((r) => r.exitCode), [-1, 2, 2, 2, 2]);
});

test('state machine: failures inside the start period do not count while starting', () => {
  const opts = { retries: 1, startPeriodMs: 30_000, startedAt: '2026-01-01T00:00:00Z' };
  let h: HealthState = { status: 'starting', failingStreak: 0, log: [] };
  h = applyProbeResult(h, result(1, '2026-01-01T00:00:10Z'), opts);
  assert.deepEqual([h.status, h.failingStreak, h.log.length], ['starting', 0, 1]);
  h = applyProbeResult(h, result(1, '2026-01-01T00:00:31Z'), opts);
  assert.deepEqual([h.status, h.failingStreak], ['unhealthy', 1]);
  // Once healthy, the start period no longer shelters failures.
  h = applyProbeResult({ status: 'healthy', failingStreak: 0, log: [] }, result(1, '2026-01-01T00:00:05Z'), opts);
  assert.deepEqual([h.status, h.failingStreak], ['unhealthy', 1]);
});

test('start interval applies while starting within the start period', () => {
  const t = healthTimings({ interval: 10 * S, startPeriod: 60 * S, startInterval: S });
  const started = '2026-01-01T00:00:00Z';
  const at = (s: number) => Date.parse(started) + s * 1000;
  assert.equal(nextDelayMs(t, 'starting', started, at(5)), 1000);
  assert.equal(nextDelayMs(t, 'healthy', started, at(5)), 10_000);
  assert.equal(nextDelayMs(t, 'starting', started, at(61)), 10_000);
});

function record(hc: HealthConfig | undefined, health?: HealthState): ContainerRecord {
  return {
    id: 'c1', name: 'c1', config: { healthcheck: hc }, state: { status: 'running', startedAt: new Date().toISOString(), ...(health ? { health } : {}) },
  } as unknown as ContainerRecord;
}

test('start and stop: starting with the log kept, unhealthy once stopped, none without a probe', () => {
  const log = [result(0)];
  assert.deepEqual(startingHealth(record({ test: ['CMD', 'true'] }, { status: 'unhealthy', failingStreak: 4, log })), { status: 'starting', failingStreak: 0, log });
  assert.equal(startingHealth(record({ test: ['NONE'] })), undefined);
  assert.equal(startingHealth(record(undefined)), undefined);
  assert.deepEqual(stoppedHealth({ status: 'healthy', failingStreak: 0, log }), { status: 'unhealthy', failingStreak: 0, log });
  assert.equal(stoppedHealth(undefined), undefined);
});

/** A fake runner: each call takes the next scripted outcome; 'hang' waits for the kill. */
function harness(script: Array<number | 'hang' | 'error'>, hc: HealthConfig, then: number | 'hang' = 0) {
  const rec = record(hc, { status: 'starting', failingStreak: 0, log: [] });
  const events: string[] = [];
  const calls: string[][] = [];
  let killed = 0;
  let running = 0;
  let maxRunning = 0;
  const waiters: Array<() => void> = [];
  const monitors = new HealthMonitors({
    log: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } } as never,
    probes: {
      async run(_id, cmd, signal) {
        calls.push(cmd);
        const step = script.shift() ?? then;
        running++;
        maxRunning = Math.max(maxRunning, running);
        try {
          if (step === 'error') throw new Error('cannot exec');
          if (step === 'hang') {
            await new Promise<void>((r) => signal.addEventListener('abort', () => { killed++; r(); }, { once: true }));
            return { exitCode: 137, output: '' };
          }
          return { exitCode: step, output: `out ${step}\n` };
        } finally {
          running--;
        }
      },
    },
    update: async (_id, fn) => (fn(rec) ? rec : null),
    emit: (_r, action) => { events.push(action); for (const w of waiters.splice(0)) w(); },
  });
  const until = async (cond: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { rec, events, calls, monitors, until, killed: () => killed, maxRunning: () => maxRunning };
}

test('monitor: probes until stopped, events on changes only, one probe at a time', async () => {
  const h = harness([1, 0, 0, 1, 1], { test: ['CMD-SHELL', 'check'], interval: 2 * MS, retries: 2 });
  h.monitors.open(h.rec);
  await h.until(() => h.events.length >= 2);
  h.monitors.close('c1');
  assert.deepEqual(h.events.slice(0, 2), ['health_status: healthy', 'health_status: unhealthy']);
  assert.deepEqual(h.calls[0], ['/bin/sh', '-c', 'check']);
  assert.equal(h.maxRunning(), 1);
  assert.deepEqual(h.monitors.active, []);
  const n = h.calls.length;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(h.calls.length, n, 'no probe after close');
});

test('monitor: a hanging probe is killed at its timeout and recorded as -1', async () => {
  const h = harness(['hang', 'error'], { test: ['CMD', 'x'], interval: 2 * MS, timeout: 20 * MS, retries: 5 }, 'hang');
  h.monitors.open(h.rec);
  await h.until(() => (h.rec.state.health?.log.length ?? 0) >= 2);
  h.monitors.close('c1');
  assert.ok(h.killed() >= 1);
  const [timeout, error] = h.rec.state.health!.log;
  assert.deepEqual([timeout!.exitCode, timeout!.output], [-1, 'Health check exceeded timeout (20ms)']);
  assert.ok(Date.parse(timeout!.end) - Date.parse(timeout!.start) >= 15);
  assert.deepEqual([error!.exitCode, error!.output], [-1, 'cannot exec']);
  assert.ok(h.rec.state.health!.failingStreak >= 2);
  assert.equal(h.rec.state.health!.failingStreak, h.rec.state.health!.log.length);
});

test('monitor: close while probing kills the probe and drops its result', async () => {
  const h = harness(['hang'], { test: ['CMD', 'x'], interval: 2 * MS, timeout: 60 * S });
  h.monitors.open(h.rec);
  await h.until(() => h.calls.length === 1);
  h.monitors.close('c1');
  await h.until(() => h.killed() === 1);
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(h.rec.state.health!.log, []);
});

test('monitor: a result for a container that stopped meanwhile is dropped', async () => {
  const h = harness([0], { test: ['CMD', 'x'], interval: 2 * MS });
  h.rec.state.status = 'exited';
  h.monitors.open(h.rec);
  await h.until(() => h.calls.length >= 1);
  await new Promise((r) => setTimeout(r, 10));
  h.monitors.shutdown();
  assert.deepEqual(h.rec.state.health!.log, []);
  assert.deepEqual(h.events, []);
});

test('no monitor without a probe', () => {
  const h = harness([], { test: ['NONE'] });
  h.monitors.open(h.rec);
  assert.deepEqual(h.monitors.active, []);
});

test('CLI: Go durations and docker\'s --health-* rules', () => {
  assert.equal(parseGoDuration('1s'), S);
  assert.equal(parseGoDuration('1m30s'), 90 * S);
  assert.equal(parseGoDuration('1.5h'), 5400 * S);
  assert.equal(parseGoDuration('500us'), 500_000);
  assert.equal(parseGoDuration('-2ms'), -2 * MS);
  assert.equal(parseGoDuration('0'), 0);
  assert.throws(() => parseGoDuration('1'), { message: 'time: missing unit in duration "1"' });
  assert.throws(() => parseGoDuration('abc'), { message: 'time: invalid duration "abc"' });
  assert.throws(() => parseGoDuration('3x'), { message: 'time: unknown unit "x" in duration "3x"' });
  assert.throws(() => parseGoDuration(''), { message: 'time: invalid duration ""' });
  assert.equal(healthConfig({}), undefined);
  assert.deepEqual(healthConfig({ 'no-healthcheck': true }), { Test: ['NONE'] });
  assert.deepEqual(healthConfig({ 'health-cmd': 'curl x', 'health-interval': '5s', 'health-retries': 2 }), {
    Test: ['CMD-SHELL', 'curl x'], Interval: 5 * S, Timeout: 0, StartPeriod: 0, StartInterval: 0, Retries: 2,
  });
  assert.deepEqual(healthConfig({ 'health-timeout': '1s' })?.Test, null);
  assert.throws(() => healthConfig({ 'no-healthcheck': true, 'health-cmd': 'x' }), { message: '--no-healthcheck conflicts with --health-* options' });
  assert.throws(() => healthConfig({ 'health-retries': -1 }), { message: '--health-retries cannot be negative' });
  assert.throws(() => healthConfig({ 'health-start-period': '-1s' }), { message: '--health-start-period cannot be negative' });
});

test('wire: ps status text, State.Health only when present, the 1.52 summary', async () => {
  const { statusText } = await import('../../../src/api/time.ts');
  const { toDockerState, toDockerConfig } = await import('../../../src/api/shapes/containers.ts');
  const now = Date.parse('2026-01-01T00:00:03Z');
  const base = { status: 'running' as const, pid: 1, exitCode: 0, error: '', oomKilled: false, startedAt: '2026-01-01T00:00:00Z', finishedAt: '0001-01-01T00:00:00Z' };
  const log = [result(0)];
  assert.equal(statusText(base, now), 'Up 3 seconds');
  assert.equal(statusText({ ...base, health: { status: 'starting', failingStreak: 0, log: [] } }, now), 'Up 3 seconds (health: starting)');
  assert.equal(statusText({ ...base, health: { status: 'healthy', failingStreak: 0, log } }, now), 'Up 3 seconds (healthy)');
  assert.equal(statusText({ ...base, health: { status: 'unhealthy', failingStreak: 3, log } }, now), 'Up 3 seconds (unhealthy)');
  assert.equal(statusText({ ...base, status: 'paused', health: { status: 'unhealthy', failingStreak: 0, log } }, now), 'Up 3 seconds (Paused)');
  assert.equal(statusText({ ...base, status: 'exited', finishedAt: '2026-01-01T00:00:01Z', health: { status: 'unhealthy', failingStreak: 0, log } }, now), 'Exited (0) 2 seconds ago');
  assert.equal('Health' in toDockerState(base), false);
  assert.deepEqual(toDockerState({ ...base, health: { status: 'healthy', failingStreak: 0, log } }).Health,
    { Status: 'healthy', FailingStreak: 0, Log: [{ Start: log[0]!.start, End: log[0]!.end, ExitCode: 0, Output: '0' }] });
  const cfg = toDockerConfig({ cmd: ['x'], env: [], labels: {}, healthcheck: { test: ['NONE'], interval: S } } as never);
  assert.deepEqual(cfg.Healthcheck, { Test: ['NONE'], Interval: S });
  assert.deepEqual(Object.keys(cfg).slice(Object.keys(cfg).indexOf('Cmd'), Object.keys(cfg).indexOf('Cmd') + 3), ['Cmd', 'Healthcheck', 'Image']);
});
