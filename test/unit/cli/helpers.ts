// Runs `berth` in-process with captured output.

import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../../src/cli/app.ts';
import type { CliIO } from '../../../src/cli/io.ts';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  stdin?: string | Buffer | Readable;
  now?: number;
  cwd?: string;
  stdoutTTY?: boolean;
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function berth(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const out = capture();
  const err = capture();
  if (opts.stdoutTTY) Object.assign(out.stream, { isTTY: true, rows: 24, columns: 80 });
  const stdin = opts.stdin instanceof Readable ? opts.stdin : Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]);
  const io: CliIO = {
    stdin,
    stdout: out.stream,
    stderr: err.stream,
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    now: opts.now !== undefined ? () => opts.now! : undefined,
  };
  const code = await runCli(args, io);
  await new Promise((r) => setImmediate(r));
  return { code, stdout: out.text(), stderr: err.text() };
}
