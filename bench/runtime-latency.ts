// Start latency and exec round trip under runc and crun, berthd beside
// dockerd, with the floor both sit on measured in the same run.
//
//   node_modules/.bin/node bench/runtime-latency.ts [--runs 20] [--warmup 2]
//        [--concurrent 32] [--no-write]
//
// Variants: berthd with runc, berthd with crun, dockerd with runc (its
// default) and dockerd with crun (`--add-runtime crun=/usr/bin/crun`).
//   run    wall time of `docker run --rm --network none [--runtime R] busybox true`
//   exec   wall time of `docker exec c true` into a running `sleep` container
//   floor  the OCI runtime alone running `true` in the same bundle berthd
//          made (`R run`: create, start, wait, delete; seccomp included),
//          plus the docker CLI process's own start (`docker --version`)
//   CLI run flow  the same `docker run --rm` against a stand-in engine that
//          answers its five requests at once and runs nothing
//          (lib/stub-engine.ts): the CLI's own part of a run
//   bare exec  `R exec` of `true` straight into berthd's container
//   burst  N `docker run --rm ... true` started at once: p50 and p99
// berthd's overhead is its run median minus the floor (runtime + CLI
// process), and minus the runtime + the CLI's run flow (the stricter floor).
// Samples alternate between the variants so drift hits all alike. crun on
// a hybrid cgroup host needs scripts/hybrid-hugetlb.sh first.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, REPO_ROOT, run, startBerthd, startDockerd,
} from '../test/helpers/daemon.ts';
import { crunHostProblem } from '../src/runtime/runtimes.ts';
import { loadavg } from 'node:os';
import { describeMachine, fmtMs, fmtRatio, type Machine, writeSection } from './lib/report.ts';
import { percentile, type Summary, summarize } from './lib/stats.ts';
import { startStubEngine, type StubEngine } from './lib/stub-engine.ts';
import { floorBundle, removeFloorCgroups, timedRuntime } from './lib/floor.ts';

/** The load average at the start of the run and now, for the report (a shared machine: figures drift with it). */
const loadAtStart = loadavg();
const loads = () => `Load average (1, 5, 15 min): ${loadAtStart.map((x) => x.toFixed(2)).join(', ')} at the start, ${loadavg().map((x) => x.toFixed(2)).join(', ')} at the end.`;

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '2' },
    concurrent: { type: 'string', default: '32' },
    'no-write': { type: 'boolean', default: false },
  },
});
const runs = Number(opts.runs);
const warmup = Number(opts.warmup);
const burstN = Number(opts.concurrent);

interface Variant {
  label: string;
  d: PrivateDaemon;
  runtime: 'runc' | 'crun';
  run: number[];
  exec: number[];
  burst?: { p50: number; p99: number; wall: number };
}

const runArgs = (rt: string) => ['run', '--rm', '--network', 'none', '--runtime', rt, 'busybox', 'true'];

async function timed(d: PrivateDaemon, args: string[]): Promise<number> {
  const r = await run(DOCKER_CLI, args, { env: d.env, timeout: 120_000 });
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} against ${d.kind} exited ${r.code}: ${r.stderr}`);
  return r.ms;
}

/** CPU time (user + system, ms) the daemon's own process has used so far; null when it cannot be read. */
function daemonCpuMs(d: PrivateDaemon): number | null {
  try {
    const stat = readFileSync(`/proc/${d.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

async function burst(v: Variant): Promise<Variant['burst']> {
  const t0 = performance.now();
  const times = await Promise.all(Array.from({ length: burstN }, () => timed(v.d, runArgs(v.runtime))));
  const wall = performance.now() - t0;
  const sorted = times.sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), wall };
}

