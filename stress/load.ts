// Load: many concurrent API clients against a private berthd
// (test/helpers/load.ts says what each client does). Reports errors,
// p50/p99/max latency per kind, the daemon's RSS through the run (after a
// warm-up it must stay flat; run several rounds to see it over time),
// and its descriptors before and after (they must come back).
//
//   bin/node24 --disable-warning=ExperimentalWarning stress/load.ts \
//     [--clients 200] [--seconds 60] [--rounds 1] [--network none|bridge] [--seed 1]

import { parseArgs } from 'node:util';
import { startBerthd } from '../test/helpers/daemon.ts';
import { apiRequest, ping } from '../test/helpers/api.ts';
import { openFds, rssKiB, runLoad, type LoadReport } from '../test/helpers/load.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '60' },
    rounds: { type: 'string', default: '1' },
    network: { type: 'string', default: 'none' },
    seed: { type: 'string', default: '1' },
    'log-level': { type: 'string', default: 'info' },
  },
});
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const d = await startBerthd({ logLevel: values['log-level'] });
const pid = d.pid!;
const mib = (kib: number) => Math.round(kib / 102.4) / 10;
try {
  const create = async (name: string, cmd: string[]) => {
    const r = await apiRequest(d.socket, 'POST', `/containers/create?name=${name}`, { body: { Image: 'busybox', Cmd: cmd, HostConfig: { NetworkMode: values.network } } });
    if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.body}`);
    const id = JSON.parse(r.body).Id as string;
    const s = await apiRequest(d.socket, 'POST', `/containers/${id}/start`, { timeout: 60_000 });
    if (s.status !== 204) throw new Error(`start ${name}: ${s.status} ${s.body}`);
    return id;
  };
  // Warm up what berthd opens once and keeps (libc, the runtime's first start).
  const warm = await create('warm', ['sleep', '1']);
  await apiRequest(d.socket, 'DELETE', `/containers/${warm}?force=1`, { timeout: 60_000 });
  await sleep(1000);
  const fdsBefore = openFds(pid);
  const rssBefore = rssKiB(pid);
  const targets = [];
  for (let i = 0; i < 3; i++) targets.push(await create(`load-${i}`, ['sh', '-c', 'while :; do echo line $RANDOM; sleep 0.2; done']));
  console.log(`berthd pid ${pid}: ${fdsBefore} fds, RSS ${mib(rssBefore)} MiB; ${clients} clients, ${seconds} s x ${rounds}`);

  const reports: LoadReport[] = [];
  for (let r = 0; r < rounds; r++) {
    // A stall of the daemon as a whole shows as a slow /_ping, whatever the clients are doing.
    const stalls: string[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const t = Date.now();
        await apiRequest(d.socket, 'GET', '/_ping', { timeout: 120_000 }).catch(() => {});
        if (Date.now() - t > 2000) stalls.push(`${new Date(t).toISOString()} +${Date.now() - t} ms`);
        await sleep(200);
      }
    })();
    const rep = await runLoad({ socket: d.socket, clients, seconds, targets, pid, network: values.network, seed: Number(values.seed) + r });
    probing = false;
    await probe;
    if (stalls.length) console.log(`  /_ping slower than 2 s: ${stalls.length}: ${stalls.slice(0, 10).join(', ')}`);
    reports.push(rep);
    const rssMiB = rep.rss.map(([, k]) => mib(k));
    console.log(`round ${r + 1}: ${rep.requests} requests (${rep.cycles} container cycles) in ${rep.ms} ms, ${rep.errors.length} errors; RSS first ${rssMiB[0]} max ${Math.max(...rssMiB)} last ${rssMiB.at(-1)} MiB; ${openFds(pid)} fds`);
    for (const [k, s] of Object.entries(rep.kinds)) console.log(`  ${k.padEnd(8)} n=${String(s.count).padStart(6)} p50 ${s.p50} ms  p99 ${s.p99} ms  max ${s.max} ms`);
    for (const e of rep.errors.slice(0, 10)) console.log(`  error ${e.kind} ${e.status}: ${e.message}`);
  }

  for (const id of [...targets, ...reports.flatMap((r) => r.leftovers)]) {
    await apiRequest(d.socket, 'DELETE', `/containers/${id}?force=1&v=1`, { timeout: 60_000 });
  }
  const left = JSON.parse((await apiRequest(d.socket, 'GET', '/containers/json?all=1')).body) as unknown[];
  let fdsAfter = openFds(pid);
  for (let i = 0; i < 300 && fdsAfter > fdsBefore; i++) { await sleep(100); fdsAfter = openFds(pid); }
  const findings = d.logs().split('\n').filter((l) => /"level":"(error|fatal)"|unhandled|uncaught/i.test(l));
  const all = reports.flatMap((r) => r.rss.map(([t, k]) => [t, k] as const));
  const warmup = reports[0]!.rss.filter(([t]) => t >= 10).map(([, k]) => k);
  console.log(JSON.stringify({
    clients, seconds, rounds, network: values.network,
    requests: reports.reduce((n, r) => n + r.requests, 0),
    cycles: reports.reduce((n, r) => n + r.cycles, 0),
    errors: reports.reduce((n, r) => n + r.errors.length, 0),
    kinds: reports.map((r) => r.kinds),
    rssMiB: {
      idle: mib(rssBefore),
      firstMinuteAfterWarmup: warmup.length ? { min: mib(Math.min(...warmup)), max: mib(Math.max(...warmup)) } : null,
      max: mib(Math.max(...all.map(([, k]) => k))),
      endOfEachRound: reports.map((r) => mib(r.rss.at(-1)![1])),
      afterCleanup: mib(rssKiB(pid)),
    },
    fdsBefore, fdsAfter, containersLeft: left.length,
    alive: d.running && await ping(d.socket), logFindings: findings.length, firstFindings: findings.slice(0, 5).map((l) => l.slice(0, 400)),
  }, null, 2));
} finally {
  await d.cleanup();
}
