// The processes of the fake runtime (fake-runtime.ts) and the programs they
// run: busybox's true, false, echo, cat, sleep, env and a small `sh -c`
// (commands separated by ; & && || and newlines, quotes, $?, >&2 and
// >/dev/null, the builtins exit, trap, wait, exec, echo). A program is an
// async function of its process; it ends by returning its status or by
// p.exit(). Each primitive (write, read, sleep, wait) waits out a freeze and
// throws once the process is dead, so a killed program stops where it is.
//
// The shell keeps sh's rules where the engine's behaviour depends on them:
// a trapped signal runs its action once the foreground command has ended
// (a `trap 'exit 0' TERM; sleep 1000` waits for the sleep, as in real sh),
// but interrupts `wait` at once (the `sleep 1000 & wait` idiom).

import path from 'node:path';
import type { OutputStream } from '../../src/core/runtime.ts';
import { parseSignal } from '../../src/runtime/signals.ts';
import { runShell } from './fake-sh.ts';

export type FakeProgram = (p: FakeProcess) => Promise<number>;
export type Disposition = 'default' | 'ignore' | ((sig: number) => void);

/** What a process needs of its container. */
export interface ProcessHost {
  readonly frozen: boolean;
  thawed(): Promise<void>;
  output(stream: OutputStream, data: Buffer): void;
  readStdin(): Promise<Buffer | null> | Buffer | null;
  exited(proc: FakeProcess, code: number): void;
  spawn(args: string[], env: string[], init: boolean): FakeProcess;
  program(name: string): FakeProgram | undefined;
}

class Killed extends Error {}
class ExitNow {
  readonly code: number;
  constructor(code: number) { this.code = code; }
}

/** Signals whose default action is to do nothing (SIGCHLD, SIGCONT, SIGURG, SIGWINCH). */
const IGNORED_BY_DEFAULT = new Set([17, 18, 23, 28]);

export class FakeProcess {
  readonly done: Promise<number>;
  /** Where the process's stdout and stderr go (null: /dev/null). */
  fds: Record<OutputStream, OutputStream | null> = { stdout: 'stdout', stderr: 'stderr' };
  #traps = new Map<number, Disposition>();
  #dead = false;
  #settle!: (code: number) => void;
  #killed = new AbortController();
  readonly #death: Promise<never>;

  readonly host: ProcessHost;
  readonly pid: number;
  args: string[];
  readonly env: string[];
  /** The init of its pid namespace (pid 1 in the container). */
  readonly init: boolean;

  constructor(host: ProcessHost, pid: number, args: string[], env: string[], init: boolean) {
    this.host = host;
    this.pid = pid;
    this.args = args;
    this.env = env;
    this.init = init;
    this.done = new Promise((r) => { this.#settle = r; });
    this.#death = new Promise<never>((_, reject) => {
      this.#killed.signal.addEventListener('abort', () => reject(new Killed('killed')), { once: true });
    });
    this.#death.catch(() => {});
  }

