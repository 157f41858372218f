// `docker stats`: one container's figures, once or every second, from the
// shared sampler (sampler.ts). A container that is not running answers with
// empty figures, like dockerd.

import type { ContainerRecord } from '../../../core/container.ts';
import type { ContainerRepository } from '../../../core/metadata.ts';
import type { ContainerStats, StatsSample } from '../../../core/stats.ts';
import { StatFiles, cgroupPids, hostCpu, networkCounters, readCgroupStats } from '../../../runtime/cgroup-stats.ts';
import { detectCgroups } from '../../../runtime/cgroups.ts';
import { StatsSampler, type SampleTarget } from './sampler.ts';

const LIVE = new Set(['running', 'paused']);

const statFiles = new StatFiles();

/**
 * Reads every target in one pass (the host's CPU counters once), keeping the
 * files open for the next pass; cgroups are <cgroupParent>/<id>.
 */
export function readAllStats(targets: SampleTarget[], files: StatFiles = statFiles, cgroupParent = '/berth'): Map<string, ContainerStats> {
  const out = new Map<string, ContainerStats>();
  const host = hostCpu();
  const now = new Date().toISOString().replace(/Z$/, `${String(process.hrtime.bigint() % 1_000_000n).padStart(6, '0')}Z`);
  files.fitToLimit();
  for (const t of targets) {
    const s = readCgroupStats(t.id, host, now, detectCgroups(), files, undefined, cgroupParent);
    if (!s) continue;
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
      release: () => statFiles.close(),
    });
  }

  #sample(rec: ContainerRecord, pair: { current?: ContainerStats; previous?: ContainerStats }): StatsSample {
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
