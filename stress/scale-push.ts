// Push past 1,000: start `busybox sleep` containers on one private berthd
// until --target are running or something refuses, and report where it
// stopped and why (issue 6: "push on to 10,000 and report where it stops").
//
//   bin/node24 --disable-warning=ExperimentalWarning stress/scale-push.ts \
//     [--target 10000] [--step 1000] [--parallel 6] [--runtime crun] [--minutes 0]
//     [--min-available-mib 4096] [--no-write]
//
// Containers are created and started through the API (no CLI process per
// container, so the client's own cost does not set the pace). After every
// --step running: the machine's used memory, berthd's RSS and descriptors,
// the pids in use, and `docker ps` / `docker stats --no-stream` for all, as
// a user sees them. At the end, a daemon restart (SIGTERM, start, first
// /_ping, "live restore finished") and the removal of all. The first
// refusal stops the push; the limits in force at that moment are printed
// beside it. The result goes into docs/benchmarks.md (section scale-push).

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DOCKER_CLI, REPO_ROOT, run, startBerthd, type PrivateDaemon } from '../test/helpers/daemon.ts';
import { apiRequest, ping } from '../test/helpers/api.ts';
import { writeSection } from '../bench/lib/report.ts';
import { meminfo, memorySplit } from '../bench/lib/memory-split.ts';

const { values: opts } = parseArgs({
  options: {
    target: { type: 'string', default: '10000' },
    step: { type: 'string', default: '1000' },
    parallel: { type: 'string', default: '6' },
    runtime: { type: 'string', default: 'crun' },
    minutes: { type: 'string', default: '0' },
    'min-available-mib': { type: 'string', default: '4096' },
    'no-write': { type: 'boolean', default: false },
  },
});
const TARGET = Number(opts.target);
const STEP = Number(opts.step);
const PAR = Number(opts.parallel);
/** Stop starting containers after this long (0: no limit); the restart and the removal still run. */
const BUDGET_MS = Number(opts.minutes) * 60_000;
/**
 * Stop starting containers once the host has less than this available: the
 * machine is shared, and the kernel's OOM killer would pick among everyone's
 * processes. Reported as where the push stopped, with the breakdown.
 */
const MIN_AVAILABLE_MIB = Number(opts['min-available-mib']);

interface Checkpoint {
  running: number;
  elapsedS: number;
  usedMiB: number;
  perContainerMiB: number;
  daemonRssMiB: number;
  daemonFds: number;
  pids: number;
  psMs: number;
  /** GET /containers/json alone (no CLI process), median of 3. */
  apiListMs: number;
  statsMs: number;
  statsRows: number;
  load: string;
  /** KiB per container by where it sits: /proc/meminfo deltas since the start, and the processes' own PSS. */
  breakdown?: Record<string, number>;
}

