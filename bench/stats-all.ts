// `stats --no-stream` for every running container, berthd beside the
// reference dockerd, with N containers running on each, through the docker
// CLI and through berth's own CLI.
//
//   node_modules/.bin/node bench/stats-all.ts [--containers 200] [--runs 5]
//        [--target both|berthd|dockerd] [--base <checkout>] [--idle-ms 2500]
//        [--no-write]
//
// Both CLIs ask for every container's stats at once (one
// /containers/{id}/stats?stream=0 request each) and print when all have
// answered; a sample is the wall time of that CLI process. berthd answers
// them all from one shared sampler; dockerd collects per request.
//
// --base runs a second berthd, with the CLI, from another checkout (built,
// e.g. a worktree of main with `bash scripts/build.sh` run in it) beside
// this one's, each with its own N containers: an A/B of the two builds in
// one run, samples alternating. Before each sample on a berthd the bench
// waits --idle-ms so that its sampler is cold (its passes are fresh for 1 s
// and the files they hold are closed 2 s after the last), as for a user
// who runs the command once.
//
// Each sample also records the CLI's CPU time (perf stat's task-clock, the
// CLI's children included), the daemon's (its threads' run time from
// /proc/<pid>/task/*/schedstat, before and after) and the 1-minute load.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BERTH, DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, REPO_ROOT, run, startBerthd, startDockerd,
} from '../test/helpers/daemon.ts';
import { describeMachine, fmtMs, fmtRatio, writeSection } from './lib/report.ts';
import { type Summary, summarize } from './lib/stats.ts';

const { values: opts } = parseArgs({
  options: {
    containers: { type: 'string', default: '200' },
    runs: { type: 'string', default: '5' },
    target: { type: 'string', default: 'both' },
    base: { type: 'string' },
    'idle-ms': { type: 'string', default: '2500' },
    'no-write': { type: 'boolean', default: false },
  },
});
const N = Number(opts.containers);
const runs = Number(opts.runs);
const idleMs = Number(opts['idle-ms']);
const scratch = mkdtempSync(join(tmpdir(), 'bench-stats-all-'));

interface Daemon { label: string; d: PrivateDaemon; version: string; commit?: string; berthCli?: string }

interface Case {
  label: string;
  daemon: Daemon;
  cli: string;
  wall: number[];
  cliCpu: number[];
  daemonCpu: number[];
  loads: number[];
  rows: number;
}

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

/** Nanoseconds the daemon's threads have run. */
function daemonCpuNs(d: PrivateDaemon): number {
  const pid = d.pid;
  if (!pid) return NaN;
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try { ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'latin1').split(' ')[0]); } catch { /* the thread ended */ }
  }
  return ns;
}

let perfWorks = true;
/** The `cli` of the cases that ask the API directly. */
const API = 'api';

