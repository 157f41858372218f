// Many containers on one small host: N `busybox sleep` containers running
// at once on a private daemon, and how the API holds up with them.
//
//   node_modules/.bin/node bench/scale.ts [--containers 1000] [--docker 100]
//        [--runtime runc|crun] [--parallel 4] [--no-write]
//
// For berthd with N running: the time to start them (`--parallel` docker
// CLIs at a time), memory per running container (the machine's used-memory
// growth, MemTotal - MemAvailable, divided by N), `docker ps` and `docker
// ps -a --filter name=...` wall time, `docker stats --no-stream` for all,
// a daemon restart (SIGTERM to exit, start to the first /_ping answer, and
// to `ps` listing all N running again: live restore re-adopting them), and
// the removal of all. dockerd runs the same with `--docker` containers (0:
// skip), as many as it manages here, for the per-container memory ratio.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, REPO_ROOT, run, startBerthd, startDockerd,
} from '../test/helpers/daemon.ts';
import { ping } from '../test/helpers/api.ts';
import { describeMachine, fmtMs, writeSection } from './lib/report.ts';
import { summarize } from './lib/stats.ts';

const { values: opts } = parseArgs({
  options: {
    containers: { type: 'string', default: '1000' },
    docker: { type: 'string', default: '100' },
    runtime: { type: 'string', default: 'runc' },
    parallel: { type: 'string', default: '4' },
    'no-write': { type: 'boolean', default: false },
  },
});
const PAR = Number(opts.parallel);

interface Result {
  kind: 'berthd' | 'dockerd';
  n: number;
  startedMs: number;
  perContainerMiB: number;
  psMs: number;
  psFilterMs: number;
  statsMs: number;
  statsRows: number;
  restart?: { stopMs: number; pingMs: number; adoptedMs: number; adopted: number };
  removeMs: number;
  failed?: string;
}

function usedMiB(): number {
  const m = Object.fromEntries(readFileSync('/proc/meminfo', 'utf8').split('\n').filter(Boolean)
    .map((l) => { const [k, v] = l.split(/:\s+/); return [k, parseInt(v!, 10)]; }));
  return (m.MemTotal! - m.MemAvailable!) / 1024;
}

async function docker(d: PrivateDaemon, args: string[], timeout = 600_000) {
  const r = await run(DOCKER_CLI, args, { env: d.env, timeout });
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} on ${d.kind}: ${r.stderr.trim()}`);
  return r;
}

async function median(n: number, f: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await f());
  return summarize(xs).median;
}

async function countRunning(d: PrivateDaemon): Promise<number> {
  const r = await run(DOCKER_CLI, ['ps', '-q'], { env: d.env, timeout: 120_000 });
  return r.code === 0 ? r.stdout.split('\n').filter(Boolean).length : -1;
}

async function measure(d: PrivateDaemon, n: number, runtime: string): Promise<Result> {
  const before = usedMiB();
  const t0 = performance.now();
  let next = 0;
  let started = 0;
  let failed: string | undefined;
  const worker = async () => {
    while (next < n && !failed) {
      const i = next++;
      const r = await run(DOCKER_CLI, ['run', '-d', '--network', 'none', '--runtime', runtime, '--name', `s${i}`, 'busybox', 'sleep', '1000000'], { env: d.env, timeout: 300_000 });
      if (r.code !== 0) failed = `container ${i + 1} of ${n} failed: ${r.stderr.trim().split('\n')[0]}`;
      else started++;
      if (started % 100 === 0 && r.code === 0) console.error(`${d.kind}: ${started} running (${Math.round((performance.now() - t0) / 1000)} s)`);
    }
  };
  await Promise.all(Array.from({ length: PAR }, worker));
  const startedMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 5000));
  const perContainerMiB = (usedMiB() - before) / started;
  const psMs = await median(5, async () => (await docker(d, ['ps'])).ms);
  const psFilterMs = await median(5, async () => (await docker(d, ['ps', '-a', '--filter', `name=s${Math.floor(started / 2)}$`])).ms);
  const st = await docker(d, ['stats', '--no-stream']);
  const statsMs = Math.min(st.ms, (await docker(d, ['stats', '--no-stream'])).ms);
  const statsRows = st.stdout.trim().split('\n').length - 1;
  let restart: Result['restart'];
  if (d.kind === 'berthd') {
    const s0 = performance.now();
    await d.stop(120_000);
    const stopMs = performance.now() - s0;
    const r0 = performance.now();
    const logFrom = d.logs().length;
    // The first answer, not the end of the start-up steps behind it.
    await d.start({ untilBooted: false });
    let pingMs = performance.now() - r0;
    if (!await ping(d.socket)) pingMs = NaN;
    // `ps` answers from the records at once; re-adoption runs in the background
    // and logs "live restore finished" with what it found.
    let done: { adopted?: number } | undefined;
    while (!done && performance.now() - r0 < 300_000) {
      const line = d.logs().slice(logFrom).split('\n').find((l) => l.includes('"msg":"live restore finished"'));
      if (line) done = JSON.parse(line) as { adopted?: number };
      else await new Promise((r) => setTimeout(r, 100));
    }
    const adoptedMs = performance.now() - r0;
    const adopted = Math.min(done?.adopted ?? 0, await countRunning(d));
    restart = { stopMs, pingMs, adoptedMs, adopted };
  }
  console.error(JSON.stringify({ kind: d.kind, started, startedMs, perContainerMiB, psMs, psFilterMs, statsMs, statsRows, restart }));
  // Removal: batches of 100 `rm -f`; what a batch fails to remove is retried once and counted.
  const rm0 = performance.now();
  const ids = (await docker(d, ['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  let rmErrors = 0;
  for (let i = 0; i < ids.length; i += 100) {
    const r = await run(DOCKER_CLI, ['rm', '-f', ...ids.slice(i, i + 100)], { env: d.env, timeout: 600_000 });
    if (r.code !== 0) rmErrors += r.stderr.split('\n').filter((l) => l.startsWith('Error')).length;
  }
  const left = (await docker(d, ['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  if (left.length) await run(DOCKER_CLI, ['rm', '-f', ...left], { env: d.env, timeout: 600_000 });
  const removeMs = performance.now() - rm0;
  if (rmErrors) failed = `${failed ? `${failed}; ` : ''}${rmErrors} of ${ids.length} \`rm -f\` in batches of 100 failed the first time (retried)`;
  console.error(JSON.stringify({ kind: d.kind, removeMs, rmErrors }));
  return { kind: d.kind, n: started, startedMs, perContainerMiB, psMs, psFilterMs, statsMs, statsRows, restart, removeMs, failed };
}

