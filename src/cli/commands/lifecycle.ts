// rm, stop, kill, restart, wait: one API call per container, each result
// printed in argument order; failures are reported together at the end and
// exit 1, so `berth rm a b c` removes what it can.

import type { CommandDef } from '../command.ts';
import { minArgs } from '../command.ts';
import type { CommandContext } from '../command.ts';
import { settleInOrder, str } from './common.ts';
import { isNotFound } from '../../client/index.ts';
import { joinErrors } from '../errors.ts';

function timeoutOf(ctx: CommandContext, values: Record<string, unknown>, changed: Set<string>): number | undefined {
  if (changed.has('time') && changed.has('timeout')) throw new Error('conflicting options: cannot specify both --timeout and --time');
  if (changed.has('timeout')) return values.timeout as number;
  if (changed.has('time')) return values.time as number;
  void ctx;
  return undefined;
}

async function eachContainer(ctx: CommandContext, names: string[], op: (name: string) => Promise<void>, ignoreNotFound = false): Promise<void> {
  const results = await settleInOrder(names, op);
  const errors: unknown[] = [];
  results.forEach((r, i) => {
    if (r.ok) ctx.out(names[i]);
    else if (ignoreNotFound && isNotFound(r.error)) ctx.err((r.error as Error).message);
    else errors.push(r.error);
  });
  const err = joinErrors(errors);
  if (err) throw err;
}

const timeoutFlags = [
  { name: 'signal', short: 's', type: 'string' as const, usage: 'Signal to send to the container' },
  { name: 'timeout', short: 't', type: 'int' as const, usage: 'Seconds to wait before killing the container' },
  { name: 'time', type: 'int' as const, usage: 'Seconds to wait before killing the container (deprecated: use --timeout)', hidden: true, deprecated: 'use --timeout instead' },
];

export const rm: CommandDef = {
  name: 'rm',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Remove one or more containers',
  aliases: ['remove'],
  args: minArgs(1),
  flags: [
    { name: 'volumes', short: 'v', type: 'bool', usage: 'Remove anonymous volumes associated with the container' },
    { name: 'link', short: 'l', type: 'bool', usage: 'Remove the specified link' },
    { name: 'force', short: 'f', type: 'bool', usage: 'Force the removal of a running container (uses SIGKILL)' },
  ],
  async run(ctx, args, flags) {
    const force = flags.values.force === true;
    await eachContainer(ctx, args, async (name) => {
      const id = name.replace(/^\/+|\/+$/g, '');
      if (id === '') throw new Error('container name cannot be empty');
      await ctx.client.containers.remove(id, { force, volumes: flags.values.volumes === true, link: flags.values.link === true });
    }, force);
  },
};

export const stop: CommandDef = {
  name: 'stop',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Stop one or more running containers',
  args: minArgs(1),
  flags: timeoutFlags,
  async run(ctx, args, flags) {
    const timeout = timeoutOf(ctx, flags.values, flags.changed);
    const signal = str(flags.values.signal) || undefined;
    await eachContainer(ctx, args, (name) => ctx.client.containers.stop(name, { signal, timeout }));
  },
};

export const restart: CommandDef = {
  name: 'restart',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Restart one or more containers',
  args: minArgs(1),
  flags: timeoutFlags,
  async run(ctx, args, flags) {
    const timeout = timeoutOf(ctx, flags.values, flags.changed);
    const signal = str(flags.values.signal) || undefined;
    // docker restarts one after the other, not in parallel.
    const errors: unknown[] = [];
    for (const name of args) {
      try {
        await ctx.client.containers.restart(name, { signal, timeout });
        ctx.out(name);
      } catch (err) {
        errors.push(err);
      }
    }
    const err = joinErrors(errors);
    if (err) throw err;
  },
};

export const kill: CommandDef = {
  name: 'kill',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Kill one or more running containers',
  args: minArgs(1),
  flags: [{ name: 'signal', short: 's', type: 'string', usage: 'Signal to send to the container' }],
  async run(ctx, args, flags) {
    const signal = str(flags.values.signal) || undefined;
    await eachContainer(ctx, args, (name) => ctx.client.containers.kill(name, signal));
  },
};

export const wait: CommandDef = {
  name: 'wait',
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Block until one or more containers stop, then print their exit codes',
  args: minArgs(1),
  flags: [],
  async run(ctx, args) {
    const errors: unknown[] = [];
    for (const name of args) {
      try {
        const waiter = await ctx.client.containers.wait(name);
        const result = await waiter.result;
        ctx.out(String(result.StatusCode));
      } catch (err) {
        errors.push(err);
      }
    }
    const err = joinErrors(errors);
    if (err) throw err;
  },
};
