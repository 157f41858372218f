// `docker run --rm busybox true` on each daemon's default bridge network:
// berthd (its default bridge, bth<hex>) beside a private dockerd given a
// bridge of its own name and subnet (dkb<hex>, with its iptables rules and
// MASQUERADE on), samples alternating between the two.
//
//   node_modules/.bin/node bench/bridge-run.ts [--runs 30] [--warmup 3] [--no-write]
//
// The floor is measured in the same rounds: `runc run` (and `crun run`) of
// a copy of berthd's bundle of a container on the bridge (joining its
// network namespace: the veth is the engine's part) plus the docker CLI's
// own run flow against a stand-in engine (lib/stub-engine.ts). What the
// floor is to dockerd's median bounds what any engine on that runtime can
// reach.
//
// Also reads berthd's own figure for the network part of each start
// (networkMs in its debug log: namespace, veth, lease, addresses).
// No traffic leaves the containers: they run `true`.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, REPO_ROOT, run, startBerthd, startDockerd } from '../test/helpers/daemon.ts';
import { pickDaemonNetwork } from '../test/helpers/network.ts';
import { loadavg } from 'node:os';
import { describeMachine, fmtMs, fmtRatio, writeSection } from './lib/report.ts';
import { summarize, type Summary } from './lib/stats.ts';
import { crunHostProblem } from '../src/runtime/runtimes.ts';
import { floorBundle, removeFloorCgroups, timedRuntime } from './lib/floor.ts';
import { startStubEngine, type StubEngine } from './lib/stub-engine.ts';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

/** The load average at the start of the run and now, for the report (a shared machine: figures drift with it). */
const loadAtStart = loadavg();
const loads = () => `Load average (1, 5, 15 min): ${loadAtStart.map((x) => x.toFixed(2)).join(', ')} at the start, ${loadavg().map((x) => x.toFixed(2)).join(', ')} at the end.`;

const RUN_ARGS = ['run', '--rm', 'busybox', 'true'];
/** berthd with its fastest runtime too (its default, like dockerd's, is runc). */
const CRUN_ARGS = ['run', '--rm', '--runtime', 'crun', 'busybox', 'true'];
const { values: opts } = parseArgs({
  options: { runs: { type: 'string', default: '30' }, warmup: { type: 'string', default: '3' }, 'no-write': { type: 'boolean', default: false } },
});
const runs = Number(opts.runs);
const warmup = Number(opts.warmup);

