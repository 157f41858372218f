// The terminal side of an attach (docker's hijackedIOStreamer, tty.go and
// signals.go): raw mode for -t with a terminal stdin, output copy, stdin
// copy with the detach sequence, TTY size forwarding, and signals proxied to
// the container as kill requests.

import { spawnSync } from 'node:child_process';
import type { CommandContext } from './command.ts';
import { DEFAULT_DETACH_KEYS, DetachedError, HijackedConnection, parseDetachKeys } from '../client/index.ts';

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  detachKeys?: string;
}

/**
 * libuv's raw mode keeps the terminal's output processing (ONLCR), unlike
 * cfmakeraw, which docker's raw mode is: the container's "\r\n" would reach
 * the screen as "\r\r\n". `stty -opost` on the same terminal turns it off;
 * setRawMode(false) restores the saved settings, OPOST included.
 */
function noOutputProcessing(stdin: unknown): void {
  if ((stdin as { fd?: unknown }).fd !== 0) return;
  try {
    spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  } catch {}
}

/** Resolves when the output ended (or stdin ended with nothing to show); 'detached' after the escape sequence. */
export async function streamAttach(ctx: CommandContext, conn: HijackedConnection, opts: StreamOptions): Promise<'detached' | void> {
  const { io } = ctx;
  let restored = false;
  const rawMode = opts.stdin && opts.tty && io.stdin.isTTY === true && typeof io.stdin.setRawMode === 'function';
  const restore = () => {
    if (restored) return;
    restored = true;
    if (rawMode) io.stdin.setRawMode?.(false);
  };
  if (rawMode) {
    io.stdin.setRawMode?.(true);
    noOutputProcessing(io.stdin);
  }

  let detachKeys: Buffer | undefined;
  if (opts.stdin && opts.tty) {
    detachKeys = DEFAULT_DETACH_KEYS;
    if (opts.detachKeys) {
      try {
        detachKeys = parseDetachKeys(opts.detachKeys);
      } catch (err) {
        ctx.err(`invalid detach escape keys, using default: ${(err as Error).message}`);
      }
    }
  }

  const wantsOutput = opts.stdout || opts.stderr;
  const output = wantsOutput
    ? conn.pipeOutput(opts.tty, opts.stdout ? io.stdout : null, opts.stderr ? (opts.tty ? io.stdout : io.stderr) : null)
      .finally(() => { if (opts.tty) restore(); })
    : undefined;
  let input: { done: Promise<void>; stop(): void } | undefined;
  if (opts.stdin) input = conn.pipeInput(io.stdin, detachKeys);
  else conn.closeWrite();

  try {
    if (!input) {
      await output;
      return;
    }
    const inputDone = input.done.then(() => 'input' as const, (err: unknown) => {
      if (err instanceof DetachedError) return 'detached' as const;
      throw err;
    });
    const first = await (output ? Promise.race([output.then(() => 'output' as const), inputDone]) : inputDone);
    if (first === 'detached') return 'detached';
    if (first === 'input' && output) await output;
  } finally {
    input?.stop();
    restore();
  }
}

/**
 * Sends the terminal's size now (retrying briefly, docker's initTtySize) and
 * on every SIGWINCH, to the container or (exec) to the exec session `id`.
 */
export function monitorTtySize(ctx: CommandContext, id: string, exec = false): () => void {
  const { stdout } = ctx.io;
  const resize = async () => {
    const h = stdout.rows ?? 0;
    const w = stdout.columns ?? 0;
    if (h === 0 && w === 0) return;
    if (exec) await ctx.client.exec.resize(id, h, w);
    else await ctx.client.containers.resize(id, h, w);
  };
  void (async () => {
    for (let attempt = 0; attempt <= 10; attempt++) {
      try {
        await resize();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, (attempt + 1) * 10));
      }
    }
    ctx.err('failed to resize tty, using default size');
  })();
  const onWinch = () => { resize().catch(() => {}); };
  ctx.io.signals?.on('SIGWINCH', onWinch);
  return () => ctx.io.signals?.off('SIGWINCH', onWinch);
}

const PROXIED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGCONT', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGVTALRM', 'SIGPROF', 'SIGXCPU', 'SIGXFSZ', 'SIGPWR'];

/** Forwards the signals this process receives to the container (docker's --sig-proxy). */
export function proxySignals(ctx: CommandContext, id: string): () => void {
  const source = ctx.io.signals;
  if (!source) return () => {};
  const handler = (signal: NodeJS.Signals) => {
    ctx.client.containers.kill(id, signal.replace(/^SIG/, '')).catch(() => {});
  };
  for (const s of PROXIED) source.on(s, handler);
  return () => { for (const s of PROXIED) source.off(s, handler); };
}