const usedMiB = () => { const m = meminfo(); return (m.MemTotal! - m.MemAvailable!) / 1024; };
const pidsInUse = () => readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const nofile = (pid: number) => /Max open files\s+(\S+)\s+(\S+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.slice(1, 3).join('/') ?? '?';
const sysctl = (k: string) => readFileSync(`/proc/sys/${k}`, 'utf8').trim();

function breakdown(base: Record<string, number>, baseRssKiB: number, pid: number, running: number): Record<string, number> {
  const split = memorySplit(base, 0, [], 'conmon', running);
  return {
    ...split.fields, used: split.used, conmonPss: split.monitor, containerPss: split.container,
    berthdRss: Math.round((rssMiB(pid) * 1024 - baseRssKiB) / running),
  };
}

/** The limits a push of this kind can meet, read at the moment it stopped. */
function limits(d: PrivateDaemon): Record<string, string | number> {
  const m = meminfo();
  const pid = d.pid;
  return {
    pidsInUse: pidsInUse(), pidMax: sysctl('kernel/pid_max'), threadsMax: sysctl('kernel/threads-max'),
    memAvailableMiB: Math.round(m.MemAvailable! / 1024),
    daemonFds: pid ? fds(pid) : -1, daemonNofile: pid ? nofile(pid) : '?',
    inotifyInstances: sysctl('fs/inotify/max_user_instances'), fileNr: sysctl('fs/file-nr'),
  };
}

async function createAndStart(d: PrivateDaemon, i: number): Promise<string | null> {
  const c = await apiRequest(d.socket, 'POST', `/containers/create?name=p${i}`, {
    timeout: 120_000,
    body: { Image: 'busybox', Cmd: ['sleep', '1000000'], HostConfig: { NetworkMode: 'none', Runtime: opts.runtime } },
  });
  if (c.status !== 201) return `create p${i}: ${c.status} ${c.body.trim()}`;
  const id = (JSON.parse(c.body) as { Id: string }).Id;
  const s = await apiRequest(d.socket, 'POST', `/containers/${id}/start`, { timeout: 120_000 });
  if (s.status !== 204) return `start p${i}: ${s.status} ${s.body.trim()}`;
  return null;
}

async function cli(d: PrivateDaemon, args: string[]) {
  const r = await run(DOCKER_CLI, args, { env: d.env, timeout: 600_000 });
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr.trim().split('\n')[0]}`);
  return r;
}

async function checkpoint(d: PrivateDaemon, running: number, t0: number, base: number, baseInfo: Record<string, number>, baseRssKiB: number): Promise<Checkpoint> {
  await new Promise((r) => setTimeout(r, 3000));
  const used = usedMiB();
  const split = breakdown(baseInfo, baseRssKiB, d.pid!, running);
  const ps: number[] = [];
  for (let k = 0; k < 3; k++) ps.push((await cli(d, ['ps'])).ms);
  ps.sort((a, b) => a - b);
  const list: number[] = [];
  for (let k = 0; k < 3; k++) {
    const l0 = performance.now();
    await apiRequest(d.socket, 'GET', '/containers/json', { timeout: 120_000 });
    list.push(performance.now() - l0);
  }
  list.sort((a, b) => a - b);
  const st = await cli(d, ['stats', '--no-stream']);
  const pid = d.pid!;
  const cp: Checkpoint = {
    running, elapsedS: Math.round((performance.now() - t0) / 1000), usedMiB: Math.round(used),
    perContainerMiB: (used - base) / running, daemonRssMiB: Math.round(rssMiB(pid)), daemonFds: fds(pid),
    pids: pidsInUse(), psMs: ps[1]!, apiListMs: list[1]!, statsMs: st.ms, statsRows: st.stdout.trim().split('\n').length - 1, load: load(), breakdown: split,
  };
  console.error(JSON.stringify(cp));
  return cp;
}

async function main(): Promise<void> {
  const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  const started = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const loadAtStart = load();
  const d = await startBerthd({ startTimeoutMs: 600_000 });
  const points: Checkpoint[] = [];
  let stop: string | undefined;
  let stopLimits: Record<string, string | number> | undefined;
  let restart: { stopMs: number; pingMs: number; restoredMs: number; adopted: number; readyMs: number; stepsMs: number } | undefined;
  let removeMs: number | undefined;
  let running = 0;
  let timeUp: string | undefined;
  try {
    const base = usedMiB();
    const baseInfo = meminfo();
    const baseRssKiB = rssMiB(d.pid!) * 1024;
    const t0 = performance.now();
    let next = 0;
    let outOfTime = false;
    while (running < TARGET && !stop && !outOfTime) {
      const goal = Math.min(TARGET, running + STEP);
      const worker = async () => {
        while (next < goal && !stop && !outOfTime) {
          if (BUDGET_MS > 0 && performance.now() - t0 > BUDGET_MS) { outOfTime = true; break; }
          if (MIN_AVAILABLE_MIB > 0 && meminfo().MemAvailable! / 1024 < MIN_AVAILABLE_MIB) {
            if (!stop) {
              stop = `the host's available memory fell below ${MIN_AVAILABLE_MIB} MiB (the run's guard)`;
              stopLimits = { ...limits(d), ...breakdown(baseInfo, baseRssKiB, d.pid!, Math.max(1, running)) };
            }
            break;
          }
          const i = next++;
          const err = await createAndStart(d, i).catch((e: Error) => `p${i}: ${e.message}`);
          if (err) { if (!stop) { stop = err; stopLimits = limits(d); } } else running++;
        }
      };
      await Promise.all(Array.from({ length: PAR }, worker));
      if (running > 0) points.push(await checkpoint(d, running, t0, base, baseInfo, baseRssKiB).catch((e: Error) => {
        stop ??= `checkpoint at ${running}: ${e.message}`; stopLimits ??= limits(d);
        return { running } as Checkpoint;
      }));
    }
    if (stop) console.error(`stopped at ${running}: ${stop}\n${JSON.stringify(stopLimits)}`);
    if (outOfTime) timeUp = `the run's time budget (${opts.minutes} min) ran out at ${running} running, with nothing refused`;
    // The restart with everything running.
    const s0 = performance.now();
    await d.stop(300_000);
    const stopMs = performance.now() - s0;
    const r0 = performance.now();
    const logFrom = d.logs().length;
    // The first answer (start() polls /_ping every 100 ms), not the end of the start-up steps behind it.
    await d.start({ untilBooted: false });
    const pingMs = (await ping(d.socket)) ? performance.now() - r0 : NaN;
    let done: { adopted?: number } | undefined;
    while (!done && performance.now() - r0 < 600_000) {
      const line = d.logs().slice(logFrom).split('\n').find((l) => l.includes('"msg":"live restore finished"'));
      if (line) done = JSON.parse(line) as { adopted?: number };
      else await new Promise((r) => setTimeout(r, 100));
    }
    const restoredMs = performance.now() - r0;
    // berthd's own account: when it listened and when its start-up steps were done, since its process started.
    const logged = (msg: string) => {
      const line = d.logs().slice(logFrom).split('\n').find((l) => l.includes(`"msg":"${msg}"`));
      return line ? (JSON.parse(line) as { msSinceProcessStart?: number }).msSinceProcessStart ?? NaN : NaN;
    };
    while (Number.isNaN(logged('startup steps done')) && performance.now() - r0 < 600_000) await new Promise((r) => setTimeout(r, 100));
    restart = { stopMs, pingMs, restoredMs, adopted: done?.adopted ?? 0, readyMs: logged('berthd ready'), stepsMs: logged('startup steps done') };
    console.error(JSON.stringify({ restart }));
    // Remove all, 8 at a time.
    const rm0 = performance.now();
    const list = JSON.parse((await apiRequest(d.socket, 'GET', '/containers/json?all=1', { timeout: 120_000 })).body) as { Id: string }[];
    let k = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (k < list.length) {
        const id = list[k++]!.Id;
        await apiRequest(d.socket, 'DELETE', `/containers/${id}?force=1`, { timeout: 120_000 }).catch(() => undefined);
      }
    }));
    removeMs = performance.now() - rm0;
  } finally {
    // The daemon's log (both lives) for reading afterwards.
    try { writeFileSync('/tmp/scale-push-berthd.log', d.logs()); } catch { /* no log */ }
    await d.cleanup().catch((e) => console.error(String(e)));
  }
  const row = (p: Checkpoint) => `| ${p.running} | ${p.elapsedS} s | ${p.perContainerMiB?.toFixed(2)} MiB | ${p.daemonRssMiB} MiB | ${p.daemonFds} | ` +
    `${p.pids} | ${p.psMs?.toFixed(0)} ms | ${p.apiListMs?.toFixed(0)} ms | ${p.statsMs?.toFixed(0)} ms (${p.statsRows} rows) | ${p.load} |`;
  const out = [
    '## Pushing past 1,000 containers',
    '',
    `Measured ${started} UTC by \`stress/scale-push.ts --target ${TARGET} --step ${STEP} --parallel ${PAR} --runtime ${opts.runtime}\` (berthd commit ${commit}; load average at the start ${loadAtStart}).`,
    '',
    '| running | elapsed | memory per container | berthd RSS | berthd fds | pids on the host | `docker ps` | API list | `docker stats --no-stream` | load |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...points.filter((p) => p.psMs !== undefined).map(row),
    '',
    'Where the memory per container sits (KiB per running container: growth of /proc/meminfo fields since the start; PSS of each conmon and of the containers\' processes; berthd\'s RSS growth):',
    '',
    '| running | used | unreclaimable slab | reclaimable slab | anon pages | page tables | kernel stacks | percpu | conmon PSS (each) | container PSS | berthd RSS |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...points.filter((p) => p.breakdown).map((p) => { const b = p.breakdown!; return `| ${p.running} | ${b.used} | ${b.SUnreclaim} | ${b.SReclaimable} | ${b.AnonPages} | ${b.PageTables} | ${b.KernelStack} | ${b.Percpu} | ${b.conmonPss} | ${b.containerPss} | ${b.berthdRss} |`; }),
    '',
    stop ? `Stopped at ${running} running: ${stop}. Limits at that moment: ${JSON.stringify(stopLimits)}.` : timeUp ? `Stopped: ${timeUp}.` : `Reached ${running} running.`,
    restart ? `Restart with ${running} running: SIGTERM to exit ${(restart.stopMs / 1000).toFixed(2)} s, API answering ${(restart.pingMs / 1000).toFixed(2)} s after the start ` +
      `(berthd listening ${(restart.readyMs / 1000).toFixed(2)} s after its process started, start-up steps done after ${(restart.stepsMs / 1000).toFixed(2)} s), ` +
      `live restore finished after ${(restart.restoredMs / 1000).toFixed(2)} s (${restart.adopted} re-adopted). Removal of all: ${((removeMs ?? NaN) / 1000).toFixed(1)} s.` : '',
    '',
    'How: containers created and started through the API, --parallel at a time, `--network none`; memory per container is the growth of MemTotal - MemAvailable since the start over the number running (other work on the machine moves it); `docker ps` and the API list alone (GET /containers/json) the median of 3, `stats` one run, each at the checkpoint.',
  ].join('\n');
  console.log(out);
  if (!opts['no-write']) writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'scale-push', out);
}

await main();
