// start: mount the rootfs, set up the network and the container's /etc
// files, build the OCI spec, runtime create + start, record "running", and
// watch for the exit. A failure undoes every step and records what dockerd
// records (a container that never ran stays "created").

import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { ContainerRecord } from '../../core/container.ts';
import { type NetworkSetup, withLinkEnv } from '../../core/network.ts';
import { checkVerb, hasProcess, transition } from '../../core/container-state.ts';
import { conflict, invalid, isCode } from '../../core/errors.ts';
import { ZERO_TIME, effectiveNetworkMode } from './create.ts';
import { writeContainerFiles } from './files.ts';
import { logFileOptions } from './log-config.ts';
import { startError, startFailureExitCode } from './policy.ts';
import { removeNow } from './destroy.ts';
import { releaseShm, setupShm } from './shm.ts';
import type { EngineContext, SpecRequest } from './context.ts';
import { startingHealth } from './health.ts';
import { giveToRoot, usernsSource } from './userns.ts';
import { seedInitEntries } from './init-entries.ts';
import { mergeEnv } from '../../runtime/process.ts';

/** opts.env: variables for this start only, never recorded (the builder's secret env: memory only). */
export async function startContainer(ctx: EngineContext, ref: string, opts: { env?: string[] } = {}): Promise<void> {
  const { id } = ctx.d.containers.resolve(ref);
  ctx.manuallyStopped.delete(id);
  try {
    await ctx.mutex.run(id, () => startLocked(ctx, id, opts));
  } catch (err) {
    // Docker removes an AutoRemove container whose start failed (outside the lock: removal takes it).
    const rec = ctx.d.containers.get(id);
    if (rec?.hostConfig.autoRemove && rec.state.status !== 'running' && !isCode(err, 'not_modified')) {
      await removeNow(ctx, id, true).catch((e) => ctx.log.warn('auto-remove after failed start failed', { id, err: e }));
    }
    throw err;
  }
}

/** Starts the container; the caller holds its lock. A restart policy starts the "restarting" one a user may not. */
export async function startLocked(ctx: EngineContext, id: string, opts: { byPolicy?: boolean; env?: string[] } = {}): Promise<void> {
  const d = ctx.d;
  await ctx.runtimeCleanups.get(id);
  const rec = d.containers.resolve(id);
  if (!(opts.byPolicy && rec.state.status === 'restarting')) checkVerb('start', rec);
  const image = await d.images.resolve(rec.imageId);
  const network = d.network;
  const rootfs = ctx.rootfs.path(id);
  const t = [performance.now()];
  await ctx.rootfs.acquire(id);
  let created = false;
  let net: NetworkSetup | undefined;
  const abort = new AbortController();
  ctx.starting.set(id, abort);
  try {
    const n0 = performance.now();
    const userns = usernsSource(d, rec);
    if (network) net = await network.setUp(rec, userns ? { userns } : {});
    const networkMs = Math.round((performance.now() - n0) * 10) / 10;
    const netMode = net ? net.spec : effectiveNetworkMode(rec.hostConfig.networkMode);
    await writeContainerFiles(rec, net ? (net.hostNetwork ? 'host' : 'none') : netMode as 'none' | 'host', net);
    await giveToRoot([rootfs, rec.hostsPath, rec.hostnamePath, rec.resolvConfPath], d.remap);
    seedInitEntries(rootfs, d.remap ?? null, ctx.log);
    t.push(performance.now());
    const mounts = await d.mounts?.setup(rec, rootfs);
    const join = namespaceTargets(ctx, rec.hostConfig.resources ?? {});
    const joinUser = typeof net?.spec === 'object' && net.spec.userns ? net.spec.userns : userns && 'join' in userns ? userns.join : undefined;
    if (joinUser) join.user = joinUser;
    const shm = await setupShm(ctx, rec);
    if (shm) join.shm = shm;
    const spec = await d.buildSpec({ record: rec, image, rootfs, netMode, mounts, join });
    const log = logFileOptions(rec.hostConfig.logConfig);
    if (net?.env?.length && spec.process) spec.process.env = withLinkEnv(spec.process.env ?? [], net.env);
    if (opts.env?.length && spec.process) spec.process.env = mergeEnv(spec.process.env, opts.env);
    mkdirSync(ctx.bundle(id), { recursive: true, mode: 0o700 });
    t.push(performance.now());
    const { pid } = await d.runtime.create({
      id, bundle: ctx.bundle(id), spec, logPath: rec.logPath, log,
      tty: rec.config.tty, openStdin: rec.config.openStdin, stdinOnce: rec.config.stdinOnce, runtime: rec.hostConfig.runtime,
      signal: abort.signal,
    });
    created = true;
    t.push(performance.now());
    await ctx.attach.connectWaiting(id);
    t.push(performance.now());
    await d.runtime.start(id);
    t.push(performance.now());
    const ms = (i: number) => Math.round((t[i + 1]! - t[i]!) * 10) / 10;
    ctx.log.debug('container started', { id, rootfsMs: ms(0), networkMs, specMs: ms(1), createMs: ms(2), attachMs: ms(3), startMs: ms(4) });
    rec.state = transition(rec.state, 'start', { pid, exitCode: 0, error: '', oomKilled: false, startedAt: new Date().toISOString() });
    const health = startingHealth(rec);
    if (health) rec.state.health = health;
    d.containers.put(rec);
  } catch (err) {
    await failStart(ctx, rec, err, created);
    throw startError(err);
  } finally {
    ctx.starting.delete(id);
  }
  d.events.emit('container', 'start', id, ctx.attrs(rec));
  ctx.health.open(rec);
  ctx.watch(id);
}

