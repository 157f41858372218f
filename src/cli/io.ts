// The CLI's outside world, injectable so commands run in-process in tests:
// streams, environment, working directory, signals and terminal state.

import type { Readable, Writable } from 'node:stream';

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
}

export function processIO(): CliIO {
  return {
    // process.stdin is made on first use, and making it costs: a file on
    // stdin loads fs streams, fs/promises and readline (~5 ms). Most commands never read it.
    get stdin() { return process.stdin; },
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signals: {
      on: (signal, handler) => { process.on(signal, handler); },
      off: (signal, handler) => { process.off(signal, handler); },
    },
  };
}

export function write(stream: Writable, text: string): void {
  if (text) stream.write(text);
}

export function writeln(stream: Writable, text = ''): void {
  stream.write(`${text}\n`);
}
