// Live restore: containers kept running while berthd was down. Running ones
// are watched again; ones that exited meanwhile get their exit code from
// conmon's exit file and are handled like any exit (auto-removed, or
// restarted by their policy).

import type { ContainerRecord } from '../../core/container.ts';
import { hasProcess } from '../../core/container-state.ts';
import { handleExit } from './exit.ts';
import type { EngineContext } from './context.ts';
import { startingHealth } from './health.ts';

/** Containers restored at once: each asks the runtime (a `runc state` process), which is most of the time. */
const RESTORE_CONCURRENCY = 8;

export async function restoreContainers(ctx: EngineContext): Promise<void> {
  const todo = ctx.d.containers.list().filter((rec) => hasProcess(rec.state.status));
  let next = 0;
  const worker = async () => {
    while (next < todo.length) await restoreOne(ctx, todo[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(RESTORE_CONCURRENCY, todo.length) }, worker));
}

async function restoreOne(ctx: EngineContext, rec: ContainerRecord): Promise<void> {
  const d = ctx.d;
  try {
    const state = await d.runtime.state(rec.id);
    // The start was acknowledged (the record says running) but runc's start was cut: finish it.
    if (state?.status === 'created') await d.runtime.start(rec.id);
    if (state && (state.status === 'running' || state.status === 'paused' || state.status === 'created')) {
      ctx.rootfs.adopt(rec.id);
      d.mounts?.adopt(rec);
      ctx.log.info('re-adopted running container', { id: rec.id, pid: state.pid });
      if (rec.state.status === 'running' && state.status !== 'paused') await resumeHealth(ctx, rec.id);
      ctx.watch(rec.id);
      return;
    }
    const status = await d.runtime.exitStatus(rec.id) ?? { exitCode: 255, finishedAt: new Date() };
    ctx.rootfs.adopt(rec.id);
    d.mounts?.adopt(rec);
    ctx.log.info('container exited while the daemon was down', { id: rec.id, exitCode: status.exitCode });
    await handleExit(ctx, rec.id, status);
  } catch (err) {
    ctx.log.error('restoring container failed', { id: rec.id, err });
  }
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