async function main(): Promise<void> {
  const machine = await describeMachine(DOCKER_CLI);
  const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  const results: Result[] = [];
  const notes: string[] = [];
  // A restart re-adopts every container before the API answers: give it room.
  const b = await startBerthd({ startTimeoutMs: 600_000 });
  try {
    results.push(await measure(b, Number(opts.containers), opts.runtime!));
  } finally {
    await b.cleanup().catch((e) => console.error(String(e)));
  }
  if (Number(opts.docker) > 0) {
    let d: PrivateDaemon | undefined;
    try {
      d = await startDockerd({ args: opts.runtime === 'crun' ? ['--add-runtime', 'crun=/usr/bin/crun'] : [] });
      results.push(await measure(d, Number(opts.docker), opts.runtime!));
    } catch (e) {
      if (!(e instanceof DaemonUnavailable)) throw e;
      notes.push(`Docker not measured: ${e.message.split('\n')[0]}`);
    } finally {
      await d?.cleanup().catch((e) => console.error(String(e)));
    }
  }
  const row = (r: Result) => `| ${r.kind} | ${r.n} | ${(r.startedMs / 1000).toFixed(1)} s (${(r.startedMs / r.n).toFixed(0)} ms each) | ` +
    `${r.perContainerMiB.toFixed(2)} MiB | ${fmtMs(r.psMs)} | ${fmtMs(r.psFilterMs)} | ${fmtMs(r.statsMs)} (${r.statsRows} rows) | ` +
    `${r.restart ? `${fmtMs(r.restart.stopMs)} / ${fmtMs(r.restart.pingMs)} / ${fmtMs(r.restart.adoptedMs)} (${r.restart.adopted})` : 'n/a'} | ${(r.removeMs / 1000).toFixed(1)} s |`;
  const out = [
    '## Many containers on one host',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/scale.ts\` (runtime ${opts.runtime}, ${PAR} docker CLIs starting containers at a time; berthd commit ${commit}).`,
    '',
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memGiB} GiB, ${machine.kernel}, Node ${machine.node}, docker CLI ${machine.dockerCli}.`,
    '',
    '| daemon | running | start all | memory per container | `ps` | `ps -a --filter name=` | `stats --no-stream` | restart: stop / API up / all re-adopted | remove all |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map(row),
    '',
    'How: `busybox sleep` containers with `--network none` on a private daemon; memory per container is the growth of ' +
      'the machine\'s MemTotal - MemAvailable from before the first start to 5 s after the last, divided by the number ' +
      'running (other work on the machine moves it too); `ps` and `ps --filter` are medians of 5 CLI runs, `stats` the ' +
      'better of 2; the restart is SIGTERM to exit, then a new berthd on the same roots to its first `/_ping` answer and ' +
      'to `docker ps` listing every container running again; remove is `docker rm -f` in batches of 100.',
    ...results.filter((r) => r.failed).map((r) => `\n${r.kind} (${r.n} running): ${r.failed}`),
    ...notes.map((x) => `\n${x}`),
  ].join('\n');
  console.log(out);
  if (!opts['no-write']) writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'scale', out);
}

await main();
