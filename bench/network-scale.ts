// Many containers on one user-defined network: N `busybox sleep`
// containers started on it (a few at a time), then every one of them
// resolved by name from another container on the network, each answer
// checked against the address inspect gives, then all removed. berthd
// beside a private dockerd in the same run.
//
//   node_modules/.bin/node bench/network-scale.ts [--count 200] [--parallel 4] [--target berthd] [--no-write]
//
// Nothing leaves the machine: the containers only sleep; the queries go to
// each daemon's embedded DNS inside the network.

import { parseArgs } from 'node:util';
import { DOCKER_CLI, REPO_ROOT, run } from '../test/helpers/daemon.ts';
import { type BenchDaemon, dnsQueries, dnsServer, startBoth, stopAll } from './lib/bench-net.ts';
import { describeMachine, fmtMs, fmtRatio, writeSection } from './lib/report.ts';
import { summarize, type Summary } from './lib/stats.ts';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '200' }, parallel: { type: 'string', default: '4' },
    target: { type: 'string', default: 'both' }, 'no-write': { type: 'boolean', default: false },
  },
});
const count = Number(opts.count);
const parallel = Number(opts.parallel);

interface Result { startAllMs: number; removeAllMs: number; dns: Summary; resolved: number }

async function scale(b: BenchDaemon): Promise<Result> {
  // A /23 holds 510 addresses; the pool's own /24 is too small for 200 plus a client on some pools, so use 10.215.X.0/23.
  const subnet = `${b.base.replace('10.214.', '10.215.').replace(/\.(\d+)$/, (_, x) => `.${Number(x) & ~1}`)}.0/23`;
  await b.docker('network', 'create', '--subnet', subnet, 'scalenet');
  const names = Array.from({ length: count }, (_, i) => `s${i}`);
  const t0 = performance.now();
  for (let i = 0; i < names.length; i += parallel) {
    await Promise.all(names.slice(i, i + parallel).map((n) => b.docker('run', '-d', '--name', n, '--network', 'scalenet', 'busybox', 'sleep', '3600')));
  }
  const startAllMs = performance.now() - t0;
  const ips = new Map<string, string>();
  const inspected = await b.docker('inspect', '-f', '{{.Name}} {{.NetworkSettings.Networks.scalenet.IPAddress}}', ...names);
  for (const line of inspected.split('\n')) {
    const [name, ip] = line.trim().replace(/^\//, '').split(' ');
    ips.set(name!, ip!);
  }
  await b.docker('run', '-d', '--name', 'asker', '--network', 'scalenet', 'busybox', 'sleep', '3600');
  const pid = Number(await b.docker('inspect', '-f', '{{.State.Pid}}', 'asker'));
  const gateway = (await b.docker('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Gateway}}{{end}}', 'scalenet')) || subnet.replace(/0\/23$/, '1');
  // Every name once (warm-up and the check), then every name again for the figures.
  const first = await dnsQueries(pid, dnsServer(b, gateway), count, names);
  let resolved = 0;
  for (const n of names) if (first.answers[n]?.length === 1 && first.answers[n]![0] === ips.get(n)) resolved++;
  const again = await dnsQueries(pid, dnsServer(b, gateway), count, names);
  const t1 = performance.now();
  // A few at a time: dockerd stalled here on one `rm -f` of 201 containers (docs/benchmarks.md).
  const all = ['asker', ...names];
  for (let i = 0; i < all.length; i += parallel * 4) await b.docker('rm', '-f', ...all.slice(i, i + parallel * 4));
  const removeAllMs = performance.now() - t1;
  await b.docker('network', 'rm', 'scalenet');
  return { startAllMs, removeAllMs, dns: summarize(again.ms), resolved };
}

async function main(): Promise<void> {
  const machine = await describeMachine(DOCKER_CLI);
  const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  const notes: string[] = [];
  const daemons = await startBoth(opts.target !== 'berthd', notes);
  const results: Partial<Record<'berthd' | 'dockerd', Result>> = {};
  let dockerVersion = '';
  try {
    if (daemons[1]) dockerVersion = await daemons[1].docker('version', '-f', '{{.Server.Version}}');
    for (const b of daemons) {
      const r = await scale(b);
      results[b.kind] = r;
      console.log(`${b.kind}: ${JSON.stringify({ ...r, dns: { median: r.dns.median, p90: r.dns.p90 } })}`);
    }
  } finally {
    await stopAll(daemons);
  }
  const b = results.berthd!;
  const d = results.dockerd;
  const sec = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
  console.log(`berthd: ${count} started in ${sec(b.startAllMs)}, ${b.resolved}/${count} resolved, DNS median ${fmtMs(b.dns.median)}, removed in ${sec(b.removeAllMs)}`);
  if (d) console.log(`dockerd: ${count} started in ${sec(d.startAllMs)}, ${d.resolved}/${count} resolved, DNS median ${fmtMs(d.dns.median)}, removed in ${sec(d.removeAllMs)}`);
  if (opts['no-write']) return;
  writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'network-scale', [
    `## ${count} containers on one user-defined network`,
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/network-scale.ts\` (${count} containers, started ${parallel} at a time).`,
    '',
    `Machine: ${machine.cpus} CPUs, ${machine.memGiB} GiB, ${machine.kernel}, docker CLI ${machine.dockerCli}. ` +
      `berthd commit ${commit}; dockerd ${dockerVersion || '(not measured)'}.`,
    '',
    '| | berthd | dockerd | berthd/dockerd |',
    '|---|---|---|---|',
    `| all started (\`docker run -d --network scalenet busybox sleep\`) | ${sec(b.startAllMs)} | ${sec(d?.startAllMs)} | ${fmtRatio(b.startAllMs, d?.startAllMs)} |`,
    `| names resolved to the address inspect gives | ${b.resolved}/${count} | ${d ? `${d.resolved}/${count}` : 'n/a'} | |`,
    `| A query by name, median (${count} containers on the network) | ${fmtMs(b.dns.median)} | ${fmtMs(d?.dns.median)} | ${fmtRatio(b.dns.median, d?.dns.median)} |`,
    `| A query by name, p90 | ${fmtMs(b.dns.p90)} | ${fmtMs(d?.dns.p90)} | ${fmtRatio(b.dns.p90, d?.dns.p90)} |`,
    `| all removed (\`docker rm -f\`, ${parallel * 4} per call) | ${sec(b.removeAllMs)} | ${sec(d?.removeAllMs)} | ${fmtRatio(b.removeAllMs, d?.removeAllMs)} |`,
    '',
    'How: private daemons (dockerd with --iptables=false); each container name is asked once to check the answer, ' +
      'then once more for the figures, one query at a time from a process in the asking container\'s network ' +
      'namespace (`nsenter --net`) to the embedded DNS (berthd: the network\'s gateway; dockerd: 127.0.0.11). ' +
      'The daemons run one after the other.',
    ...notes.map((x) => `\n${x}`),
  ].join('\n'));
}

await main();
