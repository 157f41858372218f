// The long run of the adversarial API generator (test/helpers/api-fuzz.ts):
// a private berthd, N requests (default 100,000) from a seed, then the
// same checks as the suite in `npm test`: 5xx answers, the daemon alive,
// findings in its log, descriptors against the baseline, and the daemon's
// RSS before, after each 5,000 and at the end (bounded memory).
//
//   bin/node24 --disable-warning=ExperimentalWarning stress/api-fuzz.ts [count] [seed]

import { readdirSync } from 'node:fs';
import { startBerthd } from '../test/helpers/daemon.ts';
import { apiRequest, ping } from '../test/helpers/api.ts';
import { runFuzz } from '../test/helpers/api-fuzz.ts';
import { rssKiB } from '../test/helpers/load.ts';

const count = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 11);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const d = await startBerthd({ args: ['--api-headers-timeout', '2s', '--api-max-json-body', '1MiB'] });
const fds = () => readdirSync(`/proc/${d.pid}/fd`).length;
try {
  const create = async (name: string, start: boolean) => {
    const r = await apiRequest(d.socket, 'POST', `/containers/create?name=${name}`, { body: { Image: 'busybox', Cmd: ['sleep', '100000'], HostConfig: { NetworkMode: 'none' } } });
    const id = JSON.parse(r.body).Id as string;
    if (start) await apiRequest(d.socket, 'POST', `/containers/${id}/start`);
    return id;
  };
  await apiRequest(d.socket, 'DELETE', `/containers/${await create('warm', true)}?force=1`);
  await sleep(500);
  const baseline = fds();
  const mib = () => Math.round(rssKiB(d.pid!) / 102.4) / 10;
  const rss = [mib()];
  const run = await create('fz-run', true);
  const created = await create('fz-created', false);
  const targets = { containers: [run, 'fz-run', created.slice(0, 12), 'fz-created'], images: ['busybox'] };
  const totals = { requests: 0, ms: 0, byStatus: {} as Record<string, number>, serverErrors: [] as unknown[] };
  for (let from = 0; from < count; from += 5000) {
    const r = await runFuzz({ socket: d.socket, seed, from, count: Math.min(5000, count - from), concurrency: 16, targets, timeoutMs: 4000 });
    totals.requests += r.requests;
    totals.ms += r.ms;
    for (const [k, v] of Object.entries(r.byStatus)) totals.byStatus[k] = (totals.byStatus[k] ?? 0) + v;
    totals.serverErrors.push(...r.serverErrors);
    rss.push(mib());
    console.log(`${totals.requests} requests, ${totals.serverErrors.length} 5xx, ${fds()} fds, RSS ${rss.at(-1)} MiB, alive ${await ping(d.socket)}`);
  }
  const list = JSON.parse((await apiRequest(d.socket, 'GET', '/containers/json?all=1')).body) as Array<{ Id: string }>;
  for (const c of list) await apiRequest(d.socket, 'DELETE', `/containers/${c.Id}?force=1&v=1`, { timeout: 30_000 });
  let n = fds();
  for (let i = 0; i < 150 && n > baseline; i++) { await sleep(100); n = fds(); }
  const findings = d.logs().split('\n').filter((l) => /"level":"(error|fatal)"|unhandled|uncaught/i.test(l));
  console.log(JSON.stringify({
    seed, requests: totals.requests, seconds: Math.round(totals.ms / 1000), byStatus: totals.byStatus,
    serverErrors: totals.serverErrors.length, firstServerErrors: (totals.serverErrors as Array<{ request: string }>).slice(0, 5).map((e) => ({ ...e, request: e.request.slice(0, 200) })),
    alive: d.running && await ping(d.socket), logFindings: findings.length, firstFindings: findings.slice(0, 5).map((l) => l.slice(0, 400)),
    fdsBaseline: baseline, fdsAfter: n, containersRemoved: list.length,
    rssMiB: { before: rss[0], max: Math.max(...rss), after: rss.at(-1), end: mib() },
  }, null, 2));
} finally {
  await d.cleanup();
}
