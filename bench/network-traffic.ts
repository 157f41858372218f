// Traffic through each engine's network path, berthd beside a private
// dockerd in the same run:
//   - a published port (-p 127.0.0.1::80) for a loopback client: berthd's
//     in-daemon relay against dockerd's docker-proxy; throughput of one
//     large download and the latency of small requests, each on a new
//     connection;
//   - name resolution by the embedded DNS: one container's A query for
//     another on the same user network, timed inside the asking
//     container's network namespace (berthd: the network's gateway;
//     dockerd: 127.0.0.11).
//
//   node_modules/.bin/node bench/network-traffic.ts [--mib 64] [--repeats 5] [--requests 200] [--queries 500] [--target berthd] [--no-write]
//
// The server is busybox httpd in a container on a user-defined network;
// every byte stays on loopback and the daemons' own bridges.

import http from 'node:http';
import { parseArgs } from 'node:util';
import { DOCKER_CLI, REPO_ROOT, run } from '../test/helpers/daemon.ts';
import { type BenchDaemon, dnsQueries, dnsServer, startBoth, stopAll } from './lib/bench-net.ts';
import { describeMachine, fmtMs, fmtRatio, writeSection } from './lib/report.ts';
import { summarize } from './lib/stats.ts';

const { values: opts } = parseArgs({
  options: {
    mib: { type: 'string', default: '64' }, repeats: { type: 'string', default: '5' },
    requests: { type: 'string', default: '200' }, queries: { type: 'string', default: '500' },
    target: { type: 'string', default: 'both' }, 'no-write': { type: 'boolean', default: false },
  },
});
const mib = Number(opts.mib);
const repeats = Number(opts.repeats);
const requests = Number(opts.requests);
const queries = Number(opts.queries);

interface Setup { b: BenchDaemon; port: number; clientPid: number; gateway: string; webIp: string }

