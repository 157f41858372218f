// FakeRuntime: the ContainerRuntime contract in memory, for unit tests of
// the engine without root. It passes the same conformance suite as
// conmon+runc and conmon+crun (test/helpers/runtime-conformance.ts), so what
// the engine's lifecycle tests see of it is what the real driver does:
//
//   create   the process exists ("created", a pid) but runs nothing yet; a
//            command no program implements fails the create like runc does
//            (a 400 "executable file not found"), leaving nothing
//   start    runs the program (fake-programs.ts: sh -c, echo, cat, sleep...)
//   kill     delivers a signal with the kernel's rules: SIGKILL always ends
//            the process (137); the container's init (pid 1 of its own pid
//            namespace) ignores every signal it has no handler for, so
//            `sleep 1000` outlives SIGTERM exactly as in a container;
//            other processes die of a fatal signal with 128+n
//   freeze   stops the processes (their output and exit wait for the thaw);
//            signals are held until the thaw, but SIGKILL kills at once (runc
//            and crun both end a frozen container that gets it)
//   exit     the init's end ends the container (the rest of its processes
//            are killed), the exit status is kept until delete, attachers
//            get the last output and then their end, waitExit resolves
//   delete   refused (conflict) for a running or paused container unless
//            forced; forced, the processes are killed first
//
// Output goes to attached sinks and, like conmon, to the k8s-file log
// (complete lines as F records, a chunk without its newline as a P record).
// With a TTY both streams are one, and "\n" becomes "\r\n" (the terminal's onlcr).

import fs from 'node:fs';
import path from 'node:path';
import { conflict, invalid, notFound } from '../../src/core/errors.ts';
import type {
  AttachSink, ContainerRuntime, ExitStatus, OciSpec, OutputStream, ResourceUpdate, RuntimeAttach, RuntimeCreateOptions, RuntimeState,
} from '../../src/core/runtime.ts';
import { createError } from '../../src/runtime/conmon-launch.ts';
import { checkId } from '../../src/runtime/conmon-layout.ts';
import { parseSignal } from '../../src/runtime/signals.ts';
import { FakeProcess, PROGRAMS, type FakeProgram, type ProcessHost } from './fake-programs.ts';

export { FakeProcess, type FakeProgram } from './fake-programs.ts';

interface Waiter { resolve(s: ExitStatus): void; reject(e: unknown): void }

class FakeContainer implements ProcessHost {
  status: RuntimeState['status'] = 'created';
  exit: ExitStatus | null = null;
  readonly procs = new Set<FakeProcess>();
  readonly sinks = new Set<AttachSink>();
  readonly waiters = new Set<Waiter>();
  readonly stdin: Buffer[] = [];
  stdinClosed: boolean;
  readonly resized: Array<{ height: number; width: number }> = [];
  resources: ResourceUpdate = {};
  #stdinWake: Array<() => void> = [];
  #thaw: Array<() => void> = [];
  #held: number[] = [];
  init!: FakeProcess;

  readonly opts: RuntimeCreateOptions;
  readonly runtime: FakeRuntime;

  constructor(opts: RuntimeCreateOptions, runtime: FakeRuntime) {
    this.opts = opts;
    this.runtime = runtime;
    this.stdinClosed = !opts.openStdin;
  }

  get spec(): OciSpec { return this.opts.spec; }
  get frozen(): boolean { return this.status === 'paused'; }

