// Memory per running container, split by where it sits, berthd and dockerd
// in the same run: N `busybox sleep` containers (`--network none`) on each
// private daemon in turn, then per container: the growth of the machine's
// used memory (MemTotal - MemAvailable) and of /proc/meminfo's kernel
// fields (unreclaimable and reclaimable slab, page tables, kernel stacks,
// percpu), the PSS of each container's monitor (conmon; containerd-shim)
// and of its own processes, and the daemons' own growth (berthd; dockerd
// with its containerd). What the kernel keeps per container is the same
// for any engine that gives a container the same cgroups, namespaces and
// mounts; the monitor and the daemon are the engine's.
//
//   node_modules/.bin/node bench/memory-split.ts [--containers 200] [--parallel 4] [--no-dockerd] [--no-write]

import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, REPO_ROOT, run, startBerthd, startDockerd } from '../test/helpers/daemon.ts';
import { apiRequest } from '../test/helpers/api.ts';
import { meminfo, memorySplit, pssOfPids, type MemorySplit } from './lib/memory-split.ts';
import { readFileSync, readdirSync } from 'node:fs';
import { describeMachine, writeSection } from './lib/report.ts';

const { values: opts } = parseArgs({
  options: {
    containers: { type: 'string', default: '200' },
    parallel: { type: 'string', default: '4' },
    'no-dockerd': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
});
const N = Number(opts.containers);
const PAR = Number(opts.parallel);

/** The daemon and, for dockerd, the containerd it spawned. */
function daemonPids(d: PrivateDaemon): number[] {
  const pids = [d.pid!];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) === 'containerd' && Number(stat.slice(close + 2).split(' ')[1]) === d.pid) pids.push(Number(p));
    } catch { /* gone */ }
  }
  return pids;
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function measure(d: PrivateDaemon, monitorComm: string): Promise<MemorySplit & { running: number }> {
  spawnSync('sync');
  await new Promise((r) => setTimeout(r, 2000));
  const base = meminfo();
  const baseDaemon = pssOfPids(daemonPids(d));
  let next = 0;
  let running = 0;
  const ids: string[] = [];
  const worker = async () => {
    while (next < N) {
      const i = next++;
      const c = await apiRequest(d.socket, 'POST', `/containers/create?name=m${i}`, {
        timeout: 120_000, body: { Image: 'busybox', Cmd: ['sleep', '1000000'], HostConfig: { NetworkMode: 'none' } },
      });
      if (c.status !== 201) throw new Error(`create on ${d.kind}: ${c.status} ${c.body}`);
      const id = (JSON.parse(c.body) as { Id: string }).Id;
      ids.push(id);
      const s = await apiRequest(d.socket, 'POST', `/containers/${id}/start`, { timeout: 120_000 });
      if (s.status !== 204) throw new Error(`start on ${d.kind}: ${s.status} ${s.body}`);
      running++;
    }
  };
  try {
    await Promise.all(Array.from({ length: PAR }, worker));
    await new Promise((r) => setTimeout(r, 5000));
    const split = memorySplit(base, baseDaemon, daemonPids(d), monitorComm, running);
    console.error(d.kind, JSON.stringify(split), 'load', load());
    return { ...split, running };
  } finally {
    let k = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (k < ids.length) await apiRequest(d.socket, 'DELETE', `/containers/${ids[k++]!}?force=1`, { timeout: 120_000 }).catch(() => undefined);
    }));
  }
}

async function main(): Promise<void> {
  const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  const started = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const loadAtStart = load();
  const machine = await describeMachine(DOCKER_CLI);
  const rows: Array<[string, MemorySplit & { running: number }]> = [];
  const notes: string[] = [];
  const b = await startBerthd();
  try { rows.push(['berthd (conmon + runc)', await measure(b, 'conmon')]); } finally { await b.cleanup(); }
  if (!opts['no-dockerd']) {
    let d: PrivateDaemon | undefined;
    try {
      d = await startDockerd();
      rows.push(['dockerd (containerd-shim + runc)', await measure(d, 'containerd-shim')]);
    } catch (e) {
      if (!(e instanceof DaemonUnavailable)) throw e;
      notes.push(`Docker not measured: ${e.message.split('\n')[0]}`);
    } finally {
      await d?.cleanup().catch((e) => console.error(String(e)));
    }
  }
  const f = (x: number) => `${x}`;
  const out = [
    '## Memory per container, by where it sits',
    '',
    `Measured ${started} UTC by \`bench/memory-split.ts --containers ${N}\` (berthd commit ${commit}; load average ${loadAtStart} at the start, ${load()} at the end).`,
    '',
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memGiB} GiB, ${machine.kernel}, Node ${machine.node}.`,
    '',
    '| daemon | running | used (MemTotal - MemAvailable) | unreclaimable slab | reclaimable slab | anon pages | page tables | kernel stacks | percpu | monitor PSS | container PSS | daemon PSS growth |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(([name, r]) => `| ${name} | ${r.running} | ${f(r.used)} | ${f(r.fields.SUnreclaim!)} | ${f(r.fields.SReclaimable!)} | ${f(r.fields.AnonPages!)} | ${f(r.fields.PageTables!)} | ${f(r.fields.KernelStack!)} | ${f(r.fields.Percpu!)} | ${f(r.monitor)} | ${f(r.container)} | ${f(r.daemon)} |`),
    '',
    'KiB per running container. How: each daemon in turn (berthd first, each removing its containers before the next ' +
      'starts), `sync` and 2 s idle, then /proc/meminfo and the daemons\' PSS as the base; N containers created and ' +
      'started through the API, several at a time; 5 s later the same read again. The monitor is each container\'s ' +
      'conmon (berthd) or containerd-shim (dockerd), the container PSS that of the monitor\'s children (the ' +
      'containers\' processes); the daemon\'s growth is berthd\'s PSS, or dockerd\'s and its containerd\'s. The kernel ' +
      'fields move with whatever else the machine does meanwhile.',
    ...notes.map((n) => `\n${n}`),
  ].join('\n');
  console.log(out);
  if (!opts['no-write']) writeSection(`${REPO_ROOT}/docs/benchmarks.md`, 'memory-split', out);
}

await main();
