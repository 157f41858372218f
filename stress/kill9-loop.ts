// The kill -9 loop: a private berthd (and a `berth registry serve` on
// loopback for pull and push) runs the mixed workload of kill9-workload.ts,
// is killed with SIGKILL at a random moment, and is restarted on the same
// roots; after every restart the daemon is audited:
//   - processes, cgroups, mounts (test/helpers/leftovers.ts): every running
//     container has its live process under its own conmon; no conmon,
//     `runc init` or other process, cgroup, runtime state, bundle or mount
//     exists for a container that is not running or gone; container
//     directories and snapshots match the container list;
//   - storage (kill9-audit.ts): blobs match their digests, the metadata
//     database checks, every image has its blobs and layer snapshots, no
//     layer or blob is orphaned;
//   - acknowledged effects: every call that answered success still has its
//     effect (containers' states and exit codes, tags, volumes, networks and
//     connections, exec writes, pushes in the registry);
//   - networks have their bridges and rules, volumes their directories;
//   - every image (and every tag) inspects, an exec into a running container
//     and a new `run --rm` work.
// Problems are counted as corruptions (storage), lost effects, or leaks.
// At the end every container, image, volume and network the workload made
// is removed and the daemon stopped: nothing may be left (process, mount,
// cgroup, runtime state, directory, bridge, iptables rule).
//
// The daemon gets its own --cgroup-parent, so any cgroup under it that is
// not a running container's is a leak, whatever its name.

