// The container service: the engine's side of every container endpoint.
// It composes the stores (metadata, snapshots via the image service), the
// runtime driver (conmon + runc) and the event bus; see src/core/container.ts
// for the lifecycle it implements.

import type {
  AttachHandle, AttachOptions, AttachOutput, ContainerFilters, ContainerPruneOptions, ContainerPruneReport, ContainerRecord, ContainerService,
  ContainerView, CreateContainerRequest, ExtractOptions, PathStat, UpdateRequest, WaitCondition,
} from '../../core/container.ts';
import type { LogChunk, LogEntry } from '../../core/runtime.ts';
import type { Logger } from '../../core/logger.ts';
import type { StatsSample, TopResult } from '../../core/stats.ts';
import { checkVerb, hasProcess } from '../../core/container-state.ts';
import { notImplemented } from '../../core/errors.ts';
import { logAttrs } from './log-config.ts';
import { ContainerViews } from './views.ts';
import { KeyedMutex, Waiters } from './waiters.ts';
import { AttachHub } from './attach.ts';
import { RootfsMounts } from './rootfs.ts';
import { sweepOrphans } from './orphans.ts';
import { containersTrash } from './destroy.ts';
import { ContainerArchive } from './archive.ts';
import { ContainerStatsService } from './stats/stats.ts';
import { top } from './top.ts';
import { pauseContainer, renameContainer, unpauseContainer } from './pause.ts';
import { updateContainer } from './update.ts';
import { reconcileRuntime } from './reconcile.ts';
import type { ContainerServiceDeps, EngineContext } from './context.ts';
import { createContainer } from './create-container.ts';
import { startContainer } from './start.ts';
import { killContainer, restartContainer, stopContainer } from './stop.ts';
import { removeContainer } from './remove.ts';
import { watchExit } from './exit.ts';
import { Adoptions, readoptContainers, registerRestore } from './restore.ts';
import { pruneContainers } from './prune.ts';
import { HealthMonitors } from './health.ts';
import { unavailable } from '../../core/errors.ts';

export type { ContainerServiceDeps, SpecRequest } from './context.ts';

export class ContainerEngine implements ContainerService {
  readonly #d: ContainerServiceDeps;
  readonly #log: Logger;
  readonly #ctx: EngineContext;
  readonly #views: ContainerViews;
  readonly #archive: ContainerArchive;
  readonly #stats: ContainerStatsService;
  readonly #shutdown = new AbortController();
  #restoring: ContainerRecord[] = [];
  /** Every container live restore registered at boot (pending or done). */
  readonly #registered = new Set<string>();

