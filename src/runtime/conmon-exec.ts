// ConmonExec: the ExecRuntime contract on conmon's exec mode. Like the
// container driver (conmon.ts) it decides nothing; it knows where things
// are and how conmon talks.
//
// Files, under `root` (the daemon's <execRoot>/runtime, shared with conmon.ts):
//   c/<ctr>/meta.json       the container driver's record: bundle, runtime name
//   exec/<exec>/            this exec's bundle dir: process.json (written
//                           here), pid, conmon.pid, conmon's `attach`
//                           socket, `ctl` and `winsz` FIFOs, exit/<ctr>
//   s/<exec> -> exec/<exec> conmon's short symlink for the socket path
// The exec's directory goes when its conmon is gone; sweep() removes what
// a daemon that died left behind.
//
// One conmon per exec: `conmon --api-version 1 -e --exec-process-spec F`
// runs `runc exec --detach --pid-file ... --process F <ctr>` and monitors
// the process like a container's: holds its stdio (a pty with -t), serves
// the attach socket, writes the exit code. Three pipes, announced in the
// environment:
//   _OCI_SYNCPIPE=3    conmon -> us: {"data": pid} once runc exec returned
//                      (or {"data": -N, "message": "<runc stderr>"}), later
//                      {"data": exitcode} when the process is gone
//   _OCI_STARTPIPE=4   us -> conmon: the first write lets conmon fork and
//                      set up the attach socket; with --exec-attach a second
//                      write lets it run runc (we are connected by then)
//   _OCI_ATTACHPIPE=5  conmon -> us: {"data": 0} once the attach socket
//                      exists (only with --exec-attach)
// Output is not logged (`-l none`): Docker's exec output reaches only the
// attached client.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { conflict, internal, invalid, notFound, unavailable, type BerthError } from '../core/errors.ts';
import type { ExecRuntime, RuntimeExecOptions, RuntimeExecProcess, TerminalSize } from '../core/exec.ts';
import { nullLogger, type Logger } from '../core/logger.ts';
import type { ExitStatus, RuntimeAttach } from '../core/runtime.ts';
import { connectAttach } from './attach.ts';
import { isConmonGone, isDim, writeResize } from './conmon-ctl.ts';
import { isConmonAlive } from './conmon-files.ts';
import { ContainerSpecs, execProcess } from './exec-spec.ts';
import { isErrno } from './rootfs.ts';
import { runtimeErrorText } from './runc.ts';
import { spawnDetached, type PipeDirection } from '../sys/spawn.ts';
import type net from 'node:net';

export interface ConmonExecOptions {
  /** The container driver's root (<execRoot>/runtime). */
  root: string;
  conmonPath?: string;
  /** Runtime name -> binary, as the container driver has them. */
  runtimes: Record<string, string>;
  /** Runtime name -> global options before every command (dockerd's runtimeArgs). */
  runtimeArgs?: Record<string, string[]>;
  defaultRuntime?: string;
  logger?: Logger;
  /** Upper bound from spawning conmon to the process running; default 60 s. */
  startTimeoutMs?: number;
}

const ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
const DEFAULT_START_TIMEOUT_MS = 60_000;

interface SyncMessage { data: number; message?: string }

export class ConmonExec implements ExecRuntime {
  readonly root: string;
  readonly #conmon: string;
  readonly #runtimes: Record<string, string>;
  readonly #runtimeArgs: Record<string, string[]>;
  readonly #defaultRuntime: string;
  readonly #log: Logger;
  readonly #startTimeoutMs: number;
  readonly #specs = new ContainerSpecs();

