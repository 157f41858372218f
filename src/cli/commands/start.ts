// berth start: start containers; with -a/-i attach first and exit with the
// container's status, as docker does.

import type { CommandDef } from '../command.ts';
import { minArgs } from '../command.ts';
import { HijackedConnection } from '../../client/index.ts';
import { StatusError } from '../errors.ts';
import { detachKeysFor } from './detach-keys.ts';
import { monitorTtySize, proxySignals, streamAttach } from '../streams.ts';
import { statusOf } from './run.ts';

export const start: CommandDef = {
  name: 'start',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Start one or more stopped containers',
  args: minArgs(1),
  flags: [
    { name: 'attach', short: 'a', type: 'bool', usage: 'Attach STDOUT/STDERR and forward signals' },
    { name: 'interactive', short: 'i', type: 'bool', usage: "Attach container's STDIN" },
    { name: 'detach-keys', type: 'string', usage: 'Override the key sequence for detaching a container' },
  ],
  async run(ctx, args, flags) {
    const attach = flags.values.attach === true;
    const interactive = flags.values.interactive === true;
    if (!attach && !interactive) {
      const failed: string[] = [];
      for (const name of args) {
        try {
          await ctx.client.containers.start(name);
          ctx.out(name);
        } catch (err) {
          ctx.err((err as Error).message);
          failed.push(name);
        }
      }
      if (failed.length) throw new Error(`Error: failed to start containers: ${failed.join(', ')}`);
      return 0;
    }
    if (args.length > 1) throw new Error('you cannot start and attach multiple containers at once');
    const { value: c } = await ctx.client.containers.inspect(args[0]);
    const tty = c.Config?.Tty === true;
    const cleanups: (() => void)[] = [];
    if (!tty) cleanups.push(proxySignals(ctx, c.Id));
    const detachKeys = detachKeysFor(ctx, flags.values['detach-keys']);
    const stdin = interactive && c.Config?.OpenStdin === true;
    const conn = new HijackedConnection(await ctx.client.containers.attach(c.Id, {
      stream: true, stdin, stdout: true, stderr: true, detachKeys,
    }));
    try {
      const stream = streamAttach(ctx, conn, { stdin, stdout: true, stderr: true, tty, detachKeys });
      const autoRemove = c.HostConfig?.AutoRemove === true;
      const waiter = await ctx.client.containers.wait(c.Id, autoRemove ? 'removed' : 'next-exit');
      try {
        await ctx.client.containers.start(c.Id);
      } catch (err) {
        conn.close();
        await stream.catch(() => undefined);
        if (autoRemove) await waiter.result.catch(() => undefined);
        throw err;
      }
      if (tty && ctx.io.stdout.isTTY) cleanups.push(monitorTtySize(ctx, c.Id));
      if ((await stream) === 'detached') return 0;
      const code = await statusOf(ctx, waiter);
      if (code !== 0) throw new StatusError(code);
      return 0;
    } finally {
      for (const f of cleanups) f();
      conn.close();
    }
  },
};