async function timed(d: PrivateDaemon, args = RUN_ARGS): Promise<number> {
  const r = await run(DOCKER_CLI, args, { env: d.env, timeout: 120_000 });
  if (r.code !== 0) throw new Error(`${d.kind}: docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.ms;
}

const sh = (cmd: string, args: string[]) => { try { execFileSync(cmd, args, { stdio: 'ignore' }); return true; } catch { return false; } };

/** iptables-save lines of a table as -A rules. */
function rules(table: string): string[] {
  return execFileSync('iptables-save', ['-t', table], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('-A '));
}

/** Deletes one -A rule line (iptables-save quoting is plain for the rules dockerd writes). */
function deleteRule(table: string, line: string): void {
  sh('iptables', ['-w', '-t', table, ...line.replace(/^-A /, '-D ').split(' ')]);
}

/** dockerd leaves its rules, chains and FORWARD policy behind: undo what this run's dockerd made. */
function undoDockerdNetworking(bridge: string, policyBefore: string): void {
  for (const table of ['filter', 'nat']) for (const l of rules(table)) if (l.includes(bridge)) deleteRule(table, l);
  sh('ip', ['link', 'del', bridge]);
  sh('iptables', ['-w', '-P', 'FORWARD', policyBefore]);
  // The DOCKER chains are shared by every dockerd with iptables on: leave them if another one runs.
  const others = execFileSync('ps', ['-eo', 'pid=,comm='], { encoding: 'utf8' }).split('\n')
    .filter((l) => l.trim().endsWith(' dockerd'))
    .map((l) => { try { return execFileSync('cat', [`/proc/${l.trim().split(' ')[0]}/cmdline`], { encoding: 'utf8' }); } catch { return ''; } })
    .some((cmd) => !/--iptables=false\0?[^]*$/.test(cmd) || /--iptables=true/.test(cmd.slice(cmd.lastIndexOf('--iptables=false'))));
  if (others) return;
  for (const table of ['filter', 'nat']) {
    for (const l of rules(table)) if (/ -j DOCKER(-\S+)?$/.test(l) && !/^-A DOCKER/.test(l)) deleteRule(table, l);
    const chains = execFileSync('iptables-save', ['-t', table], { encoding: 'utf8' }).split('\n')
      .map((l) => /^:(DOCKER\S*)/.exec(l)?.[1]).filter((c): c is string => !!c);
    for (const c of chains) sh('iptables', ['-w', '-t', table, '-F', c]);
    for (const c of chains) sh('iptables', ['-w', '-t', table, '-X', c]);
  }
}

async function main(): Promise<void> {
  const machine = await describeMachine(DOCKER_CLI);
  const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  const samples = { berthd: [] as number[], dockerd: [] as number[], berthdCrun: [] as number[] };
  const floor = { runc: [] as number[], crun: [] as number[], cliRun: [] as number[] };
  const scratch = `/tmp/brf-${process.pid}`;
  let stub: StubEngine | undefined;
  const notes: string[] = [];
  let berth: PrivateDaemon | undefined;
  let docker: PrivateDaemon | undefined;
  const dnet = pickDaemonNetwork();
  const dbridge = `dkb${randomBytes(4).toString('hex').slice(0, 7)}`;
  const policyBefore = /-P FORWARD (\w+)/.exec(execFileSync('iptables', ['-w', '-S', 'FORWARD'], { encoding: 'utf8' }))?.[1] ?? 'ACCEPT';
  let networkMs: number[];
  let dockerVersion = '';
  try {
    berth = await startBerthd({ logLevel: 'debug' });
    try {
      execFileSync('ip', ['link', 'add', dbridge, 'type', 'bridge']);
      execFileSync('ip', ['addr', 'add', dnet.bip.replace('10.213.', '10.215.'), 'dev', dbridge]);
      execFileSync('ip', ['link', 'set', dbridge, 'up']);
      docker = await startDockerd({ args: ['--bridge', dbridge, '--iptables=true', '--ip-masq=true'] });
      dockerVersion = (await run(DOCKER_CLI, ['version', '-f', '{{.Server.Version}}'], { env: docker.env })).stdout.trim();
    } catch (e) {
      if (!(e instanceof DaemonUnavailable)) throw e;
      notes.push(`Docker not measured: ${e.message.split('\n')[0]}`);
    }
    const daemons = [berth, docker].filter((d): d is PrivateDaemon => !!d);
    const crunUsable = crunHostProblem() === null;
    if (!crunUsable) notes.push(`berthd + crun not measured: ${crunHostProblem()}`);
    // The floor's bundles: copies of berthd's for a sleeping container on its default bridge, per runtime.
    stub = await startStubEngine();
    const stubEnv = stub.env;
    const floorRts = crunUsable ? ['runc', 'crun'] : ['runc'];
    const bundles: Record<string, string> = {};
    for (const rt of floorRts) {
      const up = await run(DOCKER_CLI, ['run', '-d', '--runtime', rt, 'busybox', 'sleep', '100000'], { env: berth.env });
      if (up.code !== 0) throw new Error(`berthd: run -d sleep (${rt}): ${up.stderr}`);
      bundles[rt] = floorBundle(berth, up.stdout.trim(), join(scratch, rt));
    }
    let n = 0;
    const floorRun = (rt: string) => timedRuntime(rt, ['run', '--bundle', bundles[rt]!, `floor-${rt}-${++n}`], join(scratch, 'state', rt));
    const cliRunFlow = async () => {
      const r = await run(DOCKER_CLI, RUN_ARGS, { env: stubEnv, timeout: 60_000 });
      if (r.code !== 0) throw new Error(`docker run against the stub engine exited ${r.code}: ${r.stderr}`);
      return r.ms;
    };
    for (let i = 0; i < warmup; i++) { for (const rt of floorRts) await floorRun(rt); await cliRunFlow(); }
    for (const d of daemons) for (let i = 0; i < warmup; i++) await timed(d);
    for (let i = 0; crunUsable && i < warmup; i++) await timed(berth, CRUN_ARGS);
    const logStart = berth.logs().length;
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? daemons : [...daemons].reverse();
      for (const d of order) samples[d.kind].push(await timed(d));
      if (crunUsable) samples.berthdCrun.push(await timed(berth, CRUN_ARGS));
      for (const rt of floorRts) floor[rt as 'runc' | 'crun'].push(await floorRun(rt));
      floor.cliRun.push(await cliRunFlow());
    }
    networkMs = berth.logs().slice(logStart).split('\n').map((l) => /"networkMs":([\d.]+)/.exec(l)?.[1]).filter(Boolean).map(Number);
  } finally {
    await stub?.close().catch(() => {});
    await berth?.cleanup().catch((e) => console.error(String(e)));
    await docker?.cleanup().catch((e) => console.error(String(e)));
    undoDockerdNetworking(dbridge, policyBefore);
    rmSync(scratch, { recursive: true, force: true });
    removeFloorCgroups();
  }
  const b = summarize(samples.berthd);
  const d = samples.dockerd.length ? summarize(samples.dockerd) : undefined;
  const c = samples.berthdCrun.length ? summarize(samples.berthdCrun) : undefined;
  const n = summarize(networkMs);
  const cliFlow = summarize(floor.cliRun);
  /** The floor's samples, round by round: the runtime's `run` plus the CLI's run flow of the same round. */
  const floorOf = (rt: 'runc' | 'crun') => floor[rt].length ? summarize(floor[rt].map((x, i) => x + floor.cliRun[i]!)) : undefined;
  const fr = floorOf('runc');
  const fc = floorOf('crun');
  console.log(`berthd median ${fmtMs(b.median)} p90 ${fmtMs(b.p90)}; berthd+crun median ${fmtMs(c?.median)}; dockerd median ${fmtMs(d?.median)} p90 ${fmtMs(d?.p90)}; ratio ${fmtRatio(b.median, d?.median)} (crun ${fmtRatio(c?.median, d?.median)}); floor runc ${fmtMs(fr?.median)} (${fmtRatio(fr?.median, d?.median)}) crun ${fmtMs(fc?.median)} (${fmtRatio(fc?.median, d?.median)}); berthd network set-up median ${fmtMs(n.median)} p90 ${fmtMs(n.p90)}`);
  if (opts['no-write']) return;
  const row = (label: string, pick: (s: Summary) => number) =>
    `| ${label} | ${fmtMs(pick(b))} | ${fmtMs(d && pick(d))} | ${fmtRatio(pick(b), d && pick(d))} | ${fmtMs(c && pick(c))} | ${fmtRatio(c && pick(c), d && pick(d))} |`;
  writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'bridge-run', [
    '## Container run latency on the default bridge',
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/bridge-run.ts\` (${runs} runs per daemon after ${warmup} warm-ups).`,
    '',
    `Machine: ${machine.cpus} CPUs, ${machine.memGiB} GiB, ${machine.kernel}, docker CLI ${machine.dockerCli}. ` +
      `berthd commit ${commit}; dockerd ${dockerVersion || '(not measured)'}. ${loads()}`,
    '',
    '| `docker run --rm busybox true` (default bridge) | berthd (runc, its default) | dockerd (runc) | berthd/dockerd | berthd `--runtime crun` | berthd+crun/dockerd |',
    '|---|---|---|---|---|---|',
    row('median', (s) => s.median),
    row('p90', (s) => s.p90),
    row('min', (s) => s.min),
    row('mean', (s) => s.mean),
    '',
    '| floor (same rounds) | median | p90 | floor/dockerd median | berthd above it (median) |',
    '|---|---|---|---|---|',
    ...([['runc', fr, b], ['crun', fc, c]] as const).filter(([, f]) => f).map(([rt, f, own]) =>
      `| \`${rt} run\` of berthd's bundle + the docker CLI's run flow | ${fmtMs(f!.median)} | ${fmtMs(f!.p90)} | ${fmtRatio(f!.median, d?.median)} | ${own ? fmtMs(own.median - f!.median) : '-'} |`),
    `| the docker CLI's run flow alone (stand-in engine answering at once) | ${fmtMs(cliFlow.median)} | ${fmtMs(cliFlow.p90)} | ${fmtRatio(cliFlow.median, d?.median)} | |`,
    '',
    `berthd's network part of each start (namespace, veth, lease, addresses; \`networkMs\` in its debug log): ` +
      `median ${fmtMs(n.median)}, p90 ${fmtMs(n.p90)} (n=${n.n}).`,
    '',
    'How: both daemons private; berthd on its default bridge (own name, 10.213.X.0/24); dockerd with `--bridge` ' +
      'set to a bridge of its own name and subnet made for the run, iptables and MASQUERADE on, its own containerd. ' +
      'Samples alternate between the daemons; each round ends with berthd running the same with `--runtime crun`. ' +
      'dockerd\'s bridge, chains and FORWARD policy are undone afterwards. The floor, sampled in the same rounds, is the ' +
      'runtime alone running `true` in a copy of berthd\'s bundle for a container on the bridge (seccomp, masks, ' +
      'its own cgroup; it joins that container\'s network namespace, so the veth and lease stay on the engine\'s side) ' +
      'plus the docker CLI\'s `run --rm` against a stand-in engine that answers at once (bench/lib/stub-engine.ts), ' +
      'summed round by round. An engine on that runtime cannot go below it.',
    ...notes.map((x) => `\n${x}`),
  ].join('\n'));
}

await main();
