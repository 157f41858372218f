// Runtime leftovers that go in the background: a container's runtime state,
// cgroups and bundle after its exit (and, once it exited, its removal).
// One chain per container in ctx.runtimeCleanups: a later start of the same
// container waits for it (startLocked), so does the daemon's shutdown and
// the boot sweep; what a crash cuts short, the next boot's reconcile finds
// (a runtime trace no record owns) and purges.

import type { EngineContext } from './context.ts';

/** Runs `work` after the container's earlier cleanups, tracked until it is over; never rejects. */
export function trackRuntimeCleanup(ctx: EngineContext, id: string, work: () => Promise<void>): void {
  const t0 = performance.now();
  const prev = ctx.runtimeCleanups.get(id) ?? Promise.resolve();
  const done: Promise<void> = prev
    .then(work)
    .then(() => ctx.log.debug('runtime cleaned up', { id, ms: Math.round(performance.now() - t0) }))
    .catch((err) => ctx.log.warn('runtime cleanup failed', { id, err }))
    .finally(() => { if (ctx.runtimeCleanups.get(id) === done) ctx.runtimeCleanups.delete(id); });
  ctx.runtimeCleanups.set(id, done);
}

/** Named durations of the steps of one operation, for the debug log. */
export class Laps {
  readonly #t0 = performance.now();
  #mark = this.#t0;
  readonly #laps: Record<string, number> = {};

  lap(name: string): void {
    const now = performance.now();
    this.#laps[name] = Math.round((now - this.#mark) * 10) / 10;
    this.#mark = now;
  }

  /** Every lap, plus the whole time so far under `total`. */
  fields(total = 'ms'): Record<string, number> {
    return { [total]: Math.round(performance.now() - this.#t0), ...this.#laps };
  }
}