async function setUp(b: BenchDaemon): Promise<Setup> {
  await b.docker('network', 'create', '--subnet', `${b.base}.128/26`, 'benchnet');
  await b.docker('run', '-d', '--name', 'web', '--network', 'benchnet', '-p', '127.0.0.1::80', 'busybox', 'sh', '-c',
    `mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count=${mib} 2>/dev/null && echo ok > /www/small && exec httpd -f -p 80 -h /www`);
  const port = Number(/:(\d+)$/.exec(await b.docker('port', 'web', '80/tcp'))![1]);
  await b.docker('run', '-d', '--name', 'client', '--network', 'benchnet', 'busybox', 'sleep', '3600');
  const clientPid = Number(await b.docker('inspect', '-f', '{{.State.Pid}}', 'client'));
  const gateway = await b.docker('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'benchnet') || `${b.base}.129`;
  const webIp = await b.docker('inspect', '-f', '{{.NetworkSettings.Networks.benchnet.IPAddress}}', 'web');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try { if ((await get(port, '/small')).bytes === 3) break; } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`${b.kind}: httpd on 127.0.0.1:${port} did not answer`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { b, port, clientPid, gateway, webIp };
}

function get(port: number, path: string): Promise<{ bytes: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('end', () => resolve({ bytes, ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function main(): Promise<void> {
  const machine = await describeMachine(DOCKER_CLI);
  const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  const notes: string[] = [];
  const daemons = await startBoth(opts.target !== 'berthd', notes);
  const mibps: Record<string, number[]> = { berthd: [], dockerd: [] };
  const lat: Record<string, number[]> = { berthd: [], dockerd: [] };
  const dns: Record<string, number[]> = { berthd: [], dockerd: [] };
  let dockerVersion = '';
  try {
    const setups: Setup[] = [];
    for (const b of daemons) setups.push(await setUp(b));
    if (daemons[1]) dockerVersion = await daemons[1].docker('version', '-f', '{{.Server.Version}}');
    for (let i = 0; i < repeats; i++) {
      for (const s of i % 2 === 0 ? setups : [...setups].reverse()) {
        const big = await get(s.port, '/big');
        if (big.bytes !== mib * 2 ** 20) throw new Error(`${s.b.kind}: got ${big.bytes} bytes of ${mib} MiB`);
        mibps[s.b.kind]!.push(mib / (big.ms / 1000));
        for (let k = 0; k < Math.ceil(requests / repeats); k++) lat[s.b.kind]!.push((await get(s.port, '/small')).ms);
        const q = await dnsQueries(s.clientPid, dnsServer(s.b, s.gateway), Math.ceil(queries / repeats), ['web']);
        if (q.failures || q.answers.web?.[0] !== s.webIp) throw new Error(`${s.b.kind}: web resolved to ${JSON.stringify(q.answers)} (${q.failures} failures), not ${s.webIp}`);
        dns[s.b.kind]!.push(...q.ms);
      }
    }
  } finally {
    await stopAll(daemons);
  }
  const sum = (k: Record<string, number[]>, who: string) => (k[who]!.length ? summarize(k[who]!) : undefined);
  const [tb, td] = [sum(mibps, 'berthd'), sum(mibps, 'dockerd')];
  const [lb, ld] = [sum(lat, 'berthd'), sum(lat, 'dockerd')];
  const [db, dd] = [sum(dns, 'berthd'), sum(dns, 'dockerd')];
  const mb = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(0)} MiB/s`);
  const text = [
    `published port throughput median: berthd ${mb(tb?.median)}, dockerd ${mb(td?.median)}`,
    `published port request latency median: berthd ${fmtMs(lb?.median)}, dockerd ${fmtMs(ld?.median)}`,
    `embedded DNS latency median: berthd ${fmtMs(db?.median)}, dockerd ${fmtMs(dd?.median)}`,
  ];
  console.log(text.join('\n'));
  if (opts['no-write']) return;
  writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'network-traffic', [
    '## Published ports and the embedded DNS',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/network-traffic.ts\` ` +
      `(${repeats} downloads of ${mib} MiB, ${lb?.n ?? 0} requests and ${db?.n ?? 0} DNS queries per daemon).`,
    '',
    `Machine: ${machine.cpus} CPUs, ${machine.memGiB} GiB, ${machine.kernel}, docker CLI ${machine.dockerCli}. ` +
      `berthd commit ${commit}; dockerd ${dockerVersion || '(not measured)'}.`,
    '',
    '| loopback client of `-p 127.0.0.1::80` (busybox httpd) | berthd (kernel DNAT, route_localnet) | dockerd (docker-proxy) | berthd/dockerd |',
    '|---|---|---|---|',
    `| download throughput, median | ${mb(tb?.median)} | ${mb(td?.median)} | ${fmtRatio(tb?.median, td?.median)} |`,
    `| download throughput, min | ${mb(tb?.min)} | ${mb(td?.min)} | ${fmtRatio(tb?.min, td?.min)} |`,
    `| small request on a new connection, median | ${fmtMs(lb?.median)} | ${fmtMs(ld?.median)} | ${fmtRatio(lb?.median, ld?.median)} |`,
    `| small request on a new connection, p90 | ${fmtMs(lb?.p90)} | ${fmtMs(ld?.p90)} | ${fmtRatio(lb?.p90, ld?.p90)} |`,
    '',
    '| A query for a container on the same network | berthd | dockerd | berthd/dockerd |',
    '|---|---|---|---|',
    `| median | ${fmtMs(db?.median)} | ${fmtMs(dd?.median)} | ${fmtRatio(db?.median, dd?.median)} |`,
    `| p90 | ${fmtMs(db?.p90)} | ${fmtMs(dd?.p90)} | ${fmtRatio(db?.p90, dd?.p90)} |`,
    '',
    'How: both daemons private, each with a user-defined network cut from its own pool; dockerd with its ' +
      'userland proxy (docker-proxy) and no iptables rules, which is the path a loopback client takes with ' +
      'iptables on too. For throughput higher is better (the ratio above 1 favours berthd); latencies for lower. ' +
      'Downloads, request batches and query batches alternate between the daemons. DNS queries are sent one at a ' +
      'time from a process in the client container\'s network namespace (`nsenter --net`), timed send to answer, ' +
      'and each answer is checked against the server container\'s address.',
    ...notes.map((x) => `\n${x}`),
  ].join('\n'));
}

await main();
