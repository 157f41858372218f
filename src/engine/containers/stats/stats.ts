// `docker stats`: one container's figures, once or every second, from the
// shared sampler (sampler.ts). A container that is not running answers with
// empty figures, like dockerd.

import type { ContainerRecord } from '../../../core/container.ts';
import type { ContainerRepository } from '../../../core/metadata.ts';
import type { ContainerStats, CpuSample, StatsSample } from '../../../core/stats.ts';
import { cgroupPids, hostCpu, networkCounters, openCgroupCpu, readCgroupCpu, readCgroupRest } from '../../../runtime/cgroup-stats.ts';
import { StatFiles } from '../../../runtime/stat-files.ts';
import { detectCgroups } from '../../../runtime/cgroups.ts';
import { StatsSampler, type SampleTarget, type StatsPair } from './sampler.ts';

const LIVE = new Set(['running', 'paused']);

const statFiles = new StatFiles();

function passTime(): string {
  return new Date().toISOString().replace(/Z$/, `${String(process.hrtime.bigint() % 1_000_000n).padStart(6, '0')}Z`);
}

/**
 * The CPU figures of every target (the host's CPU counters once, first):
 * one sweep of the CPU files only, so that each container's CPU read is as
 * far from the host's as in every other pass (see readAllStats). The files
 * not open yet are opened before the host's counters are read: opening
 * costs more than reading (cgroup locks), and a sweep that opened them
 * would be longer than the next one over the same files.
 */
function sweepCpu(targets: SampleTarget[], files: StatFiles, cgroupParent: string): Map<string, CpuSample> {
  const out = new Map<string, CpuSample>();
  const info = detectCgroups();
  for (const t of targets) openCgroupCpu(t.id, files, info, undefined, cgroupParent);
  const host = hostCpu();
  const now = passTime();
  for (const t of targets) {
    const c = readCgroupCpu(t.id, host, now, info, files, undefined, cgroupParent);
    if (c) out.set(t.id, c);
  }
  return out;
}

/** A pass of the CPU figures alone (what the pass before a cold pair's last one serves), keeping the files open. */
export function readAllCpu(targets: SampleTarget[], files: StatFiles = statFiles, cgroupParent = '/berth'): Map<string, CpuSample> {
  files.fitToLimit();
  const out = sweepCpu(targets, files, cgroupParent);
  files.retain(new Set(targets.map((t) => t.id)));
  return out;
}

/**
 * Reads every target in one pass, keeping the files open for the next
 * pass; cgroups are <cgroupParent>/<id>. The CPU files of all targets come
 * first, right after the host's counters, and the rest after: CPU % divides
 * a container's CPU time between two passes by the host's, read once per
 * pass, so each container's CPU read must sit at the same offset from the
 * host's in both passes, whether the other pass read everything or only CPU
 * (readAllCpu); with the rest interleaved, the last container's interval
 * would be longer than the host's by the difference of the passes' lengths.
 */
export function readAllStats(targets: SampleTarget[], files: StatFiles = statFiles, cgroupParent = '/berth'): Map<string, ContainerStats> {
  files.fitToLimit();
  const cpu = sweepCpu(targets, files, cgroupParent);
  const out = new Map<string, ContainerStats>();
  const info = detectCgroups();
  for (const t of targets) {
    const c = cpu.get(t.id);
    if (!c) continue;
    const s: ContainerStats = { ...c, ...readCgroupRest(t.id, info, files, undefined, cgroupParent) };
    if (t.ownNetwork && t.pid > 0) {
      files.use(t.id);
      const nets = networkCounters(t.pid, files);
      if (nets) s.networks = nets;
    }
    out.set(t.id, s);
  }
  files.retain(new Set(targets.map((t) => t.id)));
  return out;
}

export class ContainerStatsService {
  readonly #containers: ContainerRepository;
  readonly #cgroupParent: string;
  readonly sampler: StatsSampler;

  /** `cgroupParent`: the daemon's --cgroup-parent, where the containers' cgroups are. */
  constructor(containers: ContainerRepository, sampler?: StatsSampler, cgroupParent = '/berth') {
    this.#containers = containers;
    this.#cgroupParent = cgroupParent;
    this.sampler = sampler ?? new StatsSampler({
      targets: () => containers.listShared().filter((r) => LIVE.has(r.state.status)).map((r) => ({
        id: r.id, pid: r.state.pid, ownNetwork: r.hostConfig.networkMode !== 'host' && !r.hostConfig.networkMode.startsWith('container:'),
      })),
      readAll: (targets) => readAllStats(targets, statFiles, cgroupParent),
      readCpu: (targets) => readAllCpu(targets, statFiles, cgroupParent),
      release: () => statFiles.close(),
    });
  }

  #sample(rec: ContainerRecord, pair: StatsPair): StatsSample {
    return { id: rec.id, name: rec.name, ...pair };
  }

  async *stats(ref: string, opts: { stream: boolean; oneShot?: boolean }, signal?: AbortSignal): AsyncGenerator<StatsSample> {
    const rec = this.#containers.resolve(ref);
    const live = () => LIVE.has(this.#containers.get(rec.id)?.state.status ?? '');
    if (!opts.stream) {
      yield live() ? this.#sample(rec, await this.sampler.pair(rec.id, { oneShot: opts.oneShot })) : this.#sample(rec, {});
      return;
    }
    // Streaming: the first answer at once (without previous figures), then one per pass.
    yield live() ? this.#sample(rec, await this.sampler.pair(rec.id, { oneShot: true })) : this.#sample(rec, {});
    let wake: (() => void) | null = null;
    const unsubscribe = this.sampler.subscribe(() => { wake?.(); });
    const aborted = new Promise<void>((resolve) => {
      if (signal?.aborted) resolve();
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    try {
      while (!signal?.aborted) {
        await Promise.race([new Promise<void>((r) => { wake = r; }), aborted]);
        if (signal?.aborted) return;
        if (!this.#containers.get(rec.id)) return; // removed
        yield live() ? this.#sample(rec, this.sampler.latest(rec.id)) : this.#sample(rec, {});
      }
    } finally {
      unsubscribe();
    }
  }

  /** The pids in the container's cgroup. */
  pids(id: string): number[] {
    return cgroupPids(id, detectCgroups(), this.#cgroupParent);
  }

  stop(): void {
    this.sampler.stop();
    statFiles.close();
  }
}
