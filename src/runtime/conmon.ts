// ConmonRuntime: the ContainerRuntime contract on conmon + runc. A thin
// adapter: it decides nothing about containers, it only knows where
// conmon and runc keep things and how they talk.
//
// Its files are laid out in conmon-layout.ts; conmon's command line is
// built in conmon-args.ts, the teardown lives in conmon-teardown.ts.
//
// A berthd restart loses nothing: every method works from these files and
// runc's state, so containers started by a previous daemon are waited on,
// attached to, killed and deleted like new ones.

import fs from 'node:fs';
import path from 'node:path';
import { conflict, internal, invalid, notFound, wrap } from '../core/errors.ts';
import { nullLogger, type Logger } from '../core/logger.ts';
import type {
  AttachSink, ContainerRuntime, ExitStatus, RuntimeAttach, RuntimeCreateOptions, RuntimeState, ResourceUpdate,
} from '../core/runtime.ts';
import { connectAttach } from './attach.ts';
import { cgroupMounts, cgroupsPathFor, detectCgroups, releaseCgroupMemory } from './cgroups.ts';
import { conmonCreateArgs } from './conmon-args.ts';
import { ConmonLayout, ID_RE, checkId, type ContainerMeta } from './conmon-layout.ts';
import { tracedIds } from './conmon-purge.ts';
import { purge, removeLeftoverCgroup, waitConmonGone } from './conmon-teardown.ts';
import { launchConmon } from './conmon-launch.ts';
import { isConmonGone, isDim, writeResize } from './conmon-ctl.ts';
import { startThroughCrunFifo, startThroughFifo } from './exec-fifo.ts';
import { LogRotator } from './log-rotate.ts';
import { ExitDirWatcher, LivenessSweep, waitForFile } from './exits.ts';
import { RuncError, classifyRuncError, runc, runcState, runcUpdateArgs, type RuncOptions } from './runc.ts';
import { parseSignal } from './signals.ts';
import { hasHooks, isConmonAlive, pidIsConmon, readConmonPid, readExitFile } from './conmon-files.ts';
import { readStateFiles } from './state-files.ts';
import { signalInit } from './signal-init.ts';
import { SeccompBpfCache } from './seccomp-cache.ts';

export interface ConmonRuntimeOptions {
  /** The driver's own state dir, e.g. <execRoot>/runtime. */
  root: string;
  conmonPath?: string;
  /** Runtime name -> binary; default { runc: '/usr/sbin/runc' }. */
  runtimes?: Record<string, string>;
  /** Runtime name -> global options given before every command (dockerd's runtimeArgs). */
  runtimeArgs?: Record<string, string[]>;
  /** Throws when a runtime cannot run containers on this host (crun on a hybrid cgroup host). */
  checkUsable?: (name: string) => void;
  /** Name used when create() gets none; default "runc". */
  defaultRuntime?: string;
  logger?: Logger;
  /** Upper bound for conmon + `runc create`; default DEFAULT_CREATE_TIMEOUT_MS (20 s). */
  createTimeoutMs?: number;
  /** Parent of the cgroupsPath berth gives containers (cgroups.ts); default "/berth". */
  cgroupParent?: string;
  /** Reuse crun's compiled seccomp programs (seccomp-cache.ts); default true. */
  seccompCache?: boolean;
}

/** What RuntimeCreateOptions carries plus Docker's StdinOnce (see create()). */
export interface ConmonCreateOptions extends RuntimeCreateOptions {
  /** Close the container's stdin when the attached client ends (docker run -i). Default true. */
  stdinOnce?: boolean;
  /** Gives up on the create: everything it started is killed and removed. */
  signal?: AbortSignal;
}

const LIVENESS_POLL_MS = 1000;

export class ConmonRuntime implements ContainerRuntime {
  readonly root: string;
  #conmon: string;
  #runtimes: Record<string, string>;
  readonly #runtimeArgs: Record<string, string[]>;
  readonly #checkUsable: (name: string) => void;
  #defaultRuntime: string;
  #log: Logger;
  #createTimeoutMs: number | undefined;
  #cgroupParent: string;
  #exits: ExitDirWatcher;
  readonly #liveness = new LivenessSweep(LIVENESS_POLL_MS);
  #files: ConmonLayout;
  #rotator: LogRotator;
  readonly #bpf: SeccompBpfCache | null;

