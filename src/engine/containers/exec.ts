// The exec service: `docker exec` sessions on running containers (see
// src/core/exec.ts for the lifecycle). The records live in memory, like
// dockerd's; the runtime (conmon in exec mode) runs and monitors each
// process. Health checks run through the same path (runProbe).

import { randomBytes } from 'node:crypto';
import type { AttachOutput, ContainerRecord } from '../../core/container.ts';
import { checkVerb } from '../../core/container-state.ts';
import { BerthError, conflict, internal, invalid, notFound } from '../../core/errors.ts';
import { checkWorkingDir } from '../../runtime/workdir.ts';
import type { EventSink, EventSource } from '../../core/events.ts';
import type {
  ExecConfig, ExecRuntime, ExecService, ExecSession, ExecStartOptions, ExecView, RuntimeExecProcess, TerminalSize,
} from '../../core/exec.ts';
import { HEALTH_OUTPUT_MAX } from '../../core/health.ts';
import type { Logger } from '../../core/logger.ts';
import type { ContainerRepository } from '../../core/metadata.ts';
import type { AttachSink, ExitStatus, OutputStream } from '../../core/runtime.ts';
import { execEnv } from '../../runtime/process.ts';
import { withLinkEnv } from '../../core/network.ts';

export interface ExecEngineDeps {
  containers: Pick<ContainerRepository, 'get' | 'resolve'>;
  runtime: ExecRuntime;
  events: EventSink & EventSource;
  logger: Logger;
  /** Waits until live restore has re-adopted the container (ContainerEngine.adopted). */
  adopted?: (ref: string) => Promise<void>;
  /** Legacy link variables of a running container (ContainerNetworking.linkEnv). */
  linkEnv?: (rec: ContainerRecord) => string[];
}

interface Entry {
  readonly id: string;
  readonly containerId: string;
  readonly config: ExecConfig;
  readonly env: string[];
  readonly created: number;
  running: boolean;
  exitCode: number | null;
  pid: number;
  proc: RuntimeExecProcess | null;
  /** Settles once the process runs or failed to start (resize waits on it). */
  readonly startSettled: Promise<void>;
  settleStart(): void;
}

/** Finished sessions kept per container for inspect; older ones are dropped first. */
const KEEP_FINISHED = 64;
const RESIZE_WAIT_MS = 10_000;

/** How long a killed probe may take to report its exit before it is given up on. */
const PROBE_KILL_WAIT_MS = 10_000;

export class ExecEngine implements ExecService {
  readonly #d: ExecEngineDeps;
  readonly #log: Logger;
  readonly #entries = new Map<string, Entry>();