  get alive(): boolean { return !this.#dead; }

  /** Runs the program args[0] names; a name no program has ends it with sh's 127. */
  run(): void {
    const prog = this.host.program(path.basename(this.args[0] ?? ''));
    if (!prog) {
      this.host.output('stderr', Buffer.from(`sh: ${this.args[0]}: not found\n`));
      queueMicrotask(() => this.terminate(127));
      return;
    }
    prog(this).then((code) => this.terminate(code), (err) => this.#failed(err));
  }

  #failed(err: unknown): void {
    if (err instanceof ExitNow) return this.terminate(err.code);
    if (err instanceof Killed) return;
    if (this.#dead) return;
    this.host.output('stderr', Buffer.from(`fake program ${this.args[0]} failed: ${(err as Error)?.message ?? err}\n`));
    this.terminate(1);
  }

  /** The process ends with `code` (its own exit, or death by a signal). */
  terminate(code: number): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#killed.abort();
    this.#settle(code);
    this.host.exited(this, code);
  }

  /** Delivers a signal with the kernel's rules (see fake-runtime.ts). */
  signal(sig: number): void {
    if (this.#dead) return;
    if (sig === 9) return this.terminate(137);
    const d = this.#traps.get(sig) ?? 'default';
    if (d === 'ignore') return;
    if (typeof d === 'function') {
      queueMicrotask(() => { if (!this.#dead) d(sig); });
      return;
    }
    // A namespace's init is spared every signal it has no handler for.
    if (IGNORED_BY_DEFAULT.has(sig) || this.init) return;
    this.terminate(128 + sig);
  }

  trap(sig: number | string, d: Disposition): void {
    const n = parseSignal(sig);
    if (n === 9 || n === 19) return; // SIGKILL and SIGSTOP cannot be caught
    this.#traps.set(n, d);
  }

  exit(code: number): never {
    throw new ExitNow(code);
  }

  async #live(): Promise<void> {
    if (this.#dead) throw new Killed('killed');
    if (this.host.frozen) await Promise.race([this.host.thawed(), this.#death]);
  }

  async write(stream: OutputStream, data: string | Buffer): Promise<void> {
    await this.#live();
    const to = this.fds[stream];
    if (to) this.host.output(to, Buffer.from(data));
  }

  /** The next chunk of stdin; null at its end. */
  async read(): Promise<Buffer | null> {
    await this.#live();
    const chunk = await Promise.race([this.host.readStdin(), this.#death]);
    await this.#live();
    return chunk;
  }

  async sleep(ms: number): Promise<void> {
    await this.#live();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([new Promise((r) => { timer = setTimeout(r, ms); }), this.#death]);
    } finally {
      clearTimeout(timer);
    }
    await this.#live();
  }

  /** Starts a child process (not an init) running args, with this one's environment and output. */
  spawn(args: string[], fds: Record<OutputStream, OutputStream | null> = this.fds): FakeProcess {
    const child = this.host.spawn(args, this.env, false);
    child.fds = { ...fds };
    child.run();
    return child;
  }

  /** Waits for `what` (a child's status...); throws if this process dies meanwhile. */
  async wait<T>(what: Promise<T>): Promise<T> {
    await this.#live();
    const v = await Promise.race([what, this.#death]);
    await this.#live();
    return v;
  }

  /** execve: this process runs another program; caught signals go back to their default. */
  async exec(args: string[]): Promise<number> {
    for (const [sig, d] of this.#traps) if (typeof d === 'function') this.#traps.delete(sig);
    const prog = this.host.program(path.basename(args[0] ?? ''));
    if (!prog) {
      await this.write('stderr', `sh: exec: ${args[0]}: not found\n`);
      return 127;
    }
    this.args = args;
    return prog(this);
  }
}

async function echo(p: FakeProcess): Promise<number> {
  const args = p.args.slice(1);
  const noNewline = args[0] === '-n';
  await p.write('stdout', args.slice(noNewline ? 1 : 0).join(' ') + (noNewline ? '' : '\n'));
  return 0;
}

async function cat(p: FakeProcess): Promise<number> {
  if (p.args.length > 1) {
    await p.write('stderr', 'cat: files are not implemented by the fake runtime\n');
    return 1;
  }
  for (let chunk = await p.read(); chunk; chunk = await p.read()) await p.write('stdout', chunk);
  return 0;
}

async function sleep(p: FakeProcess): Promise<number> {
  const arg = p.args[1] ?? '';
  const s = arg === 'infinity' ? Infinity : Number(arg);
  if (arg === '' || Number.isNaN(s) || s < 0) {
    await p.write('stderr', `sleep: invalid number '${arg}'\n`);
    return 1;
  }
  // Timers hold at most ~24.8 days; an endless sleep waits in steps.
  for (let left = s * 1000; left > 0; left -= 2 ** 30) await p.sleep(Math.min(left, 2 ** 30));
  return 0;
}

async function env(p: FakeProcess): Promise<number> {
  await p.write('stdout', p.env.map((e) => `${e}\n`).join(''));
  return 0;
}

export const PROGRAMS: Record<string, FakeProgram> = {
  true: async () => 0,
  false: async () => 1,
  echo, cat, sleep, env,
  sh: runShell,
};
