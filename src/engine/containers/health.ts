// Health monitors: one loop per running container with a probe, as
// dockerd's daemon/health.go runs them (see src/core/health.ts for the
// lifecycle). The loop sleeps an interval, runs the probe through the exec
// path, kills it at its timeout, and records the result in the container's
// record under the container's lock. The state machine itself is the pure
// `applyProbeResult`, unit-tested without a container.

import type { ContainerRecord } from '../../core/container.ts';
import {
  HEALTH_LOG_ENTRIES, type HealthResult, type HealthState, type HealthStatus, type ProbeRunner,
} from '../../core/health.ts';
import type { Logger } from '../../core/logger.ts';
import { healthTimings, probeCommand, type HealthTimings } from './health-config.ts';

export interface HealthDeps {
  probes: ProbeRunner;
  log: Logger;
  /**
   * Applies a probe's outcome to the record under the container's lock:
   * `fn` gets the fresh record (or none) and says whether to store it.
   */
  update(id: string, fn: (rec: ContainerRecord) => boolean): Promise<ContainerRecord | null>;
  /** "health_status: <status>" events. */
  emit(rec: ContainerRecord, action: string): void;
}

/** The health a container has at (re)start: "starting", the old log kept; none without a probe. */
export function startingHealth(rec: ContainerRecord): HealthState | undefined {
  if (!probeCommand(rec.config.healthcheck)) return undefined;
  return { status: 'starting', failingStreak: 0, log: rec.state.health?.log ?? [] };
}

/** dockerd 20.10 reads "unhealthy" once its monitor stopped (pause, exit), until the next result or start. */
export function stoppedHealth(h: HealthState | undefined): HealthState | undefined {
  return h ? { ...h, status: 'unhealthy' } : undefined;
}

/**
 * dockerd's handleProbeResult: a success makes it healthy; a failure adds
 * to the streak (not while starting within the start period) and at
 * `retries` makes it unhealthy. Returns the new state.
 */
export function applyProbeResult(h: HealthState, result: HealthResult, opts: { retries: number; startPeriodMs: number; startedAt: string }): HealthState {
  const log = [...h.log, result].slice(-HEALTH_LOG_ENTRIES);
  if (result.exitCode === 0) return { status: 'healthy', failingStreak: 0, log };
  if (h.status === 'starting' && Date.parse(result.start) - Date.parse(opts.startedAt) < opts.startPeriodMs) {
    return { ...h, log };
  }
  const failingStreak = h.failingStreak + 1;
  const status: HealthStatus = failingStreak >= opts.retries ? 'unhealthy' : h.status;
  return { status, failingStreak, log };
}

/** The time to the next probe: the start interval while starting within the start period (dockerd >= 25). */
export function nextDelayMs(t: HealthTimings, status: HealthStatus | undefined, startedAt: string, now: number): number {
  const inStartPeriod = now - Date.parse(startedAt) < t.startPeriodMs;
  return inStartPeriod && status === 'starting' ? t.startIntervalMs : t.intervalMs;
}

export class HealthMonitors {
  readonly #d: HealthDeps;
  readonly #running = new Map<string, Monitor>();

  constructor(deps: HealthDeps) {
    this.#d = deps;
  }

  /** Starts probing a running container (after start, unpause, live restore); replaces a monitor already running. */
  open(rec: ContainerRecord): void {
    this.close(rec.id);
    const cmd = probeCommand(rec.config.healthcheck, rec.config.shell);
    if (!cmd) return;
    const m = new Monitor(this.#d, rec, cmd, () => { if (this.#running.get(rec.id) === m) this.#running.delete(rec.id); });
    this.#running.set(rec.id, m);
    m.run();
  }

  /** Stops probing (pause, exit, removal): a probe in flight is killed and its result dropped. */
  close(id: string): void {
    const m = this.#running.get(id);
    if (!m) return;
    this.#running.delete(id);
    m.stop();
  }

  /** Containers being probed (for tests and shutdown). */
  get active(): string[] { return [...this.#running.keys()]; }

  shutdown(): void {
    for (const id of [...this.#running.keys()]) this.close(id);
  }
}

class Monitor {
  readonly #d: HealthDeps;
  readonly #id: string;
  readonly #cmd: string[];
  readonly #t: HealthTimings;
  readonly #startedAt: string;
  readonly #abort = new AbortController();
  readonly #done: () => void;
  #status: HealthStatus | undefined;

  constructor(d: HealthDeps, rec: ContainerRecord, cmd: string[], done: () => void) {
    this.#d = d;
    this.#id = rec.id;
    this.#cmd = cmd;
    this.#t = healthTimings(rec.config.healthcheck!);
    this.#startedAt = rec.state.startedAt;
    this.#status = rec.state.health?.status;
    this.#done = done;
  }

  stop(): void { this.#abort.abort(); }

  run(): void {
    this.#loop().catch((err) => this.#d.log.warn('health monitor failed', { id: this.#id, err })).finally(this.#done);
  }

  async #loop(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      if (!(await sleep(nextDelayMs(this.#t, this.#status, this.#startedAt, Date.now()), signal))) return;
      const result = await this.#probe(signal);
      if (signal.aborted) return;
      await this.#record(result);
    }
  }

  /** One probe run: its result, or a timeout result once the timeout killed it. */
  async #probe(stopped: AbortSignal): Promise<HealthResult> {
    const start = new Date().toISOString();
    const kill = new AbortController();
    const onStop = () => kill.abort();
    stopped.addEventListener('abort', onStop, { once: true });
    let timedOutAt: string | null = null;
    const timer = setTimeout(() => { timedOutAt = new Date().toISOString(); kill.abort(); }, this.#t.timeoutMs);
    try {
      const r = await this.#d.probes.run(this.#id, this.#cmd, kill.signal);
      if (timedOutAt) return { start, end: timedOutAt, exitCode: -1, output: `Health check exceeded timeout (${this.#t.timeoutText})` };
      return { start, end: new Date().toISOString(), exitCode: r.exitCode, output: r.output };
    } catch (err) {
      if (timedOutAt) return { start, end: timedOutAt, exitCode: -1, output: `Health check exceeded timeout (${this.#t.timeoutText})` };
      return { start, end: new Date().toISOString(), exitCode: -1, output: (err as Error).message };
    } finally {
      clearTimeout(timer);
      stopped.removeEventListener('abort', onStop);
    }
  }

  async #record(result: HealthResult): Promise<void> {
    let before: HealthStatus | undefined;
    const rec = await this.#d.update(this.#id, (rec) => {
      // Stopped while waiting for the lock, or the container moved on: the result is stale.
      if (this.#abort.signal.aborted || rec.state.status !== 'running' || rec.state.startedAt !== this.#startedAt) return false;
      const h = rec.state.health ?? { status: 'starting', failingStreak: 0, log: [] };
      before = h.status;
      rec.state.health = applyProbeResult(h, result, { retries: this.#t.retries, startPeriodMs: this.#t.startPeriodMs, startedAt: this.#startedAt });
      return true;
    });
    const now = rec?.state.health?.status;
    if (!rec || !now) return;
    this.#status = now;
    if (now !== before) this.#d.emit(rec, `health_status: ${now}`);
  }
}

/** Resolves true after ms, false as soon as the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(true); }, ms);
    const onAbort = () => { clearTimeout(timer); resolve(false); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
