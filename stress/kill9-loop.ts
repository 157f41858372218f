// The kill -9 loop: a private berthd runs the mixed workload of
// kill9-workload.ts, is killed with SIGKILL at a random moment, and is
// restarted on the same roots; after every restart the daemon is audited
// (test/helpers/leftovers.ts):
//   - every running container has its live process under its own conmon;
//   - no conmon, `runc init` or other process, cgroup, runtime state,
//     bundle or mount exists for a container that is not running or gone;
//   - container directories and snapshots match the container list;
//   - every image (and every tag) inspects;
//   - a new `run --rm` works.
// At the end every container is removed and the daemon stopped: nothing
// may be left (process, mount, cgroup, runtime state, directory).
//
// The daemon gets its own --cgroup-parent, so any cgroup under it that is
// not a running container's is a leak, whatever its name.

import { randomBytes } from 'node:crypto';
import { rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { startBerthd, type PrivateDaemon } from '../test/helpers/daemon.ts';
import { audit, auditEmpty, cgroupChildren, cgroupMountPoints, type ContainerSummary } from '../test/helpers/leftovers.ts';
import { sleep } from '../test/helpers/procs.ts';
import { Workload, call, seeded } from './kill9-workload.ts';

export interface Kill9Options {
  kills: number;
  seed: number;
  /** The workload runs this long (random within) before each kill. */
  minRunMs: number;
  maxRunMs: number;
  workers: number;
  log?: (line: string) => void;
}

export interface Kill9Report {
  kills: number;
  seed: number;
  containers: number;
  ops: number;
  opsCut: number;
  byOp: Record<string, number>;
  /** Problems found by the audits, each prefixed with the kill it followed. */
  leaks: string[];
  /** Spawn to first answered /_ping, per restart (ms): Node's own start included. */
  restartMs: number[];
  /** From storage ready to API listening, per restart (ms): restore, reconcile and sweeps. */
  bootMs: number[];
  /** Containers running / listed at each audit. */
  runningAtAudit: number[];
  listedAtAudit: number[];
  final: string[];
  /** berthd's warn and error log lines (for diagnosis). */
  daemonWarnings: string[];
  durationMs: number;
}

async function summaries(d: PrivateDaemon): Promise<ContainerSummary[]> {
  const r = await call(d.socket, 'GET', '/containers/json?all=1');
  const out: ContainerSummary[] = [];
  for (const c of JSON.parse(r.body) as Array<{ Id: string }>) {
    const i = await call(d.socket, 'GET', `/containers/${c.Id}/json`);
    if (i.status !== 200) continue; // removed meanwhile (an auto-remove finishing)
    const s = JSON.parse(i.body).State;
    out.push({ id: c.Id, status: s.Status, pid: s.Pid });
  }
  return out;
}

/** Audits until clean or `ms` passed: exits seen after the restart settle within moments. */
async function settledAudit(d: PrivateDaemon, ids: Set<string>, parent: string, ms = 5_000): Promise<{ problems: string[]; list: ContainerSummary[] }> {
  const end = Date.now() + ms;
  for (;;) {
    const list = await summaries(d);
    const running = new Set(list.filter((c) => c.status === 'running').map((c) => c.id));
    const problems = audit(d, list, ids, parent);
    for (const child of cgroupChildren(parent)) if (!running.has(child)) problems.push(`cgroup ${parent}/${child} of a container not running`);
    if (problems.length === 0 || Date.now() > end) return { problems, list };
    await sleep(250);
  }
}

/** "storage ready" to "berthd ready" of the daemon's last start, from its log. */
function lastBootMs(log: string): number {
  const lines = log.split('\n');
  const at = (msg: string) => {
    for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.includes(`"msg":"${msg}"`)) return Date.parse(JSON.parse(lines[i]!).time as string);
    return NaN;
  };
  return at('berthd ready') - at('storage ready');
}

async function imagesInspect(d: PrivateDaemon): Promise<string[]> {
  const problems: string[] = [];
  const r = await call(d.socket, 'GET', '/images/json?all=1');
  for (const img of JSON.parse(r.body) as Array<{ Id: string; RepoTags: string[] | null }>) {
    for (const ref of [img.Id, ...(img.RepoTags ?? [])]) {
      const i = await call(d.socket, 'GET', `/images/${encodeURIComponent(ref)}/json`);
      if (i.status !== 200) problems.push(`image ${ref} does not inspect: ${i.status} ${i.body.slice(0, 100)}`);
    }
  }
  return problems;
}

