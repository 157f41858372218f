// The CLI's outside world, injectable so commands run in-process in tests:
// streams, environment, working directory, signals and terminal state.

import { writeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { isTerminal } from '../sys/node-bindings.ts';

export interface TtyReadable extends Readable {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface TtyWritable extends Writable {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export interface SignalSource {
  on(signal: NodeJS.Signals, handler: (signal: NodeJS.Signals) => void): void;
  off(signal: NodeJS.Signals, handler: (signal: NodeJS.Signals) => void): void;
}

export interface CliIO {
  stdin: TtyReadable;
  stdout: TtyWritable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Where proxied signals and SIGWINCH come from; absent in tests. */
  signals?: SignalSource;
  /** Milliseconds since the epoch; tests pin it for "5 seconds ago". */
  now?: () => number;
  /** Calls `done` once what was written to stdout and stderr has left the process. */
  flush?(done: () => void): void;
}

/** What the process's output streams tell their owner: a stream made, a reader gone. */
export interface OutputHooks { onMade?(stream: Writable): void; onBrokenPipe?(): void }

/**
 * The process's streams. stdout and stderr are process.stdout and
 * process.stderr, made on first use of anything beyond write() and isTTY:
 * for a pipe or a terminal, making them loads node:net and node:stream, which
 * cost a short command like `berth ps` more than the rest of it together
 * (docs/benchmarks.md, CLI start time). Until then a write goes straight to
 * the file descriptor. `onMade` sees each stream when it is made;
 * `onBrokenPipe` runs when a direct write finds its reader gone.
 */
export function processIO(hooks: OutputHooks = {}): CliIO {
  const stdout = fdOutput(1, () => process.stdout, hooks);
  const stderr = fdOutput(2, () => process.stderr, hooks);
  return {
    // process.stdin is made on first use, and making it costs: a file on
    // stdin loads fs streams, fs/promises and readline (~5 ms). Most commands never read it.
    get stdin() { return process.stdin; },
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: process.env,
    cwd: process.cwd(),
    signals: {
      on: (signal, handler) => { process.on(signal, handler); },
      off: (signal, handler) => { process.off(signal, handler); },
    },
    flush: (done) => stdout.flush(() => stderr.flush(done)),
  };
}

type WriteCallback = (err?: Error | null) => void;

/**
 * A stream that writes to `fd` directly (blocking, as Node writes to files
 * and, for stdout, to pipes) until anything but write() or isTTY is asked of
 * it; from then on it is the real stream, which the direct writes have all
 * reached before it is made. A write a non-blocking pipe cannot take now
 * (EAGAIN) makes the real stream too, which then waits for the reader.
 */
export function fdOutput(fd: number, make: () => TtyWritable, hooks: OutputHooks = {}):
  { stream: TtyWritable; made(): boolean; flush(done: () => void): void } {
  let real: TtyWritable | undefined;
  const get = (): TtyWritable => {
    if (!real) {
      real = make();
      hooks.onMade?.(real);
    }
    return real;
  };
  function write(chunk: string | Uint8Array, encoding?: BufferEncoding | WriteCallback, cb?: WriteCallback): boolean {
    if (typeof encoding === 'function') {
      cb = encoding;
      encoding = undefined;
    }
    if (real) return real.write(chunk, encoding ?? 'utf8', cb);
    const data = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    let done = 0;
    try {
      while (done < data.length) done += writeSync(fd, data, done);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') return get().write(data.subarray(done), cb);
      if (code === 'EPIPE' && hooks.onBrokenPipe) {
        hooks.onBrokenPipe();
        return false;
      }
      throw err;
    }
    if (cb) process.nextTick(cb);
    return true;
  }
  const stream = new Proxy({} as TtyWritable, {
    get(_target, prop) {
      if (prop === 'write') return real ? real.write.bind(real) : write;
      if (prop === 'isTTY' && !real) {
        const tty = isTerminal(fd);
        if (tty !== undefined) return tty || undefined;
      }
      const r = get();
      const value: unknown = Reflect.get(r, prop, r);
      return typeof value === 'function' ? value.bind(r) : value;
    },
    set: (_target, prop, value) => Reflect.set(get(), prop, value),
    has: (_target, prop) => prop in get(),
    getPrototypeOf: () => Reflect.getPrototypeOf(get()),
  });
  return {
    stream,
    made: () => real !== undefined,
    // What the real stream still buffers reaches its pipe before `done`; direct writes are already there.
    flush: (done) => { if (real) real.write('', () => done()); else done(); },
  };
}

export function write(stream: Writable, text: string): void {
  if (text) stream.write(text);
}

export function writeln(stream: Writable, text = ''): void {
  stream.write(`${text}\n`);
}