  constructor(deps: ExecEngineDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ component: 'exec' });
    // A removed container takes its sessions with it (dockerd answers "No such exec instance" after).
    deps.events.subscribe((e) => {
      if (e.type === 'container' && e.action === 'destroy') this.#forget(e.id);
      // dockerd's Cleanup unregisters the sessions still listed: one never
      // started is gone ("No such exec instance"); a running one ends on its own.
      if (e.type === 'container' && e.action === 'die') this.#forgetUnstarted(e.id);
    });
  }

  async create(containerRef: string, config: ExecConfig): Promise<{ id: string }> {
    if (config.cmd.length === 0) throw invalid('No exec command specified');
    await this.#d.adopted?.(containerRef);
    const rec = this.#d.containers.resolve(containerRef);
    checkActive(rec, containerRef);
    if (config.workingDir) {
      // Followed through the running container's own root (its symlinks), never the host's.
      checkWorkingDir(config.workingDir, rec.state.pid > 0 ? `/proc/${rec.state.pid}/root` : undefined);
    }
    const id = randomBytes(32).toString('hex');
    let settleStart!: () => void;
    const startSettled = new Promise<void>((r) => { settleStart = r; });
    const entry: Entry = {
      id, containerId: rec.id, created: Date.now(), running: false, exitCode: null, pid: 0, proc: null,
      config: {
        ...config,
        user: config.user || rec.config.user,
        workingDir: config.workingDir || rec.config.workingDir,
      },
      // Like dockerd, the link variables come in as of now (a stopped target fails the exec).
      env: execEnv({ containerEnv: withLinkEnv(rec.config.env, this.#d.linkEnv?.(rec) ?? []), execEnv: config.env, hostname: rec.config.hostname, tty: config.tty }),
      startSettled, settleStart,
    };
    this.#prune(rec.id);
    this.#entries.set(id, entry);
    this.#emit(rec, `exec_create: ${commandLine(entry.config.cmd)}`, id);
    return { id };
  }

  inspect(id: string): ExecView {
    const e = this.#get(id);
    const [entrypoint = '', ...args] = e.config.cmd;
    return {
      id: e.id, containerId: e.containerId, entrypoint, arguments: args, user: e.config.user,
      tty: e.config.tty, privileged: e.config.privileged,
      openStdin: e.config.attachStdin, openStdout: e.config.attachStdout, openStderr: e.config.attachStderr,
      detachKeys: e.config.detachKeys, running: e.running, exitCode: e.exitCode, pid: e.pid,
    };
  }

  async start(id: string, opts: ExecStartOptions, out?: AttachOutput): Promise<ExecSession> {
    const e = this.#get(id);
    if (e.exitCode !== null) throw conflict(`Error: Exec command ${id} has already run`);
    if (e.running) throw conflict(`Error: Exec command ${id} is already running`);
    e.running = true;
    const rec = this.#d.containers.get(e.containerId);
    if (rec) this.#emit(rec, `exec_start: ${commandLine(e.config.cmd)}`, id);
    const attached = !opts.detach && out !== undefined;
    const output = attached ? new Output(e.config, out!) : null;
    try {
      if (!rec) throw conflict(`Container ${e.containerId} is not running`);
      checkActive(rec, e.containerId);
      const { cmd, user, workingDir, tty, privileged, attachStdin } = e.config;
      e.proc = await this.#d.runtime.exec({
        containerId: e.containerId, execId: id, args: cmd, env: e.env, cwd: workingDir, user, tty, privileged,
        consoleSize: opts.consoleSize ?? e.config.consoleSize,
        sink: output ?? undefined, openStdin: attached && attachStdin,
      });
    } catch (err) {
      // dockerd's rule: a session that could not start ran, and failed with 126.
      e.running = false;
      e.exitCode = 126;
      e.settleStart();
      throw err instanceof BerthError ? err : internal(`starting exec ${id}: ${(err as Error).message}`, err);
    }
    e.pid = e.proc.pid;
    e.settleStart();
    const proc = e.proc;
    void proc.exited.then(
      (status) => this.#finished(e, status),
      (err) => {
        this.#log.warn('waiting for exec exit failed', { id, err });
        this.#finished(e, { exitCode: 255, finishedAt: new Date() });
      },
    ).finally(() => output?.exited());
    return {
      tty: e.config.tty,
      write: (chunk) => { if (e.config.attachStdin) proc.io?.write(chunk); },
      closeStdin: () => proc.io?.closeStdin(),
      detach: () => {
        proc.io?.detach();
        output?.detach();
      },
    };
  }

  /**
   * A healthcheck probe (dockerd's cmdProbe): a session like `docker exec`
   * with the container's user, env and working directory, both streams into
   * one buffer cut at HEALTH_OUTPUT_MAX bytes. Aborting kills its process
   * group (the probe and whatever it started); the promise settles once the
   * exit is recorded, so no probe outlives its monitor.
   */
  async runProbe(containerId: string, cmd: string[], signal: AbortSignal): Promise<{ exitCode: number; output: string }> {
    const { id } = await this.create(containerId, {
      cmd, env: [], user: '', workingDir: '', tty: false, privileged: false,
      attachStdin: false, attachStdout: true, attachStderr: true, detachKeys: '',
    });
    const buf = new LimitedBuffer(HEALTH_OUTPUT_MAX);
    let ended!: () => void;
    const done = new Promise<void>((r) => { ended = r; });
    await this.start(id, { detach: false }, { data: (_s, chunk) => buf.write(chunk), end: () => ended() });
    const e = this.#get(id);
    const kill = () => {
      e.proc?.kill('SIGKILL');
      // A probe that never reports its exit must not hold its monitor forever.
      setTimeout(ended, PROBE_KILL_WAIT_MS).unref();
    };
    signal.addEventListener('abort', kill, { once: true });
    if (signal.aborted) kill();
    try {
      await done;
    } finally {
      signal.removeEventListener('abort', kill);
      // Probes come every interval: kept, they would push users' sessions out of the finished ones kept.
      if (!e.running) this.#entries.delete(id);
    }
    return { exitCode: e.exitCode ?? -1, output: buf.text() };
  }

  async resize(id: string, size: TerminalSize): Promise<void> {
    const e = this.#get(id);
    // The docker CLI resizes right after its start request; the process may not run yet.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      e.startSettled.then(() => false),
      new Promise<boolean>((r) => { timer = setTimeout(() => r(true), RESIZE_WAIT_MS); }),
    ]).finally(() => clearTimeout(timer));
    if (timedOut) throw internal('timeout waiting for exec session ready');
    if (!e.proc || !e.running) throw notFound('no such exec');
    await e.proc.resize(size);
  }

  execIds(containerId: string): string[] {
    const ids: string[] = [];
    for (const e of this.#entries.values()) if (e.containerId === containerId && e.exitCode === null) ids.push(e.id);
    return ids;
  }

  #forgetUnstarted(containerId: string): void {
    for (const [id, e] of this.#entries) {
      if (e.containerId === containerId && !e.running && e.exitCode === null) this.#entries.delete(id);
    }
  }

  #finished(e: Entry, status: ExitStatus): void {
    e.running = false;
    e.exitCode = status.exitCode;
    const rec = this.#d.containers.get(e.containerId);
    this.#log.debug('exec exited', { id: e.id, exitCode: status.exitCode });
    if (rec) this.#emit(rec, 'exec_die', e.id, { exitCode: String(status.exitCode) });
  }

  #get(id: string): Entry {
    const e = this.#entries.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  #forget(containerId: string): void {
    for (const [id, e] of this.#entries) if (e.containerId === containerId) this.#entries.delete(id);
  }

  /** Keeps at most KEEP_FINISHED finished sessions of a container. */
  #prune(containerId: string): void {
    const finished = [...this.#entries.values()]
      .filter((e) => e.containerId === containerId && e.exitCode !== null)
      .sort((a, b) => a.created - b.created);
    for (const e of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED + 1))) this.#entries.delete(e.id);
  }

  #emit(rec: ContainerRecord, action: string, execId: string, extra: Record<string, string> = {}): void {
    this.#d.events.emit('container', action, rec.id, { execID: execId, ...extra, image: rec.config.image, name: rec.name, ...rec.config.labels });
  }
}