  constructor(opts: ConmonExecOptions) {
    this.root = path.resolve(opts.root);
    this.#conmon = opts.conmonPath ?? '/usr/bin/conmon';
    this.#runtimes = { ...opts.runtimes };
    this.#runtimeArgs = { ...opts.runtimeArgs };
    this.#defaultRuntime = opts.defaultRuntime ?? 'runc';
    this.#log = (opts.logger ?? nullLogger).child({ component: 'conmon-exec' });
    this.#startTimeoutMs = opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  }

  async exec(opts: RuntimeExecOptions): Promise<RuntimeExecProcess> {
    checkId(opts.containerId, 'container');
    checkId(opts.execId, 'exec');
    // Synchronous from here to conmon's spawn: a few small files, far under a millisecond, where each
    // round trip to the thread pool costs more than the work on a busy host (as on the start path).
    const meta = this.#containerMeta(opts.containerId);
    const binary = this.#runtimes[meta.runtime || this.#defaultRuntime];
    if (!binary) throw invalid(`unknown or invalid runtime name: ${meta.runtime}`);
    const spec = this.#specs.get(meta.bundle, opts.containerId);
    const proc = execProcess(spec, opts);

    const dir = this.#dir(opts.execId);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, 'exit'), { recursive: true, mode: 0o700 });
    fs.mkdirSync(path.join(this.root, 's'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'process.json'), JSON.stringify(proc));

    const attach = opts.sink !== undefined;
    const args = [
      '--api-version', '1',
      '-c', opts.containerId, '-u', opts.execId, '-n', opts.containerId,
      '-r', binary,
      '-b', dir,
      ...(this.#runtimeArgs[meta.runtime || this.#defaultRuntime] ?? []).flatMap((a) => ['--runtime-arg', a]),
      '-p', path.join(dir, 'pid'),
      '-P', path.join(dir, 'conmon.pid'),
      '-l', 'none',
      '--exit-dir', path.join(dir, 'exit'),
      '--socket-dir-path', path.join(this.root, 's'),
      '--runtime-arg', `--root=${path.join(this.root, 'state', meta.runtime || this.#defaultRuntime)}`,
      '--runtime-arg', '--log-format=json',
      '--no-sync-log',
      '-e', '--exec-process-spec', path.join(dir, 'process.json'),
    ];
    if (attach) args.push('--exec-attach');
    if (attach && opts.openStdin) args.push('-i');
    if (opts.tty) args.push('-t');

    const t0 = performance.now();
    const launch = new Launch(this.#conmon, args, dir, attach);
    try {
      let io: RuntimeAttach | null = null;
      const started = launch.started(this.#startTimeoutMs);
      // Awaited below; until then a failure must not count as unhandled.
      started.catch(() => {});
      if (attach) {
        await launch.attachReady(started);
        io = await connectAttach(path.join(dir, 'attach'), opts.sink!);
        launch.go();
      }
      const pid = await started.catch((err: unknown) => {
        io?.detach();
        throw execError(err, opts.args[0] ?? '');
      });
      this.#log.debug('exec started', { ctr: opts.containerId, exec: opts.execId, pid, ms: Math.round(performance.now() - t0) });
      const exited = launch.exited().finally(() => this.#remove(opts.execId));
      return {
        pid, io, exited,
        resize: (size) => resizeThrough(path.join(dir, 'ctl'), size),
        kill: (signal) => killGroup(pid, signal),
      };
    } catch (err) {
      launch.abort();
      await launch.gone();
      this.#remove(opts.execId);
      throw err;
    }
  }

  /** Removes the directories of exec sessions whose conmon is gone (left by a daemon that died). */
  async sweep(): Promise<void> {
    let names: string[];
    try {
      names = await fsp.readdir(path.join(this.root, 'exec'));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    for (const name of names) {
      if (!ID_RE.test(name) || isConmonAlive(this.#dir(name))) continue;
      this.#remove(name);
    }
  }

  #dir(execId: string): string {
    return path.join(this.root, 'exec', execId);
  }

  /** Synchronous: a few entries, far under 1 ms, where thread-pool trips cost several on a busy host. */
  #remove(execId: string): void {
    try {
      fs.rmSync(this.#dir(execId), { recursive: true, force: true });
      fs.rmSync(path.join(this.root, 's', execId), { force: true });
    } catch (err) {
      this.#log.warn('removing exec files failed', { exec: execId, err });
    }
  }

  #containerMeta(id: string): { bundle: string; runtime: string } {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.root, 'c', id, 'meta.json'), 'utf8')) as { bundle: string; runtime: string };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw conflict(`Container ${id} is not running`);
      throw internal(`reading runtime state of ${id}`, err);
    }
  }
}



/** One conmon in exec mode, from spawn to its last word. */
class Launch {
  /** The parent's ends: 2 conmon's stderr, 3 sync, 4 start, 5 attach (the last two in attach mode). */
  readonly #pipes = new Map<number, net.Socket>();
  readonly #dir: string;
  readonly #messages: SyncMessage[] = [];
  readonly #waiters: Array<() => void> = [];
  #syncEnded = false;
  #stderr = '';
  #attachMsg: Promise<void> | null = null;

  constructor(conmon: string, args: string[], dir: string, attach: boolean) {
    this.#dir = dir;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      _OCI_SYNCPIPE: '3',
    };
    if (attach) Object.assign(env, { _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' });
    try {
      // posix_spawn, not child_process: no fork of the daemon (sys/spawn.ts).
      const pipes: Record<number, PipeDirection> = { 2: 'from-child', 3: 'from-child' };
      if (attach) Object.assign(pipes, { 4: 'to-child', 5: 'from-child' });
      const child = spawnDetached(conmon, args, { cwd: dir, env, pipes });
      for (const [fd, end] of child.pipes) this.#pipes.set(fd, end);
    } catch (err) {
      this.#stderr = `starting conmon (${conmon}): ${(err as Error).message}`;
      this.#syncEnded = true;
      // started() reports it; the attach socket never comes.
      if (attach) this.#attachMsg = new Promise(() => {});
      return;
    }
    const stderr = this.#pipes.get(2)!;
    stderr.setEncoding('utf8');
    stderr.on('data', (d: string) => { if (this.#stderr.length < 65536) this.#stderr += d; });
    stderr.on('error', () => {});
    const sync = this.#pipes.get(3)!;
    let buf = '';
    sync.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.#messages.push(parseSync(line));
      }
      this.#wake();
    });
    sync.on('error', () => {});
    sync.on('close', () => this.#endSync());
    if (attach) {
      const start = this.#pipes.get(4)!;
      start.on('error', () => {});
      // conmon blocks on this first byte before it forks.
      start.write('0');
      const attachPipe = this.#pipes.get(5)!;
      attachPipe.on('error', () => {});
      this.#attachMsg = new Promise((resolve, reject) => {
        attachPipe.once('data', () => resolve());
        attachPipe.once('close', () => reject(new Error('conmon exited before its attach socket was ready')));
      });
    }
  }

  /** Resolves once conmon's attach socket exists; rejects with what `started` rejects with if conmon fails first. */
  async attachReady(started: Promise<number>): Promise<void> {
    await Promise.race([this.#attachMsg!, started.then(() => {})]);
  }

  /** Lets conmon run `runc exec` (attach mode). */
  go(): void {
    const start = this.#pipes.get(4);
    start?.write('1');
    start?.end();
  }

  /** The exec'd process's pid once it runs; rejects with runc's reason, or on timeout. */
  async started(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable(`OCI runtime exec timed out after ${timeoutMs / 1000}s`)), timeoutMs);
    });
    try {
      const first = await Promise.race([this.#next(0), timeout]);
      if (!first) throw new ExecLaunchError(this.#stderr.trim() || 'conmon exited without reporting the exec process');
      if (first.data > 0) return first.data;
      throw new ExecLaunchError(runtimeErrorText(first.message ?? '') || `runtime exited with status ${-first.data}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The process's exit, once conmon reported it and let go of the pipe. */
  async exited(): Promise<ExitStatus> {
    const msg = await this.#next(1);
    await this.#closed();
    const finishedAt = new Date();
    if (msg) return { exitCode: msg.data, finishedAt };
    // conmon died without a word (killed): its exit file, if it got that far.
    try {
      const exitDir = path.join(this.#dir, 'exit');
      for (const name of await fsp.readdir(exitDir)) {
        const code = Number.parseInt((await fsp.readFile(path.join(exitDir, name), 'utf8')).trim(), 10);
        if (!Number.isNaN(code)) return { exitCode: code, finishedAt };
      }
    } catch {}
    return { exitCode: 255, finishedAt };
  }

  /** Kills conmon and, through PDEATHSIG, a runc still running under it. */
  abort(): void {
    try {
      const pid = Number(fs.readFileSync(path.join(this.#dir, 'conmon.pid'), 'utf8').trim());
      if (pid > 1) process.kill(pid, 'SIGKILL');
    } catch {}
  }

  /** Resolves once conmon closed the sync pipe (it exited). */
  async gone(): Promise<void> {
    await Promise.race([this.#closed(), new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  #next(index: number): Promise<SyncMessage | null> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.#messages.length > index) resolve(this.#messages[index]!);
        else if (this.#syncEnded) resolve(null);
        else this.#waiters.push(check);
      };
      check();
    });
  }

  #closed(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (this.#syncEnded ? resolve() : this.#waiters.push(check));
      check();
    });
  }

  #endSync(): void {
    this.#syncEnded = true;
    this.#wake();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

class ExecLaunchError extends Error {}

function parseSync(line: string): SyncMessage {
  try {
    const m = JSON.parse(line) as Partial<SyncMessage>;
    if (typeof m.data === 'number') return { data: m.data, message: m.message };
  } catch {}
  return { data: -1, message: `unreadable message from conmon: ${line.slice(0, 200)}` };
}

/**
 * dockerd's wording and codes (translateContainerdStartErr): the command
 * not found, not executable, or a path through a file is the user's
 * mistake (400); anything else is the runtime's (500).
 */
function execError(err: unknown, cmd: string): BerthError {
  if (!(err instanceof ExecLaunchError)) return err as BerthError;
  const desc = `OCI runtime exec failed: ${err.message}: unknown`;
  const lower = desc.toLowerCase();
  const notFoundCmd = cmd !== '' && lower.includes(cmd.toLowerCase()) &&
    (lower.includes('executable file not found') || lower.includes('no such file or directory'));
  if (notFoundCmd || lower.includes('permission denied') || lower.includes('not a directory')) return invalid(desc);
  return internal(desc);
}


async function resizeThrough(ctl: string, size: TerminalSize): Promise<void> {
  const { height, width } = size;
  if (!isDim(height) || !isDim(width)) throw invalid(`invalid terminal size ${height}x${width}`);
  try {
    await writeResize(ctl, size);
  } catch (err) {
    if (isConmonGone(err)) throw notFound('no such exec');
    throw err;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
    return;
  } catch (err) {
    if (!isErrno(err, 'ESRCH')) throw err;
  }
  try {
    process.kill(pid, signal);
  } catch (err) {
    if (!isErrno(err, 'ESRCH')) throw err;
  }
}

function checkId(id: string, what: string): void {
  if (!ID_RE.test(id)) throw invalid(`invalid ${what} id: "${id}"`);
}
