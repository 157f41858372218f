// berth run: docker's flow. Create (pulling if needed); unless detached,
// attach before start so no output is lost, and send the wait (next-exit, or
// removed with --rm) before start too; start; stream until the output ends;
// exit with the container's status. Daemon errors exit 125, a command that
// cannot be found 127, one that cannot be invoked 126.

import type { CommandContext, CommandDef } from '../command.ts';
import { minArgs } from '../command.ts';
import { HijackedConnection } from '../../client/index.ts';
import type { Waiter } from '../../client/index.ts';
import { StatusError } from '../errors.ts';
import { detachKeysFor } from './detach-keys.ts';
import { containerFlags, runOnlyFlags } from '../options/container-flags.ts';
import { createContainer, specFromFlags, withHelp } from './create.ts';
import { monitorTtySize, proxySignals, streamAttach } from '../streams.ts';

/** docker's toStatusError: the exit code a failed create/start maps to. */
export function toStatusError(err: unknown): StatusError {
  const msg = err instanceof Error ? err.message : String(err);
  let code = 125;
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(msg)) code = 127;
  else if (/permission denied|is a directory/.test(msg)) code = 126;
  return new StatusError(code, withHelp('run', msg));
}

/** The wait's outcome as an exit code; docker reports wait failures as 125. */
export function statusOf(ctx: CommandContext, waiter: Waiter): Promise<number> {
  return waiter.result.then((r) => {
    if (r.Error?.Message) {
      ctx.err(`Error waiting for container: ${r.Error.Message}`);
      return 125;
    }
    return r.StatusCode;
  }, (err: unknown) => {
    ctx.err(`error waiting for container: ${(err as Error).message}`);
    return 125;
  });
}

export const run: CommandDef = {
  name: 'run',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  args: minArgs(1),
  interspersed: false,
  flags: [...containerFlags, ...runOnlyFlags],
  async run(ctx, args, flags) {
    const spec = specFromFlags(ctx, 'run', args, flags);
    const config = spec.body;
    const detach = flags.values.detach === true;
    if (!detach) {
      if (config.AttachStdin && config.Tty && !ctx.io.stdin.isTTY) throw new Error('the input device is not a TTY');
    } else {
      if (flags.changed.has('attach')) throw new Error('conflicting options: cannot specify both --attach and --detach');
      config.AttachStdin = config.AttachStdout = config.AttachStderr = config.StdinOnce = false;
    }

    let id: string;
    try {
      id = await createContainer(ctx, spec);
    } catch (err) {
      throw toStatusError(err);
    }

    const cleanups: (() => void)[] = [];
    // docker run turns the proxy off for a TTY: the terminal's keys reach the container as input.
    if (flags.values['sig-proxy'] !== false && config.Tty !== true) cleanups.push(proxySignals(ctx, id));
    let conn: HijackedConnection | undefined;
    try {
      const attach = config.AttachStdin || config.AttachStdout || config.AttachStderr;
      const autoRemove = config.HostConfig.AutoRemove === true;
      const detachKeys = detachKeysFor(ctx, flags.values['detach-keys']);
      if (!attach) ctx.out(id);
      if (attach) {
        conn = new HijackedConnection(await ctx.client.containers.attach(id, {
          stream: true, stdin: config.AttachStdin, stdout: config.AttachStdout, stderr: config.AttachStderr, detachKeys,
        }));
      }
      const waiter = attach || autoRemove ? await ctx.client.containers.wait(id, autoRemove ? 'removed' : 'next-exit') : undefined;
      try {
        await ctx.client.containers.start(id);
      } catch (err) {
        conn?.close();
        if (autoRemove && waiter) await waiter.result.catch(() => undefined);
        throw toStatusError(err);
      }
      if (!conn || !waiter) return 0;

      if (config.Tty && ctx.io.stdout.isTTY) cleanups.push(monitorTtySize(ctx, id));
      const stream = streamAttach(ctx, conn, {
        stdin: config.AttachStdin === true, stdout: config.AttachStdout === true, stderr: config.AttachStderr === true,
        tty: config.Tty === true, detachKeys,
      });
      const status = statusOf(ctx, waiter);
      const first = await Promise.race([
        stream.then((r) => ({ kind: 'stream' as const, detached: r === 'detached' })),
        status.then((code) => ({ kind: 'status' as const, code })),
      ]);
      let code: number;
      if (first.kind === 'stream') {
        if (first.detached) return 0;
        code = await status;
      } else {
        // Output may still be draining; without stdout/stderr there is nothing to wait for.
        if (!config.AttachStdout && !config.AttachStderr) conn.close();
        await stream.catch(() => undefined);
        code = first.code;
      }
      if (code !== 0) throw new StatusError(code);
      return 0;
    } finally {
      for (const c of cleanups) c();
      conn?.close();
    }
  },
};
