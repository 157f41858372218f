// Live restore: containers kept running while berthd was down. Running ones
// are watched again; ones that exited meanwhile get their exit code from
// conmon's exit file and are handled like any exit (auto-removed, or
// restarted by their policy).
//
// It runs in the background: the API serves as soon as every such
// container is registered here as pending (restoreContainers returns then).
// Until its turn comes, a pending container shows its recorded state to
// `ps` and `inspect`, and every verb on it (service.ts, exec, commit)
// waits for settled(id) first, so nothing acts on a state that may be
// stale. The runtime's state comes from its files (runtime/state-files.ts),
// not from a `runc state` process per container.

import type { ContainerRecord } from '../../core/container.ts';
import { hasProcess } from '../../core/container-state.ts';
import { handleExit, startByPolicy } from './exit.ts';
import type { EngineContext } from './context.ts';
import { startingHealth } from './health.ts';

/** Containers restored at once: each is a few file reads, or an exit to record. */
const RESTORE_CONCURRENCY = 16;

/** Containers whose re-adoption is still to come, and a wait for each. */
export class Adoptions {
  readonly #pending = new Map<string, { done: Promise<void>; resolve: () => void }>();
  #finished: Promise<void> = Promise.resolve();

  /** Resolves once `id` is re-adopted (or its exit recorded); at once for any other container. */
  settled(id: string): Promise<void> {
    return this.#pending.get(id)?.done ?? Promise.resolve();
  }

  /** Resolves when the whole restore is over. */
  get finished(): Promise<void> { return this.#finished; }

  get pending(): number { return this.#pending.size; }

  add(id: string): void {
    let resolve!: () => void;
    const done = new Promise<void>((r) => { resolve = r; });
    this.#pending.set(id, { done, resolve });
  }

  settle(id: string): void {
    this.#pending.get(id)?.resolve();
    this.#pending.delete(id);
  }

  /** Releases every waiter (the daemon is shutting down). */
  settleAll(): void {
    for (const id of [...this.#pending.keys()]) this.settle(id);
  }

  track(p: Promise<void>): void { this.#finished = p; }
}

/**
 * Registers every container with a process as pending; their rootfs and
 * volume mounts count as held from now on (the boot sweeps that follow
 * must not unmount them). readoptContainers() does the rest.
 */
export function registerRestore(ctx: EngineContext): ContainerRecord[] {
  const todo = ctx.d.containers.list().filter((rec) => hasProcess(rec.state.status));
  for (const rec of todo) {
    ctx.adoptions.add(rec.id);
    // One waiting out a restart back-off released its mounts at its exit.
    if (rec.state.status === 'restarting') continue;
    ctx.rootfs.adopt(rec.id);
    ctx.d.mounts?.adopt(rec);
  }
  return todo;
}

/** Re-adopts the registered containers in the background; returns at once. */
export function readoptContainers(ctx: EngineContext, todo: ContainerRecord[]): void {
  const t0 = performance.now();
  let next = 0;
  let adopted = 0;
  let exited = 0;
  const worker = async () => {
    for (;;) {
      // The runtime's state is read synchronously (state-files.ts): without a
      // turn of the event loop between containers, requests would wait for
      // the whole re-adoption.
      await new Promise((r) => setImmediate(r));
      if (next >= todo.length || ctx.shutdown.aborted) return;
      const rec = todo[next++]!;
      try {
        if (await restoreOne(ctx, rec)) adopted++;
        else exited++;
      } finally {
        ctx.adoptions.settle(rec.id);
      }
    }
  };
  const all = Promise.all(Array.from({ length: Math.min(RESTORE_CONCURRENCY, todo.length) }, worker)).catch((err) => {
    ctx.log.error('live restore failed', { err });
  }).then(() => {
    ctx.adoptions.settleAll();
    if (todo.length) ctx.log.info('live restore finished', { containers: todo.length, adopted, exited, ms: Math.round(performance.now() - t0) });
  });
  ctx.adoptions.track(all);
}

/** True when the container still runs and is watched again; false when its exit was recorded. */
async function restoreOne(ctx: EngineContext, rec: ContainerRecord): Promise<boolean> {
  const d = ctx.d;
  try {
    if (rec.state.status === 'restarting') {
      // Its back-off was cut by the daemon's stop: the policy starts it now.
      await d.runtime.delete(rec.id, { force: true }).catch(() => {});
      await startByPolicy(ctx, rec.id);
      return false;
    }
    const state = await d.runtime.state(rec.id);
    // The start was acknowledged (the record says running) but runc's start was cut: finish it.
    if (state?.status === 'created') await d.runtime.start(rec.id);
    // Frozen while the record says running: a commit (which pauses) was cut by the crash.
    let frozen = state?.status === 'paused';
    if (frozen && rec.state.status === 'running' && d.runtime.freeze) {
      await d.runtime.freeze(rec.id, false);
      frozen = false;
      ctx.log.info('resumed a container a cut commit left frozen', { id: rec.id });
    }
    if (state && (state.status === 'running' || state.status === 'paused' || state.status === 'created')) {
      ctx.log.debug('re-adopted running container', { id: rec.id, pid: state.pid });
      if (rec.state.status === 'running' && !frozen) await resumeHealth(ctx, rec.id);
      ctx.watch(rec.id);
      return true;
    }
    const status = await d.runtime.exitStatus(rec.id) ?? { exitCode: 255, finishedAt: new Date() };
    ctx.log.info('container exited while the daemon was down', { id: rec.id, exitCode: status.exitCode });
    await handleExit(ctx, rec.id, status);
  } catch (err) {
    ctx.log.error('restoring container failed', { id: rec.id, err });
  }
  return false;
}

/** Like dockerd's restore: a re-adopted running container's health begins again at "starting". */
async function resumeHealth(ctx: EngineContext, id: string): Promise<void> {
  const rec = await ctx.mutex.run(id, async () => {
    const rec = ctx.d.containers.get(id);
    const health = rec && startingHealth(rec);
    if (!rec || !health) return null;
    rec.state.health = health;
    ctx.d.containers.put(rec);
    return rec;
  });
  if (rec) ctx.health.open(rec);
}
