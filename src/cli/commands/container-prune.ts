// berth container prune: every stopped container (filters until, label,
// label!); docker's prompt and report.

import type { CommandDef } from '../command.ts';
import { noArgs } from '../command.ts';
import { list, pruneFilterFlag } from './common.ts';
import { filtersToJson, parseFilters } from '../options/filters.ts';
import { humanSize } from '../format/units.ts';
import { readAnswer } from '../prompt.ts';

export const containerPrune: CommandDef = {
  name: 'container prune',
  usage: '[OPTIONS]',
  description: 'Remove all stopped containers',
  args: noArgs,
  flags: [
    pruneFilterFlag,
    { name: 'force', short: 'f', type: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  async run(ctx, _args, flags) {
    const filters = parseFilters(list(flags.values.filter));
    if (flags.values.force !== true) {
      ctx.io.stdout.write('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
      const answer = await readAnswer(ctx.io.stdin);
      if (!/^y(es)?$/i.test(answer.trim())) return;
    }
    const r = await ctx.client.containers.prune(filtersToJson(filters));
    let out = '';
    if (r.ContainersDeleted?.length) out += `Deleted Containers:\n${r.ContainersDeleted.map((id) => `${id}\n`).join('')}\n`;
    out += `Total reclaimed space: ${humanSize(r.SpaceReclaimed, 4)}\n`;
    ctx.io.stdout.write(out);
  },
};
