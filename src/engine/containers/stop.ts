// stop, kill and restart. A stop sends the stop signal, waits up to the
// timeout, then SIGKILLs; every path waits until the exit is recorded, so
// a client that sees the answer sees the container exited. A container a
// user stopped is left alone by its restart policy.

import { checkVerb, hasProcess, transition } from '../../core/container-state.ts';
import { BerthError, isCode } from '../../core/errors.ts';
import { parseSignal } from '../../runtime/signals.ts';
import { thawAfterSignal } from './pause.ts';
import { handleExit } from './exit.ts';
import { startContainer } from './start.ts';
import { type EngineContext, sleep } from './context.ts';

const SIGKILL = 9;

export async function stopContainer(ctx: EngineContext, ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
  const d = ctx.d;
  const rec = d.containers.resolve(ref);
  checkVerb('stop', rec, ref);
  ctx.manuallyStopped.add(rec.id);
  if (await cancelRestart(ctx, rec.id)) {
    d.events.emit('container', 'stop', rec.id, ctx.attrs(rec));
    return;
  }
  const signal = opts.signal || rec.config.stopSignal || 'SIGTERM';
  const timeout = opts.timeout ?? rec.config.stopTimeout ?? 10;
  const exited = ctx.waiters.nextExit(rec.id);
  const wasPaused = d.containers.get(rec.id)?.state.status === 'paused';
  await signalling(ctx, rec.id, d.runtime.kill(rec.id, signal).catch((err) => {
    if (isCode(err, 'invalid_argument')) throw err;
    ctx.log.debug('stop signal not delivered', { id: rec.id, err });
  }));
  // dockerd's events for a stop: kill (with the signal's number), unpause when it was paused, die, stop.
  d.events.emit('container', 'kill', rec.id, { ...ctx.attrs(rec), signal: String(parseSignal(signal)) });
  const thawed = wasPaused && thawsFor(rec, parseSignal(signal));
  if (thawed) await thawAfterSignal(ctx.lifecycle, rec.id, true);
  if (timeout >= 0 && !(await exitWithin(exited, timeout * 1000))) {
    ctx.log.info('container did not exit within the timeout; killing it', { id: rec.id, timeout });
    await signalling(ctx, rec.id, d.runtime.kill(rec.id, 'SIGKILL').catch(() => {}));
    d.events.emit('container', 'kill', rec.id, { ...ctx.attrs(rec), signal: String(SIGKILL) });
    if (!thawed) await thawAfterSignal(ctx.lifecycle, rec.id, wasPaused);
  }
  await ensureExited(ctx, rec.id, exited);
  d.events.emit('container', 'stop', rec.id, ctx.attrs(rec));
}

export async function killContainer(ctx: EngineContext, ref: string, signal = 'SIGKILL'): Promise<void> {
  const d = ctx.d;
  // dockerd's router parses a signal's name before it looks for the container (a number is judged after).
  if (!/^\s*\d+\s*$/.test(signal)) parseSignal(signal);
  const rec = d.containers.resolve(ref);
  checkVerb('kill', rec, ref);
  // Validates the signal before anything happens; SIGKILL waits for the exit like dockerd.
  const sig = parseSignal(signal);
  if (await cancelRestart(ctx, rec.id)) return;
  if (sig === SIGKILL) {
    await killAndWait(ctx, rec.id, () => d.events.emit('container', 'kill', rec.id, { ...ctx.attrs(rec), signal: String(parseSignal(signal)) }));
    return;
  }
  const wasPaused = rec.state.status === 'paused';
  await signalling(ctx, rec.id, d.runtime.kill(rec.id, signal));
  d.events.emit('container', 'kill', rec.id, { ...ctx.attrs(rec), signal: String(parseSignal(signal)) });
  if (wasPaused && thawsFor(rec, parseSignal(signal))) await thawAfterSignal(ctx.lifecycle, rec.id, true);
}

