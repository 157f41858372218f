// `docker stats --no-stream` for every running container, berthd beside the
// reference dockerd, with N containers running on each.
//
//   node_modules/.bin/node bench/stats-all.ts [--containers 200] [--runs 5]
//        [--target both|berthd|dockerd] [--no-write]
//
// The docker CLI asks for every container's stats at once (one
// /containers/{id}/stats?stream=false request each) and prints when all
// have answered; a sample is the wall time of that CLI process. berthd
// answers them all from one shared sampler; dockerd collects per request.

import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, REPO_ROOT, run, startBerthd, startDockerd,
} from '../test/helpers/daemon.ts';
import { describeMachine, fmtMs, fmtRatio, writeSection } from './lib/report.ts';
import { type Summary, summarize } from './lib/stats.ts';

const { values: opts } = parseArgs({
  options: {
    containers: { type: 'string', default: '200' },
    runs: { type: 'string', default: '5' },
    target: { type: 'string', default: 'both' },
    'no-write': { type: 'boolean', default: false },
  },
});
const N = Number(opts.containers);
const runs = Number(opts.runs);

interface Result { name: 'berthd' | 'dockerd'; version: string; startMs: number; samples: number[]; summary?: Summary; rows: number }

async function startMany(d: PrivateDaemon): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const i = next++;
      const r = await run(DOCKER_CLI, ['run', '-d', '--network', 'none', '--name', `s${i}`, 'busybox', 'sleep', '1000000'], { env: d.env, timeout: 300_000 });
      if (r.code !== 0) throw new Error(`starting s${i} on ${d.kind}: ${r.stderr}`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return performance.now() - t0;
}

async function sample(d: PrivateDaemon): Promise<{ ms: number; rows: number }> {
  const r = await run(DOCKER_CLI, ['stats', '--no-stream'], { env: d.env, timeout: 300_000 });
  if (r.code !== 0) throw new Error(`docker stats --no-stream against ${d.kind} exited ${r.code}: ${r.stderr}`);
  return { ms: r.ms, rows: r.stdout.trim().split('\n').length - 1 };
}

async function main(): Promise<void> {
  const daemons: PrivateDaemon[] = [];
  const results: Result[] = [];
  const notes: string[] = [];
  const machine = await describeMachine(DOCKER_CLI);
  const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim() || 'unknown';
  try {
    if (opts.target !== 'dockerd') daemons.push(await startBerthd());
    if (opts.target !== 'berthd') {
      try {
        daemons.push(await startDockerd());
      } catch (e) {
        if (!(e instanceof DaemonUnavailable)) throw e;
        notes.push(`Docker not measured: ${e.message.split('\n')[0]}`);
      }
    }
    for (const d of daemons) {
      const version = (await run(DOCKER_CLI, ['version', '-f', '{{.Server.Version}}'], { env: d.env })).stdout.trim();
      const startMs = await startMany(d);
      console.log(`${d.kind}: ${N} containers running after ${fmtMs(startMs)}`);
      await sample(d); // warm-up
      results.push({ name: d.kind, version, startMs, samples: [], rows: 0 });
    }
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? daemons : [...daemons].reverse();
      for (const d of order) {
        const r = results.find((x) => x.name === d.kind)!;
        const s = await sample(d);
        r.samples.push(s.ms);
        r.rows = s.rows;
        console.log(`${d.kind}: ${fmtMs(s.ms)} (${s.rows} rows)`);
      }
    }
    for (const r of results) r.summary = summarize(r.samples);
    notes.push(`Load average at the end of the run: ${loadavg().map((l) => l.toFixed(1)).join(', ')} (1, 5, 15 min).`);
  } finally {
    for (const d of daemons) await d.cleanup().catch((e) => console.error(String(e)));
  }
  const b = results.find((r) => r.name === 'berthd');
  const d = results.find((r) => r.name === 'dockerd');
  if (b && d) console.log(`berthd/dockerd median: ${fmtRatio(b.summary!.median, d.summary!.median)}`);
  if (opts['no-write']) return;
  const row = (label: string, pick: (s: Summary) => number) =>
    `| ${label} | ${fmtMs(b && pick(b.summary!))} | ${fmtMs(d && pick(d.summary!))} | ${fmtRatio(b && pick(b.summary!), d && pick(d.summary!))} |`;
  writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'stats-all', [
    `## \`docker stats --no-stream\` with ${N} containers running`,
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/stats-all.ts\` (${runs} runs per daemon after one warm-up). ` +
      `Target: at most 0.5 s for all ${N}.`,
    '',
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memGiB} GiB, ${machine.kernel}, Node ${machine.node}, docker CLI ${machine.dockerCli}.`,
    `Daemons: berthd ${b ? `${b.version} (commit ${commit})` : '(not measured)'}; dockerd ${d?.version ?? '(not measured)'} with its own containerd.`,
    '',
    `| \`docker stats --no-stream\` (${N} rows) | berthd | dockerd | berthd/dockerd |`,
    '|---|---|---|---|',
    row('median', (s) => s.median),
    row('min', (s) => s.min),
    row('max', (s) => s.max),
    '',
    `How: ${N} \`busybox sleep\` containers (\`--network none\`) run on each private daemon; a sample is the wall time of one ` +
      '`docker stats --no-stream` CLI process, which sends one `stats?stream=false` request per container at once and prints ' +
      'when all have answered. berthd serves every request from the same two sampler passes (each pass reads all containers\' ' +
      'cgroup files once); dockerd collects per request. Samples alternate between the daemons.',
    ...notes.map((n) => `\n${n}`),
  ].join('\n'));
  console.log('wrote docs/benchmarks.md');
}

await main();
