// A hostile client against a private berthd: a few thousand requests from
// a fixed seed across every endpoint (test/helpers/api-fuzz.ts says what
// they are). Asserted: no 5xx for any of them, the daemon still answers,
// nothing unhandled or failed in its log, and its descriptors back to their
// baseline once the clients are gone. stress/api-fuzz.ts runs the same
// generator for 100,000 requests.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { type PrivateDaemon, skipUnlessRoot, startBerthd } from '../../helpers/daemon.ts';
import { apiRequest, ping } from '../../helpers/api.ts';
import { runFuzz, type FuzzTargets } from '../../helpers/api-fuzz.ts';

const SEED = 11;
const COUNT = Number(process.env.BERTH_FUZZ_COUNT ?? 3000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fds = (d: PrivateDaemon) => readdirSync(`/proc/${d.pid}/fd`).length;

/** The daemon's log lines that would be findings: server errors, unhandled rejections, crashes. */
export function logFindings(log: string): string[] {
  return log.split('\n').filter((l) => /"level":"(error|fatal)"|unhandled|uncaught/i.test(l));
}

async function container(d: PrivateDaemon, name: string, start: boolean): Promise<string> {
  const r = await apiRequest(d.socket, 'POST', `/containers/create?name=${name}`, { body: { Image: 'busybox', Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none' } } });
  assert.equal(r.status, 201, r.body);
  const id = JSON.parse(r.body).Id as string;
  if (start) assert.equal((await apiRequest(d.socket, 'POST', `/containers/${id}/start`)).status, 204);
  return id;
}

async function removeAll(d: PrivateDaemon): Promise<void> {
  const list = JSON.parse((await apiRequest(d.socket, 'GET', '/containers/json?all=1')).body) as Array<{ Id: string }>;
  for (const c of list) await apiRequest(d.socket, 'DELETE', `/containers/${c.Id}?force=1&v=1`, { timeout: 30_000 });
}

describe('adversarial API requests', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  let baseline: number;
  let targets: FuzzTargets;

  before(async () => {
    d = await startBerthd({ args: ['--api-headers-timeout', '2s', '--api-max-json-body', '1MiB'] });
    // Warm up what berthd opens once and keeps (libc through FFI, the runtime's first start), then count.
    const warm = await container(d, 'warm', true);
    await apiRequest(d.socket, 'DELETE', `/containers/${warm}?force=1`);
    await sleep(500);
    baseline = fds(d);
    const run = await container(d, 'fz-run', true);
    const created = await container(d, 'fz-created', false);
    targets = { containers: [run, 'fz-run', created.slice(0, 12), 'fz-created'], images: ['busybox'] };
  });
  after(async () => { await d?.cleanup(); });

  test(`${COUNT} requests from seed ${SEED}: no 5xx, no crash, nothing unhandled, descriptors back`, async () => {
    const report = await runFuzz({ socket: d.socket, seed: SEED, count: COUNT, concurrency: 16, targets, timeoutMs: 4000 });
    console.log(`fuzz: ${report.requests} requests in ${report.ms} ms; by status ${JSON.stringify(report.byStatus)}`);
    assert.deepEqual(report.serverErrors.slice(0, 10), [], `${report.serverErrors.length} server errors`);
    assert.ok(await ping(d.socket), 'berthd stopped answering');
    assert.ok(d.running, 'berthd exited');
    assert.deepEqual(logFindings(d.logs()).slice(0, 10), []);
    await removeAll(d);
    let n = fds(d);
    for (let i = 0; i < 100 && n > baseline; i++) { await sleep(100); n = fds(d); }
    assert.equal(n, baseline, `berthd holds ${n} descriptors against ${baseline} before the run`);
  });
});
