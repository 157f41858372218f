// Runs a command to completion and collects its output. Test helpers and the
// compat suite drive real binaries (docker, umount, runc, tar) through this.

import { spawn } from 'node:child_process';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string | Buffer;
  /** Milliseconds before the command is killed and run() rejects (default 60 s). */
  timeout?: number;
  cwd?: string;
}

export interface RunResult {
  /** Exit code; null when the process died of a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBuf: Buffer;
  stderrBuf: Buffer;
  /** Wall time in milliseconds from spawn to exit. */
  ms: number;
}

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeout = opts.timeout ?? 60_000;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout);
    if (opts.input !== undefined && child.stdin) {
      // A command that exits before reading all its input is not our error.
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input);
    }
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBuf = Buffer.concat(out);
      const stderrBuf = Buffer.concat(err);
      const result: RunResult = {
        code, signal, stdoutBuf, stderrBuf,
        stdout: stdoutBuf.toString('utf8'),
        stderr: stderrBuf.toString('utf8'),
        ms: performance.now() - started,
      };
      if (timedOut) {
        reject(new Error(`timed out after ${timeout} ms: ${describeCommand(cmd, args)}\n` +
          `stdout: ${result.stdout.slice(-2000)}\nstderr: ${result.stderr.slice(-2000)}`));
        return;
      }
      resolve(result);
    });
  });
}

/** Runs and throws (with both output streams in the message) unless the exit code is 0. */
export async function runOk(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${describeCommand(cmd, args)} exited ${r.code ?? r.signal}\n` +
      `stdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-2000)}`);
  }
  return r;
}

export function describeCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
}
