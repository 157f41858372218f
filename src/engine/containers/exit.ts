// exit: conmon reports that a container's process ended. The record says
// "exited" with the code and time, the runtime's leftovers go in the
// background, the network, rootfs and volumes are released, waiters wake,
// and then AutoRemove removes it or its restart policy starts it again.

import { rm } from 'node:fs/promises';
import type { ContainerRecord } from '../../core/container.ts';
import { canTransition, transition } from '../../core/container-state.ts';
import type { ExitStatus } from '../../core/runtime.ts';
import { restartDelayMs, shouldRestart } from './policy.ts';
import { removeNow } from './destroy.ts';
import { startLocked } from './start.ts';
import { type EngineContext, sleep } from './context.ts';
import { releaseShm } from './shm.ts';
import { Laps, trackRuntimeCleanup } from './cleanups.ts';
import { stoppedHealth } from './health.ts';

/** Follows a running container until conmon reports its exit. */
export function watchExit(ctx: EngineContext, id: string): void {
  ctx.d.runtime.waitExit(id, ctx.shutdown).then(
    (status) => handleExit(ctx, id, status),
    (err) => { if (!ctx.shutdown.aborted) ctx.log.error('waiting for container exit failed', { id, err }); },
  );
}

/**
 * How long the runtime's leftovers wait for the exit to be answered at most:
 * whatever waits for them (a start, a removal that cannot defer them) is
 * held no longer than this.
 */
const CLEANUP_HOLD_MS = 50;

export async function handleExit(ctx: EngineContext, id: string, status: ExitStatus): Promise<void> {
  // The runtime's leftovers start once the exit is answered (waiters woken,
  // an auto-removal done): their synchronous file and cgroup work would
  // otherwise run between the exit and the client waiting for it.
  let answer!: () => void;
  const answered = new Promise<void>((r) => { answer = r; });
  try {
    await exitLocked(ctx, id, status, Promise.race([answered, sleep(CLEANUP_HOLD_MS)]), answer);
  } finally {
    answer();
  }
}

async function exitLocked(ctx: EngineContext, id: string, status: ExitStatus, hold: Promise<void>, answer: () => void): Promise<void> {
  const d = ctx.d;
  const t = new Laps();
  const rec = await ctx.mutex.run(id, async () => {
    t.lap('lockMs');
    const rec = d.containers.get(id);
    // Only a container with a process exits (a second report of one exit finds it exited already).
    if (!rec || rec.state.status === 'restarting' || !canTransition(rec.state.status, 'exit')) return null;
    rec.state = transition(rec.state, 'exit', {
      pid: 0, exitCode: status.exitCode, oomKilled: status.oomKilled ?? false, finishedAt: status.finishedAt.toISOString(),
    });
    ctx.health.close(id);
    const health = stoppedHealth(rec.state.health);
    if (health) rec.state.health = health;
    d.containers.put(rec);
    t.lap('putMs');
    // The runtime's leftovers (runc state, conmon files, bundle) go in the
    // background: nothing a client waits for needs them gone, and a later
    // start of this container waits for them (startLocked).
    trackRuntimeCleanup(ctx, id, async () => {
      await hold;
      await d.runtime.delete(id).catch((err) => ctx.log.warn('runtime delete failed', { id, err }));
      await rm(ctx.bundle(id), { recursive: true, force: true }).catch(() => {});
    });
    await d.network?.tearDown(id).catch((err) => ctx.log.warn('network teardown failed', { id, err }));
    t.lap('netMs');
    await ctx.rootfs.release(id).catch((err) => ctx.log.warn('unmount failed', { id, err }));
    t.lap('unmountMs');
    await releaseShm(ctx, rec).catch((err) => ctx.log.warn('unmounting /dev/shm failed', { id, err }));
    await d.mounts?.teardown(rec).catch((err) => ctx.log.warn('releasing volumes failed', { id, err }));
    t.lap('mountsMs');
    return rec;
  });
  if (!rec) return;
  ctx.log.debug('container exited', { id, exitCode: status.exitCode, sinceExitMs: Date.now() - status.finishedAt.getTime(), ...t.fields('recordMs') });
  // A kill that caused this exit emits its event once the runtime returns:
  // dockerd's order is kill, then die (stop.ts).
  await ctx.signalling.get(id);
  // dockerd reports an OOM kill as its own event, before the die.
  if (status.oomKilled) d.events.emit('container', 'oom', id, ctx.attrs(rec));
  d.events.emit('container', 'die', id, { ...ctx.attrs(rec), exitCode: String(status.exitCode) });
  ctx.waiters.exited(id, status.exitCode);
  if (rec.hostConfig.autoRemove) {
    await removeNow(ctx, id, true).catch((err) => ctx.log.error('auto-remove failed', { id, err }));
    answer();
  } else {
    answer();
    if (policyRestarts(ctx, rec)) await restartByPolicy(ctx, rec);
  }
}

function policyRestarts(ctx: EngineContext, rec: ContainerRecord): boolean {
  return !ctx.shutdown.aborted && shouldRestart(rec, ctx.manuallyStopped.has(rec.id));
}

/**
 * dockerd's restart manager: the container reads "restarting" during its
 * back-off (a stop, kill or rm then ends the wait: cancelRestart in
 * stop.ts), and the start that follows counts in RestartCount.
 */
async function restartByPolicy(ctx: EngineContext, rec: ContainerRecord): Promise<void> {
  const waiting = await ctx.mutex.run(rec.id, async () => {
    const fresh = ctx.d.containers.get(rec.id);
    if (!fresh || fresh.state.status !== 'exited' || !policyRestarts(ctx, fresh)) return false;
    fresh.state = transition(fresh.state, 'restart-wait');
    ctx.d.containers.put(fresh);
    return true;
  });
  if (!waiting) return;
  await sleep(restartDelayMs(rec));
  // Shutting down: the record stays "restarting" and the next daemon starts it (restore.ts).
  if (ctx.shutdown.aborted) return;
  await startByPolicy(ctx, rec.id);
}

/** The policy's start of a container that reads "restarting" (after its back-off, or at boot). */
export async function startByPolicy(ctx: EngineContext, id: string): Promise<void> {
  await ctx.mutex.run(id, async () => {
    const fresh = ctx.d.containers.get(id);
    // Stopped, killed or removed during the back-off.
    if (!fresh || fresh.state.status !== 'restarting') return;
    fresh.restartCount += 1;
    ctx.d.containers.put(fresh);
    await startLocked(ctx, id, { byPolicy: true });
  }).catch((err) => ctx.log.warn('restart by policy failed', { id, err }));
}