/** One CLI run under `perf stat -e task-clock`: its wall time (fork to exit) and CPU time, with its stdout. */
async function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; cpuMs: number; code: number | null; stdout: string; stderr: string }> {
  if (perfWorks) {
    const out = join(scratch, 'perf.txt');
    const r = await run('perf', ['stat', '-e', 'task-clock', '-o', out, '--', cmd, ...args], { env, timeout: 300_000 });
    const text = (() => { try { return readFileSync(out, 'utf8'); } catch { return ''; } })();
    const cpu = /([\d.,]+)\s+msec task-clock/.exec(text);
    const elapsed = /([\d.]+) seconds time elapsed/.exec(text);
    if (cpu && elapsed) {
      return { ms: Number(elapsed[1]) * 1000, cpuMs: Number(cpu[1].replace(/,/g, '')), code: r.code, stdout: r.stdout, stderr: r.stderr };
    }
    perfWorks = false;
    console.log(`perf stat unusable (${r.stderr.trim().split('\n')[0] ?? ''}): wall time only`);
  }
  const r = await run(cmd, args, { env, timeout: 300_000 });
  return { ms: r.ms, cpuMs: NaN, code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** The API alone: every running container's `stats?stream=0` at once from this process, a connection each; wall until the last answer. */
async function apiAlone(d: PrivateDaemon): Promise<{ ms: number; cpuMs: number; code: number; stdout: string; stderr: string }> {
  const get = (path: string) => new Promise<Buffer>((resolve, reject) => {
    const req = request({ socketPath: d.socket, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
  const ids = (JSON.parse((await get('/v1.41/containers/json')).toString()) as Array<{ Id: string }>).map((c) => c.Id);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(ids.map((id) => get(`/v1.41/containers/${id}/stats?stream=0`)));
  const cpu = process.cpuUsage(cpu0);
  return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, code: 0, stdout: `header\n${ids.join('\n')}\n`, stderr: '' };
}

async function sample(c: Case): Promise<void> {
  if (c.daemon.d.kind === 'berthd') await new Promise((r) => setTimeout(r, idleMs));
  const before = daemonCpuNs(c.daemon.d);
  const r = c.cli === API ? await apiAlone(c.daemon.d) : await timed(c.cli, ['stats', '--no-stream'], c.daemon.d.env);
  const after = daemonCpuNs(c.daemon.d);
  if (r.code !== 0) throw new Error(`${c.label} exited ${r.code}: ${r.stderr}`);
  c.rows = r.stdout.trim().split('\n').length - 1;
  if (c.rows !== N) throw new Error(`${c.label}: ${c.rows} rows for ${N} containers:\n${r.stdout.slice(0, 2000)}\n${r.stderr}`);
  c.wall.push(r.ms);
  c.cliCpu.push(r.cpuMs);
  c.daemonCpu.push((after - before) / 1e6);
  c.loads.push(loadavg()[0]!);
  console.log(`${c.label}: ${fmtMs(r.ms)} (CLI CPU ${fmtMs(r.cpuMs)}, daemon CPU ${fmtMs((after - before) / 1e6)}, load ${loadavg()[0]!.toFixed(2)})`);
}

const med = (xs: number[]) => (xs.some((x) => Number.isNaN(x)) || xs.length === 0 ? undefined : summarize(xs).median);

async function main(): Promise<void> {
  const daemons: Daemon[] = [];
  const notes: string[] = [];
  const machine = await describeMachine(DOCKER_CLI);
  const commitOf = async (dir: string) => (await run('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'])).stdout.trim() || 'unknown';
  const cases: Case[] = [];
  const newCase = (label: string, daemon: Daemon, cli: string): Case =>
    ({ label, daemon, cli, wall: [], cliCpu: [], daemonCpu: [], loads: [], rows: 0 });
  try {
    if (opts.target !== 'dockerd') {
      daemons.push({ label: 'berthd', d: await startBerthd(), version: '', commit: await commitOf(REPO_ROOT), berthCli: BERTH });
      if (opts.base) {
        const base = opts.base.replace(/\/$/, '');
        daemons.push({ label: 'berthd (base)', d: await startBerthd({ binary: `${base}/bin/berthd` }), version: '', commit: await commitOf(base), berthCli: `${base}/bin/berth` });
      }
    }
    if (opts.target !== 'berthd') {
      try {
        daemons.push({ label: 'dockerd', d: await startDockerd(), version: '' });
      } catch (e) {
        if (!(e instanceof DaemonUnavailable)) throw e;
        notes.push(`Docker not measured: ${e.message.split('\n')[0]}`);
      }
    }
    for (const daemon of daemons) {
      daemon.version = (await run(DOCKER_CLI, ['version', '-f', '{{.Server.Version}}'], { env: daemon.d.env })).stdout.trim();
      const startMs = await startMany(daemon.d);
      console.log(`${daemon.label}: ${N} containers running after ${fmtMs(startMs)}`);
      cases.push(newCase(`API alone -> ${daemon.label}`, daemon, API));
      cases.push(newCase(`docker CLI -> ${daemon.label}`, daemon, DOCKER_CLI));
      if (daemon.berthCli) cases.push(newCase(`berth CLI -> ${daemon.label}`, daemon, daemon.berthCli));
    }
    for (const c of cases) await sample(c); // warm-up: page cache, code caches
    for (const c of cases) Object.assign(c, { wall: [], cliCpu: [], daemonCpu: [], loads: [] });
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? cases : [...cases].reverse();
      for (const c of order) await sample(c);
    }
    notes.push(`Load average at the end of the run: ${loadavg().map((l) => l.toFixed(1)).join(', ')} (1, 5, 15 min).`);
  } finally {
    for (const daemon of daemons) await daemon.d.cleanup().catch((e) => console.error(String(e)));
    rmSync(scratch, { recursive: true, force: true });
  }
  const summaries = new Map(cases.map((c) => [c, summarize(c.wall)]));
  const find = (cli: string, label: string) => cases.find((c) => c.daemon.label === label &&
    (cli === 'docker' ? c.cli === DOCKER_CLI : cli === API ? c.cli === API : c.cli !== DOCKER_CLI && c.cli !== API));
  const ratio = (a: Case | undefined, b: Case | undefined) => fmtRatio(a && summaries.get(a)!.median, b && summaries.get(b)!.median);
  const ratios = [
    ['docker CLI, berthd/dockerd', ratio(find('docker', 'berthd'), find('docker', 'dockerd'))],
    ['berth CLI, berthd/base', ratio(find('berth', 'berthd'), find('berth', 'berthd (base)'))],
    ['docker CLI, berthd/base', ratio(find('docker', 'berthd'), find('docker', 'berthd (base)'))],
    ['API alone, berthd/base', ratio(find(API, 'berthd'), find(API, 'berthd (base)'))],
  ].filter(([, r]) => r !== 'n/a');
  for (const [what, r] of ratios) console.log(`median ${what}: ${r}`);
  if (opts['no-write']) return;
  const cell = (c: Case, pick: (s: Summary) => number) => fmtMs(pick(summaries.get(c)!));
  const row = (label: string, f: (c: Case) => string) => `| ${label} | ${cases.map(f).join(' | ')} |`;
  const b = daemons.find((x) => x.label === 'berthd');
  const base = daemons.find((x) => x.label === 'berthd (base)');
  const dk = daemons.find((x) => x.label === 'dockerd');
  writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'stats-all', [
    `## \`stats --no-stream\` with ${N} containers running`,
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/stats-all.ts\` (${runs} runs per column after one warm-up, ` +
      `alternating, ${idleMs} ms idle before each berthd sample). Target: \`berth stats --no-stream\` for all ${N} in at most 0.5 s.`,
    '',
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memGiB} GiB, ${machine.kernel}, Node ${machine.node}, docker CLI ${machine.dockerCli}.`,
    `Daemons: berthd ${b ? `${b.version} (commit ${b.commit})` : '(not measured)'}` +
      `${base ? `; base berthd and berth CLI from commit ${base.commit}` : ''}; dockerd ${dk?.version ?? '(not measured)'} with its own containerd.`,
    '',
    `| ${N} rows | ${cases.map((c) => c.label.replace('->', '→')).join(' | ')} |`,
    `|---|${cases.map(() => '---').join('|')}|`,
    row('wall, median', (c) => cell(c, (s) => s.median)),
    row('wall, min', (c) => cell(c, (s) => s.min)),
    row('wall, max', (c) => cell(c, (s) => s.max)),
    row('CLI CPU, median', (c) => fmtMs(med(c.cliCpu))),
    row('daemon CPU, median', (c) => fmtMs(med(c.daemonCpu))),
    row('load (1 min) at the samples', (c) => `${Math.min(...c.loads).toFixed(1)}-${Math.max(...c.loads).toFixed(1)}`),
    '',
    ...(ratios.length ? [`Medians: ${ratios.map(([what, r]) => `${what} ${r}`).join('; ')}.`, ''] : []),
    `How: ${N} \`busybox sleep\` containers (\`--network none\`) run on each private daemon; an API-alone sample is the wall time from ` +
      'sending every container\'s `stats?stream=0` at once from the bench (a connection each) to the last answer (its CPU: the bench\'s own); ' +
      'a CLI sample is the wall time of one `stats --no-stream` CLI process (perf stat\'s elapsed time), which sends one `stats?stream=0` request per container at once and prints ' +
      'when all have answered; CLI CPU is perf stat\'s task-clock, daemon CPU the run time of the daemon\'s threads over the sample. ' +
      'berthd serves every request from the same two sampler passes (the first reads only the CPU files, the second everything); ' +
      'dockerd collects per request. The docker CLI prints on the first tick of a 500 ms ticker it starts once every container has answered, ' +
      'so through it no engine comes under ~0.5 s plus its start.',
    ...notes.map((n) => `\n${n}`),
  ].join('\n'));
  console.log('wrote docs/benchmarks.md');
}

await main();