/**
 * The client's output: the streams it asked for, ended only once the exit
 * code is recorded (the docker CLI inspects the session the moment its
 * stream ends) and conmon has delivered everything.
 */
class Output implements AttachSink {
  readonly #config: ExecConfig;
  readonly #out: AttachOutput;
  #drained = false;
  #exited = false;
  #ended = false;

  constructor(config: ExecConfig, out: AttachOutput) {
    this.#config = config;
    this.#out = out;
  }

  data(stream: OutputStream, chunk: Buffer): void {
    if (this.#ended) return;
    if ((stream === 'stdout' && this.#config.attachStdout) || (stream === 'stderr' && this.#config.attachStderr)) this.#out.data(stream, chunk);
  }

  end(): void {
    this.#drained = true;
    this.#maybeEnd();
  }

  exited(): void {
    this.#exited = true;
    this.#maybeEnd();
  }

  detach(): void {
    this.#drained = this.#exited = true;
    this.#maybeEnd();
  }

  #maybeEnd(): void {
    if (this.#ended || !this.#drained || !this.#exited) return;
    this.#ended = true;
    this.#out.end();
  }
}

/** dockerd's limitedBuffer: the first `max` bytes, "..." appended when more came. */
class LimitedBuffer {
  readonly #max: number;
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #truncated = false;

  constructor(max: number) {
    this.#max = max;
  }

  write(chunk: Buffer): void {
    const room = this.#max - this.#size;
    if (chunk.length > room) this.#truncated = true;
    if (room <= 0) return;
    const part = chunk.subarray(0, room);
    this.#chunks.push(Buffer.from(part));
    this.#size += part.length;
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8') + (this.#truncated ? '...' : '');
  }
}

/** dockerd's getActiveContainer: exec needs a running container that is neither paused nor restarting. */
function checkActive(rec: ContainerRecord, ref: string): void {
  checkVerb('exec', rec, ref);
}

/** The command as dockerd prints it in event actions: entrypoint, a space, the arguments. */
function commandLine(cmd: string[]): string {
  return `${cmd[0] ?? ''} ${cmd.slice(1).join(' ')}`;
}
