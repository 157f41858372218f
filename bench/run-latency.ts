// Container start-to-exit latency through the real docker CLI, berthd beside
// the reference dockerd, plus each daemon's idle resident memory.
//
//   node_modules/.bin/node bench/run-latency.ts [--runs 30] [--warmup 3]
//        [--target both|berthd|dockerd] [--no-write]
//
// Each sample is the wall time of `docker run --rm --network none busybox
// true`: the CLI's create, attach, start, wait and remove round trips. Both
// daemons run side by side on private sockets and the samples alternate
// between them, so drift on this shared machine hits both alike.

import { parseArgs } from 'node:util';
import {
  DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, REPO_ROOT, run, startBerthd, startDockerd,
} from '../test/helpers/daemon.ts';
import { processesUnder, sleep, vmRssKiB } from '../test/helpers/procs.ts';
import { loadavg } from 'node:os';
import { describeMachine, fmtMiB, fmtMs, fmtRatio, type Machine, writeSection } from './lib/report.ts';
import { type Summary, summarize } from './lib/stats.ts';

/** The load average at the start of the run and now, for the report (a shared machine: figures drift with it). */
const loadAtStart = loadavg();
const loads = () => `Load average (1, 5, 15 min): ${loadAtStart.map((x) => x.toFixed(2)).join(', ')} at the start, ${loadavg().map((x) => x.toFixed(2)).join(', ')} at the end.`;

const RUN_ARGS = ['run', '--rm', '--network', 'none', 'busybox', 'true'];
const SETTLE_MS = 2_000;
let commit = 'unknown';

interface Result {
  name: 'berthd' | 'dockerd';
  version: string;
  samples: number[];
  summary?: Summary;
  /** Idle VmRSS (KiB) per process of the daemon, after startup + one run + settling. */
  rss: Array<{ comm: string; pid: number; kib: number }>;
}

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
    target: { type: 'string', default: 'both' },
    'no-write': { type: 'boolean', default: false },
  },
});
const runs = Number(opts.runs);
const warmup = Number(opts.warmup);
if (!['both', 'berthd', 'dockerd'].includes(opts.target!)) throw new Error(`--target: both, berthd or dockerd, not ${opts.target}`);

async function timedRun(d: PrivateDaemon): Promise<number> {
  const r = await run(DOCKER_CLI, RUN_ARGS, { env: d.env, timeout: 120_000 });
  if (r.code !== 0) throw new Error(`docker ${RUN_ARGS.join(' ')} against ${d.kind} exited ${r.code}: ${r.stderr}`);
  return r.ms;
}

/** Everything the daemon keeps resident while idle: itself and the helpers naming its dir (dockerd's containerd). */
function idleRss(d: PrivateDaemon): Result['rss'] {
  return processesUnder(d.dir)
    // Node names its main thread "MainThread": label the daemon by what it is.
    .map((p) => ({ comm: p.pid === d.pid ? d.kind : p.comm, pid: p.pid, kib: vmRssKiB(p.pid) ?? 0 }))
    .filter((p) => p.kib > 0);
}

async function main(): Promise<void> {
  const daemons: PrivateDaemon[] = [];
  const results: Result[] = [];
  const notes: string[] = [];
  const machine = await describeMachine(DOCKER_CLI);
  commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim() || 'unknown';
  try {
    if (opts.target !== 'dockerd') daemons.push(await startBerthd());
    if (opts.target !== 'berthd') {
      try {
        daemons.push(await startDockerd());
      } catch (e) {
        if (!(e instanceof DaemonUnavailable)) throw e;
        notes.push(`Docker not measured: ${e.message.split('\n')[0]}`);
        console.error(`dockerd skipped: ${e.message}`);
      }
    }
    for (const d of daemons) {
      const version = (await run(DOCKER_CLI, ['version', '-f', '{{.Server.Version}}'], { env: d.env })).stdout.trim();
      await timedRun(d);
      await sleep(SETTLE_MS);
      results.push({ name: d.kind, version, samples: [], rss: idleRss(d) });
      for (let i = 1; i < warmup; i++) await timedRun(d);
    }
    for (let i = 0; i < runs; i++) {
      // Alternate which daemon goes first so neither always follows the other's teardown.
      const order = i % 2 === 0 ? daemons : [...daemons].reverse();
      for (const d of order) results.find((r) => r.name === d.kind)!.samples.push(await timedRun(d));
    }
    for (const r of results) r.summary = summarize(r.samples);
    if (opts.target === 'dockerd') notes.push('berthd not measured in this run (`--target dockerd`).');
    if (opts.target === 'berthd') notes.push('Docker not measured in this run (`--target berthd`).');
  } finally {
    for (const d of daemons) await d.cleanup().catch((e) => console.error(String(e)));
  }
  print(results, notes);
  if (!opts['no-write']) {
    const file = `${REPO_ROOT}/docs/benchmarks.md`;
    writeSection(file, 'run-latency', section(results, notes, machine));
    console.log(`\nwrote ${file}`);
  }
}

