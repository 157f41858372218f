// The start-up steps that run once the API listens: re-adoption's
// companions (the sweeps of what a crash left, the network rules, the
// image GC). Reads are served meanwhile; a request that may change
// anything waits until they are done (`pending`, api/server.ts), so no
// create races an orphan sweep and no start races the network reconcile.
// A step that fails is logged and the others still run: each repairs
// something of its own, and the daemon serves either way (as dockerd
// logs and goes on when its restore of one part fails).

import type { Logger } from '../core/logger.ts';
import { cpuMs } from './cpu.ts';

export type Step = (name: string, fn: () => Promise<void>) => Promise<void>;

export class BootSteps {
  readonly #log: Logger;
  #pending: Promise<void> | null = null;
  #finished: Promise<void> = Promise.resolve();

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Until the steps are done, what a request that changes anything waits for; then null. */
  get pending(): Promise<void> | null {
    return this.#pending;
  }

  /** Resolves when the steps are done (at once when none ran). */
  get finished(): Promise<void> {
    return this.#finished;
  }

  /** Runs the steps in the background, timing each ('startup steps done'). */
  run(steps: (step: Step) => Promise<void>): void {
    const ms: Record<string, number> = {};
    const t0 = performance.now();
    const step: Step = async (name, fn) => {
      const s = performance.now();
      try {
        await fn();
      } catch (err) {
        this.#log.error('start-up step failed', { step: name, err });
      }
      ms[name] = Math.round(performance.now() - s);
    };
    const done = steps(step).catch((err) => this.#log.error('start-up steps failed', { err })).then(() => {
      this.#pending = null;
      this.#log.info('startup steps done', { ms, totalMs: Math.round(performance.now() - t0), msSinceProcessStart: Math.round(performance.now()), cpuMs: cpuMs() });
    });
    this.#pending = done;
    this.#finished = done;
  }
}
