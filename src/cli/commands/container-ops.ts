// pause, unpause, rename, top, update: docker's output (the names given,
// one per line; top as a table) and docker's argument rules.

import type { CommandContext, CommandDef } from '../command.ts';
import { exactArgs, minArgs } from '../command.ts';
import { settleInOrder, str } from './common.ts';
import { joinErrors } from '../errors.ts';
import { tabwrite } from '../format/tabwriter.ts';
import { nanoCpus, ramInBytes } from '../options/units.ts';
import { parseRestartPolicy } from '../options/container-config.ts';
import type { UpdateBody } from '../../client/container-ops.ts';

async function each(ctx: CommandContext, names: string[], op: (name: string) => Promise<void>): Promise<void> {
  const results = await settleInOrder(names, op);
  const errors: unknown[] = [];
  results.forEach((r, i) => {
    if (r.ok) ctx.out(names[i]);
    else errors.push(r.error);
  });
  const err = joinErrors(errors);
  if (err) throw err;
}

export const pause: CommandDef = {
  name: 'pause',
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Pause all processes within one or more containers',
  args: minArgs(1),
  flags: [],
  async run(ctx, args) {
    await each(ctx, args, (n) => ctx.client.ops.pause(n));
  },
};

export const unpause: CommandDef = {
  name: 'unpause',
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Unpause all processes within one or more containers',
  args: minArgs(1),
  flags: [],
  async run(ctx, args) {
    await each(ctx, args, (n) => ctx.client.ops.unpause(n));
  },
};

export const rename: CommandDef = {
  name: 'rename',
  usage: 'CONTAINER NEW_NAME',
  description: 'Rename a container',
  args: exactArgs(2),
  flags: [],
  async run(ctx, args) {
    const [oldName, newName] = [args[0]!.trim(), args[1]!.trim()];
    if (oldName === '' || newName === '') throw new Error('Error: Neither old nor new names may be empty');
    try {
      await ctx.client.ops.rename(oldName, newName);
    } catch (err) {
      ctx.err((err as Error).message);
      throw new Error(`Error: failed to rename container named ${oldName}`);
    }
  },
};

export const top: CommandDef = {
  name: 'top',
  usage: 'CONTAINER [ps OPTIONS]',
  description: 'Display the running processes of a container',
  args: minArgs(1),
  flags: [],
  interspersed: false,
  async run(ctx, args) {
    const r = await ctx.client.ops.top(args[0]!, args.slice(1).join(' '));
    const rows = [r.Titles.join('\t'), ...r.Processes.map((p) => p.join('\t'))];
    ctx.io.stdout.write(tabwrite(rows.join('\n') + '\n', { minwidth: 20, tabwidth: 1, padding: 3 }));
  },
};

export const update: CommandDef = {
  name: 'update',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Update configuration of one or more containers',
  args: minArgs(1),
  flags: [
    { name: 'blkio-weight', type: 'int', usage: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)' },
    { name: 'cpu-period', type: 'int', usage: 'Limit CPU CFS (Completely Fair Scheduler) period' },
    { name: 'cpu-quota', type: 'int', usage: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
    { name: 'cpu-rt-period', type: 'int', usage: 'Limit the CPU real-time period in microseconds' },
    { name: 'cpu-rt-runtime', type: 'int', usage: 'Limit the CPU real-time runtime in microseconds' },
    { name: 'cpu-shares', short: 'c', type: 'int', usage: 'CPU shares (relative weight)' },
    { name: 'cpus', type: 'string', usage: 'Number of CPUs' },
    { name: 'cpuset-cpus', type: 'string', usage: 'CPUs in which to allow execution (0-3, 0,1)' },
    { name: 'cpuset-mems', type: 'string', usage: 'MEMs in which to allow execution (0-3, 0,1)' },
    { name: 'memory', short: 'm', type: 'string', usage: 'Memory limit' },
    { name: 'memory-reservation', type: 'string', usage: 'Memory soft limit' },
    { name: 'memory-swap', type: 'string', usage: 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' },
    { name: 'pids-limit', type: 'int', usage: 'Tune container pids limit (set -1 for unlimited)' },
    { name: 'restart', type: 'string', usage: 'Restart policy to apply when a container exits' },
  ],
  async run(ctx, args, flags) {
    const v = flags.values;
    const body: UpdateBody = {};
    const set = (name: string) => flags.changed.has(name);
    if (set('memory')) body.Memory = ramInBytes(str(v.memory));
    if (set('memory-swap')) body.MemorySwap = str(v['memory-swap']) === '-1' ? -1 : ramInBytes(str(v['memory-swap']));
    if (set('memory-reservation')) body.MemoryReservation = ramInBytes(str(v['memory-reservation']));
    if (set('cpus')) body.NanoCpus = nanoCpus(str(v.cpus));
    if (set('cpu-shares')) body.CpuShares = v['cpu-shares'] as number;
    if (set('cpu-period')) body.CpuPeriod = v['cpu-period'] as number;
    if (set('cpu-quota')) body.CpuQuota = v['cpu-quota'] as number;
    if (set('cpu-rt-period')) body.CpuRealtimePeriod = v['cpu-rt-period'] as number;
    if (set('cpu-rt-runtime')) body.CpuRealtimeRuntime = v['cpu-rt-runtime'] as number;
    if (set('cpuset-cpus')) body.CpusetCpus = str(v['cpuset-cpus']);
    if (set('cpuset-mems')) body.CpusetMems = str(v['cpuset-mems']);
    if (set('blkio-weight')) body.BlkioWeight = v['blkio-weight'] as number;
    if (set('pids-limit')) body.PidsLimit = v['pids-limit'] as number;
    if (set('restart')) body.RestartPolicy = parseRestartPolicy(str(v.restart));
    if (Object.keys(body).length === 0) throw new Error('you must provide one or more flags when using this command');
    // docker's order: the names updated, then every warning (on stdout), then the errors.
    const warnings: string[] = [];
    try {
      await each(ctx, args, async (n) => {
        const r = await ctx.client.ops.update(n, body);
        warnings.push(...(r.Warnings ?? []));
      });
    } finally {
      if (warnings.length > 0) ctx.out(warnings.join('\n'));
    }
  },
};