  constructor(opts: ConmonRuntimeOptions) {
    this.root = path.resolve(opts.root);
    this.#conmon = opts.conmonPath ?? '/usr/bin/conmon';
    this.#runtimes = { ...(opts.runtimes ?? { runc: '/usr/sbin/runc' }) };
    this.#runtimeArgs = { ...opts.runtimeArgs };
    this.#checkUsable = opts.checkUsable ?? (() => {});
    this.#defaultRuntime = opts.defaultRuntime ?? 'runc';
    this.#log = (opts.logger ?? nullLogger).child({ component: 'conmon-runtime' });
    this.#createTimeoutMs = opts.createTimeoutMs;
    this.#cgroupParent = opts.cgroupParent ?? '/berth';
    this.#files = new ConmonLayout(this.root);
    this.#bpf = opts.seccompCache === false ? null : new SeccompBpfCache();
    this.#exits = new ExitDirWatcher(this.#files.exitDir());
    this.#rotator = new LogRotator(this.#log);
  }

  /** Runtime names this driver can run, for /info. */
  get runtimeNames(): string[] {
    return Object.keys(this.#runtimes);
  }

  /** Every container id with any trace under this root: conmon's files or runc's state. */
  async ids(): Promise<string[]> {
    return tracedIds(this.root, ID_RE);
  }

  /** IDs of every container this root still has files for (live restore). */
  list(): Promise<string[]> {
    return this.#files.listed();
  }

  async create(opts: ConmonCreateOptions): Promise<{ pid: number }> {
    const { id } = opts;
    checkId(id);
    const runtime = opts.runtime || this.#defaultRuntime;
    const binary = this.#runtimes[runtime];
    if (!binary) throw invalid(`unknown or invalid runtime name: ${runtime}`);
    this.#checkUsable(runtime);
    if (!path.isAbsolute(opts.bundle)) throw invalid(`bundle path must be absolute: ${opts.bundle}`);
    const cdir = this.#ctrDir(id);
    if (await this.#meta(id) && isConmonAlive(cdir)) {
      throw conflict(`container ${id} is still monitored by conmon; delete it first`);
    }
    // Leftovers of an earlier run of the same container (a restart) would
    // make waitExit answer at once with the old code.
    // Synchronous: a few small local files and directories, where each
    // thread-pool round trip costs milliseconds on a busy host.
    this.#removeFiles(id, null);
    for (const dir of [cdir, this.#files.exitDir(), this.#files.socketDir(), path.dirname(opts.logPath)]) fs.mkdirSync(dir, { recursive: true });
    const cgroupsPath = opts.spec.linux?.cgroupsPath;
    const meta: ContainerMeta = {
      bundle: opts.bundle, runtime, tty: opts.tty, openStdin: opts.openStdin, logPath: opts.logPath, ...(opts.log ? { log: opts.log } : {}),
      hooks: Object.entries(opts.spec.hooks ?? {}).filter(([, list]) => Array.isArray(list) && list.length > 0).map(([kind]) => kind),
      ...(typeof cgroupsPath === 'string' ? { cgroupsPath } : {}),
    };
    // crun: a profile seen before gets the program crun compiled for it then.
    const bpfKey = this.#bpf && SeccompBpfCache.applies(binary, opts.spec) ? this.#bpf.key(binary, opts.spec) : null;
    const spec = (bpfKey && this.#bpf!.withProgram(bpfKey, opts.spec)) || opts.spec;
    try {
      fs.writeFileSync(path.join(opts.bundle, 'config.json'), JSON.stringify(spec));
      this.#files.writeMeta(id, meta);
    } catch (err) {
      this.#removeFiles(id, null);
      throw wrap(err, `writing the runtime bundle of ${id}`);
    }

    const args = conmonCreateArgs(this.#files, {
      id, runtime, binary, runtimeArgs: this.#runtimeArgs[runtime] ?? [], bundle: opts.bundle, logPath: opts.logPath, keepLog: opts.log?.keep ?? true,
      openStdin: opts.openStdin, stdinOnce: opts.stdinOnce, tty: opts.tty,
    });

    // The last run's log may still be being cut to its limits (LogRotator.finish): conmon appends to it.
    await this.#rotator.settled(id);
    const t0 = performance.now();
    try {
      const { pid } = await launchConmon({
        conmonPath: this.#conmon, args, cwd: cdir, runtimeLog: path.join(cdir, 'runtime.log'),
        timeoutMs: this.#createTimeoutMs, signal: opts.signal,
      });
      this.#log.debug('container created', { id, pid, ms: Math.round(performance.now() - t0), seccompCached: spec !== opts.spec });
      if (bpfKey && spec === opts.spec) {
        this.#bpf!.learn(bpfKey, path.join(this.#files.runcRoot(runtime), id, 'seccomp.bpf'))
          .catch((err) => this.#log.debug('seccomp program not learned', { id, error: (err as Error).message }));
      }
      this.#rotator.watch(id, opts.logPath, path.join(opts.bundle, 'ctl'), opts.log);
      return { pid };
    } catch (err) {
      this.#log.debug('create failed', { id, error: (err as Error).message });
      await this.#cleanupAfterFailedCreate(id, meta);
      throw err;
    }
  }

  async start(id: string): Promise<void> {
    const meta = await this.#meta(id);
    const opts = await this.#runc(id, meta);
    // runc's and crun's own protocols (see exec-fifo.ts); other runtimes get their `start`.
    const kind = path.basename(opts.binary);
    if (kind === 'runc' && await startThroughFifo(path.join(opts.root, id))) return;
    if (kind === 'crun' && meta && !hasHooks(meta, 'poststart') && await startThroughCrunFifo(path.join(opts.root, id))) return;
    try {
      await runc(opts, ['start', id]);
    } catch (err) {
      throw classifyRuncError(err, `starting container ${id}`);
    }
  }

  /** A running container's init is signalled directly (signal-init.ts); the runtime's `kill` otherwise. */
  async kill(id: string, signal: string | number, all = false): Promise<void> {
    const sig = parseSignal(signal);
    const opts = await this.#runc(id);
    if (!all && await signalInit({ root: opts.root, unified: detectCgroups().version === '2' }, id, sig)) return;
    try {
      await runc(opts, ['kill', ...(all ? ['--all'] : []), id, String(sig)]);
    } catch (err) {
      throw classifyRuncError(err, `killing container ${id}`);
    }
  }

  /** `runc pause` / `runc resume` (the cgroup freezer). */
  async freeze(id: string, frozen: boolean): Promise<void> {
    const opts = await this.#runc(id);
    try {
      await runc(opts, [frozen ? 'pause' : 'resume', id]);
    } catch (err) {
      throw classifyRuncError(err, `${frozen ? 'pausing' : 'resuming'} container ${id}`);
    }
  }

  /** `runc update` with the limits given (the others are left as they are). */
  async update(id: string, r: ResourceUpdate): Promise<void> {
    const opts = await this.#runc(id);
    const args = runcUpdateArgs(r);
    if (args.length === 0) return;
    try {
      await runc(opts, ['update', ...args, id]);
    } catch (err) {
      throw classifyRuncError(err, `updating container ${id}`);
    }
  }

  /** From runc's or crun's state files (state-files.ts); the runtime itself is asked only for a layout it does not know. */
  async state(id: string): Promise<RuntimeState | null> {
    checkId(id);
    const opts = await this.#runc(id);
    const read = await readStateFiles({ root: opts.root, unified: detectCgroups().version === '2' }, id).catch(() => undefined);
    if (read !== undefined) return read;
    const s = await runcState(opts, id);
    if (!s) return null;
    return { status: s.status === 'creating' ? 'created' : s.status, pid: s.pid };
  }

  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    checkId(id);
    this.#rotator.unwatch(id);
    // Forced: whatever state the container is in (running, created and
    // waiting, half-created, its conmon dead), nothing of it stays.
    if (opts.force) return this.#purge(id);
    const meta = await this.#meta(id);
    // conmon reported the exit: what `runc delete` (or crun's) does to a
    // stopped container is remove its cgroups and state and run poststop
    // hooks. Without hooks, the purge does the same in-process, sparing a
    // runtime process (20-60 ms of a busy host) on every exit.
    const exited = meta !== null && await readExitFile(this.#exitFile(id), this.#ctrDir(id)) !== null;
    if (meta && exited && !hasHooks(meta, 'poststop')) {
      await waitConmonGone(this.#ctrDir(id), (signal) => this.waitExit(id, signal), this.#log, id);
      return this.#purge(id, meta);
    }
    // The runtime removes the cgroups: first let go of what the kernel still charges to them (cgroups.ts).
    if (exited && meta?.cgroupsPath?.startsWith('/')) await releaseCgroupMemory(cgroupMounts().map((mp) => path.join(mp, meta.cgroupsPath!)));
    const ropts = await this.#runc(id, meta);
    let runcKnewIt = true;
    try {
      await runc(ropts, ['delete', ...(opts.force ? ['--force'] : []), id]);
    } catch (err) {
      if (!(err instanceof RuncError && /does not exist/.test(err.message))) {
        throw classifyRuncError(err, `deleting container ${id}`);
      }
      runcKnewIt = false;
    }
    // The container is gone; conmon still drains output and writes the exit
    // file. Removing files under it would race those last writes.
    await waitConmonGone(this.#ctrDir(id), (signal) => this.waitExit(id, signal), this.#log, id);
    // runc removes the cgroup with its state; without state (lost in a
    // crash) nobody else will.
    if (!runcKnewIt && meta) await removeLeftoverCgroup(id, meta, this.#log);
    this.#removeFiles(id, meta);
  }

  async attach(id: string, sink: AttachSink): Promise<RuntimeAttach> {
    checkId(id);
    const meta = await this.#meta(id);
    if (!meta) throw notFound(`No such container: ${id}`);
    if (await readExitFile(this.#exitFile(id), this.#ctrDir(id))) return endedAttach(sink);
    try {
      return await connectAttach(this.#files.attachSocket(id), sink);
    } catch (err) {
      // Exited between the check and the connect: nothing more to deliver.
      const st = await this.state(id).catch(() => null);
      if (!st || st.status === 'stopped') return endedAttach(sink);
      throw internal(`attaching to container ${id}: ${(err as Error).message}`, err);
    }
  }

  async exitStatus(id: string): Promise<ExitStatus | null> {
    checkId(id);
    const cdir = this.#ctrDir(id);
    const found = await readExitFile(this.#exitFile(id), cdir);
    if (found) {
      this.#rotator.finish(id);
      return found;
    }
    const meta = await this.#meta(id);
    if (!meta || isConmonAlive(cdir)) return null;
    // conmon is gone: it either just wrote the file and exited, or died
    // without a word (killed). Only the second case needs runc's opinion.
    const again = await readExitFile(this.#exitFile(id), cdir);
    if (again) return again;
    const st = await this.state(id).catch(() => null);
    if (st && st.status !== 'stopped') return null;
    return { exitCode: 255, finishedAt: new Date() };
  }

  async waitExit(id: string, signal?: AbortSignal): Promise<ExitStatus> {
    signal?.throwIfAborted();
    const first = await this.exitStatus(id);
    if (first) return first;
    const meta = await this.#meta(id);
    if (!meta) throw notFound(`No such container: ${id}`);
    // A container restored from an earlier berthd: its log rotation resumes here.
    this.#rotator.watch(id, meta.logPath, path.join(meta.bundle, 'ctl'), meta.log);
    // The sweep only matters for a conmon that dies without writing its file
    // (SIGKILL): its pid is read once, each sweep reads /proc/<pid>/stat.
    const cdir = this.#ctrDir(id);
    let pid = readConmonPid(cdir);
    const alive = () => {
      pid ??= readConmonPid(cdir);
      return pid !== null && pidIsConmon(pid);
    };
    return waitForFile(this.#exits, id, () => this.exitStatus(id), { signal, sweep: this.#liveness, alive });
  }

  async resize(id: string, size: { height: number; width: number }): Promise<void> {
    checkId(id);
    const { height, width } = size;
    if (!isDim(height) || !isDim(width)) throw invalid(`invalid terminal size ${height}x${width}`);
    const meta = await this.#meta(id);
    if (!meta) throw notFound(`No such container: ${id}`);
    try {
      // Paced: conmon loses all but the first of resizes it reads at once (conmon-ctl.ts).
      await writeResize(path.join(meta.bundle, 'ctl'), { height, width });
    } catch (err) {
      if (isConmonGone(err)) throw conflict(`Container ${id} is not running`);
      throw err;
    }
  }

  /** Stops watching the exit directory (waiters still pending are left to their signals). */
  close(): void {
    this.#exits.close();
    this.#liveness.close();
    this.#rotator.close();
  }

  #ctrDir(id: string): string {
    return this.#files.ctrDir(id);
  }

  #exitFile(id: string): string {
    return this.#files.exitFile(id);
  }

  #runcRoot(runtime: string): string {
    return this.#files.runcRoot(runtime);
  }

  #meta(id: string): Promise<ContainerMeta | null> {
    return this.#files.meta(id);
  }

  async #runc(id: string, meta?: ContainerMeta | null): Promise<RuncOptions> {
    checkId(id);
    const m = meta === undefined ? await this.#meta(id) : meta;
    const name = m?.runtime ?? this.#defaultRuntime;
    const binary = this.#runtimes[name];
    if (!binary) throw invalid(`unknown or invalid runtime name: ${name}`);
    return { binary, root: this.#runcRoot(name), args: this.#runtimeArgs[name] ?? [] };
  }

  async #cleanupAfterFailedCreate(id: string, meta: ContainerMeta): Promise<void> {
    await this.#purge(id, meta);
  }

  async #purge(id: string, known?: ContainerMeta | null): Promise<void> {
    const meta = known === undefined ? await this.#meta(id).catch(() => null) : known;
    await purge(this.#files, id, meta, cgroupsPathFor(id, this.#cgroupParent), this.#log);
    this.#files.forget(id);
  }

  #removeFiles(id: string, meta: ContainerMeta | null): void {
    this.#files.removeFiles(id, meta);
  }
}


/** The container already exited: the sink learns so at once, there is nothing to write to. */
function endedAttach(sink: AttachSink): RuntimeAttach {
  queueMicrotask(() => sink.end());
  return { write() {}, closeStdin() {}, detach() {} };
}