async function main(): Promise<void> {
  const machine = await describeMachine(DOCKER_CLI);
  const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim() || 'unknown';
  const notes: string[] = [];
  const crunProblem = crunHostProblem();
  if (crunProblem) throw new Error(crunProblem);
  const daemons: PrivateDaemon[] = [];
  const variants: Variant[] = [];
  const floor: Record<string, number[]> = { runc: [], crun: [], cli: [], cliRun: [] };
  const bareExec: Record<string, number[]> = { runc: [], crun: [] };
  /** berthd's CPU over the run phases of the loop (its runc and crun samples, and whatever it does in the background meanwhile). */
  const berthdCpu = { ms: 0, runs: 0 };
  const scratch = `/tmp/rtl-${process.pid}`;
  let versions: string;
  let stub: StubEngine | undefined;
  try {
    stub = await startStubEngine();
    const b = await startBerthd();
    daemons.push(b);
    variants.push({ label: 'berthd + runc', d: b, runtime: 'runc', run: [], exec: [] }, { label: 'berthd + crun', d: b, runtime: 'crun', run: [], exec: [] });
    try {
      const d = await startDockerd({ args: ['--add-runtime', 'crun=/usr/bin/crun'] });
      daemons.push(d);
      variants.push({ label: 'dockerd + runc', d, runtime: 'runc', run: [], exec: [] }, { label: 'dockerd + crun', d, runtime: 'crun', run: [], exec: [] });
    } catch (e) {
      if (!(e instanceof DaemonUnavailable)) throw e;
      notes.push(`Docker not measured: ${e.message.split('\n')[0]}`);
    }
    versions = (await Promise.all(daemons.map(async (d) => `${d.kind} ${(await run(DOCKER_CLI, ['version', '-f', '{{.Server.Version}}'], { env: d.env })).stdout.trim()}`))).join(', ');
    // One sleeping container per variant for exec; berthd's give the floor bundles.
    const ids: Record<string, string> = {};
    for (const v of variants) {
      const name = `ex-${v.runtime}`;
      const up = await run(DOCKER_CLI, ['run', '-d', '--name', name, '--network', 'none', '--runtime', v.runtime, 'busybox', 'sleep', '100000'], { env: v.d.env });
      if (up.code !== 0) throw new Error(`${v.label}: ${up.stderr}`);
      if (v.d.kind === 'berthd') ids[v.runtime] = up.stdout.trim();
    }
    const bundles: Record<string, string> = {};
    const execProc: Record<string, string> = {};
    for (const rt of ['runc', 'crun'] as const) {
      bundles[rt] = floorBundle(b, ids[rt]!, join(scratch, rt));
      const spec = JSON.parse(readFileSync(join(b.execRoot, 'containers', ids[rt]!, 'config.json'), 'utf8')) as { process: object };
      execProc[rt] = join(scratch, `${rt}-process.json`);
      writeFileSync(execProc[rt], JSON.stringify({ ...spec.process, args: ['true'], terminal: false }));
    }
    const floorRoot = join(scratch, 'state');
    const runtimeRoot = (rt: string) => join(b.execRoot, 'runtime', 'state', rt);
    let n = 0;
    const floorRun = (rt: string) => timedRuntime(rt, ['run', '--bundle', bundles[rt]!, `floor-${rt}-${++n}`], join(floorRoot, rt));
    const cliRun = async () => (await run(DOCKER_CLI, ['--version'])).ms;
    const stubEnv = stub.env;
    const cliRunFlow = async () => {
      const r = await run(DOCKER_CLI, runArgs('crun'), { env: stubEnv, timeout: 60_000 });
      if (r.code !== 0) throw new Error(`docker run against the stub engine exited ${r.code}: ${r.stderr}`);
      return r.ms;
    };
    for (let i = 0; i < warmup; i++) {
      for (const v of variants) { await timed(v.d, runArgs(v.runtime)); await timed(v.d, ['exec', `ex-${v.runtime}`, 'true']); }
      for (const rt of ['runc', 'crun']) await floorRun(rt);
      await cliRunFlow();
    }
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? variants : [...variants].reverse();
      const cpu0 = daemonCpuMs(b);
      for (const v of order) v.run.push(await timed(v.d, runArgs(v.runtime)));
      const cpu1 = daemonCpuMs(b);
      if (cpu0 !== null && cpu1 !== null) {
        berthdCpu.ms += cpu1 - cpu0;
        berthdCpu.runs += 2;
      }
      for (const v of order) v.exec.push(await timed(v.d, ['exec', `ex-${v.runtime}`, 'true']));
      for (const rt of ['runc', 'crun']) {
        floor[rt]!.push(await floorRun(rt));
        bareExec[rt]!.push(await timedRuntime(rt, ['exec', '--process', execProc[rt]!, ids[rt]!], runtimeRoot(rt)));
      }
      floor.cli!.push(await cliRun());
      floor.cliRun!.push(await cliRunFlow());
    }
    for (const v of variants) v.burst = await burst(v);
  } finally {
    await stub?.close().catch(() => {});
    for (const d of daemons) await d.cleanup().catch((e) => console.error(String(e)));
    rmSync(scratch, { recursive: true, force: true });
    removeFloorCgroups();
  }
  if (berthdCpu.runs > 0) notes.unshift(`berthd's own CPU time (user + system, its process only) per \`run --rm\`: ${(berthdCpu.ms / berthdCpu.runs).toFixed(1)} ms (over the run phases of the loop, ${berthdCpu.runs} runs; background cleanups included).`);
  const out = report(variants, floor, bareExec, notes, machine, `${versions}; berthd commit ${commit}`);
  console.log(out);
  if (!opts['no-write']) {
    writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'runtime-latency', out);
    console.log(`\nwrote docs/benchmarks.md`);
  }
}