  constructor(deps: ContainerServiceDeps) {
    this.#d = deps;
    const log = this.#log = deps.logger.child({ component: 'containers' });
    const mutex = new KeyedMutex();
    const rootfs = new RootfsMounts(deps.images.snapshotter, (id) => `${this.containerDir(id)}/rootfs`,
      (id) => deps.containers.get(id)?.hostConfig.autoRemove === true);
    const attrs = (r: ContainerRecord) => this.#attrs(r);
    const health = new HealthMonitors({
      probes: deps.probes ?? { run: () => Promise.reject(unavailable('this daemon has no exec runtime to run health probes')) },
      log,
      update: (id, fn) => mutex.run(id, async () => {
        const rec = deps.containers.get(id);
        if (!rec || !fn(rec)) return null;
        deps.containers.put(rec);
        return rec;
      }),
      emit: (rec, action) => deps.events.emit('container', action, rec.id, attrs(rec)),
    });
    const ctx: EngineContext = {
      d: deps, log, mutex, rootfs, waiters: new Waiters(), attach: new AttachHub(deps.runtime, log), health,
      lifecycle: { containers: deps.containers, runtime: deps.runtime, events: deps.events, mutex, attrs, health },
      adoptions: new Adoptions(), runtimeCleanups: new Map(), signalling: new Map(), manuallyStopped: new Set(), starting: new Map(), shutdown: this.#shutdown.signal,
      containerDir: (id) => this.containerDir(id),
      bundle: (id) => `${deps.execRoot}/containers/${id}`,
      attrs,
      watch: (id) => watchExit(ctx, id),
    };
    this.#ctx = ctx;
    this.#views = new ContainerViews(deps.containers, deps.images, (id) => rootfs.path(id), deps.network);
    this.#stats = new ContainerStatsService(deps.containers, undefined, deps.cgroupParent);
    this.#archive = new ContainerArchive({
      containers: deps.containers, rootfs, events: deps.events, logger: log, attrs, ...(deps.layerLimits ? { limits: deps.layerLimits } : {}), ...(deps.remap ? { idMaps: deps.remap.maps } : {}),
    });
  }

  containerDir(id: string): string { return `${this.#d.dataRoot}/containers/${id}`; }

  // ---- create ---------------------------------------------------------

  create(req: CreateContainerRequest): Promise<{ id: string; warnings: string[] }> { return createContainer(this.#ctx, req); }

  // ---- state changes (one use case per file) ---------------------------

  // Each waits first for a container live restore has not re-adopted yet (restore.ts).
  /** opts.env: variables for this start only, kept in memory (never in the container's record). */
  async start(ref: string, opts: { env?: string[] } = {}): Promise<void> { await this.adopted(ref); return startContainer(this.#ctx, ref, opts); }
  async stop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> { await this.adopted(ref); return stopContainer(this.#ctx, ref, opts); }
  async kill(ref: string, signal = 'SIGKILL'): Promise<void> { await this.adopted(ref); return killContainer(this.#ctx, ref, signal); }
  async restart(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> { await this.adopted(ref); return restartContainer(this.#ctx, ref, opts); }
  async remove(ref: string, opts: { force?: boolean; volumes?: boolean; keepSnapshot?: boolean } = {}): Promise<void> { await this.adopted(ref); return removeContainer(this.#ctx, ref, opts); }
  async prune(opts: ContainerPruneOptions): Promise<ContainerPruneReport> { await this.#ctx.adoptions.finished; return pruneContainers(this.#ctx, opts); }

  /**
   * Resolves once the container `ref` names is re-adopted by live restore
   * (at once when it is not pending, or names nothing: the verb reports that).
   */
  adopted(ref: string): Promise<void> {
    if (this.#ctx.adoptions.pending === 0) return Promise.resolve();
    try {
      return this.#ctx.adoptions.settled(this.#d.containers.resolve(ref).id);
    } catch {
      return Promise.resolve();
    }
  }

  // ---- read side --------------------------------------------------------

  list(opts: { all?: boolean; limit?: number; size?: boolean; filters?: ContainerFilters }): Promise<ContainerView[]> {
    return this.#views.list(opts);
  }

  // async: an unknown name rejects the promise rather than throwing before there is one.
  async inspect(ref: string, opts: { size?: boolean } = {}): Promise<ContainerView> {
    return this.#views.view(this.#d.containers.resolve(ref), opts.size ?? false);
  }

  async wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<{ statusCode: number; error?: string }> {
    const rec = this.#d.containers.resolve(ref);
    let code: number;
    if (condition === 'removed') {
      code = await this.#ctx.waiters.removed(rec.id, signal);
    } else if (condition === 'next-exit' || hasProcess(rec.state.status)) {
      code = await this.#ctx.waiters.nextExit(rec.id, signal);
      // A failed start wakes this waiter too (nothing waits forever), but its
      // error is the start's answer, not the wait's: dockerd never ends a
      // next-exit wait with it, and the docker CLI would print a second
      // "Error waiting for container" line under the start error.
      return { statusCode: code };
    } else {
      code = rec.state.exitCode;
    }
    const after = this.#d.containers.get(rec.id);
    return after?.state.error ? { statusCode: code, error: after.state.error } : { statusCode: code };
  }

  /** With `chunks`, the text comes as runs of lines of one stream (no per-line time): for readers that need only the text. */
  async logs(ref: string, opts: { stdout: boolean; stderr: boolean; follow?: boolean; tail?: number; since?: Date; until?: Date; signal?: AbortSignal; chunks?: boolean }): Promise<{ tty: boolean; entries: AsyncIterable<LogChunk | LogEntry>; attrs: Array<[string, string]> }> {
    const rec = this.#d.containers.resolve(ref);
    if (rec.hostConfig.logConfig?.type === 'none') throw notImplemented('configured logging driver does not support reading');
    const follow = Boolean(opts.follow) && (rec.state.status === 'running' || rec.state.status === 'restarting');
    // Only a follower needs to hear of the exit; a one-shot read registers no waiter.
    const stopped = follow ? this.#ctx.waiters.nextExit(rec.id, opts.signal).catch(() => 0) : Promise.resolve(0);
    const readOpts = { follow, tail: opts.tail, since: opts.since, until: opts.until, signal: opts.signal, stopped };
    const source: AsyncIterable<LogChunk | LogEntry> = opts.chunks && this.#d.readLogChunks
      ? this.#d.readLogChunks(rec.logPath, readOpts)
      : this.#d.readLogs(rec.logPath, readOpts);
    async function* filtered(): AsyncIterable<LogChunk | LogEntry> {
      for await (const e of source) {
        if ((e.stream === 'stdout' && opts.stdout) || (e.stream === 'stderr' && opts.stderr)) yield e;
        else if ('release' in e) e.release?.();
      }
    }
    return { tty: rec.config.tty, entries: filtered(), attrs: logAttrs(rec.hostConfig.logConfig, rec.config) };
  }

  async attach(ref: string, opts: AttachOptions, out: AttachOutput): Promise<AttachHandle> {
    await this.adopted(ref);
    const rec = this.#d.containers.resolve(ref);
    checkVerb('attach', rec, ref);
    if (opts.logs && rec.hostConfig.logConfig?.type !== 'none') {
      const { entries } = await this.logs(rec.id, { stdout: opts.stdout, stderr: opts.stderr, chunks: true });
      for await (const e of entries) out.data(e.stream, e.data);
    }
    if (!opts.stream) {
      out.end();
      return { tty: rec.config.tty, write() {}, closeStdin() {}, detach() {} };
    }
    const fresh = this.#d.containers.resolve(rec.id);
    if (fresh.state.status === 'running') return this.#ctx.attach.attachNow(rec.id, rec.config.tty, opts, out);
    return this.#ctx.attach.waitForStart(rec.id, rec.config.tty, opts, out);
  }

  async resize(ref: string, size: { height: number; width: number }): Promise<void> {
    await this.adopted(ref);
    const rec = this.#d.containers.resolve(ref);
    checkVerb('resize', rec, ref);
    if (!rec.config.tty) return;
    await this.#d.runtime.resize(rec.id, size);
  }

  async export(ref: string): Promise<NodeJS.ReadableStream> {
    await this.adopted(ref);
    const rec = this.#d.containers.resolve(ref);
    await this.#ctx.rootfs.acquire(rec.id);
    const stream = this.#d.tarDirectory(this.#ctx.rootfs.path(rec.id), this.#d.remap?.maps);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#ctx.rootfs.release(rec.id).catch((err) => this.#log.warn('unmount after export failed', { id: rec.id, err }));
    };
    stream.on('end', release);
    stream.on('close', release);
    stream.on('error', release);
    this.#d.events.emit('container', 'export', rec.id, this.#attrs(rec));
    return stream;
  }

  async statPath(ref: string, path: string): Promise<PathStat> { await this.adopted(ref); return this.#archive.stat(ref, path); }
  async getArchive(ref: string, path: string): Promise<{ stat: PathStat; tar: NodeJS.ReadableStream }> { await this.adopted(ref); return this.#archive.get(ref, path); }
  async putArchive(ref: string, path: string, tar: NodeJS.ReadableStream, opts: ExtractOptions): Promise<void> { await this.adopted(ref); return this.#archive.put(ref, path, tar, opts); }

  async pause(ref: string): Promise<void> { await this.adopted(ref); return pauseContainer(this.#ctx.lifecycle, ref); }
  async unpause(ref: string): Promise<void> { await this.adopted(ref); return unpauseContainer(this.#ctx.lifecycle, ref); }
  async rename(ref: string, name: string): Promise<void> { await this.adopted(ref); return renameContainer(this.#ctx.lifecycle, ref, name); }
  async update(ref: string, req: UpdateRequest): Promise<{ warnings: string[] }> { await this.adopted(ref); return updateContainer(this.#ctx.lifecycle, ref, req); }
  async top(ref: string, psArgs: string): Promise<TopResult> {
    await this.adopted(ref);
    const rec = this.#d.containers.resolve(ref);
    const result = await top(rec, psArgs, (id) => this.#stats.pids(id));
    this.#d.events.emit('container', 'top', rec.id, this.#attrs(rec));
    return result;
  }
  stats(ref: string, opts: { stream: boolean; oneShot?: boolean }, signal?: AbortSignal): AsyncIterable<StatsSample> { return this.#stats.stats(ref, opts, signal); }

  async usersOfImage(imageId: string): Promise<ContainerRecord[]> {
    return this.#d.containers.list().filter((r) => r.imageId === imageId);
  }

  // ---- daemon lifecycle -------------------------------------------------

  /**
   * Live restore (restore.ts), first half: every container that had a
   * process is pending and its mounts held, before the boot sweeps run.
   */
  restore(): void {
    this.#restoring = registerRestore(this.#ctx);
    for (const rec of this.#restoring) this.#registered.add(rec.id);
  }

  /**
   * The containers live restore took in hand at boot: the boot's sweeps
   * (sweepOrphans, the network reconcile), which run beside re-adoption,
   * leave them to it, whatever re-adoption has made of them by then.
   */
  get restoring(): ReadonlySet<string> { return this.#registered; }

  /**
   * Second half, once the boot sweeps are done: re-adopts what kept running
   * and records what exited while berthd was down, in the background (the
   * API may serve meanwhile). `restored` resolves when it is over.
   */
  readopt(): void {
    readoptContainers(this.#ctx, this.#restoring);
    this.#restoring = [];
  }

  get restored(): Promise<void> { return this.#ctx.adoptions.finished; }

  /**
   * Reconciles records with the runtime (reconcile.ts), then removes
   * snapshots and directories a crash left without a record (orphans.ts).
   * Containers live restore registered are its own: an exit it records
   * (an auto-removal among them) does its own cleanup meanwhile.
   */
  async sweepOrphans(): Promise<void> {
    await Promise.all(this.#ctx.runtimeCleanups.values());
    const restoring = this.#registered;
    await reconcileRuntime({
      records: () => this.#d.containers.listShared().filter((r) => !restoring.has(r.id)), get: (id) => this.#d.containers.get(id),
      skip: restoring,
      runtime: this.#d.runtime, rootfs: this.#ctx.rootfs, bundlesDir: `${this.#d.execRoot}/containers`,
      log: this.#log, lock: (id, fn) => this.#ctx.mutex.run(id, fn),
    });
    await sweepOrphans({
      known: new Set([...this.#d.containers.listShared().map((r) => r.id), ...restoring]),
      snapshotter: this.#d.images.snapshotter, rootfs: this.#ctx.rootfs,
      containersDir: `${this.#d.dataRoot}/containers`, trashDir: containersTrash(this.#d.dataRoot), log: this.#log,
    });
  }

  /** Stops watching and finishes pending cleanups; containers keep running (they belong to conmon now). */
  async shutdown(): Promise<void> {
    this.#shutdown.abort();
    this.#ctx.health.shutdown();
    this.#stats.stop();
    // Re-adoptions under way finish (none starts now); verbs still waiting go on and fail or succeed on the record.
    await this.#ctx.adoptions.finished;
    this.#ctx.adoptions.settleAll();
    await Promise.all(this.#ctx.runtimeCleanups.values());
  }

  #attrs(rec: ContainerRecord): Record<string, string> {
    return { image: rec.config.image, name: rec.name, ...rec.config.labels };
  }
}
