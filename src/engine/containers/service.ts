// The container service: the engine's side of every container endpoint.
// It composes the stores (metadata, snapshots via the image service), the
// runtime driver (conmon + runc) and the event bus; see src/core/container.ts
// for the lifecycle it implements.

import { mkdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import type {
  AttachHandle, AttachOptions, AttachOutput, ContainerFilters, ContainerRecord, ContainerService,
  ContainerView, CreateContainerRequest, ExtractOptions, PathStat, UpdateRequest, WaitCondition,
} from '../../core/container.ts';
import type { ContainerRepository } from '../../core/metadata.ts';
import type { ContainerNetworking, NetworkSetup } from '../../core/network.ts';
import type { ContainerRuntime, ExitStatus, LogEntry, LogReadOptions, OciSpec } from '../../core/runtime.ts';
import type { ImageRecord, ImageService } from '../../core/image.ts';
import type { EventSink } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import type { ContainerMountManager } from '../../core/volume.ts';
import { BerthError, conflict, invalid, isCode, notModified } from '../../core/errors.ts';
import { ZERO_TIME, defaultHostConfig, effectiveNetworkMode, mergeConfig, newContainerId, newRecord, validateHostConfig } from './create.ts';
import { parseSignal } from '../../runtime/signals.ts';
import { checkExecLimits } from '../../runtime/exec-limits.ts';
import { generateName, validateName } from './names.ts';
import { writeContainerFiles } from './files.ts';
import { ContainerViews } from './views.ts';
import { KeyedMutex, Waiters } from './waiters.ts';
import { AttachHub } from './attach.ts';
import { RootfsMounts } from './rootfs.ts';
import { sweepOrphans } from './orphans.ts';
import { ContainerArchive } from './archive.ts';
import { ContainerStatsService } from './stats/stats.ts';
import { top } from './top.ts';
import { type LifecycleDeps, pauseContainer, renameContainer, thawAfterSignal, unpauseContainer } from './pause.ts';
import { updateContainer } from './update.ts';
import type { StatsSample, TopResult } from '../../core/stats.ts';
import { reconcileRuntime } from './reconcile.ts';
import { restartDelayMs, shouldRestart, startError, startFailureExitCode } from './policy.ts';

/** What start needs to turn a record into an OCI spec (adapter over src/runtime/spec.ts). */
export interface SpecRequest {
  record: ContainerRecord;
  image: ImageRecord;
  rootfs: string;
  netMode: 'none' | 'host' | { path: string };
  /** Every user mount (volumes, binds, tmpfs) as OCI entries, when a mount manager is wired. */
  mounts?: OciSpec['mounts'];
  /** Namespaces of other containers to join (--ipc/--pid container:<id>). */
  join?: { ipc?: string; pid?: string };
}

export interface ContainerServiceDeps {
  containers: ContainerRepository;
  images: ImageService;
  runtime: ContainerRuntime;
  events: EventSink;
  logger: Logger;
  dataRoot: string;
  execRoot: string;
  defaultRuntime: string;
  /** Volumes, binds and tmpfs (src/volumes); without it only HostConfig.Binds of host paths work. */
  mounts?: ContainerMountManager;
  buildSpec(req: SpecRequest): Promise<OciSpec>;
  readLogs(path: string, opts: LogReadOptions): AsyncIterable<LogEntry>;
  tarDirectory(dir: string): NodeJS.ReadableStream;
  /** Bridge networks, ports, DNS; without it containers get none (or host). */
  network?: ContainerNetworking;
}

const SIGKILL = 9;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** A container whose process exists (this engine sets only "running"; the others are Docker's). */
function hasProcess(rec: ContainerRecord): boolean {
  return rec.state.status === 'running' || rec.state.status === 'paused' || rec.state.status === 'restarting';
}

export class ContainerEngine implements ContainerService {
  readonly #d: ContainerServiceDeps;
  readonly #log: Logger;
  readonly #mutex = new KeyedMutex();
  readonly #waiters = new Waiters();
  readonly #attach: AttachHub;
  readonly #rootfsMounts: RootfsMounts;
  readonly #views: ContainerViews;
  readonly #archive: ContainerArchive;
  readonly #stats: ContainerStatsService;
  readonly #lifecycle: LifecycleDeps;
  /** Runtime deletes still running after an exit, by container. */
  readonly #runtimeCleanups = new Map<string, Promise<void>>();
  /** Containers stopped by a user: restart policies leave them alone. */
  readonly #manuallyStopped = new Set<string>();
  /** Starts in progress: `rm -f` aborts them rather than wait behind them. */
  readonly #starting = new Map<string, AbortController>();
  readonly #shutdown = new AbortController();
  #warnedNetwork = false;

  constructor(deps: ContainerServiceDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ component: 'containers' });
    this.#attach = new AttachHub(deps.runtime, this.#log);
    this.#rootfsMounts = new RootfsMounts(deps.images.snapshotter, (id) => `${this.containerDir(id)}/rootfs`);
    this.#views = new ContainerViews(deps.containers, deps.images, (id) => this.#rootfsMounts.path(id), deps.network);
    this.#stats = new ContainerStatsService(deps.containers);
    this.#lifecycle = { containers: deps.containers, runtime: deps.runtime, events: deps.events, mutex: this.#mutex, attrs: (r) => this.#attrs(r) };
    this.#archive = new ContainerArchive({
      containers: deps.containers, rootfs: this.#rootfsMounts, events: deps.events, logger: this.#log, attrs: (r) => this.#attrs(r),
    });
  }

  containerDir(id: string): string { return `${this.#d.dataRoot}/containers/${id}`; }
  #rootfs(id: string): string { return this.#rootfsMounts.path(id); }
  #bundle(id: string): string { return `${this.#d.execRoot}/containers/${id}`; }

  // ---- create ---------------------------------------------------------

  async create(req: CreateContainerRequest): Promise<{ id: string; warnings: string[] }> {
    if (!req.config?.image) throw invalid('No image specified: the container config needs an Image');
    const name = req.name ? validateName(req.name) : generateName((n) => this.#d.containers.byName(n) !== undefined);
    const holder = this.#d.containers.byName(name);
    if (holder) {
      throw conflict(`Conflict. The container name "/${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const hostConfig = defaultHostConfig(req.hostConfig, this.#d.defaultRuntime);
    const warnings = validateHostConfig(hostConfig);
    const modes = hostConfig.resources ?? {};
    if (modes.utsMode === 'host' && req.config.hostname) throw invalid('conflicting options: hostname and the UTS mode');
    // --ipc/--pid container:<name>: like dockerd, the other container must run (and share its IPC) already at create.
    this.#namespaceTargets(modes);
    const network = this.#d.network;
    const netMode = network ? (hostConfig.networkMode === 'host' ? 'host' : 'none') : effectiveNetworkMode(hostConfig.networkMode);
    if (!network && netMode !== hostConfig.networkMode) {
      if (!this.#warnedNetwork) {
        this.#log.info('bridge networking is not available yet: containers without --network get network mode none');
        this.#warnedNetwork = true;
      }
      hostConfig.networkMode = netMode;
    }
    const image = await this.#d.images.resolve(req.config.image);
    const id = newContainerId();
    // Docker's default hostname: the short ID, or the host's own with the host's network.
    const config = mergeConfig(req.config, image, netMode === 'host' || modes.utsMode === 'host' ? hostname() : id.slice(0, 12));
    const dir = this.containerDir(id);
    const record = newRecord({ id, name, image, config, hostConfig, driver: this.#d.images.snapshotter.name, dir });
    checkExecLimits({ path: record.path, args: record.args, env: config.env });

    // Each step is undone if a later one fails: no snapshot, directory or row is left.
    const snap = this.#d.images.snapshotter;
    const undoMounts = this.#d.mounts ? await this.#d.mounts.plan(record) : null;
    try {
      await snap.prepare(id, image.chainId);
    } catch (err) {
      await undoMounts?.();
      throw err;
    }
    let registered = false;
    try {
      await mkdir(dir, { recursive: true, mode: 0o710 });
      if (network) {
        record.hostConfig.networkMode = network.register({
          id, name, networkMode: hostConfig.networkMode, endpoints: req.networking, hostConfig, exposedPorts: config.exposedPorts,
        });
        registered = true;
      }
      this.#d.containers.put(record);
    } catch (err) {
      if (registered) network!.unregister(id);
      await rm(dir, { recursive: true, force: true });
      await snap.remove(id).catch(() => {});
      await undoMounts?.();
      throw err;
    }
    this.#d.events.emit('container', 'create', id, this.#attrs(record));
    return { id, warnings };
  }

  // ---- start / exit ---------------------------------------------------

  async start(ref: string): Promise<void> {
    const { id } = this.#d.containers.resolve(ref);
    this.#manuallyStopped.delete(id);
    try {
      await this.#mutex.run(id, () => this.#startLocked(id));
    } catch (err) {
      // Docker removes an AutoRemove container whose start failed (outside the lock: removal takes it).
      const rec = this.#d.containers.get(id);
      if (rec?.hostConfig.autoRemove && rec.state.status !== 'running' && !isCode(err, 'not_modified')) {
        await this.#removeNow(id, true).catch((e) => this.#log.warn('auto-remove after failed start failed', { id, err: e }));
      }
      throw err;
    }
  }

  async #startLocked(id: string): Promise<void> {
    await this.#runtimeCleanups.get(id);
    const rec = this.#d.containers.resolve(id);
    if (hasProcess(rec)) throw notModified('container already started');
    if (rec.state.status === 'removing' || rec.state.status === 'dead') {
      throw conflict(`cannot start container ${rec.id.slice(0, 12)}: container is marked for removal`);
    }
    const image = await this.#d.images.resolve(rec.imageId);
    const network = this.#d.network;
    const rootfs = this.#rootfs(id);
    const t = [performance.now()];
    await this.#rootfsMounts.acquire(id);
    let created = false;
    let net: NetworkSetup | undefined;
    const abort = new AbortController();
    this.#starting.set(id, abort);
    try {
      const n0 = performance.now();
      if (network) net = await network.setUp(rec);
      const networkMs = Math.round((performance.now() - n0) * 10) / 10;
      const netMode = net ? net.spec : effectiveNetworkMode(rec.hostConfig.networkMode);
      await writeContainerFiles(rec, net ? (net.hostNetwork ? 'host' : 'none') : netMode as 'none' | 'host', net);
      t.push(performance.now());
      const mounts = await this.#d.mounts?.setup(rec, rootfs);
      const join = this.#namespaceTargets(rec.hostConfig.resources ?? {});
      const spec = await this.#d.buildSpec({ record: rec, image, rootfs, netMode, mounts, join });
      await mkdir(this.#bundle(id), { recursive: true, mode: 0o700 });
      t.push(performance.now());
      const { pid } = await this.#d.runtime.create({
        id, bundle: this.#bundle(id), spec, logPath: rec.logPath,
        tty: rec.config.tty, openStdin: rec.config.openStdin, stdinOnce: rec.config.stdinOnce, runtime: rec.hostConfig.runtime,
        signal: abort.signal,
      });
      created = true;
      t.push(performance.now());
      await this.#attach.connectWaiting(id);
      await this.#d.runtime.start(id);
      t.push(performance.now());
      const ms = (i: number) => Math.round((t[i + 1]! - t[i]!) * 10) / 10;
      this.#log.debug('container started', { id, rootfsMs: ms(0), networkMs, specMs: ms(1), createMs: ms(2), startMs: ms(3) });
      rec.state = {
        ...rec.state, status: 'running', pid, exitCode: 0, error: '', oomKilled: false,
        startedAt: new Date().toISOString(),
      };
      this.#d.containers.put(rec);
    } catch (err) {
      await this.#failStart(rec, err, created);
      throw startError(err);
    } finally {
      this.#starting.delete(id);
    }
    this.#d.events.emit('container', 'start', id, this.#attrs(rec));
    this.#watch(id);
  }

  /** /proc paths of the namespaces a container shares with another: that one must run, and offer its IPC (dockerd's rules and messages). */
  #namespaceTargets(r: NonNullable<ContainerRecord['hostConfig']['resources']>): NonNullable<SpecRequest['join']> {
    const out: NonNullable<SpecRequest['join']> = {};
    for (const [kind, mode] of [['ipc', r.ipcMode], ['pid', r.pidMode]] as const) {
      if (!mode?.startsWith('container:')) continue;
      const target = this.#d.containers.resolve(mode.slice(10));
      if (!hasProcess(target) || target.state.pid <= 0) {
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

  async #failStart(rec: ContainerRecord, err: unknown, created: boolean): Promise<void> {
    const msg = err instanceof Error ? err.message : String(err);
    this.#log.warn('container failed to start', { id: rec.id, err: msg });
    this.#attach.endWaiting(rec.id);
    if (created) await this.#d.runtime.delete(rec.id, { force: true }).catch(() => {});
    await this.#d.network?.tearDown(rec.id).catch((e) => this.#log.warn('network teardown failed', { id: rec.id, err: e }));
    await rm(this.#bundle(rec.id), { recursive: true, force: true }).catch(() => {});
    await this.#rootfsMounts.release(rec.id).catch(() => {});
    await this.#d.mounts?.teardown(rec).catch(() => {});
    const exitCode = startFailureExitCode(msg);
    const fresh = this.#d.containers.get(rec.id);
    if (fresh) {
      // Like dockerd: a container that never ran stays "created"; one that ran before reads as exited now.
      const neverRan = fresh.state.startedAt === ZERO_TIME;
      fresh.state = {
        ...fresh.state, status: neverRan ? 'created' : 'exited', pid: 0, exitCode, error: msg,
        finishedAt: neverRan ? ZERO_TIME : new Date().toISOString(),
      };
      this.#d.containers.put(fresh);
    }
    this.#waiters.exited(rec.id, exitCode);
  }

  /** Follows a running container until conmon reports its exit. */
  #watch(id: string): void {
    this.#d.runtime.waitExit(id, this.#shutdown.signal).then(
      (status) => this.#handleExit(id, status),
      (err) => { if (!this.#shutdown.signal.aborted) this.#log.error('waiting for container exit failed', { id, err }); },
    );
  }

  async #handleExit(id: string, status: ExitStatus): Promise<void> {
    const seen = performance.now();
    const rec = await this.#mutex.run(id, async () => {
      const rec = this.#d.containers.get(id);
      if (!rec || (rec.state.status !== 'running' && rec.state.status !== 'paused')) return null;
      rec.state = {
        ...rec.state, status: 'exited', pid: 0, exitCode: status.exitCode,
        oomKilled: status.oomKilled ?? false, finishedAt: status.finishedAt.toISOString(),
      };
      this.#d.containers.put(rec);
      // The runtime's leftovers (runc state, conmon files, bundle) go in the
      // background: nothing a client waits for needs them gone, and a later
      // start of this container waits for them (#startLocked).
      this.#trackRuntimeCleanup(id);
      await this.#d.network?.tearDown(id).catch((err) => this.#log.warn('network teardown failed', { id, err }));
      await this.#rootfsMounts.release(id).catch((err) => this.#log.warn('unmount failed', { id, err }));
      await this.#d.mounts?.teardown(rec).catch((err) => this.#log.warn('releasing volumes failed', { id, err }));
      return rec;
    });
    if (!rec) return;
    this.#log.debug('container exited', { id, exitCode: status.exitCode, sinceExitMs: Date.now() - status.finishedAt.getTime(), recordMs: Math.round(performance.now() - seen) });
    // dockerd reports an OOM kill as its own event, before the die.
    if (status.oomKilled) this.#d.events.emit('container', 'oom', id, this.#attrs(rec));
    this.#d.events.emit('container', 'die', id, { ...this.#attrs(rec), exitCode: String(status.exitCode) });
    this.#waiters.exited(id, status.exitCode);
    if (rec.hostConfig.autoRemove) {
      await this.#removeNow(id, true).catch((err) => this.#log.error('auto-remove failed', { id, err }));
    } else if (this.#shouldRestart(rec)) {
      await this.#restartByPolicy(rec);
    }
  }

  #trackRuntimeCleanup(id: string): void {
    const done: Promise<void> = this.#d.runtime.delete(id)
      .catch((err) => this.#log.warn('runtime delete failed', { id, err }))
      .then(() => rm(this.#bundle(id), { recursive: true, force: true }))
      .catch(() => {})
      .finally(() => { if (this.#runtimeCleanups.get(id) === done) this.#runtimeCleanups.delete(id); });
    this.#runtimeCleanups.set(id, done);
  }

  #shouldRestart(rec: ContainerRecord): boolean {
    return !this.#shutdown.signal.aborted && shouldRestart(rec, this.#manuallyStopped.has(rec.id));
  }

  async #restartByPolicy(rec: ContainerRecord): Promise<void> {
    await sleep(restartDelayMs(rec));
    const fresh = this.#d.containers.get(rec.id);
    if (!fresh || fresh.state.status !== 'exited' || !this.#shouldRestart(fresh)) return;
    fresh.restartCount += 1;
    this.#d.containers.put(fresh);
    await this.#mutex.run(rec.id, () => this.#startLocked(rec.id)).catch((err) => this.#log.warn('restart by policy failed', { id: rec.id, err }));
  }

  // ---- stop / kill / restart ------------------------------------------

  async stop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = this.#d.containers.resolve(ref);
    if (!hasProcess(rec)) throw notModified('container already stopped');
    this.#manuallyStopped.add(rec.id);
    const signal = opts.signal || rec.config.stopSignal || 'SIGTERM';
    const timeout = opts.timeout ?? rec.config.stopTimeout ?? 10;
    const exited = this.#waiters.nextExit(rec.id);
    const wasPaused = this.#d.containers.get(rec.id)?.state.status === 'paused';
    await this.#d.runtime.kill(rec.id, signal).catch((err) => {
      if (isCode(err, 'invalid_argument')) throw err;
      this.#log.debug('stop signal not delivered', { id: rec.id, err });
    });
    // dockerd's events for a stop: kill (with the signal's number), die, stop.
    this.#d.events.emit('container', 'kill', rec.id, { ...this.#attrs(rec), signal: String(parseSignal(signal)) });
    if (timeout >= 0 && !(await this.#exitWithin(exited, timeout * 1000))) {
      this.#log.info('container did not exit within the timeout; killing it', { id: rec.id, timeout });
      await this.#d.runtime.kill(rec.id, 'SIGKILL').catch(() => {});
      this.#d.events.emit('container', 'kill', rec.id, { ...this.#attrs(rec), signal: String(SIGKILL) });
      await thawAfterSignal(this.#lifecycle, rec.id, wasPaused);
    }
    await this.#ensureExited(rec.id, exited);
    this.#d.events.emit('container', 'stop', rec.id, this.#attrs(rec));
  }

  async #exitWithin(exited: Promise<number>, ms: number): Promise<boolean> {
    return Promise.race([exited.then(() => true), sleep(ms).then(() => false)]);
  }

  /** Waits for the exit to be recorded; recovers if the exit watcher missed it. */
  async #ensureExited(id: string, exited: Promise<number>): Promise<void> {
    if (await this.#exitWithin(exited, 15_000)) return;
    const status = await this.#d.runtime.exitStatus(id);
    if (status) await this.#handleExit(id, status);
    else throw new BerthError('internal', `container ${id.slice(0, 12)} did not exit after SIGKILL`);
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const rec = this.#d.containers.resolve(ref);
    if (!hasProcess(rec)) {
      throw conflict(`Cannot kill container: ${ref}: Container ${rec.id} is not running`);
    }
    // Validates the signal before anything happens; SIGKILL waits for the exit like dockerd.
    if (parseSignal(signal) === SIGKILL) {
      await this.#killAndWait(rec.id, () => this.#d.events.emit('container', 'kill', rec.id, { ...this.#attrs(rec), signal: String(parseSignal(signal)) }));
      return;
    }
    await this.#d.runtime.kill(rec.id, signal);
    this.#d.events.emit('container', 'kill', rec.id, { ...this.#attrs(rec), signal: String(parseSignal(signal)) });
  }

  /** SIGKILL, then wait until the exit is recorded. Restart policies leave the container alone. */
  async #killAndWait(id: string, afterSignal?: () => void): Promise<void> {
    this.#manuallyStopped.add(id);
    const exited = this.#waiters.nextExit(id);
    const wasPaused = this.#d.containers.get(id)?.state.status === 'paused';
    await this.#d.runtime.kill(id, 'SIGKILL').catch((err) => this.#log.debug('SIGKILL not delivered', { id, err }));
    await thawAfterSignal(this.#lifecycle, id, wasPaused);
    afterSignal?.();
    await this.#ensureExited(id, exited);
  }

  async restart(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = this.#d.containers.resolve(ref);
    try {
      await this.stop(rec.id, opts);
    } catch (err) {
      if (!isCode(err, 'not_modified')) throw err;
    }
    await this.start(rec.id);
    this.#d.events.emit('container', 'restart', rec.id, this.#attrs(rec));
  }

  // ---- remove ---------------------------------------------------------

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const rec = this.#d.containers.resolve(ref);
    // A start in progress is cut short (its runtime and monitor killed), never waited for.
    if (opts.force) this.#starting.get(rec.id)?.abort(conflict(`container ${rec.id.slice(0, 12)} was removed while it was starting`));
    if (hasProcess(rec)) {
      if (!opts.force) {
        throw conflict(`cannot remove container "/${rec.name}": container is running: stop the container before removing or force remove`);
      }
      await this.#killAndWait(rec.id);
    }
    await this.#removeNow(rec.id, opts.volumes ?? false);
  }

  /** Metadata first, then the filesystem: a crash in between leaves only garbage, never a dangling row. */
  async #removeNow(id: string, removeVolumes = false): Promise<void> {
    const t0 = performance.now();
    const rec = await this.#mutex.run(id, async () => {
      const rec = this.#d.containers.get(id);
      if (!rec) return null;
      this.#d.containers.delete(id);
      this.#attach.endWaiting(id);
      // Whatever the record says, a crash or a cut start may have left runtime
      // state, a monitor or cgroups behind: a forced delete removes them all.
      await this.#runtimeCleanups.get(id);
      await this.#d.runtime.delete(id, { force: true }).catch((err) => this.#log.warn('runtime delete failed', { id, err }));
      await rm(this.#bundle(id), { recursive: true, force: true }).catch(() => {});
      if (this.#d.network) {
        await this.#d.network.tearDown(id).catch((err) => this.#log.warn('network teardown failed', { id, err }));
        this.#d.network.unregister(id);
      }
      // The rootfs mount point lives in the container's directory: unmount first, then both trees go at once.
      await this.#rootfsMounts.drop(id).catch((err) => this.#log.warn('unmount failed', { id, err }));
      await Promise.all([
        this.#d.images.snapshotter.remove(id).catch((err) => this.#log.warn('snapshot removal failed', { id, err })),
        rm(this.containerDir(id), { recursive: true, force: true }),
      ]);
      await this.#d.mounts?.release(rec, removeVolumes).catch((err) => this.#log.warn('releasing volumes failed', { id, err }));
      return rec;
    });
    if (!rec) return;
    this.#log.debug('container removed', { id, ms: Math.round(performance.now() - t0) });
    this.#manuallyStopped.delete(id);
    this.#d.events.emit('container', 'destroy', id, this.#attrs(rec));
    this.#waiters.wasRemoved(id, rec.state.exitCode);
  }

  // ---- read side --------------------------------------------------------

  list(opts: { all?: boolean; limit?: number; size?: boolean; filters?: ContainerFilters }): Promise<ContainerView[]> {
    return this.#views.list(opts);
  }

  inspect(ref: string, opts: { size?: boolean } = {}): Promise<ContainerView> {
    return this.#views.view(this.#d.containers.resolve(ref), opts.size ?? false);
  }

  async wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<{ statusCode: number; error?: string }> {
    const rec = this.#d.containers.resolve(ref);
        let code: number;
    if (condition === 'removed') {
      code = await this.#waiters.removed(rec.id, signal);
    } else if (condition === 'next-exit' || hasProcess(rec)) {
      code = await this.#waiters.nextExit(rec.id, signal);
    } else {
      code = rec.state.exitCode;
    }
    const after = this.#d.containers.get(rec.id);
    return after?.state.error ? { statusCode: code, error: after.state.error } : { statusCode: code };
  }

  async logs(ref: string, opts: { stdout: boolean; stderr: boolean; follow?: boolean; tail?: number; since?: Date; until?: Date; signal?: AbortSignal }): Promise<{ tty: boolean; entries: AsyncIterable<LogEntry> }> {
    const rec = this.#d.containers.resolve(ref);
    const follow = Boolean(opts.follow) && (rec.state.status === 'running' || rec.state.status === 'restarting');
    // Only a follower needs to hear of the exit; a one-shot read registers no waiter.
    const stopped = follow ? this.#waiters.nextExit(rec.id, opts.signal).catch(() => 0) : Promise.resolve(0);
    const source = this.#d.readLogs(rec.logPath, {
      follow, tail: opts.tail, since: opts.since, until: opts.until, signal: opts.signal, stopped,
    });
    async function* filtered(): AsyncIterable<LogEntry> {
      for await (const e of source) {
        if ((e.stream === 'stdout' && opts.stdout) || (e.stream === 'stderr' && opts.stderr)) yield e;
      }
    }
    return { tty: rec.config.tty, entries: filtered() };
  }

  async attach(ref: string, opts: AttachOptions, out: AttachOutput): Promise<AttachHandle> {
    const rec = this.#d.containers.resolve(ref);
    if (rec.state.status === 'paused') throw conflict('You cannot attach to a paused container, unpause it first');
    if (opts.logs) {
      const { entries } = await this.logs(rec.id, { stdout: opts.stdout, stderr: opts.stderr });
      for await (const e of entries) out.data(e.stream, e.data);
    }
    if (!opts.stream) {
      out.end();
      return { tty: rec.config.tty, write() {}, closeStdin() {}, detach() {} };
    }
    const fresh = this.#d.containers.resolve(rec.id);
    if (fresh.state.status === 'running') return this.#attach.attachNow(rec.id, rec.config.tty, opts, out);
    return this.#attach.waitForStart(rec.id, rec.config.tty, opts, out);
  }

  async resize(ref: string, size: { height: number; width: number }): Promise<void> {
    const rec = this.#d.containers.resolve(ref);
    if (rec.state.status !== 'running') throw conflict(`Container ${rec.id} is not running`);
    if (!rec.config.tty) return;
    await this.#d.runtime.resize(rec.id, size);
  }

  async export(ref: string): Promise<NodeJS.ReadableStream> {
    const rec = this.#d.containers.resolve(ref);
    await this.#rootfsMounts.acquire(rec.id);
    const stream = this.#d.tarDirectory(this.#rootfs(rec.id));
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#rootfsMounts.release(rec.id).catch((err) => this.#log.warn('unmount after export failed', { id: rec.id, err }));
    };
    stream.on('end', release);
    stream.on('close', release);
    stream.on('error', release);
    this.#d.events.emit('container', 'export', rec.id, this.#attrs(rec));
    return stream;
  }

  statPath(ref: string, path: string): Promise<PathStat> { return this.#archive.stat(ref, path); }
  getArchive(ref: string, path: string): Promise<{ stat: PathStat; tar: NodeJS.ReadableStream }> { return this.#archive.get(ref, path); }
  putArchive(ref: string, path: string, tar: NodeJS.ReadableStream, opts: ExtractOptions): Promise<void> { return this.#archive.put(ref, path, tar, opts); }

  pause(ref: string): Promise<void> { return pauseContainer(this.#lifecycle, ref); }
  unpause(ref: string): Promise<void> { return unpauseContainer(this.#lifecycle, ref); }
  rename(ref: string, name: string): Promise<void> { return renameContainer(this.#lifecycle, ref, name); }
  update(ref: string, req: UpdateRequest): Promise<{ warnings: string[] }> { return updateContainer(this.#lifecycle, ref, req); }
  async top(ref: string, psArgs: string): Promise<TopResult> {
    const rec = this.#d.containers.resolve(ref);
    const result = await top(rec, psArgs);
    this.#d.events.emit('container', 'top', rec.id, this.#attrs(rec));
    return result;
  }
  stats(ref: string, opts: { stream: boolean; oneShot?: boolean }, signal?: AbortSignal): AsyncIterable<StatsSample> { return this.#stats.stats(ref, opts, signal); }

  async usersOfImage(imageId: string): Promise<ContainerRecord[]> {
    return this.#d.containers.list().filter((r) => r.imageId === imageId);
  }

  // ---- daemon lifecycle -------------------------------------------------

  /**
   * Live restore: containers kept running while berthd was down. Running
   * ones are watched again; ones that exited meanwhile get their exit code
   * from conmon's exit file and are cleaned up (and auto-removed).
   */
  async restore(): Promise<void> {
    for (const rec of this.#d.containers.list()) {
      if (!hasProcess(rec)) continue;
      try {
        const state = await this.#d.runtime.state(rec.id);
        // The start was acknowledged (the record says running) but runc's start was cut: finish it.
        if (state?.status === 'created') await this.#d.runtime.start(rec.id);
        if (state && (state.status === 'running' || state.status === 'paused' || state.status === 'created')) {
          this.#rootfsMounts.adopt(rec.id);
          this.#d.mounts?.adopt(rec);
          this.#log.info('re-adopted running container', { id: rec.id, pid: state.pid });
          this.#watch(rec.id);
          continue;
        }
        const status = await this.#d.runtime.exitStatus(rec.id) ??
          { exitCode: 255, finishedAt: new Date() };
        this.#rootfsMounts.adopt(rec.id);
        this.#d.mounts?.adopt(rec);
        this.#log.info('container exited while the daemon was down', { id: rec.id, exitCode: status.exitCode });
        await this.#handleExit(rec.id, status);
      } catch (err) {
        this.#log.error('restoring container failed', { id: rec.id, err });
      }
    }
  }

  /**
   * Reconciles records with the runtime (reconcile.ts), then removes
   * snapshots and directories a crash left without a record (orphans.ts).
   */
  async sweepOrphans(): Promise<void> {
    await Promise.all(this.#runtimeCleanups.values());
    await reconcileRuntime({
      records: () => this.#d.containers.list(), get: (id) => this.#d.containers.get(id),
      runtime: this.#d.runtime, rootfs: this.#rootfsMounts, bundlesDir: `${this.#d.execRoot}/containers`,
      log: this.#log, lock: (id, fn) => this.#mutex.run(id, fn),
    });
    await sweepOrphans({
      known: new Set(this.#d.containers.list().map((r) => r.id)),
      snapshotter: this.#d.images.snapshotter, rootfs: this.#rootfsMounts,
      containersDir: `${this.#d.dataRoot}/containers`, log: this.#log,
    });
  }

  /** Stops watching and finishes pending cleanups; containers keep running (they belong to conmon now). */
  async shutdown(): Promise<void> {
    this.#shutdown.abort();
    this.#stats.stop();
    await Promise.all(this.#runtimeCleanups.values());
  }

  #attrs(rec: ContainerRecord): Record<string, string> {
    return { image: rec.config.image, name: rec.name, ...rec.config.labels };
  }
}