function report(variants: Variant[], floor: Record<string, number[]>, bareExec: Record<string, number[]>, notes: string[], m: Machine, versions: string): string {
  const s = (xs: number[]): Summary => summarize(xs);
  const find = (label: string) => variants.find((v) => v.label === label);
  const dRunc = find('dockerd + runc');
  const cli = s(floor.cli!).median;
  const cliRunFlow = s(floor.cliRun!).median;
  const rows = variants.map((v) => {
    const r = s(v.run);
    const e = s(v.exec);
    const fl = s(floor[v.runtime]!).median + cli;
    const flRun = s(floor[v.runtime]!).median + cliRunFlow;
    return `| ${v.label} | ${fmtMs(r.median)} | ${fmtMs(r.p90)} | ${fmtRatio(r.median, dRunc && s(dRunc.run).median)} | ${fmtMs(r.median - fl)} | ${fmtMs(r.median - flRun)} | ` +
      `${fmtMs(e.median)} | ${fmtRatio(e.median, dRunc && s(dRunc.exec).median)} | ` +
      `${v.burst ? `${fmtMs(v.burst.p50)} / ${fmtMs(v.burst.p99)} (${(v.burst.p99 / v.burst.p50).toFixed(2)}x)` : 'n/a'} |`;
  });
  const fr = (rt: string) => s(floor[rt]!);
  const be = (rt: string) => s(bareExec[rt]!);
  return [
    '## Start latency and exec under runc and crun, against the floor',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/runtime-latency.ts\` ` +
      `(${runs} samples per variant after ${warmup} warm-ups, alternating; bursts of ${burstN}).`,
    '',
    `Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memGiB} GiB, ${m.kernel}, Node ${m.node}, docker CLI ${m.dockerCli}. ${versions}. ${loads()}`,
    '',
    '| variant | `run --rm true` median | p90 | vs dockerd+runc | above the floor | above runtime + CLI run flow | `exec c true` median | vs dockerd+runc | burst p50 / p99 |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '| floor (same run) | median | p90 |',
    '|---|---|---|',
    `| \`runc run\` of berthd's bundle, \`true\` | ${fmtMs(fr('runc').median)} | ${fmtMs(fr('runc').p90)} |`,
    `| \`crun run\` of berthd's bundle, \`true\` | ${fmtMs(fr('crun').median)} | ${fmtMs(fr('crun').p90)} |`,
    `| docker CLI process (\`docker --version\`) | ${fmtMs(cli)} | ${fmtMs(s(floor.cli!).p90)} |`,
    `| docker CLI run flow (\`run --rm\` against a stand-in engine answering at once) | ${fmtMs(cliRunFlow)} | ${fmtMs(s(floor.cliRun!).p90)} |`,
    `| bare \`runc exec\` of \`true\` into berthd's container | ${fmtMs(be('runc').median)} | ${fmtMs(be('runc').p90)} |`,
    `| bare \`crun exec\` of \`true\` into berthd's container | ${fmtMs(be('crun').median)} | ${fmtMs(be('crun').p90)} |`,
    '',
    'How: one private berthd (runc and crun built in) and one private dockerd (its containerd; crun added with ' +
      '`--add-runtime crun=/usr/bin/crun`), each with one `busybox sleep` container per runtime for the exec samples. ' +
      'A run or exec sample is the wall time of one docker CLI process, spawn to exit. "Above the floor" is the ' +
      'variant\'s run median minus (the runtime\'s `run` median + the CLI process median): the floor is the OCI ' +
      'runtime creating, starting, waiting for and deleting a container from a copy of the bundle berthd wrote ' +
      '(Docker\'s seccomp profile, masked paths, namespaces; own cgroup) plus the CLI starting; for dockerd the ' +
      'same floor is used, so its figure is containerd\'s and dockerd\'s overhead. "Above runtime + CLI run flow" takes ' +
      'the CLI\'s whole run (its five requests, the attach stream) against a stand-in engine that answers at once ' +
      '(bench/lib/stub-engine.ts) instead of `docker --version`: what is left is the engine\'s own part. A burst starts N runs at once; ' +
      'p50/p99 are over those N CLI processes (nearest rank).',
    ...notes.map((x) => `\n${x}`),
  ].join('\n');
}

await main();
