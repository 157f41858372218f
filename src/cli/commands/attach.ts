// berth attach: docker's flow. The wait goes out first (so an exit while
// attaching is not missed), the container must be running (not paused, not
// restarting), stdin is attached when the container keeps it open and
// --no-stdin is not given, signals are proxied to a container without a
// TTY (--sig-proxy, default on), and the state is checked again once
// attached. A TTY gets its size nudged (+1, then the real size) so that a
// shell redraws its prompt. Exit: the container's status, or 1 with "read
// escape sequence" after the detach keys.

import type { CommandContext, CommandDef } from '../command.ts';
import { exactArgs } from '../command.ts';
import { HijackedConnection } from '../../client/index.ts';
import type { ContainerInspect } from '../../client/index.ts';
import { monitorTtySize, proxySignals, streamAttach } from '../streams.ts';
import { checkTty } from './exec.ts';
import { statusOf } from './run.ts';
import { StatusError } from '../errors.ts';
import { detachKeysFor } from './detach-keys.ts';

async function runningContainer(ctx: CommandContext, name: string): Promise<ContainerInspect> {
  const { value: c } = await ctx.client.containers.inspect(name);
  if (!c.State?.Running) throw new Error('You cannot attach to a stopped container, start it first');
  if (c.State.Paused) throw new Error('You cannot attach to a paused container, unpause it first');
  if (c.State.Restarting) throw new Error('You cannot attach to a restarting container, wait until it is running');
  return c;
}

export const attach: CommandDef = {
  name: 'attach',
  usage: '[OPTIONS] CONTAINER',
  description: 'Attach local standard input, output, and error streams to a running container',
  args: exactArgs(1),
  flags: [
    { name: 'no-stdin', type: 'bool', usage: 'Do not attach STDIN' },
    { name: 'sig-proxy', type: 'bool', default: true, usage: 'Proxy all received signals to the process' },
    { name: 'detach-keys', type: 'string', usage: 'Override the key sequence for detaching a container' },
  ],
  async run(ctx, args, flags) {
    const name = args[0]!;
    const noStdin = flags.values['no-stdin'] === true;
    const waiter = await ctx.client.containers.wait(name);
    // Read only at the end; an attach that fails first must not leave it unhandled.
    waiter.result.catch(() => {});
    const c = await runningContainer(ctx, name);
    const tty = c.Config?.Tty === true;
    checkTty(ctx, !noStdin, tty);
    const detachKeys = detachKeysFor(ctx, flags.values['detach-keys']);
    const stdin = !noStdin && c.Config?.OpenStdin === true;

    const cleanups: (() => void)[] = [];
    if (flags.values['sig-proxy'] !== false && !tty) cleanups.push(proxySignals(ctx, c.Id));
    let conn: HijackedConnection | undefined;
    try {
      conn = new HijackedConnection(await ctx.client.containers.attach(c.Id, {
        stream: true, stdin, stdout: true, stderr: true, detachKeys,
      }));
      await runningContainer(ctx, c.Id);
      if (tty && ctx.io.stdout.isTTY) {
        const { rows = 0, columns = 0 } = ctx.io.stdout;
        if (rows > 0 || columns > 0) await ctx.client.containers.resize(c.Id, rows + 1, columns + 1).catch(() => {});
        cleanups.push(monitorTtySize(ctx, c.Id));
      }
      const result = await streamAttach(ctx, conn, { stdin, stdout: true, stderr: true, tty, detachKeys });
      if (result === 'detached') throw new Error('read escape sequence');
    } finally {
      for (const f of cleanups) f();
      conn?.close();
    }
    const code = await statusOf(ctx, waiter);
    if (code !== 0) throw new StatusError(code);
    return 0;
  },
};