import { randomBytes } from 'node:crypto';
import { copyFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { startBerthd, type PrivateDaemon } from '../test/helpers/daemon.ts';
import { daemonNetworkLeftovers, daemonNetworks } from '../test/helpers/daemon.ts';
import { audit, auditEmpty, cgroupChildren, cgroupMountPoints, type ContainerSummary } from '../test/helpers/leftovers.ts';
import { sleep } from '../test/helpers/procs.ts';
import { startBerthRegistry, type RunningRegistry } from '../test/helpers/registry.ts';
import { ExitMemory, ackAudit, rebase, resourceAudit, storageAudit, type StorageFigures } from './kill9-audit.ts';
import { streamResult } from './kill9-ops.ts';
import { Workload, call, seeded } from './kill9-workload.ts';

export interface Kill9Options {
  kills: number;
  seed: number;
  /** The workload runs this long (random within) before each kill. */
  minRunMs: number;
  maxRunMs: number;
  workers: number;
  /** Stops the loop after the current round; the end's clean-up still runs. */
  signal?: AbortSignal;
  /** Where to copy the daemon's log when anything was found (default: not kept). */
  keepLog?: string;
  /** Run pull and push against a local registry (default true). */
  registry?: boolean;
  log?: (line: string) => void;
}

export interface Kill9Report {
  kills: number;
  seed: number;
  containers: number;
  ops: number;
  opsCut: number;
  byOp: Record<string, number>;
  /** Acknowledged calls whose effect the audits checked, by kind. */
  acks: Record<string, number>;
  /** Problems found by the audits, each prefixed with the kill it followed: storage damaged... */
  corruptions: string[];
  /** ...an acknowledged effect missing... */
  lost: string[];
  /** ...or anything else (a leaked process, mount, cgroup, bridge; something that no longer works). */
  leaks: string[];
  /** Content store at the last audit. */
  storage: StorageFigures;
  /** Spawn to first answered /_ping, per restart (ms): Node's own start included. */
  restartMs: number[];
  /** From storage ready to API listening, per restart (ms): restore, reconcile and sweeps. */
  bootMs: number[];
  /** Spawn to the end of live restore (a network list, which waits for it), per restart (ms). */
  restoredMs: number[];
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

/** An exec into one long-running container works after the restart (the monitor was re-adopted). */
async function execWorks(d: PrivateDaemon, list: ContainerSummary[], long: (id: string) => boolean): Promise<string[]> {
  const c = list.find((x) => x.status === 'running' && long(x.id));
  if (!c) return [];
  const e = await call(d.socket, 'POST', `/containers/${c.id}/exec`, { Cmd: ['true'], AttachStdout: true });
  if (e.status === 404 || e.status === 409) return []; // exited meanwhile
  if (e.status !== 201) return [`exec into ${c.id.slice(0, 12)}: create answered ${e.status} ${e.body.slice(0, 200)}`];
  const id = JSON.parse(e.body).Id as string;
  await call(d.socket, 'POST', `/exec/${id}/start`, { Detach: false, Tty: false });
  const i = await call(d.socket, 'GET', `/exec/${id}/json`);
  const code = i.status === 200 ? JSON.parse(i.body).ExitCode : null;
  if (code === 0) return [];
  const state = JSON.parse((await call(d.socket, 'GET', `/containers/${c.id}/json`)).body).State;
  return [`exec into ${c.id.slice(0, 12)} (${state.Status}, pid ${state.Pid}): exit ${code} (${i.status})`];
}

/** busybox in the registry as k9/base:latest, for the workload's pulls. */
async function seedRegistry(d: PrivateDaemon, reg: RunningRegistry): Promise<void> {
  const t = await call(d.socket, 'POST', `/images/busybox/tag?repo=${encodeURIComponent(`${reg.host}/k9/base`)}&tag=latest`);
  if (t.status !== 201) throw new Error(`tag for the registry: ${t.status} ${t.body}`);
  const p = await call(d.socket, 'POST', `/images/${encodeURIComponent(`${reg.host}/k9/base`)}/push?tag=latest`);
  const err = streamResult(p.body).error;
  if (p.status !== 200 || err) throw new Error(`push to the registry: ${p.status} ${err ?? p.body.slice(0, 300)}`);
}

/** Everything the workload made: containers, images, volumes, networks. */
async function removeAll(d: PrivateDaemon): Promise<string[]> {
  const problems: string[] = [];
  const del = async (what: string, path: string, ok: number[]) => {
    const r = await call(d.socket, 'DELETE', path);
    if (!ok.includes(r.status)) problems.push(`${what}: ${r.status} ${r.body.slice(0, 200)}`);
  };
  for (const c of await summaries(d)) await del(`rm -f ${c.id.slice(0, 12)}`, `/containers/${c.id}?force=1&v=1`, [204, 404]);
  const images = JSON.parse((await call(d.socket, 'GET', '/images/json?all=1')).body) as Array<{ Id: string; RepoTags: string[] | null }>;
  for (const img of images) {
    for (const tag of img.RepoTags ?? []) if (!tag.startsWith('busybox:')) await del(`rmi ${tag}`, `/images/${encodeURIComponent(tag)}`, [200, 404, 409]);
  }
  // Untagged images left (build steps, images whose tags moved): by ID, children first, a few rounds.
  for (let round = 0; round < 5; round++) {
    const left = (JSON.parse((await call(d.socket, 'GET', '/images/json?all=1')).body) as Array<{ Id: string; RepoTags: string[] | null }>)
      .filter((i) => !(i.RepoTags ?? []).some((t) => t.startsWith('busybox:')));
    if (left.length === 0) break;
    for (const i of left) await call(d.socket, 'DELETE', `/images/${i.Id}`);
    if (round === 4) problems.push(`images that would not go: ${left.map((i) => i.Id.slice(7, 19)).join(', ')}`);
  }
  await call(d.socket, 'POST', '/build/prune?all=1');
  for (const v of JSON.parse((await call(d.socket, 'GET', '/volumes')).body).Volumes ?? []) await del(`volume rm ${v.Name}`, `/volumes/${v.Name}`, [204, 404]);
  for (const n of JSON.parse((await call(d.socket, 'GET', '/networks')).body) as Array<{ Name: string }>) {
    if (!['bridge', 'host', 'none'].includes(n.Name)) await del(`network rm ${n.Name}`, `/networks/${n.Name}`, [204, 404]);
  }
  return problems;
}

export async function kill9Loop(o: Kill9Options): Promise<Kill9Report> {
  const t0 = Date.now();
  const log = o.log ?? (() => {});
  const rand = seeded(o.seed);
  const parent = `/berth-k9-${randomBytes(4).toString('hex')}`;
  const report: Kill9Report = {
    kills: 0, seed: o.seed, containers: 0, ops: 0, opsCut: 0, byOp: {}, acks: {}, corruptions: [], lost: [], leaks: [], restartMs: [], bootMs: [], restoredMs: [],
    runningAtAudit: [], listedAtAudit: [], final: [], daemonWarnings: [], durationMs: 0, storage: { blobs: 0, blobBytes: 0, images: 0, layers: 0 },
  };
  let reg: RunningRegistry | null = null;
  let d: PrivateDaemon | null = null;
  let work: Workload | null = null;
  try {
    reg = o.registry === false ? null : await startBerthRegistry();
    // Generous: on a loaded machine Node alone takes tens of seconds to start.
    d = await startBerthd({ args: ['--cgroup-parent', parent], startTimeoutMs: 120_000 });
    const daemon = d;
    const bridge = daemonNetworks.get(d)!.bridge;
    if (reg) await seedRegistry(d, reg);
    work = new Workload(() => daemon.socket, rand, { registry: reg?.host });
    const exits = new ExitMemory();
    for (let k = 1; k <= o.kills && !o.signal?.aborted; k++) {
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
      // Live restore goes on after the API answers; the audit reads its result.
      await call(d.socket, 'GET', '/networks');
      report.restoredMs.push(Date.now() - t);
      const { problems, list } = await settledAudit(d, work.stats.ids, parent);
      problems.push(...await resourceAudit(d, bridge), ...await exits.check(d, list.map((c) => c.id)));
      const corrupt = storageAudit(d, report.storage);
      const lost = await ackAudit(d, work.model, reg?.host);
      problems.push(...await imagesInspect(d), ...await execWorks(d, list, (id) => work!.model.containers.get(id)?.long === true), ...await runRm(d));
      await rebase(d, work.model);
      report.runningAtAudit.push(list.filter((c) => c.status === 'running').length);
      report.listedAtAudit.push(list.length);
      report.leaks.push(...problems.map((p) => `after kill ${k}: ${p}`));
      report.corruptions.push(...corrupt.map((p) => `after kill ${k}: ${p}`));
      report.lost.push(...lost.map((p) => `after kill ${k}: ${p}`));
      const all = [...corrupt, ...lost, ...problems];
      log(`kill ${k}/${o.kills}: restart ${report.restartMs.at(-1)} ms (boot ${report.bootMs.at(-1)} ms, restored ${report.restoredMs.at(-1)} ms), ${list.length} containers (${report.runningAtAudit.at(-1)} running), ` +
        `${report.storage.images} images, ${report.storage.blobs} blobs, ${work.stats.ops} ops, ${all.length} problems${all.length ? `: ${all.join('; ')}` : ''}`);
    }
    // The end: remove everything, stop, and nothing may be left.
    report.final.push(...await removeAll(d));
    report.final.push(...storageAudit(d), ...await resourceAudit(d, bridge));
    await d.stop();
    report.final.push(...auditEmpty(d, work.stats.ids, parent));
    for (const child of cgroupChildren(parent)) report.final.push(`cgroup ${parent}/${child} left`);
    const net = daemonNetworkLeftovers(bridge);
    for (const l of net.links) if (l !== bridge) report.final.push(`link ${l} left after stop`);
  } catch (e) {
    // Reported, and the clean-up below still runs.
    report.final.push(`the loop stopped after ${report.kills} kills: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  } finally {
    if (work) Object.assign(report, { containers: work.stats.ids.size, ops: work.stats.ops, opsCut: work.stats.failed, byOp: work.stats.byOp, acks: work.model.acks });
    const found = report.corruptions.length + report.lost.length + report.leaks.length + report.final.length;
    if (d && o.keepLog && found) copyFileSync(d.logFile, o.keepLog);
    if (d) {
      report.daemonWarnings = d.logs().split('\n').filter((l) => /"level":"(warn|error)"/.test(l)).map((l) => l.slice(0, 400));
      await d.cleanup().catch((e: unknown) => report.final.push(`cleanup: ${String(e).slice(0, 300)}`));
    }
    await reg?.stop().catch((e: unknown) => report.final.push(`registry stop: ${String(e).slice(0, 300)}`));
    for (const mp of cgroupMountPoints()) {
      try { rmdirSync(join(mp, parent)); } catch { /* absent or (reported above) not empty */ }
    }
    report.durationMs = Date.now() - t0;
  }
  return report;
}