  /** Resolves once the container is not frozen. */
  thawed(): Promise<void> {
    return this.frozen ? new Promise((r) => this.#thaw.push(r)) : Promise.resolve();
  }

  freeze(frozen: boolean): void {
    if (frozen) {
      this.status = 'paused';
      return;
    }
    this.status = 'running';
    for (const wake of this.#thaw.splice(0)) wake();
    for (const sig of this.#held.splice(0)) this.signalAll(sig, false);
  }

  /** Signals the init, or every process (`kill --all`); held while frozen, except SIGKILL (runc's and crun's behaviour). */
  signalAll(sig: number, all: boolean): void {
    if (this.frozen && sig !== 9) {
      this.#held.push(sig);
      return;
    }
    for (const p of all ? [...this.procs] : [this.init]) p.signal(sig);
  }

  output(stream: OutputStream, data: Buffer): void {
    if (data.length === 0) return;
    if (this.opts.tty) {
      stream = 'stdout';
      data = Buffer.from(data.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    }
    for (const s of this.sinks) s.data(stream, data);
    this.#log(stream, data);
  }

  #log(stream: OutputStream, data: Buffer): void {
    if (this.opts.log?.keep === false) return;
    const stamp = new Date().toISOString().replace(/Z$/, '000000+00:00');
    const records: string[] = [];
    let start = 0;
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
      records.push(`${stamp} ${stream} F ${data.subarray(start, nl).toString('latin1')}\n`);
      start = nl + 1;
    }
    if (start < data.length) records.push(`${stamp} ${stream} P ${data.subarray(start).toString('latin1')}\n`);
    fs.appendFileSync(this.opts.logPath, Buffer.from(records.join(''), 'latin1'));
  }

  readStdin(): Promise<Buffer | null> | Buffer | null {
    const next = this.stdin.shift();
    if (next) return next;
    if (this.stdinClosed) return null;
    return new Promise<void>((r) => this.#stdinWake.push(r)).then(() => this.readStdin());
  }

  writeStdin(chunk: Buffer | null): void {
    if (this.stdinClosed || !this.opts.openStdin) return;
    if (chunk) this.stdin.push(Buffer.from(chunk));
    else this.stdinClosed = true;
    for (const wake of this.#stdinWake.splice(0)) wake();
  }

  /** The init ended: the rest of the namespace goes with it, then the exit is recorded and announced. */
  exited(proc: FakeProcess, code: number): void {
    this.procs.delete(proc);
    if (proc !== this.init) return;
    for (const p of [...this.procs]) p.terminate(137);
    this.status = 'stopped';
    this.exit = { exitCode: code, finishedAt: new Date() };
    for (const s of [...this.sinks]) s.end();
    this.sinks.clear();
    for (const w of [...this.waiters]) w.resolve(this.exit);
    this.waiters.clear();
  }

  spawn(args: string[], env: string[], init: boolean): FakeProcess {
    const proc = new FakeProcess(this, this.runtime.nextPid(), args, env, init);
    this.procs.add(proc);
    return proc;
  }

  program(name: string): FakeProgram | undefined {
    return this.runtime.program(name);
  }
}

export interface FakeRuntimeOptions {
  /** Runtime names it accepts in create (like the driver's table); default runc and crun. */
  runtimes?: string[];
  /** Programs beside the built-in ones (fake-programs.ts), by the basename of args[0]. */
  programs?: Record<string, FakeProgram>;
}

export class FakeRuntime implements ContainerRuntime {
  readonly #containers = new Map<string, FakeContainer>();
  readonly #programs: Record<string, FakeProgram>;
  readonly #runtimes: string[];
  #pid = 3_000_000;
  /** Every call, in order ("create <id>", "kill <id> 15"...), for tests that check what the engine asked. */
  readonly calls: string[] = [];

  constructor(opts: FakeRuntimeOptions = {}) {
    this.#programs = { ...PROGRAMS, ...opts.programs };
    this.#runtimes = opts.runtimes ?? ['runc', 'crun'];
  }

  nextPid(): number { return ++this.#pid; }
  program(name: string): FakeProgram | undefined { return Object.hasOwn(this.#programs, name) ? this.#programs[name] : undefined; }

  /** The spec a container was created with (tests check what the engine built). */
  spec(id: string): OciSpec | undefined { return this.#containers.get(id)?.spec; }
  /** Limits given by update(), terminal sizes given by resize(). */
  resources(id: string): ResourceUpdate | undefined { return this.#containers.get(id)?.resources; }
  sizes(id: string): Array<{ height: number; width: number }> { return this.#containers.get(id)?.resized ?? []; }

  #get(id: string): FakeContainer {
    checkId(id);
    const c = this.#containers.get(id);
    if (!c) throw notFound(`container ${id} does not exist`);
    return c;
  }

  async create(opts: RuntimeCreateOptions): Promise<{ pid: number }> {
    checkId(opts.id);
    this.calls.push(`create ${opts.id}`);
    opts.signal?.throwIfAborted();
    const runtime = opts.runtime || 'runc';
    if (!this.#runtimes.includes(runtime)) throw invalid(`unknown or invalid runtime name: ${runtime}`);
    if (!path.isAbsolute(opts.bundle)) throw invalid(`bundle path must be absolute: ${opts.bundle}`);
    if (this.#containers.has(opts.id)) throw conflict(`container with id exists: ${opts.id}`);
    const args: string[] = opts.spec.process?.args ?? [];
    const cmd = args[0] ?? '';
    if (!this.program(path.basename(cmd))) {
      const why = cmd.includes('/') ? `exec: "${cmd}": stat ${cmd}: no such file or directory` : `exec: "${cmd}": executable file not found in $PATH`;
      throw createError(`runc create failed: unable to start container process: ${why}: unknown`);
    }
    const c = new FakeContainer(opts, this);
    if (opts.log?.keep !== false) {
      fs.mkdirSync(path.dirname(opts.logPath), { recursive: true });
      fs.appendFileSync(opts.logPath, '');
    }
    // The init is pid 1 of the container's own pid namespace unless it joins another's (or the host's).
    const ownPidNs = (opts.spec.linux?.namespaces ?? []).some((n: { type: string; path?: string }) => n.type === 'pid' && !n.path);
    c.init = c.spawn(args, opts.spec.process?.env ?? [], ownPidNs);
    this.#containers.set(opts.id, c);
    return { pid: c.init.pid };
  }

  async start(id: string): Promise<void> {
    const c = this.#get(id);
    this.calls.push(`start ${id}`);
    if (c.status !== 'created') throw conflict(`cannot start a container that is ${c.status}`);
    c.status = 'running';
    c.init.run();
  }

  async kill(id: string, signal: string | number, all = false): Promise<void> {
    const sig = parseSignal(signal);
    const c = this.#get(id);
    this.calls.push(`kill ${id} ${sig}${all ? ' all' : ''}`);
    if (c.status === 'stopped') throw conflict(`killing container ${id}: container not running`);
    if (c.status === 'created') {
      // The process still waits to exec its command: a fatal signal ends it like any process.
      c.init.signal(sig);
      return;
    }
    c.signalAll(sig, all);
  }

  async freeze(id: string, frozen: boolean): Promise<void> {
    const c = this.#get(id);
    this.calls.push(`${frozen ? 'pause' : 'resume'} ${id}`);
    if (frozen && c.status !== 'running') throw conflict(`pausing container ${id}: container not running`);
    if (!frozen && c.status !== 'paused') throw conflict(`resuming container ${id}: container not paused`);
    c.freeze(frozen);
  }

  async update(id: string, resources: ResourceUpdate): Promise<void> {
    const c = this.#get(id);
    this.calls.push(`update ${id}`);
    if (c.status === 'stopped') throw conflict(`updating container ${id}: container not running`);
    c.resources = { ...c.resources, ...resources };
  }

  async state(id: string): Promise<RuntimeState | null> {
    checkId(id);
    const c = this.#containers.get(id);
    if (!c) return null;
    return { status: c.status, pid: c.status === 'stopped' ? 0 : c.init.pid };
  }

  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    checkId(id);
    const c = this.#containers.get(id);
    this.calls.push(`delete ${id}${opts.force ? ' force' : ''}`);
    if (!c) return;
    if ((c.status === 'running' || c.status === 'paused') && !opts.force) {
      throw conflict(`deleting container ${id}: cannot delete container ${id} that is not stopped: ${c.status}`);
    }
    if (c.status !== 'stopped') {
      // A created container is deleted without force too (runc kills it); a frozen one is thawed to die.
      if (c.frozen) c.freeze(false);
      for (const p of [...c.procs]) p.terminate(137);
    }
    this.#containers.delete(id);
    for (const w of c.waiters) w.reject(notFound(`No such container: ${id}`));
    c.waiters.clear();
  }

  async ids(): Promise<string[]> {
    return [...this.#containers.keys()];
  }

  async attach(id: string, sink: AttachSink): Promise<RuntimeAttach> {
    const c = this.#get(id);
    if (c.status === 'stopped') {
      queueMicrotask(() => sink.end());
      return { write() {}, closeStdin() {}, detach() {} };
    }
    c.sinks.add(sink);
    return {
      write: (chunk) => c.writeStdin(chunk),
      // conmon closes the container's stdin when an attacher closes its side, unless told to leave it open.
      closeStdin: () => { if (c.opts.stdinOnce !== false) c.writeStdin(null); },
      detach: () => { c.sinks.delete(sink); },
    };
  }

  async exitStatus(id: string): Promise<ExitStatus | null> {
    checkId(id);
    return this.#containers.get(id)?.exit ?? null;
  }

  waitExit(id: string, signal?: AbortSignal): Promise<ExitStatus> {
    try {
      signal?.throwIfAborted();
      const c = this.#get(id);
      if (c.exit) return Promise.resolve(c.exit);
      return new Promise<ExitStatus>((resolve, reject) => {
        const onAbort = () => { c.waiters.delete(w); reject(signal!.reason); };
        const w: Waiter = {
          resolve: (s) => { signal?.removeEventListener('abort', onAbort); resolve(s); },
          reject: (e) => { signal?.removeEventListener('abort', onAbort); reject(e); },
        };
        c.waiters.add(w);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async resize(id: string, size: { height: number; width: number }): Promise<void> {
    checkId(id);
    const { height, width } = size;
    const dim = (n: number) => Number.isInteger(n) && n >= 0 && n <= 65535;
    if (!dim(height) || !dim(width)) throw invalid(`invalid terminal size ${height}x${width}`);
    const c = this.#get(id);
    if (c.status === 'stopped') throw conflict(`Container ${id} is not running`);
    c.resized.push({ height, width });
    // The terminal tells its foreground process (ignored unless it has a handler).
    if (c.opts.tty && c.status === 'running') c.init.signal(28);
  }
}