async function runRm(d: PrivateDaemon): Promise<string[]> {
  const c = await call(d.socket, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['echo', 'ok'], HostConfig: { AutoRemove: true } });
  if (c.status !== 201) return [`run --rm: create answered ${c.status} ${c.body.slice(0, 200)}`];
  const id = JSON.parse(c.body).Id as string;
  const waited = call(d.socket, 'POST', `/containers/${id}/wait?condition=removed`);
  const s = await call(d.socket, 'POST', `/containers/${id}/start`);
  if (s.status !== 204) return [`run --rm: start answered ${s.status} ${s.body.slice(0, 200)}`];
  const w = await waited;
  if (w.status !== 200 || JSON.parse(w.body).StatusCode !== 0) return [`run --rm: wait answered ${w.status} ${w.body.slice(0, 200)}`];
  return [];
}

export async function kill9Loop(o: Kill9Options): Promise<Kill9Report> {
  const t0 = Date.now();
  const log = o.log ?? (() => {});
  const rand = seeded(o.seed);
  const parent = `/berth-k9-${randomBytes(4).toString('hex')}`;
  const d = await startBerthd({ args: ['--cgroup-parent', parent] });
  const work = new Workload(() => d.socket, rand);
  const report: Kill9Report = {
    kills: 0, seed: o.seed, containers: 0, ops: 0, opsCut: 0, byOp: {}, leaks: [], restartMs: [], bootMs: [],
    runningAtAudit: [], listedAtAudit: [], final: [], daemonWarnings: [], durationMs: 0,
  };
  try {
    for (let k = 1; k <= o.kills; k++) {
      let stop!: () => void;
      const stopped = new Promise<void>((r) => { stop = r; });
      const running = work.run(o.workers, stopped);
      await sleep(o.minRunMs + Math.floor(rand() * (o.maxRunMs - o.minRunMs)));
      await d.kill9();
      stop();
      await running;
      report.kills = k;
      const t = Date.now();
      await d.start();
      report.restartMs.push(Date.now() - t);
      report.bootMs.push(lastBootMs(d.logs()));
      const { problems, list } = await settledAudit(d, work.stats.ids, parent);
      problems.push(...await imagesInspect(d), ...await runRm(d));
      report.runningAtAudit.push(list.filter((c) => c.status === 'running').length);
      report.listedAtAudit.push(list.length);
      report.leaks.push(...problems.map((p) => `after kill ${k}: ${p}`));
      log(`kill ${k}/${o.kills}: restart ${report.restartMs.at(-1)} ms (boot ${report.bootMs.at(-1)} ms), ${list.length} containers (${report.runningAtAudit.at(-1)} running), ${work.stats.ops} ops, ${problems.length} problems${problems.length ? `: ${problems.join('; ')}` : ''}`);
    }
    // The end: remove everything, stop, and nothing may be left.
    for (const c of await summaries(d)) await call(d.socket, 'DELETE', `/containers/${c.id}?force=1`);
    for (const tag of ['k9:t0', 'k9:t1', 'k9:t2', 'k9:t3', 'k9:t4', 'k9imp:i0', 'k9imp:i1', 'k9imp:i2', 'k9imp:i3']) {
      await call(d.socket, 'DELETE', `/images/${encodeURIComponent(tag)}`);
    }
    await d.stop();
    report.final.push(...auditEmpty(d, work.stats.ids, parent));
    for (const child of cgroupChildren(parent)) report.final.push(`cgroup ${parent}/${child} left`);
  } finally {
    Object.assign(report, { containers: work.stats.ids.size, ops: work.stats.ops, opsCut: work.stats.failed, byOp: work.stats.byOp });
    report.daemonWarnings = d.logs().split('\n').filter((l) => /"level":"(warn|error)"/.test(l)).map((l) => l.slice(0, 400));
    await d.cleanup().catch((e: unknown) => report.final.push(`cleanup: ${String(e).slice(0, 300)}`));
    for (const mp of cgroupMountPoints()) {
      try { rmdirSync(join(mp, parent)); } catch { /* absent or (reported above) not empty */ }
    }
    report.durationMs = Date.now() - t0;
  }
  return report;
}
