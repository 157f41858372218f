// One sampler for every stats client. A pass reads the figures of all
// running containers at once (cgroup files, /proc/<pid>/net/dev, /proc/stat
// once); clients only ever read the last two passes. With 200 containers and
// 200 `docker stats` streams that is one pass a second, not 200 x 200 reads.
//
//   streaming clients   subscribe(): passes run every interval while anyone
//                       listens, and each listener gets its container's
//                       (current, previous) after each pass;
//   one-shot clients    pair(): answers from the last two passes when they
//                       are fresh; otherwise runs two passes a short gap
//                       apart, shared by every request that arrives
//                       meanwhile (`docker stats --no-stream` asks for
//                       every container at once).
//
// Of the pass before the latest, Docker's answer carries only the CPU
// figures (precpu_stats, preread), so the first pass of a cold pair reads
// only the CPU files (v1: 4 of about 13 files, v2: 1 of 7). The
// answer's current figures always come from a full pass; the previous ones
// are the CPU figures of whichever pass ran just before it, full or not.

import type { ContainerStats, CpuSample } from '../../../core/stats.ts';

export interface SampleTarget { id: string; pid: number; ownNetwork: boolean }

export interface SamplerDeps {
  /** The containers to read now (running ones). */
  targets(): SampleTarget[];
  /** One pass: figures by container ID (a container whose cgroup is gone is left out). */
  readAll(targets: SampleTarget[]): Map<string, ContainerStats>;
  /** One pass of the CPU figures alone; without it, the first pass of a cold pair reads everything. */
  readCpu?(targets: SampleTarget[]): Map<string, CpuSample>;
  /** Lets go of what passes keep between them (open descriptors); called once no pass has run for two intervals. */
  release?(): void;
  intervalMs?: number;
  /** Gap between the two passes of a cold one-shot read. */
  pairGapMs?: number;
}

export interface StatsPair { current?: ContainerStats; previous?: CpuSample }

/** `at`: when the pass ended; `ms`: how long it took. */
interface Pass<T extends CpuSample> { at: number; ms: number; figures: Map<string, T> }

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class StatsSampler {
  readonly #d: SamplerDeps;
  readonly #interval: number;
  readonly #gap: number;
  /** The last full pass: where current figures come from. */
  #latest: Pass<ContainerStats> | null = null;
  /** The pass that ran just before #latest, full or CPU-only: where previous figures come from. */
  #previous: Pass<CpuSample> | null = null;
  /** The last pass of either kind: what the next full pass will pair with. */
  #last: Pass<CpuSample> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #warming: Promise<void> | null = null;
  #idle: NodeJS.Timeout | null = null;
  readonly #listeners = new Set<() => void>();
  passes = 0;

  constructor(deps: SamplerDeps) {
    this.#d = deps;
    this.#interval = deps.intervalMs ?? 1000;
    this.#gap = deps.pairGapMs ?? 200;
  }

  /** A full pass, or with `cpuOnly` one that only starts the next full pass's CPU interval. */
  #pass(cpuOnly = false): void {
    const t0 = performance.now();
    const targets = this.#d.targets();
    const done = <T extends CpuSample>(figures: Map<string, T>): Pass<T> => ({ at: Date.now(), ms: performance.now() - t0, figures });
    if (cpuOnly && this.#d.readCpu) {
      this.#last = done(this.#d.readCpu(targets));
    } else {
      const full = done(this.#d.readAll(targets));
      this.#previous = this.#last;
      this.#latest = this.#last = full;
    }
    this.passes++;
    // Passes keep the files they read open for the next one; with no next
    // pass (a one-shot reader left, the last stream closed) nothing would
    // ever close those of containers removed meanwhile.
    if (this.#d.release) {
      if (this.#idle) clearTimeout(this.#idle);
      this.#idle = setTimeout(() => { this.#idle = null; if (!this.#timer) this.#d.release?.(); }, 2 * this.#interval);
      this.#idle.unref();
    }
  }

  #pairOf(id: string): StatsPair {
    const current = this.#latest?.figures.get(id);
    const previous = this.#previous?.figures.get(id);
    return { ...(current ? { current } : {}), ...(previous ? { previous } : {}) };
  }

  /** The last two passes' figures for id, running passes first if they are stale. */
  async pair(id: string, opts: { oneShot?: boolean } = {}): Promise<StatsPair> {
    // A pass stays fresh for an interval, or for twice its own length when
    // passes are slow (thousands of containers on a busy host): otherwise
    // each of the requests of one `docker stats --no-stream` that arrive
    // after a long pass would run another.
    const fresh = (p: Pass<CpuSample> | null) => p !== null && Date.now() - p.at < Math.max(this.#interval, 2 * p.ms);
    if (opts.oneShot) {
      if (!fresh(this.#latest)) this.#pass();
      return { ...(this.#latest?.figures.get(id) ? { current: this.#latest.figures.get(id)! } : {}) };
    }
    const ready = () => fresh(this.#latest) && this.#previous !== null && this.#latest!.figures.has(id);
    if (!ready()) {
      this.#warming ??= (async () => {
        try {
          if (!fresh(this.#last)) this.#pass(true);
          await sleep(this.#gap);
          this.#pass();
        } finally {
          this.#warming = null;
        }
      })();
      await this.#warming;
    }
    return this.#pairOf(id);
  }

  /** Calls fn after every pass until the returned function is called. */
  subscribe(fn: () => void): () => void {
    this.#listeners.add(fn);
    if (!this.#timer) {
      this.#timer = setInterval(() => {
        try { this.#pass(); } catch { /* a failed pass is retried at the next tick */ }
        for (const l of this.#listeners) l();
      }, this.#interval);
    }
    return () => {
      this.#listeners.delete(fn);
      if (this.#listeners.size === 0 && this.#timer) {
        clearInterval(this.#timer);
        this.#timer = null;
      }
    };
  }

  /** The figures of the last pass for id (what a listener reads when called). */
  latest(id: string): StatsPair {
    return this.#pairOf(id);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#idle) clearTimeout(this.#idle);
    this.#timer = this.#idle = null;
    this.#d.release?.();
    this.#listeners.clear();
  }
}
