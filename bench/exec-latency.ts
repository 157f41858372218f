// `docker exec` round trip through the real docker CLI, berthd beside the
// reference dockerd, each with one running busybox container.
//
//   node_modules/.bin/node bench/exec-latency.ts [--runs 40] [--warmup 3]
//        [--target both|berthd|dockerd] [--no-write]
//
// A sample is the wall time of one `docker exec c true` CLI process, spawn
// to exit: create, start (hijacked, attached), the process's run and exit,
// and the exit-code inspect. Samples alternate between the daemons. Beside
// it, the same exec through the API by the bench itself (no CLI process),
// `runc exec` of the same `true` straight into berthd's container (no
// conmon, no daemon, no CLI: the floor the OCI runtime sets) and `docker
// --version` (the CLI process's own floor).

import { parseArgs } from 'node:util';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, REPO_ROOT, run, startBerthd, startDockerd,
} from '../test/helpers/daemon.ts';
import { apiRequest } from '../test/helpers/api.ts';
import { describeMachine, fmtMs, fmtRatio, type Machine, writeSection } from './lib/report.ts';
import { type Summary, summarize } from './lib/stats.ts';

const EXEC_ARGS = ['exec', 'bench', 'true'];
let commit = 'unknown';

interface Result {
  name: 'berthd' | 'dockerd' | 'runc exec' | 'berthd API' | 'dockerd API' | 'docker --version';
  version: string;
  samples: number[];
  summary?: Summary;
}

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '40' },
    warmup: { type: 'string', default: '3' },
    target: { type: 'string', default: 'both' },
    'no-write': { type: 'boolean', default: false },
  },
});
const runs = Number(opts.runs);
const warmup = Number(opts.warmup);
if (!['both', 'berthd', 'dockerd'].includes(opts.target!)) throw new Error(`--target: both, berthd or dockerd, not ${opts.target}`);

async function timedExec(d: PrivateDaemon): Promise<number> {
  const r = await run(DOCKER_CLI, EXEC_ARGS, { env: d.env, timeout: 120_000 });
  if (r.code !== 0) throw new Error(`docker ${EXEC_ARGS.join(' ')} against ${d.kind} exited ${r.code}: ${r.stderr}`);
  return r.ms;
}

/**
 * The same exec straight through the API, no CLI process: create, the attached start (its answer read to
 * the end, which comes when the process has exited), the inspect with the exit code. The engine's own round trip.
 */
async function timedApiExec(d: PrivateDaemon): Promise<number> {
  const t0 = performance.now();
  const c = await apiRequest(d.socket, 'POST', '/v1.41/containers/bench/exec', { body: { Cmd: ['true'], AttachStdout: true, AttachStderr: true }, timeout: 120_000 });
  if (c.status !== 201) throw new Error(`exec create on ${d.kind}: ${c.status} ${c.body}`);
  const id = (JSON.parse(c.body) as { Id: string }).Id;
  const s = await apiRequest(d.socket, 'POST', `/v1.41/exec/${id}/start`, { body: { Detach: false, Tty: false }, timeout: 120_000 });
  if (s.status !== 200) throw new Error(`exec start on ${d.kind}: ${s.status} ${s.body}`);
  const i = await apiRequest(d.socket, 'GET', `/v1.41/exec/${id}/json`, { timeout: 120_000 });
  const code = (JSON.parse(i.body) as { ExitCode: number | null }).ExitCode;
  if (code !== 0) throw new Error(`exec on ${d.kind} exited ${code}`);
  return performance.now() - t0;
}

/** `runc exec` of `true` into berthd's container, with the container's own process spec: the runtime's share. */
async function timedRuncExec(d: PrivateDaemon, id: string, processFile: string): Promise<number> {
  const root = join(d.execRoot, 'runtime', 'state', 'runc');
  const r = await run('runc', ['--root', root, 'exec', '--process', processFile, id], { timeout: 60_000 });
  if (r.code !== 0) throw new Error(`runc exec exited ${r.code}: ${r.stderr}`);
  return r.ms;
}

