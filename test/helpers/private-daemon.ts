// One private daemon (berthd or the reference dockerd) in its own short temp
// dir: socket, data root, exec root, pidfile and log file all inside it, so
// tests and benchmarks run beside any other daemon on the machine.
//
//   const d = await startBerthd();        // or startDockerd()
//   try { await run('docker', ['ps'], { env: d.env }); }
//   finally { await d.cleanup(); }        // daemon, conmons, mounts, dir: gone
//
// cleanup() assumes nothing went well: the daemon may be dead, containers may
// still run under conmon or a containerd shim, rootfs mounts may be live.
// It only touches processes whose command line names this temp dir (and
// their descendants), runc state under it, and mounts under it.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ping } from './api.ts';
import { isAlive, processesUnder, sleep, type ProcInfo } from './procs.ts';
import { teardownProcessesAndMounts } from './teardown.ts';

export type DaemonKind = 'berthd' | 'dockerd';

export interface DaemonPaths {
  dir: string;
  socket: string;
  dataRoot: string;
  execRoot: string;
  pidfile: string;
}

export interface DaemonLaunch {
  kind: DaemonKind;
  command: string;
  args: (paths: DaemonPaths) => string[];
  /** Environment of the daemon process itself. */
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
  /** Runs after processes are gone and mounts are undone, before the dir is removed. */
  afterTeardown?: (paths: DaemonPaths) => Promise<void>;
}

export interface DaemonOptions {
  /** Extra flags after the standard ones. */
  args?: string[];
  /** debug | info | warn | error (default info). */
  logLevel?: string;
  startTimeoutMs?: number;
}

export class PrivateDaemon implements DaemonPaths {
  readonly kind: DaemonKind;
  readonly dir: string;
  readonly socket: string;
  readonly dockerHost: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly pidfile: string;
  readonly logFile: string;
  /** Environment for clients: process.env plus DOCKER_HOST, BERTH_HOST and a private DOCKER_CONFIG. */
  readonly env: NodeJS.ProcessEnv;
  #launch: DaemonLaunch;
  #child: ChildProcess | null = null;
  #exited: Promise<void> | null = null;
  #cleaned = false;

  constructor(launch: DaemonLaunch, prefix: string) {
    this.#launch = launch;
    this.kind = launch.kind;
    this.dir = mkdtempSync(prefix);
    this.socket = join(this.dir, `${launch.kind === 'dockerd' ? 'docker' : 'berth'}.sock`);
    // sun_path holds 108 bytes including the NUL.
    if (Buffer.byteLength(this.socket) > 107) throw new Error(`socket path too long: ${this.socket}`);
    this.dockerHost = `unix://${this.socket}`;
    this.dataRoot = join(this.dir, 'root');
    this.execRoot = join(this.dir, 'exec');
    this.pidfile = join(this.dir, `${launch.kind}.pid`);
    this.logFile = join(this.dir, `${launch.kind}.log`);
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of ['DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_API_VERSION']) delete env[k];
    Object.assign(env, {
      DOCKER_HOST: this.dockerHost,
      BERTH_HOST: this.dockerHost,
      // A private client config: no contexts or credential helpers from ~/.docker.
      DOCKER_CONFIG: join(this.dir, 'client'),
      DOCKER_CLI_HINTS: 'false',
    });
    this.env = env;
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  /** The daemon's log (stderr and stdout of every start so far). */
  logs(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  logTail(lines = 40): string {
    return this.logs().trimEnd().split('\n').slice(-lines).join('\n');
  }

  /**
   * Starts the daemon and waits until it answers /_ping. berthd serves reads
   * before its start-up steps (re-adoption's sweeps, the network rules) are
   * done; unless `untilBooted` is false, this also waits for those (its log
   * says 'startup steps done'), so that a test sees what a restart repaired.
   */
  async start(opts: { untilBooted?: boolean } = {}): Promise<void> {
    if (this.#child) throw new Error(`${this.#launch.kind} already running (pid ${this.#child.pid})`);
    const logFrom = this.logs().length;
    const daemonEnv: NodeJS.ProcessEnv = { ...(this.#launch.env ?? process.env) };
    for (const k of ['DOCKER_HOST', 'BERTH_HOST', 'NOTIFY_SOCKET']) delete daemonEnv[k];
    const fd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.#launch.command, this.#launch.args(this), { env: daemonEnv, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    this.#child = child;
    this.#exited = new Promise<void>((resolve) => {
      child.on('exit', () => {
        if (this.#child === child) this.#child = null;
        resolve();
      });
      child.on('error', () => {
        if (this.#child === child) this.#child = null;
        resolve();
      });
    });
    await this.#waitReady(child);
    if (this.kind === 'berthd' && opts.untilBooted !== false) await this.#waitBooted(child, logFrom);
  }

  /** Until this start's log says the start-up steps are done (not at all below log level info: no 'berthd ready' either). */
  async #waitBooted(child: ChildProcess, logFrom: number): Promise<void> {
    const deadline = Date.now() + (this.#launch.startTimeoutMs ?? 30_000);
    while (Date.now() < deadline && this.#child === child) {
      const log = this.logs().slice(logFrom);
      if (!log.includes('"msg":"berthd ready"') || log.includes('"msg":"startup steps done"')) return;
      await sleep(50);
    }
  }

  async #waitReady(child: ChildProcess): Promise<void> {
    const timeout = this.#launch.startTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      if (this.#child !== child) {
        throw new Error(`${this.#launch.kind} exited during startup (exit ${child.exitCode ?? child.signalCode})\n` +
          `log (${this.logFile}):\n${this.logTail()}`);
      }
      if (await ping(this.socket)) return;
      await sleep(100);
    }
    await this.kill9();
    throw new Error(`${this.#launch.kind} did not answer /_ping within ${timeout} ms\nlog (${this.logFile}):\n${this.logTail()}`);
  }

  /** SIGTERM and wait (graceful shutdown); SIGKILL after the timeout. */
  async stop(timeoutMs = 30_000): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.#exited!.then(() => true),
      new Promise<boolean>((r) => { timer = setTimeout(() => r(false), timeoutMs); }),
    ]);
    clearTimeout(timer);
    if (!done) {
      child.kill('SIGKILL');
      await this.#exited;
      throw new Error(`${this.#launch.kind} ignored SIGTERM for ${timeoutMs} ms; killed\n${this.logTail()}`);
    }
  }

  /** SIGKILL: a crash. Whatever the daemon started (conmon, containerd) keeps running. */
  async kill9(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.#exited;
  }

  /** Stops the daemon if it runs (gracefully) and starts it again on the same dirs. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Leaves nothing behind: daemon, its processes, runc state, mounts, the temp dir. */
  async cleanup(): Promise<void> {
    if (this.#cleaned) return;
    this.#cleaned = true;
    const problems: string[] = [];
    try {
      await this.stop(20_000);
    } catch (e) {
      problems.push(String(e));
    }
    const { problems: left, mounted } = await teardownProcessesAndMounts(this.dir, this.execRoot);
    problems.push(...left);
    try {
      await this.#launch.afterTeardown?.(this);
    } catch (e) {
      problems.push(String(e));
    }
    // Never recurse through a live mount: that would delete its source.
    if (mounted.length === 0) rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
    if (problems.length > 0) throw new Error(`cleanup of ${this.dir}:\n${problems.join('\n')}`);
  }
}

/** Processes (other than the daemon itself) that belong to this daemon: conmon, containerd, shims, containers. */
export function daemonProcesses(d: PrivateDaemon): ProcInfo[] {
  return processesUnder(d.dir).filter((p) => p.pid !== d.pid && isAlive(p));
}