const rssTotal = (r: Result | undefined) => (r ? r.rss.reduce((a, p) => a + p.kib, 0) : undefined);

function print(results: Result[], notes: string[]): void {
  for (const r of results) {
    const s = r.summary!;
    console.log(`${r.name} ${r.version}: median ${fmtMs(s.median)}, p90 ${fmtMs(s.p90)}, min ${fmtMs(s.min)}, ` +
      `mean ${fmtMs(s.mean)}, max ${fmtMs(s.max)} (n=${s.n}); idle RSS ${fmtMiB(rssTotal(r))} ` +
      `(${r.rss.map((p) => `${p.comm} ${fmtMiB(p.kib)}`).join(' + ')})`);
  }
  const [b, d] = [results.find((r) => r.name === 'berthd'), results.find((r) => r.name === 'dockerd')];
  if (b && d) console.log(`berthd/dockerd: median ${fmtRatio(b.summary!.median, d.summary!.median)}, RSS ${fmtRatio(rssTotal(b), rssTotal(d))}`);
  for (const n of notes) console.log(n);
}

function section(results: Result[], notes: string[], m: Machine): string {
  const b = results.find((r) => r.name === 'berthd');
  const d = results.find((r) => r.name === 'dockerd');
  const row = (label: string, pick: (s: Summary) => number) =>
    `| ${label} | ${fmtMs(b && pick(b.summary!))} | ${fmtMs(d && pick(d.summary!))} | ${fmtRatio(b && pick(b.summary!), d && pick(d.summary!))} |`;
  const rssParts = (r: Result | undefined) => (r ? r.rss.map((p) => `${p.comm} ${fmtMiB(p.kib)}`).join(' + ') : 'n/a');
  return [
    '## Container run latency',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/run-latency.ts\` ` +
      `(${b?.samples.length ?? d?.samples.length ?? 0} runs per daemon after ${warmup} warm-ups).`,
    '',
    `Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memGiB} GiB, ${m.kernel}, Node ${m.node}, docker CLI ${m.dockerCli}. ${loads()}`,
    `Daemons: berthd ${b ? `${b.version} (commit ${commit})` : '(not measured)'}; ` +
      `dockerd ${d?.version ?? '(not measured)'} with its own containerd.`,
    '',
    '| `docker run --rm --network none busybox true` | berthd | dockerd | berthd/dockerd |',
    '|---|---|---|---|',
    row('median', (s) => s.median),
    row('p90', (s) => s.p90),
    row('min', (s) => s.min),
    row('mean', (s) => s.mean),
    `| idle RSS | ${fmtMiB(rssTotal(b))} | ${fmtMiB(rssTotal(d))} | ${fmtRatio(rssTotal(b), rssTotal(d))} |`,
    '',
    `Idle RSS is VmRSS after startup, one run and ${SETTLE_MS / 1000} s of rest, summed over the daemon's own ` +
      `processes: berthd: ${rssParts(b)}; dockerd: ${rssParts(d)}.`,
    '',
    'How: each daemon is private (own socket, data root, exec root; dockerd with `--bridge none`, no iptables, ' +
      'its own containerd), busybox is berthd\'s seeded image and, for dockerd, an import of the same host busybox. ' +
      'A sample is the wall time of one `docker` CLI process from spawn to exit; samples alternate between the ' +
      'daemons. Percentiles are nearest-rank.',
    ...notes.map((n) => `\n${n}`),
  ].join('\n');
}

await main();