/** /proc paths of the namespaces a container shares with another: that one must run, and offer its IPC (dockerd's rules and messages). */
export function namespaceTargets(ctx: EngineContext, r: NonNullable<ContainerRecord['hostConfig']['resources']>): NonNullable<SpecRequest['join']> {
  const out: NonNullable<SpecRequest['join']> = {};
  for (const [kind, mode] of [['ipc', r.ipcMode], ['pid', r.pidMode]] as const) {
    if (!mode?.startsWith('container:')) continue;
    const target = ctx.d.containers.resolve(mode.slice(10));
    if (!hasProcess(target.state.status) || target.state.pid <= 0) {
      throw conflict(kind === 'ipc' ? `cannot join IPC of a non running container: ${target.id}` : `container ${target.id} is not running`);
    }
    const shared = target.hostConfig.resources?.ipcMode;
    if (kind === 'ipc' && shared !== 'shareable' && shared !== 'host') {
      throw invalid(`can't join IPC of container ${target.id}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
    }
    out[kind] = `/proc/${target.state.pid}/ns/${kind}`;
  }
  return out;
}

async function failStart(ctx: EngineContext, rec: ContainerRecord, err: unknown, created: boolean): Promise<void> {
  const d = ctx.d;
  const msg = err instanceof Error ? err.message : String(err);
  ctx.log.warn('container failed to start', { id: rec.id, err: msg });
  ctx.attach.endWaiting(rec.id);
  if (created) await d.runtime.delete(rec.id, { force: true }).catch(() => {});
  await d.network?.tearDown(rec.id).catch((e) => ctx.log.warn('network teardown failed', { id: rec.id, err: e }));
  await rm(ctx.bundle(rec.id), { recursive: true, force: true }).catch(() => {});
  await ctx.rootfs.release(rec.id).catch(() => {});
  await releaseShm(ctx, rec).catch((e) => ctx.log.warn('unmounting /dev/shm failed', { id: rec.id, err: e }));
  await d.mounts?.teardown(rec).catch(() => {});
  const exitCode = startFailureExitCode(msg);
  const fresh = d.containers.get(rec.id);
  if (fresh) {
    // Like dockerd: a container that never ran stays "created"; one that ran before reads as exited now.
    const neverRan = fresh.state.startedAt === ZERO_TIME;
    fresh.state = transition(fresh.state, 'start-failed', {
      pid: 0, exitCode, error: msg, finishedAt: neverRan ? ZERO_TIME : new Date().toISOString(),
    });
    d.containers.put(fresh);
  }
  ctx.waiters.exited(rec.id, exitCode);
}