/**
 * dockerd resumes a paused container after signalling it, so the signal
 * lands, when the signal is SIGKILL, the container's own StopSignal, or any
 * signal for a container without one; any other stays pending, frozen.
 */
function thawsFor(rec: { config: { stopSignal?: string } }, sig: number): boolean {
  const own = rec.config.stopSignal;
  return !own || sig === SIGKILL || parseSignal(own) === sig;
}

/**
 * A container waiting out its restart back-off has no process to signal: a
 * stop, kill or rm ends the wait instead (dockerd's ExitOnNext), and it
 * reads exited, manually stopped. False when it was not waiting.
 */
export async function cancelRestart(ctx: EngineContext, id: string): Promise<boolean> {
  if (ctx.d.containers.get(id)?.state.status !== 'restarting') return false;
  return ctx.mutex.run(id, async () => {
    const rec = ctx.d.containers.get(id);
    if (!rec || rec.state.status !== 'restarting') return false;
    ctx.manuallyStopped.add(id);
    rec.state = transition(rec.state, 'exit');
    ctx.d.containers.put(rec);
    return true;
  });
}

/** SIGKILL, then wait until the exit is recorded. Restart policies leave the container alone. */
export async function killAndWait(ctx: EngineContext, id: string, afterSignal?: () => void): Promise<void> {
  ctx.manuallyStopped.add(id);
  const exited = ctx.waiters.nextExit(id);
  const wasPaused = ctx.d.containers.get(id)?.state.status === 'paused';
  await signalling(ctx, id, ctx.d.runtime.kill(id, 'SIGKILL').catch((err) => ctx.log.debug('SIGKILL not delivered', { id, err })));
  afterSignal?.();
  await thawAfterSignal(ctx.lifecycle, id, wasPaused);
  await ensureExited(ctx, id, exited);
}

/**
 * A signal being delivered: the container's die event waits until it is
 * (handleExit), so the kill event the caller emits as soon as the runtime
 * returns comes first, as in dockerd, however fast the exit is seen. The
 * caller's continuation was registered first, handleExit's runs after it.
 */
function signalling<T>(ctx: EngineContext, id: string, delivery: Promise<T>): Promise<T> {
  const settled = delivery.then(() => {}, () => {});
  ctx.signalling.set(id, settled);
  void settled.then(() => { if (ctx.signalling.get(id) === settled) ctx.signalling.delete(id); });
  return delivery;
}

export async function restartContainer(ctx: EngineContext, ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
  const rec = ctx.d.containers.resolve(ref);
  try {
    await stopContainer(ctx, rec.id, opts);
  } catch (err) {
    if (!isCode(err, 'not_modified')) throw err;
  }
  await startContainer(ctx, rec.id);
  ctx.d.events.emit('container', 'restart', rec.id, ctx.attrs(rec));
}

async function exitWithin(exited: Promise<number>, ms: number): Promise<boolean> {
  return Promise.race([exited.then(() => true), sleep(ms).then(() => false)]);
}

/**
 * Waits for the exit to be recorded; recovers if the exit watcher missed it.
 * The waiters wake only when handleExit has released the network and the
 * mounts, which under load (100 `rm -f` at once) can take longer than the
 * wait, while its background runtime delete has already removed conmon's
 * exit file: so the record, once the handler is out of the container's
 * lock, is what says whether the container exited.
 */
export async function ensureExited(ctx: EngineContext, id: string, exited: Promise<number>, waitMs = 15_000): Promise<void> {
  if (await exitWithin(exited, waitMs)) return;
  const status = await ctx.d.runtime.exitStatus(id);
  if (status) return handleExit(ctx, id, status);
  const rec = await ctx.mutex.run(id, async () => ctx.d.containers.get(id));
  if (!rec || !hasProcess(rec.state.status)) return;
  throw new BerthError('internal', `container ${id.slice(0, 12)} did not exit after SIGKILL`);
}