async function main(): Promise<void> {
  const daemons: PrivateDaemon[] = [];
  const results: Result[] = [];
  const notes: string[] = [];
  const machine = await describeMachine(DOCKER_CLI);
  commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim() || 'unknown';
  let runcProbe: { d: PrivateDaemon; id: string; file: string } | null = null;
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
      const up = await run(DOCKER_CLI, ['run', '-d', '--name', 'bench', '--network', 'none', 'busybox', 'sleep', '100000'], { env: d.env });
      if (up.code !== 0) throw new Error(`starting the container on ${d.kind}: ${up.stderr}`);
      for (let i = 0; i < warmup; i++) await timedExec(d);
      results.push({ name: d.kind, version, samples: [] }, { name: `${d.kind} API`, version, samples: [] });
      if (d.kind === 'berthd') {
        const id = up.stdout.trim();
        const spec = JSON.parse(readFileSync(join(d.execRoot, 'containers', id, 'config.json'), 'utf8')) as { process: Record<string, unknown> };
        const file = join(d.dir, 'bench-process.json');
        writeFileSync(file, JSON.stringify({ ...spec.process, args: ['true'], terminal: false }));
        runcProbe = { d, id, file };
        results.push({ name: 'runc exec', version: (await run('runc', ['--version'])).stdout.split('\n')[0]!, samples: [] });
      }
    }
    const cli: Result = { name: 'docker --version', version: '', samples: [] };
    results.push(cli);
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? daemons : [...daemons].reverse();
      for (const d of order) {
        results.find((r) => r.name === d.kind)!.samples.push(await timedExec(d));
        results.find((r) => r.name === `${d.kind} API`)!.samples.push(await timedApiExec(d));
      }
      if (runcProbe) results.find((r) => r.name === 'runc exec')!.samples.push(await timedRuncExec(runcProbe.d, runcProbe.id, runcProbe.file));
      cli.samples.push((await run(DOCKER_CLI, ['--version'])).ms);
    }
    for (const r of results) r.summary = summarize(r.samples);
    const b = daemons.find((d) => d.kind === 'berthd');
    if (b) {
      const left = readdirSync(join(b.execRoot, 'runtime', 'exec'));
      if (left.length) notes.push(`berthd left ${left.length} exec directories behind.`);
    }
  } finally {
    if (runcProbe) rmSync(runcProbe.file, { force: true });
    for (const d of daemons) await d.cleanup().catch((e) => console.error(String(e)));
  }
  for (const r of results) {
    const s = r.summary!;
    console.log(`${r.name} ${r.version}: median ${fmtMs(s.median)}, p90 ${fmtMs(s.p90)}, min ${fmtMs(s.min)}, mean ${fmtMs(s.mean)} (n=${s.n})`);
  }
  const [b, d] = [results.find((r) => r.name === 'berthd'), results.find((r) => r.name === 'dockerd')];
  if (b && d) console.log(`berthd/dockerd: median ${fmtRatio(b.summary!.median, d.summary!.median)}`);
  for (const n of notes) console.log(n);
  if (!opts['no-write']) {
    const file = `${REPO_ROOT}/docs/benchmarks.md`;
    writeSection(file, 'exec-latency', section(results, notes, machine));
    console.log(`\nwrote ${file}`);
  }
}

function section(results: Result[], notes: string[], m: Machine): string {
  const b = results.find((r) => r.name === 'berthd');
  const d = results.find((r) => r.name === 'dockerd');
  const r = results.find((x) => x.name === 'runc exec');
  const pick = (x: Result | undefined, f: (s: Summary) => number) => (x?.summary ? f(x.summary) : undefined);
  const ba = results.find((x) => x.name === 'berthd API');
  const da = results.find((x) => x.name === 'dockerd API');
  const row = (label: string, f: (s: Summary) => number) =>
    `| ${label} | ${fmtMs(pick(b, f))} | ${fmtMs(pick(d, f))} | ${fmtRatio(pick(b, f), pick(d, f))} | ` +
    `${fmtMs(pick(ba, f))} | ${fmtMs(pick(da, f))} | ${fmtRatio(pick(ba, f), pick(da, f))} | ${fmtMs(pick(r, f))} |`;
  return [
    '## Exec round trip',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/exec-latency.ts\` ` +
      `(${b?.samples.length ?? d?.samples.length ?? 0} runs per daemon after ${warmup} warm-ups).`,
    '',
    `Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memGiB} GiB, ${m.kernel}, Node ${m.node}, docker CLI ${m.dockerCli}.`,
    `Daemons: berthd ${b ? `${b.version} (commit ${commit})` : '(not measured)'}; dockerd ${d?.version ?? '(not measured)'} ` +
      `with its own containerd; ${r?.version ?? 'runc'}.`,
    '',
    '| | `docker exec bench true`: berthd | dockerd | berthd/dockerd | the API alone: berthd | dockerd | berthd/dockerd | bare `runc exec true` |',
    '|---|---|---|---|---|---|---|---|',
    row('median', (s) => s.median),
    row('p90', (s) => s.p90),
    row('min', (s) => s.min),
    row('mean', (s) => s.mean),
    '',
    `The docker CLI process alone (\`docker --version\`, same rounds): median ${fmtMs(pick(results.find((x) => x.name === 'docker --version'), (s) => s.median))}; ` +
      `a quarter of dockerd's exec round trip: ${fmtMs(pick(d, (s) => s.median / 4))}.`,
    '',
    'How: each daemon is private (as for run latency) and runs one `busybox sleep` container; a sample is the wall ' +
      'time of one `docker exec bench true` CLI process from spawn to exit (exec create, attached start, exit, ' +
      'inspect), alternating between the daemons. "The API alone" is the same three requests made by the bench itself ' +
      '(exec create; the attached start, its answer read to its end, which comes once the process has exited; the ' +
      'inspect of the exit code), right after each CLI sample: the engine\'s round trip without a CLI process. The last column is `runc exec` of `true` run directly into ' +
      'berthd\'s container with the container\'s own process spec (seccomp filter included): the share of the ' +
      'OCI runtime alone, which every exec on a runc container pays under berthd (and under containerd).',
    ...notes.map((n) => `\n${n}`),
  ].join('\n');
}

await main();
